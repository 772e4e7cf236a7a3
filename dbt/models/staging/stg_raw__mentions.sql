with source as (

    select * from {{ source('raw', 'mentions') }}

),

renamed as (

    select
        md5(concat_ws('|', paper_id, type, start_char, end_char)) as mention_id,
        paper_id,
        type as entity_type,
        surface,
        {{ surface_key('surface') }} as surface_key,
        canonical,
        nullif(trim(family), '') as family,
        nullif(trim(size), '') as size,
        start_char,
        end_char,
        extractor_version
    from source

)

select * from renamed
