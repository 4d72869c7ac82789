"""Schedules end to end: the real template in moto with IAM enforced; uploads create, update and delete the
dataset group's EventBridge Scheduler schedules, and a scheduled run (started here with the Input a schedule
holds, as Scheduler would) converges with nothing new (issue 9). The simulated-time engine that fires
schedules is tested with the local CLI (``--advance``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from local import iam
from local.runner import LocalPipeline
from personalize_pipeline.naming import schedule_name

from .conftest import EXAMPLE_PARAMS

pytestmark = pytest.mark.e2e

GROUP = "retail-demo"
SOLUTION = "retail-user-personalization"
IMPORT_SCHEDULE = schedule_name(GROUP)
TRAIN_SCHEDULE = schedule_name(GROUP, SOLUTION)


def params_with(schedules: dict[str, Any] | None, recipe: str = "aws-user-personalization") -> str:
    document = json.loads(EXAMPLE_PARAMS.read_text())
    # User-Personalization v1 supports UPDATE training (v2, the example's recipe, does not).
    document["solution"]["recipeArn"] = f"arn:aws:personalize:::recipe/{recipe}"
    if schedules is not None:
        document["schedules"] = schedules
    return json.dumps(document)


def schedules_of(pipeline: LocalPipeline) -> dict[str, dict[str, Any]]:
    """Every schedule of the stack's group, as GetSchedule returns it, by name."""
    scheduler = boto3.client("scheduler")
    group = pipeline.stack.physical_id("ScheduleGroup")
    names = [s["Name"] for s in scheduler.list_schedules(GroupName=group)["Schedules"]]
    found = {name: scheduler.get_schedule(GroupName=group, Name=name) for name in sorted(names)}
    return {name: {k: v for k, v in schedule.items() if k != "ResponseMetadata"} for name, schedule in found.items()}


def fire(pipeline: LocalPipeline, schedule: dict[str, Any], scheduled_time: str) -> str:
    """Start the execution a firing of ``schedule`` starts: its Input with Scheduler's context attributes
    substituted; the ARN of the execution."""
    text = schedule["Target"]["Input"]
    text = text.replace("<aws.scheduler.scheduled-time>", scheduled_time)
    text = text.replace("<aws.scheduler.execution-id>", f"firing-{scheduled_time}")
    # Step Functions names an execution Scheduler starts; here: the schedule and the firing, unique per firing.
    name = f"{schedule['Name'][-20:]}-{''.join(c for c in scheduled_time if c.isdigit())}"
    sfn = boto3.client("stepfunctions")
    started = sfn.start_execution(stateMachineArn=schedule["Target"]["Arn"], name=name, input=text)
    return started["executionArn"]


def test_upload_creates_updates_and_deletes_the_dataset_group_schedules(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN the deployed stack (its schedule group tagged with the stack) and params.json with two schedules
    pipeline = open_pipeline()
    group = pipeline.stack.physical_id("ScheduleGroup")
    tags = boto3.client("scheduler").list_tags_for_resource(
        ResourceArn=f"arn:aws:scheduler:us-east-1:123456789012:schedule-group/{group}"
    )["Tags"]
    assert tags == [{"Key": "personalize-pipeline:stack", "Value": pipeline.stack.name}]
    first = {
        "datasetGroup": {"scheduleExpression": "rate(7 days)"},
        "solutions": {SOLUTION: {"scheduleExpression": "cron(0 3 ? * MON *)", "trainingMode": "UPDATE"}},
    }
    # WHEN it is uploaded
    created = pipeline.run(write_params("first.json", params_with(first)))
    # THEN the run succeeded as the functions' roles (no denial), creating both schedules in the stack's group
    assert created.status == "SUCCEEDED", created.notification
    assert iam.ledger().denied == []
    schedules = schedules_of(pipeline)
    assert sorted(schedules) == sorted([IMPORT_SCHEDULE, TRAIN_SCHEDULE])
    assert pipeline.inventory()["schedules"] == sorted(s["Arn"] for s in schedules.values())
    target = schedules[TRAIN_SCHEDULE]["Target"]
    assert target["Arn"] == pipeline.stack.state_machine_arn
    assert target["RoleArn"].endswith(pipeline.stack.physical_id("SchedulerRole"))
    payload = json.loads(target["Input"])
    assert payload["schedule"]["kind"] == "train" and payload["schedule"]["trainingMode"] == "UPDATE"
    assert payload["detail"]["object"]["version-id"]  # the pinned params version
    # AND the scheduler calls were authorized against the ScheduleFunction's role, PassRole to Scheduler only
    passes = [e for e in iam.ledger().authorized if e.action == "iam:PassRole" and "SchedulerRole" in e.resource]
    assert passes and all(dict(e.context)["iam:PassedToService"] == "scheduler.amazonaws.com" for e in passes)
    message = created.notification["message"]
    assert f"{IMPORT_SCHEDULE} (created): rate(7 days) UTC, ENABLED" in message
    assert f"{TRAIN_SCHEDULE} (created): cron(0 3 ? * MON *) UTC, ENABLED" in message
    assert "; next run " in message

    # WHEN the same params.json is uploaded again (a new object version)
    again = pipeline.run(write_params("again.json", params_with(first)))
    # THEN the schedules do what they did, now reading the new version
    assert again.status == "SUCCEEDED", again.notification
    repinned = json.loads(schedules_of(pipeline)[IMPORT_SCHEDULE]["Target"]["Input"])["detail"]["object"]
    assert repinned["version-id"] != payload["detail"]["object"]["version-id"]
    assert (
        f"{IMPORT_SCHEDULE} (unchanged, now on this upload's params.json): rate(7 days)"
        in again.notification["message"]
    )

    # WHEN the import schedule is paused and the solution's schedule removed from params.json
    second = {"datasetGroup": {"scheduleExpression": "rate(7 days)", "state": "DISABLED"}}
    updated = pipeline.run(write_params("second.json", params_with(second)))
    # THEN the first is updated (paused) and the second deleted
    assert updated.status == "SUCCEEDED", updated.notification
    schedules = schedules_of(pipeline)
    assert list(schedules) == [IMPORT_SCHEDULE]
    assert schedules[IMPORT_SCHEDULE]["State"] == "DISABLED"
    assert f"{IMPORT_SCHEDULE} (updated): rate(7 days) UTC, DISABLED" in updated.notification["message"]
    assert f"{TRAIN_SCHEDULE}: deleted (no longer in params.json)" in updated.notification["message"]

    # WHEN params.json drops the section
    removed = pipeline.run(write_params("third.json", params_with(None)))
    # THEN no schedule is left
    assert removed.status == "SUCCEEDED", removed.notification
    assert schedules_of(pipeline) == {} and pipeline.inventory()["schedules"] == []


def test_scheduled_runs_on_unchanged_data_train_nothing_and_keep_the_schedules(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN an upload that created an import schedule and an UPDATE retraining schedule
    pipeline = open_pipeline()
    schedules = {
        "datasetGroup": {"scheduleExpression": "rate(1 day)"},
        "solutions": {SOLUTION: {"scheduleExpression": "rate(12 hours)", "trainingMode": "UPDATE"}},
    }
    upload = pipeline.run(write_params("params.json", params_with(schedules)))
    assert upload.status == "SUCCEEDED", upload.notification
    before_inventory, before_schedules = pipeline.inventory(), schedules_of(pipeline)
    # WHEN each schedule fires, the import one twice (two firings of one schedule are two runs)
    runs = [
        pipeline.finish(fire(pipeline, before_schedules[IMPORT_SCHEDULE], "2027-01-01T00:00:00Z")),
        pipeline.finish(fire(pipeline, before_schedules[IMPORT_SCHEDULE], "2027-01-02T00:00:00Z")),
        pipeline.finish(fire(pipeline, before_schedules[TRAIN_SCHEDULE], "2027-01-02T12:00:00Z")),
    ]
    # THEN each run succeeds, imports nothing and trains nothing (the data did not change since the latest
    # ACTIVE version, trained FULL by the upload), and the schedules are left as they were
    assert [r.status for r in runs] == ["SUCCEEDED"] * 3, [r.notification for r in runs]
    assert pipeline.inventory() == before_inventory
    assert schedules_of(pipeline) == before_schedules
    # AND each e-mail says which schedule started it
    messages = [r.notification["message"] for r in runs]
    assert f"Started by schedule {IMPORT_SCHEDULE} (imports new data and retrains every solution, FULL" in messages[0]
    assert "fired for 2027-01-02T00:00:00Z" in messages[1]
    assert f"Started by schedule {TRAIN_SCHEDULE} (retrains solution {SOLUTION}, UPDATE training" in messages[2]
    assert "Schedules (EventBridge Scheduler" not in messages[2]


def test_scheduled_run_on_new_data_imports_and_trains_in_the_schedule_mode(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN an UPDATE import schedule created by an upload, then a new interactions file
    pipeline = open_pipeline()
    schedules = {"datasetGroup": {"scheduleExpression": "rate(1 day)", "trainingMode": "UPDATE"}}
    assert pipeline.run(write_params("params.json", params_with(schedules))).status == "SUCCEEDED"
    before = pipeline.inventory()
    bucket = pipeline.stack.bucket_name
    s3 = boto3.client("s3")
    body = s3.get_object(Bucket=bucket, Key="Interactions/interactions.csv")["Body"].read().decode()
    header, *rows = body.splitlines()
    s3.put_object(Bucket=bucket, Key="Interactions/more.csv", Body="\n".join([header, *rows[:1500]]) + "\n")
    # WHEN the schedule fires
    run = pipeline.finish(fire(pipeline, schedules_of(pipeline)[IMPORT_SCHEDULE], "2027-01-01T00:00:00Z"))
    # THEN the new data is imported and one version is trained, in UPDATE mode
    assert run.status == "SUCCEEDED", run.notification
    after = pipeline.inventory()
    assert len(after["datasetImportJobs"]) == len(before["datasetImportJobs"]) + 1
    [new_version] = sorted(set(after["solutionVersions"]) - set(before["solutionVersions"]))
    personalize = boto3.client("personalize")
    assert personalize.describe_solution_version(solutionVersionArn=new_version)["solutionVersion"]["trainingMode"] == (
        "UPDATE"
    )


def test_train_schedule_run_imports_nothing_and_retrains_nothing_over_new_files(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN a solution's retraining schedule created by an upload, then a new interactions file
    pipeline = open_pipeline()
    schedules = {"solutions": {SOLUTION: {"scheduleExpression": "rate(1 day)", "trainingMode": "UPDATE"}}}
    assert pipeline.run(write_params("params.json", params_with(schedules))).status == "SUCCEEDED"
    before = pipeline.inventory()
    bucket = pipeline.stack.bucket_name
    s3 = boto3.client("s3")
    body = s3.get_object(Bucket=bucket, Key="Interactions/interactions.csv")["Body"].read().decode()
    header, *rows = body.splitlines()
    s3.put_object(Bucket=bucket, Key="Interactions/more.csv", Body="\n".join([header, *rows[:1500]]) + "\n")
    # WHEN the schedule fires
    run = pipeline.finish(fire(pipeline, schedules_of(pipeline)[TRAIN_SCHEDULE], "2027-01-01T00:00:00Z"))
    # THEN the run succeeds without importing the new file (that is the import schedule's or an upload's job)
    # and without training: the data the solution trains on did not change
    assert run.status == "SUCCEEDED", run.notification
    assert pipeline.inventory() == before


def test_scheduled_run_of_a_deleted_params_version_fails_with_a_clear_email(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN a schedule whose pinned params.json version was deleted since
    pipeline = open_pipeline()
    schedules = {"datasetGroup": {"scheduleExpression": "rate(1 day)"}}
    assert pipeline.run(write_params("params.json", params_with(schedules))).status == "SUCCEEDED"
    schedule = schedules_of(pipeline)[IMPORT_SCHEDULE]
    version = json.loads(schedule["Target"]["Input"])["detail"]["object"]["version-id"]
    boto3.client("s3").delete_object(Bucket=pipeline.stack.bucket_name, Key="params.json", VersionId=version)
    # WHEN it fires
    run = pipeline.finish(fire(pipeline, schedule, "2027-01-01T00:00:00Z"))
    # THEN the run fails at Load Parameters, naming the schedule and the way out
    assert run.status == "FAILED"
    message = run.notification["message"]
    assert f"the params.json version schedule {IMPORT_SCHEDULE} runs was deleted; upload params.json again" in message
    assert f"Started by schedule {IMPORT_SCHEDULE}" in message


def test_two_firings_of_one_schedule_at_once_are_two_runs_not_a_duplicate_delivery(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN an import schedule created by an upload
    pipeline = open_pipeline()
    schedules = {"datasetGroup": {"scheduleExpression": "rate(1 hour)"}}
    assert pipeline.run(write_params("params.json", params_with(schedules))).status == "SUCCEEDED"
    schedule = schedules_of(pipeline)[IMPORT_SCHEDULE]
    # WHEN two of its firings run at the same time (the same pinned params version)
    first = fire(pipeline, schedule, "2027-01-01T00:00:00Z")
    second = fire(pipeline, schedule, "2027-01-01T01:00:00Z")
    results = [pipeline.finish(first), pipeline.finish(second)]
    # THEN the later one is refused as a second run of the dataset group (with an e-mail), not dropped silently
    # as a second delivery of the same event
    sfn = boto3.client("stepfunctions")
    refused = sfn.describe_execution(executionArn=second)
    assert [r.status for r in results] == ["SUCCEEDED", "FAILED"]
    assert refused["error"] == "RunInProgress" and first in refused["cause"]
