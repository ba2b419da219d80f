"""dbt-clickhouse on an embedded chDB engine.

The plugin declares ``dependencies=["clickhouse"]``, so dbt resolves every macro and
materialization through dbt-clickhouse (``chdb__`` first, then ``clickhouse__``); only the
connection is new.
"""

from dbt.adapters.base import AdapterPlugin
from dbt.adapters.chdb.connections import ChdbConnectionManager, ChdbCredentials
from dbt.adapters.chdb.impl import ChdbAdapter
from dbt.include import chdb

__all__ = ["ChdbAdapter", "ChdbConnectionManager", "ChdbCredentials", "Plugin"]

Plugin = AdapterPlugin(
    adapter=ChdbAdapter,
    credentials=ChdbCredentials,
    include_path=chdb.PACKAGE_PATH,
    dependencies=["clickhouse"],
)
