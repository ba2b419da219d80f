"""The metric catalog, read from dbt's manifest: semantic models and metrics, defined once.

dbt parses `dbt_project/models/semantic_layer/*.yml` (MetricFlow's YAML) into manifest.json;
this module turns it into what the compiler needs: for each metric its measures (simple) or
input metrics and the KPI's SQL function (ratio, derived); for each dimension the semantic
model it comes from, its column and how that model joins the fact. Time grains come from the
time spine (`dim_dates`, one `<grain>_start_date` column per grain).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from campaign_analytics.errors import UserFacingError

GRAINS = ("day", "week", "month", "quarter")
TENANT_ENTITY = "advertiser"


class CatalogError(UserFacingError):
    """The manifest is missing or holds no usable metric catalog."""


@dataclass(frozen=True)
class Measure:
    name: str
    agg: str
    column: str
    # ClickHouse aggregate standing in for MetricFlow's (uniqExactMerge for a state column)
    clickhouse_aggregate: str | None = None

    def sql(self, table: str) -> str:
        if self.clickhouse_aggregate:
            return f"{self.clickhouse_aggregate}({table}.`{self.column}`)"
        if self.agg == "sum":
            return f"sum({table}.`{self.column}`)"
        if self.agg == "count_distinct":
            return f"uniqExact({table}.`{self.column}`)"
        raise CatalogError(f"measure {self.name}: aggregation {self.agg} is not supported")


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    description: str
    type: str  # simple, ratio, derived
    measure: str | None  # simple metrics
    inputs: tuple[str, ...]  # ratio: (numerator, denominator); derived: its metrics
    kpi_function: str | None  # the KPI macro registered as a SQL function
    format: str  # count, money, percent, ratio

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "description": self.description,
            "type": self.type,
            "inputs": list(self.inputs) if self.inputs else [self.measure],
            "format": self.format,
        }


@dataclass(frozen=True)
class Join:
    """``alias`` joined on ``left_alias.left_column = alias.right_column``."""

    alias: str
    table: str
    left_alias: str
    left_column: str
    right_column: str


@dataclass(frozen=True)
class Dimension:
    name: str
    description: str
    alias: str  # the semantic model (and SQL alias) it comes from
    column: str
    joins: tuple[Join, ...]  # from the fact, in order
    label: str | None = None  # for an entity: the dimension that names it
    mf_name: str = ""  # MetricFlow's name, e.g. campaign__campaign_name
    is_entity: bool = False  # an id (Int64), not a name


@dataclass(frozen=True)
class Catalog:
    fact_table: str  # the fact's relation name in a build's database (its alias)
    fact_alias: str
    time_column: str
    spine: Join  # the time spine, for the grains
    grain_columns: dict[str, str]
    measures: dict[str, Measure]
    metrics: dict[str, Metric]
    dimensions: dict[str, Dimension]
    tenant: Dimension  # the advertiser entity: every query's scope
    function_prefix: str
    aliases: dict[str, str] = field(default_factory=dict)  # MetricFlow names -> ours

    def resolve_dimension(self, name: str) -> str:
        """Our name for ``name``, which may be MetricFlow's (metric_time__week, entity__dim)."""
        return self.aliases.get(name, name)

    def describe(self) -> dict[str, Any]:
        dims = [*self.dimensions, *GRAINS]
        return {
            "metrics": [m.describe() | {"dimensions": dims} for m in self.metrics.values()],
            "dimensions": [
                {"name": d.name, "description": d.description, "metricflow_name": d.mf_name}
                for d in self.dimensions.values()
            ]
            + [
                {
                    "name": grain,
                    "description": f"the {grain} of the event's day (UTC)",
                    "metricflow_name": f"metric_time__{grain}",
                }
                for grain in GRAINS
            ],
        }

    @classmethod
    def load(cls, manifest_path: Path) -> Catalog:
        try:
            manifest = json.loads(manifest_path.read_text())
        except FileNotFoundError:
            raise CatalogError(
                f"no dbt manifest at {manifest_path}; run `make transform` (dbt build) first"
            ) from None
        return cls.from_manifest(manifest)

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any]) -> Catalog:
        """The catalog of a parsed project. KPI functions are named after the project
        (macros/kpi_functions.sql: `<project>_<kpi>`)."""
        models = {sm["name"]: sm for sm in manifest.get("semantic_models", {}).values()}
        if not models:
            raise CatalogError("the dbt manifest has no semantic models; run `dbt parse`")
        fact = next((sm for sm in models.values() if sm.get("measures")), None)
        if fact is None:
            raise CatalogError("no semantic model with measures in the dbt manifest")
        measures = {
            m["name"]: Measure(
                m["name"],
                m["agg"],
                m.get("expr") or m["name"],
                ((m.get("config") or {}).get("meta") or {}).get("clickhouse_aggregate"),
            )
            for m in fact["measures"]
        }
        metrics = {}
        for node in manifest.get("metrics", {}).values():
            params, meta = node["type_params"], node.get("meta") or {}
            if node["type"] == "simple":
                inputs: tuple[str, ...] = ()
            elif node["type"] == "ratio":
                inputs = (params["numerator"]["name"], params["denominator"]["name"])
            else:
                inputs = tuple(m["name"] for m in params.get("metrics") or [])
            metrics[node["name"]] = Metric(
                name=node["name"],
                label=node.get("label") or node["name"],
                description=" ".join((node.get("description") or "").split()),
                type=node["type"],
                measure=(params.get("measure") or {}).get("name"),
                inputs=inputs,
                kpi_function=meta.get("kpi_function"),
                format=meta.get("format")
                or ("money" if node["name"] in {"spend", "revenue"} else "count"),
            )
        fact_alias = fact["name"]
        time_column = next(d for d in fact["dimensions"] if d["type"] == "time")["name"]
        spine_node = next((n for n in manifest["nodes"].values() if n.get("time_spine")), None)
        if spine_node is None:
            raise CatalogError("the dbt manifest has no time spine (dim_dates)")
        spine_column = spine_node["time_spine"]["standard_granularity_column"]
        spine = Join("dates", spine_node["alias"], fact_alias, time_column, spine_column)
        grain_columns = {"day": spine_column}
        for grain in GRAINS[1:]:
            column = f"{grain}_start_date"
            if column not in spine_node.get("columns", {}):
                raise CatalogError(f"the time spine {spine_node['name']} has no {column}")
            grain_columns[grain] = column
        dimensions, aliases = _dimensions(models, fact)
        tenant = dimensions.get(TENANT_ENTITY)
        if tenant is None:
            raise CatalogError(f"no `{TENANT_ENTITY}` entity reachable from {fact_alias}")
        for grain in GRAINS:
            aliases[f"metric_time__{grain}"] = grain
            aliases[f"{time_column}__{grain}"] = grain
        return cls(
            fact_table=fact["node_relation"]["alias"],
            fact_alias=fact_alias,
            time_column=time_column,
            spine=spine,
            grain_columns=grain_columns,
            measures=measures,
            metrics=metrics,
            dimensions=dimensions,
            tenant=tenant,
            function_prefix=f"{manifest['metadata']['project_name']}_",
            aliases=aliases,
        )


def _primary(model: dict[str, Any]) -> dict[str, Any] | None:
    return next((e for e in model["entities"] if e["type"] == "primary"), None)


def _dimensions(
    models: dict[str, dict[str, Any]], fact: dict[str, Any]
) -> tuple[dict[str, Dimension], dict[str, str]]:
    """Every entity and categorical dimension reachable from the fact through its entities."""
    owners = {primary["name"]: model for model in models.values() if (primary := _primary(model))}
    dimensions: dict[str, Dimension] = {}
    aliases: dict[str, str] = {}
    # breadth first from the fact: (model, joins to reach it)
    frontier: list[tuple[dict[str, Any], tuple[Join, ...]]] = [(fact, ())]
    seen = {fact["name"]}
    while frontier:
        model, joins = frontier.pop(0)
        for entity in model["entities"]:
            if entity["type"] != "foreign" or entity["name"] not in owners:
                continue
            target = owners[entity["name"]]
            if target["name"] in seen:
                continue
            seen.add(target["name"])
            join = Join(
                target["name"],
                target["node_relation"]["alias"],
                model["name"],
                entity.get("expr") or entity["name"],
                _primary(target).get("expr") or entity["name"],  # type: ignore[union-attr]
            )
            path = (*joins, join)
            label = ((target.get("config") or {}).get("meta") or {}).get("label_dimension")
            # the entity's key is on the model that refers to it: no join needed for the id
            dimensions[entity["name"]] = Dimension(
                entity["name"],
                f"{entity['name']} id" + (f", with its {label}" if label else ""),
                model["name"],
                join.left_column,
                joins,
                label=label,
                mf_name=entity["name"],
                is_entity=True,
            )
            for dim in target["dimensions"]:
                if dim["type"] != "categorical":
                    continue
                dimensions[dim["name"]] = Dimension(
                    dim["name"],
                    " ".join((dim.get("description") or "").split()),
                    target["name"],
                    dim.get("expr") or dim["name"],
                    path,
                    mf_name=f"{entity['name']}__{dim['name']}",
                )
                aliases[f"{entity['name']}__{dim['name']}"] = dim["name"]
            frontier.append((target, path))
    return dimensions, aliases
