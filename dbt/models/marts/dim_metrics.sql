select
    canonical as metric,
    direction,
    unit,
    in_lexicon,
    aliases,
    paper_count,
    mention_count,
    result_count,
    first_seen_date,
    last_seen_date
from {{ ref('int_entities_aggregated') }}
where entity_type = 'metric'
