-- One row per lexicon entry and alias: the four lexicon seeds in one shape. The canonical name always
-- counts as one of its own aliases. A task may have a row per provenance (tasks.csv); their aliases merge.

with models as (

    select
        'model' as entity_type,
        canonical,
        family,
        cast(null as varchar) as direction,
        aliases
    from {{ ref('models') }}

),

datasets as (

    select
        'dataset' as entity_type,
        canonical,
        cast(null as varchar) as family,
        cast(null as varchar) as direction,
        aliases
    from {{ ref('datasets') }}

),

metrics as (

    select
        'metric' as entity_type,
        canonical,
        cast(null as varchar) as family,
        direction,
        aliases
    from {{ ref('metrics') }}

),

tasks as (

    select
        'task' as entity_type,
        canonical,
        cast(null as varchar) as family,
        cast(null as varchar) as direction,
        aliases
    from {{ ref('tasks') }}

),

entries as (

    select * from models
    union all
    select * from datasets
    union all
    select * from metrics
    union all
    select * from tasks

),

aliases as (

    select
        entity_type,
        trim(canonical) as canonical,
        nullif(trim(family), '') as family,
        lower(trim(direction)) as direction,
        trim(unnest(string_split(coalesce(aliases, ''), '|'))) as alias
    from entries

    union

    select
        entity_type,
        trim(canonical) as canonical,
        nullif(trim(family), '') as family,
        lower(trim(direction)) as direction,
        trim(canonical) as alias
    from entries

)

select
    entity_type,
    canonical,
    alias,
    {{ surface_key('alias') }} as alias_key,
    family,
    direction
from aliases
where alias <> ''
