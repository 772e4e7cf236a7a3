-- One row per claim that stands on a board (int_results_vetted.not_ranked_because is null), with its board:
-- dataset -> metric, and the setting where it changes the meaning, under a task. A claim's task is the one its
-- abstract names (raw mentions of type task) when it names one, else the one of them its evidence sentence
-- names (of several, the one papers name most often with the dataset, then the one the abstract names most,
-- then first); an abstract that names several but none in the evidence, or none at all, gives the dataset's
-- usual task (the task most papers' claims on the dataset are named with), or none: a guess among an
-- abstract's several tasks read wrong ("image denoising" for MSMT17). A board's task is the task most of its
-- claims have (ties to the first by name): a task does not split a board, so one abstract's stray task word
-- cannot leave a model alone on a board of its own. Rebuilt whole: a dataset's usual task changes as papers
-- arrive.

with results as (

    select * from {{ ref('int_results_vetted') }}
    where not_ranked_because is null

),

papers as (

    select paper_id, title, first_listed_date from {{ ref('stg_raw__papers') }}
    semi join results using (paper_id)

),

paper_tasks as (

    select
        paper_id,
        canonical as task,
        count(*) as mentions,
        min(start_char) as first_at,
        list(distinct surface) as surfaces,
        count(*) over (partition by paper_id) as tasks_of_paper
    from {{ ref('stg_raw__mentions') }}
    semi join results using (paper_id)
    where entity_type = 'task'
    group by paper_id, canonical

),

-- how many papers name each board dataset together with each task (in prose or in a claim)
dataset_tasks as (

    select
        datasets.canonical as dataset,
        tasks.canonical as task,
        count(*) as papers
    from {{ ref('int_entity_papers') }} as datasets
    inner join {{ ref('int_entity_papers') }} as tasks
        on datasets.paper_id = tasks.paper_id
    where datasets.entity_type = 'dataset'
        and tasks.entity_type = 'task'
        and datasets.canonical in (select dataset from results)
    group by all

),

named_tasks as (

    select
        results.result_id,
        first(
            paper_tasks.task
            order by
                coalesce(dataset_tasks.papers, 0) desc,
                paper_tasks.mentions desc,
                paper_tasks.first_at,
                paper_tasks.task
        ) as task
    from results
    inner join paper_tasks
        on results.paper_id = paper_tasks.paper_id
        and (
            paper_tasks.tasks_of_paper = 1
            or len(list_filter(paper_tasks.surfaces, lambda s: strpos(lower(results.evidence), lower(s)) > 0)) > 0
        )
    left join dataset_tasks
        on results.dataset = dataset_tasks.dataset
        and paper_tasks.task = dataset_tasks.task
    group by results.result_id

),

-- a dataset's usual task: the one most papers' claims on it are named with (above), ties to the first by name
usual_tasks as (

    select dataset, first(task order by papers desc, task) as task
    from (
        select results.dataset, named_tasks.task, count(distinct results.paper_id) as papers
        from results
        inner join named_tasks on results.result_id = named_tasks.result_id
        group by all
    )
    group by dataset

),

claims as (

    select
        results.*,
        named_tasks.task as named_task,
        coalesce(named_tasks.task, usual_tasks.task) as claim_task,
        papers.title as paper_title,
        papers.first_listed_date
    from results
    inner join papers
        on results.paper_id = papers.paper_id
    left join named_tasks
        on results.result_id = named_tasks.result_id
    left join usual_tasks
        on results.dataset = usual_tasks.dataset

),

board_tasks as (

    select
        dataset,
        metric,
        coalesce(setting, '') as setting_key,
        first(claim_task order by claims desc, claim_task) as task
    from (
        select dataset, metric, setting, claim_task, count(*) as claims
        from claims
        where claim_task is not null
        group by all
    )
    group by all

),

boarded as (

    select
        claims.*,
        board_tasks.task,
        case
            when board_tasks.task is null then null
            when claims.named_task = board_tasks.task then 'paper'
            else 'dataset'
        end as task_source
    from claims
    left join board_tasks
        on claims.dataset = board_tasks.dataset
        and claims.metric = board_tasks.metric
        and coalesce(claims.setting, '') = board_tasks.setting_key

)

select
    md5(concat_ws('|', dataset, metric, coalesce(setting, ''))) as board_id,
    concat_ws(' · ', dataset, metric, setting) as board,
    task,
    task_source,
    dataset,
    metric,
    setting,
    metric_unit as unit,
    direction,
    -- smaller is better after this sign flip, whatever the metric's direction
    case direction when 'lower' then normalized_value else -normalized_value end as sort_value,
    model,
    role,
    confidence,
    normalized_value as value,
    value_text,
    unit as unit_as_written,
    paper_id,
    paper_title,
    first_listed_date,
    result_id,
    result_index,
    condition,
    evidence
from boarded
