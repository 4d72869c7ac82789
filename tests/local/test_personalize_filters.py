"""Emulated event trackers and filters: identities, lifecycles, the service's refusals, lists and deletes."""

from __future__ import annotations

import re

import pytest

from local.personalize.testing import ITEMS_SCHEMA, Sandbox, avro, client_error, sandbox

EVENTS_SCHEMA = avro(
    "Interactions",
    [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "EVENT_TYPE", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
    ],
)
CLICKED = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'
PREFIX = "arn:aws:personalize:us-east-1:123456789012"


def group_with(box: Sandbox, name: str = "dg", *, items: bool = False) -> str:
    group = box.dataset_group(name)
    box.dataset(group, "Interactions", EVENTS_SCHEMA)
    if items:
        box.dataset(group, "Items", ITEMS_SCHEMA)
    return group


# --- event trackers ----------------------------------------------------------------------------------


def test_create_event_tracker_arn_hex_tracking_id_uuid_active(box: Sandbox) -> None:
    # GIVEN an ACTIVE dataset group
    group = box.dataset_group("dg")

    # WHEN a tracker is created and polled
    created = box.personalize.create_event_tracker(
        name="MovieTracker", datasetGroupArn=group, tags=[{"tagKey": "team", "tagValue": "data"}]
    )
    first = box.personalize.describe_event_tracker(eventTrackerArn=created["eventTrackerArn"])["eventTracker"]
    settled = box.settle("eventTracker", created["eventTrackerArn"])

    # THEN its ARN ends in 8 hex digits (not its name), the trackingId is a UUID, and it goes PENDING -> ACTIVE
    assert re.fullmatch(rf"{PREFIX}:event-tracker/[0-9a-f]{{8}}", created["eventTrackerArn"])
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", created["trackingId"])
    assert first["status"] == "CREATE PENDING"
    settled.pop("creationDateTime"), settled.pop("lastUpdatedDateTime")
    assert settled == {
        "name": "MovieTracker",
        "eventTrackerArn": created["eventTrackerArn"],
        "accountId": "123456789012",
        "trackingId": created["trackingId"],
        "datasetGroupArn": group,
        "status": "ACTIVE",
    }
    tags = box.personalize.list_tags_for_resource(resourceArn=created["eventTrackerArn"])["tags"]
    assert tags == [{"tagKey": "team", "tagValue": "data"}]


def test_create_event_tracker_same_group_and_name_same_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN two fresh emulators WHEN each creates the same tracker in the same group THEN the ids are the same
    ids = []
    for _ in range(2):
        with sandbox(monkeypatch) as box:
            created = box.personalize.create_event_tracker(name="t", datasetGroupArn=box.dataset_group("dg"))
            ids.append((created["eventTrackerArn"], created["trackingId"]))
    assert ids[0] == ids[1]


def test_create_event_tracker_second_in_group_already_exists(box: Sandbox) -> None:
    # GIVEN a group with a tracker
    group = box.dataset_group("dg")
    tracker = box.event_tracker(group, "first")

    # WHEN a second one is created THEN the service refuses, naming the existing tracker
    code, message = client_error(lambda: box.personalize.create_event_tracker(name="second", datasetGroupArn=group))
    assert (code, message) == (
        "ResourceAlreadyExistsException",
        f"Another resource with Arn {tracker['eventTrackerArn']} already exists.",
    )


def test_create_event_tracker_group_not_active_resource_in_use(box: Sandbox) -> None:
    # GIVEN a group still being created WHEN a tracker is created in it THEN ResourceInUseException
    group = box.personalize.create_dataset_group(name="dg")["datasetGroupArn"]
    code, _ = client_error(lambda: box.personalize.create_event_tracker(name="t", datasetGroupArn=group))
    assert code == "ResourceInUseException"


def test_list_event_trackers_by_group_summaries(box: Sandbox) -> None:
    # GIVEN two groups with a tracker each
    one, two = box.dataset_group("one"), box.dataset_group("two")
    first, _ = box.event_tracker(one, "t1"), box.event_tracker(two, "t2")

    # WHEN the first group's trackers are listed THEN only its tracker comes back, as a summary
    listed = box.personalize.list_event_trackers(datasetGroupArn=one)["eventTrackers"]
    assert [(t["name"], t["eventTrackerArn"], t["status"]) for t in listed] == [
        ("t1", first["eventTrackerArn"], "ACTIVE")
    ]
    assert set(listed[0]) == {"name", "eventTrackerArn", "status", "creationDateTime", "lastUpdatedDateTime"}


def test_delete_event_tracker_gone_then_group_deletable(box: Sandbox) -> None:
    # GIVEN a group whose only child is a tracker
    group = box.dataset_group("dg")
    tracker = box.event_tracker(group)["eventTrackerArn"]
    code, _ = client_error(lambda: box.personalize.delete_dataset_group(datasetGroupArn=group))
    assert code == "ResourceInUseException"

    # WHEN the tracker is deleted and its delete completes
    box.personalize.delete_event_tracker(eventTrackerArn=tracker)
    assert box.personalize.describe_event_tracker(eventTrackerArn=tracker)["eventTracker"]["status"] == "DELETE PENDING"
    box.clock.advance(60)

    # THEN it is gone and the group can be deleted
    code, _ = client_error(lambda: box.personalize.describe_event_tracker(eventTrackerArn=tracker))
    assert code == "ResourceNotFoundException"
    box.personalize.delete_dataset_group(datasetGroupArn=group)


# --- filters -----------------------------------------------------------------------------------------


def test_create_filter_pending_then_active_describe_whole(box: Sandbox) -> None:
    # GIVEN a group with Interactions (EVENT_TYPE) and Items
    group = group_with(box, items=True)
    expression = "INCLUDE ItemID WHERE Items.GENRES IN ($GENRE) | " + CLICKED

    # WHEN a filter is created and polled
    arn = box.personalize.create_filter(name="f", datasetGroupArn=group, filterExpression=expression)["filterArn"]
    first = box.personalize.describe_filter(filterArn=arn)["filter"]
    settled = box.settle("filter", arn)

    # THEN its ARN is filter/<name> and it goes CREATE PENDING -> ACTIVE, keeping its expression
    assert arn == f"{PREFIX}:filter/f"
    assert first["status"] == "CREATE PENDING"
    settled.pop("creationDateTime"), settled.pop("lastUpdatedDateTime")
    assert settled == {
        "name": "f",
        "filterArn": arn,
        "datasetGroupArn": group,
        "filterExpression": expression,
        "status": "ACTIVE",
    }


def test_create_filter_fail_step_create_failed_with_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an emulator told to fail the filter step
    with sandbox(monkeypatch, fail_steps={"filter"}) as box:
        group = group_with(box)
        # WHEN a filter is created THEN it ends CREATE FAILED with a reason
        settled = box.filter(group, CLICKED)
    assert (settled["status"], settled["failureReason"]) == (
        "CREATE FAILED",
        "Could not create filter. An internal error occurred. Try again.",
    )


def test_create_filter_fail_step_event_tracker_create_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an emulator told to fail the event tracker step WHEN a tracker is created THEN it ends CREATE FAILED
    with sandbox(monkeypatch, fail_steps={"event-tracker"}) as box:
        settled = box.event_tracker(box.dataset_group("dg"))
    assert settled["status"] == "CREATE FAILED" and "failureReason" not in settled


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (
            "INCLUDE ItemID WHERE Items.YEAR > 1970",
            "Could not create filter. filterExpression: column 22 (Items.YEAR): no Items dataset is declared, so "
            "the filter has no Items data to read",
        ),
        (
            "EXCLUDE ItemID WHERE Interactions.EVENT_TYPE NOT IN ($TYPE)",
            "Could not create filter. filterExpression: column 54 ($TYPE): placeholders are not allowed with NOT IN",
        ),
        (
            "INCLUDE ItemID WHERE",
            "Could not create filter. filterExpression: column 21 (end): the expression stops early; expected a "
            "name such as Items.GENRE",
        ),
    ],
)
def test_create_filter_bad_expression_invalid_input_nothing_created(
    box: Sandbox, expression: str, message: str
) -> None:
    # GIVEN a group with only Interactions
    group = group_with(box)

    # WHEN a filter with a bad expression is created THEN InvalidInputException says why, and no filter exists
    code, text = client_error(
        lambda: box.personalize.create_filter(name="f", datasetGroupArn=group, filterExpression=expression)
    )
    assert (code, text) == ("InvalidInputException", message)
    assert box.emulator.inventory()["filters"] == []


def test_create_filter_textual_field_invalid_input(box: Sandbox) -> None:
    # GIVEN Items with a textual DESCRIPTION
    group = box.dataset_group("dg")
    schema = avro(
        "Items", [{"name": "ITEM_ID", "type": "string"}, {"name": "DESCRIPTION", "type": "string", "textual": True}]
    )
    box.dataset(group, "Items", schema)

    # WHEN a filter reads it THEN the service refuses unstructured text
    code, text = client_error(
        lambda: box.personalize.create_filter(
            name="f", datasetGroupArn=group, filterExpression='INCLUDE ItemID WHERE Items.DESCRIPTION IN ("x")'
        )
    )
    assert (code, text) == (
        "InvalidInputException",
        "Could not create filter. filterExpression: column 22 (Items.DESCRIPTION): textual fields (unstructured "
        "text) cannot be filtered",
    )


def test_create_filter_same_name_already_exists(box: Sandbox) -> None:
    # GIVEN a filter WHEN another with its name is created THEN ResourceAlreadyExistsException
    group = group_with(box)
    box.filter(group, CLICKED, "f")
    code, _ = client_error(
        lambda: box.personalize.create_filter(name="f", datasetGroupArn=group, filterExpression=CLICKED)
    )
    assert code == "ResourceAlreadyExistsException"


def test_create_filter_group_not_active_invalid_input(box: Sandbox) -> None:
    # GIVEN a group still being created WHEN a filter is created in it THEN InvalidInputException (no RIU modeled)
    group = box.personalize.create_dataset_group(name="dg")["datasetGroupArn"]
    code, text = client_error(
        lambda: box.personalize.create_filter(name="f", datasetGroupArn=group, filterExpression=CLICKED)
    )
    assert (code, text) == ("InvalidInputException", f"Dataset group {group} is CREATE PENDING; it must be ACTIVE.")


def test_create_filter_thirty_first_limit_exceeded(box: Sandbox) -> None:
    # GIVEN a group with 30 filters
    group = group_with(box)
    for n in range(30):
        box.personalize.create_filter(name=f"f{n}", datasetGroupArn=group, filterExpression=CLICKED)

    # WHEN a 31st is created THEN LimitExceededException
    code, text = client_error(
        lambda: box.personalize.create_filter(name="f30", datasetGroupArn=group, filterExpression=CLICKED)
    )
    assert (code, text) == (
        "LimitExceededException",
        f"Cannot create filter: dataset group {group} already has 30 filters.",
    )


def test_create_filter_twenty_first_distinct_field_in_group_limit_exceeded(box: Sandbox) -> None:
    # GIVEN Items with 21 string fields and filters reading 20 of them (two filters of 10)
    group = box.dataset_group("dg")
    fields = [{"name": f"F{i:02d}", "type": "string"} for i in range(21)]
    box.dataset(group, "Items", avro("Items", [{"name": "ITEM_ID", "type": "string"}, *fields]))
    for start in (0, 10):
        expression = " | ".join(f'INCLUDE ItemID WHERE Items.F{i:02d} IN ("a")' for i in range(start, start + 10))
        box.personalize.create_filter(name=f"f{start}", datasetGroupArn=group, filterExpression=expression)

    # WHEN a third filter reads one already-used field and a new one
    code, text = client_error(
        lambda: box.personalize.create_filter(
            name="f20",
            datasetGroupArn=group,
            filterExpression='INCLUDE ItemID WHERE Items.F00 IN ("a") | INCLUDE ItemID WHERE Items.F20 IN ("a")',
        )
    )

    # THEN the group's distinct fields would be 21: refused
    assert (code, text) == (
        "LimitExceededException",
        f"Cannot create filter: the filters of dataset group {group} would use 21 distinct fields; at most 20 are "
        "allowed.",
    )


def test_list_filters_capital_key_group_scoped(box: Sandbox) -> None:
    # GIVEN two groups with a filter each
    one, two = group_with(box, "one"), group_with(box, "two")
    box.filter(one, CLICKED, "f1")
    box.filter(two, CLICKED, "f2")

    # WHEN the first group's filters are listed THEN the result key is "Filters" and holds only its filter
    listed = box.personalize.list_filters(datasetGroupArn=one)
    assert [(f["name"], f["datasetGroupArn"], f["status"]) for f in listed["Filters"]] == [("f1", one, "ACTIVE")]


def test_delete_filter_delete_pending_then_gone(box: Sandbox) -> None:
    # GIVEN an ACTIVE filter WHEN deleted THEN DELETE PENDING, then not found; its name is free again
    group = group_with(box)
    arn = box.filter(group, CLICKED, "f")["filterArn"]
    box.personalize.delete_filter(filterArn=arn)
    assert box.personalize.describe_filter(filterArn=arn)["filter"]["status"] == "DELETE PENDING"
    box.clock.advance(60)
    code, _ = client_error(lambda: box.personalize.describe_filter(filterArn=arn))
    assert code == "ResourceNotFoundException"
    box.personalize.create_filter(name="f", datasetGroupArn=group, filterExpression=CLICKED)


def test_delete_filter_while_pending_resource_in_use(box: Sandbox) -> None:
    # GIVEN a filter just created WHEN deleted at once THEN ResourceInUseException
    group = group_with(box)
    arn = box.personalize.create_filter(name="f", datasetGroupArn=group, filterExpression=CLICKED)["filterArn"]
    code, _ = client_error(lambda: box.personalize.delete_filter(filterArn=arn))
    assert code == "ResourceInUseException"


def test_inventory_lists_trackers_and_filters(box: Sandbox) -> None:
    # GIVEN a tracker and a filter WHEN the inventory is taken THEN both are listed under their keys
    group = group_with(box)
    tracker = box.event_tracker(group)["eventTrackerArn"]
    filter_arn = box.filter(group, CLICKED)["filterArn"]
    inventory = box.emulator.inventory()
    assert (inventory["eventTrackers"], inventory["filters"]) == ([tracker], [filter_arn])
