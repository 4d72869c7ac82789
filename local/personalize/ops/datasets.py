"""Datasets: one per type in a dataset group, its schema (domain and type checked), UpdateDataset, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InvalidInputException, ResourceInUseException
from ..resources import Dataset, DatasetGroup, DatasetUpdate, Schema
from ..schemas import check_domain, check_fits_dataset_type, check_replacement, normalize_dataset_type
from ..timeline import ACTIVE, DELETABLE, IN_FLIGHT, TRAINING, UPDATE_IN_PROGRESS, UPDATE_PENDING, Lifecycle, follow_up
from .registry import operation

if TYPE_CHECKING:
    from ..models import RegionState


def _schema_for(state: RegionState, schema_arn: str, dataset_type: str, group: DatasetGroup) -> Schema:
    schema = state.get(state.schemas, schema_arn)
    if schema.domain != group.domain:
        raise InvalidInputException(
            f"Schema {schema.arn} is for domain {schema.domain or 'none (Custom)'} but dataset group "
            f"{group.arn} is {group.domain or 'a Custom dataset group'}; they must match."
        )
    check_fits_dataset_type(schema.parsed, dataset_type, schema.arn)
    if schema.domain:
        check_domain(schema.parsed, schema.domain, dataset_type)
    return schema


@operation("CreateDataset")
def create_dataset(state: RegionState, p: dict, now: float) -> dict:
    dataset_type = normalize_dataset_type(p["datasetType"])
    group = state.get(state.dataset_groups, p["datasetGroupArn"])
    state.require_status(group, now, {ACTIVE}, "create a dataset in the dataset group")
    schema = _schema_for(state, p["schemaArn"], dataset_type, group)
    arn = state.arn(f"dataset/{group.name}/{dataset_type}")
    state.ensure_new(state.datasets, arn)
    state.create_resource(
        state.datasets,
        Dataset,
        "dataset",
        arn,
        p,
        now,
        dataset_group_arn=group.arn,
        dataset_type=dataset_type,
        schema_history=[(now, schema.arn)],
    )
    return {"datasetArn": arn}


@operation("DescribeDataset")
def describe_dataset(state: RegionState, p: dict, now: float) -> dict:
    return state.describe_resource(state.datasets, p["datasetArn"], now)


@operation("ListDatasets")
def list_datasets(state: RegionState, p: dict, now: float) -> dict:
    parent = p.get("datasetGroupArn")
    items = [d for d in state.datasets.values() if parent is None or d.dataset_group_arn == parent]
    return state.page("ListDatasets", items, p, parent, now)


@operation("UpdateDataset")
def update_dataset(state: RegionState, p: dict, now: float) -> dict:
    dataset = state.get(state.datasets, p["datasetArn"])
    group = state.get(state.dataset_groups, dataset.dataset_group_arn)
    schema = _schema_for(state, p["schemaArn"], dataset.dataset_type, group)
    state.require_status(dataset, now, {ACTIVE}, "update the dataset")
    current = state.get(state.schemas, dataset.schema_arn(now))
    check_replacement(current.parsed, schema.parsed, dataset.dataset_type, dataset.arn)
    phase = state.update_phase(dataset, "dataset", now)
    statuses = (UPDATE_PENDING, UPDATE_IN_PROGRESS, ACTIVE)
    dataset.update = DatasetUpdate(
        schema_arn=schema.arn,
        lifecycle=Lifecycle(follow_up(now, phase, statuses)),
    )
    dataset.lifecycle.branch(now, follow_up(now, phase, statuses))
    dataset.schema_history.append((now + phase.total, schema.arn))
    state.observe(dataset, now)
    return {"datasetArn": dataset.arn}


@operation("DeleteDataset")
def delete_dataset(state: RegionState, p: dict, now: float) -> dict:
    dataset = state.get(state.datasets, p["datasetArn"])
    state.require_status(dataset, now, DELETABLE, "delete the dataset")
    busy = [j.arn for j in state.import_jobs.values() if j.dataset_arn == dataset.arn and j.status(now) in IN_FLIGHT]
    busy += [
        v.arn
        for v in state.versions.values()
        if v.solution.dataset_group_arn == dataset.dataset_group_arn and v.status(now) in TRAINING
    ]
    if busy:
        raise ResourceInUseException(
            f"Cannot delete dataset {dataset.arn} while these are in progress: {', '.join(sorted(busy))}."
        )
    state.start_delete(dataset, "dataset", now)
    return {}
