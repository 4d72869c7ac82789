"""The pipeline's own code against the emulator's service rules: import naming after a dataset is recreated,
and the read-only describes Load Parameters makes of existing datasets."""

from __future__ import annotations

import json

import boto3

from local.personalize.testing import ITEMS_SCHEMA, Sandbox, interactions
from personalize_pipeline.ensure import ensure_import
from personalize_pipeline.existing import existing_datasets

PREFIX = "arn:aws:personalize:us-east-1:123456789012"
HEADER = ("USER_ID", "ITEM_ID", "TIMESTAMP")
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "personalize.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def _role(box: Sandbox) -> str:
    """A role Personalize can assume that may read the input bucket (the passed role's policy is enforced)."""
    iam = boto3.client("iam", region_name="us-east-1")
    arn = iam.create_role(RoleName="PersonalizeRole", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    bucket = f"arn:aws:s3:::{box.bucket}"
    reads = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [bucket, f"{bucket}/*"]}
        ],
    }
    iam.put_role_policy(RoleName="PersonalizeRole", PolicyName="reads", PolicyDocument=json.dumps(reads))
    return arn


def _spec(box: Sandbox) -> dict:
    return {
        "datasetType": "INTERACTIONS",
        "datasetImportJob": {"jobName": "dg-interactions-abc", "dataSource": {"dataLocation": f"s3://{box.bucket}/"}},
    }


def test_ensure_import_dataset_recreated_old_job_skipped_and_name_r2_used(box: Sandbox) -> None:
    # GIVEN a dataset imported by the pipeline, then deleted and created again (same ARN): the old job
    # outlives it and keeps its name
    role = _role(box)
    group = box.dataset_group("dg")
    dataset = box.dataset(group)
    schema = box.personalize.describe_dataset(datasetArn=dataset)["dataset"]["schemaArn"]
    box.put_csv("interactions.csv", HEADER, interactions())
    first = ensure_import(box.personalize, PREFIX, dataset, role, _spec(box))
    assert box.settle("datasetImportJob", first.arn)["status"] == "ACTIVE"
    box.personalize.delete_dataset(datasetArn=dataset)
    box.clock.advance(120)
    again = box.personalize.create_dataset(
        name="InteractionsDataset", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
    )["datasetArn"]
    box.settle("dataset", again)

    # WHEN the same files are ensured into the new dataset
    second = ensure_import(box.personalize, PREFIX, again, role, _spec(box))
    box.settle("datasetImportJob", second.arn)

    # THEN the stale job is not taken for this dataset's import: a new job runs under the next free name
    assert (first.name, first.action) == ("dg-interactions-abc", "created")
    assert (second.name, second.action) == ("dg-interactions-abc-r2", "created")
    assert len(box.emulator.dataset_records(again)) == len(interactions())


def test_ensure_import_same_files_again_reuses_latest_job(box: Sandbox) -> None:
    # GIVEN a dataset whose latest import is these files
    role = _role(box)
    group = box.dataset_group("dg")
    dataset = box.dataset(group)
    box.put_csv("interactions.csv", HEADER, interactions())
    first = ensure_import(box.personalize, PREFIX, dataset, role, _spec(box))
    box.settle("datasetImportJob", first.arn)

    # WHEN they are ensured again (the stale filter keeps jobs created since the dataset was)
    second = ensure_import(box.personalize, PREFIX, dataset, role, _spec(box))

    # THEN nothing is imported twice
    assert (second.arn, second.action) == (first.arn, "reused")


def test_existing_datasets_reads_schema_of_each_existing_dataset(box: Sandbox) -> None:
    # GIVEN a dataset group with an Items dataset but no Interactions dataset
    group = box.dataset_group("dg")
    dataset = box.dataset(group, "Items", ITEMS_SCHEMA)
    schema_arn = box.personalize.describe_dataset(datasetArn=dataset)["dataset"]["schemaArn"]
    plan = {
        "datasetGroup": {"name": "dg"},
        "datasets": [
            {"folder": "Interactions", "datasetType": "INTERACTIONS"},
            {"folder": "Items", "datasetType": "ITEMS"},
        ],
    }

    # WHEN Load Parameters reads what exists
    found = existing_datasets(box.personalize, PREFIX, plan)

    # THEN only the Items dataset is reported, with its current schema
    assert found == {"Items": {"schemaArn": schema_arn, "schema": json.loads(ITEMS_SCHEMA)}}


def test_existing_datasets_new_dataset_group_reports_nothing(box: Sandbox) -> None:
    # GIVEN / WHEN a plan for a dataset group that does not exist yet
    plan = {"datasetGroup": {"name": "new"}, "datasets": [{"folder": "Interactions", "datasetType": "INTERACTIONS"}]}

    # THEN nothing exists to compare with
    assert existing_datasets(box.personalize, PREFIX, plan) == {}
