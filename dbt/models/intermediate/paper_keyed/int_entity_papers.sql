-- One row per paper and entity it names (in prose or in a claim): the partial counts every aggregate over
-- entities sums. Incremental, and keeps the rows it replaces (macros/incremental.sql), so the aggregates
-- recompute only the entities the changed papers name or named.
{{ config(meta={'keep_replaced_rows': true}) }}

with mentions as (

    select paper_id, entity_type, canonical, surface, family, size
    from {{ ref('stg_raw__mentions') }}
    {{ where_changed() }}

),

results as (

    select * from {{ ref('int_results_canonicalised') }}
    {{ where_changed() }}

),

papers as (

    select paper_id, first_listed_date from {{ ref('stg_raw__papers') }}
    {{ where_changed() }}

),

result_entities as (

    select paper_id, 'model' as entity_type, model as canonical, model_surface as surface
    from results
    where model is not null

    union all

    select paper_id, 'dataset' as entity_type, dataset as canonical, dataset_surface as surface
    from results
    where dataset is not null

    union all

    select paper_id, 'metric' as entity_type, metric as canonical, metric_surface as surface
    from results
    where metric is not null

),

sightings as (

    select paper_id, entity_type, canonical, surface, family, size, 1 as is_mention
    from mentions

    union all

    select paper_id, entity_type, canonical, surface, null, null, 0 as is_mention
    from result_entities

)

select
    sightings.paper_id,
    sightings.entity_type,
    sightings.canonical,
    papers.first_listed_date,
    cast(sum(sightings.is_mention) as bigint) as mention_count,
    cast(count(*) - sum(sightings.is_mention) as bigint) as result_count,
    min(sightings.family) as family,
    min(sightings.size) as size,
    list_sort(list(distinct sightings.surface)) as surfaces
from sightings
inner join papers
    on sightings.paper_id = papers.paper_id
group by all
