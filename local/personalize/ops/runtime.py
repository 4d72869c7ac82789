"""personalize-runtime: GetRecommendations and GetPersonalizedRanking, answered by the model the campaign's
solution version (or the recommender) trained, filtered on the dataset group's live data.

What a request must carry follows the recipe type behind the campaign (GetRecommendations reference,
personalize-facts.md §7, §9): USER_PERSONALIZATION needs userId (itemId is not used); RELATED_ITEMS needs
itemId (userId only feeds filters); POPULAR_ITEMS needs neither; PERSONALIZED_RANKING campaigns answer
GetPersonalizedRanking only. A recommender's use case maps to the same types through its model family.

Errors (the runtime models InvalidInputException, 400, and ResourceNotFoundException, 404):
- an ARN of another kind in campaignArn: ``The given campaign ARN is invalid: <arn>`` (the service's text);
- a campaign, recommender or filter that does not exist: ResourceNotFoundException;
- a campaign or recommender that is not ACTIVE, a filter that is not ACTIVE or belongs to another dataset
  group, a missing userId/itemId, metadataColumns without enableMetadataWithRecommendations, numResults or
  inputList over the maximum (500, or 50 with metadata): InvalidInputException [I: the texts are the
  emulator's; which code a non-ACTIVE resource gets is undocumented, a request that cannot be served now is
  taken as a bad input].
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInputException, ResourceNotFoundException
from ..filtering import GroupData, ItemFilter
from ..recipes import RECIPES
from ..timeline import ACTIVE
from . import filters, import_jobs
from .registry import operation

if TYPE_CHECKING:
    from ..algorithms import Model
    from ..models import RegionState

MAX_RESULTS = 500
MAX_RESULTS_WITH_METADATA = 50
#: "You can specify up to 10 columns" (Getting item metadata with recommendations).
MAX_METADATA_COLUMNS = 10
#: A recommender's use case answers like the custom recipe type of its model family.
_FAMILY_TYPES = {
    "factorization": "USER_PERSONALIZATION",
    "cooccurrence": "RELATED_ITEMS",
    "metadata": "RELATED_ITEMS",
    "popularity": "POPULAR_ITEMS",
    "trending": "POPULAR_ITEMS",
}
_EXPRESSION_NAMES = {"INTERACTIONS": "Interactions", "ITEMS": "Items", "USERS": "Users"}


@dataclass(frozen=True)
class Served:
    """What answers a request: the model, the recipe type, the dataset group and the deployment's config."""

    arn: str
    model: Model
    recipe_type: str
    group_arn: str
    metadata_enabled: bool


def _campaign(state: RegionState, arn: str, now: float) -> Served:
    if ":campaign/" not in arn:
        raise InvalidInputException(f"The given campaign ARN is invalid: {arn}")
    campaign = state.campaigns.get(arn)
    if campaign is None or campaign.status(now) is None:
        raise ResourceNotFoundException(arn)
    status = campaign.status(now)
    if status != ACTIVE:
        raise InvalidInputException(f"Campaign {arn} is {status}; it serves recommendations only when ACTIVE.")
    settings = campaign.current(now)
    version = state.versions[settings.solution_version_arn]
    return Served(
        arn=arn,
        model=version.model(),
        recipe_type=RECIPES[version.solution.recipe_arn].family,
        group_arn=campaign.dataset_group_arn,
        metadata_enabled=bool(settings.config.get("enableMetadataWithRecommendations")),
    )


def _recommender(state: RegionState, arn: str, now: float) -> Served:
    from ..algorithms import family_of

    if ":recommender/" not in arn:
        raise InvalidInputException(f"The given recommender ARN is invalid: {arn}")
    recommender = state.recommenders.get(arn)
    if recommender is None or recommender.status(now) is None:
        raise ResourceNotFoundException(arn)
    status = recommender.status(now)
    if status != ACTIVE:
        raise InvalidInputException(f"Recommender {arn} is {status}; it serves recommendations only when ACTIVE.")
    return Served(
        arn=arn,
        model=recommender.model(),
        recipe_type=_FAMILY_TYPES[family_of(recommender.recipe_arn)],
        group_arn=recommender.dataset_group_arn,
        metadata_enabled=bool(recommender.current_config(now).get("enableMetadataWithRecommendations")),
    )


@functools.lru_cache(maxsize=256)
def _parsed(expression: str) -> Any:
    return filters.expressions().parse(expression)


def group_data(state: RegionState, group_arn: str, now: float) -> GroupData:
    """The group's Items, Users and Interactions data as filters read it, rebuilt only when it changed."""
    datasets = {
        kind: d for kind, d in state.group_datasets(group_arn).items() if kind in _EXPRESSION_NAMES and d.status(now)
    }
    version = tuple(
        (
            kind,
            dataset.arn,
            dataset.schema_arn(now),
            tuple(job.arn for job in import_jobs.completed_imports(state, dataset, now)),
            sum(1 for e in state.events.get(dataset.arn, ()) if dataset.created <= e.recorded_at <= now),
        )
        for kind, dataset in sorted(datasets.items())
    )
    cached = state.filter_data.get(group_arn)
    if cached is not None and cached[0] == version:
        return cached[1]
    records = {
        kind: import_jobs.records(state, datasets[kind], now) if kind in datasets else [] for kind in ("ITEMS", "USERS")
    }
    categorical = frozenset(
        (_EXPRESSION_NAMES[kind], field.name)
        for kind, dataset in datasets.items()
        for field in state.schemas[dataset.schema_arn(now)].parsed.fields
        if field.categorical
    )
    interactions = import_jobs.interactions(state, datasets["INTERACTIONS"], now) if "INTERACTIONS" in datasets else []
    data = GroupData.build(
        {str(r["ITEM_ID"]): r for r in records["ITEMS"]},
        {str(r["USER_ID"]): r for r in records["USERS"]},
        categorical,
        interactions,
    )
    state.filter_data[group_arn] = (version, data)
    return data


def _filter(state: RegionState, p: dict, served: Served, now: float) -> Callable[[str], bool] | None:
    arn = p.get("filterArn")
    if arn is None:
        if p.get("filterValues"):
            raise InvalidInputException("filterValues needs a filterArn: there is no filter to apply them to.")
        return None
    found = state.filters.get(arn)
    if found is None or found.status(now) is None:
        raise ResourceNotFoundException(arn)
    if found.status(now) != ACTIVE:
        raise InvalidInputException(f"Filter {arn} is {found.status(now)}; a filter must be ACTIVE to be used.")
    if found.dataset_group_arn != served.group_arn:
        raise InvalidInputException(
            f"Filter {arn} belongs to dataset group {found.dataset_group_arn}, but {served.arn} serves dataset "
            f"group {served.group_arn}."
        )
    data = group_data(state, served.group_arn, now)
    return ItemFilter(_parsed(found.expression), arn, p.get("filterValues") or {}, data, p.get("userId")).allows


def _metadata_columns(state: RegionState, p: dict, served: Served, now: float) -> list[str]:
    requested = p.get("metadataColumns")
    if not requested:
        return []
    if not served.metadata_enabled:
        raise InvalidInputException(
            f"{served.arn} was not deployed with enableMetadataWithRecommendations: it cannot return metadataColumns."
        )
    unknown = sorted(set(requested) - {"ITEMS"})
    if unknown:
        raise InvalidInputException(f"metadataColumns keys must be ITEMS; got {', '.join(unknown)}.")
    columns = list(requested.get("ITEMS") or [])
    if len(columns) > MAX_METADATA_COLUMNS:
        raise InvalidInputException(f"metadataColumns.ITEMS lists {len(columns)} columns; at most 10 are allowed.")
    dataset = state.group_datasets(served.group_arn).get("ITEMS")
    known = set(state.schemas[dataset.schema_arn(now)].parsed.names) if dataset is not None else set()
    missing = [c for c in columns if c not in known]
    if missing:
        raise InvalidInputException(
            f"metadataColumns.ITEMS names {', '.join(missing)}, which the Items dataset of dataset group "
            f"{served.group_arn} does not have."
        )
    return columns


def _entries(
    state: RegionState, served: Served, ranked: list[tuple[str, float | None]], columns: list[str], now: float
) -> list[dict[str, Any]]:
    items = group_data(state, served.group_arn, now).items if columns else {}
    entries = []
    for item, score in ranked:
        entry: dict[str, Any] = {"itemId": item, "score": score if served.model.scored else None}
        if columns:
            record = items.get(item) or {}
            entry["metadata"] = {c: str(record[c]) for c in columns if record.get(c) is not None}
        entries.append(entry)
    return entries


def _recommendation_id(state: RegionState, arn: str) -> str:
    """``RID-<uuid>`` like the service's, derived from a count so a run answers the same ids every time."""
    state.recommendations_served += 1
    digest = hashlib.sha256(f"{arn}#{state.recommendations_served}".encode()).digest()
    return f"RID-{uuid.UUID(bytes=digest[:16], version=4)}"


def _limit(count: int, columns: list[str], what: str) -> None:
    limit = MAX_RESULTS_WITH_METADATA if columns else MAX_RESULTS
    if count > limit:
        extra = " when metadataColumns are requested" if columns else ""
        raise InvalidInputException(f"{what} is {count}; the maximum is {limit}{extra}.")


@operation("GetRecommendations")
def get_recommendations(state: RegionState, p: dict, now: float) -> dict:
    campaign_arn, recommender_arn = p.get("campaignArn"), p.get("recommenderArn")
    if bool(campaign_arn) == bool(recommender_arn):
        raise InvalidInputException("Provide exactly one of campaignArn and recommenderArn.")
    if p.get("promotions"):
        raise InvalidInputException("promotions are not implemented by the local Personalize emulator.")
    served = _campaign(state, campaign_arn, now) if campaign_arn else _recommender(state, recommender_arn, now)
    if served.recipe_type == "PERSONALIZED_RANKING":
        raise InvalidInputException(
            f"{served.arn} uses a PERSONALIZED_RANKING recipe: call GetPersonalizedRanking to rank items for a user."
        )
    if served.recipe_type not in ("USER_PERSONALIZATION", "RELATED_ITEMS", "POPULAR_ITEMS"):
        raise InvalidInputException(
            f"{served.arn} uses a {served.recipe_type} recipe, which GetRecommendations does not serve."
        )
    user_id, item_id = p.get("userId"), p.get("itemId")
    if served.recipe_type == "USER_PERSONALIZATION" and not user_id:
        raise InvalidInputException(f"userId is required: {served.arn} uses a USER_PERSONALIZATION recipe.")
    if served.recipe_type == "RELATED_ITEMS" and not item_id:
        raise InvalidInputException(f"itemId is required: {served.arn} uses a RELATED_ITEMS recipe.")
    columns = _metadata_columns(state, p, served, now)
    num = p.get("numResults", 25)
    _limit(num, columns, "numResults")
    allowed = _filter(state, p, served, now)
    if served.recipe_type == "RELATED_ITEMS":
        ranked = served.model.recommend(item_id=item_id, num_results=num, allowed=allowed)
    elif served.recipe_type == "USER_PERSONALIZATION" or user_id:
        ranked = served.model.recommend(user_id=user_id, num_results=num, allowed=allowed)
    else:  # POPULAR_ITEMS without a user: the same list for everyone
        ranked = served.model.recommend(user_id="", num_results=num, allowed=allowed)
    return {
        "itemList": _entries(state, served, ranked, columns, now),
        "recommendationId": _recommendation_id(state, served.arn),
    }


@operation("GetPersonalizedRanking")
def get_personalized_ranking(state: RegionState, p: dict, now: float) -> dict:
    served = _campaign(state, p["campaignArn"], now)
    if served.recipe_type != "PERSONALIZED_RANKING":
        raise InvalidInputException(
            f"{served.arn} uses a {served.recipe_type} recipe; GetPersonalizedRanking needs a campaign of a "
            "PERSONALIZED_RANKING recipe."
        )
    columns = _metadata_columns(state, p, served, now)
    _limit(len(p["inputList"]), columns, "The length of inputList")
    allowed = _filter(state, p, served, now)
    items = [item for item in p["inputList"] if allowed is None or allowed(item)]
    ranked = served.model.rank(p["userId"], items)
    return {
        "personalizedRanking": _entries(state, served, ranked, columns, now),
        "recommendationId": _recommendation_id(state, served.arn),
    }
