select
    canonical as task,
    in_lexicon,
    aliases,
    paper_count,
    mention_count,
    first_seen_date,
    last_seen_date
from {{ ref('int_entities_aggregated') }}
where entity_type = 'task'
