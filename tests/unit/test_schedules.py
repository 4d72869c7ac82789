"""params.json ``schedules``: validation (botocore's scheduler model, AWS cron/rate rules), the plan, the
plan of a scheduled run, and Apply Schedules against moto's EventBridge Scheduler (issue 9)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from personalize_pipeline import schedules
from personalize_pipeline.errors import InvalidParameters
from personalize_pipeline.naming import schedule_name, solution_version_name
from tests.unit.test_params_spellings import PROJECT, RECIPE, STACK, plan_of, problems_of

SHOP = "shop"
PERSONALIZATION, SIMILAR = "shop-personalization", "shop-similar"


@pytest.fixture
def project() -> dict[str, Any]:
    document = copy.deepcopy(PROJECT)
    # User-Personalization v1: the recipe that supports UPDATE training.
    document["solutions"][0]["recipeArn"] = f"{RECIPE}aws-user-personalization"
    return document


# -- validation -------------------------------------------------------------------------------------------


def test_build_plan_schedules_plan_each_schedule_with_derived_name_and_scheduler_defaults(project):
    # GIVEN an import schedule for the dataset group and an UPDATE retraining schedule for one solution
    project["schedules"] = {
        "datasetGroup": {"scheduleExpression": "rate(7 days)"},
        "solutions": {
            PERSONALIZATION: {
                "scheduleExpression": "cron(0 3 ? * MON *)",
                "scheduleExpressionTimezone": "Europe/Paris",
                "trainingMode": "UPDATE",
                "state": "DISABLED",
                "flexibleTimeWindow": {"mode": "FLEXIBLE", "maximumWindowInMinutes": 30},
                "description": "weekly refresh",
            }
        },
    }
    # WHEN the plan is built
    plan = plan_of(project, data_for_project())
    # THEN each schedule has its derived name, kind, mode and the CreateSchedule members in API spelling
    assert plan["schedules"] == [
        {
            "name": schedule_name(SHOP),
            "kind": "import",
            "solution": None,
            "trainingMode": "FULL",
            "request": {
                "ScheduleExpression": "rate(7 days)",
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "State": "ENABLED",
                "ScheduleExpressionTimezone": "UTC",
            },
        },
        {
            "name": schedule_name(SHOP, PERSONALIZATION),
            "kind": "train",
            "solution": PERSONALIZATION,
            "trainingMode": "UPDATE",
            "request": {
                "ScheduleExpression": "cron(0 3 ? * MON *)",
                "ScheduleExpressionTimezone": "Europe/Paris",
                "State": "DISABLED",
                "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 30},
                "Description": "weekly refresh",
            },
        },
    ]


def data_for_project() -> dict[str, str]:
    from tests.unit.test_params_spellings import PROJECT_DATA

    return PROJECT_DATA


def test_build_plan_bad_schedules_report_every_problem_with_its_path(project):
    # GIVEN schedules with one mistake each
    project["schedules"] = {
        "datasetGroup": {
            "scheduleExpression": "rate(0 days)",
            "target": {"arn": "x"},
            "scheduleExpressionTimezone": "Mars/Olympus",
            "trainingMode": "UPDATE",
        },
        "solutions": {
            SIMILAR: {"scheduleExpression": "cron(0 3 * * * *)", "state": "PAUSED", "trainingMode": "UPDATE"},
            "shop-personalisation": {"scheduleExpression": "rate(1 day)"},
            PERSONALIZATION: {
                "scheduleExpression": "rate(1 days)",
                "startDate": "2027-01-02T00:00:00Z",
                "endDate": "2027-01-01T00:00:00Z",
                "scheduleExpresion": "x",
            },
        },
        "imports": {},
    }
    # WHEN validated / THEN the whole list, each problem naming the path as written
    assert problems_of(project) == [
        "schedules.imports: unknown key (allowed: datasetGroup, solutions)",
        "schedules.datasetGroup.target: set by the pipeline (the pipeline state machine, started with the scheduled "
        "run's input); remove it",
        'schedules.datasetGroup.scheduleExpression: "rate(0 days)": the rate value must be a positive integer, got "0"',
        'schedules.datasetGroup.scheduleExpressionTimezone: "Mars/Olympus" is not an IANA time zone name (e.g. '
        '"Europe/Paris", "America/New_York", "UTC")',
        "schedules.datasetGroup.trainingMode: UPDATE training needs a recipe that supports it (aws-hrnn-coldstart, "
        "aws-user-personalization); solution 'shop-similar' (aws-sims) cannot: use FULL",
        'schedules.solutions.shop-similar.state: "PAUSED" is not one of ENABLED, DISABLED',
        'schedules.solutions.shop-similar.scheduleExpression: "cron(0 3 * * * *)": Invalid combination of '
        "day-of-month '*' and day-of-week '*'.One must be a question mark (?) (fields: minutes hours day-of-month "
        "month day-of-week year)",
        "schedules.solutions.shop-similar.trainingMode: UPDATE training needs a recipe that supports it "
        "(aws-hrnn-coldstart, aws-user-personalization); solution 'shop-similar' (aws-sims) cannot: use FULL",
        'schedules.solutions.shop-personalisation: "shop-personalisation" is not a solution of this params.json '
        '(solutions: shop-personalization, shop-similar); did you mean "shop-personalization"?',
        "schedules.solutions.shop-personalization.scheduleExpresion: unknown key; did you mean "
        '"scheduleExpression"? (allowed: scheduleExpression, startDate, endDate, description, '
        "scheduleExpressionTimezone, state, flexibleTimeWindow, trainingMode)",
        'schedules.solutions.shop-personalization.scheduleExpression: "rate(1 days)": write rate(1 day) '
        "(singular unit for 1, plural above)",
        "schedules.solutions.shop-personalization.endDate: must be after startDate (2027-01-02T00:00:00Z)",
    ]


def test_build_plan_schedule_missing_expression_and_bad_window_are_shape_problems(project):
    project["schedules"] = {"datasetGroup": {"flexibleTimeWindow": {"mode": "FLEXIBLE", "maximumWindowInMinutes": 0}}}
    assert problems_of(project) == [
        "schedules.datasetGroup.scheduleExpression: required but missing",
        "schedules.datasetGroup.flexibleTimeWindow.maximumWindowInMinutes: must be at least 1, got 0",
    ]


def test_build_plan_schedules_not_an_object_and_singular_key_are_refused(project):
    project["schedules"] = ["rate(1 day)"]
    project["schedule"] = {}
    assert problems_of(project) == [
        'schedule: unknown key; did you mean "schedules"? (allowed: datasetGroup, datasets, solution, '
        "solutionVersion, campaign, solutions, campaigns, recommenders, filters, eventTracker, schedules, tags)",
        'schedules: expected an object with datasetGroup and/or solutions, got ["rate(1 day)"]',
    ]


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)",
        "rate(15 minutes)",
        "rate(1 hour)",
        "rate(7 days)",
        "cron(0 3 ? * MON *)",
        "cron(0/15 * * * ? *)",
        "cron(0 3 L * ? *)",
        "cron(0 3 15W * ? *)",
        "cron(0 3 ? * 6L *)",
        "cron(0 3 ? * 2#1 *)",
        "cron(0 8 1 JAN-JUN ? 2027-2030)",
    ],
)
def test_expression_problem_documented_forms_pass(expression: str) -> None:
    assert schedules.expression_problem(expression) is None


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        (
            "rate(5 weeks)",
            '"rate(5 weeks)": the rate unit must be one of minute | minutes | hour | hours | day | days, got "weeks"',
        ),
        ("rate(2 day)", '"rate(2 day)": write rate(2 days) (singular unit for 1, plural above)'),
        ("rate(-1 days)", '"rate(-1 days)": the rate value must be a positive integer, got "-1"'),
        (
            "at(2027-01-01T00:00:00)",
            '"at(2027-01-01T00:00:00)": one-time at(...) schedules are not supported here (a '
            "schedule retrains repeatedly); use rate(...) or cron(...)",
        ),
        (
            "cron(0 3 * * ?)",
            "\"cron(0 3 * * ?)\": Incorrect number of values in '0 3 * * ?'. 6 required, 5 provided "
            "(fields: minutes hours day-of-month month day-of-week year)",
        ),
        (
            "cron(60 3 ? * MON *)",
            "\"cron(60 3 ? * MON *)\": Invalid minute value '60' (fields: minutes hours "
            "day-of-month month day-of-week year)",
        ),
        # the library's gaps: forms AWS documents nowhere
        (
            "cron(0 3 ? * *-MON *)",
            '"cron(0 3 ? * *-MON *)": a range cannot start or end with *; write both ends (e.g. MON-FRI)',
        ),
        (
            "cron(0 3 ? * L-2 *)",
            '"cron(0 3 ? * L-2 *)": day-of-week takes L only as <day>L (the last such day of the month), not L-n',
        ),
        (
            "0 3 * * ? *",
            '"0 3 * * ? *": expected rate(value unit), e.g. rate(7 days), or cron(minutes hours '
            "day-of-month month day-of-week year), e.g. cron(0 3 ? * MON *)",
        ),
    ],
)
def test_expression_problem_refuses_what_scheduler_refuses(expression: str, problem: str) -> None:
    assert schedules.expression_problem(expression) == problem


def test_next_fire_time_cron_is_read_in_the_schedule_time_zone() -> None:
    # GIVEN Monday 03:00 in Paris (UTC+1 in December) and a Sunday evening
    after = dt.datetime(2026, 12, 6, 20, 0, tzinfo=dt.UTC)
    # WHEN the next firing is computed / THEN it is Monday 02:00 UTC; rate schedules have none computable here
    assert schedules.next_fire_time("cron(0 3 ? * MON *)", "Europe/Paris", after) == dt.datetime(
        2026, 12, 7, 2, 0, tzinfo=dt.UTC
    )
    assert schedules.next_fire_time("rate(7 days)", "UTC", after) is None
    assert schedules.next_fire_time("cron(0 3 1 1 ? 2020)", "UTC", after) is None


# -- scheduled runs ------------------------------------------------------------------------------------


def test_for_scheduled_run_train_keeps_only_its_solution_and_names_both_modes(project):
    # GIVEN the plan of a params version with two solutions and a train schedule for one of them
    plan = plan_of(project, data_for_project())
    schedule = {
        "name": "n",
        "kind": "train",
        "datasetGroup": SHOP,
        "solution": PERSONALIZATION,
        "trainingMode": "UPDATE",
        "scheduledTime": "2027-01-04T03:00:00Z",
        "executionId": "e",
    }
    # WHEN the scheduled run narrows it
    narrowed = schedules.for_scheduled_run(plan, schedule)
    # THEN only that solution is trained, in UPDATE, reusing its latest ACTIVE version if trained on this data
    data = [(d["schema"]["name"], d["fingerprint"]) for d in plan["datasets"]]
    solution = plan["solutions"][0]["solution"]
    full, update = (solution_version_name(solution, data, mode) for mode in ("FULL", "UPDATE"))
    assert [s["solution"]["name"] for s in narrowed["solutions"]] == [PERSONALIZATION]
    assert narrowed["solutions"][0]["solutionVersion"] == {
        "name": update,
        "trainingMode": "UPDATE",
        "reuseIfLatestActive": sorted([full, update]),
        "tags": [{"tagKey": "team", "tagValue": "recs"}],
    }
    assert (narrowed["recommenders"], narrowed["run"]) == ([], {"trigger": "schedule", "schedule": schedule})
    # AND no import: the datasets keep what the last import run put in them
    assert [d["importData"] for d in narrowed["datasets"]] == [False] * len(plan["datasets"])


def test_for_scheduled_run_import_keeps_every_solution_in_the_schedule_mode(project):
    plan = plan_of(project, data_for_project())
    schedule = {"name": "n", "kind": "import", "datasetGroup": SHOP, "solution": None, "trainingMode": "FULL"}
    narrowed = schedules.for_scheduled_run(plan, schedule)
    assert [s["solutionVersion"]["trainingMode"] for s in narrowed["solutions"]] == ["FULL", "FULL"]
    assert narrowed["datasets"] == plan["datasets"]  # imports converge as in an upload run
    assert [s["solutionVersion"]["name"] for s in narrowed["solutions"]] == [
        s["solutionVersion"]["name"] for s in plan["solutions"]
    ]


def test_for_scheduled_run_other_dataset_group_or_missing_solution_is_refused(project):
    plan = plan_of(project, data_for_project())
    with pytest.raises(InvalidParameters) as other:
        schedules.for_scheduled_run(plan, {"name": "n", "kind": "import", "datasetGroup": "movies"})
    with pytest.raises(InvalidParameters) as missing:
        schedules.for_scheduled_run(plan, {"name": "n", "kind": "train", "datasetGroup": SHOP, "solution": "gone"})
    assert other.value.problems == [
        "schedule n: it is for dataset group 'movies', but the params.json version it pins is for 'shop'; upload "
        "params.json again to rebuild the schedules"
    ]
    assert missing.value.problems == [
        "schedule n: solution 'gone' is not in the params.json version it pins; upload params.json again to rebuild "
        "the schedules"
    ]


def test_execution_input_is_the_s3_detail_shape_with_the_pinned_version_and_context_attributes() -> None:
    entry = {"name": "s-import", "kind": "import", "solution": None, "trainingMode": "FULL"}
    source = {"bucket": "b", "key": "params.json", "versionId": "v1"}
    assert json.loads(schedules.execution_input(entry, SHOP, source)) == {
        "source": "personalize-pipeline.schedule",
        "detail": {"bucket": {"name": "b"}, "object": {"key": "params.json", "version-id": "v1"}},
        "schedule": {
            "name": "s-import",
            "kind": "import",
            "datasetGroup": SHOP,
            "solution": None,
            "trainingMode": "FULL",
            "scheduledTime": "<aws.scheduler.scheduled-time>",
            "executionId": "<aws.scheduler.execution-id>",
        },
    }


# -- Apply Schedules ------------------------------------------------------------------------------------

GROUP = "stack-ScheduleGroup-ABC"
ROLE = "arn:aws:iam::123456789012:role/stack-SchedulerRole"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:stack-pipeline"


def _apply(client: Any, plan: dict[str, Any]) -> list[tuple[str, str]]:
    done = schedules.apply(client, plan, group=GROUP, role_arn=ROLE, state_machine_arn=MACHINE)
    return [(item["name"], item["action"] + (" (repinned)" if item["repinned"] else "")) for item in done]


def test_apply_creates_keeps_updates_and_deletes_only_the_dataset_group_schedules(project):
    with mock_aws():
        client = boto3.client("scheduler", region_name="us-east-1")
        client.create_schedule_group(Name=GROUP)
        # GIVEN another dataset group's schedule in the same group
        other = schedule_name("shop-eu")
        client.create_schedule(
            Name=other,
            GroupName=GROUP,
            ScheduleExpression="rate(1 day)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": MACHINE, "RoleArn": ROLE},
        )
        project["schedules"] = {
            "datasetGroup": {"scheduleExpression": "rate(7 days)"},
            "solutions": {SIMILAR: {"scheduleExpression": "cron(0 3 ? * MON *)"}},
        }
        plan = plan_of(project, data_for_project(), STACK)
        imports, similar = schedule_name(SHOP), schedule_name(SHOP, SIMILAR)
        # WHEN applied twice, then for a new params version, then with one schedule paused and the other removed
        first, second = _apply(client, plan), _apply(client, plan)
        repinned = _apply(client, {**plan, "source": {**plan["source"], "versionId": "v2"}})
        project["schedules"] = {"datasetGroup": {"scheduleExpression": "rate(7 days)", "state": "DISABLED"}}
        third = _apply(client, plan_of(project, data_for_project(), STACK))
        # THEN each run converges, and the other group's schedule is untouched; a new params version alone moves
        # the schedules to it without changing what they do
        assert first == [(imports, "created"), (similar, "created")]
        assert second == [(imports, "unchanged"), (similar, "unchanged")]
        assert repinned == [(imports, "unchanged (repinned)"), (similar, "unchanged (repinned)")]
        assert third == [(imports, "updated"), (similar, "deleted")]
        names = sorted(s["Name"] for s in client.list_schedules(GroupName=GROUP)["Schedules"])
        assert names == sorted([other, imports])
        current = client.get_schedule(GroupName=GROUP, Name=imports)
        assert (current["State"], current["Target"]["RoleArn"], current["Target"]["Arn"]) == ("DISABLED", ROLE, MACHINE)
        assert json.loads(current["Target"]["Input"])["detail"]["object"]["key"] == "params.json"
