"""Fixtures for the contract tests: the ASL document, the SAM template and its CloudFormation form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return yaml_parse(TEMPLATE.read_text())


@pytest.fixture(scope="session")
def asl_path(template: dict[str, Any]) -> Path:
    return ROOT / template["Resources"]["PipelineStateMachine"]["Properties"]["DefinitionUri"]


@pytest.fixture(scope="session")
def asl(asl_path: Path) -> dict[str, Any]:
    return json.loads(asl_path.read_text())


def to_cloudformation(template: dict[str, Any]) -> dict[str, Any]:
    """samtranslator's output with the ASL inlined as ``Definition``, so cfn-lint checks it (E3601).

    cfn-lint never reads ``DefinitionUri`` files and skips ``Fn::Join`` definition strings; inlining the
    parsed ASL is the only way to get the definition schema-checked offline.
    """
    sam = json.loads(json.dumps(template))  # deep copy; yaml_parse output is plain data
    for resource in sam["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] in ("AWS::Serverless::Function",) and isinstance(props.get("CodeUri"), str):
            props["CodeUri"] = f"s3://artifacts/{props['CodeUri'].strip('/')}.zip"
        if resource["Type"] == "AWS::Serverless::LayerVersion" and isinstance(props.get("ContentUri"), str):
            props["ContentUri"] = f"s3://artifacts/{props['ContentUri'].strip('/')}.zip"
        if resource["Type"] == "AWS::Serverless::StateMachine" and isinstance(props.get("DefinitionUri"), str):
            props["Definition"] = json.loads((ROOT / props.pop("DefinitionUri")).read_text())
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name="us-east-1"))
    cfn = translator.translate(sam, parameter_values={}, get_managed_policy_map=lambda: {})
    for resource in cfn["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::StepFunctions::StateMachine" and "Fn::Join" in props.get("DefinitionString", {}):
            separator, parts = props.pop("DefinitionString")["Fn::Join"]
            props["Definition"] = json.loads(separator.join(p if isinstance(p, str) else '"x"' for p in parts))
    return cfn


@pytest.fixture(scope="session")
def cloudformation(template: dict[str, Any]) -> dict[str, Any]:
    return to_cloudformation(template)
