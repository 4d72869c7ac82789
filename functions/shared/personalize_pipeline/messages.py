"""The success and failure e-mails: plain text that reads well in any mail client.

Pure functions over plain data; the notify handler gathers that data (describes, metrics, execution
history) and these functions only format it, so every wording is unit-tested without AWS.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from .errors import dataset_group_of
from .history import Changes, section
from .polling import KIND_LABELS
from .runs import task_results

#: SNS refuses subjects over 100 characters, with line breaks or non-ASCII.
SUBJECT_LIMIT = 100
#: SNS takes up to 256 KB; the message also travels in the state machine's payload (256 KB for the whole
#: state), so keep it far below both. A longer body is cut with a note.
MESSAGE_BYTES = 64 * 1024
#: Lines of a cause shown in the failure e-mail (an InvalidParameters cause has at most ~53).
CAUSE_LINES = 80
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")  # not XML characters: SNS refuses them

NEXT_STEPS = {
    "InvalidParameters": "Nothing was created: the parameters and data are checked before any resource. Fix the "
    "problems above and upload the parameters file again.",
    "ResourceFailed": "Fix the cause above, then upload the parameters file again: resources that are ACTIVE are "
    "reused, and the failed step is tried again under a new name.",
    "ResourceConflict": "An existing resource differs from params.json in something Personalize cannot change. "
    "Choose new names in params.json, or delete the existing resource, then upload the parameters again.",
    "RunInProgress": "Nothing was changed by this upload. Wait for the running execution's e-mail, then upload the "
    "parameters file again: one run at a time works on a dataset group.",
    "ResourceTimeout": "The resource may still finish on its own. Upload the parameters file again later: the "
    "pipeline picks up every resource where it is.",
}
DEFAULT_NEXT_STEP = (
    "Fix the cause above and upload the parameters file again; resources that are already ACTIVE are reused."
)


@dataclass
class Line:
    """One resource in a message."""

    kind: str
    name: str
    arn: str
    action: str  # created | reused | updated | resumed
    status: str = "ACTIVE"
    seconds: float | None = None  # how long Personalize took for it (None when not known or reused)
    note: str = ""


@dataclass
class RecommenderLine:
    """A recommender of a Domain dataset group, as the success e-mail lists it."""

    name: str
    arn: str
    recipe_arn: str
    status: str


@dataclass
class RunSummary:
    dataset_group: str
    execution_arn: str
    region: str
    resources: list[Line]
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # version ARN -> metric -> value
    #: What each version in ``metrics`` trained: its recipe name (None under AutoML) and eventType.
    trained: dict[str, Trained] = field(default_factory=dict)
    campaigns: list[str] = field(default_factory=list)
    recommenders: list[RecommenderLine] = field(default_factory=list)
    #: What the pipeline did differently from params.json, and why (e.g. performAutoML replaced).
    notes: list[str] = field(default_factory=list)
    #: Batch jobs of the run and the ``.out`` files each wrote (s3:// URIs).
    batch_outputs: list[BatchOutput] = field(default_factory=list)
    #: The dataset group's schedules after Apply Schedules (schedules.describe_schedules), on upload runs.
    schedules: list[str] = field(default_factory=list)
    #: The schedule that started a scheduled run (started_by), or "" for an upload run.
    started_by: str = ""
    #: What the run changed since the previous run of the dataset group (None: not known).
    changes: Changes | None = None


@dataclass(frozen=True)
class Trained:
    recipe: str | None
    event_type: str | None = None


#: The reference every other recipe's offline metrics are read against: a recipe that does not beat the
#: most popular items adds nothing. On AWS as locally, its numbers are GetSolutionMetrics of a solution with
#: this recipe in the same run (same data, same split definitions), never computed by the pipeline.
POPULARITY_RECIPE = "aws-popularity-count"


@dataclass
class BatchOutput:
    """Where one batch inference or batch segment job wrote its results."""

    kind: str
    name: str
    arn: str
    outputs: list[str]


# ----------------------------------------------------------------------------- helpers
def subject(text: str) -> str:
    ascii_text = re.sub(r"[\x00-\x1f\x7f]+", " ", text.encode("ascii", "replace").decode()).strip()
    ascii_text = ascii_text or "Personalize pipeline"  # SNS refuses an empty subject
    return ascii_text if len(ascii_text) <= SUBJECT_LIMIT else ascii_text[: SUBJECT_LIMIT - 3] + "..."


def safe_text(text: str, limit: int = MESSAGE_BYTES) -> str:
    """``text`` as SNS accepts it: valid UTF-8 (a lone UTF-16 surrogate, which a user's JSON can carry as an
    escape, becomes U+FFFD), no control character but line feed and tab, at most ``limit`` UTF-8 bytes."""
    text = _SURROGATE.sub("\ufffd", text)
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    note = f"\n... (cut at {limit // 1024} KB; the execution's history and logs have the rest)\n"
    return data[: limit - len(note.encode())].decode("utf-8", "ignore") + note


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def seconds_between(start: Any, end: Any) -> float | None:
    if isinstance(start, datetime) and isinstance(end, datetime):
        return max(0.0, (end - start).total_seconds())
    if isinstance(start, int | float) and isinstance(end, int | float):
        return max(0.0, float(end) - float(start))
    return None


def execution_url(region: str, execution_arn: str) -> str:
    return f"https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{execution_arn}"


def dataset_group_url(region: str, dataset_group_arn: str) -> str:
    return f"https://{region}.console.aws.amazon.com/personalize/home?region={region}#{quote(dataset_group_arn)}/setup"


def _resource_table(lines: list[Line]) -> list[str]:
    out = []
    for line in lines:
        label = KIND_LABELS.get(line.kind, line.kind)
        took = f", {duration(line.seconds)}" if line.seconds is not None and line.action != "reused" else ""
        status = "" if line.status == "ACTIVE" else f", {line.status}"
        note = f" - {line.note}" if line.note else ""
        out.append(f"  {label:<19} {line.name} ({line.action}{took}{status}){note}")
        out.append(f"  {'':<19} {line.arn}")
    return out


# ----------------------------------------------------------------------------- success
def tracking_lines(trackers: list[dict[str, Any]], filters: list[dict[str, Any]]) -> list[Line]:
    """The event tracker (with the trackingId PutEvents needs) and each filter (with its expression), from the
    records of the Create Event Tracker and Filters Map iterations: nothing to describe again."""
    lines = []
    for item in trackers:
        record = item["eventTracker"]
        note = f"trackingId {record['details']['trackingId']}"
        lines.append(Line(record["kind"], record["name"], record["arn"], record["action"], record["status"], note=note))
    for item in filters:
        record = item["filter"]
        note = f"expression {record['details']['filterExpression']}"
        lines.append(Line(record["kind"], record["name"], record["arn"], record["action"], record["status"], note=note))
    return lines


def success_message(summary: RunSummary) -> tuple[str, str]:
    created = sum(1 for line in summary.resources if line.action != "reused")
    reused = sum(1 for line in summary.resources if line.action == "reused")
    serving = summary.campaigns + [r.name for r in summary.recommenders]
    campaigns = ", ".join(serving) or "no campaign"
    jobs = len(summary.batch_outputs)
    if serving or not jobs:
        outcome = campaigns
        first = f"{campaigns} {'is' if len(serving) == 1 else 'are'} ACTIVE and serving recommendations."
    else:  # a run of batch jobs only: say what it produced rather than what it did not deploy
        outcome = f"{jobs} batch job{'s' if jobs > 1 else ''}"
        first = f"{outcome} wrote {'their' if jobs > 1 else 'its'} output (listed below); no campaign or recommender."
    title = f"Personalize pipeline succeeded: {summary.dataset_group} -> {outcome}"
    body = [
        f"The Amazon Personalize pipeline finished: {first}",
        *([summary.started_by] if summary.started_by else []),
        f"{created} resource(s) created, updated or resumed; {reused} reused unchanged.",
        *(["", *section(summary.changes)] if summary.changes else []),
        *(["", "Notes", *(f"  - {note}" for note in summary.notes)] if summary.notes else []),
        "",
        "Resources",
        *_resource_table(summary.resources),
    ]
    if summary.schedules:
        body += ["", "Schedules (EventBridge Scheduler; pause one with state DISABLED in params.json)"]
        body += [f"  {line}" for line in summary.schedules]
    if summary.recommenders:
        body += ["", "Recommenders (name, recipe, status, ARN)"]
        for recommender in summary.recommenders:
            recipe = recommender.recipe_arn.rsplit("/", 1)[-1]
            body += [f"  {recommender.name}  {recipe}  {recommender.status}", f"    {recommender.arn}"]
    if summary.batch_outputs:
        body += ["", "Batch job output (one <input file>.out per input file, JSON lines)"]
        for job in summary.batch_outputs:
            body += [f"  {KIND_LABELS.get(job.kind, job.kind)} {job.name}", f"    {job.arn}"]
            body += [f"    {uri}" for uri in job.outputs]
    body += _metrics_section(summary)
    timed = [line for line in summary.resources if line.seconds is not None and line.action != "reused"]
    if timed:
        body += ["", "Time spent by Personalize on each step"]
        body += [f"  {KIND_LABELS.get(t.kind, t.kind) + ' ' + t.name:<60} {duration(t.seconds)}" for t in timed]
    group_arn = next((line.arn for line in summary.resources if line.kind == "datasetGroup"), "")
    body += [
        "",
        f"Execution: {summary.execution_arn}",
        f"  {execution_url(summary.region, summary.execution_arn)}",
    ]
    if group_arn:
        body += [f"Dataset group in the console: {dataset_group_url(summary.region, group_arn)}"]
    return subject(title), safe_text("\n".join(body) + "\n")


def _metrics_section(summary: RunSummary) -> list[str]:
    """Each version's offline metrics; next to them, labelled, the popularity baseline's (a version of an
    aws-popularity-count solution of the run trained on the same eventType), and which metrics do not beat it."""
    baselines = {
        trained.event_type: arn
        for arn, trained in summary.trained.items()
        if trained.recipe == POPULARITY_RECIPE and arn in summary.metrics
    }
    body: list[str] = []
    for version_arn, values in summary.metrics.items():
        trained = summary.trained.get(version_arn)
        recipe = f" ({trained.recipe or 'AutoML'})" if trained else ""
        body += ["", f"Offline metrics of {version_arn}{recipe}"]
        baseline_arn = baselines.get(trained.event_type) if trained else None
        if trained is None or trained.recipe == POPULARITY_RECIPE:
            body += [f"  {name:<44} {value:.4f}" for name, value in sorted(values.items())]
            continue
        if baseline_arn is None:
            body += [f"  {name:<44} {value:.4f}" for name, value in sorted(values.items())]
            body += [
                f"  Popularity baseline (reference): none in this run; add a solution with recipe {POPULARITY_RECIPE}"
                + (f" and eventType {trained.event_type}" if trained.event_type else "")
                + " to see whether this recipe beats the most popular items."
            ]
            continue
        baseline = summary.metrics[baseline_arn]
        behind = [name for name, value in sorted(values.items()) if name in baseline and value <= baseline[name]]
        body += [f"  {'metric':<44} {'value':<8} popularity baseline (reference)"]
        body += [
            f"  {name:<44} {value:.4f}   {baseline[name]:.4f}" if name in baseline else f"  {name:<44} {value:.4f}"
            for name, value in sorted(values.items())
        ]
        body += [f"  Popularity baseline (reference): {baseline_arn}"]
        body += (
            [f"  NOT above the popularity baseline on: {', '.join(behind)}"]
            if behind
            else ["  Above the popularity baseline on every metric."]
        )
    return body


# ----------------------------------------------------------------------------- failure
@dataclass
class FailureContext:
    state: str  # the state whose task failed, or "" when no task failed
    error: str
    cause: str  # plain words
    touched: list[Line]


def plain_cause(raw_cause: str | None) -> str:
    """Lambda failures carry a JSON cause (errorMessage, errorType, stackTrace): keep the message."""
    if not raw_cause:
        return "no cause was recorded"
    try:
        parsed = json.loads(raw_cause)
    except (TypeError, ValueError):
        return raw_cause.strip()
    if isinstance(parsed, dict) and parsed.get("errorMessage"):
        return str(parsed["errorMessage"]).strip()
    return raw_cause.strip()


def started_by(schedule: dict[str, Any] | None) -> str:
    """The line saying which schedule started a scheduled run; "" for an upload run."""
    if not schedule:
        return ""
    if schedule.get("kind") == "train":
        what = f"retrains solution {schedule.get('solution')}"
    else:
        what = "imports new data and retrains every solution"
    mode = schedule.get("trainingMode") or "FULL"
    return (
        f"Started by schedule {schedule.get('name')} ({what}, {mode} training, only if the data changed), "
        f"fired for {schedule.get('scheduledTime')}."
    )


def failure_message(
    context: FailureContext,
    execution_arn: str,
    region: str,
    dataset_group: str,
    schedule_line: str = "",
    changes: Changes | None = None,
) -> tuple[str, str]:
    where = f" at {context.state}" if context.state else ""
    title = f"Personalize pipeline FAILED{where}: {context.error}"
    # Load Parameters fails before the plan exists: its error names the group when params.json gave a valid one.
    group = dataset_group or dataset_group_of(context.cause)
    cause = context.cause.splitlines()
    if len(cause) > CAUSE_LINES:
        cause = [*cause[: CAUSE_LINES - 1], f"... and {len(cause) - CAUSE_LINES + 1} more lines (see the execution)"]
    body = [
        f"The Amazon Personalize pipeline for dataset group '{group or 'unknown'}' failed.",
        *([schedule_line] if schedule_line else []),
        "",
        f"Failed state: {context.state or 'the state machine itself (no task failed)'}",
        f"Error:        {context.error}",
        "Cause:",
        *[f"  {line}" for line in cause],
        "",
        "What to do",
        f"  {NEXT_STEPS.get(context.error, DEFAULT_NEXT_STEP)}",
        "",
        *([*section(changes, failed=True), ""] if changes else []),
    ]
    if context.touched:
        body += ["Resources created or reused before the failure", *_resource_table(context.touched)]
    else:
        body += ["No Personalize resource was created or touched by this run."]
    body += ["", f"Execution: {execution_arn}", f"  {execution_url(region, execution_arn)}"]
    return subject(title), safe_text("\n".join(body) + "\n")


def failure_context(failure: dict[str, Any], events: list[dict[str, Any]]) -> FailureContext:
    """Find the failing state and the resources the run touched in the execution history.

    The Catch only hands over Error and Cause; the history tells which state failed (possibly deep in a
    Map iteration) and which tasks returned resources before that.
    """
    error = failure.get("Error", "States.Unknown")
    by_id = {event["id"]: event for event in events}
    state = ""
    for event in reversed(events):
        if event["type"] in ("TaskFailed", "LambdaFunctionFailed"):
            details = event.get("taskFailedEventDetails") or event.get("lambdaFunctionFailedEventDetails") or {}
            if details.get("error") == error:
                state = _entered_state(event, by_id, events)
                break
    return FailureContext(
        state=state, error=error, cause=plain_cause(failure.get("Cause")), touched=touched_resources(events)
    )


def _entered_state(event: dict[str, Any], by_id: dict[int, dict[str, Any]], events: list[dict[str, Any]]) -> str:
    current: dict[str, Any] | None = event
    while current is not None:
        entered = current.get("stateEnteredEventDetails")
        if entered and current["type"].endswith("StateEntered"):
            return entered.get("name", "")
        current = by_id.get(current.get("previousEventId", 0))
    # previousEventId chains are not always complete: fall back to the last Task entered before it.
    for candidate in reversed([e for e in events if e["id"] < event["id"]]):
        if candidate["type"] == "TaskStateEntered":
            return candidate["stateEnteredEventDetails"]["name"]
    return ""


def touched_resources(events: list[dict[str, Any]]) -> list[Line]:
    """Poll records returned by successful tasks, latest state per ARN, in first-seen order."""
    found: dict[str, Line] = {}
    for payload in task_results(events):
        if not {"kind", "arn", "name", "action"} <= payload.keys():
            continue
        previous = found.get(payload["arn"])
        action = previous.action if previous else payload["action"]
        found[payload["arn"]] = Line(
            payload["kind"], payload["name"], payload["arn"], action, payload.get("status", "")
        )
        schema_arn = (payload.get("details") or {}).get("schemaArn")
        if schema_arn and schema_arn not in found:
            schema = payload["details"]
            found[schema_arn] = Line("schema", schema.get("schemaName", ""), schema_arn, schema.get("schemaAction", ""))
    return list(found.values())
