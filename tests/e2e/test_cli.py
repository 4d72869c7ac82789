"""``python -m local run``: the flags, the live view, the JSON contract and the exit codes (design §8)."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from local.cli import DEFAULT_DATA, DEFAULT_PARAMS, UsageError, main, plan
from local.runner import DataSync, LocalPipeline

from .conftest import EXAMPLE_DATA, EXAMPLE_PARAMS

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
    "schedules",
    "datasetGroups",
    "schemas",
    "datasets",
    "datasetImportJobs",
    "solutions",
    "solutionVersions",
    "campaigns",
    "eventTrackers",
    "filters",
    "recommenders",
    "batchInferenceJobs",
    "batchSegmentJobs",
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


# --- --data mirrors `aws s3 sync`, and interleaves with --params ---------------------------------------


def test_cli_plan_each_data_is_synced_before_the_next_params() -> None:
    a, b, more, extra = Path("a.json"), Path("b.json"), Path("more"), Path("extra")
    steps = [("data", more), ("params", a), ("data", extra), ("data", more), ("params", b), ("params", a)]
    assert plan(steps).runs == [([more], a), ([extra, more], b), ([], a)]


def test_cli_plan_defaults_example_data_first_and_example_params_last() -> None:
    assert plan([]).runs == [([DEFAULT_DATA], DEFAULT_PARAMS)]
    assert plan([("params", Path("a.json"))]).runs == [([DEFAULT_DATA], Path("a.json"))]
    assert plan([("data", Path("d"))]).runs == [([Path("d")], DEFAULT_PARAMS)]


def test_cli_plan_data_after_the_last_params_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as raised:
        plan([("params", Path("a.json")), ("data", Path("late"))])
    assert str(raised.value) == (
        "--data late comes after the last --params: nothing would read it; put each --data before the --params "
        "it is for"
    )


def test_cli_data_is_synced_as_is_so_the_pipeline_reports_wrong_folders(tmp_path: Path) -> None:
    # GIVEN a folder as a user might have it: Users in lower case and a stray CSV at the root
    data = tmp_path / "export"
    (data / "Interactions").mkdir(parents=True)
    (data / "users").mkdir()
    (data / "Interactions" / "interactions.csv").write_bytes(
        (EXAMPLE_DATA / "Interactions" / "interactions.csv").read_bytes()
    )
    (data / "users" / "users.csv").write_bytes((EXAMPLE_DATA / "Users" / "users.csv").read_bytes())
    (data / "notes.csv").write_text("a,b\n")
    # WHEN it is synced and the example params uploaded
    code, output = run_cli("--data", str(data), "--json")
    # THEN every file landed under its own key and Load Parameters names both mistakes
    assert code == 1
    run = json.loads(output.splitlines()[-1])["runs"][0]
    message = run["notification"]["message"]
    assert run["notification"]["subject"] == "Personalize pipeline FAILED at Load Parameters: InvalidParameters"
    assert "(found users/: S3 keys are case-sensitive, rename it to Users/)" in message
    assert "/notes.csv: CSV files at the bucket root are never imported" in message


def test_cli_run_add_data_rerun_imports_only_in_the_second_run(tmp_path: Path) -> None:
    # GIVEN a second folder with more interactions next to the example's
    more = tmp_path / "more" / "Interactions"
    more.mkdir(parents=True)
    rows = [f"u0001,i00{n:03d},{1767225600 + n}" for n in range(1, 200)]
    (more / "more.csv").write_text("USER_ID,ITEM_ID,TIMESTAMP\n" + "\n".join(rows) + "\n")
    # WHEN the example runs, the folder is synced, and the same params are uploaded again
    code, output = run_cli(
        "--data", str(EXAMPLE_DATA), "--params", str(EXAMPLE_PARAMS),
        "--data", str(tmp_path / "more"), "--params", str(EXAMPLE_PARAMS), "--json",
    )  # fmt: skip
    # THEN the first run imports both files, the second only the new interactions and trains again
    assert code == 0
    report = json.loads(output.splitlines()[-1])
    assert [run["status"] for run in report["runs"]] == ["SUCCEEDED", "SUCCEEDED"]
    inventory = report["personalize"]
    assert len(inventory["datasetImportJobs"]) == 3 and len(inventory["solutionVersions"]) == 2


def test_cli_data_sync_uploads_new_or_changed_files_only(
    open_pipeline: Callable[..., LocalPipeline], tmp_path: Path
) -> None:
    # GIVEN the example data already synced (by the fixture), and a copy with one file changed and one added
    pipeline = open_pipeline()
    copy = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA, copy)
    with (copy / "Users" / "users.csv").open("a") as users:
        users.write("u9999,34,F\n")
    (copy / "README.txt").write_text("exported 2026-01-01\n")
    # WHEN it is synced
    sync = pipeline.upload_data(copy)
    # THEN only those two are uploaded, like `aws s3 sync`, and the unchanged file is skipped
    users_size = (copy / "Users" / "users.csv").stat().st_size
    assert sync == DataSync(
        uploaded=[("README.txt", 20), ("Users/users.csv", users_size)], unchanged=["Interactions/interactions.csv"]
    )


def test_cli_data_with_the_parameters_file_at_its_root_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "params.json").write_text("{}")
    code, output = run_cli("--data", str(tmp_path), "--json")
    assert code == 2
    complaint = (
        f"--data {tmp_path}: holds params.json at its root, and syncing it would start a run; pass it with --params"
    )
    assert complaint in capsys.readouterr().err
    report = json.loads(output.splitlines()[-1])
    assert report["error"] == complaint and report["runs"] == []
    assert len(report["personalize"]["datasetGroups"]) == 0


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["--params", "no/such/params.json"], "--params no/such/params.json: no such file"),
        (["--timeline", "slow"], "invalid choice: 'slow'"),
        (["--fault", "throttle:CreateSolutions"], "did you mean 'CreateSolution'?"),
        (["--fault", "lambda-timeout:NoSuchFunction"], "no function NoSuchFunction in the template; choose from "),
    ],
)
def test_cli_setup_error_with_json_still_prints_a_json_line(argv: list[str], complaint: str) -> None:
    code, output = run_cli(*argv, "--json")
    assert code == 2
    report = json.loads(output.splitlines()[-1])
    assert set(report) == {"error", "runs", "personalize"}
    assert complaint in report["error"] and report["runs"] == []


def test_cli_fault_is_shown_where_it_is_injected_and_the_run_still_succeeds() -> None:
    # WHEN the CLI runs with a throttle botocore absorbs and a Lambda throttle the state machine retries
    code, output = run_cli("--fault", "throttle:CreateSolutionVersion", "--fault", "lambda-throttle:SolutionFunction")
    # THEN both show in the live view, named as given, and the run succeeds
    assert code == 0
    assert "failing throttle:CreateSolutionVersion:1, lambda-throttle:SolutionFunction:1" in output
    assert "~ injected throttle on CreateSolutionVersion" in output
    assert "~ injected lambda-throttle on SolutionFunction" in output
    assert "! Lambda.TooManyRequestsException: Rate Exceeded." in output
