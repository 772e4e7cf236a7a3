-- One row per entity type and canonical name: every model, dataset and metric the lexicon knows or the
-- papers name, with what the lexicon says about it, every alias seen, and how often papers name it.
-- Incremental: recomputes the entities the changed papers name or named (macros/incremental.sql); the
-- three dimensions and their tests read the table.
{{ config(pre_hook="{{ delete_touched('entity_type, canonical', touched_entities()) }}") }}
-- depends_on: {{ ref('int_entity_papers_changed') }}

with lexicon as (

    select * from {{ ref('int_lexicon_aliases_unioned') }}
    {{ where_touched('entity_type, canonical', touched_entities()) }}

),

entity_papers as (

    select * from {{ ref('int_entity_papers') }}
    {{ where_touched('entity_type, canonical', touched_entities()) }}

),

lexicon_entries as (

    select
        entity_type,
        canonical,
        max(family) as family,
        max(direction) as direction,
        max(unit) as unit
    from lexicon
    group by all

),

-- the family and size most papers give (ties to the first by name)
families as (

    select entity_type, canonical, first(family order by papers desc, family) as family
    from (
        select entity_type, canonical, family, count(*) as papers
        from entity_papers
        where family is not null
        group by all
    )
    group by entity_type, canonical

),

sizes as (

    select entity_type, canonical, first(size order by papers desc, size) as size
    from (
        select entity_type, canonical, size, count(*) as papers
        from entity_papers
        where size is not null
        group by all
    )
    group by entity_type, canonical

),

aliases as (

    select entity_type, canonical, alias from lexicon
    union
    select entity_type, canonical, unnest(surfaces) as alias from entity_papers

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
        entity_type,
        canonical,
        count(*) as paper_count,
        cast(sum(mention_count) as bigint) as mention_count,
        cast(sum(result_count) as bigint) as result_count,
        min(first_listed_date) as first_seen_date,
        max(first_listed_date) as last_seen_date
    from entity_papers
    group by all

),

entities as (

    select
        alias_lists.entity_type,
        alias_lists.canonical,
        coalesce(lexicon_entries.family, families.family) as family,
        sizes.size,
        lexicon_entries.direction,
        lexicon_entries.unit,
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
    left join families
        on alias_lists.entity_type = families.entity_type
        and alias_lists.canonical = families.canonical
    left join sizes
        on alias_lists.entity_type = sizes.entity_type
        and alias_lists.canonical = sizes.canonical

)

select * from entities
