"""Contract tests of statemachine/pipeline.asl.json against the template, the handlers and the error module."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from statelint.cli import main as statelint_main

from personalize_pipeline import errors
from personalize_pipeline.polling import PollRecord

BUILTIN_ERRORS = {"States.ALL", "States.DataLimitExceeded", *errors.LAMBDA_TRANSIENT_ERROR_NAMES}
FAILURE_FUNNEL = "Summarize Failure"


def walk(states: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str, dict]]:
    """Every state, with the names of the Map/Parallel states that enclose it."""
    for name, state in states.items():
        yield path, name, state
        if state["Type"] == "Map":
            processor = state.get("ItemProcessor") or state["Iterator"]
            yield from walk(processor["States"], (*path, name))
        for branch in state.get("Branches", []):
            yield from walk(branch["States"], (*path, name))


def error_names(asl: dict[str, Any]) -> set[str]:
    names = set()
    for _, _, state in walk(asl["States"]):
        for rule in state.get("Retry", []) + state.get("Catch", []):
            names.update(rule["ErrorEquals"])
    return names


def test_asl_substitutions_match_template_both_ways(asl_path: Path, template: dict[str, Any]) -> None:
    # GIVEN the ${Names} used in the ASL and the DefinitionSubstitutions of the template
    used = set(re.findall(r"\$\{(\w+)\}", asl_path.read_text()))
    provided = set(template["Resources"]["PipelineStateMachine"]["Properties"]["DefinitionSubstitutions"])
    # THEN every placeholder has a value and every value is used
    assert used == provided, {"missing in template": used - provided, "unused": provided - used}


def test_asl_error_names_exist_in_error_module_and_vice_versa(asl: dict[str, Any]) -> None:
    # GIVEN the custom names matched by Retry/Catch rules
    custom = error_names(asl) - BUILTIN_ERRORS
    module_names = {cls.__name__ for cls in errors.PIPELINE_ERRORS}
    # THEN each is defined in the error module (a typo would never match)
    assert custom <= module_names, custom - module_names
    # AND every retryable name of the module is retried somewhere
    assert set(errors.TRANSIENT_ERROR_NAMES) <= custom


def test_asl_every_next_and_default_points_to_an_existing_state(asl: dict[str, Any]) -> None:
    def targets(state: dict[str, Any]) -> Iterator[str]:
        if "Next" in state:
            yield state["Next"]
        if "Default" in state:
            yield state["Default"]
        for choice in state.get("Choices", []):
            yield choice["Next"]
        for catch in state.get("Catch", []):
            yield catch["Next"]

    scopes: dict[tuple[str, ...], set[str]] = {}
    for path, name, _ in walk(asl["States"]):
        scopes.setdefault(path, set()).add(name)
    for path, name, state in walk(asl["States"]):
        for target in targets(state):
            assert target in scopes[path], f"{'/'.join((*path, name))} -> {target} does not exist in its scope"


def test_asl_every_work_state_is_covered_by_the_failure_funnel(asl: dict[str, Any]) -> None:
    # GIVEN the top-level states that do work (Tasks and the Maps that contain Tasks)
    top = asl["States"]
    for path, name, state in walk(top):
        if state["Type"] != "Task" or name in (FAILURE_FUNNEL, "Notify Failure", "Notify Failure Fallback"):
            continue
        # THEN a top-level task catches States.ALL into the funnel; a nested one is covered by its Map's catch
        owner = top[path[0]] if path else state
        catches = owner.get("Catch", [])
        assert any(c["ErrorEquals"] == ["States.ALL"] and c["Next"] == FAILURE_FUNNEL for c in catches), (
            f"{'/'.join((*path, name))} is not caught into {FAILURE_FUNNEL}"
        )


def test_asl_failure_funnel_ends_failed(asl: dict[str, Any]) -> None:
    states = asl["States"]
    assert states[FAILURE_FUNNEL]["Next"] == "Notify Failure"
    assert states["Notify Failure"]["Next"] == "Pipeline Failed"
    assert states["Pipeline Failed"]["Type"] == "Fail"
    # The summary and the publish may fail themselves; the run must still end FAILED.
    assert {c["Next"] for c in states[FAILURE_FUNNEL]["Catch"]} == {"Fallback Failure Message"}
    assert {c["Next"] for c in states["Notify Failure"]["Catch"]} == {"Notify Failure Fallback"}
    fallback = states["Notify Failure Fallback"]
    assert {c["Next"] for c in fallback["Catch"]} == {"Pipeline Failed"} and fallback["Next"] == "Pipeline Failed"
    # Its text is fixed: nothing from the failure that made the first publish fail can reach it.
    assert fallback["Parameters"]["Subject"] == "Personalize pipeline FAILED"
    assert "$.failure" not in fallback["Parameters"]["Message.$"]


def test_asl_every_catch_all_is_preceded_by_an_explicit_data_limit_catch(asl: dict[str, Any]) -> None:
    # States.ALL does not match States.DataLimitExceeded on AWS: only a catcher naming it turns an
    # oversize payload into the failure e-mail instead of a silent FAILED.
    for path, name, state in walk(asl["States"]):
        catches = [c["ErrorEquals"] for c in state.get("Catch", [])]
        if ["States.ALL"] in catches:
            assert catches[-2:] == [["States.DataLimitExceeded"], ["States.ALL"]], f"{'/'.join((*path, name))}"
            explicit, wildcard = state["Catch"][-2:]
            assert {k: v for k, v in explicit.items() if k != "ErrorEquals"} == {
                k: v for k, v in wildcard.items() if k != "ErrorEquals"
            }


def test_asl_every_lambda_task_retries_transient_errors_with_jitter(asl: dict[str, Any]) -> None:
    for _, name, state in walk(asl["States"]):
        if state.get("Resource") != "arn:aws:states:::lambda:invoke":
            continue
        retried = {n for rule in state.get("Retry", []) for n in rule["ErrorEquals"]}
        assert set(errors.LAMBDA_TRANSIENT_ERROR_NAMES) <= retried, name
        assert all(rule.get("JitterStrategy") == "FULL" for rule in state["Retry"]), name


def test_asl_poll_loops_wait_on_the_check_output_and_return_to_the_choice(asl: dict[str, Any]) -> None:
    # GIVEN every Choice named "<Resource> Active?"
    loops = 0
    for path, name, state in walk(asl["States"]):
        if state["Type"] != "Choice" or not name.endswith(" Active?"):
            continue
        scope = dict((n, s) for p, n, s in walk(asl["States"]) if p == path)
        resource = name.removesuffix(" Active?")
        wait, check = scope[f"Wait for {resource}"], scope[f"Check {resource}"]
        key = state["Choices"][0]["Variable"].removesuffix(".status")
        # THEN it leaves on ACTIVE, otherwise waits the seconds the check returned, then checks again
        assert state["Choices"][0]["StringEquals"] == "ACTIVE"
        assert state["Default"] == f"Wait for {resource}"
        assert wait["SecondsPath"] == f"{key}.waitSeconds"
        assert wait["Next"] == f"Check {resource}" and check["Next"] == name
        assert check["ResultPath"] == key
        loops += 1
    # dataset group, dataset, import, solution, solution version, campaign, recommender, event tracker, filter,
    # batch inference job, batch segment job
    assert loops == 11


def test_asl_recommenders_deploy_beside_the_solutions_and_reach_the_summary(asl: dict[str, Any]) -> None:
    # GIVEN the state after the imports and the event tracker and filters
    states = asl["States"]
    train = states[states[states["Import Datasets"]["Next"]]["Next"]]
    # THEN it is a Parallel: the solutions' Map and a Map over the plan's recommenders, each ending with its
    # results only, which the Summarize Run task receives side by side
    solutions, recommenders = (branch["States"][branch["StartAt"]] for branch in train["Branches"])
    assert (train["Type"], train["Next"]) == ("Parallel", "Scheduled Run?")
    assert (solutions["ItemsPath"], solutions["OutputPath"]) == ("$.plan.solutions", "$.solutions")
    assert (recommenders["ItemsPath"], recommenders["OutputPath"]) == ("$.plan.recommenders", "$.recommenders")
    assert recommenders["ItemSelector"] == {"spec.$": "$$.Map.Item.Value", "datasetGroupArn.$": "$.datasetGroup.arn"}
    assert train["ResultSelector"] == {"solutions.$": "$[0]", "recommenders.$": "$[1]"}
    payload = states["Summarize Run"]["Parameters"]["Payload"]
    assert (payload["solutions.$"], payload["recommenders.$"]) == (
        f"{train['ResultPath']}.solutions",
        f"{train['ResultPath']}.recommenders",
    )


def test_asl_upload_runs_apply_schedules_and_scheduled_runs_keep_them(asl: dict[str, Any]) -> None:
    # GIVEN the states between Train and Deploy and Summarize Run
    states = asl["States"]
    choice, keep, apply = states["Scheduled Run?"], states["Keep Schedules"], states["Apply Schedules"]
    # THEN a scheduled run skips Apply Schedules, and both paths leave the solutions, recommenders and a list
    # of schedules in $.deployed, which Summarize Run reads
    assert choice["Choices"] == [
        {"Variable": "$.plan.run.trigger", "StringEquals": "schedule", "Next": "Keep Schedules"}
    ]
    assert (choice["Default"], keep["Next"], apply["Next"]) == ("Apply Schedules", "Summarize Run", "Summarize Run")
    assert keep["Parameters"] == {
        "solutions.$": "$.deployed.solutions",
        "recommenders.$": "$.deployed.recommenders",
        "schedules": [],
    }
    assert apply["Parameters"]["Payload"] == {
        "datasetGroup.$": "$.plan.datasetGroup",
        "schedules.$": "$.plan.schedules",
        "source.$": "$.plan.source",
        "stateMachineArn.$": "$$.StateMachine.Id",
        "deployed.$": "$.deployed",
    }
    assert (apply["ResultPath"], keep["ResultPath"]) == ("$.deployed", "$.deployed")
    assert set(apply["ResultSelector"]) == {"solutions.$", "recommenders.$", "schedules.$"}
    assert states["Summarize Run"]["Parameters"]["Payload"]["schedules.$"] == "$.deployed.schedules"
    # Load Parameters sees the execution input (a scheduled run's schedule) and passes the run and schedules on
    load = states["Load Parameters"]
    assert load["Parameters"]["Payload"]["executionInput.$"] == "$$.Execution.Input"
    # the solution version step sees the run's import results (a train schedule's run imports nothing)
    solutions = states["Train and Deploy"]["Branches"][0]["States"]["Train and Deploy Solutions"]
    assert solutions["ItemSelector"]["datasets.$"] == "$.datasets"
    version = solutions["ItemProcessor"]["States"]["Create Solution Version"]["Parameters"]["Payload"]
    assert version["datasets.$"] == "$.datasets"
    # and Look for Other Runs tells two firings of one schedule apart by the whole input (runs.source_of)
    assert states["Look for Other Runs"]["Parameters"]["Payload"]["executionInput.$"] == "$$.Execution.Input"
    assert (load["ResultSelector"]["run.$"], load["ResultSelector"]["schedules.$"]) == (
        "$.Payload.run",
        "$.Payload.schedules",
    )


def test_asl_result_selectors_copy_exactly_the_poll_record_fields(asl: dict[str, Any]) -> None:
    fields = {f.name for f in dataclasses.fields(PollRecord)}
    for _, name, state in walk(asl["States"]):
        if state["Type"] == "Task" and name.startswith(("Check ", "Create ", "Import Data")):
            assert {k.removesuffix(".$") for k in state["ResultSelector"]} == fields, name


def test_asl_statelint_reports_no_problem(asl_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # WHEN statelint checks the file (it catches dangling transitions and bad fields cfn-lint misses)
    code = statelint_main([str(asl_path)])
    # THEN it is clean
    assert code == 0, capsys.readouterr().out


def test_asl_statelint_rejects_a_dangling_transition(tmp_path: Path, asl_path: Path) -> None:
    # GIVEN a copy of the definition with one Next pointing nowhere (proves the lint test can fail)
    broken = tmp_path / "broken.asl.json"
    broken.write_text(asl_path.read_text().replace('"Next": "Notify Success"', '"Next": "Nowhere"', 1))
    assert statelint_main([str(broken)]) != 0


def test_asl_run_exclusivity_comes_right_after_load_parameters(asl: dict[str, Any]) -> None:
    # One run at a time per dataset group: decided before any data check or resource, and each verdict leads
    # where runs.py says (duplicate: end quietly; wait: look again; busy raises into the funnel).
    states = asl["States"]
    assert states["Load Parameters"]["Next"] == "Look for Other Runs"
    assert states["Look for Other Runs"]["Next"] == "Other Run?"
    choice = states["Other Run?"]
    assert [(c["StringEquals"], c["Next"]) for c in choice["Choices"]] == [
        ("duplicate", "Duplicate Delivery"),
        ("wait", "Wait for Other Run"),
    ]
    assert choice["Default"] == "Check Data Values"  # before the data is read: a refused run costs nothing
    assert states["Wait for Other Run"]["Next"] == "Look for Other Runs"
    assert states["Duplicate Delivery"]["Type"] == "Succeed"
