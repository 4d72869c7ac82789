"""Service rules Load Parameters applies before anything is created (issue 6 items 2 and 4).

Each rule mirrors one the emulator enforces (tests/local/test_personalize_service_rules.py); each test
asserts the whole problem list, so it fails if the rule is removed or reworded.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from personalize_pipeline.data_files import CsvObject, DataListing
from personalize_pipeline.errors import InvalidParameters
from personalize_pipeline.params import AUTOML_REPLACEMENT_RECIPE, build_plan, existing_dataset_problems

SEED = json.loads((Path(__file__).resolve().parents[2] / "example" / "seed-params.json").read_text())
ENCRYPTION = (
    "encrypted dataset groups are not supported by this pipeline yet: Personalize would need the role to use the "
    "KMS key and the pipeline neither grants nor tests that, so the run would fail after creating resources; "
    "remove kmsKeyArn and roleArn"
)
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/abc"
ROLE = "arn:aws:iam::123456789012:role/personalize-kms"
ARN_PREFIX = "arn:aws:personalize:us-east-1:123456789012"


def listing(**headers: str) -> DataListing:
    data = DataListing()
    for folder, header in headers.items():
        data.folders[folder] = [CsvObject(f"{folder}/{folder.lower()}.csv", '"e1"', 100, header)]
    return data


SEED_DATA = {"Interactions": "USER_ID,ITEM_ID,TIMESTAMP", "Users": "USER_ID,GENDER,AGE"}


def _items_section(fields: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": "ItemsDataset", "schema": {"type": "record", "name": "Items", "fields": fields}}


def plan_of(params: dict[str, Any], **headers: str) -> dict[str, Any]:
    return build_plan(params, bucket="b", key="params.json", version_id=None, data=listing(**(headers or SEED_DATA)))


def problems_of(params: dict[str, Any], **headers: str) -> list[str]:
    with pytest.raises(InvalidParameters) as raised:
        plan_of(params, **headers)
    return raised.value.problems


@pytest.fixture
def params() -> dict[str, Any]:
    return copy.deepcopy(SEED)


# --- datasetGroup.kmsKeyArn / roleArn -------------------------------------------------------------


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ({"kmsKeyArn": KMS_KEY, "roleArn": ROLE}, ["kmsKeyArn", "roleArn"]),
        ({"kmsKeyArn": KMS_KEY}, ["kmsKeyArn"]),
        ({"roleArn": ROLE}, ["roleArn"]),
    ],
    ids=["both", "key-only", "role-only"],
)
def test_build_plan_encryption_members_refused_with_reason(
    params: dict[str, Any], members: dict[str, str], expected: list[str]
) -> None:
    # GIVEN a dataset group asking for KMS encryption
    params["datasetGroup"].update(members)
    # WHEN / THEN validation refuses each member, saying why, before anything is created
    assert problems_of(params) == [f"datasetGroup.{member}: {ENCRYPTION}" for member in expected]


# --- domain dataset groups ---------------------------------------------------------------------------


@pytest.mark.parametrize("use_case", ["aws-ecomm-recommended-for-you", "aws-vod-top-picks"])
def test_build_plan_domain_use_case_recipe_refused(params: dict[str, Any], use_case: str) -> None:
    # GIVEN a solution whose recipe is a domain use case
    del params["solution"]["performAutoML"]
    params["solution"]["recipeArn"] = f"arn:aws:personalize:::recipe/{use_case}"
    # WHEN / THEN it is refused: use cases belong to recommenders
    assert problems_of(params) == [
        f"solution.recipeArn: {use_case} is a domain use case, which serves recommenders (CreateRecommender), not "
        "solutions: declare it under recommenders (in a domain dataset group), or choose a custom recipe such as "
        "aws-user-personalization-v2"
    ]


def test_build_plan_domain_schemas_missing_required_fields_refused(params: dict[str, Any]) -> None:
    # GIVEN a VIDEO_ON_DEMAND group whose Interactions schema lacks EVENT_TYPE and whose Items schema has a
    # non-categorical GENRES and no CREATION_TIMESTAMP
    params["datasetGroup"]["domain"] = "VIDEO_ON_DEMAND"
    items = [{"name": "ITEM_ID", "type": "string"}, {"name": "GENRES", "type": "string"}]
    params["datasets"]["Items"] = {
        "name": "ItemsDataset",
        "schema": {"type": "record", "name": "Items", "fields": items},
    }
    # WHEN / THEN each missing requirement is named at its path
    assert problems_of(params, **SEED_DATA, Items="ITEM_ID,GENRES") == [
        "datasets.Interactions.schema.fields: Interactions schemas of VIDEO_ON_DEMAND dataset groups need the field "
        'EVENT_TYPE ("string")',
        'datasets.Items.schema.fields[1]: in a VIDEO_ON_DEMAND dataset group, GENRES must be categorical "string"',
        "datasets.Items.schema.fields: Items schemas of VIDEO_ON_DEMAND dataset groups need the field "
        'CREATION_TIMESTAMP ("long")',
    ]


def test_build_plan_ecommerce_schemas_with_required_fields_pass(params: dict[str, Any]) -> None:
    # GIVEN an ECOMMERCE group with EVENT_TYPE in its interactions and PRICE / categorical CATEGORY_L1 in its items
    params["datasetGroup"]["domain"] = "ECOMMERCE"
    params["datasets"]["Interactions"]["schema"]["fields"].append({"name": "EVENT_TYPE", "type": "string"})
    items = [
        {"name": "ITEM_ID", "type": "string"},
        {"name": "PRICE", "type": "float"},
        {"name": "CATEGORY_L1", "type": "string", "categorical": True},
    ]
    params["datasets"]["Items"] = {
        "name": "ItemsDataset",
        "schema": {"type": "record", "name": "Items", "fields": items},
    }
    # WHEN the plan is built
    plan = plan_of(
        params,
        Interactions="USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE",
        Users="USER_ID,GENDER,AGE",
        Items="ITEM_ID,PRICE,CATEGORY_L1",
    )
    # THEN every schema carries the domain
    assert [d["schema"]["domain"] for d in plan["datasets"]] == ["ECOMMERCE"] * 3


# --- performAutoML -------------------------------------------------------------------------------------


def test_build_plan_perform_automl_replaced_by_recommended_recipe_and_noted(params: dict[str, Any]) -> None:
    # GIVEN the seed example's AutoML solution, with an AutoML config too
    params["solution"]["solutionConfig"] = {"autoMLConfig": {"metricName": "precision_at_25"}}
    # WHEN the plan is built
    (solution,) = plan_of(params)["solutions"]
    # THEN performAutoML and its config are not sent; the recommended recipe is, and the run says so
    assert solution["solution"] == {
        "name": "Solution",
        "recipeArn": "arn:aws:personalize:::recipe/aws-user-personalization-v2",
        "performAutoTraining": False,
    }
    assert solution["notes"] == [
        "solution 'Solution': performAutoML is deprecated by Amazon Personalize (it searched recipes that are no "
        "longer available), so the pipeline did not send it and trains the current recommended "
        "User-Personalization recipe instead: arn:aws:personalize:::recipe/aws-user-personalization-v2"
    ]
    assert AUTOML_REPLACEMENT_RECIPE == solution["solution"]["recipeArn"]


def test_build_plan_perform_automl_false_not_sent_and_no_note(params: dict[str, Any]) -> None:
    # GIVEN a solution that spells out the default performAutoML: false with its recipe
    params["solution"].update(performAutoML=False, recipeArn="arn:aws:personalize:::recipe/aws-sims")
    # WHEN / THEN the deprecated member is not sent and nothing needs a note
    (solution,) = plan_of(params)["solutions"]
    assert solution["solution"] == {
        "name": "Solution",
        "recipeArn": "arn:aws:personalize:::recipe/aws-sims",
        "performAutoTraining": False,
    }
    assert solution["notes"] == []


# --- quoted CSV headers ----------------------------------------------------------------------------------


def test_build_plan_quoted_csv_header_refused(params: dict[str, Any]) -> None:
    # GIVEN an Interactions CSV whose header quotes its column names
    headers = {**SEED_DATA, "Interactions": '"USER_ID","ITEM_ID",TIMESTAMP'}
    # WHEN / THEN the file is named with the quoted columns
    assert problems_of(params, **headers) == [
        's3://b/Interactions/interactions.csv line 1: column names must not be quoted: "USER_ID", "ITEM_ID"'
    ]


# --- schema changes of existing datasets (UpdateDataset rules) ---------------------------------------


def _existing(folder: str, schema_name: str, fields: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    schema = {"type": "record", "name": folder, "fields": fields}
    return {folder: {"schemaArn": f"{ARN_PREFIX}:schema/{schema_name}", "schema": schema}}


def _users_fields(params: dict[str, Any]) -> list[dict[str, Any]]:
    return copy.deepcopy(params["datasets"]["Users"]["schema"]["fields"])


def test_existing_interactions_schema_changed_refused_naming_fields(params: dict[str, Any]) -> None:
    # GIVEN an Interactions dataset on an older schema without EVENT_VALUE; params add it
    old_fields = copy.deepcopy(params["datasets"]["Interactions"]["schema"]["fields"])
    params["datasets"]["Interactions"]["schema"]["fields"].append({"name": "EVENT_VALUE", "type": ["null", "float"]})
    plan = plan_of(params, **{**SEED_DATA, "Interactions": "USER_ID,ITEM_ID,TIMESTAMP,EVENT_VALUE"})
    # WHEN the plan is checked against the existing dataset
    problems = existing_dataset_problems(plan, _existing("Interactions", "old-interactions", old_fields))
    # THEN the change is refused before any resource, with the way out
    assert problems == [
        "datasets.Interactions.schema: dataset group 'DatasetGroup' already has an Interactions dataset on schema "
        "old-interactions, and Personalize cannot replace an Interactions dataset's schema (only Items and "
        "Users): field EVENT_VALUE is added. Keep the current schema, or use a new datasetGroup.name for a "
        "dataset group with the new one"
    ]


def test_existing_interactions_same_fields_other_schema_name_refused_with_name_hint(params: dict[str, Any]) -> None:
    # GIVEN an Interactions dataset whose schema has the same fields under another name
    old_fields = copy.deepcopy(params["datasets"]["Interactions"]["schema"]["fields"])
    plan = plan_of(params)
    # WHEN / THEN swapping is still refused (Interactions schemas cannot be replaced), pointing at schemaName
    assert existing_dataset_problems(plan, _existing("Interactions", "old-interactions", old_fields)) == [
        "datasets.Interactions.schema: dataset group 'DatasetGroup' already has an Interactions dataset on schema "
        "old-interactions, and Personalize cannot replace an Interactions dataset's schema (only Items and "
        'Users): the fields are the same, only the schema name differs: set "schemaName": "old-interactions". '
        "Keep the current schema, or use a new datasetGroup.name for a dataset group with the new one"
    ]


@pytest.mark.parametrize(
    ("change", "header", "problem"),
    [
        (lambda f: f.pop(2), "USER_ID,GENDER", "field AGE is dropped"),
        (
            lambda f: f[2].update(name="AGE_YEARS"),
            "USER_ID,GENDER,AGE_YEARS",
            'field AGE is dropped; new field AGE_YEARS is not nullable; declare it ["null", "int"]',
        ),
        (lambda f: f[2].update(type="long"), "USER_ID,GENDER,AGE", 'field AGE changes from "int" to "long"'),
        (
            lambda f: f[1].pop("categorical"),
            "USER_ID,GENDER,AGE",
            'field GENDER changes from "string" (categorical) to "string"',
        ),
        (
            lambda f: f.append({"name": "TIER", "type": "string", "categorical": True}),
            "USER_ID,GENDER,AGE,TIER",
            'new field TIER is not nullable; declare it ["null", "string"]',
        ),
    ],
    ids=["dropped", "renamed", "retyped", "attribute-changed", "new-not-nullable"],
)
def test_existing_users_schema_incompatible_change_refused(
    params: dict[str, Any], change: Any, header: str, problem: str
) -> None:
    # GIVEN an existing Users dataset on the seed schema, and params changing that schema
    old_fields = _users_fields(params)
    change(params["datasets"]["Users"]["schema"]["fields"])
    plan = plan_of(params, **{**SEED_DATA, "Users": header})
    # WHEN / THEN UpdateDataset's rules refuse it, naming the fields and the way out
    assert existing_dataset_problems(plan, _existing("Users", "old-users", old_fields)) == [
        "datasets.Users.schema: dataset group 'DatasetGroup' already has a Users dataset on schema old-users, and a "
        "replacement schema must keep every current field with its type and attributes and add only nullable "
        f"fields: {problem}. Keep the current fields (add a renamed or retyped field as a new nullable field beside "
        "the old one), or use a new datasetGroup.name"
    ]


def test_existing_users_schema_new_nullable_field_accepted(params: dict[str, Any]) -> None:
    # GIVEN an existing Users dataset and params adding a nullable categorical field
    old_fields = _users_fields(params)
    params["datasets"]["Users"]["schema"]["fields"].append(
        {"name": "TIER", "type": ["null", "string"], "categorical": True}
    )
    plan = plan_of(params, **{**SEED_DATA, "Users": "USER_ID,GENDER,AGE,TIER"})
    # WHEN / THEN the swap UpdateDataset will make is allowed
    assert existing_dataset_problems(plan, _existing("Users", "old-users", old_fields)) == []


def test_existing_dataset_on_the_planned_schema_needs_no_update(params: dict[str, Any]) -> None:
    # GIVEN datasets already on exactly the planned schemas (a re-run)
    plan = plan_of(params)
    existing = {
        d["folder"]: {"schemaArn": f"{ARN_PREFIX}:schema/{d['schema']['name']}", "schema": {"fields": []}}
        for d in plan["datasets"]
    }
    # WHEN / THEN nothing is compared, whatever the content (no UpdateDataset will be called)
    assert existing_dataset_problems(plan, existing) == []
