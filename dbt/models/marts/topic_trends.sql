-- One row per period (each day and each ISO week from the first to the last listed day), and taxonomy
-- topic, dense: topics with no papers in a period get a zero count. A paper counts on its first listed day.

with papers as (

    select paper_id, first_listed_date from {{ ref('dim_papers') }}

),

paper_topics as (

    select paper_id, topic_id from {{ ref('paper_topics') }}

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

-- each paper in the period of its day and in that of its week (equality joins: a range join of every
-- paper against every period took minutes at a million papers)
paper_periods as (

    select paper_id, 'day' as period, first_listed_date as period_start
    from papers

    union all

    select paper_id, 'week' as period, cast(date_trunc('week', first_listed_date) as date) as period_start
    from papers

),

papers_per_period as (

    select
        period,
        period_start,
        count(*) as papers_in_period
    from paper_periods
    group by all

),

topic_papers_per_period as (

    select
        paper_periods.period,
        paper_periods.period_start,
        paper_topics.topic_id,
        count(*) as paper_count
    from paper_periods
    inner join paper_topics
        on paper_periods.paper_id = paper_topics.paper_id
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
