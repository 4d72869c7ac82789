"""``python -m local run``: the flags, the live view, the JSON contract and the exit codes (design §8)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from local.cli import main

from .conftest import EXAMPLE_PARAMS

pytestmark = pytest.mark.e2e

RUN_KEYS = {
    "params",
    "status",
    "executionArn",
    "stateTransitions",
    "lambdaInvocations",
    "simulatedSeconds",
    "notification",
}
INVENTORY_KEYS = {
    "datasetGroups",
    "schemas",
    "datasets",
    "datasetImportJobs",
    "solutions",
    "solutionVersions",
    "campaigns",
    "eventTrackers",
    "filters",
}


def run_cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["run", *argv], out=out)
    return code, out.getvalue()


def test_cli_json_last_line_is_the_report_and_exit_0_on_success() -> None:
    # WHEN the example runs twice with --json
    code, output = run_cli("--params", str(EXAMPLE_PARAMS), "--params", str(EXAMPLE_PARAMS), "--json")
    # THEN it exits 0 and the last line holds both runs and the emulator's inventory
    assert code == 0
    report = json.loads(output.strip().splitlines()[-1])
    assert [set(run) for run in report["runs"]] == [RUN_KEYS, RUN_KEYS]
    assert [run["status"] for run in report["runs"]] == ["SUCCEEDED", "SUCCEEDED"]
    assert report["runs"][0]["notification"]["subject"].startswith("Personalize pipeline succeeded")
    assert set(report["personalize"]) == INVENTORY_KEYS
    assert len(report["personalize"]["campaigns"]) == 1


def test_cli_failed_last_run_exits_1() -> None:
    code, output = run_cli("--fail", "campaign", "--json")
    assert code == 1
    assert json.loads(output.splitlines()[-1])["runs"][0]["status"] == "FAILED"


def test_cli_live_view_shows_states_status_changes_email_and_summary() -> None:
    # WHEN run without --json
    code, output = run_cli()
    # THEN the states, the resource status changes with simulated times, the e-mail and a summary appear
    assert code == 0
    assert "+00:00:00  > Load Parameters" in output
    assert "* dataset group retail-demo: absent -> CREATE PENDING" in output
    assert "> Create Schema and Dataset [INTERACTIONS]" in output
    assert "E-mail  Subject: Personalize pipeline succeeded" in output
    assert "Summary" in output and "SUCCEEDED" in output
    # AND no handler log line leaks into the view
    assert '"level"' not in output


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["--params", "no/such/params.json"], "--params no/such/params.json: no such file"),
        (["--data", "no/such/folder"], "--data no/such/folder: not a directory"),
        (["--fail", "training"], "invalid choice: 'training'"),
        (["--timeline", "slow"], "invalid choice: 'slow'"),
    ],
)
def test_cli_usage_or_setup_error_exits_2_with_one_clear_line(
    argv: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run_cli(*argv)
    assert code == 2
    assert complaint in capsys.readouterr().err


def test_cli_realistic_timeline_is_deterministic_and_takes_service_like_time(tmp_path: Path) -> None:
    # WHEN the realistic timeline runs twice
    reports = [json.loads(run_cli("--timeline", "realistic", "--json")[1].splitlines()[-1]) for _ in range(2)]
    # THEN the simulated durations and paths are identical, and training dominates (tens of minutes)
    first, second = (r["runs"][0] for r in reports)
    assert first["simulatedSeconds"] == second["simulatedSeconds"]
    assert first["stateTransitions"] == second["stateTransitions"]
    assert first["notification"]["message"] == second["notification"]["message"]
    assert 40 * 60 < first["simulatedSeconds"] < 90 * 60
