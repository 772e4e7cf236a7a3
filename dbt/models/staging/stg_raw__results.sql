with source as (

    select * from {{ source('raw', 'results') }}

),

renamed as (

    select
        concat(paper_id, '#', result_index) as result_id,
        paper_id,
        result_index,
        nullif(trim(model), '') as model_surface,
        nullif(trim(dataset), '') as dataset_surface,
        nullif(trim(metric), '') as metric_surface,
        value,
        value_text,
        unit,
        kind,
        nullif(trim(condition), '') as condition,
        evidence,
        extractor_version,
        role,
        confidence,
        leaderboard
    from source

)

select * from renamed
