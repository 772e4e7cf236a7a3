-- The rows of int_entity_papers of the papers this build changed, as built now and as they were before
-- (macros/incremental.sql): what the incremental entity aggregates recompute. Small: a table, so they
-- read it instead of scanning int_entity_papers for the changed papers each time.
{%- set entity_papers = ref('int_entity_papers') %}
{%- set kept = load_relation(replaced(entity_papers)) %}

select * from {{ entity_papers }}
where paper_id in {{ changed_papers() }}
{%- if kept is not none and not flags.FULL_REFRESH %}
union all
select * from {{ kept }}
{%- endif %}
