"""EventBridge Scheduler for the local cloud: fires the schedules of moto's scheduler backend on the simulated
clock (``python -m local run --advance``).

moto stores schedules (Create/Get/Update/Delete/ListSchedules) but never invokes a target. ``SchedulerEngine``
does, with the service's documented behaviour (EventBridge Scheduler User Guide, "Schedule types",
"Configuring flexible time windows", "Adding context attributes"; API reference, CreateSchedule):

- only ENABLED schedules fire; at most once per scheduled time, with 60-second precision AWS fires somewhere in
  that minute: here exactly on time;
- ``rate(N minutes|hours|days)`` fires first at its StartDate, or, without one, at once on creation
  ("starts invoking the target immediately"), then every N units of elapsed time (a day is 24 hours,
  whatever daylight saving time does to the wall clock);
- ``cron(min hour day-of-month month day-of-week year)`` (AWS's six fields, ``?``, ``L``, ``W``, ``#``)
  is evaluated on the wall clock of ``ScheduleExpressionTimezone`` (default UTC): a time that does not exist
  (spring forward) is skipped, a time that exists twice (fall back) fires once, the first time;
  ``at(yyyy-mm-ddThh:mm:ss)`` fires once, and ``ActionAfterCompletion: DELETE`` then deletes the schedule;
- nothing fires before StartDate nor at or after EndDate ("before which the schedule can invoke its
  target": the safer reading of an end that "might stop on, or before" it);
- FlexibleTimeWindow OFF fires at the scheduled time; FLEXIBLE fires within MaximumWindowInMinutes after
  it, at an offset the engine derives from the schedule's ARN and the scheduled time (the same run always
  picks the same offset; AWS picks one to spread load);
- ``<aws.scheduler.schedule-arn>``, ``<aws.scheduler.scheduled-time>`` (ISO-8601 UTC, as
  ``2022-03-22T18:59:43Z``), ``<aws.scheduler.execution-id>`` and ``<aws.scheduler.attempt-number>`` are
  replaced in the target's Input; without Input, Step Functions gets ``{}``;
- the target is started as its RoleArn: the role must trust ``scheduler.amazonaws.com`` (its conditions
  evaluated with ``aws:SourceAccount`` and ``aws:SourceArn`` of the schedule) and allow
  ``states:StartExecution`` on the state machine, both evaluated by ``local.iam`` as for the EventBridge rule
  target in ``local.patches``. A refused firing is reported (``Firing.refused``) and starts nothing; it is
  not retried (an IAM refusal would fail every retry alike). Only Step Functions state machine targets are
  run (the templated ``StartExecution`` target); any other target is reported as refused.

Which firings count: the occurrences since the schedule was last created or updated (LastModificationDate),
never fired before. Occurrences due before an advance begins (a rate schedule created during an upload run
fires "immediately") fire at the start of the next advance, at their own simulated time.

Overlap: the executions a firing starts run before the next firing is considered. If one of them is still
running when the next firing is due (in simulated time), the engine holds it there (``SimClock.hold``), so
it is RUNNING when the next firing's execution starts and looks for other runs, as on AWS; it resumes once
that execution has ended or reached the following firing time.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import re
import time
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pyawscron.awscron import AWSCron

from local import iam
from local.clock import SimClock

SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
#: Real seconds an execution may take (hang guard; simulated time makes runs fast).
EXECUTION_TIMEOUT_S = 300.0
_UTC = datetime.UTC


class ScheduleError(ValueError):
    """A schedule the engine cannot evaluate (its expression, time zone or dates); the message names it."""


@dataclass(frozen=True)
class Firing:
    """One invocation of a schedule's target: when it was due, when it fired, what it started or why not."""

    schedule_arn: str
    name: str
    schedule_group: str
    scheduled_time: float
    fired_at: float
    execution_arn: str | None = None
    state_machine_arn: str | None = None
    refused: str | None = None
    #: The clock group (``SimClock.grouped``) of the execution it started: its threads, its Lambda invocations.
    token: object = field(default=None, compare=False, repr=False)

    @property
    def scheduled_iso(self) -> str:
        return iso(self.scheduled_time)


def iso(epoch: float) -> str:
    """Scheduler's timestamp form, ``2022-03-22T18:59:43Z``."""
    return datetime.datetime.fromtimestamp(int(epoch), _UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(value: Any) -> float | None:
    """moto keeps StartDate/EndDate as sent (epoch seconds from boto3) and the dates it sets as epoch floats."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=_UTC)).timestamp()
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except ValueError:
        return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


# -- when a schedule is due ---------------------------------------------------------------------------


def occurrences(schedule: dict[str, Any], after: float) -> Iterator[float]:
    """The schedule's scheduled times strictly after ``after`` (epoch seconds), in order, forever or until
    its EndDate or last occurrence. ``schedule`` is moto's ``Schedule.to_dict()`` (the GetSchedule shape)."""
    expression = str(schedule["ScheduleExpression"]).strip()
    start, end = _epoch(schedule.get("StartDate")), _epoch(schedule.get("EndDate"))
    created = _epoch(schedule.get("CreationDate")) or 0.0
    for when in _expression_times(schedule, expression, after, start, created):
        if end is not None and when >= end:
            return
        if start is not None and when < start:
            continue
        yield when


def _expression_times(
    schedule: dict[str, Any], expression: str, after: float, start: float | None, created: float
) -> Iterator[float]:
    name = schedule.get("Name", "?")
    if match := _RATE.match(expression):
        value, unit = int(match.group(1)), match.group(2).rstrip("s")
        if value <= 0:
            raise ScheduleError(f"schedule {name}: {expression}: the rate must be a positive integer")
        period = value * _UNIT_SECONDS[unit]
        anchor = float(int(start if start is not None else created))
        k = 0 if after < anchor else int((after - anchor) // period) + 1
        while True:
            yield anchor + k * period
            k += 1
    zone = _zone(schedule)
    if match := _CRON.match(expression):
        fields = match.group(1).split()
        if len(fields) != 6:
            raise ScheduleError(f"schedule {name}: {expression}: 6 fields expected, found {len(fields)}")
        try:
            cron = AWSCron(" ".join(fields))
        except (ValueError, IndexError) as error:
            raise ScheduleError(f"schedule {name}: {expression}: {error}") from error
        yield from _cron_times(cron, zone, after)
        return
    if match := _AT.match(expression):
        wall = datetime.datetime.fromisoformat(match.group(1))
        when = _to_utc(wall, zone)
        if when is not None and when > after:
            yield when
        return
    raise ScheduleError(f"schedule {name}: {expression!r} is not a rate, cron or at expression")


def _zone(schedule: dict[str, Any]) -> zoneinfo.ZoneInfo:
    name = schedule.get("ScheduleExpressionTimezone") or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ScheduleError(f"schedule {schedule.get('Name', '?')}: unknown time zone {name!r}") from error


def _to_utc(wall: datetime.datetime, zone: zoneinfo.ZoneInfo) -> float | None:
    """The instant of a wall-clock time in ``zone``; None when that wall time does not exist (spring forward).
    For a wall time that exists twice (fall back) the first instant (fold=0)."""
    local = wall.replace(tzinfo=zone, fold=0)
    instant = local.astimezone(_UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return instant.timestamp()


def _cron_times(cron: AWSCron, zone: zoneinfo.ZoneInfo, after: float) -> Iterator[float]:
    """Cron times on ``zone``'s wall clock. The library computes on UTC datetimes; it is given the wall clock
    dressed as UTC, and each wall time found is turned into its instant in ``zone``."""
    wall = datetime.datetime.fromtimestamp(after, _UTC).astimezone(zone).replace(tzinfo=None)
    # An hour back covers the fall-back hour, whose wall times precede ``after``'s.
    cursor = (wall - datetime.timedelta(hours=1)).replace(tzinfo=_UTC)
    while True:
        found = cron.occurrence(cursor).next()
        if found is None:
            return
        cursor = found
        when = _to_utc(found.replace(tzinfo=None), zone)
        if when is not None and when > after:
            yield when


def flexible_offset(schedule: dict[str, Any], scheduled: float) -> float:
    """Seconds after the scheduled time at which a FLEXIBLE schedule fires: within its window, derived from
    its ARN and the scheduled time so that the same run always fires at the same time."""
    window = schedule.get("FlexibleTimeWindow") or {}
    if window.get("Mode") != "FLEXIBLE":
        return 0.0
    minutes = int(window.get("MaximumWindowInMinutes") or 0)
    if minutes <= 0:
        return 0.0
    digest = hashlib.sha256(f"{schedule['Arn']}|{iso(scheduled)}".encode()).digest()
    return float(int.from_bytes(digest[:8], "big") % (minutes * 60))


# -- the engine ---------------------------------------------------------------------------------------


@dataclass
class _Pending:
    schedule: dict[str, Any]
    scheduled: float
    fire_at: float


@dataclass
class SchedulerEngine:
    """Fires the schedules of moto's scheduler backend as the simulated clock advances.

    ``advance(seconds)`` is called from the thread that drives the local cloud (the CLI's main thread).
    """

    clock: SimClock
    account: str = "123456789012"
    region: str = "us-east-1"
    #: schedule ARN -> (its LastModificationDate when last seen, the last scheduled time handled)
    _handled: dict[str, tuple[float, float]] = field(default_factory=dict)
    firings: list[Firing] = field(default_factory=list)
    #: Execution ARN -> when (``time.monotonic()``) the engine saw it end: its wall time for the report.
    ended: dict[str, float] = field(default_factory=dict)

    # -- reading moto -----------------------------------------------------------------------------------
    def _backend(self) -> Any:
        from moto.scheduler.models import scheduler_backends

        return scheduler_backends[self.account][self.region]

    def schedules(self) -> list[dict[str, Any]]:
        """Every schedule of every group, as GetSchedule answers."""
        backend = self._backend()
        return [s.to_dict() for g in list(backend.schedule_groups.values()) for s in list(g.schedules.values())]

    def _next_due(self, schedule: dict[str, Any]) -> _Pending | None:
        if (schedule.get("State") or "ENABLED") != "ENABLED":
            return None
        modified = _epoch(schedule.get("LastModificationDate")) or 0.0
        seen = self._handled.get(schedule["Arn"])
        # A schedule created or updated since it was last seen counts from that moment on.
        after = seen[1] if seen and seen[0] == modified else modified - 1e-6
        scheduled = next(occurrences(schedule, after), None)
        if scheduled is None:
            return None
        return _Pending(schedule, scheduled, scheduled + flexible_offset(schedule, scheduled))

    def due(self, until: float) -> list[_Pending]:
        """The next firing of each schedule due by ``until`` (simulated epoch seconds), earliest first."""
        pending = [p for s in self.schedules() if (p := self._next_due(s)) and p.fire_at <= until]
        return sorted(pending, key=lambda p: (p.fire_at, p.schedule["Arn"]))

    # -- advancing ------------------------------------------------------------------------------------
    def advance(self, seconds: float, on_fire: Callable[[Firing], None] | None = None) -> list[Firing]:
        """Move the calling thread's simulated time forward by ``seconds``, firing every schedule that comes
        due (and those due earlier and not yet fired) in time order. Returns the firings, in that order;
        the executions they started have ended when it returns."""
        if seconds < 0:
            raise ValueError("the simulated clock never goes backwards")
        end = self.clock.now() + seconds
        fired: list[Firing] = []
        running: list[tuple[Firing, object]] = []
        try:
            while pending := self.due(end):
                first = pending[0]
                # Everything running reaches this firing's time (or ends) before it fires, one after the
                # other, so that what they do in between happens in the same order on every run.
                for firing, group in running:
                    self.clock.hold(group, first.fire_at)
                    self._wait(firing, group)
                running = [(f, g) for f, g in running if self._status(f) == "RUNNING"]
                firing, group = self._fire(first)
                fired.append(firing)
                self.firings.append(firing)
                if on_fire:
                    on_fire(firing)
                if firing.execution_arn:
                    # It started held at its start time; it now runs alone up to the next firing (or its
                    # end) while the others stay held.
                    following = self.due(end)
                    self.clock.hold(group, following[0].fire_at if following else float("inf"))
                    self._wait(firing, group)
                    running.append((firing, group))
            self.clock.release_all()
            for firing, _ in running:
                self._wait(firing, None)
        finally:
            self.clock.release_all()
        self.clock.advance_to(end)
        return fired

    def _status(self, firing: Firing) -> str:
        from moto.stepfunctions.responses import get_backend

        assert firing.execution_arn
        execution = get_backend(self.account, self.region).describe_execution(firing.execution_arn)
        return "RUNNING" if execution.exec_status is None else str(execution.exec_status.value)

    def _wait(self, firing: Firing, group: object | None) -> None:
        """Until the execution ends or, when held, has a thread waiting at its hold."""

        def settled() -> bool:
            if self._status(firing) in _TERMINAL:
                self.ended.setdefault(str(firing.execution_arn), time.monotonic())
                return True
            return group is not None and self.clock.reached(group)

        if not self.clock.wait_until(settled, EXECUTION_TIMEOUT_S):
            raise TimeoutError(f"{firing.execution_arn} (schedule {firing.name}) still running after the hang guard")

    def _fire(self, pending: _Pending) -> tuple[Firing, object]:
        schedule, scheduled = pending.schedule, pending.scheduled
        arn = schedule["Arn"]
        self._handled[arn] = (_epoch(schedule.get("LastModificationDate")) or 0.0, scheduled)
        target = schedule.get("Target") or {}
        group = object()
        base = Firing(
            arn, schedule["Name"], schedule.get("GroupName") or "default", scheduled, pending.fire_at, token=group
        )
        try:
            state_machine = self._authorize(schedule, target)
            execution_id = hashlib.sha256(f"{arn}|{iso(scheduled)}".encode()).hexdigest()[:16]
            execution_input = _substitute(target.get("Input"), arn, scheduled, execution_id)
            # Held from its first moment, so that nothing it does races with what the caller does next.
            self.clock.hold(group, pending.fire_at)
            with self.clock.running_at(pending.fire_at), self.clock.grouped(group):
                execution = self._start(state_machine, execution_input)
        except _Refused as refused:
            firing = dataclasses.replace(base, refused=str(refused))
        else:
            firing = dataclasses.replace(base, execution_arn=execution, state_machine_arn=state_machine)
        if schedule.get("ActionAfterCompletion") == "DELETE" and str(schedule["ScheduleExpression"]).startswith("at("):
            self._backend().delete_schedule(schedule.get("GroupName"), schedule["Name"])
        return firing, group

    def _authorize(self, schedule: dict[str, Any], target: dict[str, Any]) -> str:
        """The state machine ARN to start, once the target's role may be assumed by Scheduler and may start it."""
        arn = str(target.get("Arn", ""))
        if not re.match(r"^arn:aws[a-z-]*:states:[^:]+:\d{12}:stateMachine:[^:]+$", arn):
            raise _Refused(f"target {arn or '(none)'} is not a state machine: the local engine starts only those")
        role_arn = str(target.get("RoleArn", ""))
        if not role_arn:
            raise _Refused("the target has no RoleArn")
        context = {
            "aws:SourceAccount": self.account,
            "aws:SourceArn": schedule["Arn"],
            "aws:SecureTransport": "true",
            "aws:PrincipalServiceName": SCHEDULER_PRINCIPAL,
        }
        service = iam.Caller(SCHEDULER_PRINCIPAL, role_arn, SCHEDULER_PRINCIPAL)
        try:
            trust = iam.trust_statements(role_arn)
        except Exception as error:  # noqa: BLE001 - moto raises its own NoSuchEntity
            raise _Refused(f"role {role_arn} does not exist") from error
        if not iam.decide([], trust, service, "sts:AssumeRole", role_arn, context).allowed:
            raise _Refused(f"role {role_arn} does not trust {SCHEDULER_PRINCIPAL} for schedule {schedule['Arn']}")
        caller = iam.Caller.for_role(role_arn, "scheduler")
        try:
            context = iam.request_context(caller, self.region, secure=True)
            iam.authorize(caller, [iam.Check("states:StartExecution", arn)], context)
        except iam.AccessDenied as denied:
            raise _Refused(str(denied)) from denied
        return arn

    def _start(self, state_machine: str, execution_input: str) -> str:
        from moto.stepfunctions.responses import get_backend

        from local.patches import next_execution_name

        try:
            execution = get_backend(self.account, self.region).start_execution(
                state_machine, name=next_execution_name(), execution_input=execution_input
            )
        except Exception as error:  # noqa: BLE001 - StateMachineDoesNotExist, InvalidExecutionInput...
            raise _Refused(f"StartExecution of {state_machine} failed: {error}") from error
        return str(execution.execution_arn)


class _Refused(Exception):
    """A firing that starts nothing; the message says why."""


def _substitute(text: str | None, arn: str, scheduled: float, execution_id: str) -> str:
    if text is None:
        return "{}"
    values = {
        "<aws.scheduler.schedule-arn>": arn,
        "<aws.scheduler.scheduled-time>": iso(scheduled),
        "<aws.scheduler.execution-id>": execution_id,
        "<aws.scheduler.attempt-number>": "1",
    }
    for keyword, value in values.items():
        text = text.replace(keyword, value)
    return text
