"""What already exists in Personalize that a plan must stay compatible with, read by Load Parameters.

Read-only: one DescribeDataset per planned dataset (by its predictable ARN) and one DescribeSchema per
dataset that exists, enough to refuse a schema change UpdateDataset would reject; the recipe list
(ListRecipes); and for each planned name that exists, its tags (ListTagsForResource), so a resource this
stack did not create is refused, naming it. All before anything is created; kept apart from validation so
``build_plan`` stays pure.
"""

from __future__ import annotations

import json
from typing import Any

from personalize_pipeline.offline_rules import STACK_TAG
from personalize_pipeline.resources import describe, name_from_arn


def existing_datasets(client: Any, arn_prefix: str, plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Folder (``Interactions``...) -> ``{"schemaArn", "schema"}`` of each planned dataset that already exists."""
    group = plan["datasetGroup"]["name"]
    found: dict[str, dict[str, Any]] = {}
    for dataset in plan["datasets"]:
        current = describe(client, "dataset", f"{arn_prefix}:dataset/{group}/{dataset['datasetType']}")
        if current is None:
            continue
        schema = describe(client, "schema", current["schemaArn"])
        if schema is not None:
            found[dataset["folder"]] = {"schemaArn": current["schemaArn"], "schema": json.loads(schema["schema"])}
    return found


def service_recipes(client: Any) -> list[str]:
    """Every recipe ARN Personalize lists (read-only ListRecipes): typos get a did-you-mean, new recipes pass."""
    arns: list[str] = []
    for page in client.get_paginator("list_recipes").paginate(recipeProvider="SERVICE"):
        arns.extend(recipe["recipeArn"] for recipe in page["recipes"])
    return arns


def foreign_resources(client: Any, arn_prefix: str, plan: dict[str, Any], stack_name: str) -> list[str]:
    """Problems for each planned name that already exists but was not created by this stack.

    The pipeline may modify or build on only what its stack created (IAM requires the stack tag on
    them too; this names the resource before anything is created, instead of an AccessDenied later).
    Schemas carry no tags and are immutable: one of the same name is only used if its fields are the same.
    """
    group = plan["datasetGroup"]["name"]
    candidates = [("datasetGroup", "dataset group", f"{arn_prefix}:dataset-group/{group}", "datasetGroup.name")]
    for dataset in plan["datasets"]:
        candidates.append(
            (
                "dataset",
                f"{dataset['folder']} dataset of dataset group",
                f"{arn_prefix}:dataset/{group}/{dataset['datasetType']}",
                f"datasets.{dataset['folder']}",
            )
        )
    for solution, paths in zip(plan["solutions"], plan["paths"]["solutions"], strict=True):
        name = solution["solution"]["name"]
        candidates.append(("solution", "solution", f"{arn_prefix}:solution/{name}", f"{paths['solution']}.name"))
        for campaign, path in zip(solution["campaigns"], paths["campaigns"], strict=True):
            arn = f"{arn_prefix}:campaign/{campaign['name']}"
            candidates.append(("campaign", "campaign", arn, f"{path}.name"))
    problems = []
    for kind, label, arn, path in candidates:
        if describe(client, kind, arn) is None:
            continue
        tags = {t["tagKey"]: t["tagValue"] for t in client.list_tags_for_resource(resourceArn=arn).get("tags", [])}
        owner = tags.get(STACK_TAG)
        if owner == stack_name:
            continue
        if kind == "dataset":
            # A foreign dataset group is reported once; its datasets are part of that problem.
            if any(p.startswith("datasetGroup.name:") for p in problems):
                continue
            label = f"{label} '{group}'"
            shown = arn.rsplit(":", 1)[-1]
        else:
            shown = f"'{name_from_arn(arn)}'"
        why = f"it is tagged {STACK_TAG}={owner}" if owner else f"it has no {STACK_TAG} tag"
        problems.append(
            f"{path}: {label} {shown} already exists and was not created by this stack ({stack_name}): {why}. "
            "The pipeline only modifies or builds on resources its own stack created; choose another name"
            + (f", or tag it {STACK_TAG}={stack_name} to adopt it deliberately" if not owner else "")
        )
    return problems
