"""The moto patches of the local cloud: a canary per patch point, then the behaviour each one gives.

Canaries inspect moto's own symbols (``patches.original``), so they fail loudly, with what to update,
the day a moto upgrade moves or reshapes one of them. Behaviour tests drive moto through boto3 only.
"""

from __future__ import annotations

import datetime
import importlib
import inspect
import io
import json
import os
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from local import patches
from local.clock import SimClock
from local.deploy import LocalCloud, execution_history, local_cloud, wait_for_execution
from local.lambda_runtime import FunctionCode

#: Real seconds; only a hang guard (runs take simulated time), generous for a loaded 2-core machine.
HANG_GUARD_S = 120

LAMBDAS = Path(__file__).parent / "fixtures" / "lambdas"
EPOCH = datetime.datetime.fromtimestamp(SimClock().epoch, datetime.UTC)

# -- canaries ------------------------------------------------------------------------------------------

#: Parameters of every replaced callable, as moto 5.2.5 defines them.
SIGNATURES = {
    "LambdaFunction.invoke": ["self", "body", "request_headers", "response_headers"],
    "Rule.send_to_targets": ["self", "original_event", "transform_input"],
    "StateMachine.create_from_cloudformation_json": [
        "cls",
        "resource_name",
        "cloudformation_json",
        "account_id",
        "region_name",
        "kwargs",
    ],
    "StateMachine.delete_from_cloudformation_json": [
        "cls",
        "resource_name",
        "cloudformation_json",
        "account_id",
        "region_name",
    ],
    "WaitFunction._wait_interval": ["self", "env", "wait_seconds"],
    "JitterStrategyDecl._eval_body": ["self", "env"],
    "Thread.start": ["self"],
    "Program.eval": ["self", "env"],
    "ExecutionState._evaluate_with_timeout": ["self", "env"],
    "InlineIterationComponent._eval_body": ["self", "env"],
    "DistributedIterationComponent._map_run": ["self", "env", "eval_input"],
    "BranchesDecl._eval_body": ["self", "env"],
    "InlineIterationComponent._launch_worker": ["self", "env", "eval_input", "job_pool"],
    "IterationWorker._eval_job": ["self", "env", "job"],
    "BranchWorkerPool.on_terminated": ["self", "env"],
    "ExecutionWorker.start": ["self"],
    "resource_class_from_type": ["resource_type"],
    "FakeBucket.get_permission": ["self", "action", "resource"],
    "BotocoreStubber.process_request": ["self", "request"],
    "unix_time": ["dt"],
    "utcnow": [],
    "ErrorEqualsDecl._eval_body": ["self", "env"],
    "SNSBackend.publish": [
        "self",
        "message",
        "arn",
        "phone_number",
        "subject",
        "message_attributes",
        "group_id",
        "deduplication_id",
        "message_structure",
    ],
}

#: What the patch relies on inside moto's code: (patch point attribute, where to look, expected text).
ASSUMPTIONS = [
    ("Rule.send_to_targets", "moto.events.models:Rule.send_to_targets", "raise NotImplementedError"),
    (
        "StateMachine.create_from_cloudformation_json",
        "moto.stepfunctions.models:StateMachine.create_from_cloudformation_json",
        "stepfunctions_backends[account_id][region_name]",
    ),
    (
        "time",
        f"{patches._ASL}.common.retry.retrier_decl:RetrierDecl._eval_body",
        "time.sleep(interval_seconds)",
    ),
    ("time", "botocore.endpoint:Endpoint._needs_retry", "time.sleep(handler_response)"),
    (
        "JitterStrategyDecl._eval_body",
        f"{patches._ASL}.common.retry.jitter_strategy_decl:JitterStrategyDecl._eval_body",
        "random.uniform(0, interval_seconds)",
    ),
    ("Program.eval", f"{patches._ASL}.program.program:Program.eval", "worker_thread.join("),
    (
        "ExecutionState._evaluate_with_timeout",
        f"{patches._ASL}.state.exec.execute_state:ExecutionState._evaluate_with_timeout",
        "terminated_event.wait(timeout_seconds)",
    ),
    (
        "InlineIterationComponent._eval_body",
        f"{patches._ASL}.state.exec.state_map.iteration.inline_iteration_component:InlineIterationComponent._eval_body",
        "job_pool.await_jobs()",
    ),
    (
        "DistributedIterationComponent._map_run",
        f"{patches._ASL}.state.exec.state_map.iteration.distributed_iteration_component:"
        "DistributedIterationComponent._map_run",
        "job_pool.await_jobs()",
    ),
    (
        "BranchesDecl._eval_body",
        f"{patches._ASL}.state.exec.state_parallel.branches_decl:BranchesDecl._eval_body",
        "branch_worker_pool.wait()",
    ),
    (
        "ExecutionWorker.start",
        f"{patches._SFN}.backend.execution_worker:ExecutionWorker.start",
        "Thread(target=self._execution_logic",
    ),
    ("unix_time", "moto.s3.notifications:_send_event_bridge_message", 'event["time"] = unix_time()'),
    (
        "unix_time",
        "moto.scheduler.models:Schedule.__init__",
        "self.creation_date = self.last_modified_date = unix_time()",
    ),
    ("unix_time", "moto.scheduler.models:Schedule.update", "self.last_modified_date = unix_time()"),
    ("utcnow", "moto.scheduler.models:Schedule._validate_start_date", "now = utcnow()"),
    (
        "InlineIterationComponent._launch_worker",
        f"{patches._ITERATION}:InlineIterationComponent._eval_body",
        "self._launch_worker(env=env, eval_input=eval_input, job_pool=job_pool)",
    ),
    (
        "IterationWorker._eval_job",
        f"{patches._ASL}.state.exec.state_map.iteration.iteration_worker:IterationWorker._eval_pool",
        "self._eval_job(env=job_frame, job=job)",
    ),
    (  # items are handed out in index order, which the Map schedule relies on
        "IterationWorker._eval_job",
        f"{patches._ASL}.state.exec.state_map.iteration.job:JobPool.__init__",
        "self._open_jobs.reverse()",
    ),
    (  # moto's wildcard matches everything, DataLimitExceeded included
        "ErrorEqualsDecl._eval_body",
        f"{patches._ASL}.common.error_name.error_equals_decl:ErrorEqualsDecl._eval_body",
        "if ErrorEqualsDecl._STATE_ALL_ERROR in self.error_names:\n            res = True",
    ),
    (  # moto measures the message in characters (the patch measures UTF-8 bytes first)
        "SNSBackend.publish",
        "moto.sns.models:SNSBackend.publish",
        "if len(message) > MAXIMUM_MESSAGE_LENGTH:",
    ),
    (  # on the branch's own thread, after its program ended
        "BranchWorkerPool.on_terminated",
        f"{patches._ASL}.state.exec.state_parallel.branch_worker:BranchWorker._thread_routine",
        "self._branch_worker_comm.on_terminated(env=self.env)",
    ),
]

#: moto modules that start threads; each is covered by a fork (Thread.start) and a join point above.
#: The callback and TestState modules are not: the pipeline uses neither .waitForTaskToken nor TestState.
THREAD_SITES = {
    "asl/component/program/program.py",
    "asl/component/state/exec/execute_state.py",
    "asl/component/state/exec/state_map/iteration/inline_iteration_component.py",
    "asl/component/state/exec/state_parallel/branch_worker.py",
    "asl/component/state/exec/state_task/service/state_task_service_callback.py",
    "asl/component/test_state/program/test_state_program.py",
    "backend/execution_worker.py",
}


def _changed(point: patches.PatchPoint, detail: str) -> str:
    return f"moto changed {point.module}.{point.attribute} ({detail}); update local/patches.py"


@pytest.mark.parametrize("point", patches.PATCH_POINTS, ids=lambda p: f"{p.module.rsplit('.', 1)[-1]}.{p.attribute}")
def test_canary_patch_point_still_exists_with_the_same_shape(point: patches.PatchPoint) -> None:
    try:
        symbol = patches.original(point)
    except (ImportError, AttributeError) as exc:
        pytest.fail(_changed(point, f"not found: {exc}"))
    if point.attribute == "LayerVersion.physical_resource_id":
        assert symbol is patches.ABSENT, _changed(point, "moto now defines it: drop this patch")
    elif point.attribute == "datetime":
        assert symbol is datetime, _changed(point, "the module no longer imports datetime as a module")
        source = inspect.getsource(importlib.import_module(point.module))
        assert "datetime.datetime.now(" in source, _changed(point, "no datetime.datetime.now() call left")
    elif point.attribute == "time":
        assert symbol is time, _changed(point, "the module no longer imports time as a module")
    elif point.attribute == "environ":
        assert isinstance(symbol, os._Environ), _changed(point, f"os.environ is a {type(symbol).__name__}")
    else:
        function = getattr(symbol, "__func__", symbol)
        expected = SIGNATURES[point.attribute]
        actual = list(inspect.signature(function).parameters)
        assert actual == expected, _changed(point, f"signature {actual}, expected {expected}")


@pytest.mark.parametrize(("attribute", "where", "text"), ASSUMPTIONS, ids=[a[0] for a in ASSUMPTIONS])
def test_canary_moto_code_still_does_what_the_patch_assumes(attribute: str, where: str, text: str) -> None:
    assert not patches.is_installed()
    module_name, qualname = where.split(":")
    code: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        code = getattr(code, part)
    point = next(p for p in patches.PATCH_POINTS if p.attribute == attribute)
    assert text in inspect.getsource(code), _changed(point, f"{qualname} no longer contains {text!r}")


def test_canary_names_the_symbol_and_the_fix_when_moto_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.awslambda.models import LambdaFunction

    monkeypatch.setattr(LambdaFunction, "invoke", lambda self, payload: b"")

    with pytest.raises(AssertionError) as failure:
        test_canary_patch_point_still_exists_with_the_same_shape(patches.PATCH_POINTS[0])

    assert "moto changed moto.awslambda.models.LambdaFunction.invoke" in str(failure.value)
    assert "update local/patches.py" in str(failure.value)


def test_canary_cloudformation_still_lacks_the_types_we_add() -> None:
    from moto.cloudformation.parsing import get_model_map

    point = next(p for p in patches.PATCH_POINTS if p.attribute == "resource_class_from_type")
    for resource_type in patches._EXTRA_CFN_MODELS:
        assert resource_type not in get_model_map(), _changed(point, f"moto now supports {resource_type}")


def test_canary_moto_starts_threads_only_where_the_clock_joins_them() -> None:
    import moto.stepfunctions.parser as parser

    root = Path(parser.__file__).parent
    sites = {path.relative_to(root).as_posix() for path in root.rglob("*.py") if "Thread(" in path.read_text()}
    assert sites == THREAD_SITES, (
        f"moto's Step Functions threads moved (now started in {sorted(sites ^ THREAD_SITES)}): "
        "add the new join point to local/patches.py"
    )


def test_install_is_idempotent_and_uninstall_restores_moto_exactly() -> None:
    before = {p: patches.original(p) for p in patches.PATCH_POINTS}
    try:
        patches.install_patches(SimClock())
        first = {p: patches._owner(p)[0].__dict__.get(patches._owner(p)[1]) for p in patches.PATCH_POINTS}
        patches.install_patches(SimClock())
        second = {p: patches._owner(p)[0].__dict__.get(patches._owner(p)[1]) for p in patches.PATCH_POINTS}
        assert first == second
        assert all(first[p] is not before[p] for p in patches.PATCH_POINTS)
    finally:
        patches.uninstall_patches()
    for point, symbol in before.items():
        owner, name = patches._owner(point)
        assert owner.__dict__.get(name, patches.ABSENT) is symbol, point
    assert not patches.is_installed()


# -- helpers -------------------------------------------------------------------------------------------


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with local_cloud(SimClock()) as opened:
        yield opened


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("placeholder.txt", "")
    return buffer.getvalue()


def _role() -> str:
    iam = boto3.client("iam")
    try:
        return iam.get_role(RoleName="local-test")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        arn = iam.create_role(RoleName="local-test", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        # The state machines of these tests invoke their functions, and the rules start the state machines,
        # as this role (local.iam checks it).
        grants = {"Effect": "Allow", "Action": ["lambda:InvokeFunction", "states:StartExecution"], "Resource": "*"}
        document = json.dumps({"Version": "2012-10-17", "Statement": [grants]})
        iam.put_role_policy(RoleName="local-test", PolicyName="invoke", PolicyDocument=document)
        return arn


def _function(cloud: LocalCloud, name: str, code: str = "alpha", handler: str = "app.lambda_handler") -> str:
    """A function created through the API, whose code the runtime finds in fixtures/lambdas/<code>."""
    arn = boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=_role(),
        Handler=handler,
        Code={"ZipFile": _zip()},
        MemorySize=256,
        Timeout=60,
        Environment={"Variables": {"GREETING": f"hello from {name}"}},
    )["FunctionArn"]
    cloud.runtime.register(name, FunctionCode(LAMBDAS / code, (LAMBDAS / "layer",)))
    return arn


def _invoke(name: str, event: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    response = boto3.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event))
    return json.loads(response["Payload"].read()), response.get("FunctionError")


def _machine(definition: dict[str, Any], name: str = "machine") -> str:
    return boto3.client("stepfunctions").create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=_role()
    )["stateMachineArn"]


def _run(machine_arn: str, execution_input: Any = None, name: str = "run") -> dict[str, Any]:
    arn = boto3.client("stepfunctions").start_execution(
        stateMachineArn=machine_arn, name=name, input=json.dumps(execution_input or {})
    )["executionArn"]
    return wait_for_execution(arn, timeout_s=HANG_GUARD_S)


def _seconds(description: dict[str, Any]) -> float:
    return (description["stopDate"] - description["startDate"]).total_seconds()


def _wait(seconds: int, **extra: Any) -> dict[str, Any]:
    return {"Type": "Wait", "Seconds": seconds, **extra}


def _lambda_task(function_arn: str, **extra: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
        "ResultSelector": {"value.$": "$.Payload"},
        **extra,
    }


# -- a. in-process Lambda ------------------------------------------------------------------------------


def test_lambda_invoke_runs_the_handler_with_its_env_layers_and_context(cloud: LocalCloud) -> None:
    _function(cloud, "alpha-fn")

    payload, error = _invoke("alpha-fn", {})

    assert error is None
    assert payload["who"] == "alpha" and payload["layer"] == "from-layer"
    assert payload["greeting"] == payload["greetingInThread"] == "hello from alpha-fn"
    assert payload["samLocal"] == "true" and payload["functionNameEnv"] == "alpha-fn"
    assert payload["functionName"] == "alpha-fn" and payload["functionArn"].endswith(":function:alpha-fn")
    assert payload["memory"] == 256 and payload["remainingMs"] == 60_000
    assert payload["logGroup"] == "/aws/lambda/alpha-fn"
    assert payload["logStream"].startswith("2026/01/05/[$LATEST]")
    assert "GREETING" not in os.environ and "AWS_SAM_LOCAL" not in os.environ
    assert str(LAMBDAS / "alpha") not in sys.path and "helpers" not in sys.modules


def test_lambda_request_ids_and_counts_are_deterministic() -> None:
    def scenario() -> tuple[list[str], int, dict[str, int]]:
        with local_cloud(SimClock()) as cloud:
            _function(cloud, "alpha-fn")
            _function(cloud, "beta-fn", code="beta")
            ids = [_invoke("alpha-fn", {})[0]["requestId"] for _ in range(2)]
            _invoke("beta-fn", {})
            return ids, cloud.runtime.invocations, dict(cloud.runtime.invocations_by_function)

    first, second = scenario(), scenario()

    assert first == second
    assert first[0][0] != first[0][1]
    assert first[1:] == (3, {"alpha-fn": 2, "beta-fn": 1})


def test_lambda_functions_with_the_same_module_names_stay_apart_and_warm(cloud: LocalCloud) -> None:
    _function(cloud, "alpha-fn")
    _function(cloud, "beta-fn", code="beta")

    answers = [_invoke(name, {})[0] for name in ("alpha-fn", "beta-fn", "alpha-fn", "beta-fn")]

    assert [a["who"] for a in answers] == ["alpha", "beta", "alpha", "beta"]
    assert [answers[0]["calls"], answers[2]["calls"]] == [1, 2]  # module state kept, as in a warm container


def test_lambda_exception_returns_the_python_runtime_error_payload(cloud: LocalCloud) -> None:
    _function(cloud, "alpha-fn")

    payload, error = _invoke("alpha-fn", {"raise": "it broke"})

    assert error == "Unhandled"
    assert payload["errorType"] == "Boom" and payload["errorMessage"] == "it broke"
    assert any("alpha/app.py" in line for line in payload["stackTrace"])
    assert not any("lambda_runtime.py" in line for line in payload["stackTrace"])


@pytest.mark.parametrize(
    ("handler", "error_type"),
    [("missing.lambda_handler", "Runtime.ImportModuleError"), ("app.nope", "Runtime.HandlerNotFound")],
)
def test_lambda_bad_handler_is_reported_like_the_runtime(cloud: LocalCloud, handler: str, error_type: str) -> None:
    _function(cloud, "broken-fn", code="beta", handler=handler)

    payload, error = _invoke("broken-fn", {})

    assert (error, payload["errorType"]) == ("Unhandled", error_type)


def test_lambda_invocation_takes_one_simulated_second_on_the_calling_thread(cloud: LocalCloud) -> None:
    _function(cloud, "alpha-fn")
    start = cloud.clock.now()

    _invoke("alpha-fn", {})

    assert cloud.clock.now() == start + 1


def test_lambda_error_class_name_is_the_step_functions_error_name(cloud: LocalCloud) -> None:
    arn = _function(cloud, "alpha-fn")
    machine = _machine(
        {
            "StartAt": "Call",
            "States": {
                "Call": _lambda_task(
                    arn, Catch=[{"ErrorEquals": ["Boom"], "ResultPath": "$.error", "Next": "Caught"}], End=True
                ),
                "Caught": {"Type": "Pass", "End": True},
            },
        }
    )

    result = _run(machine, {"raise": "no"})

    error = json.loads(result["output"])["error"]
    assert result["status"] == "SUCCEEDED" and error["Error"] == "Boom"
    assert json.loads(error["Cause"])["errorMessage"] == "no"


# -- b. EventBridge rule -> Step Functions -------------------------------------------------------------


def test_rule_starts_the_state_machine_and_still_feeds_the_other_targets(cloud: LocalCloud) -> None:
    machine = _machine({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="probe")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = boto3.client("events")
    events.put_rule(Name="rule", EventPattern=json.dumps({"source": ["test.local"]}))
    events.put_targets(
        Rule="rule",
        Targets=[{"Id": "sfn", "Arn": machine, "RoleArn": _role()}, {"Id": "sqs", "Arn": queue_arn}],
    )

    events.put_events(Entries=[{"Source": "test.local", "DetailType": "probe", "Detail": '{"n": 1}'}])
    events.put_events(Entries=[{"Source": "other", "DetailType": "probe", "Detail": "{}"}])

    executions = boto3.client("stepfunctions").list_executions(stateMachineArn=machine)["executions"]
    assert len(executions) == 1
    assert executions[0]["name"] == "dda149e2-bb8f-4b45-92de-ddf860cca3e8"  # seeded, not uuid4
    description = wait_for_execution(executions[0]["executionArn"])
    assert json.loads(description["input"])["detail"] == {"n": 1}
    assert len(sqs.receive_message(QueueUrl=queue_url).get("Messages", [])) == 1


def test_rule_target_role_without_start_execution_starts_nothing(cloud: LocalCloud) -> None:
    # GIVEN a rule whose state machine target's role may not start it
    machine = _machine({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    iam_client = boto3.client("iam")
    role = iam_client.create_role(RoleName="no-start", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    events = boto3.client("events")
    events.put_rule(Name="rule", EventPattern=json.dumps({"source": ["test.local"]}))
    events.put_targets(Rule="rule", Targets=[{"Id": "sfn", "Arn": machine, "RoleArn": role}])
    # WHEN an event matches
    events.put_events(Entries=[{"Source": "test.local", "DetailType": "probe", "Detail": "{}"}])
    # THEN no execution starts, as EventBridge's invocation is refused
    assert boto3.client("stepfunctions").list_executions(stateMachineArn=machine)["executions"] == []


def test_rule_target_input_replaces_the_event(cloud: LocalCloud) -> None:
    machine = _machine({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    events = boto3.client("events")
    events.put_rule(Name="rule", EventPattern=json.dumps({"source": ["test.local"]}))
    events.put_targets(
        Rule="rule", Targets=[{"Id": "sfn", "Arn": machine, "RoleArn": _role(), "Input": '{"fixed": true}'}]
    )

    events.put_events(Entries=[{"Source": "test.local", "DetailType": "probe", "Detail": "{}"}])

    (execution,) = boto3.client("stepfunctions").list_executions(stateMachineArn=machine)["executions"]
    assert json.loads(wait_for_execution(execution["executionArn"])["input"]) == {"fixed": True}


# -- c. CloudFormation state machine -------------------------------------------------------------------


def test_cloudformation_state_machine_is_executable_and_keeps_logging_and_tracing(cloud: LocalCloud) -> None:
    template = {
        "Resources": {
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/sfn/test"}},
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "StateMachineName": "from-cfn",
                    "RoleArn": _role(),
                    "DefinitionString": json.dumps({"StartAt": "W", "States": {"W": _wait(5, End=True)}}),
                    "LoggingConfiguration": {
                        "Level": "ERROR",
                        "IncludeExecutionData": True,
                        "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": {"Fn::GetAtt": ["Logs", "Arn"]}}}],
                    },
                    "TracingConfiguration": {"Enabled": True},
                },
            },
        }
    }
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName="sm", TemplateBody=json.dumps(template))
    sfn = boto3.client("stepfunctions")
    (machine,) = sfn.list_state_machines()["stateMachines"]

    described = sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])
    result = _run(machine["stateMachineArn"])

    assert described["loggingConfiguration"]["level"] == "ERROR"
    assert described["loggingConfiguration"]["destinations"][0]["cloudWatchLogsLogGroup"]["logGroupArn"].endswith(
        ":log-group:/sfn/test"
    )
    assert described["tracingConfiguration"] == {"enabled": True}
    assert result["status"] == "SUCCEEDED" and _seconds(result) == 5
    cfn.delete_stack(StackName="sm")
    assert sfn.list_state_machines()["stateMachines"] == []


def test_cloudformation_schedule_group_is_created_named_tagged_and_deleted(cloud: LocalCloud) -> None:
    # GIVEN a stack with a schedule group without a Name (CloudFormation generates it) and one with a Name
    tag = [{"Key": "personalize-pipeline:stack", "Value": "sg"}]
    template = {
        "Resources": {
            "Generated": {"Type": "AWS::Scheduler::ScheduleGroup", "Properties": {"Tags": tag}},
            "Named": {"Type": "AWS::Scheduler::ScheduleGroup", "Properties": {"Name": "named-group"}},
        },
        "Outputs": {"GeneratedName": {"Value": {"Ref": "Generated"}}},
    }
    cfn, scheduler = boto3.client("cloudformation"), boto3.client("scheduler")
    # WHEN it is deployed
    cfn.create_stack(StackName="sg", TemplateBody=json.dumps(template))
    (output,) = cfn.describe_stacks(StackName="sg")["Stacks"][0]["Outputs"]
    generated = output["OutputValue"]
    groups = {g["Name"]: g["Arn"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]}
    # THEN both groups exist in moto's Scheduler (the generated name is <stack>-<logical id>-<suffix>, Ref gives
    # it), with their tags; deleting the stack deletes them
    assert generated.startswith("sg-Generated-") and len(generated) <= 64
    assert {generated, "named-group"} <= set(groups)
    assert scheduler.list_tags_for_resource(ResourceArn=groups[generated])["Tags"] == tag
    cfn.delete_stack(StackName="sg")
    assert {g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]} == {"default"}


# -- d. simulated time ---------------------------------------------------------------------------------


def test_parallel_of_two_60s_branches_takes_60_simulated_seconds(cloud: LocalCloud) -> None:
    branch = {"StartAt": "W", "States": {"W": _wait(60, End=True)}}
    machine = _machine(
        {"StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": [branch, branch], "End": True}}}
    )

    started = time.perf_counter()
    result = _run(machine)

    assert result["status"] == "SUCCEEDED" and _seconds(result) == 60
    assert time.perf_counter() - started < 30  # sleeping for real would take the 60 s


@pytest.mark.parametrize(("max_concurrency", "expected"), [(0, 100), (1, 300)])
def test_map_of_three_100s_items_overlaps_unless_serialised(
    cloud: LocalCloud, max_concurrency: int, expected: int
) -> None:
    machine = _machine(_map_of_waits(max_concurrency))

    results = [_run(machine, [100, 100, 100], name=f"run-{n}") for n in range(3)]

    assert [_seconds(r) for r in results] == [expected] * 3


def _map_of_waits(max_concurrency: int) -> dict[str, Any]:
    wait = {"Type": "Wait", "SecondsPath": "$", "End": True}
    return {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "MaxConcurrency": max_concurrency,
                "ItemProcessor": {"StartAt": "W", "States": {"W": wait}},
                "End": True,
            }
        },
    }


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([100, 100, 100], 200),  # two at once, the third when a slot frees
        ([100, 10, 10, 10], 100),  # the short ones share the slot the long one is not using
    ],
)
def test_map_items_start_when_a_concurrency_slot_frees(cloud: LocalCloud, items: list[int], expected: int) -> None:
    machine = _machine(_map_of_waits(2))

    results = [_run(machine, items, name=f"run-{n}") for n in range(3)]

    assert [_seconds(r) for r in results] == [expected] * 3


FAIL = {"Type": "Fail", "Error": "Broken"}


def test_map_fails_when_its_first_item_fails(cloud: LocalCloud) -> None:
    item = {
        "StartAt": "Short?",
        "States": {
            "Short?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$", "NumericEquals": 10, "Next": "Soon"}],
                "Default": "Late",
            },
            "Soon": _wait(10, Next="Fail"),
            "Fail": FAIL,
            "Late": _wait(500, End=True),
        },
    }
    machine = _machine({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": item, "End": True}}})

    results = [_run(machine, [500, 10, 500], name=f"run-{n}") for n in range(3)]

    assert [(r["status"], r["error"], _seconds(r)) for r in results] == [("FAILED", "Broken", 10)] * 3


def test_parallel_fails_when_its_first_branch_fails(cloud: LocalCloud) -> None:
    slow = {"StartAt": "W", "States": {"W": _wait(500, End=True)}}
    failing = {"StartAt": "W", "States": {"W": _wait(10, Next="Fail"), "Fail": FAIL}}
    machine = _machine(
        {"StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": [slow, failing], "End": True}}}
    )

    results = [_run(machine, name=f"run-{n}") for n in range(3)]

    assert [(r["status"], r["error"], _seconds(r)) for r in results] == [("FAILED", "Broken", 10)] * 3


def test_sequential_waits_and_lambda_durations_add_up(cloud: LocalCloud) -> None:
    arn = _function(cloud, "alpha-fn")
    machine = _machine(
        {
            "StartAt": "A",
            "States": {"A": _wait(30, Next="B"), "B": _wait(45, Next="Call"), "Call": _lambda_task(arn, End=True)},
        }
    )

    result = _run(machine)

    assert _seconds(result) == 30 + 45 + 1
    assert cloud.clock.now() == cloud.clock.epoch + 76  # the caller waited for it: it is now after the run


def _flaky_machine(arn: str, jitter: str) -> str:
    retry = {
        "ErrorEquals": ["Flaky"],
        "IntervalSeconds": 3,
        "MaxAttempts": 3,
        "BackoffRate": 2.0,
        "JitterStrategy": jitter,
    }
    return _machine({"StartAt": "Call", "States": {"Call": _lambda_task(arn, Retry=[retry], End=True)}})


def test_retry_backoff_advances_the_simulated_clock(cloud: LocalCloud) -> None:
    machine = _flaky_machine(_function(cloud, "alpha-fn"), "NONE")

    result = _run(machine, {"failTimes": 2, "key": "a"})

    assert result["status"] == "SUCCEEDED"
    assert _seconds(result) == 3 * 1 + 3 + 6  # three invocations, then 3 s and 3 * 2.0 s of back-off


def test_retry_full_jitter_is_bounded_and_reproducible() -> None:
    def scenario() -> float:
        with local_cloud(SimClock()) as cloud:
            machine = _flaky_machine(_function(cloud, "alpha-fn"), "FULL")
            return _seconds(_run(machine, {"failTimes": 2, "key": "a"}))

    first, second = scenario(), scenario()

    assert 3 < first < 3 + 3 + 6  # three invocations, then two back-offs drawn in [0, 3] and [0, 6]
    assert first == second


def test_wait_until_a_timestamp_uses_simulated_utc(cloud: LocalCloud) -> None:
    machine = _machine(
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Timestamp": "2026-01-05T10:00:00Z", "End": True}}}
    )

    result = _run(machine)

    assert result["stopDate"] == EPOCH + datetime.timedelta(hours=1)


def test_ten_hours_of_waiting_take_no_real_time(cloud: LocalCloud) -> None:
    machine = _machine({"StartAt": "W", "States": {"W": _wait(36_000, End=True)}})

    started = time.perf_counter()
    result = _run(machine)

    assert _seconds(result) == 36_000 and time.perf_counter() - started < 60  # a real wait takes 10 hours


# -- e. timestamps -------------------------------------------------------------------------------------


def test_execution_dates_history_and_context_use_simulated_time(cloud: LocalCloud) -> None:
    machine = _machine(
        {
            "StartAt": "W",
            "States": {
                "W": _wait(90, Next="P"),
                "P": {"Type": "Pass", "Parameters": {"entered.$": "$$.State.EnteredTime"}, "End": True},
            },
        }
    )

    result = _run(machine)
    history = execution_history(result["executionArn"])

    assert result["startDate"] == EPOCH and _seconds(result) == 90
    stamps = [event["timestamp"] for event in history]
    assert stamps == sorted(stamps) and stamps[0] == EPOCH and stamps[-1] == EPOCH + datetime.timedelta(seconds=90)
    entered = datetime.datetime.fromisoformat(json.loads(result["output"])["entered"])
    assert entered == EPOCH + datetime.timedelta(seconds=90)


def test_s3_event_time_is_the_simulated_upload_time(cloud: LocalCloud) -> None:
    machine = _machine({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="inputs")
    s3.put_bucket_notification_configuration(
        Bucket="inputs", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    events = boto3.client("events")
    pattern = {"source": ["aws.s3"], "detail-type": ["Object Created"]}
    events.put_rule(Name="rule", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="rule", Targets=[{"Id": "sfn", "Arn": machine, "RoleArn": _role()}])
    cloud.clock.advance(120)

    s3.put_object(Bucket="inputs", Key="params.json", Body=b"{}")

    (execution,) = boto3.client("stepfunctions").list_executions(stateMachineArn=machine)["executions"]
    event = json.loads(wait_for_execution(execution["executionArn"])["input"])
    assert event["time"] == "2026-01-05T09:02:00Z" and event["detail"]["object"]["key"] == "params.json"


# -- f. CloudFormation types and bucket policies ------------------------------------------------------


def test_tls_only_bucket_policy_does_not_deny_every_request(cloud: LocalCloud) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="guarded")
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::guarded", "arn:aws:s3:::guarded/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    s3.put_bucket_policy(Bucket="guarded", Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))

    s3.put_object(Bucket="guarded", Key="k", Body=b"v")

    assert s3.get_object(Bucket="guarded", Key="k")["Body"].read() == b"v"


def test_bucket_policy_deny_conditioned_on_secure_transport_true_denies_sdk_requests(cloud: LocalCloud) -> None:
    # GIVEN a Deny for everyone whose condition holds for SDK requests (HTTPS): conditions are evaluated,
    # not skipped, so the TLS-only statement is exercised for real
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="https-closed")
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::https-closed/*",
        "Condition": {"Bool": {"aws:SecureTransport": "true"}},
    }
    s3.put_bucket_policy(Bucket="https-closed", Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))

    # WHEN / THEN an HTTPS put is denied
    with pytest.raises(s3.exceptions.ClientError, match="403"):
        s3.put_object(Bucket="https-closed", Key="k", Body=b"v")


def test_unconditional_deny_in_a_bucket_policy_still_denies(cloud: LocalCloud) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="closed")
    statement = {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::closed/*"}
    s3.put_bucket_policy(Bucket="closed", Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))

    with pytest.raises(s3.exceptions.ClientError, match="403"):
        s3.put_object(Bucket="closed", Key="k", Body=b"v")


# -- the clock's thread rules --------------------------------------------------------------------------


def _in_thread(clock: SimClock, lane: Any, work: Any) -> threading.Thread:
    def run() -> None:
        clock.adopt(lane)
        work()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_clock_children_start_at_their_parent_time_and_join_at_the_latest() -> None:
    clock = SimClock()
    clock.advance(10)
    with clock.joining():
        threads = [_in_thread(clock, clock.fork(), lambda s=seconds: clock.advance(s)) for seconds in (5, 50, 20)]
        for thread in threads:
            thread.join()
        assert clock.now() == clock.epoch + 10  # not before the join
    assert clock.now() == clock.epoch + 60
    assert clock.latest == clock.epoch + 60 and clock.elapsed() == 60


def test_clock_detached_threads_never_pull_their_starter_forward() -> None:
    clock = SimClock()
    with clock.joining():
        with clock.detached():
            lane = clock.fork()
        _in_thread(clock, lane, lambda: clock.advance(500)).join()
    assert clock.now() == clock.epoch and clock.latest == clock.epoch + 500
    clock.advance_to(clock.epoch + 500)
    assert clock.now() == clock.epoch + 500


def test_clock_catch_up_moves_the_observer_and_the_threads_that_started_it() -> None:
    clock = SimClock()
    with clock.detached():
        unrelated = clock.fork()
    helper = clock.fork()

    _in_thread(clock, helper, lambda: clock.catch_up(clock.epoch + 300)).join()

    assert clock.now() == clock.epoch + 300 and helper.time == clock.epoch + 300
    assert unrelated.time == clock.epoch


def test_clock_never_goes_backwards() -> None:
    clock = SimClock()
    with pytest.raises(ValueError):
        clock.advance(-1)
    assert clock.advance_to(clock.epoch - 10) == clock.epoch


def test_local_cloud_leaves_moto_and_the_environment_as_it_found_them() -> None:
    with local_cloud(SimClock()):
        assert patches.is_installed() and os.environ["AWS_ACCESS_KEY_ID"]
    assert not patches.is_installed()
    for point in patches.PATCH_POINTS:
        owner, name = patches._owner(point)
        assert owner.__dict__.get(name, patches.ABSENT) is patches.original(point)


# -- h. service limits ---------------------------------------------------------------------------------


def _oversize_machine(arn: str, catchers: list[list[str]]) -> str:
    catch = [{"ErrorEquals": errors, "ResultPath": "$.caught", "Next": "Caught"} for errors in catchers]
    task = _lambda_task(arn, Catch=catch, End=True)
    task["Parameters"]["Payload.$"] = "$.call"
    return _machine({"StartAt": "Call", "States": {"Call": task, "Caught": {"Type": "Pass", "End": True}}})


def test_states_all_does_not_catch_a_result_over_256_kb(cloud: LocalCloud) -> None:
    # GIVEN a task whose result exceeds the 256 KB payload limit, caught by States.ALL only
    machine = _oversize_machine(_function(cloud, "alpha-fn"), [["States.ALL"]])
    # WHEN it runs
    result = _run(machine, {"call": {"padBytes": 300 * 1024}})
    # THEN the execution fails with States.DataLimitExceeded, as on AWS: States.ALL does not match it
    assert (result["status"], result["error"]) == ("FAILED", "States.DataLimitExceeded")


def test_explicit_catch_of_data_limit_exceeded_catches_it_and_states_all_still_catches_the_rest(
    cloud: LocalCloud,
) -> None:
    # GIVEN the same task with a Catch naming States.DataLimitExceeded before States.ALL
    arn = _function(cloud, "alpha-fn")
    machine = _oversize_machine(arn, [["States.DataLimitExceeded"], ["States.ALL"]])
    # WHEN it returns too much, then when it raises
    oversize = _run(machine, {"call": {"padBytes": 300 * 1024}}, name="oversize")
    raised = _run(machine, {"call": {"raise": "no"}}, name="raised")
    # THEN both runs end through the Catch, each with its own error
    assert (oversize["status"], json.loads(oversize["output"])["caught"]["Error"]) == (
        "SUCCEEDED",
        "States.DataLimitExceeded",
    )
    assert (raised["status"], json.loads(raised["output"])["caught"]["Error"]) == ("SUCCEEDED", "Boom")


@pytest.mark.parametrize(
    ("subject", "message", "refusal"),
    [
        ("x" * 101, "body", "Invalid parameter: Subject"),
        ("", "body", "Invalid parameter: Subject"),
        ("two\nlines", "body", "Invalid parameter: Subject"),
        ("caf\u00e9", "body", "Invalid parameter: Subject"),
        ("ok", "", "Invalid parameter: Empty message"),
        ("ok", "bell \x07", "Invalid parameter: Message"),
        ("ok", "\u00e9" * (128 * 1024 + 1), "Invalid parameter: Message too long"),  # 256 KB + 2 bytes of UTF-8
    ],
    ids=["subject-101", "subject-empty", "subject-newline", "subject-non-ascii", "empty", "control", "bytes"],
)
def test_sns_publish_refuses_what_sns_refuses(cloud: LocalCloud, subject: str, message: str, refusal: str) -> None:
    # GIVEN a topic
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="limits")["TopicArn"]
    # WHEN a subject or message SNS refuses is published
    with pytest.raises(sns.exceptions.InvalidParameterException) as refused:
        sns.publish(TopicArn=topic, Subject=subject, Message=message)
    # THEN it is refused with SNS's InvalidParameter error
    assert refusal in str(refused.value)


def test_sns_publish_accepts_the_limits_themselves(cloud: LocalCloud) -> None:
    # GIVEN a 100-character ASCII subject and a 256 KB message with line breaks, tabs and non-ASCII text
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="limits")["TopicArn"]
    message = ("line\ttab \u00e9\n" * 30000)[: 128 * 1024]
    message += "x" * (256 * 1024 - len(message.encode()))
    # WHEN published
    response = sns.publish(TopicArn=topic, Subject="s" * 100, Message=message)
    # THEN SNS takes it
    assert response["MessageId"]
