"""A faithful Amazon Personalize control plane for the local cloud (moto itself implements only schemas).

Install it, then use a plain ``boto3.client("personalize")`` inside ``mock_aws()`` (``personalize-runtime``
and ``personalize-events`` clients reach it too: dataplane.py, ops/runtime.py, ops/events.py)::

    clock = SimClock()
    emulator = PersonalizeEmulator(clock, Timeline.instant(), fail_steps={"import"})
    install(emulator)                      # before or inside mock_aws(); uninstall() undoes it
    with mock_aws():
        boto3.client("personalize").create_dataset_group(name="demo")

- ``PersonalizeEmulator(clock, timeline, fail_steps=(), *, quotas=Quotas(), check_s3_access=True)``
  holds every account's and region's resources. A new emulator starts empty, and the state of an
  account/region is dropped when moto resets (each ``mock_aws`` context); ``reset()`` drops it at once.
- ``Timeline.instant()`` settles every step within one to three 10-60 s polls; ``Timeline.realistic()``
  uses the durations observed on the service (facts §10), spread deterministically per ARN.
- ``fail_steps``: any of ``STEPS`` (dataset-group, dataset, import, solution, solution-version,
  campaign, event-tracker, filter, recommender, batch-inference-job, batch-segment-job); the next resource
  of that step ends CREATE FAILED with a realistic failureReason.
- ``add_listener(fn)``: ``fn(sim_time, resource_type, arn, old_status, new_status)`` whenever a call
  observes a status not reported before for that resource; ``None`` means "does not exist" (creation
  reports ``None -> CREATE PENDING``, a completed delete ``... -> None``). ``resource_type`` is the
  Describe key (``datasetGroup``, ``dataset``, ``datasetImportJob``, ``solution``, ``solutionVersion``,
  ``campaign``, ``eventTracker``, ``filter``, ``recommender``, ``batchInferenceJob``,
  ``batchSegmentJob``), or ``campaignUpdate`` / ``solutionUpdate`` /
  ``recommenderUpdate`` for the latest update of those three.
- ``inventory(at=None)``: ARNs existing now, keyed ``datasetGroups, schemas, datasets, datasetImportJobs,
  solutions, solutionVersions, campaigns, eventTrackers, filters, recommenders, batchInferenceJobs,
  batchSegmentJobs``.
- ``dataset_records(dataset_arn)``: the records a dataset holds after its FULL/INCREMENTAL imports and the
  events PutEvents recorded.
- ``snapshot()`` / ``restore(regions)``: every resource, picklable, for ``--state DIR`` (local/state.py).

Statuses are pure functions of the caller's simulated time; imports read the CSV files from moto S3 when
the job is created; training applies the service minimums to the imported data and GetSolutionMetrics
scores a popularity baseline on a held-out split. ``local.personalize.testing`` has test helpers.
"""

from .models import Listener, PersonalizeEmulator, Quotas
from .responses import OPERATIONS, install, installed, uninstall
from .timeline import STEPS, Phase, Timeline

__all__ = [
    "OPERATIONS",
    "STEPS",
    "Listener",
    "PersonalizeEmulator",
    "Phase",
    "Quotas",
    "Timeline",
    "install",
    "installed",
    "uninstall",
]
