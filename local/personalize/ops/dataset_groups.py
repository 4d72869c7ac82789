"""Dataset groups: create (role and KMS key, domain, the ACTIVE quota), describe, list, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InvalidInputException, ResourceInUseException
from ..resources import DatasetGroup
from ..timeline import CREATE_FAILED, DELETABLE, DELETING
from .registry import operation

if TYPE_CHECKING:
    from ..models import RegionState


@operation("CreateDatasetGroup")
def create_dataset_group(state: RegionState, p: dict, now: float) -> dict:
    arn = state.arn(f"dataset-group/{p['name']}")
    state.ensure_new(state.dataset_groups, arn)
    if bool(p.get("roleArn")) != bool(p.get("kmsKeyArn")):
        raise InvalidInputException(
            "roleArn and kmsKeyArn go together: a KMS key needs a role that can use it, and a role is "
            "only used for the KMS key."
        )
    alive = sum(1 for g in state.dataset_groups.values() if g.status(now) not in {CREATE_FAILED, *DELETING})
    state.check_quota(alive, state.quotas.active_dataset_groups, "dataset group")
    group = state.create_resource(
        state.dataset_groups,
        DatasetGroup,
        "dataset-group",
        arn,
        p,
        now,
        role_arn=p.get("roleArn"),
        kms_key_arn=p.get("kmsKeyArn"),
        domain=p.get("domain"),
    )
    return {"datasetGroupArn": arn, "domain": group.domain}


@operation("DescribeDatasetGroup")
def describe_dataset_group(state: RegionState, p: dict, now: float) -> dict:
    return state.describe_resource(state.dataset_groups, p["datasetGroupArn"], now)


@operation("ListDatasetGroups")
def list_dataset_groups(state: RegionState, p: dict, now: float) -> dict:
    return state.page("ListDatasetGroups", list(state.dataset_groups.values()), p, None, now)


@operation("DeleteDatasetGroup")
def delete_dataset_group(state: RegionState, p: dict, now: float) -> dict:
    group = state.get(state.dataset_groups, p["datasetGroupArn"])
    state.require_status(group, now, DELETABLE, "delete the dataset group")
    children = [d.arn for d in state.datasets.values() if d.dataset_group_arn == group.arn]
    children += [s.arn for s in state.solutions.values() if s.dataset_group_arn == group.arn]
    children += [t.arn for t in state.event_trackers.values() if t.dataset_group_arn == group.arn]
    # [I] the current docs expect filters removed too; refusing is the safer reading.
    children += [f.arn for f in state.filters.values() if f.dataset_group_arn == group.arn]
    children += [r.arn for r in state.recommenders.values() if r.dataset_group_arn == group.arn]
    if children:
        raise ResourceInUseException(
            f"Cannot delete dataset group {group.arn}: delete its datasets, solutions, event trackers, "
            f"filters and recommenders first ({', '.join(sorted(children))})."
        )
    state.start_delete(group, "dataset-group", now)
    return {}
