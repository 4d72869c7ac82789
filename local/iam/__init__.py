"""IAM enforced in the local cloud: every AWS call a function or the state machine makes runs as its role.

Who calls: a thread-local ``Caller``. ``LambdaRuntime`` sets the function's role (as deployed from the
template) while its handler runs; the state machine's execution thread carries the state machine's role
(``local.patches`` sets it when an execution starts, and every thread inherits its starter's caller).
Threads with no caller (the test harness, the CLI deploying and uploading) act as an administrator and are
not checked; moto's own request handling runs without a caller, as the AWS service it plays.

Where: two botocore events, registered for every client created while the local cloud is open
(``before-parameter-build`` keeps the API parameters; ``before-call`` authorizes and, on denial, answers
with the service's AccessDenied error instead of sending the request, so the caller gets a real
``botocore.exceptions.ClientError``). ``local.patches`` makes moto refuse any request from a thread with a
caller that did not pass here, so no client can slip by.

What: ``resolver.checks_for`` lists every (action, resource, context) the request needs (Personalize: every
required resource type of ``personalize_actions.json``, parents included, plus ``iam:PassRole`` with
``iam:PassedToService``); ``policies.decide`` evaluates the role's inline and attached managed policies
(from moto's IAM, as the CloudFormation deploy left them) and, for S3, the bucket policy. Each decision is
recorded in ``ledger()``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .conditions import UnsupportedCondition
from .policies import Caller, Decision, UnsupportedPolicy, decide, denial_message, statements_of
from .resolver import PERSONALIZE_PRINCIPAL, Check, UnresolvedRequest, checks_for

__all__ = [
    "PERSONALIZE_PRINCIPAL",
    "AccessDenied",
    "Caller",
    "Check",
    "Ledger",
    "UnresolvedRequest",
    "UnsupportedCondition",
    "UnsupportedPolicy",
    "acting_as",
    "authorize",
    "current_caller",
    "install",
    "ledger",
    "personalize_may_read",
    "personalize_may_write",
    "uninstall",
]

#: Header the before-call hook puts on every request it authorized; moto's dispatch looks for it.
CHECKED_HEADER = "x-local-iam"

#: The error each service answers a denied request with: (code, HTTP status).
_ERRORS = {
    "s3": ("AccessDenied", 403),
    "sns": ("AuthorizationError", 403),
    "lambda": ("AccessDeniedException", 403),
    "scheduler": ("AccessDeniedException", 403),
}
_DEFAULT_ERROR = ("AccessDeniedException", 400)


class AccessDenied(Exception):
    def __init__(self, caller: Caller, check: Check, decision: Decision) -> None:
        super().__init__(denial_message(caller, check.action, check.resource, decision.basis))
        self.caller, self.check, self.decision = caller, check, decision


@dataclass(frozen=True)
class Entry:
    caller: str
    role_arn: str
    action: str
    resource: str
    allowed: bool
    #: The request context the decision was taken with (condition keys).
    context: tuple[tuple[str, Any], ...] = ()


@dataclass
class Ledger:
    """Every decision taken while the local cloud was open, in order."""

    entries: list[Entry] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, caller: Caller, check: Check, allowed: bool, context: Mapping[str, Any] | None = None) -> None:
        frozen = tuple(sorted({**(context or {}), **check.context}.items()))
        with self._lock:
            self.entries.append(Entry(caller.arn, caller.role_arn, check.action, check.resource, allowed, frozen))

    @property
    def authorized(self) -> list[Entry]:
        return [e for e in self.entries if e.allowed]

    @property
    def denied(self) -> list[Entry]:
        return [e for e in self.entries if not e.allowed]


_local = threading.local()
_ledger = Ledger()
_installed = False


def current_caller() -> Caller | None:
    return getattr(_local, "caller", None)


@contextmanager
def acting_as(caller: Caller | None) -> Iterator[None]:
    """Run the block as ``caller`` (None: unchecked, as the harness or an AWS service itself)."""
    previous, _local.caller = current_caller(), caller
    try:
        yield
    finally:
        _local.caller = previous


def adopt(caller: Caller | None) -> None:
    """First thing on a new thread: act as the thread that started it."""
    _local.caller = caller


def ledger() -> Ledger:
    return _ledger


# -- policies as deployed ---------------------------------------------------------------------------


def _iam_backend(account: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account]["aws"]


def _role(role_arn: str) -> Any:
    return _iam_backend(role_arn.split(":")[4]).get_role(role_arn.rsplit("/", 1)[-1])


def identity_statements(role_arn: str) -> list[dict[str, Any]]:
    """The role's inline policies and the default version of each attached managed policy."""
    role = _role(role_arn)
    found: list[dict[str, Any]] = []
    for document in role.policies.values():
        found += statements_of(document)
    for policy in role.managed_policies.values():
        default = next(v for v in policy.versions if v.is_default)
        found += statements_of(default.document)
    return found


def trust_statements(role_arn: str) -> list[dict[str, Any]]:
    return statements_of(_role(role_arn).assume_role_policy_document)


def bucket_policy_statements(account: str, bucket: str) -> list[dict[str, Any]]:
    from moto.s3.models import s3_backends

    try:
        policy = s3_backends[account]["aws"].get_bucket(bucket).policy
    except Exception:  # noqa: BLE001 - no such bucket: the request itself will fail as S3 does
        return []
    return statements_of(policy.decode() if isinstance(policy, bytes) else policy) if policy else []


def topic_policy_statements(topic_arn: str) -> list[dict[str, Any]]:
    """The topic's policy, when the stack set one (AWS::SNS::TopicPolicy); moto's default policy (whose
    AWS:SourceOwner conditions only ever allow) is left out, as it grants nothing an identity needs."""
    from moto.sns.models import sns_backends

    _, _, _, region, account, _ = topic_arn.split(":", 5)
    try:
        topic = sns_backends[account][region].get_topic(topic_arn)
    except Exception:  # noqa: BLE001 - no such topic: the request itself will fail as SNS does
        return []
    default = topic._create_default_topic_policy(region, account, topic.name)
    return [] if topic.policy == default else statements_of(topic.policy)


def _resource_policy(check: Check, account: str) -> list[dict[str, Any]]:
    if check.action.startswith("s3:") and check.resource.startswith("arn:aws:s3:::"):
        return bucket_policy_statements(account, check.resource.removeprefix("arn:aws:s3:::").split("/", 1)[0])
    if check.action.startswith("sns:") and check.resource.startswith("arn:aws:sns:"):
        return topic_policy_statements(check.resource)
    return []


def request_context(caller: Caller, region: str, secure: bool) -> dict[str, Any]:
    """The global condition keys every request carries."""
    context: dict[str, Any] = {
        "aws:SecureTransport": "true" if secure else "false",
        "aws:PrincipalAccount": caller.account,
        "aws:RequestedRegion": region,
    }
    if caller.service is None:
        context["aws:PrincipalArn"] = caller.role_arn
    return context


def authorize(caller: Caller, checks: Iterable[Check], base_context: Mapping[str, Any]) -> None:
    """Raise AccessDenied at the first check the caller's policies do not allow; record every decision."""
    identity = identity_statements(caller.role_arn)
    for check in checks:
        context = {**base_context, **check.context}
        decision = decide(
            identity, _resource_policy(check, caller.account), caller, check.action, check.resource, context
        )
        _ledger.add(caller, check, decision.allowed, context)
        if not decision.allowed:
            raise AccessDenied(caller, check, decision)


def personalize_may_read(role_arn: str | None, bucket: str, keys: Iterable[str], source_arn: str) -> bool:
    """Whether Personalize, importing for ``source_arn``, may list ``bucket`` and get each of ``keys``.

    As the Personalize docs require: the bucket policy must allow the reads to the service principal and,
    when a role is passed, the role must trust personalize.amazonaws.com (the trust policy's conditions
    evaluated) and its policies must allow the reads too. An explicit Deny anywhere (the TLS-only
    statement) refuses them. Every read is recorded in the ledger as the role's (or the service's).
    """
    checks = [Check("s3:ListBucket", f"arn:aws:s3:::{bucket}")]
    checks += [Check("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}") for key in keys]
    return _personalize_may(role_arn, bucket, checks, source_arn)


def personalize_may_write(role_arn: str | None, bucket: str, keys: Iterable[str], source_arn: str) -> bool:
    """Whether Personalize, running the batch job ``source_arn``, may put each of ``keys`` into ``bucket``:
    the same rules as ``personalize_may_read`` (bucket policy for the service principal, and the passed
    role's trust and policies) for s3:PutObject."""
    checks = [Check("s3:PutObject", f"arn:aws:s3:::{bucket}/{key}") for key in keys]
    return _personalize_may(role_arn, bucket, checks, source_arn)


def _personalize_may(role_arn: str | None, bucket: str, checks: list[Check], source_arn: str) -> bool:
    account = source_arn.split(":")[4]
    context = {
        "aws:SourceAccount": account,
        "aws:SourceArn": source_arn,
        "aws:SecureTransport": "true",
        "aws:PrincipalServiceName": PERSONALIZE_PRINCIPAL,
    }
    service = Caller(PERSONALIZE_PRINCIPAL, role_arn or f"arn:aws:iam::{account}:root", PERSONALIZE_PRINCIPAL)
    identity: list[dict[str, Any]] = []
    if role_arn:
        try:
            trust = trust_statements(role_arn)
        except Exception:  # noqa: BLE001 - no such role
            return False
        if not decide([], trust, service, "sts:AssumeRole", role_arn, context).allowed:
            return False
        identity = identity_statements(role_arn)
    bucket_policy = bucket_policy_statements(account, bucket)
    session = Caller.for_role(role_arn, "personalize") if role_arn else service
    for check in checks:
        by_service = decide([], bucket_policy, service, check.action, check.resource, context)
        allowed = by_service.allowed
        if role_arn:
            by_role = decide(identity, bucket_policy, session, check.action, check.resource, context)
            allowed = allowed and by_role.allowed and by_role.basis == "identity"
        _ledger.add(session, check, allowed, context)
        if not allowed:
            return False
    return True


# -- the botocore hooks -----------------------------------------------------------------------------


def _keep_params(params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["local_iam_params"] = dict(params)


def _check_request(model: Any, params: dict[str, Any], context: Mapping[str, Any], **_: Any) -> Any:
    caller = current_caller()
    if caller is None:
        return None
    region = context.get("client_region") or "us-east-1"
    prefix = model.service_model.signing_name
    api_params = context.get("local_iam_params", {})
    checks = checks_for(prefix, model.name, api_params, region, caller.account, _tag_reader(caller.account, region))
    secure = str(params.get("url", "https:")).startswith("https:")
    try:
        authorize(caller, checks, request_context(caller, region, secure))
    except AccessDenied as denied:
        return _error_response(prefix, str(denied), params.get("url", ""))
    params.setdefault("headers", {})[CHECKED_HEADER] = "checked"
    return None


def _tag_reader(account: str, region: str) -> Callable[[str], Mapping[str, str] | None]:
    """Reads a resource's tags from the installed Personalize emulator (none installed: no tags)."""
    from local.personalize import installed

    def tags_of(arn: str) -> Mapping[str, str] | None:
        emulator = installed()
        return emulator.resource_tags(account, region, arn) if emulator else None

    return tags_of


def _error_response(prefix: str, message: str, url: str) -> tuple[Any, dict[str, Any]]:
    from botocore.awsrequest import AWSResponse
    from moto.moto_api._internal import mock_random

    code, status = _ERRORS.get(prefix, _DEFAULT_ERROR)
    http = AWSResponse(url, status, {}, None)
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"RequestId": str(mock_random.uuid4()), "HTTPStatusCode": status, "HTTPHeaders": {}},
    }
    return http, parsed


_HOOKS = (("before-parameter-build", _keep_params), ("before-call", _check_request))


def install() -> Ledger:
    """Register the hooks for every client created from now on; a fresh ledger."""
    global _ledger, _installed
    import boto3
    from botocore.handlers import BUILTIN_HANDLERS

    _ledger = Ledger()
    if not _installed:
        BUILTIN_HANDLERS.extend(_HOOKS)
        _installed = True
    boto3.DEFAULT_SESSION = None  # the next boto3.client() builds a session with the hooks
    return _ledger


def uninstall() -> None:
    global _installed
    from botocore.handlers import BUILTIN_HANDLERS

    for hook in _HOOKS:
        while hook in BUILTIN_HANDLERS:
            BUILTIN_HANDLERS.remove(hook)
    _installed = False
