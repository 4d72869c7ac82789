"""What the service refuses in the request itself: validation, unknown and duplicate ARNs, paging, tags."""

from __future__ import annotations

import pytest
from botocore.config import Config

from local.personalize.testing import Sandbox, client_error

ACCOUNT = "123456789012"
PREFIX = f"arn:aws:personalize:us-east-1:{ACCOUNT}"
RECIPE = "arn:aws:personalize:::recipe/"
HEADER = ("USER_ID", "ITEM_ID", "TIMESTAMP")


# --- request validation (what botocore does not check) ------------------------------------------------


def test_create_dataset_group_name_breaks_pattern_invalid_input_in_aws_wording(box: Sandbox) -> None:
    # GIVEN a name with a space (botocore checks only min length and type)
    # WHEN it is sent
    code, message = client_error(lambda: box.personalize.create_dataset_group(name="my group"))

    # THEN the service-side pattern check refuses it
    assert code == "InvalidInputException"
    assert message == (
        "1 validation error detected: Value 'my group' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9][a-zA-Z0-9\\-_]*"
    )


def test_create_dataset_group_too_long_name_and_bad_enum_reports_every_violation(box: Sandbox) -> None:
    # GIVEN a 64-character name and an unknown domain
    # WHEN they are sent together
    code, message = client_error(lambda: box.personalize.create_dataset_group(name="a" * 64, domain="RETAIL"))

    # THEN both problems are listed, max length and enum, as AWS does
    assert code == "InvalidInputException"
    assert message.startswith("2 validation errors detected: ")
    assert "at 'name' failed to satisfy constraint: Member must have length less than or equal to 63" in message
    assert "Value 'RETAIL' at 'domain' failed to satisfy constraint: Member must satisfy enum value set: " in message


def test_create_solution_nested_map_value_too_long_invalid_input_names_its_path(box: Sandbox) -> None:
    # GIVEN an ACTIVE dataset group and a hyperparameter value above the model's 1000-character max
    group = box.dataset_group("dg")
    config = {"algorithmHyperParameters": {"hidden_dimension": "9" * 1001}}

    # WHEN the solution is created
    code, message = client_error(
        lambda: box.personalize.create_solution(
            name="sol", datasetGroupArn=group, recipeArn=RECIPE + "aws-sims", solutionConfig=config
        )
    )

    # THEN the nested path is named
    assert code == "InvalidInputException"
    assert "at 'solutionConfig.algorithmHyperParameters'" in message
    assert "Member must have length less than or equal to 1000" in message


def test_create_dataset_group_tag_key_with_forbidden_character_invalid_input(box: Sandbox) -> None:
    # GIVEN / WHEN a tag key with '#', outside the model's unicode pattern
    code, message = client_error(
        lambda: box.personalize.create_dataset_group(name="dg", tags=[{"tagKey": "a#b", "tagValue": "x"}])
    )

    # THEN it is refused at its list position
    assert code == "InvalidInputException"
    assert "at 'tags.1.member.tagKey'" in message


def test_create_dataset_group_unicode_tag_is_accepted(box: Sandbox) -> None:
    # GIVEN / WHEN letters, digits and spaces from any script (\p{L}\p{Z}\p{N})
    arn = box.personalize.create_dataset_group(name="dg", tags=[{"tagKey": "équipe 1", "tagValue": "données"}])

    # THEN the tag is stored
    tags = box.personalize.list_tags_for_resource(resourceArn=arn["datasetGroupArn"])["tags"]
    assert tags == [{"tagKey": "équipe 1", "tagValue": "données"}]


def test_client_without_validation_empty_name_invalid_input_from_service(box: Sandbox) -> None:
    # GIVEN a client that skips botocore's own checks
    client = box.personalize.__class__.__new__(box.personalize.__class__)
    from local.personalize.testing import _session

    client = _session().client(
        "personalize",
        region_name="us-east-1",
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
    )

    # WHEN it sends an empty name and no schema
    code, message = client_error(lambda: client.create_schema(name=""))

    # THEN the service checks min length and required members too
    assert code == "InvalidInputException"
    assert "Value null at 'schema' failed to satisfy constraint: Member must not be null" in message
    assert "Member must have length greater than or equal to 1" in message


def test_list_max_results_above_100_invalid_input(box: Sandbox) -> None:
    # GIVEN / WHEN maxResults beyond the model's 100
    code, message = client_error(lambda: box.personalize.list_schemas(maxResults=101))

    # THEN refused
    assert code == "InvalidInputException"
    assert "Member must have value less than or equal to 100" in message


# --- not found / already exists ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "parameter", "path"),
    [
        ("describe_dataset_group", "datasetGroupArn", "dataset-group/none"),
        ("describe_schema", "schemaArn", "schema/none"),
        ("describe_dataset", "datasetArn", "dataset/none/INTERACTIONS"),
        ("describe_dataset_import_job", "datasetImportJobArn", "dataset-import-job/none"),
        ("describe_solution", "solutionArn", "solution/none"),
        ("describe_solution_version", "solutionVersionArn", "solution/none/0123abcd"),
        ("describe_campaign", "campaignArn", "campaign/none"),
        ("delete_dataset_group", "datasetGroupArn", "dataset-group/none"),
        ("delete_schema", "schemaArn", "schema/none"),
        ("delete_dataset", "datasetArn", "dataset/none/ITEMS"),
        ("delete_solution", "solutionArn", "solution/none"),
        ("delete_campaign", "campaignArn", "campaign/none"),
        ("get_solution_metrics", "solutionVersionArn", "solution/none/0123abcd"),
        ("list_tags_for_resource", "resourceArn", "campaign/none"),
        ("list_solution_versions", "solutionArn", "solution/none"),
    ],
)
def test_operation_unknown_arn_resource_not_found_with_moto_wording(
    box: Sandbox, operation: str, parameter: str, path: str
) -> None:
    # GIVEN an ARN nothing was created under
    arn = f"{PREFIX}:{path}"

    # WHEN it is used
    code, message = client_error(lambda: getattr(box.personalize, operation)(**{parameter: arn}))

    # THEN ResourceNotFoundException with the service's text
    assert (code, message) == ("ResourceNotFoundException", f"Resource Arn {arn} does not exist.")


def test_list_datasets_unknown_parent_returns_empty_list(box: Sandbox) -> None:
    # GIVEN / WHEN a list filtered by a parent that does not exist (only ListSolutionVersions models RNF)
    listed = box.personalize.list_datasets(datasetGroupArn=f"{PREFIX}:dataset-group/none")

    # THEN an empty page
    assert listed["datasets"] == []


def test_describe_with_arn_of_another_type_resource_not_found(box: Sandbox) -> None:
    # GIVEN a schema
    schema = box.schema("s")

    # WHEN its ARN is given to DescribeDatasetGroup
    code, _ = client_error(lambda: box.personalize.describe_dataset_group(datasetGroupArn=schema))

    # THEN not found
    assert code == "ResourceNotFoundException"


@pytest.mark.parametrize("kind", ["datasetGroup", "schema", "campaign"])
def test_create_duplicate_name_resource_already_exists_with_aws_wording(box: Sandbox, kind: str) -> None:
    # GIVEN an existing resource
    p = box.personalize
    if kind == "datasetGroup":
        arn = p.create_dataset_group(name="dup")["datasetGroupArn"]
        again = lambda: p.create_dataset_group(name="dup")  # noqa: E731
    elif kind == "schema":
        arn = box.schema("dup")
        again = lambda: box.schema("dup")  # noqa: E731
    else:
        arns = box.trained()
        arn = p.create_campaign(name="dup", solutionVersionArn=arns["solutionVersionArn"])["campaignArn"]
        again = lambda: p.create_campaign(name="dup", solutionVersionArn=arns["solutionVersionArn"])  # noqa: E731

    # WHEN it is created again
    code, message = client_error(again)

    # THEN ResourceAlreadyExistsException naming the ARN
    assert (code, message) == ("ResourceAlreadyExistsException", f"Another resource with Arn {arn} already exists.")


def test_create_dataset_second_of_same_type_in_group_already_exists(box: Sandbox) -> None:
    # GIVEN an Interactions dataset in a group
    group = box.dataset_group("dg")
    dataset = box.dataset(group)
    schema = box.schema("other")

    # WHEN another Interactions dataset, under another name, is created in the same group
    code, message = client_error(
        lambda: box.personalize.create_dataset(
            name="another", schemaArn=schema, datasetGroupArn=group, datasetType="INTERACTIONS"
        )
    )

    # THEN the dataset ARN (group name + type) already exists
    assert dataset == f"{PREFIX}:dataset/dg/INTERACTIONS"
    assert (code, message) == ("ResourceAlreadyExistsException", f"Another resource with Arn {dataset} already exists.")


def test_create_dataset_import_job_name_reused_on_another_dataset_already_exists(box: Sandbox) -> None:
    # GIVEN an import job named "load" on one dataset
    _, dataset = box.with_data()
    group2 = box.dataset_group("other")
    dataset2 = box.dataset(group2)

    # WHEN another dataset's import reuses the job name
    code, message = client_error(
        lambda: box.personalize.create_dataset_import_job(
            jobName="dg-job", datasetArn=dataset2, dataSource={"dataLocation": "s3://personalize-input/dg.csv"}
        )
    )

    # THEN import job names are account-wide (and jobs are never deleted)
    assert code == "ResourceAlreadyExistsException"
    assert f"{PREFIX}:dataset-import-job/dg-job" in message


# --- pagination and tags -----------------------------------------------------------------------------


def test_list_schemas_max_results_pages_with_next_token(box: Sandbox) -> None:
    # GIVEN seven schemas
    created = {box.schema(f"s{n}") for n in range(7)}

    # WHEN they are listed three at a time
    pages, token = [], None
    while True:
        page = box.personalize.list_schemas(maxResults=3, **({"nextToken": token} if token else {}))
        pages.append([s["schemaArn"] for s in page["schemas"]])
        token = page.get("nextToken")
        if not token:
            break

    # THEN 3 + 3 + 1 distinct schemas, and botocore's paginator agrees
    assert [len(p) for p in pages] == [3, 3, 1]
    assert {arn for p in pages for arn in p} == created
    paginated = box.personalize.get_paginator("list_schemas").paginate(PaginationConfig={"PageSize": 2})
    assert {s["schemaArn"] for page in paginated for s in page["schemas"]} == created


def test_list_next_token_from_another_list_invalid_next_token(box: Sandbox) -> None:
    # GIVEN a token from ListSchemas
    for n in range(3):
        box.schema(f"s{n}")
    token = box.personalize.list_schemas(maxResults=1)["nextToken"]

    # WHEN it is given to ListDatasetGroups
    code, _ = client_error(lambda: box.personalize.list_dataset_groups(nextToken=token))

    # THEN InvalidNextTokenException
    assert code == "InvalidNextTokenException"


def test_list_datasets_parent_filter_only_that_groups_datasets(box: Sandbox) -> None:
    # GIVEN datasets in two groups
    first, second = box.dataset_group("a"), box.dataset_group("b")
    mine = box.dataset(first)
    box.dataset(second)

    # WHEN listing one group's datasets
    listed = box.personalize.list_datasets(datasetGroupArn=first)["datasets"]

    # THEN only its dataset, with the summary fields
    assert [(d["datasetArn"], d["datasetType"], d["status"]) for d in listed] == [(mine, "INTERACTIONS", "ACTIVE")]


def test_tag_resource_then_untag_round_trip(box: Sandbox) -> None:
    # GIVEN a dataset group created with one tag
    arn = box.personalize.create_dataset_group(name="dg", tags=[{"tagKey": "team", "tagValue": "ml"}])[
        "datasetGroupArn"
    ]

    # WHEN a tag is added and the first removed
    box.personalize.tag_resource(resourceArn=arn, tags=[{"tagKey": "env", "tagValue": "dev"}])
    box.personalize.untag_resource(resourceArn=arn, tagKeys=["team"])

    # THEN only the added tag remains
    assert box.personalize.list_tags_for_resource(resourceArn=arn)["tags"] == [{"tagKey": "env", "tagValue": "dev"}]


def test_tag_resource_over_fifty_tags_too_many_tags(box: Sandbox) -> None:
    # GIVEN a dataset group with 50 tags
    tags = [{"tagKey": f"k{n}", "tagValue": "v"} for n in range(50)]
    arn = box.personalize.create_dataset_group(name="dg", tags=tags)["datasetGroupArn"]

    # WHEN / THEN a 51st is refused
    code, _ = client_error(
        lambda: box.personalize.tag_resource(resourceArn=arn, tags=[{"tagKey": "one", "tagValue": "more"}])
    )
    assert code == "TooManyTagsException"


def test_tag_resource_reserved_aws_prefix_invalid_input(box: Sandbox) -> None:
    # GIVEN / WHEN a tag key starting with aws:
    arn = box.personalize.create_dataset_group(name="dg")["datasetGroupArn"]
    code, _ = client_error(
        lambda: box.personalize.tag_resource(resourceArn=arn, tags=[{"tagKey": "aws:x", "tagValue": "v"}])
    )

    # THEN refused
    assert code == "InvalidInputException"
