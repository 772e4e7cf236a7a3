-- One row per entity type and canonical name: every model, dataset and metric the lexicon knows or the
-- papers name, with what the lexicon says about it, every alias seen, and how often papers name it.
-- A table: the three dimensions and their tests read it (as a view it was computed six times).
{{ config(materialized='table') }}

with lexicon as (

    select * from {{ ref('int_lexicon_aliases_unioned') }}

),

mentions as (

    select * from {{ ref('stg_raw__mentions') }}

),

results as (

    select * from {{ ref('int_results_canonicalised') }}

),

papers as (

    select paper_id, first_listed_date from {{ ref('stg_raw__papers') }}

),

lexicon_entries as (

    select
        entity_type,
        canonical,
        max(family) as family,
        max(direction) as direction
    from lexicon
    group by all

),

result_entities as (

    select paper_id, result_id, 'model' as entity_type, model as canonical, model_surface as surface
    from results
    where model is not null

    union all

    select paper_id, result_id, 'dataset' as entity_type, dataset as canonical, dataset_surface as surface
    from results
    where dataset is not null

    union all

    select paper_id, result_id, 'metric' as entity_type, metric as canonical, metric_surface as surface
    from results
    where metric is not null

),

-- every place a paper names an entity, in prose (a mention) or in a claim (a result)
sightings as (

    select
        entity_type,
        canonical,
        surface,
        paper_id,
        mention_id,
        cast(null as varchar) as result_id,
        family,
        size
    from mentions

    union all

    select
        entity_type,
        canonical,
        surface,
        paper_id,
        cast(null as varchar) as mention_id,
        result_id,
        cast(null as varchar) as family,
        cast(null as varchar) as size
    from result_entities

),

aliases as (

    select entity_type, canonical, alias from lexicon
    union
    select entity_type, canonical, surface as alias from sightings

),

alias_lists as (

    select
        entity_type,
        canonical,
        list_sort(list(alias)) as aliases
    from aliases
    group by all

),

seen as (

    select
        sightings.entity_type,
        sightings.canonical,
        mode(sightings.family) as family,
        mode(sightings.size) as size,
        count(distinct sightings.paper_id) as paper_count,
        count(distinct sightings.mention_id) as mention_count,
        count(distinct sightings.result_id) as result_count,
        min(papers.first_listed_date) as first_seen_date,
        max(papers.first_listed_date) as last_seen_date
    from sightings
    left join papers
        on sightings.paper_id = papers.paper_id
    group by all

),

entities as (

    select
        alias_lists.entity_type,
        alias_lists.canonical,
        coalesce(lexicon_entries.family, seen.family) as family,
        seen.size,
        lexicon_entries.direction,
        lexicon_entries.canonical is not null as in_lexicon,
        alias_lists.aliases,
        coalesce(seen.paper_count, 0) as paper_count,
        coalesce(seen.mention_count, 0) as mention_count,
        coalesce(seen.result_count, 0) as result_count,
        seen.first_seen_date,
        seen.last_seen_date
    from alias_lists
    left join lexicon_entries
        on alias_lists.entity_type = lexicon_entries.entity_type
        and alias_lists.canonical = lexicon_entries.canonical
    left join seen
        on alias_lists.entity_type = seen.entity_type
        and alias_lists.canonical = seen.canonical

)

select * from entities
