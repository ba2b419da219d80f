{#-
  Fails on every non-NULL value of the column outside [min_value, max_value] (either bound
  optional; `inclusive: false` makes them strict). NULLs are not_null's business.
-#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}

{%- set lower_op = ' >= ' if inclusive else ' > ' -%}
{%- set upper_op = ' <= ' if inclusive else ' < ' -%}
{%- set lower = column_name ~ lower_op ~ min_value if min_value is not none else 'true' -%}
{%- set upper = column_name ~ upper_op ~ max_value if max_value is not none else 'true' -%}

select {{ column_name }}
from {{ model }}
where
    {{ column_name }} is not null
    and not ({{ lower }} and {{ upper }})

{% endtest %}
