"""Blast radius end to end (issue 7 item 4): the pipeline tags what it creates with its stack, and refuses,
before creating anything, a name taken by a resource its stack did not create."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from local.deploy import DEFAULT_STACK_NAME, REGION
from local.runner import LocalPipeline

from .conftest import EXAMPLE_PARAMS

pytestmark = pytest.mark.e2e

STACK_TAG = {"tagKey": "personalize-pipeline:stack", "tagValue": DEFAULT_STACK_NAME}


def test_pipeline_tags_every_resource_it_creates_with_its_stack(open_pipeline: Callable[..., LocalPipeline]) -> None:
    # GIVEN the example params
    pipeline = open_pipeline()
    # WHEN the run succeeds
    assert pipeline.run(EXAMPLE_PARAMS).status == "SUCCEEDED"
    # THEN every taggable resource it created carries the stack tag (schemas take no tags)
    personalize = boto3.client("personalize", region_name=REGION)
    inventory = pipeline.inventory()
    kinds = ("datasetGroups", "datasets", "datasetImportJobs", "solutions", "solutionVersions", "campaigns")
    untagged = [
        arn
        for kind in kinds
        for arn in inventory[kind]
        if STACK_TAG not in personalize.list_tags_for_resource(resourceArn=arn)["tags"]
    ]
    assert sum(len(inventory[k]) for k in kinds) == 8
    assert untagged == []


def test_pipeline_foreign_dataset_group_of_the_same_name_refused_before_anything_is_created(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN another team's dataset group named like the params' one (untagged), and one tagged by another stack
    pipeline = open_pipeline()
    params = json.loads(EXAMPLE_PARAMS.read_text())
    personalize = boto3.client("personalize", region_name=REGION)
    personalize.create_dataset_group(name=params["datasetGroup"]["name"])
    other = {"tagKey": "personalize-pipeline:stack", "tagValue": "other-stack"}
    personalize.create_dataset_group(name="their-group", tags=[other])
    before = pipeline.inventory()
    # WHEN the params are uploaded
    result = pipeline.run(write_params("params.json", json.dumps(params)))
    # THEN Load Parameters refuses, naming the resource and why; nothing new exists
    assert result.status == "FAILED"
    assert result.notification is not None
    message = result.notification["message"]
    assert "Failed state: Load Parameters" in message
    name = params["datasetGroup"]["name"]
    assert (
        f"- datasetGroup.name: dataset group '{name}' already exists and was not created by this stack "
        f"({DEFAULT_STACK_NAME}): it has no personalize-pipeline:stack tag. The pipeline only modifies or builds "
        "on resources its own stack created; choose another name, or tag it "
        f"personalize-pipeline:stack={DEFAULT_STACK_NAME} to adopt it deliberately"
    ) in message
    assert pipeline.inventory() == before

    # AND WHEN the dataset group is renamed to the other stack's group
    params["datasetGroup"]["name"] = "their-group"
    result = pipeline.run(write_params("params.json", json.dumps(params)))
    # THEN that one is refused too, naming its owner
    assert result.notification is not None
    assert (
        f"- datasetGroup.name: dataset group 'their-group' already exists and was not created by this stack "
        f"({DEFAULT_STACK_NAME}): it is tagged personalize-pipeline:stack=other-stack."
        in result.notification["message"]
    )
    assert pipeline.inventory() == before
