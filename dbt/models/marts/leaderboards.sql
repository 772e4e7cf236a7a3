-- One row per board (dataset, metric, unit) and model: the model's best absolute score on that board and
-- its rank by the metric's direction. Improvement claims, claims without a model, dataset or metric, and
-- metrics of unknown direction are never ranked. Values in different units are never compared.

with results as (

    select * from {{ ref('fct_benchmark_results') }}

),

rankable as (

    select
        *,
        -- smaller is better after this sign flip, whatever the metric's direction
        case direction when 'lower' then value else -value end as sort_value
    from results
    where kind = 'absolute'
        and direction in ('higher', 'lower')
        and model is not null
        and dataset is not null
        and metric is not null

),

best_per_model as (

    select
        *,
        count(*) over (partition by dataset, metric, unit, model) as claim_count,
        row_number() over (
            partition by dataset, metric, unit, model
            order by sort_value, first_listed_date, paper_id, result_index
        ) as nth_best
    from rankable

),

ranked as (

    select
        dataset,
        metric,
        unit,
        direction,
        rank() over (partition by dataset, metric, unit order by sort_value) as rank,
        model,
        value,
        value_text,
        claim_count,
        paper_id,
        paper_title,
        first_listed_date,
        result_id,
        condition,
        evidence
    from best_per_model
    where nth_best = 1

)

select * from ranked
