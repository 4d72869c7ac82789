"""Emulator: the recipe catalogue (ListRecipes, DescribeRecipe) and the service rules Load Parameters mirrors
(issue 7 item 2): repeated tag keys, aws: tag values, 32-bit integers, HPO bounds, non-numeric thresholds."""

from __future__ import annotations

import pytest

from local.personalize.testing import Sandbox, client_error

RECIPE = "arn:aws:personalize:::recipe/"


def test_list_recipes_pages_through_every_usable_recipe_and_use_case(box: Sandbox) -> None:
    # GIVEN / WHEN the catalogue is read two at a time
    names: list[str] = []
    pages = 0
    for page in box.personalize.get_paginator("list_recipes").paginate(PaginationConfig={"PageSize": 2}):
        names += [r["name"] for r in page["recipes"]]
        pages += 1
    # THEN every recipe CreateSolution accepts and every domain use case is listed once; retired HRNN is not
    assert pages == 11
    assert len(names) == len(set(names)) == 22
    assert {"aws-user-personalization-v2", "aws-sims", "aws-ecomm-recommended-for-you"} <= set(names)
    assert not {"aws-hrnn", "aws-hrnn-metadata", "aws-hrnn-coldstart"} & set(names)


def test_list_recipes_domain_filter_lists_its_use_cases_only(box: Sandbox) -> None:
    recipes = box.personalize.list_recipes(domain="VIDEO_ON_DEMAND")["recipes"]
    assert [r["name"] for r in recipes] == [
        "aws-vod-because-you-watched-x",
        "aws-vod-more-like-x",
        "aws-vod-most-popular",
        "aws-vod-top-picks",
        "aws-vod-trending-now",
    ]
    assert {r["domain"] for r in recipes} == {"VIDEO_ON_DEMAND"}


def test_describe_recipe_known_and_misspelt(box: Sandbox) -> None:
    recipe = box.personalize.describe_recipe(recipeArn=f"{RECIPE}aws-sims")["recipe"]
    assert (recipe["name"], recipe["recipeType"], recipe["status"]) == ("aws-sims", "RELATED_ITEMS", "ACTIVE")
    assert client_error(lambda: box.personalize.describe_recipe(recipeArn=f"{RECIPE}aws-simz")) == (
        "ResourceNotFoundException",
        f"Resource Arn {RECIPE}aws-simz does not exist.",
    )


def test_create_dataset_group_repeated_tag_key_invalid_input(box: Sandbox) -> None:
    tags = [{"tagKey": "team", "tagValue": "a"}, {"tagKey": "team", "tagValue": "b"}]
    assert client_error(lambda: box.personalize.create_dataset_group(name="g", tags=tags)) == (
        "InvalidInputException",
        "Tag keys must be unique in a request: team.",
    )


def test_create_dataset_group_aws_prefixed_tag_value_invalid_input(box: Sandbox) -> None:
    tags = [{"tagKey": "team", "tagValue": "AWS:x"}]
    assert client_error(lambda: box.personalize.create_dataset_group(name="g", tags=tags)) == (
        "InvalidInputException",
        "Tag values cannot start with 'aws:': AWS:x.",
    )


def test_create_campaign_tps_beyond_32_bits_invalid_input(box: Sandbox) -> None:
    # GIVEN a trained version; WHEN a campaign asks for 2^31 TPS; THEN the service cannot read it as an int
    trained = box.trained()
    code, message = client_error(
        lambda: box.personalize.create_campaign(
            name="c", solutionVersionArn=trained["solutionVersionArn"], minProvisionedTPS=2**31
        )
    )
    assert code == "InvalidInputException"
    assert "Value '2147483648' at 'minProvisionedTPS' failed to satisfy constraint" in message
    assert message.endswith("Member must have value less than or equal to 2147483647")


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        ({"maxNumberOfTrainingJobs": "41"}, "maxNumberOfTrainingJobs must be a whole number from 1 to 40, not '41'."),
        ({"maxParallelTrainingJobs": "11"}, "maxParallelTrainingJobs must be a whole number from 1 to 10, not '11'."),
        ({"maxParallelTrainingJobs": "two"}, "maxParallelTrainingJobs must be a whole number from 1 to 10, not 'two'."),
    ],
)
def test_create_solution_hpo_resources_beyond_the_service_maxima_invalid_input(
    box: Sandbox, resources: dict[str, str], message: str
) -> None:
    group_arn = box.dataset_group("g")
    config = {"hpoConfig": {"hpoResourceConfig": resources}}
    assert client_error(
        lambda: box.personalize.create_solution(
            name="s", datasetGroupArn=group_arn, recipeArn=f"{RECIPE}aws-sims", performHPO=True, solutionConfig=config
        )
    ) == ("InvalidInputException", message)


@pytest.mark.parametrize("threshold", ["high", "nan", "Infinity"])
def test_create_solution_event_value_threshold_not_a_finite_number_invalid_input(box: Sandbox, threshold: str) -> None:
    group_arn = box.dataset_group("g")
    assert client_error(
        lambda: box.personalize.create_solution(
            name="s",
            datasetGroupArn=group_arn,
            recipeArn=f"{RECIPE}aws-sims",
            solutionConfig={"eventValueThreshold": threshold},
        )
    ) == ("InvalidInputException", f"eventValueThreshold must be a number, not {threshold!r}.")
