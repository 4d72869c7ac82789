"""Poll cadence and deadlines per resource kind, and the record the state machine carries between polls.

Every Create/Check task returns the same small document (``PollRecord``); the ASL's Choice tests its
``status`` for ``ACTIVE`` and its Wait reads ``waitSeconds``. The deadline counts the seconds the loop
has waited (the sum of the Wait states), not wall-clock time, so it is deterministic and easy to test.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class PollPolicy:
    wait_seconds: int
    deadline_seconds: int


#: Chosen from the service's typical durations (personalize-facts §10) with generous head-room.
POLICIES: dict[str, PollPolicy] = {
    "datasetGroup": PollPolicy(wait_seconds=15, deadline_seconds=30 * 60),
    "dataset": PollPolicy(wait_seconds=10, deadline_seconds=30 * 60),
    "datasetImportJob": PollPolicy(wait_seconds=60, deadline_seconds=12 * 3600),
    "solution": PollPolicy(wait_seconds=15, deadline_seconds=60 * 60),
    "solutionVersion": PollPolicy(wait_seconds=120, deadline_seconds=36 * 3600),
    "campaign": PollPolicy(wait_seconds=60, deadline_seconds=3 * 3600),
}

#: Human names used in messages.
KIND_LABELS: dict[str, str] = {
    "datasetGroup": "dataset group",
    "schema": "schema",
    "dataset": "dataset",
    "datasetImportJob": "dataset import job",
    "solution": "solution",
    "solutionVersion": "solution version",
    "campaign": "campaign",
}


@dataclass
class PollRecord:
    """What a Create or Check task returns; the ASL copies these exact keys (ResultSelector)."""

    kind: str
    arn: str
    name: str
    status: str  # ACTIVE, or the resource's current status while it is not ready
    action: str  # created | reused | updated | resumed
    waitSeconds: int = 0  # noqa: N815 - ASL document keys are camelCase
    waitedSeconds: int = 0  # noqa: N815
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PollRecord:
        return cls(
            kind=data["kind"],
            arn=data["arn"],
            name=data["name"],
            status=data["status"],
            action=data["action"],
            waitSeconds=int(data.get("waitSeconds", 0)),
            waitedSeconds=int(data.get("waitedSeconds", 0)),
            details=dict(data.get("details") or {}),
        )


def new_record(kind: str, arn: str, name: str, status: str, action: str, **details: Any) -> PollRecord:
    return PollRecord(
        kind=kind,
        arn=arn,
        name=name,
        status=status,
        action=action,
        waitSeconds=POLICIES[kind].wait_seconds,
        waitedSeconds=0,
        details=details,
    )
