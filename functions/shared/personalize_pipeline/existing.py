"""What already exists in Personalize that a plan must stay compatible with, read by Load Parameters.

Read-only: one DescribeDataset per planned dataset (by its predictable ARN) and one DescribeSchema per
dataset that exists, enough to refuse a schema change UpdateDataset would reject; the recipe list
(ListRecipes); for each planned name that exists, its tags (ListTagsForResource), so a resource this
stack did not create is refused, naming it; the group's event trackers (ListEventTrackers: a tracker's
ARN is not its name); what cannot be updated (a filter's expression, a recommender's recipe, the
solution a campaign serves). All before anything is created; kept apart from validation so
``build_plan`` stays pure.
"""

from __future__ import annotations

import json
from typing import Any

from personalize_pipeline.ensure import _list_all
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
    return [recipe["recipeArn"] for recipe in _list_all(client, "list_recipes", "recipes", recipeProvider="SERVICE")]


def foreign_resources(client: Any, arn_prefix: str, plan: dict[str, Any], stack_name: str) -> list[str]:
    """Problems for each planned name that already exists but was not created by this stack.

    The pipeline may modify or build on only what its stack created (IAM requires the stack tag on
    them too; this names the resource before anything is created, instead of an AccessDenied later).
    Schemas carry no tags and are immutable: one of the same name is only used if its fields are the same.
    Batch jobs need no check: their names are new for each version and input. Each problem names the
    planned resource's path as written in params.json (``plan["paths"]``).
    """
    group = plan["datasetGroup"]["name"]
    group_arn = f"{arn_prefix}:dataset-group/{group}"
    paths = plan["paths"]
    candidates = [("datasetGroup", "dataset group", group_arn, "datasetGroup.name")]
    for dataset in plan["datasets"]:
        candidates.append(
            (
                "dataset",
                f"{dataset['folder']} dataset of dataset group",
                f"{arn_prefix}:dataset/{group}/{dataset['datasetType']}",
                f"datasets.{dataset['folder']}",
            )
        )
    for solution, where in zip(plan["solutions"], paths["solutions"], strict=True):
        name = solution["solution"]["name"]
        candidates.append(("solution", "solution", f"{arn_prefix}:solution/{name}", f"{where['solution']}.name"))
        for campaign, path in zip(solution["campaigns"], where["campaigns"], strict=True):
            candidates.append(("campaign", "campaign", f"{arn_prefix}:campaign/{campaign['name']}", f"{path}.name"))
    # Filters and recommenders cannot change dataset group, expression or recipe: what exists must match.
    immutable: dict[str, tuple[str, dict[str, Any]]] = {}
    for spec, path in zip(plan["filters"], paths["filters"], strict=True):
        arn = f"{arn_prefix}:filter/{spec['name']}"
        candidates.append(("filter", "filter", arn, f"{path}.name"))
        immutable[arn] = (path, {"datasetGroupArn": group_arn, "filterExpression": spec["filterExpression"]})
    for spec, path in zip(plan["recommenders"], paths["recommenders"], strict=True):
        arn = f"{arn_prefix}:recommender/{spec['name']}"
        candidates.append(("recommender", "recommender", arn, f"{path}.name"))
        immutable[arn] = (path, {"datasetGroupArn": group_arn, "recipeArn": spec["recipeArn"]})
    problems = []
    for kind, label, arn, path in candidates:
        existing = describe(client, kind, arn)
        if existing is None:
            continue
        shown = f"'{name_from_arn(arn)}'"
        if kind == "dataset":
            # A foreign dataset group is reported once; its datasets are part of that problem.
            if any(p.startswith("datasetGroup.name:") for p in problems):
                continue
            label = f"{label} '{group}'"
            shown = arn.rsplit(":", 1)[-1]
        problem = _ownership_problem(client, arn, path, f"{label} {shown}", stack_name)
        if problem:
            problems.append(problem)
        elif arn in immutable:
            problems.extend(_immutable_problems(label, shown, existing, *immutable[arn]))
    # The tracker's ARN is not its name: it is found by listing the group's trackers (one per group).
    for spec, path in zip(plan["eventTrackers"], paths["eventTrackers"], strict=True):
        problems.extend(_tracker_problems(client, group_arn, spec["name"], path, stack_name))
    return problems


def _immutable_problems(
    label: str, shown: str, existing: dict[str, Any], path: str, wanted: dict[str, Any]
) -> list[str]:
    """A member that cannot be updated differs: a conflict naming both values (filters have no update at all)."""
    return [
        f"{path}.{member}: {label} {shown} already exists with {member} {json.dumps(existing.get(member))}, and "
        f"params ask for {json.dumps(value)}; a {label}'s {member} cannot be changed: choose another name"
        for member, value in wanted.items()
        if existing.get(member) != value
    ]


def _ownership_problem(client: Any, arn: str, path: str, what: str, stack_name: str) -> str | None:
    tags = {t["tagKey"]: t["tagValue"] for t in client.list_tags_for_resource(resourceArn=arn).get("tags", [])}
    owner = tags.get(STACK_TAG)
    if owner == stack_name:
        return None
    why = f"it is tagged {STACK_TAG}={owner}" if owner else f"it has no {STACK_TAG} tag"
    return (
        f"{path}: {what} already exists and was not created by this stack ({stack_name}): {why}. "
        "The pipeline only modifies or builds on resources its own stack created; choose another name"
        + (f", or tag it {STACK_TAG}={stack_name} to adopt it deliberately" if not owner else "")
    )


def _tracker_problems(client: Any, group_arn: str, name: str, path: str, stack_name: str) -> list[str]:
    """The group's tracker of that name must be this stack's; a tracker of another name takes the group's one slot."""
    if describe(client, "datasetGroup", group_arn) is None:
        return []
    trackers = _list_all(client, "list_event_trackers", "eventTrackers", datasetGroupArn=group_arn)
    for tracker in trackers:
        if tracker["name"] == name:
            problem = _ownership_problem(
                client, tracker["eventTrackerArn"], f"{path}.name", f"event tracker '{name}'", stack_name
            )
            return [problem] if problem else []
    others = [t["name"] for t in trackers if not t.get("status", "").startswith("DELETE")]
    if others:
        return [
            f"{path}.name: dataset group '{name_from_arn(group_arn)}' already has event tracker '{others[0]}', and "
            f'Personalize allows one per dataset group: name it "{others[0]}" here, or delete that tracker first'
        ]
    return []


def campaign_moves(client: Any, arn_prefix: str, plan: dict[str, Any]) -> list[str]:
    """Planned campaigns that exist and serve a version of another solution than the one params put them under.

    A campaign may only move between versions of one solution: moving it to another solution would silently
    change what it recommends (a user-personalization campaign serving SIMS). Both solutions are named,
    with their recipes, before anything is created (ensure_campaign refuses it too, for races).
    """
    problems = []
    for solution, where in zip(plan["solutions"], plan["paths"]["solutions"], strict=True):
        planned = solution["solution"]
        for campaign, path in zip(solution["campaigns"], where["campaigns"], strict=True):
            existing = describe(client, "campaign", f"{arn_prefix}:campaign/{campaign['name']}")
            if existing is None:
                continue
            update = existing.get("latestCampaignUpdate") or {}
            version = update.get("solutionVersionArn") or existing.get("solutionVersionArn")
            current_arn = version.rsplit("/", 1)[0] if version else None
            if current_arn is None or name_from_arn(current_arn) == planned["name"]:
                continue
            current = describe(client, "solution", current_arn)
            current_recipe = _recipe_name(current.get("recipeArn") if current else None)
            current_name = name_from_arn(current_arn)
            problems.append(
                f"{path}.name: campaign '{campaign['name']}' serves a version of solution '{current_name}' "
                f"({current_recipe}), but params put it under solution '{planned['name']}' "
                f"({_recipe_name(planned.get('recipeArn'))}); a campaign may only move between versions of the same "
                "solution: give this campaign another name, or put it back under its solution"
            )
    return problems


def _recipe_name(recipe_arn: str | None) -> str:
    return f"recipe {recipe_arn.rsplit('/', 1)[-1]}" if recipe_arn else "recipe unknown"
