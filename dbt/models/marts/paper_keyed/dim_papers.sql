-- Incremental: rebuilds only the changed papers (macros/incremental.sql).

with papers as (

    select * from {{ ref('stg_raw__papers') }}
    {{ where_changed() }}

),

listings as (

    select * from {{ ref('int_paper_listings_aggregated') }}
    {{ where_changed() }}

),

latest_upvotes as (

    -- upvotes grow after a listing: the latest snapshot (the day's fetch, then refetches) is the count
    select
        paper_id,
        cast(upvotes as bigint) as upvotes
    from {{ ref('stg_raw__hf_upvote_snapshots') }}
    where is_latest

),

topics as (

    select
        paper_id,
        list_sort(list(topic_id)) as topics
    from {{ ref('int_papers_matched_to_topics') }}
    {{ where_changed() }}
    group by all

),

mentions as (

    select
        paper_id,
        count(*) as mention_count
    from {{ ref('stg_raw__mentions') }}
    {{ where_changed() }}
    group by all

),

code_links as (

    select * from {{ ref('int_paper_code_links') }}
    {{ where_changed() }}

),

search_lengths as (

    select distinct paper_id, doc_length as search_length
    from {{ ref('search_postings') }}
    {{ where_changed() }}

),

results as (

    select
        paper_id,
        count(*) as result_count
    from {{ ref('stg_raw__results') }}
    {{ where_changed() }}
    group by all

),

final as (

    select
        papers.paper_id,
        papers.arxiv_id,
        case when papers.arxiv_id is not null then 'https://arxiv.org/abs/' || papers.arxiv_id end as arxiv_url,
        coalesce(
            'https://arxiv.org/abs/' || papers.arxiv_id,
            'https://arxiv.org/search/?searchtype=title&query=' || url_encode(papers.title)
        ) as paper_url,
        papers.title,
        papers.abstract,
        papers.first_source,
        papers.first_listed_date,
        papers.first_listed_week,
        listings.last_listed_date,
        listings.sources,
        listings.listing_count,
        coalesce(latest_upvotes.upvotes, listings.upvotes) as upvotes,
        coalesce(topics.topics, cast([] as varchar[])) as topics,
        len(coalesce(topics.topics, cast([] as varchar[]))) as topic_count,
        coalesce(mentions.mention_count, 0) as mention_count,
        coalesce(results.result_count, 0) as result_count,
        coalesce(code_links.code_urls, cast([] as varchar[])) as code_urls,
        coalesce(len(code_links.code_urls) > 0 or code_links.code_link_hidden, false) as has_code,
        hash(papers.paper_id) as search_key,
        coalesce(search_lengths.search_length, 0) as search_length,
        papers.loaded_at,
        papers.updated_at
    from papers
    left join listings
        on papers.paper_id = listings.paper_id
    left join latest_upvotes
        on papers.paper_id = latest_upvotes.paper_id
    left join topics
        on papers.paper_id = topics.paper_id
    left join mentions
        on papers.paper_id = mentions.paper_id
    left join results
        on papers.paper_id = results.paper_id
    left join code_links
        on papers.paper_id = code_links.paper_id
    left join search_lengths
        on papers.paper_id = search_lengths.paper_id

)

select * from final
