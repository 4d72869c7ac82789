"""``train``: the model of a recipe (or of a recommender's use case), from its training data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .data import Indexed, TrainingData
from .families import (
    CooccurrenceModel,
    FactorizationModel,
    MetadataSimilarityModel,
    PopularityModel,
    TrendingModel,
)
from .model import Model

RECIPE_PREFIX = "arn:aws:personalize:::recipe/"

#: The model family of every recipe and domain use case the emulator knows.
FAMILIES: dict[str, str] = {
    "aws-user-personalization-v2": "factorization",
    "aws-user-personalization": "factorization",
    "aws-hrnn": "factorization",
    "aws-hrnn-metadata": "factorization",
    "aws-hrnn-coldstart": "factorization",
    "aws-personalized-ranking-v2": "factorization",
    "aws-personalized-ranking": "factorization",
    "aws-item-affinity": "factorization",
    "aws-item-attribute-affinity": "factorization",
    # [I] Next-Best-Action learns from the Actions datasets, which the emulator does not model: the
    # interactions' popularity stands in.
    "aws-next-best-action": "popularity",
    "aws-popularity-count": "popularity",
    "aws-trending-now": "trending",
    "aws-sims": "cooccurrence",
    "aws-similar-items": "cooccurrence",
    "aws-semantic-similarity": "metadata",
    # Domain use cases (recommenders): the family of the custom recipe that does the same job.
    "aws-ecomm-popular-items-by-views": "popularity",
    "aws-ecomm-popular-items-by-purchases": "popularity",
    "aws-vod-most-popular": "popularity",
    "aws-vod-trending-now": "trending",
    "aws-ecomm-frequently-bought-together": "cooccurrence",
    "aws-ecomm-customers-who-viewed-x-also-viewed": "cooccurrence",
    "aws-vod-because-you-watched-x": "cooccurrence",
    "aws-vod-more-like-x": "cooccurrence",
    "aws-ecomm-recommended-for-you": "factorization",
    "aws-vod-top-picks": "factorization",
}

#: What distinguishes recipes of one family: User-Personalization-v2 (and the recommenders built on it)
#: weighs a user's recent interactions more, the way its sequence model reads the order of events.
RECIPE_SETTINGS: dict[str, dict[str, float]] = {
    "aws-user-personalization-v2": {"recency_half_life": 5},
    "aws-personalized-ranking-v2": {"recency_half_life": 5},
    "aws-ecomm-recommended-for-you": {"recency_half_life": 5},
    "aws-vod-top-picks": {"recency_half_life": 5},
}

#: The algorithmHyperParameters of the service that mean something to the emulator's models.
HYPERPARAMETER_NAMES = {"hidden_dimension": "factors"}


def family_of(recipe: str) -> str:
    """The model family of a recipe or use case, by name or ARN."""
    return FAMILIES[recipe.removeprefix(RECIPE_PREFIX)]


def train(
    recipe_name: str, data: TrainingData, *, seed: int = 0, hyperparameters: Mapping[str, Any] | None = None
) -> Model:
    """Train the model of ``recipe_name`` (name or ARN) on ``data``; deterministic for a given input and seed.

    ``hyperparameters`` are the solution's algorithmHyperParameters (strings, as the service takes them);
    ``hidden_dimension`` sets the number of factors, the others do not apply to these models.
    """
    name = recipe_name.removeprefix(RECIPE_PREFIX)
    family = family_of(name)
    indexed = Indexed.build(data)
    if family == "factorization":
        settings = {**RECIPE_SETTINGS.get(name, {})}
        settings.update(
            (HYPERPARAMETER_NAMES[key], value)
            for key, value in (hyperparameters or {}).items()
            if key in HYPERPARAMETER_NAMES
        )
        return FactorizationModel(name, family, indexed, seed=seed, hyperparameters=settings)
    if family == "cooccurrence":
        return CooccurrenceModel(name, family, indexed)
    if family == "metadata":
        return MetadataSimilarityModel(name, family, indexed, data.items)
    if family == "trending":
        return TrendingModel(name, family, indexed)
    return PopularityModel(name, family, indexed)
