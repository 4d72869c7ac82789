"""params.json validation and the normalised plan (personalize_pipeline.params.build_plan).

Pure tests: build_plan gets a DataListing built in memory, never a client.
"""

from __future__ import annotations

import copy
import hashlib
import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from personalize_pipeline.data_files import CsvObject, DataListing, folder_fingerprint
from personalize_pipeline.errors import InvalidParameters
from personalize_pipeline.naming import NAME_PATTERN, canonical_json
from personalize_pipeline.params import build_plan

BUCKET = "input-bucket"
KEY = "params.json"
EXAMPLE = Path(__file__).resolve().parents[2] / "example"

# The seed README's example (README.fr.md), byte for byte: it must keep validating unchanged.
SEED_README_EXAMPLE = """{
    "datasetGroup": {
        "name":"DatasetGroup"
    },
    "datasets": {
        "Interactions": {
            "name":"InteractionsDataset",
            "schema": {
              "type": "record",
              "name": "Interactions",
              "namespace": "com.amazonaws.personalize.schema",
              "fields": [
                {
                  "name": "USER_ID",
                  "type": "string"
                },
                {
                  "name": "ITEM_ID",
                  "type": "string"
                },
                {
                  "name": "TIMESTAMP",
                  "type": "long"
                }
              ],
              "version": "1.0"
            }
        },
        "Users": {
            "name": "UsersDataset",
                "schema": {
                "type": "record",
                "name": "Users",
                "namespace": "com.amazonaws.personalize.schema",
                "fields": [
                    {
                        "name": "USER_ID",
                        "type": "string"
                    },
                    {
                        "name": "GENDER",
                        "type": "string",
                        "categorical": true
                    },
                    {
                        "name": "AGE",
                        "type": "int"
                    }
                ],
                "version": "1.0"
            }
        }
    },
    "solution": {
        "name": "Solution",
        "performAutoML": true
    },
    "campaign": {
        "name": "Campaign",
        "minProvisionedTPS": 1
    }
}
"""

ITEMS_SCHEMA = {
    "type": "record",
    "name": "Items",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "ITEM_ID", "type": "string"},
        {"name": "GENRES", "type": "string", "categorical": True},
        {"name": "PRICE", "type": "float"},
    ],
    "version": "1.0",
}


def _csv(key: str, header: str | None, etag: str = '"e1"', size: int = 1000) -> CsvObject:
    return CsvObject(key=key, etag=etag, size=0 if header is None else size, header=header)


def _listing(**folders: list[CsvObject]) -> DataListing:
    listing = DataListing()
    listing.folders.update(folders)
    return listing


@pytest.fixture
def seed_params() -> dict[str, Any]:
    return json.loads(SEED_README_EXAMPLE)


@pytest.fixture
def seed_data() -> DataListing:
    return _listing(
        Interactions=[_csv("Interactions/interactions.csv", "USER_ID,ITEM_ID,TIMESTAMP", '"i1"')],
        Users=[_csv("Users/users.csv", "USER_ID,GENDER,AGE", '"u1"')],
    )


def plan_of(params: Any, data: DataListing, version_id: str | None = None) -> dict[str, Any]:
    return build_plan(params, bucket=BUCKET, key=KEY, version_id=version_id, data=data)


def problems_of(params: Any, data: DataListing) -> list[str]:
    with pytest.raises(InvalidParameters) as raised:
        plan_of(params, data)
    return raised.value.problems


# --------------------------------------------------------------------------------------------------
# The seed example and the plan contract


def test_build_plan_seed_readme_example_text_returns_plan(seed_data):
    # GIVEN the seed README's params.json exactly as published, as the bytes S3 would return
    body = SEED_README_EXAMPLE.encode("utf-8")
    # WHEN it is validated
    plan = plan_of(body, seed_data, version_id="v1")
    # THEN it passes and the plan describes both datasets, the solution and the campaign
    assert [d["datasetType"] for d in plan["datasets"]] == ["INTERACTIONS", "USERS"]
    assert plan["source"] == {"bucket": BUCKET, "key": KEY, "versionId": "v1"}
    assert plan["solutions"][0]["campaigns"] == [{"name": "Campaign", "minProvisionedTPS": 1}]


def test_build_plan_seed_example_follows_the_plan_contract(seed_params, seed_data):
    # GIVEN the seed params and matching data
    # WHEN the plan is built
    plan = plan_of(seed_params, seed_data)
    # THEN every key and value is the documented one
    assert list(plan) == [
        "source",
        "datasetGroup",
        "datasets",
        "eventTrackers",
        "filters",
        "solutions",
        "recommenders",
        "schedules",
        "run",
        "paths",
    ]
    assert (plan["eventTrackers"], plan["filters"], plan["recommenders"], plan["schedules"]) == ([], [], [], [])
    assert plan["run"] == {"trigger": "upload"}
    assert plan["paths"] == {
        "eventTrackers": [],
        "filters": [],
        "solutions": [
            {
                "solution": "solution",
                "solutionVersion": "solutionVersion",
                "campaigns": ["campaign"],
                "batchInferenceJobs": [],
                "batchSegmentJobs": [],
            }
        ],
        "recommenders": [],
    }
    assert plan["source"]["versionId"] is None
    assert plan["datasetGroup"] == {"name": "DatasetGroup"}
    interactions, users = plan["datasets"]
    assert interactions["folder"] == "Interactions" and users["folder"] == "Users"
    assert set(interactions) == {
        "datasetType",
        "folder",
        "schema",
        "dataset",
        "datasetImportJob",
        "fingerprint",
        "sizeBytes",
    }
    # the bytes of the folder's CSV files, which the import step scales earlier import durations by
    assert (interactions["sizeBytes"], users["sizeBytes"]) == (1000, 1000)
    schema_obj = seed_params["datasets"]["Users"]["schema"]
    assert users["schema"]["schema"] == json.dumps(schema_obj, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(users["schema"]["schema"].encode()).hexdigest()
    assert users["schema"]["name"] == f"DatasetGroup-users-{digest[:8]}"
    assert "domain" not in users["schema"]
    assert users["dataset"] == {"name": "UsersDataset", "datasetType": "Users"}
    assert users["fingerprint"] == folder_fingerprint(seed_data.csv_objects("Users"))
    assert users["datasetImportJob"] == {
        "jobName": f"DatasetGroup-users-{users['fingerprint'][:12]}",
        "dataSource": {"dataLocation": f"s3://{BUCKET}/Users/"},
    }
    (solution,) = plan["solutions"]
    # performAutoML is deprecated: the plan trains the recommended recipe instead and notes it
    assert solution["solution"] == {
        "name": "Solution",
        "recipeArn": "arn:aws:personalize:::recipe/aws-user-personalization-v2",
        "performAutoTraining": False,
    }
    assert len(solution["notes"]) == 1
    assert solution["solutionVersion"] == {"name": "Solution-6b263590c36d"}
    for name in (users["schema"]["name"], users["datasetImportJob"]["jobName"], solution["solutionVersion"]["name"]):
        assert NAME_PATTERN.fullmatch(name) and len(name) <= 63
    assert json.loads(json.dumps(plan)) == plan


def test_build_plan_example_folder_params_validate_against_example_data():
    # GIVEN the committed example params files and the committed example CSVs
    listing = DataListing()
    for path in sorted((EXAMPLE / "data").rglob("*.csv")):
        key = path.relative_to(EXAMPLE / "data").as_posix()
        content = path.read_bytes()
        header = content.split(b"\n", 1)[0].decode("utf-8-sig").rstrip("\r")
        etag = f'"{hashlib.md5(content).hexdigest()}"'
        listing.folders[key.split("/")[0]].append(CsvObject(key, etag, len(content), header))
    for name in ("params.json", "seed-params.json"):
        # WHEN each is validated
        plan = plan_of((EXAMPLE / name).read_bytes(), listing)
        # THEN it passes
        assert plan["datasets"][0]["datasetType"] == "INTERACTIONS"


def test_build_plan_dataset_keys_any_case_and_order_are_normalised(seed_params, seed_data):
    # GIVEN dataset keys in other cases and Users declared before Interactions
    datasets = seed_params["datasets"]
    seed_params["datasets"] = {"users": datasets["Users"], "INTERACTIONS": datasets["Interactions"]}
    # WHEN the plan is built
    plan = plan_of(seed_params, seed_data)
    # THEN the plan uses canonical types and folders, Interactions first
    assert [(d["datasetType"], d["folder"]) for d in plan["datasets"]] == [
        ("INTERACTIONS", "Interactions"),
        ("USERS", "Users"),
    ]
    assert plan["datasets"][1]["dataset"]["datasetType"] == "Users"


def test_build_plan_optional_members_are_carried_into_the_plan(seed_params, seed_data):
    # GIVEN every optional member the plan carries
    # (kmsKeyArn/roleArn are refused until encryption is supported: tests/unit/test_params_service_rules.py)
    seed_params["datasetGroup"].update(domain="ECOMMERCE")
    seed_params["datasets"]["Interactions"]["schema"]["fields"].append({"name": "EVENT_TYPE", "type": "string"})
    seed_data.folders["Interactions"] = [
        _csv("Interactions/interactions.csv", "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE", '"i1"')
    ]
    users = seed_params["datasets"]["Users"]
    users.update(schemaName="my-users-schema", tags=[{"tagKey": "team", "tagValue": "recs"}])
    users["datasetImportJob"] = {"importMode": "FULL", "publishAttributionMetricsToS3": False}
    seed_params["solution"]["performAutoTraining"] = True
    seed_params["solutionVersion"] = {"trainingMode": "FULL", "tags": [{"tagKey": "k", "tagValue": "v"}]}
    seed_params["campaign"]["campaignConfig"] = {"enableMetadataWithRecommendations": True}
    # WHEN the plan is built
    plan = plan_of(seed_params, seed_data)
    # THEN each lands where the contract says
    users_plan = plan["datasets"][1]
    assert plan["datasetGroup"]["domain"] == "ECOMMERCE"
    assert users_plan["schema"] == {
        "name": "my-users-schema",
        "schema": canonical_json(users["schema"]),
        "domain": "ECOMMERCE",
    }
    assert users_plan["dataset"]["tags"] == [{"tagKey": "team", "tagValue": "recs"}]
    assert users_plan["datasetImportJob"]["importMode"] == "FULL"
    assert users_plan["datasetImportJob"]["publishAttributionMetricsToS3"] is False
    solution = plan["solutions"][0]
    assert solution["solution"]["performAutoTraining"] is True
    assert solution["solutionVersion"]["trainingMode"] == "FULL"
    assert solution["solutionVersion"]["tags"] == [{"tagKey": "k", "tagValue": "v"}]
    assert solution["campaigns"][0]["campaignConfig"] == {"enableMetadataWithRecommendations": True}


def test_build_plan_same_input_twice_gives_identical_plans(seed_params, seed_data):
    # GIVEN one upload processed twice (a re-run)
    # WHEN both plans are built
    # THEN they are identical, so every ensure step finds what the first run created
    assert plan_of(seed_params, seed_data) == plan_of(copy.deepcopy(seed_params), seed_data)


def test_build_plan_new_data_changes_only_that_import_and_the_version(seed_params, seed_data):
    # GIVEN the same params, and the Users CSV rewritten (new ETag)
    before = plan_of(seed_params, seed_data)
    seed_data.folders["Users"] = [_csv("Users/users.csv", "USER_ID,GENDER,AGE", '"u2"')]
    # WHEN the plan is built again
    after = plan_of(seed_params, seed_data)
    # THEN Users gets a new import job and the solution a new version; nothing else moves
    assert after["datasets"][0] == before["datasets"][0]
    assert after["datasets"][1]["datasetImportJob"]["jobName"] != before["datasets"][1]["datasetImportJob"]["jobName"]
    assert after["datasets"][1]["schema"] == before["datasets"][1]["schema"]
    new_version = after["solutions"][0]["solutionVersion"]["name"]
    assert new_version != before["solutions"][0]["solutionVersion"]["name"]


def test_build_plan_changed_schema_gets_a_new_schema_name(seed_params, seed_data):
    # GIVEN a Users schema with one more field (and its CSV column)
    before = plan_of(seed_params, seed_data)
    seed_params["datasets"]["Users"]["schema"]["fields"].append({"name": "CITY", "type": "string", "categorical": True})
    seed_data.folders["Users"] = [_csv("Users/users.csv", "USER_ID,GENDER,AGE,CITY", '"u1"')]
    # WHEN the plan is built again
    after = plan_of(seed_params, seed_data)
    # THEN the Users schema has a new name; the Interactions schema keeps its own
    assert after["datasets"][1]["schema"]["name"] != before["datasets"][1]["schema"]["name"]
    assert after["datasets"][0]["schema"]["name"] == before["datasets"][0]["schema"]["name"]


def test_build_plan_input_dict_is_left_untouched(seed_params, seed_data):
    # GIVEN a params dict
    original = copy.deepcopy(seed_params)
    # WHEN the plan is built and then edited
    plan = plan_of(seed_params, seed_data)
    plan["solutions"][0]["solution"]["name"] = "changed"
    # THEN the caller's dict is unchanged (no default added, nothing shared)
    assert seed_params == original


# --------------------------------------------------------------------------------------------------
# Bad params: one case per mistake, each named by its JSON path


_ROLE = "arn:aws:iam::123456789012:role/PersonalizeKms"
_RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization-v2"


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation setting one dotted path (list indexes as numbers) in the seed params."""

    def mutate(params: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = params
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        node[int(last) if isinstance(node, list) else last] = value

    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(params: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = params
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]

    return mutate


def _all(*mutations: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def mutate(params: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(params)

    return mutate


def _rename_dataset(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def mutate(params: dict[str, Any]) -> None:
        params["datasets"][new] = params["datasets"].pop(old)

    return mutate


def _recipe(name: str) -> Callable[[dict[str, Any]], None]:
    return _all(_delete("solution.performAutoML"), _set("solution.recipeArn", f"arn:aws:personalize:::recipe/{name}"))


_USER_FIELDS = "datasets.Users.schema.fields"
_INTERACTION_FIELDS = "datasets.Interactions.schema.fields"

TOP_LEVEL_KEYS = (
    "datasetGroup, datasets, solution, solutionVersion, campaign, solutions, campaigns, recommenders, filters, "
    "eventTracker, schedules, tags"
)

BAD_PARAMS = [
    # top level
    ("missing-dataset-group", _delete("datasetGroup"), ["datasetGroup: required section is missing"]),
    # a campaign is optional, but a solution is not, in the seed spelling too
    ("missing-solution", _delete("solution"), ["solution: required section is missing"]),
    (
        "unknown-section",
        _set("campain", {}),
        [f'campain: unknown key; did you mean "campaign"? (allowed: {TOP_LEVEL_KEYS})'],
    ),
    # datasetGroup
    (
        "group-name-pattern",
        _set("datasetGroup.name", "My Group"),
        [
            'datasetGroup.name: "My Group" is not valid: use 1 to 63 letters, digits, '
            "'-' or '_', starting with a letter or digit"
        ],
    ),
    (
        "group-name-too-long",
        _set("datasetGroup.name", "g" * 64),
        ['datasetGroup.name: "gggggggggggggggggggggggggggggggggggggg… is 64 characters long; the maximum is 63'],
    ),
    ("group-name-empty", _set("datasetGroup.name", ""), ["datasetGroup.name: must not be empty"]),
    (
        "group-domain-enum",
        _set("datasetGroup.domain", "RETAIL"),
        ['datasetGroup.domain: "RETAIL" is not one of ECOMMERCE, VIDEO_ON_DEMAND'],
    ),
    (
        "group-role-without-kms",
        _set("datasetGroup.roleArn", _ROLE),
        [
            "datasetGroup.roleArn: encrypted dataset groups are not supported by this pipeline yet: Personalize would "
            "need the role to use the KMS key and the pipeline neither grants nor tests that, so the run would fail "
            "after creating resources; remove kmsKeyArn and roleArn"
        ],
    ),
    (
        "group-kms-pattern",
        _set("datasetGroup.kmsKeyArn", "alias/my-key"),
        [
            'datasetGroup.kmsKeyArn: "alias/my-key" is not valid: expected a KMS key ARN such as '
            "arn:aws:kms:us-east-1:123456789012:key/<key id>",
            "datasetGroup.kmsKeyArn: encrypted dataset groups are not supported by this pipeline yet: Personalize "
            "would need the role to use the KMS key and the pipeline neither grants nor tests that, so the run would "
            "fail after creating resources; remove kmsKeyArn and roleArn",
        ],
    ),
    (
        "group-tags-type",
        _set("datasetGroup.tags", {"team": "recs"}),
        ['datasetGroup.tags: expected a list, got {"team": "recs"}'],
    ),
    (
        "group-tag-value-chars",
        _set("datasetGroup.tags", [{"tagKey": "a", "tagValue": "b;c"}]),
        [
            "datasetGroup.tags[0].tagValue: (value hidden: sensitive) is not valid: tags may hold letters, digits, "
            "spaces and _ . : / = + - @ only"
        ],
    ),
    (
        "group-unknown-key",
        _set("datasetGroup.nmae", "x"),
        ['datasetGroup.nmae: unknown key; did you mean "name"? (allowed: name, roleArn, kmsKeyArn, domain, tags)'],
    ),
    # datasets
    (
        "datasets-type",
        _set("datasets", ["Interactions"]),
        ['datasets: expected an object keyed by dataset type, got ["Interactions"]'],
    ),
    (
        "no-interactions",
        _delete("datasets.Interactions"),
        # One mistake, one problem: the Interactions files are not also reported as undeclared.
        ["datasets.Interactions: required but missing; every dataset group needs an Interactions dataset"],
    ),
    (
        "actions-unsupported",
        _set("datasets.Actions", {}),
        [
            "datasets.Actions: Actions datasets are not supported by this pipeline yet; remove it (supported: "
            "Interactions, Users, Items)"
        ],
    ),
    (
        "unknown-dataset-type",
        _rename_dataset("Users", "Userz"),
        [
            'datasets.Userz: unknown dataset type; did you mean "Users"? (dataset keys are the dataset types: '
            "Interactions, Users, Items)"
        ],
    ),
    (
        "dataset-key-twice",
        _set("datasets.users", {"name": "again"}),
        ["datasets.users: duplicate of datasets.Users (dataset types are matched regardless of case)"],
    ),
    (
        "dataset-type-owned",
        _set("datasets.Users.datasetType", "Users"),
        ["datasets.Users.datasetType: set by the pipeline (the dataset type is the key under datasets); remove it"],
    ),
    (
        "schema-arn-owned",
        _set("datasets.Users.schemaArn", "arn:aws:personalize:::schema/x"),
        ["datasets.Users.schemaArn: set by the pipeline; remove it"],
    ),
    ("dataset-name-missing", _delete("datasets.Users.name"), ["datasets.Users.name: required but missing"]),
    (
        "dataset-name-type",
        _set("datasets.Users.name", 7),
        ['datasets.Users.name: expected a string, got 7; write it in quotes: "7"'],
    ),
    (
        "schema-missing",
        _delete("datasets.Users.schema"),
        ["datasets.Users.schema: required but missing (the dataset's Avro schema)"],
    ),
    (
        "schema-name-pattern",
        _set("datasets.Users.schemaName", "-users"),
        [
            'datasets.Users.schemaName: "-users" is not valid: use 1 to 63 letters, digits, '
            "'-' or '_', starting with a letter or digit"
        ],
    ),
    (
        "schema-name-shared",
        _all(_set("datasets.Users.schemaName", "s"), _set("datasets.Interactions.schemaName", "s")),
        [
            'datasets.Users.schemaName: "s" is also the schema name of datasets.Interactions; each dataset needs its '
            "own schema"
        ],
    ),
    (
        "import-mode-enum",
        _set("datasets.Users.datasetImportJob", {"importMode": "full"}),
        ['datasets.Users.datasetImportJob.importMode: "full" is not one of FULL, INCREMENTAL; did you mean "FULL"?'],
    ),
    (
        "import-role-owned",
        _set("datasets.Users.datasetImportJob", {"roleArn": _ROLE}),
        [
            "datasets.Users.datasetImportJob.roleArn: set by the pipeline (the stack's Personalize role is used); "
            "remove it"
        ],
    ),
    (
        "import-source-owned",
        _set("datasets.Users.datasetImportJob", {"dataSource": {}}),
        [
            "datasets.Users.datasetImportJob.dataSource: set by the pipeline (the pipeline imports the dataset's "
            "folder of the input bucket); remove it"
        ],
    ),
    (
        "import-job-type",
        _set("datasets.Users.datasetImportJob", "FULL"),
        ['datasets.Users.datasetImportJob: expected an object, got "FULL"'],
    ),
    # schemas (details in test_schemas.py)
    (
        "field-type-typo",
        _set(f"{_USER_FIELDS}.1.type", "strin"),
        [
            'datasets.Users.schema: not a valid Avro schema: Type property "strin" not a valid Avro schema: Could not '
            "make an Avro Schema object from strin",
            'datasets.Users.schema.fields[1].type: GENDER: unsupported type "strin"; use one of float, double, int, '
            'long, string, boolean; did you mean "string"?',
        ],
    ),
    (
        "timestamp-int",
        _set(f"{_INTERACTION_FIELDS}.2.type", "int"),
        ['datasets.Interactions.schema.fields[2].type: TIMESTAMP must be "long", got "int"'],
    ),
    (
        "categorical-int",
        _set(f"{_USER_FIELDS}.2.categorical", True),
        ['datasets.Users.schema.fields[2].categorical: only string fields can be categorical; AGE is "int"'],
    ),
    (
        "field-attribute-typo",
        _set(f"{_USER_FIELDS}.1.categorial", True),
        [
            'datasets.Users.schema.fields[1].categorial: unknown key; did you mean "categorical"? (allowed: name, '
            "type, doc, default, order, aliases, categorical, textual, itemName)"
        ],
    ),
    # solution
    (
        "perform-hpo-string",
        _set("solution.performHPO", "yes"),
        ['solution.performHPO: expected a boolean (true or false), got "yes"'],
    ),
    (
        "solution-group-owned",
        _set("solution.datasetGroupArn", "arn:aws:personalize:us-east-1:1:dataset-group/x"),
        ["solution.datasetGroupArn: set by the pipeline; remove it"],
    ),
    (
        "recipe-bare-name",
        _all(_delete("solution.performAutoML"), _set("solution.recipeArn", "aws-user-personalization-v2")),
        [
            'solution.recipeArn: "aws-user-personalization-v2" is not valid: expected an ARN such as '
            "arn:aws:personalize:::recipe/aws-user-personalization-v2; did you mean "
            '"arn:aws:personalize:::recipe/aws-user-personalization-v2"?'
        ],
    ),
    (
        "recipe-missing",
        _delete("solution.performAutoML"),
        [
            "solution.recipeArn: required unless performAutoML is true, e.g. "
            '"arn:aws:personalize:::recipe/aws-user-personalization-v2"'
        ],
    ),
    (
        "recipe-with-automl",
        _set("solution.recipeArn", _RECIPE),
        ["solution.recipeArn: omit it when performAutoML is true (AutoML chooses the recipe)"],
    ),
    (
        "recipe-retired",
        _recipe("aws-hrnn"),
        ["solution.recipeArn: recipe aws-hrnn is no longer available; use aws-user-personalization-v2"],
    ),
    (
        "recipe-batch-only",
        _recipe("aws-item-affinity"),
        [
            "campaign: solution 'Solution' uses recipe aws-item-affinity, which only serves batch segment jobs; a "
            "campaign cannot deploy it: remove the campaign (declare batchSegmentJobs instead)"
        ],
    ),
    (
        "recipe-needs-items",
        _recipe("aws-semantic-similarity"),
        ["solution.recipeArn: recipe aws-semantic-similarity needs an Items dataset; declare datasets.Items"],
    ),
    (
        "incremental-update-recipe",
        _set("solution.performIncrementalUpdate", True),
        ["solution.performIncrementalUpdate: only supported with the aws-semantic-similarity recipe"],
    ),
    (
        "solution-config-typo",
        _set("solution.solutionConfig", {"hpoConfg": {}}),
        [
            'solution.solutionConfig.hpoConfg: unknown key; did you mean "hpoConfig"? (allowed: eventValueThreshold, '
            "hpoConfig, algorithmHyperParameters, featureTransformationParameters, autoMLConfig, eventsConfig, "
            "optimizationObjective, trainingDataConfig, autoTrainingConfig)"
        ],
    ),
    (
        "hyperparameter-number",
        _set("solution.solutionConfig", {"algorithmHyperParameters": {"hidden_dimension": 100}}),
        [
            "solution.solutionConfig.algorithmHyperParameters.hidden_dimension: expected a string, got 100; write it "
            'in quotes: "100"'
        ],
    ),
    (
        "hpo-objective",
        _set("solution.solutionConfig", {"hpoConfig": {"hpoObjective": {"type": "Maximize"}}}),
        [
            "solution.solutionConfig.hpoConfig.hpoObjective: Personalize does not support configuring the HPO "
            "objective; remove it"
        ],
    ),
    (
        "event-weight-max",
        _set(
            "solution.solutionConfig", {"eventsConfig": {"eventParametersList": [{"eventType": "click", "weight": 2}]}}
        ),
        [
            "solution.solutionConfig.eventsConfig.eventParametersList[0].weight: 2 is above the maximum of 1",
            "solution.solutionConfig.eventsConfig: weighs event types, but the Interactions schema has no EVENT_TYPE "
            "field",
        ],
    ),
    (
        "events-without-event-type",
        _set("solution.solutionConfig", {"eventsConfig": {"eventParametersList": [{"eventType": "click"}]}}),
        [
            "solution.solutionConfig.eventsConfig: weighs event types, but the Interactions schema has no EVENT_TYPE "
            "field"
        ],
    ),
    (
        "event-type-without-field",
        _set("solution.eventType", "click"),
        ["solution.eventType: trains on one event type, but the Interactions schema has no EVENT_TYPE field"],
    ),
    (
        "auto-training-config-off",
        _set("solution.solutionConfig", {"autoTrainingConfig": {"schedulingExpression": "rate(7 days)"}}),
        [
            "solution.solutionConfig.autoTrainingConfig: only used with automatic training, which the pipeline turns "
            'off unless asked; set "performAutoTraining": true or remove it'
        ],
    ),
    (
        "schedule-pattern",
        _all(
            _set("solution.performAutoTraining", True),
            _set("solution.solutionConfig", {"autoTrainingConfig": {"schedulingExpression": "weekly"}}),
        ),
        [
            'solution.solutionConfig.autoTrainingConfig.schedulingExpression: "weekly" is not valid: expected "rate(N '
            'days)", e.g. "rate(7 days)"'
        ],
    ),
    (
        "schedule-range",
        _all(
            _set("solution.performAutoTraining", True),
            _set("solution.solutionConfig", {"autoTrainingConfig": {"schedulingExpression": "rate(45 days)"}}),
        ),
        [
            'solution.solutionConfig.autoTrainingConfig.schedulingExpression: "rate(45 days)" is out of range; use 1 '
            "to 30 days"
        ],
    ),
    (
        "excluded-column-unknown",
        _set("solution.solutionConfig", {"trainingDataConfig": {"excludedDatasetColumns": {"USERS": ["AGES"]}}}),
        [
            "solution.solutionConfig.trainingDataConfig.excludedDatasetColumns.USERS[0]: AGES is not a field of the "
            'Users schema; did you mean "AGE"?'
        ],
    ),
    (
        "excluded-dataset-undeclared",
        _set("solution.solutionConfig", {"trainingDataConfig": {"excludedDatasetColumns": {"ITEMS": ["PRICE"]}}}),
        [
            "solution.solutionConfig.trainingDataConfig.excludedDatasetColumns.ITEMS: no such dataset in params.json "
            "(declared: Interactions, Users)"
        ],
    ),
    (
        "objective-without-items",
        _set("solution.solutionConfig", {"optimizationObjective": {"itemAttribute": "PRICE"}}),
        [
            "solution.solutionConfig.optimizationObjective.itemAttribute: names a numeric column of the Items dataset; "
            "declare datasets.Items"
        ],
    ),
    (
        "objective-sensitivity-enum",
        _set("solution.solutionConfig", {"optimizationObjective": {"objectiveSensitivity": "low"}}),
        [
            'solution.solutionConfig.optimizationObjective.objectiveSensitivity: "low" is not one of LOW, MEDIUM, '
            'HIGH, OFF; did you mean "LOW"?'
        ],
    ),
    (
        "interactions-key-misspelt",
        _rename_dataset("Interactions", "Interaction"),
        [
            'datasets.Interaction: unknown dataset type; did you mean "Interactions"? (dataset keys are the dataset '
            "types: Interactions, Users, Items)"
        ],
    ),
    (
        "interactions-not-object",
        _all(_set("datasets.Interactions", "x"), _delete("datasets.Users.name")),
        ['datasets.Interactions: expected an object, got "x"', "datasets.Users.name: required but missing"],
    ),
    (
        "included-column-unknown",
        _set("solution.solutionConfig", {"trainingDataConfig": {"includedDatasetColumns": {"USERS": ["AGES"]}}}),
        [
            "solution.solutionConfig.trainingDataConfig.includedDatasetColumns.USERS[0]: AGES is not a field of the "
            'Users schema; did you mean "AGE"?'
        ],
    ),
    (
        "columns-not-object-then-included",
        _set(
            "solution.solutionConfig",
            {"trainingDataConfig": {"excludedDatasetColumns": ["AGE"], "includedDatasetColumns": {"USERS": ["AGES"]}}},
        ),
        [
            'solution.solutionConfig.trainingDataConfig.excludedDatasetColumns: expected an object, got ["AGE"]',
            "solution.solutionConfig.trainingDataConfig.includedDatasetColumns.USERS[0]: AGES is not a field of the "
            'Users schema; did you mean "AGE"?',
        ],
    ),
    (
        "columns-undeclared-then-unknown",
        _set(
            "solution.solutionConfig",
            {"trainingDataConfig": {"excludedDatasetColumns": {"ITEMS": ["PRICE"], "USERS": ["AGES"]}}},
        ),
        [
            "solution.solutionConfig.trainingDataConfig.excludedDatasetColumns.ITEMS: no such dataset in params.json "
            "(declared: Interactions, Users)",
            "solution.solutionConfig.trainingDataConfig.excludedDatasetColumns.USERS[0]: AGES is not a field of the "
            'Users schema; did you mean "AGE"?',
        ],
    ),
    (
        "columns-not-list-then-unknown",
        _set(
            "solution.solutionConfig",
            {"trainingDataConfig": {"excludedDatasetColumns": {"USERS": "AGE", "INTERACTIONS": ["EVENT"]}}},
        ),
        [
            'solution.solutionConfig.trainingDataConfig.excludedDatasetColumns.USERS: expected a list, got "AGE"',
            "solution.solutionConfig.trainingDataConfig.excludedDatasetColumns.INTERACTIONS[0]: EVENT is not a field "
            "of the Interactions schema",
        ],
    ),
    (
        "columns-with-no-datasets",
        _all(
            _set("datasets", {}),
            _set("solution.solutionConfig", {"trainingDataConfig": {"excludedDatasetColumns": {"USERS": ["AGE"]}}}),
        ),
        [
            "datasets.Interactions: required but missing; every dataset group needs an Interactions dataset",
            "solution.solutionConfig.trainingDataConfig.excludedDatasetColumns.USERS: no such dataset in params.json "
            "(declared: none)",
            "s3://input-bucket/Users/: holds 1 CSV file but params.json declares no Users dataset; add datasets.Users "
            "or delete the files (they would be silently ignored)",
        ],
    ),
    (
        "objective-attribute-typo",
        _all(
            _set("datasets.Items", {"name": "ItemsDataset", "schema": ITEMS_SCHEMA}),
            _set("solution.solutionConfig", {"optimizationObjective": {"itemAttribute": "PRICES"}}),
        ),
        [
            "solution.solutionConfig.optimizationObjective.itemAttribute: PRICES is not a field of the Items schema; "
            'did you mean "PRICE"?',
            "s3://input-bucket/Items/: no CSV file for the dataset declared at datasets.Items; upload its data as .csv "
            "files directly in Items/",
        ],
    ),
    (
        "training-mode-update-other-recipe",
        _all(_recipe("aws-similar-items"), _set("solutionVersion", {"trainingMode": "UPDATE"})),
        [
            "solutionVersion.trainingMode: UPDATE only works with the aws-user-personalization recipe; use FULL (the "
            "default)"
        ],
    ),
    (
        "unknown-odd-top-level-key",
        _set("my section", {}),
        [f'["my section"]: unknown key (allowed: {TOP_LEVEL_KEYS})'],
    ),
    (
        "incremental-update-other-recipe",
        _all(_recipe("aws-user-personalization-v2"), _set("solution.performIncrementalUpdate", True)),
        ["solution.performIncrementalUpdate: only supported with the aws-semantic-similarity recipe"],
    ),
    (
        "recipe-needs-actions",
        _recipe("aws-next-best-action"),
        [
            "solution.recipeArn: recipe aws-next-best-action needs an Actions dataset, which this pipeline does not "
            "support yet"
        ],
    ),
    (
        "event-value-threshold-without-field",
        _set("solution.solutionConfig", {"eventValueThreshold": "0.5"}),
        ["solution.solutionConfig.eventValueThreshold: needs an EVENT_VALUE field in the Interactions schema"],
    ),
    (
        "schedule-range-31",
        _all(
            _set("solution.performAutoTraining", True),
            _set("solution.solutionConfig", {"autoTrainingConfig": {"schedulingExpression": "rate(31 days)"}}),
        ),
        [
            'solution.solutionConfig.autoTrainingConfig.schedulingExpression: "rate(31 days)" is out of range; use 1 '
            "to 30 days"
        ],
    ),
    # solutionVersion
    (
        "training-mode-enum",
        _set("solutionVersion", {"trainingMode": "PARTIAL"}),
        ['solutionVersion.trainingMode: "PARTIAL" is not one of FULL, UPDATE, AUTOTRAIN'],
    ),
    (
        "training-mode-update-automl",
        _set("solutionVersion", {"trainingMode": "UPDATE"}),
        [
            "solutionVersion.trainingMode: UPDATE only works with the aws-user-personalization recipe; use FULL (the "
            "default)"
        ],
    ),
    (
        "version-name-owned",
        _set("solutionVersion", {"name": "v1"}),
        [
            "solutionVersion.name: set by the pipeline (derived from the solution, schemas and data so a re-run reuses "
            "the trained version); remove it"
        ],
    ),
    (
        "version-solution-owned",
        _set("solutionVersion", {"solutionArn": "arn:aws:personalize:::solution/x"}),
        ["solutionVersion.solutionArn: set by the pipeline; remove it"],
    ),
    # campaign
    ("tps-zero", _set("campaign.minProvisionedTPS", 0), ["campaign.minProvisionedTPS: must be at least 1, got 0"]),
    (
        "tps-float",
        _set("campaign.minProvisionedTPS", 1.5),
        ["campaign.minProvisionedTPS: expected an integer, got 1.5"],
    ),
    (
        "tps-boolean",
        _set("campaign.minProvisionedTPS", True),
        ["campaign.minProvisionedTPS: expected an integer, got true"],
    ),
    (
        "campaign-version-owned",
        _set("campaign.solutionVersionArn", "arn:aws:personalize:::solution/x/1"),
        ["campaign.solutionVersionArn: set by the pipeline; remove it"],
    ),
    (
        "ranking-influence-key",
        _set("campaign.campaignConfig", {"rankingInfluence": {"POPULARTY": 0.5}}),
        [
            'campaign.campaignConfig.rankingInfluence: key "POPULARTY" is not one of POPULARITY, FRESHNESS; did you '
            'mean "POPULARITY"?'
        ],
    ),
    (
        "sync-flag-string",
        _set("campaign.campaignConfig", {"syncWithLatestSolutionVersion": "true"}),
        ['campaign.campaignConfig.syncWithLatestSolutionVersion: expected a boolean (true or false), got "true"'],
    ),
    (
        "campaign-tag-key-empty",
        _set("campaign.tags", [{"tagKey": "", "tagValue": "x"}]),
        ["campaign.tags[0].tagKey: must not be empty"],
    ),
    (
        "campaign-tag-value-missing",
        _set("campaign.tags", [{"tagKey": "k"}]),
        ["campaign.tags[0].tagValue: required but missing"],
    ),
    ("campaign-type", _set("campaign", "Campaign"), ['campaign: expected an object, got "Campaign"']),
]


@pytest.mark.parametrize(("mutation", "expected"), [c[1:] for c in BAD_PARAMS], ids=[c[0] for c in BAD_PARAMS])
def test_build_plan_bad_params_reports_exactly_its_problems(seed_params, seed_data, mutation, expected):
    # GIVEN the seed params with one mistake
    mutation(seed_params)
    # WHEN they are validated
    problems = problems_of(seed_params, seed_data)
    # THEN the whole problem list is the expected one: each problem names its path, nothing spurious is added
    assert problems == expected


def test_bad_params_cases_are_distinct():
    # GIVEN the table of bad params WHEN its ids and expectations are counted THEN there are >= 30 distinct ones,
    # each expecting at least one problem (AutoML and another recipe share the messages of UPDATE training and
    # of incremental updates)
    assert len({c[0] for c in BAD_PARAMS}) == len(BAD_PARAMS) >= 30
    assert len({tuple(c[2]) for c in BAD_PARAMS}) == len(BAD_PARAMS) - 2
    assert all(c[2] for c in BAD_PARAMS + BAD_DATA)


def test_build_plan_valid_items_recipe_and_objective_pass(seed_params, seed_data):
    # GIVEN an Items dataset, a recipe needing it and an objective on one of its numeric fields
    seed_params["datasets"]["Items"] = {"name": "ItemsDataset", "schema": ITEMS_SCHEMA}
    _recipe("aws-semantic-similarity")(seed_params)
    seed_params["solution"]["solutionConfig"] = {
        "optimizationObjective": {"itemAttribute": "PRICE", "objectiveSensitivity": "LOW"},
        "trainingDataConfig": {"excludedDatasetColumns": {"ITEMS": ["GENRES"]}},
    }
    seed_data.folders["Items"] = [_csv("Items/items.csv", "ITEM_ID,GENRES,PRICE")]
    # WHEN validated THEN the plan has three datasets in contract order
    plan = plan_of(seed_params, seed_data)
    assert [d["datasetType"] for d in plan["datasets"]] == ["INTERACTIONS", "USERS", "ITEMS"]


def test_build_plan_objective_on_string_field_reports_its_type(seed_params, seed_data):
    # GIVEN an optimization objective naming a categorical string field
    seed_params["datasets"]["Items"] = {"name": "ItemsDataset", "schema": ITEMS_SCHEMA}
    seed_params["solution"]["solutionConfig"] = {"optimizationObjective": {"itemAttribute": "GENRES"}}
    seed_data.folders["Items"] = [_csv("Items/items.csv", "ITEM_ID,GENRES,PRICE")]
    # WHEN validated
    problems = problems_of(seed_params, seed_data)
    # THEN the problem says the field must be numeric
    assert problems == [
        "solution.solutionConfig.optimizationObjective.itemAttribute: "
        'GENRES must be a numeric field, but it is "string"'
    ]


# --------------------------------------------------------------------------------------------------
# Valid setups: each optional rule also lets the right input through, and derived names are pinned


def test_build_plan_interactions_and_items_without_users_plans_both(seed_params, seed_data):
    # GIVEN Interactions and Items declared, no Users (the loop over declared types must skip Users, not stop)
    del seed_params["datasets"]["Users"]
    seed_params["datasets"]["Items"] = {"name": "ItemsDataset", "schema": ITEMS_SCHEMA}
    seed_data.folders["Users"] = []
    seed_data.folders["Items"] = [_csv("Items/items.csv", "ITEM_ID,GENRES,PRICE", '"t1"')]
    # WHEN the plan is built
    plan = plan_of(seed_params, seed_data)
    # THEN both datasets are planned, in contract order, each with its own folder and names
    assert [(d["datasetType"], d["folder"], d["dataset"]["name"]) for d in plan["datasets"]] == [
        ("INTERACTIONS", "Interactions", "InteractionsDataset"),
        ("ITEMS", "Items", "ItemsDataset"),
    ]
    assert plan["datasets"][1]["datasetImportJob"]["dataSource"] == {"dataLocation": f"s3://{BUCKET}/Items/"}


def test_build_plan_items_checked_after_undeclared_users(seed_params, seed_data):
    # GIVEN Interactions and Items declared, no Users, and an Items header that does not match its schema
    del seed_params["datasets"]["Users"]
    seed_params["datasets"]["Items"] = {"name": "ItemsDataset", "schema": ITEMS_SCHEMA}
    seed_data.folders["Users"] = []
    seed_data.folders["Items"] = [_csv("Items/items.csv", "ITEM_ID,GENRES")]
    # WHEN validated
    # THEN the Items data is still checked (the data loop skips Users, it does not stop there)
    assert problems_of(seed_params, seed_data) == [f"s3://{BUCKET}/Items/items.csv line 1: missing column PRICE"]


def test_build_plan_seed_example_derived_names_are_pinned(seed_params, seed_data):
    # GIVEN the seed params and data (fixed ETags)
    # WHEN the plan is built
    plan = plan_of(seed_params, seed_data)
    # THEN every derived name is exactly the published one: a change would rename (and re-create or retrain)
    # every user's resources on their next upload
    assert [(d["schema"]["name"], d["datasetImportJob"]["jobName"]) for d in plan["datasets"]] == [
        ("DatasetGroup-interactions-8a7ac14f", "DatasetGroup-interactions-e64f9f55553d"),
        ("DatasetGroup-users-2b9c3882", "DatasetGroup-users-143ba3715f38"),
    ]
    assert [d["fingerprint"] for d in plan["datasets"]] == [
        "e64f9f55553d22877369a2b901a97961e157bf5afc628de48da50ec7a9d1383c",
        "143ba3715f38dccf5551521581aac11cc37384d2b5c327946e75df315a829af3",
    ]
    assert plan["solutions"][0]["solutionVersion"] == {"name": "Solution-6b263590c36d"}


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        pytest.param(None, {"name": "Solution-d7142489c2ee"}, id="default"),
        pytest.param({"trainingMode": "FULL"}, {"name": "Solution-d7142489c2ee", "trainingMode": "FULL"}, id="full"),
        pytest.param(
            {"trainingMode": "UPDATE"}, {"name": "Solution-aadfccb886fa", "trainingMode": "UPDATE"}, id="update"
        ),
    ],
)
def test_build_plan_training_mode_is_part_of_the_version_name(seed_params, seed_data, version, expected):
    # GIVEN a recipe that supports UPDATE training, and a training mode (absent means the API default, FULL)
    _recipe("aws-user-personalization")(seed_params)
    if version is not None:
        seed_params["solutionVersion"] = version
    # WHEN the plan is built
    # THEN the version name is pinned: FULL and the default train the same model, UPDATE is another version
    assert plan_of(seed_params, seed_data)["solutions"][0]["solutionVersion"] == expected


def test_build_plan_bucket_with_only_params_json_names_each_missing_folder(seed_params):
    # GIVEN a bucket that holds params.json and nothing else
    # WHEN validated
    problems = problems_of(seed_params, DataListing())
    # THEN each declared dataset's folder is named, and nothing else is reported
    assert problems == [
        f"s3://{BUCKET}/Interactions/: no CSV file for the dataset declared at datasets.Interactions; upload its "
        "data as .csv files directly in Interactions/",
        f"s3://{BUCKET}/Users/: no CSV file for the dataset declared at datasets.Users; upload its data as .csv "
        "files directly in Users/",
    ]


def _interactions_with(*fields: dict[str, Any]) -> Callable[[dict[str, Any], DataListing], None]:
    """Add fields to the Interactions schema, and their columns to its CSV header."""

    def change(params: dict[str, Any], data: DataListing) -> None:
        params["datasets"]["Interactions"]["schema"]["fields"].extend(fields)
        header = ",".join(["USER_ID", "ITEM_ID", "TIMESTAMP", *(f["name"] for f in fields)])
        data.folders["Interactions"] = [_csv("Interactions/interactions.csv", header, '"i1"')]

    return change


def _with_items(params: dict[str, Any], data: DataListing) -> None:
    params["datasets"]["Items"] = {"name": "ItemsDataset", "schema": ITEMS_SCHEMA}
    data.folders["Items"] = [_csv("Items/items.csv", "ITEM_ID,GENRES,PRICE", '"t1"')]


_EVENT_TYPE = {"name": "EVENT_TYPE", "type": "string"}
_EVENT_VALUE = {"name": "EVENT_VALUE", "type": "float"}

VALID_SETUPS = [
    (
        "event-value-threshold",
        [_interactions_with(_EVENT_VALUE)],
        {"solutionConfig": {"eventValueThreshold": "0.5"}},
        None,
    ),
    ("event-type", [_interactions_with(_EVENT_TYPE)], {"eventType": "click"}, None),
    (
        "events-config",
        [_interactions_with(_EVENT_TYPE)],
        {"solutionConfig": {"eventsConfig": {"eventParametersList": [{"eventType": "click", "weight": 0.5}]}}},
        None,
    ),
    (
        "item-attribute",
        [_with_items],
        {"solutionConfig": {"optimizationObjective": {"itemAttribute": "PRICE", "objectiveSensitivity": "LOW"}}},
        None,
    ),
    (
        "included-columns",
        [_with_items],
        {
            "solutionConfig": {
                "trainingDataConfig": {"includedDatasetColumns": {"Items": ["ITEM_ID", "PRICE"], "USERS": ["AGE"]}}
            }
        },
        None,
    ),
    (
        "excluded-columns",
        [],
        {"solutionConfig": {"trainingDataConfig": {"excludedDatasetColumns": {"Users": ["GENDER"]}}}},
        None,
    ),
    (
        "auto-training",
        [],
        {
            "performAutoTraining": True,
            "solutionConfig": {"autoTrainingConfig": {"schedulingExpression": "rate(30 days)"}},
        },
        None,
    ),
    (
        "auto-training-one-day",
        [],
        {
            "performAutoTraining": True,
            "solutionConfig": {"autoTrainingConfig": {"schedulingExpression": "rate(1 day)"}},
        },
        None,
    ),
    (
        "update-training",
        [],
        {"recipeArn": "arn:aws:personalize:::recipe/aws-user-personalization"},
        {"trainingMode": "UPDATE"},
    ),
    (
        "incremental-update-account-recipe-arn",
        [],
        {
            "recipeArn": "arn:aws:personalize:us-east-1:123456789012:recipe/custom-similarity",
            "performIncrementalUpdate": True,
        },
        None,
    ),
    (
        "incremental-update",
        [_with_items],
        {"recipeArn": "arn:aws:personalize:::recipe/aws-semantic-similarity", "performIncrementalUpdate": True},
        None,
    ),
    (
        "hpo-without-objective",
        [],
        {"solutionConfig": {"hpoConfig": {"hpoResourceConfig": {"maxNumberOfTrainingJobs": "4"}}}},
        None,
    ),
]


@pytest.mark.parametrize(
    ("changes", "solution", "version"), [c[1:] for c in VALID_SETUPS], ids=[c[0] for c in VALID_SETUPS]
)
def test_build_plan_valid_optional_setup_is_accepted_and_carried(seed_params, seed_data, changes, solution, version):
    # GIVEN the seed params on an explicit recipe (the plan would replace AutoML with one), and one optional
    # feature set up correctly (its schema field or dataset included)
    _recipe("aws-user-personalization-v2")(seed_params)
    for change in changes:
        change(seed_params, seed_data)
    seed_params["solution"].update(solution)
    if version is not None:
        seed_params["solutionVersion"] = version
    # WHEN the plan is built
    plan = plan_of(seed_params, seed_data)
    # THEN it passes and the plan carries the setting verbatim (automatic training stays off unless asked)
    planned = plan["solutions"][0]
    expected = {k: v for k, v in seed_params["solution"].items()}
    expected.setdefault("performAutoTraining", False)
    assert planned["solution"] == expected
    assert {k: v for k, v in planned["solutionVersion"].items() if k != "name"} == (version or {})


# --------------------------------------------------------------------------------------------------
# Bad data: named by S3 key


def _data_case(**folders: list[CsvObject]) -> Callable[[DataListing], None]:
    def mutate(listing: DataListing) -> None:
        listing.folders.update(folders)

    return mutate


def _root_csv(listing: DataListing) -> None:
    listing.root_csv_keys.append("users.csv")


def _lowercase_folder(listing: DataListing) -> None:
    listing.folders["Users"] = []
    listing.top_level_folders.extend(["Interactions", "users"])


BAD_DATA = [
    (
        "undeclared-folder-two-files",
        _data_case(Items=[_csv("Items/a.csv", "ITEM_ID,PRICE"), _csv("Items/b.csv", "ITEM_ID,PRICE")]),
        [
            "s3://input-bucket/Items/: holds 2 CSV files but params.json declares no Items dataset; add datasets.Items "
            "or delete the files (they would be silently ignored)"
        ],
    ),
    (
        "header-single-unknown-column",
        _data_case(Users=[_csv("Users/u.csv", "EXTRA")]),
        ["s3://input-bucket/Users/u.csv line 1: missing columns USER_ID, GENDER, AGE; unknown column EXTRA"],
    ),
    (
        "header-empty-quoted-column",
        _data_case(Users=[_csv("Users/u.csv", 'USER_ID,GENDER,AGE,""')]),
        ['s3://input-bucket/Users/u.csv line 1: column names must not be quoted: ""; empty column name at position 4'],
    ),
    (
        "header-two-empty-columns",
        _data_case(Users=[_csv("Users/u.csv", "USER_ID,,GENDER,AGE,")]),
        ["s3://input-bucket/Users/u.csv line 1: empty column name at positions 2, 5"],
    ),
    (
        "header-typo",
        _data_case(Users=[_csv("Users/users.csv", "USER_ID,GENDER,AGES")]),
        ["s3://input-bucket/Users/users.csv line 1: missing column AGE; unknown column AGES"],
    ),
    (
        "header-missing-two",
        _data_case(Users=[_csv("Users/users.csv", "USER_ID")]),
        ["s3://input-bucket/Users/users.csv line 1: missing columns GENDER, AGE"],
    ),
    (
        "header-duplicate",
        _data_case(Users=[_csv("Users/u.csv", "USER_ID,GENDER,AGE,AGE")]),
        ["s3://input-bucket/Users/u.csv line 1: duplicate column AGE"],
    ),
    (
        "header-quoted",
        _data_case(Users=[_csv("Users/u.csv", '"USER_ID","GENDER","AGE"')]),
        ['s3://input-bucket/Users/u.csv line 1: column names must not be quoted: "USER_ID", "GENDER", "AGE"'],
    ),
    (
        "header-semicolons",
        _data_case(Users=[_csv("Users/u.csv", "USER_ID;GENDER;AGE")]),
        ['s3://input-bucket/Users/u.csv line 1: columns must be separated by commas, got "USER_ID;GENDER;AGE"'],
    ),
    (
        "header-empty-column",
        _data_case(Users=[_csv("Users/u.csv", "USER_ID,GENDER,AGE,")]),
        ["s3://input-bucket/Users/u.csv line 1: empty column name at position 4"],
    ),
    (
        "empty-file",
        _data_case(Users=[_csv("Users/u.csv", None)]),
        ["s3://input-bucket/Users/u.csv: the file is empty; it needs a header line (USER_ID, GENDER, AGE) and data"],
    ),
    (
        "unreadable-header",
        _data_case(Users=[CsvObject("Users/u.csv", '"x"', 10, None, "the header line is not valid UTF-8")]),
        ["s3://input-bucket/Users/u.csv line 1: the header line is not valid UTF-8"],
    ),
    (
        "no-data-for-dataset",
        _data_case(Users=[]),
        [
            "s3://input-bucket/Users/: no CSV file for the dataset declared at datasets.Users; upload its data as .csv "
            "files directly in Users/"
        ],
    ),
    (
        "folder-wrong-case",
        _lowercase_folder,
        [
            "s3://input-bucket/Users/: no CSV file for the dataset declared at datasets.Users; upload its data as .csv "
            "files directly in Users/ (found users/: S3 keys are case-sensitive, rename it to Users/)"
        ],
    ),
    (
        "undeclared-folder",
        _data_case(Items=[_csv("Items/items.csv", "ITEM_ID,PRICE")]),
        [
            "s3://input-bucket/Items/: holds 1 CSV file but params.json declares no Items dataset; add datasets.Items "
            "or delete the files (they would be silently ignored)"
        ],
    ),
    (
        "sub-folder-csv",
        _data_case(
            Users=[_csv("Users/users.csv", "USER_ID,GENDER,AGE"), _csv("Users/2024/u.csv", "USER_ID,GENDER,AGE")]
        ),
        [
            "s3://input-bucket/Users/2024/u.csv: Personalize imports only the files directly in "
            "s3://input-bucket/Users/, not in sub-folders; move it up"
        ],
    ),
    (
        "root-csv",
        _root_csv,
        [
            "s3://input-bucket/users.csv: CSV files at the bucket root are never imported; move it into Interactions/, "
            "Users/ or Items/"
        ],
    ),
]


@pytest.mark.parametrize(("mutation", "expected"), [c[1:] for c in BAD_DATA], ids=[c[0] for c in BAD_DATA])
def test_build_plan_bad_data_reports_problem_at_its_key(seed_params, seed_data, mutation, expected):
    # GIVEN valid params and data with one mistake
    mutation(seed_data)
    # WHEN validated
    problems = problems_of(seed_params, seed_data)
    # THEN the whole problem list is the expected one, each problem named by the S3 key (and line)
    assert problems == expected


def test_build_plan_wrong_case_folder_hints_at_the_rename(seed_params, seed_data):
    # GIVEN the Users data uploaded under users/ instead of Users/
    _lowercase_folder(seed_data)
    # WHEN validated
    problems = problems_of(seed_params, seed_data)
    # THEN the problem says which folder was found and what to rename it to
    assert problems == [
        f"s3://{BUCKET}/Users/: no CSV file for the dataset declared at datasets.Users; upload its data as .csv "
        "files directly in Users/ (found users/: S3 keys are case-sensitive, rename it to Users/)"
    ]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            [{"name": "USER_ID", "type": "string"}, {"name": "AGE", "type": "int"}],
            [f's3://{BUCKET}/Users/users.csv line 1: columns must be separated by commas, got "USER_ID;AGE"'],
            id="two-fields",
        ),
        pytest.param(
            [{"name": "USER_ID", "type": "string"}],
            [
                "datasets.Users.schema.fields: a Users schema needs at least 1 metadata field besides USER_ID (a "
                "categorical string or a number)",
                f"s3://{BUCKET}/Users/users.csv line 1: missing column USER_ID; unknown column USER_ID;AGE",
            ],
            id="one-field",
        ),
    ],
)
def test_build_plan_semicolon_header_is_a_separator_problem_only_when_several_fields(
    seed_params, seed_data, fields, expected
):
    # GIVEN a Users schema of two fields (or one), and a header written with semicolons
    seed_params["datasets"]["Users"]["schema"]["fields"] = fields
    seed_data.folders["Users"] = [_csv("Users/users.csv", "USER_ID;AGE", '"u1"')]
    # WHEN validated
    # THEN a one-column header is read as the wrong separator only when the schema expects several columns
    assert problems_of(seed_params, seed_data) == expected


def test_build_plan_header_in_other_order_with_spaces_passes(seed_params, seed_data):
    # GIVEN a header listing the schema's columns in another order, with spaces and CRLF-stripped
    seed_data.folders["Users"] = [_csv("Users/users.csv", " AGE , USER_ID,GENDER")]
    # WHEN validated THEN it passes: the service maps columns by name
    assert plan_of(seed_params, seed_data)["datasets"][1]["folder"] == "Users"


# --------------------------------------------------------------------------------------------------
# How problems are reported


def test_build_plan_several_mistakes_all_reported_at_once(seed_params, seed_data):
    # GIVEN four independent mistakes across sections and data
    seed_params["datasetGroup"]["name"] = "bad name"
    seed_params["datasets"]["Users"]["schema"]["fields"][1]["type"] = "strin"
    seed_params["solution"]["performHPO"] = "yes"
    seed_params["campaign"]["minProvisionedTPS"] = 0
    seed_data.folders["Interactions"] = [_csv("Interactions/i.csv", "USER_ID,ITEM_ID")]
    # WHEN validated
    with pytest.raises(InvalidParameters) as raised:
        plan_of(seed_params, seed_data)
    # THEN every one is in the problem list, in document order and then data order, and in the message
    assert raised.value.problems == [
        'datasetGroup.name: "bad name" is not valid: use 1 to 63 letters, digits, '
        "'-' or '_', starting with a letter or digit",
        'datasets.Users.schema: not a valid Avro schema: Type property "strin" not a valid Avro schema: '
        "Could not make an Avro Schema object from strin",
        'datasets.Users.schema.fields[1].type: GENDER: unsupported type "strin"; use one of float, double, int, '
        'long, string, boolean; did you mean "string"?',
        'solution.performHPO: expected a boolean (true or false), got "yes"',
        "campaign.minProvisionedTPS: must be at least 1, got 0",
        f"s3://{BUCKET}/Interactions/i.csv line 1: missing column TIMESTAMP",
    ]
    assert str(raised.value).startswith("6 problems in the parameters or data:")
    assert "- solution.performHPO: expected a boolean" in str(raised.value)


def test_build_plan_unknown_key_suggests_the_closest_member(seed_params, seed_data):
    # GIVEN a misspelt dataset member
    seed_params["datasets"]["Interactions"]["nmae"] = seed_params["datasets"]["Interactions"].pop("name")
    # WHEN validated
    problems = problems_of(seed_params, seed_data)
    # THEN the unknown key suggests "name", lists what is allowed, and the missing name is reported too
    assert problems == [
        'datasets.Interactions.nmae: unknown key; did you mean "name"? '
        "(allowed: name, tags, schema, schemaName, datasetImportJob)",
        "datasets.Interactions.name: required but missing",
    ]


def test_build_plan_misspelt_section_is_one_problem(seed_params, seed_data):
    # GIVEN "Datasets" instead of "datasets"
    seed_params["Datasets"] = seed_params.pop("datasets")
    # WHEN validated
    problems = problems_of(seed_params, seed_data)
    # THEN one problem suggests the right key; no second "missing" problem, no data noise
    assert problems == [f'Datasets: unknown key; did you mean "datasets"? (allowed: {TOP_LEVEL_KEYS})']


def test_build_plan_invalid_json_reports_line_and_column(seed_data):
    # GIVEN a body with a missing comma on line 3
    body = b'{\n  "datasetGroup": {"name": "g"}\n  "datasets": {}\n}'
    # WHEN validated
    problems = problems_of(body, seed_data)
    # THEN exactly one problem names the object, line and column
    assert problems == [f"s3://{BUCKET}/{KEY} line 3 column 3: invalid JSON: Expecting ',' delimiter"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "the file is empty; expected a JSON object"),
        (b"[1, 2]", "expected a JSON object {...} at the top level, got [1, 2]"),
        (b'{"a": NaN}', "invalid JSON: NaN is not valid JSON"),
        (b'{"datasetGroup": "\xff"}', "not UTF-8 text (invalid byte at offset 18); save it as UTF-8"),
    ],
    ids=["empty", "array", "nan", "latin1"],
)
def test_build_plan_unusable_body_reports_one_problem(seed_data, body, expected):
    # GIVEN a body that is not a JSON object
    # WHEN validated
    problems = problems_of(body, seed_data)
    # THEN one problem names the object and the reason
    assert problems == [f"s3://{BUCKET}/{KEY}: {expected}"]


def test_build_plan_text_with_bom_is_accepted(seed_data):
    # GIVEN the seed example as text that still starts with a BOM (decoded by a caller without utf-8-sig)
    # WHEN validated THEN it passes
    assert plan_of("\ufeff" + SEED_README_EXAMPLE, seed_data)["datasetGroup"]["name"] == "DatasetGroup"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            SEED_README_EXAMPLE.replace('"name":"InteractionsDataset",', '"name":"A", "name":"InteractionsDataset",'),
            "datasets.Interactions.name: duplicate key; JSON keeps only the last one, remove the others",
            id="nested",
        ),
        pytest.param(
            SEED_README_EXAMPLE.replace('"name": "USER_ID",', '"name": "USER_ID", "name": "USER_ID",', 1),
            "datasets.Interactions.schema.fields[0].name: duplicate key; JSON keeps only the last one, remove the "
            "others",
            id="in-a-list",
        ),
        pytest.param(
            SEED_README_EXAMPLE.replace("{", '{"my key": 1, "my key": 2,', 1),
            '["my key"]: duplicate key; JSON keeps only the last one, remove the others',
            id="odd-top-level-key",
        ),
    ],
)
def test_build_plan_duplicate_key_anywhere_is_reported_at_its_path(seed_data, body, expected):
    # GIVEN a JSON text with a key written twice at some depth
    # WHEN validated
    problems = problems_of(body, seed_data)
    # THEN the duplicate is named by its full path (an odd top-level key is also unknown)
    assert expected in problems
    assert len(problems) == (2 if "my key" in body else 1)


def test_build_plan_utf8_bom_is_accepted(seed_data):
    # GIVEN the seed example saved by an editor that writes a BOM
    # WHEN validated THEN it passes
    assert plan_of(b"\xef\xbb\xbf" + SEED_README_EXAMPLE.encode(), seed_data)["datasetGroup"]["name"] == "DatasetGroup"


def test_build_plan_duplicate_json_key_is_reported_with_its_path(seed_data):
    # GIVEN a JSON text where the campaign name is written twice
    body = SEED_README_EXAMPLE.replace('"name": "Campaign",', '"name": "Campaign", "name": "Other",')
    # WHEN validated
    problems = problems_of(body, seed_data)
    # THEN the duplicate is named (JSON parsers silently keep the last one)
    assert problems == ["campaign.name: duplicate key; JSON keeps only the last one, remove the others"]


def test_build_plan_bad_params_never_touch_the_network(seed_params, seed_data, monkeypatch):
    # GIVEN no network at all: any socket use fails the test
    def no_network(*args, **kwargs):
        raise AssertionError("build_plan opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    seed_params["solution"]["performHPO"] = "yes"
    # WHEN bad params are validated
    # THEN the only outcome is InvalidParameters: nothing was called, so nothing was created
    with pytest.raises(InvalidParameters):
        plan_of(seed_params, seed_data)


def test_build_plan_unicode_tags_are_accepted(seed_params, seed_data):
    # GIVEN tags using letters, digits and spaces outside ASCII (the model's \p{L}\p{Z}\p{N} classes)
    seed_params["datasetGroup"]["tags"] = [{"tagKey": "équipe", "tagValue": "recommandations ½ 東京"}]
    # WHEN validated THEN they pass, as they would at the service
    assert plan_of(seed_params, seed_data)["datasetGroup"]["tags"][0]["tagKey"] == "équipe"


def test_build_plan_empty_name_is_one_problem(seed_params, seed_data):
    # GIVEN an empty dataset group name (too short and, as such, not matching the name pattern)
    seed_params["datasetGroup"]["name"] = ""
    # WHEN validated THEN one mistake gives one problem
    assert problems_of(seed_params, seed_data) == ["datasetGroup.name: must not be empty"]


def _all_paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in children:
        found.extend(_all_paths(child, (*prefix, key)))
    return found


@pytest.mark.parametrize(
    "junk",
    [None, 0, 1.5, True, "", "x", [], {}, [None], [{}], {"fields": None}],
    ids=lambda junk: json.dumps(junk),
)
def test_build_plan_junk_anywhere_gives_problems_never_a_crash(seed_params, seed_data, junk):
    # GIVEN the seed params, with optional sections filled in, and one value replaced by junk
    seed_params["solutionVersion"] = {"trainingMode": "FULL", "tags": [{"tagKey": "a", "tagValue": "b"}]}
    seed_params["solution"]["solutionConfig"] = {
        "trainingDataConfig": {"excludedDatasetColumns": {"USERS": ["AGE"]}},
        "optimizationObjective": {"itemAttribute": "AGE"},
        "eventsConfig": {"eventParametersList": [{"eventType": "x", "weight": 0.5}]},
        "algorithmHyperParameters": {"a": "1"},
    }
    seed_params["campaign"]["campaignConfig"] = {"rankingInfluence": {"POPULARITY": 0.5}}
    seed_params["datasets"]["Users"]["datasetImportJob"] = {"importMode": "FULL"}
    for path in _all_paths(seed_params):
        params = copy.deepcopy(seed_params)
        parent = params
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = copy.deepcopy(junk)
        # WHEN validated
        # THEN the outcome is a plan or InvalidParameters, never another exception
        try:
            plan_of(params, seed_data)
        except InvalidParameters as error:
            assert error.problems, path


def test_build_plan_botocore_without_structured_errors_still_reports_them(seed_params, seed_data, monkeypatch):
    # GIVEN a botocore whose ValidationErrors lacks the private ``_errors`` list
    monkeypatch.setattr(
        "personalize_pipeline.request_shapes.getattr",
        lambda obj, name, default=None: default if name == "_errors" else getattr(obj, name, default),
        raising=False,
    )
    seed_params["campaign"]["minProvisionedTPS"] = 0
    # WHEN validated
    problems = problems_of(seed_params, seed_data)
    # THEN botocore's own wording is kept, under the section's path
    assert problems == ["campaign: Invalid value for parameter minProvisionedTPS, value: 0, valid min value: 1"]
