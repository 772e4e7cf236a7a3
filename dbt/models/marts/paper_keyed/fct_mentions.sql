-- Incremental: rebuilds only the changed papers (macros/incremental.sql).

with mentions as (

    select * from {{ ref('stg_raw__mentions') }}
    {{ where_changed() }}

),

papers as (

    select paper_id, first_listed_date from {{ ref('stg_raw__papers') }}
    {{ where_changed() }}

)

select
    mentions.mention_id,
    mentions.paper_id,
    papers.first_listed_date,
    mentions.entity_type,
    mentions.canonical,
    mentions.surface,
    mentions.family,
    mentions.size,
    mentions.start_char,
    mentions.end_char,
    mentions.extractor_version
from mentions
inner join papers
    on mentions.paper_id = papers.paper_id
