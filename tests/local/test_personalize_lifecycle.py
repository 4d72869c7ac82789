"""Lifecycles on the simulated clock, failure injection, listeners, inventory and isolation."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local.clock import SimClock
from local.personalize import PersonalizeEmulator, Timeline, install, uninstall
from local.personalize.testing import FAKE_ENVIRONMENT, ITEMS_SCHEMA, ITEMS_SCHEMA_V2, Sandbox, sandbox
from local.personalize.timeline import STEPS

DAY = 86400


def status_of(box: Sandbox, kind: str, arn: str) -> str:
    return box.personalize.__getattribute__(f"describe_{_snake(kind)}")(**{f"{kind}Arn": arn})[kind]["status"]


def _snake(kind: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in kind)


def test_dataset_group_clock_advanced_by_hand_moves_pending_in_progress_active(box: Sandbox) -> None:
    # GIVEN a dataset group created at the start of the simulated day (instant timeline: 10 s + 10 s)
    start = box.clock.now()
    arn = box.personalize.create_dataset_group(name="dg")["datasetGroupArn"]

    # WHEN the clock is moved by hand between describes
    seen = []
    for step in (0, 9.9, 0.1, 9.9, 0.1):
        box.clock.advance(step)
        seen.append(box.personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"])

    # THEN the status follows the timeline and lastUpdatedDateTime is when the current status began
    assert [g["status"] for g in seen] == [
        "CREATE PENDING",
        "CREATE PENDING",
        "CREATE IN_PROGRESS",
        "CREATE IN_PROGRESS",
        "ACTIVE",
    ]
    assert seen[-1]["creationDateTime"].timestamp() == start
    assert seen[-1]["lastUpdatedDateTime"].timestamp() == start + 20
    assert seen[2]["lastUpdatedDateTime"].timestamp() == start + 10


def test_every_step_instant_timeline_settles_within_three_minutes(box: Sandbox) -> None:
    # GIVEN the instant timeline
    timeline = Timeline.instant()

    # WHEN each create phase is measured
    totals = {step: timeline.create[step].total for step in STEPS}

    # THEN every step becomes ACTIVE within a few 10-60 s polls
    assert max(totals.values()) <= 180
    assert min(totals.values()) >= 20


def test_realistic_timeline_durations_match_observed_ranges_and_are_deterministic() -> None:
    # GIVEN the realistic timeline and the ranges observed on the service (facts §10)
    timeline = Timeline.realistic()
    observed = {
        "dataset-group": (15, 60),
        "dataset": (0, 30),
        "import": (120, 17 * 60),
        "solution-version": (20 * 60, 58 * 60),
        "campaign": (7 * 60, 10 * 60),
    }

    # WHEN the phases of many resources are derived from their ARNs
    arns = [f"arn:aws:personalize:us-east-1:123456789012:thing/n{i}" for i in range(50)]

    # THEN every duration lies in the observed range, and the same ARN always gets the same duration
    for step, (low, high) in observed.items():
        for arn in arns:
            total = timeline.scaled(timeline.create[step], arn).total
            assert low <= total <= high, (step, total)
    assert timeline.scaled(timeline.create["import"], arns[0]) == timeline.scaled(timeline.create["import"], arns[0])
    assert len({timeline.scaled(timeline.create["import"], arn).total for arn in arns}) > 10


def test_solution_version_realistic_training_reports_training_hours_above_wall_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN the realistic timeline
    with sandbox(monkeypatch, timeline=Timeline.realistic()) as box:
        # WHEN a solution version is trained to ACTIVE, polling every minute
        arns = box.trained()
        version = box.settle("solutionVersion", arns["solutionVersionArn"], poll=60)

    # THEN training took tens of minutes of simulated time and trainingHours exceeds the wall time
    wall = version["lastUpdatedDateTime"] - version["creationDateTime"]
    assert 20 * 60 <= wall.total_seconds() <= 58 * 60
    assert version["trainingHours"] > wall.total_seconds() / 3600
    assert version["trainingHours"] >= 1.0


def test_solution_version_not_active_has_no_training_hours(box: Sandbox) -> None:
    # GIVEN a trained setup and a second version just requested
    arns = box.trained()
    arn = box.personalize.create_solution_version(solutionArn=arns["solutionArn"])["solutionVersionArn"]

    # WHEN it is described while pending
    version = box.personalize.describe_solution_version(solutionVersionArn=arn)["solutionVersion"]

    # THEN trainingHours is absent until training completes, and the ARN has the real form
    assert version["status"] == "CREATE PENDING"
    assert "trainingHours" not in version
    assert version["name"] == "demo-sol/" + arn.rsplit("/", 1)[-1]
    assert arn.startswith(arns["solutionArn"] + "/") and len(arn.rsplit("/", 1)[-1]) == 8


@pytest.mark.parametrize(
    ("step", "kind"),
    [
        ("dataset-group", "datasetGroup"),
        ("dataset", "dataset"),
        ("import", "datasetImportJob"),
        ("solution", "solution"),
        ("solution-version", "solutionVersion"),
        ("campaign", "campaign"),
    ],
)
def test_fail_step_next_resource_goes_create_failed_after_its_in_flight_time(
    monkeypatch: pytest.MonkeyPatch, step: str, kind: str
) -> None:
    # GIVEN an emulator told to fail one step
    with sandbox(monkeypatch, fail_steps={step}) as box:
        # WHEN the pipeline's resources are created in order up to that step
        resources = build_until(box, kind)
        arn = resources[kind]
        first = box.personalize.__getattribute__(f"describe_{_snake(kind)}")(**{f"{kind}Arn": arn})[kind]
        settled = box.settle(kind, arn)

    # THEN it starts pending like any other and ends CREATE FAILED with a reason where the model has one
    assert first["status"] == "CREATE PENDING"
    assert settled["status"] == "CREATE FAILED"
    if kind == "dataset":
        assert "failureReason" not in settled  # datasets have no top-level failureReason
    elif kind == "solution":
        assert "failureReason" not in settled  # neither do solutions
    else:
        assert settled["failureReason"]
    if kind == "datasetImportJob":
        assert settled["failureReason"] == (
            "Failed to create a data import job for INTERACTIONS dataset....Insufficient privileges for "
            "accessing data in Amazon S3."
        )


def build_until(box: Sandbox, kind: str) -> dict[str, str]:
    """Create dataset group → dataset → import → solution → version → campaign, stopping at ``kind``."""
    p = box.personalize
    made: dict[str, str] = {}
    made["datasetGroup"] = p.create_dataset_group(name="dg")["datasetGroupArn"]
    if kind == "datasetGroup":
        return made
    box.settle("datasetGroup", made["datasetGroup"])
    schema = box.schema("dg-interactions")
    made["dataset"] = p.create_dataset(
        name="i", schemaArn=schema, datasetGroupArn=made["datasetGroup"], datasetType="Interactions"
    )["datasetArn"]
    if kind == "dataset":
        return made
    box.settle("dataset", made["dataset"])
    from local.personalize.testing import interactions

    location = box.put_csv("i.csv", ("USER_ID", "ITEM_ID", "TIMESTAMP"), interactions())
    made["datasetImportJob"] = p.create_dataset_import_job(
        jobName="job", datasetArn=made["dataset"], dataSource={"dataLocation": location}
    )["datasetImportJobArn"]
    if kind == "datasetImportJob":
        return made
    box.settle("datasetImportJob", made["datasetImportJob"])
    made["solution"] = p.create_solution(
        name="sol",
        datasetGroupArn=made["datasetGroup"],
        recipeArn="arn:aws:personalize:::recipe/aws-user-personalization",
        performAutoTraining=False,
    )["solutionArn"]
    if kind == "solution":
        return made
    box.settle("solution", made["solution"])
    made["solutionVersion"] = p.create_solution_version(solutionArn=made["solution"])["solutionVersionArn"]
    if kind == "solutionVersion":
        return made
    box.settle("solutionVersion", made["solutionVersion"])
    made["campaign"] = p.create_campaign(name="camp", solutionVersionArn=made["solutionVersion"])["campaignArn"]
    return made


def test_fail_steps_each_name_fails_only_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an emulator told to fail the dataset group step
    with sandbox(monkeypatch, fail_steps={"dataset-group"}) as box:
        # WHEN two dataset groups are created
        first = box.personalize.create_dataset_group(name="one")["datasetGroupArn"]
        second = box.personalize.create_dataset_group(name="two")["datasetGroupArn"]

        # THEN only the first fails
        assert box.settle("datasetGroup", first)["status"] == "CREATE FAILED"
        assert box.settle("datasetGroup", second)["status"] == "ACTIVE"


def test_emulator_unknown_fail_step_is_refused() -> None:
    # GIVEN / WHEN / THEN a typo in a fail step is caught at construction, not silently ignored
    with pytest.raises(ValueError, match="unknown fail steps"):
        PersonalizeEmulator(SimClock(), Timeline.instant(), {"imports"})


def test_listener_describe_observes_each_status_change_once(box: Sandbox) -> None:
    # GIVEN a listener
    events: list[tuple] = []
    box.emulator.add_listener(lambda *event: events.append(event))

    # WHEN a dataset group is created and polled past every state, twice per state
    arn = box.personalize.create_dataset_group(name="dg")["datasetGroupArn"]
    for _ in range(6):
        box.personalize.describe_dataset_group(datasetGroupArn=arn)
        box.clock.advance(5)

    # THEN each change is reported once, with the simulated time it was observed
    start = box.clock.epoch
    assert events == [
        (start, "datasetGroup", arn, None, "CREATE PENDING"),
        (start + 10, "datasetGroup", arn, "CREATE PENDING", "CREATE IN_PROGRESS"),
        (start + 20, "datasetGroup", arn, "CREATE IN_PROGRESS", "ACTIVE"),
    ]


def test_listener_list_call_observes_changes_and_delete_completion(box: Sandbox) -> None:
    # GIVEN an ACTIVE dataset group and a listener attached afterwards
    arn = box.dataset_group("dg")
    events: list[tuple] = []
    box.emulator.add_listener(lambda *event: events.append(event[1:]))

    # WHEN it is deleted and only listed (never described) until it is gone
    box.personalize.delete_dataset_group(datasetGroupArn=arn)
    box.clock.advance(10)
    listed = box.personalize.list_dataset_groups()["datasetGroups"]

    # THEN the listener heard DELETE PENDING, then the disappearance (new status None)
    assert listed == []
    assert events == [("datasetGroup", arn, "ACTIVE", "DELETE PENDING"), ("datasetGroup", arn, "DELETE PENDING", None)]


def test_listener_that_raises_does_not_break_the_api_call(box: Sandbox) -> None:
    # GIVEN a broken listener
    def broken(*_: object) -> None:
        raise RuntimeError("view crashed")

    box.emulator.add_listener(broken)

    # WHEN a resource is created
    arn = box.personalize.create_dataset_group(name="dg")["datasetGroupArn"]

    # THEN the call still succeeds
    assert arn.endswith(":dataset-group/dg")


def test_inventory_lists_existing_arns_by_kind(box: Sandbox) -> None:
    # GIVEN a fully trained setup with a campaign
    arns = box.trained()
    campaign = box.personalize.create_campaign(name="camp", solutionVersionArn=arns["solutionVersionArn"])

    # WHEN the inventory is taken
    inventory = box.emulator.inventory()

    # THEN every existing resource is listed under its key, plus the empty kinds the CLI expects
    assert inventory == {
        "datasetGroups": [arns["datasetGroupArn"]],
        "schemas": ["arn:aws:personalize:us-east-1:123456789012:schema/demo-interactions"],
        "datasets": [arns["datasetArn"]],
        "datasetImportJobs": [arns["datasetImportJobArn"]],
        "solutions": [arns["solutionArn"]],
        "solutionVersions": [arns["solutionVersionArn"]],
        "campaigns": [campaign["campaignArn"]],
        "eventTrackers": [],
        "filters": [],
        "recommenders": [],
    }


def test_inventory_deleted_resource_disappears_once_delete_completes(box: Sandbox) -> None:
    # GIVEN an ACTIVE dataset group being deleted
    arn = box.dataset_group("dg")
    box.personalize.delete_dataset_group(datasetGroupArn=arn)

    # WHEN the inventory is taken during and after the delete
    during = box.emulator.inventory()["datasetGroups"]
    box.clock.advance(10)
    after = box.emulator.inventory()["datasetGroups"]

    # THEN the group is listed while DELETE PENDING and gone afterwards
    assert during == [arn]
    assert after == []


def test_emulator_new_mock_aws_context_starts_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN one emulator installed across two mock_aws contexts
    for name, value in FAKE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    emulator = PersonalizeEmulator(SimClock(), Timeline.instant())
    install(emulator)
    try:
        with mock_aws():
            boto3.client("personalize").create_dataset_group(name="first")

        # WHEN a second context lists dataset groups
        with mock_aws():
            listed = boto3.client("personalize").list_dataset_groups()["datasetGroups"]
    finally:
        uninstall()

    # THEN nothing leaked from the first context
    assert listed == []


def test_emulator_reinstalled_new_instance_starts_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a dataset group created through one emulator
    for name, value in FAKE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        install(PersonalizeEmulator(SimClock(), Timeline.instant()))
        client = boto3.client("personalize")
        client.create_dataset_group(name="first")

        # WHEN another emulator is installed in the same mock
        fresh = PersonalizeEmulator(SimClock(), Timeline.instant())
        install(fresh)
        listed = client.list_dataset_groups()["datasetGroups"]
        uninstall()

    # THEN the new emulator holds nothing
    assert listed == []
    assert fresh.inventory()["datasetGroups"] == []


def test_emulator_reset_forgets_every_resource(box: Sandbox) -> None:
    # GIVEN an existing dataset group
    box.dataset_group("dg")

    # WHEN the emulator is reset
    box.emulator.reset()

    # THEN describe and list no longer see it
    assert box.personalize.list_dataset_groups()["datasetGroups"] == []


def test_emulator_uninstalled_moto_serves_only_its_own_operations(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN no emulator installed
    for name, value in FAKE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("personalize")

        # WHEN / THEN moto's schemas work again and other operations are not implemented
        assert client.create_schema(name="s", schema="{}")["schemaArn"].endswith(":schema/s")
        with pytest.raises(NotImplementedError):
            client.create_dataset_group(name="dg")


def test_dataset_delete_moves_through_delete_states_then_not_found(box: Sandbox) -> None:
    # GIVEN an ACTIVE dataset (instant timeline: 5 s pending, 5 s in progress)
    group = box.dataset_group("dg")
    dataset = box.dataset(group)

    # WHEN it is deleted and described every 5 s
    box.personalize.delete_dataset(datasetArn=dataset)
    seen = [status_of(box, "dataset", dataset)]
    box.clock.advance(5)
    seen.append(status_of(box, "dataset", dataset))
    box.clock.advance(5)

    # THEN DELETE PENDING, DELETE IN_PROGRESS, then ResourceNotFoundException
    assert seen == ["DELETE PENDING", "DELETE IN_PROGRESS"]
    with pytest.raises(ClientError) as raised:
        box.personalize.describe_dataset(datasetArn=dataset)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_solution_delete_completed_takes_its_versions_along(box: Sandbox) -> None:
    # GIVEN a trained solution
    arns = box.trained()

    # WHEN the solution is deleted and the delete completes
    box.personalize.delete_solution(solutionArn=arns["solutionArn"])
    box.clock.advance(10)

    # THEN its versions are gone too
    with pytest.raises(ClientError) as raised:
        box.personalize.describe_solution_version(solutionVersionArn=arns["solutionVersionArn"])
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert box.emulator.inventory()["solutionVersions"] == []


def test_solution_version_stop_while_pending_is_stopped_at_once(box: Sandbox) -> None:
    # GIVEN a version just requested
    arns = box.trained()
    arn = box.personalize.create_solution_version(solutionArn=arns["solutionArn"])["solutionVersionArn"]

    # WHEN it is stopped while CREATE PENDING
    box.personalize.stop_solution_version_creation(solutionVersionArn=arn)

    # THEN it is CREATE STOPPED immediately and stays so
    assert status_of(box, "solutionVersion", arn) == "CREATE STOPPED"
    box.clock.advance(DAY)
    assert status_of(box, "solutionVersion", arn) == "CREATE STOPPED"


def test_solution_version_stop_while_in_progress_goes_stopping_then_stopped(box: Sandbox) -> None:
    # GIVEN a version in training
    arns = box.trained()
    arn = box.personalize.create_solution_version(solutionArn=arns["solutionArn"])["solutionVersionArn"]
    box.clock.advance(40)
    assert status_of(box, "solutionVersion", arn) == "CREATE IN_PROGRESS"

    # WHEN it is stopped
    box.personalize.stop_solution_version_creation(solutionVersionArn=arn)

    # THEN CREATE STOPPING, then CREATE STOPPED after the stop time (30 s on the instant timeline)
    assert status_of(box, "solutionVersion", arn) == "CREATE STOPPING"
    box.clock.advance(30)
    assert status_of(box, "solutionVersion", arn) == "CREATE STOPPED"


def test_dataset_update_goes_through_update_states_and_switches_schema_when_done(box: Sandbox) -> None:
    # GIVEN an ACTIVE Items dataset and a second Items schema
    group = box.dataset_group("dg")
    dataset = box.dataset(group, "Items", ITEMS_SCHEMA)
    old_schema = box.personalize.describe_dataset(datasetArn=dataset)["dataset"]["schemaArn"]
    new_schema = box.schema("items-v2", ITEMS_SCHEMA_V2)

    # WHEN the dataset is updated to the new schema and polled
    box.personalize.update_dataset(datasetArn=dataset, schemaArn=new_schema)
    during = box.personalize.describe_dataset(datasetArn=dataset)["dataset"]
    box.clock.advance(20)
    after = box.personalize.describe_dataset(datasetArn=dataset)["dataset"]

    # THEN the top-level status shows the update, the schema changes only once it is done
    assert during["status"] == "UPDATE PENDING"
    assert during["schemaArn"] == old_schema
    assert during["latestDatasetUpdate"]["schemaArn"] == new_schema
    assert after["status"] == "ACTIVE"
    assert after["schemaArn"] == new_schema
    assert after["latestDatasetUpdate"]["status"] == "ACTIVE"
    assert "failureReason" not in after


def test_campaign_update_keeps_serving_old_version_until_update_active(box: Sandbox) -> None:
    # GIVEN an ACTIVE campaign and a newer ACTIVE version of the same solution
    arns = box.trained()
    old = arns["solutionVersionArn"]
    campaign = box.personalize.create_campaign(name="camp", solutionVersionArn=old)["campaignArn"]
    box.settle("campaign", campaign)
    new = box.version(arns["solutionArn"])["solutionVersionArn"]

    # WHEN the campaign is updated to the new version
    box.personalize.update_campaign(campaignArn=campaign, solutionVersionArn=new, minProvisionedTPS=2)
    during = box.personalize.describe_campaign(campaignArn=campaign)["campaign"]
    box.clock.advance(120)
    after = box.personalize.describe_campaign(campaignArn=campaign)["campaign"]

    # THEN the campaign stays ACTIVE on the old version while latestCampaignUpdate progresses
    assert during["status"] == "ACTIVE"
    assert during["solutionVersionArn"] == old
    assert during["latestCampaignUpdate"]["status"] == "CREATE PENDING"
    assert during["latestCampaignUpdate"]["solutionVersionArn"] == new
    assert after["solutionVersionArn"] == new
    assert after["minProvisionedTPS"] == 2
    assert after["latestCampaignUpdate"]["status"] == "ACTIVE"


def test_campaign_without_update_has_no_latest_campaign_update(box: Sandbox) -> None:
    # GIVEN a new campaign
    arns = box.trained()
    campaign = box.personalize.create_campaign(name="camp", solutionVersionArn=arns["solutionVersionArn"])

    # WHEN it is described
    described = box.personalize.describe_campaign(campaignArn=campaign["campaignArn"])["campaign"]

    # THEN latestCampaignUpdate is absent (only returned after an UpdateCampaign) and TPS defaults to 1
    assert "latestCampaignUpdate" not in described
    assert described["minProvisionedTPS"] == 1


def test_solution_auto_training_default_creates_automatic_version_an_hour_after_active(box: Sandbox) -> None:
    # GIVEN data and a solution left with the API default performAutoTraining=true
    arns = box.trained(performAutoTraining=True)

    # WHEN no manual version is created... except the one trained() made within the first hour
    versions_before = box.personalize.list_solution_versions(solutionArn=arns["solutionArn"])["solutionVersions"]
    box.clock.advance(7 * DAY + 3600)
    versions_after = box.personalize.list_solution_versions(solutionArn=arns["solutionArn"])["solutionVersions"]

    # THEN the first automatic training was skipped, and the weekly one started
    assert [v["trainingType"] for v in versions_before] == ["MANUAL"]
    automatic = [v for v in versions_after if v["trainingType"] == "AUTOMATIC"]
    assert len(automatic) == 1
    assert automatic[0]["trainingMode"] == "AUTOTRAIN"
    solution = box.personalize.describe_solution(solutionArn=arns["solutionArn"])["solution"]
    assert solution["solutionConfig"]["autoTrainingConfig"] == {"schedulingExpression": "rate(7 days)"}
    assert solution["latestSolutionVersion"]["trainingType"] == "AUTOMATIC"


def test_solution_auto_training_without_manual_version_trains_within_the_first_hour(box: Sandbox) -> None:
    # GIVEN imported data and an auto-training solution nobody trains by hand
    group = box.dataset_group("dg")
    dataset = box.dataset(group)
    from local.personalize.testing import interactions

    box.import_job(dataset, box.put_csv("i.csv", ("USER_ID", "ITEM_ID", "TIMESTAMP"), interactions()), "job")
    solution = box.solution(group, "sol", performAutoTraining=True)

    # WHEN an hour passes
    box.clock.advance(3600)
    versions = box.personalize.list_solution_versions(solutionArn=solution)["solutionVersions"]

    # THEN one automatic version exists
    assert [(v["trainingType"], v["status"]) for v in versions] == [("AUTOMATIC", "CREATE PENDING")]


def test_listener_campaign_update_reported_beside_unchanged_campaign_status(box: Sandbox) -> None:
    # GIVEN an ACTIVE campaign and a listener
    arns = box.trained()
    campaign = box.personalize.create_campaign(name="camp", solutionVersionArn=arns["solutionVersionArn"])[
        "campaignArn"
    ]
    box.settle("campaign", campaign)
    events: list[tuple] = []
    box.emulator.add_listener(lambda *event: events.append(event[1:]))

    # WHEN the campaign is updated and polled until the update is done
    box.personalize.update_campaign(campaignArn=campaign, minProvisionedTPS=5)
    for _ in range(13):
        box.personalize.describe_campaign(campaignArn=campaign)
        box.clock.advance(10)

    # THEN the update's own progress is reported under campaignUpdate; the campaign stayed ACTIVE
    assert events == [
        ("campaignUpdate", campaign, None, "CREATE PENDING"),
        ("campaignUpdate", campaign, "CREATE PENDING", "CREATE IN_PROGRESS"),
        ("campaignUpdate", campaign, "CREATE IN_PROGRESS", "ACTIVE"),
    ]


def test_solution_update_turns_auto_training_off_once_update_active(box: Sandbox) -> None:
    # GIVEN an ACTIVE solution left with automatic training on (the API default)
    group = box.dataset_group("dg")
    solution = box.solution(group, "sol", performAutoTraining=True)

    # WHEN it is updated to stop automatic training and polled
    box.personalize.update_solution(solutionArn=solution, performAutoTraining=False)
    during = box.personalize.describe_solution(solutionArn=solution)["solution"]
    box.clock.advance(20)
    after = box.personalize.describe_solution(solutionArn=solution)["solution"]

    # THEN the update runs beside an ACTIVE solution and applies when it is ACTIVE
    assert during["status"] == "ACTIVE"
    assert during["latestSolutionUpdate"]["status"] == "CREATE PENDING"
    assert during["performAutoTraining"] is True
    assert after["latestSolutionUpdate"]["status"] == "ACTIVE"
    assert after["performAutoTraining"] is False
    assert "autoTrainingConfig" not in after.get("solutionConfig", {})


def test_solution_update_while_solution_pending_resource_in_use(box: Sandbox) -> None:
    # GIVEN a solution still being created
    group = box.dataset_group("dg")
    solution = box.personalize.create_solution(
        name="sol", datasetGroupArn=group, recipeArn="arn:aws:personalize:::recipe/aws-sims"
    )["solutionArn"]

    # WHEN / THEN it cannot be updated yet
    with pytest.raises(ClientError) as raised:
        box.personalize.update_solution(solutionArn=solution, performAutoTraining=False)
    assert raised.value.response["Error"]["Code"] == "ResourceInUseException"


def test_campaign_delete_moves_through_delete_states_then_gone(box: Sandbox) -> None:
    # GIVEN an ACTIVE campaign (instant timeline delete: 10 s pending, 10 s in progress)
    arns = box.trained()
    campaign = box.personalize.create_campaign(name="camp", solutionVersionArn=arns["solutionVersionArn"])[
        "campaignArn"
    ]
    box.settle("campaign", campaign)

    # WHEN it is deleted and listed every 10 s
    box.personalize.delete_campaign(campaignArn=campaign)
    seen = []
    for _ in range(3):
        listed = box.personalize.list_campaigns(solutionArn=arns["solutionArn"])["campaigns"]
        seen.append([c["status"] for c in listed])
        box.clock.advance(10)

    # THEN DELETE PENDING, DELETE IN_PROGRESS, then absent; the solution can be deleted afterwards
    assert seen == [["DELETE PENDING"], ["DELETE IN_PROGRESS"], []]
    box.personalize.delete_solution(solutionArn=arns["solutionArn"])
