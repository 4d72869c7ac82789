"""How long each Personalize step takes on the simulated clock, and what a resource's status is at any time.

A resource never changes state behind the caller's back: it stores a ``Lifecycle``, a list of timed
transitions fixed when it was created (or deleted, stopped, updated), and its status at describe time is
a pure function of the caller's simulated time. That keeps the emulator deterministic across threads and
lets a test move the clock by hand and see exactly the state the real service would show.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

CREATE_PENDING = "CREATE PENDING"
CREATE_IN_PROGRESS = "CREATE IN_PROGRESS"
ACTIVE = "ACTIVE"
CREATE_FAILED = "CREATE FAILED"
CREATE_STOPPING = "CREATE STOPPING"
CREATE_STOPPED = "CREATE STOPPED"
UPDATE_PENDING = "UPDATE PENDING"
UPDATE_IN_PROGRESS = "UPDATE IN_PROGRESS"
DELETE_PENDING = "DELETE PENDING"
DELETE_IN_PROGRESS = "DELETE IN_PROGRESS"
STOP_PENDING = "STOP PENDING"
STOP_IN_PROGRESS = "STOP IN_PROGRESS"
INACTIVE = "INACTIVE"
START_PENDING = "START PENDING"
START_IN_PROGRESS = "START IN_PROGRESS"

#: Statuses during which a resource is still being created; quotas and "in use" checks count these.
IN_FLIGHT = frozenset({CREATE_PENDING, CREATE_IN_PROGRESS})
#: A solution version still using its solution and datasets: training, or winding a stopped training down.
#: [I] the docs refuse DeleteSolution and DeleteDataset while a version is "PENDING or IN PROGRESS"; CREATE
#: STOPPING is neither stopped nor done, and refusing it is the safer reading (the training is still running).
TRAINING = frozenset({CREATE_PENDING, CREATE_IN_PROGRESS, CREATE_STOPPING})
#: Statuses from which the service accepts a delete ("must be ACTIVE or CREATE FAILED").
DELETABLE = frozenset({ACTIVE, CREATE_FAILED})
#: Statuses of a resource on its way out.
DELETING = frozenset({DELETE_PENDING, DELETE_IN_PROGRESS})

#: The steps of the pipeline, as named by ``--fail STEP`` and ``fail_steps``.
STEPS = (
    "dataset-group",
    "dataset",
    "import",
    "solution",
    "solution-version",
    "campaign",
    "event-tracker",
    "filter",
    "recommender",
    "batch-inference-job",
    "batch-segment-job",
)
#: Kinds with an asynchronous update (UpdateDataset, UpdateSolution, UpdateCampaign, UpdateRecommender; a
#: recommender's stop and start take as long as its update).
UPDATABLE = ("dataset", "solution", "campaign", "recommender")
#: Kinds with an asynchronous delete (import jobs cannot be deleted; versions go with their solution).
DELETABLE_KINDS = ("dataset-group", "dataset", "solution", "campaign", "event-tracker", "filter", "recommender")


@dataclass(frozen=True)
class Phase:
    """Durations, in simulated seconds, of the two in-flight states of one lifecycle."""

    pending: float
    in_progress: float

    def __post_init__(self) -> None:
        if self.pending < 0 or self.in_progress < 0:
            raise ValueError(f"phase durations cannot be negative: {self}")

    @property
    def total(self) -> float:
        return self.pending + self.in_progress


def _frozen(mapping: Mapping[str, Phase], expected: tuple[str, ...], what: str) -> Mapping[str, Phase]:
    missing = sorted(set(expected) - set(mapping))
    unknown = sorted(set(mapping) - set(expected))
    if missing or unknown:
        raise ValueError(f"timeline {what} phases: missing {missing}, unknown {unknown}")
    return MappingProxyType(dict(mapping))


#: The presets, in the column order of ``_PRESET_PHASES``.
_PRESETS = ("instant", "realistic", "typical")
#: (pending, in progress) simulated seconds of each step in each preset: (instant, realistic, typical).
#: An import's row is its fixed part; the bytes it reads add to its in-progress time (``import_phase``).
_PRESET_PHASES: dict[str, dict[str, tuple[tuple[float, float], ...]]] = {
    "create": {
        "dataset-group": ((10, 10), (38, 2), (38, 2)),
        "dataset": ((10, 10), (23, 2), (18, 2)),
        "import": ((30, 90), (60, 120), (60, 180 - 2_769 * 360 / 597_257)),
        "solution": ((10, 10), (13, 2), (58, 2)),
        "solution-version": ((30, 150), (90, 2190), (90, 2910)),
        "campaign": ((30, 90), (60, 450), (60, 480)),
        # [I] no published durations; trackers and filters are metadata and observed to settle within a minute.
        "event-tracker": ((10, 10), (20, 10), (20, 10)),
        "filter": ((10, 10), (30, 15), (30, 15)),
        # [I] a recommender trains its model and deploys it: as long as a training plus a campaign.
        "recommender": ((30, 150), (90, 2700), (90, 3450)),
        # "around 25 minutes" with a fixed overhead even for tiny input; segment jobs 7-8 minutes (facts §10).
        "batch-inference-job": ((30, 90), (60, 1140), (60, 1440)),
        "batch-segment-job": ((30, 90), (60, 390), (60, 390)),
    },
    "update": {
        "dataset": ((10, 10), (20, 100), (20, 100)),
        "solution": ((10, 10), (10, 5), (10, 5)),
        "campaign": ((30, 90), (60, 480), (60, 480)),
        "recommender": ((30, 90), (60, 480), (60, 480)),
    },
    "delete": {
        "dataset-group": ((10, 0), (60, 0), (60, 0)),
        "dataset": ((5, 5), (20, 20), (20, 20)),
        "solution": ((5, 5), (15, 15), (15, 15)),
        "campaign": ((10, 10), (30, 60), (30, 60)),
        "event-tracker": ((5, 5), (10, 10), (10, 10)),
        "filter": ((5, 5), (10, 10), (10, 10)),
        "recommender": ((10, 10), (30, 60), (30, 60)),
    },
}
#: Import seconds per byte read, per preset. The typical preset is calibrated on the example data: its
#: 2,769-byte Users file imports in 240 s and its 600,026-byte Interactions file in 600 s (a fixed part,
#: then a constant throughput). The instant preset keeps imports short whatever their size.
_IMPORT_SECONDS_PER_BYTE = {"instant": 0.0, "realistic": 360 / 597_257, "typical": 360 / 597_257}
#: How a training's length depends on its kind (facts §3, §7): UPDATE only adds the new data to the
#: latest FULL model, HPO trains one model per hyperparameter candidate, in rounds of parallel jobs.
TRAINING_FACTORS = MappingProxyType({"FULL": 1.0, "UPDATE": 0.25, "HPO": 3.0})


@dataclass(frozen=True)
class Timeline:
    """Durations of every asynchronous step, keyed by step name (see ``STEPS``).

    ``jitter`` spreads durations by up to ±jitter (a fraction), derived from a hash of the resource ARN:
    two imports started together then finish at different, yet reproducible, times.
    ``training_hours_per_hour`` converts training wall time into the billed ``trainingHours``, which the
    service reports larger than wall time because training runs on several instances (facts §10).
    """

    create: Mapping[str, Phase]
    update: Mapping[str, Phase]
    delete: Mapping[str, Phase]
    stop_seconds: float = 60.0
    jitter: float = 0.0
    training_hours_per_hour: float = 2.5
    import_seconds_per_byte: float = 0.0
    name: str = field(default="custom", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "create", _frozen(self.create, STEPS, "create"))
        object.__setattr__(self, "update", _frozen(self.update, UPDATABLE, "update"))
        object.__setattr__(self, "delete", _frozen(self.delete, DELETABLE_KINDS, "delete"))
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter is a fraction in [0, 1)")
        if self.import_seconds_per_byte < 0:
            raise ValueError("import_seconds_per_byte cannot be negative")

    @classmethod
    def instant(cls) -> Timeline:
        """Every step settles within one to three polls of 10-60 s: fast tests that still see each state."""
        return cls._preset("instant", stop_seconds=30)

    @classmethod
    def realistic(cls) -> Timeline:
        """Durations observed on the real service (personalize-facts.md §10), deterministic per ARN.

        The dataset group is almost never seen IN_PROGRESS and every job shows one PENDING poll of about a
        minute, which is why the pending/in-progress split is uneven.
        """
        return cls._preset("realistic", stop_seconds=120, jitter=0.1)

    @classmethod
    def typical(cls, factor: float = 1.0) -> Timeline:
        """The benchmark's timeline: fixed, typical durations (facts §10) for the example data, no jitter.

        Dataset group 40 s, dataset 20 s, import 600 s for the example Interactions and 240 s for its
        Users file (bigger or smaller data takes longer or shorter), solution 60 s, FULL training 3,000 s,
        campaign 540 s, recommender 3,540 s (a training and a campaign); ``factor`` multiplies every duration.
        campaign 540 s, batch inference job 1,500 s, batch segment job 450 s; ``factor``
        multiplies every duration.
        """
        return cls._preset("typical", stop_seconds=120).times(factor)

    @classmethod
    def _preset(cls, name: str, *, stop_seconds: float, jitter: float = 0.0) -> Timeline:
        column = _PRESETS.index(name)
        phases = {
            process: {step: Phase(*durations[column]) for step, durations in steps.items()}
            for process, steps in _PRESET_PHASES.items()
        }
        return cls(
            **phases,
            stop_seconds=stop_seconds,
            jitter=jitter,
            import_seconds_per_byte=_IMPORT_SECONDS_PER_BYTE[name],
            name=name,
        )

    def times(self, factor: float) -> Timeline:
        """This timeline with every duration (phases, stops, import throughput cost) multiplied by ``factor``."""
        if factor <= 0:
            raise ValueError(f"a timeline's time factor must be positive, not {factor}")
        if factor == 1:
            return self

        def scale(phases: Mapping[str, Phase]) -> dict[str, Phase]:
            return {step: Phase(p.pending * factor, p.in_progress * factor) for step, p in phases.items()}

        return replace(
            self,
            create=scale(self.create),
            update=scale(self.update),
            delete=scale(self.delete),
            stop_seconds=self.stop_seconds * factor,
            import_seconds_per_byte=self.import_seconds_per_byte * factor,
            name=f"{self.name} x{factor:g}",
        )

    def import_phase(self, arn: str, size_bytes: int) -> Phase:
        """An import's phases: the fixed part plus the time to read ``size_bytes``, then the ARN's jitter."""
        fixed = self.create["import"]
        return self.scaled(Phase(fixed.pending, fixed.in_progress + size_bytes * self.import_seconds_per_byte), arn)

    def training_phase(self, arn: str, training_mode: str, hpo: bool) -> Phase:
        """A training's phases: FULL as in ``create``, UPDATE shorter, HPO (FULL only) longer."""
        base = self.create["solution-version"]
        kind = "HPO" if hpo and training_mode != "UPDATE" else training_mode
        factor = TRAINING_FACTORS.get(kind, 1.0)
        return self.scaled(Phase(base.pending, base.in_progress * factor), arn)

    def training_hours(self, phase: Phase) -> float:
        """The billed ``trainingHours`` of a training with these phases: its compute, never under one hour."""
        return round(max(1.0, phase.in_progress / 3600 * self.training_hours_per_hour), 3)

    def scaled(self, phase: Phase, arn: str) -> Phase:
        """The phase for one resource, spread by the deterministic jitter of its ARN."""
        if not self.jitter:
            return phase
        digest = hashlib.sha256(arn.encode()).digest()
        factor = 1 + self.jitter * (int.from_bytes(digest[:4], "big") / 0xFFFFFFFF * 2 - 1)
        return Phase(round(phase.pending * factor, 3), round(phase.in_progress * factor, 3))


@dataclass(frozen=True)
class Transition:
    """From ``at`` on, the resource shows ``status`` (None: it no longer exists)."""

    at: float
    status: str | None
    failure_reason: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """What a describe shows at one instant: the status, when it began, and why it failed."""

    status: str | None
    since: float
    failure_reason: str | None


class Lifecycle:
    """An append-only list of timed transitions; ``at(t)`` is the status a caller at time t observes.

    Callers on threads whose simulated time lags behind the creation time still see the first state:
    a resource exists from the moment its create call returned, whatever clock the observer reads.
    """

    def __init__(self, transitions: list[Transition]) -> None:
        if not transitions:
            raise ValueError("a lifecycle needs at least one transition")
        self._transitions = sorted(transitions, key=lambda t: t.at)

    @classmethod
    def create(
        cls,
        start: float,
        phase: Phase,
        *,
        failure_reason: str | None = None,
        pending: str = CREATE_PENDING,
        in_progress: str = CREATE_IN_PROGRESS,
        done: str = ACTIVE,
        failed: str = CREATE_FAILED,
    ) -> Lifecycle:
        """PENDING, then IN_PROGRESS, then ACTIVE (or FAILED with its reason); zero-length states skipped."""
        outcome = done if failure_reason is None else failed
        transitions = follow_up(start, phase, (pending, in_progress, outcome), failure_reason)
        if phase.total == 0:
            transitions = transitions[-1:]
        return cls(transitions)

    @property
    def created(self) -> float:
        return self._transitions[0].at

    @property
    def settles_at(self) -> float:
        """When the last known transition happens (for a create: when it becomes ACTIVE or FAILED)."""
        return self._transitions[-1].at

    def at(self, now: float) -> Snapshot:
        current = self._transitions[0]
        for transition in self._transitions[1:]:
            if transition.at > now:
                break
            current = transition
        return Snapshot(current.status, current.at, current.failure_reason)

    def first_time_in(self, status: str) -> float | None:
        """When the lifecycle first reaches ``status`` (None if it never does)."""
        return next((t.at for t in self._transitions if t.status == status), None)

    def branch(self, now: float, transitions: list[Transition]) -> None:
        """Drop what had not happened yet at ``now`` and continue with ``transitions`` instead.

        Used by delete, stop and update: the future the resource had is replaced by the new one.
        """
        kept = [t for t in self._transitions if t.at <= now] or self._transitions[:1]
        self._transitions = kept + sorted(transitions, key=lambda t: t.at)


def follow_up(
    start: float, phase: Phase, statuses: tuple[str, str, str | None], failure_reason: str | None = None
) -> list[Transition]:
    """Transitions of a process (create, delete, update) that starts at ``start``: pending, in progress
    (skipped when it takes no time), done; the last one carries ``failure_reason``."""
    pending, in_progress, done = statuses
    result = [Transition(start, pending)]
    if phase.in_progress > 0:
        result.append(Transition(start + phase.pending, in_progress))
    result.append(Transition(start + phase.total, done, failure_reason))
    return result
