"""Check Data Values (one Map iteration per byte range of a data file) and Summarize Data Checks.

Runs after Load Parameters and before anything is created: every row is checked against its schema and
the training minimums are counted, so bad data costs a few Lambda seconds instead of an import cycle.
The range is streamed from S3 (a ranged GET, read in 1 MiB chunks), so memory stays bounded whatever the
file's size; ``IfMatch`` ties it to the version Load Parameters listed.
"""

from botocore.exceptions import ClientError

from personalize_pipeline.batch_input import BATCH_FOLDER, check_lines
from personalize_pipeline.clients import client
from personalize_pipeline.data_values import check_part, owned_lines, summarize
from personalize_pipeline.errors import InvalidParameters
from personalize_pipeline.observability import instrumented, logger, metrics

CHUNK_BYTES = 1024 * 1024


@instrumented
def lambda_handler(event, context):
    if event["action"] == "check":
        return _check(event)
    if event["action"] == "summarize":
        return _summarize(event)
    raise ValueError(f"unknown action {event['action']!r}")


def _check(event: dict) -> dict:
    item, bucket = event["item"], event["bucket"]
    first = max(item["start"] - 1, 0)
    try:
        response = client("s3").get_object(
            Bucket=bucket, Key=item["key"], Range=f"bytes={first}-", IfMatch=item["etag"]
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "412"):
            raise
        raise InvalidParameters(
            [f"s3://{bucket}/{item['key']}: the object changed while it was being checked; upload params.json again"]
        ) from error
    body = response["Body"]
    try:
        lines = owned_lines(body.iter_chunks(CHUNK_BYTES), item["start"], item["end"])
        if item["folder"] == BATCH_FOLDER:
            result = check_lines(item, lines)
        else:
            result = check_part(item, event["fields"][item["folder"]], event["filters"], lines)
    finally:
        body.close()  # the range ends before the object does: stop the download
    metrics.add_metric(name="data_rows_checked", unit="Count", value=result["records"])
    return result


def _summarize(event: dict) -> dict:
    checks = event["checks"]
    problems, warnings = summarize(event["bucket"], checks)
    if problems:
        metrics.add_metric(name="data_rejected", unit="Count", value=1)
        logger.warning("data rejected", extra={"problems": problems})
        raise InvalidParameters(problems)
    metrics.add_metric(name="data_accepted", unit="Count", value=1)
    for warning in warnings:
        logger.warning(warning)
    return {
        "files": len({item["key"] for item in checks["items"]}),
        "ranges": len(checks["items"]),
        "records": sum(result["records"] for result in checks["results"]),
        "warnings": warnings,
    }
