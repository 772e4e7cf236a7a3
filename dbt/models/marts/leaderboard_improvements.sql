-- One row per improvement claim (a gain over a baseline, not a score): listed beside the leaderboards,
-- never ranked in them. on_leaderboard says whether the dataset and metric have a ranked board.

with results as (

    select * from {{ ref('fct_benchmark_results') }}

),

boards as (

    select distinct dataset, metric from {{ ref('leaderboards') }}

)

select
    results.dataset,
    results.metric,
    results.unit,
    results.direction,
    results.model,
    results.value,
    results.value_text,
    results.condition,
    results.evidence,
    results.paper_id,
    results.paper_title,
    results.first_listed_date,
    results.result_id,
    boards.dataset is not null as on_leaderboard
from results
left join boards
    on results.dataset = boards.dataset
    and results.metric = boards.metric
where results.kind = 'improvement'
