"""When to check a resource again, per kind, and the record the state machine carries between polls.

Every Create/Check task returns the same small document (``PollRecord``); the ASL's Choice tests its
``status`` for ``ACTIVE`` and its Wait reads ``waitSeconds``, which ``next_wait`` computes. Elapsed time
and the deadline count the seconds the loop has waited (the sum of the Wait states), not wall-clock
time, so the schedule is deterministic, easy to test, and the same on AWS as in the local cloud.

Two schedules:

- **No history** (``PollPolicy``): nothing becomes ACTIVE before the shortest duration the service is
  documented to take (personalize-facts §10), so the first check waits for it. Between the shortest and
  the longest documented duration the moment of completion is taken as equally likely anywhere; checking
  every ``I`` seconds then costs ``I / 2`` seconds of delay and ``width / (2 I)`` checks on average, and
  ``I = sqrt(POLL_COST_SECONDS * width)`` minimises delay + ``POLL_COST_SECONDS`` x checks (the square-root
  rule). Past the longest documented duration nothing is known: check every ``OVERRUN_FRACTION`` of the
  elapsed time, so a long overrun costs few checks and a bounded relative delay.
- **With history** (an estimate from the same kind's earlier runs, see ``estimate_seconds``): sleep until
  just before the estimate, check densely around it, and fall back to the no-history schedule once the
  estimate is overrun.

Both are bounded by the kind's deadline: no wait goes past it, and the check at the deadline fails.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

#: Seconds of delay one status check is worth (a Lambda invocation and four state transitions): the one
#: free constant of the no-history schedule. Larger means fewer checks and later detection.
POLL_COST_SECONDS = 2.5
#: Past the longest documented duration, wait this fraction of the time elapsed so far.
OVERRUN_FRACTION = 0.1
#: With history, "densely" means every this fraction of the estimate (at least a second), starting one
#: such interval before the estimate.
DENSE_FRACTION = 0.01


@dataclass(frozen=True)
class PollPolicy:
    """A kind's documented duration range (facts §10) and how long the pipeline waits for it at most."""

    earliest_seconds: int
    latest_seconds: int
    deadline_seconds: int

    @property
    def interval_seconds(self) -> int:
        """The square-root rule's check interval between the earliest and latest documented durations."""
        return max(1, math.ceil(math.sqrt(POLL_COST_SECONDS * (self.latest_seconds - self.earliest_seconds))))


#: Ranges from personalize-facts §10: dataset group 15-60 s; dataset under 30 s; import 2-17 min;
#: solution "seconds" (up to a minute); training 20-58 min; campaign 7-10 min. Deadlines leave head-room.
POLICIES: dict[str, PollPolicy] = {
    "datasetGroup": PollPolicy(earliest_seconds=15, latest_seconds=60, deadline_seconds=30 * 60),
    "dataset": PollPolicy(earliest_seconds=0, latest_seconds=30, deadline_seconds=30 * 60),
    "datasetImportJob": PollPolicy(earliest_seconds=2 * 60, latest_seconds=17 * 60, deadline_seconds=12 * 3600),
    "solution": PollPolicy(earliest_seconds=0, latest_seconds=60, deadline_seconds=60 * 60),
    "solutionVersion": PollPolicy(earliest_seconds=20 * 60, latest_seconds=58 * 60, deadline_seconds=36 * 3600),
    "campaign": PollPolicy(earliest_seconds=7 * 60, latest_seconds=10 * 60, deadline_seconds=3 * 3600),
    # Trackers and filters have no documented duration; both are metadata, settled within a minute or two.
    "eventTracker": PollPolicy(earliest_seconds=0, latest_seconds=2 * 60, deadline_seconds=30 * 60),
    "filter": PollPolicy(earliest_seconds=0, latest_seconds=2 * 60, deadline_seconds=60 * 60),
    # Not in §10: from a campaign's 7 min (an update redeploys) to a training plus a campaign's 68 min (a
    # creation trains first).
    "recommender": PollPolicy(earliest_seconds=7 * 60, latest_seconds=68 * 60, deadline_seconds=36 * 3600),
    # Batch inference 12-26 min (fixed overhead even for tiny input), batch segment 7-8 min; large inputs
    # take longer, so the deadlines leave a day.
    "batchInferenceJob": PollPolicy(earliest_seconds=12 * 60, latest_seconds=26 * 60, deadline_seconds=24 * 3600),
    "batchSegmentJob": PollPolicy(earliest_seconds=7 * 60, latest_seconds=8 * 60, deadline_seconds=24 * 3600),
}


def no_history_wait(policy: PollPolicy, elapsed: int) -> int:
    """Seconds to wait before the next check, ``elapsed`` seconds after creation, knowing nothing else."""
    if elapsed < policy.earliest_seconds:
        return policy.earliest_seconds - elapsed
    if elapsed < policy.latest_seconds:
        return policy.interval_seconds
    return max(policy.interval_seconds, math.ceil(elapsed * OVERRUN_FRACTION))


def next_wait(kind: str, elapsed: int, estimate: int | None = None) -> int:
    """Seconds to wait before the next check of a ``kind`` resource created ``elapsed`` seconds ago.

    ``estimate`` is the expected duration learnt from earlier runs (None: no history). The wait never
    goes past the deadline; at or past it the wait is 0 and the check that follows fails.
    """
    policy = POLICIES[kind]
    if estimate is None:
        wait = no_history_wait(policy, elapsed)
    else:
        dense = max(1, math.ceil(estimate * DENSE_FRACTION))
        if elapsed < estimate - dense:
            wait = estimate - dense - elapsed
        elif elapsed < estimate + dense:
            wait = dense
        else:  # the estimate is overrun: this run is not like the earlier ones
            wait = no_history_wait(policy, elapsed)
    return max(0, min(wait, policy.deadline_seconds - elapsed))


def estimate_seconds(durations: Sequence[float], scale: float = 1.0) -> int | None:
    """The expected duration from earlier runs of the same kind, most recent last (None: no history).

    The most recent run is the best guide (the service, the data and the configuration drift over time);
    ``scale`` adjusts it for the work, e.g. bytes to import now / bytes imported then.
    """
    if not durations or durations[-1] <= 0 or scale <= 0:
        return None
    return max(1, round(durations[-1] * scale))


#: Human names used in messages.
KIND_LABELS: dict[str, str] = {
    "datasetGroup": "dataset group",
    "schema": "schema",
    "dataset": "dataset",
    "datasetImportJob": "dataset import job",
    "solution": "solution",
    "solutionVersion": "solution version",
    "campaign": "campaign",
    "eventTracker": "event tracker",
    "filter": "filter",
    "recommender": "recommender",
    "batchInferenceJob": "batch inference job",
    "batchSegmentJob": "batch segment job",
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
    """The record of a resource just created or found; ``details["estimatedSeconds"]`` (if any) is its
    expected duration from history, which every later check reads to schedule the next one."""
    return PollRecord(
        kind=kind,
        arn=arn,
        name=name,
        status=status,
        action=action,
        waitSeconds=next_wait(kind, 0, details.get("estimatedSeconds")),
        waitedSeconds=0,
        details=details,
    )
