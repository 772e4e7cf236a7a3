-- State of the art over time: per board, each claim that raised the best known value when it was first listed,
-- in listing order (Papers with Code's best-known plot). A claim raises the best when it is strictly better,
-- by the metric's direction, than every claim listed before it; ties and equal values do not. Claims listed on
-- the same day count best first, so a day raises a board's best at most once. The first claim on a board opens
-- it (step 1, no previous value).

with results as (

    select * from {{ ref('int_results_boarded') }}

),

ordered as (

    select
        *,
        min(sort_value) over (
            partition by board_id
            order by first_listed_date, sort_value, paper_id, result_index
            rows between unbounded preceding and 1 preceding
        ) as best_before
    from results

),

raises as (

    select * from ordered
    where best_before is null or sort_value < best_before

)

select
    board_id,
    board,
    task,
    dataset,
    metric,
    setting,
    unit,
    direction,
    row_number() over board_order as step,
    first_listed_date,
    model,
    role,
    value,
    value_text,
    unit_as_written,
    lag(value) over board_order as previous_value,
    lag(model) over board_order as previous_model,
    lag(first_listed_date) over board_order as previous_listed_date,
    abs(value - lag(value) over board_order) as gain,
    paper_id,
    paper_title,
    result_id,
    evidence
from raises
window board_order as (partition by board_id order by first_listed_date, sort_value, paper_id, result_index)
