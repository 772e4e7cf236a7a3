-- One row per result, with the model, dataset and metric surfaces resolved to canonical names:
-- first by what the extractor resolved the same surface to in the same paper's mentions, then by the
-- lexicon's aliases (one written the same way first: "mAP" is mAP, "MAP" is MAP), else the surface
-- itself stands as its own name; and its value brought to the metric's
-- unit (macros/units.sql).
-- Incremental: rebuilds only the changed papers (macros/incremental.sql).

with results as (

    select * from {{ ref('stg_raw__results') }}
    {{ where_changed() }}

),

mentions as (

    select * from {{ ref('stg_raw__mentions') }}
    {{ where_changed() }}

),

lexicon as (

    select * from {{ ref('int_lexicon_aliases_unioned') }}

),

-- the same surface could resolve twice in one paper; take one name deterministically
paper_surfaces as (

    select
        paper_id,
        entity_type,
        surface_key,
        min(canonical) as canonical
    from mentions
    group by all

),

lexicon_aliases as (

    select
        entity_type,
        alias_key,
        min(canonical) as canonical
    from lexicon
    group by all

),

exact_aliases as (

    select
        entity_type,
        regexp_replace(trim(alias), '\s+', ' ', 'g') as alias,
        min(canonical) as canonical
    from lexicon
    group by all

),

metric_directions as (

    select distinct
        canonical as metric,
        direction,
        unit
    from lexicon
    where entity_type = 'metric'

),

result_surfaces as (

    select result_id, paper_id, 'model' as entity_type, model_surface as surface
    from results
    where model_surface is not null

    union all

    select result_id, paper_id, 'dataset' as entity_type, dataset_surface as surface
    from results
    where dataset_surface is not null

    union all

    select result_id, paper_id, 'metric' as entity_type, metric_surface as surface
    from results
    where metric_surface is not null

),

keyed_surfaces as (

    select
        *,
        {{ surface_key('surface') }} as surface_key
    from result_surfaces

),

resolved as (

    select
        keyed_surfaces.result_id,
        keyed_surfaces.entity_type,
        coalesce(
            paper_surfaces.canonical, exact_aliases.canonical, lexicon_aliases.canonical, keyed_surfaces.surface
        ) as canonical,
        case
            when paper_surfaces.canonical is not null then 'mention'
            when coalesce(exact_aliases.canonical, lexicon_aliases.canonical) is not null then 'lexicon'
            else 'surface'
        end as resolved_by
    from keyed_surfaces
    left join paper_surfaces
        on keyed_surfaces.paper_id = paper_surfaces.paper_id
        and keyed_surfaces.entity_type = paper_surfaces.entity_type
        and keyed_surfaces.surface_key = paper_surfaces.surface_key
    left join exact_aliases
        on keyed_surfaces.entity_type = exact_aliases.entity_type
        and regexp_replace(trim(keyed_surfaces.surface), '\s+', ' ', 'g') = exact_aliases.alias
    left join lexicon_aliases
        on keyed_surfaces.entity_type = lexicon_aliases.entity_type
        and keyed_surfaces.surface_key = lexicon_aliases.alias_key

),

canonicalised as (

    select
        results.result_id,
        results.paper_id,
        results.result_index,
        models.canonical as model,
        datasets.canonical as dataset,
        metrics.canonical as metric,
        metric_directions.direction,
        results.model_surface,
        results.dataset_surface,
        results.metric_surface,
        models.resolved_by as model_resolved_by,
        datasets.resolved_by as dataset_resolved_by,
        metrics.resolved_by as metric_resolved_by,
        results.value,
        results.value_text,
        results.unit,
        metric_directions.unit as metric_unit,
        {{ value_in_metric_unit('results.value', 'results.unit', 'metric_directions.unit') }} as normalized_value,
        results.kind,
        results.role,
        results.confidence,
        results.leaderboard,
        results.condition,
        results.evidence,
        results.extractor_version
    from results
    left join resolved as models
        on results.result_id = models.result_id
        and models.entity_type = 'model'
    left join resolved as datasets
        on results.result_id = datasets.result_id
        and datasets.entity_type = 'dataset'
    left join resolved as metrics
        on results.result_id = metrics.result_id
        and metrics.entity_type = 'metric'
    left join metric_directions
        on metrics.canonical = metric_directions.metric

)

select * from canonicalised
