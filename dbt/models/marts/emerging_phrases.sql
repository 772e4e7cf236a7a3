-- One row per emerging key phrase: a candidate phrase (int_phrases_extracted) in at least
-- `emerging_min_papers` papers of the recent window whose growth over the baseline is at least
-- `emerging_min_growth`, that no taxonomy keyword covers yet (neither contains the other, as whole words)
-- and that no stoplist phrase covers. Nested phrases keep only the longest one that is as frequent.

with phrases as (

    select * from {{ ref('int_phrases_extracted') }}

),

taxonomy_terms as (

    select {{ topic_text("trim(unnest(string_split(keywords, '|')))") }} as term
    from {{ ref('topic_taxonomy') }}

),

stop_phrases as (

    select {{ topic_text('term') }} as term
    from {{ ref('phrase_stoplist') }}
    where contains(trim(term), ' ')

),

-- the most frequent spelling of each phrase, ties broken by the spelling (mode() breaks them at random,
-- and a mart that differs between builds of the same data is republished by a run that changed nothing)
spellings as (

    select
        phrase_key,
        phrase
    from phrases
    group by phrase_key, phrase
    qualify row_number() over (partition by phrase_key order by count(*) desc, phrase) = 1

),

counted as (

    select
        phrase_key,
        any_value(spellings.phrase) as phrase,
        count(distinct paper_id) filter (where trend_window = 'recent') as recent_papers,
        count(distinct paper_id) filter (where trend_window = 'baseline') as baseline_papers,
        min(first_listed_date) as first_seen_date,
        list(distinct paper_id order by paper_id) filter (where trend_window = 'recent') as recent_paper_ids
    from phrases
    inner join spellings using (phrase_key)
    group by phrase_key

),

frequent as (

    select
        *,
        {{ growth('recent_papers', 'baseline_papers') }} as growth,
        {{ topic_text('phrase_key') }} as match_text
    from counted
    where recent_papers >= {{ var('emerging_min_papers') }}
        and {{ growth('recent_papers', 'baseline_papers') }} >= {{ var('emerging_min_growth') }}

),

covered as (

    select distinct frequent.phrase_key
    from frequent
    inner join (select term from taxonomy_terms union select term from stop_phrases) as terms
        on terms.term <> ''
        and (
            regexp_matches(frequent.match_text, '\b' || regexp_escape(terms.term) || '(s|es)?\b')
            or regexp_matches(terms.term, '\b' || regexp_escape(frequent.match_text) || '(s|es)?\b')
        )

),

uncovered as (

    select * from frequent
    anti join covered using (phrase_key)

),

-- "language processing" inside "natural language processing" with as many papers is the same signal
nested as (

    select distinct shorter.phrase_key
    from uncovered as shorter
    inner join uncovered as longer
        on longer.phrase_key <> shorter.phrase_key
        and contains(' ' || longer.phrase_key || ' ', ' ' || shorter.phrase_key || ' ')
        and longer.recent_papers >= shorter.recent_papers

),

emerging as (

    select
        {{ as_of_day(ref('dim_papers')) }} as as_of_day,
        uncovered.phrase_key,
        uncovered.phrase,
        uncovered.recent_papers,
        uncovered.baseline_papers,
        uncovered.growth,
        rank() over (order by uncovered.growth desc, uncovered.recent_papers desc) as rank,
        uncovered.first_seen_date,
        uncovered.recent_paper_ids
    from uncovered
    anti join nested using (phrase_key)

)

select * from emerging
