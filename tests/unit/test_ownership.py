"""Load Parameters' ownership check and the stack settings it reads (issue 7 item 4)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from personalize_pipeline.config import MissingSetting, stack_context
from personalize_pipeline.existing import foreign_resources
from personalize_pipeline.offline_rules import CostCaps, StackContext

PREFIX = "arn:aws:personalize:us-east-1:123456789012"
PLAN = {
    "datasetGroup": {"name": "dg"},
    "datasets": [
        {"folder": "Interactions", "datasetType": "INTERACTIONS"},
        {"folder": "Users", "datasetType": "USERS"},
    ],
    "solutions": [{"solution": {"name": "sol"}, "campaigns": [{"name": "camp"}]}],
    "paths": {"solutions": [{"solution": "solution", "campaigns": ["campaign"]}]},
}
ENV = {
    "PERSONALIZE_ARN_PREFIX": PREFIX,
    "PIPELINE_STACK_NAME": "my-stack",
    "MAX_MIN_PROVISIONED_TPS": "10",
    "ALLOW_HPO": "true",
    "MAX_HPO_TRAINING_JOBS": "20",
    "MAX_HPO_PARALLEL_TRAINING_JOBS": "5",
    "ALLOW_AUTO_TRAINING": "false",
}


class FakePersonalize:
    """Describes answer for the ARNs given (else ResourceNotFound); ListTagsForResource returns their tags."""

    def __init__(self, resources: dict[str, dict[str, str]]) -> None:
        self.resources = resources
        self.calls: list[tuple[str, str]] = []

    def _describe(self, operation: str, arn: str, key: str) -> dict[str, Any]:
        self.calls.append((operation, arn))
        if arn not in self.resources:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": arn}}, operation)
        return {key: {"name": arn.rsplit("/", 1)[-1]}}

    def describe_dataset_group(self, datasetGroupArn: str) -> dict[str, Any]:
        return self._describe("DescribeDatasetGroup", datasetGroupArn, "datasetGroup")

    def describe_dataset(self, datasetArn: str) -> dict[str, Any]:
        return self._describe("DescribeDataset", datasetArn, "dataset")

    def describe_solution(self, solutionArn: str) -> dict[str, Any]:
        return self._describe("DescribeSolution", solutionArn, "solution")

    def describe_campaign(self, campaignArn: str) -> dict[str, Any]:
        return self._describe("DescribeCampaign", campaignArn, "campaign")

    def list_tags_for_resource(self, resourceArn: str) -> dict[str, Any]:
        self.calls.append(("ListTagsForResource", resourceArn))
        return {"tags": [{"tagKey": k, "tagValue": v} for k, v in self.resources[resourceArn].items()]}


def test_foreign_resources_names_each_resource_not_created_by_this_stack() -> None:
    # GIVEN an untagged dataset group with a dataset, a solution of another stack and our own campaign
    client = FakePersonalize(
        {
            f"{PREFIX}:dataset-group/dg": {"team": "x"},
            f"{PREFIX}:dataset/dg/INTERACTIONS": {},
            f"{PREFIX}:solution/sol": {"personalize-pipeline:stack": "other"},
            f"{PREFIX}:campaign/camp": {"personalize-pipeline:stack": "my-stack"},
        }
    )
    # WHEN the plan's names are checked
    problems = foreign_resources(client, PREFIX, PLAN, "my-stack")
    # THEN the group (its dataset is part of that problem) and the solution are named; our campaign passes
    remedy = "The pipeline only modifies or builds on resources its own stack created; choose another name"
    assert problems == [
        "datasetGroup.name: dataset group 'dg' already exists and was not created by this stack (my-stack): it has "
        f"no personalize-pipeline:stack tag. {remedy}, or tag it personalize-pipeline:stack=my-stack to adopt it "
        "deliberately",
        "solution.name: solution 'sol' already exists and was not created by this stack (my-stack): it is tagged "
        f"personalize-pipeline:stack=other. {remedy}",
    ]


def test_foreign_resources_nothing_exists_only_describes() -> None:
    client = FakePersonalize({})
    assert foreign_resources(client, PREFIX, PLAN, "my-stack") == []
    assert [operation for operation, _ in client.calls] == [
        "DescribeDatasetGroup",
        "DescribeDataset",
        "DescribeDataset",
        "DescribeSolution",
        "DescribeCampaign",
    ]


def test_stack_context_reads_the_template_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    assert stack_context(["r"]) == StackContext(
        name="my-stack",
        partition="aws",
        caps=CostCaps(
            max_min_provisioned_tps=10,
            allow_hpo=True,
            max_hpo_training_jobs=20,
            max_hpo_parallel_training_jobs=5,
            allow_auto_training=False,
        ),
        recipes=["r"],
        arn_prefix=PREFIX,
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PIPELINE_STACK_NAME", "", "environment variable PIPELINE_STACK_NAME is not set; check template.yaml"),
        ("ALLOW_HPO", "yes", "environment variable ALLOW_HPO must be true or false, got 'yes'; check template.yaml"),
        (
            "MAX_HPO_TRAINING_JOBS",
            "2.5",
            "environment variable MAX_HPO_TRAINING_JOBS must be a whole number, got '2.5'; check template.yaml",
        ),
    ],
)
def test_stack_context_bad_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    for key, setting in {**ENV, name: value}.items():
        monkeypatch.setenv(key, setting)
    with pytest.raises(MissingSetting) as raised:
        stack_context(None)
    assert str(raised.value) == message
