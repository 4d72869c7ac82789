"""Schemas: created ACTIVE at once, immutable, deletable only while no dataset uses them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ResourceInUseException
from ..resources import Schema
from ..schemas import check_domain, domain_dataset_type, parse_schema
from ..timeline import ACTIVE, Lifecycle, Transition
from .registry import operation

if TYPE_CHECKING:
    from ..models import RegionState


@operation("CreateSchema")
def create_schema(state: RegionState, p: dict, now: float) -> dict:
    arn = state.arn(f"schema/{p['name']}")
    state.ensure_new(state.schemas, arn)
    state.check_quota(len(state.schemas), state.quotas.schemas, "schema")
    parsed = parse_schema(p["schema"])
    if p.get("domain"):
        check_domain(parsed, p["domain"], domain_dataset_type(parsed, p["domain"]))
    state.schemas[arn] = Schema(
        arn=arn,
        name=p["name"],
        lifecycle=Lifecycle([Transition(now, ACTIVE)]),
        text=p["schema"],
        parsed=parsed,
        domain=p.get("domain"),
    )
    return {"schemaArn": arn}


@operation("DescribeSchema")
def describe_schema(state: RegionState, p: dict, now: float) -> dict:
    return {"schema": state.get(state.schemas, p["schemaArn"]).describe(now)}


@operation("ListSchemas")
def list_schemas(state: RegionState, p: dict, now: float) -> dict:
    return state.page("ListSchemas", list(state.schemas.values()), p, None, now)


@operation("DeleteSchema")
def delete_schema(state: RegionState, p: dict, now: float) -> dict:
    schema = state.get(state.schemas, p["schemaArn"])
    if any(schema.arn in d.referenced_schemas() for d in state.datasets.values()):
        raise ResourceInUseException(f"Schema {schema.arn} is still in-use by another dataset.")
    del state.schemas[schema.arn]
    return {}
