"""The local cloud's command line: ``python -m local run`` (the contract is in design.md §8).

    python -m local run [--params FILE]... [--data DIR] [--timeline instant|realistic|typical] [--fail STEP]... [--json]

Exit codes: 0 when the last run SUCCEEDED, 1 when it did not, 2 on usage or setup errors (one line on
stderr). With ``--json`` the last stdout line is one JSON object with every run and the emulator's
inventory; without it, a live view of each run, the e-mail it sent and a summary table.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from local.runner import FAIL_STEPS, ROOT, TIMELINES, Event, LocalPipeline, RunResult, SetupError

DEFAULT_PARAMS = ROOT / "example" / "params.json"
DEFAULT_DATA = ROOT / "example" / "data"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m local", description="Run the pipeline in the local cloud.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="deploy template.yaml into moto and run the pipeline")
    run.add_argument(
        "--params",
        action="append",
        type=Path,
        metavar="FILE",
        help="parameters file to upload, once per run, in order (default: example/params.json)",
    )
    run.add_argument("--data", type=Path, default=DEFAULT_DATA, metavar="DIR", help="folder with Interactions/ ...")
    run.add_argument("--timeline", choices=sorted(TIMELINES), default="instant", help="simulated durations")
    run.add_argument(
        "--fail",
        action="append",
        choices=FAIL_STEPS,
        default=[],
        metavar="STEP",
        help=f"make the emulator fail that step like the service does: {', '.join(FAIL_STEPS)}",
    )
    run.add_argument("--json", action="store_true", help="no live view; the last stdout line is a JSON report")
    return parser


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # argparse already printed the usage error
        return 2 if exit_.code else 0
    params = args.params or [DEFAULT_PARAMS]
    try:
        for path in params:
            if not path.is_file():
                raise SetupError(f"--params {path}: no such file")
        return _run(args, params, out)
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, params: list[Path], out: TextIO) -> int:
    live = not args.json
    with LocalPipeline(timeline=args.timeline, fail_steps=args.fail) as pipeline:
        if live:
            resources = len(pipeline.stack.physical_ids)
            print(
                f"Local cloud: {pipeline.template.name} deployed into moto ({resources} resources) in "
                f"{pipeline.deploy_seconds:.1f} s; timeline {args.timeline}"
                + (f"; failing {', '.join(args.fail)}" if args.fail else ""),
                file=out,
            )
        uploaded = pipeline.upload_data(args.data)
        if live:
            listing = ", ".join(f"{key} ({_size(size)})" for key, size in uploaded)
            print(f"Uploaded {_shown(args.data)} to s3://{pipeline.stack.bucket_name}/: {listing}", file=out)
        results: list[RunResult] = []
        for number, path in enumerate(params, start=1):
            if live:
                print(
                    f"\nRun {number}: upload {_shown(path)} as s3://{pipeline.stack.bucket_name}/params.json", file=out
                )
            start = pipeline.clock.latest
            result = pipeline.run(path, on_event=(lambda e, s=start: _print_event(e, s, out)) if live else None)
            results.append(result)
            if live:
                _print_outcome(result, out)
        inventory = pipeline.inventory()
    if live:
        _print_summary(results, inventory, out)
    else:
        report = {"runs": [r.to_json() for r in results], "personalize": inventory}
        print(json.dumps(report, default=str), file=out)
    return 0 if results[-1].status == "SUCCEEDED" else 1


# ------------------------------------------------------------------------------------ live view
def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"+{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _print_event(event: Event, start: float, out: TextIO) -> None:
    marker = {"state": ">", "status": "  *", "failure": "  !"}[event.kind]
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
