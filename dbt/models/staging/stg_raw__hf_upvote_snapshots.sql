with source as (

    select * from {{ source('raw', 'hf_upvote_snapshots') }}

),

renamed as (

    select
        md5(concat_ws('|', paper_id, listed_date, observed_at)) as snapshot_id,
        paper_id,
        listed_date,
        observed_at,
        upvotes,
        num_comments,
        github_stars,
        landed_file,
        row_number() over (
            partition by paper_id order by observed_at desc, listed_date desc
        ) = 1 as is_latest
    from source

)

select * from renamed
