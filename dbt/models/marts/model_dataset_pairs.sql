-- One row per model and dataset named in the same paper (in its mentions or in one of its claims):
-- how many papers name both and how many claims are about the model on the dataset.
-- Incremental: recomputes the pairs the changed papers touch (macros/incremental.sql).
{{ config(pre_hook="{{ delete_touched('model, dataset', touched_model_dataset_pairs()) }}") }}
-- depends_on: {{ ref('int_entity_papers_changed') }}

with entity_papers as (

    select paper_id, entity_type, canonical, first_listed_date from {{ ref('int_entity_papers') }}

),

paper_models as (

    select paper_id, canonical as model, first_listed_date from entity_papers
    where entity_type = 'model'
    {{ where_touched('canonical', 'select model from (' ~ touched_model_dataset_pairs() ~ ')', 'and') }}

),

paper_datasets as (

    select paper_id, canonical as dataset from entity_papers
    where entity_type = 'dataset'
    {{ where_touched('canonical', 'select dataset from (' ~ touched_model_dataset_pairs() ~ ')', 'and') }}

),

claims as (

    select
        model,
        dataset,
        count(*) as claim_count
    from {{ ref('fct_benchmark_results') }}
    where model is not null and dataset is not null
    {{ where_touched('model, dataset', touched_model_dataset_pairs(), 'and') }}
    group by model, dataset

),

pairs as (

    select
        paper_models.model,
        paper_datasets.dataset,
        count(*) as paper_count,
        min(paper_models.first_listed_date) as first_seen_date,
        max(paper_models.first_listed_date) as last_seen_date
    from paper_models
    inner join paper_datasets
        on paper_models.paper_id = paper_datasets.paper_id
    {{ where_touched('paper_models.model, paper_datasets.dataset', touched_model_dataset_pairs()) }}
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
