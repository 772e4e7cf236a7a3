-- One row per board (dataset -> metric, and setting where it changes the meaning, under a task): how many models and
-- claims it ranks, its best value and leader. "All boards of a task": where task = '...'.

with boards as (

    select
        board_id,
        count(*) as claim_count,
        count(distinct paper_id) as paper_count,
        min(first_listed_date) as first_listed_date,
        max(first_listed_date) as last_listed_date
    from {{ ref('int_results_boarded') }}
    group by board_id

),

leaders as (

    select
        board_id,
        board,
        task,
        dataset,
        metric,
        setting,
        unit,
        direction,
        count(*) as model_count,
        -- of equal best values, the one listed first leads
        first(model order by rank, first_listed_date, paper_id, result_id) as leader,
        first(value order by rank, first_listed_date, paper_id, result_id) as best_value,
        first(value_text || unit_as_written order by rank, first_listed_date, paper_id, result_id) as best_value_text,
        first(paper_id order by rank, first_listed_date, paper_id, result_id) as leader_paper_id,
        first(paper_title order by rank, first_listed_date, paper_id, result_id) as leader_paper_title,
        first(first_listed_date order by rank, first_listed_date, paper_id, result_id) as leader_listed_date,
        first(result_id order by rank, first_listed_date, paper_id, result_id) as leader_result_id
    from {{ ref('leaderboards') }}
    group by all

)

select
    leaders.board_id,
    leaders.board,
    leaders.task,
    leaders.dataset,
    leaders.metric,
    leaders.setting,
    leaders.unit,
    leaders.direction,
    leaders.model_count,
    boards.claim_count,
    boards.paper_count,
    leaders.leader,
    leaders.best_value,
    leaders.best_value_text,
    leaders.leader_paper_id,
    leaders.leader_paper_title,
    leaders.leader_listed_date,
    leaders.leader_result_id,
    boards.first_listed_date,
    boards.last_listed_date
from leaders
inner join boards
    on leaders.board_id = boards.board_id
