-- One row per paper and topic it matches: a paper is in a topic when any of the topic's keywords occurs
-- in its title or abstract as a whole word (hyphens as spaces, case-insensitive, optional plural s/es).
--
-- Same answer as regexp_matches(text, '\b' || keyword || '(s|es)?\b') for every paper and keyword, but
-- without running a regular expression per pair (one per paper and keyword took hours at a million
-- papers). Each text is cut into its words: every run of characters that is neither a word character
-- nor a space becomes ' | ', so splitting on single spaces gives the word runs, in order, with an
-- empty string or '|' between any two that a plain single space does not separate. A keyword
-- (words separated by spaces, see the taxonomy's tests) then occurs as a whole word exactly when its
-- words occur consecutively in that list, the last one optionally followed by s or es: an equality
-- join on the words at each position and the next ones.
--
-- Incremental: rebuilds only the changed papers (macros/incremental.sql).

{%- set max_words = var('topic_keyword_max_words') %}

with papers as (

    select
        paper_id,
        string_split(
            regexp_replace({{ topic_text("title || ' ' || abstract") }}, '[^\w ]+', ' | ', 'g'), ' '
        ) as words
    from {{ ref('stg_raw__papers') }}
    {{ where_changed() }}

),

keywords as (

    select
        topic_id,
        trim(unnest(string_split(keywords, '|'))) as keyword
    from {{ ref('topic_taxonomy') }}

),

keyword_words as (

    select
        topic_id,
        keyword,
        string_split({{ topic_text('keyword') }}, ' ') as words
    from keywords
    where keyword <> ''

),

-- every spelling that matches: the words as written, or with s or es after the last one
spellings as (

    select
        topic_id,
        keyword,
        len(words) as word_count,
        words[:-2] || [words[-1] || unnest(['', 's', 'es'])] as words
    from keyword_words

),

-- each position in each text, with the words that start there
positions as (

    select
        paper_id,
        {%- for n in range(1, max_words + 1) %}
        unnest(words[{{ n }}:]) as word_{{ n }}{{ ',' if not loop.last }}
        {%- endfor %}
    from papers

),

matches as (

    select
        positions.paper_id,
        spellings.topic_id,
        spellings.keyword
    from positions
    inner join spellings
        on positions.word_1 = spellings.words[1]
        {%- for n in range(2, max_words + 1) %}
        and (spellings.word_count < {{ n }} or positions.word_{{ n }} = spellings.words[{{ n }}])
        {%- endfor %}

)

select
    paper_id,
    topic_id,
    list_sort(list(distinct keyword)) as matched_keywords,
    count(distinct keyword) as matched_keyword_count
from matches
group by all
