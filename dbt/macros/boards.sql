{#- How a metric as written is compared with its lexicon aliases: lower-case, without separators (spaces,
    hyphens, underscores, dots), without a plural s, so "Top-1 acc." = "top1 acc" and "F1 scores" = "F1-score". -#}
{% macro metric_key(expression) -%}
    regexp_replace(regexp_replace(lower(trim({{ expression }})), '[\s\-_.]+', '', 'g'), 's$', '')
{%- endmacro %}

{#- A metric as written without the words that only say which task or setting it was measured in
    ("retrieval accuracy", "zero-shot accuracy", "test accuracy" are accuracy); any other qualifier makes
    another metric ("unlearning accuracy", "attack accuracy" are not accuracy). -#}
{% macro metric_without_task_words(expression) -%}
    regexp_replace(
        lower({{ expression }}),
        '\b(?:classification|retrieval|detection|segmentation|recognition|generation|captioning|question|answering|answer|qa|translation|re-?id|identification|verification|localization|grounding|tracking|test|testing|zero[- ]shot|few[- ]shot|one[- ]shot|\d+[- ]shot|linear[- ]prob\w*)\b',
        ' ',
        'g'
    )
{%- endmacro %}
