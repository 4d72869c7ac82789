"""The "Since the previous run" section of the success and failure e-mails (personalize_pipeline.history)."""

from __future__ import annotations

from personalize_pipeline.history import Change, Changes, Lookup, PreviousRun
from personalize_pipeline.messages import FailureContext, Line, RunSummary, failure_message, success_message

PREFIX = "arn:aws:personalize:us-east-1:123456789012"
REGION = "us-east-1"
EXECUTION_ARN = "arn:aws:states:us-east-1:123456789012:execution:personalize-pipeline-pipeline:run-8"
CAMPAIGN_ARN = f"{PREFIX}:campaign/retail-campaign"
OLD_VERSION_ARN = f"{PREFIX}:solution/retail/84ebcd69"
NEW_VERSION_ARN = f"{PREFIX}:solution/retail/b0d07175"
IMPORT_ARN = f"{PREFIX}:dataset-import-job/retail-interactions-11960a4c5b3d"

PREVIOUS = Lookup(PreviousRun("run-7", EXECUTION_ARN[:-1] + "7", "2026-01-05T09:30:30.000Z", "SUCCEEDED"), 1)
NEW_DATA = [
    Change(
        "datasetImportJob",
        "retail-interactions-11960a4c5b3d",
        IMPORT_ARN,
        "created",
        "new import into the INTERACTIONS dataset: 590.7 KiB (import job retail-interactions-11960a4c5b3d)",
    ),
    Change(
        "campaign",
        "retail-campaign",
        CAMPAIGN_ARN,
        "updated",
        "campaign retail-campaign moved to a new solution version",
        (f"from {OLD_VERSION_ARN}", f"to   {NEW_VERSION_ARN} (retail-58768f210a53)"),
    ),
]


def summary(changes: Changes | None) -> RunSummary:
    return RunSummary(
        dataset_group="retail-demo",
        execution_arn=EXECUTION_ARN,
        region=REGION,
        resources=[
            Line("datasetImportJob", "retail-interactions-11960a4c5b3d", IMPORT_ARN, "created", seconds=120),
            Line("campaign", "retail-campaign", CAMPAIGN_ARN, "updated", seconds=120),
        ],
        campaigns=["retail-campaign"],
        notes=["performAutoML replaced"],
        changes=changes,
    )


def test_success_message_new_data_section_after_the_counts_before_the_notes() -> None:
    # GIVEN a run on new data whose campaign moved to the new version
    # WHEN the success e-mail is written
    _, body = success_message(summary(Changes("retail-demo", PREVIOUS, NEW_DATA)))
    # THEN the section follows the counts, names the previous run and each change, then come the notes
    assert body.startswith(
        "The Amazon Personalize pipeline finished: retail-campaign is ACTIVE and serving recommendations.\n"
        "2 resource(s) created, updated or resumed; 0 reused unchanged.\n"
        "\n"
        "Since the previous run\n"
        "  Previous run: run-7 (started 2026-01-05 09:30:30 UTC, SUCCEEDED)\n"
        "  - new import into the INTERACTIONS dataset: 590.7 KiB (import job retail-interactions-11960a4c5b3d)\n"
        "  - campaign retail-campaign moved to a new solution version\n"
        f"      from {OLD_VERSION_ARN}\n"
        f"      to   {NEW_VERSION_ARN} (retail-58768f210a53)\n"
        "\n"
        "Notes\n"
    )


def test_success_message_first_run_says_no_previous_run() -> None:
    # GIVEN a first run of the dataset group
    first = Changes("retail-demo", Lookup(None, 0), NEW_DATA[:1])
    # WHEN the success e-mail is written THEN the section says there is no earlier run, and why that is sure
    _, body = success_message(summary(first))
    assert (
        "\n\nSince the previous run\n"
        "  Previous run: none of dataset group 'retail-demo' (Step Functions keeps an execution for 90 days after "
        "it ends): this is its first recorded run\n"
        "  - new import into the INTERACTIONS dataset: 590.7 KiB (import job retail-interactions-11960a4c5b3d)\n"
        "\nNotes\n"
    ) in body


def test_success_message_without_history_has_no_section() -> None:
    _, body = success_message(summary(None))
    assert "Since the previous run" not in body


def test_failure_message_section_shows_what_changed_before_the_failure() -> None:
    # GIVEN a run that imported new data, then failed training
    context = FailureContext(
        "Check Solution Version",
        "ResourceFailed",
        "solution version 'retail-58768f210a53' is CREATE FAILED: out of memory",
        [Line("datasetImportJob", "retail-interactions-11960a4c5b3d", IMPORT_ARN, "created")],
    )
    # WHEN the failure e-mail is written
    _, body = failure_message(
        context, EXECUTION_ARN, REGION, "retail-demo", changes=Changes("retail-demo", PREVIOUS, NEW_DATA[:1])
    )
    # THEN the section comes after what to do, before the resources
    step = "  Fix the cause above, then upload the parameters file again: resources that are ACTIVE are reused, "
    assert (
        f"What to do\n{step}and the failed step is tried again under a new name.\n"
        "\n"
        "Since the previous run (what this run changed before it failed)\n"
        "  Previous run: run-7 (started 2026-01-05 09:30:30 UTC, SUCCEEDED)\n"
        "  - new import into the INTERACTIONS dataset: 590.7 KiB (import job retail-interactions-11960a4c5b3d)\n"
        "\n"
        "Resources created or reused before the failure\n"
    ) in body


def test_failure_message_refused_run_changed_nothing() -> None:
    # GIVEN an upload refused because another run of the group is RUNNING (it is the previous run)
    running = Lookup(PreviousRun("run-7", EXECUTION_ARN[:-1] + "7", "2026-01-05T09:30:30.000Z", "RUNNING"), 1)
    context = FailureContext("Look for Other Runs", "RunInProgress", "execution run-7 is already running", [])
    # WHEN the failure e-mail is written
    _, body = failure_message(context, EXECUTION_ARN, REGION, "retail-demo", changes=Changes("retail-demo", running))
    # THEN it names the running one and says this run changed nothing
    assert (
        "\n\nSince the previous run (what this run changed before it failed)\n"
        "  Previous run: run-7 (started 2026-01-05 09:30:30 UTC, RUNNING)\n"
        "  Nothing changed before the failure.\n"
        "\nNo Personalize resource was created or touched by this run.\n"
    ) in body
