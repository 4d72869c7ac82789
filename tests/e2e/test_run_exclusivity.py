"""One run at a time per dataset group, through the real ASL, IAM and Step Functions APIs."""

from __future__ import annotations

import json
from collections.abc import Callable

import boto3
import pytest

from local.deploy import execution_history, wait_for_execution
from local.runner import LocalPipeline

from .conftest import EXAMPLE_PARAMS

pytestmark = pytest.mark.e2e


def counts(pipeline: LocalPipeline) -> dict[str, int]:
    return {kind: len(arns) for kind, arns in pipeline.inventory().items()}


def older_first(*arns: str) -> list[dict]:
    descriptions = [wait_for_execution(arn) for arn in arns]
    return sorted(descriptions, key=lambda d: (d["startDate"], d["executionArn"]))


def test_second_upload_while_a_run_is_active_is_refused_with_an_email_naming_the_running_execution(
    open_pipeline: Callable[..., LocalPipeline],
) -> None:
    # GIVEN the deployed stack and the example data
    pipeline = open_pipeline()
    # WHEN the params are uploaded twice, the second time while the first run is active
    first_arn, second_arn = pipeline.start(EXAMPLE_PARAMS), pipeline.start(EXAMPLE_PARAMS)
    running, refused = older_first(first_arn, second_arn)
    notifications = pipeline.inbox.receive()
    # THEN the older run succeeds alone, the other fails with RunInProgress naming it, before touching anything
    assert (running["status"], refused["status"], refused["error"]) == ("SUCCEEDED", "FAILED", "RunInProgress")
    assert running["executionArn"] in refused["cause"]
    # AND each run sent its e-mail; the refusal names the dataset group and the running execution
    subjects = sorted(n.subject for n in notifications)
    assert subjects == [
        "Personalize pipeline FAILED at Look for Other Runs: RunInProgress",
        "Personalize pipeline succeeded: retail-demo -> retail-user-personalization-campaign",
    ]
    refusal = next(n.message for n in notifications if "RunInProgress" in (n.subject or ""))
    assert refusal.startswith("The Amazon Personalize pipeline for dataset group 'retail-demo' failed.\n")
    assert f"execution {running['executionArn']} is already running for dataset group 'retail-demo'" in refusal
    assert "No Personalize resource was created or touched by this run." in refusal
    # AND nothing was created twice: a third upload finds everything in place
    after = counts(pipeline)
    third = pipeline.run(EXAMPLE_PARAMS)
    assert third.notification is not None and third.status == "SUCCEEDED"
    assert "0 resource(s) created, updated or resumed; 10 reused unchanged" in third.notification["message"]
    assert counts(pipeline) == after


def test_same_s3_event_delivered_twice_runs_once_and_emails_once(open_pipeline: Callable[..., LocalPipeline]) -> None:
    # GIVEN a run started by an upload
    pipeline = open_pipeline()
    first_arn = pipeline.start(EXAMPLE_PARAMS)
    sfn = boto3.client("stepfunctions")
    event = sfn.describe_execution(executionArn=first_arn)["input"]
    # WHEN EventBridge delivers the same S3 event again (a second execution with the same input)
    second_arn = sfn.start_execution(stateMachineArn=pipeline.stack.state_machine_arn, name="redelivered", input=event)[
        "executionArn"
    ]
    original, duplicate = older_first(first_arn, second_arn)
    notifications = pipeline.inbox.receive()
    # THEN both succeed, the later one at Duplicate Delivery without creating anything, and one e-mail is sent
    assert (original["status"], duplicate["status"]) == ("SUCCEEDED", "SUCCEEDED")
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in execution_history(duplicate["executionArn"])
        if e["type"].endswith("StateEntered")
    ]
    assert entered[-1] == "Duplicate Delivery" and "Create Dataset Group" not in entered
    assert [n.subject for n in notifications] == [
        "Personalize pipeline succeeded: retail-demo -> retail-user-personalization-campaign"
    ]
    assert json.loads(duplicate["input"]) == json.loads(original["input"])
