"""personalize-events PutEvents through boto3: recorded interactions reach filters at once and the next
training, repeated event ids count once, a FULL import keeps them, and bad events are refused whole."""

from __future__ import annotations

import datetime
from typing import Any

from local.personalize.testing import (
    DOMAIN_INTERACTIONS_SCHEMA,
    Sandbox,
    avro,
    client_failure,
    csv_text,
    domain_interactions,
    interactions,
)

RECIPE = "arn:aws:personalize:::recipe/"
#: USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP.
EVENTS_SCHEMA = DOMAIN_INTERACTIONS_SCHEMA

HEADER = ("USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP")
SENT = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)


def event_rows() -> list[tuple]:
    return domain_interactions(("purchase", "click", "click"), users=40)


def invalid(message: str) -> tuple[int, str, str]:
    return 400, "InvalidInputException", message


def tracked_group(box: Sandbox, schema: str = EVENTS_SCHEMA) -> dict[str, str]:
    group = box.dataset_group("dg")
    dataset = box.dataset(group, "Interactions", schema)
    box.import_job(dataset, box.put_csv("dg/i.csv", HEADER, event_rows()), "dg-import")
    tracker = box.event_tracker(group)
    return {"group": group, "dataset": dataset, "trackingId": tracker["trackingId"]}


def clicks(user: str, items: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "trackingId": extra.pop("trackingId"),
        "userId": user,
        "sessionId": f"session-{user}",
        "eventList": [{"eventType": "click", "itemId": item, "sentAt": SENT, **extra} for item in items],
    }


def served_items(box: Sandbox, group: str, name: str, user: str) -> list[str]:
    """Train a new user-personalization version of ``group`` now, deploy it, and list all it recommends."""
    solution = box.solution(group, f"{name}-sol", recipeArn=RECIPE + "aws-user-personalization")
    version = box.version(solution)["solutionVersionArn"]
    campaign = box.personalize.create_campaign(name=name, solutionVersionArn=version)["campaignArn"]
    box.settle("campaign", campaign)
    response = box.runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=500)
    return [entry["itemId"] for entry in response["itemList"]]


def test_put_events_interactions_used_by_next_training(box: Sandbox) -> None:
    # GIVEN a model trained before a new visitor's events
    arns = tracked_group(box)
    before = served_items(box, arns["group"], "before", "newcomer")

    # WHEN PutEvents records three clicks of the newcomer, and a new version trains
    box.events.put_events(**clicks("newcomer", ["item1", "item2", "item3"], trackingId=arns["trackingId"]))
    after = served_items(box, arns["group"], "after", "newcomer")

    # THEN the first model did not know the newcomer (a cold user may get those items); the second trained on the
    # clicks and, as the service does, no longer recommends what the user interacted with
    assert {"item1", "item2", "item3"} <= set(before)
    assert set(before) - set(after) == {"item1", "item2", "item3"}


def test_put_events_records_join_dataset_and_survive_full_import(box: Sandbox) -> None:
    arns = tracked_group(box)

    # WHEN two events are put (one repeating the other's eventId) and then a FULL import replaces the bulk data
    request = clicks("visitor", ["item7", "item8"], trackingId=arns["trackingId"], eventId="e-1")
    box.events.put_events(**request)
    box.import_job(arns["dataset"], box.put_csv("dg/j.csv", HEADER, event_rows()[:1000]), "dg-full", importMode="FULL")

    # THEN the dataset holds the 1000 new bulk records and the first event only
    records = box.emulator.dataset_records(arns["dataset"])
    assert len(records) == 1001
    assert records[-1] == {
        "USER_ID": "visitor",
        "ITEM_ID": "item7",
        "EVENT_TYPE": "click",
        "TIMESTAMP": int(SENT.timestamp()),
    }


def test_put_events_exclude_filter_sees_events_at_once(box: Sandbox) -> None:
    # GIVEN a popularity campaign and a filter dropping what the user clicked
    arns = tracked_group(box)
    solution = box.solution(arns["group"], "pop", recipeArn=RECIPE + "aws-popularity-count")
    version = box.version(solution)["solutionVersionArn"]
    campaign = box.personalize.create_campaign(name="pop", solutionVersionArn=version)["campaignArn"]
    box.settle("campaign", campaign)
    expression = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'
    flt = box.filter(arns["group"], expression)["filterArn"]
    top = [e["itemId"] for e in box.runtime.get_recommendations(campaignArn=campaign, numResults=3)["itemList"]]

    # WHEN a new user clicks the two most popular items
    box.events.put_events(**clicks("fresh", top[:2], trackingId=arns["trackingId"]))
    filtered = box.runtime.get_recommendations(campaignArn=campaign, userId="fresh", numResults=3, filterArn=flt)

    # THEN the same model, unchanged, no longer returns them to that user
    assert [e["itemId"] for e in filtered["itemList"]][0] == top[2]
    assert not {e["itemId"] for e in filtered["itemList"]} & set(top[:2])


def test_put_events_properties_fill_metadata_columns(box: Sandbox) -> None:
    schema = avro(
        "Interactions",
        [
            {"name": "USER_ID", "type": "string"},
            {"name": "ITEM_ID", "type": "string"},
            {"name": "EVENT_TYPE", "type": "string"},
            {"name": "TIMESTAMP", "type": "long"},
            {"name": "DEVICE_TYPE", "type": ["null", "string"], "categorical": True},
        ],
    )
    group = box.dataset_group("dg")
    dataset = box.dataset(group, "Interactions", schema)
    rows = [(u, i, "click", t, "phone") for u, i, t in interactions()]
    box.import_job(dataset, box.put("dg/i.csv", csv_text((*HEADER, "DEVICE_TYPE"), rows)), "dg-import")
    tracker = box.event_tracker(group)

    # WHEN an event carries {"deviceType": "tablet"} in its properties
    request = clicks("v", ["item1"], trackingId=tracker["trackingId"], properties='{"deviceType": "tablet"}')
    box.events.put_events(**request)

    # THEN the record's DEVICE_TYPE column holds it
    assert box.emulator.dataset_records(dataset)[-1]["DEVICE_TYPE"] == "tablet"


def test_put_events_refusals_invalid_input_nothing_recorded(box: Sandbox) -> None:
    arns = tracked_group(box)
    tid = arns["trackingId"]
    no_item = {
        "trackingId": tid,
        "userId": "v",
        "sessionId": "s",
        "eventList": [{"eventType": "click", "sentAt": SENT}],
    }
    cases = {
        "unknown tracking id": (
            clicks("v", ["item1"], trackingId="0d0c1f7e-0000-4000-8000-000000000000"),
            "No event tracker has the trackingId 0d0c1f7e-0000-4000-8000-000000000000.",
        ),
        "event without itemId": (
            no_item,
            "eventList.1: the Interactions schema requires ITEM_ID, and the event has no value for it (itemId).",
        ),
        "property the schema lacks": (
            clicks("v", ["item1"], trackingId=tid, properties='{"color": "red"}'),
            f"eventList.1.properties names COLOR, which the Interactions schema of {arns['dataset']} does not have "
            "as metadata columns.",
        ),
        "reserved property": (
            clicks("v", ["item1"], trackingId=tid, properties='{"userId": "x"}'),
            "eventList.1.properties cannot hold userId: these are event fields, not properties.",
        ),
        "properties not JSON": (
            clicks("v", ["item1"], trackingId=tid, properties="{deviceType"),
            "eventList.1.properties is not valid JSON: Expecting property name enclosed in double quotes: line 1 "
            "column 2 (char 1).",
        ),
    }
    count = len(box.emulator.dataset_records(arns["dataset"]))
    for name, (request, message) in cases.items():
        assert client_failure(lambda r=request: box.events.put_events(**r)) == invalid(message), name
    assert len(box.emulator.dataset_records(arns["dataset"])) == count


def test_put_events_tracker_not_active_invalid_input(box: Sandbox) -> None:
    group = box.dataset_group("dg")
    dataset = box.dataset(group, "Interactions", EVENTS_SCHEMA)
    box.import_job(dataset, box.put_csv("dg/i.csv", HEADER, event_rows()), "dg-import")
    created = box.personalize.create_event_tracker(name="t", datasetGroupArn=group)

    assert client_failure(
        lambda: box.events.put_events(**clicks("v", ["item1"], trackingId=created["trackingId"]))
    ) == (
        invalid(
            f"Event tracker {created['eventTrackerArn']} is CREATE PENDING; events can be put only when it is ACTIVE."
        )
    )
