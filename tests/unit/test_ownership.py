"""Load Parameters' ownership check and the stack settings it reads (issue 7 item 4)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from personalize_pipeline.config import MissingSetting, stack_context
from personalize_pipeline.existing import campaign_moves, foreign_resources
from personalize_pipeline.offline_rules import CostCaps, StackContext

PREFIX = "arn:aws:personalize:us-east-1:123456789012"
PLAN = {
    "datasetGroup": {"name": "dg"},
    "datasets": [
        {"folder": "Interactions", "datasetType": "INTERACTIONS"},
        {"folder": "Users", "datasetType": "USERS"},
    ],
    "eventTrackers": [],
    "filters": [],
    "solutions": [{"solution": {"name": "sol"}, "campaigns": [{"name": "camp"}]}],
    "recommenders": [],
    "paths": {
        "eventTrackers": [],
        "filters": [],
        "solutions": [{"solution": "solution", "campaigns": ["campaign"]}],
        "recommenders": [],
    },
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


# -- issue 8: filters, recommenders, the event tracker and campaigns of the list and map spellings --------

FULL_PLAN = {
    "datasetGroup": {"name": "dg"},
    "datasets": [],
    "eventTrackers": [{"name": "tracker"}],
    "filters": [{"name": "flt", "filterExpression": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'}],
    "solutions": [
        {
            "solution": {"name": "sims", "recipeArn": "arn:aws:personalize:::recipe/aws-sims"},
            "campaigns": [{"name": "simsCampaign"}],
        }
    ],
    "recommenders": [{"name": "rec", "recipeArn": "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you"}],
    "paths": {
        "eventTrackers": ["eventTracker"],
        "filters": ["filters[0]"],
        "solutions": [{"solution": "solutions.sims", "campaigns": ["campaigns.simsCampaign"]}],
        "recommenders": ["recommenders[0]"],
    },
}
OURS = {"personalize-pipeline:stack": "my-stack"}
GROUP_ARN = f"{PREFIX}:dataset-group/dg"
TRACKER_ARN = f"{PREFIX}:event-tracker/0a1b2c3d"


class FullFakePersonalize(FakePersonalize):
    """Also filters, recommenders, the group's trackers and each resource's own description."""

    def __init__(
        self,
        resources: dict[str, dict[str, str]],
        bodies: dict[str, dict[str, Any]] | None = None,
        trackers: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(resources)
        self.bodies = bodies or {}
        self.trackers = trackers or []

    def _describe(self, operation: str, arn: str, key: str) -> dict[str, Any]:
        answer = super()._describe(operation, arn, key)
        return {key: {**answer[key], **self.bodies.get(arn, {})}}

    def describe_filter(self, filterArn: str) -> dict[str, Any]:
        return self._describe("DescribeFilter", filterArn, "filter")

    def describe_recommender(self, recommenderArn: str) -> dict[str, Any]:
        return self._describe("DescribeRecommender", recommenderArn, "recommender")

    def get_paginator(self, name: str) -> Any:
        assert name == "list_event_trackers"
        fake = self

        class Paginator:
            def paginate(self, datasetGroupArn: str) -> list[dict[str, Any]]:
                fake.calls.append(("ListEventTrackers", datasetGroupArn))
                return [{"eventTrackers": fake.trackers}]

        return Paginator()


def test_foreign_resources_names_foreign_filter_recommender_and_tracker_at_their_paths() -> None:
    # GIVEN our dataset group, holding a filter, a recommender and a tracker of another stack
    client = FullFakePersonalize(
        {
            GROUP_ARN: OURS,
            f"{PREFIX}:filter/flt": {"personalize-pipeline:stack": "other"},
            f"{PREFIX}:recommender/rec": {},
            TRACKER_ARN: {"personalize-pipeline:stack": "other"},
        },
        trackers=[{"name": "tracker", "eventTrackerArn": TRACKER_ARN, "status": "ACTIVE"}],
    )
    # WHEN the plan's names are checked
    problems = foreign_resources(client, PREFIX, FULL_PLAN, "my-stack")
    # THEN each is named at the path the user wrote, the tracker found by listing the group's trackers
    remedy = "The pipeline only modifies or builds on resources its own stack created; choose another name"
    assert problems == [
        "filters[0].name: filter 'flt' already exists and was not created by this stack (my-stack): it is tagged "
        f"personalize-pipeline:stack=other. {remedy}",
        "recommenders[0].name: recommender 'rec' already exists and was not created by this stack (my-stack): it "
        f"has no personalize-pipeline:stack tag. {remedy}, or tag it personalize-pipeline:stack=my-stack to adopt "
        "it deliberately",
        "eventTracker.name: event tracker 'tracker' already exists and was not created by this stack (my-stack): it "
        f"is tagged personalize-pipeline:stack=other. {remedy}",
    ]


def test_foreign_resources_our_filter_and_recommender_must_match_what_cannot_change() -> None:
    # GIVEN our filter with another expression, our recommender on another recipe in another group
    other_group = f"{PREFIX}:dataset-group/other"
    client = FullFakePersonalize(
        {GROUP_ARN: OURS, f"{PREFIX}:filter/flt": OURS, f"{PREFIX}:recommender/rec": OURS},
        bodies={
            f"{PREFIX}:filter/flt": {"datasetGroupArn": GROUP_ARN, "filterExpression": "EXCLUDE ItemID WHERE x"},
            f"{PREFIX}:recommender/rec": {
                "datasetGroupArn": other_group,
                "recipeArn": "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you",
            },
        },
    )
    # WHEN checked / THEN each difference names both values: these cannot be updated
    assert foreign_resources(client, PREFIX, FULL_PLAN, "my-stack") == [
        "filters[0].filterExpression: filter 'flt' already exists with filterExpression \"EXCLUDE ItemID WHERE x\", "
        'and params ask for "EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\\"click\\")"; a filter\'s '
        "filterExpression cannot be changed: choose another name",
        f"recommenders[0].datasetGroupArn: recommender 'rec' already exists with datasetGroupArn \"{other_group}\", "
        f'and params ask for "{GROUP_ARN}"; a recommender\'s datasetGroupArn cannot be changed: choose another name',
    ]


def test_foreign_resources_another_tracker_in_the_group_takes_its_one_slot() -> None:
    client = FullFakePersonalize(
        {GROUP_ARN: OURS},
        trackers=[
            {"name": "old", "eventTrackerArn": TRACKER_ARN, "status": "ACTIVE"},
            {"name": "gone", "eventTrackerArn": f"{PREFIX}:event-tracker/1", "status": "DELETE IN_PROGRESS"},
        ],
    )
    plan = {**FULL_PLAN, "filters": [], "recommenders": [], "paths": {**FULL_PLAN["paths"], "filters": []}}
    plan["paths"]["recommenders"] = []
    assert foreign_resources(client, PREFIX, plan, "my-stack") == [
        "eventTracker.name: dataset group 'dg' already has event tracker 'old', and Personalize allows one per "
        'dataset group: name it "old" here, or delete that tracker first'
    ]


def test_foreign_resources_no_group_yet_lists_no_trackers() -> None:
    client = FullFakePersonalize({})
    assert foreign_resources(client, PREFIX, FULL_PLAN, "my-stack") == []
    assert [operation for operation, _ in client.calls] == [
        "DescribeDatasetGroup",
        "DescribeSolution",
        "DescribeCampaign",
        "DescribeFilter",
        "DescribeRecommender",
        "DescribeDatasetGroup",
    ]


@pytest.mark.parametrize("update", [False, True], ids=["serving", "being-updated"])
def test_campaign_moves_campaign_of_another_solution_names_both_with_recipes(update: bool) -> None:
    # GIVEN simsCampaign exists and serves (or is being moved to) a version of the user-personalization solution
    version = f"{PREFIX}:solution/userPersonalization/abc"
    body: dict[str, Any] = {"solutionVersionArn": version}
    if update:
        body = {
            "solutionVersionArn": f"{PREFIX}:solution/sims/1",
            "latestCampaignUpdate": {"solutionVersionArn": version},
        }
    client = FullFakePersonalize(
        {f"{PREFIX}:campaign/simsCampaign": OURS, f"{PREFIX}:solution/userPersonalization": OURS},
        bodies={
            f"{PREFIX}:campaign/simsCampaign": body,
            f"{PREFIX}:solution/userPersonalization": {
                "recipeArn": "arn:aws:personalize:::recipe/aws-user-personalization"
            },
        },
    )
    # WHEN the plan puts it under the SIMS solution / THEN it is refused before anything is created
    assert campaign_moves(client, PREFIX, FULL_PLAN) == [
        "campaigns.simsCampaign.name: campaign 'simsCampaign' serves a version of solution 'userPersonalization' "
        "(recipe aws-user-personalization), but params put it under solution 'sims' (recipe aws-sims); a campaign "
        "may only move between versions of the same solution: give this campaign another name, or put it back "
        "under its solution"
    ]


def test_campaign_moves_campaign_of_the_same_solution_passes() -> None:
    client = FullFakePersonalize(
        {f"{PREFIX}:campaign/simsCampaign": OURS},
        bodies={f"{PREFIX}:campaign/simsCampaign": {"solutionVersionArn": f"{PREFIX}:solution/sims/old"}},
    )
    assert campaign_moves(client, PREFIX, FULL_PLAN) == []
