{#-
  Fails on every row where `expression` is not true (false or NULL). Use it for row-level
  invariants such as `clicks <= impressions`. Applied to a column, the expression is checked
  against that column: `column_name ~ ' ' ~ expression`, e.g. expression: ">= 0".
-#}
{% test expression_is_true(model, expression, column_name=None) %}

select *
from {{ model }}
where not coalesce(
    {% if column_name is none %}({{ expression }}){% else %}({{ column_name }} {{ expression }}){% endif %},
    false
)

{% endtest %}
