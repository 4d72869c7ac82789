"""The local cloud's command line: ``python -m local run`` (the contract is in design.md §8).

    python -m local run [--data DIR | --params FILE | --upload FILE=KEY | --advance DURATION]...
                        [--timeline instant|realistic|typical] [--fail STEP]... [--fault KIND:TARGET[:COUNT]]...
                        [--json]

The steps run in command-line order, each after the previous one is over:

- ``--data DIR`` mirrors ``aws s3 sync DIR s3://<bucket>/``: every file of DIR under its relative path (any
  folder name or case, root files too), new or changed files only, nothing deleted;
- ``--params FILE`` uploads FILE as the bucket's parameters object (``params.json``): the template's rule
  starts the pipeline;
- ``--upload FILE=KEY`` puts FILE at KEY (split at the first ``=``; the key may hold more). A key a rule of
  the template matches starts that run like any upload on AWS: ``params.json`` the pipeline, the teardown
  file (``delete.json``) the teardown; any other key starts nothing;
- ``--advance DURATION`` (``90m``, ``12h``, ``7d``, ``1d12h``; days, hours, minutes, seconds in that order)
  moves the simulated clock and fires every ENABLED EventBridge Scheduler schedule that comes due, in time
  order, as ``local.scheduler`` describes (rate from creation or StartDate, cron on its time zone's wall clock,
  StartDate/EndDate, flexible windows, context attributes, the target's role checked).

Each step waits for every execution it started, of any state machine. Defaults: without any ``--data``,
example/data is synced first; without any ``--params`` or ``--upload``, example/params.json is uploaded once,
before the first ``--advance`` (at the end without one). A ``--data`` after the last other step is a usage
error (nothing would read it).

``--state DIR`` (local/state.py) resumes the local cloud saved in DIR and saves it after the runs;
``python -m local recommend --state DIR --campaign NAME ...`` queries it (local/recommend.py).

Exit codes: 0 when the last run (in start order) SUCCEEDED, 1 when it did not or no run started, 2 on usage or
setup errors (one line on stderr). With ``--json`` the last stdout line is one JSON object: ``runs`` (every
execution, in start order, each with ``stateMachine`` (``pipeline``/``teardown``) and ``trigger``
(``{"upload": key}`` or ``{"schedule": name, "scheduledTime": iso}``); ``params`` is the uploaded file, null
for a scheduled run), ``firings`` (each schedule firing: schedule, scheduleArn, scheduledTime, firedAt,
executionArn or null, refused or null) and ``personalize`` (the emulator's inventory); on a usage or setup
error it is ``{"error": ..., "runs": [runs done so far], "personalize": inventory or null}``. Without it, a
live view of each upload, firing and run, the e-mail each run sent, and a summary table.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TextIO

from local.faults import FAULT_KINDS, Fault, FaultError
from local.recommend import add_recommend_parser, recommend
from local.runner import FAIL_STEPS, ROOT, TIMELINES, DataSync, Event, LocalPipeline, RunResult, SetupError
from local.scheduler import Firing, iso

DEFAULT_PARAMS = ROOT / "example" / "params.json"
DEFAULT_DATA = ROOT / "example" / "data"


class UsageError(Exception):
    """A command-line mistake argparse found: exit 2, like a setup error."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


class _Ordered(argparse.Action):
    """Keeps ``--data``, ``--params``, ``--upload`` and ``--advance`` in command-line order in ``namespace.steps``."""

    def __call__(self, parser: Any, namespace: argparse.Namespace, value: Any, option: str | None = None) -> None:
        steps = list(getattr(namespace, "steps", None) or [])
        steps.append((self.dest, value))
        namespace.steps = steps


#: ``--advance`` durations: days, hours, minutes and seconds, in that order, each at most once (``1d12h``).
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


@dataclass(frozen=True)
class Upload:
    """``--upload FILE=KEY``: put FILE at KEY in the bucket."""

    path: Path
    key: str

    def __str__(self) -> str:
        return f"{self.path}={self.key}"


@dataclass(frozen=True)
class Advance:
    """``--advance DURATION``: move the simulated clock, firing the schedules that come due."""

    seconds: int
    text: str

    def __str__(self) -> str:
        return self.text


def parse_upload(text: str) -> Upload:
    """``FILE=KEY``, split at the first ``=``: a key may hold ``=`` (``Interactions/day=2026-01-05/x.csv``)."""
    path, separator, key = text.partition("=")
    if not separator or not path or not key:
        raise argparse.ArgumentTypeError(f"{text!r}: expected FILE=KEY, e.g. my/params.json=params.json")
    if key.startswith("/"):
        raise argparse.ArgumentTypeError(
            f"{text!r}: the key {key!r} starts with '/'; S3 keys are relative to the bucket"
        )
    return Upload(Path(path), key)


def parse_duration(text: str) -> Advance:
    """``90m``, ``12h``, ``7d``, ``1d12h``, ``30s``: a positive whole number of seconds."""
    match = _DURATION.match(text.strip())
    if not text.strip() or not match:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a duration such as 90m, 12h, 7d or 1d12h")
    days, hours, minutes, seconds = (int(group or 0) for group in match.groups())
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    if total <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: the duration must be positive")
    return Advance(total, text.strip())


@dataclass
class Plan:
    """The steps in command-line order, defaults inserted: ``("data", Path)``, ``("params", Path)``,
    ``("upload", Upload)``, ``("advance", Advance)``."""

    steps: list[tuple[str, Any]] = field(default_factory=list)


def plan(steps: list[tuple[str, Any]]) -> Plan:
    """Apply the ordering rules of the module docstring to the command line's steps."""
    if not any(kind == "data" for kind, _ in steps):
        steps = [("data", DEFAULT_DATA), *steps]
    if not any(kind in ("params", "upload") for kind, _ in steps):
        first_advance = next((i for i, (kind, _) in enumerate(steps) if kind == "advance"), len(steps))
        steps = [*steps[:first_advance], ("params", DEFAULT_PARAMS), *steps[first_advance:]]
    last_reader = max(i for i, (kind, _) in enumerate(steps) if kind != "data")
    late = [str(value) for kind, value in steps[last_reader + 1 :]]
    if late:
        raise UsageError(
            f"--data {' '.join(late)} comes after the last --params, --upload or --advance: nothing would read it; "
            "put each --data before the step it is for"
        )
    return Plan(list(steps))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m local", description="Run the pipeline in the local cloud.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="deploy template.yaml into moto and run the pipeline")
    run.add_argument(
        "--params",
        action=_Ordered,
        dest="params",
        type=Path,
        metavar="FILE",
        help="parameters file to upload, once per run, in order (default: example/params.json)",
    )
    run.add_argument(
        "--data",
        action=_Ordered,
        dest="data",
        type=Path,
        metavar="DIR",
        help="folder synced to the bucket like `aws s3 sync DIR s3://bucket/` before the next --params "
        "(default: example/data)",
    )
    run.add_argument(
        "--upload",
        action=_Ordered,
        dest="upload",
        type=parse_upload,
        metavar="FILE=KEY",
        help="put FILE at KEY in the bucket, in order with --data/--params/--advance; the parameters file's or "
        "the teardown file's key starts a run through the template's rule",
    )
    run.add_argument(
        "--advance",
        action=_Ordered,
        dest="advance",
        type=parse_duration,
        metavar="DURATION",
        help="move the simulated clock (90m, 12h, 7d, 1d12h), firing every enabled EventBridge Scheduler schedule "
        "that comes due, in time order",
    )
    run.add_argument("--timeline", choices=sorted(TIMELINES), default="instant", help="simulated durations")
    run.add_argument(
        "--fail",
        action="append",
        choices=FAIL_STEPS,
        default=[],
        metavar="STEP",
        help=f"make the emulator fail that step like the service does: {', '.join(FAIL_STEPS)}",
    )
    run.add_argument(
        "--fault",
        action="append",
        type=_fault,
        default=[],
        metavar="KIND:TARGET[:COUNT]",
        help=f"inject a fault COUNT times (default 1): KIND is one of {', '.join(FAULT_KINDS)}; TARGET is a "
        "Personalize operation (e.g. CreateSolutionVersion) or, for lambda-* kinds, a function's logical id "
        "(e.g. DatasetImportFunction)",
    )
    run.add_argument(
        "--state",
        type=Path,
        metavar="DIR",
        help="keep the local cloud's state in DIR: resume it if saved there, save it after the runs "
        "(for a later run or `python -m local recommend`)",
    )
    run.add_argument("--json", action="store_true", help="no live view; the last stdout line is a JSON report")
    add_recommend_parser(commands)
    return parser


def _fault(text: str) -> Fault:
    try:
        return Fault.parse(text)
    except FaultError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["recommend"]:
        return recommend(build_parser(), argv, out)
    results: list[RunResult] = []
    inventory: dict[str, Any] = {}
    try:
        args = build_parser().parse_args(argv)
        steps = plan(getattr(args, "steps", None) or []).steps
        for kind, value in steps:
            if kind == "data" and not value.is_dir():
                raise SetupError(f"--data {value}: not a directory")
            if kind == "params" and not value.is_file():
                raise SetupError(f"--params {value}: no such file")
            if kind == "upload" and not value.path.is_file():
                raise SetupError(f"--upload {value}: no such file {value.path}")
        return _run(args, steps, out, results, inventory)
    except SystemExit as exit_:  # --help
        return 2 if exit_.code else 0
    except (UsageError, SetupError) as error:
        print(f"error: {error}", file=sys.stderr)
        if "--json" in argv:
            report = {"error": str(error), "runs": [r.to_json() for r in results], "personalize": inventory or None}
            print(json.dumps(report, default=str), file=out)
        return 2


def _run(
    args: argparse.Namespace,
    steps: list[tuple[str, Any]],
    out: TextIO,
    results: list[RunResult],
    inventory: dict[str, Any],
) -> int:
    live = not args.json
    firings: list[Firing] = []
    with LocalPipeline(timeline=args.timeline, fail_steps=args.fail, faults=args.fault, state=args.state) as pipeline:
        if live:
            resources = len(pipeline.stack.physical_ids)
            injected = [*args.fail, *(str(f) for f in args.fault)]
            print(
                f"Local cloud: {pipeline.template.name} deployed into moto ({resources} resources) in "
                f"{pipeline.deploy_seconds:.1f} s; timeline {args.timeline}"
                + (f"; failing {', '.join(injected)}" if injected else ""),
                file=out,
            )
        try:
            for kind, value in steps:
                if kind == "data":
                    sync = pipeline.upload_data(value)
                    if live:
                        _print_sync(value, sync, pipeline.stack.bucket_name, out)
                elif kind in ("params", "upload"):
                    path, key = (value, pipeline.parameter_file) if kind == "params" else (value.path, value.key)
                    if live:
                        print(f"\nUpload {_shown(path)} as s3://{pipeline.stack.bucket_name}/{key}", file=out)
                    started = pipeline.upload(path, key, option=f"--{kind}")
                    if live and not started:
                        print("  (no rule matches this key: no run started)", file=out)
                    for arn in started:
                        _collect(pipeline, arn, results, live, out, follow=True)
                else:
                    if live:
                        _print_advance(pipeline, value, out)
                    fired = pipeline.advance(value.seconds, on_fire=(lambda f: _print_firing(f, out)) if live else None)
                    firings.extend(fired)
                    if live and not fired:
                        print("  no schedule came due", file=out)
                    for firing in fired:
                        if firing.execution_arn:
                            _collect(pipeline, firing.execution_arn, results, live, out, follow=False)
        finally:
            inventory.update(pipeline.inventory())
            if args.state is not None:
                saved = pipeline.save_state(args.state)
                if live:
                    print(f"\nLocal cloud state saved in {_shown(saved)}", file=out)
    if live:
        _print_summary(results, inventory, out)
    else:
        report = {"runs": [r.to_json() for r in results], "firings": [_firing_json(f) for f in firings]}
        report["personalize"] = inventory
        print(json.dumps(report, default=str), file=out)
    if not results:
        print("error: no run was started", file=sys.stderr)
        return 1
    return 0 if results[-1].status == "SUCCEEDED" else 1


def _collect(
    pipeline: LocalPipeline, arn: str, results: list[RunResult], live: bool, out: TextIO, *, follow: bool
) -> None:
    """Wait for an execution (following it live when asked), print it, and add it to the results."""
    if live:
        start = pipeline.started_at(arn)
        trigger = pipeline.trigger_of(arn)
        print(f"\nRun {len(results) + 1}: {pipeline.state_machine_of(arn)}, {_trigger_text(trigger)}", file=out)
        if follow:
            result = pipeline.finish(arn, on_event=lambda e: _print_event(e, start, out))
        else:
            result = pipeline.finish(arn)
            for event in result.events:
                _print_event(event, start, out)
        _print_outcome(result, out)
    else:
        result = pipeline.finish(arn)
    results.append(result)


def _firing_json(firing: Firing) -> dict[str, Any]:
    return {
        "schedule": firing.name,
        "scheduleArn": firing.schedule_arn,
        "scheduledTime": firing.scheduled_iso,
        "firedAt": iso(firing.fired_at),
        "executionArn": firing.execution_arn,
        "refused": firing.refused,
    }


def _trigger_text(trigger: dict[str, str]) -> str:
    if "upload" in trigger:
        return f"started by the upload of {trigger['upload']}"
    if "schedule" in trigger:
        return f"started by schedule {trigger['schedule']} (scheduled {trigger['scheduledTime']})"
    return "started outside this command"


def _print_advance(pipeline: LocalPipeline, advance: Advance, out: TextIO) -> None:
    now = pipeline.clock.now()
    print(
        f"\nAdvance {advance.text}: simulated clock {_when(now)} -> {_when(now + advance.seconds)}",
        file=out,
    )


def _print_firing(firing: Firing, out: TextIO) -> None:
    print(format_firing(firing), file=out, flush=True)


def format_firing(firing: Firing) -> str:
    """The live view's line for a schedule firing: when, which schedule, how late, what it started or why not."""
    late = (
        f" (flexible window: {_duration(firing.fired_at - firing.scheduled_time)} late)"
        if firing.fired_at > firing.scheduled_time
        else ""
    )
    outcome = (
        f"started {firing.execution_arn.rsplit(':', 1)[-1]}" if firing.execution_arn else f"REFUSED: {firing.refused}"
    )
    return f"  {_when(firing.fired_at)}  schedule {firing.name} fired{late}: {outcome}"


def _when(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%a %Y-%m-%d %H:%M:%S UTC")


def _print_sync(folder: Path, sync: DataSync, bucket: str, out: TextIO) -> None:
    listing = ", ".join(f"{key} ({_size(size)})" for key, size in sync.uploaded) or "nothing new"
    unchanged = f"; {len(sync.unchanged)} unchanged" if sync.unchanged else ""
    print(f"Synced {_shown(folder)} to s3://{bucket}/: {listing}{unchanged}", file=out)


# ------------------------------------------------------------------------------------ live view
def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"+{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _print_event(event: Event, start: float, out: TextIO) -> None:
    marker = {"state": ">", "status": "  *", "failure": "  !", "fault": "  ~"}[event.kind]
    print(f"  {_clock(event.sim_time - start)}  {marker} {event.text}", file=out, flush=True)


def _print_outcome(result: RunResult, out: TextIO) -> None:
    print(
        f"  {result.status} after {_duration(result.simulatedSeconds)} of simulated time "
        f"({result.wallSeconds:.1f} s wall): {result.stateTransitions} state transitions, "
        f"{result.lambdaInvocations} Lambda invocations",
        file=out,
    )
    if result.changes:  # the run history, as the e-mail below says it
        print(f"  {result.changes['previousRunNote']}", file=out)
        print(f"  Changed by this run:{'' if result.changes['items'] else ' nothing'}", file=out)
        for change in result.changes["items"]:
            print(f"    - {change['text']}", *(f"\n        {line}" for line in change["lines"]), sep="", file=out)
    if result.notification:
        print(f"\n  E-mail  Subject: {result.notification['subject']}", file=out)
        for line in result.notification["message"].rstrip().splitlines():
            print(f"  | {line}", file=out)
    else:
        print("  No e-mail was published.", file=out)


def _print_summary(results: list[RunResult], inventory: dict[str, list[str]], out: TextIO) -> None:
    rows = [("Run", "State machine", "Trigger", "Status", "Simulated", "Transitions", "Invocations", "Wall")]
    for number, r in enumerate(results, start=1):
        if "schedule" in r.trigger:
            trigger = f"schedule {r.trigger['schedule']} @ {r.trigger['scheduledTime']}"
        else:
            trigger = f"upload {_shown(Path(r.params))} as {r.trigger.get('upload')}" if r.params else "-"
        rows.append(
            (
                str(number),
                r.stateMachine,
                trigger,
                r.status,
                _duration(r.simulatedSeconds),
                str(r.stateTransitions),
                str(r.lambdaInvocations),
                f"{r.wallSeconds:.1f} s",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print("\nSummary", file=out)
    for index, row in enumerate(rows):
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)), file=out)
        if index == 0:
            print("  " + "  ".join("-" * width for width in widths), file=out)
    counts = ", ".join(f"{kind} {len(arns)}" for kind, arns in inventory.items() if arns)
    print(f"\nResources in the emulator: {counts or 'none'}", file=out)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"


def _size(size: int) -> str:
    return f"{size / 1024:.1f} KiB" if size >= 1024 else f"{size} B"


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
