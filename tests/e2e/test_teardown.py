"""The teardown end to end: delete.json uploaded to the deployed stack starts the teardown state machine, which
deletes the dataset group through the real ASL, handlers, IAM and the Personalize emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from local.deploy import wait_for_execution
from local.runner import ROOT, LocalPipeline
from personalize_pipeline import naming

from .conftest import EXAMPLE_PARAMS
from .teardown import add_schedule, run_teardown, start_teardown

pytestmark = pytest.mark.e2e

SHOP = ROOT / "example" / "shop"
PERSONALIZE = "arn:aws:personalize:us-east-1:123456789012"
#: What the service keeps whatever is deleted: job records.
RECORDS = ("datasetImportJobs", "batchInferenceJobs", "batchSegmentJobs")


def left(pipeline: LocalPipeline) -> dict[str, list[str]]:
    return {kind: arns for kind, arns in pipeline.inventory().items() if arns}


def test_teardown_after_the_shop_run_leaves_only_job_records_and_a_rerun_succeeds(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN the shop example deployed (every kind of resource) with its two schedules, and another group's
    # schedule whose name starts like theirs
    pipeline = open_pipeline()
    pipeline.upload_data(SHOP / "data")
    params = json.loads((SHOP / "params.json").read_text())
    params["schedules"] = {
        "datasetGroup": {"scheduleExpression": "rate(7 days)"},
        "solutions": {"shop-user-personalization": {"scheduleExpression": "cron(0 3 ? * MON *)"}},
    }
    assert pipeline.run(write_params("params.json", json.dumps(params))).status == "SUCCEEDED"
    before = left(pipeline)
    assert len(before["schedules"]) == 2
    other = add_schedule(pipeline, naming.schedule_name("shop-demo-eu"))
    # WHEN delete.json names its dataset group
    result = run_teardown(pipeline, "shop-demo")
    # THEN the teardown succeeds and only the job records are left, with the other group's schedule
    assert result.status == "SUCCEEDED"
    assert left(pipeline) == {**{kind: before[kind] for kind in RECORDS if kind in before}, "schedules": [other]}
    # AND the e-mail lists every deleted resource by ARN, and the records kept with the reason
    assert result.notification is not None
    assert result.notification["subject"] == "Personalize teardown done for shop-demo"
    message = result.notification["message"]
    deleted = [
        arn for kind, arns in before.items() if kind not in RECORDS and kind != "solutionVersions" for arn in arns
    ]
    assert [arn for arn in deleted if f"({arn})" not in message] == []
    assert f"Deleted ({len(deleted)}):" in message
    kept = [arn for kind in RECORDS for arn in before.get(kind, [])]
    assert f"Kept ({len(kept)}):" in message
    assert all(f"({arn}): Personalize has no delete for job records (they cost nothing)" in message for arn in kept)
    assert "Could NOT delete" not in message
    # WHEN it is uploaded again
    again = run_teardown(pipeline, "shop-demo")
    # THEN it succeeds, saying the group is gone
    assert again.status == "SUCCEEDED"
    assert again.notification is not None
    assert "The dataset group does not exist (already deleted, or never created)" in again.notification["message"]
    assert "Deleted: nothing (nothing of it was left)." in again.notification["message"]


def test_teardown_of_a_group_this_stack_did_not_create_is_refused_and_deletes_nothing(
    open_pipeline: Callable[..., LocalPipeline],
) -> None:
    # GIVEN a dataset group created outside the stack (no stack tag)
    pipeline = open_pipeline()
    arn = boto3.client("personalize").create_dataset_group(name="someone-else")["datasetGroupArn"]
    # WHEN delete.json names it
    result = run_teardown(pipeline, "someone-else")
    # THEN the teardown fails, its e-mail names the group and its owner, and the group is untouched
    assert result.status == "FAILED"
    assert result.notification is not None
    assert result.notification["subject"] == "Personalize teardown REFUSED: nothing was deleted"
    assert result.notification["message"].startswith(
        f"NotCreatedByStack: dataset group 'someone-else' ({arn}) was created by no stack of this pipeline "
        "(no stack tag), not by stack 'personalize-pipeline'"
    )
    assert left(pipeline) == {"datasetGroups": [arn]}


def test_teardown_bad_delete_json_is_refused_naming_each_problem(open_pipeline: Callable[..., LocalPipeline]) -> None:
    # GIVEN the example deployed
    pipeline = open_pipeline()
    assert pipeline.run(EXAMPLE_PARAMS).status == "SUCCEEDED"
    before = left(pipeline)
    # WHEN delete.json has a misspelt key
    result = pipeline.finish(start_teardown(pipeline, '{"datasetGroup": {"nam": "retail-demo"}}'))
    # THEN the teardown fails with an e-mail naming the file and the problems, and nothing is deleted
    assert result.status == "FAILED"
    assert result.notification is not None
    bucket = pipeline.stack.bucket_name
    assert result.notification["message"] == (
        "InvalidParameters: 2 problems in the parameters or data:\n"
        f"- s3://{bucket}/delete.json: datasetGroup.nam: unknown key; the only key is 'name'\n"
        f"- s3://{bucket}/delete.json: datasetGroup.name is missing\n\nNothing was deleted."
    )
    assert left(pipeline) == before


def test_teardown_while_a_pipeline_run_works_on_the_group_is_refused(
    open_pipeline: Callable[..., LocalPipeline],
) -> None:
    # GIVEN a pipeline run in progress on the example's dataset group
    pipeline = open_pipeline()
    run = pipeline.start(EXAMPLE_PARAMS)
    # WHEN delete.json names that group
    refused = pipeline.finish(start_teardown(pipeline, '{"datasetGroup": {"name": "retail-demo"}}'))
    # THEN the teardown is refused, naming the run, and the run completes untouched
    assert refused.status == "FAILED"
    assert refused.notification is not None
    assert (
        f"RunInProgress: pipeline execution {run} is running for dataset group 'retail-demo'"
        in (refused.notification["message"])
    )
    assert wait_for_execution(run)["status"] == "SUCCEEDED"


def test_teardown_partial_failure_fails_with_the_cause_and_a_rerun_completes(
    open_pipeline: Callable[..., LocalPipeline], tmp_path: Path
) -> None:
    # GIVEN the example deployed, and DeleteSolution failing with a 500 on six calls in a row (botocore retries five)
    pipeline = open_pipeline()
    assert pipeline.run(EXAMPLE_PARAMS).status == "SUCCEEDED"
    records = left(pipeline)["datasetImportJobs"]
    pipeline.inject(["internal:DeleteSolution:6"])
    # WHEN the group is torn down
    first = run_teardown(pipeline, "retail-demo")
    # THEN the campaign went, the solution and the group (which still holds it) did not, and the e-mail says why
    assert first.status == "FAILED"
    assert first.notification is not None
    assert first.notification["subject"] == "Personalize teardown FAILED for retail-demo: 2 not deleted"
    message = first.notification["message"]
    solution = f"{PERSONALIZE}:solution/retail-user-personalization"
    assert f"- solution retail-user-personalization ({solution}): InternalFailure: " in message
    assert f"- dataset group retail-demo ({PERSONALIZE}:dataset-group/retail-demo): ResourceInUseException: " in message
    assert f"- campaign retail-user-personalization-campaign ({PERSONALIZE}:campaign/" in message
    assert sorted(left(pipeline)) == ["datasetGroups", "datasetImportJobs", "solutionVersions", "solutions"]
    # WHEN it is uploaded again
    second = run_teardown(pipeline, "retail-demo")
    # THEN the rest goes and nothing of the group is left but its import records
    assert second.status == "SUCCEEDED"
    assert second.notification is not None
    assert "Deleted (2):" in second.notification["message"]
    assert left(pipeline) == {"datasetImportJobs": records}
