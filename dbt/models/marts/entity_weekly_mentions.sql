-- One row per entity (model, dataset, metric or task) and ISO week in which a paper first listed that week
-- names it. Sparse: weeks without a mention have no row.
-- Incremental: recomputes the entity-weeks the changed papers touch (macros/incremental.sql).
{{ config(pre_hook="{{ delete_touched('entity_type, entity, week_start', touched_entity_weeks()) }}") }}
-- depends_on: {{ ref('int_entity_papers_changed') }}

with entity_papers as (

    select * from {{ ref('int_entity_papers') }}
    where mention_count > 0
    {{ where_touched("entity_type, canonical, " ~ week_of('first_listed_date'), touched_entity_weeks(), 'and') }}

)

select
    entity_type,
    canonical as entity,
    {{ week_of('first_listed_date') }} as week_start,
    count(*) as papers,
    cast(sum(mention_count) as bigint) as mentions
from entity_papers
group by all
