"""Solution versions: manual and automatic training, the training minimums, stop, metrics."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInputException
from ..recipes import RECIPES
from ..resources import Solution, SolutionVersion
from ..timeline import ACTIVE, CREATE_PENDING, CREATE_STOPPED, CREATE_STOPPING, IN_FLIGHT, Transition
from ..training import Interaction, minimum_failure, select
from . import import_jobs
from .registry import operation
from .solutions import SCHEDULE

if TYPE_CHECKING:
    from ..models import RegionState


def _train(
    state: RegionState, solution: Solution, now: float, mode: str, kind: str, name: str | None
) -> SolutionVersion:
    """Create a version at ``now`` from the data live at ``now``; training minimums decide its fate."""
    recipe = RECIPES[solution.recipe_arn]
    datasets = state.group_datasets(solution.dataset_group_arn)
    solution.version_count += 1
    digest = hashlib.sha256(f"{solution.arn}#{solution.version_count}".encode()).hexdigest()[:8]
    arn = f"{solution.arn}/{digest}"
    config = solution.effective_config(now)
    threshold = config.get("eventValueThreshold")
    interactions: list[Interaction] = []
    if "INTERACTIONS" in datasets:
        interactions = select(
            import_jobs.interactions(state, datasets["INTERACTIONS"], now),
            solution.event_type,
            float(threshold) if threshold is not None else None,
        )
    items, users = metadata(state, datasets, now)
    failure = minimum_failure(interactions, solution.event_type) if recipe.interaction_minimums else None
    # HPO (AutoML implies it) trains several models, UPDATE only refreshes one: the length follows the work.
    phase = state.timeline.training_phase(arn, mode, solution.perform_hpo or solution.perform_automl)
    lifecycle = state.lifecycle("solution-version", arn, now, failure, phase)
    hours = state.timeline.training_hours(phase)
    version = SolutionVersion(
        arn=arn,
        name=name or f"{solution.name}/{digest}",
        lifecycle=lifecycle,
        solution=solution,
        training_mode=mode,
        training_type=kind,
        config=config,
        interactions=interactions,
        catalogue=frozenset(items),
        training_hours=hours,
        items=items,
        users=users,
    )
    state.versions[arn] = version
    return version


def metadata(
    state: RegionState, datasets: dict, now: float
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The live Items and Users records by id (empty where the group has no such dataset)."""
    found = []
    for dataset_type, key in (("ITEMS", "ITEM_ID"), ("USERS", "USER_ID")):
        dataset = datasets.get(dataset_type)
        rows = import_jobs.records(state, dataset, now) if dataset is not None else []
        found.append({str(row[key]): row for row in rows})
    return found[0], found[1]


def auto_train(state: RegionState, solution: Solution, now: float) -> None:
    """Materialize the versions automatic training has started by ``now`` (first 1 h after ACTIVE).

    If a manual version was created within that first hour, the first automatic training is skipped,
    as the CreateSolution documentation says; later ones follow every ``rate(N days)``.
    """
    active_at = solution.lifecycle.first_time_in(ACTIVE)
    if active_at is None:
        return
    versions = [v for v in state.versions.values() if v.solution is solution]
    automatic = [v for v in versions if v.training_type == "AUTOMATIC"]
    slot = len(automatic)
    while True:
        due = _auto_training_slot(state, solution, active_at, versions, slot)
        if due is None or due > now or solution.status(due) != ACTIVE or not solution.auto_training(due):
            return
        version = _train(state, solution, due, "AUTOTRAIN", "AUTOMATIC", None)
        versions.append(version)
        slot += 1


def _auto_training_slot(
    state, solution: Solution, active_at: float, versions: list[SolutionVersion], index: int
) -> float | None:
    first = active_at + 3600
    manual_in_first_hour = any(v.training_type == "MANUAL" and active_at <= v.created < first for v in versions)
    if manual_in_first_hour:
        index += 1
    expression = solution.effective_config(first).get("autoTrainingConfig", {}).get("schedulingExpression")
    match = SCHEDULE.fullmatch(expression or "")
    days = int(match.group(1)) if match else 7
    return first + index * days * 86400


@operation("CreateSolutionVersion")
def create_solution_version(state: RegionState, p: dict, now: float) -> dict:
    solution = state.get(state.solutions, p["solutionArn"])
    state.require_status(solution, now, {ACTIVE}, "train the solution")
    recipe = RECIPES[solution.recipe_arn]
    mode = p.get("trainingMode") or "FULL"
    if mode == "AUTOTRAIN":
        raise InvalidInputException("trainingMode AUTOTRAIN is set by automatic training only.")
    if mode == "UPDATE":
        if not recipe.incremental_training:
            raise InvalidInputException(
                f"trainingMode UPDATE is only supported by User-Personalization, not {solution.recipe_arn}."
            )
        if not any(
            v.solution is solution and v.training_mode == "FULL" and v.status(now) == ACTIVE
            for v in state.versions.values()
        ):
            raise InvalidInputException(
                f"trainingMode UPDATE needs an ACTIVE solution version of {solution.arn} trained with FULL."
            )
    in_flight = sum(1 for v in state.versions.values() if v.status(now) in IN_FLIGHT)
    state.check_quota(in_flight, state.quotas.in_flight_solution_versions)
    datasets = state.group_datasets(solution.dataset_group_arn)
    # [I] Training needs imported data ("an import must be ACTIVE before training"); the code for a
    # missing one is undocumented, InvalidInputException is the natural one for a bad request.
    for dataset_type in sorted(recipe.needs):
        dataset = datasets.get(dataset_type)
        if dataset is None or not import_jobs.completed_imports(state, dataset, now):
            raise InvalidInputException(
                f"Cannot train solution {solution.arn}: its dataset group has no imported "
                f"{dataset_type} data. Wait for a dataset import job to be ACTIVE."
            )
    tags = state.tags(p.get("tags"))
    version = _train(state, solution, now, mode, "MANUAL", p.get("name"))
    version.tags = tags
    state.observe(version, now)
    return {"solutionVersionArn": version.arn}


@operation("DescribeSolutionVersion")
def describe_solution_version(state: RegionState, p: dict, now: float) -> dict:
    return state.describe_resource(state.versions, p["solutionVersionArn"], now)


@operation("ListSolutionVersions")
def list_solution_versions(state: RegionState, p: dict, now: float) -> dict:
    parent = p.get("solutionArn")
    if parent is not None:
        state.get(state.solutions, parent)
    items = [v for v in state.versions.values() if parent is None or v.solution.arn == parent]
    return state.page("ListSolutionVersions", items, p, parent, now)


@operation("StopSolutionVersionCreation")
def stop_solution_version_creation(state: RegionState, p: dict, now: float) -> dict:
    version = state.get(state.versions, p["solutionVersionArn"])
    status = state.require_status(version, now, IN_FLIGHT, "stop the solution version")
    if status == CREATE_PENDING:
        version.lifecycle.branch(now, [Transition(now, CREATE_STOPPED)])
    else:
        stop = state.timeline.stop_seconds
        version.lifecycle.branch(now, [Transition(now, CREATE_STOPPING), Transition(now + stop, CREATE_STOPPED)])
    state.observe(version, now)
    return {}


@operation("GetSolutionMetrics")
def get_solution_metrics(state: RegionState, p: dict, now: float) -> dict:
    version = state.get(state.versions, p["solutionVersionArn"])
    state.require_status(version, now, {ACTIVE}, "get metrics of the solution version")
    if version.metrics is None:
        from ..algorithms.evaluation import evaluate  # numpy and scipy load only once metrics are asked for

        version.metrics = evaluate(
            version.solution.recipe_arn,
            version.training_data(),
            catalogue=version.catalogue,
            hyperparameters=version.hyperparameters(),
        )
    return {"solutionVersionArn": version.arn, "metrics": dict(version.metrics)}
