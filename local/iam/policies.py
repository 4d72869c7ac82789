"""Policy evaluation: which statements apply to a request, and the allow/deny decision.

Matching an action and a resource against a statement (``Action``/``NotAction``/``Resource`` with ``*``
wildcards, ``Effect``) is moto's own ``IAMPolicyStatement`` (moto/iam/access_control.py), the engine moto
uses for its IAM authentication mode, maintained with the moto version the local cloud pins. What it does
not do is done here, small: principals of resource-based policies (moto checks only ``"*"``), and the
conditions (moto knows only StringEquals and lets a failed condition DENY even an Allow) through
``local.iam.conditions``. ``NotResource`` and ``NotPrincipal`` are refused rather than misread.

Decision logic (IAM "policy evaluation logic", one account): an explicit Deny in any applicable policy
wins; otherwise an Allow in the identity policies or in the resource policy (for this principal) allows;
otherwise the request is implicitly denied.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from moto.iam.access_control import IAMPolicyStatement, PermissionResult

from .conditions import condition_holds


class UnsupportedPolicy(ValueError):
    """A policy uses an element the local cloud does not evaluate."""


@dataclass(frozen=True)
class Caller:
    """Who makes a request: the assumed-role session (``arn``) of ``role_arn``, or a service acting with it.

    ``service`` is set when an AWS service (``personalize.amazonaws.com``) acts with a role passed to it:
    resource policies then see the service principal.
    """

    arn: str
    role_arn: str
    service: str | None = None

    @property
    def account(self) -> str:
        return self.role_arn.split(":")[4]

    @staticmethod
    def for_role(role_arn: str, session_name: str, service: str | None = None) -> Caller:
        """``arn:aws:iam::<acct>:role/<path/>name`` -> ``arn:aws:sts::<acct>:assumed-role/<name>/<session>``."""
        partition, account = role_arn.split(":")[1], role_arn.split(":")[4]
        name = role_arn.rsplit("/", 1)[-1]
        return Caller(f"arn:{partition}:sts::{account}:assumed-role/{name}/{session_name}", role_arn, service)


def statements_of(document: str | Mapping[str, Any]) -> list[dict[str, Any]]:
    parsed = json.loads(document) if isinstance(document, str) else document
    found = parsed.get("Statement", [])
    return list(found) if isinstance(found, list) else [found]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def principal_matches(statement: Mapping[str, Any], caller: Caller) -> bool:
    """Whether a resource-policy statement's ``Principal`` names ``caller``."""
    if "NotPrincipal" in statement:
        raise UnsupportedPolicy("NotPrincipal is not evaluated by the local cloud")
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    if caller.service is not None:
        return caller.service in _as_list(principal.get("Service", []))
    aws = [str(p) for p in _as_list(principal.get("AWS", []))]
    root = f"arn:aws:iam::{caller.account}:root"
    return any(p in ("*", caller.account, root, caller.role_arn, caller.arn) for p in aws)


def statement_effect(
    statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, Any]
) -> str | None:
    """``"Allow"``/``"Deny"`` when the statement applies to (action, resource, context), else None."""
    if "NotResource" in statement:
        raise UnsupportedPolicy("NotResource is not evaluated by the local cloud")
    core = {k: v for k, v in statement.items() if k not in ("Condition", "Principal", "Sid")}
    result = IAMPolicyStatement(core).is_action_permitted(action, resource)
    if result is PermissionResult.NEUTRAL:
        return None
    if not condition_holds(statement.get("Condition", {}), context):
        return None
    return "Allow" if result is PermissionResult.PERMITTED else "Deny"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    #: "identity" or "resource" (where the Allow came from), or for a denial "implicit",
    #: "identity-deny" or "resource-deny".
    basis: str


def decide(
    identity: Iterable[Mapping[str, Any]],
    resource_policy: Iterable[Mapping[str, Any]],
    caller: Caller,
    action: str,
    resource: str,
    context: Mapping[str, Any],
) -> Decision:
    """The IAM decision for one action on one resource."""
    identity_effects = {statement_effect(s, action, resource, context) for s in identity}
    resource_effects = {
        statement_effect(s, action, resource, context) for s in resource_policy if principal_matches(s, caller)
    }
    if "Deny" in identity_effects:
        return Decision(False, "identity-deny")
    if "Deny" in resource_effects:
        return Decision(False, "resource-deny")
    if "Allow" in identity_effects:
        return Decision(True, "identity")
    if "Allow" in resource_effects:
        return Decision(True, "resource")
    return Decision(False, "implicit")


def denial_message(caller: Caller, action: str, resource: str, basis: str) -> str:
    """AWS's AccessDenied text (personalize-facts / iam-reference: caller, action, resource, why)."""
    head = f"User: {caller.arn} is not authorized to perform: {action} on resource: {resource}"
    if basis == "identity-deny":
        return f"{head} with an explicit deny in an identity-based policy"
    if basis == "resource-deny":
        return f"{head} with an explicit deny in a resource-based policy"
    return f"{head} because no identity-based policy allows the {action} action"
