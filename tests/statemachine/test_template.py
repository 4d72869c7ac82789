"""Contract tests of template.yaml: lint, wiring, event rule, least privilege, bucket hardening."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import cfnlint.api
import pytest

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
            if actions in (["personalize:ListDatasetImportJobs"], ["personalize:ListSolutionVersions"]):
                # The only unscoped grants: read-only List actions that take no resource-level permissions.
                assert statement["Resource"] == "*"
                continue
            if any(a.startswith("personalize:") for a in actions):
                resources = statement["Resource"]
                for arn in resources if isinstance(resources, list) else [resources]:
                    text = json.dumps(arn)
                    assert re.search(r"personalize:\$\{AWS::Region\}:\$\{AWS::AccountId\}:[a-z-]+/\*", text), text


def test_template_only_the_import_function_passes_the_personalize_role(template: dict) -> None:
    for logical_id, resource in functions(template).items():
        passes = [s for s in statements(resource) if "iam:PassRole" in json.dumps(s["Action"])]
        if logical_id != "DatasetImportFunction":
            assert not passes, logical_id
            continue
        (statement,) = passes
        assert statement["Resource"] == {"Fn::GetAtt": ["PersonalizeServiceRole", "Arn"]}
        assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "personalize.amazonaws.com"}}


def test_template_every_personalize_call_in_the_code_is_granted(template: dict) -> None:
    # GIVEN the boto3 personalize methods each function's code can call
    core = ROOT / "functions/shared/personalize_pipeline"
    calls_by_module = {
        p.stem: set(re.findall(r"client\.(\w+)\(", p.read_text())) | set(re.findall(r'"(list_\w+)"', p.read_text()))
        for p in core.glob("*.py")
    }
    describe_methods = set(re.findall(r'"(describe_\w+)"', (core / "resources.py").read_text()))
    granted = {}
    for logical_id, resource in functions(template).items():
        actions = [a for s in statements(resource) for a in as_list(s["Action"])]
        granted[logical_id] = {a.split(":")[1] for a in actions if a.startswith("personalize:")}
    expected = {
        "DatasetGroupFunction": {"create_dataset_group"},
        "DatasetFunction": {"create_schema", "create_dataset", "update_dataset"},
        "DatasetImportFunction": {"create_dataset_import_job", "list_dataset_import_jobs"},
        "SolutionFunction": {"create_solution"},
        "SolutionVersionFunction": {"create_solution_version", "list_solution_versions"},
        "CampaignFunction": {"create_campaign", "update_campaign"},
    }
    ensure_calls = calls_by_module["ensure"]
    for logical_id, methods in expected.items():
        assert methods <= ensure_calls
        wanted = {"".join(w.title() for w in m.split("_")) for m in methods}
        assert wanted <= granted[logical_id], (logical_id, wanted - granted[logical_id])
        assert any(a.startswith("Describe") for a in granted[logical_id]), logical_id
    notify = {"".join(w.title() for w in m.split("_")) for m in describe_methods - {"describe_schema"}}
    assert notify | {"GetSolutionMetrics"} <= granted["NotifyFunction"]


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
