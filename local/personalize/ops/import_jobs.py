"""Dataset import jobs, and the data their completed runs make live in a dataset."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from .. import imports
from ..errors import InvalidInputException, ResourceInUseException
from ..resources import Dataset, DatasetImportJob
from ..schemas import RECORD_KEYS
from ..timeline import ACTIVE, IN_FLIGHT, Lifecycle
from ..training import Interaction
from . import events
from .registry import operation

if TYPE_CHECKING:
    from ..models import RegionState


@operation("CreateDatasetImportJob")
def create_dataset_import_job(state: RegionState, p: dict, now: float) -> dict:
    dataset = state.get(state.datasets, p["datasetArn"])
    arn = state.arn(f"dataset-import-job/{p['jobName']}")
    state.ensure_new(state.import_jobs, arn)
    state.require_status(dataset, now, {ACTIVE}, "import into the dataset")
    running = [j for j in state.import_jobs.values() if j.dataset_arn == dataset.arn and j.status(now) in IN_FLIGHT]
    if running:
        raise ResourceInUseException(
            f"Dataset {dataset.arn} already has a dataset import job in progress: {running[0].arn}."
        )
    in_flight = sum(1 for j in state.import_jobs.values() if j.status(now) in IN_FLIGHT)
    state.check_quota(in_flight, state.quotas.in_flight_imports)
    mode = p.get("importMode") or "FULL"
    # "If you haven't imported bulk records into the dataset, only FULL is available" (import docs).
    if mode == "INCREMENTAL" and not completed_imports(state, dataset, now):
        raise InvalidInputException(
            f"importMode INCREMENTAL needs an earlier bulk import on dataset {dataset.arn}; the first "
            "import must be FULL."
        )
    tags = state.tags(p.get("tags"))  # before any injected failure is consumed
    # The data is read now and the outcome revealed when the job's time has passed: describe stays a
    # pure function of the clock. Its records join the dataset only once the job is ACTIVE.
    data, failure = None, None
    if state.emulator.take_failure("import"):
        failure = imports.privileges_failure(dataset.dataset_type)
    else:
        try:
            data = _read_import(state, dataset, p["dataSource"]["dataLocation"], p.get("roleArn"), arn, now)
            if dataset.dataset_type == "INTERACTIONS":
                # [I] when the event-type quota is checked is undocumented; the import that would break it
                # is the earliest point, and the data it would add to (INCREMENTAL) counts too.
                earlier = segments(state, dataset, now) if mode == "INCREMENTAL" else []
                rows = [row for s in earlier if s.columns == data.columns for row in s.rows] + data.rows
                imports.check_event_types(data.columns, rows, dataset.dataset_type)
        except imports.ImportFailed as failed:
            failure = failed.reason
    # The time grows with the bytes read; a job that fails before reading the data takes the fixed part.
    phase = state.timeline.import_phase(arn, data.size_bytes if data else 0)
    if failure is not None:
        data = None  # read, but refused (event-type quota): its records never join the dataset
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
    state.import_jobs[arn] = job
    state.observe(job, now)
    return {"datasetImportJobArn": arn}


def _read_import(
    state: RegionState, dataset: Dataset, data_location: str, role_arn: str | None, job_arn: str, now: float
) -> imports.ImportedData:
    location = imports.parse_location(data_location)
    s3 = state.client("s3")
    try:
        s3.head_bucket(Bucket=location.bucket)
    except ClientError as error:  # NoSuchBucket, or a bucket nobody may see: unusable location
        raise imports.ImportFailed(imports.INVALID_LOCATION) from error
    keys = imports.csv_keys(s3, location)
    if state.emulator.check_s3_access:
        imports.check_access(location, keys, role_arn, job_arn, dataset.dataset_type)
    files = imports.fetch_csv_files(s3, location, keys, dataset.dataset_type)
    schema = state.get(state.schemas, dataset.schema_arn(now))
    return imports.parse_csv_files(files, schema.parsed, dataset.dataset_type)


@operation("DescribeDatasetImportJob")
def describe_dataset_import_job(state: RegionState, p: dict, now: float) -> dict:
    return state.describe_resource(state.import_jobs, p["datasetImportJobArn"], now)


@operation("ListDatasetImportJobs")
def list_dataset_import_jobs(state: RegionState, p: dict, now: float) -> dict:
    parent = p.get("datasetArn")
    items = [j for j in state.import_jobs.values() if parent is None or j.dataset_arn == parent]
    return state.page("ListDatasetImportJobs", items, p, parent, now)


def completed_imports(state: RegionState, dataset: Dataset, now: float) -> list[DatasetImportJob]:
    """The dataset's import jobs that are ACTIVE at ``now``, in the order they completed.

    A dataset deleted and created again has the same ARN; the jobs of the earlier one outlive it but hold
    none of the new one's data, so only jobs created since this dataset was count.
    """
    done = [
        job
        for job in state.import_jobs.values()
        if job.dataset_arn == dataset.arn
        and job.created >= dataset.created
        and job.finished_at is not None
        and job.finished_at <= now
    ]
    return sorted(done, key=lambda job: (job.finished_at, job.created))


def segments(state: RegionState, dataset: Dataset, now: float) -> list[imports.ImportedData]:
    """The data that is live at ``now``: the last FULL import, the INCREMENTAL ones after it, and the events
    PutEvents recorded (a FULL import replaces bulk data only)."""
    live: list[imports.ImportedData] = []
    for job in completed_imports(state, dataset, now):
        assert job.data is not None
        if job.import_mode == "FULL":
            live = []
        live.append(job.data)
    return live + events.recorded(state, dataset, now)


def records(state: RegionState, dataset: Dataset, now: float) -> list[dict[str, Any]]:
    """Live records as dicts; for keyed datasets a later record replaces one with the same id."""
    rows = [dict(zip(columns, row, strict=True)) for columns, row in _unique_rows(segments(state, dataset, now))]
    key = RECORD_KEYS.get(dataset.dataset_type)
    if key is None:
        return rows
    return list({row[key]: row for row in rows}.values())


def _unique_rows(live: list[imports.ImportedData]) -> list[tuple[tuple[str, ...], tuple[Any, ...]]]:
    """Each distinct (columns, row) once, in import order: the service keeps identical records once, and
    the training minimums count unique interactions (quotas page)."""
    seen: dict[tuple[tuple[str, ...], tuple[Any, ...]], None] = {}
    for segment in live:
        for row in segment.rows:
            seen.setdefault((segment.columns, row), None)
    return list(seen)


def interactions(state: RegionState, dataset: Dataset, now: float) -> list[Interaction]:
    """The dataset's unique interaction records, in import order."""
    result = []
    for columns, row in _unique_rows(segments(state, dataset, now)):
        index = {name: i for i, name in enumerate(columns)}
        event_type, event_value = index.get("EVENT_TYPE"), index.get("EVENT_VALUE")
        result.append(
            Interaction(
                row[index["USER_ID"]],
                row[index["ITEM_ID"]],
                row[index["TIMESTAMP"]],
                row[event_type] if event_type is not None else None,
                row[event_value] if event_value is not None else None,
            )
        )
    return result
