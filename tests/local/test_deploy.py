"""Deploying a SAM template into the local cloud and running it through the real S3 -> rule -> state
machine -> Lambda -> SNS path, on the fixture app (the real template's shape) and on the real template."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from local import patches
from local.clock import SimClock
from local.deploy import (
    DeployError,
    Inbox,
    LocalCloud,
    Notification,
    Stack,
    deploy_stack,
    execution_history,
    local_cloud,
    subscribe_queue,
    transform_template,
    wait_for_execution,
)

ROOT = Path(__file__).resolve().parents[2]
MINI_APP = Path(__file__).parent / "fixtures" / "mini_app" / "template.yaml"
REAL_TEMPLATE = ROOT / "template.yaml"
PARAMETERS = {"Email": "ops@example.com"}
ITEMS = [{"pauseSeconds": 100, "value": n} for n in range(3)]
#: Prepare (1 s Lambda) + Wait 30 s + Map of items pausing 100 s then a 1 s Lambda + Parallel of 60 s.
HAPPY_SECONDS = 1 + 30 + 101 + 60
#: Real seconds; only a hang guard (runs take simulated time), generous for a loaded 2-core machine.
HANG_GUARD_S = 120


@dataclass
class Deployed:
    cloud: LocalCloud
    stack: Stack
    inbox: Inbox

    def upload(self, body: dict[str, Any], key: str = "params.json") -> None:
        boto3.client("s3").put_object(Bucket=self.stack.bucket_name, Key=key, Body=json.dumps(body).encode())

    def executions(self) -> list[dict[str, Any]]:
        sfn = boto3.client("stepfunctions")
        return sfn.list_executions(stateMachineArn=self.stack.state_machine_arn)["executions"]

    def run(self, body: dict[str, Any]) -> dict[str, Any]:
        """Upload the parameters object and wait for the one execution it starts."""
        known = {e["executionArn"] for e in self.executions()}
        self.upload(body)
        (started,) = [e for e in self.executions() if e["executionArn"] not in known]
        return wait_for_execution(started["executionArn"], timeout_s=HANG_GUARD_S)


def _deployed(cloud: LocalCloud, template: Path = MINI_APP, **parameters: str) -> Deployed:
    stack = deploy_stack(template, {**PARAMETERS, **parameters})
    return Deployed(cloud, stack, subscribe_queue(stack.topic_arn))


@pytest.fixture
def app() -> Iterator[Deployed]:
    with local_cloud(SimClock()) as cloud:
        yield _deployed(cloud)


def _seconds(description: dict[str, Any]) -> float:
    return (description["stopDate"] - description["startDate"]).total_seconds()


# -- deploying -----------------------------------------------------------------------------------------


def test_deploy_gives_every_resource_a_physical_id_and_wires_the_code(app: Deployed) -> None:
    stack = app.stack
    fixture = MINI_APP.parent

    assert set(stack.physical_ids) == set(stack.template["Resources"])
    assert stack.outputs["InputBucketName"] == stack.bucket_name
    assert stack.outputs["StateMachineArn"] == stack.state_machine_arn
    assert stack.outputs["NotificationTopicArn"] == stack.topic_arn
    assert sorted(stack.function_code_dirs.values()) == [fixture / "functions/prepare", fixture / "functions/work"]
    assert all(code.layer_dirs == (fixture / "functions/shared",) for code in stack.function_code.values())
    layer = stack.of_type("AWS::Lambda::LayerVersion")
    assert list(layer.values())[0].startswith("arn:aws:lambda:us-east-1:123456789012:layer:")


def test_deploy_applies_what_moto_cloudformation_ignores(app: Deployed) -> None:
    s3 = boto3.client("s3")
    bucket = app.stack.bucket_name

    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]["BlockPublicAcls"]
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"][0]["Sid"] == "DenyInsecureTransport"
    subscriptions = boto3.client("sns").list_subscriptions_by_topic(TopicArn=app.stack.topic_arn)["Subscriptions"]
    assert {(s["Protocol"], s["Endpoint"]) for s in subscriptions} >= {("email", "ops@example.com")}
    machine = boto3.client("stepfunctions").describe_state_machine(stateMachineArn=app.stack.state_machine_arn)
    assert machine["loggingConfiguration"]["level"] == "ERROR"
    assert machine["tracingConfiguration"] == {"enabled": True}


def test_definition_substitutions_replace_only_their_keys_and_keep_context_paths() -> None:
    template, _ = transform_template(MINI_APP, PARAMETERS)

    definition = template["Resources"]["MiniStateMachine"]["Properties"]["DefinitionString"]

    parts = definition["Fn::Join"][1]
    text = "".join(part for part in parts if isinstance(part, str))
    assert {"Fn::GetAtt": ["PrepareFunction", "Arn"]} in parts and {"Ref": "NotificationTopic"} in parts
    assert "$$.Execution.Name" in text and "$$.Map.Item.Value" in text and "${" not in text


def test_deploy_fails_loudly_on_a_resource_moto_would_skip(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Group:\n"
        "    Type: AWS::Personalize::DatasetGroup\n"
        "    Properties: {Name: demo}\n"
    )

    with local_cloud(SimClock()), pytest.raises(DeployError, match=r"Group \(AWS::Personalize::DatasetGroup\)"):
        deploy_stack(template, {})


def test_deploy_fails_loudly_on_a_missing_code_directory(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: functions/nope/, Handler: app.lambda_handler, Runtime: python3.13}\n"
    )

    with local_cloud(SimClock()), pytest.raises(DeployError, match="CodeUri 'functions/nope/' does not exist"):
        deploy_stack(template, {})


def test_local_cloud_sets_fake_credentials_and_restores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)

    with local_cloud(SimClock()) as cloud:
        assert os.environ["AWS_ACCESS_KEY_ID"]  # moto's own fake key while the mock is open
        assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1" and os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
        assert patches.is_installed() and patches.active_clock() is cloud.clock

    assert "AWS_ACCESS_KEY_ID" not in os.environ and not patches.is_installed()


# -- running -------------------------------------------------------------------------------------------


def test_upload_runs_the_pipeline_with_the_template_wiring_in_simulated_time() -> None:
    started = time.perf_counter()
    with local_cloud(SimClock()) as cloud:
        app = _deployed(cloud)

        result = app.run({"waitSeconds": 30, "items": ITEMS})

        output = json.loads(result["output"])
        prepared = output["prepared"]["value"]
        assert result["status"] == "SUCCEEDED"
        assert prepared["env"] == {
            "GREETING": "hello-from-globals",
            "BUCKET_NAME": app.stack.bucket_name,
            "POWERTOOLS_SERVICE_NAME": "mini-app",
        }
        assert prepared["layer"] == "mini-shared-1"
        assert prepared["context"]["functionName"] in app.stack.function_code
        assert [item["result"] for item in output["items"]] == [
            {"index": n, "double": 2 * n, "greeting": "hello-from-work"} for n in range(3)
        ]
        assert app.inbox.receive() == [
            Notification("mini-app succeeded", f"execution {result['name']} processed params.json")
        ]
        assert _seconds(result) == HAPPY_SECONDS and cloud.clock.elapsed() == HAPPY_SECONDS
        assert cloud.runtime.invocations == 1 + len(ITEMS)
    # Nothing really waits: a run that slept would take at least its simulated duration (bounds are loose on
    # purpose, so a slow CI machine never fails this; only real sleeping does).
    assert time.perf_counter() - started < HAPPY_SECONDS / 2


def test_uploads_other_than_the_parameter_file_start_nothing(app: Deployed) -> None:
    for key in ("other/params.json", "params.json.bak", "Interactions/params.json"):
        app.upload({"items": []}, key=key)

    assert app.executions() == []


def test_parameter_file_parameter_reaches_the_rule() -> None:
    with local_cloud(SimClock()) as cloud:
        app = _deployed(cloud, ParameterFile="run.json")

        app.upload({"waitSeconds": 0}, key="params.json")
        assert app.executions() == []
        app.upload({"waitSeconds": 0}, key="run.json")

        (execution,) = app.executions()
        assert wait_for_execution(execution["executionArn"])["status"] == "SUCCEEDED"


def test_handler_exception_surfaces_under_its_class_name(app: Deployed) -> None:
    result = app.run({"waitSeconds": 5, "items": [{"pauseSeconds": 100}, {"pauseSeconds": 20, "fail": "bad row"}]})

    assert (result["status"], result["error"]) == ("FAILED", "WorkFailed")
    assert json.loads(result["cause"])["errorMessage"] == "item 1: bad row"
    failures = [e for e in execution_history(result["executionArn"]) if e["type"] == "TaskFailed"]
    assert [e["taskFailedEventDetails"]["error"] for e in failures] == ["WorkFailed"]
    (notification,) = app.inbox.receive()
    assert notification.subject == "mini-app failed" and json.loads(notification.message)["Error"] == "WorkFailed"
    assert _seconds(result) == 1 + 5 + 20 + 1  # the Map fails with its first failed item, not its slowest


def test_transient_errors_are_retried_with_reproducible_jittered_backoff() -> None:
    def run() -> tuple[dict[str, Any], float]:
        with local_cloud(SimClock()) as cloud:
            result = _deployed(cloud).run({"flaky": 2, "waitSeconds": 0})
            return json.loads(result["output"])["prepared"]["value"], _seconds(result)

    (first, first_seconds), (_, second_seconds) = run(), run()

    assert first["attempts"] == 3
    assert first_seconds == second_seconds
    assert 3 + 60 < first_seconds < 3 + 60 + 3 + 6  # 3 Lambda seconds, the Parallel, two back-offs


def test_consecutive_uploads_run_one_after_the_other_on_the_simulated_clock(app: Deployed) -> None:
    first = app.run({"waitSeconds": 30})
    second = app.run({"waitSeconds": 30})

    assert second["startDate"] == first["stopDate"]
    assert app.cloud.clock.elapsed() == 2 * (1 + 30 + 60)


def test_waiting_from_a_helper_thread_moves_the_uploader_past_the_run(app: Deployed) -> None:
    known = {e["executionArn"] for e in app.executions()}
    app.upload({"waitSeconds": 30})
    (started,) = [e for e in app.executions() if e["executionArn"] not in known]

    waiter = threading.Thread(target=wait_for_execution, args=(started["executionArn"],))
    waiter.start()
    waiter.join()

    assert app.cloud.clock.now() == app.cloud.clock.epoch + 1 + 30 + 60


# -- the real template ---------------------------------------------------------------------------------


@pytest.mark.skipif(not REAL_TEMPLATE.exists(), reason="template.yaml does not exist yet at the project root")
def test_real_template_deploys_with_every_resource_and_its_code() -> None:
    with local_cloud(SimClock()):
        stack = deploy_stack(REAL_TEMPLATE, PARAMETERS)

        assert set(stack.physical_ids) == set(stack.template["Resources"])
        functions = stack.of_type("AWS::Lambda::Function")
        assert functions and set(stack.function_code) == set(functions.values())
        for code in stack.function_code.values():
            assert (code.code_dir / "app.py").is_file(), code.code_dir
            assert all(layer.is_dir() for layer in code.layer_dirs), code.layer_dirs
        assert stack.bucket_name and stack.state_machine_arn and stack.topic_arn


def test_real_template_declares_each_log_group_with_retention_and_a_policed_dead_letter_queue() -> None:
    with local_cloud(SimClock()):
        stack = deploy_stack(REAL_TEMPLATE, PARAMETERS)
        # THEN every function's log group, and the state machine's, exist with a retention
        groups = {
            g["logGroupName"]: g.get("retentionInDays") for g in boto3.client("logs").describe_log_groups()["logGroups"]
        }
        functions = sorted(stack.of_type("AWS::Lambda::Function").values())
        assert {f"/aws/lambda/{name}": 90 for name in functions}.items() <= groups.items()
        assert groups[f"/aws/vendedlogs/states/{stack.name}-pipeline"] == 90
        assert groups[f"/aws/vendedlogs/states/{stack.name}-teardown"] == 90
        # AND each rule's target (params.json, delete.json) sends what it cannot deliver to the queue, which
        # only those rules may write to
        events = boto3.client("events")
        (queue_url,) = stack.of_type("AWS::SQS::Queue").values()
        sqs = boto3.client("sqs")
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
        rules = stack.of_type("AWS::Events::Rule")
        assert sorted(rules) == ["PipelineStateMachineParamsUploaded", "TeardownStateMachineTeardownUploaded"]
        rule_arns = []
        for logical_id in sorted(rules):
            rule_arns.append(events.describe_rule(Name=rules[logical_id])["Arn"])
            (target,) = events.list_targets_by_rule(Rule=rules[logical_id])["Targets"]
            assert target["DeadLetterConfig"] == {"Arn": attributes["QueueArn"]}
            assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 10}
        assert attributes["SqsManagedSseEnabled"] == "true"
        assert json.loads(attributes["Policy"])["Statement"] == [
            {
                "Sid": "RuleSendsUndeliveredEvents",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": attributes["QueueArn"],
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arns}},
            }
        ]


def test_real_template_topic_policy_lets_only_the_state_machine_role_publish() -> None:
    from local import iam
    from local.iam import Caller

    with local_cloud(SimClock()):
        stack = deploy_stack(REAL_TEMPLATE, PARAMETERS)
        sns, roles = boto3.client("sns"), stack.of_type("AWS::IAM::Role")
        role_arn = {
            logical: boto3.client("iam").get_role(RoleName=name)["Role"]["Arn"] for logical, name in roles.items()
        }
        # GIVEN a function role whose own policy would allow publishing to the topic
        boto3.client("iam").put_role_policy(
            RoleName=roles["NotifyFunctionRole"],
            PolicyName="publish",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": stack.topic_arn}],
                }
            ),
        )
        # WHEN it publishes, THEN the topic policy's explicit deny refuses it
        with iam.acting_as(Caller.for_role(role_arn["NotifyFunctionRole"], "notify")):
            with pytest.raises(sns.exceptions.ClientError) as refused:
                sns.publish(TopicArn=stack.topic_arn, Message="not from the pipeline")
        assert refused.value.response["Error"]["Code"] == "AuthorizationError"  # SNS's name for it
        assert "explicit deny in a resource-based policy" in refused.value.response["Error"]["Message"]
        # AND the state machine's role may publish
        with iam.acting_as(Caller.for_role(role_arn["PipelineStateMachineRole"], "pipeline")):
            sns.publish(TopicArn=stack.topic_arn, Message="from the pipeline")
        # AND so may the teardown's
        with iam.acting_as(Caller.for_role(role_arn["TeardownStateMachineRole"], "teardown")):
            sns.publish(TopicArn=stack.topic_arn, Message="from the teardown")


def test_stack_with_several_state_machines_names_each_and_keeps_the_pipeline_as_its_state_machine() -> None:
    # GIVEN a stack with the pipeline's and the teardown's state machines (as the template has)
    machines = {
        "TeardownStateMachine": "arn:aws:states:us-east-1:123456789012:stateMachine:app-teardown",
        "PipelineStateMachine": "arn:aws:states:us-east-1:123456789012:stateMachine:app",
    }
    resources = {logical: {"Type": "AWS::StepFunctions::StateMachine"} for logical in machines}
    stack = Stack("app", "id", "us-east-1", {"Resources": resources}, {}, dict(machines))
    # THEN each is listed by logical id, the pipeline stays state_machine_arn, and each has its CLI label
    assert stack.state_machine_arns == machines
    assert stack.state_machine_arn == machines["PipelineStateMachine"]
    assert [stack.state_machine_label(arn) for arn in machines.values()] == ["teardown", "pipeline"]
    assert stack.state_machine_label("arn:aws:states:us-east-1:123456789012:stateMachine:x").endswith(":x")
