"""Idempotent ensure_* helpers: find the resource, reuse it if it matches, create it if absent.

Every function takes the boto3 client as an argument (tests pass a Stubber-backed one) and returns a
``PollRecord``. Resources are found by their predictable ARN; only import jobs and solution versions,
whose identity is their content, are looked up by listing them under their parent.
Re-running the same upload converges: nothing is created twice, an "already exists" race is resolved
by reading what won, and a difference that cannot be updated fails with a message naming both values.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from .errors import ResourceConflict, ResourceFailed, ResourceTimeout
from .polling import KIND_LABELS, POLICIES, PollRecord, estimate_seconds, new_record, next_wait
from .resources import describe, effective_status, error_code, name_from_arn
from .status import Phase, phase_of

#: How many times a job (import, training) that failed on the same content is tried again under a
#: new name before the pipeline gives up and asks for a human.
MAX_ATTEMPTS = 9
#: Names available to one content: ``<name>``, ``<name>-r2`` ... ``<name>-r99``. Successful jobs use names
#: too (going back to earlier data imports it again), so there are more names than allowed failures.
MAX_NAMES = 99
#: The tag an import job carries with the bytes it imports, so a later run can scale its duration.
SIZE_TAG = "personalize-pipeline:bytes"


# ----------------------------------------------------------------------------- shared mechanics
def _fail_if_unusable(kind: str, name: str, resource: dict[str, Any]) -> tuple[str, Phase]:
    status, reason = effective_status(kind, resource)
    phase = phase_of(status)
    label = KIND_LABELS[kind]
    if phase is Phase.FAILED:
        raise ResourceFailed(f"{label} '{name}' is {status}: {reason or 'no reason given by Personalize'}")
    if phase is Phase.DELETING:
        raise ResourceConflict(
            f"{label} '{name}' is being deleted ({status}); wait until it is gone, then upload the parameters again"
        )
    if phase is Phase.STOPPED:
        # Someone stopped it, most likely to stop its billing: the pipeline does not restart it behind their back.
        raise ResourceConflict(
            f"{label} '{name}' is stopped ({status}); start it (StartRecommender) and upload the parameters "
            "again, or choose another name"
        )
    return status, phase


def _record(kind: str, arn: str, name: str, resource: dict[str, Any], action: str, **details: Any) -> PollRecord:
    status, phase = _fail_if_unusable(kind, name, resource)
    return new_record(kind, arn, name, "ACTIVE" if phase is Phase.ACTIVE else status, action, **details)


def _create_or_adopt(create: Callable[[], Any], read: Callable[[], dict[str, Any] | None]) -> tuple[dict, str]:
    """Create; if a concurrent run created it first, adopt theirs. Returns (resource, action)."""
    try:
        create()
    except ClientError as error:
        if error_code(error) != "ResourceAlreadyExistsException":
            raise
        existing = read()
        if existing is None:
            raise
        return existing, "reused"
    created = read()
    if created is None:  # Personalize is read-after-write consistent for describes; be explicit if not
        raise ResourceFailed("Personalize accepted the create call but the resource cannot be described")
    return created, "created"


def _find_or_create(client: Any, kind: str, arn: str, create: Callable[[], Any]) -> tuple[dict[str, Any], str]:
    """The resource at ``arn`` and "reused"; else create it (or adopt a concurrent run's) and say which."""
    existing = describe(client, kind, arn)
    if existing is not None:
        return existing, "reused"
    return _create_or_adopt(create, lambda: describe(client, kind, arn))


def _differences(wanted: dict[str, Any], actual: dict[str, Any], prefix: str = "") -> list[str]:
    """Fields the params set whose value differs from the existing resource (service defaults ignored)."""
    found = []
    for key, value in wanted.items():
        current = actual.get(key)
        if isinstance(value, dict) and (current is None or isinstance(current, dict)):
            # A nested setting is compared leaf by leaf, also when the resource has no such section: each
            # setting the params ask for is then named like a flat one, and an empty section asks for nothing.
            found += _differences(value, current or {}, f"{prefix}{key}.")
        elif _normalise(value) != _normalise(current):
            found.append(f"{prefix}{key} is {json.dumps(current)}; params ask for {json.dumps(value)}")
    return found


def _normalise(value: Any) -> Any:
    # Personalize echoes some numbers and booleans back as strings in hyperparameter maps.
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return value


def _conflict(kind: str, name: str, differences: list[str], remedy: str) -> ResourceConflict:
    listed = "; ".join(differences)
    return ResourceConflict(f"{KIND_LABELS[kind]} '{name}' already exists but differs: {listed}. {remedy}")


def check(client: Any, record: PollRecord) -> PollRecord:
    """One poll: re-read the resource, fail on CREATE FAILED or past the kind's deadline."""
    waited = record.waitedSeconds + record.waitSeconds
    resource = describe(client, record.kind, record.arn)
    if resource is None:
        raise ResourceFailed(f"{KIND_LABELS[record.kind]} '{record.name}' disappeared while the pipeline waited for it")
    status, phase = _fail_if_unusable(record.kind, record.name, resource)
    if record.kind == "dataset" and phase is Phase.ACTIVE:
        _check_dataset_schema(record, resource)
    policy = POLICIES[record.kind]
    if phase is not Phase.ACTIVE and waited >= policy.deadline_seconds:
        raise ResourceTimeout(
            f"{KIND_LABELS[record.kind]} '{record.name}' is still {status} after {waited // 60} minutes "
            f"(deadline {policy.deadline_seconds // 60} minutes). It may still finish: upload the parameters "
            "again later and the pipeline will pick it up where it is."
        )
    return PollRecord(
        kind=record.kind,
        arn=record.arn,
        name=record.name,
        status="ACTIVE" if phase is Phase.ACTIVE else status,
        action=record.action,
        waitSeconds=next_wait(record.kind, waited, record.details.get("estimatedSeconds")),
        waitedSeconds=waited,
        details=record.details,
    )


def _took_seconds(resource: dict[str, Any]) -> float | None:
    """How long an ACTIVE resource (or update) took: creation to its last status change."""
    if phase_of(resource.get("status", "")) is not Phase.ACTIVE:
        return None
    created, updated = resource.get("creationDateTime"), resource.get("lastUpdatedDateTime")
    if created is None or updated is None:
        return None
    return (updated - created).total_seconds()


def _history(durations: list[float | None], scale: float = 1.0) -> dict[str, int]:
    """``estimatedSeconds`` for a record's details, from earlier durations (oldest first), if any."""
    estimate = estimate_seconds([d for d in durations if d], scale)
    return {} if estimate is None else {"estimatedSeconds": estimate}


def _attempt_name(base: str, attempt: int) -> str:
    if attempt == 1:
        return base
    suffix = f"-r{attempt}"
    return base[: 63 - len(suffix)] + suffix


# ----------------------------------------------------------------------------- dataset group
#: Settings a dataset group cannot change -> what leaving one out of params.json asks for. Encryption is
#: compared both ways: a group encrypted with another key (or role), or with none, is not the one asked for.
_GROUP_IMMUTABLE = {
    "domain": "a custom dataset group",
    "kmsKeyArn": "no KMS key (Personalize's own encryption)",
    "roleArn": "no role (no KMS key)",
}


def ensure_dataset_group(client: Any, arn_prefix: str, spec: dict[str, Any]) -> PollRecord:
    name = spec["name"]
    arn = f"{arn_prefix}:dataset-group/{name}"
    resource, action = _find_or_create(client, "datasetGroup", arn, lambda: client.create_dataset_group(**spec))
    immutable = {k: spec[k] for k in _GROUP_IMMUTABLE if k in spec}
    differences = _differences(immutable, resource)
    for key, meaning in _GROUP_IMMUTABLE.items():
        if key not in spec and resource.get(key):
            differences.append(f"{key} is {json.dumps(resource[key])}; params ask for {meaning}")
    if differences:
        raise _conflict(
            "datasetGroup", name, differences, "Choose another dataset group name, or delete the existing one."
        )
    return _record("datasetGroup", arn, name, resource, action)


# ----------------------------------------------------------------------------- schema and dataset
def ensure_schema(client: Any, arn_prefix: str, spec: dict[str, Any]) -> tuple[str, str]:
    """Schemas are synchronous and immutable: returns (schemaArn, action)."""
    name = spec["name"]
    arn = f"{arn_prefix}:schema/{name}"
    existing, action = _find_or_create(client, "schema", arn, lambda: client.create_schema(**spec))
    differences = _schema_differences(json.loads(existing["schema"]), json.loads(spec["schema"]))
    if existing.get("domain") != spec.get("domain"):
        differences.append(
            f"domain is {json.dumps(existing.get('domain'))}; params ask for {json.dumps(spec.get('domain'))}"
        )
    if differences:
        raise _conflict(
            "schema",
            name,
            differences,
            "Schemas cannot change: remove schemaName so the pipeline derives a fresh name, or choose a new one.",
        )
    return arn, action


def _schema_differences(existing: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    if existing == wanted:
        return []
    old = {f.get("name"): f for f in existing.get("fields", [])}
    new = {f.get("name"): f for f in wanted.get("fields", [])}
    found = [f"params add field {n}" for n in new if n not in old]
    found += [f"params drop field {n}" for n in old if n not in new]
    found += [
        f"field {n} is {json.dumps(old[n], sort_keys=True)}; params ask for {json.dumps(new[n], sort_keys=True)}"
        for n in new
        if n in old and old[n] != new[n]
    ]
    rest_old = {k: v for k, v in existing.items() if k != "fields"}
    rest_new = {k: v for k, v in wanted.items() if k != "fields"}
    found += [
        f"{k} is {json.dumps(rest_old.get(k))}; params ask for {json.dumps(rest_new.get(k))}"
        for k in sorted(rest_old.keys() | rest_new.keys())
        if rest_old.get(k) != rest_new.get(k)
    ]
    return found or ["the field order differs"]


def ensure_dataset(client: Any, arn_prefix: str, dataset_group_arn: str, spec: dict[str, Any]) -> PollRecord:
    """Schema first, then the dataset; an existing dataset whose schema changed is switched to the new one."""
    schema_arn, schema_action = ensure_schema(client, arn_prefix, spec["schema"])
    dataset_type = spec["datasetType"].upper()
    group_name = name_from_arn(dataset_group_arn)
    arn = f"{arn_prefix}:dataset/{group_name}/{dataset_type}"
    wanted = spec["dataset"]
    details = {"schemaArn": schema_arn, "schemaName": spec["schema"]["name"], "schemaAction": schema_action}
    request = {**wanted, "schemaArn": schema_arn, "datasetGroupArn": dataset_group_arn}
    resource, action = _find_or_create(client, "dataset", arn, lambda: client.create_dataset(**request))
    if resource.get("name") != wanted["name"]:
        raise _conflict(
            "dataset",
            wanted["name"],
            [f"dataset group '{group_name}' already has an {dataset_type} dataset named '{resource.get('name')}'"],
            "A dataset group holds one dataset per type: use that name in params.json.",
        )
    if resource.get("schemaArn") != schema_arn:
        # A failed earlier swap leaves the dataset ACTIVE on its old schema: swapping again is the retry.
        status, phase = _fail_if_unusable("dataset", wanted["name"], resource)
        if phase is not Phase.ACTIVE:
            raise ResourceConflict(
                f"dataset '{wanted['name']}' is {status}; its schema can only be replaced once it is ACTIVE. "
                "Upload the parameters again when it is."
            )
        client.update_dataset(datasetArn=arn, schemaArn=schema_arn)
        resource = describe(client, "dataset", arn) or resource
        action = "updated"
    return _record("dataset", arn, wanted["name"], resource, action, **details)


def _check_dataset_schema(record: PollRecord, resource: dict[str, Any]) -> None:
    """An ACTIVE dataset still on another schema means the swap failed: importing would fail on columns."""
    wanted = record.details.get("schemaArn")
    if not wanted or resource.get("schemaArn") == wanted:
        return
    update = resource.get("latestDatasetUpdate") or {}
    reason = update.get("failureReason") or "Personalize kept the previous schema"
    raise ResourceFailed(f"dataset '{record.name}' could not switch to schema {wanted}: {reason}")


# ----------------------------------------------------------------------------- import
def _list_all(client: Any, operation: str, key: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**params):
        items.extend(page[key])
    return items


def ensure_import(client: Any, arn_prefix: str, dataset_arn: str, role_arn: str, spec: dict[str, Any]) -> PollRecord:
    """Import the folder, unless the dataset's latest import already is these very files.

    The job name carries a fingerprint of the CSV objects. The import is skipped only when the most recent
    import into this dataset has that name (an older one does not count: a later import replaced its data),
    so the same data is never imported twice in a row, and going back to earlier data imports it again as
    ``<name>-r2``. A failed job for the same data is retried under the next free suffix, so fixing the cause
    (say, the bucket policy) and re-uploading is enough.

    A train schedule's run (``importData: false``) imports nothing: its record is the dataset's latest import,
    marked ``filesNotImported`` when the folder's files are not the ones it imported.
    """
    job = spec["datasetImportJob"]
    base = job["jobName"]
    dataset = describe(client, "dataset", dataset_arn) or {}
    jobs = _list_all(client, "list_dataset_import_jobs", "datasetImportJobs", datasetArn=dataset_arn)
    # A dataset deleted and created again keeps its ARN, and so its old jobs; they hold none of its data.
    born = dataset.get("creationDateTime")
    jobs = [j for j in jobs if born is None or j["creationDateTime"] >= born]
    jobs.sort(key=lambda j: j["creationDateTime"])
    latest = next((j for j in reversed(jobs) if phase_of(j["status"]) is not Phase.FAILED), None)
    if latest and (_attempt_of(base, latest["jobName"]) is not None or spec.get("importData") is False):
        action = "reused" if phase_of(latest["status"]) is Phase.ACTIVE else "resumed"
        resource = describe(client, "datasetImportJob", latest["datasetImportJobArn"]) or latest
        details = {"filesNotImported": True} if _attempt_of(base, latest["jobName"]) is None else {}
        return _record(
            "datasetImportJob", latest["datasetImportJobArn"], latest["jobName"], resource, action, **details
        )
    if spec.get("importData") is False:
        raise ResourceFailed(
            f"the {spec['datasetType']} dataset has no import to train on, and a train schedule imports nothing: "
            "upload params.json (or let the dataset group's import schedule run) to import the files"
        )
    size = int(spec.get("sizeBytes") or 0)
    tags = [t for t in job.get("tags", []) if t["tagKey"] != SIZE_TAG]
    if size > 0:
        tags.append({"tagKey": SIZE_TAG, "tagValue": str(size)})
    history: dict[str, int] | None = None
    failures = 0
    for attempt in range(1, MAX_NAMES + 1):
        name = _attempt_name(base, attempt)
        arn = f"{arn_prefix}:dataset-import-job/{name}"
        existing = describe(client, "datasetImportJob", arn)
        if existing is None:
            if history is None:  # read once, before this run's job joins the dataset's history
                history = _import_history(client, jobs, size)
            request = {**job, "jobName": name, "datasetArn": dataset_arn, "roleArn": role_arn}
            if tags:
                request["tags"] = tags
            existing, action = _create_or_adopt(
                lambda request=request: client.create_dataset_import_job(**request),
                lambda arn=arn: describe(client, "datasetImportJob", arn),
            )
            ours = existing.get("datasetArn") == dataset_arn
            if ours and phase_of(existing["status"]) is not Phase.FAILED:  # created, or a race adopted
                if action == "reused" and phase_of(existing["status"]) is not Phase.ACTIVE:
                    action = "resumed"
                return _record("datasetImportJob", arn, name, existing, action, **history)
        # Job names are account-wide and jobs cannot be deleted: this name is spent, take the next one.
        if existing.get("datasetArn") == dataset_arn and phase_of(existing["status"]) is Phase.FAILED:
            failures += 1
            if failures >= MAX_ATTEMPTS:
                raise ResourceFailed(
                    f"importing the same {spec['datasetType']} files failed {MAX_ATTEMPTS} times; last reason: "
                    f"{existing.get('failureReason') or 'none given'}"
                )
    raise ResourceConflict(
        f"all {MAX_NAMES} import job names for these {spec['datasetType']} files ({base}, {base}-r2 ...) are "
        "taken; rename the dataset group to import them again"
    )


def _import_history(client: Any, jobs: list[dict[str, Any]], size: int) -> dict[str, int]:
    """Expected duration of importing ``size`` bytes into this dataset, from its latest finished import.

    An import's time grows with the bytes it reads, so the earlier duration is scaled by the ratio of the
    sizes; the size of an earlier job is the tag this pipeline gave it (without one: no estimate).
    """
    if size <= 0:
        return {}
    for job in reversed(jobs):  # ``jobs`` is oldest first: walk back to the newest finished import
        took = _took_seconds(job)
        if took is None:
            continue
        tags = client.list_tags_for_resource(resourceArn=job["datasetImportJobArn"]).get("tags", [])
        earlier = next((t["tagValue"] for t in tags if t["tagKey"] == SIZE_TAG), "")
        return _history([took], size / int(earlier)) if earlier.isdigit() and int(earlier) > 0 else {}
    return {}


# ----------------------------------------------------------------------------- solution
def ensure_solution(client: Any, arn_prefix: str, dataset_group_arn: str, spec: dict[str, Any]) -> PollRecord:
    name = spec["name"]
    arn = f"{arn_prefix}:solution/{name}"
    request = {**spec, "datasetGroupArn": dataset_group_arn}
    resource, action = _find_or_create(client, "solution", arn, lambda: client.create_solution(**request))
    if action == "reused":  # ours from an earlier run, or a concurrent run's: either way it must match
        # The name matches (the solution was found by it). With AutoML, params have no recipeArn, so the recipe
        # Personalize chose is not compared.
        wanted = {k: v for k, v in spec.items() if k != "tags"}
        wanted["datasetGroupArn"] = dataset_group_arn
        differences = _differences(wanted, resource)
        if differences:
            raise _conflict(
                "solution",
                name,
                differences,
                "A solution's configuration cannot change: choose a new solution name, or delete the old one.",
            )
    return _record("solution", arn, name, resource, action)


# ----------------------------------------------------------------------------- solution version
def ensure_solution_version(
    client: Any, solution_arn: str, spec: dict[str, Any], datasets: list[dict[str, Any]] | None = None
) -> PollRecord:
    """Train, unless a version of this solution already has this content-derived name.

    The name hashes the solution's configuration and the data fingerprints, so re-running the same upload
    reuses the version (no second training bill), going back to earlier data reuses the version trained on
    it, and new data trains a new one. A failed training is retried under ``<name>-r2``, ``-r3``...

    A scheduled run passes ``reuseIfLatestActive``: the names this data gives in every training mode. When the
    solution's latest ACTIVE version has one of them, the data did not change since it was trained (whatever
    its mode), so it is reused and nothing is trained. ``datasets`` are the run's Import Datasets results: when
    a train schedule's run left newer files of a folder unimported (``filesNotImported``), the names describe
    data the datasets do not hold, and the data trained on did not change: the latest ACTIVE version is reused.
    """
    spec = dict(spec)
    same_data = spec.pop("reuseIfLatestActive", None) or []
    base = spec["name"]
    if describe(client, "solution", solution_arn) is None:
        raise ResourceFailed(f"solution {solution_arn} does not exist any more")
    for _ in range(2):  # a second pass only after losing a create race
        summaries = _list_all(client, "list_solution_versions", "solutionVersions", solutionArn=solution_arn)
        summaries.sort(key=lambda v: v["creationDateTime"], reverse=True)
        latest = next((s for s in summaries if phase_of(s["status"]) is Phase.ACTIVE), None) if same_data else None
        version = describe(client, "solutionVersion", latest["solutionVersionArn"]) if latest else None
        unimported = any(
            ((d.get("importJob") or {}).get("details") or {}).get("filesNotImported") for d in datasets or []
        )
        if version and (unimported or any(_attempt_of(name, version["name"]) for name in same_data)):
            arn = version["solutionVersionArn"]
            return _record("solutionVersion", arn, version["name"], version, "reused", solutionArn=solution_arn)
        attempts: dict[int, dict[str, Any]] = {}
        mode = spec.get("trainingMode", "FULL")
        # Earlier trainings of this solution in the same mode, oldest first: how long this one should take.
        durations = [_took_seconds(s) for s in reversed(summaries) if s.get("trainingMode", "FULL") == mode]
        for summary in summaries:
            version = describe(client, "solutionVersion", summary["solutionVersionArn"])
            attempt = _attempt_of(base, version["name"]) if version else None
            if attempt is None:  # deleted since it was listed, or trained on other content
                continue
            if phase_of(version["status"]) is not Phase.FAILED:
                action = "reused" if phase_of(version["status"]) is Phase.ACTIVE else "resumed"
                arn = version["solutionVersionArn"]
                return _record("solutionVersion", arn, version["name"], version, action, solutionArn=solution_arn)
            attempts[attempt] = version
        attempt = max(attempts, default=0) + 1
        if attempt > MAX_ATTEMPTS:
            reason = attempts[MAX_ATTEMPTS].get("failureReason") or "none given"
            raise ResourceFailed(
                f"training failed {MAX_ATTEMPTS} times on the same data and configuration; last reason: {reason}"
            )
        name = _attempt_name(base, attempt)
        try:
            arn = client.create_solution_version(solutionArn=solution_arn, **{**spec, "name": name})[
                "solutionVersionArn"
            ]
        except ClientError as error:
            if error_code(error) != "ResourceAlreadyExistsException":
                raise
            continue  # a concurrent run started the same training: adopt it on the next pass
        resource = describe(client, "solutionVersion", arn) or {"status": "CREATE PENDING"}
        return _record(
            "solutionVersion", arn, name, resource, "created", solutionArn=solution_arn, **_history(durations)
        )
    raise ResourceConflict(f"solution version '{base}' is being created concurrently and cannot be read back")


def _attempt_of(base: str, name: str) -> int | None:
    """Which attempt of ``base`` the job or version ``name`` is, or None if it belongs to other content."""
    for attempt in range(1, MAX_NAMES + 1):
        if name == _attempt_name(base, attempt):
            return attempt
    return None


# ----------------------------------------------------------------------------- campaign
def ensure_campaign(client: Any, arn_prefix: str, solution_version_arn: str, spec: dict[str, Any]) -> PollRecord:
    """Create the campaign, or update it when the version, capacity or configuration changed.

    A campaign that is busy (being created or updated) cannot be updated yet: the record then carries
    ``pendingUpdate`` and the Check task calls this again once the campaign is ACTIVE.
    """
    name = spec["name"]
    arn = f"{arn_prefix}:campaign/{name}"
    request = {**spec, "solutionVersionArn": solution_version_arn}
    existing, action = _find_or_create(client, "campaign", arn, lambda: client.create_campaign(**request))
    if action == "created":
        return _record("campaign", arn, name, existing, action, solutionVersionArn=solution_version_arn)
    wanted: dict[str, Any] = {"solutionVersionArn": solution_version_arn}
    wanted["minProvisionedTPS"] = spec.get("minProvisionedTPS", 1)
    if "campaignConfig" in spec:
        wanted["campaignConfig"] = spec["campaignConfig"]
    current = {**existing, **_latest_campaign_settings(existing)}
    _refuse_other_solution(name, current.get("solutionVersionArn"), solution_version_arn)
    if not _differences(wanted, current):
        return _record("campaign", arn, name, existing, action, solutionVersionArn=solution_version_arn)
    status, _ = effective_status("campaign", existing)
    phase = phase_of(status)
    if phase is Phase.IN_PROGRESS:
        return new_record(
            "campaign", arn, name, status, "updated", solutionVersionArn=solution_version_arn, pendingUpdate=True
        )
    if phase is Phase.DELETING:
        _fail_if_unusable("campaign", name, existing)
    # The campaign's own history: how long its creation, or its latest update, took.
    latest = existing.get("latestCampaignUpdate") or existing
    client.update_campaign(campaignArn=arn, **wanted)
    resource = describe(client, "campaign", arn) or existing
    return _record(
        "campaign",
        arn,
        name,
        resource,
        "updated",
        solutionVersionArn=solution_version_arn,
        **_history([_took_seconds(latest)]),
    )


def _refuse_other_solution(name: str, current_version: str | None, wanted_version: str) -> None:
    """A campaign only moves between versions of one solution (Load Parameters checks it first; this is for races).

    Re-pointing it to another solution would silently change what it recommends (SIMS items for a
    user-personalization campaign), so it is a conflict naming both solutions.
    """
    if not current_version:
        return
    current, wanted = current_version.rsplit("/", 1)[0], wanted_version.rsplit("/", 1)[0]
    if current != wanted:
        raise ResourceConflict(
            f"campaign '{name}' serves a version of solution '{name_from_arn(current)}', but this run would deploy "
            f"solution '{name_from_arn(wanted)}' to it; a campaign may only move between versions of the same "
            "solution: use another campaign name"
        )


def _latest_campaign_settings(campaign: dict[str, Any]) -> dict[str, Any]:
    """After an update, the settings being served live in latestCampaignUpdate."""
    update = campaign.get("latestCampaignUpdate") or {}
    return {k: update[k] for k in ("solutionVersionArn", "minProvisionedTPS", "campaignConfig") if k in update}


def check_campaign(client: Any, arn_prefix: str, record: PollRecord, spec: dict[str, Any]) -> PollRecord:
    """Poll the campaign; apply a deferred update as soon as the campaign accepts one."""
    if not record.details.get("pendingUpdate"):
        return check(client, record)
    polled = check(client, record)
    if polled.status != "ACTIVE":
        return polled
    updated = ensure_campaign(client, arn_prefix, record.details["solutionVersionArn"], spec)
    updated.waitedSeconds = polled.waitedSeconds
    return updated
