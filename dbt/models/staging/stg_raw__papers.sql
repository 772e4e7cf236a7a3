with source as (

    select * from {{ source('raw', 'papers') }}

),

renamed as (

    select
        paper_id,
        arxiv_id,
        title,
        abstract,
        title_key,
        content_hash,
        first_source,
        first_listed_date,
        cast(date_trunc('week', first_listed_date) as date) as first_listed_week,
        loaded_at,
        updated_at
    from source

)

select * from renamed
