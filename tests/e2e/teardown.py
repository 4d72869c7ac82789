"""Starting the teardown in the local cloud as a user does: upload delete.json, follow the execution it starts."""

from __future__ import annotations

import json

import boto3

from local.runner import LocalPipeline, RunResult


def start_teardown(pipeline: LocalPipeline, body: str | bytes) -> str:
    """Upload delete.json; the ARN of the teardown execution the upload started."""
    data = body.encode() if isinstance(body, str) else body
    (arn,) = pipeline.put(data, "delete.json", source="delete.json")
    assert (
        boto3.client("stepfunctions").describe_execution(executionArn=arn)["stateMachineArn"]
        == (pipeline.stack.state_machine_arns["TeardownStateMachine"])
    )
    return arn


def run_teardown(pipeline: LocalPipeline, group: str) -> RunResult:
    return pipeline.finish(start_teardown(pipeline, json.dumps({"datasetGroup": {"name": group}})))


def add_schedule(pipeline: LocalPipeline, name: str) -> str:
    """A schedule in the stack's schedule group, as the pipeline names them."""
    scheduler = boto3.client("scheduler")
    group = pipeline.stack.physical_id("ScheduleGroup")
    target = {"Arn": pipeline.stack.state_machine_arn, "RoleArn": "arn:aws:iam::123456789012:role/scheduler"}
    return scheduler.create_schedule(
        Name=name,
        GroupName=group,
        ScheduleExpression="rate(7 days)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=target,
    )["ScheduleArn"]
