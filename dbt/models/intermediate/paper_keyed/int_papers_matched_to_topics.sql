-- One row per paper and taxonomy topic it matches. A keyword occurs in a text as a whole word (hyphens as
-- spaces, case-insensitive, optional plural s/es); a paper is in a topic when one of the topic's keywords
-- occurs in its title, or its keywords occur at least twice in the title and abstract (two keywords, or one
-- twice). One passing use in the abstract is not what a paper is about: Squeezeformer, a speech model,
-- matched "Large language models" on "without external language models".
--
-- Same occurrences as regexp_matches(text, '\b' || keyword || '(s|es)?\b') finds for every paper and
-- keyword, but without running a regular expression per pair (one per paper and keyword took hours at a
-- million papers). Each text is cut into its words: every run of characters that is neither a word
-- character nor a space becomes ' | ', so splitting on single spaces gives the word runs, in order, with an
-- empty string or '|' between any two that a plain single space does not separate. A keyword (words
-- separated by spaces, see the taxonomy's tests) then occurs as a whole word exactly when its words occur
-- consecutively in that list, the last one optionally followed by s or es: an equality join on the words
-- at each position and the next ones. The title's words come first, then '|' (no phrase runs from the
-- title into the abstract), then the abstract's.
--
-- Incremental: rebuilds only the changed papers (macros/incremental.sql).

{%- set max_words = var('topic_keyword_max_words') %}

with papers as (

    select
        paper_id,
        {{ topic_words('title') }} as title_words,
        {{ topic_words('abstract') }} as abstract_words
    from {{ ref('stg_raw__papers') }}
    {{ where_changed() }}

),

texts as (

    select
        paper_id,
        len(title_words) as title_length,
        title_words || ['|'] || abstract_words as words
    from papers

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
        {{ topic_text('keyword') }} as keyword_key,  -- "state-space model" and "state space model" are one
        string_split({{ topic_text('keyword') }}, ' ') as words
    from keywords
    where keyword <> ''

),

-- every spelling that matches: the words as written, or with s or es after the last one
spellings as (

    select
        topic_id,
        keyword,
        keyword_key,
        len(words) as word_count,
        words[:-2] || [words[-1] || unnest(['', 's', 'es'])] as words
    from keyword_words

),

-- each position in each text, with the words that start there
positions as (

    select
        paper_id,
        title_length,
        unnest(range(1, len(words) + 1)) as position,
        {%- for n in range(1, max_words + 1) %}
        unnest(words[{{ n }}:]) as word_{{ n }}{{ ',' if not loop.last }}
        {%- endfor %}
    from texts

),

matches as (

    select
        positions.paper_id,
        spellings.topic_id,
        spellings.keyword,
        spellings.keyword_key,
        positions.position,
        positions.position <= positions.title_length as in_title
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
    count(distinct keyword) as matched_keyword_count,
    bool_or(in_title) as matched_in_title,
    count(distinct (keyword_key, position)) as keyword_hits
from matches
group by all
having bool_or(in_title) or count(distinct (keyword_key, position)) >= 2
