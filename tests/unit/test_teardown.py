"""The teardown core without AWS: delete.json validation, schema names, the deadline, the pipeline-run check
and the e-mails."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from personalize_pipeline import errors, naming
from personalize_pipeline.teardown import (
    DELETE_POLICIES,
    KEPT_LISTED,
    _listed,
    advance,
    error_message,
    outcome_message,
    parse_request,
    pipeline_runs_verdict,
    refusal_message,
    schema_name_pattern,
)

SOURCE = "s3://bucket/delete.json"
PREFIX = "arn:aws:personalize:us-east-1:123456789012"


def problems(body: bytes) -> list[str]:
    with pytest.raises(errors.InvalidParameters) as refused:
        parse_request(body, SOURCE)
    return refused.value.problems


def test_parse_request_valid_returns_the_group_name() -> None:
    assert parse_request(b'\xef\xbb\xbf{"datasetGroup": {"name": "shop-demo"}}', SOURCE) == "shop-demo"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", [f"{SOURCE}: the file is empty; expected " + '{"datasetGroup": {"name": "<dataset group name>"}}']),
        (b'{"datasetGroup": ', [f"{SOURCE} line 1 column 18: invalid JSON: Expecting value"]),
        (
            b"[]",
            [
                f"{SOURCE}: expected a JSON object "
                + '{"datasetGroup": {"name": "<dataset group name>"}} at the top level'
            ],
        ),
        (b"\xff", [f"{SOURCE}: not UTF-8 text (invalid byte at offset 0); save it as UTF-8"]),
        (
            b'{"datasetGroup": {"name": "shop", "force": true}, "solutions": []}',
            [
                f"{SOURCE}: unknown key 'solutions'; the only key is 'datasetGroup'",
                f"{SOURCE}: datasetGroup.force: unknown key; the only key is 'name'",
            ],
        ),
        (b'{"datasetGroup": "shop"}', [f'{SOURCE}: datasetGroup must be an object {{"name": "..."}}, got str']),
        (b'{"datasetGroup": {}}', [f"{SOURCE}: datasetGroup.name is missing"]),
        (
            b"{}",
            [f"{SOURCE}: datasetGroup is missing; expected " + '{"datasetGroup": {"name": "<dataset group name>"}}'],
        ),
        (
            b'{"datasetGroup": {"name": "shop demo"}}',
            [
                f'{SOURCE}: datasetGroup.name "shop demo" is not a dataset group name (1 to 63 letters, digits, '
                "'-' or '_', starting with a letter or digit)"
            ],
        ),
    ],
)
def test_parse_request_bad_file_lists_every_problem(body: bytes, expected: list[str]) -> None:
    assert problems(body) == expected


def test_parse_request_bad_key_beside_valid_name_names_the_group_for_the_email() -> None:
    with pytest.raises(errors.InvalidParameters) as refused:
        parse_request(b'{"datasetGroup": {"name": "shop", "x": 1}}', SOURCE)
    assert refused.value.dataset_group == "shop"


@pytest.mark.parametrize("group", ["shop", "a" * 63])
def test_schema_name_pattern_matches_the_groups_schema_names_only(group: str) -> None:
    pattern = schema_name_pattern(group)
    for dataset_type in ("Interactions", "Items", "Users"):
        assert pattern.fullmatch(naming.schema_name(group, dataset_type, '{"a": 1}'))
    assert not pattern.fullmatch(naming.schema_name(f"{group[:60]}-eu", "Interactions", '{"a": 1}'))
    assert not pattern.fullmatch(f"{group}-interactions")


class StuckClient:
    """A Personalize client whose campaign is forever DELETE IN_PROGRESS."""

    def describe_campaign(self, campaignArn: str) -> dict[str, Any]:  # noqa: N803 - boto3's spelling
        return {"campaign": {"campaignArn": campaignArn, "status": "DELETE IN_PROGRESS"}}


def document(stage: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "datasetGroup": {"name": "shop", "arn": f"{PREFIX}:dataset-group/shop", "exists": True},
        "stages": {stage: {"pending": items, "waitedSeconds": 0}},
        "pending": 0,
        "waitSeconds": 0,
        "deleted": [],
        "kept": [],
        "failed": [],
    }


def test_advance_delete_past_the_deadline_is_failed_with_the_status_and_wait() -> None:
    # GIVEN a campaign whose delete never completes
    campaign = {"kind": "campaign", "arn": f"{PREFIX}:campaign/c", "name": "c"}
    doc = advance(StuckClient(), None, document("campaigns", [campaign]), "campaigns")
    deadline = DELETE_POLICIES["campaign"].deadline_seconds
    # WHEN the stage is checked after each wait until the deadline
    waited = 0
    while doc["pending"]:
        waited += doc["waitSeconds"]
        doc = advance(StuckClient(), None, doc, "campaigns")
    # THEN it is reported failed once the waits reach the deadline, naming its status
    assert waited >= deadline
    assert doc["failed"] == [
        {
            "kind": "campaign",
            "arn": f"{PREFIX}:campaign/c",
            "name": "c",
            "cause": f"still DELETE IN_PROGRESS after {waited} seconds of waiting",
        }
    ]


def history(group: str | None) -> list[dict[str, Any]]:
    events = [{"timestamp": datetime(2026, 1, 1, tzinfo=UTC), "type": "ExecutionStarted", "id": 1}]
    if group:
        output = json.dumps({"plan": {"datasetGroup": {"name": group}}})
        events.append(
            {
                "timestamp": datetime(2026, 1, 1, tzinfo=UTC),
                "type": "TaskStateExited",
                "id": 2,
                "stateExitedEventDetails": {"name": "Load Parameters", "output": output},
            }
        )
    return events


@pytest.mark.parametrize(
    ("groups", "expected", "other"),
    [([], "clear", None), (["other"], "clear", None), (["other", None], "wait", 1), ([None, "shop"], "busy", 1)],
)
def test_pipeline_runs_verdict_reads_each_running_execution_group(
    groups: list[str | None], expected: str, other: int | None
) -> None:
    # GIVEN RUNNING pipeline executions working on ``groups`` (None: parameters not read yet)
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:p-pipeline"
    arns = [f"arn:aws:states:us-east-1:123456789012:execution:p-pipeline:run{n}" for n in range(len(groups))]
    summaries = [
        {
            "executionArn": arn,
            "stateMachineArn": machine,
            "name": arn.rsplit(":", 1)[1],
            "status": "RUNNING",
            "startDate": datetime(2026, 1, 1, tzinfo=UTC),
        }
        for arn in arns
    ]
    with Stubber(sfn) as stub:
        stub.add_response(
            "list_executions", {"executions": summaries}, {"stateMachineArn": machine, "statusFilter": "RUNNING"}
        )
        for arn, group in zip(arns, groups, strict=True):
            expected_params = {"executionArn": arn, "includeExecutionData": True}
            stub.add_response("get_execution_history", {"events": history(group)}, expected_params)
        # WHEN the teardown of "shop" looks at them
        verdict = pipeline_runs_verdict(sfn, machine, "shop")
        stub.assert_no_pending_responses()
    # THEN busy names the run on the group, wait the run that has not read its parameters
    assert verdict == (expected, None if other is None else arns[other])


def test_outcome_message_lists_failed_deleted_and_kept_with_causes() -> None:
    doc = document("campaigns", [])
    doc["deleted"] = [
        {"kind": "campaign", "name": "c", "arn": f"{PREFIX}:campaign/c", "action": "deleted"},
        {"kind": "solutionVersion", "name": "s/1", "arn": f"{PREFIX}:solution/s/1", "action": "stopped"},
    ]
    doc["kept"] = [{"kind": "schema", "name": "x", "arn": f"{PREFIX}:schema/x", "reason": "used elsewhere"}]
    doc["failed"] = [{"kind": "solution", "name": "s", "arn": f"{PREFIX}:solution/s", "cause": "InternalFailure: boom"}]
    message = outcome_message(doc, "stack")
    assert message == {
        "subject": "Personalize teardown FAILED for shop: 1 not deleted",
        "failed": True,
        "message": "\n".join(
            [
                "Teardown of dataset group 'shop' (stack stack).",
                "",
                "Could NOT delete (1); upload delete.json again once the cause is fixed:",
                f"- solution s ({PREFIX}:solution/s): InternalFailure: boom",
                "",
                "Deleted (2):",
                f"- campaign c ({PREFIX}:campaign/c)",
                f"- solution version s/1 ({PREFIX}:solution/s/1) (training stopped; it goes with its solution)",
                "",
                "Kept (1):",
                f"- schema x ({PREFIX}:schema/x): used elsewhere",
            ]
        ),
    }


def test_outcome_message_nothing_failed_is_done() -> None:
    message = outcome_message(document("campaigns", []), "stack")
    assert (message["subject"], message["failed"]) == ("Personalize teardown done for shop", False)


def test_refusal_message_invalid_file_names_the_group_and_says_nothing_was_deleted() -> None:
    cause = json.dumps(
        {"errorMessage": str(errors.InvalidParameters(["bad key"], dataset_group="shop")), "errorType": "x"}
    )
    message = refusal_message("InvalidParameters", cause)
    assert message == {
        "subject": "Personalize teardown REFUSED for shop: nothing was deleted",
        "message": "InvalidParameters: 1 problem in the parameters or data:\n- bad key\n"
        "Dataset group in the parameters: shop\n\nNothing was deleted.",
        "failed": True,
    }


def test_error_message_names_the_error_then_what_was_done() -> None:
    doc = document("campaigns", [])
    message = error_message(doc, "Lambda.Unknown", '{"errorMessage": "crash"}', "stack")
    assert message["subject"] == "Personalize teardown FAILED for shop: Lambda.Unknown"
    assert message["message"].startswith("The teardown stopped on an error: Lambda.Unknown: crash\n\nTeardown of")


def test_outcome_message_many_job_records_names_the_first_and_counts_the_rest() -> None:
    # GIVEN a group imported 30 times (a daily schedule) and one shared schema
    jobs = [
        {"kind": "datasetImportJob", "name": f"j{n:02d}", "arn": f"{PREFIX}:dataset-import-job/j{n:02d}", "reason": "r"}
        for n in reversed(range(KEPT_LISTED + 5))
    ]
    schema = {"kind": "schema", "name": "s", "arn": f"{PREFIX}:schema/s", "reason": "shared"}
    doc = document("campaigns", [])
    doc["kept"] = _listed([schema, *jobs])
    # THEN the document holds the first 25 by ARN and a count of the others, and the e-mail says so
    assert doc["kept"] == [
        *sorted(jobs, key=lambda record: record["arn"])[:KEPT_LISTED],
        {
            "kind": "datasetImportJob",
            "more": 5,
            "reason": "Personalize has no delete for job records (they cost nothing)",
        },
        schema,
    ]
    message = outcome_message(doc, "stack")["message"]
    assert f"Kept ({KEPT_LISTED + 6}):" in message
    assert (
        "- and 5 more dataset import job records: Personalize has no delete for job records (they cost nothing)\n"
        f"- schema s ({PREFIX}:schema/s): shared"
    ) in message
