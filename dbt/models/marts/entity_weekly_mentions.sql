-- One row per entity (model, dataset or metric) and ISO week in which a paper first listed that week
-- names it. Sparse: weeks without a mention have no row.

with mentions as (

    select * from {{ ref('fct_mentions') }}

)

select
    entity_type,
    canonical as entity,
    cast(date_trunc('week', first_listed_date) as date) as week_start,
    count(distinct paper_id) as papers,
    count(*) as mentions
from mentions
group by entity_type, canonical, cast(date_trunc('week', first_listed_date) as date)
