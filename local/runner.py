"""Drive the real pipeline in the local cloud: deploy, upload data, upload params, wait, collect.

``LocalPipeline`` is what the CLI, the end-to-end tests and the benchmarks share. Every run goes through
the real path: ``put_object(params.json)`` -> S3 EventBridge notification -> the template's rule -> the
state machine -> the handlers -> the Personalize emulator -> SNS -> an SQS queue standing in for e-mail.
Any upload (``upload``) starts whatever the template's rules start (the pipeline for the parameters file,
the teardown for its file); ``advance`` moves the simulated clock and fires the EventBridge Scheduler
schedules that come due (``local.scheduler``). Each execution is then collected as a ``RunResult`` saying
which state machine ran and what started it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3

from local import state as local_state
from local.clock import SimClock
from local.deploy import (
    Notification,
    Stack,
    deploy_stack,
    execution_history,
    local_cloud,
    subscribe_queue,
    wait_for_execution,
)
from local.faults import Fault, FaultError, FaultPlan
from local.personalize import STEPS, PersonalizeEmulator, Timeline, install, uninstall
from local.scheduler import Firing, SchedulerEngine

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
#: The steps ``--fail`` accepts: every step the emulator can fail like the service.
FAIL_STEPS = STEPS
TIMELINES = {"instant": Timeline.instant, "realistic": Timeline.realistic, "typical": Timeline.typical}
#: Real seconds a single execution may take before the run is declared hung.
EXECUTION_TIMEOUT_S = 300.0


class SetupError(RuntimeError):
    """The local cloud could not be set up as asked (bad path, deploy failure): exit code 2."""


@dataclass
class Event:
    """One line of the live view: a state entered, a resource status change, a task failure."""

    sim_time: float
    kind: str  # state | status | failure | fault
    text: str
    #: The clock group (upload or schedule firing) whose thread caused it; None for history events.
    group: object | None = field(default=None, repr=False, compare=False)


@dataclass(eq=False)
class Trigger:
    """What started executions: an upload of a key (with the file uploaded) or a schedule firing. Also the
    clock group (``SimClock.grouped``) of the threads of those executions."""

    trigger: dict[str, str]
    params: str | None = None


@dataclass
class DataSync:
    """What one ``--data`` sync did: the keys uploaded (with their size) and those already up to date."""

    uploaded: list[tuple[str, int]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    #: The file uploaded, for a run an upload started; None for a scheduled run.
    params: str | None
    status: str
    executionArn: str  # noqa: N815 - the CLI's JSON contract is camelCase
    stateTransitions: int  # noqa: N815
    lambdaInvocations: int  # noqa: N815
    simulatedSeconds: float  # noqa: N815
    notification: dict[str, str] | None
    #: ``pipeline`` or ``teardown``: the state machine's logical id without ``StateMachine``, lower-cased.
    stateMachine: str = "pipeline"  # noqa: N815
    #: ``{"upload": key}`` or ``{"schedule": name, "scheduledTime": iso}``.
    trigger: dict[str, str] = field(default_factory=dict)
    #: What the run changed since the previous run of its dataset group, as its e-mail says (None: no e-mail
    #: was composed, e.g. a duplicate delivery, or a teardown run).
    changes: dict[str, Any] | None = None
    wallSeconds: float = 0.0  # noqa: N815
    #: Simulated start time (epoch seconds), for ordering and the live view's clock.
    started: float = 0.0
    events: list[Event] = field(default_factory=list, repr=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for internal in ("events", "wallSeconds", "started"):
            data.pop(internal)
        return data


class _HandlerOutput(io.TextIOBase):
    """stdout/stderr stand-in: the main thread writes through, handler threads write into a log buffer.

    Handlers log JSON lines (Powertools) as on Lambda, where they land in CloudWatch Logs. Here they
    land in ``LocalPipeline.handler_logs`` so the live view and the ``--json`` contract stay readable.
    """

    def __init__(self, real: Any, main_thread: int, sink: list[str]) -> None:
        self._real, self._main, self._sink = real, main_thread, sink

    def write(self, text: str) -> int:
        if threading.get_ident() == self._main:
            return self._real.write(text)
        self._sink.append(text)
        return len(text)

    def flush(self) -> None:
        self._real.flush()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._real, "encoding", "utf-8")

    def isatty(self) -> bool:
        return self._real.isatty()


class LocalPipeline:
    """The deployed stack plus the emulator, as a context manager."""

    def __init__(
        self,
        *,
        timeline: str = "instant",
        fail_steps: tuple[str, ...] | list[str] = (),
        faults: Iterable[Fault | str] = (),
        email: str = "pipeline-owner@example.com",
        parameter_file: str = "params.json",
        template: Path = TEMPLATE,
        state: Path | None = None,
    ) -> None:
        unknown = sorted(set(fail_steps) - set(FAIL_STEPS))
        if unknown:
            raise SetupError(f"unknown --fail step {', '.join(unknown)}; choose from {', '.join(FAIL_STEPS)}")
        if timeline not in TIMELINES:
            raise SetupError(f"unknown timeline {timeline!r}; choose {', '.join(TIMELINES)}")
        try:
            self.faults = FaultPlan(f if isinstance(f, Fault) else Fault.parse(f) for f in faults)
        except FaultError as error:
            raise SetupError(f"--fault {error}") from error
        try:  # --state: resume the saved local cloud (local/state.py)
            self.saved = local_state.load(state) if state is not None and local_state.exists(state) else None
        except local_state.StateError as error:
            raise SetupError(str(error)) from error
        self.clock = SimClock(self.saved.sim_time) if self.saved else SimClock()
        self.emulator = PersonalizeEmulator(
            self.clock, TIMELINES[timeline](), fail_steps=set(fail_steps), faults=self.faults
        )
        if self.saved:
            self.emulator.restore(self.saved.personalize)
        self.parameter_file = parameter_file
        self.email = email
        self.template = template
        self.handler_logs: list[str] = []
        self.deploy_seconds = 0.0
        self._events: list[Event] = []
        self._events_lock = threading.Lock()
        self._triggers: dict[str, Trigger] = {}
        self._firing_groups: dict[str, object] = {}
        self._wall_start: dict[str, float] = {}
        self._mail: list[Notification] = []
        self.scheduler = SchedulerEngine(self.clock)
        self.emulator.add_listener(self._on_status)
        self._stack: contextlib.ExitStack | None = None
        self.stack: Stack
        self.runtime: Any

    # -------------------------------------------------------------------------------- lifecycle
    def __enter__(self) -> LocalPipeline:
        started = time.monotonic()
        self._stack = contextlib.ExitStack()
        try:
            main = threading.get_ident()
            self._stack.enter_context(contextlib.redirect_stdout(_HandlerOutput(sys.stdout, main, self.handler_logs)))
            self._stack.enter_context(contextlib.redirect_stderr(_HandlerOutput(sys.stderr, main, self.handler_logs)))
            install(self.emulator)
            self._stack.callback(uninstall)
            cloud = self._stack.enter_context(local_cloud(self.clock))
            self.runtime = cloud.runtime
            try:
                self.stack = deploy_stack(self.template, {"Email": self.email, "ParameterFile": self.parameter_file})
            except Exception as error:  # noqa: BLE001 - any deploy failure is a setup error for the CLI
                raise SetupError(f"deploying {self.template.name} into the local cloud failed: {error}") from error
            try:  # lambda-* faults name functions by logical id; the runtime knows them by deployed name
                self.faults.retarget(self.stack.of_type("AWS::Lambda::Function"))
            except FaultError as error:
                raise SetupError(f"--fault {error}") from error
            self.runtime.faults = self.faults
            self.faults.listeners.append(self._on_fault)
            self.inbox = subscribe_queue(self.stack.topic_arn)
            if self.saved:
                self._restore_bucket(self.saved.bucket)
        except BaseException:
            self._stack.close()
            raise
        self.deploy_seconds = time.monotonic() - started
        return self

    def __exit__(self, *exc_info: Any) -> None:
        assert self._stack is not None
        self._stack.close()

    def inject(self, faults: Iterable[Fault | str]) -> FaultPlan:
        """Replace the pending faults (``local.faults``) with ``faults``, from the next call on."""
        try:
            plan = FaultPlan(f if isinstance(f, Fault) else Fault.parse(f) for f in faults)
            plan.retarget(self.stack.of_type("AWS::Lambda::Function"))
        except FaultError as error:
            raise SetupError(f"--fault {error}") from error
        self.faults = self.emulator.faults = self.runtime.faults = plan
        plan.listeners.append(self._on_fault)
        return plan

    # -------------------------------------------------------------------------------- --state
    def save_state(self, directory: Path) -> Path:
        """Keep the emulator's resources, the bucket's objects and the simulated time in ``directory``."""
        s3 = boto3.client("s3")
        bucket = {
            obj["Key"]: s3.get_object(Bucket=self.stack.bucket_name, Key=obj["Key"])["Body"].read()
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.stack.bucket_name)
            for obj in page.get("Contents", [])
        }
        saved = local_state.SavedState(self.clock.latest, self.emulator.snapshot(), bucket)
        return local_state.save(directory, saved)

    def _restore_bucket(self, objects: dict[str, bytes]) -> None:
        """Put the saved objects back, except root ``.json`` files: uploading those starts runs (params.json,
        the teardown request), and a run's own upload brings them anyway."""
        s3 = boto3.client("s3")
        for key, body in objects.items():
            if "/" not in key and key.endswith(".json"):
                continue
            s3.put_object(Bucket=self.stack.bucket_name, Key=key, Body=body)

    # -------------------------------------------------------------------------------- inputs
    def upload_data(self, data_dir: Path) -> DataSync:
        """Sync ``data_dir`` to the bucket root like ``aws s3 sync DIR s3://bucket/``: every file, under its
        path relative to ``data_dir`` (any folder name or case, root files included), new or changed ones
        uploaded, nothing deleted. Changed means different bytes (the object's ETag is the MD5 of a single
        PUT); ``aws s3 sync`` compares size and modification time instead, which would make runs depend
        on file times. The parameters file is refused at the root: uploading it would start a run.
        """
        if not data_dir.is_dir():
            raise SetupError(f"--data {data_dir}: not a directory")
        files = sorted(path for path in data_dir.rglob("*") if path.is_file())
        keys = [path.relative_to(data_dir).as_posix() for path in files]
        for key in sorted(set(keys) & self.run_keys()):
            option = "--params" if key == self.parameter_file else f"--upload FILE={key}"
            raise SetupError(
                f"--data {data_dir}: holds {key} at its root, and syncing it would start a run; pass it with {option}"
            )
        s3 = boto3.client("s3")
        existing = {
            obj["Key"]: obj["ETag"].strip('"')
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.stack.bucket_name)
            for obj in page.get("Contents", [])
        }
        sync = DataSync()
        for path, key in zip(files, keys, strict=True):
            body = path.read_bytes()
            if existing.get(key) == hashlib.md5(body, usedforsecurity=False).hexdigest():
                sync.unchanged.append(key)
                continue
            s3.put_object(Bucket=self.stack.bucket_name, Key=key, Body=body)
            sync.uploaded.append((key, len(body)))
        return sync

    def run_keys(self) -> set[str]:
        """The object keys whose upload starts a run: those the stack's EventBridge rules match
        (``detail.object.key``), read from the deployed rules, so a new rule of the template counts too."""
        events = boto3.client("events")
        keys: set[str] = set()
        for page in events.get_paginator("list_rules").paginate():
            for rule in page["Rules"]:
                pattern = json.loads(rule.get("EventPattern") or "{}")
                wanted = pattern.get("detail", {}).get("object", {}).get("key", [])
                keys.update(k for k in wanted if isinstance(k, str))
        return keys

    def run(self, params: Path, on_event: Callable[[Event], None] | None = None) -> RunResult:
        """Upload ``params`` as the bucket's parameters object and follow the execution it starts."""
        wall = time.monotonic()
        arn = self.start(params)
        return self.finish(arn, on_event, wall=wall)

    def start(self, params: Path) -> str:
        """Upload ``params`` without waiting: the ARN of the execution the upload started."""
        started = self.upload(params, self.parameter_file, option="--params")
        if len(started) != 1:
            raise SetupError(f"uploading {self.parameter_file} started {len(started)} executions, expected 1")
        return started[0]

    def upload(self, path: Path, key: str, *, option: str = "--upload") -> list[str]:
        """Put the file ``path`` at ``key`` in the bucket, as a user would, without waiting: the ARNs of the
        executions the upload started (those the template's rules start, of any state machine), oldest first."""
        try:
            body = path.read_bytes()
        except OSError as error:
            raise SetupError(f"{option} {path}: {error.strerror or error}") from error
        return self.put(body, key, source=str(path))

    def put(self, body: bytes, key: str, *, source: str | None = None) -> list[str]:
        """``upload`` of bytes rather than a file (``source`` names where they came from, for ``params``)."""
        sfn = boto3.client("stepfunctions")
        before = {e["executionArn"] for e in self._executions(sfn)}
        trigger = Trigger({"upload": key}, source)
        with self.clock.grouped(trigger):  # the executions it starts, and their Lambda invocations, are its own
            boto3.client("s3").put_object(Bucket=self.stack.bucket_name, Key=key, Body=body)
        started = [e for e in self._executions(sfn) if e["executionArn"] not in before]
        started.sort(key=lambda e: (e["startDate"], e["executionArn"]))
        for execution in started:
            self._triggers[execution["executionArn"]] = trigger
        return [e["executionArn"] for e in started]

    def advance(self, seconds: float, on_fire: Callable[[Firing], None] | None = None) -> list[Firing]:
        """Move the simulated clock ``seconds`` forward, firing the schedules that come due
        (``local.scheduler``); the executions they started have ended when it returns."""

        def fired(firing: Firing) -> None:
            if firing.execution_arn:  # a scheduled run's wall time counts from its firing
                self._wall_start[firing.execution_arn] = time.monotonic()
            if on_fire:
                on_fire(firing)

        firings = self.scheduler.advance(seconds, fired)
        for firing in firings:
            if firing.execution_arn:
                trigger = {"schedule": firing.name, "scheduledTime": firing.scheduled_iso}
                self._triggers[firing.execution_arn] = Trigger(trigger)
                self._firing_groups[firing.execution_arn] = firing.token
        return firings

    def finish(
        self,
        arn: str,
        on_event: Callable[[Event], None] | None = None,
        *,
        wall: float | None = None,
    ) -> RunResult:
        """Wait for execution ``arn`` to end; its result, with the e-mail it sent."""
        wall = self._wall_start.pop(arn, time.monotonic()) if wall is None else wall
        sfn = boto3.client("stepfunctions")
        group = self._group_of(arn)
        events: list[Event] = []
        if on_event is None:  # nobody watches: no polling of the history while the run goes on
            wait_for_execution(arn, timeout_s=EXECUTION_TIMEOUT_S)
            events.extend(e for e in (_history_event(h) for h in execution_history(arn)) if e)
            events.extend(self._take_events(group))
            events.sort(key=lambda e: e.sim_time)
        else:
            events.extend(self._follow(arn, group, on_event))
        # wait_for_execution moved this thread (and the one that started a waiting helper) to the run's end,
        # so the next upload happens after this run, never "during" it.
        description = sfn.describe_execution(executionArn=arn)
        history = execution_history(arn)
        trigger = self._triggers.get(arn, Trigger({}))
        notification = self._notification_for(arn)
        return RunResult(
            params=trigger.params,
            status=description["status"],
            executionArn=arn,
            stateTransitions=sum(1 for e in history if e["type"].endswith("StateEntered")),
            lambdaInvocations=self.runtime.invocations_by_group[group],
            simulatedSeconds=round((description["stopDate"] - description["startDate"]).total_seconds(), 3),
            notification={"subject": notification.subject or "", "message": notification.message}
            if notification
            else None,
            stateMachine=self.stack.state_machine_label(description["stateMachineArn"]),
            trigger=dict(trigger.trigger),
            changes=changes_of(history),
            wallSeconds=self.scheduler.ended.get(arn, time.monotonic()) - wall,
            started=description["startDate"].timestamp(),
            events=events,
        )

    def trigger_of(self, arn: str) -> dict[str, str]:
        """What started an execution: ``{"upload": key}`` or ``{"schedule": name, "scheduledTime": iso}``."""
        return dict(self._triggers[arn].trigger) if arn in self._triggers else {}

    def state_machine_of(self, arn: str) -> str:
        """``pipeline`` or ``teardown``: which of the stack's state machines an execution belongs to."""
        description = boto3.client("stepfunctions").describe_execution(executionArn=arn)
        return self.stack.state_machine_label(description["stateMachineArn"])

    def started_at(self, arn: str) -> float:
        """An execution's simulated start time (epoch seconds)."""
        return float(boto3.client("stepfunctions").describe_execution(executionArn=arn)["startDate"].timestamp())

    def inventory(self) -> dict[str, list[str]]:
        """The emulator's Personalize resources and, under ``schedules``, every EventBridge Scheduler schedule
        (moto's Scheduler, every group), so a run's report shows what Apply Schedules left."""
        found = self.emulator.inventory(at=self.clock.latest)
        found["schedules"] = schedule_arns()
        return found

    # -------------------------------------------------------------------------------- live view
    def _executions(self, sfn: Any) -> list[dict[str, Any]]:
        """Every execution of every state machine of the stack."""
        paginator = sfn.get_paginator("list_executions")
        return [
            execution
            for machine in self.stack.state_machine_arns.values()
            for page in paginator.paginate(stateMachineArn=machine)
            for execution in page["executions"]
        ]

    def _group_of(self, arn: str) -> object | None:
        """The clock group of an execution's threads: its firing's, or the upload's that started it."""
        return self._firing_groups.get(arn) or self._triggers.get(arn)

    def _notification_for(self, arn: str) -> Notification | None:
        """The e-mail an execution sent: the last one naming it (every pipeline e-mail ends with the
        execution ARN), else the oldest one naming no execution. Each e-mail goes to one run only."""
        self._mail.extend(self.inbox.receive())
        mine = [n for n in self._mail if arn in n.message]
        if not mine:
            mine = [n for n in self._mail if "Execution: arn:" not in n.message][:1]
        for notification in mine:
            self._mail.remove(notification)
        return mine[-1] if mine else None

    def _follow(self, arn: str, group: object | None, on_event: Callable[[Event], None] | None) -> Iterator[Event]:
        """Yield history and emulator events, in simulated-time order per batch, until the run ends."""
        done = threading.Event()
        result: dict[str, Any] = {}

        def wait() -> None:
            try:
                result["description"] = wait_for_execution(arn, timeout_s=EXECUTION_TIMEOUT_S)
            except BaseException as error:  # noqa: BLE001 - re-raised in the main thread below
                result["error"] = error
            finally:
                done.set()

        waiter = threading.Thread(target=wait, name="wait-for-execution", daemon=True)
        waiter.start()
        seen = 0
        while True:
            # moto serialises the whole history on every call, so poll a few times a second, not more.
            finished = done.wait(0.25)
            history = execution_history(arn)
            batch = [e for e in (_history_event(h) for h in history[seen:]) if e]
            seen = len(history)
            batch += self._take_events(group)
            for event in sorted(batch, key=lambda e: e.sim_time):
                if on_event:
                    on_event(event)
                yield event
            if finished:
                break
        waiter.join()
        if "error" in result:
            raise SetupError(f"the execution did not finish: {result['error']}")

    def _on_status(self, sim_time: float, resource_type: str, arn: str, old: str | None, new: str | None) -> None:
        name = arn.split(":", 5)[-1].split("/", 1)[-1]  # the id after "<type>/"
        label = _RESOURCE_LABELS.get(resource_type, resource_type)
        text = f"{label} {name}: {old or 'absent'} -> {new or 'deleted'}"
        self._add_event(Event(sim_time, "status", text, self.clock.group()))

    def _on_fault(self, kind: str, target: str) -> None:
        names = {name: logical for logical, name in self.stack.of_type("AWS::Lambda::Function").items()}
        text = f"injected {kind} on {names.get(target, target)}"
        self._add_event(Event(self.clock.now(), "fault", text, self.clock.group()))

    def _add_event(self, event: Event) -> None:
        with self._events_lock:
            self._events.append(event)

    def _take_events(self, group: object | None) -> list[Event]:
        """The emulator and fault events caused by the threads of ``group`` (an upload's or a firing's)."""
        with self._events_lock:
            taken = [e for e in self._events if e.group is group]
            self._events = [e for e in self._events if e.group is not group]
        return taken


_RESOURCE_LABELS = {
    "datasetGroup": "dataset group",
    "dataset": "dataset",
    "datasetImportJob": "import job",
    "solution": "solution",
    "solutionVersion": "solution version",
    "campaign": "campaign",
    "batchInferenceJob": "batch inference job",
    "batchSegmentJob": "batch segment job",
    "campaignUpdate": "campaign update",
    "solutionUpdate": "solution update",
    "recommender": "recommender",
    "recommenderUpdate": "recommender update",
    "schema": "schema",
    "eventTracker": "event tracker",
    "filter": "filter",
}


#: The states whose task composes the e-mail, and returns the run's ``changes`` beside it.
SUMMARY_STATES = ("Summarize Run", "Summarize Failure")


def changes_of(history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The ``changes`` the notify function returned to Summarize Run or Summarize Failure (the state keeps only
    the subject and message, the task's result in the history has it all)."""
    state, changes = "", None
    for event in history:
        if event["type"] == "TaskStateEntered":
            state = event["stateEnteredEventDetails"]["name"]
        elif event["type"] == "TaskSucceeded" and state in SUMMARY_STATES:
            output = json.loads(event["taskSucceededEventDetails"].get("output") or "{}")
            changes = (output.get("Payload") or {}).get("changes")
    return changes


def _history_event(event: dict[str, Any]) -> Event | None:
    when = event["timestamp"].timestamp()
    if event["type"].endswith("StateEntered") and event["type"] != "ChoiceStateEntered":
        details = event["stateEnteredEventDetails"]
        return Event(when, "state", details["name"] + _iteration_tag(details.get("input")))
    if event["type"] in ("TaskFailed", "LambdaFunctionFailed", "ExecutionFailed"):
        details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
        return Event(when, "failure", f"{details.get('error', 'error')}: {_first_line(details.get('cause', ''))}")
    return None


def _iteration_tag(state_input: str | None) -> str:
    """Which dataset, solution or campaign a Map iteration works on: parallel iterations look alike."""
    try:
        spec = json.loads(state_input or "{}").get("spec")
    except (ValueError, AttributeError):
        return ""
    if not isinstance(spec, dict):
        return ""
    tag = spec.get("datasetType") or (spec.get("solution") or {}).get("name") or spec.get("name") or spec.get("jobName")
    return f" [{tag}]" if tag else ""


def _first_line(cause: str) -> str:
    """A Lambda failure's cause is the runtime's JSON (errorMessage, errorType, stackTrace)."""
    try:
        parsed = json.loads(cause)
        text = str(parsed.get("errorMessage", cause)) if isinstance(parsed, dict) else cause
    except ValueError:
        text = cause
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


def schedule_arns() -> list[str]:
    """ARNs of every schedule in moto's EventBridge Scheduler, in every account and region, sorted."""
    from moto.scheduler.models import scheduler_backends

    arns = []
    for account in list(scheduler_backends):
        for region in list(scheduler_backends[account]):
            for group in list(scheduler_backends[account][region].schedule_groups.values()):
                arns += [schedule.arn for schedule in group.schedules.values()]
    return sorted(arns)
