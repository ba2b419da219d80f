from typing import Any

from dbt.adapters.base.meta import available
from dbt.adapters.chdb.connections import ChdbConnectionManager, logger
from dbt.adapters.clickhouse.impl import ClickHouseAdapter


class ChdbAdapter(ClickHouseAdapter):
    ConnectionManager = ChdbConnectionManager

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._grants_warned = False

    @classmethod
    def type(cls) -> str:
        return "chdb"

    @available
    def warn_grants_ignored(self, relation: Any) -> None:
        """One warning per invocation: chDB has no users or access control to grant to."""
        if self._grants_warned:
            return
        self._grants_warned = True
        logger.warning(
            f"grants are not applied on the chdb target ({relation} and any other model with "
            "`grants:`): chDB has no users or access control; they apply on a "
            "`type: clickhouse` target"
        )
