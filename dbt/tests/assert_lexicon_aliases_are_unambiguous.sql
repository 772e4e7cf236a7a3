-- An alias that means two canonical entities of the same type makes name resolution arbitrary
-- (it then picks the alphabetically first). Warn, naming the alias, so the lexicon gets fixed.
{{ config(severity='warn') }}

select
    entity_type,
    alias_key,
    list_sort(list(distinct canonical)) as canonicals
from {{ ref('int_lexicon_aliases_unioned') }}
group by all
having count(distinct canonical) > 1
