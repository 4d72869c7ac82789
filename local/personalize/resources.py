"""The emulated resources and how each one describes itself at a given simulated time.

Each resource keeps what its create call fixed (parameters, outcome, lifecycle) and renders its Describe
and List views from the time of the observer. Field names are the service model's; the responses layer
strips None values and checks every key against the model before anything goes on the wire.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from .imports import ImportedData
from .schemas import ParsedSchema
from .timeline import ACTIVE, IN_FLIGHT, UPDATE_IN_PROGRESS, UPDATE_PENDING, Lifecycle, Snapshot
from .training import Interaction

if TYPE_CHECKING:
    # Imported when first needed: numpy, scipy and implicit load only once a model trains.
    from .algorithms import Model, TrainingData


def timestamp(value: float) -> float:
    """Epoch seconds with the millisecond precision real responses carry."""
    return round(value, 3)


def lifecycle_fields(lifecycle: Lifecycle, now: float, *, failure_reason: bool = True) -> dict[str, Any]:
    """What a view shows of ``lifecycle`` at ``now``: status, failureReason (unless the view's shape has
    none) and the times. lastUpdatedDateTime is when the current status began, never before creation
    (a delete started by a caller whose simulated time lags behind the creation can begin earlier)."""
    snap = lifecycle.at(now)
    fields: dict[str, Any] = {
        "status": snap.status,
        "creationDateTime": timestamp(lifecycle.created),
        "lastUpdatedDateTime": timestamp(max(snap.since, lifecycle.created)),
    }
    if failure_reason:
        fields["failureReason"] = snap.failure_reason
    return fields


@dataclass(eq=False, kw_only=True)
class Resource:
    """Common state: identity, lifecycle, tags."""

    KIND: ClassVar[str]  # the Describe wrapper key, also the listener's resource_type
    INVENTORY: ClassVar[str]  # the inventory (and List result) key

    arn: str
    name: str
    lifecycle: Lifecycle
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def created(self) -> float:
        return self.lifecycle.created

    def snapshot(self, now: float) -> Snapshot:
        return self.lifecycle.at(now)

    def status(self, now: float) -> str | None:
        return self.snapshot(now).status

    def tracked_statuses(self, now: float) -> dict[str, str | None]:
        """Statuses the listeners follow, keyed by the resource_type they are reported under.

        The resource's own status always; resources whose updates run beside an unchanged top-level
        status (campaigns, solutions) add their latest update's, so a live view can show it too.
        """
        return {self.KIND: self.status(now)}


@dataclass(eq=False, kw_only=True)
class Update:
    """One asynchronous update (UpdateDataset, UpdateSolution, UpdateCampaign) with its own lifecycle."""

    lifecycle: Lifecycle

    def status(self, now: float) -> str | None:
        return self.lifecycle.at(now).status

    def applied(self, now: float) -> bool:
        """Whether the update has completed, so that what it sets is in effect."""
        return self.status(now) == ACTIVE

    def in_progress(self, now: float) -> bool:
        return self.status(now) in IN_FLIGHT


@dataclass(eq=False, kw_only=True)
class DatasetGroup(Resource):
    KIND = "datasetGroup"
    INVENTORY = "datasetGroups"

    role_arn: str | None = None
    kms_key_arn: str | None = None
    domain: str | None = None

    def summary(self, now: float) -> dict[str, Any]:
        return {
            "name": self.name,
            "datasetGroupArn": self.arn,
            **lifecycle_fields(self.lifecycle, now),
            "domain": self.domain,
        }

    def describe(self, now: float) -> dict[str, Any]:
        return {**self.summary(now), "roleArn": self.role_arn, "kmsKeyArn": self.kms_key_arn}


@dataclass(eq=False, kw_only=True)
class Schema(Resource):
    """Schemas are synchronous: no status, deleted at once."""

    KIND = "schema"
    INVENTORY = "schemas"

    text: str
    parsed: ParsedSchema
    domain: str | None = None

    def summary(self, now: float) -> dict[str, Any]:
        return {
            "name": self.name,
            "schemaArn": self.arn,
            "creationDateTime": timestamp(self.created),
            "lastUpdatedDateTime": timestamp(self.created),
            "domain": self.domain,
        }

    def describe(self, now: float) -> dict[str, Any]:
        return {**self.summary(now), "schema": self.text}


@dataclass(eq=False, kw_only=True)
class DatasetUpdate(Update):
    """One UpdateDataset call: the schema it switches to and its own lifecycle."""

    schema_arn: str

    def render(self, now: float) -> dict[str, Any]:
        return {"schemaArn": self.schema_arn, **lifecycle_fields(self.lifecycle, now)}


@dataclass(eq=False, kw_only=True)
class Dataset(Resource):
    """A dataset: its schema changes only when an UpdateDataset completes, so it is kept as a history."""

    KIND = "dataset"
    INVENTORY = "datasets"

    dataset_group_arn: str
    dataset_type: str
    schema_history: list[tuple[float, str]]  # (effective from, schema ARN), oldest first
    update: DatasetUpdate | None = None

    def schema_arn(self, now: float) -> str:
        current = self.schema_history[0][1]
        for since, arn in self.schema_history:
            if since <= now:
                current = arn
        return current

    def referenced_schemas(self) -> set[str]:
        return {arn for _, arn in self.schema_history}

    def summary(self, now: float) -> dict[str, Any]:
        # A dataset has no top-level failureReason: only latestDatasetUpdate carries one.
        return {
            "name": self.name,
            "datasetArn": self.arn,
            "datasetType": self.dataset_type,
            **lifecycle_fields(self.lifecycle, now, failure_reason=False),
        }

    def describe(self, now: float) -> dict[str, Any]:
        return {
            **self.summary(now),
            "datasetGroupArn": self.dataset_group_arn,
            "schemaArn": self.schema_arn(now),
            "latestDatasetUpdate": self.update.render(now) if self.update else None,
        }


@dataclass(eq=False, kw_only=True)
class DatasetImportJob(Resource):
    KIND = "datasetImportJob"
    INVENTORY = "datasetImportJobs"

    dataset_arn: str
    data_location: str
    role_arn: str | None
    import_mode: str
    publish_attribution_metrics: bool
    data: ImportedData | None  # what the job imports once ACTIVE; None when it fails

    @property
    def finished_at(self) -> float | None:
        """When the job becomes ACTIVE (and its records join the dataset); None if it fails."""
        return self.lifecycle.first_time_in(ACTIVE)

    def summary(self, now: float) -> dict[str, Any]:
        return {
            "datasetImportJobArn": self.arn,
            "jobName": self.name,
            **lifecycle_fields(self.lifecycle, now),
            "importMode": self.import_mode,
        }

    def describe(self, now: float) -> dict[str, Any]:
        return {
            **self.summary(now),
            "datasetArn": self.dataset_arn,
            "dataSource": {"dataLocation": self.data_location},
            "roleArn": self.role_arn,
            "publishAttributionMetricsToS3": self.publish_attribution_metrics,
        }


@dataclass(eq=False, kw_only=True)
class SolutionUpdate(Update):
    """One UpdateSolution call; its values apply once its own lifecycle is ACTIVE (None: not changed)."""

    perform_auto_training: bool | None
    perform_incremental_update: bool | None
    config: dict[str, Any]

    def render(self, now: float) -> dict[str, Any]:
        return {
            "solutionUpdateConfig": copy.deepcopy(self.config) or None,
            "performAutoTraining": self.perform_auto_training,
            "performIncrementalUpdate": self.perform_incremental_update,
            **lifecycle_fields(self.lifecycle, now),
        }


@dataclass(eq=False, kw_only=True)
class Solution(Resource):
    KIND = "solution"
    INVENTORY = "solutions"

    dataset_group_arn: str
    recipe_arn: str
    perform_hpo: bool
    perform_automl: bool
    perform_auto_training: bool
    perform_incremental_update: bool
    event_type: str | None
    config: dict[str, Any]
    version_count: int = 0
    update: SolutionUpdate | None = None

    def applied_update(self, now: float) -> SolutionUpdate | None:
        return self.update if self.update and self.update.applied(now) else None

    def auto_training(self, now: float) -> bool:
        return self._flag("perform_auto_training", now)

    def incremental_update(self, now: float) -> bool:
        return self._flag("perform_incremental_update", now)

    def _flag(self, name: str, now: float) -> bool:
        """The value an applied update set for the flag ``name``, or else the one the solution was created with."""
        value = getattr(self.applied_update(now), name, None)
        return getattr(self, name) if value is None else value

    def effective_config(self, now: float) -> dict[str, Any]:
        """The solution config, with the schedule default the service fills in and applied updates."""
        config = copy.deepcopy(self.config)
        update = self.applied_update(now)
        if update:
            config.update(copy.deepcopy(update.config))
        if self.auto_training(now):
            config.setdefault("autoTrainingConfig", {"schedulingExpression": "rate(7 days)"})
        return config

    def tracked_statuses(self, now: float) -> dict[str, str | None]:
        statuses = super().tracked_statuses(now)
        if self.update:
            statuses["solutionUpdate"] = self.update.status(now)
        return statuses

    def summary(self, now: float) -> dict[str, Any]:
        return {
            "name": self.name,
            "solutionArn": self.arn,
            **lifecycle_fields(self.lifecycle, now, failure_reason=False),
            "recipeArn": self.recipe_arn,
        }

    def describe(self, now: float, latest_version: dict[str, Any] | None) -> dict[str, Any]:
        return {
            **self.summary(now),
            "performHPO": self.perform_hpo,
            "performAutoML": self.perform_automl,
            "performAutoTraining": self.auto_training(now),
            "performIncrementalUpdate": self.incremental_update(now),
            "datasetGroupArn": self.dataset_group_arn,
            "eventType": self.event_type,
            "solutionConfig": self.effective_config(now) or None,
            "autoMLResult": {"bestRecipeArn": self.recipe_arn} if self.perform_automl else None,
            "latestSolutionVersion": latest_version,
            "latestSolutionUpdate": self.update.render(now) if self.update else None,
        }


@dataclass(eq=False, kw_only=True)
class SolutionVersion(Resource):
    """A trained model: the data it saw is frozen at creation; the model is trained from that data on first
    use and kept with the version (the data cannot change, so when it trains changes no answer); metrics are
    computed on first request."""

    KIND = "solutionVersion"
    INVENTORY = "solutionVersions"

    solution: Solution
    training_mode: str
    training_type: str
    config: dict[str, Any]
    interactions: list[Interaction]
    catalogue: frozenset[str]
    training_hours: float
    metrics: dict[str, float] | None = None
    #: The Items and Users dataset records by id, as imported when the version was created.
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    trained: Model | None = field(default=None, repr=False)

    def training_data(self) -> TrainingData:
        from .algorithms import TrainingData

        return TrainingData(self.interactions, self.items, self.users)

    def hyperparameters(self) -> dict[str, Any]:
        return dict(self.config.get("algorithmHyperParameters") or {})

    def model(self) -> Model:
        """The version's model, trained on the data the version was created with (seed 0: deterministic)."""
        if self.trained is None:
            from .algorithms import train

            self.trained = train(self.solution.recipe_arn, self.training_data(), hyperparameters=self.hyperparameters())
        return self.trained

    def summary(self, now: float) -> dict[str, Any]:
        return {
            "solutionVersionArn": self.arn,
            "trainingMode": self.training_mode,
            "trainingType": self.training_type,
            **lifecycle_fields(self.lifecycle, now),
        }

    def describe(self, now: float) -> dict[str, Any]:
        s = self.solution
        return {
            **self.summary(now),
            "name": self.name,
            "solutionArn": s.arn,
            "performHPO": s.perform_hpo,
            "performAutoML": s.perform_automl,
            "performIncrementalUpdate": s.incremental_update(self.created),
            "recipeArn": s.recipe_arn,
            "eventType": s.event_type,
            "datasetGroupArn": s.dataset_group_arn,
            "solutionConfig": copy.deepcopy(self.config) or None,
            "trainingHours": self.training_hours if self.status(now) == ACTIVE else None,
        }


@dataclass(eq=False, kw_only=True)
class CampaignSettings:
    """What a campaign serves: the version, the provisioned TPS and the config."""

    solution_version_arn: str
    min_provisioned_tps: int
    config: dict[str, Any]

    def render(self) -> dict[str, Any]:
        return {
            "solutionVersionArn": self.solution_version_arn,
            "minProvisionedTPS": self.min_provisioned_tps,
            "campaignConfig": copy.deepcopy(self.config) or None,
        }


@dataclass(eq=False, kw_only=True)
class CampaignUpdate(Update):
    settings: CampaignSettings

    def render(self, now: float) -> dict[str, Any]:
        return {**self.settings.render(), **lifecycle_fields(self.lifecycle, now)}


@dataclass(eq=False, kw_only=True)
class Campaign(Resource):
    """A deployment; during an update it keeps serving the old settings until the update is ACTIVE."""

    KIND = "campaign"
    INVENTORY = "campaigns"

    dataset_group_arn: str
    settings: CampaignSettings
    update: CampaignUpdate | None = None

    def current(self, now: float) -> CampaignSettings:
        if self.update and self.update.applied(now):
            return self.update.settings
        return self.settings

    def solution_arn(self, now: float) -> str:
        """The solution whose version the campaign serves at ``now`` (a version ARN extends its solution's)."""
        return self.current(now).solution_version_arn.rsplit("/", 1)[0]

    def solution_arns(self) -> set[str]:
        """Every solution the campaign serves or is being updated to: none of them may be deleted."""
        settings = [self.settings] + ([self.update.settings] if self.update else [])
        return {s.solution_version_arn.rsplit("/", 1)[0] for s in settings}

    def tracked_statuses(self, now: float) -> dict[str, str | None]:
        statuses = super().tracked_statuses(now)
        if self.update:
            statuses["campaignUpdate"] = self.update.status(now)
        return statuses

    def summary(self, now: float) -> dict[str, Any]:
        fields = lifecycle_fields(self.lifecycle, now)
        if self.update and (done := self.update.lifecycle.first_time_in(ACTIVE)) is not None and done <= now:
            fields["lastUpdatedDateTime"] = timestamp(max(done, self.snapshot(now).since))
        return {"name": self.name, "campaignArn": self.arn, **fields}

    def describe(self, now: float) -> dict[str, Any]:
        return {
            **self.summary(now),
            **self.current(now).render(),
            "latestCampaignUpdate": self.update.render(now) if self.update else None,
        }


@dataclass(eq=False, kw_only=True)
class EventTracker(Resource):
    """An event tracker: one per dataset group; its ARN ends in 8 hex digits, not its name (facts §2)."""

    KIND = "eventTracker"
    INVENTORY = "eventTrackers"

    dataset_group_arn: str
    account: str
    tracking_id: str

    def summary(self, now: float) -> dict[str, Any]:
        # The EventTracker shapes have no failureReason.
        return {
            "name": self.name,
            "eventTrackerArn": self.arn,
            **lifecycle_fields(self.lifecycle, now, failure_reason=False),
        }

    def describe(self, now: float) -> dict[str, Any]:
        return {
            **self.summary(now),
            "accountId": self.account,
            "trackingId": self.tracking_id,
            "datasetGroupArn": self.dataset_group_arn,
        }


@dataclass(eq=False, kw_only=True)
class Filter(Resource):
    """A recommendation filter: its expression is fixed at creation (there is no UpdateFilter)."""

    KIND = "filter"
    INVENTORY = "filters"

    dataset_group_arn: str
    expression: str
    #: (dataset type, field) pairs the expression reads, for the per-group field quota.
    fields: frozenset[tuple[str, str]]

    def summary(self, now: float) -> dict[str, Any]:
        return {
            "name": self.name,
            "filterArn": self.arn,
            "datasetGroupArn": self.dataset_group_arn,
            **lifecycle_fields(self.lifecycle, now),
        }

    def describe(self, now: float) -> dict[str, Any]:
        return {**self.summary(now), "filterExpression": self.expression}


@dataclass(eq=False, kw_only=True)
class RecommenderUpdate(Update):
    """One UpdateRecommender call: the config it applies once its own lifecycle is ACTIVE."""

    config: dict[str, Any]

    def in_progress(self, now: float) -> bool:
        return self.status(now) in (UPDATE_PENDING, UPDATE_IN_PROGRESS)

    def render(self, now: float) -> dict[str, Any]:
        return {"recommenderConfig": copy.deepcopy(self.config), **lifecycle_fields(self.lifecycle, now)}


@dataclass(eq=False, kw_only=True)
class Recommender(Resource):
    """A domain recommender; like a campaign, it keeps its old config until an update is ACTIVE, and its
    lifecycle also carries stops (STOP ... INACTIVE) and starts (START ... ACTIVE)."""

    KIND = "recommender"
    INVENTORY = "recommenders"

    dataset_group_arn: str
    recipe_arn: str
    config: dict[str, Any]
    update: RecommenderUpdate | None = None
    #: The interactions of the use case's event type (and Items/Users records) it trained on, frozen at
    #: creation; the model is trained from them on first use.
    interactions: list[Interaction] = field(default_factory=list)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    trained: Model | None = field(default=None, repr=False)

    def model(self) -> Model:
        """The use case's model (algorithms.FAMILIES), trained on the data the recommender was created with."""
        if self.trained is None:
            from .algorithms import TrainingData, train

            self.trained = train(self.recipe_arn, TrainingData(self.interactions, self.items, self.users))
        return self.trained

    def current_config(self, now: float) -> dict[str, Any]:
        if self.update and self.update.applied(now):
            return self.update.config
        return self.config

    def tracked_statuses(self, now: float) -> dict[str, str | None]:
        statuses = super().tracked_statuses(now)
        if self.update:
            statuses["recommenderUpdate"] = self.update.status(now)
        return statuses

    def summary(self, now: float) -> dict[str, Any]:
        return {
            "name": self.name,
            "recommenderArn": self.arn,
            "datasetGroupArn": self.dataset_group_arn,
            "recipeArn": self.recipe_arn,
            "recommenderConfig": copy.deepcopy(self.current_config(now)),
            **lifecycle_fields(self.lifecycle, now, failure_reason=False),
        }

    def describe(self, now: float) -> dict[str, Any]:
        return {
            **self.summary(now),
            "failureReason": self.snapshot(now).failure_reason,
            "latestRecommenderUpdate": self.update.render(now) if self.update else None,
        }


@dataclass(eq=False, kw_only=True)
class BatchJob(Resource):
    """A batch inference or batch segment job: its request, and the output files it writes once ACTIVE.

    The outcome is fixed at creation (the input was read then); ``outputs`` (S3 key -> body) are written
    to the output bucket the first time the job is seen ACTIVE, as the service writes them when it ends.
    """

    ARN_KEY: ClassVar[str]

    solution_version_arn: str
    request: dict[str, Any]
    output_bucket: str
    outputs: dict[str, bytes]
    written: bool = False

    @property
    def finished_at(self) -> float | None:
        return self.lifecycle.first_time_in(ACTIVE)

    def summary(self, now: float) -> dict[str, Any]:
        return {
            self.ARN_KEY: self.arn,
            "jobName": self.name,
            **lifecycle_fields(self.lifecycle, now),
            "solutionVersionArn": self.solution_version_arn,
        }

    def describe(self, now: float) -> dict[str, Any]:
        request = copy.deepcopy(self.request)
        return {
            **self.summary(now),
            "filterArn": request.get("filterArn"),
            "numResults": request["numResults"],
            "jobInput": request["jobInput"],
            "jobOutput": request["jobOutput"],
            "roleArn": request["roleArn"],
        }


@dataclass(eq=False, kw_only=True)
class BatchInferenceJob(BatchJob):
    KIND = "batchInferenceJob"
    INVENTORY = "batchInferenceJobs"
    ARN_KEY = "batchInferenceJobArn"

    def summary(self, now: float) -> dict[str, Any]:
        return {**super().summary(now), "batchInferenceJobMode": self.request["batchInferenceJobMode"]}

    def describe(self, now: float) -> dict[str, Any]:
        return {
            **super().describe(now),
            "batchInferenceJobConfig": copy.deepcopy(self.request.get("batchInferenceJobConfig")),
            "batchInferenceJobMode": self.request["batchInferenceJobMode"],
            "themeGenerationConfig": copy.deepcopy(self.request.get("themeGenerationConfig")),
        }


@dataclass(eq=False, kw_only=True)
class BatchSegmentJob(BatchJob):
    KIND = "batchSegmentJob"
    INVENTORY = "batchSegmentJobs"
    ARN_KEY = "batchSegmentJobArn"
