"""Summarize Run / Summarize Failure: compose the e-mail the state machine publishes to SNS.

Success: every ARN created or reused, the solution version's offline metrics and the time Personalize
spent on each step (from the resources' own timestamps). Failure: the failing state (found in the
execution history, even inside a Map iteration), the error, the cause in plain words, what to do, and
what the run had created so far.
"""

from datetime import UTC, datetime

from botocore.exceptions import ClientError

from personalize_pipeline import schedules
from personalize_pipeline.clients import client
from personalize_pipeline.config import console_region
from personalize_pipeline.messages import (
    BatchOutput,
    Line,
    RecommenderLine,
    RunSummary,
    Trained,
    failure_context,
    failure_message,
    started_by,
    success_message,
    tracking_lines,
)
from personalize_pipeline.naming import recipe_name
from personalize_pipeline.observability import instrumented, logger, metrics
from personalize_pipeline.resources import describe, effective_status, seconds_of


@instrumented
def lambda_handler(event, context):
    if event["action"] == "success":
        metrics.add_metric(name="runs_succeeded", unit="Count", value=1)
        return _success(event)
    if event["action"] == "failure":
        metrics.add_metric(name="runs_failed", unit="Count", value=1)
        return _failure(event)
    raise ValueError(f"unknown action {event['action']!r}")


def _line(personalize, record: dict) -> Line:
    resource = describe(personalize, record["kind"], record["arn"]) or {}
    status, _ = effective_status(record["kind"], resource) if resource else (record["status"], None)
    return Line(
        kind=record["kind"],
        name=record["name"],
        arn=record["arn"],
        action=record["action"],
        status=status or record["status"],
        seconds=seconds_of(record["kind"], resource, record["action"]),
    )


def _success(event: dict) -> dict:
    personalize = client("personalize")
    group = event["datasetGroup"]
    lines = [_line(personalize, group)]
    for dataset in event["datasets"]:
        details = dataset["dataset"]["details"]
        lines.append(_line(personalize, dataset["dataset"]))
        lines.append(Line("schema", details["schemaName"], details["schemaArn"], details["schemaAction"]))
        lines.append(_line(personalize, dataset["importJob"]))
    lines += tracking_lines(event.get("eventTrackers", []), event.get("filters", []))
    metrics, trained, campaigns, batch_outputs = {}, {}, [], []
    planned = {item["solution"]["name"]: item["solution"] for item in event["plan"]["solutions"]}
    for solution in event["solutions"]:
        lines.append(_line(personalize, solution["solution"]))
        version = solution["solutionVersion"]
        lines.append(_line(personalize, version))
        spec = planned.get(solution["solution"]["name"], {})
        trained[version["arn"]] = Trained(recipe_name(spec.get("recipeArn")), spec.get("eventType"))
        try:
            metrics[version["arn"]] = personalize.get_solution_metrics(solutionVersionArn=version["arn"])["metrics"]
        except ClientError:
            logger.exception("metrics unavailable")  # the run succeeded; the e-mail just lacks metrics
        for item in solution["campaigns"]:
            lines.append(_line(personalize, item["campaign"]))
            campaigns.append(item["campaign"]["name"])
        for item in [*solution.get("batchInferenceJobs", []), *solution.get("batchSegmentJobs", [])]:
            job = item["batchJob"]
            lines.append(_line(personalize, job))
            batch_outputs.append(BatchOutput(job["kind"], job["name"], job["arn"], job["details"]["outputs"]))
    recommenders = []
    for item in event["recommenders"]:
        line = _line(personalize, item["recommender"])
        lines.append(line)
        recommenders.append(RecommenderLine(line.name, line.arn, item["spec"]["recipeArn"], line.status))
    summary = RunSummary(
        dataset_group=group["name"],
        execution_arn=event["executionArn"],
        region=console_region(),
        resources=lines,
        metrics=metrics,
        trained=trained,
        campaigns=campaigns,
        recommenders=recommenders,
        notes=[note for solution in event["plan"]["solutions"] for note in solution.get("notes", [])],
        batch_outputs=batch_outputs,
        # Next fire times are counted from this run's start: the same run always writes the same e-mail.
        schedules=schedules.describe_schedules(event.get("schedules") or [], _start_of(event)),
        started_by=started_by((event["plan"].get("run") or {}).get("schedule")),
    )
    subject, message = success_message(summary)
    return {"subject": subject, "message": message}


def _failure(event: dict) -> dict:
    execution_arn = event["executionArn"]
    events = []
    try:
        paginator = client("stepfunctions").get_paginator("get_execution_history")
        for page in paginator.paginate(executionArn=execution_arn, includeExecutionData=True):
            events.extend(page["events"])
    except ClientError:
        # Without the history the e-mail still carries the error and cause; say so in the logs.
        logger.exception("execution history unavailable")
    state = event.get("state") or {}
    group = ((state.get("plan") or {}).get("datasetGroup") or {}).get("name", "")
    context = failure_context(event["failure"], events)
    personalize = client("personalize")
    for line in context.touched:  # the history holds each resource's last polled status; say what it is now
        if line.kind != "schema":
            try:
                resource = describe(personalize, line.kind, line.arn)
            except ClientError:
                logger.exception("could not refresh the status of %s", line.arn)
                continue
            line.status = effective_status(line.kind, resource)[0] if resource else "deleted"
    schedule_line = started_by(schedules.schedule_of(state))
    subject, message = failure_message(context, execution_arn, console_region(), group, schedule_line)
    return {"subject": subject, "message": message}


def _start_of(event: dict) -> datetime:
    start = event.get("startTime")
    return datetime.fromisoformat(start.replace("Z", "+00:00")) if start else datetime.now(UTC)
