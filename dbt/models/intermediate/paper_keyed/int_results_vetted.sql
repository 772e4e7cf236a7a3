-- One row per result (int_results_canonicalised), with the setting it was claimed under and, for a claim that
-- cannot stand on a board, why not. A board is task -> dataset -> metric (-> setting); the rules, in order:
--   improvement            a gain over a baseline is not a score;
--   not_leaderboard_grade  the extractor does not rank it (leaderboard is not true);
--   incomplete             no model, dataset or metric;
--   unknown_metric         a metric the lexicon does not know (no direction, no unit);
--   qualified_metric       the metric as written is not one of its aliases ("unlearning accuracy" is not
--                          accuracy), task and setting words aside ("retrieval accuracy", "zero-shot accuracy");
--   unit_mismatch          the value's unit cannot be brought to the metric's (a "%" for a metric in ms);
--   dataset_not_in_evidence  the evidence sentence does not name the dataset, so a reader cannot check it;
--   ambiguous_setting      two settings of one kind (test-clean and test-other) and nothing says which.
-- The setting (var board_settings in dbt_project.yml) is read from what the claim states (its condition, its
-- metric as written), else, per kind, from its evidence sentence. Each rule's pattern is written into the SQL,
-- a constant that DuckDB compiles once (a pattern read from a table is compiled again for every row).
-- Incremental: rebuilds only the changed papers.

with results as (

    select * from {{ ref('int_results_canonicalised') }}
    {{ where_changed() }}

),

metric_aliases as (

    select distinct
        canonical as metric,
        {{ metric_key('alias') }} as alias_key
    from {{ ref('int_lexicon_aliases_unioned') }}
    where entity_type = 'metric'

),

texts as (

    select result_id, 'stated' as source, lower(concat_ws(' | ', condition, metric_surface)) as text
    from results
    where condition is not null or metric_surface is not null

    union all

    -- only claims that could be ranked are read further
    select result_id, 'evidence' as source, lower(evidence) as text
    from results
    where kind = 'absolute' and leaderboard

),

found as (

    {% for rule in var('board_settings') %}
    {%- set pattern = "'" ~ rule.pattern | replace("'", "''") ~ "'" %}
    select
        result_id,
        source,
        '{{ rule.kind }}' as kind,
        regexp_replace(
            unnest(regexp_extract_all(text, {{ pattern }})), {{ pattern }}, '{{ rule.setting | replace("'", "''") }}'
        ) as setting
    from texts
    where regexp_matches(text, {{ pattern }})
    {% if not loop.last %}union all{% endif %}
    {% else %}
    select null::varchar as result_id, null::varchar as source, null::varchar as kind, null::varchar as setting
    where false
    {% endfor %}

),

per_kind as (

    select
        result_id,
        kind,
        coalesce(list_sort(list_distinct(list(setting) filter (where source = 'stated'))), []) as stated,
        coalesce(list_sort(list_distinct(list(setting) filter (where source = 'evidence'))), []) as read
    from found
    group by all

),

claimed_settings as (

    select
        result_id,
        string_agg(
            case when len(stated) = 1 then stated[1] when len(stated) = 0 and len(read) = 1 then read[1] end,
            ', '
            order by kind
        ) as setting,
        bool_or(len(stated) > 1 or (len(stated) = 0 and len(read) > 1)) as setting_ambiguous
    from per_kind
    group by result_id

),

named_as_itself as (

    select results.result_id
    from results
    semi join metric_aliases
        on results.metric = metric_aliases.metric
        and (
            metric_aliases.alias_key = {{ metric_key('results.metric_surface') }}
            or metric_aliases.alias_key = {{ metric_key(metric_without_task_words('results.metric_surface')) }}
        )

)

select
    results.*,
    claimed_settings.setting,
    case
        when results.kind = 'improvement' then 'improvement'
        when not coalesce(results.leaderboard, false) then 'not_leaderboard_grade'
        when results.model is null or results.dataset is null or results.metric is null then 'incomplete'
        when results.direction is null or results.metric_unit is null then 'unknown_metric'
        when named_as_itself.result_id is null then 'qualified_metric'
        when results.normalized_value is null then 'unit_mismatch'
        when strpos(lower(results.evidence), lower(results.dataset_surface)) = 0 then 'dataset_not_in_evidence'
        when claimed_settings.setting_ambiguous then 'ambiguous_setting'
    end as not_ranked_because
from results
left join claimed_settings
    on results.result_id = claimed_settings.result_id
left join named_as_itself
    on results.result_id = named_as_itself.result_id
