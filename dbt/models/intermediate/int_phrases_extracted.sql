-- One row per paper of the trend windows and candidate key phrase in its title or abstract. A candidate is
-- a run of two or three words inside one clause (punctuation ends a clause) with no word from the
-- stoplist seed and no number: a cheap stand-in for a noun phrase that needs no tagger. The key folds a
-- plural last word ("scaling laws" and "scaling law" are one phrase).

with papers as (

    select
        paper_id,
        first_listed_date,
        {{ trend_window('first_listed_date', as_of_day(ref('dim_papers'))) }} as trend_window,
        lower(title || ' . ' || abstract) as text
    from {{ ref('dim_papers') }}

),

stopwords as (

    select list(lower(trim(term))) as words
    from {{ ref('phrase_stoplist') }}
    where not contains(trim(term), ' ')

),

clauses as (

    select
        paper_id,
        first_listed_date,
        trend_window,
        unnest(regexp_split_to_array(text, '[.,;:!?()\[\]{}"“”]+|\s[-–—]+\s')) as clause
    from papers
    where trend_window is not null

),

words as (

    select
        paper_id,
        first_listed_date,
        trend_window,
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
        starts.trend_window,
        list_slice(starts.words, starts.start_at, starts.start_at + sizes.size - 1) as gram
    from starts
    cross join (select unnest([2, 3]) as size) as sizes
    where starts.start_at + sizes.size - 1 <= len(starts.words)

),

candidates as (

    select
        grams.paper_id,
        grams.first_listed_date,
        grams.trend_window,
        array_to_string(grams.gram, ' ') as phrase
    from grams
    cross join stopwords
    where not list_has_any(grams.gram, stopwords.words)
        -- no numbers, no possessives, no one-letter words
        and not regexp_matches(array_to_string(grams.gram, ' '), '(^| )([0-9]|.( |$))|[''’]')

)

select distinct
    paper_id,
    first_listed_date,
    trend_window,
    regexp_replace(phrase, '([a-z0-9]{2}[^siu\W])s$', '\1') as phrase_key,
    phrase
from candidates
