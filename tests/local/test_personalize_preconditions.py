"""What the service refuses because of state: preconditions, delete rules and quotas."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.personalize import Quotas
from local.personalize.testing import (
    DOMAIN_INTERACTIONS_SCHEMA,
    ITEMS_SCHEMA,
    USERS_SCHEMA,
    Sandbox,
    avro,
    client_error,
    interactions,
    sandbox,
)

ACCOUNT = "123456789012"
PREFIX = f"arn:aws:personalize:us-east-1:{ACCOUNT}"
RECIPE = "arn:aws:personalize:::recipe/"
HEADER = ("USER_ID", "ITEM_ID", "TIMESTAMP")


# --- preconditions -----------------------------------------------------------------------------------


def test_create_dataset_group_not_active_resource_in_use(box: Sandbox) -> None:
    # GIVEN a dataset group still CREATE PENDING
    group = box.personalize.create_dataset_group(name="dg")["datasetGroupArn"]
    schema = box.schema("s")

    # WHEN a dataset is created in it
    code, message = client_error(
        lambda: box.personalize.create_dataset(
            name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
        )
    )

    # THEN the group must be ACTIVE first
    assert code == "ResourceInUseException"
    assert "CREATE PENDING" in message and group in message


def test_create_dataset_unknown_schema_resource_not_found(box: Sandbox) -> None:
    # GIVEN an ACTIVE group and a schema ARN that was never created
    group = box.dataset_group("dg")
    schema = f"{PREFIX}:schema/ghost"

    # WHEN / THEN the dataset refuses it, because schemas live in the emulator's own store
    code, message = client_error(
        lambda: box.personalize.create_dataset(
            name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
        )
    )
    assert (code, message) == ("ResourceNotFoundException", f"Resource Arn {schema} does not exist.")


@pytest.mark.parametrize(
    ("dataset_type", "schema", "fragment"),
    [
        ("Interactions", USERS_SCHEMA, "required field ITEM_ID"),
        ("Users", avro("U", [{"name": "USER_ID", "type": "string"}]), "at least 1 metadata field"),
        ("Items", USERS_SCHEMA, "required field ITEM_ID"),
        (
            "Interactions",
            avro(
                "I",
                [
                    {"name": "USER_ID", "type": "string"},
                    {"name": "ITEM_ID", "type": "string"},
                    {"name": "TIMESTAMP", "type": "string"},
                ],
            ),
            "TIMESTAMP must have type long",
        ),
        (
            "Users",
            avro("U", [{"name": "USER_ID", "type": "string"}, {"name": "BIO", "type": "string", "textual": True}]),
            "textual fields",
        ),
    ],
)
def test_create_dataset_schema_not_matching_type_invalid_input(
    box: Sandbox, dataset_type: str, schema: str, fragment: str
) -> None:
    # GIVEN a schema that lacks what the dataset type requires
    group = box.dataset_group("dg")
    schema_arn = box.schema("mismatch", schema)

    # WHEN a dataset of that type uses it
    code, message = client_error(
        lambda: box.personalize.create_dataset(
            name="d", schemaArn=schema_arn, datasetGroupArn=group, datasetType=dataset_type
        )
    )

    # THEN InvalidInputException says what is wrong
    assert code == "InvalidInputException"
    assert fragment in message


def test_create_dataset_unknown_type_invalid_input(box: Sandbox) -> None:
    # GIVEN / WHEN a type matching the model's pattern but not a Personalize dataset type
    group = box.dataset_group("dg")
    schema = box.schema("s")
    code, message = client_error(
        lambda: box.personalize.create_dataset(name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Events")
    )

    # THEN refused
    assert code == "InvalidInputException"
    assert "Invalid dataset type: Events" in message


def test_create_dataset_type_any_case_reported_upper_case(box: Sandbox) -> None:
    # GIVEN / WHEN a lowercase dataset type
    group = box.dataset_group("dg")
    arn = box.personalize.create_dataset(
        name="d", schemaArn=box.schema("s", ITEMS_SCHEMA), datasetGroupArn=group, datasetType="items"
    )["datasetArn"]

    # THEN the ARN and describe use the upper-case type
    assert arn == f"{PREFIX}:dataset/dg/ITEMS"
    assert box.personalize.describe_dataset(datasetArn=arn)["dataset"]["datasetType"] == "ITEMS"


def test_create_dataset_domain_schema_in_custom_group_invalid_input(box: Sandbox) -> None:
    # GIVEN a Custom dataset group and an ECOMMERCE schema
    group = box.dataset_group("dg")
    schema = box.personalize.create_schema(name="ecomm", schema=DOMAIN_INTERACTIONS_SCHEMA, domain="ECOMMERCE")[
        "schemaArn"
    ]

    # WHEN / THEN they cannot be combined
    code, _ = client_error(
        lambda: box.personalize.create_dataset(
            name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
        )
    )
    assert code == "InvalidInputException"


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        ("not json", "Invalid schema"),
        (
            json.dumps(
                {"type": "record", "name": "x", "fields": [{"name": "A", "type": {"type": "array", "items": "string"}}]}
            ),
            "has type array",
        ),
        (avro("x", [{"name": "PRICE", "type": "float", "categorical": True}]), "only string fields can be categorical"),
        (avro("x", [{"name": "A", "type": ["int", "string"]}]), "union"),
        (
            avro("x", [{"name": "GENRES_FIELD_1", "type": "string"}, {"name": "GENRESFIELD1", "type": "string"}]),
            "conflict",
        ),
    ],
)
def test_create_schema_breaking_personalize_rules_invalid_input(box: Sandbox, schema: str, fragment: str) -> None:
    # GIVEN / WHEN a schema Personalize does not accept
    code, message = client_error(lambda: box.personalize.create_schema(name="s", schema=schema))

    # THEN InvalidInputException explains why
    assert code == "InvalidInputException"
    assert fragment in message


def test_create_solution_dataset_group_not_active_resource_in_use(box: Sandbox) -> None:
    # GIVEN a pending dataset group
    group = box.personalize.create_dataset_group(name="dg")["datasetGroupArn"]

    # WHEN / THEN a solution cannot be created yet
    code, _ = client_error(
        lambda: box.personalize.create_solution(name="s", datasetGroupArn=group, recipeArn=RECIPE + "aws-sims")
    )
    assert code == "ResourceInUseException"


@pytest.mark.parametrize(
    ("arguments", "code", "fragment"),
    [
        ({}, "InvalidInputException", "recipeArn is required unless performAutoML"),
        ({"performAutoML": True, "recipeArn": RECIPE + "aws-sims"}, "InvalidInputException", "must not be specified"),
        ({"recipeArn": RECIPE + "aws-hrnn"}, "InvalidInputException", "no longer available"),
        ({"recipeArn": RECIPE + "aws-vod-top-picks"}, "InvalidInputException", "CreateRecommender"),
        ({"recipeArn": RECIPE + "aws-made-up"}, "ResourceNotFoundException", "does not exist"),
        (
            {"recipeArn": RECIPE + "aws-sims", "performIncrementalUpdate": True},
            "InvalidInputException",
            "aws-semantic-similarity",
        ),
        (
            {
                "recipeArn": RECIPE + "aws-sims",
                "solutionConfig": {"autoTrainingConfig": {"schedulingExpression": "rate(31 days)"}},
            },
            "InvalidInputException",
            "1 to 30",
        ),
        (
            {"recipeArn": RECIPE + "aws-sims", "solutionConfig": {"eventValueThreshold": "high"}},
            "InvalidInputException",
            "must be a number",
        ),
    ],
)
def test_create_solution_invalid_recipe_choice_refused(
    box: Sandbox, arguments: dict[str, Any], code: str, fragment: str
) -> None:
    # GIVEN an ACTIVE dataset group
    group = box.dataset_group("dg")

    # WHEN a solution is created with a bad recipe setting
    got_code, message = client_error(
        lambda: box.personalize.create_solution(name="s", datasetGroupArn=group, **arguments)
    )

    # THEN it is refused with the right code
    assert got_code == code
    assert fragment in message


def test_create_solution_perform_automl_chooses_user_personalization(box: Sandbox) -> None:
    # GIVEN / WHEN an AutoML solution
    group = box.dataset_group("dg")
    arn = box.personalize.create_solution(name="s", datasetGroupArn=group, performAutoML=True)["solutionArn"]
    solution = box.personalize.describe_solution(solutionArn=arn)["solution"]

    # THEN the recipe is aws-user-personalization, reported as the AutoML result
    assert solution["recipeArn"] == RECIPE + "aws-user-personalization"
    assert solution["autoMLResult"] == {"bestRecipeArn": RECIPE + "aws-user-personalization"}
    assert solution["performAutoML"] is True
    assert solution["performAutoTraining"] is True  # the API default
    assert "failureReason" not in solution


def test_create_dataset_group_role_without_kms_key_invalid_input(box: Sandbox) -> None:
    # GIVEN / WHEN a role but no KMS key
    code, message = client_error(
        lambda: box.personalize.create_dataset_group(name="dg", roleArn=f"arn:aws:iam::{ACCOUNT}:role/r")
    )

    # THEN refused: the role is only for the key
    assert code == "InvalidInputException"
    assert "kmsKeyArn" in message


def test_create_dataset_group_role_with_kms_key_described(box: Sandbox) -> None:
    # GIVEN / WHEN both a role and a key
    role, key = f"arn:aws:iam::{ACCOUNT}:role/r", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/abc"
    arn = box.personalize.create_dataset_group(name="dg", roleArn=role, kmsKeyArn=key)["datasetGroupArn"]

    # THEN both are described
    group = box.personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]
    assert (group["roleArn"], group["kmsKeyArn"]) == (role, key)


def test_create_solution_version_solution_not_active_resource_in_use(box: Sandbox) -> None:
    # GIVEN imported data and a solution still pending
    group, _ = box.with_data()
    solution = box.personalize.create_solution(name="s", datasetGroupArn=group, recipeArn=RECIPE + "aws-sims")

    # WHEN / THEN training must wait for the solution
    code, _ = client_error(lambda: box.personalize.create_solution_version(solutionArn=solution["solutionArn"]))
    assert code == "ResourceInUseException"


def test_create_solution_version_import_not_active_invalid_input(box: Sandbox) -> None:
    # GIVEN an Interactions dataset whose only import is still running
    group = box.dataset_group("dg")
    dataset = box.dataset(group)
    location = box.put_csv("i.csv", HEADER, interactions())
    box.personalize.create_dataset_import_job(jobName="j", datasetArn=dataset, dataSource={"dataLocation": location})
    solution = box.solution(group, "s")

    # WHEN training is requested
    code, message = client_error(lambda: box.personalize.create_solution_version(solutionArn=solution))

    # THEN it is refused until an import is ACTIVE
    assert code == "InvalidInputException"
    assert "no imported INTERACTIONS data" in message


def test_create_solution_version_semantic_similarity_without_items_invalid_input(box: Sandbox) -> None:
    # GIVEN interactions only, and a recipe that needs an Items dataset
    group, _ = box.with_data()
    solution = box.solution(group, "s", recipeArn=RECIPE + "aws-semantic-similarity")

    # WHEN / THEN training is refused
    code, message = client_error(lambda: box.personalize.create_solution_version(solutionArn=solution))
    assert code == "InvalidInputException"
    assert "ITEMS" in message


@pytest.mark.parametrize(
    ("recipe", "fragment"),
    [
        ("aws-sims", "only supported by User-Personalization"),
        ("aws-user-personalization", "needs an ACTIVE solution version"),
    ],
)
def test_create_solution_version_training_mode_update_rules_invalid_input(
    box: Sandbox, recipe: str, fragment: str
) -> None:
    # GIVEN imported data and a solution without an ACTIVE FULL version
    group, _ = box.with_data()
    solution = box.solution(group, "s", recipeArn=RECIPE + recipe)

    # WHEN an UPDATE training is requested
    code, message = client_error(
        lambda: box.personalize.create_solution_version(solutionArn=solution, trainingMode="UPDATE")
    )

    # THEN refused
    assert code == "InvalidInputException"
    assert fragment in message


def test_create_solution_version_training_mode_update_after_full_accepted(box: Sandbox) -> None:
    # GIVEN an ACTIVE FULL version of a User-Personalization solution
    arns = box.trained()

    # WHEN an UPDATE training is requested
    version = box.version(arns["solutionArn"], trainingMode="UPDATE")

    # THEN it trains
    assert (version["trainingMode"], version["status"]) == ("UPDATE", "ACTIVE")


def test_create_campaign_version_not_active_resource_in_use(box: Sandbox) -> None:
    # GIVEN a version still training
    arns = box.trained()
    version = box.personalize.create_solution_version(solutionArn=arns["solutionArn"])["solutionVersionArn"]

    # WHEN / THEN it cannot be deployed yet
    code, _ = client_error(lambda: box.personalize.create_campaign(name="c", solutionVersionArn=version))
    assert code == "ResourceInUseException"


def test_create_campaign_latest_form_resolves_to_newest_active_version(box: Sandbox) -> None:
    # GIVEN a trained solution
    arns = box.trained()

    # WHEN a syncing campaign names <solutionArn>/$LATEST
    campaign = box.personalize.create_campaign(
        name="c",
        solutionVersionArn=arns["solutionArn"] + "/$LATEST",
        campaignConfig={"syncWithLatestSolutionVersion": True},
    )["campaignArn"]

    # THEN it serves the newest ACTIVE version
    described = box.personalize.describe_campaign(campaignArn=campaign)["campaign"]
    assert described["solutionVersionArn"] == arns["solutionVersionArn"]


def test_create_campaign_sync_without_latest_form_invalid_input(box: Sandbox) -> None:
    # GIVEN / WHEN syncWithLatestSolutionVersion with a plain version ARN
    arns = box.trained()
    code, message = client_error(
        lambda: box.personalize.create_campaign(
            name="c",
            solutionVersionArn=arns["solutionVersionArn"],
            campaignConfig={"syncWithLatestSolutionVersion": True},
        )
    )

    # THEN refused
    assert code == "InvalidInputException"
    assert "$LATEST" in message


def test_update_campaign_while_creating_resource_in_use(box: Sandbox) -> None:
    # GIVEN a campaign still being created
    arns = box.trained()
    campaign = box.personalize.create_campaign(name="c", solutionVersionArn=arns["solutionVersionArn"])["campaignArn"]

    # WHEN / THEN it cannot be updated (needs ACTIVE or CREATE FAILED)
    code, message = client_error(lambda: box.personalize.update_campaign(campaignArn=campaign, minProvisionedTPS=3))
    assert code == "ResourceInUseException"
    assert "ACTIVE or CREATE FAILED" in message


def test_update_campaign_failed_campaign_is_redeployed(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a campaign whose creation failed
    with sandbox(monkeypatch, fail_steps={"campaign"}) as box:
        arns = box.trained()
        campaign = box.personalize.create_campaign(name="c", solutionVersionArn=arns["solutionVersionArn"])
        assert box.settle("campaign", campaign["campaignArn"])["status"] == "CREATE FAILED"

        # WHEN it is updated
        box.personalize.update_campaign(campaignArn=campaign["campaignArn"], minProvisionedTPS=2)
        settled = box.settle("campaign", campaign["campaignArn"])

    # THEN the update redeploys it
    assert settled["status"] == "ACTIVE"
    assert settled["latestCampaignUpdate"]["status"] == "ACTIVE"


def test_get_solution_metrics_version_not_active_resource_in_use(box: Sandbox) -> None:
    # GIVEN a version still training
    arns = box.trained()
    version = box.personalize.create_solution_version(solutionArn=arns["solutionArn"])["solutionVersionArn"]

    # WHEN / THEN no metrics yet
    code, _ = client_error(lambda: box.personalize.get_solution_metrics(solutionVersionArn=version))
    assert code == "ResourceInUseException"


def test_stop_solution_version_already_active_resource_in_use(box: Sandbox) -> None:
    # GIVEN / WHEN stopping a finished version
    arns = box.trained()
    code, _ = client_error(
        lambda: box.personalize.stop_solution_version_creation(solutionVersionArn=arns["solutionVersionArn"])
    )

    # THEN refused
    assert code == "ResourceInUseException"


# --- delete rules ------------------------------------------------------------------------------------


def test_delete_dataset_group_with_datasets_resource_in_use(box: Sandbox) -> None:
    # GIVEN a group holding a dataset
    group = box.dataset_group("dg")
    dataset = box.dataset(group)

    # WHEN / THEN the group cannot be deleted before its dataset
    code, message = client_error(lambda: box.personalize.delete_dataset_group(datasetGroupArn=group))
    assert code == "ResourceInUseException"
    assert dataset in message


def test_delete_dataset_group_after_children_deleted_succeeds(box: Sandbox) -> None:
    # GIVEN a group whose dataset has been deleted completely
    group = box.dataset_group("dg")
    dataset = box.dataset(group)
    box.personalize.delete_dataset(datasetArn=dataset)
    code, _ = client_error(lambda: box.personalize.delete_dataset_group(datasetGroupArn=group))
    assert code == "ResourceInUseException"  # the dataset still exists while DELETE PENDING
    box.clock.advance(10)

    # WHEN the group is deleted
    box.personalize.delete_dataset_group(datasetGroupArn=group)

    # THEN it is deleting
    assert box.personalize.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] == "DELETE PENDING"


def test_delete_dataset_group_while_creating_resource_in_use(box: Sandbox) -> None:
    # GIVEN / WHEN deleting a group in CREATE PENDING
    group = box.personalize.create_dataset_group(name="dg")["datasetGroupArn"]
    code, message = client_error(lambda: box.personalize.delete_dataset_group(datasetGroupArn=group))

    # THEN refused: "The resource status must be ACTIVE or CREATE FAILED"
    assert code == "ResourceInUseException"
    assert "ACTIVE or CREATE FAILED" in message


def test_delete_schema_used_by_dataset_resource_in_use(box: Sandbox) -> None:
    # GIVEN a schema used by a dataset
    group = box.dataset_group("dg")
    dataset = box.dataset(group)
    schema = box.personalize.describe_dataset(datasetArn=dataset)["dataset"]["schemaArn"]

    # WHEN / THEN it cannot be deleted
    code, message = client_error(lambda: box.personalize.delete_schema(schemaArn=schema))
    assert (code, message) == ("ResourceInUseException", f"Schema {schema} is still in-use by another dataset.")


def test_delete_schema_unused_is_gone_at_once(box: Sandbox) -> None:
    # GIVEN an unused schema
    schema = box.schema("s")

    # WHEN it is deleted
    box.personalize.delete_schema(schemaArn=schema)

    # THEN schemas are synchronous: it is gone at once
    assert box.personalize.list_schemas()["schemas"] == []


def test_delete_dataset_while_import_running_resource_in_use(box: Sandbox) -> None:
    # GIVEN an import in progress
    group = box.dataset_group("dg")
    dataset = box.dataset(group)
    location = box.put_csv("i.csv", HEADER, interactions())
    box.personalize.create_dataset_import_job(jobName="j", datasetArn=dataset, dataSource={"dataLocation": location})

    # WHEN / THEN the dataset cannot be deleted
    code, message = client_error(lambda: box.personalize.delete_dataset(datasetArn=dataset))
    assert code == "ResourceInUseException"
    assert "dataset-import-job/j" in message


def test_delete_solution_with_campaign_resource_in_use(box: Sandbox) -> None:
    # GIVEN a solution deployed in a campaign
    arns = box.trained()
    campaign = box.personalize.create_campaign(name="c", solutionVersionArn=arns["solutionVersionArn"])["campaignArn"]

    # WHEN / THEN the solution cannot be deleted first
    code, message = client_error(lambda: box.personalize.delete_solution(solutionArn=arns["solutionArn"]))
    assert code == "ResourceInUseException"
    assert campaign in message


def test_delete_campaign_while_creating_resource_in_use(box: Sandbox) -> None:
    # GIVEN / WHEN deleting a campaign being created
    arns = box.trained()
    campaign = box.personalize.create_campaign(name="c", solutionVersionArn=arns["solutionVersionArn"])["campaignArn"]
    code, _ = client_error(lambda: box.personalize.delete_campaign(campaignArn=campaign))

    # THEN refused
    assert code == "ResourceInUseException"


@pytest.mark.parametrize("stop", [False, True], ids=["training", "stopping"])
def test_delete_solution_while_a_version_trains_or_stops_resource_in_use(box: Sandbox, stop: bool) -> None:
    # GIVEN a solution whose version is training (or winding its stopped training down: CREATE STOPPING)
    arns = box.trained()
    version = box.personalize.create_solution_version(solutionArn=arns["solutionArn"])["solutionVersionArn"]
    box.clock.advance(60)  # CREATE IN_PROGRESS: a stop goes through CREATE STOPPING
    if stop:
        box.personalize.stop_solution_version_creation(solutionVersionArn=version)
        status = box.personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["status"]
        assert status == "CREATE STOPPING"

    # WHEN / THEN neither the solution nor the dataset the version trains on can be deleted
    code, message = client_error(lambda: box.personalize.delete_solution(solutionArn=arns["solutionArn"]))
    assert (code, version in message) == ("ResourceInUseException", True)
    code, message = client_error(lambda: box.personalize.delete_dataset(datasetArn=arns["datasetArn"]))
    assert (code, version in message) == ("ResourceInUseException", True)


def test_delete_solution_after_its_training_stopped_succeeds(box: Sandbox) -> None:
    # GIVEN a solution whose training was stopped and is now CREATE STOPPED
    arns = box.trained()
    version = box.personalize.create_solution_version(solutionArn=arns["solutionArn"])["solutionVersionArn"]
    box.clock.advance(60)
    box.personalize.stop_solution_version_creation(solutionVersionArn=version)
    box.clock.advance(box.emulator.timeline.stop_seconds)
    status = box.personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["status"]
    assert status == "CREATE STOPPED"

    # WHEN it is deleted, THEN it is deleting
    box.personalize.delete_solution(solutionArn=arns["solutionArn"])
    assert box.personalize.describe_solution(solutionArn=arns["solutionArn"])["solution"]["status"] == "DELETE PENDING"


def test_delete_campaign_while_its_update_runs_resource_in_use(box: Sandbox) -> None:
    # GIVEN an ACTIVE campaign being updated to a new minProvisionedTPS
    arns = box.trained()
    campaign = box.personalize.create_campaign(name="c", solutionVersionArn=arns["solutionVersionArn"])["campaignArn"]
    box.settle("campaign", campaign)
    box.personalize.update_campaign(campaignArn=campaign, minProvisionedTPS=2)

    # WHEN / THEN it cannot be deleted until the update settles
    code, message = client_error(lambda: box.personalize.delete_campaign(campaignArn=campaign))
    assert (code, "an update is in progress" in message) == ("ResourceInUseException", True)


@pytest.mark.parametrize("kind", ["eventTracker", "filter", "recommender"])
def test_delete_while_creating_resource_in_use_and_blocks_the_dataset_group(box: Sandbox, kind: str) -> None:
    # GIVEN a Domain group whose only children are its dataset and one tracker, filter or recommender, just created
    group = box.with_domain_data()
    if kind == "eventTracker":
        arn = box.personalize.create_event_tracker(name="t", datasetGroupArn=group)["eventTrackerArn"]
    elif kind == "filter":
        expression = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("View")'
        arn = box.personalize.create_filter(name="f", datasetGroupArn=group, filterExpression=expression)["filterArn"]
    else:
        recipe = "arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-views"
        arn = box.personalize.create_recommender(name="r", datasetGroupArn=group, recipeArn=recipe)["recommenderArn"]
    delete = getattr(
        box.personalize,
        {"eventTracker": "delete_event_tracker", "filter": "delete_filter"}.get(kind, "delete_recommender"),
    )

    # WHEN / THEN it cannot be deleted while CREATE PENDING ("must be ACTIVE or CREATE FAILED")
    code, message = client_error(lambda: delete(**{f"{kind}Arn": arn}))
    assert (code, "CREATE PENDING" in message) == ("ResourceInUseException", True)
    # AND once its dataset is gone, it alone still keeps the dataset group from being deleted
    (dataset,) = [d["datasetArn"] for d in box.personalize.list_datasets(datasetGroupArn=group)["datasets"]]
    box.personalize.delete_dataset(datasetArn=dataset)
    box.clock.advance(3600)
    box.personalize.list_datasets(datasetGroupArn=group)  # the emulator drops completed deletes when it looks
    code, message = client_error(lambda: box.personalize.delete_dataset_group(datasetGroupArn=group))
    assert (code, message.endswith(f"({arn}).")) == ("ResourceInUseException", True)
    # AND once it is deleted, the group can be
    delete(**{f"{kind}Arn": arn})
    box.clock.advance(3600)
    box.personalize.delete_dataset_group(datasetGroupArn=group)


def test_delete_of_a_resource_already_deleting_resource_in_use(box: Sandbox) -> None:
    # GIVEN a dataset whose delete has started
    group = box.dataset_group("dg")
    dataset = box.dataset(group)
    box.personalize.delete_dataset(datasetArn=dataset)

    # WHEN / THEN a second delete is refused, naming its status
    code, message = client_error(lambda: box.personalize.delete_dataset(datasetArn=dataset))
    assert (code, "DELETE PENDING" in message) == ("ResourceInUseException", True)


# --- quotas ------------------------------------------------------------------------------------------


def test_create_dataset_group_sixth_limit_exceeded(box: Sandbox) -> None:
    # GIVEN five dataset groups
    for n in range(5):
        box.personalize.create_dataset_group(name=f"dg{n}")

    # WHEN a sixth is created
    code, message = client_error(lambda: box.personalize.create_dataset_group(name="dg5"))

    # THEN the adjustable quota of 5 applies
    assert code == "LimitExceededException"
    assert (
        message
        == "Cannot create a dataset group. More than 5 resources in ACTIVE state. Please delete some and try again."
    )


def test_create_dataset_group_quota_raised_allows_more(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an emulator with the quota raised to 6
    with sandbox(monkeypatch, quotas=Quotas(active_dataset_groups=6)) as box:
        # WHEN six groups are created
        arns = [box.personalize.create_dataset_group(name=f"dg{n}")["datasetGroupArn"] for n in range(6)]

    # THEN all succeed
    assert len(arns) == 6


def test_create_dataset_import_job_sixth_concurrent_limit_exceeded(box: Sandbox) -> None:
    # GIVEN five imports running on five datasets
    location = box.put_csv("i.csv", HEADER, interactions())
    datasets = []
    for n in range(5):
        group = box.dataset_group(f"dg{n}")
        datasets.append(box.dataset(group))
    box.personalize.create_dataset_import_job  # noqa: B018 - make the intent obvious below
    groups_extra = box.personalize.create_dataset_group  # quota of groups is 5: reuse group 0 for a 6th dataset
    del groups_extra
    items = box.personalize.create_dataset(
        name="items",
        schemaArn=box.schema("items", ITEMS_SCHEMA),
        datasetGroupArn=datasets[0].replace(":dataset/", ":dataset-group/").rsplit("/", 1)[0],
        datasetType="Items",
    )["datasetArn"]
    box.settle("dataset", items)
    for n, dataset in enumerate(datasets):
        box.personalize.create_dataset_import_job(
            jobName=f"j{n}", datasetArn=dataset, dataSource={"dataLocation": location}
        )

    # WHEN a sixth import starts on another dataset
    code, message = client_error(
        lambda: box.personalize.create_dataset_import_job(
            jobName="j5", datasetArn=items, dataSource={"dataLocation": location}
        )
    )

    # THEN the account-wide limit of 5 pending/in-progress imports applies, with the service's text
    assert (code, message) == ("LimitExceededException", "More than 5 resources with PENDING or IN_PROGRESS status.")


def test_create_dataset_import_job_while_one_runs_on_dataset_resource_in_use(box: Sandbox) -> None:
    # GIVEN an import running on a dataset
    group = box.dataset_group("dg")
    dataset = box.dataset(group)
    location = box.put_csv("i.csv", HEADER, interactions())
    first = box.personalize.create_dataset_import_job(
        jobName="j1", datasetArn=dataset, dataSource={"dataLocation": location}
    )

    # WHEN a second import starts on the same dataset
    code, message = client_error(
        lambda: box.personalize.create_dataset_import_job(
            jobName="j2", datasetArn=dataset, dataSource={"dataLocation": location}
        )
    )

    # THEN refused while the first runs
    assert code == "ResourceInUseException"
    assert first["datasetImportJobArn"] in message


def test_create_solution_version_twenty_first_in_flight_limit_exceeded(box: Sandbox) -> None:
    # GIVEN 20 versions training at once
    group, _ = box.with_data()
    solution = box.solution(group, "s")
    for _ in range(20):
        box.personalize.create_solution_version(solutionArn=solution)

    # WHEN a 21st is requested
    code, message = client_error(lambda: box.personalize.create_solution_version(solutionArn=solution))

    # THEN the quota of 20 applies
    assert (code, message) == ("LimitExceededException", "More than 20 resources with PENDING or IN_PROGRESS status.")


def test_create_solution_eleventh_in_group_limit_exceeded(box: Sandbox) -> None:
    # GIVEN ten solutions in one group
    group = box.dataset_group("dg")
    for n in range(10):
        box.personalize.create_solution(name=f"s{n}", datasetGroupArn=group, recipeArn=RECIPE + "aws-sims")

    # WHEN / THEN an eleventh exceeds the per-group quota
    code, message = client_error(
        lambda: box.personalize.create_solution(name="s10", datasetGroupArn=group, recipeArn=RECIPE + "aws-sims")
    )
    assert code == "LimitExceededException"
    assert "More than 10 resources" in message


def test_create_campaign_sixth_in_group_limit_exceeded(box: Sandbox) -> None:
    # GIVEN five campaigns on one dataset group
    arns = box.trained()
    for n in range(5):
        box.personalize.create_campaign(name=f"c{n}", solutionVersionArn=arns["solutionVersionArn"])

    # WHEN / THEN a sixth exceeds the quota, with the documented text
    code, message = client_error(
        lambda: box.personalize.create_campaign(name="c5", solutionVersionArn=arns["solutionVersionArn"])
    )
    assert (code, message) == (
        "LimitExceededException",
        "Cannot create a campaign. More than 5 resources in ACTIVE state. Please delete some and try again.",
    )
