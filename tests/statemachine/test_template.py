"""Contract tests of template.yaml: lint, wiring, event rule, least privilege, bucket hardening."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import cfnlint.api
import pytest

from tests.iam_facts import LOG_DELIVERY_ACTIONS

from .conftest import ROOT, TEMPLATE, to_cloudformation


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


def statements(resource: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for policy in resource["Properties"].get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            found += policy["Statement"]
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def lint(path: Path) -> list[str]:
    return [str(match) for match in cfnlint.api.lint_file(path)]


def test_template_cfn_lint_is_clean() -> None:
    assert lint(TEMPLATE) == []


def test_template_transformed_cfn_lint_is_clean_including_the_asl(cloudformation: dict, tmp_path: Path) -> None:
    # GIVEN the samtranslator output with the ASL inlined (cfn-lint's E3601 schema-checks it only there)
    path = tmp_path / "cfn.json"
    path.write_text(json.dumps(cloudformation))
    assert lint(path) == []


def test_template_transformed_lint_catches_a_broken_state(template: dict, tmp_path: Path) -> None:
    # GIVEN a state with an invalid Type (proves the transformed lint really reads the ASL)
    cfn = to_cloudformation(template)
    machine = next(r for r in cfn["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine")
    machine["Properties"]["Definition"]["States"]["Pipeline Succeeded"]["Type"] = "Succeeded"
    path = tmp_path / "cfn.json"
    path.write_text(json.dumps(cfn))
    assert any("E3601" in problem for problem in lint(path))


@pytest.mark.parametrize("logical_id", ["LoadParametersFunction", "NotifyFunction", "CampaignFunction"])
def test_template_functions_run_python313_on_arm64(template: dict, logical_id: str) -> None:
    globals_ = template["Globals"]["Function"]
    props = {**globals_, **template["Resources"][logical_id]["Properties"]}
    assert props["Runtime"] == "python3.13" and props["Architectures"] == ["arm64"]
    assert props["Tracing"] == "Active"


def test_template_every_code_uri_holds_its_handler(template: dict) -> None:
    for logical_id, resource in functions(template).items():
        props = resource["Properties"]
        module, function = props["Handler"].rsplit(".", 1)
        source = ROOT / props["CodeUri"] / f"{module.replace('.', '/')}.py"
        assert source.is_file(), f"{logical_id}: {source} is missing"
        tree = ast.parse(source.read_text())
        assert function in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}, logical_id


def test_template_shared_layer_is_the_core_package(template: dict) -> None:
    layer = template["Resources"]["SharedLayer"]
    assert (ROOT / layer["Properties"]["ContentUri"] / "personalize_pipeline" / "__init__.py").is_file()
    assert layer["Metadata"]["BuildMethod"] == "python3.13"


def test_template_layer_pins_match_dev_requirements() -> None:
    dev = (ROOT / "requirements-dev.txt").read_text()
    for line in (ROOT / "functions/shared/requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            assert line in dev, f"{line} differs from requirements-dev.txt"


def test_template_rule_matches_the_parameter_file_key_exactly(template: dict) -> None:
    event = template["Resources"]["PipelineStateMachine"]["Properties"]["Events"]["ParamsUploaded"]
    pattern = event["Properties"]["Pattern"]
    assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["bucket"]["name"] == [{"Ref": "InputBucket"}]
    # An exact match: a plain value, not {"prefix"}/{"suffix"}/{"wildcard"}, so Users/params.json is ignored.
    assert pattern["detail"]["object"]["key"] == [{"Ref": "ParameterFile"}]
    assert template["Parameters"]["ParameterFile"]["Default"] == "params.json"


def test_template_no_wildcard_personalize_action_and_scoped_resources(template: dict) -> None:
    for logical_id, resource in functions(template).items():
        for statement in statements(resource):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in actions:
                assert "*" not in action, f"{logical_id}: {action}"
            if statement["Resource"] == "*":  # checked by the test below
                continue
            if any(a.startswith("personalize:") for a in actions):
                resources = statement["Resource"]
                for arn in resources if isinstance(resources, list) else [resources]:
                    text = json.dumps(arn)
                    assert re.search(r"personalize:\$\{AWS::Region\}:\$\{AWS::AccountId\}:[a-z-]+/\*", text), text


#: Non-Personalize actions granted on "*", each with the reason it cannot be scoped.
UNSCOPABLE = {
    **{
        action: "CloudWatch Logs log delivery (Step Functions Logging) supports no resource-level permissions"
        for action in LOG_DELIVERY_ACTIONS
    },
    "scheduler:ListSchedules": "EventBridge Scheduler's ListSchedules takes no resource type",
}


def test_template_resource_star_only_for_actions_without_resource_types(template: dict) -> None:
    # GIVEN the reference's Personalize actions that take no resource type (local/iam/personalize_actions.json)
    from local.iam.resolver import personalize_table

    table = personalize_table()["actions"]
    typeless = {f"personalize:{a}" for a, entry in table.items() if not entry["required"] and not entry.get("anyOf")}
    # WHEN reading every statement the template writes (functions and state machine)
    starred = []
    for logical_id, resource in template["Resources"].items():
        for statement in statements(resource):
            if statement["Resource"] in ("*", ["*"]):
                starred += [(logical_id, action) for action in as_list(statement["Action"])]
    # THEN each "*" grant is a typeless Personalize List action or a listed unscopable one
    assert starred, "the template has List grants; the test must see them"
    assert [(lid, a) for lid, a in starred if a not in typeless and a not in UNSCOPABLE] == []


def test_template_only_the_import_and_batch_functions_pass_the_personalize_role(template: dict) -> None:
    for logical_id, resource in functions(template).items():
        passes = [s for s in statements(resource) if "iam:PassRole" in json.dumps(s["Action"])]
        if logical_id == "ScheduleFunction":
            continue  # it passes SchedulerRole, to Scheduler only: test_template_schedule_function_...
        if logical_id not in ("DatasetImportFunction", "BatchJobFunction"):
            assert not passes, logical_id
            continue
        (statement,) = passes
        assert statement["Resource"] == {"Fn::GetAtt": ["PersonalizeServiceRole", "Arn"]}
        assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "personalize.amazonaws.com"}}


def test_template_schedule_function_manages_only_its_group_and_passes_only_the_scheduler_role(template: dict) -> None:
    # GIVEN the function that applies the schedules, and the role the schedules start the pipeline as
    statements_of = statements(functions(template)["ScheduleFunction"])
    group_schedules = {
        "Fn::Sub": "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${ScheduleGroup}/*"
    }
    # THEN it writes schedules of the stack's group only, lists on "*", and passes SchedulerRole to Scheduler only
    assert statements_of == [
        {
            "Effect": "Allow",
            "Action": [
                "scheduler:CreateSchedule",
                "scheduler:UpdateSchedule",
                "scheduler:GetSchedule",
                "scheduler:DeleteSchedule",
            ],
            "Resource": group_schedules,
        },
        {"Effect": "Allow", "Action": "scheduler:ListSchedules", "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": {"Fn::GetAtt": ["SchedulerRole", "Arn"]},
            "Condition": {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
        },
    ]
    role = template["Resources"]["SchedulerRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert (trust["Principal"], trust["Condition"]) == (
        {"Service": "scheduler.amazonaws.com"},
        {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
    )
    (policy,) = role["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Action": "states:StartExecution",
            "Resource": {
                "Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
                "${AWS::StackName}-pipeline"
            },
        }
    ]
    group = template["Resources"]["ScheduleGroup"]
    assert group["Properties"] == {"Tags": [{"Key": "personalize-pipeline:stack", "Value": {"Ref": "AWS::StackName"}}]}
    env = functions(template)["ScheduleFunction"]["Properties"]["Environment"]["Variables"]
    assert env == {
        "SCHEDULE_GROUP": {"Ref": "ScheduleGroup"},
        "SCHEDULER_ROLE_ARN": {"Fn::GetAtt": ["SchedulerRole", "Arn"]},
    }


def _pascal(snake: str) -> str:
    return "".join(word.title() for word in snake.split("_"))


def _personalize_actions(tree: ast.Module, entry_points: set[str]) -> set[str]:
    """IAM actions the named functions of a module need, following calls to the module's own functions.

    Reads ``client.<method>(...)``, ``_list_all(client, "<list method>", ...)`` and ``describe(client,
    "<kind>", ...)``; a ``check`` reaches the Describe of the handler's own kind, added by the caller.
    """
    from personalize_pipeline.resources import KINDS

    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    actions: set[str] = set()
    pending, seen = list(entry_points), set()
    while pending:
        name = pending.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        for node in ast.walk(functions[name]):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "client":
                if func.attr != "get_paginator":  # local to botocore; the paginated call is read from _list_all
                    actions.add(_pascal(func.attr))
            elif isinstance(func, ast.Name):
                pending.append(func.id)
                literal = node.args[1] if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) else None
                if func.id == "_list_all" and literal is not None:
                    actions.add(_pascal(literal.value))
                if func.id == "describe" and literal is not None:
                    actions.add(_pascal(KINDS[literal.value].describe))
    return actions


@pytest.mark.parametrize(
    ("logical_id", "own_kind"),
    [
        ("DatasetGroupFunction", "datasetGroup"),
        ("DatasetFunction", "dataset"),
        ("DatasetImportFunction", "datasetImportJob"),
        ("SolutionFunction", "solution"),
        ("SolutionVersionFunction", "solutionVersion"),
        ("CampaignFunction", "campaign"),
    ],
)
def test_template_every_personalize_call_a_handler_makes_is_granted(
    template: dict, logical_id: str, own_kind: str
) -> None:
    # GIVEN the ensure/check functions the handler imports, and everything they call in ensure.py
    from personalize_pipeline.resources import KINDS

    props = template["Resources"][logical_id]["Properties"]
    handler = (ROOT / props["CodeUri"] / "app.py").read_text()
    imported = set(re.findall(r"from personalize_pipeline\.ensure import (.+)", handler)[0].replace(" ", "").split(","))
    ensure_tree = ast.parse((ROOT / "functions/shared/personalize_pipeline/ensure.py").read_text())
    needed = _personalize_actions(ensure_tree, imported | {"check"}) | {_pascal(KINDS[own_kind].describe)}
    # THEN the function's role grants each of those actions (TagResource, used only when the params carry
    # tags, is proven used by tests/e2e/test_iam.py)
    granted = {
        a.split(":")[1]
        for s in statements(template["Resources"][logical_id])
        for a in as_list(s["Action"])
        if a.startswith("personalize:")
    }
    assert needed <= granted, f"{logical_id} lacks {sorted(needed - granted)}"


def test_template_action_analysis_sees_a_describe_of_another_kind() -> None:
    # GIVEN a function that describes a dataset through the shared helper (proves the analysis can fail)
    tree = ast.parse('def f(client):\n    describe(client, "dataset", "arn")\n    client.create_x()\n')
    assert _personalize_actions(tree, {"f"}) == {"DescribeDataset", "CreateX"}


def test_template_notify_function_can_describe_everything_it_reports(template: dict) -> None:
    from personalize_pipeline.resources import KINDS

    granted = {
        a.split(":")[1]
        for s in statements(template["Resources"]["NotifyFunction"])
        for a in as_list(s["Action"])
        if a.startswith("personalize:")
    }
    # Schemas are reported from the dataset's record; trackers and filters from their records too
    # (messages.tracking_lines: trackingId and expression are in the records), so no describe is needed.
    reported = {_pascal(KINDS[k].describe) for k in KINDS if k not in ("schema", "eventTracker", "filter")}
    assert reported | {"GetSolutionMetrics"} <= granted
    assert not {a for a in granted if not a.startswith(("Describe", "Get"))}, "the notifier only reads"


def test_template_bucket_is_private_encrypted_versioned_tls_only_and_retained(template: dict) -> None:
    bucket = template["Resources"]["InputBucket"]
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert props["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"] is True
    policy = template["Resources"]["InputBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    deny = next(s for s in policy if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    allow = next(s for s in policy if s["Effect"] == "Allow")
    assert allow["Principal"] == {"Service": "personalize.amazonaws.com"}
    assert allow["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_template_topic_is_kms_encrypted_with_an_email_subscription(template: dict) -> None:
    assert template["Resources"]["NotificationTopic"]["Properties"]["KmsMasterKeyId"] == "alias/aws/sns"
    subscription = template["Resources"]["NotificationSubscription"]["Properties"]
    assert subscription["Protocol"] == "email" and subscription["Endpoint"] == {"Ref": "Email"}


def test_template_state_machine_is_standard_logged_and_traced(template: dict) -> None:
    props = template["Resources"]["PipelineStateMachine"]["Properties"]
    assert props["Type"] == "STANDARD" and props["Tracing"] == {"Enabled": True}
    assert props["Logging"]["Destinations"]


def test_template_outputs_name_bucket_state_machine_and_topic(template: dict) -> None:
    assert {"InputBucketName", "StateMachineArn", "NotificationTopicArn"} <= set(template["Outputs"])


def test_template_personalize_role_trust_is_guarded_by_source_account_and_arn(template: dict) -> None:
    document = template["Resources"]["PersonalizeServiceRole"]["Properties"]["AssumeRolePolicyDocument"]
    (statement,) = document["Statement"]
    assert statement["Principal"] == {"Service": "personalize.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnLike": {
            "aws:SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:personalize:${AWS::Region}:${AWS::AccountId}:*"}
        },
    }


def test_template_batch_job_function_grants_its_calls_on_scoped_arns(template: dict) -> None:
    # GIVEN the batch job function's role
    grants = {
        (a, json.dumps(s["Resource"], sort_keys=True), json.dumps(s.get("Condition"), sort_keys=True))
        for s in statements(template["Resources"]["BatchJobFunction"])
        for a in as_list(s["Action"])
    }
    prefix = "arn:${AWS::Partition}:personalize:${AWS::Region}:${AWS::AccountId}"

    def sub(path: str) -> str:
        return json.dumps({"Fn::Sub": f"{prefix}:{path}"})

    created = json.dumps({"StringEquals": {"aws:RequestTag/personalize-pipeline:stack": {"Ref": "AWS::StackName"}}})
    ours = json.dumps({"StringEquals": {"aws:ResourceTag/personalize-pipeline:stack": {"Ref": "AWS::StackName"}}})
    jobs = json.dumps([{"Fn::Sub": f"{prefix}:batch-inference-job/*"}, {"Fn::Sub": f"{prefix}:batch-segment-job/*"}])
    # THEN it creates (and tags) jobs with the stack tag, on a version of this stack, describes jobs, lists
    # the batch input folder only and passes the Personalize role to Personalize only
    assert grants == {
        ("personalize:CreateBatchInferenceJob", sub("batch-inference-job/*"), created),
        ("personalize:TagResource", sub("batch-inference-job/*"), created),
        ("personalize:CreateBatchSegmentJob", sub("batch-segment-job/*"), created),
        ("personalize:TagResource", sub("batch-segment-job/*"), created),
        ("personalize:CreateBatchInferenceJob", sub("solution/*"), ours),
        ("personalize:DescribeBatchInferenceJob", jobs, "null"),
        ("personalize:DescribeBatchSegmentJob", jobs, "null"),
        (
            "s3:ListBucket",
            json.dumps({"Fn::GetAtt": ["InputBucket", "Arn"]}),
            json.dumps({"StringLike": {"s3:prefix": "batch-input/*"}}),
        ),
        (
            "iam:PassRole",
            json.dumps({"Fn::GetAtt": ["PersonalizeServiceRole", "Arn"]}),
            json.dumps({"StringEquals": {"iam:PassedToService": "personalize.amazonaws.com"}}),
        ),
    }


def test_template_only_personalize_writes_to_the_bucket_and_only_batch_output(template: dict) -> None:
    # GIVEN every grant of s3:PutObject in the template: functions, the Personalize role, the bucket policy
    role = template["Resources"]["PersonalizeServiceRole"]["Properties"]["Policies"]
    role_puts = [
        s["Resource"] for p in role for s in p["PolicyDocument"]["Statement"] if "s3:PutObject" in as_list(s["Action"])
    ]
    bucket = template["Resources"]["InputBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    bucket_puts = [
        (s["Principal"], s["Resource"])
        for s in bucket
        if s["Effect"] == "Allow" and "s3:PutObject" in as_list(s["Action"])
    ]
    function_puts = [
        logical_id
        for logical_id, resource in functions(template).items()
        for s in statements(resource)
        if any(a in ("s3:PutObject", "s3:*") for a in as_list(s["Action"]))
    ]
    # THEN Personalize alone may write, under batch-output/ only
    output = {"Fn::Sub": "${InputBucket.Arn}/batch-output/*"}
    assert role_puts == [output]
    assert bucket_puts == [({"Service": "personalize.amazonaws.com"}, output)]
    assert function_puts == []


def test_template_personalize_reads_only_the_dataset_folders_and_batch_input(template: dict) -> None:
    # GIVEN every grant of s3:GetObject to Personalize: its role and the bucket policy
    role = template["Resources"]["PersonalizeServiceRole"]["Properties"]["Policies"]
    role_gets = [
        s["Resource"] for p in role for s in p["PolicyDocument"]["Statement"] if "s3:GetObject" in as_list(s["Action"])
    ]
    bucket = template["Resources"]["InputBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    bucket_gets = [
        [r for r in s["Resource"] if r != {"Fn::GetAtt": ["InputBucket", "Arn"]}]
        for s in bucket
        if s["Effect"] == "Allow" and "s3:GetObject" in as_list(s["Action"])
    ]
    # THEN both name exactly the three dataset folders and the batch input folder: not params.json, not
    # the batch output
    readable = [{"Fn::Sub": f"${{InputBucket.Arn}}/{prefix}/*"} for prefix in ("Interactions", "Users", "Items")]
    readable.append({"Fn::Sub": "${InputBucket.Arn}/batch-input/*"})
    assert role_gets == [readable]
    assert bucket_gets == [readable]
