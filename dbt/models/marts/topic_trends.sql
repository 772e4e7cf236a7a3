-- One row per period (each day and each ISO week from the first to the last listed day), and taxonomy
-- topic, dense: topics with no papers in a period get a zero count. A paper counts on its first listed day.

with papers as (

    select paper_id, first_listed_date from {{ ref('dim_papers') }}

),

paper_topics as (

    select paper_id, topic_id, first_listed_date from {{ ref('paper_topics') }}

),

taxonomy as (

    select topic_id, label from {{ ref('topic_taxonomy') }}

),

days as (

    select cast(unnest(generate_series(min(first_listed_date), max(first_listed_date), interval 1 day)) as date) as day
    from papers

),

periods as (

    select 'day' as period, day as period_start, day as period_end
    from days

    union

    select
        'week' as period,
        cast(date_trunc('week', day) as date) as period_start,
        cast(date_trunc('week', day) as date) + 6 as period_end
    from days

),

-- counted per day, then the days summed into weeks (joining every paper to its periods took seconds at a
-- million papers)
papers_per_day as (

    select first_listed_date as day, count(*) as papers
    from papers
    group by all

),

topic_papers_per_day as (

    select first_listed_date as day, topic_id, count(*) as papers
    from paper_topics
    group by all

),

papers_per_period as (

    select 'day' as period, day as period_start, papers as papers_in_period
    from papers_per_day

    union all

    select 'week' as period, {{ week_of('day') }} as period_start, cast(sum(papers) as bigint) as papers_in_period
    from papers_per_day
    group by all

),

topic_papers_per_period as (

    select 'day' as period, day as period_start, topic_id, papers as paper_count
    from topic_papers_per_day

    union all

    select 'week' as period, {{ week_of('day') }} as period_start, topic_id, cast(sum(papers) as bigint) as paper_count
    from topic_papers_per_day
    group by all

),

trends as (

    select
        periods.period,
        periods.period_start,
        periods.period_end,
        taxonomy.topic_id,
        taxonomy.label as topic_label,
        coalesce(topic_papers_per_period.paper_count, 0) as paper_count,
        coalesce(papers_per_period.papers_in_period, 0) as papers_in_period,
        coalesce(topic_papers_per_period.paper_count, 0) / nullif(papers_per_period.papers_in_period, 0) as share
    from periods
    cross join taxonomy
    left join papers_per_period
        on periods.period = papers_per_period.period
        and periods.period_start = papers_per_period.period_start
    left join topic_papers_per_period
        on periods.period = topic_papers_per_period.period
        and periods.period_start = topic_papers_per_period.period_start
        and taxonomy.topic_id = topic_papers_per_period.topic_id

)

select * from trends
