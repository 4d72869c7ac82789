"""EventBridge Scheduler schedules of a dataset group: the ``schedules`` section of params.json, its plan, the
Input of a scheduled run, how a scheduled run narrows the plan, and what Apply Schedules converges.

Each entry of ``schedules`` is one CreateSchedule/UpdateSchedule request written with camelCase keys
(``scheduleExpression`` -> ``ScheduleExpression``), validated against botocore's ``scheduler`` model; the
pipeline owns ``Name`` (naming.schedule_name), ``GroupName`` (the stack's group), ``Target`` (the pipeline
state machine, started as the stack's SchedulerRole) and ``ActionAfterCompletion``. ``trainingMode`` is the
pipeline's own key. Expressions are checked before anything is created: cron with a library made for AWS's
cron syntax plus the documented rules it leaves open, rate by the documented form.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aws_cron_expression_validator.validator import AWSCronExpressionError, AWSCronExpressionValidator
from botocore.utils import parse_to_aware_datetime

from .naming import schedule_name, schedule_prefix, solution_version_name
from .request_shapes import RequestSpec, check_translated, did_you_mean, join_path, show, unknown_key_problem, with_hint

#: ``source`` of a scheduled run's execution input (an upload run's input is the S3 event, source aws.s3).
SCHEDULE_SOURCE = "personalize-pipeline.schedule"
KIND_IMPORT, KIND_TRAIN = "import", "train"
TRAINING_MODES = ("FULL", "UPDATE")
#: Recipes whose versions may be trained with trainingMode UPDATE (personalize-facts.md, CreateSolutionVersion).
UPDATE_TRAINING_RECIPES = frozenset({"aws-user-personalization", "aws-hrnn-coldstart"})
SECTION_KEYS = ("datasetGroup", "solutions")
#: Scheduler substitutes these context attributes in the target's Input at each firing.
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
EXECUTION_ID = "<aws.scheduler.execution-id>"
#: A firing that cannot start the execution is retried briefly: the next firing comes anyway.
RETRY_POLICY = {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 3}

SCHEDULE = RequestSpec(
    "CreateSchedule",
    service="scheduler",
    owned={
        "Name": "pipeline",
        "GroupName": "pipeline",
        "Target": {"Arn": "arn:aws:states:us-east-1:123456789012:stateMachine:p", "RoleArn": "arn:aws:iam::1:role/p"},
        "ActionAfterCompletion": "NONE",
        "ClientToken": "pipeline",
        "KmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/pipeline",
    },
    owned_reasons={
        "Name": "derived from the dataset group (and solution), so each upload finds and updates its schedules",
        "GroupName": "the stack's schedule group",
        "Target": "the pipeline state machine, started with the scheduled run's input",
        "ActionAfterCompletion": "a schedule lives until params.json drops it",
        "ClientToken": "the pipeline converges by name",
        "KmsKeyArn": "schedules are encrypted with Scheduler's own key; a customer key is not supported yet",
    },
    defaults={"FlexibleTimeWindow": {"Mode": "OFF"}},
    extras=("trainingMode",),
)

_RATE = re.compile(r"rate\((?P<value>[^ ]+) (?P<unit>[a-z]+)\)")
_RATE_UNITS = ("minute", "minutes", "hour", "hours", "day", "days")
_CRON = re.compile(r"cron\((?P<fields>.*)\)")
# Forms the cron library accepts that AWS documents nowhere: a range with * as an end, "L-n" in day-of-week.
_STAR_RANGE = re.compile(r"(^|[,/-])\*-|-\*($|[,/])")


def _pascal(key: str) -> str:
    return key[:1].upper() + key[1:]


def _camel(key: str) -> str:
    return key[:1].lower() + key[1:]


def _translated(value: Any) -> Any:
    """camelCase keys (as params.json writes them) -> the API's PascalCase, at every level."""
    if isinstance(value, dict):
        return {_pascal(k) if isinstance(k, str) else k: _translated(v) for k, v in value.items()}
    return value


def allowed_keys() -> list[str]:
    return [_camel(m) for m in SCHEDULE.shape.members if m not in SCHEDULE.owned] + list(SCHEDULE.extras)


# -- expressions ---------------------------------------------------------------------------------------


def expression_problem(expression: str) -> str | None:
    """Why EventBridge Scheduler would refuse a recurring ``expression``, or None."""
    if expression.startswith("at("):
        return (
            f"{show(expression)}: one-time at(...) schedules are not supported here (a schedule retrains "
            "repeatedly); use rate(...) or cron(...)"
        )
    rate = _RATE.fullmatch(expression)
    if rate:
        value, unit = rate["value"], rate["unit"]
        if not value.isdigit() or int(value) < 1:
            return f"{show(expression)}: the rate value must be a positive integer, got {show(value)}"
        if unit not in _RATE_UNITS:
            return f"{show(expression)}: the rate unit must be one of {' | '.join(_RATE_UNITS)}, got {show(unit)}"
        # The safer reading of the docs: EventBridge refuses "rate(1 days)" and "rate(5 day)".
        wanted = unit.rstrip("s") if int(value) == 1 else unit.rstrip("s") + "s"
        if unit != wanted:
            return f"{show(expression)}: write rate({int(value)} {wanted}) (singular unit for 1, plural above)"
        return None
    cron = _CRON.fullmatch(expression)
    if cron:
        fields = cron["fields"]
        try:
            AWSCronExpressionValidator.validate(fields)
        except AWSCronExpressionError as error:
            return (
                f"{show(expression)}: {error}".rstrip(".")
                + " (fields: minutes hours day-of-month month day-of-week year)"
            )
        parts = fields.split(" ")
        if any(_STAR_RANGE.search(part) for part in parts):
            return f"{show(expression)}: a range cannot start or end with *; write both ends (e.g. MON-FRI)"
        if parts[4].startswith("L-"):
            return f"{show(expression)}: day-of-week takes L only as <day>L (the last such day of the month), not L-n"
        return None
    return (
        f"{show(expression)}: expected rate(value unit), e.g. rate(7 days), or cron(minutes hours day-of-month month "
        "day-of-week year), e.g. cron(0 3 ? * MON *)"
    )


def next_fire_time(expression: str, timezone: str | None, after: dt.datetime) -> dt.datetime | None:
    """The next time a cron schedule fires after ``after`` (UTC), or None when it cannot be computed here
    (rate schedules count from their creation; a cron expression that never fires again)."""
    cron = _CRON.fullmatch(expression)
    if not cron:
        return None
    from pyawscron.awscron import AWSCron

    zone = ZoneInfo(timezone or "UTC")
    # pyawscron reckons in UTC: give it the wall clock of the schedule's zone, read the result back in that zone.
    wall = after.astimezone(zone).replace(tzinfo=dt.UTC)
    try:
        (found,) = AWSCron.get_next_n_schedule(1, wall, cron["fields"])
    except Exception:  # noqa: BLE001 - the library fails on expressions without a next time (a past year)
        return None
    return found.replace(tzinfo=zone).astimezone(dt.UTC) if found else None


# -- the params.json section -----------------------------------------------------------------------------


def section_problems(section: Any, recipes: Mapping[str, str | None]) -> list[str]:
    """Every problem of ``schedules``; ``recipes`` maps each solution name of the params to its recipe name."""
    if not isinstance(section, dict):
        return [f"schedules: expected an object with datasetGroup and/or solutions, got {show(section)}"]
    problems = [unknown_key_problem("schedules", key, SECTION_KEYS) for key in section if key not in SECTION_KEYS]
    if "datasetGroup" in section:
        problems += _entry_problems(section["datasetGroup"], "schedules.datasetGroup", recipes)
    if "solutions" in section:
        solutions = section["solutions"]
        if not isinstance(solutions, dict):
            return problems + [
                f"schedules.solutions: expected an object solution name -> schedule, got {show(solutions)}"
            ]
        for name, entry in solutions.items():
            path = join_path("schedules.solutions", name)
            if name not in recipes:
                declared = ", ".join(recipes) or "none"
                message = f"{path}: {show(name)} is not a solution of this params.json (solutions: {declared})"
                problems.append(with_hint(message, did_you_mean(name, recipes)))
                continue
            problems += _entry_problems(entry, path, {name: recipes[name]})
    return problems


def _entry_problems(entry: Any, path: str, trained: Mapping[str, str | None]) -> list[str]:
    if not isinstance(entry, dict):
        return [f"{path}: expected an object (scheduleExpression, ...), got {show(entry)}"]
    problems: list[str] = []
    request: dict[str, Any] = dict(SCHEDULE.owned)
    member_paths: dict[str, str] = {}
    shape = SCHEDULE.shape
    for key, value in entry.items():
        if key in SCHEDULE.extras:
            continue
        member = _pascal(key)
        if key != _camel(key) or member not in shape.members:
            problems.append(unknown_key_problem(path, key, allowed_keys()))
        elif member in SCHEDULE.owned:
            problems.append(
                f"{join_path(path, key)}: set by the pipeline ({SCHEDULE.owned_reasons[member]}); remove it"
            )
        else:
            request[member] = _translated(value)
            member_paths[member] = join_path(path, key)
    request.setdefault("FlexibleTimeWindow", dict(SCHEDULE.defaults["FlexibleTimeWindow"]))
    problems += check_translated(SCHEDULE, request, member_paths, path, _camel)
    expression = entry.get("scheduleExpression")
    if isinstance(expression, str) and expression:
        problem = expression_problem(expression)
        if problem:
            problems.append(f"{join_path(path, 'scheduleExpression')}: {problem}")
    timezone = entry.get("scheduleExpressionTimezone")
    if isinstance(timezone, str) and timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(
                f"{join_path(path, 'scheduleExpressionTimezone')}: {show(timezone)} is not an IANA time zone name "
                '(e.g. "Europe/Paris", "America/New_York", "UTC")'
            )
    problems += _date_problems(entry, path)
    problems += _mode_problems(entry.get("trainingMode", "FULL"), join_path(path, "trainingMode"), trained)
    return problems


def _date_problems(entry: Mapping[str, Any], path: str) -> list[str]:
    dates = {}
    for key in ("startDate", "endDate"):
        try:
            dates[key] = parse_to_aware_datetime(entry[key]) if isinstance(entry.get(key), str) else None
        except (ValueError, TypeError):
            dates[key] = None  # botocore's timestamp check reports it
    if dates["startDate"] and dates["endDate"] and dates["endDate"] <= dates["startDate"]:
        return [f"{join_path(path, 'endDate')}: must be after startDate ({entry['startDate']})"]
    return []


def _mode_problems(mode: Any, path: str, trained: Mapping[str, str | None]) -> list[str]:
    if mode not in TRAINING_MODES:
        return [with_hint(f"{path}: {show(mode)} is not one of FULL, UPDATE", did_you_mean(str(mode), TRAINING_MODES))]
    if mode != "UPDATE":
        return []
    refused = [
        f"'{name}' ({recipe or 'unknown recipe'})"
        for name, recipe in trained.items()
        if recipe not in UPDATE_TRAINING_RECIPES
    ]
    if not refused:
        return []
    supported = ", ".join(sorted(UPDATE_TRAINING_RECIPES))
    noun = "solutions" if len(refused) > 1 else "solution"
    return [
        f"{path}: UPDATE training needs a recipe that supports it ({supported}); {noun} {', '.join(refused)} "
        "cannot: use FULL"
    ]


def plan_entries(section: Mapping[str, Any] | None, dataset_group: str) -> list[dict[str, Any]]:
    """The schedules a (validated) section asks for: name, kind, solution, training mode and request members."""
    if not section:
        return []
    entries = []
    if "datasetGroup" in section:
        entries.append(_plan_entry(section["datasetGroup"], schedule_name(dataset_group), KIND_IMPORT, None))
    for name, entry in (section.get("solutions") or {}).items():
        entries.append(_plan_entry(entry, schedule_name(dataset_group, name), KIND_TRAIN, name))
    return entries


def _plan_entry(entry: Mapping[str, Any], name: str, kind: str, solution: str | None) -> dict[str, Any]:
    request = {_pascal(k): _translated(v) for k, v in entry.items() if k not in SCHEDULE.extras}
    request.setdefault("FlexibleTimeWindow", {"Mode": "OFF"})
    request.setdefault("State", "ENABLED")
    request.setdefault("ScheduleExpressionTimezone", "UTC")
    return {
        "name": name,
        "kind": kind,
        "solution": solution,
        "trainingMode": entry.get("trainingMode", "FULL"),
        "request": request,
    }


# -- scheduled runs ------------------------------------------------------------------------------------


def execution_input(entry: Mapping[str, Any], dataset_group: str, source: Mapping[str, Any]) -> str:
    """The Target Input of a planned schedule: the S3 event's ``detail`` shape (the pinned params version)
    and what to do; Scheduler fills in the firing's time and id."""
    detail = {"bucket": {"name": source["bucket"]}, "object": {"key": source["key"]}}
    if source.get("versionId"):
        detail["object"]["version-id"] = source["versionId"]
    document = {
        "source": SCHEDULE_SOURCE,
        "detail": detail,
        "schedule": {
            "name": entry["name"],
            "kind": entry["kind"],
            "datasetGroup": dataset_group,
            "solution": entry["solution"],
            "trainingMode": entry["trainingMode"],
            "scheduledTime": SCHEDULED_TIME,
            "executionId": EXECUTION_ID,
        },
    }
    return json.dumps(document, sort_keys=True)


def schedule_of(execution_input_document: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The ``schedule`` of a scheduled run's input; None for an upload run."""
    document = execution_input_document or {}
    if document.get("source") != SCHEDULE_SOURCE:
        return None
    return dict(document.get("schedule") or {})


def for_scheduled_run(plan: dict[str, Any], schedule: Mapping[str, Any]) -> dict[str, Any]:
    """The plan a scheduled run carries out: every solution (kind import) or the schedule's solution only
    (kind train, with no import and no recommender), each trained in the schedule's mode only if the data changed since
    the solution's latest ACTIVE version (``reuseIfLatestActive``: the version names this data gives in
    either mode)."""
    from .errors import InvalidParameters

    group = plan["datasetGroup"]["name"]
    name = schedule.get("name")
    if schedule.get("datasetGroup") != group:
        raise InvalidParameters(
            [
                f"schedule {name}: it is for dataset group {schedule.get('datasetGroup')!r}, but the params.json "
                f"version it pins is for {group!r}; upload params.json again to rebuild the schedules"
            ],
            dataset_group=group,
        )
    mode = schedule.get("trainingMode") or "FULL"
    solutions = plan["solutions"]
    if schedule.get("kind") == KIND_TRAIN:
        solutions = [s for s in solutions if s["solution"]["name"] == schedule.get("solution")]
        if not solutions:
            raise InvalidParameters(
                [
                    f"schedule {name}: solution {schedule.get('solution')!r} is not in the params.json version it "
                    "pins; upload params.json again to rebuild the schedules"
                ],
                dataset_group=group,
            )
        # No import either: the datasets keep what the last import run put in them (ensure.ensure_import).
        datasets = [{**dataset, "importData": False} for dataset in plan["datasets"]]
        plan = {**plan, "recommenders": [], "datasets": datasets}
    data = [(d["schema"]["name"], d["fingerprint"]) for d in plan["datasets"]]
    narrowed = []
    for solution in solutions:
        names = {m: solution_version_name(solution["solution"], data, m) for m in TRAINING_MODES}
        version = {**solution["solutionVersion"], "name": names[mode], "trainingMode": mode}
        version["reuseIfLatestActive"] = sorted(set(names.values()))
        narrowed.append({**solution, "solutionVersion": version})
    run = {"trigger": "schedule", "schedule": dict(schedule)}
    return {**plan, "solutions": narrowed, "run": run}


# -- Apply Schedules -------------------------------------------------------------------------------------


def desired_request(
    entry: Mapping[str, Any], group: str, role_arn: str, state_machine_arn: str, dataset_group: str, source: Mapping
) -> dict[str, Any]:
    target = {
        "Arn": state_machine_arn,
        "RoleArn": role_arn,
        "Input": execution_input(entry, dataset_group, source),
        "RetryPolicy": dict(RETRY_POLICY),
    }
    return {"Name": entry["name"], "GroupName": group, **entry["request"], "Target": target}


def _unpinned(input_text: str | None) -> Any:
    """A schedule's Input without the params version it pins."""
    document = json.loads(input_text or "null")
    if isinstance(document, dict):
        (document.get("detail") or {}).get("object", {}).pop("version-id", None)
    return document


def _same(desired: Mapping[str, Any], current: Mapping[str, Any], *, but_version: bool = False) -> bool:
    """Whether the schedule as it is matches the request (Scheduler's defaults filled in on both sides);
    ``but_version``: whatever params version each pins."""
    for key in ("ScheduleExpression", "ScheduleExpressionTimezone", "State", "FlexibleTimeWindow"):
        if desired.get(key) != current.get(key):
            return False
    if (desired.get("Description") or "") != (current.get("Description") or ""):
        return False
    for key in ("StartDate", "EndDate"):
        want, have = desired.get(key), current.get(key)
        want = parse_to_aware_datetime(want) if want is not None else None
        have = parse_to_aware_datetime(have) if have is not None else None
        if want != have:
            return False
    target, have = desired["Target"], current.get("Target") or {}
    if (target["Arn"], target["RoleArn"]) != (have.get("Arn"), have.get("RoleArn")):
        return False
    read = _unpinned if but_version else (lambda text: json.loads(text or "null"))
    if read(target["Input"]) != read(have.get("Input")):
        return False
    return (have.get("RetryPolicy") or {}) == target["RetryPolicy"]


def _listed(client: Any, group: str, prefix: str) -> list[dict[str, Any]]:
    found, token = [], None
    while True:
        page = client.list_schedules(GroupName=group, NamePrefix=prefix, **({"NextToken": token} if token else {}))
        found += page.get("Schedules", [])
        token = page.get("NextToken")
        if not token:
            return found


def apply(
    client: Any,
    plan: Mapping[str, Any],
    *,
    group: str,
    role_arn: str,
    state_machine_arn: str,
) -> list[dict[str, Any]]:
    """Create, update or delete the dataset group's schedules so they are exactly the plan's; what was done.

    Schedules are found by the group's name prefix, so another dataset group's schedules are never touched.
    """
    dataset_group = plan["datasetGroup"]["name"]
    existing = {s["Name"]: s for s in _listed(client, group, schedule_prefix(dataset_group))}
    done = []
    for entry in plan.get("schedules") or []:
        request = desired_request(entry, group, role_arn, state_machine_arn, dataset_group, plan["source"])
        if entry["name"] in existing:
            current = client.get_schedule(GroupName=group, Name=entry["name"])
            repinned = not _same(request, current) and _same(request, current, but_version=True)
            if _same(request, current):
                action, arn = "unchanged", current["Arn"]
            else:
                # Only the pinned params version differs: the schedule does what it did, on this upload's params.
                action = "unchanged" if repinned else "updated"
                arn = client.update_schedule(**request)["ScheduleArn"]
        else:
            action, arn, repinned = "created", client.create_schedule(**request)["ScheduleArn"], False
        done.append({**_outcome(entry, arn, action), "repinned": repinned})
    planned = {entry["name"] for entry in plan.get("schedules") or []}
    for name in sorted(set(existing) - planned):
        client.delete_schedule(GroupName=group, Name=name)
        current = existing[name]
        done.append(
            {
                "name": name,
                "arn": current.get("Arn"),
                "expression": None,
                "timezone": None,
                "state": current.get("State"),
                "kind": KIND_IMPORT if name.endswith("-import") else KIND_TRAIN,
                "solution": None,
                "trainingMode": None,
                "action": "deleted",
                "repinned": False,
            }
        )
    return done


def _outcome(entry: Mapping[str, Any], arn: str, action: str) -> dict[str, Any]:
    request = entry["request"]
    return {
        "name": entry["name"],
        "arn": arn,
        "expression": request["ScheduleExpression"],
        "timezone": request.get("ScheduleExpressionTimezone", "UTC"),
        "state": request.get("State", "ENABLED"),
        "kind": entry["kind"],
        "solution": entry["solution"],
        "trainingMode": entry["trainingMode"],
        "action": action,
    }


def describe_schedules(outcomes: Iterable[Mapping[str, Any]], now: dt.datetime) -> list[str]:
    """E-mail lines: one per schedule, with its next fire time where it can be computed."""
    lines = []
    for item in outcomes:
        what = "imports and retrains every solution" if item["kind"] == KIND_IMPORT else f"retrains {item['solution']}"
        if item["action"] == "deleted":
            lines.append(f"- {item['name']}: deleted (no longer in params.json)")
            continue
        action = "unchanged, now on this upload's params.json" if item.get("repinned") else item["action"]
        line = f"- {item['name']} ({action}): {item['expression']} {item['timezone']}, {item['state']}, {what}"
        line += f" ({item['trainingMode']})"
        upcoming = next_fire_time(item["expression"], item["timezone"], now) if item["state"] == "ENABLED" else None
        if upcoming:
            line += f"; next run {upcoming.strftime('%Y-%m-%d %H:%M UTC')}"
        lines.append(line)
    return lines
