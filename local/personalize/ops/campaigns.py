"""Campaigns: deploying an ACTIVE solution version, the per-group quota, updates, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import InvalidInputException, ResourceInUseException
from ..recipes import RECIPES
from ..resources import Campaign, CampaignSettings, CampaignUpdate, SolutionVersion
from ..timeline import (
    ACTIVE,
    CREATE_FAILED,
    CREATE_IN_PROGRESS,
    CREATE_PENDING,
    DELETABLE,
    IN_FLIGHT,
    Lifecycle,
    follow_up,
)
from .registry import operation

if TYPE_CHECKING:
    from ..models import RegionState


def _servable_version(state: RegionState, arn: str, now: float, sync: bool) -> SolutionVersion:
    """Resolve ``arn`` (a version or ``<solutionArn>/$LATEST``) to an ACTIVE version a campaign can use."""
    latest = arn.endswith("/$LATEST")
    if sync and not latest:
        raise InvalidInputException(
            "syncWithLatestSolutionVersion needs solutionVersionArn in the form <solutionArn>/$LATEST."
        )
    if latest:
        solution = state.get(state.solutions, arn.removesuffix("/$LATEST"))
        active = [v for v in state.versions.values() if v.solution is solution and v.status(now) == ACTIVE]
        if not active:
            raise ResourceInUseException(f"Solution {solution.arn} has no ACTIVE solution version to deploy.")
        version = max(active, key=lambda v: (v.created, v.arn))
    else:
        version = state.get(state.versions, arn)
    state.require_status(version, now, {ACTIVE}, "deploy the solution version")
    if not RECIPES[version.solution.recipe_arn].campaign:
        raise InvalidInputException(
            f"Solution version {version.arn} uses {version.solution.recipe_arn}, which serves batch segment "
            "jobs only and cannot be deployed in a campaign."
        )
    return version


def _campaign_config(version: SolutionVersion, raw: dict | None) -> dict[str, Any]:
    config = dict(raw or {})
    if version.solution.recipe_arn.endswith("/aws-user-personalization"):
        exploration = {"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"}
        exploration.update(config.get("itemExplorationConfig") or {})
        config["itemExplorationConfig"] = exploration
    return config


@operation("CreateCampaign")
def create_campaign(state: RegionState, p: dict, now: float) -> dict:
    arn = state.arn(f"campaign/{p['name']}")
    state.ensure_new(state.campaigns, arn)
    config = p.get("campaignConfig") or {}
    version = _servable_version(state, p["solutionVersionArn"], now, bool(config.get("syncWithLatestSolutionVersion")))
    group_arn = version.solution.dataset_group_arn
    # Campaigns on their way to ACTIVE count too, or six created at once would all slip through.
    alive = sum(
        1
        for c in state.campaigns.values()
        if c.dataset_group_arn == group_arn and c.status(now) in {ACTIVE, *IN_FLIGHT}
    )
    state.check_quota(alive, state.quotas.active_campaigns_per_dataset_group, "campaign")
    state.create_resource(
        state.campaigns,
        Campaign,
        "campaign",
        arn,
        p,
        now,
        dataset_group_arn=group_arn,
        settings=CampaignSettings(
            solution_version_arn=version.arn,
            min_provisioned_tps=p.get("minProvisionedTPS") or 1,
            config=_campaign_config(version, config),
        ),
    )
    return {"campaignArn": arn}


@operation("DescribeCampaign")
def describe_campaign(state: RegionState, p: dict, now: float) -> dict:
    return state.describe_resource(state.campaigns, p["campaignArn"], now)


@operation("ListCampaigns")
def list_campaigns(state: RegionState, p: dict, now: float) -> dict:
    parent = p.get("solutionArn")
    items = [c for c in state.campaigns.values() if parent is None or c.solution_arn(now) == parent]
    return state.page("ListCampaigns", items, p, parent, now)


@operation("UpdateCampaign")
def update_campaign(state: RegionState, p: dict, now: float) -> dict:
    campaign = state.get(state.campaigns, p["campaignArn"])
    status = state.require_status(campaign, now, {ACTIVE, CREATE_FAILED}, "update the campaign")
    state.require_no_update(campaign, now, "update campaign")
    current = campaign.current(now)
    config = p.get("campaignConfig")
    sync = bool((config if config is not None else current.config).get("syncWithLatestSolutionVersion"))
    if p.get("solutionVersionArn"):
        version = _servable_version(state, p["solutionVersionArn"], now, sync)
    else:
        version = state.get(state.versions, current.solution_version_arn)
    settings = CampaignSettings(
        solution_version_arn=version.arn,
        min_provisioned_tps=p.get("minProvisionedTPS") or current.min_provisioned_tps,
        config=_campaign_config(version, config) if config is not None else dict(current.config),
    )
    phase = state.update_phase(campaign, "campaign", now)
    campaign.update = CampaignUpdate(settings=settings, lifecycle=Lifecycle.create(now, phase))
    if status == CREATE_FAILED:
        # [I] a failed campaign is redeployed by the update, so its own status follows the update.
        campaign.lifecycle.branch(now, follow_up(now, phase, (CREATE_PENDING, CREATE_IN_PROGRESS, ACTIVE)))
    state.observe(campaign, now)
    return {"campaignArn": campaign.arn}


@operation("DeleteCampaign")
def delete_campaign(state: RegionState, p: dict, now: float) -> dict:
    campaign = state.get(state.campaigns, p["campaignArn"])
    state.require_status(campaign, now, DELETABLE, "delete the campaign")
    state.require_no_update(campaign, now, "delete campaign")
    state.start_delete(campaign, "campaign", now)
    return {}
