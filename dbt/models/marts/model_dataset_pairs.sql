-- One row per model and dataset named in the same paper (in its mentions or in one of its claims):
-- how many papers name both and how many claims are about the model on the dataset.

with mentions as (

    select paper_id, entity_type, canonical, first_listed_date from {{ ref('fct_mentions') }}

),

results as (

    select * from {{ ref('fct_benchmark_results') }}

),

paper_models as (

    select paper_id, canonical as model, first_listed_date from mentions where entity_type = 'model'
    union
    select paper_id, model, first_listed_date from results where model is not null

),

paper_datasets as (

    select paper_id, canonical as dataset from mentions where entity_type = 'dataset'
    union
    select paper_id, dataset from results where dataset is not null

),

claims as (

    select
        model,
        dataset,
        count(*) as claim_count
    from results
    where model is not null and dataset is not null
    group by model, dataset

),

pairs as (

    select
        paper_models.model,
        paper_datasets.dataset,
        count(distinct paper_models.paper_id) as paper_count,
        min(paper_models.first_listed_date) as first_seen_date,
        max(paper_models.first_listed_date) as last_seen_date
    from paper_models
    inner join paper_datasets
        on paper_models.paper_id = paper_datasets.paper_id
    group by paper_models.model, paper_datasets.dataset

)

select
    pairs.model,
    pairs.dataset,
    pairs.paper_count,
    coalesce(claims.claim_count, 0) as claim_count,
    pairs.first_seen_date,
    pairs.last_seen_date
from pairs
left join claims
    on pairs.model = claims.model
    and pairs.dataset = claims.dataset
