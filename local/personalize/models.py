"""The Personalize emulator: state per account and region, and the infrastructure every operation shares.

The operations live in ``ops/``, one module per resource kind. Each takes the request parameters (already
validated against the service model) and the caller's simulated time, applies the service's preconditions,
quotas and name rules, and returns the response body before model shaping. Wording of errors and where each
rule comes from: personalize-facts.md (§2 lifecycles and preconditions, §3 errors, §6 imports and training,
§9 campaigns, §11 quotas). Where the facts mark a behaviour as undocumented ([I]), the choice made here is
noted next to the code.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import boto3

from local.clock import SimClock
from local.faults import FaultPlan

from .errors import (
    InvalidInputException,
    InvalidNextTokenException,
    LimitExceededException,
    ResourceAlreadyExistsException,
    ResourceInUseException,
    ResourceNotFoundException,
    TooManyTagsException,
)
from .ops import HANDLERS, batch_jobs, events, import_jobs, solution_versions
from .resources import (
    BatchInferenceJob,
    BatchSegmentJob,
    Campaign,
    Dataset,
    DatasetGroup,
    DatasetImportJob,
    EventTracker,
    Filter,
    Recommender,
    Resource,
    Schema,
    Solution,
    SolutionVersion,
)
from .timeline import (
    DELETE_IN_PROGRESS,
    DELETE_PENDING,
    STEPS,
    Lifecycle,
    Phase,
    Timeline,
    follow_up,
)

if TYPE_CHECKING:
    from .algorithms import Model

logger = logging.getLogger(__name__)

#: ``listener(sim_time, resource_type, arn, old_status, new_status)``; None stands for "does not exist".
Listener = Callable[[float, str, str, str | None, str | None], None]

R = TypeVar("R", bound=Resource)

#: The failureReason an injected failure (``fail_steps``) ends with, per step. The dataset has none:
#: the service reports no top-level failureReason for datasets.
INJECTED_FAILURES = {
    "dataset-group": "An internal error occurred while creating the dataset group. Try again.",
    "dataset": "An internal error occurred while creating the dataset. Try again.",
    "solution": "An internal error occurred while creating the solution. Try again.",
    "solution-version": "Create failed. An internal error occurred during training. Try again.",
    "campaign": "Failed to deploy the solution version: an internal error occurred. Try again.",
    # The EventTracker shapes have no failureReason: only the status shows the failure.
    "event-tracker": "An internal error occurred while creating the event tracker. Try again.",
    "filter": "Could not create filter. An internal error occurred. Try again.",
    "recommender": "Create failed. An internal error occurred while training the recommender. Try again.",
    "batch-inference-job": "Failed to create a batch inference job: an internal error occurred. Try again.",
    "batch-segment-job": "Failed to create a batch segment job: an internal error occurred. Try again.",
}


@dataclass(frozen=True)
class Quotas:
    """Service quotas (personalize-facts.md §11); adjustable ones can be raised per emulator."""

    active_dataset_groups: int = 5
    schemas: int = 500
    in_flight_imports: int = 5
    in_flight_solution_versions: int = 20
    solutions_per_dataset_group: int = 10
    active_campaigns_per_dataset_group: int = 5
    recommenders_per_dataset_group: int = 5
    tags_per_resource: int = 50
    #: Pending or in-progress jobs, per kind (batch inference, batch segment).
    in_flight_batch_jobs: int = 5


class PersonalizeEmulator:
    """Amazon Personalize for the local cloud; holds every account's and region's resources.

    ``fail_steps`` names steps (see ``timeline.STEPS``) whose next resource must end CREATE FAILED; each
    name fails once. ``check_s3_access`` makes imports fail, as on AWS, when the bucket policy or the role
    does not let Personalize read the data. ``faults`` (``local.faults.FaultPlan``) makes the next calls of
    an operation fail with throttling or a 5xx, as the service does on a bad day.
    """

    def __init__(
        self,
        clock: SimClock,
        timeline: Timeline,
        fail_steps: Iterable[str] = frozenset(),
        *,
        quotas: Quotas | None = None,
        check_s3_access: bool = True,
        faults: FaultPlan | None = None,
    ) -> None:
        unknown = sorted(set(fail_steps) - set(STEPS))
        if unknown:
            raise ValueError(f"unknown fail steps {unknown}; expected some of {list(STEPS)}")
        self.clock = clock
        self.timeline = timeline
        self.quotas = quotas or Quotas()
        self.check_s3_access = check_s3_access
        #: Throttling and 5xx answers to inject (``local.faults``), before the operation runs.
        self.faults = faults or FaultPlan()
        self._pending_failures = set(fail_steps)
        self._listeners: list[Listener] = []
        self._lock = threading.RLock()
        self._regions: dict[tuple[str, str], RegionState] = {}

    # --- public hooks -----------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` whenever a call observes a resource in a status not reported before."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.remove(listener)

    def reset(self) -> None:
        """Forget every resource (listeners and the remaining fail steps are kept)."""
        with self._lock:
            self._regions.clear()

    def inventory(self, at: float | None = None) -> dict[str, list[str]]:
        """ARNs of every resource that exists, oldest first, keyed like the local CLI's JSON.

        ``at`` defaults to the calling thread's simulated time; a CLI summarizing a run passes
        ``clock.latest`` so deletes that completed on other threads' timelines count as done.
        """
        now = self.clock.now() if at is None else at
        result: dict[str, list[str]] = {
            key: []
            for key in (
                "datasetGroups",
                "schemas",
                "datasets",
                "datasetImportJobs",
                "solutions",
                "solutionVersions",
                "campaigns",
                "eventTrackers",
                "filters",
                "recommenders",
                "batchInferenceJobs",
                "batchSegmentJobs",
            )
        }
        with self._lock:
            for state in self._regions.values():
                state.sweep(now)
                for store in state.stores():
                    for resource in sorted(store.values(), key=lambda r: (r.created, r.arn)):
                        result[resource.INVENTORY].append(resource.arn)
        return result

    def dataset_records(self, dataset_arn: str) -> list[dict[str, Any]]:
        """The records a dataset holds now (after FULL/INCREMENTAL imports), for tests and the CLI."""
        now = self.clock.now()
        with self._lock:
            for state in self._regions.values():
                dataset = state.datasets.get(dataset_arn)
                if dataset is not None and dataset.status(now) is not None:
                    return import_jobs.records(state, dataset, now)
        raise KeyError(dataset_arn)

    def trained_model(self, arn: str) -> Model:
        """The model a solution version or a recommender serves (trained on first use), for tests and the CLI."""
        with self._lock:
            for state in self._regions.values():
                owner = state.versions.get(arn) or state.recommenders.get(arn)
                if owner is not None:
                    return owner.model()
        raise KeyError(arn)

    def resource_tags(self, account: str, region: str, arn: str) -> dict[str, str] | None:
        """The tags of the resource at ``arn`` (None if it does not exist): what IAM evaluates as
        ``aws:ResourceTag/<key>`` when a request names that resource."""
        with self._lock:
            state = self._regions.get((account, region))
            if state is None:
                return None
            state.sweep(self.clock.now())
            try:
                return dict(state.find(arn.removesuffix("/$LATEST")).tags)
            except ResourceNotFoundException:
                return None

    def snapshot(self) -> dict[tuple[str, str], RegionState]:
        """Every account's and region's resources, picklable (``local.state`` keeps them on disk)."""
        with self._lock:
            return dict(self._regions)

    def restore(self, regions: dict[tuple[str, str], RegionState]) -> None:
        """Take over resources a ``snapshot`` saved; each region joins the next moto backend it is served from."""
        with self._lock:
            for key, state in regions.items():
                state.emulator, state.generation = self, None
                self._regions[key] = state

    # --- used by the responses layer --------------------------------------------------------------

    def handle(self, account: str, region: str, generation: object, operation: str, params: dict) -> dict:
        """Run ``operation`` for ``account``/``region`` at the caller's simulated time.

        ``generation`` is moto's backend object for the account and region: moto replaces it whenever a
        ``mock_aws`` context starts or ends, and a new one means the state held so far is stale (a
        restored region has none yet and adopts the first one).
        """
        now = self.clock.now()
        with self._lock:
            state = self._regions.get((account, region))
            if state is not None and state.generation is None:
                state.generation = generation
            if state is None or state.generation is not generation:
                state = self._regions[(account, region)] = RegionState(self, account, region, generation)
            state.sweep(now)
            return state.dispatch(operation, params, now)

    def take_failure(self, step: str) -> bool:
        """Consume an injected failure for ``step`` if one is pending."""
        if step in self._pending_failures:
            self._pending_failures.discard(step)
            return True
        return False

    def notify(self, now: float, kind: str, arn: str, old: str | None, new: str | None) -> None:
        for listener in list(self._listeners):
            try:
                listener(now, kind, arn, old, new)
            except Exception:  # a broken view must never break the API call it watches
                logger.exception("Personalize emulator listener %r failed", listener)


@functools.cache
def _session() -> boto3.session.Session:
    """One botocore session for the emulator's own clients: a fresh session re-reads every service
    model from disk, which would cost ~0.1 s per client."""
    return boto3.session.Session()


class RegionState:
    """The resources of one account in one region and the helpers the operations (``ops/``) share:
    stores, find/get, quotas, tags, paging, lifecycles and the dispatch to ``ops.HANDLERS``."""

    def __init__(self, emulator: PersonalizeEmulator, account: str, region: str, generation: object) -> None:
        self.emulator = emulator
        self.account = account
        self.region = region
        self.generation = generation
        self.partition = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if "-gov-" in region else "aws"
        self.dataset_groups: dict[str, DatasetGroup] = {}
        self.schemas: dict[str, Schema] = {}
        self.datasets: dict[str, Dataset] = {}
        self.import_jobs: dict[str, DatasetImportJob] = {}
        self.solutions: dict[str, Solution] = {}
        self.versions: dict[str, SolutionVersion] = {}
        self.campaigns: dict[str, Campaign] = {}
        self.event_trackers: dict[str, EventTracker] = {}
        self.filters: dict[str, Filter] = {}
        self.recommenders: dict[str, Recommender] = {}
        self.batch_inference_jobs: dict[str, BatchInferenceJob] = {}
        self.batch_segment_jobs: dict[str, BatchSegmentJob] = {}
        self._reported: dict[tuple[str, str], str | None] = {}  # (resource_type, ARN) -> status
        self._clients: dict[str, Any] = {}
        #: Interactions recorded by PutEvents, per Interactions dataset ARN (ops/events.py).
        self.events: dict[str, list[events.RecordedEvent]] = {}
        #: GetRecommendations calls served so far: recommendation ids are derived from it (ops/runtime.py).
        self.recommendations_served = 0
        #: What filters read, per dataset group, with the data version it was built from (ops/runtime.py).
        self.filter_data: dict[str, tuple[Any, Any]] = {}

    def __getstate__(self) -> dict[str, Any]:
        """What a saved local cloud keeps: the resources and their data, not the emulator, moto's backend,
        clients or caches (``PersonalizeEmulator.restore`` reattaches them)."""
        kept = dict(self.__dict__)
        for name in ("emulator", "generation", "_clients", "filter_data"):
            kept.pop(name)
        return kept

    def __setstate__(self, kept: dict[str, Any]) -> None:
        self.__dict__.update(kept, emulator=None, generation=None, _clients={}, filter_data={})

    # --- plumbing -----------------------------------------------------------------------------------

    @property
    def timeline(self) -> Timeline:
        return self.emulator.timeline

    @property
    def quotas(self) -> Quotas:
        return self.emulator.quotas

    def stores(self) -> tuple[dict[str, Any], ...]:
        return (
            self.dataset_groups,
            self.schemas,
            self.datasets,
            self.import_jobs,
            self.solutions,
            self.versions,
            self.campaigns,
            self.event_trackers,
            self.filters,
            self.recommenders,
            self.batch_inference_jobs,
            self.batch_segment_jobs,
        )

    def arn(self, path: str) -> str:
        return f"arn:{self.partition}:personalize:{self.region}:{self.account}:{path}"

    def client(self, service: str) -> Any:
        """A boto3 client that reaches moto's backend for this request's account, created once."""
        if service not in self._clients:
            client = _session().client(service, region_name=self.region)
            account = self.account

            def add_account(request: Any, **_: Any) -> None:
                request.headers["x-moto-account-id"] = account

            client.meta.events.register("before-sign", add_account)
            self._clients[service] = client
        return self._clients[service]

    def observe(self, resource: Resource, now: float) -> None:
        """Report each tracked status that differs from the last one reported for it to the listeners."""
        for kind, status in resource.tracked_statuses(now).items():
            old = self._reported.get((kind, resource.arn))
            if status != old:
                self._reported[(kind, resource.arn)] = status
                self.emulator.notify(now, kind, resource.arn, old, status)

    def _forget(self, store: dict[str, Any], arn: str, now: float) -> None:
        """Drop a resource whose delete completed; listeners hear its status become None."""
        store.pop(arn)
        for key in [key for key in self._reported if key[1] == arn]:
            old = self._reported.pop(key)
            if old is not None:
                self.emulator.notify(now, key[0], arn, old, None)

    def sweep(self, now: float) -> None:
        """Drop resources whose delete has completed, with what goes with them, and run auto-training.

        Import jobs are never dropped: the service keeps them (and their names) after their dataset is
        deleted, and has no DeleteDatasetImportJob.
        """
        for solution in list(self.solutions.values()):
            solution_versions.auto_train(self, solution, now)
        for store in (
            self.dataset_groups,
            self.datasets,
            self.solutions,
            self.campaigns,
            self.event_trackers,
            self.filters,
            self.recommenders,
        ):
            for arn in [arn for arn, r in store.items() if r.status(now) is None]:
                self._forget(store, arn, now)
        for arn in [arn for arn, v in self.versions.items() if v.solution.arn not in self.solutions]:
            self._forget(self.versions, arn, now)
        # Batch jobs are never dropped (no delete); a finished one's output files appear now.
        for job in [*self.batch_inference_jobs.values(), *self.batch_segment_jobs.values()]:
            batch_jobs.write_outputs(self, job, now)

    def get(self, store: dict[str, R], arn: str) -> R:
        resource = store.get(arn)
        if resource is None:
            raise ResourceNotFoundException(arn)
        return resource

    def ensure_new(self, store: dict[str, Any], arn: str) -> None:
        if arn in store:
            raise ResourceAlreadyExistsException(arn)

    def require_status(self, resource: Resource, now: float, allowed: Iterable[str], action: str) -> str:
        status = resource.status(now)
        allowed = frozenset(allowed)
        if status not in allowed:
            wanted = " or ".join(sorted(allowed))
            raise ResourceInUseException(f"Cannot {action}: {resource.arn} is in {status} state; it must be {wanted}.")
        return status

    def require_no_update(self, resource: Solution | Campaign | Recommender, now: float, action: str) -> None:
        """Refuse ``action`` (e.g. "update solution") while the resource's latest update is in flight."""
        if resource.update and resource.update.in_progress(now):
            raise ResourceInUseException(f"Cannot {action} {resource.arn}: an update is in progress.")

    def check_quota(self, count: int, quota: int, noun: str | None = None) -> None:
        """LimitExceededException once ``count`` resources already use up ``quota``: for a quota on ACTIVE
        resources the message names the ``noun`` being created; without one it is the in-flight quotas'."""
        if count < quota:
            return
        if noun is None:
            raise LimitExceededException(f"More than {quota} resources with PENDING or IN_PROGRESS status.")
        raise LimitExceededException(
            f"Cannot create a {noun}. More than {quota} resources in ACTIVE state. Please delete some and try again."
        )

    def lifecycle(
        self, step: str, arn: str, now: float, failure: str | None = None, phase: Phase | None = None
    ) -> Lifecycle:
        """A create lifecycle for ``step`` (``phase`` when the work sets its length, else the step's);
        an injected failure takes precedence over ``failure``."""
        if self.emulator.take_failure(step):
            failure = INJECTED_FAILURES.get(step, failure)
        if phase is None:
            phase = self.timeline.scaled(self.timeline.create[step], arn)
        return Lifecycle.create(now, phase, failure_reason=failure)

    def create_resource(
        self, store: dict[str, R], cls: type[R], step: str, arn: str, p: dict, now: float, **fields: Any
    ) -> R:
        """Make, store and report the resource a Create call asks for, with a ``step`` create lifecycle.

        The tags are checked before the step's injected failure (if any) is consumed, so a refused request
        leaves that failure to the next one.
        """
        tags = self.tags(p.get("tags"))
        resource = cls(arn=arn, name=p["name"], lifecycle=self.lifecycle(step, arn, now), tags=tags, **fields)
        store[arn] = resource
        self.observe(resource, now)
        return resource

    def update_phase(self, resource: Resource, step: str, now: float) -> Phase:
        """The durations of an update of ``resource`` started at ``now``."""
        return self.timeline.scaled(self.timeline.update[step], f"{resource.arn}#update@{now}")

    def start_delete(self, resource: Resource, step: str, now: float) -> None:
        """Start the asynchronous delete of ``resource`` and report its new status."""
        phase = self.timeline.scaled(self.timeline.delete[step], resource.arn + "#delete")
        resource.lifecycle.branch(now, follow_up(now, phase, (DELETE_PENDING, DELETE_IN_PROGRESS, None)))
        self.observe(resource, now)

    def describe_resource(self, store: dict[str, Any], arn: str, now: float) -> dict:
        """A Describe response: ``{KIND: description}``, the resource's status reported first."""
        resource = self.get(store, arn)
        self.observe(resource, now)
        return {resource.KIND: resource.describe(now)}

    def tags(self, raw: list[dict[str, str]] | None, existing: dict[str, str] | None = None) -> dict[str, str]:
        merged = dict(existing or {})
        keys = [tag["tagKey"] for tag in raw or []]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            # [I] the code for a repeated key is undocumented; a bad request is InvalidInputException.
            raise InvalidInputException(f"Tag keys must be unique in a request: {', '.join(repeated)}.")
        for tag in raw or []:
            if tag["tagKey"].lower().startswith("aws:"):
                raise InvalidInputException(f"Tag keys cannot start with 'aws:': {tag['tagKey']}.")
            # "Don't use aws: ... as a prefix for either keys or values" (Personalize tagging restrictions).
            if tag.get("tagValue", "").lower().startswith("aws:"):
                raise InvalidInputException(f"Tag values cannot start with 'aws:': {tag['tagValue']}.")
            merged[tag["tagKey"]] = tag["tagValue"]
        if len(merged) > self.quotas.tags_per_resource:
            raise TooManyTagsException(
                f"A resource can have at most {self.quotas.tags_per_resource} tags; this request would "
                f"give it {len(merged)}."
            )
        return merged

    def page(self, operation: str, items: list[R], params: dict, parent: str | None, now: float) -> dict:
        """A List response: the summaries of one page of ``items`` (under their INVENTORY key) and the
        token for the next page, each item observed.

        [I] The service documents no order; newest first is what the console shows. Tokens are opaque
        offsets bound to the operation and its parent filter, so a token from another list is refused.
        """
        key = f"{operation[4].lower()}{operation[5:]}"  # ListDatasetGroups -> datasetGroups
        scope = parent or ""
        items = sorted(items, key=lambda r: (-r.created, r.arn))
        offset = 0
        token = params.get("nextToken")
        if token:
            try:
                decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
                offset = int(decoded["offset"])
                if decoded["scope"] != f"{operation}:{scope}" or offset < 0:
                    raise ValueError
            except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
                raise InvalidNextTokenException(f"The next token {token} is not valid.") from None
        size = params.get("maxResults") or 100
        chunk = items[offset : offset + size]
        for resource in chunk:
            self.observe(resource, now)
        following = None
        if offset + size < len(items):
            raw = json.dumps({"scope": f"{operation}:{scope}", "offset": offset + size}).encode()
            following = base64.urlsafe_b64encode(raw).decode()
        return {key: [resource.summary(now) for resource in chunk], "nextToken": following}

    def find(self, arn: str) -> Resource:
        for store in self.stores():
            if arn in store:
                return store[arn]
        raise ResourceNotFoundException(arn)

    def group_datasets(self, group_arn: str) -> dict[str, Dataset]:
        return {d.dataset_type: d for d in self.datasets.values() if d.dataset_group_arn == group_arn}

    def dispatch(self, operation: str, params: dict, now: float) -> dict:
        """Run ``operation`` (its API name) on this account's and region's resources at ``now``."""
        return HANDLERS[operation](self, params, now)
