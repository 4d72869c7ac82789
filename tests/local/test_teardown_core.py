"""The teardown core (personalize_pipeline.teardown) against the Personalize emulator: the delete order the
service accepts, what is kept, the refusals, and re-runs after a partial failure."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from local.faults import Fault, FaultPlan
from local.personalize.testing import ITEMS_SCHEMA, Sandbox, interactions, sandbox
from personalize_pipeline import errors, naming
from personalize_pipeline.teardown import STACK_TAG, STAGE_KEYS, advance, check_owner, inventory

PREFIX = "arn:aws:personalize:us-east-1:123456789012"
STACK = "personalize-pipeline"
GROUP_TAG = [{"tagKey": STACK_TAG, "tagValue": STACK}]
SCHEDULE_GROUP = "stack-schedules"


def teardown(box: Sandbox, group: str) -> dict[str, Any]:
    """What the state machine does: the plan, then each stage advanced until nothing is pending, the clock
    moving by each waitSeconds (the Wait states)."""
    scheduler = boto3.client("scheduler", region_name="us-east-1")
    exists = check_owner(box.personalize, f"{PREFIX}:dataset-group/{group}", group, STACK)
    document = inventory(box.personalize, scheduler, PREFIX, group, SCHEDULE_GROUP, exists)
    for stage in STAGE_KEYS:
        document = advance(box.personalize, scheduler, document, stage)
        while document["pending"]:
            assert document["waitSeconds"] > 0
            box.clock.advance(document["waitSeconds"])
            document = advance(box.personalize, scheduler, document, stage)
    return document


def shop(box: Sandbox, group: str = "dg") -> dict[str, str]:
    """A tagged group with what the pipeline creates: datasets, a trained solution with a campaign, a second
    solution still training, a tracker, a filter, a batch job, and an older schema named after the group."""
    group_arn = box.dataset_group(group, tags=GROUP_TAG)
    dataset = box.dataset(group_arn)
    items = box.dataset(group_arn, "Items", ITEMS_SCHEMA)
    location = box.put_csv(f"{group}/i.csv", ("USER_ID", "ITEM_ID", "TIMESTAMP"), interactions())
    job = box.import_job(dataset, location, f"{group}-import")
    solution = box.solution(group_arn, f"{group}-sol")
    version = box.version(solution)["solutionVersionArn"]
    campaign = box.personalize.create_campaign(name=f"{group}-campaign", solutionVersionArn=version)["campaignArn"]
    box.settle("campaign", campaign)
    training_solution = box.solution(group_arn, f"{group}-sims", recipeArn="arn:aws:personalize:::recipe/aws-sims")
    training = box.personalize.create_solution_version(solutionArn=training_solution)["solutionVersionArn"]
    tracker = box.event_tracker(group_arn)["eventTrackerArn"]
    found = box.filter(group_arn, 'EXCLUDE ItemID WHERE Items.GENRES IN ("x")')["filterArn"]
    old_schema = box.schema(naming.schema_name(group, "Interactions", '{"old": true}'))
    scheduler = boto3.client("scheduler", region_name="us-east-1")
    scheduler.create_schedule_group(Name=SCHEDULE_GROUP)
    target = {
        "Arn": "arn:aws:states:us-east-1:123456789012:stateMachine:p",
        "RoleArn": "arn:aws:iam::123456789012:role/r",
    }
    for name in (naming.schedule_name(group), naming.schedule_name(f"{group}-other")):
        scheduler.create_schedule(
            Name=name,
            GroupName=SCHEDULE_GROUP,
            ScheduleExpression="rate(7 days)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target=target,
        )
    return {
        "group": group_arn,
        "dataset": dataset,
        "items": items,
        "job": job["datasetImportJobArn"],
        "solution": solution,
        "version": version,
        "campaign": campaign,
        "trainingSolution": training_solution,
        "training": training,
        "tracker": tracker,
        "filter": found,
        "oldSchema": old_schema,
    }


def schema_of(box: Sandbox, dataset: str) -> str:
    return box.personalize.describe_dataset(datasetArn=dataset)["dataset"]["schemaArn"]


def test_teardown_full_group_deletes_everything_in_service_order_and_keeps_records(box: Sandbox) -> None:
    # GIVEN a group holding every kind the pipeline creates, one of its solutions still training
    made = shop(box)
    schemas = sorted([schema_of(box, made["dataset"]), schema_of(box, made["items"]), made["oldSchema"]])
    # WHEN it is torn down
    document = teardown(box, "dg")
    # THEN everything was deleted, in the order the service accepts, the training stopped first
    deleted = [(r["kind"], r["arn"], r["action"]) for r in document["deleted"]]
    schedule = f"arn:aws:scheduler:us-east-1:123456789012:schedule/{SCHEDULE_GROUP}/{naming.schedule_name('dg')}"
    assert deleted == [
        ("schedule", schedule, "deleted"),
        ("campaign", made["campaign"], "deleted"),
        ("eventTracker", made["tracker"], "deleted"),
        ("filter", made["filter"], "deleted"),
        ("solutionVersion", made["training"], "stopped"),
        *sorted([("solution", made["solution"], "deleted"), ("solution", made["trainingSolution"], "deleted")]),
        *sorted([("dataset", made["dataset"], "deleted"), ("dataset", made["items"], "deleted")]),
        *[("schema", arn, "deleted") for arn in schemas],
        ("datasetGroup", made["group"], "deleted"),
    ]
    assert document["failed"] == []
    # AND the import job record stays, with the reason; nothing else of the group is left
    assert [(r["kind"], r["arn"]) for r in document["kept"]] == [("datasetImportJob", made["job"])]
    left = box.emulator.inventory(at=box.clock.now())
    assert {kind: arns for kind, arns in left.items() if arns} == {"datasetImportJobs": [made["job"]]}
    # AND the other group's schedule (its name shares the prefix's first characters) is untouched
    names = [s["Name"] for s in boto3.client("scheduler", region_name="us-east-1").list_schedules()["Schedules"]]
    assert names == [naming.schedule_name("dg-other")]


def test_teardown_rerun_after_complete_teardown_deletes_nothing_and_fails_nothing(box: Sandbox) -> None:
    # GIVEN a group already torn down
    shop(box)
    teardown(box, "dg")
    # WHEN the teardown runs again
    document = teardown(box, "dg")
    # THEN the group is reported gone, and nothing is deleted or failed
    assert document["datasetGroup"] == {"name": "dg", "arn": f"{PREFIX}:dataset-group/dg", "exists": False}
    assert (document["deleted"], document["kept"], document["failed"]) == ([], [], [])


def test_teardown_schema_used_by_another_group_is_kept_naming_its_dataset(box: Sandbox) -> None:
    # GIVEN two groups whose Interactions datasets share one schema
    group = box.dataset_group("dg", tags=GROUP_TAG)
    shared = box.schema("shared-interactions")
    ours = box.personalize.create_dataset(
        name="ours", schemaArn=shared, datasetGroupArn=group, datasetType="Interactions"
    )["datasetArn"]
    other_group = box.dataset_group("other")
    theirs = box.personalize.create_dataset(
        name="theirs", schemaArn=shared, datasetGroupArn=other_group, datasetType="Interactions"
    )["datasetArn"]
    box.clock.advance(60)
    # WHEN the first group is torn down
    document = teardown(box, "dg")
    # THEN the shared schema stays, with the dataset that uses it, and the other group is untouched
    assert document["kept"] == [
        {
            "kind": "schema",
            "arn": shared,
            "name": "shared-interactions",
            "reason": f"also used by dataset {theirs} of another dataset group",
        }
    ]
    assert [(r["kind"], r["arn"]) for r in document["deleted"]] == [("dataset", ours), ("datasetGroup", group)]
    assert box.personalize.describe_dataset(datasetArn=theirs)["dataset"]["status"] == "ACTIVE"


@pytest.mark.parametrize(
    ("tags", "owner"),
    [([], "no stack of this pipeline (no stack tag)"), ([{"tagKey": STACK_TAG, "tagValue": "other"}], "stack 'other'")],
)
def test_teardown_group_of_another_stack_refused_naming_it(box: Sandbox, tags: list, owner: str) -> None:
    # GIVEN a group this stack did not create
    arn = box.dataset_group("foreign", **({"tags": tags} if tags else {}))
    # WHEN / THEN the owner check refuses it, naming the group and its owner
    with pytest.raises(errors.NotCreatedByStack) as refused:
        check_owner(box.personalize, arn, "foreign", STACK)
    assert str(refused.value) == (
        f"dataset group 'foreign' ({arn}) was created by {owner}, not by stack '{STACK}': this teardown deletes "
        "only what its own stack created; nothing was deleted."
    )


def test_teardown_waits_for_a_delete_already_in_progress_and_a_creation_to_settle(box: Sandbox) -> None:
    # GIVEN a campaign an earlier teardown started deleting, and a filter still being created
    made = shop(box)
    box.personalize.delete_campaign(campaignArn=made["campaign"])
    pending = box.personalize.create_filter(
        name="new-filter", datasetGroupArn=made["group"], filterExpression='EXCLUDE ItemID WHERE Items.GENRES IN ("y")'
    )["filterArn"]
    # WHEN the group is torn down
    document = teardown(box, "dg")
    # THEN both were waited for and deleted, and so was the group
    deleted = {r["arn"] for r in document["deleted"]}
    assert {made["campaign"], pending, made["group"]} <= deleted
    assert document["failed"] == []


def test_teardown_partial_failure_reports_causes_and_rerun_completes(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a group, and DeleteSolution failing once with a 500
    with sandbox(monkeypatch, faults=FaultPlan([Fault("internal", "DeleteSolution")])) as box:
        made = shop(box)
        # WHEN it is torn down
        first = teardown(box, "dg")
        # THEN that solution and the dataset group (which still holds it) are reported with the service's causes
        failed = [(r["kind"], r["arn"], r["cause"].split(":", 1)[0]) for r in first["failed"]]
        solutions = sorted([made["solution"], made["trainingSolution"]])
        assert failed == [
            ("solution", solutions[0], "InternalFailure"),
            ("datasetGroup", made["group"], "ResourceInUseException"),
        ]
        assert solutions[0] in first["failed"][1]["cause"]
        # AND the billing resources went anyway
        assert made["campaign"] in {r["arn"] for r in first["deleted"]}
        # WHEN it runs again
        second = teardown(box, "dg")
        # THEN the rest is deleted and nothing fails
        assert [(r["kind"], r["arn"]) for r in second["deleted"]] == [
            ("solution", solutions[0]),
            ("datasetGroup", made["group"]),
        ]
        assert second["failed"] == []
