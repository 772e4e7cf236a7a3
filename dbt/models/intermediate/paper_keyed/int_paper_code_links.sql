-- One row per paper with a link to its code or project page, or an abstract that says its code is at a link:
--   - URLs in the abstract on a code host (github.com, gitlab.com, bitbucket.org, codeberg.org, with an owner
--     in the path) or a project site (<name>.github.io, <name>.gitlab.io), with or without http(s)://;
--   - any http(s) URL a few words after "project page", "project website", "homepage", "website" or "demo";
--   - the GitHub repository a source gives (Hugging Face daily papers: extra.github_repo).
-- Each URL as https://host/path: trailing punctuation, ".git" and "/" dropped, the host lower-cased, "www."
-- and LaTeX's "\_" undone. arXiv's listings print every link as "this https URL": when the sentence says
-- it is the code ("Code is available at this https URL"), code_link_hidden is true and the link is on the
-- paper's arXiv page.
--
-- Incremental: rebuilds only the changed papers (macros/incremental.sql).

{#- the characters of a URL in running text: anything but spaces, quotes, braces and brackets -#}
{%- set url_char = "[^\\s<>\"''{}|\\\\^`\\[\\]]" %}

with papers as (

    select
        paper_id,
        replace(abstract, '\_', '_') as abstract
    from {{ ref('stg_raw__papers') }}
    {{ where_changed() }}

),

found as (

    select paper_id, unnest(regexp_extract_all(
        abstract,
        '(?i)(?:https?://)?(?:www\.)?'
        || '(?:(?:github|gitlab)\.com/|bitbucket\.org/|codeberg\.org/|[\w-]+\.git(?:hub|lab)\.io\b){{ url_char }}*'
    )) as url
    from papers

    union all

    select paper_id, unnest(regexp_extract_all(
        abstract,
        '(?i)\b(?:project\s+(?:page|website|site)|home\s*page|web\s*site|demo)\b[^.!?]{0,40}?'
        || '(https?://{{ url_char }}+)',
        1
    )) as url
    from papers

    union all

    select paper_id, json_extract_string(extra, '$.github_repo') as url
    from {{ ref('stg_raw__paper_listings') }}
    where json_extract_string(extra, '$.github_repo') like 'http%'
    {{ where_changed(keyword='and') }}

),

-- host/path: no scheme, no "www.", no trailing punctuation, ".git" or "/"
addresses as (

    select
        paper_id,
        regexp_replace(
            regexp_replace(regexp_replace(url, '(?i)^(?:https?://)?(?:www\.)?', ''), '[.,;:!?)\]}''"]+$', ''),
            '(?:\.git)?/*$',
            ''
        ) as address
    from found

),

urls as (

    select distinct
        paper_id,
        'https://' || lower(split_part(address, '/', 1)) || substr(address, len(split_part(address, '/', 1)) + 1)
            as url
    from addresses
    -- a host with a dot, and on a code host a path (github.com alone is no repository)
    where address like '%.%'
        and not regexp_matches(lower(address), '^(github\.com|gitlab\.com|bitbucket\.org|codeberg\.org)$')

),

hidden as (

    select paper_id
    from papers
    where regexp_matches(
        abstract,
        '(?i)(?:\b(?:code|codes|codebase|github|implementations?|repository|repo)\b[^.!?]*\bthis https? url'
        || '|\bthis https? url\b[^.!?]*\b(?:code|codes|codebase|github)\b)'
    )

),

linked as (

    select paper_id, list_sort(list(url)) as code_urls
    from urls
    group by paper_id

)

select
    coalesce(linked.paper_id, hidden.paper_id) as paper_id,
    coalesce(linked.code_urls, cast([] as varchar[])) as code_urls,
    hidden.paper_id is not null as code_link_hidden
from linked
full outer join hidden
    on linked.paper_id = hidden.paper_id
