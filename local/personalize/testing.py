"""Helpers for tests that drive the emulator through boto3: data, a readable bucket, and settle-by-polling.

``Sandbox`` is what a test needs once ``mock_aws()`` is active: a bucket Personalize may read (bucket
policy included, as on AWS), ``personalize``, ``personalize-runtime`` and ``personalize-events`` clients
that do not retry quota errors, and ``settle``,
which polls a resource and advances the simulated clock like a state machine's Wait loop would.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from local.clock import SimClock

from .models import PersonalizeEmulator
from .responses import install, uninstall
from .timeline import IN_FLIGHT, Timeline

#: Fake credentials and region: no test ever reaches AWS.
FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
#: A client that never retries. Note ``{"max_attempts": 1}`` would still retry once (botocore counts it as
#: retries, total_max_attempts=2) and really sleep before the retry of a LimitExceededException.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def avro(name: str, fields: Sequence[dict[str, Any]]) -> str:
    """A Personalize-style Avro schema string."""
    return json.dumps(
        {
            "type": "record",
            "name": name,
            "namespace": "com.amazonaws.personalize.schema",
            "fields": list(fields),
            "version": "1.0",
        }
    )


INTERACTIONS_SCHEMA = avro(
    "Interactions",
    [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
    ],
)
#: The default ECOMMERCE / VIDEO_ON_DEMAND interactions schema: the domains require EVENT_TYPE.
DOMAIN_INTERACTIONS_SCHEMA = avro(
    "Interactions",
    [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "EVENT_TYPE", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
    ],
)
USERS_SCHEMA = avro("Users", [{"name": "USER_ID", "type": "string"}, {"name": "AGE", "type": "int"}])
ITEMS_SCHEMA = avro(
    "Items",
    [
        {"name": "ITEM_ID", "type": "string"},
        {"name": "GENRES", "type": ["null", "string"], "categorical": True},
        {"name": "PRICE", "type": "float"},
    ],
)
#: A valid replacement of ITEMS_SCHEMA for UpdateDataset: every field kept, one new nullable field.
ITEMS_SCHEMA_V2 = avro(
    "Items",
    [
        {"name": "ITEM_ID", "type": "string"},
        {"name": "GENRES", "type": ["null", "string"], "categorical": True},
        {"name": "PRICE", "type": "float"},
        {"name": "COST", "type": ["null", "float"]},
    ],
)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV the way the docs describe it: a header row, one record per line."""
    lines = [",".join(header)]
    lines.extend(",".join(str(value) for value in row) for row in rows)
    return "\n".join(lines) + "\n"


def interactions(users: int = 40, per_user: int = 30, items: int = 60, start: int = 1_700_000_000) -> list[tuple]:
    """Deterministic (USER_ID, ITEM_ID, TIMESTAMP) rows: every user has ``per_user`` interactions."""
    rows = []
    for u in range(users):
        for n in range(per_user):
            item = (u * 7 + n * n) % items
            rows.append((f"user{u}", f"item{item}", start + u * 1000 + n))
    return rows


def domain_interactions(
    event_types: Sequence[str] = ("View", "Purchase"), users: int = 80, per_user: int = 30, items: int = 60
) -> list[tuple]:
    """Deterministic (USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP) rows, the event types taken in turn: each
    user has ``per_user`` interactions, so each type gets ``users * per_user / len(event_types)`` of them."""
    return [
        (user, item, event_types[n % len(event_types)], timestamp)
        for n, (user, item, timestamp) in enumerate(interactions(users, per_user, items))
    ]


def bucket_policy(bucket: str) -> dict[str, Any]:
    """The bucket policy the Personalize docs recommend for imports (personalize-facts.md §6)."""
    return {
        "Version": "2012-10-17",
        "Id": "PersonalizeS3BucketAccessPolicy",
        "Statement": [
            {
                "Sid": "PersonalizeS3BucketAccessPolicy",
                "Effect": "Allow",
                "Principal": {"Service": "personalize.amazonaws.com"},
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            }
        ],
    }


def batch_bucket_policy(bucket: str) -> dict[str, Any]:
    """``bucket_policy`` with s3:PutObject added, as the docs say for batch workflows (facts §6)."""
    policy = bucket_policy(bucket)
    policy["Statement"][0]["Action"] = ["s3:GetObject", "s3:ListBucket", "s3:PutObject"]
    return policy


class Sandbox:
    """One test's view of the local cloud: emulator, clock, clients and a readable input bucket."""

    def __init__(
        self,
        emulator: PersonalizeEmulator,
        clock: SimClock,
        *,
        bucket: str = "personalize-input",
        region: str = "us-east-1",
    ) -> None:
        self.emulator = emulator
        self.clock = clock
        self.bucket = bucket
        self.personalize = _session().client("personalize", region_name=region, config=NO_RETRIES)
        self.runtime = _session().client("personalize-runtime", region_name=region, config=NO_RETRIES)
        self.events = _session().client("personalize-events", region_name=region, config=NO_RETRIES)
        self.s3 = _session().client("s3", region_name=region)
        self.s3.create_bucket(Bucket=bucket)
        self.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(bucket_policy(bucket)))

    # --- data ---------------------------------------------------------------------------------------

    def put(self, key: str, body: str | bytes) -> str:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body.encode() if isinstance(body, str) else body)
        return f"s3://{self.bucket}/{key}"

    def put_csv(self, key: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
        return self.put(key, csv_text(header, rows))

    # --- polling ------------------------------------------------------------------------------------

    def settle(self, kind: str, arn: str, *, poll: float = 30, limit: float = 6 * 3600) -> dict[str, Any]:
        """Describe ``kind`` until it leaves CREATE PENDING / IN_PROGRESS, advancing ``poll`` s each time."""
        describe = getattr(self.personalize, f"describe_{_snake(kind)}")
        waited = 0.0
        while True:
            resource = describe(**{f"{kind}Arn": arn})[kind]
            if resource["status"] not in IN_FLIGHT or waited >= limit:
                return resource
            self.clock.advance(poll)
            waited += poll

    # --- resources, each returned ACTIVE ------------------------------------------------------------

    def dataset_group(self, name: str = "demo", **kwargs: Any) -> str:
        arn = self.personalize.create_dataset_group(name=name, **kwargs)["datasetGroupArn"]
        self.settle("datasetGroup", arn)
        return arn

    def schema(self, name: str, schema: str = INTERACTIONS_SCHEMA) -> str:
        return self.personalize.create_schema(name=name, schema=schema)["schemaArn"]

    def dataset(self, group_arn: str, dataset_type: str = "Interactions", schema: str = INTERACTIONS_SCHEMA) -> str:
        schema_arn = self.schema(f"{group_arn.rsplit('/', 1)[-1]}-{dataset_type.lower()}", schema)
        arn = self.personalize.create_dataset(
            name=f"{dataset_type}Dataset", schemaArn=schema_arn, datasetGroupArn=group_arn, datasetType=dataset_type
        )["datasetArn"]
        self.settle("dataset", arn)
        return arn

    def import_job(self, dataset_arn: str, location: str, job_name: str, **kwargs: Any) -> dict[str, Any]:
        arn = self.personalize.create_dataset_import_job(
            jobName=job_name, datasetArn=dataset_arn, dataSource={"dataLocation": location}, **kwargs
        )["datasetImportJobArn"]
        return self.settle("datasetImportJob", arn)

    def solution(self, group_arn: str, name: str = "sol", **kwargs: Any) -> str:
        kwargs.setdefault("recipeArn", "arn:aws:personalize:::recipe/aws-user-personalization")
        kwargs.setdefault("performAutoTraining", False)
        arn = self.personalize.create_solution(name=name, datasetGroupArn=group_arn, **kwargs)["solutionArn"]
        self.settle("solution", arn)
        return arn

    def version(self, solution_arn: str, **kwargs: Any) -> dict[str, Any]:
        arn = self.personalize.create_solution_version(solutionArn=solution_arn, **kwargs)["solutionVersionArn"]
        return self.settle("solutionVersion", arn)

    def event_tracker(self, group_arn: str, name: str = "tracker") -> dict[str, Any]:
        arn = self.personalize.create_event_tracker(name=name, datasetGroupArn=group_arn)["eventTrackerArn"]
        return self.settle("eventTracker", arn)

    def filter(self, group_arn: str, expression: str, name: str = "filter") -> dict[str, Any]:
        arn = self.personalize.create_filter(name=name, datasetGroupArn=group_arn, filterExpression=expression)[
            "filterArn"
        ]
        return self.settle("filter", arn)

    def with_data(self, group: str = "dg") -> tuple[str, str]:
        """An ACTIVE dataset group whose Interactions dataset has an ACTIVE import: (group, dataset)."""
        group_arn = self.dataset_group(group)
        dataset_arn = self.dataset(group_arn)
        location = self.put_csv(f"{group}.csv", ("USER_ID", "ITEM_ID", "TIMESTAMP"), interactions())
        self.import_job(dataset_arn, location, f"{group}-job")
        return group_arn, dataset_arn

    def with_domain_data(
        self, domain: str = "ECOMMERCE", group: str = "shop", rows: Sequence[tuple] | None = None
    ) -> str:
        """An ACTIVE Domain dataset group whose Interactions (with EVENT_TYPE) have an ACTIVE import."""
        group_arn = self.dataset_group(group, domain=domain)
        schema_arn = self.personalize.create_schema(
            name=f"{group}-interactions", schema=DOMAIN_INTERACTIONS_SCHEMA, domain=domain
        )["schemaArn"]
        dataset_arn = self.personalize.create_dataset(
            name=f"{group}-interactions", schemaArn=schema_arn, datasetGroupArn=group_arn, datasetType="Interactions"
        )["datasetArn"]
        self.settle("dataset", dataset_arn)
        header = ("USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP")
        location = self.put_csv(f"{group}/interactions.csv", header, rows or domain_interactions())
        self.import_job(dataset_arn, location, f"{group}-import")
        return group_arn

    def recommender(
        self, group_arn: str, name: str = "rec", use_case: str = "aws-ecomm-popular-items-by-views", **kwargs: Any
    ) -> dict[str, Any]:
        """Create a recommender for ``use_case`` and poll it until it settles."""
        arn = self.personalize.create_recommender(
            name=name, datasetGroupArn=group_arn, recipeArn=f"arn:aws:personalize:::recipe/{use_case}", **kwargs
        )["recommenderArn"]
        return self.settle("recommender", arn)

    def personalize_role(self, actions: Sequence[str] = ("s3:GetObject", "s3:ListBucket", "s3:PutObject")) -> str:
        """A role Personalize may assume that allows ``actions`` on the bucket (batch jobs need a role);
        the bucket policy is widened to let the service write too."""
        iam = _session().client("iam", region_name="us-east-1")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "personalize.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
        arn = iam.create_role(RoleName="PersonalizeBatchRole", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
            "Arn"
        ]
        grants = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": list(actions),
                    "Resource": [f"arn:aws:s3:::{self.bucket}", f"arn:aws:s3:::{self.bucket}/*"],
                }
            ],
        }
        iam.put_role_policy(RoleName="PersonalizeBatchRole", PolicyName="batch", PolicyDocument=json.dumps(grants))
        self.s3.put_bucket_policy(Bucket=self.bucket, Policy=json.dumps(batch_bucket_policy(self.bucket)))
        return arn

    def batch_job(self, kind: str, job_name: str, version_arn: str, role_arn: str, **kwargs: Any) -> dict[str, Any]:
        """Create a ``batchInferenceJob`` or ``batchSegmentJob`` reading ``batch-input/`` and writing
        ``batch-output/<job name>/``, and return its settled description."""
        kwargs.setdefault("jobInput", {"s3DataSource": {"path": f"s3://{self.bucket}/batch-input/"}})
        kwargs.setdefault("jobOutput", {"s3DataDestination": {"path": f"s3://{self.bucket}/batch-output/{job_name}/"}})
        create = getattr(self.personalize, f"create_{_snake(kind)}")
        arn = create(jobName=job_name, solutionVersionArn=version_arn, roleArn=role_arn, **kwargs)[f"{kind}Arn"]
        return self.settle(kind, arn)

    def trained(self, group: str = "demo", rows: Sequence[tuple] | None = None, **solution: Any) -> dict[str, str]:
        """Dataset group, Interactions dataset with an ACTIVE import, ACTIVE solution and version."""
        group_arn = self.dataset_group(group)
        dataset_arn = self.dataset(group_arn)
        location = self.put_csv(
            f"{group}/interactions.csv", ("USER_ID", "ITEM_ID", "TIMESTAMP"), rows or interactions()
        )
        job = self.import_job(dataset_arn, location, f"{group}-import")
        solution_arn = self.solution(group_arn, f"{group}-sol", **solution)
        version = self.version(solution_arn)
        return {
            "datasetGroupArn": group_arn,
            "datasetArn": dataset_arn,
            "datasetImportJobArn": job["datasetImportJobArn"],
            "solutionArn": solution_arn,
            "solutionVersionArn": version["solutionVersionArn"],
        }


@functools.cache
def _session() -> boto3.session.Session:
    """Shared by every Sandbox: creating clients from one session reuses its loaded service models."""
    return boto3.session.Session(**{k: FAKE_ENVIRONMENT[v] for k, v in _CREDENTIALS.items()})


_CREDENTIALS = {
    "aws_access_key_id": "AWS_ACCESS_KEY_ID",
    "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
    "aws_session_token": "AWS_SESSION_TOKEN",
}


def client_error(call: Callable[[], Any]) -> tuple[str, str]:
    """(code, message) of the ClientError ``call`` raises; AssertionError if it succeeds."""
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["Error"]["Message"]
    raise AssertionError("expected the call to fail with a ClientError")


def client_failure(call: Callable[[], Any]) -> tuple[int, str, str]:
    """(HTTP status, code, message) of the ClientError ``call`` raises: the runtime's errors differ in status."""
    try:
        call()
    except ClientError as error:
        status = error.response["ResponseMetadata"]["HTTPStatusCode"]
        return status, error.response["Error"]["Code"], error.response["Error"]["Message"]
    raise AssertionError("expected the call to fail with a ClientError")


def _snake(kind: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in kind)


@contextmanager
def sandbox(
    environ: Any,
    *,
    timeline: Timeline | None = None,
    fail_steps: Iterable[str] = (),
    **emulator_options: Any,
) -> Iterator[Sandbox]:
    """``mock_aws`` + fake credentials (set through ``environ``, e.g. pytest's monkeypatch) + an installed
    emulator on a fresh clock; yields the Sandbox and uninstalls the emulator afterwards."""
    for name, value in FAKE_ENVIRONMENT.items():
        environ.setenv(name, value)
    clock = SimClock()
    emulator = PersonalizeEmulator(clock, timeline or Timeline.instant(), fail_steps, **emulator_options)
    install(emulator)
    try:
        with mock_aws():
            yield Sandbox(emulator, clock)
    finally:
        uninstall()
