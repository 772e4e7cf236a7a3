-- One row per paper: what its listings say (which sources listed it, how often, the last day, the upvotes a
-- listing carried). A paper no listing is left for counts as last listed on its first listed day. dim_papers
-- takes these columns, and "today" (macros/trends.sql) is the latest last_listed_date, so the intermediate
-- models that need it (int_phrases_extracted) do not read a mart.
-- Incremental: rebuilds only the changed papers (macros/incremental.sql).

with papers as (

    select paper_id, first_listed_date from {{ ref('stg_raw__papers') }}
    {{ where_changed() }}

),

listings as (

    select
        paper_id,
        list_sort(list(distinct source)) as sources,
        count(*) as listing_count,
        max(listed_date) as last_listed_date,
        -- sources that count votes (Hugging Face daily papers) put them in the listing's extra
        max(try_cast(json_extract_string(extra, '$.upvotes') as bigint)) as upvotes
    from {{ ref('stg_raw__paper_listings') }}
    {{ where_changed() }}
    group by all

)

select
    papers.paper_id,
    coalesce(listings.last_listed_date, papers.first_listed_date) as last_listed_date,
    coalesce(listings.sources, cast([] as varchar[])) as sources,
    coalesce(listings.listing_count, 0) as listing_count,
    listings.upvotes
from papers
left join listings
    on papers.paper_id = listings.paper_id
