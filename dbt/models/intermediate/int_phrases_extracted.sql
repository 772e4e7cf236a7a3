-- One row per paper of the trend windows and candidate key phrase in its title or abstract. A candidate is
-- a run of two or three words inside one clause (punctuation ends a clause) with no word from the
-- stoplist seed and no number: a cheap stand-in for a noun phrase that needs no tagger. The key folds a
-- plural last word ("scaling laws" and "scaling law" are one phrase).
--
-- Incremental: a run extracts the changed papers in the windows (and any in them not extracted yet), and
-- drops the papers that changed or left the windows (macros/incremental.sql). Which window a paper is in
-- moves every day, so the marts work it out from first_listed_date.
{{ config(pre_hook="{{ delete_changed_papers(
    also=trend_window('first_listed_date', as_of_day(ref('int_paper_listings_aggregated'))) ~ ' is null'
) }}") }}

-- the papers first, their texts after: a filter on a subquery does not keep the scan from reading every text
with papers_to_extract as (

    select paper_id
    from {{ ref('stg_raw__papers') }}
    where {{ trend_window('first_listed_date', as_of_day(ref('int_paper_listings_aggregated'))) }} is not null
    {%- if is_incremental() %}
        and (paper_id in {{ changed_papers() }} or paper_id not in (select paper_id from {{ this }}))
    {%- endif %}

),

papers as (

    select
        paper_id,
        first_listed_date,
        lower(title || ' . ' || abstract) as text
    from {{ ref('stg_raw__papers') }}
    semi join papers_to_extract using (paper_id)

),

stopwords as (

    select lower(trim(term)) as word
    from {{ ref('phrase_stoplist') }}
    where not contains(trim(term), ' ')

),

clauses as (

    select
        paper_id,
        first_listed_date,
        unnest(regexp_split_to_array(text, '[.,;:!?()\[\]{}"“”]+|\s[-–—]+\s')) as clause
    from papers

),

words as (

    select
        paper_id,
        first_listed_date,
        regexp_extract_all(clause, '[a-z0-9]+(?:[-/''’][a-z0-9]+)*') as words
    from clauses

),

starts as (

    select
        *,
        unnest(generate_series(1, len(words))) as start_at
    from words

),

grams as (

    select
        starts.paper_id,
        starts.first_listed_date,
        list_slice(starts.words, starts.start_at, starts.start_at + sizes.size - 1) as gram
    from starts
    cross join (select unnest([2, 3]) as size) as sizes
    where starts.start_at + sizes.size - 1 <= len(starts.words)

),

candidates as (

    select
        grams.paper_id,
        grams.first_listed_date,
        array_to_string(grams.gram, ' ') as phrase
    from grams
    -- no word from the stoplist (a gram has two or three words; one lookup each is 70 times faster than
    -- list_has_any against the whole stoplist)
    where not (
            grams.gram[1] in (select word from stopwords)
            or grams.gram[2] in (select word from stopwords)
            or coalesce(grams.gram[3] in (select word from stopwords), false)
        )
        -- no numbers, no possessives, no one-letter words
        and not regexp_matches(array_to_string(grams.gram, ' '), '(^| )([0-9]|.( |$))|[''’]')

)

select distinct
    paper_id,
    first_listed_date,
    regexp_replace(phrase, '([a-z0-9]{2}[^siu\W])s$', '\1') as phrase_key,
    phrase
from candidates
