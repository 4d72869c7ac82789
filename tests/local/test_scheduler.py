"""The local EventBridge Scheduler (local/scheduler.py): when schedules are due, and firing them in moto."""

from __future__ import annotations

import datetime
import json
import threading
import time
from collections.abc import Iterator
from itertools import islice
from typing import Any

import boto3
import pytest

from local import iam
from local.clock import SimClock
from local.deploy import LocalCloud, local_cloud
from local.scheduler import Firing, ScheduleError, SchedulerEngine, flexible_offset, iso, occurrences

UTC = datetime.UTC
EPOCH = SimClock().epoch  # 2026-01-05T09:00:00Z, a Monday
DAY = 86400.0


def at(text: str) -> float:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def schedule(expression: str, **extra: Any) -> dict[str, Any]:
    return {
        "Arn": "arn:aws:scheduler:us-east-1:123456789012:schedule/g/s",
        "Name": "s",
        "ScheduleExpression": expression,
        "CreationDate": EPOCH,
        **extra,
    }


def first(expression: str, after: float, n: int, **extra: Any) -> list[str]:
    return [iso(t) for t in islice(occurrences(schedule(expression, **extra), after), n)]


# -- when ----------------------------------------------------------------------------------------------


def test_occurrences_rate_without_start_date_fires_on_creation_then_every_period() -> None:
    assert first("rate(7 days)", EPOCH - 1, 3) == [
        "2026-01-05T09:00:00Z",
        "2026-01-12T09:00:00Z",
        "2026-01-19T09:00:00Z",
    ]
    assert first("rate(90 minutes)", EPOCH, 2) == ["2026-01-05T10:30:00Z", "2026-01-05T12:00:00Z"]


def test_occurrences_rate_counts_from_start_date_and_stops_before_end_date() -> None:
    start, end = at("2026-01-06T00:00:00"), at("2026-01-06T03:00:00")
    assert first("rate(1 hour)", EPOCH, 9, StartDate=start, EndDate=end) == [
        "2026-01-06T00:00:00Z",
        "2026-01-06T01:00:00Z",
        "2026-01-06T02:00:00Z",
    ]


def test_occurrences_rate_day_is_24_hours_across_daylight_saving_time() -> None:
    # A rate ignores the time zone: 2026-03-29 is 23 hours long in Paris, the rate still moves 24 hours.
    created = at("2026-03-28T12:00:00")
    times = first("rate(1 day)", created - 1, 2, CreationDate=created, ScheduleExpressionTimezone="Europe/Paris")
    assert times == ["2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z"]


def test_occurrences_cron_is_evaluated_on_the_time_zone_wall_clock() -> None:
    # Mondays 03:00 in Paris: 02:00 UTC in winter, 01:00 UTC in summer.
    paris = {"ScheduleExpressionTimezone": "Europe/Paris"}
    assert first("cron(0 3 ? * MON *)", EPOCH, 2, **paris) == ["2026-01-12T02:00:00Z", "2026-01-19T02:00:00Z"]
    assert first("cron(0 3 ? * MON *)", at("2026-06-01T00:00:00"), 1, **paris) == ["2026-06-01T01:00:00Z"]
    assert first("cron(15 10 L * ? 2026)", EPOCH, 2) == ["2026-01-31T10:15:00Z", "2026-02-28T10:15:00Z"]


def test_occurrences_cron_skips_a_time_that_does_not_exist_and_fires_once_on_a_repeated_hour() -> None:
    paris = {"ScheduleExpressionTimezone": "Europe/Paris"}
    # 2026-03-29: 02:00 -> 03:00 in Paris, so 02:30 does not exist that day.
    assert first("cron(30 2 * * ? *)", at("2026-03-28T00:00:00"), 2, **paris) == [
        "2026-03-28T01:30:00Z",
        "2026-03-30T00:30:00Z",
    ]
    # 2026-10-25: 03:00 -> 02:00, so 02:30 happens twice; it fires the first time only.
    assert first("cron(30 2 * * ? *)", at("2026-10-24T12:00:00"), 2, **paris) == [
        "2026-10-25T00:30:00Z",
        "2026-10-26T01:30:00Z",
    ]


def test_occurrences_at_fires_once_in_its_time_zone() -> None:
    expression = "at(2026-01-06T08:00:00)"
    assert first(expression, EPOCH, 3, ScheduleExpressionTimezone="Europe/Paris") == ["2026-01-06T07:00:00Z"]
    assert first(expression, at("2026-01-07T00:00:00"), 3) == []


@pytest.mark.parametrize(
    ("expression", "zone", "complaint"),
    [
        ("cron(0 3 * * ?)", "UTC", "schedule s: cron(0 3 * * ?): 6 fields expected, found 5"),
        ("every day", "UTC", "schedule s: 'every day' is not a rate, cron or at expression"),
        ("cron(0 3 ? * MON *)", "Mars/Olympus", "schedule s: unknown time zone 'Mars/Olympus'"),
    ],
)
def test_occurrences_expression_the_engine_cannot_read_names_the_schedule(
    expression: str, zone: str, complaint: str
) -> None:
    with pytest.raises(ScheduleError) as raised:
        next(occurrences(schedule(expression, ScheduleExpressionTimezone=zone), EPOCH))
    assert str(raised.value).startswith(complaint)


def test_flexible_offset_is_within_the_window_and_the_same_every_time() -> None:
    flexible = schedule("rate(1 hour)", FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15})
    offsets = [flexible_offset(flexible, EPOCH + n * 3600) for n in range(50)]
    assert all(0 <= o < 15 * 60 for o in offsets) and len(set(offsets)) > 10
    assert offsets == [flexible_offset(flexible, EPOCH + n * 3600) for n in range(50)]
    assert flexible_offset(schedule("rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"}), EPOCH) == 0


# -- firing in the local cloud -------------------------------------------------------------------------

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "scheduler.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
        }
    ],
}


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with local_cloud(SimClock()) as opened:
        yield opened


def role(name: str, trust: dict[str, Any] = TRUST, actions: tuple[str, ...] = ("states:StartExecution",)) -> str:
    client = boto3.client("iam")
    arn = client.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    if actions:
        grant = {"Effect": "Allow", "Action": list(actions), "Resource": "*"}
        policy = json.dumps({"Version": "2012-10-17", "Statement": [grant]})
        client.put_role_policy(RoleName=name, PolicyName="start", PolicyDocument=policy)
    return arn


def machine(wait_seconds: int = 0) -> str:
    states: dict[str, Any] = {"Done": {"Type": "Pass", "End": True}}
    if wait_seconds:
        states["Work"] = {"Type": "Wait", "Seconds": wait_seconds, "Next": "Done"}
    definition = {"StartAt": "Work" if wait_seconds else "Done", "States": states}
    return boto3.client("stepfunctions").create_state_machine(
        name="target", definition=json.dumps(definition), roleArn=role("machine-role", actions=())
    )["stateMachineArn"]


def create(name: str, expression: str, target: dict[str, Any], **extra: Any) -> str:
    extra.setdefault("FlexibleTimeWindow", {"Mode": "OFF"})
    return boto3.client("scheduler").create_schedule(Name=name, ScheduleExpression=expression, Target=target, **extra)[
        "ScheduleArn"
    ]


def executions(machine_arn: str) -> list[dict[str, Any]]:
    sfn = boto3.client("stepfunctions")
    found = sfn.list_executions(stateMachineArn=machine_arn)["executions"]
    return [sfn.describe_execution(executionArn=e["executionArn"]) for e in sorted(found, key=lambda e: e["startDate"])]


def test_engine_fires_a_week_of_daily_schedules_in_time_order_in_seconds(cloud: LocalCloud) -> None:
    # GIVEN a daily and a weekly schedule on one state machine, the daily one with the context attributes
    target_arn, role_arn = machine(), role("scheduler-role")
    text = '{"at": "<aws.scheduler.scheduled-time>", "id": "<aws.scheduler.execution-id>", "n": "<aws.scheduler.attempt-number>", "s": "<aws.scheduler.schedule-arn>"}'  # noqa: E501
    daily = create("daily", "cron(0 3 * * ? *)", {"Arn": target_arn, "RoleArn": role_arn, "Input": text})
    create("weekly", "rate(7 days)", {"Arn": target_arn, "RoleArn": role_arn})
    engine, started = SchedulerEngine(cloud.clock), time.monotonic()
    # WHEN the clock advances a week
    fired = engine.advance(7 * DAY)
    # THEN the weekly one fires on creation and a week later (the window's end included), the daily one at
    # 03:00 each day, in time order
    assert [(f.name, f.scheduled_iso) for f in fired] == [
        ("weekly", "2026-01-05T09:00:00Z"),
        *(("daily", f"2026-01-{day:02d}T03:00:00Z") for day in range(6, 13)),
        ("weekly", "2026-01-12T09:00:00Z"),
    ]
    assert all(f.refused is None for f in fired)
    # AND each execution started at its scheduled time with the attributes replaced in the input
    described = executions(target_arn)
    assert [d["startDate"].timestamp() for d in described] == [f.fired_at for f in fired]
    assert [d["status"] for d in described] == ["SUCCEEDED"] * 9
    first_daily = json.loads(described[1]["input"])
    assert first_daily == {"at": "2026-01-06T03:00:00Z", "id": first_daily["id"], "n": "1", "s": daily}
    assert len(first_daily["id"]) == 16
    # AND the clock moved a week, in seconds of wall time
    assert cloud.clock.now() == EPOCH + 7 * DAY
    assert time.monotonic() - started < 10
    # AND a second advance fires only what is new
    assert [f.scheduled_iso for f in engine.advance(DAY)] == ["2026-01-13T03:00:00Z"]


def test_engine_skips_disabled_schedules_and_counts_from_the_update(cloud: LocalCloud) -> None:
    target = {"Arn": machine(), "RoleArn": role("scheduler-role")}
    client = boto3.client("scheduler")
    create("paused", "rate(1 day)", target, State="DISABLED")
    engine = SchedulerEngine(cloud.clock)
    assert engine.advance(3 * DAY) == []
    # WHEN it is enabled again at 12:00 on day 3, its earlier days do not fire; a rate still counts from its creation
    engine.advance(3 * 3600)
    client.update_schedule(
        Name="paused", ScheduleExpression="rate(1 day)", FlexibleTimeWindow={"Mode": "OFF"}, Target=target
    )
    assert [f.scheduled_iso for f in engine.advance(2 * DAY)] == ["2026-01-09T09:00:00Z", "2026-01-10T09:00:00Z"]


def test_engine_flexible_window_fires_late_but_within_it(cloud: LocalCloud) -> None:
    target = {"Arn": machine(), "RoleArn": role("scheduler-role")}
    create("flex", "cron(0 12 * * ? *)", target, FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 30})
    (firing,) = SchedulerEngine(cloud.clock).advance(DAY)
    assert firing.scheduled_iso == "2026-01-05T12:00:00Z"
    assert firing.scheduled_time < firing.fired_at < firing.scheduled_time + 30 * 60


@pytest.mark.parametrize(
    ("trust", "actions", "reason"),
    [
        (
            {**TRUST, "Statement": [{**TRUST["Statement"][0], "Principal": {"Service": "events.amazonaws.com"}}]},
            ("states:StartExecution",),
            "role arn:aws:iam::123456789012:role/r does not trust scheduler.amazonaws.com for schedule "
            "arn:aws:scheduler:us-east-1:123456789012:schedule/default/s",
        ),
        (
            TRUST,
            ("states:DescribeExecution",),
            "User: arn:aws:sts::123456789012:assumed-role/r/scheduler is not authorized to perform: "
            "states:StartExecution on resource: arn:aws:states:us-east-1:123456789012:stateMachine:target",
        ),
    ],
    ids=["untrusted", "no-start-execution"],
)
def test_engine_refuses_a_firing_the_role_may_not_do_and_starts_nothing(
    cloud: LocalCloud, trust: dict[str, Any], actions: tuple[str, ...], reason: str
) -> None:
    target_arn = machine()
    create("s", "rate(1 day)", {"Arn": target_arn, "RoleArn": role("r", trust, actions)})
    (firing,) = SchedulerEngine(cloud.clock).advance(1)
    assert firing.execution_arn is None and firing.refused is not None
    assert firing.refused.startswith(reason)
    assert executions(target_arn) == []
    if "trust" not in reason:
        assert [(e.action, e.allowed) for e in iam.ledger().entries[-1:]] == [("states:StartExecution", False)]


def test_engine_refuses_a_target_that_is_not_a_state_machine(cloud: LocalCloud) -> None:
    queue = "arn:aws:sqs:us-east-1:123456789012:q"
    create("s", "rate(1 day)", {"Arn": queue, "RoleArn": role("r")})
    (firing,) = SchedulerEngine(cloud.clock).advance(1)
    assert firing.refused == f"target {queue} is not a state machine: the local engine starts only those"


def test_engine_overlapping_firing_sees_the_earlier_execution_still_running(cloud: LocalCloud) -> None:
    # GIVEN an hourly schedule whose executions take 90 minutes
    target_arn = machine(wait_seconds=5400)
    create("hourly", "rate(1 hour)", {"Arn": target_arn, "RoleArn": role("scheduler-role")})
    sfn = boto3.client("stepfunctions")
    seen: list[list[str]] = []

    def on_fire(firing: Firing) -> None:  # what a run started by this firing would see when it looks
        seen.append(
            sorted(
                e["name"] for e in sfn.list_executions(stateMachineArn=target_arn, statusFilter="RUNNING")["executions"]
            )
        )

    # WHEN three hours pass
    fired = SchedulerEngine(cloud.clock).advance(3 * 3600, on_fire)
    # THEN each firing starts while the previous execution is still running, as on AWS
    assert [f.scheduled_iso for f in fired] == [
        "2026-01-05T09:00:00Z",
        "2026-01-05T10:00:00Z",
        "2026-01-05T11:00:00Z",
        "2026-01-05T12:00:00Z",
    ]
    assert [len(names) for names in seen] == [1, 2, 2, 2]
    described = executions(target_arn)
    assert [d["status"] for d in described] == ["SUCCEEDED"] * 4
    assert [(d["stopDate"] - d["startDate"]).total_seconds() for d in described] == [5400.0] * 4


def test_engine_start_date_in_the_past_is_refused_by_scheduler_on_the_simulated_clock(cloud: LocalCloud) -> None:
    # moto compares StartDate with now: the simulated now, not the machine's
    target = {"Arn": machine(), "RoleArn": role("scheduler-role")}
    create("ok", "cron(0 * * * ? *)", target, StartDate=datetime.datetime.fromtimestamp(EPOCH + 60, UTC))
    with pytest.raises(boto3.client("scheduler").exceptions.ValidationException):
        create("late", "cron(0 * * * ? *)", target, StartDate=datetime.datetime.fromtimestamp(EPOCH - 3600, UTC))


# -- the clock's holds, which the engine relies on ------------------------------------------------------


def test_clock_hold_stops_only_the_group_past_its_time_until_raised() -> None:
    clock, group = SimClock(), object()
    clock.hold(group, EPOCH + 60)
    done: list[float] = []

    def work() -> None:
        clock.advance(30)  # within the hold: goes on
        clock.advance(100)  # past it: waits until the hold is raised
        done.append(clock.now())

    # A thread started inside grouped() belongs to the group (local.patches forks its lane in Thread.start).
    with clock.grouped(group):
        lane = clock.fork()
    worker = threading.Thread(target=lambda: (clock.adopt(lane), work()))
    worker.start()
    assert clock.wait_until(lambda: clock.reached(group), timeout=10)
    assert done == [] and worker.is_alive()
    clock.advance(500)  # a thread outside the group is never held
    clock.hold(group, EPOCH + 1000)
    worker.join(10)
    assert done == [EPOCH + 130] and not clock.reached(group)
