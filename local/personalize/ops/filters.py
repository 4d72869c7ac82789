"""Filters: the expression checked with the pipeline's own grammar module against the group's datasets, the
per-group quotas (30 filters, 20 distinct fields), describe, list (result key ``Filters``), delete."""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from ..errors import InvalidInputException, LimitExceededException
from ..resources import Filter
from ..timeline import ACTIVE, DELETABLE, DELETING
from .registry import operation

if TYPE_CHECKING:
    from ..models import RegionState

#: Filters per dataset group (facts §9; adjustable).
FILTERS_PER_GROUP = 30
_MODULE = (
    Path(__file__).resolve().parents[3] / "functions" / "shared" / "personalize_pipeline" / "filter_expressions.py"
)
#: The emulator's dataset types (upper case) as filter expressions name them.
_EXPRESSION_NAMES = {"INTERACTIONS": "Interactions", "ITEMS": "Items", "USERS": "Users"}


@functools.cache
def expressions() -> ModuleType:
    """The pipeline's filter_expressions module, loaded from its file: it needs only the standard library and
    lark, and the layer directory is on sys.path only inside a Lambda invocation of the local cloud."""
    spec = importlib.util.spec_from_file_location("emulator_filter_expressions", _MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _group_fields(state: RegionState, group_arn: str, now: float) -> dict[str, dict[str, str | None]]:
    """Dataset type -> {field: type} of the group's datasets as they are now; textual fields are marked so."""
    result: dict[str, dict[str, str | None]] = {}
    for dataset_type, dataset in state.group_datasets(group_arn).items():
        if dataset_type not in _EXPRESSION_NAMES or dataset.status(now) in DELETING:
            continue
        schema = state.schemas[dataset.schema_arn(now)].parsed
        textual = expressions().TEXTUAL
        result[_EXPRESSION_NAMES[dataset_type]] = {f.name: textual if f.textual else f.type for f in schema.fields}
    return result


@operation("CreateFilter")
def create_filter(state: RegionState, p: dict, now: float) -> dict:
    arn = state.arn(f"filter/{p['name']}")
    state.ensure_new(state.filters, arn)
    group = state.get(state.dataset_groups, p["datasetGroupArn"])
    if group.status(now) != ACTIVE:
        # CreateFilter models no ResourceInUseException; a group that cannot hold one is a bad input.
        raise InvalidInputException(f"Dataset group {group.arn} is {group.status(now)}; it must be ACTIVE.")
    module = expressions()
    problems = module.expression_problems(
        p["filterExpression"], "filterExpression", _group_fields(state, group.arn, now)
    )
    if problems:
        raise InvalidInputException(f"Could not create filter. {'; '.join(problems)}")
    siblings = [f for f in state.filters.values() if f.dataset_group_arn == group.arn and f.status(now) not in DELETING]
    if len(siblings) >= FILTERS_PER_GROUP:
        raise LimitExceededException(
            f"Cannot create filter: dataset group {group.arn} already has {FILTERS_PER_GROUP} filters."
        )
    fields = module.parse(p["filterExpression"]).fields
    used = frozenset().union(fields, *(f.fields for f in siblings))
    if len(used) > module.MAX_FIELDS_PER_GROUP:
        raise LimitExceededException(
            f"Cannot create filter: the filters of dataset group {group.arn} would use {len(used)} distinct fields; "
            f"at most {module.MAX_FIELDS_PER_GROUP} are allowed."
        )
    state.create_resource(
        state.filters,
        Filter,
        "filter",
        arn,
        p,
        now,
        dataset_group_arn=group.arn,
        expression=p["filterExpression"],
        fields=fields,
    )
    return {"filterArn": arn}


@operation("DescribeFilter")
def describe_filter(state: RegionState, p: dict, now: float) -> dict:
    return state.describe_resource(state.filters, p["filterArn"], now)


@operation("ListFilters")
def list_filters(state: RegionState, p: dict, now: float) -> dict:
    parent = p.get("datasetGroupArn")
    items = [f for f in state.filters.values() if parent is None or f.dataset_group_arn == parent]
    result = state.page("ListFilters", items, p, parent, now)
    # The one List result key with a capital letter (service model and paginators-1.json).
    result["Filters"] = result.pop("filters")
    return result


@operation("DeleteFilter")
def delete_filter(state: RegionState, p: dict, now: float) -> dict:
    found = state.get(state.filters, p["filterArn"])
    state.require_status(found, now, DELETABLE, "delete the filter")
    state.start_delete(found, "filter", now)
    return {}
