"""Service rules end to end: what Load Parameters refuses before anything exists, and what it translates."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from local.deploy import REGION
from local.runner import LocalPipeline

from .conftest import EXAMPLE_PARAMS, SEED_PARAMS

pytestmark = pytest.mark.e2e

AUTOML_NOTE = (
    "solution 'Solution': performAutoML is deprecated by Amazon Personalize (it searched recipes that are no "
    "longer available), so the pipeline did not send it and trains the current recommended User-Personalization "
    "recipe instead: arn:aws:personalize:::recipe/aws-user-personalization-v2"
)


def test_pipeline_seed_automl_trains_recommended_recipe_and_says_so(
    open_pipeline: Callable[..., LocalPipeline], caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN the seed README's params, which ask for the deprecated performAutoML
    pipeline = open_pipeline()
    # WHEN they are uploaded
    result = pipeline.run(SEED_PARAMS)
    # THEN the solution trains aws-user-personalization-v2 without AutoML, and the e-mail and the log say why
    assert result.status == "SUCCEEDED", result.notification
    personalize = boto3.client("personalize", region_name=REGION)
    (solution_arn,) = pipeline.inventory()["solutions"]
    solution = personalize.describe_solution(solutionArn=solution_arn)["solution"]
    assert (solution["recipeArn"], solution["performAutoML"]) == (
        "arn:aws:personalize:::recipe/aws-user-personalization-v2",
        False,
    )
    assert result.notification is not None
    assert f"Notes\n  - {AUTOML_NOTE}\n" in result.notification["message"]
    # (the Powertools logger's records: its stream may be bound to another stdout, depending on test order)
    assert [
        r.levelname for r in caplog.records if r.name == "personalize-pipeline" and r.getMessage() == AUTOML_NOTE
    ] == ["WARNING"]


def test_pipeline_incompatible_schema_changes_refused_before_any_resource(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN a deployed example, then params that swap the Interactions schema (same fields, new name) and
    # make the Users GENDER field non-categorical
    pipeline = open_pipeline()
    assert pipeline.run(EXAMPLE_PARAMS).status == "SUCCEEDED"
    before = pipeline.inventory()
    params = json.loads(EXAMPLE_PARAMS.read_text())
    params["datasets"]["Interactions"]["schemaName"] = "retail-demo-interactions-v2"
    del params["datasets"]["Users"]["schema"]["fields"][1]["categorical"]
    # WHEN they are uploaded
    result = pipeline.run(write_params("params.json", json.dumps(params)))
    # THEN Load Parameters refuses both, naming the fields and the way out, and nothing new exists
    assert result.status == "FAILED"
    assert result.notification is not None
    message = result.notification["message"]
    assert "Failed state: Load Parameters" in message and "InvalidParameters" in message
    assert "- datasets.Interactions.schema: dataset group 'retail-demo' already has an Interactions dataset" in message
    assert 'set "schemaName": "retail-demo-interactions-' in message
    assert "- datasets.Users.schema: dataset group 'retail-demo' already has a Users dataset" in message
    assert 'field GENDER changes from "string" (categorical) to "string"' in message
    assert pipeline.inventory() == before


def _two_solutions(campaign_under_sims: bool) -> dict[str, object]:
    """The example in the list spelling, plus a SIMS solution; the example's campaign under one of them."""
    params = json.loads(EXAMPLE_PARAMS.read_text())
    personalization = {**params.pop("solution"), "campaigns": []}
    sims = {"name": "retail-similar", "recipeArn": "arn:aws:personalize:::recipe/aws-sims", "campaigns": []}
    (sims if campaign_under_sims else personalization)["campaigns"].append(params.pop("campaign"))
    params["solutions"] = [personalization, sims]
    return params


def test_pipeline_list_spelling_trains_each_solution_and_deploys_only_declared_campaigns(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN the example in the list spelling: its solution with its campaign, and a SIMS solution without one
    pipeline = open_pipeline()
    # WHEN it is uploaded
    result = pipeline.run(write_params("params.json", json.dumps(_two_solutions(campaign_under_sims=False))))
    # THEN both solutions are trained and only the declared campaign exists
    assert result.status == "SUCCEEDED", result.notification
    inventory = pipeline.inventory()
    assert sorted(arn.rsplit("/", 1)[-1] for arn in inventory["solutions"]) == [
        "retail-similar",
        "retail-user-personalization",
    ]
    assert [arn.rsplit("/", 1)[-1] for arn in inventory["campaigns"]] == ["retail-user-personalization-campaign"]


def test_pipeline_campaign_moved_to_another_solution_refused_before_any_resource(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN the deployed example, then params that put its campaign under a new SIMS solution
    pipeline = open_pipeline()
    assert pipeline.run(EXAMPLE_PARAMS).status == "SUCCEEDED"
    before = pipeline.inventory()
    # WHEN they are uploaded
    result = pipeline.run(write_params("params.json", json.dumps(_two_solutions(campaign_under_sims=True))))
    # THEN Load Parameters refuses it naming the campaign and both solutions with their recipes; nothing is created
    assert result.status == "FAILED"
    assert result.notification is not None
    message = result.notification["message"]
    assert "Failed state: Load Parameters" in message and "InvalidParameters" in message
    assert (
        "- solutions[1].campaigns[0].name: campaign 'retail-user-personalization-campaign' serves a version of "
        "solution 'retail-user-personalization' (recipe aws-user-personalization-v2), but params put it under "
        "solution 'retail-similar' (recipe aws-sims); a campaign may only move between versions of the same "
        "solution" in message
    )
    assert pipeline.inventory() == before
