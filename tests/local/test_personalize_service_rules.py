"""Documented service rules the emulator applies (issue 6 item 4): each test fails if its rule is removed."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from local.personalize.testing import (
    DOMAIN_INTERACTIONS_SCHEMA,
    ITEMS_SCHEMA,
    USERS_SCHEMA,
    Sandbox,
    avro,
    client_error,
    csv_text,
    interactions,
)

RECIPE = "arn:aws:personalize:::recipe/"
HEADER = ("USER_ID", "ITEM_ID", "TIMESTAMP")
EVENT_SCHEMA = avro(
    "Interactions",
    [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
        {"name": "EVENT_TYPE", "type": "string"},
    ],
)


# --- operations the emulator does not implement ------------------------------------------------------


def test_unimplemented_operation_client_error_not_python_error(box: Sandbox) -> None:
    # GIVEN a real Personalize operation the emulator does not implement
    arn = "arn:aws:personalize:::algorithm/aws-user-personalization"

    # WHEN it is called
    with pytest.raises(ClientError) as raised:
        box.personalize.describe_algorithm(algorithmArn=arn)

    # THEN botocore raises a ClientError with the JSON protocol's unknown-operation code, as AWS would
    error = raised.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "UnknownOperationException",
        "DescribeAlgorithm is not implemented by the local Personalize emulator.",
    )
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# --- import jobs outlive their dataset ----------------------------------------------------------------


def _delete_and_recreate(box: Sandbox, group: str, dataset: str) -> str:
    """Delete ``dataset``, wait until it is gone, and create it again with the same name and schema."""
    schema = box.personalize.describe_dataset(datasetArn=dataset)["dataset"]["schemaArn"]
    box.personalize.delete_dataset(datasetArn=dataset)
    box.clock.advance(120)
    assert client_error(lambda: box.personalize.describe_dataset(datasetArn=dataset))[0] == "ResourceNotFoundException"
    again = box.personalize.create_dataset(
        name="InteractionsDataset", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
    )["datasetArn"]
    box.settle("dataset", again)
    return again


def test_import_job_dataset_deleted_job_and_name_remain(box: Sandbox) -> None:
    # GIVEN an ACTIVE import into a dataset that is then deleted
    group, dataset = box.with_data("dg")
    job = box.personalize.list_dataset_import_jobs(datasetArn=dataset)["datasetImportJobs"][0]

    # WHEN the dataset is deleted, created again with the same name, and the same job name is used
    again = _delete_and_recreate(box, group, dataset)
    code, message = client_error(
        lambda: box.personalize.create_dataset_import_job(
            jobName="dg-job", datasetArn=again, dataSource={"dataLocation": f"s3://{box.bucket}/dg.csv"}
        )
    )

    # THEN the old job still exists, is listed under the (same) dataset ARN, and its name is taken
    assert again == dataset
    assert (
        box.personalize.describe_dataset_import_job(datasetImportJobArn=job["datasetImportJobArn"])["datasetImportJob"][
            "status"
        ]
        == "ACTIVE"
    )
    listed = box.personalize.list_dataset_import_jobs(datasetArn=again)["datasetImportJobs"]
    assert [j["datasetImportJobArn"] for j in listed] == [job["datasetImportJobArn"]]
    assert (code, message) == (
        "ResourceAlreadyExistsException",
        f"Another resource with Arn {job['datasetImportJobArn']} already exists.",
    )


def test_import_job_of_deleted_dataset_holds_no_data_of_new_dataset(box: Sandbox) -> None:
    # GIVEN a dataset deleted after an ACTIVE import, then created again
    group, dataset = box.with_data("dg")
    again = _delete_and_recreate(box, group, dataset)

    # WHEN its records are read and a solution is trained on it
    solution = box.solution(group)
    code, message = client_error(lambda: box.personalize.create_solution_version(solutionArn=solution))

    # THEN the old job's data is not the new dataset's
    assert box.emulator.dataset_records(again) == []
    assert code == "InvalidInputException"
    assert "has no imported INTERACTIONS data" in message


# --- training minimums count unique interactions ------------------------------------------------------


def test_training_identical_records_counted_once_below_minimum_fails(box: Sandbox) -> None:
    # GIVEN 1000 interaction records of which one repeats another exactly (999 unique)
    rows = interactions(users=40, per_user=25)[:999]
    rows.append(rows[0])

    # WHEN the import and training run
    arns = box.trained("dg", rows=rows)
    version = box.personalize.describe_solution_version(solutionVersionArn=arns["solutionVersionArn"])

    # THEN the import accepted 1000 records but training counts 999 and fails the minimum
    job = box.personalize.describe_dataset_import_job(datasetImportJobArn=arns["datasetImportJobArn"])
    assert job["datasetImportJob"]["status"] == "ACTIVE"
    assert version["solutionVersion"]["status"] == "CREATE FAILED"
    assert version["solutionVersion"]["failureReason"] == "Create failed. Dataset has fewer than 1000 interactions."
    assert len(box.emulator.dataset_records(arns["datasetArn"])) == 999


# --- event types plus metadata columns ---------------------------------------------------------------


def _event_rows(event_types: int) -> list[tuple]:
    return [(*row, f"event{i % event_types}") for i, row in enumerate(interactions())]


@pytest.mark.parametrize(("event_types", "status"), [(9, "ACTIVE"), (10, "CREATE FAILED")])
def test_import_event_types_plus_metadata_over_ten_fails(box: Sandbox, event_types: int, status: str) -> None:
    # GIVEN an Interactions schema whose only optional metadata column is EVENT_TYPE
    group = box.dataset_group("dg")
    dataset = box.dataset(group, schema=EVENT_SCHEMA)
    location = box.put_csv("events.csv", (*HEADER, "EVENT_TYPE"), _event_rows(event_types))

    # WHEN data with 9 (9 + 1 = 10) or 10 (10 + 1 = 11) distinct event types is imported
    job = box.import_job(dataset, location, "events")

    # THEN at most 10 pass; over 10 the import fails naming both counts
    assert job["status"] == status
    if status == "CREATE FAILED":
        assert job["failureReason"] == (
            "Failed to create a data import job for INTERACTIONS dataset...The Item interactions data has 10 "
            "distinct event types (event0, event1, event2, event3, event4, event5, event6, event7, event8, "
            "event9) and 1 optional metadata columns (EVENT_TYPE); together they can be at most 10."
        )


def test_import_incremental_event_types_count_with_earlier_data(box: Sandbox) -> None:
    # GIVEN a dataset holding 9 distinct event types
    group = box.dataset_group("dg")
    dataset = box.dataset(group, schema=EVENT_SCHEMA)
    assert box.import_job(dataset, box.put_csv("a.csv", (*HEADER, "EVENT_TYPE"), _event_rows(9)), "a")["status"] == (
        "ACTIVE"
    )

    # WHEN an INCREMENTAL import adds a tenth
    rows = [(*row, "event-new") for row in interactions(start=1_800_000_000)]
    job = box.import_job(dataset, box.put_csv("b.csv", (*HEADER, "EVENT_TYPE"), rows), "b", importMode="INCREMENTAL")

    # THEN the dataset would break the quota, so the import fails
    assert job["status"] == "CREATE FAILED"
    assert "has 10 distinct event types" in job["failureReason"]


# --- quoted CSV headers ----------------------------------------------------------------------------


def test_import_quoted_header_fails_naming_columns(box: Sandbox) -> None:
    # GIVEN a CSV whose header quotes its column names (csv readers would silently unquote them)
    group = box.dataset_group("dg")
    dataset = box.dataset(group)
    body = csv_text(('"USER_ID"', "ITEM_ID", '"TIMESTAMP"'), interactions())
    location = box.put("quoted.csv", body)

    # WHEN it is imported
    job = box.import_job(dataset, location, "quoted")

    # THEN the import fails, as the formatting guide says headers must not be quoted
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"] == (
        f"Failed to create a data import job for INTERACTIONS dataset...Input CSV {location} has quoted column "
        'names in its header: "USER_ID", "TIMESTAMP". Header column names must not be quoted.'
    )


# --- UpdateDataset ---------------------------------------------------------------------------------


def test_update_dataset_interactions_refused(box: Sandbox) -> None:
    # GIVEN an ACTIVE Interactions dataset and another valid Interactions schema
    group = box.dataset_group("dg")
    dataset = box.dataset(group)
    schema = box.schema("interactions-v2", EVENT_SCHEMA)

    # WHEN / THEN its schema cannot be replaced
    code, message = client_error(lambda: box.personalize.update_dataset(datasetArn=dataset, schemaArn=schema))
    assert (code, message) == (
        "InvalidInputException",
        f"Cannot replace the schema of dataset {dataset}: only Items and Users datasets can have their schema "
        "replaced, not INTERACTIONS datasets.",
    )


@pytest.mark.parametrize(
    ("fields", "problems"),
    [
        (
            [
                {"name": "ITEM_ID", "type": "string"},
                {"name": "GENRES", "type": ["null", "string"], "categorical": True},
            ],
            "field PRICE of the current schema is missing",
        ),
        (
            [
                {"name": "ITEM_ID", "type": "string"},
                {"name": "GENRES", "type": ["null", "string"], "categorical": True},
                {"name": "PRICE", "type": "double"},
            ],
            'field PRICE changes from "float" to "double"',
        ),
        (
            [
                {"name": "ITEM_ID", "type": "string"},
                {"name": "GENRES", "type": ["null", "string"]},
                {"name": "PRICE", "type": "float"},
            ],
            'field GENRES changes from ["null", "string"] (categorical) to ["null", "string"]',
        ),
        (
            [
                {"name": "ITEM_ID", "type": "string"},
                {"name": "GENRES", "type": ["null", "string"], "categorical": True},
                {"name": "PRICE", "type": "float"},
                {"name": "COST", "type": "float"},
            ],
            'new field COST must allow null, e.g. ["null", "float"]',
        ),
    ],
    ids=["dropped", "retyped", "attribute-changed", "new-not-nullable"],
)
def test_update_dataset_incompatible_items_schema_refused(box: Sandbox, fields: list[dict], problems: str) -> None:
    # GIVEN an ACTIVE Items dataset and a replacement schema that breaks one rule
    group = box.dataset_group("dg")
    dataset = box.dataset(group, "Items", ITEMS_SCHEMA)
    schema = box.schema("items-v2", avro("Items", fields))

    # WHEN / THEN the update is refused naming the field, and the dataset keeps its schema
    before = box.personalize.describe_dataset(datasetArn=dataset)["dataset"]
    code, message = client_error(lambda: box.personalize.update_dataset(datasetArn=dataset, schemaArn=schema))
    assert (code, message) == (
        "InvalidInputException",
        f"Cannot replace the schema of dataset {dataset}: {problems}. A replacement schema keeps every current "
        "field with the same type and attributes, and any new field is nullable.",
    )
    assert box.personalize.describe_dataset(datasetArn=dataset)["dataset"] == before


def test_update_dataset_users_new_nullable_field_accepted(box: Sandbox) -> None:
    # GIVEN an ACTIVE Users dataset and a schema adding a nullable field
    group = box.dataset_group("dg")
    dataset = box.dataset(group, "Users", USERS_SCHEMA)
    fields = [
        {"name": "USER_ID", "type": "string"},
        {"name": "AGE", "type": "int"},
        {"name": "TIER", "type": ["null", "string"], "categorical": True},
    ]
    schema = box.schema("users-v2", avro("Users", fields))

    # WHEN the dataset is updated and the update completes
    box.personalize.update_dataset(datasetArn=dataset, schemaArn=schema)
    box.clock.advance(60)

    # THEN it uses the new schema
    assert box.personalize.describe_dataset(datasetArn=dataset)["dataset"]["schemaArn"] == schema


# --- domain dataset groups -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "fields", "problem"),
    [
        (
            "ECOMMERCE",
            [
                {"name": "USER_ID", "type": "string"},
                {"name": "ITEM_ID", "type": "string"},
                {"name": "TIMESTAMP", "type": "long"},
            ],
            "dataset type INTERACTIONS in domain ECOMMERCE: the required field EVENT_TYPE (string) is missing",
        ),
        (
            "VIDEO_ON_DEMAND",
            [
                {"name": "USER_ID", "type": "string"},
                {"name": "ITEM_ID", "type": "string"},
                {"name": "TIMESTAMP", "type": "long"},
            ],
            "dataset type INTERACTIONS in domain VIDEO_ON_DEMAND: the required field EVENT_TYPE (string) is missing",
        ),
        (
            "ECOMMERCE",
            [
                {"name": "ITEM_ID", "type": "string"},
                {"name": "PRICE", "type": "float"},
                {"name": "CATEGORY_L1", "type": "string"},
            ],
            "dataset type ITEMS in domain ECOMMERCE: field CATEGORY_L1 must be categorical string",
        ),
        (
            "VIDEO_ON_DEMAND",
            [{"name": "ITEM_ID", "type": "string"}, {"name": "GENRES", "type": "string", "categorical": True}],
            "dataset type ITEMS in domain VIDEO_ON_DEMAND: the required field CREATION_TIMESTAMP (long) is missing",
        ),
    ],
    ids=["ecomm-interactions", "vod-interactions", "ecomm-items", "vod-items"],
)
def test_create_schema_domain_requirements_enforced(box: Sandbox, domain: str, fields: list, problem: str) -> None:
    # GIVEN / WHEN a domain schema missing what the domain requires
    code, message = client_error(
        lambda: box.personalize.create_schema(name="s", schema=avro("x", fields), domain=domain)
    )

    # THEN CreateSchema refuses it, naming the field
    assert (code, message) == ("InvalidInputException", f"Invalid schema for {problem}.")


def test_create_dataset_domain_schema_meeting_requirements_accepted(box: Sandbox) -> None:
    # GIVEN an ECOMMERCE dataset group and the domain's default interactions schema
    group = box.dataset_group("dg", domain="ECOMMERCE")
    schema = box.personalize.create_schema(name="s", schema=DOMAIN_INTERACTIONS_SCHEMA, domain="ECOMMERCE")

    # WHEN the dataset is created
    arn = box.personalize.create_dataset(
        name="d", schemaArn=schema["schemaArn"], datasetGroupArn=group, datasetType="Interactions"
    )["datasetArn"]

    # THEN it is accepted
    assert box.settle("dataset", arn)["status"] == "ACTIVE"


def test_create_dataset_domain_schema_for_other_type_refused(box: Sandbox) -> None:
    # GIVEN a VIDEO_ON_DEMAND group and a domain Users schema used for the Items dataset
    group = box.dataset_group("dg", domain="VIDEO_ON_DEMAND")
    schema = box.personalize.create_schema(name="s", schema=USERS_SCHEMA, domain="VIDEO_ON_DEMAND")["schemaArn"]

    # WHEN / THEN the Items dataset refuses it (the Items requirements are checked for the actual type)
    code, _ = client_error(
        lambda: box.personalize.create_dataset(name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Items")
    )
    assert code == "InvalidInputException"


@pytest.mark.parametrize("use_case", ["aws-ecomm-recommended-for-you", "aws-vod-more-like-x"])
def test_create_solution_domain_use_case_recipe_refused(box: Sandbox, use_case: str) -> None:
    # GIVEN an ECOMMERCE dataset group
    group = box.dataset_group("dg", domain="ECOMMERCE")

    # WHEN / THEN a domain use case cannot be a solution's recipe (it belongs to CreateRecommender)
    code, message = client_error(
        lambda: box.personalize.create_solution(name="s", datasetGroupArn=group, recipeArn=RECIPE + use_case)
    )
    assert (code, message) == (
        "InvalidInputException",
        f"Recipe {RECIPE + use_case} is a domain use case: use it with CreateRecommender, not CreateSolution.",
    )


# --- AutoML ----------------------------------------------------------------------------------------


def test_create_solution_automl_described_with_hpo(box: Sandbox) -> None:
    # GIVEN / WHEN an AutoML solution created without performHPO
    group = box.dataset_group("dg")
    arn = box.personalize.create_solution(name="s", datasetGroupArn=group, performAutoML=True)["solutionArn"]

    # THEN Describe reports HPO, which AutoML always performs
    solution = box.personalize.describe_solution(solutionArn=arn)["solution"]
    assert (solution["performAutoML"], solution["performHPO"]) == (True, True)
