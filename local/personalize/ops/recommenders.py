"""Recommenders: domain use cases on a Domain dataset group, training minimums, update, stop/start, delete.

Rules (personalize-facts.md §2, §3, §6, §11 and the ECOMMERCE / VIDEO_ON_DEMAND use-case pages):

- the recipe must be a use case of the dataset group's domain; a Custom dataset group has no recommenders;
- training needs the use case's datasets imported, then at least 1000 interactions of the use case's event
  type (``Dataset has fewer than 1000 interactions after filtering by event type: View``) and 25 users with
  2 interactions each, or the recommender ends CREATE FAILED;
- 5 recommenders per dataset group;
- ``minRecommendationRequestsPerSecond`` defaults to 1 and is echoed in recommenderConfig;
- UpdateRecommender keeps the top-level status ACTIVE and tracks ``latestRecommenderUpdate`` through
  UPDATE PENDING > UPDATE IN_PROGRESS > ACTIVE; the old config serves until then [I, as for campaigns];
- StopRecommender: STOP PENDING > STOP IN_PROGRESS > INACTIVE; StartRecommender: START PENDING >
  START IN_PROGRESS > ACTIVE.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInputException, LimitExceededException
from ..recipes import USE_CASES, UseCase
from ..resources import DatasetGroup, Recommender, RecommenderUpdate
from ..timeline import (
    ACTIVE,
    CREATE_FAILED,
    DELETING,
    INACTIVE,
    START_IN_PROGRESS,
    START_PENDING,
    STOP_IN_PROGRESS,
    STOP_PENDING,
    UPDATE_IN_PROGRESS,
    UPDATE_PENDING,
    Lifecycle,
    follow_up,
)
from ..training import Interaction, minimum_failure, select
from . import import_jobs
from .registry import operation
from .solution_versions import metadata

if TYPE_CHECKING:
    from ..models import RegionState

#: The config keys the service fills in when the request leaves them out.
CONFIG_DEFAULTS = {"minRecommendationRequestsPerSecond": 1}
#: [I] a stopped recommender can be deleted, like an ACTIVE or failed one.
RECOMMENDER_DELETABLE = frozenset({ACTIVE, CREATE_FAILED, INACTIVE})


def _use_case(arn: str, group: DatasetGroup) -> UseCase:
    if group.domain is None:
        raise InvalidInputException(
            f"Dataset group {group.arn} is a Custom dataset group: recommenders need a Domain dataset group "
            "(ECOMMERCE or VIDEO_ON_DEMAND). Use a solution and a campaign instead."
        )
    use_case = USE_CASES.get(arn)
    if use_case is None:
        raise InvalidInputException(
            f"Recipe {arn} is not a use case of domain {group.domain}; a recommender needs one of: "
            f"{', '.join(sorted(u.arn for u in USE_CASES.values() if u.domain == group.domain))}."
        )
    if use_case.domain != group.domain:
        raise InvalidInputException(
            f"Recipe {arn} is a {use_case.domain} use case but dataset group {group.arn} is {group.domain}."
        )
    return use_case


def _config(raw: dict[str, Any] | None) -> dict[str, Any]:
    return {**CONFIG_DEFAULTS, **copy.deepcopy(raw or {})}


def _training_data(
    state: RegionState, group: DatasetGroup, use_case: UseCase, now: float
) -> tuple[str | None, list[Interaction]]:
    """Refuse training without the use case's datasets imported; else (the minimums' failureReason or None,
    the interactions of the use case's event type, which the recommender trains on)."""
    datasets = state.group_datasets(group.arn)
    # [I] as for CreateSolutionVersion: the code for missing data is undocumented; it is a bad request.
    for dataset_type in sorted(use_case.needs):
        dataset = datasets.get(dataset_type)
        if dataset is None or not import_jobs.completed_imports(state, dataset, now):
            raise InvalidInputException(
                f"Cannot create a recommender for {use_case.arn}: dataset group {group.arn} has no imported "
                f"{dataset_type} data. Wait for a dataset import job to be ACTIVE."
            )
    interactions = select(import_jobs.interactions(state, datasets["INTERACTIONS"], now), use_case.event_type, None)
    return minimum_failure(interactions, use_case.event_type), interactions


@operation("CreateRecommender")
def create_recommender(state: RegionState, p: dict, now: float) -> dict:
    arn = state.arn(f"recommender/{p['name']}")
    state.ensure_new(state.recommenders, arn)
    group = state.get(state.dataset_groups, p["datasetGroupArn"])
    state.require_status(group, now, {ACTIVE}, "create a recommender in the dataset group")
    use_case = _use_case(p["recipeArn"], group)
    existing = sum(
        1 for r in state.recommenders.values() if r.dataset_group_arn == group.arn and r.status(now) not in DELETING
    )
    if existing >= state.quotas.recommenders_per_dataset_group:
        raise LimitExceededException(
            f"Cannot create a recommender. Dataset group {group.arn} already has {existing} recommenders; "
            f"the limit is {state.quotas.recommenders_per_dataset_group}."
        )
    failure, training = _training_data(state, group, use_case, now)
    items, users = metadata(state, state.group_datasets(group.arn), now)
    tags = state.tags(p.get("tags"))
    recommender = Recommender(
        arn=arn,
        name=p["name"],
        lifecycle=state.lifecycle("recommender", arn, now, failure),
        tags=tags,
        dataset_group_arn=group.arn,
        recipe_arn=p["recipeArn"],
        config=_config(p.get("recommenderConfig")),
        interactions=training,
        items=items,
        users=users,
    )
    state.recommenders[arn] = recommender
    state.observe(recommender, now)
    return {"recommenderArn": arn}


@operation("DescribeRecommender")
def describe_recommender(state: RegionState, p: dict, now: float) -> dict:
    return state.describe_resource(state.recommenders, p["recommenderArn"], now)


@operation("ListRecommenders")
def list_recommenders(state: RegionState, p: dict, now: float) -> dict:
    parent = p.get("datasetGroupArn")
    items = [r for r in state.recommenders.values() if parent is None or r.dataset_group_arn == parent]
    return state.page("ListRecommenders", items, p, parent, now)


@operation("UpdateRecommender")
def update_recommender(state: RegionState, p: dict, now: float) -> dict:
    recommender = state.get(state.recommenders, p["recommenderArn"])
    state.require_status(recommender, now, {ACTIVE}, "update the recommender")
    state.require_no_update(recommender, now, "update recommender")
    phase = state.update_phase(recommender, "recommender", now)
    recommender.update = RecommenderUpdate(
        config=_config(p["recommenderConfig"]),
        lifecycle=Lifecycle.create(now, phase, pending=UPDATE_PENDING, in_progress=UPDATE_IN_PROGRESS),
    )
    state.observe(recommender, now)
    return {"recommenderArn": recommender.arn}


def _switch(state: RegionState, recommender: Recommender, now: float, statuses: tuple[str, str, str]) -> None:
    phase = state.timeline.scaled(state.timeline.update["recommender"], f"{recommender.arn}#{statuses[0]}@{now}")
    recommender.lifecycle.branch(now, follow_up(now, phase, statuses))
    state.observe(recommender, now)


@operation("StopRecommender")
def stop_recommender(state: RegionState, p: dict, now: float) -> dict:
    recommender = state.get(state.recommenders, p["recommenderArn"])
    state.require_status(recommender, now, {ACTIVE}, "stop the recommender")
    state.require_no_update(recommender, now, "stop recommender")
    _switch(state, recommender, now, (STOP_PENDING, STOP_IN_PROGRESS, INACTIVE))
    return {"recommenderArn": recommender.arn}


@operation("StartRecommender")
def start_recommender(state: RegionState, p: dict, now: float) -> dict:
    recommender = state.get(state.recommenders, p["recommenderArn"])
    state.require_status(recommender, now, {INACTIVE}, "start the recommender")
    _switch(state, recommender, now, (START_PENDING, START_IN_PROGRESS, ACTIVE))
    return {"recommenderArn": recommender.arn}


@operation("DeleteRecommender")
def delete_recommender(state: RegionState, p: dict, now: float) -> dict:
    recommender = state.get(state.recommenders, p["recommenderArn"])
    state.require_status(recommender, now, RECOMMENDER_DELETABLE, "delete the recommender")
    state.require_no_update(recommender, now, "delete recommender")
    state.start_delete(recommender, "recommender", now)
    return {}
