"""Event trackers: one per dataset group, an ARN of 8 hex digits and a trackingId UUID, describe, list, delete."""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING

from ..errors import ResourceAlreadyExistsException
from ..resources import EventTracker
from ..timeline import ACTIVE, DELETABLE, DELETING
from .registry import operation

if TYPE_CHECKING:
    from ..models import RegionState


def _ids(group_arn: str, name: str) -> tuple[str, str]:
    """The ARN suffix (8 hex digits) and trackingId (a UUID) of a tracker, derived from its group and name so a
    run is reproducible; the service makes them random, never from the name (facts §2)."""
    digest = hashlib.sha256(f"{group_arn}\n{name}".encode()).digest()
    return digest[:4].hex(), str(uuid.UUID(bytes=digest[4:20], version=4))


@operation("CreateEventTracker")
def create_event_tracker(state: RegionState, p: dict, now: float) -> dict:
    group = state.get(state.dataset_groups, p["datasetGroupArn"])
    state.require_status(group, now, {ACTIVE}, "create an event tracker")
    existing = [t for t in state.event_trackers.values() if t.dataset_group_arn == group.arn]
    if existing:
        # Only one tracker per dataset group (facts §2); a deleting one still counts until it is gone.
        raise ResourceAlreadyExistsException(existing[0].arn)
    # [I] names are unique per account and region, as for every other resource (here the ARN has no name).
    named = [t for t in state.event_trackers.values() if t.name == p["name"] and t.status(now) not in DELETING]
    if named:
        raise ResourceAlreadyExistsException(named[0].arn)
    suffix, tracking_id = _ids(group.arn, p["name"])
    arn = state.arn(f"event-tracker/{suffix}")
    state.ensure_new(state.event_trackers, arn)
    tracker = state.create_resource(
        state.event_trackers,
        EventTracker,
        "event-tracker",
        arn,
        p,
        now,
        dataset_group_arn=group.arn,
        account=state.account,
        tracking_id=tracking_id,
    )
    return {"eventTrackerArn": tracker.arn, "trackingId": tracker.tracking_id}


@operation("DescribeEventTracker")
def describe_event_tracker(state: RegionState, p: dict, now: float) -> dict:
    return state.describe_resource(state.event_trackers, p["eventTrackerArn"], now)


@operation("ListEventTrackers")
def list_event_trackers(state: RegionState, p: dict, now: float) -> dict:
    parent = p.get("datasetGroupArn")
    items = [t for t in state.event_trackers.values() if parent is None or t.dataset_group_arn == parent]
    return state.page("ListEventTrackers", items, p, parent, now)


@operation("DeleteEventTracker")
def delete_event_tracker(state: RegionState, p: dict, now: float) -> dict:
    tracker = state.get(state.event_trackers, p["eventTrackerArn"])
    state.require_status(tracker, now, DELETABLE, "delete the event tracker")
    state.start_delete(tracker, "event-tracker", now)
    return {}
