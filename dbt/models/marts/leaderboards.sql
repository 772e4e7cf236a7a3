-- One row per board and model: the model's best score on the board and its rank by the metric's direction.
-- A board is dataset -> metric (-> setting) under a task, its values in the metric's unit; only claims that stand
-- on a board (int_results_vetted's rules: absolute, leaderboard-grade, a known metric named as itself, a unit
-- that converts, the dataset in the evidence, no ambiguous setting) are ranked.

with results as (

    select * from {{ ref('int_results_boarded') }}

),

best_per_model as (

    select
        *,
        count(*) over (partition by board_id, model) as claim_count,
        row_number() over (
            partition by board_id, model
            order by sort_value, first_listed_date, paper_id, result_index
        ) as nth_best
    from results

)

select
    board_id,
    board,
    task,
    task_source,
    dataset,
    metric,
    setting,
    unit,
    direction,
    rank() over (partition by board_id order by sort_value) as rank,
    model,
    role,
    value,
    value_text,
    unit_as_written,
    claim_count,
    confidence,
    paper_id,
    paper_title,
    first_listed_date,
    result_id,
    condition,
    evidence
from best_per_model
where nth_best = 1
