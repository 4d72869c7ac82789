"""Offline rules end to end (issue 7 item 2): refused in Load Parameters, all at once, before anything exists."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from local.runner import LocalPipeline

from .conftest import EXAMPLE_PARAMS

pytestmark = pytest.mark.e2e


def test_pipeline_rules_the_service_applies_late_refused_before_any_resource(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN params with a misspelt recipe, a reserved tag, AUTOTRAIN, a TPS above the cap and sync-with-latest
    params = json.loads(EXAMPLE_PARAMS.read_text())
    params["solution"]["recipeArn"] = "arn:aws:personalize:::recipe/aws-user-personalisation-v2"
    params["datasetGroup"]["tags"] = [{"tagKey": "aws:team", "tagValue": "x"}]
    params["solutionVersion"] = {"trainingMode": "AUTOTRAIN"}
    params["campaign"]["minProvisionedTPS"] = 11
    params["campaign"]["campaignConfig"] = {"syncWithLatestSolutionVersion": True}
    pipeline = open_pipeline()
    # WHEN they are uploaded
    result = pipeline.run(write_params("params.json", json.dumps(params)))
    # THEN Load Parameters lists every problem (the recipe checked against the service's list through the
    # deployed role's ListRecipes grant), and nothing exists
    assert result.status == "FAILED"
    assert result.notification is not None
    message = result.notification["message"]
    assert "Failed state: Load Parameters" in message
    for line in (
        "- datasetGroup.tags[0].tagKey: starts with aws:, which AWS reserves for its own tags",
        "- solution.recipeArn: recipe aws-user-personalisation-v2 is not in Personalize's recipe list (ListRecipes); "
        'did you mean "arn:aws:personalize:::recipe/aws-user-personalization-v2"?',
        "- solutionVersion.trainingMode: AUTOTRAIN is set by Personalize for automatic trainings",
        "- campaign.campaignConfig.syncWithLatestSolutionVersion: not supported by this pipeline",
        "- campaign.minProvisionedTPS: 11 is above this stack's cap of 10",
    ):
        assert line in message, line
    assert "5 problems" in message
    assert sum(len(arns) for arns in pipeline.inventory().values()) == 0
