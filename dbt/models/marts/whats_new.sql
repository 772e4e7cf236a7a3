-- What is new on the latest listed day ("today" for the data): papers first listed that day, the
-- benchmark claims they make, and models and datasets no earlier paper named. One row per item.

with papers as (

    select * from {{ ref('dim_papers') }}

),

as_of as (

    select {{ as_of_day(ref('dim_papers')) }} as as_of_day

),

todays_papers as (

    select papers.*
    from papers
    inner join as_of
        on papers.first_listed_date = as_of.as_of_day

),

topic_labels as (

    select
        paper_id,
        string_agg(topic_label, ', ' order by topic_label) as labels
    from {{ ref('paper_topics') }}
    group by paper_id

),

new_papers as (

    select
        'paper' as item_type,
        todays_papers.paper_id as item_id,
        todays_papers.title as name,
        todays_papers.paper_id,
        todays_papers.title as paper_title,
        topic_labels.labels as detail
    from todays_papers
    left join topic_labels
        on todays_papers.paper_id = topic_labels.paper_id

),

new_claims as (

    select
        'claim' as item_type,
        results.result_id as item_id,
        concat_ws(
            ' ',
            coalesce(results.model, '(no model)'),
            'on ' || results.dataset,
            '·',
            results.metric,
            results.value_text || results.unit,
            '(' || results.kind || coalesce(', ' || results.condition, '') || ')'
        ) as name,
        results.paper_id,
        results.paper_title,
        results.evidence as detail
    from {{ ref('fct_benchmark_results') }} as results
    inner join todays_papers
        on results.paper_id = todays_papers.paper_id

),

-- which of today's papers name each entity, in prose or in a claim
todays_sightings as (

    select mentions.entity_type, mentions.canonical as entity, mentions.paper_id
    from {{ ref('fct_mentions') }} as mentions
    inner join todays_papers
        on mentions.paper_id = todays_papers.paper_id

    union

    select 'model' as entity_type, results.model as entity, results.paper_id
    from {{ ref('fct_benchmark_results') }} as results
    inner join todays_papers
        on results.paper_id = todays_papers.paper_id
    where results.model is not null

    union

    select 'dataset' as entity_type, results.dataset as entity, results.paper_id
    from {{ ref('fct_benchmark_results') }} as results
    inner join todays_papers
        on results.paper_id = todays_papers.paper_id
    where results.dataset is not null

),

first_seen as (

    select 'model' as entity_type, model as entity from {{ ref('dim_models') }}
    where first_seen_date = (select as_of_day from as_of)

    union all

    select 'dataset' as entity_type, dataset as entity from {{ ref('dim_datasets') }}
    where first_seen_date = (select as_of_day from as_of)

),

new_entities as (

    select
        first_seen.entity_type as item_type,
        first_seen.entity as item_id,
        first_seen.entity as name,
        min(todays_sightings.paper_id) as paper_id,
        cast(null as varchar) as paper_title,
        'named in ' || count(distinct todays_sightings.paper_id) || ' of today''s papers' as detail
    from first_seen
    inner join todays_sightings
        on first_seen.entity_type = todays_sightings.entity_type
        and first_seen.entity = todays_sightings.entity
    group by first_seen.entity_type, first_seen.entity

),

items as (

    select * from new_papers
    union all
    select * from new_claims
    union all
    select * from new_entities

)

select
    as_of.as_of_day,
    items.item_type,
    items.item_id,
    items.name,
    items.paper_id,
    coalesce(items.paper_title, papers.title) as paper_title,
    papers.arxiv_url,
    items.detail
from items
cross join as_of
left join papers
    on items.paper_id = papers.paper_id
