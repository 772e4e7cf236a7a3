{#- One metric, one unit: a claimed value brought to its metric's unit (extract/lexicons/metrics.csv), or null
    when the unit it was written in cannot be (a "%" claimed for a metric in ms, a bare number for one in ms).

    - the same unit: the value as written;
    - a metric in "%": percentage points ("points", "pp") are percentages, and a bare number between 0 and 1
      is a fraction of one, so 0.853 is 85.3 and "8/644" (read as 8 / 644) is 1.24; a bare number above 1 is
      already a percentage;
    - a metric without a unit (''), in "x" or in "dB": a bare number is in that unit; "points" are too for ''
      ("an Elo of 1200 points");
    - times (ms, s, sec, seconds, minutes, hours, h), counts (M, G, T, as in GFLOPs) and sizes (MB, GB) convert
      within their kind: 1.2 s is 1200 ms.
    A computed value is rounded to 10 decimals, so 0.853 becomes 85.3, not 85.30000000000001. -#}
{% macro value_in_metric_unit(value, unit, metric_unit) -%}
    case
        when {{ metric_unit }} is null then null
        when {{ unit }} = {{ metric_unit }} then {{ value }}
        when {{ metric_unit }} = '%' and {{ unit }} in ('points', 'pp') then {{ value }}
        when {{ metric_unit }} = '%' and {{ unit }} = '' then
            case when {{ value }} between 0 and 1 then round({{ value }} * 100, 10) else {{ value }} end
        when {{ metric_unit }} in ('', 'x', 'dB') and {{ unit }} = '' then {{ value }}
        when {{ metric_unit }} = '' and {{ unit }} = 'points' then {{ value }}
        when {{ unit_kind(unit) }} = {{ unit_kind(metric_unit) }}
            then round({{ value }} * {{ unit_scale(unit) }} / {{ unit_scale(metric_unit) }}, 10)
    end
{%- endmacro %}

{% macro unit_kind(unit) -%}
    case
        when {{ unit }} in ('ms', 's', 'sec', 'seconds', 'minutes', 'hours', 'h') then 'time'
        when {{ unit }} in ('M', 'G', 'T') then 'count'
        when {{ unit }} in ('MB', 'GB') then 'bytes'
    end
{%- endmacro %}

{% macro unit_scale(unit) -%}
    case {{ unit }}
        when 'ms' then 0.001 when 's' then 1 when 'sec' then 1 when 'seconds' then 1
        when 'minutes' then 60 when 'hours' then 3600 when 'h' then 3600
        when 'M' then 1e6 when 'G' then 1e9 when 'T' then 1e12
        when 'MB' then 1e6 when 'GB' then 1e9
    end
{%- endmacro %}
