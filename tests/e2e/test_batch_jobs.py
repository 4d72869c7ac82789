"""Batch inference and batch segment jobs end to end: params -> checks -> training -> job -> .out in S3 -> e-mail."""

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

RECIPE = "arn:aws:personalize:::recipe/"


def batch_params(recipe: str, kind: str, job: dict[str, Any], campaigns: bool = False) -> str:
    """The example params with one solution (list spelling) that runs one batch job and no campaign."""
    params = json.loads(EXAMPLE_PARAMS.read_text())
    solution = params.pop("solution")
    params.pop("campaign")
    solution["recipeArn"] = RECIPE + recipe
    params["solutions"] = [{**solution, kind: [job]}]
    return json.dumps(params)


def put_input(pipeline: LocalPipeline, key: str, lines: list[dict[str, Any]] | str) -> None:
    body = lines if isinstance(lines, str) else "".join(json.dumps(line) + "\n" for line in lines)
    boto3.client("s3").put_object(Bucket=pipeline.stack.bucket_name, Key=key, Body=body.encode())


def read_lines(pipeline: LocalPipeline, uri: str) -> list[dict[str, Any]]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines()]


def emailed_outputs(message: str) -> list[str]:
    return re.findall(r"^    (s3://\S+\.out)$", message, flags=re.M)


def test_batch_inference_job_runs_writes_out_file_and_rerun_reuses_it(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN the example data, a JSON lines file of users, and params with a batch inference job
    pipeline = open_pipeline()
    users = [{"userId": "u0121"}, {"userId": "u0246"}]
    put_input(pipeline, "batch-input/users.json", users)
    params = write_params(
        "params.json",
        batch_params(
            "aws-user-personalization-v2",
            "batchInferenceJobs",
            {"jobName": "retail-recs", "jobInput": {"s3DataSource": {"path": "batch-input/users.json"}}},
        ),
    )

    # WHEN the params are uploaded
    result = pipeline.run(params)

    # THEN the run succeeds, one job ran, and the e-mail gives its name, ARN and the .out file
    assert result.status == "SUCCEEDED", result.notification
    [job_arn] = pipeline.inventory()["batchInferenceJobs"]
    assert pipeline.inventory()["campaigns"] == []
    name = job_arn.rsplit("/", 1)[-1]
    assert re.fullmatch(r"retail-recs-[0-9a-f]{8}", name)
    assert result.notification["subject"] == "Personalize pipeline succeeded: retail-demo -> 1 batch job"
    message = result.notification["message"]
    bucket = pipeline.stack.bucket_name
    assert job_arn in message and f"batch inference job {name}" in message
    assert emailed_outputs(message) == [f"s3://{bucket}/batch-output/{name}/users.json.out"]
    # AND the .out file at that location is in the service's format, one line per input line
    output = read_lines(pipeline, emailed_outputs(message)[0])
    assert [line["input"] for line in output] == users
    for line in output:
        assert set(line["output"]) == {"recommendedItems", "scores"}
        assert len(line["output"]["recommendedItems"]) == len(line["output"]["scores"]) == 25

    # WHEN the same params are uploaded again
    again = pipeline.run(params)

    # THEN the job is reused, not run a second time
    assert again.status == "SUCCEEDED", again.notification
    assert pipeline.inventory()["batchInferenceJobs"] == [job_arn]
    assert f"{name} (reused)" in again.notification["message"]


def test_batch_inference_bad_input_lines_refused_before_anything_is_created(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN an input file whose second line is not JSON and whose third lacks userId
    pipeline = open_pipeline()
    put_input(pipeline, "batch-input/users.json", '{"userId": "1"}\n{"userId": \n{"itemId": "7"}\n')
    params = write_params(
        "params.json",
        batch_params(
            "aws-user-personalization-v2",
            "batchInferenceJobs",
            {"jobInput": {"s3DataSource": {"path": "batch-input/users.json"}}},
        ),
    )

    # WHEN the params are uploaded
    result = pipeline.run(params)

    # THEN the run fails at the data checks, naming the file and each line, and nothing exists
    assert result.status == "FAILED"
    message = result.notification["message"]
    uri = f"s3://{pipeline.stack.bucket_name}/batch-input/users.json"
    assert f"- {uri} line 2: not valid JSON (Expecting value at column 11)" in message
    assert f'- {uri} line 3: missing userId; this recipe reads lines such as {{"userId": "u1"}}' in message
    assert "No Personalize resource was created" in message
    assert sum(len(arns) for arns in pipeline.inventory().values()) == 0


def test_batch_inference_missing_input_refused_naming_path(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN params naming an input folder that holds nothing
    pipeline = open_pipeline()
    params = write_params(
        "params.json",
        batch_params(
            "aws-user-personalization-v2",
            "batchInferenceJobs",
            {"jobName": "recs", "jobInput": {"s3DataSource": {"path": "batch-input/none/"}}},
        ),
    )
    # WHEN they are uploaded
    result = pipeline.run(params)
    # THEN Load Parameters refuses them naming the path
    assert result.status == "FAILED"
    assert (
        f"batch inference job 'recs': no input at s3://{pipeline.stack.bucket_name}/batch-input/none/"
        in result.notification["message"]
    )
    assert sum(len(arns) for arns in pipeline.inventory().values()) == 0


def test_batch_segment_job_on_item_affinity_writes_recommended_users(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN items to segment (ids from the example data) and an Item-Affinity solution with a segment job
    pipeline = open_pipeline()
    items = [{"itemId": "i00213"}, {"itemId": "i00426"}]
    put_input(pipeline, "batch-input/segments/items.json", items)
    params = write_params(
        "params.json",
        batch_params(
            "aws-item-affinity",
            "batchSegmentJobs",
            {"jobInput": {"s3DataSource": {"path": "batch-input/segments/"}}, "numResults": 5},
        ),
    )

    # WHEN the params are uploaded
    result = pipeline.run(params)

    # THEN the segment job ran and its .out file lists users per item, in the documented format
    assert result.status == "SUCCEEDED", result.notification
    [job_arn] = pipeline.inventory()["batchSegmentJobs"]
    [uri] = emailed_outputs(result.notification["message"])
    assert uri.endswith(f"/batch-output/{job_arn.rsplit('/', 1)[-1]}/items.json.out")
    output = read_lines(pipeline, uri)
    assert [line["input"] for line in output] == items
    assert all(list(line["output"]) == ["recommendedUsers"] for line in output)
    assert all(0 < len(line["output"]["recommendedUsers"]) <= 5 for line in output)


def test_batch_inference_job_failed_by_the_service_fails_run_and_next_upload_runs_it_again(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN the emulator fails the next batch inference job the way Personalize does
    pipeline = open_pipeline(fail_steps=["batch-inference-job"])
    put_input(pipeline, "batch-input/users.json", [{"userId": "u0121"}])
    params = write_params(
        "params.json",
        batch_params(
            "aws-user-personalization-v2",
            "batchInferenceJobs",
            {"jobName": "retail-recs", "jobInput": {"s3DataSource": {"path": "batch-input/users.json"}}},
        ),
    )

    # WHEN the params are uploaded
    failed = pipeline.run(params)

    # THEN the run fails at the job's check, with the service's reason
    assert failed.status == "FAILED"
    assert failed.notification["subject"] == "Personalize pipeline FAILED at Check Batch Inference Job: ResourceFailed"
    assert re.search(
        r"batch inference job 'retail-recs-[0-9a-f]{8}' is CREATE FAILED: Failed to create a batch inference job: "
        r"an internal error occurred\. Try again\.",
        failed.notification["message"],
    )

    # WHEN the same params are uploaded again (the failure was transient)
    again = pipeline.run(params)

    # THEN a second job runs under the next name and succeeds; the failed one stays (jobs cannot be deleted)
    assert again.status == "SUCCEEDED", again.notification
    jobs = pipeline.inventory()["batchInferenceJobs"]
    assert len(jobs) == 2 and len({arn.rsplit("-", 1)[0] for arn in jobs}) == 1
    [uri] = emailed_outputs(again.notification["message"])
    assert uri.endswith(f"/batch-output/{jobs[1].rsplit('/', 1)[-1]}/users.json.out")
