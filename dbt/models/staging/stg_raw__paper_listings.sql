with source as (

    select * from {{ source('raw', 'paper_listings') }}

),

renamed as (

    select
        paper_id,
        source,
        listed_date,
        extra,
        loaded_at
    from source

)

select * from renamed
