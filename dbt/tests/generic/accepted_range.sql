{#- The column's values lie between min_value and max_value, both included; nulls pass (as in dbt_utils'
    accepted_range, which this project does without: no package is downloaded). -#}
{% test accepted_range(model, column_name, min_value, max_value) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}

{% endtest %}
