"""local.iam: the conditions, the resolver and its table, policy decisions, and the enforcement hooks."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError

from local import iam
from local.clock import SimClock
from local.deploy import REGION, deploy_stack, execution_history, local_cloud, wait_for_execution
from local.iam.conditions import UnsupportedCondition, condition_holds
from local.iam.policies import Caller, decide, denial_message
from local.iam.resolver import TABLE, Check, UnresolvedRequest, checks_for, personalize_table
from local.personalize.testing import Sandbox
from local.runner import ROOT

ACCOUNT = "123456789012"
PZ = f"arn:aws:personalize:{REGION}:{ACCOUNT}"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/fn-role"
CALLER = Caller.for_role(ROLE, "my-function")


# -- conditions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        (
            {"StringEquals": {"iam:PassedToService": "personalize.amazonaws.com"}},
            {"iam:passedtoservice": "personalize.amazonaws.com"},
            True,
        ),
        (
            {"StringEquals": {"iam:PassedToService": "personalize.amazonaws.com"}},
            {"iam:PassedToService": "lambda.amazonaws.com"},
            False,
        ),
        ({"StringEquals": {"aws:SourceAccount": "1"}}, {}, False),
        ({"StringEqualsIfExists": {"aws:SourceAccount": "1"}}, {}, True),
        ({"StringNotEquals": {"aws:SourceAccount": "1"}}, {}, True),
        ({"StringNotEquals": {"aws:SourceAccount": "1"}}, {"aws:SourceAccount": "1"}, False),
        ({"ArnLike": {"aws:SourceArn": f"{PZ}:*"}}, {"aws:SourceArn": f"{PZ}:dataset-import-job/j"}, True),
        ({"ArnLike": {"aws:SourceArn": f"{PZ}:*"}}, {"aws:SourceArn": "arn:aws:personalize:eu-west-1:1:x/y"}, False),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "true"}, False),
        ({"Bool": {"aws:SecureTransport": False}}, {"aws:SecureTransport": "false"}, True),
        ({"Null": {"aws:TagKeys": "true"}}, {}, True),
        ({"StringEquals": {"a": "1"}, "Bool": {"b": "true"}}, {"a": "1", "b": "false"}, False),
    ],
)
def test_condition_holds_per_iam_operator_rules(condition: dict, context: dict, expected: bool) -> None:
    assert condition_holds(condition, context) is expected


def test_condition_unknown_operator_raises_rather_than_guessing() -> None:
    with pytest.raises(UnsupportedCondition, match="NumericLessThan"):
        condition_holds({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "5"})


# -- the table and the resolver ---------------------------------------------------------------------------


def test_table_cites_its_source_and_holds_the_parent_resource_types() -> None:
    table = personalize_table()
    assert "Service Authorization Reference" in table["source"] and "iam-reference.md" in table["source"]
    actions = table["actions"]
    assert actions["CreateDataset"]["required"] == ["dataset", "datasetGroup"]
    assert actions["CreateDatasetImportJob"] == {
        "required": ["dataset", "datasetImportJob"],
        "dependent": ["iam:PassRole"],
    }
    assert actions["CreateSolution"]["required"] == ["datasetGroup", "solution"]
    assert actions["CreateCampaign"]["required"] == ["campaign", "solution"]
    assert actions["ListDatasetImportJobs"] == {"required": []}


def test_table_holds_every_personalize_action_the_handler_code_calls() -> None:
    # GIVEN every Personalize operation, and every name used in the handler code and its layer
    operations = botocore.session.get_session().get_service_model("personalize").operation_names
    code = "\n".join(path.read_text() for path in (ROOT / "functions").rglob("*.py"))
    used = {op for op in operations if re.search(rf"\b{re.sub(r'(?<!^)(?=[A-Z])', '_', op).lower()}\b", code)}
    # THEN the code calls Personalize, and each operation it names is in the table
    assert {"CreateDataset", "CreateCampaign", "ListSolutionVersions", "DescribeDataset"} <= used
    assert sorted(used - set(personalize_table()["actions"])) == []


def test_resolver_create_dataset_needs_the_dataset_and_its_group() -> None:
    params = {
        "name": "d",
        "schemaArn": f"{PZ}:schema/s",
        "datasetGroupArn": f"{PZ}:dataset-group/g",
        "datasetType": "Interactions",
    }
    assert checks_for("personalize", "CreateDataset", params, REGION, ACCOUNT) == [
        Check("personalize:CreateDataset", f"{PZ}:dataset/g/INTERACTIONS"),
        Check("personalize:CreateDataset", f"{PZ}:dataset-group/g"),
    ]


def test_resolver_create_campaign_needs_the_campaign_and_the_solution_version() -> None:
    params = {"name": "c", "solutionVersionArn": f"{PZ}:solution/s/0a1b2c3d"}
    assert checks_for("personalize", "CreateCampaign", params, REGION, ACCOUNT) == [
        Check("personalize:CreateCampaign", f"{PZ}:campaign/c"),
        Check("personalize:CreateCampaign", f"{PZ}:solution/s/0a1b2c3d"),
    ]


def test_resolver_import_with_a_role_and_tags_needs_pass_role_and_tag_resource() -> None:
    params = {
        "jobName": "j",
        "datasetArn": f"{PZ}:dataset/g/USERS",
        "dataSource": {"dataLocation": "s3://b/Users/"},
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/p",
        "tags": [{"tagKey": "k", "tagValue": "v"}],
    }
    tag_context = {"aws:TagKeys": ["k"], "aws:RequestTag/k": "v"}
    assert checks_for("personalize", "CreateDatasetImportJob", params, REGION, ACCOUNT) == [
        Check("personalize:CreateDatasetImportJob", f"{PZ}:dataset/g/USERS", tag_context),
        Check("personalize:CreateDatasetImportJob", f"{PZ}:dataset-import-job/j", tag_context),
        Check("personalize:TagResource", f"{PZ}:dataset-import-job/j", tag_context),
        Check("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/p", {"iam:PassedToService": "personalize.amazonaws.com"}),
    ]


def test_resolver_tagged_solution_version_needs_tag_resource_on_its_solution() -> None:
    # GIVEN a training request that carries tags (a version has no resource type of its own: it is a solution)
    params = {"solutionArn": f"{PZ}:solution/s", "name": "v", "tags": [{"tagKey": "k", "tagValue": "v"}]}
    tag_context = {"aws:TagKeys": ["k"], "aws:RequestTag/k": "v"}
    # WHEN it is resolved THEN tag-on-create is authorized on the solution too (the safer reading)
    assert checks_for("personalize", "CreateSolutionVersion", params, REGION, ACCOUNT) == [
        Check("personalize:CreateSolutionVersion", f"{PZ}:solution/s", tag_context),
        Check("personalize:TagResource", f"{PZ}:solution/s", tag_context),
    ]


def test_resolver_list_actions_are_authorized_on_star_and_unknown_operations_raise() -> None:
    assert checks_for("personalize", "ListSolutionVersions", {}, REGION, ACCOUNT) == [
        Check("personalize:ListSolutionVersions", "*")
    ]
    with pytest.raises(UnresolvedRequest, match="s3:GetBucketAcl"):
        checks_for("s3", "GetBucketAcl", {"Bucket": "b"}, REGION, ACCOUNT)
    assert TABLE.name == "personalize_actions.json"


SCHEDULES = f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule"
SCHEDULER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/stack-SchedulerRole"


@pytest.mark.parametrize("operation", ["CreateSchedule", "UpdateSchedule"])
def test_resolver_schedule_write_needs_the_schedule_and_pass_role_to_scheduler(operation: str) -> None:
    # GIVEN a schedule written in a group, with the role Scheduler assumes to start its target
    params = {"Name": "n", "GroupName": "g", "Target": {"Arn": "arn:aws:states:x", "RoleArn": SCHEDULER_ROLE}}
    # WHEN it is resolved THEN the schedule ARN names its group, and the role is passed to Scheduler only
    assert checks_for("scheduler", operation, params, REGION, ACCOUNT) == [
        Check(f"scheduler:{operation}", f"{SCHEDULES}/g/n"),
        Check("iam:PassRole", SCHEDULER_ROLE, {"iam:PassedToService": "scheduler.amazonaws.com"}),
    ]


def test_resolver_schedule_reads_and_deletes_need_the_schedule_and_list_is_on_star() -> None:
    assert checks_for("scheduler", "GetSchedule", {"Name": "n", "GroupName": "g"}, REGION, ACCOUNT) == [
        Check("scheduler:GetSchedule", f"{SCHEDULES}/g/n")
    ]
    # a schedule without a group is in the account's "default" group
    assert checks_for("scheduler", "DeleteSchedule", {"Name": "n"}, REGION, ACCOUNT) == [
        Check("scheduler:DeleteSchedule", f"{SCHEDULES}/default/n")
    ]
    assert checks_for("scheduler", "ListSchedules", {"GroupName": "g", "NamePrefix": "p"}, REGION, ACCOUNT) == [
        Check("scheduler:ListSchedules", "*")
    ]
    with pytest.raises(UnresolvedRequest, match="scheduler:CreateScheduleGroup"):
        checks_for("scheduler", "CreateScheduleGroup", {"Name": "g"}, REGION, ACCOUNT)


# -- decisions ----------------------------------------------------------------------------------------------


def allow(action: str, resource: str | list[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def test_decide_grant_on_the_own_type_only_denies_the_parent() -> None:
    identity = [allow("personalize:CreateDataset", f"{PZ}:dataset/*")]
    own = decide(identity, [], CALLER, "personalize:CreateDataset", f"{PZ}:dataset/g/USERS", {})
    parent = decide(identity, [], CALLER, "personalize:CreateDataset", f"{PZ}:dataset-group/g", {})
    assert (own.allowed, parent.allowed, parent.basis) == (True, False, "implicit")


def test_decide_explicit_deny_wins_over_an_allow() -> None:
    identity = [allow("personalize:*", "*"), {"Effect": "Deny", "Action": "personalize:CreateDataset", "Resource": "*"}]
    decision = decide(identity, [], CALLER, "personalize:CreateDataset", f"{PZ}:dataset-group/g", {})
    assert (decision.allowed, decision.basis) == (False, "identity-deny")


def test_decide_resource_policy_applies_to_its_principal_only() -> None:
    bucket_policy = [
        {
            "Effect": "Allow",
            "Principal": {"Service": "personalize.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*",
        }
    ]
    service = Caller("personalize.amazonaws.com", ROLE, "personalize.amazonaws.com")
    assert decide([], bucket_policy, service, "s3:GetObject", "arn:aws:s3:::b/k", {}).allowed
    assert not decide([], bucket_policy, CALLER, "s3:GetObject", "arn:aws:s3:::b/k", {}).allowed


def test_denial_message_has_the_aws_shape() -> None:
    resource = f"{PZ}:dataset-group/g"
    assert denial_message(CALLER, "personalize:CreateDataset", resource, "implicit") == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/fn-role/my-function is not authorized to perform: "
        f"personalize:CreateDataset on resource: {resource} because no identity-based policy allows the "
        "personalize:CreateDataset action"
    )
    assert denial_message(CALLER, "personalize:CreateDataset", resource, "identity-deny").endswith(
        f"on resource: {resource} with an explicit deny in an identity-based policy"
    )


# -- the hooks, inside the local cloud ------------------------------------------------------------------------


@pytest.fixture
def cloud() -> Iterator[None]:
    with local_cloud(SimClock()):
        yield


def role_with(name: str, *statements: dict[str, Any], trust_service: str = "lambda.amazonaws.com") -> str:
    client = boto3.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": trust_service}, "Action": "sts:AssumeRole"}],
    }
    arn = client.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    if statements:
        document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
        client.put_role_policy(RoleName=name, PolicyName="grants", PolicyDocument=document)
    return arn


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def test_hook_denied_personalize_call_raises_access_denied_naming_caller_action_and_parent(cloud: None) -> None:
    # GIVEN a function role granted CreateDataset on datasets only (the template's bug before the fix)
    role = role_with("fn-role", allow("personalize:CreateDataset", f"{PZ}:dataset/*"))
    personalize = boto3.client("personalize")
    # WHEN the function creates a dataset
    with iam.acting_as(Caller.for_role(role, "my-function")), pytest.raises(ClientError) as excinfo:
        personalize.create_dataset(
            name="d", schemaArn=f"{PZ}:schema/s", datasetGroupArn=f"{PZ}:dataset-group/g", datasetType="Users"
        )
    # THEN AWS's AccessDeniedException names the dataset group, and the decision is recorded
    assert error_of(excinfo) == (
        "AccessDeniedException",
        denial_message(
            Caller.for_role(role, "my-function"), "personalize:CreateDataset", f"{PZ}:dataset-group/g", "implicit"
        ),
    )
    assert [(e.action, e.resource, e.allowed) for e in iam.ledger().entries] == [
        ("personalize:CreateDataset", f"{PZ}:dataset/g/USERS", True),
        ("personalize:CreateDataset", f"{PZ}:dataset-group/g", False),
    ]


def test_hook_explicit_deny_in_the_role_refuses_the_call(cloud: None) -> None:
    role = role_with(
        "fn-role",
        allow("personalize:*", "*"),
        {"Effect": "Deny", "Action": "personalize:CreateDatasetGroup", "Resource": "*"},
    )
    with iam.acting_as(Caller.for_role(role, "f")), pytest.raises(ClientError) as excinfo:
        boto3.client("personalize").create_dataset_group(name="g")
    assert error_of(excinfo)[1].endswith(f"{PZ}:dataset-group/g with an explicit deny in an identity-based policy")


@pytest.mark.parametrize(
    ("passed_to", "denied"), [("personalize.amazonaws.com", False), ("lambda.amazonaws.com", True)]
)
def test_hook_pass_role_condition_passed_to_service_is_evaluated(cloud: None, passed_to: str, denied: bool) -> None:
    # GIVEN a role that may create imports and pass the service role only to `passed_to`
    service_role = role_with("service-role", trust_service="personalize.amazonaws.com")
    role = role_with(
        "fn-role",
        allow("personalize:CreateDatasetImportJob", [f"{PZ}:dataset/*", f"{PZ}:dataset-import-job/*"]),
        allow("iam:PassRole", service_role, Condition={"StringEquals": {"iam:PassedToService": passed_to}}),
    )
    params = {
        "jobName": "j",
        "datasetArn": f"{PZ}:dataset/g/USERS",
        "dataSource": {"dataLocation": "s3://b/"},
        "roleArn": service_role,
    }
    caller = Caller.for_role(role, "f")
    checks = checks_for("personalize", "CreateDatasetImportJob", params, REGION, ACCOUNT)
    # WHEN / THEN only passing it to Personalize is allowed
    if denied:
        with pytest.raises(iam.AccessDenied, match=f"iam:PassRole on resource: {service_role} because"):
            iam.authorize(caller, checks, {})
    else:
        iam.authorize(caller, checks, {})


def test_hook_tls_only_bucket_policy_denies_a_plain_http_request(cloud: None) -> None:
    # GIVEN a bucket with the template's TLS-only statement, and a role that may read it
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="k", Body=b"v")
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    s3.put_bucket_policy(Bucket="data", Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))
    role = role_with("fn-role", allow("s3:GetObject", "arn:aws:s3:::data/*"))
    https, http = boto3.client("s3"), boto3.client("s3", endpoint_url="http://s3.amazonaws.com")
    with iam.acting_as(Caller.for_role(role, "f")):
        # WHEN read over HTTPS, then over HTTP
        assert https.get_object(Bucket="data", Key="k")["Body"].read() == b"v"
        with pytest.raises(ClientError) as excinfo:
            http.get_object(Bucket="data", Key="k")
    # THEN the TLS Deny applies to the HTTP request only
    assert error_of(excinfo) == (
        "AccessDenied",
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/fn-role/f is not authorized to perform: s3:GetObject on "
        "resource: arn:aws:s3:::data/k with an explicit deny in a resource-based policy",
    )


def test_hook_client_without_the_hooks_cannot_call_as_a_function(cloud: None) -> None:
    client = boto3.client("sns")
    client.meta.events.unregister("before-call", iam._check_request)
    with iam.acting_as(CALLER), pytest.raises(RuntimeError, match="bypassed the local IAM check"):
        client.list_topics()


def test_state_machine_calls_run_as_its_role(cloud: None) -> None:
    # GIVEN a function, and a state machine whose role may not invoke it
    lam, sfn = boto3.client("lambda"), boto3.client("stepfunctions")
    function_arn = lam.create_function(
        FunctionName="fn",
        Runtime="python3.13",
        Role=role_with("fn-role"),
        Handler="app.h",
        Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18},
    )["FunctionArn"]
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function_arn},
                "End": True,
            }
        },
    }
    machine_role = role_with(
        "sm-role",
        allow("lambda:InvokeFunction", "arn:aws:lambda:*:*:function:other"),
        trust_service="states.amazonaws.com",
    )
    machine = sfn.create_state_machine(name="m", definition=json.dumps(definition), roleArn=machine_role)[
        "stateMachineArn"
    ]
    # WHEN it runs
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    assert wait_for_execution(execution)["status"] == "FAILED"
    # THEN the invoke was refused for the state machine's role, naming the function
    (failed,) = [e for e in execution_history(execution) if e["type"] == "TaskFailed"]
    cause = failed["taskFailedEventDetails"]["cause"]
    assert "assumed-role/sm-role/" in cause
    assert f"is not authorized to perform: lambda:InvokeFunction on resource: {function_arn}" in cause


def test_deploy_attaches_the_aws_managed_policies_of_each_function_role(cloud: None) -> None:
    from moto.iam.models import iam_backends

    stack = deploy_stack(ROOT / "template.yaml", {"Email": "a@example.com"})
    role = stack.physical_ids["NotifyFunctionRole"]
    attached = iam_backends[ACCOUNT]["aws"].get_role(role).managed_policies
    # (samtranslator grants AWSXrayWriteOnlyAccess for Tracing: Active)
    assert sorted(p.name for p in attached.values()) == ["AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"]
    statements = iam.identity_statements(f"arn:aws:iam::{ACCOUNT}:role/{role}")
    assert {
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": "*",
    } in statements


# -- Personalize's reads of the import data -----------------------------------------------------------------


def reads_role(box: Sandbox, condition: dict[str, Any] | None = None, *grants: dict[str, Any]) -> str:
    trust_statement = {
        "Effect": "Allow",
        "Principal": {"Service": "personalize.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    if condition:
        trust_statement["Condition"] = condition
    client = boto3.client("iam", region_name=REGION)
    trust = {"Version": "2012-10-17", "Statement": [trust_statement]}
    arn = client.create_role(RoleName="p", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    if grants:
        document = json.dumps({"Version": "2012-10-17", "Statement": list(grants)})
        client.put_role_policy(RoleName="p", PolicyName="reads", PolicyDocument=document)
    return arn


def imported(box: Sandbox, role_arn: str) -> dict[str, Any]:
    from tests.local.test_personalize_imports import HEADER, ROWS, interactions_dataset, run_import

    return run_import(box, interactions_dataset(box), box.put_csv("i.csv", HEADER, ROWS), roleArn=role_arn)


BUCKET_READS = (
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"},
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
)
SOURCE = {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": f"{PZ}:*"}}


@pytest.mark.parametrize(
    ("condition", "grants", "expected"),
    [
        (SOURCE, BUCKET_READS, "ACTIVE"),
        (SOURCE, BUCKET_READS[:1], "CREATE FAILED"),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:personalize:eu-west-1:*"}}, BUCKET_READS, "CREATE FAILED"),
        ({"StringEquals": {"aws:SourceAccount": "999999999999"}}, BUCKET_READS, "CREATE FAILED"),
    ],
    ids=["role-allows", "role-lacks-get-object", "trust-source-arn-elsewhere", "trust-source-account-elsewhere"],
)
def test_import_reads_go_through_the_passed_role_trust_and_policies(
    box: Sandbox, condition: dict, grants: tuple, expected: str
) -> None:
    job = imported(box, reads_role(box, condition, *grants))
    assert job["status"] == expected
    if expected == "CREATE FAILED":
        assert job["failureReason"].endswith("Insufficient privileges for accessing data in Amazon S3.")


@pytest.mark.parametrize(("secure_transport", "readable"), [("false", True), ("true", False)])
def test_import_reads_tls_only_deny_is_evaluated_for_the_service_over_https(
    cloud: None, secure_transport: str, readable: bool
) -> None:
    # GIVEN the template's bucket policy: a Deny for everyone when aws:SecureTransport is `secure_transport`
    # (the real template says "false"), then the Allow for Personalize
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="data")
    resources = ["arn:aws:s3:::data", "arn:aws:s3:::data/*"]
    statements = [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"Bool": {"aws:SecureTransport": secure_transport}},
        },
        {
            "Effect": "Allow",
            "Principal": {"Service": "personalize.amazonaws.com"},
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": resources,
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        },
    ]
    s3.put_bucket_policy(Bucket="data", Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    role = role_with("p", *BUCKET_READS, trust_service="personalize.amazonaws.com")
    # WHEN Personalize reads for an import job (always over TLS) / THEN only the TLS-only Deny lets it
    assert iam.personalize_may_read(role, "data", ["k.csv"], f"{PZ}:dataset-import-job/j") is readable


def test_import_bucket_policy_deny_to_personalize_fails_the_import_with_insufficient_privileges(box: Sandbox) -> None:
    policy = json.loads(box.s3.get_bucket_policy(Bucket=box.bucket)["Policy"])
    policy["Statement"].append({"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"})
    box.s3.put_bucket_policy(Bucket=box.bucket, Policy=json.dumps(policy))
    job = imported(box, reads_role(box, SOURCE, *BUCKET_READS))
    assert (job["status"], job["failureReason"].rsplit(".", 2)[-2]) == (
        "CREATE FAILED",
        "Insufficient privileges for accessing data in Amazon S3",
    )
