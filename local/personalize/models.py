"""The Personalize emulator: state per account and region, and every control-plane operation's rules.

Each operation method takes the request parameters (already validated against the service model) and the
caller's simulated time, applies the service's preconditions, quotas and name rules, and returns the
response body before model shaping. Wording of errors and where each rule comes from: personalize-facts.md
(§2 lifecycles and preconditions, §3 errors, §6 imports and training, §9 campaigns, §11 quotas). Where the
facts mark a behaviour as undocumented ([I]), the choice made here is noted next to the code.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import boto3
from botocore.exceptions import ClientError

from local.clock import SimClock

from . import imports
from .errors import (
    InvalidInputException,
    InvalidNextTokenException,
    LimitExceededException,
    ResourceAlreadyExistsException,
    ResourceInUseException,
    ResourceNotFoundException,
    TooManyTagKeysException,
    TooManyTagsException,
)
from .recipes import AUTOML_RECIPE, DOMAIN_USE_CASES, RECIPES, Recipe
from .resources import (
    Campaign,
    CampaignSettings,
    CampaignUpdate,
    Dataset,
    DatasetGroup,
    DatasetImportJob,
    DatasetUpdate,
    Resource,
    Schema,
    Solution,
    SolutionUpdate,
    SolutionVersion,
)
from .schemas import RECORD_KEYS, check_fits_dataset_type, normalize_dataset_type, parse_schema
from .timeline import (
    ACTIVE,
    CREATE_FAILED,
    CREATE_IN_PROGRESS,
    CREATE_PENDING,
    CREATE_STOPPED,
    CREATE_STOPPING,
    DELETABLE,
    DELETE_IN_PROGRESS,
    DELETE_PENDING,
    DELETING,
    IN_FLIGHT,
    STEPS,
    UPDATE_IN_PROGRESS,
    UPDATE_PENDING,
    Lifecycle,
    Phase,
    Timeline,
    Transition,
    follow_up,
)
from .training import Interaction, compute_metrics, minimum_failure, select

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
}

_DAYS = re.compile(r"rate\((\d+) days?\)")


@dataclass(frozen=True)
class Quotas:
    """Service quotas (personalize-facts.md §11); adjustable ones can be raised per emulator."""

    active_dataset_groups: int = 5
    schemas: int = 500
    in_flight_imports: int = 5
    in_flight_solution_versions: int = 20
    solutions_per_dataset_group: int = 10
    active_campaigns_per_dataset_group: int = 5
    tags_per_resource: int = 50


class PersonalizeEmulator:
    """Amazon Personalize for the local cloud; holds every account's and region's resources.

    ``fail_steps`` names steps (see ``timeline.STEPS``) whose next resource must end CREATE FAILED; each
    name fails once. ``check_s3_access`` makes imports fail, as on AWS, when the bucket policy or the role
    does not let Personalize read the data.
    """

    def __init__(
        self,
        clock: SimClock,
        timeline: Timeline,
        fail_steps: Iterable[str] = frozenset(),
        *,
        quotas: Quotas | None = None,
        check_s3_access: bool = True,
    ) -> None:
        unknown = sorted(set(fail_steps) - set(STEPS))
        if unknown:
            raise ValueError(f"unknown fail steps {unknown}; expected some of {list(STEPS)}")
        self.clock = clock
        self.timeline = timeline
        self.quotas = quotas or Quotas()
        self.check_s3_access = check_s3_access
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
                    return state.records(dataset, now)
        raise KeyError(dataset_arn)

    # --- used by the responses layer --------------------------------------------------------------

    def handle(self, account: str, region: str, generation: object, operation: str, params: dict) -> dict:
        """Run ``operation`` for ``account``/``region`` at the caller's simulated time.

        ``generation`` is moto's backend object for the account and region: moto replaces it whenever a
        ``mock_aws`` context starts or ends, and a new one means the state held so far is stale.
        """
        now = self.clock.now()
        with self._lock:
            state = self._regions.get((account, region))
            if state is None or state.generation is not generation:
                state = self._regions[(account, region)] = RegionState(self, account, region, generation)
            state.sweep(now)
            method = getattr(state, _snake(operation))
            return method(params, now)

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


def _snake(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


class RegionState:
    """The resources of one account in one region, and the operations on them."""

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
        self._reported: dict[tuple[str, str], str | None] = {}  # (resource_type, ARN) -> status
        self._clients: dict[str, Any] = {}

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
        """Drop resources whose delete has completed, with what goes with them, and run auto-training."""
        for solution in list(self.solutions.values()):
            self._auto_train(solution, now)
        for store in (self.dataset_groups, self.datasets, self.solutions, self.campaigns):
            for arn in [arn for arn, r in store.items() if r.status(now) is None]:
                self._forget(store, arn, now)
        for arn in [arn for arn, j in self.import_jobs.items() if j.dataset_arn not in self.datasets]:
            self._forget(self.import_jobs, arn, now)
        for arn in [arn for arn, v in self.versions.items() if v.solution.arn not in self.solutions]:
            self._forget(self.versions, arn, now)

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

    def require_no_update(self, resource: Solution | Campaign, now: float, action: str) -> None:
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

    def lifecycle(self, step: str, arn: str, now: float, failure: str | None = None) -> Lifecycle:
        """A create lifecycle for ``step``; an injected failure takes precedence over ``failure``."""
        if self.emulator.take_failure(step):
            failure = INJECTED_FAILURES.get(step, failure)
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
        for tag in raw or []:
            if tag["tagKey"].lower().startswith("aws:"):
                raise InvalidInputException(f"Tag keys cannot start with 'aws:': {tag['tagKey']}.")
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

    # --- data ---------------------------------------------------------------------------------------

    def completed_imports(self, dataset: Dataset, now: float) -> list[DatasetImportJob]:
        """The dataset's import jobs that are ACTIVE at ``now``, in the order they completed."""
        done = [
            job
            for job in self.import_jobs.values()
            if job.dataset_arn == dataset.arn and job.finished_at is not None and job.finished_at <= now
        ]
        return sorted(done, key=lambda job: (job.finished_at, job.created))

    def segments(self, dataset: Dataset, now: float) -> list[imports.ImportedData]:
        """The imported data that is live at ``now``: the last FULL import and the INCREMENTAL ones after."""
        live: list[imports.ImportedData] = []
        for job in self.completed_imports(dataset, now):
            assert job.data is not None
            if job.import_mode == "FULL":
                live = []
            live.append(job.data)
        return live

    def records(self, dataset: Dataset, now: float) -> list[dict[str, Any]]:
        """Live records as dicts; for keyed datasets a later record replaces one with the same id."""
        rows = [dict(zip(s.columns, row, strict=True)) for s in self.segments(dataset, now) for row in s.rows]
        key = RECORD_KEYS.get(dataset.dataset_type)
        if key is None:
            return rows
        return list({row[key]: row for row in rows}.values())

    def interactions(self, dataset: Dataset, now: float) -> list[Interaction]:
        result = []
        for segment in self.segments(dataset, now):
            index = {name: i for i, name in enumerate(segment.columns)}
            user, item, ts = index["USER_ID"], index["ITEM_ID"], index["TIMESTAMP"]
            event_type, event_value = index.get("EVENT_TYPE"), index.get("EVENT_VALUE")
            for row in segment.rows:
                result.append(
                    Interaction(
                        row[user],
                        row[item],
                        row[ts],
                        row[event_type] if event_type is not None else None,
                        row[event_value] if event_value is not None else None,
                    )
                )
        return result

    def group_datasets(self, group_arn: str) -> dict[str, Dataset]:
        return {d.dataset_type: d for d in self.datasets.values() if d.dataset_group_arn == group_arn}

    # --- dataset groups -----------------------------------------------------------------------------

    def create_dataset_group(self, p: dict, now: float) -> dict:
        arn = self.arn(f"dataset-group/{p['name']}")
        self.ensure_new(self.dataset_groups, arn)
        if bool(p.get("roleArn")) != bool(p.get("kmsKeyArn")):
            raise InvalidInputException(
                "roleArn and kmsKeyArn go together: a KMS key needs a role that can use it, and a role is "
                "only used for the KMS key."
            )
        alive = sum(1 for g in self.dataset_groups.values() if g.status(now) not in {CREATE_FAILED, *DELETING})
        self.check_quota(alive, self.quotas.active_dataset_groups, "dataset group")
        group = self.create_resource(
            self.dataset_groups,
            DatasetGroup,
            "dataset-group",
            arn,
            p,
            now,
            role_arn=p.get("roleArn"),
            kms_key_arn=p.get("kmsKeyArn"),
            domain=p.get("domain"),
        )
        return {"datasetGroupArn": arn, "domain": group.domain}

    def describe_dataset_group(self, p: dict, now: float) -> dict:
        return self.describe_resource(self.dataset_groups, p["datasetGroupArn"], now)

    def list_dataset_groups(self, p: dict, now: float) -> dict:
        return self.page("ListDatasetGroups", list(self.dataset_groups.values()), p, None, now)

    def delete_dataset_group(self, p: dict, now: float) -> dict:
        group = self.get(self.dataset_groups, p["datasetGroupArn"])
        self.require_status(group, now, DELETABLE, "delete the dataset group")
        children = [d.arn for d in self.datasets.values() if d.dataset_group_arn == group.arn]
        children += [s.arn for s in self.solutions.values() if s.dataset_group_arn == group.arn]
        if children:
            raise ResourceInUseException(
                f"Cannot delete dataset group {group.arn}: delete its datasets and solutions first "
                f"({', '.join(sorted(children))})."
            )
        self.start_delete(group, "dataset-group", now)
        return {}

    # --- schemas ------------------------------------------------------------------------------------

    def create_schema(self, p: dict, now: float) -> dict:
        arn = self.arn(f"schema/{p['name']}")
        self.ensure_new(self.schemas, arn)
        self.check_quota(len(self.schemas), self.quotas.schemas, "schema")
        parsed = parse_schema(p["schema"])
        self.schemas[arn] = Schema(
            arn=arn,
            name=p["name"],
            lifecycle=Lifecycle([Transition(now, ACTIVE)]),
            text=p["schema"],
            parsed=parsed,
            domain=p.get("domain"),
        )
        return {"schemaArn": arn}

    def describe_schema(self, p: dict, now: float) -> dict:
        return {"schema": self.get(self.schemas, p["schemaArn"]).describe(now)}

    def list_schemas(self, p: dict, now: float) -> dict:
        return self.page("ListSchemas", list(self.schemas.values()), p, None, now)

    def delete_schema(self, p: dict, now: float) -> dict:
        schema = self.get(self.schemas, p["schemaArn"])
        if any(schema.arn in d.referenced_schemas() for d in self.datasets.values()):
            raise ResourceInUseException(f"Schema {schema.arn} is still in-use by another dataset.")
        del self.schemas[schema.arn]
        return {}

    # --- datasets -----------------------------------------------------------------------------------

    def _schema_for(self, schema_arn: str, dataset_type: str, group: DatasetGroup) -> Schema:
        schema = self.get(self.schemas, schema_arn)
        if schema.domain != group.domain:
            raise InvalidInputException(
                f"Schema {schema.arn} is for domain {schema.domain or 'none (Custom)'} but dataset group "
                f"{group.arn} is {group.domain or 'a Custom dataset group'}; they must match."
            )
        check_fits_dataset_type(schema.parsed, dataset_type, schema.arn)
        return schema

    def create_dataset(self, p: dict, now: float) -> dict:
        dataset_type = normalize_dataset_type(p["datasetType"])
        group = self.get(self.dataset_groups, p["datasetGroupArn"])
        self.require_status(group, now, {ACTIVE}, "create a dataset in the dataset group")
        schema = self._schema_for(p["schemaArn"], dataset_type, group)
        arn = self.arn(f"dataset/{group.name}/{dataset_type}")
        self.ensure_new(self.datasets, arn)
        self.create_resource(
            self.datasets,
            Dataset,
            "dataset",
            arn,
            p,
            now,
            dataset_group_arn=group.arn,
            dataset_type=dataset_type,
            schema_history=[(now, schema.arn)],
        )
        return {"datasetArn": arn}

    def describe_dataset(self, p: dict, now: float) -> dict:
        return self.describe_resource(self.datasets, p["datasetArn"], now)

    def list_datasets(self, p: dict, now: float) -> dict:
        parent = p.get("datasetGroupArn")
        items = [d for d in self.datasets.values() if parent is None or d.dataset_group_arn == parent]
        return self.page("ListDatasets", items, p, parent, now)

    def update_dataset(self, p: dict, now: float) -> dict:
        dataset = self.get(self.datasets, p["datasetArn"])
        group = self.get(self.dataset_groups, dataset.dataset_group_arn)
        schema = self._schema_for(p["schemaArn"], dataset.dataset_type, group)
        self.require_status(dataset, now, {ACTIVE}, "update the dataset")
        phase = self.update_phase(dataset, "dataset", now)
        statuses = (UPDATE_PENDING, UPDATE_IN_PROGRESS, ACTIVE)
        dataset.update = DatasetUpdate(
            schema_arn=schema.arn,
            lifecycle=Lifecycle(follow_up(now, phase, statuses)),
        )
        dataset.lifecycle.branch(now, follow_up(now, phase, statuses))
        dataset.schema_history.append((now + phase.total, schema.arn))
        self.observe(dataset, now)
        return {"datasetArn": dataset.arn}

    def delete_dataset(self, p: dict, now: float) -> dict:
        dataset = self.get(self.datasets, p["datasetArn"])
        self.require_status(dataset, now, DELETABLE, "delete the dataset")
        busy = [j.arn for j in self.import_jobs.values() if j.dataset_arn == dataset.arn and j.status(now) in IN_FLIGHT]
        busy += [
            v.arn
            for v in self.versions.values()
            if v.solution.dataset_group_arn == dataset.dataset_group_arn and v.status(now) in IN_FLIGHT
        ]
        if busy:
            raise ResourceInUseException(
                f"Cannot delete dataset {dataset.arn} while these are in progress: {', '.join(sorted(busy))}."
            )
        self.start_delete(dataset, "dataset", now)
        return {}

    # --- dataset import jobs ------------------------------------------------------------------------

    def create_dataset_import_job(self, p: dict, now: float) -> dict:
        dataset = self.get(self.datasets, p["datasetArn"])
        arn = self.arn(f"dataset-import-job/{p['jobName']}")
        self.ensure_new(self.import_jobs, arn)
        self.require_status(dataset, now, {ACTIVE}, "import into the dataset")
        running = [j for j in self.import_jobs.values() if j.dataset_arn == dataset.arn and j.status(now) in IN_FLIGHT]
        if running:
            raise ResourceInUseException(
                f"Dataset {dataset.arn} already has a dataset import job in progress: {running[0].arn}."
            )
        in_flight = sum(1 for j in self.import_jobs.values() if j.status(now) in IN_FLIGHT)
        self.check_quota(in_flight, self.quotas.in_flight_imports)
        mode = p.get("importMode") or "FULL"
        # "If you haven't imported bulk records into the dataset, only FULL is available" (import docs).
        if mode == "INCREMENTAL" and not self.completed_imports(dataset, now):
            raise InvalidInputException(
                f"importMode INCREMENTAL needs an earlier bulk import on dataset {dataset.arn}; the first "
                "import must be FULL."
            )
        tags = self.tags(p.get("tags"))  # before any injected failure is consumed
        # The data is read now and the outcome revealed when the job's time has passed: describe stays a
        # pure function of the clock. Its records join the dataset only once the job is ACTIVE.
        data, failure = None, None
        if self.emulator.take_failure("import"):
            failure = imports.privileges_failure(dataset.dataset_type)
        else:
            try:
                data = self._read_import(dataset, p["dataSource"]["dataLocation"], p.get("roleArn"), arn, now)
            except imports.ImportFailed as failed:
                failure = failed.reason
        phase = self.timeline.scaled(self.timeline.create["import"], arn)
        job = DatasetImportJob(
            arn=arn,
            name=p["jobName"],
            lifecycle=Lifecycle.create(now, phase, failure_reason=failure),
            tags=tags,
            dataset_arn=dataset.arn,
            data_location=p["dataSource"]["dataLocation"],
            role_arn=p.get("roleArn"),
            import_mode=mode,
            publish_attribution_metrics=bool(p.get("publishAttributionMetricsToS3", False)),
            data=data,
        )
        self.import_jobs[arn] = job
        self.observe(job, now)
        return {"datasetImportJobArn": arn}

    def _read_import(
        self, dataset: Dataset, data_location: str, role_arn: str | None, job_arn: str, now: float
    ) -> imports.ImportedData:
        location = imports.parse_location(data_location)
        s3 = self.client("s3")
        try:
            s3.head_bucket(Bucket=location.bucket)
        except ClientError as error:  # NoSuchBucket, or a bucket nobody may see: unusable location
            raise imports.ImportFailed(imports.INVALID_LOCATION) from error
        keys = imports.csv_keys(s3, location)
        if self.emulator.check_s3_access:
            imports.check_access(location, keys, role_arn, job_arn, dataset.dataset_type)
        files = imports.fetch_csv_files(s3, location, keys, dataset.dataset_type)
        schema = self.get(self.schemas, dataset.schema_arn(now))
        return imports.parse_csv_files(files, schema.parsed, dataset.dataset_type)

    def describe_dataset_import_job(self, p: dict, now: float) -> dict:
        return self.describe_resource(self.import_jobs, p["datasetImportJobArn"], now)

    def list_dataset_import_jobs(self, p: dict, now: float) -> dict:
        parent = p.get("datasetArn")
        items = [j for j in self.import_jobs.values() if parent is None or j.dataset_arn == parent]
        return self.page("ListDatasetImportJobs", items, p, parent, now)

    # --- solutions ----------------------------------------------------------------------------------

    def _recipe(self, arn: str) -> Recipe:
        if arn in DOMAIN_USE_CASES:
            raise InvalidInputException(
                f"Recipe {arn} is a domain use case: use it with CreateRecommender, not CreateSolution."
            )
        recipe = RECIPES.get(arn)
        if recipe is None:
            raise ResourceNotFoundException(arn)
        if not recipe.available:
            raise InvalidInputException(f"Recipe {arn} is no longer available. Choose another recipe.")
        return recipe

    def _automl_recipe(self, config: dict) -> str:
        candidates = config.get("autoMLConfig", {}).get("recipeList") or []
        usable = []
        for arn in candidates:
            recipe = self._recipe(arn)
            if recipe.family != "USER_PERSONALIZATION":
                raise InvalidInputException(f"AutoML can only choose among USER_PERSONALIZATION recipes, not {arn}.")
            usable.append(arn)
        if not usable or AUTOML_RECIPE in usable:
            return AUTOML_RECIPE
        return usable[0]

    @staticmethod
    def _check_schedule(config: dict) -> None:
        expression = config.get("autoTrainingConfig", {}).get("schedulingExpression")
        if expression is None:
            return
        match = _DAYS.fullmatch(expression)
        if not match or not 1 <= int(match.group(1)) <= 30:
            raise InvalidInputException(
                f"Invalid schedulingExpression {expression}: use rate(N days) with N from 1 to 30."
            )

    def create_solution(self, p: dict, now: float) -> dict:
        group = self.get(self.dataset_groups, p["datasetGroupArn"])
        arn = self.arn(f"solution/{p['name']}")
        self.ensure_new(self.solutions, arn)
        self.require_status(group, now, {ACTIVE}, "create a solution in the dataset group")
        config = p.get("solutionConfig") or {}
        automl = bool(p.get("performAutoML", False))
        if automl and p.get("recipeArn"):
            raise InvalidInputException("recipeArn must not be specified when performAutoML is true.")
        if not automl and not p.get("recipeArn"):
            raise InvalidInputException("recipeArn is required unless performAutoML is true.")
        recipe_arn = self._automl_recipe(config) if automl else p["recipeArn"]
        recipe = self._recipe(recipe_arn)
        incremental = bool(p.get("performIncrementalUpdate", False))
        if incremental and recipe.name != "aws-semantic-similarity":
            raise InvalidInputException("performIncrementalUpdate is only supported by aws-semantic-similarity.")
        if p.get("performHPO") and recipe.name == "aws-next-best-action":
            raise InvalidInputException("aws-next-best-action does not support hyperparameter optimization.")
        if "eventValueThreshold" in config:
            try:
                float(config["eventValueThreshold"])
            except ValueError:
                raise InvalidInputException(
                    f"eventValueThreshold must be a number, not {config['eventValueThreshold']!r}."
                ) from None
        self._check_schedule(config)
        alive = sum(
            1
            for s in self.solutions.values()
            if s.dataset_group_arn == group.arn and s.status(now) not in {CREATE_FAILED, *DELETING}
        )
        self.check_quota(alive, self.quotas.solutions_per_dataset_group, "solution")
        self.create_resource(
            self.solutions,
            Solution,
            "solution",
            arn,
            p,
            now,
            dataset_group_arn=group.arn,
            recipe_arn=recipe_arn,
            perform_hpo=bool(p.get("performHPO", False)),
            perform_automl=automl,
            perform_auto_training=bool(p.get("performAutoTraining", True)),
            perform_incremental_update=incremental,
            event_type=p.get("eventType"),
            config=config,
        )
        return {"solutionArn": arn}

    def _latest_version(self, solution: Solution) -> SolutionVersion | None:
        versions = [v for v in self.versions.values() if v.solution is solution]
        return max(versions, key=lambda v: (v.created, v.arn), default=None)

    def describe_solution(self, p: dict, now: float) -> dict:
        solution = self.get(self.solutions, p["solutionArn"])
        self.observe(solution, now)
        latest = self._latest_version(solution)
        return {"solution": solution.describe(now, latest.summary(now) if latest else None)}

    def list_solutions(self, p: dict, now: float) -> dict:
        parent = p.get("datasetGroupArn")
        items = [s for s in self.solutions.values() if parent is None or s.dataset_group_arn == parent]
        return self.page("ListSolutions", items, p, parent, now)

    def update_solution(self, p: dict, now: float) -> dict:
        solution = self.get(self.solutions, p["solutionArn"])
        self.require_status(solution, now, {ACTIVE}, "update the solution")
        self.require_no_update(solution, now, "update solution")
        recipe = RECIPES[solution.recipe_arn]
        if p.get("performIncrementalUpdate") and recipe.name != "aws-semantic-similarity":
            raise InvalidInputException("performIncrementalUpdate is only supported by aws-semantic-similarity.")
        config = p.get("solutionUpdateConfig") or {}
        self._check_schedule(config)
        phase = self.update_phase(solution, "solution", now)
        solution.update = SolutionUpdate(
            lifecycle=Lifecycle.create(now, phase),
            perform_auto_training=p.get("performAutoTraining"),
            perform_incremental_update=p.get("performIncrementalUpdate"),
            config=config,
        )
        self.observe(solution, now)
        return {"solutionArn": solution.arn}

    def delete_solution(self, p: dict, now: float) -> dict:
        solution = self.get(self.solutions, p["solutionArn"])
        self.require_status(solution, now, DELETABLE, "delete the solution")
        campaigns = [c.arn for c in self.campaigns.values() if solution.arn in c.solution_arns()]
        if campaigns:
            raise ResourceInUseException(
                f"Cannot delete solution {solution.arn}: delete its campaigns first ({', '.join(sorted(campaigns))})."
            )
        training = [v.arn for v in self.versions.values() if v.solution is solution and v.status(now) in IN_FLIGHT]
        if training:
            raise ResourceInUseException(
                f"Cannot delete solution {solution.arn} while a solution version is in progress: {training[0]}."
            )
        self.start_delete(solution, "solution", now)
        return {}

    # --- solution versions --------------------------------------------------------------------------

    def _train(self, solution: Solution, now: float, mode: str, kind: str, name: str | None) -> SolutionVersion:
        """Create a version at ``now`` from the data live at ``now``; training minimums decide its fate."""
        recipe = RECIPES[solution.recipe_arn]
        datasets = self.group_datasets(solution.dataset_group_arn)
        solution.version_count += 1
        digest = hashlib.sha256(f"{solution.arn}#{solution.version_count}".encode()).hexdigest()[:8]
        arn = f"{solution.arn}/{digest}"
        config = solution.effective_config(now)
        threshold = config.get("eventValueThreshold")
        interactions: list[Interaction] = []
        if "INTERACTIONS" in datasets:
            interactions = select(
                self.interactions(datasets["INTERACTIONS"], now),
                solution.event_type,
                float(threshold) if threshold is not None else None,
            )
        catalogue: frozenset[str] = frozenset()
        if "ITEMS" in datasets:
            catalogue = frozenset(str(r["ITEM_ID"]) for r in self.records(datasets["ITEMS"], now))
        failure = minimum_failure(interactions, solution.event_type) if recipe.interaction_minimums else None
        lifecycle = self.lifecycle("solution-version", arn, now, failure)
        in_progress = self.timeline.scaled(self.timeline.create["solution-version"], arn).in_progress
        hours = round(max(1.0, in_progress / 3600 * self.timeline.training_hours_per_hour), 3)
        version = SolutionVersion(
            arn=arn,
            name=name or f"{solution.name}/{digest}",
            lifecycle=lifecycle,
            solution=solution,
            training_mode=mode,
            training_type=kind,
            config=config,
            interactions=interactions,
            catalogue=catalogue,
            training_hours=hours,
        )
        self.versions[arn] = version
        return version

    def _auto_train(self, solution: Solution, now: float) -> None:
        """Materialize the versions automatic training has started by ``now`` (first 1 h after ACTIVE).

        If a manual version was created within that first hour, the first automatic training is skipped,
        as the CreateSolution documentation says; later ones follow every ``rate(N days)``.
        """
        active_at = solution.lifecycle.first_time_in(ACTIVE)
        if active_at is None:
            return
        versions = [v for v in self.versions.values() if v.solution is solution]
        automatic = [v for v in versions if v.training_type == "AUTOMATIC"]
        slot = len(automatic)
        while True:
            due = self._auto_training_slot(solution, active_at, versions, slot)
            if due is None or due > now or solution.status(due) != ACTIVE or not solution.auto_training(due):
                return
            version = self._train(solution, due, "AUTOTRAIN", "AUTOMATIC", None)
            versions.append(version)
            slot += 1

    def _auto_training_slot(
        self, solution: Solution, active_at: float, versions: list[SolutionVersion], index: int
    ) -> float | None:
        first = active_at + 3600
        manual_in_first_hour = any(v.training_type == "MANUAL" and active_at <= v.created < first for v in versions)
        if manual_in_first_hour:
            index += 1
        expression = solution.effective_config(first).get("autoTrainingConfig", {}).get("schedulingExpression")
        match = _DAYS.fullmatch(expression or "")
        days = int(match.group(1)) if match else 7
        return first + index * days * 86400

    def create_solution_version(self, p: dict, now: float) -> dict:
        solution = self.get(self.solutions, p["solutionArn"])
        self.require_status(solution, now, {ACTIVE}, "train the solution")
        recipe = RECIPES[solution.recipe_arn]
        mode = p.get("trainingMode") or "FULL"
        if mode == "AUTOTRAIN":
            raise InvalidInputException("trainingMode AUTOTRAIN is set by automatic training only.")
        if mode == "UPDATE":
            if not recipe.incremental_training:
                raise InvalidInputException(
                    f"trainingMode UPDATE is only supported by User-Personalization, not {solution.recipe_arn}."
                )
            if not any(
                v.solution is solution and v.training_mode == "FULL" and v.status(now) == ACTIVE
                for v in self.versions.values()
            ):
                raise InvalidInputException(
                    f"trainingMode UPDATE needs an ACTIVE solution version of {solution.arn} trained with FULL."
                )
        in_flight = sum(1 for v in self.versions.values() if v.status(now) in IN_FLIGHT)
        self.check_quota(in_flight, self.quotas.in_flight_solution_versions)
        datasets = self.group_datasets(solution.dataset_group_arn)
        # [I] Training needs imported data ("an import must be ACTIVE before training"); the code for a
        # missing one is undocumented, InvalidInputException is the natural one for a bad request.
        for dataset_type in sorted(recipe.needs):
            dataset = datasets.get(dataset_type)
            if dataset is None or not self.completed_imports(dataset, now):
                raise InvalidInputException(
                    f"Cannot train solution {solution.arn}: its dataset group has no imported "
                    f"{dataset_type} data. Wait for a dataset import job to be ACTIVE."
                )
        tags = self.tags(p.get("tags"))
        version = self._train(solution, now, mode, "MANUAL", p.get("name"))
        version.tags = tags
        self.observe(version, now)
        return {"solutionVersionArn": version.arn}

    def describe_solution_version(self, p: dict, now: float) -> dict:
        return self.describe_resource(self.versions, p["solutionVersionArn"], now)

    def list_solution_versions(self, p: dict, now: float) -> dict:
        parent = p.get("solutionArn")
        if parent is not None:
            self.get(self.solutions, parent)
        items = [v for v in self.versions.values() if parent is None or v.solution.arn == parent]
        return self.page("ListSolutionVersions", items, p, parent, now)

    def stop_solution_version_creation(self, p: dict, now: float) -> dict:
        version = self.get(self.versions, p["solutionVersionArn"])
        status = self.require_status(version, now, IN_FLIGHT, "stop the solution version")
        if status == CREATE_PENDING:
            version.lifecycle.branch(now, [Transition(now, CREATE_STOPPED)])
        else:
            stop = self.timeline.stop_seconds
            version.lifecycle.branch(now, [Transition(now, CREATE_STOPPING), Transition(now + stop, CREATE_STOPPED)])
        self.observe(version, now)
        return {}

    def get_solution_metrics(self, p: dict, now: float) -> dict:
        version = self.get(self.versions, p["solutionVersionArn"])
        self.require_status(version, now, {ACTIVE}, "get metrics of the solution version")
        if version.metrics is None:
            version.metrics = compute_metrics(version.interactions, version.catalogue)
        return {"solutionVersionArn": version.arn, "metrics": dict(version.metrics)}

    # --- campaigns ----------------------------------------------------------------------------------

    def _servable_version(self, arn: str, now: float, sync: bool) -> SolutionVersion:
        """Resolve ``arn`` (a version or ``<solutionArn>/$LATEST``) to an ACTIVE version a campaign can use."""
        latest = arn.endswith("/$LATEST")
        if sync and not latest:
            raise InvalidInputException(
                "syncWithLatestSolutionVersion needs solutionVersionArn in the form <solutionArn>/$LATEST."
            )
        if latest:
            solution = self.get(self.solutions, arn.removesuffix("/$LATEST"))
            active = [v for v in self.versions.values() if v.solution is solution and v.status(now) == ACTIVE]
            if not active:
                raise ResourceInUseException(f"Solution {solution.arn} has no ACTIVE solution version to deploy.")
            version = max(active, key=lambda v: (v.created, v.arn))
        else:
            version = self.get(self.versions, arn)
        self.require_status(version, now, {ACTIVE}, "deploy the solution version")
        if not RECIPES[version.solution.recipe_arn].campaign:
            raise InvalidInputException(
                f"Solution version {version.arn} uses {version.solution.recipe_arn}, which serves batch segment "
                "jobs only and cannot be deployed in a campaign."
            )
        return version

    @staticmethod
    def _campaign_config(version: SolutionVersion, raw: dict | None) -> dict[str, Any]:
        config = dict(raw or {})
        if version.solution.recipe_arn.endswith("/aws-user-personalization"):
            exploration = {"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"}
            exploration.update(config.get("itemExplorationConfig") or {})
            config["itemExplorationConfig"] = exploration
        return config

    def create_campaign(self, p: dict, now: float) -> dict:
        arn = self.arn(f"campaign/{p['name']}")
        self.ensure_new(self.campaigns, arn)
        config = p.get("campaignConfig") or {}
        version = self._servable_version(
            p["solutionVersionArn"], now, bool(config.get("syncWithLatestSolutionVersion"))
        )
        group_arn = version.solution.dataset_group_arn
        # Campaigns on their way to ACTIVE count too, or six created at once would all slip through.
        alive = sum(
            1
            for c in self.campaigns.values()
            if c.dataset_group_arn == group_arn and c.status(now) in {ACTIVE, *IN_FLIGHT}
        )
        self.check_quota(alive, self.quotas.active_campaigns_per_dataset_group, "campaign")
        self.create_resource(
            self.campaigns,
            Campaign,
            "campaign",
            arn,
            p,
            now,
            dataset_group_arn=group_arn,
            settings=CampaignSettings(
                solution_version_arn=version.arn,
                min_provisioned_tps=p.get("minProvisionedTPS") or 1,
                config=self._campaign_config(version, config),
            ),
        )
        return {"campaignArn": arn}

    def describe_campaign(self, p: dict, now: float) -> dict:
        return self.describe_resource(self.campaigns, p["campaignArn"], now)

    def list_campaigns(self, p: dict, now: float) -> dict:
        parent = p.get("solutionArn")
        items = [c for c in self.campaigns.values() if parent is None or c.solution_arn(now) == parent]
        return self.page("ListCampaigns", items, p, parent, now)

    def update_campaign(self, p: dict, now: float) -> dict:
        campaign = self.get(self.campaigns, p["campaignArn"])
        status = self.require_status(campaign, now, {ACTIVE, CREATE_FAILED}, "update the campaign")
        self.require_no_update(campaign, now, "update campaign")
        current = campaign.current(now)
        config = p.get("campaignConfig")
        sync = bool((config if config is not None else current.config).get("syncWithLatestSolutionVersion"))
        if p.get("solutionVersionArn"):
            version = self._servable_version(p["solutionVersionArn"], now, sync)
        else:
            version = self.get(self.versions, current.solution_version_arn)
        settings = CampaignSettings(
            solution_version_arn=version.arn,
            min_provisioned_tps=p.get("minProvisionedTPS") or current.min_provisioned_tps,
            config=self._campaign_config(version, config) if config is not None else dict(current.config),
        )
        phase = self.update_phase(campaign, "campaign", now)
        campaign.update = CampaignUpdate(settings=settings, lifecycle=Lifecycle.create(now, phase))
        if status == CREATE_FAILED:
            # [I] a failed campaign is redeployed by the update, so its own status follows the update.
            campaign.lifecycle.branch(now, follow_up(now, phase, (CREATE_PENDING, CREATE_IN_PROGRESS, ACTIVE)))
        self.observe(campaign, now)
        return {"campaignArn": campaign.arn}

    def delete_campaign(self, p: dict, now: float) -> dict:
        campaign = self.get(self.campaigns, p["campaignArn"])
        self.require_status(campaign, now, DELETABLE, "delete the campaign")
        self.require_no_update(campaign, now, "delete campaign")
        self.start_delete(campaign, "campaign", now)
        return {}

    # --- tags ---------------------------------------------------------------------------------------

    def list_tags_for_resource(self, p: dict, now: float) -> dict:
        resource = self.find(p["resourceArn"])
        return {"tags": [{"tagKey": k, "tagValue": v} for k, v in resource.tags.items()]}

    def tag_resource(self, p: dict, now: float) -> dict:
        resource = self.find(p["resourceArn"])
        resource.tags = self.tags(p["tags"], resource.tags)
        return {}

    def untag_resource(self, p: dict, now: float) -> dict:
        resource = self.find(p["resourceArn"])
        keys = p["tagKeys"]
        if len(keys) > self.quotas.tags_per_resource:
            raise TooManyTagKeysException(
                f"The request names {len(keys)} tag keys; a resource has at most {self.quotas.tags_per_resource}."
            )
        resource.tags = {k: v for k, v in resource.tags.items() if k not in keys}
        return {}
