"""Event tracker and filters end to end: created after the imports, reused on a re-run, conflicts refused early."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.runner import LocalPipeline

from .conftest import EXAMPLE_PARAMS

pytestmark = pytest.mark.e2e

ADULTS = "INCLUDE UserID WHERE Users.AGE >= $MIN_AGE"
NOT_F = 'EXCLUDE UserID WHERE Users.GENDER IN ("F")'


def tracked_params(**changes: str) -> dict[str, Any]:
    """The example params.json with an event tracker and two filters (on the example's Users fields)."""
    params = json.loads(EXAMPLE_PARAMS.read_text())
    params["eventTracker"] = {"name": changes.get("tracker", "retail-demo-tracker")}
    params["filters"] = [
        {"name": "adults", "filterExpression": changes.get("adults", ADULTS)},
        {"name": "not-f", "filterExpression": NOT_F},
    ]
    return params


def test_pipeline_tracker_and_two_filters_succeed_email_tracking_id_rerun_reuses(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN params with an event tracker and two filters
    pipeline = open_pipeline()
    path = write_params("params.json", json.dumps(tracked_params()))

    # WHEN they are uploaded
    first = pipeline.run(path)

    # THEN the run succeeds with one tracker and both filters, ACTIVE and carrying the stack tag
    assert first.status == "SUCCEEDED", first.notification
    inventory = pipeline.inventory()
    assert len(inventory["eventTrackers"]) == 1
    assert [arn.rsplit("/", 1)[-1] for arn in inventory["filters"]] == ["adults", "not-f"]
    personalize = boto3.client("personalize")
    tracker = personalize.describe_event_tracker(eventTrackerArn=inventory["eventTrackers"][0])["eventTracker"]
    assert (tracker["name"], tracker["status"]) == ("retail-demo-tracker", "ACTIVE")
    expressions = {
        arn: personalize.describe_filter(filterArn=arn)["filter"]["filterExpression"] for arn in inventory["filters"]
    }
    assert list(expressions.values()) == [ADULTS, NOT_F]
    tags = personalize.list_tags_for_resource(resourceArn=inventory["filters"][0])["tags"]
    assert {"tagKey": "personalize-pipeline:stack", "tagValue": pipeline.stack.name} in tags
    # AND the e-mail lists the tracker with its trackingId and each filter with its ARN and expression
    assert first.notification is not None
    message = first.notification["message"]
    assert re.search(rf"event tracker\s+retail-demo-tracker \(created\) - trackingId {tracker['trackingId']}", message)
    assert tracker["eventTrackerArn"] in message
    for arn, expression in expressions.items():
        assert re.search(
            rf"filter\s+{arn.rsplit('/', 1)[-1]} \(created\) - expression {re.escape(expression)}\n", message
        )
        assert arn in message

    # WHEN the same params are uploaded again
    second = pipeline.run(path)

    # THEN the tracker and the filters are reused, nothing duplicated
    assert second.status == "SUCCEEDED"
    assert pipeline.inventory() == inventory
    assert second.notification is not None
    assert re.search(r"event tracker\s+retail-demo-tracker \(reused\)", second.notification["message"])
    assert re.search(r"filter\s+adults \(reused\)", second.notification["message"])


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"adults": "INCLUDE UserID WHERE Users.AGE >= 21"},
            f'filterExpression "{ADULTS}", and params ask for "INCLUDE UserID WHERE Users.AGE >= 21"',
        ),
        (
            {"tracker": "another-tracker"},
            "eventTracker.name: dataset group 'retail-demo' already has event tracker 'retail-demo-tracker', and "
            "Personalize allows one per dataset group",
        ),
    ],
)
def test_pipeline_changed_filter_or_tracker_refused_at_load_parameters_naming_both(
    open_pipeline: Callable[..., LocalPipeline],
    write_params: Callable[[str, str], Path],
    changes: dict[str, str],
    problem: str,
) -> None:
    # GIVEN a first run with a tracker and two filters
    pipeline = open_pipeline()
    assert pipeline.run(write_params("params.json", json.dumps(tracked_params()))).status == "SUCCEEDED"
    before = pipeline.inventory()

    # WHEN a filter's expression or the tracker's name changes
    result = pipeline.run(write_params("changed.json", json.dumps(tracked_params(**changes))))

    # THEN the run stops at Load Parameters, naming both sides, and nothing new exists
    assert result.status == "FAILED"
    assert result.notification is not None
    message = result.notification["message"]
    assert "Failed state: Load Parameters" in message and "InvalidParameters" in message
    assert problem in message
    assert pipeline.inventory() == before


def test_pipeline_filter_on_undeclared_dataset_refused_before_any_resource(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN a filter on Items.YEAR while the params declare no Items dataset
    params = tracked_params(adults="INCLUDE ItemID WHERE Items.YEAR >= 1970")
    pipeline = open_pipeline()

    # WHEN uploaded
    result = pipeline.run(write_params("params.json", json.dumps(params)))

    # THEN Load Parameters refuses it, naming the path and the dataset, and nothing is created
    assert result.status == "FAILED"
    assert result.notification is not None
    assert (
        "filters[0].filterExpression: column 22 (Items.YEAR): no Items dataset is declared"
        in (result.notification["message"])
    )
    assert sum(len(arns) for arns in pipeline.inventory().values()) == 0


@pytest.mark.parametrize(
    ("step", "state", "reason"),
    [
        ("event-tracker", "Check Event Tracker", "event tracker 'retail-demo-tracker' is CREATE FAILED"),
        # Both filters are created side by side: either may take the injected failure.
        ("filter", "Check Filter", "is CREATE FAILED: Could not create filter. An internal error occurred."),
    ],
)
def test_pipeline_tracker_or_filter_create_failed_run_fails_naming_state(
    open_pipeline: Callable[..., LocalPipeline],
    write_params: Callable[[str, str], Path],
    step: str,
    state: str,
    reason: str,
) -> None:
    # GIVEN the emulator fails the tracker or the (first) filter like the service does
    pipeline = open_pipeline(fail_steps=[step])
    # WHEN the tracked params are run
    result = pipeline.run(write_params("params.json", json.dumps(tracked_params())))
    # THEN the run fails there, before training, and the e-mail names the state and the reason
    assert result.status == "FAILED"
    assert result.notification is not None
    assert result.notification["subject"] == f"Personalize pipeline FAILED at {state}: ResourceFailed"
    assert reason in result.notification["message"]
    assert pipeline.inventory()["solutionVersions"] == []
