{#- Models keyed by paper are incremental: on an incremental run they rebuild only the papers the pipeline
    changed since the marts were last published (raw.changed_papers, written in the same transaction as
    the change), deleting those papers' rows first, so a paper that changed or vanished leaves nothing
    stale behind. `dbt build --full-refresh` rebuilds them whole, to the same rows; the pipeline does that
    whenever the dbt project or the lexicons change (paperpulse/warehouse.py). -#}

{% macro changed_papers() -%}
    (select paper_id from {{ source('raw', 'changed_papers') }})
{%- endmacro %}

{#- `where` (or `and`) clause keeping the changed papers on an incremental run, nothing on a full one. -#}
{% macro where_changed(column='paper_id', keyword='where') -%}
    {%- if is_incremental() %}{{ keyword }} {{ column }} in {{ changed_papers() }}{% endif -%}
{%- endmacro %}

{#- pre_hook of every paper-keyed incremental model; `also` deletes more rows (a condition). -#}
{% macro delete_changed_papers(also='false') -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where paper_id in {{ changed_papers() }} or ({{ also }})
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
