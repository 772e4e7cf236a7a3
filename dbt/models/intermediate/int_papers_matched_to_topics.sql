-- One row per paper and topic it matches: a paper is in a topic when any of the topic's keywords occurs
-- in its title or abstract as a whole word (hyphens as spaces, case-insensitive, optional plural s/es).

with papers as (

    select
        paper_id,
        {{ topic_text("title || ' ' || abstract") }} as text
    from {{ ref('stg_raw__papers') }}

),

taxonomy as (

    select * from {{ ref('topic_taxonomy') }}

),

keywords as (

    select
        topic_id,
        trim(unnest(string_split(keywords, '|'))) as keyword
    from taxonomy

),

patterns as (

    select
        topic_id,
        keyword,
        '\b' || regexp_escape({{ topic_text('keyword') }}) || '(s|es)?\b' as pattern
    from keywords
    where keyword <> ''

),

matches as (

    select
        papers.paper_id,
        patterns.topic_id,
        patterns.keyword
    from papers
    inner join patterns
        on regexp_matches(papers.text, patterns.pattern)

)

select
    paper_id,
    topic_id,
    list_sort(list(distinct keyword)) as matched_keywords,
    count(distinct keyword) as matched_keyword_count
from matches
group by all
