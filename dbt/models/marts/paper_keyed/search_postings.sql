-- The search index: one row per term and paper whose title or abstract has it (macros/search.sql cuts the
-- words), with how often (a title's word counting var('search_title_weight') times) and the paper's length
-- in terms counted the same way: what BM25 needs besides each term's paper count, which a query counts from
-- the rows it reads. The serving file's `search` macro ranks papers over it (paperpulse/search.py), on
-- search_key, an integer key of the paper (hash(paper_id), in dim_papers too): cheaper to add up than ids.
-- Unordered here: publishing keeps the serving copy sorted by term, so that a query reads only its terms'
-- row groups (paperpulse/search.py, cluster).
--
-- Incremental: rebuilds only the changed papers (macros/incremental.sql): a day's papers add their rows.

{%- set title_weight = var('search_title_weight') %}

with papers as (

    select
        paper_id,
        first_listed_date,
        {{ search_terms('title') }} as title_terms,
        {{ search_terms('abstract') }} as abstract_terms
    from {{ ref('stg_raw__papers') }}
    {{ where_changed() }}

),

words as (

    select
        paper_id,
        first_listed_date,
        {{ title_weight }} * len(title_terms) + len(abstract_terms) as doc_length,
        unnest(title_terms) as term,
        {{ title_weight }} as weight
    from papers

    union all

    select
        paper_id,
        first_listed_date,
        {{ title_weight }} * len(title_terms) + len(abstract_terms) as doc_length,
        unnest(abstract_terms) as term,
        1 as weight
    from papers

)

select
    term,
    hash(paper_id) as search_key,
    cast(sum(weight) as integer) as tf,
    cast(doc_length as integer) as doc_length,
    paper_id,
    first_listed_date
from words
group by term, paper_id, first_listed_date, doc_length
