"""One run at a time per dataset group: what Look for Other Runs decides, as pure functions.

Every upload of the parameters file starts an execution (EventBridge may also deliver one S3 event
twice). Executions are ordered by (start time, ARN): the older one always goes on, so two runs never
wait for each other. A run looks only at the older RUNNING executions of its state machine:

- one of them is working on the same S3 object version -> this run is a second delivery of the same
  event: ``duplicate`` (it ends without an e-mail; the older run sends it);
- one of them works on the same dataset group -> ``busy``: this run is refused (RunInProgress) with an
  e-mail naming that execution;
- one of them has not yet read its parameters (its dataset group is unknown) -> ``wait`` and look again;
- otherwise ``clear``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .schedules import SCHEDULE_SOURCE

#: Verdicts, as the state machine's Choice matches them.
CLEAR, WAIT, DUPLICATE, BUSY = "clear", "wait", "duplicate", "busy"
#: The state whose output carries an execution's plan (its dataset group).
PLAN_STATE = "Load Parameters"


@dataclass(frozen=True)
class Run:
    arn: str
    started: datetime
    #: (bucket, key, version id, sequencer) of the S3 object the run was started for
    source: tuple[str | None, ...]
    #: the dataset group it works on; None while it has not read its parameters
    dataset_group: str | None = None


def source_of(execution_input: str | dict[str, Any]) -> tuple[str | None, ...]:
    """What an execution was started for, from its input: the S3 object write (the S3 Object Created event),
    or the firing of a schedule (its name and scheduled time: two firings of one schedule pin the same params
    version, so the object alone would make the second a "duplicate")."""
    document = json.loads(execution_input) if isinstance(execution_input, str) else execution_input
    detail = (document or {}).get("detail") or {}
    bucket, obj = detail.get("bucket") or {}, detail.get("object") or {}
    write = obj.get("sequencer") or obj.get("etag")
    if (document or {}).get("source") == SCHEDULE_SOURCE:
        schedule = document.get("schedule") or {}
        write = f"schedule:{schedule.get('name')}@{schedule.get('scheduledTime')}"
    return (bucket.get("name"), obj.get("key"), obj.get("version-id"), write)


def dataset_group_of_history(events: list[dict[str, Any]]) -> str | None:
    """The dataset group of a run, from the output of its Load Parameters state; None before that."""
    for event in events:
        details = event.get("stateExitedEventDetails") or {}
        if event.get("type") == "TaskStateExited" and details.get("name") == PLAN_STATE:
            output = json.loads(details.get("output") or "{}")
            return ((output.get("plan") or {}).get("datasetGroup") or {}).get("name")
    return None


def is_older(other: Run, me: Run) -> bool:
    return (other.started, other.arn) < (me.started, me.arn)


def verdict(me: Run, running: list[Run]) -> tuple[str, str | None]:
    """(verdict, the ARN of the execution it is about or None) for run ``me`` among ``running``."""
    older = sorted((run for run in running if run.arn != me.arn and is_older(run, me)), key=lambda r: r.started)
    for run in older:
        if run.source == me.source:
            return DUPLICATE, run.arn
    for run in older:
        if run.dataset_group == me.dataset_group:
            return BUSY, run.arn
    for run in older:
        if run.dataset_group is None:
            return WAIT, run.arn
    return CLEAR, None


def task_results(events: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The result object of every task that succeeded in an execution history, in history order (a Lambda
    task's ``Payload``); results that are not JSON objects are skipped."""
    for event in events:
        if event.get("type") not in ("TaskSucceeded", "LambdaFunctionSucceeded"):
            continue
        details = event.get("taskSucceededEventDetails") or event.get("lambdaFunctionSucceededEventDetails") or {}
        try:
            output = json.loads(details.get("output") or "{}")
        except ValueError:
            continue
        payload = output.get("Payload", output) if isinstance(output, dict) else None
        if isinstance(payload, dict):
            yield payload
