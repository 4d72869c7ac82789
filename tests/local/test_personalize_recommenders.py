"""Recommenders in the emulator: what CreateRecommender refuses, the training minimums per use case, the
lifecycles of create, update, stop/start and delete, and the per-group quota."""

from __future__ import annotations

from typing import Any

import pytest

from local.personalize.testing import Sandbox, client_error, domain_interactions, sandbox

RECIPE = "arn:aws:personalize:::recipe/"


def _statuses(box: Sandbox, arn: str, key: str | None = None, *, until: str, poll: float = 10) -> list[str]:
    """The distinct statuses (top-level, or of ``key``) seen polling every ``poll`` s until ``until``."""
    seen: list[str] = []
    for _ in range(2000):
        recommender = box.personalize.describe_recommender(recommenderArn=arn)["recommender"]
        status = (recommender.get(key) or {}).get("status") if key else recommender["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status == until:
            return seen
        box.clock.advance(poll)
    raise AssertionError(f"never reached {until}: {seen}")


def test_create_recommender_ecommerce_use_case_active_with_default_config(box: Sandbox) -> None:
    # GIVEN an ECOMMERCE dataset group with 1200 View and 1200 Purchase interactions imported
    group = box.with_domain_data()
    # WHEN a Most-viewed recommender is created without a recommenderConfig
    arn = box.personalize.create_recommender(
        name="most-viewed", datasetGroupArn=group, recipeArn=RECIPE + "aws-ecomm-popular-items-by-views"
    )["recommenderArn"]
    # THEN it goes CREATE PENDING -> CREATE IN_PROGRESS -> ACTIVE and echoes the default request rate
    assert _statuses(box, arn, until="ACTIVE") == ["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"]
    described = box.personalize.describe_recommender(recommenderArn=arn)["recommender"]
    assert arn == "arn:aws:personalize:us-east-1:123456789012:recommender/most-viewed"
    assert described["recommenderConfig"] == {"minRecommendationRequestsPerSecond": 1}
    assert described["recipeArn"] == RECIPE + "aws-ecomm-popular-items-by-views"
    assert described["datasetGroupArn"] == group
    assert "latestRecommenderUpdate" not in described
    listed = box.personalize.list_recommenders(datasetGroupArn=group)["recommenders"]
    assert [(r["name"], r["status"]) for r in listed] == [("most-viewed", "ACTIVE")]


def test_create_recommender_too_few_events_of_use_case_type_fails_naming_type(box: Sandbox) -> None:
    # GIVEN 2400 interactions, 1800 of them View and 600 Purchase
    rows = domain_interactions(event_types=("View", "View", "View", "Purchase"))
    group = box.with_domain_data(rows=rows)
    # WHEN a Best-sellers recommender (1000 Purchase events needed) is created
    recommender = box.recommender(group, "best-sellers", "aws-ecomm-popular-items-by-purchases")
    # THEN it ends CREATE FAILED with the service's reason naming the event type
    assert recommender["status"] == "CREATE FAILED"
    assert recommender["failureReason"] == (
        "Create failed. Dataset has fewer than 1000 interactions after filtering by event type: Purchase."
    )


def test_create_recommender_vod_any_event_type_use_case_counts_every_event(box: Sandbox) -> None:
    # GIVEN a VIDEO_ON_DEMAND group whose 2400 interactions are 800 Watch and 1600 Click events
    group = box.with_domain_data("VIDEO_ON_DEMAND", "vod", domain_interactions(event_types=("Watch", "Click", "Click")))
    # WHEN Top picks (1000 events of any type) and Most popular (1000 Watch events) are created
    top = box.recommender(group, "top", "aws-vod-top-picks")
    popular = box.recommender(group, "popular", "aws-vod-most-popular")
    # THEN the first trains on all 2400 events and the second has only 800 Watch events
    assert top["status"] == "ACTIVE"
    assert popular["status"] == "CREATE FAILED"
    assert popular["failureReason"].endswith("after filtering by event type: Watch.")


@pytest.mark.parametrize(
    ("domain", "use_case", "problem"),
    [
        (None, "aws-ecomm-popular-items-by-views", "is a Custom dataset group: recommenders need a Domain"),
        ("ECOMMERCE", "aws-vod-top-picks", "is a VIDEO_ON_DEMAND use case but dataset group"),
        ("ECOMMERCE", "aws-user-personalization", "is not a use case of domain ECOMMERCE"),
    ],
)
def test_create_recommender_recipe_outside_group_domain_refused(
    box: Sandbox, domain: str | None, use_case: str, problem: str
) -> None:
    # GIVEN a dataset group of ``domain`` (None: Custom)
    group = box.dataset_group("g", **({"domain": domain} if domain else {}))
    # WHEN a recommender for a recipe that is not one of its use cases is created
    code, message = client_error(
        lambda: box.personalize.create_recommender(name="r", datasetGroupArn=group, recipeArn=RECIPE + use_case)
    )
    # THEN it is refused, naming the problem, and nothing exists
    assert code == "InvalidInputException"
    assert problem in message
    assert box.personalize.list_recommenders()["recommenders"] == []


def test_create_recommender_without_imported_interactions_refused(box: Sandbox) -> None:
    # GIVEN an ECOMMERCE dataset group without data
    group = box.dataset_group("empty", domain="ECOMMERCE")
    # WHEN a recommender is created
    code, message = client_error(
        lambda: box.personalize.create_recommender(
            name="r", datasetGroupArn=group, recipeArn=RECIPE + "aws-ecomm-recommended-for-you"
        )
    )
    # THEN it is refused: training needs the Interactions data
    assert (code, "has no imported INTERACTIONS data" in message) == ("InvalidInputException", True)


def test_create_recommender_more_like_x_needs_items_dataset(box: Sandbox) -> None:
    # GIVEN a VIDEO_ON_DEMAND group with interactions only
    group = box.with_domain_data("VIDEO_ON_DEMAND", "vod", domain_interactions(event_types=("Watch",)))
    # WHEN a More-like-X recommender (Interactions and Items required) is created
    code, message = client_error(
        lambda: box.personalize.create_recommender(
            name="r", datasetGroupArn=group, recipeArn=RECIPE + "aws-vod-more-like-x"
        )
    )
    # THEN it is refused naming the missing dataset
    assert code == "InvalidInputException"
    assert "has no imported ITEMS data" in message


def test_create_recommender_duplicate_name_and_sixth_in_group_refused(box: Sandbox) -> None:
    # GIVEN five recommenders in one ECOMMERCE group
    group = box.with_domain_data()
    create: Any = box.personalize.create_recommender
    for n in range(5):
        create(name=f"r{n}", datasetGroupArn=group, recipeArn=RECIPE + "aws-ecomm-popular-items-by-views")
    # WHEN a sixth is created, and one reuses a name
    sixth = client_error(
        lambda: create(name="r5", datasetGroupArn=group, recipeArn=RECIPE + "aws-ecomm-recommended-for-you")
    )
    again = client_error(
        lambda: create(name="r0", datasetGroupArn=group, recipeArn=RECIPE + "aws-ecomm-recommended-for-you")
    )
    # THEN the quota and the name refuse them
    assert sixth[0] == "LimitExceededException"
    assert "already has 5 recommenders; the limit is 5" in sixth[1]
    assert again == (
        "ResourceAlreadyExistsException",
        "Another resource with Arn arn:aws:personalize:us-east-1:123456789012:recommender/r0 already exists.",
    )


def test_update_recommender_tracks_latest_update_and_applies_config_when_active(box: Sandbox) -> None:
    # GIVEN an ACTIVE recommender at the default request rate
    group = box.with_domain_data()
    arn = box.recommender(group)["recommenderArn"]
    # WHEN its request rate is raised to 5
    box.personalize.update_recommender(recommenderArn=arn, recommenderConfig={"minRecommendationRequestsPerSecond": 5})
    during = box.personalize.describe_recommender(recommenderArn=arn)["recommender"]
    busy = client_error(lambda: box.personalize.update_recommender(recommenderArn=arn, recommenderConfig={}))
    # THEN the update has its own status sequence while the recommender stays ACTIVE on the old config
    assert (during["status"], during["recommenderConfig"]) == ("ACTIVE", {"minRecommendationRequestsPerSecond": 1})
    assert busy[0] == "ResourceInUseException"
    assert _statuses(box, arn, "latestRecommenderUpdate", until="ACTIVE") == [
        "UPDATE PENDING",
        "UPDATE IN_PROGRESS",
        "ACTIVE",
    ]
    after = box.personalize.describe_recommender(recommenderArn=arn)["recommender"]
    assert after["recommenderConfig"] == {"minRecommendationRequestsPerSecond": 5}
    assert after["latestRecommenderUpdate"]["recommenderConfig"] == {"minRecommendationRequestsPerSecond": 5}


def test_update_recommender_while_creating_refused(box: Sandbox) -> None:
    # GIVEN a recommender still being created
    group = box.with_domain_data()
    arn = box.personalize.create_recommender(
        name="r", datasetGroupArn=group, recipeArn=RECIPE + "aws-ecomm-recommended-for-you"
    )["recommenderArn"]
    # WHEN it is updated
    code, message = client_error(lambda: box.personalize.update_recommender(recommenderArn=arn, recommenderConfig={}))
    # THEN the service refuses: it is busy
    assert code == "ResourceInUseException"
    assert "CREATE PENDING" in message


def test_stop_and_start_recommender_follow_documented_statuses(box: Sandbox) -> None:
    # GIVEN an ACTIVE recommender
    group = box.with_domain_data()
    arn = box.recommender(group)["recommenderArn"]
    # WHEN it is stopped, then (once INACTIVE) started again
    box.personalize.stop_recommender(recommenderArn=arn)
    stopped = _statuses(box, arn, until="INACTIVE")
    update_refused = client_error(lambda: box.personalize.update_recommender(recommenderArn=arn, recommenderConfig={}))
    box.personalize.start_recommender(recommenderArn=arn)
    started = _statuses(box, arn, until="ACTIVE")
    # THEN each goes through its documented sequence, and an INACTIVE recommender cannot be updated
    assert stopped == ["STOP PENDING", "STOP IN_PROGRESS", "INACTIVE"]
    assert started == ["START PENDING", "START IN_PROGRESS", "ACTIVE"]
    assert update_refused[0] == "ResourceInUseException"


def test_start_recommender_active_refused(box: Sandbox) -> None:
    # GIVEN an ACTIVE recommender
    arn = box.recommender(box.with_domain_data())["recommenderArn"]
    # WHEN it is started
    code, message = client_error(lambda: box.personalize.start_recommender(recommenderArn=arn))
    # THEN only an INACTIVE recommender can be started
    assert code == "ResourceInUseException"
    assert "it must be INACTIVE" in message


def test_delete_recommender_goes_away_and_frees_dataset_group(box: Sandbox) -> None:
    # GIVEN an ACTIVE recommender in its dataset group
    group = box.with_domain_data()
    arn = box.recommender(group)["recommenderArn"]
    group_blocked = client_error(lambda: box.personalize.delete_dataset_group(datasetGroupArn=group))
    # WHEN it is deleted
    box.personalize.delete_recommender(recommenderArn=arn)
    deleting = box.personalize.describe_recommender(recommenderArn=arn)["recommender"]["status"]
    box.clock.advance(600)
    # THEN it shows DELETE PENDING, then no longer exists; the group could not be deleted while it did
    assert group_blocked[0] == "ResourceInUseException"
    assert arn in group_blocked[1]
    assert deleting == "DELETE PENDING"
    assert client_error(lambda: box.personalize.describe_recommender(recommenderArn=arn))[0] == (
        "ResourceNotFoundException"
    )
    assert box.emulator.inventory()["recommenders"] == []


def test_fail_step_recommender_ends_create_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an emulator told to fail the recommender step
    with sandbox(monkeypatch, fail_steps=["recommender"]) as box:
        # WHEN a recommender is created on data that meets the minimums
        recommender = box.recommender(box.with_domain_data())
    # THEN it ends CREATE FAILED with an internal-error reason
    assert recommender["status"] == "CREATE FAILED"
    assert "internal error" in recommender["failureReason"]
