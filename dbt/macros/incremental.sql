{#- Models keyed by paper are incremental: on an incremental run they rebuild only the papers the pipeline
    changed since the marts were last published (raw.changed_papers, written in the same transaction as
    the change), deleting those papers' rows first, so a paper that changed or vanished leaves nothing
    stale behind. `dbt build --full-refresh` rebuilds them whole, to the same rows; the pipeline does that
    whenever the dbt project or the lexicons change (paperpulse/warehouse/build.py). -#}

{% macro changed_papers() -%}
    (select paper_id from {{ source('raw', 'changed_papers') }})
{%- endmacro %}

{#- `where` (or `and`) clause keeping the changed papers on an incremental run, nothing on a full one. -#}
{% macro where_changed(column='paper_id', keyword='where') -%}
    {%- if is_incremental() %}{{ keyword }} {{ column }} in {{ changed_papers() }}{% endif -%}
{%- endmacro %}

{#- The pre-hook of every paper-keyed incremental model (dbt_project.yml: the paper_keyed folders): delete the changed
    papers' rows; `also` deletes more rows (a condition). A model whose old rows the aggregates need (config
    meta keep_replaced_rows: int_entity_papers) keeps the changed papers' rows first. -#}
{% macro delete_changed_papers(also='false') -%}
    {%- if config.meta_get('keep_replaced_rows', false) -%}
        {{ keep_replaced_rows() }};
    {% endif -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where paper_id in {{ changed_papers() }} or ({{ also }})
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- Aggregates over every paper (an entity's paper count, a pair's papers) rebuild incrementally too: from a
    paper-keyed model that keeps the rows it replaces, each aggregate recomputes only the keys the changed
    papers touch, as they are now and as they were, so a count falls when a paper drops a name. The kept
    rows go once a build has succeeded (paperpulse/warehouse/build.py record_build). -#}

{% macro replaced(relation) -%}
    {% do return(relation.incorporate(path={'identifier': relation.identifier ~ '_replaced'})) %}
{%- endmacro %}

{#- Keep the changed papers' rows, before delete_changed_papers deletes them. A full build starts with nothing
    kept. -#}
{% macro keep_replaced_rows() -%}
    {%- if is_incremental() -%}
        create table if not exists {{ replaced(this) }} as from {{ this }} limit 0;
        insert into {{ replaced(this) }} select * from {{ this }} where paper_id in {{ changed_papers() }}
    {%- else -%}
        drop table if exists {{ replaced(this) }}
    {%- endif -%}
{%- endmacro %}

{#- pre_hook of an incremental aggregate: delete the rows of the keys `touched` (a query) recomputes. -#}
{% macro delete_touched(key, touched) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where ({{ key }}) in ({{ touched }})
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- `where` (or `and`) clause keeping the rows whose `key` is touched, on an incremental run. -#}
{% macro where_touched(key, touched, keyword='where') -%}
    {%- if is_incremental() %}{{ keyword }} ({{ key }}) in ({{ touched }}){% endif -%}
{%- endmacro %}

{#- The keys of each aggregate over int_entity_papers that the changed papers touch, now or before
    (int_entity_papers_changed). -#}
{% macro touched_entities() -%}
    select distinct entity_type, canonical from {{ ref('int_entity_papers_changed') }}
{%- endmacro %}

{% macro touched_entity_weeks() -%}
    select distinct entity_type, canonical, {{ week_of('first_listed_date') }}
    from {{ ref('int_entity_papers_changed') }}
{%- endmacro %}

{% macro touched_model_dataset_pairs() -%}
    select distinct models.canonical as model, datasets.canonical as dataset
    from {{ ref('int_entity_papers_changed') }} as models
    inner join {{ ref('int_entity_papers_changed') }} as datasets
        on models.paper_id = datasets.paper_id
    where models.entity_type = 'model' and datasets.entity_type = 'dataset'
{%- endmacro %}

{% macro week_of(date_expression) -%}
    cast(date_trunc('week', {{ date_expression }}) as date)
{%- endmacro %}
