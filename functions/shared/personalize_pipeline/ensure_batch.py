"""Batch inference jobs and batch segment jobs: run one per plan entry, or reuse the one that already ran.

Batch jobs cannot be updated nor deleted, and their names are account-wide, so the job name says what the
job computed: ``<plan jobName>-<8 hex>`` over the solution version, the input objects (keys and ETags) and
the request. Uploading the same parameters and input again finds the finished job and runs nothing; a
retrained version or changed input runs a new job. A job that failed on the same content (say the bucket
policy was wrong) is tried again under the next attempt's name, up to ``MAX_ATTEMPTS``.

The job writes under ``s3://<bucket>/batch-output/<job name>/``, the only prefix the Personalize role may
write; Personalize names each output file after its input file, with ``.out`` appended.
"""

from __future__ import annotations

from typing import Any

from .batch_input import objects_under, split_s3_uri
from .ensure import _create_or_adopt, _record
from .errors import ResourceFailed
from .naming import canonical_json, sha256_hex
from .polling import PollRecord
from .resources import describe
from .status import Phase, phase_of

#: Jobs tried for the same content before the pipeline gives up (each failure spends a name).
MAX_ATTEMPTS = 5
#: The prefix of the input bucket the Personalize role may write, and nothing else may.
OUTPUT_PREFIX = "batch-output/"

#: kind -> (resource type in its ARN, boto3 create method)
_KINDS = {
    "batchInferenceJob": ("batch-inference-job", "create_batch_inference_job"),
    "batchSegmentJob": ("batch-segment-job", "create_batch_segment_job"),
}


def input_objects(s3: Any, path: str) -> list[tuple[str, str]]:
    """(key, ETag) of every object the job reads, sorted by key (``batch_input.objects_under``). Only
    ListBucket is used, narrowed to the input prefix in the template."""
    return [(obj["key"], obj["etag"]) for obj in objects_under(s3, path)]


def job_name(base: str, solution_version_arn: str, objects: list[tuple[str, str]], spec: dict, attempt: int) -> str:
    """``<base>-<8 hex>`` over what the job computes (and the attempt, from the second on)."""
    material: dict[str, Any] = {
        "solutionVersionArn": solution_version_arn,
        "input": [list(obj) for obj in objects],
        "request": spec,
    }
    if attempt > 1:
        material["attempt"] = attempt
    return f"{base}-{sha256_hex(canonical_json(material))[:8]}"


def output_uris(bucket: str, name: str, objects: list[tuple[str, str]]) -> list[str]:
    """Where the job writes: one ``<input file name>.out`` per input object."""
    return [f"s3://{bucket}/{OUTPUT_PREFIX}{name}/{key.rsplit('/', 1)[-1]}.out" for key, _ in objects]


def ensure_batch_job(
    personalize: Any,
    s3: Any,
    arn_prefix: str,
    kind: str,
    solution_version_arn: str,
    role_arn: str,
    spec: dict[str, Any],
) -> PollRecord:
    """Create (or reuse) the ``kind`` job of ``spec`` for the solution version; the record's details carry
    the output folder and the ``.out`` files it writes."""
    resource_type, create_method = _KINDS[kind]
    path = spec["jobInput"]["s3DataSource"]["path"]
    bucket, _ = split_s3_uri(path)
    objects = input_objects(s3, path)
    if not objects:
        # Load Parameters checked the input; it was removed since.
        raise ResourceFailed(f"the input of batch job '{spec['jobName']}' is gone: nothing at {path}")
    last_reason = ""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        name = job_name(spec["jobName"], solution_version_arn, objects, spec, attempt)
        arn = f"{arn_prefix}:{resource_type}/{name}"
        output = f"s3://{bucket}/{OUTPUT_PREFIX}{name}/"
        details = {"outputPath": output, "outputs": output_uris(bucket, name, objects)}
        request = {
            **spec,
            "jobName": name,
            "solutionVersionArn": solution_version_arn,
            "roleArn": role_arn,
            "jobOutput": {"s3DataDestination": {"path": output}},
        }
        existing = describe(personalize, kind, arn)
        action = "reused"
        if existing is None:
            existing, action = _create_or_adopt(
                lambda request=request: getattr(personalize, create_method)(**request),
                lambda arn=arn: describe(personalize, kind, arn),
            )
        phase = phase_of(existing.get("status", ""))
        if phase is Phase.FAILED:
            last_reason = existing.get("failureReason") or "no reason given by Personalize"
            continue
        if action == "reused" and phase is not Phase.ACTIVE:
            action = "resumed"
        return _record(kind, arn, name, existing, action, **details)
    raise ResourceFailed(
        f"batch job '{spec['jobName']}' failed {MAX_ATTEMPTS} times on the same input and request; "
        f"last reason: {last_reason}"
    )
