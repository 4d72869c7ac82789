"""ensure_batch_job against Stubber-backed Personalize and S3 clients: names, reuse, retries, outputs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from personalize_pipeline.ensure_batch import ensure_batch_job, input_objects, job_name
from personalize_pipeline.errors import ResourceFailed
from personalize_pipeline.naming import canonical_json, sha256_hex
from personalize_pipeline.polling import new_record

PREFIX = "arn:aws:personalize:us-east-1:123456789012"
BUCKET = "pipeline-inputbucket-1x2y3z"
VERSION_ARN = f"{PREFIX}:solution/retail/c1a33236"
ROLE_ARN = "arn:aws:iam::123456789012:role/pipeline-PersonalizeServiceRole-1A2B"
SPEC: dict[str, Any] = {
    "jobName": "retail-batch",
    "jobInput": {"s3DataSource": {"path": f"s3://{BUCKET}/batch-input/users/"}},
    "numResults": 10,
    "tags": [{"tagKey": "personalize-pipeline:stack", "tagValue": "pipeline"}],
}
OBJECTS = [("batch-input/users/a.json", '"etag-a"'), ("batch-input/users/b.json", '"etag-b"')]
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def s3() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("s3", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def pz() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("personalize", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def expect_listing(stubber: Stubber, prefix: str, keys: list[tuple[str, str]]) -> None:
    contents = [{"Key": key, "ETag": etag, "Size": 10} for key, etag in keys]
    stubber.add_response(
        "list_objects_v2", {"Contents": contents, "IsTruncated": False}, {"Bucket": BUCKET, "Prefix": prefix}
    )


def job_body(name: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "batchInferenceJob": {
            "jobName": name,
            "batchInferenceJobArn": f"{PREFIX}:batch-inference-job/{name}",
            "solutionVersionArn": VERSION_ARN,
            "status": status,
            "creationDateTime": T0,
            "lastUpdatedDateTime": T0,
            **extra,
        }
    }


def expect_describe(stubber: Stubber, name: str, body: dict[str, Any] | None) -> None:
    arn = f"{PREFIX}:batch-inference-job/{name}"
    if body is None:
        stubber.add_client_error(
            "describe_batch_inference_job",
            service_error_code="ResourceNotFoundException",
            expected_params={"batchInferenceJobArn": arn},
        )
    else:
        stubber.add_response("describe_batch_inference_job", body, {"batchInferenceJobArn": arn})


def details(name: str) -> dict[str, Any]:
    return {
        "outputPath": f"s3://{BUCKET}/batch-output/{name}/",
        "outputs": [f"s3://{BUCKET}/batch-output/{name}/a.json.out", f"s3://{BUCKET}/batch-output/{name}/b.json.out"],
    }


# ----------------------------------------------------------------------------- names
def test_job_name_is_base_and_8_hex_over_version_input_and_request() -> None:
    # GIVEN a plan entry, a version and its input objects
    # WHEN the job is named
    name = job_name("retail-batch", VERSION_ARN, OBJECTS, SPEC, 1)
    # THEN the name hashes exactly those three
    material = {"solutionVersionArn": VERSION_ARN, "input": [list(o) for o in OBJECTS], "request": SPEC}
    assert name == f"retail-batch-{sha256_hex(canonical_json(material))[:8]}"


def test_job_name_changes_with_version_input_request_and_attempt() -> None:
    # GIVEN the name of one job
    base = job_name("retail-batch", VERSION_ARN, OBJECTS, SPEC, 1)
    # WHEN any one of its inputs changes
    others = [
        job_name("retail-batch", VERSION_ARN.replace("c1a33236", "9e8d7c6b"), OBJECTS, SPEC, 1),
        job_name("retail-batch", VERSION_ARN, [OBJECTS[0], (OBJECTS[1][0], '"etag-new"')], SPEC, 1),
        job_name("retail-batch", VERSION_ARN, OBJECTS, {**SPEC, "numResults": 20}, 1),
        job_name("retail-batch", VERSION_ARN, OBJECTS, SPEC, 2),
    ]
    # THEN every name differs: a retrained version or new input runs a new job
    assert len({base, *others}) == 5
    assert all(len(name) == len("retail-batch-") + 8 for name in others)


def test_input_objects_file_path_lists_every_key_with_that_prefix(s3: tuple[Any, Stubber]) -> None:
    # GIVEN a file path whose prefix also matches a longer key
    client, stubber = s3
    expect_listing(stubber, "batch-input/u.json", [("batch-input/u.json", '"e1"'), ("batch-input/u.json.bak", '"e2"')])
    # WHEN its objects are listed
    # THEN both count: Personalize reads every key that starts with the path
    assert input_objects(client, f"s3://{BUCKET}/batch-input/u.json") == [
        ("batch-input/u.json", '"e1"'),
        ("batch-input/u.json.bak", '"e2"'),
    ]


def test_input_objects_folder_lists_every_object_but_folder_markers(s3: tuple[Any, Stubber]) -> None:
    client, stubber = s3
    expect_listing(stubber, "batch-input/users/", [("batch-input/users/", '"d"'), *reversed(OBJECTS)])
    assert input_objects(client, f"s3://{BUCKET}/batch-input/users/") == OBJECTS


# ----------------------------------------------------------------------------- ensure
def test_ensure_batch_job_absent_creates_with_output_under_batch_output(
    pz: tuple[Any, Stubber], s3: tuple[Any, Stubber]
) -> None:
    # GIVEN no job for this version and input yet
    personalize, stubber = pz
    expect_listing(s3[1], "batch-input/users/", OBJECTS)
    name = job_name("retail-batch", VERSION_ARN, OBJECTS, SPEC, 1)
    expect_describe(stubber, name, None)
    stubber.add_response(
        "create_batch_inference_job",
        {"batchInferenceJobArn": f"{PREFIX}:batch-inference-job/{name}"},
        {
            **SPEC,
            "jobName": name,
            "solutionVersionArn": VERSION_ARN,
            "roleArn": ROLE_ARN,
            "jobOutput": {"s3DataDestination": {"path": f"s3://{BUCKET}/batch-output/{name}/"}},
        },
    )
    expect_describe(stubber, name, job_body(name, "CREATE PENDING"))
    # WHEN it is ensured
    record = ensure_batch_job(personalize, s3[0], PREFIX, "batchInferenceJob", VERSION_ARN, ROLE_ARN, dict(SPEC))
    # THEN it is created with the role and the output folder, and the record names the .out files
    assert record == new_record(
        "batchInferenceJob",
        f"{PREFIX}:batch-inference-job/{name}",
        name,
        "CREATE PENDING",
        "created",
        **details(name),
    )


def test_ensure_batch_job_finished_job_is_reused(pz: tuple[Any, Stubber], s3: tuple[Any, Stubber]) -> None:
    # GIVEN the same job already ran for this version and input
    personalize, stubber = pz
    expect_listing(s3[1], "batch-input/users/", OBJECTS)
    name = job_name("retail-batch", VERSION_ARN, OBJECTS, SPEC, 1)
    expect_describe(stubber, name, job_body(name, "ACTIVE"))
    # WHEN it is ensured again
    record = ensure_batch_job(personalize, s3[0], PREFIX, "batchInferenceJob", VERSION_ARN, ROLE_ARN, dict(SPEC))
    # THEN nothing is created
    assert record == new_record(
        "batchInferenceJob", f"{PREFIX}:batch-inference-job/{name}", name, "ACTIVE", "reused", **details(name)
    )


def test_ensure_batch_job_failed_job_runs_again_under_next_attempt(
    pz: tuple[Any, Stubber], s3: tuple[Any, Stubber]
) -> None:
    # GIVEN the job for this content failed earlier (say the role could not write)
    personalize, stubber = pz
    expect_listing(s3[1], "batch-input/users/", OBJECTS)
    first = job_name("retail-batch", VERSION_ARN, OBJECTS, SPEC, 1)
    second = job_name("retail-batch", VERSION_ARN, OBJECTS, SPEC, 2)
    expect_describe(stubber, first, job_body(first, "CREATE FAILED", failureReason="Insufficient privileges"))
    expect_describe(stubber, second, job_body(second, "CREATE IN_PROGRESS"))
    # WHEN it is ensured
    record = ensure_batch_job(personalize, s3[0], PREFIX, "batchInferenceJob", VERSION_ARN, ROLE_ARN, dict(SPEC))
    # THEN the second attempt's job (already running, from a concurrent run) is followed
    assert (record.name, record.action, record.status) == (second, "resumed", "CREATE IN_PROGRESS")


def test_ensure_batch_job_every_attempt_failed_raises_with_last_reason(
    pz: tuple[Any, Stubber], s3: tuple[Any, Stubber]
) -> None:
    personalize, stubber = pz
    expect_listing(s3[1], "batch-input/users/", OBJECTS)
    for attempt in range(1, 6):
        name = job_name("retail-batch", VERSION_ARN, OBJECTS, SPEC, attempt)
        expect_describe(stubber, name, job_body(name, "CREATE FAILED", failureReason=f"reason {attempt}"))
    with pytest.raises(ResourceFailed) as raised:
        ensure_batch_job(personalize, s3[0], PREFIX, "batchInferenceJob", VERSION_ARN, ROLE_ARN, dict(SPEC))
    assert str(raised.value) == (
        "batch job 'retail-batch' failed 5 times on the same input and request; last reason: reason 5"
    )


def test_ensure_batch_job_input_gone_raises_naming_path(pz: tuple[Any, Stubber], s3: tuple[Any, Stubber]) -> None:
    personalize, _ = pz
    expect_listing(s3[1], "batch-input/users/", [])
    with pytest.raises(ResourceFailed) as raised:
        ensure_batch_job(personalize, s3[0], PREFIX, "batchInferenceJob", VERSION_ARN, ROLE_ARN, dict(SPEC))
    assert str(raised.value) == (
        f"the input of batch job 'retail-batch' is gone: nothing at s3://{BUCKET}/batch-input/users/"
    )
