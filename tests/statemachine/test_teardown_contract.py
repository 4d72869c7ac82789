"""Contract tests of the teardown: statemachine/teardown.asl.json against template.yaml, the error module and
the core's stage order, and the teardown functions' grants against the calls the core makes."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
from statelint.cli import main as statelint_main

from personalize_pipeline import errors, teardown
from personalize_pipeline.resources import KINDS

from .conftest import ROOT
from .test_asl_contract import BUILTIN_ERRORS, error_names, walk
from .test_template import _pascal, _personalize_actions, as_list, statements

PERSONALIZE = "arn:${AWS::Partition}:personalize:${AWS::Region}:${AWS::AccountId}"


@pytest.fixture(scope="module")
def machine(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]["TeardownStateMachine"]


@pytest.fixture(scope="module")
def teardown_path(machine: dict[str, Any]) -> Path:
    return ROOT / machine["Properties"]["DefinitionUri"]


@pytest.fixture(scope="module")
def states(teardown_path: Path) -> dict[str, Any]:
    return json.loads(teardown_path.read_text())["States"]


def test_teardown_asl_substitutions_match_template_both_ways(teardown_path: Path, machine: dict[str, Any]) -> None:
    used = set(re.findall(r"\$\{(\w+)\}", teardown_path.read_text()))
    assert used == set(machine["Properties"]["DefinitionSubstitutions"])


def test_teardown_asl_error_names_exist_in_error_module(teardown_path: Path) -> None:
    custom = error_names(json.loads(teardown_path.read_text())) - BUILTIN_ERRORS
    assert custom <= {cls.__name__ for cls in errors.PIPELINE_ERRORS}, custom
    assert set(errors.TRANSIENT_ERROR_NAMES) <= custom


def test_teardown_asl_statelint_reports_no_problem(teardown_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert statelint_main([str(teardown_path)]) == 0, capsys.readouterr().out


def test_teardown_asl_every_catch_all_is_preceded_by_a_data_limit_catch_and_tasks_retry(
    states: dict[str, Any],
) -> None:
    for _, name, state in walk(states):
        catches = [c["ErrorEquals"] for c in state.get("Catch", [])]
        if ["States.ALL"] in catches:
            assert catches[-2:] == [["States.DataLimitExceeded"], ["States.ALL"]], name
        if state.get("Resource") == "arn:aws:states:::lambda:invoke":
            retried = {n for rule in state["Retry"] for n in rule["ErrorEquals"]}
            assert set(errors.LAMBDA_TRANSIENT_ERROR_NAMES) <= retried, name
            assert [c["ErrorEquals"] for c in state["Catch"]][-1] == ["States.ALL"], name


def test_teardown_asl_deletes_stage_by_stage_in_the_core_order_each_async_one_waited_for(
    states: dict[str, Any],
) -> None:
    # GIVEN the path from the plan to the summary, following each Choice's Default (its "done" way)
    name, visited = states["Teardown Plan"]["Next"], []
    while name != "Summarize Teardown":
        state = states[name]
        if state["Type"] == "Task":
            payload = state["Parameters"]["Payload"]
            assert (payload["action"], payload["teardown.$"], state["ResultPath"]) == (
                "delete",
                "$.teardown",
                "$.teardown",
            )
            visited.append(payload["stage"])
            after = states[state["Next"]]
            if after["Type"] == "Choice":
                # THEN an asynchronous stage loops: Choice -> Wait the seconds the step returned -> Check -> Choice
                (rule,) = after["Choices"]
                assert (rule["Variable"], rule["NumericGreaterThan"]) == ("$.teardown.pending", 0)
                wait = states[rule["Next"]]
                assert wait["SecondsPath"] == "$.teardown.waitSeconds"
                check = states[wait["Next"]]
                assert check["Parameters"]["Payload"] == {**payload, "action": "check"}
                assert (check["Next"], check["ResultPath"]) == (state["Next"], "$.teardown")
                name = after["Default"]
                continue
        name = state["Next"]
    # THEN every stage ran once, in the core's (the service's) order; only schedules and schemas are synchronous
    assert visited == list(teardown.STAGE_KEYS)
    loops = {n.removeprefix("Wait for ") for n in states if n.startswith("Wait for ") and n != "Wait for Pipeline Run"}
    assert loops == {s.title for s in teardown.STAGES if s.key not in ("schedules", "schemas")}


def test_teardown_asl_ends_failed_when_anything_was_not_deleted(states: dict[str, Any]) -> None:
    assert states["Notify Teardown"]["Next"] == "Everything Deleted?"
    (rule,) = states["Everything Deleted?"]["Choices"]
    assert (rule["Variable"], rule["BooleanEquals"], rule["Next"]) == (
        "$.notification.failed",
        True,
        "Teardown Incomplete",
    )
    assert states["Teardown Incomplete"]["Type"] == "Fail"
    assert states["Read Teardown Request"]["Catch"][-1]["Next"] == "Summarize Refusal"
    assert states["Summarize Refusal"]["Next"] == "Notify Teardown Failure"
    assert (
        states["Notify Teardown Failure"]["Next"] == "Teardown Failed" and states["Teardown Failed"]["Type"] == "Fail"
    )


def test_teardown_rule_matches_the_teardown_file_key_exactly(template: dict[str, Any], machine: dict[str, Any]) -> None:
    pattern = machine["Properties"]["Events"]["TeardownUploaded"]["Properties"]["Pattern"]
    assert pattern["detail"]["object"]["key"] == [{"Ref": "TeardownFile"}]
    assert pattern["detail"]["bucket"]["name"] == [{"Ref": "InputBucket"}]
    assert template["Parameters"]["TeardownFile"]["Default"] == "delete.json"


def granted(template: dict[str, Any], logical_id: str) -> dict[str, list[dict[str, Any]]]:
    """Action -> the statements of the function's role that grant it."""
    found: dict[str, list[dict[str, Any]]] = {}
    for statement in statements(template["Resources"][logical_id]):
        for action in as_list(statement["Action"]):
            found.setdefault(action, []).append(statement)
    return found


def test_teardown_delete_function_grants_exactly_the_deletes_and_reads_the_core_makes(template: dict[str, Any]) -> None:
    # GIVEN the calls advance() makes: each kind's delete and describe, the stop of a training, DeleteSchema
    needed = {f"personalize:{_pascal(method)}" for method, _ in teardown._DELETE_CALLS.values()}
    needed |= {f"personalize:{_pascal(KINDS[kind].describe)}" for kind in teardown._DELETE_CALLS}
    needed |= {
        "personalize:StopSolutionVersionCreation",
        "personalize:DescribeSolutionVersion",
        "personalize:DeleteSchema",
        "scheduler:DeleteSchedule",
    }
    grants = granted(template, "TeardownDeleteFunction")
    # THEN the role grants those and nothing else
    assert set(grants) == needed
    # AND every delete (and the stop) is conditioned on the stack tag, except DeleteSchema (schemas take no tags)
    for action, found in grants.items():
        if action.startswith(("personalize:Delete", "personalize:Stop")) and action != "personalize:DeleteSchema":
            (statement,) = found
            assert statement["Condition"] == {
                "StringEquals": {"aws:ResourceTag/personalize-pipeline:stack": {"Ref": "AWS::StackName"}}
            }, action
    (schedules,) = grants["scheduler:DeleteSchedule"]
    assert schedules["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${ScheduleGroup}/*"
    }


def test_teardown_load_function_grants_exactly_the_reads_the_core_makes(template: dict[str, Any]) -> None:
    # GIVEN the Personalize calls of the plan (read from the core's source, lists through _list_all)
    tree = ast.parse((ROOT / "functions/shared/personalize_pipeline/teardown.py").read_text())
    needed = {f"personalize:{a}" for a in _personalize_actions(tree, {"inventory", "_schemas", "_batch_jobs"})}
    needed |= {"personalize:DescribeDatasetGroup", "personalize:ListTagsForResource"}  # check_owner
    needed -= {"personalize:ListSchedules"}  # the scheduler's, through the same helper
    grants = granted(template, "TeardownLoadFunction")
    assert {a for a in grants if a.startswith("personalize:")} == needed
    # AND nothing it grants deletes or writes
    assert not [a for a in grants if a.split(":")[1].startswith(("Delete", "Create", "Update", "Put", "Stop", "Tag"))]
    assert set(grants) - needed == {
        "scheduler:ListSchedules",
        "s3:GetObjectVersion",
        "states:ListExecutions",
        "states:GetExecutionHistory",
    }


def test_teardown_notify_function_makes_no_aws_call(template: dict[str, Any]) -> None:
    assert "Policies" not in template["Resources"]["TeardownNotifyFunction"]["Properties"]


def test_teardown_topic_policy_lets_both_state_machines_publish(template: dict[str, Any]) -> None:
    document = template["Resources"]["NotificationTopicPolicy"]["Properties"]["PolicyDocument"]
    roles = [{"Fn::GetAtt": ["PipelineStateMachineRole", "Arn"]}, {"Fn::GetAtt": ["TeardownStateMachineRole", "Arn"]}]
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    assert by_sid["StateMachinePublishes"]["Principal"] == {"AWS": roles}
    assert by_sid["NoOtherPublisher"]["Condition"] == {"StringNotEquals": {"aws:PrincipalArn": roles}}


def test_teardown_personalize_arns_are_scoped(template: dict[str, Any]) -> None:
    for logical_id in ("TeardownLoadFunction", "TeardownDeleteFunction"):
        for statement in statements(template["Resources"][logical_id]):
            if statement["Resource"] == "*":
                continue
            for arn in as_list(statement["Resource"]):
                text = json.dumps(arn)
                if "personalize" in text:
                    assert re.fullmatch(r'\{"Fn::Sub": "' + re.escape(PERSONALIZE) + r':[a-z-]+/\*"\}', text), text
