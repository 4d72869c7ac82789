"""Every change the local cloud makes to moto 5.2.5, in one place.

Each entry of ``PATCH_POINTS`` names the moto (or stdlib) symbol it replaces and says why; ``_FACTORIES``
(at the bottom) builds each replacement from moto's original. ``tests/local/test_patches.py`` has a
canary per entry that fails loudly when moto moves or reshapes one of them.

``install_patches(clock)`` applies them once (idempotent) and points them at a clock and a fresh
``LambdaRuntime``; call it again to re-point them between tests; ``uninstall_patches()`` restores moto
exactly. ``local.deploy.local_cloud`` does both for you.

Simulated time (rules in ``local.clock``): Wait states, Retry back-offs and Lambda durations advance the
calling thread's lane and never sleep; a thread started while the patches are installed inherits its
starter's time; where moto starts threads and waits for them (program, Task, Map, Parallel) the waiting
thread resumes at the latest of them, or at the first failure; Map items start when their concurrency
slot frees up in simulated time; an execution's thread never pulls its starter forward.
"""

from __future__ import annotations

import copy
import datetime
import functools
import heapq
import importlib
import json
import logging
import os
import random
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local import iam
from local.clock import SimClock
from local.lambda_runtime import LambdaRuntime, ThreadEnviron

LOG = logging.getLogger(__name__)

_SFN = "moto.stepfunctions.parser"
_ASL = f"{_SFN}.asl.component"
_ITERATION = f"{_ASL}.state.exec.state_map.iteration.inline_iteration_component"


@dataclass(frozen=True)
class PatchPoint:
    """One replaced symbol: ``attribute`` (``Class.method`` or a module global) of module ``module``."""

    module: str
    attribute: str
    why: str


PATCH_POINTS: tuple[PatchPoint, ...] = (
    # -- a. Lambda -------------------------------------------------------------------------------------
    PatchPoint(
        "moto.awslambda.models",
        "LambdaFunction.invoke",
        "moto runs Lambda code only in Docker (the simple backend echoes the input): run the real handler "
        "in-process; the one choke point for the Invoke API and both Step Functions Lambda task forms",
    ),
    PatchPoint(
        "os",
        "environ",
        "a handler must see its function's Environment, and swapping the process environment around "
        "each invocation races with moto's threads (botocore iterates it to build every client): "
        "os.environ becomes per-thread, the process environment unless a handler runs on the thread",
    ),
    # -- b. EventBridge -> Step Functions --------------------------------------------------------------
    PatchPoint(
        "moto.events.models",
        "Rule.send_to_targets",
        "moto has no Step Functions rule target (NotImplementedError, swallowed on the S3 path, and the "
        "targets after it are skipped): start the execution on the executing backend, if the target's "
        "role allows states:StartExecution (local.iam)",
    ),
    # -- c. CloudFormation state machines --------------------------------------------------------------
    PatchPoint(
        "moto.stepfunctions.models",
        "StateMachine.create_from_cloudformation_json",
        "CloudFormation creates state machines in the non-executing backend even with "
        "execute_state_machine: create them where start_execution will look, with logging and tracing",
    ),
    PatchPoint(
        "moto.stepfunctions.models",
        "StateMachine.delete_from_cloudformation_json",
        "same backend mismatch on delete_stack",
    ),
    # -- d. simulated time -----------------------------------------------------------------------------
    PatchPoint(
        f"{_ASL}.state.wait.wait_function.wait_function",
        "WaitFunction._wait_interval",
        "Wait states block on a real Event.wait: advance the simulated clock instead",
    ),
    PatchPoint(
        f"{_ASL}.common.retry.retrier_decl",
        "time",
        "Retry back-offs call time.sleep(interval): the module's time becomes one whose sleep advances the "
        "simulated clock",
    ),
    PatchPoint(
        "botocore.endpoint",
        "time",
        "botocore's retry handler (the handlers' standard mode: throttling, 5xx, injected faults) waits with "
        "time.sleep(delay) in Endpoint._needs_retry: sleep on the simulated clock instead",
    ),
    PatchPoint(
        f"{_ASL}.common.retry.jitter_strategy_decl",
        "JitterStrategyDecl._eval_body",
        "JitterStrategy FULL draws from the global random module: draw from a generator seeded by the run "
        "seed, execution, state, Map index and attempt, so back-offs are reproducible",
    ),
    PatchPoint(
        "threading",
        "Thread.start",
        "moto runs executions, programs, Tasks, Map iterations and Parallel branches on threads: a thread "
        "starts on the simulated time of the thread that started it",
    ),
    PatchPoint(
        f"{_ASL}.program.program",
        "Program.eval",
        "runs the states on a worker thread and joins it: resume at the worker's time",
    ),
    PatchPoint(
        f"{_ASL}.state.exec.execute_state",
        "ExecutionState._evaluate_with_timeout",
        "runs a Task/Map/Parallel body on a thread and waits for it: resume at that thread's time",
    ),
    PatchPoint(
        _ITERATION,
        "InlineIterationComponent._eval_body",
        "an inline Map starts one worker thread per item (or MaxConcurrency) and awaits them all: resume "
        "at the latest worker's time (a Map of 3 items waiting 100 s each takes 100 s)",
    ),
    PatchPoint(
        f"{_ASL}.state.exec.state_map.iteration.distributed_iteration_component",
        "DistributedIterationComponent._map_run",
        "same for a distributed Map",
    ),
    PatchPoint(
        _ITERATION,
        "InlineIterationComponent._launch_worker",
        "Map workers pull items from a shared pool in real time, so which item waits for which depends "
        "on thread scheduling: give the pool a simulated-time schedule (MaxConcurrency slots)",
    ),
    PatchPoint(
        f"{_ASL}.state.exec.state_map.iteration.iteration_worker",
        "IterationWorker._eval_job",
        "runs one Map item on a pooled worker thread: run it at its scheduled start instead of wherever "
        "that thread's previous item ended, and mark the time if it failed",
    ),
    PatchPoint(
        f"{_ASL}.state.exec.state_parallel.branches_decl",
        "BranchesDecl._eval_body",
        "a Parallel starts one thread per branch and awaits them: resume at the latest branch's time",
    ),
    PatchPoint(
        f"{_ASL}.state.exec.state_parallel.branches_decl",
        "BranchWorkerPool.on_terminated",
        "called on each branch's thread as it ends: mark the time of a failed branch, at which the "
        "Parallel fails (the other branches are still running in real time, at racy simulated times)",
    ),
    PatchPoint(
        f"{_SFN}.backend.execution_worker",
        "ExecutionWorker.start",
        "an execution runs on its own thread that nobody joins: its time must not flow back to the caller; "
        "and its calls (Lambda invoke, SNS publish) are made as the state machine's role (local.iam)",
    ),
    # -- e. timestamps ---------------------------------------------------------------------------------
    PatchPoint(
        f"{_SFN}.models",
        "datetime",
        "start_execution stamps startDate with datetime.now: use the simulated time",
    ),
    PatchPoint(
        f"{_SFN}.backend.execution",
        "datetime",
        "the execution's stopDate comes from datetime.now: use the simulated time",
    ),
    PatchPoint(
        f"{_SFN}.asl.eval.event.event_manager",
        "datetime",
        "history event timestamps come from datetime.now: use the simulated time",
    ),
    PatchPoint(
        f"{_ASL}.state.state",
        "datetime",
        "$$.State.EnteredTime comes from datetime.now: use the simulated time",
    ),
    PatchPoint(
        f"{_ASL}.state.wait.wait_function.timestamp",
        "datetime",
        "Wait Timestamp/TimestampPath measure the delay from datetime.now (naive local time): simulated UTC",
    ),
    PatchPoint(
        "moto.s3.notifications",
        "unix_time",
        "the S3 event's 'time' field: the simulated time of the upload",
    ),
    PatchPoint(
        "moto.scheduler.models",
        "unix_time",
        "a schedule's CreationDate and LastModificationDate: the simulated time (local.scheduler counts a rate "
        "from them)",
    ),
    PatchPoint(
        "moto.scheduler.models",
        "utcnow",
        "CreateSchedule refuses a StartDate more than 5 minutes before now: the simulated now",
    ),
    # -- f. CloudFormation resource types the templates use ------------------------------------------
    PatchPoint(
        "moto.cloudformation.parsing",
        "resource_class_from_type",
        "moto's CloudFormation has no AWS::S3::BucketPolicy, AWS::SNS::Subscription, AWS::SNS::TopicPolicy, "
        "AWS::SQS::QueuePolicy nor AWS::Scheduler::ScheduleGroup and silently skips them: provide them (each "
        "policy lands on its bucket, topics or queues, the subscription on its topic, the group in moto's "
        "EventBridge Scheduler with its tags)",
    ),
    PatchPoint(
        "moto.s3.models",
        "FakeBucket.get_permission",
        "moto evaluates bucket policies without the request context and answers DENIED for any statement "
        "whose Condition it cannot verify, whatever its Effect: the standard TLS-only statement (Deny if "
        "aws:SecureTransport is false) then denies every request. Evaluate the statements that apply to "
        "everyone (Principal *) with local.iam, conditions included, for an SDK request (HTTPS): only their "
        "Deny counts here; who may do what is decided by local.iam for each caller",
    ),
    # -- g. IAM --------------------------------------------------------------------------------------
    PatchPoint(
        "moto.core.botocore_stubber",
        "BotocoreStubber.process_request",
        "moto's dispatch of every mocked request: it runs as the AWS service itself (no caller, so the "
        "service's own calls are not checked against the caller's role), and refuses a request from a "
        "thread with a caller that local.iam's botocore hook did not authorize (a client built before "
        "the hooks were registered would otherwise bypass IAM)",
    ),
    PatchPoint(
        "moto.awslambda.models",
        "LayerVersion.physical_resource_id",
        "moto's LayerVersion has no physical id (absent here: the patch adds it), so the stack lists the "
        "layer without one and !Ref to it resolves to the model object: make it the version ARN, as on AWS",
    ),
    # -- h. service limits moto does not enforce as AWS does -----------------------------------------
    PatchPoint(
        f"{_ASL}.common.error_name.error_equals_decl",
        "ErrorEqualsDecl._eval_body",
        "moto's States.ALL matches every error; on AWS it does not match States.DataLimitExceeded (a payload "
        "over 256 KB): only a Catch naming it does, so a state machine relying on States.ALL alone ends without "
        "its failure path, as on AWS. (AWS keeps States.Runtime out of States.ALL too, but moto reports any "
        "internal exception as States.Runtime, where AWS would report the service's own error: left alone)",
    ),
    PatchPoint(
        "moto.sns.models",
        "SNSBackend.publish",
        "moto checks a subject's length with a ValueError (a 500 to the caller) and a message's length in "
        "characters: refuse what SNS refuses, with its InvalidParameter error: a subject that is empty, "
        "over 100 characters, not ASCII or with a control character; a message that is empty, over 256 KB "
        "of UTF-8, or holds a character outside XML's (a lone UTF-16 surrogate, a control character)",
    ),
)


#: SNS Publish limits (API reference, Publish: Subject and Message).
SNS_SUBJECT_CHARS = 100
SNS_MESSAGE_BYTES = 256 * 1024
#: Characters SNS accepts in a message: XML 1.0's Char production.
_SNS_REFUSED = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# -- state ---------------------------------------------------------------------------------------------


@dataclass
class _Active:
    clock: SimClock
    runtime: LambdaRuntime
    seed: int
    names: random.Random

    names_lock: threading.Lock = field(default_factory=threading.Lock)

    def next_execution_name(self) -> str:
        """Like EventBridge, a UUID per execution; from a seeded generator so runs are reproducible."""
        with self.names_lock:
            return str(uuid.UUID(int=self.names.getrandbits(128), version=4))


#: What ``original()`` returns for an attribute moto does not define (the patch adds it).
ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "ABSENT"})()

_LOCK = threading.Lock()
_ACTIVE: _Active | None = None
_ORIGINALS: dict[PatchPoint, Any] = {}


def install_patches(clock: SimClock, *, seed: int = 0, lambda_duration_s: float = 1.0) -> LambdaRuntime:
    """Apply every patch (once) and point them at ``clock``; returns the fresh Lambda runtime.

    ``seed`` makes execution names, request ids and retry jitter reproducible.
    """
    global _ACTIVE
    with _LOCK:
        if not _ORIGINALS:
            for point in PATCH_POINTS:
                owner, name = _owner(point)
                moto_symbol = owner.__dict__.get(name, ABSENT)
                replacement = _FACTORIES[point.attribute](getattr(moto_symbol, "__func__", moto_symbol))
                _ORIGINALS[point] = moto_symbol
                setattr(owner, name, replacement)
        runtime = LambdaRuntime(clock, duration_s=lambda_duration_s, seed=seed)
        _ACTIVE = _Active(clock, runtime, seed, random.Random(f"execution-names:{seed}"))
        iam.install()
        return runtime


def uninstall_patches() -> None:
    """Put back every original symbol; a no-op when nothing is installed."""
    global _ACTIVE
    with _LOCK:
        for point, original in _ORIGINALS.items():
            owner, name = _owner(point)
            if original is ABSENT:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        _ORIGINALS.clear()
        _ACTIVE = None
        iam.uninstall()


def is_installed() -> bool:
    return _ACTIVE is not None


def active_clock() -> SimClock:
    return _active().clock


def active_runtime() -> LambdaRuntime:
    return _active().runtime


def next_execution_name() -> str:
    """The name of the next execution a service (EventBridge, Scheduler) starts: a seeded UUID."""
    return _active().next_execution_name()


def original(point: PatchPoint) -> Any:
    """The symbol moto defines at ``point`` (what the canary tests inspect), patched or not."""
    if point in _ORIGINALS:
        return _ORIGINALS[point]
    owner, name = _owner(point)
    return owner.__dict__.get(name, ABSENT)


def _active() -> _Active:
    if _ACTIVE is None:
        raise RuntimeError("the local cloud patches are not installed: use local.deploy.local_cloud()")
    return _ACTIVE


def _owner(point: PatchPoint) -> tuple[Any, str]:
    owner: Any = importlib.import_module(point.module)
    *path, name = point.attribute.split(".")
    for part in path:
        owner = getattr(owner, part)
    return owner, name


# -- replacements --------------------------------------------------------------------------------------


def _lambda_invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> bytes:
    """Replaces ``LambdaFunction.invoke(body, request_headers, response_headers)``."""
    return _active().runtime.invoke(self, body, request_headers, response_headers)


def _make_send_to_targets(moto_send: Callable[..., None]) -> Callable[..., None]:
    def send_to_targets(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
        """Start executions for ``states`` targets, then let moto deliver to the others as before."""
        from moto.events.utils import EventTemplateParser
        from moto.stepfunctions.responses import get_backend
        from moto.utilities.arns import parse_arn

        if not self.event_pattern.matches_event(original_event):
            return
        sfn_targets = [t for t in self.targets if parse_arn(t["Arn"]).service == "states"]
        for target in sfn_targets:
            arn = parse_arn(target["Arn"])
            if "Input" in target:
                execution_input = target["Input"]
            elif transform_input and "InputTransformer" in target:
                transformer = target["InputTransformer"]
                parsed = EventTemplateParser.parse(
                    input_template=transformer.get("InputTemplate"),
                    input_paths_map=transformer.get("InputPathsMap", {}),
                    event=original_event,
                )
                execution_input = parsed if isinstance(parsed, str) else json.dumps(parsed)
            else:
                execution_input = json.dumps(_as_delivered(original_event))
            try:
                _authorize_target(target, arn.region)
                get_backend(arn.account, arn.region).start_execution(
                    target["Arn"], name=_active().next_execution_name(), execution_input=execution_input
                )
            except Exception:  # a failed target must not stop the others, as in EventBridge
                LOG.exception("EventBridge rule %s could not start %s", self.name, target["Arn"])
        if len(sfn_targets) < len(self.targets):
            others = copy.copy(self)  # a shallow view: concurrent puts must not see a half-edited rule
            others.targets = [t for t in self.targets if t not in sfn_targets]
            moto_send(others, original_event, transform_input)

    return send_to_targets


def _authorize_target(target: dict[str, Any], region: str) -> None:
    """EventBridge starts a state machine with the target's role: it must allow states:StartExecution."""
    if not target.get("RoleArn"):
        raise iam.UnresolvedRequest(f"EventBridge target {target['Arn']} has no RoleArn to start it with")
    caller = iam.Caller.for_role(target["RoleArn"], "events")
    context = iam.request_context(caller, region, secure=True)
    iam.authorize(caller, [iam.Check("states:StartExecution", target["Arn"])], context)


def _as_delivered(event: dict[str, Any]) -> dict[str, Any]:
    """EventBridge delivers ``time`` as an ISO-8601 string; moto's S3 path keeps a float."""
    if isinstance(event.get("time"), int | float):
        stamp = datetime.datetime.fromtimestamp(event["time"], datetime.UTC)
        return {**event, "time": stamp.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return event


def _create_state_machine_from_cfn(
    cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
) -> Any:
    """Replaces ``StateMachine.create_from_cloudformation_json``: same inputs, the executing backend."""
    from moto.stepfunctions.responses import get_backend
    from moto.stepfunctions.utils import cfn_to_api_tags

    properties = cloudformation_json["Properties"]
    definition = properties.get("DefinitionString") or properties.get("Definition") or ""
    return get_backend(account_id, region_name).create_state_machine(
        name=properties.get("StateMachineName", resource_name),
        definition=definition if isinstance(definition, str) else json.dumps(definition),
        roleArn=properties.get("RoleArn", ""),
        tags=cfn_to_api_tags(properties.get("Tags", [])),
        loggingConfiguration=_api_shape(properties.get("LoggingConfiguration")),
        tracingConfiguration=_api_shape(properties.get("TracingConfiguration")),
        sm_type=properties.get("StateMachineType"),
    )


def _delete_state_machine_from_cfn(
    cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
) -> None:
    """Replaces ``StateMachine.delete_from_cloudformation_json``."""
    from moto.stepfunctions.responses import get_backend

    get_backend(account_id, region_name).delete_state_machine(resource_name)


def _api_shape(value: Any) -> Any:
    """CloudFormation's PascalCase property (``LogGroupArn``) to the API's camelCase (``logGroupArn``)."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: _api_shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_api_shape(item) for item in value]
    return value


def _make_resource_class_from_type(moto_lookup: Callable[[str], Any]) -> Callable[[str], Any]:
    def resource_class_from_type(resource_type: str) -> Any:
        """Replaces ``parsing.resource_class_from_type(resource_type)``: ours first, then moto's."""
        return _EXTRA_CFN_MODELS.get(resource_type) or moto_lookup(resource_type)

    return resource_class_from_type


def _bucket_permission(self: Any, action: str, resource: str) -> Any:
    """Replaces ``FakeBucket.get_permission(action, resource)``: the Deny of statements for everyone."""
    from moto.iam.access_control import PermissionResult

    from local.iam.policies import statement_effect, statements_of

    if self.policy is None:
        return PermissionResult.NEUTRAL
    context = {"aws:SecureTransport": "true"}  # moto serves SDK requests, all HTTPS
    for statement in statements_of(self.policy.decode() if isinstance(self.policy, bytes) else self.policy):
        if statement.get("Principal") in ("*", {"AWS": "*"}):
            if statement_effect(statement, action, resource, context) == "Deny":
                return PermissionResult.DENIED
    return PermissionResult.NEUTRAL


def _make_process_request(process_request: Callable[..., Any]) -> Callable[..., Any]:
    def process_request_as_service(self: Any, request: Any) -> Any:
        """Replaces ``BotocoreStubber.process_request(request)``."""
        caller = iam.current_caller()
        marker = request.headers.get(iam.CHECKED_HEADER)
        if caller is not None and (marker.decode() if isinstance(marker, bytes) else marker) != "checked":
            raise RuntimeError(
                f"{request.method} {request.url} from {caller.arn} bypassed the local IAM check: its client was "
                "built before local.iam.install() registered the botocore hooks"
            )
        with iam.acting_as(None):
            return process_request(self, request)

    return process_request_as_service


def _make_execution_start(moto_start: Callable[..., Any]) -> Callable[..., Any]:
    detached = _in_scope(SimClock.detached)(moto_start)

    def start(self: Any) -> Any:
        """Replaces ``ExecutionWorker.start()``: the execution thread acts as the state machine's role."""
        details = self._evaluation_details.execution_details
        caller = iam.Caller.for_role(details.role_arn, details.name) if details.role_arn else None
        with iam.acting_as(caller):
            return detached(self)

    return start


def _make_error_equals(moto_eval: Callable[..., None]) -> Callable[..., None]:
    def _eval_body(self: Any, env: Any) -> None:
        """Replaces ``ErrorEqualsDecl._eval_body(env)``: States.ALL does not match States.DataLimitExceeded."""
        from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
        from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
            StatesErrorNameType,
        )

        error_name = env.stack[-1]
        wildcard = StatesErrorName(typ=StatesErrorNameType.StatesALL)
        limit = StatesErrorNameType.StatesStatesDataLimitExceeded
        if wildcard in self.error_names and isinstance(error_name, StatesErrorName) and error_name.typ == limit:
            env.stack.pop()
            env.stack.append(False)
            return
        moto_eval(self, env=env)

    return _eval_body


def _make_sns_publish(moto_publish: Callable[..., str]) -> Callable[..., str]:
    def publish(self: Any, message: str, arn: str | None, *args: Any, **kwargs: Any) -> str:
        """Replaces ``SNSBackend.publish``: SNS's own checks of Subject and Message first."""
        from moto.sns.exceptions import InvalidParameterValue

        subject = kwargs.get("subject", args[1] if len(args) > 1 else None)
        if subject is not None:
            if not subject or len(subject) > SNS_SUBJECT_CHARS:
                raise InvalidParameterValue("Invalid parameter: Subject")
            if not subject.isascii() or any(ord(c) < 0x20 or ord(c) == 0x7F for c in subject):
                raise InvalidParameterValue("Invalid parameter: Subject")
        if not message:
            raise InvalidParameterValue("Invalid parameter: Empty message")
        if _SNS_REFUSED.search(message):
            raise InvalidParameterValue("Invalid parameter: Message")
        if len(message.encode("utf-8")) > SNS_MESSAGE_BYTES:
            raise InvalidParameterValue("Invalid parameter: Message too long")
        return moto_publish(self, message, arn, *args, **kwargs)

    return publish


class _CfnResource:
    """The part of moto's CloudFormationModel its stack code calls on a created resource.

    Duck-typed on purpose: subclassing CloudFormationModel would register the class with moto for good
    (moto discovers models through ``__subclasses__``), even after ``uninstall_patches``.
    """

    physical_resource_id: str

    def is_created(self) -> bool:
        return True

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False


class _CfnBucketPolicy(_CfnResource):
    """AWS::S3::BucketPolicy for moto's CloudFormation: put_bucket_policy on the bucket."""

    def __init__(self, name: str, bucket: str, account_id: str, region: str) -> None:
        self.physical_resource_id, self.bucket, self.account_id, self.region = name, bucket, account_id, region

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> _CfnBucketPolicy:
        properties = cloudformation_json["Properties"]
        document = properties["PolicyDocument"]
        text = document if isinstance(document, str) else json.dumps(document)
        cls._backend(account_id, region_name).put_bucket_policy(properties["Bucket"], text.encode())
        return cls(resource_name, properties["Bucket"], account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        self._backend(account_id, region_name).delete_bucket_policy(self.bucket)

    @staticmethod
    def _backend(account_id: str, region_name: str) -> Any:
        from moto.s3.models import s3_backends
        from moto.utilities.utils import get_partition

        return s3_backends[account_id][get_partition(region_name)]


class _CfnSnsSubscription(_CfnResource):
    """AWS::SNS::Subscription for moto's CloudFormation; the physical id is the subscription ARN."""

    _ATTRIBUTES = ("DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy")

    def __init__(self, arn: str) -> None:
        self.physical_resource_id = arn

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> _CfnSnsSubscription:
        from moto.sns.models import sns_backends

        properties = cloudformation_json["Properties"]
        backend = sns_backends[account_id][region_name]
        subscription = backend.subscribe(properties["TopicArn"], properties["Endpoint"], properties["Protocol"])
        for name in cls._ATTRIBUTES:
            if name in properties:
                value = properties[name]
                if isinstance(value, bool):
                    value = str(value).lower()
                backend.set_subscription_attributes(
                    subscription.arn, name, value if isinstance(value, str) else json.dumps(value)
                )
        return cls(subscription.arn)

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.sns.models import sns_backends

        sns_backends[account_id][region_name].unsubscribe(self.physical_resource_id)


def _policy_text(properties: dict[str, Any]) -> str:
    """A policy resource's PolicyDocument as the JSON text the services store (the template may give either)."""
    document = properties["PolicyDocument"]
    return document if isinstance(document, str) else json.dumps(document)


class _CfnSnsTopicPolicy(_CfnResource):
    """AWS::SNS::TopicPolicy for moto's CloudFormation: the document becomes each topic's Policy attribute
    (which local.iam evaluates on sns:Publish); deleting it gives the topics their default policy back."""

    def __init__(self, name: str, topics: list[str]) -> None:
        self.physical_resource_id, self.topics = name, topics

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> _CfnSnsTopicPolicy:
        from moto.sns.models import sns_backends

        properties = cloudformation_json["Properties"]
        text = _policy_text(properties)
        for topic in properties["Topics"]:
            sns_backends[account_id][region_name].set_topic_attribute(topic, "policy", text)
        return cls(resource_name, list(properties["Topics"]))

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.sns.models import sns_backends

        for arn in self.topics:
            topic = sns_backends[account_id][region_name].get_topic(arn)
            topic.policy = topic._create_default_topic_policy(region_name, account_id, topic.name)


class _CfnSqsQueuePolicy(_CfnResource):
    """AWS::SQS::QueuePolicy for moto's CloudFormation: the document becomes each queue's Policy attribute."""

    def __init__(self, name: str, queues: list[str]) -> None:
        self.physical_resource_id, self.queues = name, queues

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> _CfnSqsQueuePolicy:
        from moto.sqs.models import sqs_backends

        properties = cloudformation_json["Properties"]
        text = _policy_text(properties)
        for url in properties["Queues"]:  # Ref of a queue is its URL; moto keys queues by name
            sqs_backends[account_id][region_name].set_queue_attributes(url.rsplit("/", 1)[-1], {"Policy": text})
        return cls(resource_name, list(properties["Queues"]))

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.sqs.models import sqs_backends

        for url in self.queues:
            sqs_backends[account_id][region_name].set_queue_attributes(url.rsplit("/", 1)[-1], {"Policy": ""})


class _CfnScheduleGroup(_CfnResource):
    """AWS::Scheduler::ScheduleGroup for moto's CloudFormation: the group in moto's Scheduler, with its tags.

    Without a Name, CloudFormation generates one (``<stack>-<logical id>-<suffix>``, at most 64 characters);
    ``!Ref`` gives the name.
    """

    def __init__(self, name: str, account_id: str, region: str) -> None:
        self.physical_resource_id, self.account_id, self.region = name, account_id, region

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> _CfnScheduleGroup:
        properties = cloudformation_json.get("Properties") or {}
        name = properties.get("Name") or resource_name[:64]
        tags = [{"Key": t["Key"], "Value": t["Value"]} for t in properties.get("Tags") or []]
        cls._backend(account_id, region_name).create_schedule_group(name=name, tags=tags)
        return cls(name, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        self._backend(account_id, region_name).delete_schedule_group(self.physical_resource_id)

    @staticmethod
    def _backend(account_id: str, region_name: str) -> Any:
        from moto.scheduler.models import scheduler_backends

        return scheduler_backends[account_id][region_name]


_EXTRA_CFN_MODELS: dict[str, type] = {
    "AWS::S3::BucketPolicy": _CfnBucketPolicy,
    "AWS::SNS::Subscription": _CfnSnsSubscription,
    "AWS::SNS::TopicPolicy": _CfnSnsTopicPolicy,
    "AWS::SQS::QueuePolicy": _CfnSqsQueuePolicy,
    "AWS::Scheduler::ScheduleGroup": _CfnScheduleGroup,
}


class _MapSchedule:
    """When each Map item starts in simulated time, whichever worker thread moto runs it on.

    As Step Functions does: the first ``slots`` items (MaxConcurrency, or all of them) start with the
    Map; each later item starts in the slot the items before it free first. Computing that needs their
    end times, so such an item waits (real time, briefly) until every earlier item has finished; moto
    hands items out in index order, so that wait always ends.
    """

    def __init__(self, start: float, slots: int) -> None:
        self.start, self.slots = start, max(1, slots)
        self._ends: dict[int, float] = {}
        self._finished = threading.Condition()

    def start_of(self, index: int) -> float:
        if index < self.slots:
            return self.start
        with self._finished:
            self._finished.wait_for(lambda: all(i in self._ends for i in range(index)), timeout=60)
            free = [self.start] * self.slots  # a heap of the times each slot frees up
            for earlier in range(index):
                heapq.heapreplace(free, self._ends.get(earlier, self.start))
            return free[0]

    def finish(self, index: int, end: float) -> None:
        with self._finished:
            self._ends[index] = end
            self._finished.notify_all()


def _make_launch_worker(launch: Callable[..., Any]) -> Callable[..., Any]:
    def _launch_worker(self: Any, env: Any, eval_input: Any, job_pool: Any) -> Any:
        """Replaces ``InlineIterationComponent._launch_worker``: the pool gets its schedule first."""
        from moto.stepfunctions.parser.asl.component.state.exec.state_map.max_concurrency import (
            DEFAULT_MAX_CONCURRENCY_VALUE,
        )

        active = _ACTIVE
        if active is not None and not hasattr(job_pool, "local_cloud_schedule"):
            limit = eval_input.max_concurrency
            slots = len(eval_input.input_items) if limit == DEFAULT_MAX_CONCURRENCY_VALUE else limit
            job_pool.local_cloud_schedule = _MapSchedule(active.clock.now(), slots)
        return launch(self, env=env, eval_input=eval_input, job_pool=job_pool)

    return _launch_worker


def _make_eval_job(eval_job: Callable[..., None]) -> Callable[..., None]:
    def _eval_job(self: Any, env: Any, job: Any) -> None:
        """Replaces ``IterationWorker._eval_job(env, job)``: the item runs at its scheduled time."""
        active, schedule = _ACTIVE, getattr(self._job_pool, "local_cloud_schedule", None)
        if active is None or schedule is None:
            return eval_job(self, env=env, job=job)
        clock = active.clock
        with clock.running_at(schedule.start_of(job.job_index)):
            try:
                eval_job(self, env=env, job=job)
            finally:
                schedule.finish(job.job_index, clock.now())
                if isinstance(job.job_output, Exception):
                    clock.mark_failed()

    return _eval_job


def _make_on_terminated(moto_on_terminated: Callable[..., None]) -> Callable[..., None]:
    def on_terminated(self: Any, env: Any) -> None:
        """Replaces ``BranchWorkerPool.on_terminated(env)``, run by the ending branch's thread."""
        from moto.stepfunctions.parser.asl.eval.program_state import ProgramError

        if _ACTIVE is not None and isinstance(env.program_state(), ProgramError):
            _ACTIVE.clock.mark_failed()
        moto_on_terminated(self, env=env)

    return on_terminated


def _wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
    """Replaces ``WaitFunction._wait_interval(env, wait_seconds)``: no real waiting."""
    if wait_seconds > 0:
        _active().clock.advance(wait_seconds)


class _SimTimeModule:
    """Stands in for ``time`` in ``retrier_decl`` and ``botocore.endpoint``, whose only use is ``time.sleep``."""

    @staticmethod
    def sleep(seconds: float) -> None:
        if seconds > 0:
            _active().clock.advance(seconds)


def _jitter_eval_body(self: Any, env: Any) -> None:
    """Replaces ``JitterStrategyDecl._eval_body(env)``: FULL jitter, uniform in [0, interval], seeded."""
    from moto.stepfunctions.parser.asl.component.common.retry.jitter_strategy_decl import JitterStrategy

    if self.jitter_strategy == JitterStrategy.NONE:
        return
    interval = env.stack.pop()
    context = env.states.context_object.context_object_data
    state = context.get("State") or {}
    item = (context.get("Map") or {}).get("Item") or {}
    key = (
        f"jitter:{_active().seed}:{context['Execution']['Id']}:{state.get('Name')}"
        f":{item.get('Index')}:{state.get('RetryCount')}"
    )
    env.stack.append(random.Random(key).uniform(0, interval))


def _make_thread_start(thread_start: Callable[[threading.Thread], None]) -> Callable[[threading.Thread], None]:
    def start(self: threading.Thread) -> None:
        """Replaces ``Thread.start()``: the new thread runs on a lane forked from its starter's, and sees
        the environment and acts as the IAM caller its starter does (a handler's thread pool sees the
        handler's)."""
        active, environ = _ACTIVE, os.environ
        if active is not None:
            clock, lane, run = active.clock, active.clock.fork(), self.run
            env = environ.current if isinstance(environ, ThreadEnviron) else None
            caller = iam.current_caller()

            def run_on_lane() -> None:
                clock.adopt(lane)
                if env is not None and isinstance(environ, ThreadEnviron):
                    environ.adopt(env)
                iam.adopt(caller)
                run()

            self.run = run_on_lane  # type: ignore[method-assign]
        thread_start(self)

    return start


class _SimDatetime(datetime.datetime):
    """``datetime.datetime`` whose ``now()`` is the calling thread's simulated time."""

    @classmethod
    def now(cls, tz: datetime.tzinfo | None = None) -> datetime.datetime:  # type: ignore[override]
        moment = datetime.datetime.fromtimestamp(_active().clock.now(), datetime.UTC)
        # moto compares naive now() with naive UTC timestamps, so naive means UTC here.
        return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)


class _SimDatetimeModule:
    """Stands in for the ``datetime`` module in moto's Step Functions modules; only ``now()`` differs."""

    datetime = _SimDatetime

    def __getattr__(self, name: str) -> Any:
        return getattr(datetime, name)


def _in_scope(scope: Callable[[SimClock], Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Factory for the places moto starts threads: run moto's code inside ``scope(clock)``."""

    def factory(moto_function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(moto_function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            active = _ACTIVE
            if active is None:
                return moto_function(*args, **kwargs)
            with scope(active.clock):
                return moto_function(*args, **kwargs)

        return wrapper

    return factory


#: ``PatchPoint.attribute`` -> a function of moto's original that returns the replacement.
_FACTORIES: dict[str, Callable[[Any], Any]] = {
    "LambdaFunction.invoke": lambda _: _lambda_invoke,
    "environ": ThreadEnviron,
    "Rule.send_to_targets": _make_send_to_targets,
    "StateMachine.create_from_cloudformation_json": lambda _: classmethod(_create_state_machine_from_cfn),
    "StateMachine.delete_from_cloudformation_json": lambda _: classmethod(_delete_state_machine_from_cfn),
    "WaitFunction._wait_interval": lambda _: _wait_interval,
    "time": lambda _: _SimTimeModule(),
    "JitterStrategyDecl._eval_body": lambda _: _jitter_eval_body,
    "Thread.start": _make_thread_start,
    "Program.eval": _in_scope(SimClock.joining),
    "ExecutionState._evaluate_with_timeout": _in_scope(SimClock.joining),
    "InlineIterationComponent._eval_body": _in_scope(SimClock.joining),
    "DistributedIterationComponent._map_run": _in_scope(SimClock.joining),
    "InlineIterationComponent._launch_worker": _make_launch_worker,
    "IterationWorker._eval_job": _make_eval_job,
    "BranchesDecl._eval_body": _in_scope(SimClock.joining),
    "BranchWorkerPool.on_terminated": _make_on_terminated,
    "ExecutionWorker.start": _make_execution_start,
    "BotocoreStubber.process_request": _make_process_request,
    "datetime": lambda _: _SimDatetimeModule(),
    "unix_time": lambda _: lambda *_: _active().clock.now(),
    "utcnow": lambda _: lambda: _SimDatetime.now(),
    "resource_class_from_type": _make_resource_class_from_type,
    "FakeBucket.get_permission": lambda _: _bucket_permission,
    "LayerVersion.physical_resource_id": lambda _: property(lambda self: self.arn),
    "ErrorEqualsDecl._eval_body": _make_error_equals,
    "SNSBackend.publish": _make_sns_publish,
}
