"""Teardown: delete every resource of one dataset group, in the order the service accepts.

``delete.json`` (``{"datasetGroup": {"name": "<name>"}}``) names the group. :func:`parse_request` validates
it like params.json; :func:`inventory` lists what the group holds (every list paginated) and what stays;
:func:`advance` moves one stage on; :func:`outcome_message` writes the e-mail.

Stages run in :data:`STAGES` order, because each delete needs the ones before it done
(personalize-facts §2): a solution cannot go while a campaign uses it or a version trains, a dataset group
while it has datasets, solutions, trackers, filters or recommenders, a schema while a dataset uses it. The
group's schedules go first, so none starts a run that would recreate what is being deleted.

Every item of a stage is advanced by the same rule on every call (:func:`advance`), so the teardown is safe
to re-run after a partial failure: what is gone is skipped, a delete in progress is waited for, a resource
still being created or updated is waited for until it may be deleted. A delete the service refuses is
recorded as failed, with its cause, and the next stages still run: the resources that bill (recommenders,
campaigns) are never kept because something after them failed. The execution then ends FAILED.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from . import errors, naming, runs
from .polling import KIND_LABELS, PollPolicy, no_history_wait
from .resources import describe, effective_status, error_code
from .status import KNOWN_STATUSES, Phase

#: The stack tag every resource the pipeline creates carries (value: the stack name).
STACK_TAG = "personalize-pipeline:stack"
#: delete.json is a few dozen bytes; anything near this is not one.
MAX_REQUEST_BYTES = 64 * 1024


@dataclass(frozen=True)
class Stage:
    key: str  # the key in the teardown document (and in the ASL)
    kind: str  # the resource kind of its items
    title: str  # how the e-mail and the state names call it


#: The service's delete order (personalize-facts §2 "Preconditions and delete order").
STAGES: tuple[Stage, ...] = (
    Stage("schedules", "schedule", "Schedules"),
    Stage("recommenders", "recommender", "Recommenders"),
    Stage("campaigns", "campaign", "Campaigns"),
    Stage("eventTrackers", "eventTracker", "Event Tracker"),
    Stage("filters", "filter", "Filters"),
    Stage("solutionVersions", "solutionVersion", "Solution Versions"),
    Stage("solutions", "solution", "Solutions"),
    Stage("datasets", "dataset", "Datasets"),
    Stage("schemas", "schema", "Schemas"),
    Stage("datasetGroup", "datasetGroup", "Dataset Group"),
)
STAGE_KEYS = tuple(stage.key for stage in STAGES)

#: How long each kind's delete is waited for. Personalize documents no delete durations: its cleanup
#: samples poll every few seconds and see campaigns and recommenders go within minutes, the rest within
#: a minute or two. Past ``latest`` the checks thin out (polling.no_history_wait); at the deadline the
#: item is reported as failed.
DELETE_POLICIES: dict[str, PollPolicy] = {
    "recommender": PollPolicy(earliest_seconds=10, latest_seconds=10 * 60, deadline_seconds=2 * 3600),
    "campaign": PollPolicy(earliest_seconds=10, latest_seconds=10 * 60, deadline_seconds=2 * 3600),
    "eventTracker": PollPolicy(earliest_seconds=5, latest_seconds=2 * 60, deadline_seconds=3600),
    "filter": PollPolicy(earliest_seconds=5, latest_seconds=2 * 60, deadline_seconds=3600),
    # Stopping a training: CREATE STOPPING to CREATE STOPPED (a training in progress may take its time).
    "solutionVersion": PollPolicy(earliest_seconds=30, latest_seconds=20 * 60, deadline_seconds=3 * 3600),
    "solution": PollPolicy(earliest_seconds=5, latest_seconds=2 * 60, deadline_seconds=3600),
    "dataset": PollPolicy(earliest_seconds=5, latest_seconds=2 * 60, deadline_seconds=3600),
    "datasetGroup": PollPolicy(earliest_seconds=10, latest_seconds=2 * 60, deadline_seconds=3600),
}

#: Statuses from which the service accepts a delete ("must be ACTIVE or CREATE FAILED"; a stopped
#: recommender is INACTIVE).
DELETABLE = frozenset({"ACTIVE", "CREATE FAILED", "INACTIVE"})
DELETING = frozenset(status for status, phase in KNOWN_STATUSES.items() if phase is Phase.DELETING)
#: A solution version still training: it is stopped before its solution can be deleted.
TRAINING = frozenset({"CREATE PENDING", "CREATE IN_PROGRESS"})
STOPPING = "CREATE STOPPING"

_DELETE_CALLS = {
    "recommender": ("delete_recommender", "recommenderArn"),
    "campaign": ("delete_campaign", "campaignArn"),
    "eventTracker": ("delete_event_tracker", "eventTrackerArn"),
    "filter": ("delete_filter", "filterArn"),
    "solution": ("delete_solution", "solutionArn"),
    "dataset": ("delete_dataset", "datasetArn"),
    "datasetGroup": ("delete_dataset_group", "datasetGroupArn"),
}

LABELS = {**KIND_LABELS, "schedule": "schedule"}


# -------------------------------------------------------------------------------- the request


def parse_request(body: bytes, source: str) -> str:
    """The dataset group name delete.json names; every problem at once (InvalidParameters) otherwise."""
    problems: list[str] = []
    if len(body) > MAX_REQUEST_BYTES:
        raise errors.InvalidParameters([f"{source}: {len(body)} bytes; delete.json holds one dataset group name"])
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise errors.InvalidParameters(
            [f"{source}: not UTF-8 text (invalid byte at offset {error.start}); save it as UTF-8"]
        ) from error
    if not text.strip():
        raise errors.InvalidParameters([f"{source}: the file is empty; expected {_EXAMPLE}"])
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise errors.InvalidParameters(
            [f"{source} line {error.lineno} column {error.colno}: invalid JSON: {error.msg}"]
        ) from error
    if not isinstance(document, dict):
        raise errors.InvalidParameters([f"{source}: expected a JSON object {_EXAMPLE} at the top level"])
    problems += [
        f"{source}: unknown key {key!r}; the only key is 'datasetGroup'" for key in document if key != "datasetGroup"
    ]
    group = document.get("datasetGroup")
    name = None
    if group is None:
        problems.append(f"{source}: datasetGroup is missing; expected {_EXAMPLE}")
    elif not isinstance(group, dict):
        problems.append(f'{source}: datasetGroup must be an object {{"name": "..."}}, got {type(group).__name__}')
    else:
        problems += [
            f"{source}: datasetGroup.{key}: unknown key; the only key is 'name'" for key in group if key != "name"
        ]
        name = group.get("name")
        if name is None:
            problems.append(f"{source}: datasetGroup.name is missing")
        elif not naming.is_valid_name(name):
            problems.append(
                f"{source}: datasetGroup.name {json.dumps(name)} is not a dataset group name "
                f"(1 to {naming.NAME_MAX_LENGTH} letters, digits, '-' or '_', starting with a letter or digit)"
            )
    if problems:
        raise errors.InvalidParameters(problems, dataset_group=name if naming.is_valid_name(name) else None)
    return str(name)


_EXAMPLE = '{"datasetGroup": {"name": "<dataset group name>"}}'


# -------------------------------------------------------------------------------- pipeline runs


def pipeline_runs_verdict(sfn: Any, state_machine_arn: str, group: str) -> tuple[str, str | None]:
    """``busy`` (a RUNNING pipeline execution works on ``group``), ``wait`` (one has not read its parameters
    yet), or ``clear``; with the execution's ARN. The dataset group of a run is read as Look for Other Runs
    reads it (runs.dataset_group_of_history)."""
    waiting = None
    for page in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=state_machine_arn, statusFilter="RUNNING"
    ):
        for execution in page["executions"]:
            arn = execution["executionArn"]
            events: list[dict[str, Any]] = []
            found = None
            for history in sfn.get_paginator("get_execution_history").paginate(
                executionArn=arn, includeExecutionData=True
            ):
                events.extend(history["events"])
                found = runs.dataset_group_of_history(events)
                if found is not None:
                    break  # Load Parameters comes first: no need to page through hours of polling
            if found == group:
                return "busy", arn
            if found is None and waiting is None:
                waiting = arn
    return ("wait", waiting) if waiting else ("clear", None)


# -------------------------------------------------------------------------------- what the group holds


def _list_all(call: Callable[..., Any], operation: str, key: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in call.get_paginator(operation).paginate(**params):
        items.extend(page[key])
    return items


def _item(kind: str, arn: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "arn": arn, "name": name, **extra}


def check_owner(personalize: Any, group_arn: str, name: str, stack: str) -> bool:
    """True when the dataset group exists and carries this stack's tag; False when it does not exist.

    A group of another stack (or of nobody) is refused, naming it: the teardown deletes only what this
    stack created.
    """
    if describe(personalize, "datasetGroup", group_arn) is None:
        return False
    tags = {t["tagKey"]: t["tagValue"] for t in personalize.list_tags_for_resource(resourceArn=group_arn)["tags"]}
    if tags.get(STACK_TAG) != stack:
        owner = f"stack '{tags[STACK_TAG]}'" if STACK_TAG in tags else "no stack of this pipeline (no stack tag)"
        raise errors.NotCreatedByStack(
            f"dataset group '{name}' ({group_arn}) was created by {owner}, not by stack '{stack}': this teardown "
            "deletes only what its own stack created; nothing was deleted."
        )
    return True


def schema_name_pattern(group: str) -> re.Pattern[str]:
    """Names :func:`naming.schema_name` gives this group's schemas (any type, any hash), and no other group's."""
    types = ("interactions", "items", "users", "actions", "action_interactions")
    bases = {naming.fit_name(group, f"{kind}-00000000")[: -len("-00000000")] for kind in types}
    return re.compile("|".join(f"{re.escape(base)}-[0-9a-f]{{8}}" for base in sorted(bases)))


def inventory(
    personalize: Any, scheduler: Any, arn_prefix: str, group: str, schedule_group: str, exists: bool
) -> dict[str, Any]:
    """The teardown document: each stage's items, and what stays (with the reason).

    ``exists`` False: the group is gone (a re-run after a complete teardown); only its schedules are looked
    for, since they are found by name.
    """
    group_arn = f"{arn_prefix}:dataset-group/{group}"
    stages: dict[str, list[dict[str, Any]]] = {key: [] for key in STAGE_KEYS}
    kept: list[dict[str, Any]] = []
    prefix = naming.schedule_prefix(group)
    for schedule in _list_all(scheduler, "list_schedules", "Schedules", GroupName=schedule_group, NamePrefix=prefix):
        stages["schedules"].append(_item("schedule", schedule["Arn"], schedule["Name"], group=schedule_group))
    if not exists:
        return _document(group, group_arn, False, stages, kept)
    parent = {"datasetGroupArn": group_arn}
    for recommender in _list_all(personalize, "list_recommenders", "recommenders", **parent):
        stages["recommenders"].append(_item("recommender", recommender["recommenderArn"], recommender["name"]))
    solutions = _list_all(personalize, "list_solutions", "solutions", **parent)
    version_arns: list[str] = []
    for solution in solutions:
        arn = solution["solutionArn"]
        for campaign in _list_all(personalize, "list_campaigns", "campaigns", solutionArn=arn):
            stages["campaigns"].append(_item("campaign", campaign["campaignArn"], campaign["name"]))
        for version in _list_all(personalize, "list_solution_versions", "solutionVersions", solutionArn=arn):
            version_arns.append(version["solutionVersionArn"])
            if version["status"] in TRAINING or version["status"] == STOPPING:
                name = version.get("name") or version["solutionVersionArn"].split("/", 1)[1]
                stages["solutionVersions"].append(_item("solutionVersion", version["solutionVersionArn"], name))
        stages["solutions"].append(_item("solution", arn, solution["name"]))
    for tracker in _list_all(personalize, "list_event_trackers", "eventTrackers", **parent):
        stages["eventTrackers"].append(_item("eventTracker", tracker["eventTrackerArn"], tracker["name"]))
    for found in _list_all(personalize, "list_filters", "Filters", **parent):
        stages["filters"].append(_item("filter", found["filterArn"], found["name"]))
    schema_arns: list[str] = []
    for dataset in _list_all(personalize, "list_datasets", "datasets", **parent):
        stages["datasets"].append(_item("dataset", dataset["datasetArn"], dataset["name"]))
        described = describe(personalize, "dataset", dataset["datasetArn"]) or {}
        if described.get("schemaArn"):
            schema_arns.append(described["schemaArn"])
        for job in _list_all(
            personalize, "list_dataset_import_jobs", "datasetImportJobs", datasetArn=dataset["datasetArn"]
        ):
            kept.append(_item("datasetImportJob", job["datasetImportJobArn"], job["jobName"], reason=_NO_DELETE))
    stages["schemas"], shared = _schemas(personalize, group, group_arn, schema_arns)
    kept += shared
    kept += _batch_jobs(personalize, version_arns)
    stages["datasetGroup"].append(_item("datasetGroup", group_arn, group))
    return _document(group, group_arn, True, stages, kept)


_NO_DELETE = "Personalize has no delete for job records (they cost nothing)"
#: Job records named one by one, per kind; the rest are counted. A group imported daily for years holds
#: thousands, and the document travels in the state (256 KB at most) and the e-mail.
KEPT_LISTED = 25


def _listed(kept: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``kept`` sorted by kind and ARN, each job record kind cut to its first :data:`KEPT_LISTED` records plus
    one ``{"kind", "more": count, "reason"}`` entry counting the others (kept schemas are all named)."""
    listed: list[dict[str, Any]] = []
    for kind in sorted({record["kind"] for record in kept}):
        records = sorted((r for r in kept if r["kind"] == kind), key=lambda record: record["arn"])
        if kind != "schema" and len(records) > KEPT_LISTED:
            hidden = len(records) - KEPT_LISTED
            records = records[:KEPT_LISTED] + [{"kind": kind, "more": hidden, "reason": _NO_DELETE}]
        listed += records
    return listed


def _schemas(
    personalize: Any, group: str, group_arn: str, in_use: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(schemas to delete, schemas kept): those this group's datasets use and those named after the group
    (earlier schemas a dataset was moved off); one another group's dataset uses stays, naming that dataset."""
    pattern = schema_name_pattern(group)
    candidates = {arn: arn.rsplit("/", 1)[1] for arn in in_use}
    for schema in _list_all(personalize, "list_schemas", "schemas"):
        if pattern.fullmatch(schema["name"]):
            candidates[schema["schemaArn"]] = schema["name"]
    if not candidates:
        return [], []
    users: dict[str, str] = {}
    for dataset in _list_all(personalize, "list_datasets", "datasets"):
        if dataset["datasetArn"].startswith(group_arn.replace(":dataset-group/", ":dataset/") + "/"):
            continue  # this group's own datasets go before the schemas
        described = describe(personalize, "dataset", dataset["datasetArn"]) or {}
        if described.get("schemaArn") in candidates:
            users.setdefault(described["schemaArn"], dataset["datasetArn"])
    delete, kept = [], []
    for arn, name in sorted(candidates.items()):
        if arn in users:
            kept.append(
                _item("schema", arn, name, reason=f"also used by dataset {users[arn]} of another dataset group")
            )
        else:
            delete.append(_item("schema", arn, name))
    return delete, kept


def _batch_jobs(personalize: Any, version_arns: list[str]) -> list[dict[str, Any]]:
    """The batch job records of the group's solution versions: kept (Personalize has no delete for them)."""
    versions = set(version_arns)
    inference = _list_all(personalize, "list_batch_inference_jobs", "batchInferenceJobs")
    segment = _list_all(personalize, "list_batch_segment_jobs", "batchSegmentJobs")
    kept = [
        _item("batchInferenceJob", job["batchInferenceJobArn"], job["jobName"], reason=_NO_DELETE)
        for job in inference
        if job.get("solutionVersionArn") in versions
    ]
    kept += [
        _item("batchSegmentJob", job["batchSegmentJobArn"], job["jobName"], reason=_NO_DELETE)
        for job in segment
        if job.get("solutionVersionArn") in versions
    ]
    return kept


def _document(
    group: str, group_arn: str, exists: bool, stages: dict[str, list[dict[str, Any]]], kept: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "datasetGroup": {"name": group, "arn": group_arn, "exists": exists},
        # Sorted by ARN: the service documents no list order, and the e-mail should not change between runs.
        "stages": {
            key: {"pending": sorted(items, key=lambda item: item["arn"]), "waitedSeconds": 0}
            for key, items in stages.items()
        },
        "pending": 0,
        "waitSeconds": 0,
        "deleted": [],
        "kept": _listed(kept),
        "failed": [],
    }


# -------------------------------------------------------------------------------- deleting


def _cause(error: ClientError) -> str:
    return f"{error_code(error)}: {error.response.get('Error', {}).get('Message', '')}".rstrip(": ")


def _advance_schedule(scheduler: Any, item: dict[str, Any]) -> str:
    try:
        scheduler.delete_schedule(Name=item["name"], GroupName=item["group"])
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return "gone"
        raise
    return "deleted"


def _advance_schema(personalize: Any, item: dict[str, Any]) -> str:
    try:
        personalize.delete_schema(schemaArn=item["arn"])
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return "gone"
        raise
    return "deleted"


def _advance_version(personalize: Any, item: dict[str, Any]) -> str:
    version = describe(personalize, "solutionVersion", item["arn"])
    if version is None:
        return "gone"
    status = version.get("status", "")
    item["status"] = status
    if status in TRAINING:
        personalize.stop_solution_version_creation(solutionVersionArn=item["arn"])
        item["started"] = True
        return "waiting"
    if status == STOPPING:
        return "waiting"
    # Stopped, or it finished (ACTIVE or CREATE FAILED) meanwhile: either way it goes with its solution.
    return "stopped" if status == "CREATE STOPPED" else "settled"


def _advance_resource(personalize: Any, item: dict[str, Any]) -> str:
    kind = item["kind"]
    resource = describe(personalize, kind, item["arn"])
    if resource is None:
        return "deleted" if item.get("started") else "gone"
    status, _ = effective_status(kind, resource)
    item["status"] = status
    if status in DELETING:
        item["started"] = True  # a delete of an earlier run (or ours) is under way: wait for it
        return "waiting"
    if status not in DELETABLE:
        return "waiting"  # being created or updated: it can be deleted once that settles
    method, parameter = _DELETE_CALLS[kind]
    try:
        getattr(personalize, method)(**{parameter: item["arn"]})
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return "deleted" if item.get("started") else "gone"
        raise
    item["started"] = True
    item["status"] = "DELETE PENDING"
    return "waiting"


def advance(personalize: Any, scheduler: Any, document: dict[str, Any], stage_key: str) -> dict[str, Any]:
    """Move every pending item of ``stage_key`` on once; returns the document with ``pending`` (items still
    waited for) and ``waitSeconds`` (when to look again) set for the ASL's Choice and Wait."""
    stage = next(s for s in STAGES if s.key == stage_key)
    current = document["stages"][stage_key]
    waited = int(current.get("waitedSeconds", 0)) + int(document.get("waitSeconds", 0) if current.get("checked") else 0)
    current["waitedSeconds"] = waited
    policy = DELETE_POLICIES.get(stage.kind)
    still: list[dict[str, Any]] = []
    for item in current["pending"]:
        try:
            if stage.kind == "schedule":
                outcome = _advance_schedule(scheduler, item)
            elif stage.kind == "schema":
                outcome = _advance_schema(personalize, item)
            elif stage.kind == "solutionVersion":
                outcome = _advance_version(personalize, item)
            else:
                outcome = _advance_resource(personalize, item)
        except ClientError as error:
            if error_code(error) == "ThrottlingException":
                raise  # the state machine retries the whole step; nothing is lost
            document["failed"].append(_record(item, cause=_cause(error)))
            continue
        if outcome == "waiting":
            if policy is not None and waited >= policy.deadline_seconds:
                cause = f"still {item.get('status', 'not deleted')} after {waited} seconds of waiting"
                document["failed"].append(_record(item, cause=cause))
            else:
                still.append(item)
        elif outcome in ("deleted", "stopped"):
            document["deleted"].append(_record(item, action=outcome))
        # "gone" (deleted before this run looked) and "settled" (a version that finished: it goes with its
        # solution) are not reported.
    current["pending"] = still
    current["checked"] = True
    document["pending"] = len(still)
    document["waitSeconds"] = no_history_wait(policy, waited) if still and policy else 0
    return document


def _record(item: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"kind": item["kind"], "name": item["name"], "arn": item["arn"], **extra}


# -------------------------------------------------------------------------------- the e-mail


def outcome_message(document: dict[str, Any], stack: str) -> dict[str, Any]:
    """Subject and text of the teardown e-mail; ``failed`` tells the state machine how to end."""
    group = document["datasetGroup"]
    deleted, kept, failed = document["deleted"], document["kept"], document["failed"]
    if failed:
        subject = f"Personalize teardown FAILED for {group['name']}: {len(failed)} not deleted"
    else:
        subject = f"Personalize teardown done for {group['name']}"
    lines = [f"Teardown of dataset group '{group['name']}' (stack {stack})."]
    if not group["exists"]:
        lines.append(
            "The dataset group does not exist (already deleted, or never created): only its schedules were looked for."
        )
    lines.append("")
    if failed:
        lines.append(f"Could NOT delete ({len(failed)}); upload delete.json again once the cause is fixed:")
        lines += [f"- {LABELS[r['kind']]} {r['name']} ({r['arn']}): {r['cause']}" for r in failed]
        lines.append("")
    lines.append(f"Deleted ({len(deleted)}):" if deleted else "Deleted: nothing (nothing of it was left).")
    for record in deleted:
        verb = " (training stopped; it goes with its solution)" if record["action"] == "stopped" else ""
        lines.append(f"- {LABELS[record['kind']]} {record['name']} ({record['arn']}){verb}")
    if kept:
        lines.append("")
        lines.append(f"Kept ({sum(record.get('more', 1) for record in kept)}):")
        for record in kept:
            if "more" in record:
                lines.append(f"- and {record['more']} more {LABELS[record['kind']]} records: {record['reason']}")
            else:
                lines.append(f"- {LABELS[record['kind']]} {record['name']} ({record['arn']}): {record['reason']}")
    return {"subject": subject[:99], "message": "\n".join(lines), "failed": bool(failed)}


def refusal_message(error: str, cause: str) -> dict[str, Any]:
    """The e-mail of a teardown refused before anything was deleted (bad delete.json, not ours, a run)."""
    text = _cause_text(cause)
    group = errors.dataset_group_of(text) if error == errors.InvalidParameters.__name__ else ""
    subject = f"Personalize teardown REFUSED{f' for {group}' if group else ''}: nothing was deleted"
    return {"subject": subject[:99], "message": f"{error}: {text}\n\nNothing was deleted.", "failed": True}


def error_message(document: dict[str, Any], error: str, cause: str, stack: str) -> dict[str, Any]:
    """The e-mail of a teardown stopped by an unexpected error: the error, then what was done before it."""
    done = outcome_message(document, stack)
    group = document["datasetGroup"]["name"]
    text = f"The teardown stopped on an error: {error}: {_cause_text(cause)}\n\n{done['message']}"
    return {"subject": f"Personalize teardown FAILED for {group}: {error}"[:99], "message": text, "failed": True}


def _cause_text(cause: str) -> str:
    """A Lambda failure's Cause is the runtime's JSON; its errorMessage is the text for people."""
    try:
        parsed = json.loads(cause)
    except ValueError:
        return cause
    return str(parsed.get("errorMessage", cause)) if isinstance(parsed, dict) else cause
