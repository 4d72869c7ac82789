"""personalize-events PutEvents: interactions recorded through an event tracker join its dataset group's
Interactions dataset, where filters read them at once and the next training (solution version,
recommender) uses them.

Rules (Event and PutEvents API references, "Recording item interaction events"):

- the trackingId is that of an ACTIVE event tracker; its group needs an ACTIVE Interactions dataset;
- each event becomes one record of the dataset's current schema: USER_ID is the userId (the sessionId for
  an anonymous visitor [I]), ITEM_ID the itemId (required: the Interactions schema requires it),
  TIMESTAMP the sentAt seconds, EVENT_TYPE/EVENT_VALUE/RECOMMENDATION_ID/IMPRESSION/EVENT_ATTRIBUTION_SOURCE
  from the event, other columns from ``properties`` (JSON, camelCase keys: ``numberOfRatings`` fills
  NUMBER_OF_RATINGS); values are checked like imported CSV values, and a required column left empty, an
  unknown or reserved property, or bad JSON refuses the whole call (InvalidInputException, the one error
  PutEvents models);
- "Any subsequent events after the first with the same event ID are not used in model training";
- a FULL import replaces bulk data only: recorded events stay (imports page: individually imported records
  are not replaced).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import imports
from ..errors import InvalidInputException
from ..resources import Dataset
from ..timeline import ACTIVE
from .registry import operation

if TYPE_CHECKING:
    from ..models import RegionState

#: Property keys the Event reference forbids (case-insensitive).
RESERVED_PROPERTIES = frozenset({"userid", "sessionid", "eventtype", "timestamp", "recommendationid", "impression"})
#: Columns filled from the event's own members, never from properties.
EVENT_COLUMNS = frozenset(
    {"USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE", "RECOMMENDATION_ID", "IMPRESSION"}
    | {"EVENT_ATTRIBUTION_SOURCE"}
)


@dataclass(frozen=True)
class RecordedEvent:
    """One event as a record of the dataset's schema at the time it was put."""

    recorded_at: float
    event_id: str
    columns: tuple[str, ...]
    row: tuple[Any, ...]


def recorded(state: RegionState, dataset: Dataset, now: float) -> list[imports.ImportedData]:
    """The dataset's recorded events live at ``now``, as import-like segments (one per schema)."""
    segments: list[imports.ImportedData] = []
    for event in state.events.get(dataset.arn, []):
        if event.recorded_at > now or event.recorded_at < dataset.created:
            continue
        if not segments or segments[-1].columns != event.columns:
            segments.append(imports.ImportedData(event.columns, []))
        segments[-1].rows.append(event.row)
    return segments


def _column_of(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).upper()


def _properties(raw: str | None, index: int) -> dict[str, Any]:
    if raw is None:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError as error:
        raise InvalidInputException(f"eventList.{index}.properties is not valid JSON: {error}.") from None
    if not isinstance(parsed, dict):
        raise InvalidInputException(f"eventList.{index}.properties must be a JSON object.")
    reserved = sorted(k for k in parsed if k.lower() in RESERVED_PROPERTIES)
    if reserved:
        raise InvalidInputException(
            f"eventList.{index}.properties cannot hold {', '.join(reserved)}: these are event fields, not properties."
        )
    return {_column_of(key): value for key, value in parsed.items()}


def _record(state: RegionState, dataset: Dataset, p: dict, event: dict, index: int, now: float) -> tuple[Any, ...]:
    schema = state.schemas[dataset.schema_arn(now)].parsed
    properties = _properties(event.get("properties"), index)
    unknown = sorted(set(properties) - (set(schema.names) - EVENT_COLUMNS))
    if unknown:
        raise InvalidInputException(
            f"eventList.{index}.properties names {', '.join(unknown)}, which the Interactions schema of "
            f"{dataset.arn} does not have as metadata columns."
        )
    attribution = (event.get("metricAttribution") or {}).get("eventAttributionSource")
    given: dict[str, Any] = {
        "USER_ID": p.get("userId") or p["sessionId"],
        "ITEM_ID": event.get("itemId"),
        "TIMESTAMP": int(event["sentAt"]),
        "EVENT_TYPE": event["eventType"],
        "EVENT_VALUE": event.get("eventValue"),
        "RECOMMENDATION_ID": event.get("recommendationId"),
        "IMPRESSION": "|".join(event["impression"]) if event.get("impression") else None,
        "EVENT_ATTRIBUTION_SOURCE": attribution,
        **properties,
    }
    row = []
    for field in schema.fields:
        value = given.get(field.name)
        if value is None or value == "":
            if not field.nullable:
                raise InvalidInputException(
                    f"eventList.{index}: the Interactions schema requires {field.name}, and the event has no value "
                    f"for it{' (itemId)' if field.name == 'ITEM_ID' else ''}."
                )
            row.append(None)
            continue
        try:
            row.append(imports._converter(field)(_as_text(value)))
        except ValueError as error:
            raise InvalidInputException(
                f"eventList.{index}: invalid value '{value}' for {field.name} of type {field.type}: {error}."
            ) from None
    return tuple(row)


def _as_text(value: Any) -> str:
    """The CSV text of a JSON value, so events and imports go through one set of value rules."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@operation("PutEvents")
def put_events(state: RegionState, p: dict, now: float) -> dict:
    trackers = [t for t in state.event_trackers.values() if t.tracking_id == p["trackingId"]]
    if not trackers:
        raise InvalidInputException(f"No event tracker has the trackingId {p['trackingId']}.")
    tracker = trackers[0]
    if tracker.status(now) != ACTIVE:
        raise InvalidInputException(
            f"Event tracker {tracker.arn} is {tracker.status(now)}; events can be put only when it is ACTIVE."
        )
    dataset = state.group_datasets(tracker.dataset_group_arn).get("INTERACTIONS")
    if dataset is None or dataset.status(now) != ACTIVE:
        raise InvalidInputException(
            f"Dataset group {tracker.dataset_group_arn} has no ACTIVE Interactions dataset to record events in."
        )
    schema_columns = state.schemas[dataset.schema_arn(now)].parsed.names
    rows = [_record(state, dataset, p, event, index, now) for index, event in enumerate(p["eventList"], start=1)]
    stored = state.events.setdefault(dataset.arn, [])
    seen = {event.event_id for event in stored}
    for index, (event, row) in enumerate(zip(p["eventList"], rows, strict=True)):
        # Without an eventId the service generates a unique one: such an event is never a repeat.
        event_id = event.get("eventId") or f"{p['sessionId']}#{now}#{len(stored)}#{index}"
        if event_id in seen:
            continue
        seen.add(event_id)
        stored.append(RecordedEvent(now, event_id, schema_columns, row))
    return {}
