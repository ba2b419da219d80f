"""MetricQuery -> one ClickHouse query over a published build, every value a bound parameter.

The inner query sums the measures at the requested grain (joining only the dimensions it
needs, from the catalog's entities); the outer one computes each ratio from those sums with
the SQL function dbt registered from the KPI's macro, so a ratio is always a ratio of sums at
the grain asked for, never an average of daily ratios, and no formula is written here.
Names come from the catalog only; request values travel as `{name:Type}` parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from campaign_analytics.errors import UserFacingError
from campaign_analytics.metrics.catalog import GRAINS, Catalog, Dimension, Join
from campaign_analytics.metrics.query import MetricQuery


class QueryError(UserFacingError):
    """The query names something the catalog does not have; the message lists what it has."""

    def __init__(self, message: str, location: str) -> None:
        super().__init__(message)
        self.location = location


def quote(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


@dataclass
class CompiledQuery:
    sql: str
    parameters: dict[str, Any]
    dimensions: list[str]  # output columns that are dimensions, in order
    metrics: list[str]  # output columns that are metrics, in order
    formats: dict[str, str] = field(default_factory=dict)  # metric -> count, money, ...


@dataclass
class _Builder:
    catalog: Catalog
    database: str
    joins: list[Join] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> str:
        return f"{quote(self.database)}.{quote(name)}"

    def need(self, joins: tuple[Join, ...]) -> None:
        for join in joins:
            if join not in self.joins:
                self.joins.append(join)

    def bind(self, value: Any, kind: str) -> str:
        name = f"p{len(self.parameters)}"
        self.parameters[name] = value
        return f"{{{name}:{kind}}}"

    def column(self, dimension: Dimension) -> str:
        self.need(dimension.joins)
        return f"{quote(dimension.alias)}.{quote(dimension.column)}"

    def grain(self, grain: str) -> str:
        self.need((self.catalog.spine,))
        return f"{quote(self.catalog.spine.alias)}.{quote(self.catalog.grain_columns[grain])}"

    def from_clause(self) -> str:
        fact = self.catalog
        parts = [f"{self.table(fact.fact_table)} as {quote(fact.fact_alias)}"]
        for join in self.joins:
            parts.append(
                f"inner join {self.table(join.table)} as {quote(join.alias)} on "
                f"{quote(join.left_alias)}.{quote(join.left_column)} = "
                f"{quote(join.alias)}.{quote(join.right_column)}"
            )
        return "\n    ".join(parts)


def _unknown(kind: str, name: str, valid: list[str], location: str) -> QueryError:
    return QueryError(f"unknown {kind} {name!r}; valid: {', '.join(valid)}", location)


def _dimension_names(catalog: Catalog) -> list[str]:
    return [*catalog.dimensions, *GRAINS]


def compile_query(
    query: MetricQuery, catalog: Catalog, database: str, tenant: int | None
) -> CompiledQuery:
    """SQL for ``query`` on the published build in ``database``, scoped to advertiser
    ``tenant`` (None: every advertiser, for trusted callers such as the CLI report)."""
    query = query.normalized()
    builder = _Builder(catalog, database)

    # metrics, and the simple metrics (measures) they need
    requested = []
    for i, name in enumerate(query.metrics):
        if name not in catalog.metrics:
            raise _unknown("metric", name, list(catalog.metrics), f"metrics.{i}")
        requested.append(catalog.metrics[name])
    needed: dict[str, str] = {}  # simple metric -> its SQL over the fact
    for metric in requested:
        for simple in (metric.name,) if metric.type == "simple" else metric.inputs:
            input_metric = catalog.metrics.get(simple)
            if input_metric is None or input_metric.type != "simple" or not input_metric.measure:
                raise QueryError(
                    f"metric {metric.name}: input {simple} is not a simple metric", "metrics"
                )
            measure = catalog.measures[input_metric.measure]
            needed[simple] = measure.sql(quote(catalog.fact_alias))

    # group-by columns (an entity brings its label along)
    group_columns: list[tuple[str, str]] = []  # (output name, SQL)
    for i, raw in enumerate(query.group_by):
        name = catalog.resolve_dimension(raw)
        if name in GRAINS:
            group_columns.append((name, builder.grain(name)))
            continue
        dimension = catalog.dimensions.get(name)
        if dimension is None:
            raise _unknown("dimension", raw, _dimension_names(catalog), f"group_by.{i}")
        group_columns.append((name, builder.column(dimension)))
        if dimension.label and dimension.label not in query.group_by:
            label = catalog.dimensions[dimension.label]
            group_columns.append((label.name, builder.column(label)))

    # where: tenant, days, filters
    conditions = []
    if tenant is not None:
        conditions.append(f"{builder.column(catalog.tenant)} = {builder.bind(tenant, 'Int64')}")
    day = f"{quote(catalog.fact_alias)}.{quote(catalog.time_column)}"
    if query.time.start:
        conditions.append(f"{day} >= {builder.bind(query.time.start, 'Date32')}")
    if query.time.end:
        conditions.append(f"{day} <= {builder.bind(query.time.end, 'Date32')}")
    for i, where in enumerate(query.filters):
        name = catalog.resolve_dimension(where.dimension)
        dimension = catalog.dimensions.get(name)
        if dimension is None:
            raise _unknown(
                "dimension", where.dimension, list(catalog.dimensions), f"filters.{i}.dimension"
            )
        conditions.append(_condition(builder, dimension, where.op, where.value, f"filters.{i}"))

    # order: metrics or group-by columns
    outputs = [name for name, _ in group_columns] + [m.name for m in requested]
    ordered: dict[str, str] = {}  # column -> asc/desc; then the group-by columns, ascending
    for i, term in enumerate(query.order_by):
        name = catalog.resolve_dimension(term.removeprefix("-"))
        if name not in outputs:
            raise _unknown("order_by column", term, outputs, f"order_by.{i}")
        ordered.setdefault(name, "desc" if term.startswith("-") else "asc")
    for name, _ in group_columns:
        ordered.setdefault(name, "asc")
    order = [f"{quote(name)} {direction}" for name, direction in ordered.items()]

    inner = [f"{sql} as {quote(name)}" for name, sql in group_columns]
    inner += [f"{sql} as {quote(name)}" for name, sql in needed.items()]
    outer = [quote(name) for name, _ in group_columns]
    for metric in requested:
        if metric.type == "simple":
            outer.append(quote(metric.name))
        else:
            function = f"{catalog.function_prefix}{metric.kpi_function}"
            arguments = ", ".join(quote(name) for name in metric.inputs)
            outer.append(f"{quote(function)}({arguments}) as {quote(metric.name)}")
    sql = (
        f"select {', '.join(outer)}\nfrom (\n    select {', '.join(inner)}\n"
        f"    from {builder.from_clause()}\n"
        + (f"    where {' and '.join(conditions)}\n" if conditions else "")
        + (f"    group by {', '.join(sql for _, sql in group_columns)}\n" if group_columns else "")
        + ")\n"
        + (f"order by {', '.join(order)}\n" if order else "")
        + f"limit {builder.bind(query.limit, 'UInt32')}"
    )
    return CompiledQuery(
        sql=sql,
        parameters=builder.parameters,
        dimensions=[name for name, _ in group_columns],
        metrics=[m.name for m in requested],
        formats={m.name: m.format for m in requested},
    )


def _condition(builder: _Builder, dimension: Dimension, op: str, value: Any, where: str) -> str:
    column = builder.column(dimension)
    values = value if isinstance(value, list) else [value]
    if dimension.is_entity:  # an id
        try:
            values = [int(v) for v in values]
        except (TypeError, ValueError):
            raise QueryError(f"{where}: {dimension.name} is an id; give integers", where) from None
        kind = "Int64"
    else:  # names compare in any case ("google" finds Google)
        column = f"lower({column})"
        values = [str(v).lower() for v in values]
        kind = "String"
    if op in {"eq", "ne"}:
        return f"{column} {'=' if op == 'eq' else '!='} {builder.bind(values[0], kind)}"
    negate = "not " if op == "not_in" else ""
    return f"{column} {negate}in {builder.bind(values, f'Array({kind})')}"
