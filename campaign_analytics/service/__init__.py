"""The insights service: a metrics API over the published marts (`campaign-analytics serve`)."""
