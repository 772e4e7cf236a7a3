-- One row per taxonomy topic: its papers in the recent window (the 7 days up to the latest listed day)
-- against the baseline (the 28 days before), shares of all papers in each window, growth and rank.

with papers as (

    select
        paper_id,
        {{ trend_window('first_listed_date', as_of_day(ref('dim_papers'))) }} as trend_window
    from {{ ref('dim_papers') }}

),

paper_topics as (

    select paper_id, topic_id from {{ ref('paper_topics') }}

),

taxonomy as (

    select topic_id, label from {{ ref('topic_taxonomy') }}

),

window_totals as (

    select
        count(*) filter (where trend_window = 'recent') as recent_total,
        count(*) filter (where trend_window = 'baseline') as baseline_total
    from papers

),

topic_counts as (

    select
        paper_topics.topic_id,
        count(*) filter (where papers.trend_window = 'recent') as recent_papers,
        count(*) filter (where papers.trend_window = 'baseline') as baseline_papers
    from paper_topics
    inner join papers
        on paper_topics.paper_id = papers.paper_id
    where papers.trend_window is not null
    group by paper_topics.topic_id

),

measured as (

    select
        taxonomy.topic_id,
        taxonomy.label as topic_label,
        coalesce(topic_counts.recent_papers, 0) as recent_papers,
        coalesce(topic_counts.baseline_papers, 0) as baseline_papers,
        coalesce(topic_counts.recent_papers, 0) / nullif(window_totals.recent_total, 0) as recent_share,
        coalesce(topic_counts.baseline_papers, 0) / nullif(window_totals.baseline_total, 0) as baseline_share
    from taxonomy
    cross join window_totals
    left join topic_counts
        on taxonomy.topic_id = topic_counts.topic_id

),

trending as (

    select
        {{ as_of_day(ref('dim_papers')) }} as as_of_day,
        topic_id,
        topic_label,
        recent_papers,
        baseline_papers,
        recent_share,
        baseline_share,
        recent_share - baseline_share as share_change,
        {{ growth('recent_papers', 'baseline_papers') }} as growth,
        case
            when recent_papers = 0 and baseline_papers = 0 then 'quiet'
            when baseline_papers = 0 then 'new'
            when {{ growth('recent_papers', 'baseline_papers') }} > 1 then 'rising'
            when {{ growth('recent_papers', 'baseline_papers') }} < 1 then 'falling'
            else 'steady'
        end as trend,
        rank() over (order by {{ growth('recent_papers', 'baseline_papers') }} desc, recent_papers desc) as rank
    from measured

)

-- No papers yet (an inbox run on an empty warehouse): no "today", so no rows.
select * from trending where as_of_day is not null
