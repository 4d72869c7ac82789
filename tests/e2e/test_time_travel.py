"""Issue 9's "Done when", schedules under time travel: ``python -m local run --advance`` fires the schedules
an upload created, through the real template, Scheduler role and IAM, on the simulated clock."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import pytest

from local.cli import main
from personalize_pipeline.naming import schedule_name

from .conftest import EXAMPLE_DATA, EXAMPLE_PARAMS

pytestmark = pytest.mark.e2e

GROUP = "retail-demo"
IMPORT_SCHEDULE = schedule_name(GROUP)


def test_schedule_fires_under_advance_retrains_only_on_new_data_and_goes_when_removed_from_params(
    tmp_path: Path,
) -> None:
    # GIVEN params.json with a daily import-and-retrain schedule, the same params without it, and more data
    document = json.loads(EXAMPLE_PARAMS.read_text())
    scheduled, unscheduled = tmp_path / "scheduled.json", tmp_path / "unscheduled.json"
    unscheduled.write_text(json.dumps(document))
    document["schedules"] = {"datasetGroup": {"scheduleExpression": "cron(0 3 * * ? *)"}}
    scheduled.write_text(json.dumps(document))
    more = tmp_path / "more" / "Interactions"
    more.mkdir(parents=True)
    rows = [f"u0001,i00{n:03d},{1767225600 + n}" for n in range(1, 200)]
    (more / "more.csv").write_text("USER_ID,ITEM_ID,TIMESTAMP\n" + "\n".join(rows) + "\n")
    # WHEN it is uploaded, a day passes, data is added, a day passes, the schedule is removed, two days pass
    out, started = io.StringIO(), time.monotonic()
    code = main(
        [
            "run",
            "--data",
            str(EXAMPLE_DATA),
            "--params",
            str(scheduled),
            "--advance",
            "1d",
            "--data",
            str(tmp_path / "more"),
            "--advance",
            "1d",
            "--params",
            str(unscheduled),
            "--advance",
            "2d",
            "--json",
        ],  # fmt: skip
        out=out,
    )
    wall = time.monotonic() - started
    report = json.loads(out.getvalue().splitlines()[-1])
    runs = report["runs"]
    # THEN the schedule fired once a day at 03:00 UTC, as the stack's Scheduler role, until it was removed
    assert code == 0
    assert [(f["schedule"], f["scheduledTime"], f["firedAt"], f["refused"]) for f in report["firings"]] == [
        (IMPORT_SCHEDULE, "2026-01-06T03:00:00Z", "2026-01-06T03:00:00Z", None),
        (IMPORT_SCHEDULE, "2026-01-07T03:00:00Z", "2026-01-07T03:00:00Z", None),
    ]
    assert [(r["stateMachine"], r["trigger"], r["params"], r["status"]) for r in runs] == [
        ("pipeline", {"upload": "params.json"}, str(scheduled), "SUCCEEDED"),
        ("pipeline", {"schedule": IMPORT_SCHEDULE, "scheduledTime": "2026-01-06T03:00:00Z"}, None, "SUCCEEDED"),
        ("pipeline", {"schedule": IMPORT_SCHEDULE, "scheduledTime": "2026-01-07T03:00:00Z"}, None, "SUCCEEDED"),
        ("pipeline", {"upload": "params.json"}, str(unscheduled), "SUCCEEDED"),
    ]
    assert [r["executionArn"] for r in runs[1:3]] == [f["executionArn"] for f in report["firings"]]
    created, unchanged, new_data, removed = (r["notification"]["message"] for r in runs)
    assert f"- {IMPORT_SCHEDULE} (created): cron(0 3 * * ? *) UTC, ENABLED" in created
    # AND the firing on unchanged data imported and trained nothing, the one after new data did both
    assert f"Started by schedule {IMPORT_SCHEDULE}" in unchanged and "fired for 2026-01-06T03:00:00Z" in unchanged
    assert "0 resource(s) created, updated or resumed; 10 reused unchanged." in unchanged
    assert "3 resource(s) created, updated or resumed; 7 reused unchanged." in new_data
    assert re.search(r"solution version +retail-user-personalization-[0-9a-f]{12} \(created, ", new_data)
    # AND the upload without it deleted it: nothing is left in Scheduler, and nothing fired afterwards
    assert f"- {IMPORT_SCHEDULE}: deleted (no longer in params.json)" in removed
    inventory = report["personalize"]
    assert inventory["schedules"] == []
    assert (len(inventory["datasetImportJobs"]), len(inventory["solutionVersions"])) == (3, 2)
    # AND four simulated days took seconds (deploy and the first full run included)
    assert wall < 120
