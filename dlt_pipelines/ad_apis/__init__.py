"""Ad-platform reporting APIs as dlt sources, each built on dlt's generic ``rest_api`` source.

One module per platform (meta_ads, google_ads, tiktok_ads, linkedin_ads), each a
``@dlt.source`` loading one table, ``ad_report`` (one row per account, ad and day), into
ClickHouse's raw database as ``<platform>__ad_report``. What they share: http.py (errors
that stop a load, the retry rule on top of dlt's), auth.py (tokens, OAuth refresh),
paginators.py (date windows), report.py (the resource, merge keys, incremental with lag).
run.py loads every configured platform (``campaign-analytics load --platforms``).
"""
