"""Run history: what a run changed since the previous run of its dataset group, and which run that was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from personalize_pipeline.history import (
    JSON_ITEMS,
    Change,
    Changes,
    Lookup,
    PreviousRun,
    derive_changes,
    find_previous_run,
    guard_verdict,
    history_records,
    previous_run_text,
    section,
    state_machine_of,
    success_records,
    utc_ms,
)

PREFIX = "arn:aws:personalize:us-east-1:123456789012"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:personalize-pipeline-pipeline"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:personalize-pipeline-pipeline"
GROUP = "retail-demo"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

GROUP_ARN = f"{PREFIX}:dataset-group/{GROUP}"
DATASET_ARN = f"{PREFIX}:dataset/{GROUP}/INTERACTIONS"
SCHEMA_ARN = f"{PREFIX}:schema/retail-demo-interactions-8a7ac14f"
JOB = "retail-demo-interactions-e30f6ebfc6d1"
JOB_ARN = f"{PREFIX}:dataset-import-job/{JOB}"
SOLUTION_ARN = f"{PREFIX}:solution/retail-user-personalization"
OLD_VERSION_ARN = f"{SOLUTION_ARN}/84ebcd69"
VERSION = "retail-user-personalization-58768f210a53"
VERSION_ARN = f"{SOLUTION_ARN}/b0d07175"
CAMPAIGN = "retail-user-personalization-campaign"
CAMPAIGN_ARN = f"{PREFIX}:campaign/{CAMPAIGN}"
BATCH = "retail-weekly-picks-a0271d76"
BATCH_ARN = f"{PREFIX}:batch-inference-job/{BATCH}"
BATCH_OUTPUT = f"s3://bucket/batch-output/{BATCH}/"

#: Load Parameters' plan, as far as the history reads it: import job names and sizes, training modes.
PLAN = {
    "datasets": [
        {"datasetType": "INTERACTIONS", "datasetImportJob": {"jobName": JOB}, "sizeBytes": 600064},
        {"datasetType": "USERS", "datasetImportJob": {"jobName": "retail-demo-users-3b3e02f8427f"}, "sizeBytes": 2769},
    ],
    "solutions": [
        {"solution": {"name": "retail-user-personalization"}, "solutionVersion": {"name": VERSION}},
        {"solution": {"name": "retail-sims"}, "solutionVersion": {"name": "retail-sims-1", "trainingMode": "UPDATE"}},
    ],
}


def record(kind: str, arn: str, name: str, action: str, status: str = "ACTIVE", **details: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "arn": arn,
        "name": name,
        "status": status,
        "action": action,
        "waitSeconds": 0,
        "waitedSeconds": 0,
        "details": details,
    }


def run_records(
    group: str = "reused",
    dataset: str = "reused",
    schema: str = "reused",
    job: str = "reused",
    solution: str = "reused",
    version: str = "reused",
    campaign: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One run's records of the example: dataset group, Interactions dataset and import, solution, version,
    campaign."""
    schema_details = {"schemaArn": SCHEMA_ARN, "schemaName": "retail-demo-interactions-8a7ac14f"}
    return [
        record("datasetGroup", GROUP_ARN, GROUP, group),
        record("dataset", DATASET_ARN, "retail-demo-interactions", dataset, **schema_details, schemaAction=schema),
        record("datasetImportJob", JOB_ARN, JOB, job),
        record("solution", SOLUTION_ARN, "retail-user-personalization", solution),
        record("solutionVersion", VERSION_ARN, VERSION, version, solutionArn=SOLUTION_ARN),
        campaign or record("campaign", CAMPAIGN_ARN, CAMPAIGN, "reused", solutionVersionArn=VERSION_ARN),
    ]


def texts(changes: list[Change]) -> list[str]:
    return [c.text for c in changes]


# ----------------------------------------------------------------------------- derive_changes
def test_derive_changes_first_run_lists_every_resource_created() -> None:
    # GIVEN a first run: everything created, the campaign serving the new version
    campaign = record("campaign", CAMPAIGN_ARN, CAMPAIGN, "created", solutionVersionArn=VERSION_ARN)
    records = run_records("created", "created", "created", "created", "created", "created", campaign)
    # WHEN its changes are derived
    changes = derive_changes(records, PLAN)
    # THEN each creation is listed in the run's order, the schema after its dataset's record, the import with
    # its dataset type and size, the version with its training mode, the campaign with the version it serves
    assert texts(changes) == [
        "dataset group retail-demo created",
        "schema retail-demo-interactions-8a7ac14f created",
        "dataset retail-demo-interactions created",
        f"new import into the INTERACTIONS dataset: 586.0 KiB (import job {JOB})",
        "solution retail-user-personalization created",
        f"new solution version {VERSION} of solution retail-user-personalization (trainingMode FULL)",
        f"campaign {CAMPAIGN} created, serving solution version {VERSION}",
    ]
    assert [(c.kind, c.action) for c in changes][:3] == [
        ("datasetGroup", "created"),
        ("schema", "created"),
        ("dataset", "created"),
    ]


def test_derive_changes_rerun_that_reused_everything_is_empty() -> None:
    # GIVEN a re-run of the same upload: every record says reused
    # WHEN its changes are derived THEN there are none
    assert derive_changes(run_records(), PLAN) == []


def test_derive_changes_new_data_lists_import_version_and_campaign_move() -> None:
    # GIVEN new interactions: a new import and version, and the campaign updated from the old version
    campaign = record(
        "campaign",
        CAMPAIGN_ARN,
        CAMPAIGN,
        "updated",
        solutionVersionArn=VERSION_ARN,
        previousSolutionVersionArn=OLD_VERSION_ARN,
        updatedSettings=["solutionVersionArn"],
    )
    records = run_records(job="created", version="created", campaign=campaign)
    # a retried attempt of the planned job is still that dataset's import
    records[2].update(name=f"{JOB}-r2", arn=f"{JOB_ARN}-r2")
    # WHEN its changes are derived
    changes = derive_changes(records, PLAN)
    # THEN the import, the version and the move (from which version to which, named when known) are listed
    assert changes == [
        Change(
            "datasetImportJob",
            f"{JOB}-r2",
            f"{JOB_ARN}-r2",
            "created",
            f"new import into the INTERACTIONS dataset: 586.0 KiB (import job {JOB}-r2)",
        ),
        Change(
            "solutionVersion",
            VERSION,
            VERSION_ARN,
            "created",
            f"new solution version {VERSION} of solution retail-user-personalization (trainingMode FULL)",
        ),
        Change(
            "campaign",
            CAMPAIGN,
            CAMPAIGN_ARN,
            "updated",
            f"campaign {CAMPAIGN} moved to a new solution version",
            (f"from {OLD_VERSION_ARN}", f"to   {VERSION_ARN} ({VERSION})"),
        ),
    ]


def test_derive_changes_campaign_settings_only_names_the_settings() -> None:
    # GIVEN a campaign updated for more capacity and a new config, on the same version
    campaign = record(
        "campaign",
        CAMPAIGN_ARN,
        CAMPAIGN,
        "updated",
        solutionVersionArn=VERSION_ARN,
        previousSolutionVersionArn=VERSION_ARN,
        updatedSettings=["minProvisionedTPS", "campaignConfig"],
    )
    # WHEN its changes are derived THEN the settings are named, and no move
    assert texts(derive_changes([campaign], PLAN)) == [
        f"campaign {CAMPAIGN}: minProvisionedTPS, campaignConfig updated"
    ]


def test_derive_changes_pending_update_changed_nothing_yet() -> None:
    # GIVEN the campaign's update still waits for it to become ACTIVE (the run failed meanwhile)
    campaign = record(
        "campaign", CAMPAIGN_ARN, CAMPAIGN, "updated", "UPDATE IN_PROGRESS", solutionVersionArn=VERSION_ARN
    )
    campaign["details"]["pendingUpdate"] = True
    # WHEN its changes are derived THEN nothing is claimed
    assert derive_changes([campaign], PLAN) == []


def test_derive_changes_other_kinds_and_training_mode_from_the_plan() -> None:
    # GIVEN a resumed import, an UPDATE training, a dataset switched to a new schema, a recommender updated,
    # a tracker, a filter and a batch job created
    records = [
        record("dataset", DATASET_ARN, "retail-demo-interactions", "updated", schemaName="s2", schemaAction="reused"),
        record("datasetImportJob", JOB_ARN, JOB, "resumed"),
        record("solutionVersion", f"{PREFIX}:solution/retail-sims/1", "retail-sims-1", "created"),
        record("eventTracker", f"{PREFIX}:event-tracker/e1", "retail-tracker", "created", trackingId="t"),
        record("filter", f"{PREFIX}:filter/retail-women", "retail-women", "created"),
        record("recommender", f"{PREFIX}:recommender/retail-top", "retail-top", "updated"),
        record("batchInferenceJob", BATCH_ARN, BATCH, "created", outputPath=BATCH_OUTPUT, outputs=[]),
    ]
    # WHEN their changes are derived
    # THEN each says what happened to it
    assert texts(derive_changes(records, PLAN)) == [
        "dataset retail-demo-interactions switched to schema s2",
        f"dataset import job {JOB}, started by an earlier run, finished",
        "new solution version retail-sims-1 of solution retail-sims (trainingMode UPDATE)",
        "event tracker retail-tracker created",
        "filter retail-women created",
        "recommender retail-top: recommenderConfig updated",
        f"batch inference job {BATCH} ran; output in {BATCH_OUTPUT}",
    ]


def test_derive_changes_failed_run_shows_the_status_each_change_is_in_now() -> None:
    # GIVEN a failed run: a version created (its training then failed), an import created (ACTIVE now) and an
    # earlier run's import waited for (still running)
    other = f"{PREFIX}:dataset-import-job/retail-demo-users-3b3e02f8427f"
    records = [
        record("datasetImportJob", JOB_ARN, JOB, "created", "CREATE PENDING"),
        record("datasetImportJob", other, "retail-demo-users-3b3e02f8427f", "resumed", "CREATE IN_PROGRESS"),
        record("solutionVersion", VERSION_ARN, VERSION, "created", "CREATE PENDING", solutionArn=SOLUTION_ARN),
    ]
    # WHEN its changes are derived with the statuses read now
    changes = derive_changes(records, PLAN, statuses={VERSION_ARN: "CREATE FAILED", JOB_ARN: "ACTIVE"})
    # THEN a change that is not ACTIVE says its status, and the unfinished import is not said to have finished
    assert texts(changes) == [
        f"new import into the INTERACTIONS dataset: 586.0 KiB (import job {JOB})",
        "dataset import job retail-demo-users-3b3e02f8427f, started by an earlier run - CREATE IN_PROGRESS",
        f"new solution version {VERSION} of solution retail-user-personalization (trainingMode FULL) - CREATE FAILED",
    ]


def test_derive_changes_schedules_created_updated_deleted_not_unchanged() -> None:
    # GIVEN Apply Schedules' output: one schedule of each action (a deleted one no longer names its solution)
    schedule = {"expression": "rate(1 day)", "timezone": "UTC", "state": "ENABLED", "trainingMode": "FULL"}
    schedules = [
        {**schedule, "name": "s-import", "arn": "a1", "kind": "import", "solution": None, "action": "created"},
        {
            **schedule,
            "name": "s-train",
            "arn": "a2",
            "expression": "cron(0 3 ? * MON *)",
            "timezone": "Europe/Paris",
            "state": "DISABLED",
            "kind": "train",
            "solution": "retail-user-personalization",
            "trainingMode": "UPDATE",
            "action": "updated",
        },
        {"name": "s-old", "arn": "a3", "expression": None, "timezone": None, "state": "ENABLED", "kind": "train"}
        | {"solution": None, "trainingMode": None, "action": "deleted"},
        {**schedule, "name": "s-same", "arn": "a4", "kind": "import", "solution": None, "action": "unchanged"},
    ]
    # WHEN the changes are derived THEN the three that changed are listed, the unchanged one is not
    assert derive_changes([], PLAN, schedules) == [
        Change(
            "schedule",
            "s-import",
            "a1",
            "created",
            "schedule s-import (imports and retrains, trainingMode FULL) created: rate(1 day) UTC, ENABLED",
        ),
        Change(
            "schedule",
            "s-train",
            "a2",
            "updated",
            "schedule s-train (retrains solution retail-user-personalization, trainingMode UPDATE) updated: "
            "cron(0 3 ? * MON *) Europe/Paris, DISABLED",
        ),
        Change("schedule", "s-old", "a3", "deleted", "schedule s-old (retrains a solution) deleted"),
    ]


# ----------------------------------------------------------------------------- records of a run
def test_success_records_walks_the_summarize_run_payload_in_order() -> None:
    # GIVEN the Summarize Run payload of a run with every kind
    records = run_records()
    tracker = record("eventTracker", f"{PREFIX}:event-tracker/e1", "t", "created")
    filter_ = record("filter", f"{PREFIX}:filter/f", "f", "created")
    batch = record("batchInferenceJob", BATCH_ARN, BATCH, "created")
    recommender = record("recommender", f"{PREFIX}:recommender/r", "r", "created")
    event = {
        "datasetGroup": records[0],
        "datasets": [{"datasetType": "INTERACTIONS", "dataset": records[1], "importJob": records[2]}],
        "eventTrackers": [{"eventTracker": tracker}],
        "filters": [{"filter": filter_}],
        "solutions": [
            {
                "solution": records[3],
                "solutionVersion": records[4],
                "campaigns": [{"campaign": records[5]}],
                "batchInferenceJobs": [{"batchJob": batch}],
                "batchSegmentJobs": [],
            }
        ],
        "recommenders": [{"spec": {}, "recommender": recommender}],
    }
    # WHEN its records are read THEN all are found, in the e-mail's order
    assert success_records(event) == [*records[:3], tracker, filter_, *records[3:], batch, recommender]


def task_events(state: str, payload: Any) -> list[dict[str, Any]]:
    output = json.dumps({"ExecutedVersion": "$LATEST", "Payload": payload, "StatusCode": 200})
    return [
        {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": state, "input": "{}"}},
        {"type": "TaskSucceeded", "taskSucceededEventDetails": {"output": output}},
        {"type": "TaskStateExited", "stateExitedEventDetails": {"name": state, "output": "{}"}},
    ]


def test_history_records_keeps_the_latest_record_per_arn_in_first_seen_order() -> None:
    # GIVEN a failed run's history: the group created, a campaign update deferred then applied by a check,
    # a schedule-like output and a non-record output in between
    pending = record("campaign", CAMPAIGN_ARN, CAMPAIGN, "updated", "ACTIVE", pendingUpdate=True)
    applied = record("campaign", CAMPAIGN_ARN, CAMPAIGN, "updated", "UPDATE PENDING", previousSolutionVersionArn="v1")
    group = record("datasetGroup", GROUP_ARN, GROUP, "created")
    events = [
        *task_events("Create Dataset Group", group),
        *task_events("Create Campaign", pending),
        *task_events("Apply Schedules", {"kind": "import", "arn": "s", "name": "s", "action": "created"}),
        *task_events("Look for Other Runs", {"verdict": "clear", "other": None}),
        *task_events("Check Campaign", applied),
    ]
    # WHEN its records are read THEN the group, then the campaign as last recorded
    assert history_records(events) == [group, applied]


# ----------------------------------------------------------------------------- the previous run
def run_history(group: str | None, *verdicts: str) -> list[dict[str, Any]]:
    """An execution's history: Load Parameters (reading ``group``), each guard verdict, then two more events."""
    events: list[dict[str, Any]] = [{"type": "ExecutionStarted"}]
    if group is not None:
        plan = {"plan": {"datasetGroup": {"name": group}}}
        events.append(
            {
                "type": "TaskStateExited",
                "stateExitedEventDetails": {"name": "Load Parameters", "output": json.dumps(plan)},
            }
        )
    for verdict in verdicts:
        output = json.dumps({"otherRuns": {"verdict": verdict, "other": None}})
        events.append(
            {"type": "TaskStateExited", "stateExitedEventDetails": {"name": "Look for Other Runs", "output": output}}
        )
    return [*events, {"type": "TaskStateEntered"}, {"type": "TaskStateExited"}]


class Executions:
    """ListExecutions items (newest first) and their histories, counting the history pages read."""

    def __init__(self, *runs: tuple[str, int, str, list[dict[str, Any]]]) -> None:
        self.items = [
            {
                "executionArn": f"{EXECUTION}:{name}",
                "name": name,
                "startDate": T0 + timedelta(minutes=minute),
                "status": status,
            }
            for name, minute, status, _ in sorted(runs, key=lambda run: -run[1])
        ]
        self.histories = {f"{EXECUTION}:{name}": history for name, _, _, history in runs}
        self.pages_read: list[str] = []

    def pages(self, arn: str) -> Iterator[list[dict[str, Any]]]:
        history = self.histories[arn]
        for start in range(0, len(history), 2):  # two events a page, to see where reading stops
            self.pages_read.append(arn.rsplit(":", 1)[-1])
            yield history[start : start + 2]


ME = (f"{EXECUTION}:me", T0 + timedelta(minutes=60))


def test_find_previous_run_is_the_latest_older_run_that_worked_on_the_group() -> None:
    # GIVEN, newest first: a newer run, this run, another group's run, a duplicate delivery, a refused upload,
    # invalid params, then two runs of the group that went on (the later one failed)
    executions = Executions(
        ("newer", 70, "RUNNING", run_history(GROUP, "clear")),
        ("me", 60, "RUNNING", run_history(GROUP, "clear")),
        ("other-group", 50, "SUCCEEDED", run_history("shop-demo", "clear")),
        ("duplicate", 40, "SUCCEEDED", run_history(GROUP, "duplicate")),
        ("refused", 35, "FAILED", run_history(GROUP)),
        ("invalid", 32, "FAILED", run_history(None)),
        ("failed", 30, "FAILED", run_history(GROUP, "wait", "clear")),
        ("first", 0, "SUCCEEDED", run_history(GROUP, "clear")),
    )
    # WHEN the previous run is looked up
    lookup = find_previous_run(executions.items, executions.pages, ME, GROUP)
    # THEN it is the failed run (name, start, status), after reading five older histories
    assert lookup == Lookup(PreviousRun("failed", f"{EXECUTION}:failed", "2026-01-05T09:30:00.000Z", "FAILED"), 5)
    # AND neither this run nor the newer one was read, and each older one only until its guard decided
    # (the refused and the invalid one to their end: two pages each)
    readers = ("other-group", "duplicate", "refused", "invalid", "failed")
    assert executions.pages_read == [name for name in readers for _ in range(2)]


def test_find_previous_run_first_run_finds_none() -> None:
    # GIVEN only this run and another group's
    executions = Executions(("me", 60, "RUNNING", []), ("other", 10, "SUCCEEDED", run_history("shop-demo", "clear")))
    # WHEN looked up THEN none, and the search reached the oldest execution
    assert find_previous_run(executions.items, executions.pages, ME, GROUP) == Lookup(None, 1, exhausted=True)


def test_find_previous_run_stops_at_the_lookback() -> None:
    # GIVEN three older runs of other groups and a lookback of two
    executions = Executions(*((f"o{n}", n, "SUCCEEDED", run_history("shop-demo", "clear")) for n in range(3)))
    # WHEN looked up THEN none, saying the search stopped after two
    assert find_previous_run(executions.items, executions.pages, ME, GROUP, lookback=2) == Lookup(
        None, 2, exhausted=False
    )


def test_guard_verdict_is_the_last_one_given() -> None:
    assert guard_verdict(run_history(GROUP)) is None
    assert guard_verdict(run_history(GROUP, "wait")) == "wait"
    assert guard_verdict(run_history(GROUP, "wait", "clear")) == "clear"


def test_state_machine_of_an_execution_arn() -> None:
    assert state_machine_of(f"{EXECUTION}:3f1c2b9a") == MACHINE


def test_utc_ms_reads_state_machine_start_times_and_datetimes_alike() -> None:
    expected = datetime(2026, 1, 5, 9, 0, 0, 123000, tzinfo=UTC)
    assert utc_ms("2026-01-05T09:00:00.123Z") == expected
    assert utc_ms(datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=UTC)) == expected


@pytest.mark.parametrize(
    ("lookup", "text"),
    [
        pytest.param(
            Lookup(PreviousRun("run-7", f"{EXECUTION}:run-7", "2026-01-05T09:30:30.000Z", "SUCCEEDED"), 1),
            "Previous run: run-7 (started 2026-01-05 09:30:30 UTC, SUCCEEDED)",
            id="found",
        ),
        pytest.param(
            Lookup(None, 3),
            "Previous run: none of dataset group 'retail-demo' (Step Functions keeps an execution for 90 days after "
            "it ends): this is its first recorded run",
            id="first",
        ),
        pytest.param(
            Lookup(None, 50, exhausted=False),
            "Previous run: none of dataset group 'retail-demo' among the 50 latest executions before this one",
            id="lookback",
        ),
        pytest.param(
            Lookup(None, error="AccessDeniedException"),
            "Previous run: unknown (the lookup failed: AccessDeniedException)",
            id="error",
        ),
    ],
)
def test_previous_run_text_each_outcome(lookup: Lookup, text: str) -> None:
    assert previous_run_text(lookup, GROUP) == text


# ----------------------------------------------------------------------------- the section and the JSON
PREVIOUS = Lookup(PreviousRun("run-7", f"{EXECUTION}:run-7", "2026-01-05T09:30:30.000Z", "SUCCEEDED"), 1)
MOVED = Change("campaign", CAMPAIGN, CAMPAIGN_ARN, "updated", "campaign c moved", ("from v1", "to   v2"))


def test_section_lists_changes_with_their_lines() -> None:
    assert section(Changes(GROUP, PREVIOUS, [MOVED])) == [
        "Since the previous run",
        "  Previous run: run-7 (started 2026-01-05 09:30:30 UTC, SUCCEEDED)",
        "  - campaign c moved",
        "      from v1",
        "      to   v2",
    ]


def test_section_nothing_changed_says_so_for_success_and_failure() -> None:
    assert section(Changes(GROUP, PREVIOUS)) == [
        "Since the previous run",
        "  Previous run: run-7 (started 2026-01-05 09:30:30 UTC, SUCCEEDED)",
        "  Nothing changed: every resource was reused.",
    ]
    assert section(Changes(GROUP, PREVIOUS), failed=True) == [
        "Since the previous run (what this run changed before it failed)",
        "  Previous run: run-7 (started 2026-01-05 09:30:30 UTC, SUCCEEDED)",
        "  Nothing changed before the failure.",
    ]


def test_changes_to_json_is_the_cli_contract() -> None:
    assert Changes(GROUP, PREVIOUS, [MOVED]).to_json() == {
        "datasetGroup": GROUP,
        "previousRun": {
            "name": "run-7",
            "executionArn": f"{EXECUTION}:run-7",
            "startTime": "2026-01-05T09:30:30.000Z",
            "status": "SUCCEEDED",
        },
        "previousRunNote": "Previous run: run-7 (started 2026-01-05 09:30:30 UTC, SUCCEEDED)",
        "items": [
            {
                "kind": "campaign",
                "name": CAMPAIGN,
                "arn": CAMPAIGN_ARN,
                "action": "updated",
                "text": "campaign c moved",
                "lines": ["from v1", "to   v2"],
            }
        ],
        "itemsLeftOut": 0,
    }


def test_changes_to_json_keeps_the_task_result_small() -> None:
    # GIVEN more changes than the JSON carries (the e-mail is cut at 64 KB on its own)
    many = Changes(GROUP, PREVIOUS, [MOVED] * (JSON_ITEMS + 3))
    # WHEN written as JSON THEN the first JSON_ITEMS are kept and the rest counted
    document = many.to_json()
    assert (len(document["items"]), document["itemsLeftOut"]) == (JSON_ITEMS, 3)
