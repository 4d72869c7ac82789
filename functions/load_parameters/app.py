"""Load Parameters: read params.json and the data listing, validate everything, return the plan.

Runs before any Personalize resource exists, so bad input costs nothing: every problem is reported at
once with its JSON path or S3 key (InvalidParameters), and the failure e-mail lists them all. A valid
plan is then checked against the datasets that already exist in its dataset group (read-only describes):
a schema change UpdateDataset would refuse, or a name taken by a resource this stack did not create, is
reported here, not after resources were created.
"""

from botocore.exceptions import ClientError

from personalize_pipeline import schedules
from personalize_pipeline.batch_input import input_problems, list_inputs, plan_input_checks
from personalize_pipeline.clients import client
from personalize_pipeline.config import settings, stack_context
from personalize_pipeline.data_files import DataListing, list_data
from personalize_pipeline.data_values import plan_checks
from personalize_pipeline.errors import InvalidParameters, shorten_problem
from personalize_pipeline.existing import campaign_moves, existing_datasets, foreign_resources, service_recipes
from personalize_pipeline.observability import instrumented, logger, metrics
from personalize_pipeline.offline_rules import first_import_problems
from personalize_pipeline.params import build_plan, existing_dataset_problems

#: params.json describes a handful of API calls; anything this large is not a parameters file.
MAX_PARAMS_BYTES = 1024 * 1024
#: Problems per log record (each at most ~1 KB once shortened by the message, usually far less).
LOGGED_PROBLEMS = 100


@instrumented
def lambda_handler(event, context):
    detail = event["detail"]
    bucket, key = detail["bucket"]["name"], detail["object"]["key"]
    version_id = detail["object"].get("version-id")
    # A scheduled run (schedules.execution_input) reads the params version that created its schedule.
    schedule = schedules.schedule_of(event.get("executionInput"))
    s3 = client("s3")
    request = {"Bucket": bucket, "Key": key, **({"VersionId": version_id} if version_id else {})}
    try:
        obj = s3.get_object(**request)
    except s3.exceptions.NoSuchKey as error:
        raise InvalidParameters([f"s3://{bucket}/{key}: the object was deleted before it could be read"]) from error
    except ClientError as error:
        if schedule is None or error.response.get("Error", {}).get("Code") not in ("NoSuchVersion", "404"):
            raise
        raise InvalidParameters(
            [
                f"s3://{bucket}/{key} version {version_id}: the params.json version schedule {schedule.get('name')} "
                "runs was deleted; upload params.json again (the upload run rebuilds the schedules on the new version)"
            ],
            dataset_group=schedule.get("datasetGroup"),
        ) from error
    if obj["ContentLength"] > MAX_PARAMS_BYTES:
        raise InvalidParameters([f"s3://{bucket}/{key}: {obj['ContentLength']} bytes; a parameters file is < 1 MiB"])
    body = obj["Body"].read()
    try:
        personalize = client("personalize")
        stack = stack_context(service_recipes(personalize))
        data = list_data(s3, bucket)
        plan = build_plan(body, bucket=bucket, key=key, version_id=version_id, data=data, stack=stack)
        arn_prefix = settings().arn_prefix
        problems = foreign_resources(personalize, arn_prefix, plan, stack.name)
        problems += campaign_moves(personalize, arn_prefix, plan)
        existing = existing_datasets(personalize, arn_prefix, plan)
        problems += existing_dataset_problems(plan, existing) + first_import_problems(plan, existing)
        batch_inputs = list_inputs(s3, plan)
        problems += input_problems(plan, batch_inputs)
        if problems:
            raise InvalidParameters(problems, dataset_group=plan["datasetGroup"]["name"])
        if schedule is not None:
            plan = schedules.for_scheduled_run(plan, schedule)
    except InvalidParameters as error:
        metrics.add_metric(name="parameters_rejected", unit="Count", value=1)
        # The e-mail shows the first problems; the log keeps them all, in records well under CloudWatch's
        # 256 KB event limit.
        total = len(error.problems)
        for start in range(0, max(total, 1), LOGGED_PROBLEMS):
            chunk = [shorten_problem(p) for p in error.problems[start : start + LOGGED_PROBLEMS]]
            logger.warning("parameters rejected", extra={"problems": chunk, "first": start + 1, "total": total})
        raise
    metrics.add_metric(name="parameters_accepted", unit="Count", value=1)
    logger.info("parameters valid", extra={"datasets": [d["datasetType"] for d in plan["datasets"]]})
    for solution in plan["solutions"]:
        for note in solution["notes"]:
            logger.warning(note)
    # The work list of Check Data Values: every row (and every batch input line) is checked before anything
    # is created.
    plan["dataChecks"] = _data_checks(plan, data)
    plan["dataChecks"]["items"] += plan_input_checks(plan, batch_inputs)
    # Where each resource was written only matters for the problems above: the steps never read it.
    del plan["paths"]
    return plan


def _data_checks(plan: dict, data: DataListing) -> dict:
    objects = [obj for folder in data.folders.values() for obj in folder if obj.header is not None]
    return plan_checks(plan, {o.key: o.header for o in objects}, {o.key: (o.etag, o.size) for o in objects})
