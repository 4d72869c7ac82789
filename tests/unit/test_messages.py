"""The success and failure e-mails, and the helpers that find what to say in them.

``tests/events/execution_history_import_failed.json`` is a full ``GetExecutionHistory`` (with execution
data) of a run whose Interactions import failed inside the ``Import Datasets`` Map while the Users
iteration was still polling its dataset; ``summarize_failure_import_failed.json`` is the event the
notify function then receives.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from personalize_pipeline import schedules
from personalize_pipeline.messages import (
    SUBJECT_LIMIT,
    BatchOutput,
    FailureContext,
    Line,
    RecommenderLine,
    RunSummary,
    Trained,
    duration,
    failure_context,
    failure_message,
    plain_cause,
    seconds_between,
    started_by,
    subject,
    success_message,
    touched_resources,
)
from personalize_pipeline.resources import seconds_of

EVENTS = Path(__file__).resolve().parents[1] / "events"
PREFIX = "arn:aws:personalize:us-east-1:123456789012"
REGION = "us-east-1"
EXECUTION_ARN = (
    "arn:aws:states:us-east-1:123456789012:execution:PipelineStateMachine-9PqRsTuV:3f1c2b9a-4d5e-4f60-8a7b-9c0d1e2f3a4b"
)
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

GROUP_ARN = f"{PREFIX}:dataset-group/retail-demo"
INTERACTIONS_ARN = f"{PREFIX}:dataset/retail-demo/INTERACTIONS"
USERS_ARN = f"{PREFIX}:dataset/retail-demo/USERS"
INTERACTIONS_SCHEMA_ARN = f"{PREFIX}:schema/retail-demo-interactions-5b2e91c4"
USERS_SCHEMA_ARN = f"{PREFIX}:schema/retail-demo-users-a7d03f18"
IMPORT_NAME = "retail-demo-interactions-4f0e1d2c3b4a"
IMPORT_ARN = f"{PREFIX}:dataset-import-job/{IMPORT_NAME}"
SOLUTION_ARN = f"{PREFIX}:solution/retail-user-personalization"
VERSION_ARN = f"{SOLUTION_ARN}/c1a33236"
CAMPAIGN_ARN = f"{PREFIX}:campaign/retail-user-personalization-campaign"


def load(name: str) -> Any:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture
def history() -> list[dict[str, Any]]:
    return load("execution_history_import_failed.json")


@pytest.fixture
def notify_event() -> dict[str, Any]:
    return load("summarize_failure_import_failed.json")


# ----------------------------------------------------------------------------- a small history builder
class History:
    """Builds GetExecutionHistory events with consistent ids and previousEventId links."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.add("ExecutionStarted", 0, executionStartedEventDetails={"input": "{}"})

    def add(self, type_: str, previous: int | None = None, **details: Any) -> int:
        event_id = len(self.events) + 1
        prev = event_id - 1 if previous is None else previous
        self.events.append(
            {
                "timestamp": (T0 + timedelta(seconds=event_id)).isoformat(),
                "type": type_,
                "id": event_id,
                "previousEventId": prev,
                **details,
            }
        )
        return event_id

    def task(self, state: str, payload: dict[str, Any] | None = None, error: str = "", cause: str = "") -> int:
        self.add("TaskStateEntered", stateEnteredEventDetails={"name": state, "input": "{}"})
        self.add("TaskScheduled", taskScheduledEventDetails={"resourceType": "lambda", "resource": "invoke"})
        self.add("TaskStarted", taskStartedEventDetails={"resourceType": "lambda", "resource": "invoke"})
        if error:
            return self.add(
                "TaskFailed",
                taskFailedEventDetails={"resourceType": "lambda", "resource": "invoke", "error": error, "cause": cause},
            )
        output = json.dumps({"ExecutedVersion": "$LATEST", "Payload": payload or {}, "StatusCode": 200})
        self.add(
            "TaskSucceeded",
            taskSucceededEventDetails={"resourceType": "lambda", "resource": "invoke", "output": output},
        )
        return self.add("TaskStateExited", stateExitedEventDetails={"name": state, "output": "{}"})


def poll_record(kind: str, arn: str, name: str, status: str, action: str, **details: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "arn": arn,
        "name": name,
        "status": status,
        "action": action,
        "waitSeconds": 15,
        "waitedSeconds": 0,
        "details": details,
    }


def lambda_cause(message: str, error_type: str) -> str:
    return json.dumps(
        {
            "errorMessage": message,
            "errorType": error_type,
            "requestId": "5e0c7a1d-0000-4000-8000-000000000001",
            "stackTrace": ['  File "/var/task/app.py", line 20, in lambda_handler\n'],
        }
    )


# ----------------------------------------------------------------------------- subject and duration
@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Personalize pipeline succeeded: " + "g" * 63 + " -> " + "c" * 63 + ", " + "d" * 63, id="long"),
        pytest.param("Personalize pipeline succeeded: café-été -> キャンペーン", id="non-ascii"),
        pytest.param("Personalize pipeline FAILED: Resource\nFailed\n", id="newlines"),
        pytest.param("Personalize pipeline FAILED: " + "é" * 200 + "\n" * 5, id="long-non-ascii-newlines"),
    ],
)
def test_subject_any_text_fits_sns_limits(text: str) -> None:
    # GIVEN a title built from user-chosen names
    # WHEN it becomes an SNS subject
    result = subject(text)
    # THEN SNS accepts it: at most 100 ASCII characters and no line break
    assert len(result) <= SUBJECT_LIMIT
    assert result.isascii()
    assert "\n" not in result
    assert result.startswith("Personalize pipeline")


def test_subject_too_long_is_cut_with_ellipsis() -> None:
    # GIVEN a 150-character title
    # WHEN it becomes a subject
    result = subject("x" * 150)
    # THEN it is cut to exactly the limit and says so
    assert result == "x" * (SUBJECT_LIMIT - 3) + "..."


def test_subject_short_ascii_text_is_unchanged() -> None:
    # GIVEN a short plain title
    # WHEN it becomes a subject
    # THEN it is left as is
    assert subject("Personalize pipeline succeeded: retail-demo") == "Personalize pipeline succeeded: retail-demo"


def test_subject_carriage_return_and_control_characters_are_removed() -> None:
    # GIVEN a title with a Windows line break, a tab, a bell and a trailing DEL character
    # WHEN it becomes a subject
    result = subject("Personalize pipeline FAILED:\r\nResourceFailed\tat Check\x07Import\x7f")
    # THEN each run of control characters becomes one space, and the ends are trimmed
    assert result == "Personalize pipeline FAILED: ResourceFailed at Check Import"


@pytest.mark.parametrize("code", [*range(0x00, 0x20), 0x7F], ids=lambda code: f"0x{code:02x}")
def test_subject_every_ascii_control_character_becomes_a_space(code: int) -> None:
    # GIVEN a title with one ASCII control character between two words
    # WHEN it becomes a subject
    # THEN SNS gets a plain space instead
    assert subject(f"Personalize{chr(code)}pipeline") == "Personalize pipeline"


def test_subject_control_characters_removed_before_the_cut() -> None:
    # GIVEN a title of 104 characters, 100 once its five line-break characters become one space
    text = "x" * 50 + "\r\n\r\n\r" + "y" * 49
    # WHEN it becomes a subject
    result = subject(text)
    # THEN it fits without being cut, since the line breaks collapsed into one space
    assert result == "x" * 50 + " " + "y" * 49


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (None, "-"),
        (0, "0 s"),
        (59.4, "59 s"),
        (59.6, "1 min 00 s"),
        (125, "2 min 05 s"),
        (3600, "1 h 00 min"),
        (3 * 3600 + 65, "3 h 01 min"),
        (36 * 3600, "36 h 00 min"),
    ],
)
def test_duration_formats_seconds_for_humans(seconds: float | None, expected: str) -> None:
    # GIVEN a number of seconds (or none known)
    # WHEN it is formatted
    # THEN it reads naturally
    assert duration(seconds) == expected


def test_seconds_between_datetimes_and_epochs() -> None:
    # GIVEN timestamps as boto3 returns them (datetimes) or as epoch numbers, or unusable ones
    # WHEN the span is computed
    # THEN it is in seconds, never negative, and None when unknown
    assert seconds_between(T0, T0 + timedelta(minutes=2)) == 120.0
    assert seconds_between(100, 160.5) == 60.5
    assert seconds_between(T0 + timedelta(seconds=5), T0) == 0.0
    assert seconds_between("2024-05-01", T0) is None


# ----------------------------------------------------------------------------- seconds_of (the e-mail's durations)
def test_seconds_of_created_resource_uses_its_own_timestamps() -> None:
    # GIVEN a solution version created by this run and now ACTIVE
    resource = {"status": "ACTIVE", "creationDateTime": T0, "lastUpdatedDateTime": T0 + timedelta(hours=2, minutes=5)}
    # WHEN its duration is read
    # THEN it is Personalize's own creation-to-ACTIVE time
    assert seconds_of("solutionVersion", resource, "created") == 7500.0


def test_seconds_of_updated_campaign_times_the_update() -> None:
    # GIVEN a campaign created long ago and updated by this run
    resource = {
        "status": "ACTIVE",
        "creationDateTime": T0 - timedelta(days=30),
        "lastUpdatedDateTime": T0 + timedelta(minutes=12),
        "latestCampaignUpdate": {
            "status": "ACTIVE",
            "creationDateTime": T0,
            "lastUpdatedDateTime": T0 + timedelta(minutes=12),
        },
    }
    # WHEN its duration is read
    # THEN it is the update's duration, not the campaign's age
    assert seconds_of("campaign", resource, "updated") == 720.0


def test_seconds_of_updated_dataset_times_the_schema_swap() -> None:
    # GIVEN a dataset whose schema this run swapped
    resource = {
        "status": "ACTIVE",
        "creationDateTime": T0 - timedelta(days=3),
        "lastUpdatedDateTime": T0 + timedelta(minutes=2),
        "latestDatasetUpdate": {
            "status": "ACTIVE",
            "creationDateTime": T0,
            "lastUpdatedDateTime": T0 + timedelta(seconds=95),
        },
    }
    # WHEN its duration is read
    # THEN it is the swap's duration
    assert seconds_of("dataset", resource, "updated") == 95.0


@pytest.mark.parametrize(
    ("resource", "action"),
    [
        pytest.param({"status": "ACTIVE", "creationDateTime": T0, "lastUpdatedDateTime": T0}, "reused", id="reused"),
        pytest.param(
            {"status": "CREATE IN_PROGRESS", "creationDateTime": T0, "lastUpdatedDateTime": T0}, "created", id="busy"
        ),
        pytest.param({"status": "ACTIVE", "creationDateTime": T0}, "created", id="no-end"),
        pytest.param({}, "created", id="not-described"),
    ],
)
def test_seconds_of_unknown_or_reused_is_none(resource: dict[str, Any], action: str) -> None:
    # GIVEN a reused resource, or one without a finished creation
    # WHEN its duration is read
    # THEN no duration is claimed
    assert seconds_of("datasetImportJob", resource, action) is None


def test_seconds_of_epoch_numbers_work_like_datetimes() -> None:
    # GIVEN timestamps as epoch seconds (the wire format, e.g. from the local cloud)
    resource = {"status": "ACTIVE", "creationDateTime": 1714564800.0, "lastUpdatedDateTime": 1714564842.5}
    # WHEN its duration is read
    # THEN it is their difference
    assert seconds_of("datasetGroup", resource, "created") == 42.5


# ----------------------------------------------------------------------------- success
def full_summary() -> RunSummary:
    return RunSummary(
        dataset_group="retail-demo",
        execution_arn=EXECUTION_ARN,
        region=REGION,
        resources=[
            Line("datasetGroup", "retail-demo", GROUP_ARN, "created", seconds=42),
            Line("dataset", "retail-demo-interactions", INTERACTIONS_ARN, "created", seconds=65),
            Line("schema", "retail-demo-interactions-5b2e91c4", INTERACTIONS_SCHEMA_ARN, "created"),
            Line("datasetImportJob", IMPORT_NAME, IMPORT_ARN, "created", seconds=3790),
            Line("dataset", "retail-demo-users", USERS_ARN, "reused", seconds=999),
            Line("schema", "retail-demo-users-a7d03f18", USERS_SCHEMA_ARN, "reused"),
            Line("solution", "retail-user-personalization", SOLUTION_ARN, "reused"),
            Line("solutionVersion", "retail-user-personalization-3f9a1c0b7d2e", VERSION_ARN, "created", seconds=7500),
            Line("campaign", "retail-user-personalization-campaign", CAMPAIGN_ARN, "updated", seconds=720),
        ],
        metrics={
            VERSION_ARN: {
                "precision_at_5": 0.04,
                "coverage": 0.1234,
                "normalized_discounted_cumulative_gain_at_10": 0.2,
                "mean_reciprocal_rank_at_25": 0.05678,
            }
        },
        campaigns=["retail-user-personalization-campaign"],
    )


def test_success_message_lists_every_arn_with_its_action() -> None:
    # GIVEN a run that created, reused and updated resources
    summary = full_summary()
    # WHEN the success e-mail is written
    _, body = success_message(summary)
    # THEN every ARN appears, under the line naming the resource and what the run did with it
    lines = body.splitlines()
    for resource in summary.resources:
        row = next(i for i, line in enumerate(lines) if f" {resource.name} ({resource.action}" in line)
        assert lines[row + 1].strip() == resource.arn
    assert "6 resource(s) created, updated or resumed; 3 reused unchanged." in body
    assert "retail-user-personalization-campaign is ACTIVE and serving recommendations." in body


def test_success_message_lists_each_recommender_with_recipe_status_and_arn() -> None:
    # GIVEN a Domain dataset group run with two recommenders and no campaign
    arn = "arn:aws:personalize:us-east-1:123456789012:recommender/"
    summary = RunSummary(
        dataset_group="shop",
        execution_arn=EXECUTION_ARN,
        region=REGION,
        resources=[Line("recommender", "shop-most-viewed", arn + "shop-most-viewed", "created", seconds=3000)],
        recommenders=[
            RecommenderLine(
                "shop-most-viewed",
                arn + "shop-most-viewed",
                "arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-views",
                "ACTIVE",
            ),
            RecommenderLine(
                "shop-for-you",
                arn + "shop-for-you",
                "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you",
                "ACTIVE",
            ),
        ],
    )
    # WHEN the success e-mail is written
    title, body = success_message(summary)
    # THEN the subject and first line name the recommenders as what serves, and a section lists each one
    assert title == "Personalize pipeline succeeded: shop -> shop-most-viewed, shop-for-you"
    assert body.startswith(
        "The Amazon Personalize pipeline finished: shop-most-viewed, shop-for-you are ACTIVE and serving "
        "recommendations."
    )
    assert (
        "\nRecommenders (name, recipe, status, ARN)\n"
        f"  shop-most-viewed  aws-ecomm-popular-items-by-views  ACTIVE\n    {arn}shop-most-viewed\n"
        f"  shop-for-you  aws-ecomm-recommended-for-you  ACTIVE\n    {arn}shop-for-you\n"
    ) in body


def test_success_message_notes_listed_after_the_counts() -> None:
    # GIVEN a run whose plan replaced the deprecated performAutoML
    summary = full_summary()
    summary.notes = ["solution 'Solution': performAutoML is deprecated ... instead: aws-user-personalization-v2"]
    # WHEN the success e-mail is written
    _, body = success_message(summary)
    # THEN the note is in its own section, before the resources
    lines = body.splitlines()
    notes = lines.index("Notes")
    assert lines[notes - 2].endswith("reused unchanged.") and lines[notes + 1] == f"  - {summary.notes[0]}"
    assert lines[notes + 3] == "Resources"


def test_success_message_without_notes_has_no_notes_section() -> None:
    # GIVEN / WHEN a run with nothing to note
    _, body = success_message(full_summary())
    # THEN no empty section is written
    assert "Notes" not in body.splitlines()


def test_success_message_counts_resumed_resources_with_created_ones() -> None:
    # GIVEN a run that waited for an import and a training started by an earlier run
    summary = full_summary()
    resumed = {"datasetImportJob", "solutionVersion"}
    summary.resources = [
        Line(r.kind, r.name, r.arn, "resumed" if r.kind in resumed else r.action, seconds=r.seconds)
        for r in summary.resources
    ]
    # WHEN the success e-mail is written
    _, body = success_message(summary)
    # THEN every resource this run did not merely reuse is counted, the resumed ones included
    assert "6 resource(s) created, updated or resumed; 3 reused unchanged." in body
    assert f" {IMPORT_NAME} (resumed, 1 h 03 min)" in body


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        pytest.param(["created"], "1 resource(s) created, updated or resumed; 0 reused unchanged.", id="created"),
        pytest.param(["updated"], "1 resource(s) created, updated or resumed; 0 reused unchanged.", id="updated"),
        pytest.param(["resumed"], "1 resource(s) created, updated or resumed; 0 reused unchanged.", id="resumed"),
        pytest.param(["reused"], "0 resource(s) created, updated or resumed; 1 reused unchanged.", id="reused"),
        pytest.param(
            ["created", "updated", "resumed", "reused", "reused"],
            "3 resource(s) created, updated or resumed; 2 reused unchanged.",
            id="mixed",
        ),
    ],
)
def test_success_message_counts_each_action(actions: list[str], expected: str) -> None:
    # GIVEN resources with these actions
    summary = full_summary()
    summary.resources = [
        Line("dataset", f"retail-demo-{n}", f"{PREFIX}:dataset/retail-demo-{n}/ITEMS", a) for n, a in enumerate(actions)
    ]
    # WHEN the success e-mail is written
    _, body = success_message(summary)
    # THEN the count line sums every non-reused action against the reused ones
    assert body.splitlines()[1] == expected


def test_success_message_lists_metrics_sorted_with_four_decimals() -> None:
    # GIVEN the solution version's offline metrics
    # WHEN the success e-mail is written
    _, body = success_message(full_summary())
    # THEN each metric has its own line, sorted by name, with four decimals
    block = body.split(f"Offline metrics of {VERSION_ARN}\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split()[0] for line in block] == [
        "coverage",
        "mean_reciprocal_rank_at_25",
        "normalized_discounted_cumulative_gain_at_10",
        "precision_at_5",
    ]
    assert [line.split()[1] for line in block] == ["0.1234", "0.0568", "0.2000", "0.0400"]


def test_success_message_popularity_baseline_is_a_labelled_reference_and_shows_what_it_does_not_beat() -> None:
    # GIVEN a user-personalization version and a popularity-count version of the same run and eventType
    popularity_arn = f"{PREFIX}:solution/retail-popularity/0a1b2c3d"
    summary = full_summary()
    summary.metrics[popularity_arn] = {
        "precision_at_5": 0.05,
        "coverage": 0.02,
        "normalized_discounted_cumulative_gain_at_10": 0.1,
        "mean_reciprocal_rank_at_25": 0.06,
    }
    summary.trained = {
        VERSION_ARN: Trained("aws-user-personalization-v2", None),
        popularity_arn: Trained("aws-popularity-count", None),
    }

    # WHEN the success e-mail is written
    _, body = success_message(summary)

    # THEN the version's metrics sit next to the baseline's, the baseline is named, and the metrics the
    # recipe does not beat are listed; the baseline's own block has no comparison
    block = body.split(f"Offline metrics of {VERSION_ARN} (aws-user-personalization-v2)\n", 1)[1].split("\n\n")[0]
    assert block.splitlines() == [
        f"  {'metric':<44} value    popularity baseline (reference)",
        f"  {'coverage':<44} 0.1234   0.0200",
        f"  {'mean_reciprocal_rank_at_25':<44} 0.0568   0.0600",
        f"  {'normalized_discounted_cumulative_gain_at_10':<44} 0.2000   0.1000",
        f"  {'precision_at_5':<44} 0.0400   0.0500",
        f"  Popularity baseline (reference): {popularity_arn}",
        "  NOT above the popularity baseline on: mean_reciprocal_rank_at_25, precision_at_5",
    ]
    own = body.split(f"Offline metrics of {popularity_arn} (aws-popularity-count)\n", 1)[1].split("\n\n")[0]
    assert own.splitlines() == [
        f"  {'coverage':<44} 0.0200",
        f"  {'mean_reciprocal_rank_at_25':<44} 0.0600",
        f"  {'normalized_discounted_cumulative_gain_at_10':<44} 0.1000",
        f"  {'precision_at_5':<44} 0.0500",
    ]


def test_success_message_without_popularity_baseline_says_how_to_get_one() -> None:
    # GIVEN one version trained on Purchase events and a popularity version trained on all events
    popularity_arn = f"{PREFIX}:solution/retail-popularity/0a1b2c3d"
    summary = full_summary()
    summary.metrics[popularity_arn] = {"precision_at_5": 0.05}
    summary.trained = {
        VERSION_ARN: Trained("aws-sims", "Purchase"),
        popularity_arn: Trained("aws-popularity-count", None),
    }

    # WHEN the success e-mail is written
    _, body = success_message(summary)

    # THEN no comparison across event types: the block says how to get a comparable baseline
    block = body.split(f"Offline metrics of {VERSION_ARN} (aws-sims)\n", 1)[1].split("\n\n")[0]
    assert block.splitlines()[-1] == (
        "  Popularity baseline (reference): none in this run; add a solution with recipe aws-popularity-count "
        "and eventType Purchase to see whether this recipe beats the most popular items."
    )
    assert "popularity baseline (reference)" not in block


def test_success_message_times_each_step_but_not_reused_ones() -> None:
    # GIVEN durations known for created and updated resources (and a stray one on a reused dataset)
    # WHEN the success e-mail is written
    _, body = success_message(full_summary())
    # THEN the time section shows each created or updated step in human units, and nothing for reused ones
    timing = body.split("Time spent by Personalize on each step\n", 1)[1].split("\n\n", 1)[0]
    assert [(line[:62].strip(), line[62:].strip()) for line in timing.splitlines()] == [
        ("dataset group retail-demo", "42 s"),
        ("dataset retail-demo-interactions", "1 min 05 s"),
        (f"dataset import job {IMPORT_NAME}", "1 h 03 min"),
        ("solution version retail-user-personalization-3f9a1c0b7d2e", "2 h 05 min"),
        ("campaign retail-user-personalization-campaign", "12 min 00 s"),
    ]
    assert "(created, 1 h 03 min)" in body and "(updated, 12 min 00 s)" in body
    assert "(reused, " not in body


def test_success_message_links_execution_and_dataset_group_console() -> None:
    # GIVEN a finished run
    # WHEN the success e-mail is written
    subject_line, body = success_message(full_summary())
    # THEN it links the execution and the dataset group in the console of the right region
    assert subject_line == "Personalize pipeline succeeded: retail-demo -> retail-user-personalization-campaign"
    assert f"Execution: {EXECUTION_ARN}" in body
    assert (
        f"https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/{EXECUTION_ARN}"
        in body
    )
    assert (
        "Dataset group in the console: https://us-east-1.console.aws.amazon.com/personalize/home?region=us-east-1#"
        in body
    )
    assert body.endswith("\n")


def test_success_message_long_names_keep_subject_within_limit() -> None:
    # GIVEN a 63-character dataset group name and two 63-character campaign names
    summary = full_summary()
    summary.dataset_group = "g" * 63
    summary.campaigns = ["c" * 63, "d" * 63]
    # WHEN the success e-mail is written
    subject_line, body = success_message(summary)
    # THEN the subject still fits SNS, and the body keeps the full names
    assert len(subject_line) <= SUBJECT_LIMIT and subject_line.isascii()
    assert "c" * 63 + ", " + "d" * 63 + " are ACTIVE" in body


def test_success_message_without_metrics_or_timings_omits_those_sections() -> None:
    # GIVEN a re-run that reused everything and whose metrics could not be read
    summary = full_summary()
    summary.resources = [Line(r.kind, r.name, r.arn, "reused") for r in summary.resources]
    summary.metrics = {}
    # WHEN the success e-mail is written
    _, body = success_message(summary)
    # THEN there is no empty section
    assert "Offline metrics" not in body and "Time spent" not in body
    assert "0 resource(s) created, updated or resumed; 9 reused unchanged." in body


# ----------------------------------------------------------------------------- plain_cause
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(
            lambda_cause("dataset 'x' is CREATE FAILED: bad schema", "ResourceFailed"),
            "dataset 'x' is CREATE FAILED: bad schema",
            id="lambda-json",
        ),
        pytest.param(
            lambda_cause("2 problems in the parameters or data:\n- a\n- b\n", "InvalidParameters"),
            "2 problems in the parameters or data:\n- a\n- b",
            id="lambda-json-multiline",
        ),
        pytest.param(
            "  Task timed out after 120.00 seconds \n", "Task timed out after 120.00 seconds", id="plain-text"
        ),
        pytest.param('{"error": "x"}', '{"error": "x"}', id="json-without-message"),
        pytest.param('{"errorMessage": ""}', '{"errorMessage": ""}', id="empty-message"),
        pytest.param('["a", "b"]', '["a", "b"]', id="json-list"),
        pytest.param("42", "42", id="json-number"),
        pytest.param(None, "no cause was recorded", id="none"),
        pytest.param("", "no cause was recorded", id="empty"),
    ],
)
def test_plain_cause_extracts_lambda_error_message_or_keeps_text(raw: str | None, expected: str) -> None:
    # GIVEN a Catch's Cause: a Lambda error document, or plain text from Step Functions
    # WHEN it is turned into plain words
    # THEN the human message is kept and the JSON noise dropped
    assert plain_cause(raw) == expected


# ----------------------------------------------------------------------------- failure_context over a real history
def test_failure_context_finds_failing_state_inside_map_iteration(
    history: list[dict[str, Any]], notify_event: dict[str, Any]
) -> None:
    # GIVEN the history of a run whose Interactions import failed inside the Map, while the Users
    # iteration had just entered "Check Dataset" (so the last state entered is not the failing one)
    # WHEN the failure is located
    context = failure_context(notify_event["failure"], history)
    # THEN the failing state is the one whose task raised the caught error
    assert context.state == "Check Import"
    assert context.error == "ResourceFailed"
    assert context.cause.startswith(f"dataset import job '{IMPORT_NAME}' is CREATE FAILED: Input CSV is missing")


def test_failure_context_lists_touched_resources_with_latest_status(
    history: list[dict[str, Any]], notify_event: dict[str, Any]
) -> None:
    # GIVEN the same history
    # WHEN the touched resources are gathered
    touched = failure_context(notify_event["failure"], history).touched
    # THEN each appears once, in first-seen order, with its first action and its last polled status,
    # and each dataset's schema (from the record's details) follows it
    assert [(t.kind, t.name, t.arn, t.action, t.status) for t in touched] == [
        ("datasetGroup", "retail-demo", GROUP_ARN, "created", "ACTIVE"),
        ("dataset", "retail-demo-interactions", INTERACTIONS_ARN, "reused", "ACTIVE"),
        ("schema", "retail-demo-interactions-5b2e91c4", INTERACTIONS_SCHEMA_ARN, "reused", "ACTIVE"),
        ("dataset", "retail-demo-users", USERS_ARN, "created", "CREATE IN_PROGRESS"),
        ("schema", "retail-demo-users-a7d03f18", USERS_SCHEMA_ARN, "created", "ACTIVE"),
        ("datasetImportJob", IMPORT_NAME, IMPORT_ARN, "created", "CREATE IN_PROGRESS"),
    ]


def test_failure_message_from_real_history_reads_well(
    history: list[dict[str, Any]], notify_event: dict[str, Any]
) -> None:
    # GIVEN the located failure of the sample run
    context = failure_context(notify_event["failure"], history)
    # WHEN the failure e-mail is written
    subject_line, body = failure_message(context, notify_event["executionArn"], REGION, "retail-demo")
    # THEN the subject names the state and error, and the body has every part a reader needs
    assert subject_line == "Personalize pipeline FAILED at Check Import: ResourceFailed"
    assert "The Amazon Personalize pipeline for dataset group 'retail-demo' failed." in body
    assert "Failed state: Check Import\n" in body
    assert "Error:        ResourceFailed\n" in body
    assert f"Cause:\n  dataset import job '{IMPORT_NAME}' is CREATE FAILED:" in body
    assert "the failed step is tried again under a new name" in body
    assert "Resources created or reused before the failure" in body
    for arn in (GROUP_ARN, INTERACTIONS_ARN, INTERACTIONS_SCHEMA_ARN, USERS_ARN, USERS_SCHEMA_ARN, IMPORT_ARN):
        assert f"\n  {' ' * 19} {arn}\n" in body
    assert "(created, CREATE IN_PROGRESS)" in body
    assert "/v2/executions/details/" + notify_event["executionArn"] in body


def test_sample_history_is_a_consistent_event_chain(history: list[dict[str, Any]]) -> None:
    # GIVEN the committed sample history
    ids = [event["id"] for event in history]
    # WHEN its links are checked
    # THEN ids are 1..n and each previousEventId points backwards, as in a real GetExecutionHistory
    assert ids == list(range(1, len(history) + 1))
    assert all(0 <= event["previousEventId"] < event["id"] for event in history)


# ----------------------------------------------------------------------------- failure_context: other shapes
def test_failure_context_invalid_parameters_touched_nothing() -> None:
    # GIVEN a run that failed validation in Load Parameters
    message = (
        "2 problems in the parameters or data:\n"
        '- datasets.Users.schema.fields[1].type: "strin" is not an Avro type; did you mean "string"?\n'
        "- s3://bucket/Interactions/: no CSV file"
    )
    history = History()
    history.task("Load Parameters", error="InvalidParameters", cause=lambda_cause(message, "InvalidParameters"))
    failure = {"Error": "InvalidParameters", "Cause": lambda_cause(message, "InvalidParameters")}
    # WHEN the failure e-mail is written
    context = failure_context(failure, history.events)
    _, body = failure_message(context, EXECUTION_ARN, REGION, "retail-demo")
    # THEN it names the state, lists every problem on its own line, and says nothing was created
    assert context.state == "Load Parameters" and context.touched == []
    assert '\n  - datasets.Users.schema.fields[1].type: "strin" is not an Avro type' in body
    assert "\n  - s3://bucket/Interactions/: no CSV file\n" in body
    assert "No Personalize resource was created or touched by this run." in body
    assert "Nothing was created: the parameters and data are checked before any resource." in body


def test_failure_context_matches_error_name_not_just_last_failure() -> None:
    # GIVEN a throttled check that was retried and succeeded, then a later state that failed for good
    history = History()
    history.task("Check Solution Version", error="ThrottlingException", cause="Rate exceeded")
    history.task(
        "Create or Update Campaign",
        error="ResourceConflict",
        cause=lambda_cause("campaign 'c' is being deleted", "ResourceConflict"),
    )
    history.task("Check Solution Version", error="ThrottlingException", cause="Rate exceeded")
    # WHEN the caught ResourceConflict is located
    context = failure_context({"Error": "ResourceConflict", "Cause": "x"}, history.events)
    # THEN the state that raised that error is named, not the last task that failed
    assert context.state == "Create or Update Campaign"


def test_failure_context_broken_event_chain_falls_back_to_last_task_entered() -> None:
    # GIVEN a history whose TaskFailed points at an event that is not in it
    history = History()
    history.task("Create Solution", poll_record("solution", SOLUTION_ARN, "s", "ACTIVE", "reused"))
    history.add("TaskStateEntered", stateEnteredEventDetails={"name": "Create Solution Version", "input": "{}"})
    history.add("TaskFailed", 999, taskFailedEventDetails={"error": "ResourceFailed", "cause": "x"})
    # WHEN the failure is located
    context = failure_context({"Error": "ResourceFailed", "Cause": "x"}, history.events)
    # THEN the last task state entered before the failure is used
    assert context.state == "Create Solution Version"


def test_failure_context_no_task_failed_reports_state_machine_itself() -> None:
    # GIVEN a failure raised by Step Functions itself (no TaskFailed carries its name)
    history = History()
    history.task("Create Dataset Group", poll_record("datasetGroup", GROUP_ARN, "retail-demo", "ACTIVE", "created"))
    failure = {"Error": "States.Runtime", "Cause": "An error occurred while executing the state 'Import Datasets'."}
    # WHEN the failure e-mail is written
    context = failure_context(failure, history.events)
    subject_line, body = failure_message(context, EXECUTION_ARN, REGION, "retail-demo")
    # THEN it says so, uses the generic next step, and still lists what was touched
    assert context.state == ""
    assert subject_line == "Personalize pipeline FAILED: States.Runtime"
    assert "Failed state: the state machine itself (no task failed)" in body
    assert "Fix the cause above and upload the parameters file again" in body
    assert GROUP_ARN in body


def test_failure_context_without_history_still_reports_error_and_cause() -> None:
    # GIVEN the execution history could not be read
    failure = {
        "Error": "ResourceTimeout",
        "Cause": lambda_cause("solution version 'v' is still CREATE IN_PROGRESS", "X"),
    }
    # WHEN the failure e-mail is written
    context = failure_context(failure, [])
    _, body = failure_message(context, EXECUTION_ARN, REGION, "")
    # THEN the error, the cause and the next step are there
    assert context == FailureContext(
        state="", error="ResourceTimeout", cause="solution version 'v' is still CREATE IN_PROGRESS", touched=[]
    )
    assert "dataset group 'unknown'" in body
    assert "may still finish on its own" in body


def test_failure_context_missing_error_is_states_unknown() -> None:
    # GIVEN a failure document without Error or Cause
    # WHEN it is located
    context = failure_context({}, [])
    # THEN it is named and explained generically
    assert (context.error, context.cause) == ("States.Unknown", "no cause was recorded")


def test_touched_resources_ignores_outputs_that_are_not_poll_records() -> None:
    # GIVEN task outputs that are not poll records: the plan, a notification, non-JSON, a JSON list
    history = History()
    history.task("Load Parameters", {"source": {}, "datasetGroup": {"name": "g"}, "datasets": []})
    history.add("TaskSucceeded", taskSucceededEventDetails={"output": "not json"})
    history.add("TaskSucceeded", taskSucceededEventDetails={"output": "[1, 2]"})
    history.add("TaskSucceeded", taskSucceededEventDetails={"output": json.dumps({"MessageId": "m-1"})})
    # AND one record returned without the Lambda envelope
    bare = poll_record("solution", SOLUTION_ARN, "retail-user-personalization", "CREATE PENDING", "created")
    history.add("TaskSucceeded", taskSucceededEventDetails={"output": json.dumps(bare)})
    # WHEN the touched resources are gathered
    touched = touched_resources(history.events)
    # THEN only the poll record counts
    assert touched == [Line("solution", "retail-user-personalization", SOLUTION_ARN, "created", "CREATE PENDING")]


# ----------------------------------------------------------------------------- failure message: next steps
@pytest.mark.parametrize(
    ("error", "next_step"),
    [
        ("InvalidParameters", "Nothing was created: the parameters and data are checked before any resource."),
        ("ResourceFailed", "Fix the cause above, then upload the parameters file again: resources that are ACTIVE"),
        ("ResourceConflict", "An existing resource differs from params.json in something Personalize cannot change."),
        ("ResourceTimeout", "The resource may still finish on its own."),
        ("ThrottlingException", "Fix the cause above and upload the parameters file again; resources that are"),
        ("LimitExceededException", "Fix the cause above and upload the parameters file again; resources that are"),
        ("Sandbox.Timedout", "Fix the cause above and upload the parameters file again; resources that are"),
    ],
)
def test_failure_message_gives_next_step_for_each_error(error: str, next_step: str) -> None:
    # GIVEN a failure with this error name
    context = FailureContext(state="Create Solution", error=error, cause="line one\nline two", touched=[])
    # WHEN the failure e-mail is written
    subject_line, body = failure_message(context, EXECUTION_ARN, REGION, "retail-demo")
    # THEN it has the state, the error, each cause line indented, and the matching next step
    assert subject_line == f"Personalize pipeline FAILED at Create Solution: {error}"
    assert "Failed state: Create Solution\n" in body
    assert f"Error:        {error}\n" in body
    assert "Cause:\n  line one\n  line two\n" in body
    assert f"What to do\n  {next_step}" in body


def test_failure_message_long_state_and_error_keep_subject_within_limit() -> None:
    # GIVEN an unusually long state name and error name
    context = FailureContext(state="S" * 80, error="E" * 80, cause="c", touched=[])
    # WHEN the failure e-mail is written
    subject_line, _ = failure_message(context, EXECUTION_ARN, REGION, "retail-demo")
    # THEN the subject fits SNS
    assert len(subject_line) <= SUBJECT_LIMIT and "\n" not in subject_line


def test_success_message_batch_jobs_give_name_arn_and_output_files() -> None:
    # GIVEN a run with one batch inference job that read two input files
    summary = full_summary()
    job_arn = f"{PREFIX}:batch-inference-job/retail-batch-0a1b2c3d"
    outputs = [
        "s3://bucket/batch-output/retail-batch-0a1b2c3d/a.json.out",
        "s3://bucket/batch-output/retail-batch-0a1b2c3d/b.json.out",
    ]
    summary.batch_outputs = [BatchOutput("batchInferenceJob", "retail-batch-0a1b2c3d", job_arn, outputs)]
    # WHEN the success e-mail is written
    _, body = success_message(summary)
    # THEN a section gives the job's name, ARN and every .out file, after the resources
    lines = body.splitlines()
    start = lines.index("Batch job output (one <input file>.out per input file, JSON lines)")
    assert lines[start + 1 : start + 5] == [
        "  batch inference job retail-batch-0a1b2c3d",
        f"    {job_arn}",
        f"    {outputs[0]}",
        f"    {outputs[1]}",
    ]
    assert start > lines.index("Resources")


def test_success_message_without_batch_jobs_has_no_batch_section() -> None:
    _, body = success_message(full_summary())
    assert not any(line.startswith("Batch job output") for line in body.splitlines())


def test_success_message_batch_jobs_only_says_what_the_run_produced() -> None:
    # GIVEN a run with no campaign nor recommender, and two batch jobs
    summary = full_summary()
    summary.campaigns = []
    summary.batch_outputs = [
        BatchOutput("batchInferenceJob", "recs-0a1b2c3d", f"{PREFIX}:batch-inference-job/recs-0a1b2c3d", []),
        BatchOutput("batchSegmentJob", "segs-0a1b2c3d", f"{PREFIX}:batch-segment-job/segs-0a1b2c3d", []),
    ]
    # WHEN the success e-mail is written
    title, body = success_message(summary)
    # THEN subject and first line name the jobs, not a missing campaign
    assert title == "Personalize pipeline succeeded: retail-demo -> 2 batch jobs"
    assert body.splitlines()[0] == (
        "The Amazon Personalize pipeline finished: 2 batch jobs wrote their output (listed below); no campaign or "
        "recommender."
    )


# ----------------------------------------------------------------------------- schedules
def test_success_message_of_a_scheduled_run_names_its_schedule_and_an_upload_run_lists_the_schedules() -> None:
    # GIVEN the schedules Apply Schedules left, and the schedule that started another run
    applied = [
        {
            "name": "retail-demo-37ab8efe-import",
            "arn": "a1",
            "expression": "cron(0 3 ? * MON *)",
            "timezone": "Europe/Paris",
            "state": "ENABLED",
            "kind": "import",
            "solution": None,
            "trainingMode": "FULL",
            "action": "created",
        },
        {
            "name": "retail-demo-37ab8efe-train-x-0a1b2c3d",
            "arn": "a2",
            "expression": "rate(1 day)",
            "timezone": "UTC",
            "state": "DISABLED",
            "kind": "train",
            "solution": "x",
            "trainingMode": "UPDATE",
            "action": "updated",
        },
        {
            "name": "retail-demo-37ab8efe-train-y-1a2b3c4d",
            "arn": "a3",
            "expression": None,
            "timezone": None,
            "state": "ENABLED",
            "kind": "train",
            "solution": None,
            "trainingMode": None,
            "action": "deleted",
        },
        {
            "name": "retail-demo-37ab8efe-train-z-2a3b4c5d",
            "arn": "a4",
            "expression": "rate(7 days)",
            "timezone": "UTC",
            "state": "ENABLED",
            "kind": "train",
            "solution": "z",
            "trainingMode": "FULL",
            "action": "unchanged",
            "repinned": True,
        },
    ]
    started = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)  # a Sunday: Monday 03:00 in Paris is 02:00 UTC
    upload, scheduled = full_summary(), full_summary()
    upload.schedules = schedules.describe_schedules(applied, started)
    scheduled.started_by = started_by(
        {
            "name": "retail-demo-37ab8efe-train-x-0a1b2c3d",
            "kind": "train",
            "solution": "x",
            "trainingMode": "UPDATE",
            "scheduledTime": "2027-01-04T02:00:00Z",
        }
    )
    # WHEN the e-mails are written
    _, upload_body = success_message(upload)
    _, scheduled_body = success_message(scheduled)
    # THEN the upload run lists each schedule with what it does (and its next cron run); the scheduled run
    # says which schedule started it, right after the outcome
    assert (
        "\nSchedules (EventBridge Scheduler; pause one with state DISABLED in params.json)\n"
        "  - retail-demo-37ab8efe-import (created): cron(0 3 ? * MON *) Europe/Paris, ENABLED, imports and "
        "retrains every solution (FULL); next run 2026-12-07 02:00 UTC\n"
        "  - retail-demo-37ab8efe-train-x-0a1b2c3d (updated): rate(1 day) UTC, DISABLED, retrains x (UPDATE)\n"
        "  - retail-demo-37ab8efe-train-y-1a2b3c4d: deleted (no longer in params.json)\n"
        "  - retail-demo-37ab8efe-train-z-2a3b4c5d (unchanged, now on this upload's params.json): rate(7 days) UTC, "
        "ENABLED, retrains z (FULL)\n"
    ) in upload_body
    assert scheduled_body.splitlines()[1] == (
        "Started by schedule retail-demo-37ab8efe-train-x-0a1b2c3d (retrains solution x, UPDATE training, only if "
        "the data changed), fired for 2027-01-04T02:00:00Z."
    )
    assert "Schedules (EventBridge" not in scheduled_body and "Started by" not in upload_body


def test_started_by_an_upload_run_is_empty() -> None:
    assert started_by(None) == ""
