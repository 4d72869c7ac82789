"""``python -m local run``: the flags, the live view, the JSON contract and the exit codes (design §8)."""

from __future__ import annotations

import argparse
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from local.cli import (
    DEFAULT_DATA,
    DEFAULT_PARAMS,
    Advance,
    Upload,
    UsageError,
    format_firing,
    main,
    parse_duration,
    parse_upload,
    plan,
)
from local.runner import DataSync, LocalPipeline
from local.scheduler import Firing

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
    "stateMachine",
    "trigger",
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
    assert [(run["stateMachine"], run["trigger"]) for run in report["runs"]] == [
        ("pipeline", {"upload": "params.json"}),
        ("pipeline", {"upload": "params.json"}),
    ]
    assert report["runs"][0]["notification"]["subject"].startswith("Personalize pipeline succeeded")
    assert set(report) == {"runs", "firings", "personalize"} and report["firings"] == []
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


def test_cli_plan_keeps_the_command_line_order_of_every_step() -> None:
    a, more, extra = Path("a.json"), Path("more"), Path("extra")
    upload, day = Upload(Path("x.csv"), "Interactions/x.csv"), Advance(86400, "1d")
    steps = [("data", more), ("params", a), ("data", extra), ("upload", upload), ("advance", day), ("params", a)]
    assert plan(steps).steps == steps


def test_cli_plan_defaults_example_data_first_and_example_params_before_the_first_advance() -> None:
    day = Advance(86400, "1d")
    assert plan([]).steps == [("data", DEFAULT_DATA), ("params", DEFAULT_PARAMS)]
    assert plan([("params", Path("a.json"))]).steps == [("data", DEFAULT_DATA), ("params", Path("a.json"))]
    assert plan([("data", Path("d"))]).steps == [("data", Path("d")), ("params", DEFAULT_PARAMS)]
    assert plan([("advance", day), ("data", Path("d")), ("advance", day)]).steps == [
        ("params", DEFAULT_PARAMS),
        ("advance", day),
        ("data", Path("d")),
        ("advance", day),
    ]
    # an --upload is the user's choice of what to upload: no example params are added
    upload = Upload(Path("p.json"), "params.json")
    assert plan([("upload", upload)]).steps == [("data", DEFAULT_DATA), ("upload", upload)]


def test_cli_plan_data_after_the_last_other_step_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as raised:
        plan([("params", Path("a.json")), ("advance", Advance(60, "1m")), ("data", Path("late"))])
    assert str(raised.value) == (
        "--data late comes after the last --params, --upload or --advance: nothing would read it; put each --data "
        "before the step it is for"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90m", 5400), ("12h", 43200), ("7d", 604800), ("1d12h", 129600), ("1d2h3m4s", 93784), ("30s", 30)],
)
def test_cli_duration_is_days_hours_minutes_seconds(text: str, expected: int) -> None:
    assert parse_duration(text) == Advance(expected, text)


@pytest.mark.parametrize("text", ["", "7", "1h1d", "0d", "-1d", "1.5h", "1w"])
def test_cli_duration_that_is_not_one_is_refused_with_examples(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as raised:
        parse_duration(text)
    assert "90m, 12h, 7d or 1d12h" in str(raised.value) or "must be positive" in str(raised.value)


def test_cli_upload_splits_at_the_first_equals_sign() -> None:
    assert parse_upload("d/x.csv=Interactions/day=5/x.csv") == Upload(Path("d/x.csv"), "Interactions/day=5/x.csv")
    for text in ("x.csv", "=key", "x.csv=", "x.csv=/abs"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_upload(text)


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


def test_cli_upload_puts_any_file_at_any_key_and_each_rule_key_starts_its_state_machine(tmp_path: Path) -> None:
    # GIVEN more interactions, a file no rule matches, and a teardown request
    more = tmp_path / "more.csv"
    rows = [f"u0001,i00{n:03d},{1767225600 + n}" for n in range(1, 200)]
    more.write_text("USER_ID,ITEM_ID,TIMESTAMP\n" + "\n".join(rows) + "\n")
    notes = tmp_path / "notes.txt"
    notes.write_text("exported 2026-01-01\n")
    delete = tmp_path / "delete.json"
    delete.write_text('{"datasetGroup": {"name": "retail-demo"}}')
    # WHEN the params are uploaded, the two files under keys of our choosing, the params again, then delete.json
    code, output = run_cli(
        "--upload", f"{EXAMPLE_PARAMS}=params.json",
        "--upload", f"{more}=Interactions/more=2026-01-05.csv", "--upload", f"{notes}=notes.txt",
        "--upload", f"{EXAMPLE_PARAMS}=params.json", "--upload", f"{delete}=delete.json", "--json",
    )  # fmt: skip
    # THEN only the rules' keys started runs, each of its own state machine, in order
    assert code == 0
    report = json.loads(output.splitlines()[-1])
    assert [(r["stateMachine"], r["trigger"], r["params"], r["status"]) for r in report["runs"]] == [
        ("pipeline", {"upload": "params.json"}, str(EXAMPLE_PARAMS), "SUCCEEDED"),
        ("pipeline", {"upload": "params.json"}, str(EXAMPLE_PARAMS), "SUCCEEDED"),
        ("teardown", {"upload": "delete.json"}, str(delete), "SUCCEEDED"),
    ]
    assert report["firings"] == []
    # AND the second run imported the file put under the new key and retrained; the teardown kept only the
    # three import job records
    assert (
        "3 resource(s) created, updated or resumed; 7 reused unchanged." in report["runs"][1]["notification"]["message"]
    )
    assert report["runs"][2]["notification"]["subject"] == "Personalize teardown done for retail-demo"
    assert {kind: len(arns) for kind, arns in report["personalize"].items() if arns} == {"datasetImportJobs": 3}


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


def test_cli_live_view_shows_each_firing_its_lateness_and_a_refusal() -> None:
    arn = "arn:aws:scheduler:us-east-1:123456789012:schedule/g/daily"
    on_time = Firing(arn, "daily", "g", 1767668400.0, 1767668400.0, execution_arn="arn:aws:states:x:execution:m:e1")
    late = Firing(arn, "daily", "g", 1767668400.0, 1767668400.0 + 754, execution_arn="arn:aws:states:x:execution:m:e2")
    refused = Firing(arn, "daily", "g", 1767668400.0, 1767668400.0, refused="role r does not trust it")
    assert [format_firing(firing) for firing in (on_time, late, refused)] == [
        "  Tue 2026-01-06 03:00:00 UTC  schedule daily fired: started e1",
        "  Tue 2026-01-06 03:12:34 UTC  schedule daily fired (flexible window: 12 min 34 s late): started e2",
        "  Tue 2026-01-06 03:00:00 UTC  schedule daily fired: REFUSED: role r does not trust it",
    ]
