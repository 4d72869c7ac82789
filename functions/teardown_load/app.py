"""Read Teardown Request: delete.json, the owner check, the pipeline runs, and what the group holds.

Refuses (nothing deleted) a bad delete.json (InvalidParameters), a dataset group this stack did not create
(NotCreatedByStack) and a group a pipeline run is working on (RunInProgress); answers ``wait`` while a
pipeline run has not read its parameters yet (its dataset group may be this one).
"""

import os

from personalize_pipeline.clients import client
from personalize_pipeline.config import settings
from personalize_pipeline.errors import InvalidParameters, RunInProgress
from personalize_pipeline.observability import instrumented, logger, metrics
from personalize_pipeline.teardown import (
    MAX_REQUEST_BYTES,
    check_owner,
    inventory,
    parse_request,
    pipeline_runs_verdict,
)


@instrumented
def lambda_handler(event, context):
    detail = event["detail"]
    bucket, key = detail["bucket"]["name"], detail["object"]["key"]
    version_id = detail["object"].get("version-id")
    source = f"s3://{bucket}/{key}"
    s3 = client("s3")
    request = {"Bucket": bucket, "Key": key, **({"VersionId": version_id} if version_id else {})}
    try:
        obj = s3.get_object(**request)
    except s3.exceptions.NoSuchKey as error:
        raise InvalidParameters([f"{source}: the object was deleted before it could be read"]) from error
    body = obj["Body"].read(MAX_REQUEST_BYTES + 1)
    group = parse_request(body, source)
    stack = _require("PIPELINE_STACK_NAME")
    personalize = client("personalize")
    arn_prefix = settings().arn_prefix
    exists = check_owner(personalize, f"{arn_prefix}:dataset-group/{group}", group, stack)
    verdict, other = pipeline_runs_verdict(client("stepfunctions"), _require("PIPELINE_STATE_MACHINE_ARN"), group)
    metrics.add_metric(name=f"teardown_runs_{verdict}", unit="Count", value=1)
    if verdict == "busy":
        raise RunInProgress(
            f"pipeline execution {other} is running for dataset group '{group}'; nothing was deleted. Upload "
            "delete.json again once that run has e-mailed its result."
        )
    if verdict == "wait":
        return {"verdict": verdict, "other": other, "teardown": None}
    document = inventory(personalize, client("scheduler"), arn_prefix, group, _require("SCHEDULE_GROUP"), exists)
    logger.info(
        "teardown planned",
        extra={key: len(stage["pending"]) for key, stage in document["stages"].items()}
        | {"kept": len(document["kept"])},
    )
    return {"verdict": verdict, "other": other, "teardown": document}


def _require(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise RuntimeError(f"environment variable {name} is not set; check template.yaml")
    return value
