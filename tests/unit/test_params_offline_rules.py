"""Rules knowable from params.json, the stack and the recipe list, checked before anything is created (issue 7 item 2),
and the stack's cost caps and identity tag (item 4).

Each test asserts the whole problem list (or the whole tag list), so a rule removed or reworded fails.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from personalize_pipeline.data_files import CsvObject, DataListing
from personalize_pipeline.errors import InvalidParameters
from personalize_pipeline.offline_rules import STACK_TAG, CostCaps, StackContext, first_import_problems
from personalize_pipeline.params import build_plan

SEED = json.loads((Path(__file__).resolve().parents[2] / "example" / "seed-params.json").read_text())
RECIPES = (
    "arn:aws:personalize:::recipe/aws-user-personalization-v2",
    "arn:aws:personalize:::recipe/aws-user-personalization",
    "arn:aws:personalize:::recipe/aws-similar-items",
    "arn:aws:personalize:::recipe/aws-sims",
)
STACK = StackContext(name="my-stack", partition="aws", caps=CostCaps(), recipes=RECIPES)
OWN_TAG = {"tagKey": STACK_TAG, "tagValue": "my-stack"}
SIZE_TAG = {"tagKey": "personalize-pipeline:bytes", "tagValue": "100"}


def listing(params: dict[str, Any]) -> DataListing:
    """One CSV per declared dataset, its header the schema's fields."""
    data = DataListing()
    for folder, section in params["datasets"].items():
        header = ",".join(field["name"] for field in section["schema"]["fields"])
        data.folders[folder] = [CsvObject(f"{folder}/{folder.lower()}.csv", '"e1"', 100, header)]
    return data


def plan_of(params: dict[str, Any], stack: StackContext | None = STACK) -> dict[str, Any]:
    return build_plan(params, bucket="b", key="params.json", version_id=None, data=listing(params), stack=stack)


def problems_of(params: dict[str, Any], stack: StackContext | None = STACK) -> list[str]:
    with pytest.raises(InvalidParameters) as raised:
        plan_of(params, stack)
    return raised.value.problems


def with_event_values(params: dict[str, Any], threshold: str) -> None:
    params["datasets"]["Interactions"]["schema"]["fields"].append({"name": "EVENT_VALUE", "type": "float"})
    params["solution"]["solutionConfig"] = {"eventValueThreshold": threshold}


@pytest.fixture
def params() -> dict[str, Any]:
    document = copy.deepcopy(SEED)
    del document["solution"]["performAutoML"]
    document["solution"]["recipeArn"] = "arn:aws:personalize:::recipe/aws-user-personalization-v2"
    return document


def tags(count: int, prefix: str = "team") -> list[dict[str, str]]:
    return [{"tagKey": f"{prefix}{i}", "tagValue": "x"} for i in range(count)]


# --- tags ---------------------------------------------------------------------------------------------


def test_build_plan_tag_rules_every_section_reported_at_once(params: dict[str, Any]) -> None:
    # GIVEN reserved prefixes (any case), a duplicate key, a bad character and an over-long key in several sections
    params["datasetGroup"]["tags"] = [{"tagKey": "AWS:cost", "tagValue": "a"}, {"tagKey": "team", "tagValue": "aws:x"}]
    params["datasets"]["Users"]["tags"] = [{"tagKey": "team", "tagValue": "a"}, {"tagKey": "team", "tagValue": "b"}]
    params["datasets"]["Interactions"]["datasetImportJob"] = {"tags": [{"tagKey": "k#1", "tagValue": "v"}]}
    params["solution"]["tags"] = [{"tagKey": "personalize-pipeline:stack", "tagValue": "other"}]
    params["campaign"]["tags"] = [{"tagKey": "k" * 129, "tagValue": "v"}]
    # WHEN / THEN every problem is named at its path, in one report (shape checks first; no values shown: tags are
    # sensitive in the service model)
    assert problems_of(params) == [
        "datasets.Interactions.datasetImportJob.tags[0].tagKey: (value hidden: sensitive) is not valid: tags may "
        "hold letters, digits, spaces and _ . : / = + - @ only",
        "campaign.tags[0].tagKey: is 129 characters long; the maximum is 128",
        "datasetGroup.tags[0].tagKey: starts with aws:, which AWS reserves for its own tags",
        "datasetGroup.tags[1].tagValue: starts with aws:, which AWS reserves for its own tags",
        "datasets.Users.tags[1].tagKey: same key as datasets.Users.tags[0]; keys must be unique",
        "solution.tags[0].tagKey: starts with personalize-pipeline:, which the pipeline reserves for its own tags "
        "(the stack that owns the resource)",
    ]


def test_build_plan_more_tags_than_a_resource_holds_counts_the_pipeline_tags(params: dict[str, Any]) -> None:
    # GIVEN 50 tags on the dataset group (the pipeline adds its stack tag) and 49 on an import job (stack + size)
    params["datasetGroup"]["tags"] = tags(50)
    params["datasets"]["Interactions"]["datasetImportJob"] = {"tags": tags(49)}
    params["campaign"]["tags"] = tags(49)
    # WHEN / THEN both are refused with the room left; 49 on the campaign fit
    assert problems_of(params) == [
        "datasetGroup.tags: 50 tags; a resource holds at most 50 and the pipeline adds 1 of its own, so at most 49 "
        "here",
        "datasets.Interactions.datasetImportJob.tags: 49 tags; a resource holds at most 50 and the pipeline adds 2 of "
        "its own, so at most 48 here",
    ]


def test_build_plan_stack_tag_added_to_every_resource_it_creates(params: dict[str, Any]) -> None:
    # GIVEN user tags on the campaign only
    params["campaign"]["tags"] = [{"tagKey": "team", "tagValue": "recs"}]
    # WHEN the plan is built for the stack
    plan = plan_of(params)
    # THEN every create request carries the stack tag (after the user's); schemas take no tags
    solution = plan["solutions"][0]
    assert plan["datasetGroup"]["tags"] == [OWN_TAG]
    assert [d["dataset"]["tags"] for d in plan["datasets"]] == [[OWN_TAG], [OWN_TAG]]
    assert [d["datasetImportJob"]["tags"] for d in plan["datasets"]] == [[OWN_TAG], [OWN_TAG]]
    assert ["tags" in d["schema"] for d in plan["datasets"]] == [False, False]
    assert solution["solution"]["tags"] == [OWN_TAG]
    assert solution["solutionVersion"]["tags"] == [OWN_TAG]
    assert solution["campaigns"][0]["tags"] == [{"tagKey": "team", "tagValue": "recs"}, OWN_TAG]


def test_build_plan_stack_tag_does_not_change_derived_names(params: dict[str, Any]) -> None:
    # GIVEN the same params planned with and without a stack
    # WHEN / THEN the names derived from content are the same: tagging never forces a retraining
    with_stack, without = plan_of(params), plan_of(params, stack=None)
    assert with_stack["solutions"][0]["solutionVersion"]["name"] == without["solutions"][0]["solutionVersion"]["name"]
    assert [d["datasetImportJob"]["jobName"] for d in with_stack["datasets"]] == [
        d["datasetImportJob"]["jobName"] for d in without["datasets"]
    ]


# --- recipes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recipe", "expected"),
    [
        (
            "arn:aws:personalize:::recipe/aws-user-personalisation",
            "solution.recipeArn: recipe aws-user-personalisation is not in Personalize's recipe list (ListRecipes); "
            'did you mean "arn:aws:personalize:::recipe/aws-user-personalization"?',
        ),
        (
            "arn:aws:personalize:::recipe/aws-brand-new",
            "solution.recipeArn: recipe aws-brand-new is not in Personalize's recipe list (ListRecipes)",
        ),
        (
            "arn:aws:personalize:us-east-1:123456789012:recipe/aws-sims",
            'solution.recipeArn: "arn:aws:personalize:us-east-1:123456789012:recipe/aws-sims" is not a recipe ARN of '
            "this stack's partition; recipe ARNs have no region or account: use "
            '"arn:aws:personalize:::recipe/aws-sims"',
        ),
        (
            "arn:aws-cn:personalize:::recipe/aws-sims",
            'solution.recipeArn: "arn:aws-cn:personalize:::recipe/aws-sims" is not a recipe ARN of this stack\'s '
            'partition; recipe ARNs have no region or account: use "arn:aws:personalize:::recipe/aws-sims"',
        ),
    ],
    ids=["misspelt", "unknown", "account-and-region", "other-partition"],
)
def test_build_plan_recipe_checked_against_the_service_list(params: dict[str, Any], recipe: str, expected: str) -> None:
    # GIVEN a recipe ARN the service would not find
    params["solution"]["recipeArn"] = recipe
    # WHEN / THEN it is refused before the solution exists
    assert problems_of(params) == [expected]


def test_build_plan_recipe_newly_listed_by_the_service_passes(params: dict[str, Any]) -> None:
    # GIVEN a recipe the pipeline has never heard of, but the service lists
    params["solution"]["recipeArn"] = "arn:aws:personalize:::recipe/aws-brand-new"
    stack = StackContext(name="my-stack", recipes=(*RECIPES, "arn:aws:personalize:::recipe/aws-brand-new"))
    # WHEN / THEN the plan is built with it
    assert plan_of(params, stack)["solutions"][0]["solution"]["recipeArn"].endswith("/aws-brand-new")


def test_build_plan_retired_recipe_reported_once(params: dict[str, Any]) -> None:
    # GIVEN a retired recipe (not listed by the service, explained by its own rule)
    params["solution"]["recipeArn"] = "arn:aws:personalize:::recipe/aws-hrnn"
    # WHEN / THEN one problem, the specific one
    assert problems_of(params) == [
        "solution.recipeArn: recipe aws-hrnn is no longer available; use aws-user-personalization-v2"
    ]


# --- solution, version, campaign ---------------------------------------------------------------------


@pytest.mark.parametrize("threshold", ["high", "nan", "1,5", "Infinity"])
def test_build_plan_event_value_threshold_not_a_number_refused(params: dict[str, Any], threshold: str) -> None:
    # GIVEN an eventValueThreshold the service cannot read as a number
    with_event_values(params, threshold)
    # WHEN / THEN refused with the way to write it
    assert problems_of(params) == [
        f'solution.solutionConfig.eventValueThreshold: "{threshold}" is not a number; write the threshold as a '
        'number in quotes, e.g. "0.5"'
    ]


@pytest.mark.parametrize("threshold", ["0.5", "3", "-1", "1e2", ".5"])
def test_build_plan_event_value_threshold_number_passes(params: dict[str, Any], threshold: str) -> None:
    with_event_values(params, threshold)
    assert plan_of(params)["solutions"][0]["solution"]["solutionConfig"] == {"eventValueThreshold": threshold}


def test_build_plan_autotrain_mode_refused(params: dict[str, Any]) -> None:
    # GIVEN a manual training asking for the mode only automatic training has
    params["solutionVersion"] = {"trainingMode": "AUTOTRAIN"}
    # WHEN / THEN refused, pointing at automatic training
    assert problems_of(params) == [
        "solutionVersion.trainingMode: AUTOTRAIN is set by Personalize for automatic trainings and cannot be "
        'requested; use FULL (the default) or UPDATE, and "performAutoTraining": true on the solution for '
        "scheduled training"
    ]


def test_build_plan_tps_beyond_32_bits_refused_once(params: dict[str, Any]) -> None:
    # GIVEN a minProvisionedTPS no Java int holds (also above the cap: one mistake, one problem)
    params["campaign"]["minProvisionedTPS"] = 2**31
    # WHEN / THEN
    assert problems_of(params) == [
        "campaign.minProvisionedTPS: 2147483648 is beyond a 32-bit integer (at most 2147483647)"
    ]


def test_build_plan_sync_with_latest_version_refused_with_reason(params: dict[str, Any]) -> None:
    # GIVEN a campaign asking to follow the latest version (which needs <solutionArn>/$LATEST)
    params["campaign"]["campaignConfig"] = {"syncWithLatestSolutionVersion": True}
    # WHEN / THEN refused, saying why the pipeline deploys exact versions
    assert problems_of(params) == [
        "campaign.campaignConfig.syncWithLatestSolutionVersion: not supported by this pipeline: it deploys the exact "
        "version it trained or reused for this data (going back to earlier data redeploys the version trained on "
        "it), while sync would serve whichever version is newest and needs <solutionArn>/$LATEST instead; remove "
        "it, or set it to false"
    ]


def test_build_plan_sync_false_passes(params: dict[str, Any]) -> None:
    params["campaign"]["campaignConfig"] = {"syncWithLatestSolutionVersion": False}
    assert plan_of(params)["solutions"][0]["campaigns"][0]["campaignConfig"] == {"syncWithLatestSolutionVersion": False}


# --- cost caps ----------------------------------------------------------------------------------------


def test_build_plan_cost_caps_refuse_what_the_stack_does_not_allow(params: dict[str, Any]) -> None:
    # GIVEN a stack that allows neither HPO nor automatic training, and at most 5 TPS
    stack = StackContext(
        name="my-stack", caps=CostCaps(max_min_provisioned_tps=5, allow_hpo=False, allow_auto_training=False)
    )
    params["solution"].update(performHPO=True, performAutoTraining=True)
    params["campaign"]["minProvisionedTPS"] = 6
    # WHEN / THEN each is refused, naming the stack parameter that allows it
    assert problems_of(params, stack) == [
        "solution.performHPO: hyperparameter optimization is turned off for this stack (stack parameter "
        "AllowHPO=false): it trains many models per version; remove performHPO or redeploy with AllowHPO=true",
        "solution.performAutoTraining: automatic training is turned off for this stack (stack parameter "
        "AllowAutoTraining=false): it trains and bills a new version on a schedule; remove it or redeploy with "
        "AllowAutoTraining=true",
        "campaign.minProvisionedTPS: 6 is above this stack's cap of 5 (stack parameter MaxMinProvisionedTPS; the "
        "campaign bills at least this many TPS every hour)",
    ]


def test_build_plan_hpo_needs_its_bound_within_the_caps(params: dict[str, Any]) -> None:
    # GIVEN HPO without a bound on the number of training jobs
    params["solution"]["performHPO"] = True
    # WHEN / THEN the bound is required, with the stack's caps
    assert problems_of(params) == [
        "solution.solutionConfig.hpoConfig.hpoResourceConfig: required when performHPO is true, so the training bill "
        'is bounded: set "maxNumberOfTrainingJobs" (at most 20 for this stack) and "maxParallelTrainingJobs" (at '
        "most 5)"
    ]


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        (
            {"maxNumberOfTrainingJobs": "21", "maxParallelTrainingJobs": "6"},
            [
                "solution.solutionConfig.hpoConfig.hpoResourceConfig.maxNumberOfTrainingJobs: 21 is above this "
                "stack's cap of 20 (stack parameter MaxHPOTrainingJobs)",
                "solution.solutionConfig.hpoConfig.hpoResourceConfig.maxParallelTrainingJobs: 6 is above this "
                "stack's cap of 5 (stack parameter MaxHPOParallelTrainingJobs)",
            ],
        ),
        (
            {"maxNumberOfTrainingJobs": "41", "maxParallelTrainingJobs": "ten"},
            [
                'solution.solutionConfig.hpoConfig.hpoResourceConfig.maxNumberOfTrainingJobs: "41" must be a whole '
                "number from 1 to 40, in quotes",
                'solution.solutionConfig.hpoConfig.hpoResourceConfig.maxParallelTrainingJobs: "ten" must be a whole '
                "number from 1 to 10, in quotes",
            ],
        ),
        (
            {"maxNumberOfTrainingJobs": "8"},
            [
                "solution.solutionConfig.hpoConfig.hpoResourceConfig.maxParallelTrainingJobs: required when "
                "performHPO is true (at most 5)"
            ],
        ),
    ],
    ids=["above-caps", "beyond-service-maxima", "one-missing"],
)
def test_build_plan_hpo_resource_config_bounded(
    params: dict[str, Any], resources: dict[str, str], expected: list[str]
) -> None:
    params["solution"]["performHPO"] = True
    params["solution"]["solutionConfig"] = {"hpoConfig": {"hpoResourceConfig": resources}}
    assert problems_of(params) == expected


def test_build_plan_hpo_within_caps_passes(params: dict[str, Any]) -> None:
    resources = {"maxNumberOfTrainingJobs": "20", "maxParallelTrainingJobs": "5"}
    params["solution"]["performHPO"] = True
    params["solution"]["solutionConfig"] = {"hpoConfig": {"hpoResourceConfig": resources}}
    assert plan_of(params)["solutions"][0]["solution"]["performHPO"] is True


def test_build_plan_without_a_stack_applies_only_the_service_limits(params: dict[str, Any]) -> None:
    # GIVEN HPO without a bound and a large TPS, planned without a stack (no caps)
    params["solution"]["performHPO"] = True
    params["campaign"]["minProvisionedTPS"] = 1000
    # WHEN / THEN the plan is built, and carries no stack tag
    plan = plan_of(params, stack=None)
    assert plan["solutions"][0]["campaigns"][0] == {"name": "Campaign", "minProvisionedTPS": 1000}


# --- first import ------------------------------------------------------------------------------------


def test_first_import_problems_incremental_into_a_dataset_not_created_yet(params: dict[str, Any]) -> None:
    # GIVEN INCREMENTAL imports for both datasets, of which only Users exists
    for section in params["datasets"].values():
        section["datasetImportJob"] = {"importMode": "INCREMENTAL"}
    plan = plan_of(params)
    # WHEN / THEN the dataset that does not exist yet must start with a FULL import
    assert first_import_problems(plan, {"Users"}) == [
        "datasets.Interactions.datasetImportJob.importMode: INCREMENTAL adds to data imported before, but dataset "
        "group 'DatasetGroup' has no Interactions dataset yet; the first import must be FULL: remove importMode "
        "(FULL is the default) and use INCREMENTAL from the next upload"
    ]
    assert first_import_problems(plan, {"Users", "Interactions"}) == []
