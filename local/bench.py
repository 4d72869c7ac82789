"""``make bench``: what the pipeline costs in the local cloud, printed as two tables and one JSON line.

The first table (realistic timeline) says:

- re-run: uploading the same params.json again reuses every resource; how much simulated time and how
  many Lambda invocations the second run costs compared with the first (and whether it trained again);
- bad params: a validation failure is reported before any resource exists; how its time to the e-mail
  compares with a full run;
- new data: a run after new interactions re-imports and retrains only what changed;
- simulation: simulated seconds per wall-clock second, i.e. what the local cloud saves a developer.

The second (typical timeline, ``Timeline.typical``: fixed durations, no jitter) measures time to a live
campaign against Personalize's own critical path (the durations of the resources the run waited for,
stage by stage: dataset group, slowest dataset, slowest import, solution, training, campaign): a first
run, a repeat run with new data on a timeline where every duration is 10 % longer (history known), and an
unchanged re-upload. The anchors are the schedules users would otherwise run, computed on the same
resources and durations from their documented retry settings, one status check per attempt, the first at
creation: the legacy sample (Retry 2 s x 1.5) and the AWS Solution (Retry 60 s x 1.02). The anchors are
charged nothing for Lambda invocations or state transitions; the pipeline is.

The third measures Check Data Values: rows per second one Lambda checks (one range, streamed in 1 MiB
chunks as from S3, on this machine's single core; 1769 MB buys one vCPU on Lambda), and the time projected
for a 10 GB Interactions dataset cut into ranges of ``PART_BYTES`` checked in parallel.

The last stdout line is one JSON object with the typical-timeline figures. Every figure comes from these
runs; nothing is hard-coded.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from local.deploy import execution_history
from local.personalize import Timeline
from local.runner import ROOT, LocalPipeline, RunResult

EXAMPLE_DATA = ROOT / "example" / "data"
EXAMPLE_PARAMS = ROOT / "example" / "params.json"
ASL = ROOT / "statemachine" / "pipeline.asl.json"
#: The stages of Personalize's critical path, in order; resources of one stage run in parallel.
STAGES = ("datasetGroup", "dataset", "datasetImportJob", "solution", "solutionVersion", "campaign")
#: The anchors' documented Retry settings: (first interval in seconds, backoff rate).
ANCHORS = {"seed": (2.0, 1.5), "awsSolution": (60.0, 1.02)}
#: Factor applied to every duration of the typical timeline for the repeat run.
REPEAT_FACTOR = 1.1


def _bad_params(folder: Path) -> Path:
    params = json.loads(EXAMPLE_PARAMS.read_text())
    params["solution"]["recipeArn"] = "aws-user-personalization-v2"  # a bare name, not an ARN
    path = folder / "bad-params.json"
    path.write_text(json.dumps(params))
    return path


def _more_interactions(folder: Path) -> Path:
    data = folder / "more" / "Interactions"
    data.mkdir(parents=True)
    rows = [f"u{1 + n % 250:04d},i{1 + (n * 7) % 600:05d},{1767225600 + n}" for n in range(2_000)]
    (data / "january.csv").write_text("USER_ID,ITEM_ID,TIMESTAMP\n" + "\n".join(rows) + "\n")
    return folder / "more"


def _trainings(pipeline: LocalPipeline) -> int:
    return len(pipeline.inventory()["solutionVersions"])


# ------------------------------------------------------------------------------------------ time to live
def anchor_checks(duration: float, interval: float, backoff: float) -> tuple[int, float]:
    """Status checks at 0, interval, interval + interval*backoff, ...: (checks made, time of the first
    check that sees the resource done)."""
    checks, at, step = 1, 0.0, interval
    while at < duration:
        at += step
        step *= backoff
        checks += 1
    return checks, at


@dataclass(frozen=True)
class Waited:
    """A resource the run waited for: its kind, and how long Personalize took (creation to done)."""

    kind: str
    arn: str
    seconds: float


def critical_path(waited: Iterable[Waited]) -> float:
    """Personalize's own time: per stage, the slowest resource the run waited for."""
    resources = list(waited)
    return sum(max((w.seconds for w in resources if w.kind == stage), default=0.0) for stage in STAGES)


def anchor(waited: Iterable[Waited], interval: float, backoff: float) -> tuple[int, float]:
    """(polls, end to end) of an anchor schedule on the same resources: per stage, done when its slowest
    resource is seen done; every resource is polled."""
    resources = list(waited)
    polls, total = 0, 0.0
    for stage in STAGES:
        results = [anchor_checks(w.seconds, interval, backoff) for w in resources if w.kind == stage]
        polls += sum(checks for checks, _ in results)
        total += max((at for _, at in results), default=0.0)
    return polls, total


def _check_paths() -> dict[str, str]:
    """Check state name -> the path of the poll record it sends (``resource.$``), from the ASL."""
    paths: dict[str, str] = {}

    def walk(states: dict[str, Any]) -> None:
        for name, state in states.items():
            payload = (state.get("Parameters") or {}).get("Payload") or {}
            if name.startswith("Check ") and "resource.$" in payload:
                paths[name] = payload["resource.$"]
            for branch in state.get("Branches", []) + ([state["ItemProcessor"]] if "ItemProcessor" in state else []):
                walk(branch["States"])
            if "Iterator" in state:
                walk(state["Iterator"]["States"])

    walk(json.loads(ASL.read_text())["States"])
    return paths


def status_checks(execution_arn: str) -> tuple[int, list[tuple[str, str]]]:
    """(polls, waited resources as (kind, arn)) of one execution, from its history.

    Polls count as the anchors' do: the status read when the resource was created (the Create task's
    describe) and one per Check task.
    """
    paths = _check_paths()
    checks, waited = 0, {}
    for event in execution_history(execution_arn):
        details = event.get("stateEnteredEventDetails") or {}
        path = paths.get(details.get("name", ""))
        if event["type"] != "TaskStateEntered" or path is None:
            continue
        record: Any = json.loads(details["input"])
        for key in path.removeprefix("$.").split("."):
            record = record[key]
        checks += 1
        waited[record["arn"]] = record["kind"]
    return checks + len(waited), [(kind, arn) for arn, kind in waited.items()]


_DESCRIBE = {
    "datasetGroup": ("describe_dataset_group", "datasetGroupArn", "datasetGroup"),
    "dataset": ("describe_dataset", "datasetArn", "dataset"),
    "datasetImportJob": ("describe_dataset_import_job", "datasetImportJobArn", "datasetImportJob"),
    "solution": ("describe_solution", "solutionArn", "solution"),
    "solutionVersion": ("describe_solution_version", "solutionVersionArn", "solutionVersion"),
    "campaign": ("describe_campaign", "campaignArn", "campaign"),
}


def _took(kind: str, arn: str) -> Waited:
    """How long Personalize took for a resource (for an updated campaign: its latest update)."""
    method, parameter, key = _DESCRIBE[kind]
    resource = getattr(boto3.client("personalize"), method)(**{parameter: arn})[key]
    if kind == "campaign" and resource.get("latestCampaignUpdate"):
        resource = resource["latestCampaignUpdate"]
    return Waited(kind, arn, (resource["lastUpdatedDateTime"] - resource["creationDateTime"]).total_seconds())


def time_to_live(result: RunResult) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The run's figures (JSON keys of issue 10) and the anchors' on the same resources and durations."""
    polls, resources = status_checks(result.executionArn)
    waited = [_took(kind, arn) for kind, arn in resources]
    path = critical_path(waited)
    figures = {
        "overhead": round(result.simulatedSeconds / path, 4),
        "polls": polls,
        "stateTransitions": result.stateTransitions,
        "endToEndSeconds": round(result.simulatedSeconds, 1),
        "criticalPathSeconds": round(path, 1),
    }
    anchors = {}
    for name, (interval, backoff) in ANCHORS.items():
        anchor_polls, end_to_end = anchor(waited, interval, backoff)
        anchors[name] = {"polls": anchor_polls, "overhead": round(end_to_end / path, 4)}
    return figures, anchors


def _imports(pipeline: LocalPipeline) -> int:
    return len(pipeline.inventory()["datasetImportJobs"])


def typical_runs(folder: Path) -> dict[str, Any]:
    """First run, repeat run (new data, durations x1.1), unchanged re-upload, on the typical timeline."""
    with LocalPipeline(timeline="typical") as pipeline:
        pipeline.upload_data(EXAMPLE_DATA)
        first = pipeline.run(EXAMPLE_PARAMS)
        first_figures, first_anchors = time_to_live(first)
        pipeline.emulator.timeline = Timeline.typical(REPEAT_FACTOR)
        pipeline.upload_data(_more_interactions(folder))
        repeat = pipeline.run(EXAMPLE_PARAMS)
        repeat_figures, repeat_anchors = time_to_live(repeat)
        imports, trainings = _imports(pipeline), _trainings(pipeline)
        unchanged = pipeline.run(EXAMPLE_PARAMS)
        reupload = {
            "imports": _imports(pipeline) - imports,
            "solutionVersions": _trainings(pipeline) - trainings,
            "seconds": round(unchanged.simulatedSeconds, 1),
        }
    statuses = [r.status for r in (first, repeat, unchanged)]
    assert statuses == ["SUCCEEDED"] * 3, statuses
    return {
        "firstRun": first_figures,
        "repeatRun": repeat_figures,
        "unchangedReupload": reupload,
        "anchors": first_anchors,
        "repeatAnchors": repeat_anchors,
    }


def targets(figures: dict[str, Any]) -> dict[str, bool]:
    """Issue 10's targets on the typical timeline, each checked against this run's figures."""
    first, repeat, reupload = figures["firstRun"], figures["repeatRun"], figures["unchangedReupload"]
    aws = figures["anchors"]["awsSolution"]["polls"]
    aws_repeat = figures["repeatAnchors"]["awsSolution"]["polls"]
    return {
        "first run overhead <= 1.03": first["overhead"] <= 1.03,
        "first run polls <= AWS Solution's": first["polls"] <= aws,
        "repeat run overhead <= 1.02": repeat["overhead"] <= 1.02,
        "repeat run polls <= half the AWS Solution's": 2 * repeat["polls"] <= min(aws, aws_repeat),
        "unchanged re-upload: 0 imports, 0 trainings, < 120 s": (
            reupload["imports"] == 0 and reupload["solutionVersions"] == 0 and reupload["seconds"] < 120
        ),
    }


def _print_time_to_live(figures: dict[str, Any]) -> None:
    rows = []
    for label, run, anchors in (
        ("first run", figures["firstRun"], figures["anchors"]),
        (f"repeat run (new data, durations x{REPEAT_FACTOR:g})", figures["repeatRun"], figures["repeatAnchors"]),
    ):
        rows.append(
            (
                label,
                f"{run['endToEndSeconds']:.0f} s / {run['criticalPathSeconds']:.0f} s",
                f"{run['overhead']:.4f}",
                str(run["polls"]),
                f"{anchors['awsSolution']['overhead']:.4f}, {anchors['awsSolution']['polls']} polls",
                f"{anchors['seed']['overhead']:.4f}, {anchors['seed']['polls']} polls",
            )
        )
    reupload = figures["unchangedReupload"]
    rows.append(
        (
            "unchanged re-upload",
            f"{reupload['seconds']:.0f} s",
            "-",
            f"{reupload['imports']} imports, {reupload['solutionVersions']} trainings",
            "-",
            "-",
        )
    )
    header = ("Typical timeline", "End to end / critical path", "Overhead", "Polls", "AWS Solution", "Legacy sample")
    _print_table(header, rows)


def main() -> int:
    rows: list[tuple[str, str, str, str]] = []
    wall_started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch, LocalPipeline(timeline="realistic") as pipeline:
        folder = Path(scratch)
        pipeline.upload_data(EXAMPLE_DATA)
        first = pipeline.run(EXAMPLE_PARAMS)
        trained_first = _trainings(pipeline)
        again = pipeline.run(EXAMPLE_PARAMS)
        trained_again = _trainings(pipeline) - trained_first
        bad = pipeline.run(_bad_params(folder))
        pipeline.upload_data(_more_interactions(folder))
        before_new = _trainings(pipeline)
        new_data = pipeline.run(EXAMPLE_PARAMS)
        trained_new = _trainings(pipeline) - before_new
        runs: list[RunResult] = [first, again, bad, new_data]
    wall = time.monotonic() - wall_started

    assert [r.status for r in runs] == ["SUCCEEDED", "SUCCEEDED", "FAILED", "SUCCEEDED"], [r.status for r in runs]

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.1f}x" if b else "inf"

    rows.append(
        (
            "re-run, same upload: simulated time",
            _minutes(first.simulatedSeconds),
            _minutes(again.simulatedSeconds),
            ratio(first.simulatedSeconds, again.simulatedSeconds) + " faster",
        )
    )
    rows.append(
        (
            "re-run, same upload: Lambda invocations",
            str(first.lambdaInvocations),
            str(again.lambdaInvocations),
            ratio(first.lambdaInvocations, again.lambdaInvocations) + " fewer",
        )
    )
    rows.append(
        ("re-run, same upload: trainings", str(trained_first), str(trained_again), _trainings_label(trained_again))
    )
    rows.append(
        (
            "bad params: time to the failure e-mail",
            _minutes(first.simulatedSeconds),
            _minutes(bad.simulatedSeconds),
            ratio(first.simulatedSeconds, bad.simulatedSeconds) + " sooner",
        )
    )
    rows.append(
        (
            "new interactions: simulated time",
            _minutes(first.simulatedSeconds),
            _minutes(new_data.simulatedSeconds),
            ratio(first.simulatedSeconds, new_data.simulatedSeconds),
        )
    )
    rows.append(("new interactions: trainings", str(trained_first), str(trained_new), _trainings_label(trained_new)))
    simulated = sum(r.simulatedSeconds for r in runs)
    walled = sum(r.wallSeconds for r in runs)
    rows.append(
        (
            "local cloud: simulated s per wall s",
            _minutes(simulated),
            f"{walled:.1f} s wall",
            ratio(simulated, walled),
        )
    )
    _print_table(("Measure", "First run", "Compared run", "Ratio"), rows)
    print(f"\n4 runs on the realistic timeline, {wall:.1f} s wall in total (deploy included).\n")

    with tempfile.TemporaryDirectory() as scratch:
        figures = typical_runs(Path(scratch))
    _print_time_to_live(figures)
    met = targets(figures)
    print("\n" + "; ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in met.items()))
    _print_data_checks(data_check_throughput())
    figures.pop("repeatAnchors")
    print(json.dumps(figures, separators=(",", ":")))
    return 0 if all(met.values()) else 1  # a missed target fails make bench


#: The benchmark's Interactions rows: every reserved column a typical file has.
_BENCH_HEADER = ["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "TIMESTAMP"]
_BENCH_FIELDS = [
    ["USER_ID", "string", False, 256],
    ["ITEM_ID", "string", False, 256],
    ["EVENT_TYPE", "string", False, 1000],
    ["EVENT_VALUE", "float", True, None],
    ["TIMESTAMP", "long", False, None],
]


def _bench_chunks(rows: int, chunk_bytes: int = 1024 * 1024) -> Iterable[bytes]:
    """A synthetic interactions file in 1 MiB chunks, as a streaming S3 body yields it."""
    pending = ",".join(_BENCH_HEADER) + "\n"
    for n in range(rows):
        event = ("click", "view")[n % 2]
        pending += f"user-{n % 50000:06d},item-{(n * 7919) % 20000:06d},{event},{n % 5}.5,{1700000000 + n}\n"
        if len(pending) >= chunk_bytes:
            yield pending.encode()
            pending = ""
    yield pending.encode()


def _data_values_module() -> Any:
    """The handlers' data_values module, loaded from its file: it imports only the standard library, and
    the layer directory is on sys.path only inside a Lambda invocation of the local cloud."""
    import importlib.util

    path = ROOT / "functions" / "shared" / "personalize_pipeline" / "data_values.py"
    spec = importlib.util.spec_from_file_location("bench_data_values", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def data_check_throughput(rows: int = 300_000) -> dict[str, float]:
    """Rows/s and MB/s of one Check Data Values range, and the projection for 10 GB.

    The rows cycle through 50,000 users, so the range hashes rows and users until it has proved both
    training minimums (the first ~50,000 rows), then only checks values, as a large real range does.
    """
    values = _data_values_module()
    PART_BYTES, check_part, owned_lines, ranges = (
        values.PART_BYTES,
        values.check_part,
        values.owned_lines,
        values.ranges,
    )
    chunks = list(_bench_chunks(rows))  # made before the clock starts: only the checking is timed
    size = sum(len(chunk) for chunk in chunks)
    item = {"folder": "Interactions", "key": "Interactions/bench.csv", "start": 0, "end": size, "header": _BENCH_HEADER}
    filters = [{"solution": "bench", "eventType": "click", "eventValueThreshold": 1.0}]
    started = time.perf_counter()
    result = check_part(item, _BENCH_FIELDS, filters, owned_lines(chunks, 0, size))
    seconds = time.perf_counter() - started
    assert result["records"] == rows and not result["problems"], result["problems"]
    bytes_per_s = size / seconds
    ten_gb = 10 * 1024**3
    parts = len(ranges(ten_gb))
    range_s = PART_BYTES / bytes_per_s
    return {
        "rowsPerSecond": rows / seconds,
        "megabytesPerSecond": bytes_per_s / 1e6,
        "rangeSeconds": range_s,
        "ranges": parts,
        "tenGbSerialSeconds": ten_gb / bytes_per_s,
    }


def _print_data_checks(figures: dict[str, float]) -> None:
    print()
    _print_table(
        ("Check Data Values (one Lambda, one range)", "Figure"),
        [
            ("rows/s per Lambda", f"{figures['rowsPerSecond']:,.0f}"),
            ("MB/s per Lambda", f"{figures['megabytesPerSecond']:.1f}"),
            ("one 256 MiB range (Lambda limit 900 s)", f"{figures['rangeSeconds']:.0f} s"),
            (
                f"10 GB: {figures['ranges']:.0f} ranges in parallel (Map MaxConcurrency 40)",
                _minutes(figures["rangeSeconds"]),
            ),
            ("10 GB: one Lambda reading it all", _minutes(figures["tenGbSerialSeconds"])),
        ],
    )


def _trainings_label(count: int) -> str:
    return "no retraining" if count == 0 else f"retrained {count} time{'s' if count > 1 else ''}"


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def _print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for index, row in enumerate(table):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


if __name__ == "__main__":
    raise SystemExit(main())
