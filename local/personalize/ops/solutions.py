"""Solutions: recipe and AutoML choice, configuration rules, the per-group quota, update, delete."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from ..errors import InvalidInputException, ResourceInUseException, ResourceNotFoundException
from ..recipes import AUTOML_RECIPE, DOMAIN_USE_CASES, RECIPES, Recipe
from ..resources import Solution, SolutionUpdate, SolutionVersion
from ..timeline import ACTIVE, CREATE_FAILED, DELETABLE, DELETING, TRAINING, Lifecycle
from .registry import operation

if TYPE_CHECKING:
    from ..models import RegionState

#: The only schedulingExpression form automatic training accepts: rate(N days).
SCHEDULE = re.compile(r"rate\((\d+) days?\)")


def _recipe(state: RegionState, arn: str) -> Recipe:
    if arn in DOMAIN_USE_CASES:
        raise InvalidInputException(
            f"Recipe {arn} is a domain use case: use it with CreateRecommender, not CreateSolution."
        )
    recipe = RECIPES.get(arn)
    if recipe is None:
        raise ResourceNotFoundException(arn)
    if not recipe.available:
        raise InvalidInputException(f"Recipe {arn} is no longer available. Choose another recipe.")
    return recipe


def _automl_recipe(state: RegionState, config: dict) -> str:
    candidates = config.get("autoMLConfig", {}).get("recipeList") or []
    usable = []
    for arn in candidates:
        recipe = _recipe(state, arn)
        if recipe.family != "USER_PERSONALIZATION":
            raise InvalidInputException(f"AutoML can only choose among USER_PERSONALIZATION recipes, not {arn}.")
        usable.append(arn)
    if not usable or AUTOML_RECIPE in usable:
        return AUTOML_RECIPE
    return usable[0]


def _check_schedule(config: dict) -> None:
    expression = config.get("autoTrainingConfig", {}).get("schedulingExpression")
    if expression is None:
        return
    match = SCHEDULE.fullmatch(expression)
    if not match or not 1 <= int(match.group(1)) <= 30:
        raise InvalidInputException(f"Invalid schedulingExpression {expression}: use rate(N days) with N from 1 to 30.")


#: hpoResourceConfig maxima (HPOResourceConfig documentation in the service model).
HPO_LIMITS = {"maxNumberOfTrainingJobs": 40, "maxParallelTrainingJobs": 10}


def _check_hpo_resources(config: dict) -> None:
    resources = (config.get("hpoConfig") or {}).get("hpoResourceConfig") or {}
    for member, most in HPO_LIMITS.items():
        if member not in resources:
            continue
        value = resources[member]
        if not value.isdigit() or not 1 <= int(value) <= most:
            raise InvalidInputException(f"{member} must be a whole number from 1 to {most}, not {value!r}.")


@operation("CreateSolution")
def create_solution(state: RegionState, p: dict, now: float) -> dict:
    group = state.get(state.dataset_groups, p["datasetGroupArn"])
    arn = state.arn(f"solution/{p['name']}")
    state.ensure_new(state.solutions, arn)
    state.require_status(group, now, {ACTIVE}, "create a solution in the dataset group")
    config = p.get("solutionConfig") or {}
    automl = bool(p.get("performAutoML", False))
    if automl and p.get("recipeArn"):
        raise InvalidInputException("recipeArn must not be specified when performAutoML is true.")
    if not automl and not p.get("recipeArn"):
        raise InvalidInputException("recipeArn is required unless performAutoML is true.")
    recipe_arn = _automl_recipe(state, config) if automl else p["recipeArn"]
    recipe = _recipe(state, recipe_arn)
    incremental = bool(p.get("performIncrementalUpdate", False))
    if incremental and recipe.name != "aws-semantic-similarity":
        raise InvalidInputException("performIncrementalUpdate is only supported by aws-semantic-similarity.")
    if p.get("performHPO") and recipe.name == "aws-next-best-action":
        raise InvalidInputException("aws-next-best-action does not support hyperparameter optimization.")
    if "eventValueThreshold" in config:
        try:
            if not math.isfinite(float(config["eventValueThreshold"])):
                raise ValueError
        except ValueError:
            raise InvalidInputException(
                f"eventValueThreshold must be a number, not {config['eventValueThreshold']!r}."
            ) from None
    _check_schedule(config)
    _check_hpo_resources(config)
    alive = sum(
        1
        for s in state.solutions.values()
        if s.dataset_group_arn == group.arn and s.status(now) not in {CREATE_FAILED, *DELETING}
    )
    state.check_quota(alive, state.quotas.solutions_per_dataset_group, "solution")
    state.create_resource(
        state.solutions,
        Solution,
        "solution",
        arn,
        p,
        now,
        dataset_group_arn=group.arn,
        recipe_arn=recipe_arn,
        # "When performing AutoML, this parameter is always true" (CreateSolution, performHPO).
        perform_hpo=automl or bool(p.get("performHPO", False)),
        perform_automl=automl,
        perform_auto_training=bool(p.get("performAutoTraining", True)),
        perform_incremental_update=incremental,
        event_type=p.get("eventType"),
        config=config,
    )
    return {"solutionArn": arn}


def _latest_version(state: RegionState, solution: Solution) -> SolutionVersion | None:
    versions = [v for v in state.versions.values() if v.solution is solution]
    return max(versions, key=lambda v: (v.created, v.arn), default=None)


@operation("DescribeSolution")
def describe_solution(state: RegionState, p: dict, now: float) -> dict:
    solution = state.get(state.solutions, p["solutionArn"])
    state.observe(solution, now)
    latest = _latest_version(state, solution)
    return {"solution": solution.describe(now, latest.summary(now) if latest else None)}


@operation("ListSolutions")
def list_solutions(state: RegionState, p: dict, now: float) -> dict:
    parent = p.get("datasetGroupArn")
    items = [s for s in state.solutions.values() if parent is None or s.dataset_group_arn == parent]
    return state.page("ListSolutions", items, p, parent, now)


@operation("UpdateSolution")
def update_solution(state: RegionState, p: dict, now: float) -> dict:
    solution = state.get(state.solutions, p["solutionArn"])
    state.require_status(solution, now, {ACTIVE}, "update the solution")
    state.require_no_update(solution, now, "update solution")
    recipe = RECIPES[solution.recipe_arn]
    if p.get("performIncrementalUpdate") and recipe.name != "aws-semantic-similarity":
        raise InvalidInputException("performIncrementalUpdate is only supported by aws-semantic-similarity.")
    config = p.get("solutionUpdateConfig") or {}
    _check_schedule(config)
    phase = state.update_phase(solution, "solution", now)
    solution.update = SolutionUpdate(
        lifecycle=Lifecycle.create(now, phase),
        perform_auto_training=p.get("performAutoTraining"),
        perform_incremental_update=p.get("performIncrementalUpdate"),
        config=config,
    )
    state.observe(solution, now)
    return {"solutionArn": solution.arn}


@operation("DeleteSolution")
def delete_solution(state: RegionState, p: dict, now: float) -> dict:
    solution = state.get(state.solutions, p["solutionArn"])
    state.require_status(solution, now, DELETABLE, "delete the solution")
    campaigns = [c.arn for c in state.campaigns.values() if solution.arn in c.solution_arns()]
    if campaigns:
        raise ResourceInUseException(
            f"Cannot delete solution {solution.arn}: delete its campaigns first ({', '.join(sorted(campaigns))})."
        )
    training = [v.arn for v in state.versions.values() if v.solution is solution and v.status(now) in TRAINING]
    if training:
        raise ResourceInUseException(
            f"Cannot delete solution {solution.arn} while a solution version is in progress: {training[0]}."
        )
    state.start_delete(solution, "solution", now)
    return {}
