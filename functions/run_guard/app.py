"""Look for Other Runs: one run at a time per dataset group (rules in personalize_pipeline.runs).

Reads only Step Functions: the RUNNING executions of this state machine (ListExecutions), the input
of each older one (DescribeExecution: which S3 object it was started for) and, when it is not the same
object, its history up to Load Parameters (GetExecutionHistory: which dataset group it works on).
"""

from datetime import UTC, datetime

from personalize_pipeline.clients import client
from personalize_pipeline.errors import RunInProgress
from personalize_pipeline.observability import instrumented, logger, metrics
from personalize_pipeline.runs import BUSY, Run, dataset_group_of_history, is_older, source_of, verdict


@instrumented
def lambda_handler(event, context):
    sfn = client("stepfunctions")
    me = Run(
        arn=event["executionArn"],
        started=_ms(datetime.fromisoformat(event["startTime"].replace("Z", "+00:00"))),
        # The whole input: a scheduled run's source is its schedule's firing, not only the params version.
        source=source_of(event.get("executionInput") or {"detail": event["detail"]}),
        dataset_group=event["datasetGroup"],
    )
    running = []
    pages = sfn.get_paginator("list_executions").paginate(
        stateMachineArn=event["stateMachineArn"], statusFilter="RUNNING"
    )
    for page in pages:
        for item in page["executions"]:
            candidate = Run(item["executionArn"], _ms(item["startDate"]), ())
            if candidate.arn == me.arn or not is_older(candidate, me):
                continue  # newer runs defer to this one: never read them
            running.append(_describe(sfn, candidate))
    outcome, other = verdict(me, running)
    logger.info("other runs checked", extra={"verdict": outcome, "other": other, "olderRunning": len(running)})
    metrics.add_metric(name=f"runs_{outcome}", unit="Count", value=1)  # clear, wait, duplicate or busy
    if outcome == BUSY:
        raise RunInProgress(
            f"execution {other} is already running for dataset group '{me.dataset_group}'; this upload was not "
            "applied. Upload the parameters file again once that run has e-mailed its result."
        )
    return {"verdict": outcome, "other": other}


def _ms(moment: datetime) -> datetime:
    """UTC to the millisecond, as both $$.Execution.StartTime and ListExecutions give it on AWS: every run
    must order any two runs the same way (ties go by ARN), or two could each defer to the other."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)


def _describe(sfn, run: Run) -> Run:
    description = sfn.describe_execution(executionArn=run.arn)
    source = source_of(description.get("input") or "{}")
    events = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=run.arn, includeExecutionData=True):
        events.extend(page["events"])
        if dataset_group_of_history(page["events"]) is not None:
            break  # Load Parameters comes first: no need to page through hours of polling
    return Run(run.arn, run.started, source, dataset_group_of_history(events))
