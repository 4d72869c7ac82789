"""Idempotent ensure_* helpers: find the resource, reuse it if it matches, create it if absent.

Every function takes the boto3 client as an argument (tests pass a Stubber-backed one) and returns a
``PollRecord``. Resources are found by their predictable ARN, so no List permission is needed.
Re-running the same upload converges: nothing is created twice, an "already exists" race is resolved
by reading what won, and a difference that cannot be updated fails with a message naming both values.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from .errors import ResourceConflict, ResourceFailed, ResourceTimeout
from .polling import KIND_LABELS, POLICIES, PollRecord, new_record
from .resources import describe, effective_status, error_code, name_from_arn
from .status import Phase, phase_of

#: How many times a job (import, training) that failed on the same content is tried again under a
#: new name before the pipeline gives up and asks for a human.
MAX_ATTEMPTS = 9


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


def _differences(wanted: dict[str, Any], actual: dict[str, Any], prefix: str = "") -> list[str]:
    """Fields the params set whose value differs from the existing resource (service defaults ignored)."""
    found = []
    for key, value in wanted.items():
        current = actual.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            found += _differences(value, current, f"{prefix}{key}.")
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
        waitSeconds=policy.wait_seconds,
        waitedSeconds=waited,
        details=record.details,
    )


def _attempt_name(base: str, attempt: int) -> str:
    if attempt == 1:
        return base
    suffix = f"-r{attempt}"
    return base[: 63 - len(suffix)] + suffix


# ----------------------------------------------------------------------------- dataset group
def ensure_dataset_group(client: Any, arn_prefix: str, spec: dict[str, Any]) -> PollRecord:
    name = spec["name"]
    arn = f"{arn_prefix}:dataset-group/{name}"
    existing = describe(client, "datasetGroup", arn)
    if existing is None:
        resource, action = _create_or_adopt(
            lambda: client.create_dataset_group(**spec), lambda: describe(client, "datasetGroup", arn)
        )
    else:
        resource, action = existing, "reused"
    immutable = {k: spec[k] for k in ("domain", "kmsKeyArn", "roleArn") if k in spec}
    differences = _differences(immutable, resource)
    if "domain" not in spec and resource.get("domain"):
        differences.append(f"domain is {json.dumps(resource['domain'])}; params ask for a custom dataset group")
    if differences:
        raise _conflict(
            "datasetGroup", name, differences, "Choose another dataset group name, or delete the existing one."
        )
    return _record("datasetGroup", resource.get("datasetGroupArn", arn), name, resource, action)


# ----------------------------------------------------------------------------- schema and dataset
def ensure_schema(client: Any, arn_prefix: str, spec: dict[str, Any]) -> tuple[str, str]:
    """Schemas are synchronous and immutable: returns (schemaArn, action)."""
    name = spec["name"]
    arn = f"{arn_prefix}:schema/{name}"
    existing = describe(client, "schema", arn)
    if existing is None:
        existing, action = _create_or_adopt(
            lambda: client.create_schema(**spec), lambda: describe(client, "schema", arn)
        )
    else:
        action = "reused"
    if json.loads(existing["schema"]) != json.loads(spec["schema"]) or existing.get("domain") != spec.get("domain"):
        raise _conflict(
            "schema",
            name,
            ["its fields differ from the schema in params.json"],
            "Schemas cannot change: remove schemaName so the pipeline derives a fresh name, or choose a new one.",
        )
    return existing.get("schemaArn", arn), action


def ensure_dataset(client: Any, arn_prefix: str, dataset_group_arn: str, spec: dict[str, Any]) -> PollRecord:
    """Schema first, then the dataset; an existing dataset whose schema changed is switched to the new one."""
    schema_arn, schema_action = ensure_schema(client, arn_prefix, spec["schema"])
    dataset_type = spec["datasetType"]
    group_name = name_from_arn(dataset_group_arn)
    arn = f"{arn_prefix}:dataset/{group_name}/{dataset_type}"
    wanted = spec["dataset"]
    existing = describe(client, "dataset", arn)
    details = {"schemaArn": schema_arn, "schemaName": spec["schema"]["name"], "schemaAction": schema_action}
    if existing is None:
        request = {**wanted, "schemaArn": schema_arn, "datasetGroupArn": dataset_group_arn}
        resource, action = _create_or_adopt(
            lambda: client.create_dataset(**request), lambda: describe(client, "dataset", arn)
        )
        return _record("dataset", arn, wanted["name"], resource, action, **details)
    if existing.get("name") != wanted["name"]:
        raise _conflict(
            "dataset",
            wanted["name"],
            [f"dataset group '{group_name}' already has a {dataset_type} dataset named '{existing.get('name')}'"],
            "A dataset group holds one dataset per type: use that name in params.json.",
        )
    if existing.get("schemaArn") != schema_arn:
        status, phase = _fail_if_unusable("dataset", wanted["name"], existing)
        if phase is not Phase.ACTIVE:
            raise ResourceConflict(
                f"dataset '{wanted['name']}' is {status}; its schema can only be replaced once it is ACTIVE. "
                "Upload the parameters again when it is."
            )
        client.update_dataset(datasetArn=arn, schemaArn=schema_arn)
        resource = describe(client, "dataset", arn) or existing
        return _record("dataset", arn, wanted["name"], resource, "updated", **details)
    return _record("dataset", arn, wanted["name"], existing, "reused", **details)


# ----------------------------------------------------------------------------- import
def ensure_import(client: Any, arn_prefix: str, dataset_arn: str, role_arn: str, spec: dict[str, Any]) -> PollRecord:
    """Import the folder; a job with the same content-derived name is reused instead of repeated.

    The job name carries a fingerprint of the CSV objects, so the same data is never imported twice.
    If an earlier job for the same data failed (say the role could not read the bucket), the next run
    tries again under ``<name>-r2``, ``-r3``... so fixing the cause and re-uploading is enough.
    """
    job = spec["datasetImportJob"]
    base = job["jobName"]
    for attempt in range(1, MAX_ATTEMPTS + 1):
        name = _attempt_name(base, attempt)
        arn = f"{arn_prefix}:dataset-import-job/{name}"
        existing = describe(client, "datasetImportJob", arn)
        if existing is None:
            request = {**job, "jobName": name, "datasetArn": dataset_arn, "roleArn": role_arn}
            resource, action = _create_or_adopt(
                lambda request=request: client.create_dataset_import_job(**request),
                lambda arn=arn: describe(client, "datasetImportJob", arn),
            )
            return _record("datasetImportJob", arn, name, resource, action, datasetArn=dataset_arn)
        if existing.get("datasetArn") != dataset_arn:
            raise _conflict(
                "datasetImportJob",
                name,
                [f"it imported into {existing.get('datasetArn')}, not {dataset_arn}"],
                "Import job names are account-wide: rename the dataset group or the dataset.",
            )
        if phase_of(existing.get("status", "")) is not Phase.FAILED:
            action = "reused" if phase_of(existing["status"]) is Phase.ACTIVE else "resumed"
            return _record("datasetImportJob", arn, name, existing, action, datasetArn=dataset_arn)
    raise ResourceFailed(
        f"the import of {spec['datasetType']} data failed {MAX_ATTEMPTS} times for the same files "
        f"(jobs {base} to {_attempt_name(base, MAX_ATTEMPTS)}); read their failureReason in the console"
    )


# ----------------------------------------------------------------------------- solution
def ensure_solution(client: Any, arn_prefix: str, dataset_group_arn: str, spec: dict[str, Any]) -> PollRecord:
    name = spec["name"]
    arn = f"{arn_prefix}:solution/{name}"
    existing = describe(client, "solution", arn)
    if existing is None:
        request = {**spec, "datasetGroupArn": dataset_group_arn}
        resource, action = _create_or_adopt(
            lambda: client.create_solution(**request), lambda: describe(client, "solution", arn)
        )
        return _record("solution", arn, name, resource, action)
    wanted = {k: v for k, v in spec.items() if k not in ("name", "tags")}
    wanted["datasetGroupArn"] = dataset_group_arn
    if wanted.get("performAutoML"):
        wanted.pop("recipeArn", None)  # AutoML picks the recipe; Personalize reports the one it chose
    differences = _differences(wanted, existing)
    if differences:
        raise _conflict(
            "solution",
            name,
            differences,
            "A solution's configuration cannot change: choose a new solution name, or delete the old one.",
        )
    return _record("solution", arn, name, existing, "reused")


# ----------------------------------------------------------------------------- solution version
def ensure_solution_version(client: Any, solution_arn: str, spec: dict[str, Any]) -> PollRecord:
    """Train, unless the solution's latest version already has this content-derived name.

    The name hashes the solution's configuration and the data fingerprints, so re-running the same
    upload reuses the version (no second training bill) while new data trains a new one.
    """
    base = spec["name"]
    solution = describe(client, "solution", solution_arn)
    if solution is None:
        raise ResourceFailed(f"solution {solution_arn} does not exist any more")
    attempt = 1
    latest_arn = (solution.get("latestSolutionVersion") or {}).get("solutionVersionArn")
    latest = describe(client, "solutionVersion", latest_arn) if latest_arn else None
    previous = _attempt_of(base, latest.get("name", "")) if latest else None
    if latest and previous is not None:
        if phase_of(latest.get("status", "")) is not Phase.FAILED:
            action = "reused" if phase_of(latest["status"]) is Phase.ACTIVE else "resumed"
            return _record("solutionVersion", latest_arn, latest["name"], latest, action, solutionArn=solution_arn)
        attempt = previous + 1
        if attempt > MAX_ATTEMPTS:
            raise ResourceFailed(
                f"training failed {MAX_ATTEMPTS} times on the same data and configuration; last reason: "
                f"{latest.get('failureReason') or 'none given'}"
            )
    name = _attempt_name(base, attempt)
    arn = client.create_solution_version(solutionArn=solution_arn, **{**spec, "name": name})["solutionVersionArn"]
    resource = describe(client, "solutionVersion", arn) or {"status": "CREATE PENDING"}
    return _record("solutionVersion", arn, name, resource, "created", solutionArn=solution_arn)


def _attempt_of(base: str, name: str) -> int | None:
    """Which attempt of ``base`` the version ``name`` is, or None if it belongs to other data."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
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
    existing = describe(client, "campaign", arn)
    if existing is None:
        request = {**spec, "solutionVersionArn": solution_version_arn}
        resource, action = _create_or_adopt(
            lambda: client.create_campaign(**request), lambda: describe(client, "campaign", arn)
        )
        return _record("campaign", arn, name, resource, action, solutionVersionArn=solution_version_arn)
    wanted: dict[str, Any] = {"solutionVersionArn": solution_version_arn}
    wanted["minProvisionedTPS"] = spec.get("minProvisionedTPS", 1)
    if "campaignConfig" in spec:
        wanted["campaignConfig"] = spec["campaignConfig"]
    current = {**existing, **_latest_campaign_settings(existing)}
    if not _differences(wanted, current):
        return _record("campaign", arn, name, existing, "reused", solutionVersionArn=solution_version_arn)
    status, _ = effective_status("campaign", existing)
    phase = phase_of(status)
    if phase is Phase.IN_PROGRESS:
        return new_record(
            "campaign", arn, name, status, "updated", solutionVersionArn=solution_version_arn, pendingUpdate=True
        )
    if phase is Phase.DELETING:
        _fail_if_unusable("campaign", name, existing)
    client.update_campaign(campaignArn=arn, **wanted)
    resource = describe(client, "campaign", arn) or existing
    return _record("campaign", arn, name, resource, "updated", solutionVersionArn=solution_version_arn)


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
