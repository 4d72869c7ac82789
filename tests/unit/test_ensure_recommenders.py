"""ensure_recommender / check_recommender against a Stubber-backed Personalize client.

The Stubber is the contract: every queued call names its exact parameters, and a call nobody queued
(an update on the reuse path, a StartRecommender on a stopped one) fails the test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import Stubber

from personalize_pipeline.ensure_recommenders import check_recommender, ensure_recommender
from personalize_pipeline.errors import ResourceConflict, ResourceFailed
from personalize_pipeline.polling import new_record, next_wait

PREFIX = "arn:aws:personalize:us-east-1:123456789012"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=50)
GROUP_ARN = f"{PREFIX}:dataset-group/shop"
OTHER_GROUP_ARN = f"{PREFIX}:dataset-group/other-shop"
NAME = "shop-most-viewed"
ARN = f"{PREFIX}:recommender/{NAME}"
RECIPE = "arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-views"
OTHER_RECIPE = "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you"
SPEC: dict[str, Any] = {"name": NAME, "recipeArn": RECIPE}
DETAILS = {"datasetGroupArn": GROUP_ARN, "recipeArn": RECIPE}


def body(status: str = "ACTIVE", config: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "name": NAME,
        "recommenderArn": ARN,
        "datasetGroupArn": GROUP_ARN,
        "recipeArn": RECIPE,
        "recommenderConfig": config or {"minRecommendationRequestsPerSecond": 1},
        "status": status,
        "creationDateTime": T0,
        "lastUpdatedDateTime": T1,
        **extra,
    }


def expect_describe(stubber: Stubber, resource: dict[str, Any] | None) -> None:
    if resource is None:
        stubber.add_client_error(
            "describe_recommender",
            service_error_code="ResourceNotFoundException",
            service_message=f"Resource Arn {ARN} does not exist.",
            expected_params={"recommenderArn": ARN},
        )
    else:
        stubber.add_response("describe_recommender", {"recommender": resource}, {"recommenderArn": ARN})


def test_ensure_recommender_absent_creates_with_exact_params(personalize: Any, stubber: Stubber) -> None:
    # GIVEN no recommender with that name; params set a config and tags
    spec = {
        **SPEC,
        "recommenderConfig": {"minRecommendationRequestsPerSecond": 3},
        "tags": [{"tagKey": "k", "tagValue": "v"}],
    }
    expect_describe(stubber, None)
    stubber.add_response("create_recommender", {"recommenderArn": ARN}, {**spec, "datasetGroupArn": GROUP_ARN})
    expect_describe(stubber, body("CREATE PENDING"))
    # WHEN it is ensured
    record = ensure_recommender(personalize, PREFIX, GROUP_ARN, spec)
    # THEN it is created in the dataset group and polled from CREATE PENDING
    assert record == new_record("recommender", ARN, NAME, "CREATE PENDING", "created", **DETAILS)
    assert record.waitSeconds == next_wait("recommender", 0)


@pytest.mark.parametrize(
    ("spec", "config"),
    [
        pytest.param(SPEC, {"minRecommendationRequestsPerSecond": 1}, id="default-rate"),
        pytest.param(
            {**SPEC, "recommenderConfig": {"minRecommendationRequestsPerSecond": 1}},
            {"minRecommendationRequestsPerSecond": 1, "enableMetadataWithRecommendations": False},
            id="subset-of-service-config",
        ),
    ],
)
def test_ensure_recommender_same_recipe_and_config_is_reused(
    personalize: Any, stubber: Stubber, spec: dict[str, Any], config: dict[str, Any]
) -> None:
    # GIVEN an ACTIVE recommender with this recipe and config
    expect_describe(stubber, body(config=config))
    # WHEN it is ensured (no create or update queued)
    record = ensure_recommender(personalize, PREFIX, GROUP_ARN, spec)
    # THEN it is reused
    assert record == new_record("recommender", ARN, NAME, "ACTIVE", "reused", **DETAILS)


@pytest.mark.parametrize(
    ("resource", "difference"),
    [
        pytest.param(
            body(recipeArn=OTHER_RECIPE),
            f'recipeArn is "{OTHER_RECIPE}"; params ask for "{RECIPE}"',
            id="other-recipe",
        ),
        pytest.param(
            body(datasetGroupArn=OTHER_GROUP_ARN),
            f'datasetGroupArn is "{OTHER_GROUP_ARN}"; params ask for "{GROUP_ARN}"',
            id="other-dataset-group",
        ),
    ],
)
def test_ensure_recommender_other_recipe_or_group_is_a_conflict_naming_both(
    personalize: Any, stubber: Stubber, resource: dict[str, Any], difference: str
) -> None:
    # GIVEN a recommender of that name with another recipe (or in another dataset group)
    expect_describe(stubber, resource)
    # WHEN params ask for it with this recipe
    # THEN the run stops with a conflict naming both values, and nothing is changed
    with pytest.raises(ResourceConflict) as raised:
        ensure_recommender(personalize, PREFIX, GROUP_ARN, SPEC)
    assert str(raised.value) == (
        f"recommender '{NAME}' already exists but differs: {difference}. A recommender's recipe and dataset "
        "group cannot change: choose another recommender name, or delete the existing one."
    )


def test_ensure_recommender_changed_config_updates_with_full_config(personalize: Any, stubber: Stubber) -> None:
    # GIVEN an ACTIVE recommender at 1 request per second, never updated
    spec = {**SPEC, "recommenderConfig": {"minRecommendationRequestsPerSecond": 5}}
    expect_describe(stubber, body())
    stubber.add_response(
        "update_recommender",
        {"recommenderArn": ARN},
        {"recommenderArn": ARN, "recommenderConfig": {"minRecommendationRequestsPerSecond": 5}},
    )
    update = {"recommenderConfig": {"minRecommendationRequestsPerSecond": 5}, "status": "UPDATE PENDING"}
    expect_describe(stubber, body(latestRecommenderUpdate=update))
    # WHEN params ask for 5
    record = ensure_recommender(personalize, PREFIX, GROUP_ARN, spec)
    # THEN UpdateRecommender is called and its update is polled (no history: a creation also trains)
    assert record == new_record("recommender", ARN, NAME, "UPDATE PENDING", "updated", **DETAILS)


def test_ensure_recommender_second_update_expects_duration_of_first(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a recommender whose earlier update to 5 took 10 minutes
    spec = {**SPEC, "recommenderConfig": {"minRecommendationRequestsPerSecond": 2}}
    done = {
        "recommenderConfig": {"minRecommendationRequestsPerSecond": 5},
        "status": "ACTIVE",
        "creationDateTime": T1,
        "lastUpdatedDateTime": T1 + timedelta(minutes=10),
    }
    expect_describe(stubber, body(latestRecommenderUpdate=done))
    stubber.add_response(
        "update_recommender",
        {"recommenderArn": ARN},
        {"recommenderArn": ARN, "recommenderConfig": {"minRecommendationRequestsPerSecond": 2}},
    )
    running = {"recommenderConfig": {"minRecommendationRequestsPerSecond": 2}, "status": "UPDATE PENDING"}
    expect_describe(stubber, body(latestRecommenderUpdate=running))
    # WHEN params ask for 2
    record = ensure_recommender(personalize, PREFIX, GROUP_ARN, spec)
    # THEN the new update is expected to take as long as the last one
    assert record == new_record("recommender", ARN, NAME, "UPDATE PENDING", "updated", **DETAILS, estimatedSeconds=600)


def test_ensure_recommender_config_of_update_in_flight_is_compared(personalize: Any, stubber: Stubber) -> None:
    # GIVEN an update to 5 requests per second still running
    running = {"recommenderConfig": {"minRecommendationRequestsPerSecond": 5}, "status": "UPDATE IN_PROGRESS"}
    expect_describe(stubber, body(latestRecommenderUpdate=running))
    # WHEN params ask for 5 again (no update queued)
    record = ensure_recommender(
        personalize, PREFIX, GROUP_ARN, {**SPEC, "recommenderConfig": {"minRecommendationRequestsPerSecond": 5}}
    )
    # THEN that update is awaited as the one asked for
    assert record == new_record("recommender", ARN, NAME, "UPDATE IN_PROGRESS", "reused", **DETAILS)


@pytest.mark.parametrize("status", ["CREATE IN_PROGRESS", "START PENDING"])
def test_ensure_recommender_busy_defers_update(personalize: Any, stubber: Stubber, status: str) -> None:
    # GIVEN a recommender still being created (or started): UpdateRecommender would be refused
    expect_describe(stubber, body(status))
    # WHEN params change its config (no update queued)
    record = ensure_recommender(
        personalize, PREFIX, GROUP_ARN, {**SPEC, "recommenderConfig": {"minRecommendationRequestsPerSecond": 5}}
    )
    # THEN the update is deferred to the Check loop
    assert record == new_record("recommender", ARN, NAME, status, "updated", pendingUpdate=True, **DETAILS)


@pytest.mark.parametrize("status", ["INACTIVE", "STOP PENDING", "STOP IN_PROGRESS"])
def test_ensure_recommender_stopped_is_not_started_but_a_conflict(
    personalize: Any, stubber: Stubber, status: str
) -> None:
    # GIVEN a recommender someone stopped (or is stopping)
    expect_describe(stubber, body(status))
    # WHEN it is ensured (no StartRecommender queued)
    # THEN the run asks for it to be started rather than restarting its billing
    with pytest.raises(ResourceConflict, match=rf"recommender '{NAME}' is stopped \({status}\); start it"):
        ensure_recommender(personalize, PREFIX, GROUP_ARN, SPEC)


@pytest.mark.parametrize("config", [None, {"minRecommendationRequestsPerSecond": 5}])
def test_ensure_recommender_create_failed_asks_to_delete_it(
    personalize: Any, stubber: Stubber, config: dict[str, Any] | None
) -> None:
    # GIVEN a recommender whose creation failed
    expect_describe(stubber, body("CREATE FAILED", failureReason="Dataset has fewer than 1000 interactions"))
    # WHEN params ask for it again, with or without a changed config (no update queued)
    spec = {**SPEC, **({"recommenderConfig": config} if config else {})}
    with pytest.raises(ResourceFailed) as raised:
        ensure_recommender(personalize, PREFIX, GROUP_ARN, spec)
    # THEN the failure is reported with the service's reason, and how to retry it
    assert str(raised.value) == (
        f"recommender '{NAME}' is CREATE FAILED: Dataset has fewer than 1000 interactions. A failed recommender "
        f"is not retried in place: fix the cause, delete it (aws personalize delete-recommender --recommender-arn "
        f"{ARN}), wait until it is gone, then upload the parameters again."
    )


def test_check_recommender_create_failed_asks_to_delete_it(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a recommender being created
    polled = new_record("recommender", ARN, NAME, "CREATE IN_PROGRESS", "created", **DETAILS)
    failed = body("CREATE FAILED", failureReason="Internal error")
    expect_describe(stubber, failed)
    expect_describe(stubber, failed)
    # WHEN its creation has failed at the next check
    with pytest.raises(ResourceFailed) as raised:
        check_recommender(personalize, PREFIX, polled, SPEC)
    # THEN the failure says how to retry it
    assert str(raised.value) == (
        f"recommender '{NAME}' is CREATE FAILED: Internal error. A failed recommender is not retried in place: "
        f"fix the cause, delete it (aws personalize delete-recommender --recommender-arn {ARN}), wait until it "
        "is gone, then upload the parameters again."
    )


def test_check_recommender_update_failed_is_reported_as_is(personalize: Any, stubber: Stubber) -> None:
    # GIVEN an update being polled, which fails
    polled = new_record("recommender", ARN, NAME, "UPDATE IN_PROGRESS", "updated", **DETAILS)
    failed = body(latestRecommenderUpdate={"status": "UPDATE FAILED", "failureReason": "Internal error"})
    expect_describe(stubber, failed)
    expect_describe(stubber, failed)
    # WHEN it is checked
    # THEN the update's failure is reported (a new upload retries the update)
    with pytest.raises(ResourceFailed, match=f"^recommender '{NAME}' is UPDATE FAILED: Internal error$"):
        check_recommender(personalize, PREFIX, polled, SPEC)


def test_check_recommender_pending_update_applied_once_active(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a deferred update, and the recommender now ACTIVE
    spec = {**SPEC, "recommenderConfig": {"minRecommendationRequestsPerSecond": 5}}
    polled = new_record("recommender", ARN, NAME, "CREATE IN_PROGRESS", "updated", pendingUpdate=True, **DETAILS)
    polled.waitedSeconds = 600
    expect_describe(stubber, body())
    expect_describe(stubber, body())
    stubber.add_response(
        "update_recommender",
        {"recommenderArn": ARN},
        {"recommenderArn": ARN, "recommenderConfig": {"minRecommendationRequestsPerSecond": 5}},
    )
    update = {"recommenderConfig": {"minRecommendationRequestsPerSecond": 5}, "status": "UPDATE PENDING"}
    expect_describe(stubber, body(latestRecommenderUpdate=update))
    # WHEN the Check task runs
    record = check_recommender(personalize, PREFIX, polled, spec)
    # THEN the update is applied and polled, the time already waited kept
    expected = new_record("recommender", ARN, NAME, "UPDATE PENDING", "updated", **DETAILS)
    expected.waitedSeconds = polled.waitedSeconds + polled.waitSeconds
    assert record == expected


def test_check_recommender_without_pending_update_is_a_plain_check(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a created recommender still training
    polled = new_record("recommender", ARN, NAME, "CREATE PENDING", "created", **DETAILS)
    expect_describe(stubber, body("CREATE IN_PROGRESS"))
    # WHEN the Check task runs (no update queued)
    record = check_recommender(personalize, PREFIX, polled, SPEC)
    # THEN it reports the new status and the next wait
    assert (record.status, record.action, record.waitedSeconds) == ("CREATE IN_PROGRESS", "created", polled.waitSeconds)


def test_ensure_recommender_after_failed_update_same_config_updates_again(personalize: Any, stubber: Stubber) -> None:
    # GIVEN an ACTIVE recommender at 1 request per second whose update to 5 failed
    failed = {
        "recommenderConfig": {"minRecommendationRequestsPerSecond": 5},
        "status": "UPDATE FAILED",
        "failureReason": "Internal error",
    }
    expect_describe(stubber, body(latestRecommenderUpdate=failed))
    stubber.add_response(
        "update_recommender",
        {"recommenderArn": ARN},
        {"recommenderArn": ARN, "recommenderConfig": {"minRecommendationRequestsPerSecond": 5}},
    )
    running = {"recommenderConfig": {"minRecommendationRequestsPerSecond": 5}, "status": "UPDATE PENDING"}
    expect_describe(stubber, body(latestRecommenderUpdate=running))
    # WHEN params still ask for 5
    record = ensure_recommender(
        personalize, PREFIX, GROUP_ARN, {**SPEC, "recommenderConfig": {"minRecommendationRequestsPerSecond": 5}}
    )
    # THEN the update is tried again (the config in effect is still 1) and polled
    assert record == new_record("recommender", ARN, NAME, "UPDATE PENDING", "updated", **DETAILS)


def test_ensure_recommender_after_failed_update_params_back_to_config_in_effect_is_reused(
    personalize: Any, stubber: Stubber
) -> None:
    # GIVEN an ACTIVE recommender at 1 request per second whose update to 5 failed
    failed = {"recommenderConfig": {"minRecommendationRequestsPerSecond": 5}, "status": "UPDATE FAILED"}
    expect_describe(stubber, body(latestRecommenderUpdate=failed))
    # WHEN params ask for the config in effect (no update queued)
    record = ensure_recommender(personalize, PREFIX, GROUP_ARN, SPEC)
    # THEN it is reused as it is, ACTIVE
    assert record == new_record("recommender", ARN, NAME, "ACTIVE", "reused", **DETAILS)
