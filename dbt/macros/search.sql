{#- Full-text search without DuckDB's fts extension (it cannot be installed offline): the search_postings mart
    is the inverted index, and the serving file's `search` table macro (paperpulse/search.py) ranks papers by
    BM25 over it. Both cut text into terms with search_terms, so a query's words meet the papers' words. -#}

{#- The terms of a text, in order, repeated as often as they occur: LaTeX commands dropped (`\textbf`), lower
    case without accents, runs of letters a-z and digits (other scripts are not indexed: a query compiles this
    pattern, and Unicode classes cost milliseconds), a plural folded to its singular ("models" -> "model",
    "studies" -> "study", "approaches" -> "approach", "classes" -> "class"; a word ending in ss, us or is
    stays), single letters and stopwords left out (single
    digits stay: "GPT-4" is "gpt" and "4"). -#}
{% macro search_terms(expression) -%}
    {%- set stopwords = search_stopwords() %}
    list_filter(
        list_transform(
            regexp_extract_all(
                strip_accents(lower(regexp_replace({{ expression }}, '\\[a-zA-Z]+', ' ', 'g'))), '[a-z0-9]+'
            ),
            lambda w: case
                when len(w) > 4 and suffix(w, 'ies') then left(w, -3) || 'y'
                when len(w) > 4 and (
                    suffix(w, 'ches') or suffix(w, 'shes') or suffix(w, 'sses') or suffix(w, 'xes') or suffix(w, 'zes')
                ) then left(w, -2)
                when len(w) > 3 and suffix(w, 's') and not (suffix(w, 'ss') or suffix(w, 'us') or suffix(w, 'is'))
                    then left(w, -1)
                else w
            end
        ),
        lambda w: (len(w) > 1 or w between '0' and '9')
            and not list_contains([{% for word in stopwords %}'{{ word }}'{{ ', ' if not loop.last }}{% endfor %}], w)
    )
{%- endmacro %}

{#- Function words left out of the index (they are in most abstracts and say nothing of the paper), and what
    arXiv's listings leave of a link ("this https URL"). -#}
{% macro search_stopwords() -%}
    {{ return([
    'a', 'about', 'above', 'across', 'after', 'again', 'against', 'all', 'along', 'also', 'although', 'among',
    'an', 'and', 'another', 'any', 'are', 'around', 'as', 'at', 'be', 'because', 'been', 'before', 'being',
    'below', 'between', 'both', 'but', 'by', 'can', 'could', 'did', 'do', 'does', 'doing', 'done', 'down',
    'during', 'each', 'either', 'else', 'etc', 'even', 'ever', 'every', 'for', 'from', 'further', 'had', 'has',
    'have', 'having', 'here', 'how', 'however', 'if', 'in', 'into', 'is', 'it', 'its', 'itself', 'just', 'may',
    'might', 'more', 'moreover', 'most', 'much', 'must', 'neither', 'no', 'nor', 'not', 'of', 'off', 'often',
    'on', 'once', 'only', 'or', 'other', 'others', 'otherwise', 'our', 'out', 'over', 'own', 'per', 'rather',
    'same', 'should', 'since', 'so', 'some', 'such', 'than', 'that', 'the', 'their', 'them', 'then', 'there',
    'thereby', 'therefore', 'these', 'they', 'this', 'those', 'though', 'through', 'thus', 'to', 'too',
    'toward', 'towards', 'under', 'until', 'up', 'upon', 'us', 'via', 'was', 'we', 'were', 'what', 'when',
    'where', 'whereas', 'whether', 'which', 'while', 'who', 'whom', 'whose', 'why', 'will', 'with', 'within',
    'would', 'yet', 'http', 'https', 'url', 'www',
    ]) }}
{%- endmacro %}

{#- on-run-start: search_terms as a DuckDB macro in the build file, which publishing copies into the serving
    file for the `search` table macro (paperpulse/search.py), so queries are cut exactly as the index. -#}
{% macro create_search_terms_macro() -%}
    create or replace macro main.search_terms(text) as {{ search_terms('text') }}
{%- endmacro %}
