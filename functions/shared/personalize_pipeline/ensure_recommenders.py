"""Recommenders of a Domain dataset group: create, reuse, or update the config (UpdateRecommender).

A recommender is found by its predictable ARN (``recommender/<name>``, names are account-wide). Its recipe
(the domain use case) and its dataset group cannot change: a different one is a conflict naming both. A
changed ``recommenderConfig`` is applied with UpdateRecommender, deferred (like a campaign's update) while
the recommender is still being created, updated or started. A stopped (INACTIVE) recommender is not
started again: someone stopped it, most likely to stop its billing, so the run fails asking them to start
it (``ensure._fail_if_unusable``); the pipeline therefore needs no StartRecommender permission.
"""

from __future__ import annotations

from typing import Any

from .ensure import _conflict, _differences, _fail_if_unusable, _find_or_create, _history, _record, _took_seconds, check
from .errors import ResourceFailed
from .polling import PollRecord, new_record
from .resources import describe, effective_status
from .status import Phase, phase_of

#: What the service fills in when the request leaves it out (minRecommendationRequestsPerSecond, min 1).
CONFIG_DEFAULTS = {"minRecommendationRequestsPerSecond": 1}


def _not_retried(arn: str) -> str:
    # Unlike a job, a failed recommender keeps its name (names are account-wide): only deleting it frees it.
    # The pipeline does not delete it itself (no DeleteRecommender grant): the user decides.
    return (
        "A failed recommender is not retried in place: fix the cause, delete it (aws personalize "
        f"delete-recommender --recommender-arn {arn}), wait until it is gone, then upload the parameters again."
    )


def wanted_config(spec: dict[str, Any]) -> dict[str, Any]:
    """The recommenderConfig the params ask for, with the service's defaults filled in."""
    return {**CONFIG_DEFAULTS, **(spec.get("recommenderConfig") or {})}


def ensure_recommender(client: Any, arn_prefix: str, dataset_group_arn: str, spec: dict[str, Any]) -> PollRecord:
    """Create the recommender, reuse it, or update its config; the record says which."""
    name = spec["name"]
    arn = f"{arn_prefix}:recommender/{name}"
    request = {**spec, "datasetGroupArn": dataset_group_arn}
    existing, action = _find_or_create(client, "recommender", arn, lambda: client.create_recommender(**request))
    details = {"datasetGroupArn": dataset_group_arn, "recipeArn": spec["recipeArn"]}
    if action == "created":
        return _record("recommender", arn, name, existing, action, **details)
    fixed = _differences({"recipeArn": spec["recipeArn"], "datasetGroupArn": dataset_group_arn}, existing)
    if fixed:
        raise _conflict(
            "recommender",
            name,
            fixed,
            "A recommender's recipe and dataset group cannot change: choose another recommender name, "
            "or delete the existing one.",
        )
    if existing.get("status") == "CREATE FAILED":
        reason = existing.get("failureReason") or "no reason given by Personalize"
        raise ResourceFailed(f"recommender '{name}' is CREATE FAILED: {reason}. {_not_retried(arn)}")
    update = existing.get("latestRecommenderUpdate") or {}
    # A failed update leaves the recommender ACTIVE on its previous config: compare with that one, and
    # updating again is the retry. Otherwise the config asked for last (an update in flight included) counts.
    failed_update = existing.get("status") == "ACTIVE" and phase_of(update.get("status", "")) is Phase.FAILED
    resource = {**existing, "latestRecommenderUpdate": None} if failed_update else existing
    current = (None if failed_update else update.get("recommenderConfig")) or existing.get("recommenderConfig") or {}
    wanted = wanted_config(spec)
    if not _differences(wanted, current):
        return _record("recommender", arn, name, resource, action, **details)
    status, _ = effective_status("recommender", resource)
    if phase_of(status) is Phase.IN_PROGRESS:
        return new_record("recommender", arn, name, status, "updated", pendingUpdate=True, **details)
    _fail_if_unusable("recommender", name, resource)  # failed, stopped or being deleted: no update
    # Only an earlier update tells how long this one takes; a creation also trains, which an update may not.
    history = _history([_took_seconds(update)]) if update else {}
    client.update_recommender(recommenderArn=arn, recommenderConfig=wanted)
    updated = describe(client, "recommender", arn) or existing
    return _record("recommender", arn, name, updated, "updated", **details, **history)


def check_recommender(client: Any, arn_prefix: str, record: PollRecord, spec: dict[str, Any]) -> PollRecord:
    """Poll the recommender; apply a deferred config update as soon as it is ACTIVE."""
    try:
        polled = check(client, record)
    except ResourceFailed as error:
        failed = describe(client, "recommender", record.arn) or {}
        if failed.get("status") == "CREATE FAILED":  # not a failed update, which a new upload retries
            raise ResourceFailed(f"{error}. {_not_retried(record.arn)}") from error
        raise
    if not record.details.get("pendingUpdate") or polled.status != "ACTIVE":
        return polled
    updated = ensure_recommender(client, arn_prefix, record.details["datasetGroupArn"], spec)
    updated.waitedSeconds = polled.waitedSeconds
    return updated
