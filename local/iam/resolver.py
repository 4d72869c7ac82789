"""What a request must be authorized for: (IAM action, concrete resource ARN, condition context) triples.

Personalize follows ``personalize_actions.json`` (the Service Authorization Reference: every required
resource type, parents included, and the dependent actions); the ARN of each required resource comes
from the request: the ``<type>Arn`` parameter (``solutionVersionArn`` for type ``solution``: a version
ARN ``solution/<name>/<id>`` is of that type), or, for the resource a Create makes, the ARN it will have.

The other services list the operations the handlers and the state machine use, with the IAM action and
resource each needs (the S3, Lambda, SNS and Step Functions Service Authorization Reference pages). An
operation not listed raises ``UnresolvedRequest``: the local cloud must learn it rather than wave it on.

EventBridge Scheduler (its Service Authorization Reference page): Create/Get/Update/DeleteSchedule need the
``schedule`` resource ``arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>`` (the group defaults to
``default``); ListSchedules has no resource type (``*``); CreateSchedule and UpdateSchedule also need
``iam:PassRole`` of the target's RoleArn with ``iam:PassedToService`` = ``scheduler.amazonaws.com``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("personalize_actions.json")
PERSONALIZE_PRINCIPAL = "personalize.amazonaws.com"
SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"


class UnresolvedRequest(LookupError):
    """The local cloud does not know which IAM action and resources an operation needs."""


@dataclass(frozen=True)
class Check:
    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)


@cache
def personalize_table() -> dict[str, Any]:
    return json.loads(TABLE.read_text())


def _camel(operation: str) -> str:
    return operation[:1].lower() + operation[1:]


def _resource_id(arn: str) -> str:
    return arn.split(":", 5)[5].split("/", 1)[1]


def _created_id(own_type: str, params: Mapping[str, Any]) -> str:
    if own_type == "dataset":  # dataset/<dataset group name>/<DATASET_TYPE>
        return f"{_resource_id(params['datasetGroupArn'])}/{str(params['datasetType']).upper()}"
    return str(params.get("name") or params.get("jobName"))


#: ARN -> the tags of that resource now, or None when it does not exist (the emulator's, in the local cloud).
TagReader = Callable[[str], Mapping[str, str] | None]


def _resource_context(arn: str, tags_of: TagReader | None) -> dict[str, Any]:
    """``aws:ResourceTag/<key>`` of the resource a check names: IAM reads the target's tags at request time."""
    tags = tags_of(arn) if tags_of and arn != "*" else None
    return {f"aws:ResourceTag/{key}": value for key, value in (tags or {}).items()}


def personalize_checks(
    operation: str, params: Mapping[str, Any], region: str, account: str, tags_of: TagReader | None = None
) -> list[Check]:
    table = personalize_table()
    entry = table["actions"].get(operation)
    if entry is None:
        raise UnresolvedRequest(f"personalize:{operation} is not in {TABLE.name}")
    action = f"personalize:{operation}"
    created = _camel(operation.removeprefix("Create")) if operation.startswith("Create") else None

    def arn_of(resource_type: str) -> str:
        if resource_type == created:
            template = table["resourceTypes"][resource_type]
            return (
                template.replace("${Partition}", "aws")
                .replace("${Region}", region)
                .replace("${Account}", account)
                .replace("${ResourceId}", _created_id(resource_type, params))
            )
        names = [f"{resource_type}Arn"] + (["solutionVersionArn"] if resource_type == "solution" else [])
        for name in names:
            if params.get(name):
                return str(params[name])
        raise UnresolvedRequest(f"{action}: no parameter names its {resource_type} ({' or '.join(names)})")

    tags = params.get("tags") or []
    context: dict[str, Any] = {}
    if tags:
        context["aws:TagKeys"] = [t["tagKey"] for t in tags]
        context.update({f"aws:RequestTag/{t['tagKey']}": t["tagValue"] for t in tags})
    if entry["required"]:
        checks = []
        for resource_type in entry["required"]:
            arn = arn_of(resource_type)
            # The resource a Create makes has no tags yet; every other one is read at request time.
            existing = {} if resource_type == created else _resource_context(arn, tags_of)
            checks.append(Check(action, arn, {**context, **existing}))
    elif entry.get("anyOf"):
        arn = str(params["resourceArn"])
        checks = [Check(action, arn, {**context, **_resource_context(arn, tags_of)})]
    else:
        checks = [Check(action, "*", context)]
    tagged = created if created in entry["required"] else entry.get("taggedAs")
    if tags and tagged:
        checks.append(Check("personalize:TagResource", arn_of(tagged), context))
    for dependent in entry.get("dependent", []):
        if dependent == "iam:PassRole" and params.get("roleArn"):
            checks.append(Check("iam:PassRole", str(params["roleArn"]), {"iam:PassedToService": PERSONALIZE_PRINCIPAL}))
    return checks


# -- the other services: operation -> (action, resource) ------------------------------------------------


def _bucket(p: Mapping[str, Any]) -> str:
    return f"arn:aws:s3:::{p['Bucket']}"


def _object(p: Mapping[str, Any]) -> str:
    return f"arn:aws:s3:::{p['Bucket']}/{p['Key']}"


def _function(region: str, account: str, p: Mapping[str, Any]) -> str:
    name = str(p["FunctionName"])
    if name.startswith("arn:"):
        return name
    if ":" in name:  # account:function:name or name:qualifier forms
        return f"arn:aws:lambda:{region}:{account}:function:{name.split('function:')[-1]}"
    qualifier = f":{p['Qualifier']}" if p.get("Qualifier") else ""
    return f"arn:aws:lambda:{region}:{account}:function:{name}{qualifier}"


def _schedule(region: str, account: str, p: Mapping[str, Any]) -> str:
    return f"arn:aws:scheduler:{region}:{account}:schedule/{p.get('GroupName') or 'default'}/{p['Name']}"


#: Scheduler operation -> whether it passes the target's role (Create/Update); ListSchedules is on ``*``.
SCHEDULER_OPERATIONS = {
    "CreateSchedule": True,
    "UpdateSchedule": True,
    "GetSchedule": False,
    "DeleteSchedule": False,
    "ListSchedules": False,
}


def scheduler_checks(operation: str, params: Mapping[str, Any], region: str, account: str) -> list[Check]:
    if operation not in SCHEDULER_OPERATIONS:
        raise UnresolvedRequest(f"the local cloud does not know what scheduler:{operation} must be authorized for")
    action = f"scheduler:{operation}"
    if operation == "ListSchedules":
        return [Check(action, "*")]
    checks = [Check(action, _schedule(region, account, params))]
    role = (params.get("Target") or {}).get("RoleArn")
    if SCHEDULER_OPERATIONS[operation] and role:
        checks.append(Check("iam:PassRole", str(role), {"iam:PassedToService": SCHEDULER_PRINCIPAL}))
    return checks


Resolver = Callable[[str, str, Mapping[str, Any]], tuple[str, str]]

#: (service signing name, operation) -> (region, account, params) -> (IAM action, resource ARN)
OTHER_SERVICES: dict[tuple[str, str], Resolver] = {
    ("s3", "ListObjectsV2"): lambda r, a, p: ("s3:ListBucket", _bucket(p)),
    ("s3", "ListObjects"): lambda r, a, p: ("s3:ListBucket", _bucket(p)),
    ("s3", "HeadBucket"): lambda r, a, p: ("s3:ListBucket", _bucket(p)),
    ("s3", "GetObject"): lambda r, a, p: ("s3:GetObjectVersion" if p.get("VersionId") else "s3:GetObject", _object(p)),
    ("s3", "HeadObject"): lambda r, a, p: ("s3:GetObjectVersion" if p.get("VersionId") else "s3:GetObject", _object(p)),
    ("s3", "PutObject"): lambda r, a, p: ("s3:PutObject", _object(p)),
    ("s3", "DeleteObject"): lambda r, a, p: ("s3:DeleteObject", _object(p)),
    ("s3", "GetBucketPolicy"): lambda r, a, p: ("s3:GetBucketPolicy", _bucket(p)),
    ("lambda", "Invoke"): lambda r, a, p: ("lambda:InvokeFunction", _function(r, a, p)),
    ("sns", "Publish"): lambda r, a, p: ("sns:Publish", str(p.get("TopicArn") or p.get("TargetArn"))),
    ("states", "GetExecutionHistory"): lambda r, a, p: ("states:GetExecutionHistory", str(p["executionArn"])),
    ("states", "DescribeExecution"): lambda r, a, p: ("states:DescribeExecution", str(p["executionArn"])),
    ("states", "StartExecution"): lambda r, a, p: ("states:StartExecution", str(p["stateMachineArn"])),
    ("states", "ListExecutions"): lambda r, a, p: ("states:ListExecutions", str(p["stateMachineArn"])),
}


def checks_for(
    prefix: str,
    operation: str,
    params: Mapping[str, Any],
    region: str,
    account: str,
    tags_of: TagReader | None = None,
) -> list[Check]:
    """Every (action, resource, context) the request needs; ``prefix`` is the IAM service prefix.

    ``tags_of`` reads a Personalize resource's current tags, for ``aws:ResourceTag`` conditions.
    """
    if prefix == "personalize":
        return personalize_checks(operation, params, region, account, tags_of)
    if prefix == "scheduler":
        return scheduler_checks(operation, params, region, account)
    resolver = OTHER_SERVICES.get((prefix, operation))
    if resolver is None:
        raise UnresolvedRequest(f"the local cloud does not know what {prefix}:{operation} must be authorized for")
    action, resource = resolver(region, account, params)
    # s3:prefix is the condition key a ListBucket grant can be narrowed with (a folder of the bucket).
    context = {"s3:prefix": params["Prefix"]} if prefix == "s3" and "Prefix" in params else {}
    return [Check(action, resource, context)]
