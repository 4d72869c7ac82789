"""Event tracker and filters: find, reuse or create, like every other kind (see ensure.py).

A dataset group holds one event tracker, whose ARN ends in an id Personalize picks (not its name), so the
tracker is found by listing the group's trackers. A filter's ARN is ``filter/<name>``; filters cannot be
updated, so an existing filter with another expression (or in another dataset group) is a conflict naming both.
Load Parameters refuses both cases before anything is created (existing.py); these checks catch what changed
since, e.g. a concurrent run.
"""

from __future__ import annotations

from typing import Any

from .ensure import _create_or_adopt, _list_all, _record
from .errors import ResourceConflict
from .polling import PollRecord
from .resources import describe, name_from_arn


def _tracker_conflict(existing: dict[str, Any], wanted: str, dataset_group_arn: str) -> ResourceConflict | None:
    if existing["name"] == wanted:
        return None
    return ResourceConflict(
        f"event tracker '{wanted}' cannot be created: dataset group '{name_from_arn(dataset_group_arn)}' already has "
        f"event tracker '{existing['name']}' ({existing['eventTrackerArn']}), and a dataset group holds only one. "
        f"Name it '{existing['name']}' in params.json to use it, or delete it first."
    )


def ensure_event_tracker(client: Any, dataset_group_arn: str, spec: dict[str, Any]) -> PollRecord:
    """The group's tracker named ``spec["name"]``: reused if there, else created (a concurrent run's adopted)."""
    name = spec["name"]

    def read() -> dict[str, Any] | None:
        found = _list_all(client, "list_event_trackers", "eventTrackers", datasetGroupArn=dataset_group_arn)
        return describe(client, "eventTracker", found[0]["eventTrackerArn"]) if found else None

    existing = read()
    if existing is None:
        existing, action = _create_or_adopt(
            lambda: client.create_event_tracker(**spec, datasetGroupArn=dataset_group_arn), read
        )
    else:
        action = "reused"
    conflict = _tracker_conflict(existing, name, dataset_group_arn)
    if conflict:
        raise conflict
    arn = existing["eventTrackerArn"]
    return _record("eventTracker", arn, name, existing, action, trackingId=existing["trackingId"])


def _filter_conflict(existing: dict[str, Any], spec: dict[str, Any], dataset_group_arn: str) -> ResourceConflict | None:
    differences = []
    if existing.get("filterExpression") != spec["filterExpression"]:
        differences.append(
            f"its expression is {existing.get('filterExpression')!r}; params ask for {spec['filterExpression']!r}"
        )
    if existing.get("datasetGroupArn") != dataset_group_arn:
        differences.append(
            f"it belongs to dataset group '{name_from_arn(existing.get('datasetGroupArn') or '')}', not "
            f"'{name_from_arn(dataset_group_arn)}'"
        )
    if not differences:
        return None
    return ResourceConflict(
        f"filter '{spec['name']}' already exists but differs: {'; '.join(differences)}. Filters cannot be updated: "
        "choose a new filter name, or delete the old filter."
    )


def ensure_filter(client: Any, arn_prefix: str, dataset_group_arn: str, spec: dict[str, Any]) -> PollRecord:
    """The filter at its predictable ARN: reused when its expression and group match, else created."""
    name = spec["name"]
    arn = f"{arn_prefix}:filter/{name}"
    existing = describe(client, "filter", arn)
    action = "reused"
    if existing is None:
        existing, action = _create_or_adopt(
            lambda: client.create_filter(**spec, datasetGroupArn=dataset_group_arn),
            lambda: describe(client, "filter", arn),
        )
    conflict = _filter_conflict(existing, spec, dataset_group_arn)
    if conflict:
        raise conflict
    return _record("filter", arn, name, existing, action, filterExpression=existing["filterExpression"])
