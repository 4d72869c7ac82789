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

#: Domain use cases: valid recipe ARNs, but for CreateRecommender, not for CreateSolution.
DOMAIN_USE_CASES = frozenset(
    RECIPE_PREFIX + name
    for name in (
        "aws-ecomm-recommended-for-you",
        "aws-ecomm-popular-items-by-views",
        "aws-ecomm-popular-items-by-purchases",
        "aws-ecomm-frequently-bought-together",
        "aws-ecomm-customers-who-viewed-x-also-viewed",
        "aws-vod-top-picks",
        "aws-vod-because-you-watched-x",
        "aws-vod-more-like-x",
        "aws-vod-most-popular",
        "aws-vod-trending-now",
    )
)

#: What performAutoML settles on: AutoML searched the HRNN family, which is retired, so the emulator
#: picks the recipe that replaced it.
AUTOML_RECIPE = RECIPE_PREFIX + "aws-user-personalization"
