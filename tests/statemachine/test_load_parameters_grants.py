"""Load Parameters reads existing resources and the recipe list: exactly those reads are granted, on scoped ARNs."""

from __future__ import annotations

import ast
from typing import Any

from .conftest import ROOT
from .test_template import _personalize_actions, as_list, statements


def _resource_type(resource: Any) -> str:
    return resource if isinstance(resource, str) else resource["Fn::Sub"].rsplit(":", 1)[-1]


def test_template_load_parameters_grants_exactly_the_reads_it_makes(template: dict[str, Any]) -> None:
    # GIVEN the Personalize calls existing.py makes (the only Personalize code Load Parameters runs); the
    # describes of foreign_resources take their kind from its candidate list, which the call reader cannot
    # follow, so the kinds only that list names are added here
    tree = ast.parse((ROOT / "functions/shared/personalize_pipeline/existing.py").read_text())
    entry_points = {"existing_datasets", "foreign_resources", "campaign_moves", "service_recipes"}
    needed = _personalize_actions(tree, entry_points) | {"DescribeFilter", "DescribeRecommender"}
    # WHEN the function's policy statements are read
    granted = {
        (action.split(":")[1], _resource_type(resource))
        for statement in statements(template["Resources"]["LoadParametersFunction"])
        for action in as_list(statement["Action"])
        if action.startswith("personalize:")
        for resource in as_list(statement["Resource"])
    }
    # THEN each call is granted on its own resource types (iam-reference) and nothing else: read-only
    assert needed == {
        "DescribeDataset",
        "DescribeSchema",
        "DescribeDatasetGroup",
        "DescribeSolution",
        "DescribeCampaign",
        "DescribeFilter",
        "DescribeRecommender",
        "ListTagsForResource",
        "ListRecipes",
        "ListEventTrackers",
    }
    assert granted == {
        ("DescribeDataset", "dataset/*"),
        ("DescribeSchema", "schema/*"),
        ("DescribeDatasetGroup", "dataset-group/*"),
        ("DescribeSolution", "solution/*"),
        ("DescribeCampaign", "campaign/*"),
        ("ListTagsForResource", "dataset-group/*"),
        ("ListTagsForResource", "dataset/*"),
        ("ListTagsForResource", "solution/*"),
        ("ListTagsForResource", "campaign/*"),
        ("ListTagsForResource", "filter/*"),
        ("ListTagsForResource", "recommender/*"),
        ("ListTagsForResource", "event-tracker/*"),
        ("DescribeFilter", "filter/*"),
        ("DescribeRecommender", "recommender/*"),
        ("ListRecipes", "*"),
        ("ListEventTrackers", "*"),
    }
