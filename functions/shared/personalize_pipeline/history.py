"""Run history: what a run changed in its dataset group since the previous run, as pure functions.

Runs of one dataset group never overlap (Look for Other Runs), so what a run changed since the previous
run is what the run itself did: every resource its tasks created, updated or resumed (their PollRecord
``action``; ``reused`` changed nothing), every batch job it ran, every schedule Apply Schedules created,
updated or deleted. A failed run reports what it changed before it failed, from its execution history.

The previous run is the latest older execution of the same state machine that worked on the same dataset
group: it read that group in Load Parameters and Look for Other Runs let it go on (``clear``). A second
delivery of one upload (``duplicate``), a refused upload (``busy``) and invalid parameters changed nothing
and are not it. Step Functions keeps a closed execution for 90 days, and the lookup reads at most
``LOOKBACK`` older executions: "none found" says which.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from .ensure import _attempt_of
from .polling import KIND_LABELS
from .resources import name_from_arn
from .runs import CLEAR, DUPLICATE, dataset_group_of_history, task_results

#: Older executions read (one GetExecutionHistory each) before the lookup gives up.
LOOKBACK = 50
#: How long Step Functions keeps a closed standard execution (its quotas page).
RETENTION_DAYS = 90
#: The state whose output carries the run guard's verdict.
GUARD_STATE = "Look for Other Runs"
#: Changes the JSON document carries at most: it travels in the notify task's result, which Step Functions
#: limits to 256 KB together with the e-mail (itself cut at 64 KB).
JSON_ITEMS = 200
#: Actions of a PollRecord that change something.
CHANGING = ("created", "updated", "resumed")


@dataclass(frozen=True)
class PreviousRun:
    name: str
    executionArn: str  # noqa: N815 - the CLI's JSON contract is camelCase
    startTime: str  # noqa: N815 - ISO 8601, UTC
    status: str


@dataclass(frozen=True)
class Lookup:
    """The previous run, or why none is named."""

    previous: PreviousRun | None
    examined: int = 0  # older executions read
    exhausted: bool = True  # False: LOOKBACK was reached before the oldest execution
    error: str = ""  # the lookup itself failed (e.g. AccessDenied): nothing is known


@dataclass(frozen=True)
class Change:
    kind: str  # a Personalize kind (polling.KIND_LABELS) or "schedule"
    name: str
    arn: str
    action: str  # created | updated | resumed | deleted
    text: str  # one line saying what changed
    lines: tuple[str, ...] = ()  # further lines (e.g. the versions a campaign moved between)


@dataclass
class Changes:
    dataset_group: str
    lookup: Lookup
    items: list[Change] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ``changes`` document the notify function returns and ``python -m local run`` reports."""
        lookup = self.lookup
        return {
            "datasetGroup": self.dataset_group,
            "previousRun": asdict(lookup.previous) if lookup.previous else None,
            "previousRunNote": previous_run_text(lookup, self.dataset_group),
            "items": [
                {
                    "kind": c.kind,
                    "name": c.name,
                    "arn": c.arn,
                    "action": c.action,
                    "text": c.text,
                    "lines": list(c.lines),
                }
                for c in self.items[:JSON_ITEMS]
            ],
            "itemsLeftOut": max(0, len(self.items) - JSON_ITEMS),
        }


# ----------------------------------------------------------------------------- records of a run
def success_records(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The PollRecords of a successful run, from the Summarize Run payload, in the e-mail's order."""
    records = [event["datasetGroup"]]
    for dataset in event.get("datasets", []):
        records += [dataset["dataset"], dataset["importJob"]]
    records += [item["eventTracker"] for item in event.get("eventTrackers", [])]
    records += [item["filter"] for item in event.get("filters", [])]
    for solution in event.get("solutions", []):
        records += [solution["solution"], solution["solutionVersion"]]
        records += [item["campaign"] for item in solution.get("campaigns", [])]
        jobs = [*solution.get("batchInferenceJobs", []), *solution.get("batchSegmentJobs", [])]
        records += [item["batchJob"] for item in jobs]
    records += [item["recommender"] for item in event.get("recommenders", [])]
    return records


def history_records(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The PollRecords a run's tasks returned (a failed run's too), the latest one per ARN, in first-seen order.

    The latest record counts: a check carries the action on, and a deferred campaign or recommender update
    is only applied (and recorded with what it changed) by a later check.
    """
    found: dict[str, dict[str, Any]] = {}
    for payload in task_results(events):
        if payload.get("kind") in KIND_LABELS and {"arn", "name", "action"} <= payload.keys():
            found[payload["arn"]] = payload
    return list(found.values())


# ----------------------------------------------------------------------------- what changed
def derive_changes(
    records: Iterable[dict[str, Any]],
    plan: dict[str, Any] | None,
    schedules: Iterable[dict[str, Any]] = (),
    statuses: dict[str, str] | None = None,
) -> list[Change]:
    """What the run changed: one Change per resource it created, updated or resumed, per schema it created,
    per schedule it created, updated or deleted. ``plan`` (Load Parameters' output) gives the size of each
    import and the training mode of each version; ``statuses`` (ARN -> status) overrides the status a
    record carries, e.g. a failed run's resources as they are now."""
    plan = plan or {}
    statuses = statuses or {}
    records = list(records)
    names = {record["arn"]: record["name"] for record in records}  # to name the versions a campaign moves between
    changes: list[Change] = []
    for record in records:
        details = record.get("details") or {}
        if record["kind"] == "dataset" and details.get("schemaAction") == "created":
            arn, name = details.get("schemaArn", ""), details.get("schemaName", "")
            changes.append(Change("schema", name, arn, "created", f"schema {name} created"))
        if record["action"] not in CHANGING or details.get("pendingUpdate"):
            continue  # reused, or an update still waiting for the resource to accept it: nothing changed yet
        status = statuses.get(record["arn"], record.get("status", ""))
        change = _describe(record, details, plan, names, finished=status in ("", "ACTIVE"))
        if status and status != "ACTIVE":
            change = Change(
                change.kind, change.name, change.arn, change.action, f"{change.text} - {status}", change.lines
            )
        changes.append(change)
    for schedule in schedules:
        if schedule.get("action") in ("created", "updated", "deleted"):
            changes.append(_schedule_change(schedule))
    return changes


def _describe(
    record: dict[str, Any], details: dict[str, Any], plan: dict[str, Any], names: dict[str, str], finished: bool
) -> Change:
    kind, name, arn, action = record["kind"], record["name"], record["arn"], record["action"]
    label = KIND_LABELS[kind]
    text, lines = f"{label} {name} {action}", ()
    if action == "resumed":
        text = f"{label} {name}, started by an earlier run" + (", finished" if finished else "")
    if kind == "dataset" and action == "updated":
        text = f"dataset {name} switched to schema {details.get('schemaName', '')}"
    elif kind == "datasetImportJob" and action == "created":
        dataset = _planned_dataset(plan, name)
        if dataset:
            size = _size(dataset["sizeBytes"]) if dataset.get("sizeBytes") else "size unknown"
            text = f"new import into the {dataset['datasetType']} dataset: {size} (import job {name})"
        else:
            text = f"new import (import job {name})"
    elif kind == "solutionVersion" and action == "created":
        solution = name_from_arn(details.get("solutionArn", arn.rsplit("/", 1)[0]))
        text = f"new solution version {name} of solution {solution} (trainingMode {_mode(plan, solution)})"
    elif kind == "campaign" and action == "created":
        version = details.get("solutionVersionArn", "")
        text = f"campaign {name} created, serving solution version {names.get(version, version)}"
    elif kind == "campaign" and action == "updated":
        before, after = details.get("previousSolutionVersionArn"), details.get("solutionVersionArn")
        settings = [s for s in details.get("updatedSettings", []) if s != "solutionVersionArn"]
        if before and after and before != after:
            text = f"campaign {name} moved to a new solution version"
            lines = tuple(
                f"{word} {arn}" + (f" ({names[arn]})" if arn in names else "")
                for word, arn in (("from", before), ("to  ", after))
            )
            if settings:
                text += f"; {', '.join(settings)} updated"
        elif settings:
            text = f"campaign {name}: {', '.join(settings)} updated"
    elif kind == "recommender" and action == "updated":
        text = f"recommender {name}: recommenderConfig updated"
    elif kind in ("batchInferenceJob", "batchSegmentJob") and action == "created":
        text = f"{label} {name} ran; output in {details.get('outputPath', 'its output folder')}"
    return Change(kind, name, arn, action, text, lines)


def _planned_dataset(plan: dict[str, Any], job_name: str) -> dict[str, Any] | None:
    """The planned dataset an import job belongs to: the job is an attempt (-r2, -r3 ...) of its planned name."""
    for dataset in plan.get("datasets", []):
        base = (dataset.get("datasetImportJob") or {}).get("jobName", "")
        if base and _attempt_of(base, job_name) is not None:
            return dataset
    return None


def _mode(plan: dict[str, Any], solution_name: str) -> str:
    for solution in plan.get("solutions", []):
        if (solution.get("solution") or {}).get("name") == solution_name:
            return (solution.get("solutionVersion") or {}).get("trainingMode", "FULL")
    return "FULL"


def _schedule_change(schedule: dict[str, Any]) -> Change:
    name, action = schedule.get("name", ""), schedule["action"]
    # Apply Schedules' kinds: "import" (the dataset group's) or "train" (a solution's; a deleted one no longer
    # names its solution).
    if schedule.get("kind") == "import":
        what = "imports and retrains"
    else:
        what = f"retrains solution {schedule['solution']}" if schedule.get("solution") else "retrains a solution"
    if schedule.get("trainingMode") and action != "deleted":
        what += f", trainingMode {schedule['trainingMode']}"
    text = f"schedule {name} ({what}) {action}"
    if action != "deleted" and schedule.get("expression"):
        timezone = f" {schedule['timezone']}" if schedule.get("timezone") else ""
        state = f", {schedule['state']}" if schedule.get("state") else ""
        text += f": {schedule['expression']}{timezone}{state}"
    return Change("schedule", name, schedule.get("arn", ""), action, text)


def _size(size: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} B"


# ----------------------------------------------------------------------------- the previous run
def state_machine_of(execution_arn: str) -> str:
    """``arn:<p>:states:<r>:<a>:execution:<machine>:<name>`` -> ``arn:<p>:states:<r>:<a>:stateMachine:<machine>``."""
    head, machine, _ = execution_arn.rsplit(":", 2)
    return f"{head.rsplit(':', 1)[0]}:stateMachine:{machine}"


def utc_ms(moment: datetime | str) -> datetime:
    """UTC to the millisecond, as ``$$.Execution.StartTime`` gives it: runs compare start times alike."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)


def guard_verdict(events: list[dict[str, Any]]) -> str | None:
    """The last verdict Look for Other Runs gave a run (it may wait, then decide), None before it decided."""
    verdict = None
    for event in events:
        details = event.get("stateExitedEventDetails") or {}
        if event.get("type") == "TaskStateExited" and details.get("name") == GUARD_STATE:
            verdict = (json.loads(details.get("output") or "{}").get("otherRuns") or {}).get("verdict")
    return verdict


def find_previous_run(
    executions: Iterable[dict[str, Any]],
    history_pages: Callable[[str], Iterator[list[dict[str, Any]]]],
    me: tuple[str, datetime],
    dataset_group: str,
    lookback: int = LOOKBACK,
) -> Lookup:
    """The latest execution older than ``me`` (ARN, start) that worked on ``dataset_group``.

    ``executions`` are ListExecutions items, newest first; ``history_pages(arn)`` yields an execution's
    history page by page, read only until its dataset group and verdict are known.
    """
    my_arn, my_start = me
    examined = 0
    for item in executions:
        arn, started = item["executionArn"], utc_ms(item["startDate"])
        if arn == my_arn or (started, arn) > (my_start, my_arn):
            continue  # this run, or a newer one
        if examined == lookback:
            return Lookup(None, examined, exhausted=False)
        examined += 1
        events: list[dict[str, Any]] = []
        for page in history_pages(arn):
            events.extend(page)
            if guard_verdict(events) in (CLEAR, DUPLICATE):
                break  # Load Parameters and the guard come first: no need to page through hours of polling
        if dataset_group_of_history(events) == dataset_group and guard_verdict(events) == CLEAR:
            start = started.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            return Lookup(PreviousRun(item["name"], arn, start, item["status"]), examined)
    return Lookup(None, examined)


def previous_run_text(lookup: Lookup, dataset_group: str) -> str:
    """One line naming the previous run, or saying why none is named."""
    if lookup.error:
        return f"Previous run: unknown (the lookup failed: {lookup.error})"
    if lookup.previous:
        run = lookup.previous
        started = utc_ms(run.startTime).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"Previous run: {run.name} (started {started}, {run.status})"
    if not lookup.exhausted:
        return (
            f"Previous run: none of dataset group '{dataset_group}' among the {lookup.examined} latest executions "
            "before this one"
        )
    return (
        f"Previous run: none of dataset group '{dataset_group}' (Step Functions keeps an execution for "
        f"{RETENTION_DAYS} days after it ends): this is its first recorded run"
    )


def section(changes: Changes, failed: bool = False) -> list[str]:
    """The "Since the previous run" section of the e-mails."""
    title = "Since the previous run (what this run changed before it failed)" if failed else "Since the previous run"
    body = [title, f"  {previous_run_text(changes.lookup, changes.dataset_group)}"]
    if not changes.items:
        body.append(
            "  Nothing changed before the failure." if failed else "  Nothing changed: every resource was reused."
        )
    for change in changes.items:
        body.append(f"  - {change.text}")
        body += [f"      {line}" for line in change.lines]
    return body
