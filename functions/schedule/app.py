"""Apply Schedules: create, update or delete the dataset group's EventBridge Scheduler schedules to match
params.json (rules in personalize_pipeline.schedules). Runs at the end of upload runs only.

Calls only EventBridge Scheduler, in the stack's schedule group (SCHEDULE_GROUP), passing the stack's
SchedulerRole (SCHEDULER_ROLE_ARN) as each schedule's target role; the target is this state machine.
"""

import os

from botocore.exceptions import ClientError

from personalize_pipeline import errors, schedules
from personalize_pipeline.clients import client
from personalize_pipeline.observability import instrumented, logger, metrics
from personalize_pipeline.resources import error_code


@instrumented
def lambda_handler(event, context):
    plan = {"datasetGroup": event["datasetGroup"], "schedules": event["schedules"], "source": event["source"]}
    try:
        done = schedules.apply(
            client("scheduler"),
            plan,
            group=os.environ["SCHEDULE_GROUP"],
            role_arn=os.environ["SCHEDULER_ROLE_ARN"],
            state_machine_arn=event["stateMachineArn"],
        )
    except ClientError as error:
        if error_code(error) == "ThrottlingException":
            raise errors.ThrottlingException(str(error)) from error
        raise
    for item in done:
        metrics.add_metric(name=f"schedule_{item['action']}", unit="Count", value=1)
    logger.info("schedules applied", extra={"schedules": [(i["name"], i["action"]) for i in done]})
    return {**event["deployed"], "schedules": done}
