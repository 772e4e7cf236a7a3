-- One row per entity (model, dataset, metric or task) named in the recent or baseline window: papers and
-- mentions in each window, growth of papers, and its rank among entities of its type.

with entity_papers as (

    select
        entity_type,
        canonical as entity,
        mention_count,
        {{ trend_window('first_listed_date', as_of_day(ref('dim_papers'))) }} as trend_window
    from {{ ref('int_entity_papers') }}
    where mention_count > 0

),

counted as (

    select
        entity_type,
        entity,
        count(*) filter (where trend_window = 'recent') as recent_papers,
        count(*) filter (where trend_window = 'baseline') as baseline_papers,
        cast(coalesce(sum(mention_count) filter (where trend_window = 'recent'), 0) as bigint) as recent_mentions,
        cast(coalesce(sum(mention_count) filter (where trend_window = 'baseline'), 0) as bigint) as baseline_mentions
    from entity_papers
    where trend_window is not null
    group by entity_type, entity

),

first_seen as (

    select 'model' as entity_type, model as entity, first_seen_date from {{ ref('dim_models') }}
    union all
    select 'dataset' as entity_type, dataset as entity, first_seen_date from {{ ref('dim_datasets') }}
    union all
    select 'metric' as entity_type, metric as entity, first_seen_date from {{ ref('dim_metrics') }}
    union all
    select 'task' as entity_type, task as entity, first_seen_date from {{ ref('dim_tasks') }}

),

rising as (

    select
        {{ as_of_day(ref('dim_papers')) }} as as_of_day,
        counted.entity_type,
        counted.entity,
        counted.recent_papers,
        counted.baseline_papers,
        counted.recent_mentions,
        counted.baseline_mentions,
        {{ growth('counted.recent_papers', 'counted.baseline_papers') }} as growth,
        first_seen.first_seen_date,
        rank() over (
            partition by counted.entity_type
            order by {{ growth('counted.recent_papers', 'counted.baseline_papers') }} desc, counted.recent_papers desc
        ) as rank
    from counted
    left join first_seen
        on counted.entity_type = first_seen.entity_type
        and counted.entity = first_seen.entity

)

select * from rising
