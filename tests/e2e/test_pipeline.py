"""The whole pipeline in the local cloud: S3 upload -> rule -> state machine -> handlers -> emulator -> SNS."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from local.runner import LocalPipeline

from .conftest import EXAMPLE_PARAMS, SEED_PARAMS

pytestmark = pytest.mark.e2e

EXPECTED_KINDS = ("datasetGroups", "schemas", "datasets", "datasetImportJobs", "solutions", "solutionVersions")


def counts(pipeline: LocalPipeline) -> dict[str, int]:
    return {kind: len(arns) for kind, arns in pipeline.inventory().items()}


def test_pipeline_example_params_succeeds_and_emails_every_arn(open_pipeline: Callable[..., LocalPipeline]) -> None:
    # GIVEN the deployed stack and the example data
    pipeline = open_pipeline()
    # WHEN example/params.json is uploaded
    result = pipeline.run(EXAMPLE_PARAMS)
    # THEN the execution succeeds and every resource exists once
    assert result.status == "SUCCEEDED"
    assert counts(pipeline) == {
        "datasetGroups": 1,
        "schemas": 2,
        "datasets": 2,
        "datasetImportJobs": 2,
        "solutions": 1,
        "solutionVersions": 1,
        "campaigns": 1,
        "eventTrackers": 0,
        "filters": 0,
        "recommenders": 0,
        "batchInferenceJobs": 0,
        "batchSegmentJobs": 0,
        "schedules": 0,
    }
    # AND the success e-mail names the campaign, lists every ARN, the computed metrics and the durations
    assert result.notification is not None
    assert result.notification["subject"].startswith("Personalize pipeline succeeded: retail-demo")
    message = result.notification["message"]
    for arns in pipeline.inventory().values():
        for arn in arns:
            assert arn in message
    metrics = dict(re.findall(r"^  (\w+_at_\d+|coverage)\s+([0-9.]+)$", message, flags=re.M))
    assert {"coverage", "mean_reciprocal_rank_at_25", "precision_at_10"} <= set(metrics)
    assert 0 < float(metrics["precision_at_10"]) < 1
    assert "Time spent by Personalize on each step" in message
    assert result.executionArn in message
    # AND the path was the real one: visible poll loops and one Lambda call per task
    assert result.stateTransitions > 40 and result.lambdaInvocations > 15


def test_pipeline_seed_readme_params_succeed_unchanged(open_pipeline: Callable[..., LocalPipeline]) -> None:
    # GIVEN the legacy sample's params.json, byte for byte (performAutoML, GENDER/AGE users)
    pipeline = open_pipeline()
    # WHEN it is uploaded
    result = pipeline.run(SEED_PARAMS)
    # THEN the pipeline accepts it and deploys its campaign
    assert result.status == "SUCCEEDED", result.notification
    assert [arn.rsplit("/", 1)[-1] for arn in pipeline.inventory()["campaigns"]] == ["Campaign"]


@pytest.mark.parametrize(
    ("step", "state", "reason"),
    [
        ("dataset-group", "Check Dataset Group", "dataset group 'retail-demo' is CREATE FAILED"),
        ("dataset", "Check Dataset", "dataset 'retail-demo-"),
        ("import", "Check Import", "Insufficient privileges for accessing data in Amazon S3"),
        ("solution", "Check Solution", "solution 'retail-user-personalization' is CREATE FAILED"),
        ("solution-version", "Check Solution Version", "solution version 'retail-user-personalization-"),
        ("campaign", "Check Campaign", "campaign 'retail-user-personalization-campaign' is CREATE FAILED"),
    ],
)
def test_pipeline_step_fails_like_the_service_ends_failed_and_emails_step_and_reason(
    open_pipeline: Callable[..., LocalPipeline], step: str, state: str, reason: str
) -> None:
    # GIVEN the emulator fails one step the way Personalize does (CREATE FAILED + failureReason)
    pipeline = open_pipeline(fail_steps=[step])
    # WHEN the example is run
    result = pipeline.run(EXAMPLE_PARAMS)
    # THEN the execution ends FAILED and the e-mail names the failing state, the error and the reason
    assert result.status == "FAILED"
    assert result.notification is not None
    assert result.notification["subject"] == f"Personalize pipeline FAILED at {state}: ResourceFailed"
    message = result.notification["message"]
    assert f"Failed state: {state}" in message and "Error:        ResourceFailed" in message
    assert reason in message
    assert "Resources created or reused before the failure" in message


def test_pipeline_invalid_params_fail_before_any_resource_and_list_every_problem(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN params with five independent problems
    params = json.loads(EXAMPLE_PARAMS.read_text())
    params["datasetGroup"]["name"] = "retail demo"
    params["datasets"]["Interactions"]["schema"]["fields"][2]["type"] = "string"
    params["solution"]["performHPO"] = "yes"
    params["campaign"]["minProvisionedTPS"] = 0
    params["campain"] = params.pop("campaign")
    pipeline = open_pipeline()
    # WHEN they are uploaded
    result = pipeline.run(write_params("params.json", json.dumps(params)))
    # THEN the run fails at Load Parameters, every problem is in the e-mail with its path, nothing exists
    assert result.status == "FAILED"
    assert result.notification is not None
    message = result.notification["message"]
    assert "Failed state: Load Parameters" in message and "InvalidParameters" in message
    for path in ("datasetGroup.name", "datasets.Interactions.schema.fields[2]", "solution.performHPO", "campain"):
        assert f"- {path}" in message, path
    assert "No Personalize resource was created" in message
    assert sum(counts(pipeline).values()) == 0


def test_pipeline_same_params_twice_both_succeed_without_duplicates(
    open_pipeline: Callable[..., LocalPipeline],
) -> None:
    # GIVEN a first successful run
    pipeline = open_pipeline()
    first = pipeline.run(EXAMPLE_PARAMS)
    after_first = counts(pipeline)
    # WHEN the same params.json is uploaded again
    second = pipeline.run(EXAMPLE_PARAMS)
    # THEN both succeed, nothing is duplicated, and the second run reuses everything without waiting
    assert (first.status, second.status) == ("SUCCEEDED", "SUCCEEDED")
    assert counts(pipeline) == after_first
    assert second.notification is not None
    assert "0 resource(s) created, updated or resumed; 10 reused unchanged" in second.notification["message"]
    assert second.simulatedSeconds < first.simulatedSeconds / 10


def test_pipeline_new_data_reimports_retrains_and_updates_the_campaign(
    open_pipeline: Callable[..., LocalPipeline], tmp_path: Path
) -> None:
    # GIVEN a first run, then more interactions uploaded next to the first file
    pipeline = open_pipeline()
    assert pipeline.run(EXAMPLE_PARAMS).status == "SUCCEEDED"
    extra = tmp_path / "data" / "Interactions"
    extra.mkdir(parents=True)
    rows = [f"u0001,i00{n:03d},{1767225600 + n}" for n in range(1, 200)]
    (extra / "more.csv").write_text("USER_ID,ITEM_ID,TIMESTAMP\n" + "\n".join(rows) + "\n")
    pipeline.upload_data(tmp_path / "data")
    # WHEN params.json is uploaded again
    result = pipeline.run(EXAMPLE_PARAMS)
    # THEN the interactions are imported again, a new version is trained and the campaign moves to it
    assert result.status == "SUCCEEDED"
    inventory = pipeline.inventory()
    assert len(inventory["datasetImportJobs"]) == 3 and len(inventory["solutionVersions"]) == 2
    assert result.notification is not None
    assert re.search(r"campaign\s+retail-user-personalization-campaign \(updated", result.notification["message"])


def test_pipeline_changed_immutable_setting_fails_with_both_values_and_keeps_the_old_solution(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN a deployed campaign, then params that turn on HPO for the same solution name
    pipeline = open_pipeline()
    assert pipeline.run(EXAMPLE_PARAMS).status == "SUCCEEDED"
    params = json.loads(EXAMPLE_PARAMS.read_text())
    params["solution"]["performHPO"] = True
    # (the stack's HPO caps require the bound on training jobs)
    hpo = {"hpoResourceConfig": {"maxNumberOfTrainingJobs": "4", "maxParallelTrainingJobs": "2"}}
    params["solution"].setdefault("solutionConfig", {})["hpoConfig"] = hpo
    # WHEN they are uploaded
    result = pipeline.run(write_params("params.json", json.dumps(params)))
    # THEN the run fails at the solution, naming the setting with both values, and nothing is duplicated
    assert result.status == "FAILED"
    assert result.notification is not None
    assert result.notification["subject"] == "Personalize pipeline FAILED at Create Solution: ResourceConflict"
    assert "performHPO is false; params ask for true" in result.notification["message"]
    assert len(pipeline.inventory()["solutions"]) == 1


def test_pipeline_creates_the_solution_without_automatic_training(open_pipeline: Callable[..., LocalPipeline]) -> None:
    # GIVEN params that do not mention performAutoTraining (the API would default it to true)
    pipeline = open_pipeline()
    # WHEN the pipeline runs
    assert pipeline.run(EXAMPLE_PARAMS).status == "SUCCEEDED"
    # THEN the solution was created with automatic training off: no weekly training bill
    (solution_arn,) = pipeline.inventory()["solutions"]
    solution = boto3.client("personalize").describe_solution(solutionArn=solution_arn)["solution"]
    assert solution["performAutoTraining"] is False
