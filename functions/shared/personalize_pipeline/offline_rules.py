"""Rules knowable from params.json, the stack's settings and the service's recipe list (issue 7 item 2).

Each rule here is one Personalize would enforce only after resources exist (some after training was
billed), or one of the stack's cost caps; ``params.py`` applies them with the shape checks, so every
problem comes back at once, each with its JSON path. The emulator enforces the service's side of each.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from personalize_pipeline.request_shapes import closest, show

#: The tag every resource the pipeline creates carries; its value is the stack name. IAM grants that touch
#: existing resources require it (aws:ResourceTag), creations must set it (aws:RequestTag).
STACK_TAG = "personalize-pipeline:stack"
#: Tag keys under this prefix are the pipeline's own (stack identity, import sizes): users may not set them.
RESERVED_TAG_PREFIX = "personalize-pipeline:"
#: Tags per resource (TooManyTagsException above it; personalize-facts.md §4).
MAX_TAGS_PER_RESOURCE = 50
#: hpoResourceConfig maxima, from the HPOResourceConfig documentation in the service model.
HPO_MAXIMA = {"maxNumberOfTrainingJobs": 40, "maxParallelTrainingJobs": 10}

_RECIPE = re.compile(
    r"arn:(?P<partition>[^:]*):personalize:(?P<region>[^:]*):(?P<account>[^:]*):recipe/(?P<name>[A-Za-z0-9_\-]+)"
)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class CostCaps:
    """What the stack lets one params.json spend (template Parameters, passed as environment variables)."""

    max_min_provisioned_tps: int = 10
    allow_hpo: bool = True
    max_hpo_training_jobs: int = 20
    max_hpo_parallel_training_jobs: int = 5
    allow_auto_training: bool = True


@dataclass(frozen=True)
class StackContext:
    """The deployment a plan is validated for."""

    #: Value of :data:`STACK_TAG` on everything this stack creates.
    name: str
    #: ``aws``, ``aws-cn``...: recipe ARNs carry the partition of the region they are used in.
    partition: str = "aws"
    caps: CostCaps = CostCaps()
    #: Recipe ARNs the service lists (ListRecipes); None when not read, then unknown recipes pass.
    recipes: Collection[str] | None = None
    #: ``arn:<partition>:personalize:<region>:<account>`` of the stack; None when unknown (then a filter ARN's
    #: region and account are not checked, only its name).
    arn_prefix: str | None = None


def tag_problems(tags: Any, path: str, pipeline_tags: int) -> list[str]:
    """Tag rules the service applies at creation: reserved prefixes, duplicates, the per-resource count.

    Personalize reserves aws: (any case) as a prefix of keys and of values. Tag keys and values are
    ``sensitive`` in the service model, so messages name the path, not the text.

    Lengths and characters come from the service model (``check_request``); ``pipeline_tags`` is how many
    tags the pipeline adds itself, which count against the same 50.
    """
    if not isinstance(tags, list):
        return []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i, tag in enumerate(tags):
        key = tag.get("tagKey") if isinstance(tag, dict) else None
        value = tag.get("tagValue") if isinstance(tag, dict) else None
        if isinstance(key, str):
            if key.lower().startswith("aws:"):
                problems.append(f"{path}[{i}].tagKey: starts with aws:, which AWS reserves for its own tags")
            elif key.lower().startswith(RESERVED_TAG_PREFIX):
                problems.append(
                    f"{path}[{i}].tagKey: starts with {RESERVED_TAG_PREFIX}, which the pipeline reserves for its own "
                    "tags (the stack that owns the resource)"
                )
            if key in seen:
                problems.append(f"{path}[{i}].tagKey: same key as {path}[{seen[key]}]; keys must be unique")
            seen.setdefault(key, i)
        if isinstance(value, str) and value.lower().startswith("aws:"):
            problems.append(f"{path}[{i}].tagValue: starts with aws:, which AWS reserves for its own tags")
    if len(tags) + pipeline_tags > MAX_TAGS_PER_RESOURCE:
        room = MAX_TAGS_PER_RESOURCE - pipeline_tags
        problems.append(
            f"{path}: {len(tags)} tags; a resource holds at most {MAX_TAGS_PER_RESOURCE} and the pipeline adds "
            f"{pipeline_tags} of its own, so at most {room} here"
        )
    return problems


def recipe_problems(recipe_arn: Any, context: StackContext, known_problem: bool, path: str) -> list[str]:
    """A recipe ARN's partition, region and account, and whether the service lists it.

    ``known_problem``: the recipe is retired or of the wrong kind, which ``params.py`` already explains.
    ``path``: where the ARN is in params.json (``solution.recipeArn``, ``recommenders[0].recipeArn``...).
    """
    if not isinstance(recipe_arn, str) or not (match := _RECIPE.fullmatch(recipe_arn)):
        return []
    name = match["name"]
    wanted = f"arn:{context.partition}:personalize:::recipe/{name}"
    if match["region"] or match["account"] or match["partition"] != context.partition:
        return [
            f"{path}: {show(recipe_arn)} is not a recipe ARN of this stack's partition; recipe ARNs have no "
            f"region or account: use {show(wanted)}"
        ]
    if known_problem or context.recipes is None or recipe_arn in context.recipes:
        return []
    names = {arn.rsplit("/", 1)[-1]: arn for arn in context.recipes}
    message = f"{path}: recipe {name} is not in Personalize's recipe list (ListRecipes)"
    match = closest(name, names)
    return [f'{message}; did you mean "{names[match]}"?' if match else message]


def number_string_problem(value: Any, path: str) -> str | None:
    """Members the model types as strings but the service reads as numbers (eventValueThreshold)."""
    if not isinstance(value, str) or (_NUMBER.fullmatch(value.strip()) and math.isfinite(float(value))):
        return None
    return f'{path}: {show(value)} is not a number; write the threshold as a number in quotes, e.g. "0.5"'


def solution_problems(solution: dict[str, Any], caps: CostCaps, path: str) -> list[str]:
    """Solution rules: eventValueThreshold, HPO (allowed, bounded, within the caps), automatic training.

    ``path``: where the solution is in params.json (``solution``, ``solutions.sims``, ``solutions[1]``).
    """
    problems: list[str] = []
    config = solution.get("solutionConfig") if isinstance(solution.get("solutionConfig"), dict) else {}
    base = f"{path}.solutionConfig"
    problem = number_string_problem(config.get("eventValueThreshold"), f"{base}.eventValueThreshold")
    if problem:
        problems.append(problem)
    hpo = solution.get("performHPO") is True
    if hpo and not caps.allow_hpo:
        problems.append(
            f"{path}.performHPO: hyperparameter optimization is turned off for this stack (stack parameter "
            "AllowHPO=false): it trains many models per version; remove performHPO or redeploy with AllowHPO=true"
        )
    hpo_config = config.get("hpoConfig") if isinstance(config.get("hpoConfig"), dict) else {}
    resources = hpo_config.get("hpoResourceConfig")
    resources_path = f"{base}.hpoConfig.hpoResourceConfig"
    caps_by_member = {
        "maxNumberOfTrainingJobs": (caps.max_hpo_training_jobs, "MaxHPOTrainingJobs"),
        "maxParallelTrainingJobs": (caps.max_hpo_parallel_training_jobs, "MaxHPOParallelTrainingJobs"),
    }
    # Only a cap below the service's maxima makes the bound necessary: the service's default is undocumented.
    capped = any(caps_by_member[m][0] < most for m, most in HPO_MAXIMA.items())
    required = hpo and caps.allow_hpo and capped
    if required and not isinstance(resources, dict):
        problems.append(
            f"{resources_path}: required when performHPO is true, so the training bill is bounded: set "
            f'"maxNumberOfTrainingJobs" (at most {caps.max_hpo_training_jobs} for this stack) and '
            f'"maxParallelTrainingJobs" (at most {caps.max_hpo_parallel_training_jobs})'
        )
    if isinstance(resources, dict):
        for member, most in HPO_MAXIMA.items():
            value = resources.get(member)
            member_path = f"{resources_path}.{member}"
            if value is None:
                if required:
                    problems.append(
                        f"{member_path}: required when performHPO is true (at most {caps_by_member[member][0]})"
                    )
                continue
            if not isinstance(value, str):
                continue  # the shape check already says it must be a string
            if not value.isdigit() or not 1 <= int(value) <= most:
                problems.append(f"{member_path}: {show(value)} must be a whole number from 1 to {most}, in quotes")
                continue
            cap, parameter = caps_by_member[member]
            if int(value) > cap:
                problems.append(
                    f"{member_path}: {value} is above this stack's cap of {cap} (stack parameter {parameter})"
                )
    if solution.get("performAutoTraining") is True and not caps.allow_auto_training:
        problems.append(
            f"{path}.performAutoTraining: automatic training is turned off for this stack (stack parameter "
            "AllowAutoTraining=false): it trains and bills a new version on a schedule; remove it or redeploy "
            "with AllowAutoTraining=true"
        )
    return problems


def solution_version_problems(version: dict[str, Any], path: str) -> list[str]:
    if version.get("trainingMode") == "AUTOTRAIN":
        return [
            f"{path}.trainingMode: AUTOTRAIN is set by Personalize for automatic trainings and cannot be "
            'requested; use FULL (the default) or UPDATE, and "performAutoTraining": true on the solution for '
            "scheduled training"
        ]
    return []


def campaign_problems(campaign: dict[str, Any], caps: CostCaps, path: str) -> list[str]:
    problems: list[str] = []
    config = campaign.get("campaignConfig") if isinstance(campaign.get("campaignConfig"), dict) else {}
    if config.get("syncWithLatestSolutionVersion") is True:
        problems.append(
            f"{path}.campaignConfig.syncWithLatestSolutionVersion: not supported by this pipeline: it deploys the "
            "exact version it trained or reused for this data (going back to earlier data redeploys the version "
            "trained on it), while sync would serve whichever version is newest and needs <solutionArn>/$LATEST "
            "instead; remove it, or set it to false"
        )
    tps = campaign.get("minProvisionedTPS")
    if isinstance(tps, int) and not isinstance(tps, bool) and caps.max_min_provisioned_tps < tps < 2**31:
        problems.append(
            f"{path}.minProvisionedTPS: {tps} is above this stack's cap of {caps.max_min_provisioned_tps} "
            "(stack parameter MaxMinProvisionedTPS; the campaign bills at least this many TPS every hour)"
        )
    return problems


def recommender_problems(recommender: dict[str, Any], caps: CostCaps, path: str) -> list[str]:
    """A recommender bills its minimum requests per second every hour, like a campaign's TPS: same cap.

    The stack's MaxMinProvisionedTPS is read as the cap of both (the safer reading: one knob for the
    hourly minimum of every real-time resource).
    """
    config = recommender.get("recommenderConfig") if isinstance(recommender.get("recommenderConfig"), dict) else {}
    rps = config.get("minRecommendationRequestsPerSecond")
    if isinstance(rps, int) and not isinstance(rps, bool) and caps.max_min_provisioned_tps < rps < 2**31:
        return [
            f"{path}.recommenderConfig.minRecommendationRequestsPerSecond: {rps} is above this stack's cap of "
            f"{caps.max_min_provisioned_tps} (stack parameter MaxMinProvisionedTPS; the recommender bills at least "
            "this many requests per second every hour)"
        ]
    return []


def with_stack_tag(tags: list[dict[str, str]] | None, context: StackContext) -> list[dict[str, str]]:
    """The user's tags plus the stack's identity, which IAM requires on everything the pipeline creates."""
    return [*(tags or []), {"tagKey": STACK_TAG, "tagValue": context.name}]


def first_import_problems(plan: dict[str, Any], existing: Collection[str]) -> list[str]:
    """INCREMENTAL imports into a dataset that does not exist yet: its first import must be FULL.

    ``existing`` holds the folders (``Interactions``...) whose dataset exists (read by Load Parameters).
    "If you haven't imported bulk records into the dataset previously, you can only specify FULL"
    (CreateDatasetImportJob, importMode).
    """
    return [
        f"datasets.{d['folder']}.datasetImportJob.importMode: INCREMENTAL adds to data imported before, but "
        f"dataset group '{plan['datasetGroup']['name']}' has no {d['folder']} dataset yet; the first import "
        "must be FULL: remove importMode (FULL is the default) and use INCREMENTAL from the next upload"
        for d in plan["datasets"]
        if d["datasetImportJob"].get("importMode") == "INCREMENTAL" and d["folder"] not in existing
    ]
