{#- Trend windows, shared by every "rising" mart so they all mean the same thing.
    The reference day ("today") is the latest day any source listed a paper in the warehouse, so the
    marts describe the data they hold, not the wall clock (the bundled page from 2024 still has a today).
    recent = the 7 days ending on it; baseline = the 28 days before those (lengths: vars in dbt_project.yml). -#}

{#- `papers_relation` has a paper's last_listed_date: int_paper_listings_aggregated, or dim_papers, which takes it
    from there (the marts read dim_papers, the intermediate models int_paper_listings_aggregated: the same day). -#}
{% macro as_of_day(papers_relation) -%}
    (select max(last_listed_date) from {{ papers_relation }})
{%- endmacro %}

{% macro trend_window(date_expression, as_of_expression) -%}
    case
        when {{ date_expression }} between {{ as_of_expression }} - {{ var('recent_days') }} + 1 and {{ as_of_expression }}
            then 'recent'
        when {{ date_expression }} between {{ as_of_expression }} - {{ var('recent_days') + var('baseline_days') }} + 1
            and {{ as_of_expression }} - {{ var('recent_days') }}
            then 'baseline'
    end
{%- endmacro %}

{#- Growth: papers in the recent window over the baseline's papers per recent-window length, each plus one
    (add-one smoothing: 3 papers after none is growth 4, not infinity; 0 after 0 is 1, flat). -#}
{% macro growth(recent, baseline) -%}
    ({{ recent }} + 1.0) / ({{ baseline }} * {{ var('recent_days') }} / {{ var('baseline_days') }} + 1.0)
{%- endmacro %}
