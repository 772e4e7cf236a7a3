-- Incremental: rebuilds only the changed papers (macros/incremental.sql).

with results as (

    select * from {{ ref('int_results_vetted') }}
    {{ where_changed() }}

),

papers as (

    select paper_id, title, first_listed_date from {{ ref('stg_raw__papers') }}
    {{ where_changed() }}

)

select
    results.result_id,
    results.paper_id,
    results.result_index,
    papers.title as paper_title,
    papers.first_listed_date,
    results.kind,
    results.model,
    results.dataset,
    results.metric,
    results.direction,
    results.value,
    results.value_text,
    results.unit,
    results.metric_unit,
    results.normalized_value,
    results.role,
    results.confidence,
    results.leaderboard,
    results.condition,
    results.setting,
    results.not_ranked_because,
    results.evidence,
    results.model_surface,
    results.dataset_surface,
    results.metric_surface,
    results.model_resolved_by,
    results.dataset_resolved_by,
    results.metric_resolved_by,
    results.extractor_version
from results
inner join papers
    on results.paper_id = papers.paper_id
