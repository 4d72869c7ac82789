"""ensure_event_tracker / ensure_filter against a stubbed Personalize client."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from personalize_pipeline.ensure_tracking import ensure_event_tracker, ensure_filter
from personalize_pipeline.errors import ResourceConflict
from personalize_pipeline.polling import PollRecord, next_wait

PREFIX = "arn:aws:personalize:us-east-1:123456789012"
GROUP_ARN = f"{PREFIX}:dataset-group/movies"
TRACKER_ARN = f"{PREFIX}:event-tracker/88291ed2"
TRACKING_ID = "0f9b6c3e-2d4a-4e1b-9c7d-5a6b7c8d9e0f"
FILTER_ARN = f"{PREFIX}:filter/seventies"
EXPRESSION = "INCLUDE ItemID WHERE Items.YEAR >= 1970 AND Items.YEAR < 1980"
TAGS = [{"tagKey": "personalize-pipeline:stack", "tagValue": "demo"}]
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def tracker(name: str = "MovieTracker", status: str = "ACTIVE") -> dict[str, Any]:
    return {
        "name": name,
        "eventTrackerArn": TRACKER_ARN,
        "accountId": "123456789012",
        "trackingId": TRACKING_ID,
        "datasetGroupArn": GROUP_ARN,
        "status": status,
        "creationDateTime": T0,
        "lastUpdatedDateTime": T0,
    }


def summary(name: str = "MovieTracker") -> dict[str, Any]:
    return {"name": name, "eventTrackerArn": TRACKER_ARN, "status": "ACTIVE"}


def a_filter(expression: str = EXPRESSION, group: str = GROUP_ARN, status: str = "ACTIVE") -> dict[str, Any]:
    return {
        "name": "seventies",
        "filterArn": FILTER_ARN,
        "datasetGroupArn": group,
        "filterExpression": expression,
        "status": status,
    }


def not_found(stubber: Stubber, method: str, params: dict[str, str]) -> None:
    stubber.add_client_error(method, "ResourceNotFoundException", expected_params=params)


# ----------------------------------------------------------------------------- event tracker
def test_ensure_event_tracker_none_in_group_created(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a group without a tracker
    stubber.add_response("list_event_trackers", {"eventTrackers": []}, {"datasetGroupArn": GROUP_ARN})
    stubber.add_response(
        "create_event_tracker",
        {"eventTrackerArn": TRACKER_ARN, "trackingId": TRACKING_ID},
        {"name": "MovieTracker", "tags": TAGS, "datasetGroupArn": GROUP_ARN},
    )
    stubber.add_response("list_event_trackers", {"eventTrackers": [summary()]}, {"datasetGroupArn": GROUP_ARN})
    stubber.add_response(
        "describe_event_tracker", {"eventTracker": tracker(status="CREATE PENDING")}, {"eventTrackerArn": TRACKER_ARN}
    )
    # WHEN it is ensured
    record = ensure_event_tracker(personalize, GROUP_ARN, {"name": "MovieTracker", "tags": TAGS})
    # THEN it is created and the record carries the trackingId for the e-mail
    assert record == PollRecord(
        "eventTracker",
        TRACKER_ARN,
        "MovieTracker",
        "CREATE PENDING",
        "created",
        next_wait("eventTracker", 0),
        0,
        {"trackingId": TRACKING_ID},
    )


def test_ensure_event_tracker_same_name_reused(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the group's tracker has the planned name
    stubber.add_response("list_event_trackers", {"eventTrackers": [summary()]}, {"datasetGroupArn": GROUP_ARN})
    stubber.add_response("describe_event_tracker", {"eventTracker": tracker()}, {"eventTrackerArn": TRACKER_ARN})
    # WHEN it is ensured THEN it is reused, ACTIVE
    record = ensure_event_tracker(personalize, GROUP_ARN, {"name": "MovieTracker", "tags": TAGS})
    assert (record.action, record.status, record.details) == ("reused", "ACTIVE", {"trackingId": TRACKING_ID})


def test_ensure_event_tracker_other_name_conflict_names_both(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the group already has a tracker of another name
    stubber.add_response("list_event_trackers", {"eventTrackers": [summary("Old")]}, {"datasetGroupArn": GROUP_ARN})
    stubber.add_response("describe_event_tracker", {"eventTracker": tracker("Old")}, {"eventTrackerArn": TRACKER_ARN})
    # WHEN the planned one is ensured THEN a conflict names both trackers, and nothing is created
    with pytest.raises(ResourceConflict) as raised:
        ensure_event_tracker(personalize, GROUP_ARN, {"name": "MovieTracker", "tags": TAGS})
    assert str(raised.value) == (
        f"event tracker 'MovieTracker' cannot be created: dataset group 'movies' already has event tracker 'Old' "
        f"({TRACKER_ARN}), and a dataset group holds only one. Name it 'Old' in params.json to use it, or delete it "
        "first."
    )


def test_ensure_event_tracker_create_race_adopts_winner(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a concurrent run creates the tracker between the list and the create
    stubber.add_response("list_event_trackers", {"eventTrackers": []}, {"datasetGroupArn": GROUP_ARN})
    stubber.add_client_error("create_event_tracker", "ResourceAlreadyExistsException")
    stubber.add_response("list_event_trackers", {"eventTrackers": [summary()]}, {"datasetGroupArn": GROUP_ARN})
    stubber.add_response("describe_event_tracker", {"eventTracker": tracker()}, {"eventTrackerArn": TRACKER_ARN})
    # WHEN ensured THEN the winner's tracker is adopted
    record = ensure_event_tracker(personalize, GROUP_ARN, {"name": "MovieTracker", "tags": TAGS})
    assert (record.arn, record.action) == (TRACKER_ARN, "reused")


# ----------------------------------------------------------------------------- filter
def test_ensure_filter_absent_created(personalize: Any, stubber: Stubber) -> None:
    # GIVEN no filter of that name
    not_found(stubber, "describe_filter", {"filterArn": FILTER_ARN})
    spec = {"name": "seventies", "filterExpression": EXPRESSION, "tags": TAGS}
    stubber.add_response("create_filter", {"filterArn": FILTER_ARN}, {**spec, "datasetGroupArn": GROUP_ARN})
    stubber.add_response("describe_filter", {"filter": a_filter(status="CREATE PENDING")}, {"filterArn": FILTER_ARN})
    # WHEN it is ensured THEN it is created and the record keeps its expression for the e-mail
    record = ensure_filter(personalize, PREFIX, GROUP_ARN, spec)
    assert record == PollRecord(
        "filter",
        FILTER_ARN,
        "seventies",
        "CREATE PENDING",
        "created",
        next_wait("filter", 0),
        0,
        {"filterExpression": EXPRESSION},
    )


def test_ensure_filter_same_expression_reused(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the filter exists with the planned expression WHEN ensured THEN it is reused
    stubber.add_response("describe_filter", {"filter": a_filter()}, {"filterArn": FILTER_ARN})
    record = ensure_filter(personalize, PREFIX, GROUP_ARN, {"name": "seventies", "filterExpression": EXPRESSION})
    assert (record.action, record.status) == ("reused", "ACTIVE")


def test_ensure_filter_other_expression_conflict_names_both(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the filter exists with another expression
    old = "INCLUDE ItemID WHERE Items.YEAR >= 1960"
    stubber.add_response("describe_filter", {"filter": a_filter(old)}, {"filterArn": FILTER_ARN})
    # WHEN ensured THEN a conflict names both expressions (filters cannot be updated)
    with pytest.raises(ResourceConflict) as raised:
        ensure_filter(personalize, PREFIX, GROUP_ARN, {"name": "seventies", "filterExpression": EXPRESSION})
    assert str(raised.value) == (
        f"filter 'seventies' already exists but differs: its expression is {old!r}; params ask for {EXPRESSION!r}. "
        "Filters cannot be updated: choose a new filter name, or delete the old filter."
    )


def test_ensure_filter_other_group_conflict(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the filter name is taken in another dataset group WHEN ensured THEN a conflict names both groups
    stubber.add_response("describe_filter", {"filter": a_filter(group=f"{PREFIX}:dataset-group/books")}, None)
    with pytest.raises(ResourceConflict) as raised:
        ensure_filter(personalize, PREFIX, GROUP_ARN, {"name": "seventies", "filterExpression": EXPRESSION})
    assert str(raised.value) == (
        "filter 'seventies' already exists but differs: it belongs to dataset group 'books', not 'movies'. "
        "Filters cannot be updated: choose a new filter name, or delete the old filter."
    )
