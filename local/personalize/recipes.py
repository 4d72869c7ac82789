"""The recipes the emulator knows (personalize-facts.md §7) and what each one demands.

Only what changes the emulator's decisions is recorded: which datasets training needs, whether the
interaction minimums apply, whether ``trainingMode=UPDATE`` is allowed and whether a campaign can serve it.
"""

from __future__ import annotations

from dataclasses import dataclass

RECIPE_PREFIX = "arn:aws:personalize:::recipe/"


@dataclass(frozen=True)
class Recipe:
    name: str
    family: str
    #: Dataset types that must hold imported data before a solution version can be trained.
    needs: frozenset[str] = frozenset({"INTERACTIONS"})
    #: Whether the 1000-interactions / 25-users training minimums apply.
    interaction_minimums: bool = True
    #: trainingMode=UPDATE is documented only for User-Personalization (and the retired HRNN-Coldstart).
    incremental_training: bool = False
    #: USER_SEGMENTATION recipes serve batch segment jobs only, never a campaign.
    campaign: bool = True
    #: Legacy HRNN recipes are still listed in old samples but "no longer available".
    available: bool = True

    @property
    def arn(self) -> str:
        return RECIPE_PREFIX + self.name


_INTERACTIONS = frozenset({"INTERACTIONS"})

RECIPES: dict[str, Recipe] = {
    r.arn: r
    for r in (
        Recipe("aws-user-personalization-v2", "USER_PERSONALIZATION"),
        Recipe("aws-user-personalization", "USER_PERSONALIZATION", incremental_training=True),
        Recipe("aws-hrnn", "USER_PERSONALIZATION", available=False),
        Recipe("aws-hrnn-metadata", "USER_PERSONALIZATION", available=False),
        Recipe("aws-hrnn-coldstart", "USER_PERSONALIZATION", incremental_training=True, available=False),
        Recipe("aws-trending-now", "POPULAR_ITEMS"),
        Recipe("aws-popularity-count", "POPULAR_ITEMS"),
        Recipe("aws-personalized-ranking-v2", "PERSONALIZED_RANKING"),
        Recipe("aws-personalized-ranking", "PERSONALIZED_RANKING"),
        Recipe("aws-similar-items", "RELATED_ITEMS"),
        Recipe("aws-sims", "RELATED_ITEMS"),
        Recipe(
            "aws-semantic-similarity",
            "RELATED_ITEMS",
            needs=frozenset({"ITEMS"}),
            interaction_minimums=False,
        ),
        Recipe("aws-next-best-action", "PERSONALIZED_ACTIONS", needs=frozenset({"ACTIONS", "INTERACTIONS"})),
        Recipe("aws-item-affinity", "USER_SEGMENTATION", campaign=False),
        Recipe(
            "aws-item-attribute-affinity",
            "USER_SEGMENTATION",
            needs=frozenset({"INTERACTIONS", "ITEMS"}),
            campaign=False,
        ),
    )
}


@dataclass(frozen=True)
class UseCase:
    """A domain use case (a recipe for CreateRecommender only) and what training its recommender needs.

    From the ECOMMERCE and VIDEO_ON_DEMAND use-case pages of the Developer Guide: every use case needs the
    general minimums (1000 interactions, 25 users with 2 each); ``event_type`` is the EVENT_TYPE whose
    records must number at least 1000 ("Required event types: At minimum, 1000 View events"), None where
    the page asks for 1000 events of any type. ``needs`` are the datasets training requires.
    """

    name: str
    domain: str
    event_type: str | None
    needs: frozenset[str] = _INTERACTIONS

    @property
    def arn(self) -> str:
        return RECIPE_PREFIX + self.name


USE_CASES: dict[str, UseCase] = {
    u.arn: u
    for u in (
        UseCase("aws-ecomm-popular-items-by-views", "ECOMMERCE", "View"),
        UseCase("aws-ecomm-popular-items-by-purchases", "ECOMMERCE", "Purchase"),
        UseCase("aws-ecomm-frequently-bought-together", "ECOMMERCE", "Purchase"),
        UseCase("aws-ecomm-customers-who-viewed-x-also-viewed", "ECOMMERCE", "View"),
        UseCase("aws-ecomm-recommended-for-you", "ECOMMERCE", "View"),
        UseCase("aws-vod-because-you-watched-x", "VIDEO_ON_DEMAND", "Watch"),
        UseCase("aws-vod-more-like-x", "VIDEO_ON_DEMAND", None, frozenset({"INTERACTIONS", "ITEMS"})),
        UseCase("aws-vod-most-popular", "VIDEO_ON_DEMAND", "Watch"),
        # [I] the pages found ask for "1000 events" (any type) for these two, recommending Watch and Click.
        UseCase("aws-vod-trending-now", "VIDEO_ON_DEMAND", None),
        UseCase("aws-vod-top-picks", "VIDEO_ON_DEMAND", None),
    )
}

#: Domain use cases: valid recipe ARNs, but for CreateRecommender, not for CreateSolution.
DOMAIN_USE_CASES = frozenset(USE_CASES)

#: What performAutoML settles on: AutoML searched the HRNN family, which is retired, so the emulator
#: picks the recipe that replaced it.
AUTOML_RECIPE = RECIPE_PREFIX + "aws-user-personalization"
