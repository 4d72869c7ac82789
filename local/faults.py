"""Fault injection for the local cloud: what AWS does on a bad day, on demand.

A fault is ``KIND:TARGET[:COUNT]`` (``python -m local run --fault ...``, or ``LocalPipeline(faults=[...])``
and ``PersonalizeEmulator(..., faults=FaultPlan(...))`` in tests): the next COUNT calls (default 1) that
TARGET receives fail the way AWS fails them. TARGET is a Personalize operation for the service kinds, and a
function's logical id in template.yaml for the ``lambda-*`` kinds.

Service kinds (the Personalize JSON protocol's own errors, so botocore's standard retry mode treats them
exactly as on AWS: it retries all four, up to its 5 attempts, before the handler sees them):

- ``throttle``: HTTP 400 ``ThrottlingException`` "Rate exceeded";
- ``limit``: HTTP 400 ``LimitExceededException`` (a quota such as 5 concurrent imports);
- ``unavailable``: HTTP 503 ``ServiceUnavailable``;
- ``internal``: HTTP 500 ``InternalFailure``.

Lambda kinds (what Step Functions' ``lambda:invoke`` integration reports, matched by the ASL's Retry):

- ``lambda-service``: the Invoke API answers HTTP 500 ``ServiceException`` -> ``Lambda.ServiceException``;
- ``lambda-throttle``: the Invoke API answers HTTP 429 ``TooManyRequestsException`` (reserved concurrency
  reached) -> ``Lambda.TooManyRequestsException``;
- ``lambda-timeout``: the handler runs past the function's Timeout; the runtime is stopped and the
  invocation fails with ``errorType`` ``Sandbox.Timedout`` ("Task timed out after N.00 seconds"), the
  name Step Functions reports; the simulated clock advances by the Timeout.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from moto.core.exceptions import JsonRESTError

#: kind -> (HTTP status, error code, message); the message is what the service says for it.
SERVICE_FAULTS: dict[str, tuple[int, str, str]] = {
    "throttle": (400, "ThrottlingException", "Rate exceeded"),
    "limit": (400, "LimitExceededException", "The request would exceed a service quota; try again later."),
    "unavailable": (503, "ServiceUnavailable", "The service is unavailable. Please try again later."),
    "internal": (500, "InternalFailure", "The request processing has failed because of an unknown error."),
}
LAMBDA_API_FAULTS: dict[str, tuple[int, str, str]] = {
    "lambda-service": (500, "ServiceException", "The AWS Lambda service encountered an internal error."),
    "lambda-throttle": (429, "TooManyRequestsException", "Rate Exceeded."),
}
LAMBDA_TIMEOUT = "lambda-timeout"
FAULT_KINDS: tuple[str, ...] = (*SERVICE_FAULTS, *LAMBDA_API_FAULTS, LAMBDA_TIMEOUT)


class FaultError(ValueError):
    """A fault specification that cannot be applied (unknown kind, operation or function)."""


class InjectedError(JsonRESTError):
    """An injected error on the wire: JSON body ``{"__type", "message"}`` with the fault's HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.code = status
        super().__init__(code, message)


@dataclass(frozen=True)
class Fault:
    kind: str
    target: str
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> Fault:
        parts = text.split(":")
        if len(parts) not in (2, 3) or not all(parts):
            raise FaultError(f"{text!r}: expected KIND:TARGET[:COUNT], e.g. throttle:CreateSolutionVersion:6")
        kind, target = parts[0], parts[1]
        count = 1
        if len(parts) == 3:
            if not parts[2].isdigit() or int(parts[2]) < 1:
                raise FaultError(f"{text!r}: COUNT must be a positive whole number, not {parts[2]!r}")
            count = int(parts[2])
        fault = cls(kind, target, count)
        fault.check()
        return fault

    def check(self) -> None:
        """Refuse an unknown kind, or a Personalize operation the emulator does not serve."""
        if self.kind not in FAULT_KINDS:
            raise FaultError(f"unknown fault kind {self.kind!r}{_did_you_mean(self.kind, FAULT_KINDS)}")
        if self.kind in SERVICE_FAULTS:
            from local.personalize import OPERATIONS

            if self.target not in OPERATIONS:
                raise FaultError(
                    f"{self.kind}: {self.target!r} is not a Personalize operation the emulator serves"
                    + _did_you_mean(self.target, OPERATIONS)
                )

    @property
    def is_lambda(self) -> bool:
        return self.kind.startswith("lambda-")

    def __str__(self) -> str:
        return f"{self.kind}:{self.target}:{self.count}"


class FaultPlan:
    """The pending faults; each call that a fault matches consumes one of its COUNT. Thread-safe."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._lock = threading.Lock()
        #: Called with (kind, target) each time a fault is injected, on the calling thread.
        self.listeners: list[Callable[[str, str], None]] = []
        self._remaining: dict[tuple[str, str], int] = {}
        #: (kind, target) -> how many were injected so far, for reports and tests.
        self.injected: dict[tuple[str, str], int] = {}
        for fault in faults:
            fault.check()
            key = (fault.kind, fault.target)
            self._remaining[key] = self._remaining.get(key, 0) + fault.count

    def lambda_targets(self) -> set[str]:
        return {target for kind, target in self._remaining if kind.startswith("lambda-")}

    def retarget(self, names: dict[str, str]) -> None:
        """Point ``lambda-*`` faults at deployed function names (``names``: logical id -> function name)."""
        with self._lock:
            unknown = sorted(t for t in self.lambda_targets() if t not in names)
            if unknown:
                raise FaultError(
                    f"no function {', '.join(unknown)} in the template; choose from {', '.join(sorted(names))}"
                )
            self._remaining = {
                (kind, names[target] if kind.startswith("lambda-") else target): count
                for (kind, target), count in self._remaining.items()
            }

    def take(self, target: str, kinds: Iterable[str]) -> str | None:
        """Consume one pending fault of one of ``kinds`` for ``target``; its kind, or None."""
        with self._lock:
            taken = next((kind for kind in kinds if self._remaining.get((kind, target), 0) > 0), None)
            if taken is None:
                return None
            self._remaining[(taken, target)] -= 1
            self.injected[(taken, target)] = self.injected.get((taken, target), 0) + 1
        for listener in list(self.listeners):
            listener(taken, target)
        return taken

    def pending(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return {key: count for key, count in self._remaining.items() if count}

    def service_error(self, operation: str) -> InjectedError | None:
        """The error to answer a Personalize ``operation`` with, if a fault is pending for it."""
        kind = self.take(operation, SERVICE_FAULTS)
        return None if kind is None else InjectedError(*SERVICE_FAULTS[kind])


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; choose from {', '.join(choices)}"
