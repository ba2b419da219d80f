{#-
  Click-through attribution: a conversion counts when it happens within
  var('attribution_window_days') days of its click, the boundary itself included.
-#}
{% macro is_within_attribution_window(clicked_at, converted_at) -%}
    toBool({{ converted_at }} <= {{ clicked_at }} + toIntervalDay({{ var('attribution_window_days') }}))
{%- endmacro %}
