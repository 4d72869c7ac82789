"""The status mapping and the effective status of each resource kind.

``phase_of`` is what every poll loop branches on, so it is checked against every status string each
managed resource can report (personalize-facts §2), and against the spellings it should tolerate.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from personalize_pipeline.resources import effective_status
from personalize_pipeline.status import KNOWN_STATUSES, Phase, phase_of

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

#: Every (resource kind, status) pair the pipeline can see, with the phase it must map to.
STATUSES_BY_KIND: dict[str, dict[str, Phase]] = {
    "datasetGroup": {
        "CREATE PENDING": Phase.IN_PROGRESS,
        "CREATE IN_PROGRESS": Phase.IN_PROGRESS,
        "ACTIVE": Phase.ACTIVE,
        "CREATE FAILED": Phase.FAILED,
        "DELETE PENDING": Phase.DELETING,
    },
    "dataset": {
        "CREATE PENDING": Phase.IN_PROGRESS,
        "CREATE IN_PROGRESS": Phase.IN_PROGRESS,
        "ACTIVE": Phase.ACTIVE,
        "CREATE FAILED": Phase.FAILED,
        "UPDATE PENDING": Phase.IN_PROGRESS,
        "UPDATE IN_PROGRESS": Phase.IN_PROGRESS,
        "UPDATE FAILED": Phase.FAILED,
        "DELETE PENDING": Phase.DELETING,
        "DELETE IN_PROGRESS": Phase.DELETING,
    },
    "datasetImportJob": {
        "CREATE PENDING": Phase.IN_PROGRESS,
        "CREATE IN_PROGRESS": Phase.IN_PROGRESS,
        "ACTIVE": Phase.ACTIVE,
        "CREATE FAILED": Phase.FAILED,
    },
    "solution": {
        "CREATE PENDING": Phase.IN_PROGRESS,
        "CREATE IN_PROGRESS": Phase.IN_PROGRESS,
        "ACTIVE": Phase.ACTIVE,
        "CREATE FAILED": Phase.FAILED,
        "DELETE PENDING": Phase.DELETING,
        "DELETE IN_PROGRESS": Phase.DELETING,
    },
    "solutionVersion": {
        "CREATE PENDING": Phase.IN_PROGRESS,
        "CREATE IN_PROGRESS": Phase.IN_PROGRESS,
        "ACTIVE": Phase.ACTIVE,
        "CREATE FAILED": Phase.FAILED,
        "CREATE STOPPING": Phase.FAILED,  # a stopped training cannot be resumed
        "CREATE STOPPED": Phase.FAILED,
    },
    "campaign": {
        "CREATE PENDING": Phase.IN_PROGRESS,
        "CREATE IN_PROGRESS": Phase.IN_PROGRESS,
        "ACTIVE": Phase.ACTIVE,
        "CREATE FAILED": Phase.FAILED,
        "DELETE PENDING": Phase.DELETING,
        "DELETE IN_PROGRESS": Phase.DELETING,
    },
    # latestCampaignUpdate.status and latestSolutionUpdate.status use the CREATE spellings (§2).
    "campaignUpdate": {
        "CREATE PENDING": Phase.IN_PROGRESS,
        "CREATE IN_PROGRESS": Phase.IN_PROGRESS,
        "ACTIVE": Phase.ACTIVE,
        "CREATE FAILED": Phase.FAILED,
    },
    "solutionUpdate": {
        "CREATE PENDING": Phase.IN_PROGRESS,
        "CREATE IN_PROGRESS": Phase.IN_PROGRESS,
        "ACTIVE": Phase.ACTIVE,
        "CREATE FAILED": Phase.FAILED,
    },
    # A stopped recommender is not restarted by the pipeline (STOPPED fails the run asking for a start);
    # one being started is waited for.
    "recommender": {
        "CREATE PENDING": Phase.IN_PROGRESS,
        "CREATE IN_PROGRESS": Phase.IN_PROGRESS,
        "ACTIVE": Phase.ACTIVE,
        "CREATE FAILED": Phase.FAILED,
        "STOP PENDING": Phase.STOPPED,
        "STOP IN_PROGRESS": Phase.STOPPED,
        "INACTIVE": Phase.STOPPED,
        "START PENDING": Phase.IN_PROGRESS,
        "START IN_PROGRESS": Phase.IN_PROGRESS,
        "DELETE PENDING": Phase.DELETING,
        "DELETE IN_PROGRESS": Phase.DELETING,
    },
    "recommenderUpdate": {
        "UPDATE PENDING": Phase.IN_PROGRESS,
        "UPDATE IN_PROGRESS": Phase.IN_PROGRESS,
        "ACTIVE": Phase.ACTIVE,
        "UPDATE FAILED": Phase.FAILED,
    },
}

CASES = [
    pytest.param(status, phase, id=f"{kind}:{status}")
    for kind, statuses in STATUSES_BY_KIND.items()
    for status, phase in statuses.items()
]


# ----------------------------------------------------------------------------- phase_of
@pytest.mark.parametrize(("status", "expected"), CASES)
def test_phase_of_every_documented_status_maps_to_its_phase(status: str, expected: Phase) -> None:
    # GIVEN a status string exactly as Personalize spells it for this resource kind
    # WHEN the pipeline maps it
    phase = phase_of(status)
    # THEN the poll loop takes the right branch
    assert phase is expected


def test_known_statuses_cover_every_documented_status_and_nothing_else() -> None:
    # GIVEN every status string documented for the managed resources
    documented = {status for statuses in STATUSES_BY_KIND.values() for status in statuses}
    # WHEN compared with the table the mapper uses
    # THEN the table is exactly that set, so a new entry is a deliberate decision with a test
    assert set(KNOWN_STATUSES) == documented


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param("active", Phase.ACTIVE, id="lower-case"),
        pytest.param(" ACTIVE\n", Phase.ACTIVE, id="surrounding-whitespace"),
        pytest.param("Create Pending", Phase.IN_PROGRESS, id="title-case"),
        pytest.param("create in_progress", Phase.IN_PROGRESS, id="lower-in-progress"),
        pytest.param("\tCREATE FAILED ", Phase.FAILED, id="tab-and-space"),
        pytest.param("create stopped", Phase.FAILED, id="lower-stopped"),
        pytest.param("Delete Pending", Phase.DELETING, id="title-delete"),
        pytest.param("update failed", Phase.FAILED, id="lower-update-failed"),
    ],
)
def test_phase_of_odd_casing_or_whitespace_maps_like_the_canonical_spelling(status: str, expected: Phase) -> None:
    # GIVEN a status spelled with unusual case or stray whitespace
    # WHEN it is mapped
    # THEN it lands in the same phase as the canonical spelling
    assert phase_of(status) is expected


@pytest.mark.parametrize(
    "status",
    [
        pytest.param("CREATE QUEUED", id="future-intermediate-status"),
        pytest.param("REBALANCING", id="future-unrelated-word"),
        pytest.param("IN PROGRESS", id="batch-job-doc-spelling"),
        pytest.param("", id="empty"),
    ],
)
def test_phase_of_unknown_status_is_in_progress(status: str) -> None:
    # GIVEN a status the pipeline has never seen (the service may add intermediate ones)
    # WHEN it is mapped
    # THEN the loop keeps waiting: its deadline bounds the wait, a long training is not failed for nothing
    assert phase_of(status) is Phase.IN_PROGRESS


def test_phase_values_are_the_strings_the_state_machine_compares() -> None:
    # GIVEN the Choice states compare the record's status with the literal "ACTIVE"
    # WHEN the phase enum is rendered as a string
    # THEN ACTIVE is exactly that literal
    assert str(Phase.ACTIVE) == "ACTIVE"


# ----------------------------------------------------------------------------- effective_status: dataset
def _dataset(status: str, update: dict | None = None) -> dict:
    dataset = {
        "name": "retail-demo-interactions",
        "datasetArn": "arn:aws:personalize:us-east-1:123456789012:dataset/retail-demo/INTERACTIONS",
        "datasetType": "INTERACTIONS",
        "status": status,
        "creationDateTime": T0,
        "lastUpdatedDateTime": T0,
    }
    if update is not None:
        dataset["latestDatasetUpdate"] = {"creationDateTime": T0, "lastUpdatedDateTime": T0, **update}
    return dataset


def test_effective_status_dataset_create_failed_reads_reason_from_latest_update() -> None:
    # GIVEN a dataset that failed: Dataset has no top-level failureReason, only latestDatasetUpdate has one
    resource = _dataset("CREATE FAILED", {"status": "CREATE FAILED", "failureReason": "Schema is not valid"})
    # WHEN its effective status is read
    status, reason = effective_status("dataset", resource)
    # THEN the failure and its reason come through
    assert (status, reason) == ("CREATE FAILED", "Schema is not valid")


@pytest.mark.parametrize("update_status", ["UPDATE FAILED", "CREATE FAILED"])
def test_effective_status_dataset_active_with_failed_update_is_active(update_status: str) -> None:
    # GIVEN an ACTIVE dataset whose schema swap (UpdateDataset) failed: it still serves its old schema
    resource = _dataset("ACTIVE", {"status": update_status, "failureReason": "Column ITEM_ID was removed"})
    # WHEN its effective status is read
    status, reason = effective_status("dataset", resource)
    # THEN the dataset is usable and the swap can be tried again; the check compares schemas itself
    assert (status, reason) == ("ACTIVE", None)
    assert phase_of(status) is Phase.ACTIVE


@pytest.mark.parametrize(
    "update_status", ["UPDATE PENDING", "UPDATE IN_PROGRESS", "CREATE PENDING", "CREATE IN_PROGRESS"]
)
def test_effective_status_dataset_active_with_update_in_progress_is_not_active(update_status: str) -> None:
    # GIVEN an ACTIVE dataset whose schema swap is still running (either spelling of the update's status)
    resource = _dataset("ACTIVE", {"status": update_status})
    # WHEN its effective status is read
    status, reason = effective_status("dataset", resource)
    # THEN the pipeline waits for the update
    assert (status, reason) == (update_status, None)
    assert phase_of(status) is Phase.IN_PROGRESS


def test_effective_status_dataset_update_without_status_is_ignored() -> None:
    # GIVEN an ACTIVE dataset whose latestDatasetUpdate carries no status
    resource = _dataset("ACTIVE", {"schemaArn": "arn:aws:personalize:us-east-1:123456789012:schema/s"})
    # WHEN its effective status is read
    # THEN it is ACTIVE
    assert effective_status("dataset", resource) == ("ACTIVE", None)


def test_effective_status_dataset_top_level_update_failed_reads_reason_from_latest_update() -> None:
    # GIVEN a dataset whose top-level status itself says the update failed
    resource = _dataset("UPDATE FAILED", {"status": "UPDATE FAILED", "failureReason": "Column ITEM_ID was removed"})
    # WHEN its effective status is read
    # THEN the failure and the update's reason come through
    assert effective_status("dataset", resource) == ("UPDATE FAILED", "Column ITEM_ID was removed")


def test_effective_status_dataset_being_deleted_ignores_update_in_progress() -> None:
    # GIVEN a dataset being deleted whose last update record still says in progress
    resource = _dataset("DELETE PENDING", {"status": "UPDATE IN_PROGRESS"})
    # WHEN its effective status is read
    # THEN the delete is what the pipeline sees
    assert effective_status("dataset", resource) == ("DELETE PENDING", None)


def test_effective_status_dataset_top_level_update_in_progress_wins() -> None:
    # GIVEN a dataset whose top-level status tracks the update (observed: UPDATE IN_PROGRESS for ~2 min)
    resource = _dataset("UPDATE IN_PROGRESS", {"status": "UPDATE IN_PROGRESS"})
    # WHEN its effective status is read
    # THEN it is in progress
    assert phase_of(effective_status("dataset", resource)[0]) is Phase.IN_PROGRESS


@pytest.mark.parametrize(
    "update",
    [pytest.param(None, id="never-updated"), pytest.param({"status": "ACTIVE"}, id="update-finished")],
)
def test_effective_status_dataset_active_without_pending_update_is_active(update: dict | None) -> None:
    # GIVEN an ACTIVE dataset never updated, or whose last update finished
    # WHEN its effective status is read
    # THEN it is ACTIVE with no reason
    assert effective_status("dataset", _dataset("ACTIVE", update)) == ("ACTIVE", None)


# ----------------------------------------------------------------------------- effective_status: campaign
def _campaign(status: str, update: dict | None = None, reason: str | None = None) -> dict:
    campaign = {
        "name": "retail-campaign",
        "campaignArn": "arn:aws:personalize:us-east-1:123456789012:campaign/retail-campaign",
        "solutionVersionArn": "arn:aws:personalize:us-east-1:123456789012:solution/retail/0a1b2c3d",
        "minProvisionedTPS": 1,
        "status": status,
    }
    if reason:
        campaign["failureReason"] = reason
    if update is not None:
        campaign["latestCampaignUpdate"] = update
    return campaign


def test_effective_status_campaign_under_update_is_not_active() -> None:
    # GIVEN a campaign whose top-level status stays ACTIVE while an UpdateCampaign runs
    resource = _campaign("ACTIVE", {"status": "CREATE IN_PROGRESS"})
    # WHEN its effective status is read
    status, reason = effective_status("campaign", resource)
    # THEN the pipeline waits for the update, not the original creation
    assert (status, reason) == ("CREATE IN_PROGRESS", None)
    assert phase_of(status) is Phase.IN_PROGRESS


def test_effective_status_campaign_update_failed_carries_update_reason() -> None:
    # GIVEN an ACTIVE campaign whose update failed
    resource = _campaign("ACTIVE", {"status": "CREATE FAILED", "failureReason": "Solution version is not ACTIVE"})
    # WHEN its effective status is read
    status, reason = effective_status("campaign", resource)
    # THEN the failure and the update's reason are what the pipeline sees
    assert (status, reason) == ("CREATE FAILED", "Solution version is not ACTIVE")


def test_effective_status_campaign_update_finished_is_active() -> None:
    # GIVEN a campaign whose last update finished
    resource = _campaign("ACTIVE", {"status": "ACTIVE"})
    # WHEN its effective status is read
    # THEN it is ACTIVE
    assert effective_status("campaign", resource) == ("ACTIVE", None)


def test_effective_status_campaign_create_failed_keeps_top_level_reason() -> None:
    # GIVEN a campaign whose creation failed
    resource = _campaign("CREATE FAILED", reason="Insufficient capacity")
    # WHEN its effective status is read
    # THEN the top-level reason is used
    assert effective_status("campaign", resource) == ("CREATE FAILED", "Insufficient capacity")


# ----------------------------------------------------------------------------- effective_status: solution and others
def test_effective_status_solution_failed_takes_reason_from_latest_update() -> None:
    # GIVEN a failed solution: Solution has no top-level failureReason
    resource = {
        "name": "retail-solution",
        "status": "CREATE FAILED",
        "latestSolutionUpdate": {"status": "CREATE FAILED", "failureReason": "Recipe not supported"},
    }
    # WHEN its effective status is read
    # THEN the update's reason is reported
    assert effective_status("solution", resource) == ("CREATE FAILED", "Recipe not supported")


def test_effective_status_solution_active_ignores_update_status() -> None:
    # GIVEN an ACTIVE solution whose UpdateSolution is running (the pipeline never waits on those)
    resource = {"name": "retail-solution", "status": "ACTIVE", "latestSolutionUpdate": {"status": "CREATE PENDING"}}
    # WHEN its effective status is read
    # THEN the solution is usable: training can start
    assert effective_status("solution", resource)[0] == "ACTIVE"


@pytest.mark.parametrize("kind", ["datasetGroup", "datasetImportJob", "solutionVersion"])
def test_effective_status_other_kinds_use_top_level_fields(kind: str) -> None:
    # GIVEN a failed resource of a kind with a top-level failureReason
    resource = {"status": "CREATE FAILED", "failureReason": "Access denied to s3://bucket/"}
    # WHEN its effective status is read
    # THEN status and reason are the top-level ones
    assert effective_status(kind, resource) == ("CREATE FAILED", "Access denied to s3://bucket/")


# ----------------------------------------------------------------------------- effective_status: recommender
def _recommender(status: str, update: dict | None = None) -> dict:
    recommender = {
        "name": "most-viewed",
        "recommenderArn": "arn:aws:personalize:us-east-1:123456789012:recommender/most-viewed",
        "status": status,
        "creationDateTime": T0,
        "lastUpdatedDateTime": T0,
    }
    if update is not None:
        recommender["latestRecommenderUpdate"] = update
    return recommender


@pytest.mark.parametrize("update_status", ["UPDATE PENDING", "UPDATE IN_PROGRESS"])
def test_effective_status_recommender_under_update_is_the_update_status(update_status: str) -> None:
    # GIVEN a recommender that stays ACTIVE while an UpdateRecommender runs
    resource = _recommender("ACTIVE", {"status": update_status})
    # WHEN the pipeline reads its status
    # THEN it waits for the update
    assert effective_status("recommender", resource) == (update_status, None)


def test_effective_status_recommender_update_failed_carries_update_reason() -> None:
    # GIVEN an ACTIVE recommender whose update failed
    resource = _recommender("ACTIVE", {"status": "UPDATE FAILED", "failureReason": "Internal error"})
    # WHEN the pipeline reads its status
    # THEN the update's failure is what it sees
    assert effective_status("recommender", resource) == ("UPDATE FAILED", "Internal error")


def test_effective_status_recommender_stopped_is_inactive_whatever_its_last_update() -> None:
    # GIVEN a recommender stopped after a finished update
    resource = _recommender("INACTIVE", {"status": "ACTIVE"})
    # WHEN the pipeline reads its status
    # THEN it is INACTIVE, which the pipeline does not treat as ready
    assert effective_status("recommender", resource) == ("INACTIVE", None)
    assert phase_of("INACTIVE") is Phase.STOPPED
