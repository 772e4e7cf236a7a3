-- Incremental: rebuilds only the changed papers (macros/incremental.sql).

with matches as (

    select * from {{ ref('int_papers_matched_to_topics') }}
    {{ where_changed() }}

),

taxonomy as (

    select topic_id, label from {{ ref('topic_taxonomy') }}

),

papers as (

    select paper_id, first_listed_date, first_listed_week from {{ ref('stg_raw__papers') }}
    {{ where_changed() }}

)

select
    matches.paper_id,
    matches.topic_id,
    taxonomy.label as topic_label,
    papers.first_listed_date,
    papers.first_listed_week,
    matches.matched_keywords,
    matches.matched_keyword_count,
    matches.matched_in_title,
    matches.keyword_hits
from matches
inner join taxonomy
    on matches.topic_id = taxonomy.topic_id
inner join papers
    on matches.paper_id = papers.paper_id
