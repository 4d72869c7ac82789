"""Deploy the real SAM template into moto, and the helpers tests and the CLI use to drive it.

``local_cloud()`` opens moto with the right configuration and the patches of ``local.patches``;
``deploy_stack()`` transforms the template with samtranslator offline and creates it with moto's
CloudFormation, so handler names, environment variables, ARNs, the rule pattern and the definition
substitutions all come from the template, as on AWS. Everything here must run inside ``local_cloud()``.

What the deploy adds to a plain ``create_stack`` (feasibility §5):

- local ``CodeUri``/``ContentUri``/``DefinitionUri`` paths become placeholder S3 objects (samtranslator
  accepts only S3 locations); the functions' code is then registered with the in-process Lambda runtime;
- ``DefinitionUri`` is inlined as ``DefinitionString`` = ``Fn::Join`` of the ASL text and the
  ``DefinitionSubstitutions`` values: ``Fn::Sub`` would also expand ``${AWS::…}`` and, in moto, turn
  every ``$$`` of the ASL (``$$.Execution.Id``) into ``$``;
- moto reports ``CREATE_COMPLETE`` even when it skipped a resource type, so every resource must have a
  physical id or the deploy fails, naming them;
- moto's CloudFormation ignores a bucket's EventBridge flag, versioning and public access block: they are
  applied afterwards.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import time
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from local.clock import SimClock
from local.lambda_runtime import FunctionCode, LambdaRuntime
from local.patches import active_clock, active_runtime, install_patches, is_installed, uninstall_patches

REGION = "us-east-1"
DEFAULT_STACK_NAME = "personalize-pipeline"
PIPELINE_STATE_MACHINE = "PipelineStateMachine"

#: execute_state_machine: run the ASL (moto's default only records executions);
#: use_docker stays True so invokes reach ``LambdaFunction.invoke`` (the simple backend never does).
MOTO_CONFIG: dict[str, Any] = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": True},
    "core": {"mock_credentials": True, "reset_boto3_session": True},
}

#: Set when absent, so no boto3 call can find real credentials or probe instance metadata.
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}

_CODE_BUCKET = "local-cloud-artifacts"
_CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
_TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


class DeployError(RuntimeError):
    """The template could not be deployed faithfully; the message names the resources and reasons."""


# -- the cloud -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalCloud:
    """What an open local cloud gives its user: the simulated clock and the in-process Lambda runtime
    (``runtime.invocations`` counts invocations; ``runtime.env_overrides`` quietens handlers)."""

    clock: SimClock
    runtime: LambdaRuntime
    region: str = REGION


@contextmanager
def local_cloud(
    clock: SimClock | None = None, *, seed: int = 0, lambda_duration_s: float = 1.0, drain_timeout_s: float = 10.0
) -> Iterator[LocalCloud]:
    """moto with every service the template uses, the patches installed, fake credentials set.

    On exit, executions still running get ``drain_timeout_s`` (real seconds) to finish, then are stopped,
    and their threads joined, so no handler runs after the mock is gone (it would reach real AWS).
    """
    from moto import mock_aws
    from moto.moto_api._internal import mock_random

    if is_installed():
        raise RuntimeError("local_cloud() is already open in this process; it is not re-entrant")
    clock = clock or SimClock()
    saved_env = {key: os.environ.get(key) for key in FAKE_AWS_ENV}
    os.environ.update({key: value for key, value in FAKE_AWS_ENV.items() if not os.environ.get(key)})
    try:
        with mock_aws(config=MOTO_CONFIG):  # type: ignore[arg-type]
            mock_random.seed(seed)  # moto's own ids (request ids, version ids) become reproducible
            runtime = install_patches(clock, seed=seed, lambda_duration_s=lambda_duration_s)
            try:
                yield LocalCloud(clock, runtime)
            finally:
                try:
                    _drain_executions(clock, drain_timeout_s)
                finally:
                    uninstall_patches()
    finally:
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _is_running(execution: Any) -> bool:
    status = getattr(execution, "exec_status", None)
    return status is None or status.value == "RUNNING"


def _drain_executions(clock: SimClock, timeout_s: float) -> None:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends
    from moto.stepfunctions.parser.utils import TMP_THREADS

    deadline = time.monotonic() + timeout_s
    backends = [
        backend
        for account in list(stepfunctions_parser_backends.keys())
        for backend in list(stepfunctions_parser_backends[account].values())
    ]
    running = [e for b in backends for e in b._get_executions() if _is_running(e)]
    while running and time.monotonic() < deadline:
        time.sleep(0.005)
        running = [e for e in running if _is_running(e)]
    stop_date = datetime.datetime.fromtimestamp(clock.latest, datetime.UTC)
    for execution in running:
        execution.stop(stop_date=stop_date, error="LocalCloudClosed", cause="the local cloud was closed")
    for thread in list(TMP_THREADS):
        thread.join(max(0.0, deadline - time.monotonic()) + 0.1)
    TMP_THREADS[:] = [t for t in TMP_THREADS if t.is_alive()]


# -- the stack -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stack:
    """A deployed stack: what tests and the CLI need to find its resources."""

    name: str
    stack_id: str
    region: str
    #: The CloudFormation template moto deployed (samtranslator's output, with local code inlined).
    template: dict[str, Any]
    outputs: dict[str, str]
    #: Logical id -> physical id (a name or an ARN, as CloudFormation's Ref).
    physical_ids: dict[str, str]
    #: Function name -> its code on disk (CodeUri dir and layer ContentUri dirs).
    function_code: dict[str, FunctionCode] = field(default_factory=dict)

    def physical_id(self, logical_id: str) -> str:
        return self.physical_ids[logical_id]

    def of_type(self, resource_type: str) -> dict[str, str]:
        """Logical id -> physical id of every resource of a CloudFormation type."""
        return {
            logical_id: self.physical_ids[logical_id]
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type and logical_id in self.physical_ids
        }

    @property
    def bucket_name(self) -> str:
        """The bucket whose EventBridge notifications start the pipeline."""
        buckets = {
            lid: pid
            for lid, pid in self.of_type("AWS::S3::Bucket").items()
            if _eventbridge_enabled(self.template["Resources"][lid])
        }
        return _single(buckets or self.of_type("AWS::S3::Bucket"), "AWS::S3::Bucket")

    @property
    def state_machine_arns(self) -> dict[str, str]:
        """Logical id -> ARN of every state machine (the pipeline's, the teardown's)."""
        return self.of_type("AWS::StepFunctions::StateMachine")

    @property
    def state_machine_arn(self) -> str:
        """The pipeline's state machine: ``PipelineStateMachine``, or the template's only one."""
        machines = self.state_machine_arns
        if PIPELINE_STATE_MACHINE in machines:
            return machines[PIPELINE_STATE_MACHINE]
        return _single(machines, "AWS::StepFunctions::StateMachine")

    def state_machine_label(self, arn: str) -> str:
        """What the CLI calls a state machine: its logical id without ``StateMachine``, lower-cased
        (``pipeline``, ``teardown``); the ARN itself for one the stack does not have."""
        for logical_id, machine_arn in self.state_machine_arns.items():
            if machine_arn == arn:
                return logical_id.removesuffix("StateMachine").lower()
        return arn

    @property
    def topic_arn(self) -> str:
        return _single(self.of_type("AWS::SNS::Topic"), "AWS::SNS::Topic")

    @property
    def function_code_dirs(self) -> dict[str, Path]:
        return {name: code.code_dir for name, code in self.function_code.items()}


def deploy_stack(
    template_path: str | Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    stack_name: str = DEFAULT_STACK_NAME,
    region: str = REGION,
) -> Stack:
    """Transform ``template_path`` (SAM) and create it in moto's CloudFormation; fail loudly otherwise."""
    template_path = Path(template_path).resolve()
    parameters = {key: str(value) for key, value in (parameters or {}).items()}
    template, artifacts = transform_template(template_path, parameters, region=region)

    s3 = boto3.client("s3", region_name=region)
    _ensure_bucket(s3, _CODE_BUCKET, region)
    placeholder = _placeholder_zip()
    for key in artifacts:
        s3.put_object(Bucket=_CODE_BUCKET, Key=key, Body=placeholder)

    cfn = boto3.client("cloudformation", region_name=region)
    declared = template.get("Parameters", {})
    try:
        with _unsupported_types_reported_below():
            stack_id = cfn.create_stack(
                StackName=stack_name,
                TemplateBody=json.dumps(template),
                Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items() if k in declared],
                Capabilities=_CAPABILITIES,
            )["StackId"]
    except Exception as exc:
        raise DeployError(f"create_stack {stack_name!r} failed: {exc}") from exc
    description = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
    if description["StackStatus"] != "CREATE_COMPLETE":
        raise DeployError(f"stack {stack_name!r} is {description['StackStatus']}: {_failures(cfn, stack_id)}")

    with _unsupported_types_reported_below():
        physical_ids = _physical_ids(cfn, stack_id)
    missing = [
        f"{logical_id} ({resource['Type']})"
        for logical_id, resource in template["Resources"].items()
        if not physical_ids.get(logical_id) and "Condition" not in resource
    ]
    if missing:
        raise DeployError(
            "moto reported CREATE_COMPLETE but created nothing for: "
            + ", ".join(missing)
            + " (moto has no CloudFormation support for these types; add it in local/patches.py)"
        )

    _apply_bucket_properties(template, physical_ids, region)
    _attach_managed_policies(template, physical_ids, account=stack_id.split(":")[4])
    function_code = _function_code(template, physical_ids, template_path.parent)
    runtime = active_runtime()
    for name, code in function_code.items():
        runtime.register(name, code)
    return Stack(
        name=stack_name,
        stack_id=stack_id,
        region=region,
        template=template,
        outputs={o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])},
        physical_ids=physical_ids,
        function_code=function_code,
    )


def transform_template(
    template_path: str | Path, parameters: Mapping[str, Any], *, region: str = REGION
) -> tuple[dict[str, Any], dict[str, Path]]:
    """SAM -> CloudFormation offline. Returns the template and the local artifact behind each S3 key."""
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.yaml_helper import yaml_parse

    template_path = Path(template_path).resolve()
    base = template_path.parent
    sam = yaml_parse(template_path.read_text())
    artifacts: dict[str, Path] = {}
    definitions: dict[str, str] = {}

    def to_s3(properties: dict[str, Any], key: str) -> None:
        if isinstance(properties.get(key), str) and not properties[key].startswith("s3://"):
            local = (base / properties[key]).resolve()
            if not local.exists():
                raise DeployError(f"{key} {properties[key]!r} does not exist (looked for {local})")
            s3_key = local.relative_to(base).as_posix() if local.is_relative_to(base) else local.as_posix()
            artifacts[s3_key] = local
            properties[key] = {"Bucket": _CODE_BUCKET, "Key": s3_key}

    to_s3(sam.get("Globals", {}).get("Function", {}), "CodeUri")
    for logical_id, resource in sam.get("Resources", {}).items():
        properties = resource.setdefault("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function":
            to_s3(properties, "CodeUri")
        elif resource.get("Type") == "AWS::Serverless::LayerVersion":
            to_s3(properties, "ContentUri")
        elif resource.get("Type") == "AWS::Serverless::StateMachine" and isinstance(
            properties.get("DefinitionUri"), str
        ):
            to_s3(properties, "DefinitionUri")
            definitions[logical_id] = artifacts[properties["DefinitionUri"]["Key"]].read_text()

    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    try:
        template = translator.translate(sam, parameter_values=dict(parameters), get_managed_policy_map=lambda: {})
    except Exception as exc:
        raise DeployError(f"samtranslator rejected {template_path.name}: {exc}") from exc
    finally:
        translator.metrics.publish()  # to its no-op publisher; unpublished metrics warn when collected

    for logical_id, text in definitions.items():
        properties = template["Resources"][logical_id]["Properties"]
        properties.pop("DefinitionS3Location", None)
        properties["DefinitionString"] = _join_substitutions(text, properties.pop("DefinitionSubstitutions", {}))
    return template, artifacts


def _join_substitutions(text: str, substitutions: Mapping[str, Any]) -> Any:
    """What Step Functions does with DefinitionSubstitutions, as an ``Fn::Join`` CloudFormation resolves.

    Only ``${Key}`` with a key of the map is replaced; any other ``${…}`` stays literal, as on AWS.
    """
    if not substitutions:
        return text
    parts: list[Any] = []
    position = 0
    for match in re.finditer(r"\$\{([^}]+)\}", text):
        if match.group(1) in substitutions:
            parts += [text[position : match.start()], _substitution_value(substitutions[match.group(1)])]
            position = match.end()
    parts.append(text[position:])
    return {"Fn::Join": ["", parts]}


def _substitution_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, dict | str) else str(value)


@contextmanager
def _unsupported_types_reported_below() -> Iterator[None]:
    """moto warns once per unsupported resource type, without its logical id; the deploy names them."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Tried to parse", UserWarning)
        yield


def _physical_ids(cfn: Any, stack_id: str) -> dict[str, str]:
    ids: dict[str, str] = {}
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_id):
        for summary in page["StackResourceSummaries"]:
            if summary.get("PhysicalResourceId"):
                ids[summary["LogicalResourceId"]] = summary["PhysicalResourceId"]
    return ids


def _failures(cfn: Any, stack_id: str) -> str:
    events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
    reasons = [
        f"{e['LogicalResourceId']} ({e.get('ResourceType')}): {e.get('ResourceStatusReason', 'no reason given')}"
        for e in events
        if e.get("ResourceStatus", "").endswith("FAILED")
    ]
    return "; ".join(reasons) or "no failed resource reported"


def _apply_bucket_properties(template: dict[str, Any], physical_ids: Mapping[str, str], region: str) -> None:
    """Apply the bucket properties moto's CloudFormation ignores (it reads only encryption and tags).

    EventBridge notifications start the pipeline; versioning gives uploads the version ids the S3 event
    carries; the public access block is applied for ``get_public_access_block`` to be truthful.
    Lifecycle rules and ownership controls change nothing in a local run and are left out.
    """
    s3 = boto3.client("s3", region_name=region)
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::S3::Bucket":
            continue
        bucket, properties = physical_ids[logical_id], resource.get("Properties", {})
        if "Status" in properties.get("VersioningConfiguration", {}):
            s3.put_bucket_versioning(
                Bucket=bucket, VersioningConfiguration={"Status": properties["VersioningConfiguration"]["Status"]}
            )
        if "PublicAccessBlockConfiguration" in properties:
            s3.put_public_access_block(
                Bucket=bucket,
                PublicAccessBlockConfiguration={
                    key: str(value).lower() == "true"
                    for key, value in properties["PublicAccessBlockConfiguration"].items()
                },
            )
        if _eventbridge_enabled(resource):
            current = s3.get_bucket_notification_configuration(Bucket=bucket)
            current.pop("ResponseMetadata", None)
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration={**current, "EventBridgeConfiguration": {}}
            )


def _attach_managed_policies(template: dict[str, Any], physical_ids: Mapping[str, str], account: str) -> None:
    """Attach each role's ``ManagedPolicyArns``, which moto's CloudFormation ignores.

    The AWS managed ones (``AWSLambdaBasicExecutionRole``, ``AWSXRayDaemonWriteAccess``) come from the
    copies bundled with moto, so ``local.iam`` evaluates the role with every policy it has on AWS.
    """
    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.iam.models import AWSManagedPolicy, iam_backends

    bundled = json.loads(aws_managed_policies_data)
    backend = iam_backends[account]["aws"]
    for logical_id, resource in template["Resources"].items():
        arns = resource.get("Properties", {}).get("ManagedPolicyArns", [])
        if resource["Type"] != "AWS::IAM::Role" or not arns:
            continue
        role_name = physical_ids[logical_id]
        for value in arns:
            text = value.get("Fn::Sub") if isinstance(value, dict) else value
            if not isinstance(text, str) or ":iam::aws:policy/" not in text:
                raise DeployError(f"{logical_id}: managed policy {value!r} is not an AWS managed policy ARN")
            arn = text.replace("${AWS::Partition}", "aws")
            name = arn.rsplit("/", 1)[-1]
            if name not in bundled:
                raise DeployError(f"{logical_id}: AWS managed policy {name} is not among moto's bundled policies")
            if arn not in backend.managed_policies:
                policy = AWSManagedPolicy.from_data(name, account, "us-east-1", bundled[name])
                backend.managed_policies[policy.arn] = policy
            backend.attach_role_policy(arn, role_name)


def _eventbridge_enabled(resource: Mapping[str, Any]) -> bool:
    configuration = resource.get("Properties", {}).get("NotificationConfiguration", {})
    return str(configuration.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled", "")).lower() == "true"


def _function_code(template: dict[str, Any], physical_ids: Mapping[str, str], base: Path) -> dict[str, FunctionCode]:
    """Function name -> code dir and layer dirs, read from the placeholder S3 keys of the transform."""
    resources = template["Resources"]

    def local_dir(location: Mapping[str, Any]) -> Path | None:
        if location.get("S3Bucket") != _CODE_BUCKET:
            return None
        path = Path(location["S3Key"])
        return path if path.is_absolute() else base / path

    code: dict[str, FunctionCode] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        properties = resource["Properties"]
        code_dir = local_dir(properties.get("Code", {}))
        if code_dir is None:
            continue
        layer_dirs = []
        for layer in properties.get("Layers", []):
            ref = layer.get("Ref") if isinstance(layer, dict) else None
            if ref in resources and resources[ref]["Type"] == "AWS::Lambda::LayerVersion":
                layer_dir = local_dir(resources[ref]["Properties"].get("Content", {}))
                if layer_dir is not None:
                    layer_dirs.append(layer_dir)
        code[physical_ids[logical_id]] = FunctionCode(code_dir, tuple(layer_dirs))
    return code


def _ensure_bucket(s3: Any, name: str, region: str) -> None:
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})


def _placeholder_zip() -> bytes:
    """Lambda needs a code object to exist; the code actually run is the local directory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "placeholder: the local cloud runs the CodeUri directory in-process\n")
    return buffer.getvalue()


def _single(resources: Mapping[str, str], resource_type: str) -> str:
    if len(resources) != 1:
        raise LookupError(f"expected one {resource_type} in the stack, found {sorted(resources) or 'none'}")
    return next(iter(resources.values()))


# -- driving it ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notification:
    subject: str | None
    message: str


class Inbox:
    """An SQS queue subscribed to a topic: what an e-mail subscriber would have received."""

    def __init__(self, queue_url: str, region: str = REGION) -> None:
        self.queue_url = queue_url
        self._sqs = boto3.client("sqs", region_name=region)

    def receive(self) -> list[Notification]:
        """Every notification delivered since the last call, oldest first (SNS delivers synchronously)."""
        received: list[Notification] = []
        while True:
            messages = self._sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return received
            for message in messages:
                envelope = json.loads(message["Body"])
                received.append(Notification(envelope.get("Subject"), envelope["Message"]))
                self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def subscribe_queue(topic_arn: str, *, queue_name: str = "local-notifications", region: str = REGION) -> Inbox:
    """Subscribe a new SQS queue to ``topic_arn``; read what was published with ``Inbox.receive()``."""
    sqs = boto3.client("sqs", region_name=region)
    queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns", region_name=region).subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return Inbox(queue_url, region)


def wait_for_execution(
    execution_arn: str, timeout_s: float = 30.0, *, poll_s: float = 0.01, region: str = REGION
) -> dict[str, Any]:
    """Poll ``describe_execution`` until the execution ends; returns that final description.

    Simulated time makes executions fast, so ``timeout_s`` is real seconds and only guards against a
    hang. The calling thread's simulated time (and that of the threads that started it) then moves to the
    execution's stop time, as for a user who waited: the next upload happens after this run, not during it.
    """
    sfn = boto3.client("stepfunctions", region_name=region)
    deadline = time.monotonic() + timeout_s
    while True:
        description = sfn.describe_execution(executionArn=execution_arn)
        if description["status"] in _TERMINAL:
            break
        if time.monotonic() > deadline:
            events = execution_history(execution_arn, region=region)
            last = events[-1]["type"] if events else "none"
            raise TimeoutError(f"{execution_arn} still RUNNING after {timeout_s} s; last history event: {last}")
        time.sleep(poll_s)
    if is_installed() and description.get("stopDate"):
        active_clock().catch_up(description["stopDate"].timestamp())
    return description


def execution_history(execution_arn: str, *, region: str = REGION) -> list[dict[str, Any]]:
    """Every history event of an execution, oldest first (all pages)."""
    sfn = boto3.client("stepfunctions", region_name=region)
    events: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = sfn.get_execution_history(
            executionArn=execution_arn, maxResults=1000, **({"nextToken": token} if token else {})
        )
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events
