"""Batch inference jobs and batch segment jobs (no delete: the service has none for either).

A job reads its input from S3 when it is created, as the passed role (``local.iam``: the role's trust and
policies and the bucket policy for ``personalize.amazonaws.com``), validates every JSON line, answers them
and checks that the role may write the output; the outcome is then fixed and revealed when the job's
simulated duration has passed, and the ``.out`` files appear in S3 the first time the job is seen ACTIVE.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from .. import batch, imports
from ..errors import InvalidInputException
from ..recipes import RECIPE_PREFIX, RECIPES
from ..resources import BatchInferenceJob, BatchJob, BatchSegmentJob
from ..timeline import ACTIVE, IN_FLIGHT
from .registry import operation

if TYPE_CHECKING:
    from ..models import RegionState

DEFAULT_NUM_RESULTS = 25
INFERENCE = "batch inference job"
SEGMENT = "batch segment job"


@operation("CreateBatchInferenceJob")
def create_batch_inference_job(state: RegionState, p: dict, now: float) -> dict:
    mode = p.get("batchInferenceJobMode") or "BATCH_INFERENCE"
    if mode == "THEME_GENERATION":
        # [I] theme generation needs Content Generator recipes and an Items dataset with a title field;
        # the emulator models none of that, so it refuses rather than pretend.
        raise InvalidInputException("batchInferenceJobMode THEME_GENERATION is not supported by this emulator.")
    arn = state.arn(f"batch-inference-job/{p['jobName']}")
    job = _create(state, state.batch_inference_jobs, BatchInferenceJob, INFERENCE, arn, p, now)
    job.request["batchInferenceJobMode"] = mode
    return {"batchInferenceJobArn": arn}


@operation("CreateBatchSegmentJob")
def create_batch_segment_job(state: RegionState, p: dict, now: float) -> dict:
    arn = state.arn(f"batch-segment-job/{p['jobName']}")
    _create(state, state.batch_segment_jobs, BatchSegmentJob, SEGMENT, arn, p, now)
    return {"batchSegmentJobArn": arn}


@operation("DescribeBatchInferenceJob")
def describe_batch_inference_job(state: RegionState, p: dict, now: float) -> dict:
    return state.describe_resource(state.batch_inference_jobs, p["batchInferenceJobArn"], now)


@operation("DescribeBatchSegmentJob")
def describe_batch_segment_job(state: RegionState, p: dict, now: float) -> dict:
    return state.describe_resource(state.batch_segment_jobs, p["batchSegmentJobArn"], now)


@operation("ListBatchInferenceJobs")
def list_batch_inference_jobs(state: RegionState, p: dict, now: float) -> dict:
    return _list(state, "ListBatchInferenceJobs", state.batch_inference_jobs, p, now)


@operation("ListBatchSegmentJobs")
def list_batch_segment_jobs(state: RegionState, p: dict, now: float) -> dict:
    return _list(state, "ListBatchSegmentJobs", state.batch_segment_jobs, p, now)


def _list(state: RegionState, name: str, store: dict[str, Any], p: dict, now: float) -> dict:
    parent = p.get("solutionVersionArn")
    items = [j for j in store.values() if parent is None or j.solution_version_arn == parent]
    return state.page(name, items, p, parent, now)


def _create(
    state: RegionState, store: dict[str, Any], cls: type[BatchJob], kind: str, arn: str, p: dict, now: float
) -> BatchJob:
    state.ensure_new(store, arn)
    version = state.get(state.versions, p["solutionVersionArn"])
    state.require_status(version, now, {ACTIVE}, f"create a {kind} with the solution version")
    recipe = RECIPES[version.solution.recipe_arn]
    segment = kind == SEGMENT
    if segment and recipe.family != batch.SEGMENT_FAMILY:
        raise InvalidInputException(
            f"Solution version {version.arn} uses {recipe.arn}; batch segment jobs need a USER_SEGMENTATION "
            "recipe (aws-item-affinity or aws-item-attribute-affinity). Use a batch inference job."
        )
    if not segment and recipe.family == batch.SEGMENT_FAMILY:
        raise InvalidInputException(
            f"Solution version {version.arn} uses {recipe.arn}, which serves batch segment jobs only. "
            "Use CreateBatchSegmentJob."
        )
    if not segment and recipe.arn in batch.NO_BATCH_RECIPES:
        raise InvalidInputException(f"Solution version {version.arn} uses {recipe.arn}, which has no batch inference.")
    if p.get("filterArn"):
        state.find(p["filterArn"])  # ResourceNotFoundException for a filter that does not exist
    input_path = p["jobInput"]["s3DataSource"]["path"]
    output_path = p["jobOutput"]["s3DataDestination"]["path"]
    if input_path.rstrip("/") == output_path.rstrip("/"):
        raise InvalidInputException(
            f"Invalid S3 output path {output_path}: the output path must differ from the input path."
        )
    in_flight = sum(1 for j in store.values() if j.status(now) in IN_FLIGHT)
    state.check_quota(in_flight, state.quotas.in_flight_batch_jobs)
    tags = state.tags(p.get("tags"))  # before any injected failure is consumed
    request = {**p, "numResults": p.get("numResults") or DEFAULT_NUM_RESULTS}
    request.pop("tags", None)
    step = "batch-segment-job" if segment else "batch-inference-job"
    output_bucket, outputs, failure = "", {}, None
    try:
        output_bucket, outputs = _run(state, version, kind, arn, request)
    except imports.ImportFailed as failed:
        failure = failed.reason
    job = cls(
        arn=arn,
        name=p["jobName"],
        lifecycle=state.lifecycle(step, arn, now, failure),
        tags=tags,
        solution_version_arn=version.arn,
        request=request,
        output_bucket=output_bucket,
        outputs=outputs,
    )
    store[arn] = job
    state.observe(job, now)
    return job


def _run(state: RegionState, version: Any, kind: str, arn: str, request: dict) -> tuple[str, dict[str, bytes]]:
    """Read and answer the input as the job's role; (output bucket, {output key: body}) or ImportFailed."""
    from local.iam import personalize_may_read, personalize_may_write

    input_path = request["jobInput"]["s3DataSource"]["path"]
    output_path = request["jobOutput"]["s3DataDestination"]["path"]
    try:
        source, target = imports.parse_location(input_path), imports.parse_location(output_path)
    except imports.ImportFailed:
        raise imports.ImportFailed(batch.failure(kind, f"Invalid S3 path {input_path} or {output_path}.")) from None
    s3 = state.client("s3")
    keys = _input_keys(s3, source, kind)
    role = request["roleArn"]
    check = state.emulator.check_s3_access
    if check and not personalize_may_read(role, source.bucket, keys, arn):
        raise imports.ImportFailed(batch.privileges_failure(kind, source.uri()))
    recipe = RECIPES[version.solution.recipe_arn]
    name = recipe.arn.removeprefix(RECIPE_PREFIX)
    rule = batch.input_rule(name, recipe.family)
    outputs: dict[str, bytes] = {}
    model = version.model()
    total = 0
    for key in keys:
        body = s3.get_object(Bucket=source.bucket, Key=key)["Body"].read()
        total += len(body)
        if total > batch.MAX_INPUT_BYTES:
            raise imports.ImportFailed(batch.failure(kind, f"the input at {source.uri()} is larger than 1 GB."))
        records = batch.parse_lines(source.uri(key), body, rule, kind)
        lines = [
            batch.output_line(
                name, record, batch.recommend(name, recipe.family, model, record, request["numResults"], version.items)
            )
            for record in records
        ]
        outputs[batch.output_key(target, key)] = ("\n".join(lines) + "\n").encode()
    if check and not personalize_may_write(role, target.bucket, sorted(outputs), arn):
        raise imports.ImportFailed(batch.privileges_failure(kind, target.uri()))
    return target.bucket, outputs


def _input_keys(s3: Any, source: imports.Location, kind: str) -> list[str]:
    """Every object whose key starts with the input path, in key order: "Amazon S3 is prefix based", so
    ``folderName`` also reads ``folderName_test/`` and ``users.json`` also ``users.json.bak`` (batch
    segment job docs); only a trailing ``/`` limits the input to one folder."""
    keys: list[str] = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=source.bucket, Prefix=source.key):
            keys.extend(obj["Key"] for obj in page.get("Contents", []) if not obj["Key"].endswith("/"))
    except ClientError:
        keys = []
    if not keys:
        raise imports.ImportFailed(batch.failure(kind, f"no input file found at {source.uri()}."))
    if len(keys) > batch.MAX_INPUT_FILES:
        raise imports.ImportFailed(
            batch.failure(kind, f"{len(keys)} input files at {source.uri()}; a job reads at most 1000.")
        )
    return sorted(keys)


def write_outputs(state: RegionState, job: BatchJob, now: float) -> None:
    """Put the job's ``.out`` files in S3 once it is ACTIVE (as the service, unchecked: access was checked
    when the job was created)."""
    from local.iam import acting_as

    if job.written or job.status(now) != ACTIVE:
        return
    s3 = state.client("s3")
    # Personalize itself writes: a sweep can run inside a caller's IAM check (reading a resource's tags),
    # whose identity must not be the writer's.
    with acting_as(None):
        for key, body in sorted(job.outputs.items()):
            s3.put_object(Bucket=job.output_bucket, Key=key, Body=body, ContentType="application/json")
    job.written = True
