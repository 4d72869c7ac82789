"""The local cloud's command line: ``python -m local run`` (the contract is in design.md §8).

    python -m local run [[--data DIR]... --params FILE]... [--timeline instant|realistic|typical]
                        [--fail STEP]... [--fault KIND:TARGET[:COUNT]]... [--json]

``--data DIR`` mirrors ``aws s3 sync DIR s3://<bucket>/``: every file of DIR under its relative path (any
folder name or case, root files too), new or changed files only, nothing deleted. Ordering: each
``--data`` is synced before the next ``--params`` is uploaded, so ``--params a.json --data more/ --params
a.json`` is "run, add data, run again"; a ``--data`` after the last ``--params`` is a usage error (nothing
would read it). Without any ``--data``, example/data is synced before the first run; without any
``--params``, example/params.json runs once after every ``--data``.

``--state DIR`` (local/state.py) resumes the local cloud saved in DIR and saves it after the runs;
``python -m local recommend --state DIR --campaign NAME ...`` queries it (local/recommend.py).

Exit codes: 0 when the last run SUCCEEDED, 1 when it did not, 2 on usage or setup errors (one line on
stderr). With ``--json`` the last stdout line is one JSON object with every run and the emulator's
inventory; on a usage or setup error it is ``{"error": ..., "runs": [runs done so far], "personalize":
inventory or null}``. Without it, a live view of each run, the e-mail it sent and a summary table.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TextIO

from local.faults import FAULT_KINDS, Fault, FaultError
from local.recommend import add_recommend_parser, recommend
from local.runner import FAIL_STEPS, ROOT, TIMELINES, DataSync, Event, LocalPipeline, RunResult, SetupError

DEFAULT_PARAMS = ROOT / "example" / "params.json"
DEFAULT_DATA = ROOT / "example" / "data"


class UsageError(Exception):
    """A command-line mistake argparse found: exit 2, like a setup error."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


class _Ordered(argparse.Action):
    """Keeps ``--data`` and ``--params`` in command-line order in ``namespace.steps``."""

    def __call__(self, parser: Any, namespace: argparse.Namespace, value: Any, option: str | None = None) -> None:
        steps = list(getattr(namespace, "steps", None) or [])
        steps.append((self.dest, value))
        namespace.steps = steps


@dataclass
class Plan:
    """The runs in order, each with the data folders synced just before its upload."""

    runs: list[tuple[list[Path], Path]] = field(default_factory=list)


def plan(steps: list[tuple[str, Path]]) -> Plan:
    """Apply the ordering rules of the module docstring to the ``--data``/``--params`` sequence."""
    if not any(kind == "data" for kind, _ in steps):
        steps = [("data", DEFAULT_DATA), *steps]
    if not any(kind == "params" for kind, _ in steps):
        steps = [*steps, ("params", DEFAULT_PARAMS)]
    result, pending = Plan(), []
    for kind, path in steps:
        if kind == "data":
            pending.append(path)
        else:
            result.runs.append((pending, path))
            pending = []
    if pending:
        raise UsageError(
            f"--data {' '.join(map(str, pending))} comes after the last --params: nothing would read it; "
            "put each --data before the --params it is for"
        )
    return result


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
        runs = plan(getattr(args, "steps", None) or []).runs
        for folders, path in runs:
            for folder in folders:
                if not folder.is_dir():
                    raise SetupError(f"--data {folder}: not a directory")
            if not path.is_file():
                raise SetupError(f"--params {path}: no such file")
        return _run(args, runs, out, results, inventory)
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
    runs: list[tuple[list[Path], Path]],
    out: TextIO,
    results: list[RunResult],
    inventory: dict[str, Any],
) -> int:
    live = not args.json
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
            for number, (folders, path) in enumerate(runs, start=1):
                for folder in folders:
                    sync = pipeline.upload_data(folder)
                    if live:
                        _print_sync(folder, sync, pipeline.stack.bucket_name, out)
                if live:
                    print(
                        f"\nRun {number}: upload {_shown(path)} as s3://{pipeline.stack.bucket_name}/"
                        f"{pipeline.parameter_file}",
                        file=out,
                    )
                start = pipeline.clock.latest
                result = pipeline.run(path, on_event=(lambda e, s=start: _print_event(e, s, out)) if live else None)
                results.append(result)
                if live:
                    _print_outcome(result, out)
        finally:
            inventory.update(pipeline.inventory())
            if args.state is not None:
                saved = pipeline.save_state(args.state)
                if live:
                    print(f"\nLocal cloud state saved in {_shown(saved)}", file=out)
    if live:
        _print_summary(results, inventory, out)
    else:
        report = {"runs": [r.to_json() for r in results], "personalize": inventory}
        print(json.dumps(report, default=str), file=out)
    return 0 if results[-1].status == "SUCCEEDED" else 1


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
    if result.notification:
        print(f"\n  E-mail  Subject: {result.notification['subject']}", file=out)
        for line in result.notification["message"].rstrip().splitlines():
            print(f"  | {line}", file=out)
    else:
        print("  No e-mail was published.", file=out)


def _print_summary(results: list[RunResult], inventory: dict[str, list[str]], out: TextIO) -> None:
    rows = [("Run", "Params", "Status", "Simulated", "Transitions", "Invocations", "Wall")]
    for number, r in enumerate(results, start=1):
        rows.append(
            (
                str(number),
                _shown(Path(r.params)),
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
    print(f"\nPersonalize resources in the emulator: {counts or 'none'}", file=out)


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
