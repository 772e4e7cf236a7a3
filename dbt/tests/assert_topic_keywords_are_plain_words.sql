-- int_papers_matched_to_topics matches keywords word by word: a keyword must be words (letters, digits,
-- underscores) separated by spaces or hyphens, at most var('topic_keyword_max_words') of them.
-- Returns each keyword that is not.

with keywords as (

    select
        topic_id,
        trim(unnest(string_split(keywords, '|'))) as keyword
    from {{ ref('topic_taxonomy') }}

)

select
    topic_id,
    keyword
from keywords
where keyword <> ''
    and (
        not regexp_full_match({{ topic_text('keyword') }}, '\w+( \w+)*')
        or len(string_split({{ topic_text('keyword') }}, ' ')) > {{ var('topic_keyword_max_words') }}
    )
