"""``make bench``: ratios measured in one run of the local cloud (realistic timeline), printed as a table.

What the numbers say:

- re-run: uploading the same params.json again reuses every resource; how much simulated time and how
  many Lambda invocations the second run costs compared with the first (and whether it trained again);
- bad params: a validation failure is reported before any resource exists; how its time to the e-mail
  compares with a full run;
- new data: a run after new interactions re-imports and retrains only what changed;
- simulation: simulated seconds per wall-clock second, i.e. what the local cloud saves a developer.

Every figure comes from this run; nothing is hard-coded.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from local.runner import ROOT, LocalPipeline, RunResult

EXAMPLE_DATA = ROOT / "example" / "data"
EXAMPLE_PARAMS = ROOT / "example" / "params.json"


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
    print(f"\n4 runs on the realistic timeline, {wall:.1f} s wall in total (deploy included).")
    return 0


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
