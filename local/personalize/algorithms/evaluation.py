"""GetSolutionMetrics: the recipe's model, trained on the service's split, scored on the held-out users."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..training import HOLDOUT_USER_SHARE, TOP_K, score, split
from .data import TrainingData
from .train import train


def evaluate(
    recipe_name: str,
    data: TrainingData,
    *,
    catalogue: Iterable[str] = (),
    seed: int = 0,
    hyperparameters: Mapping[str, Any] | None = None,
    user_share: float = HOLDOUT_USER_SHARE,
) -> dict[str, float]:
    """The metrics of ``recipe_name``'s model on ``data``: train it without the held-out users' newest
    interactions, ask it for each held-out user's top 25 (minus what the user already interacted with, as
    served) and score those against the held-out items. ``catalogue`` is the Items dataset's item ids.

    Related-items recipes answer for an item, not a user: the held-out user's newest training interaction
    is the item asked about, as a "customers who viewed X" widget would ask.
    """
    training, held_out = split(data.interactions, seed=seed, user_share=user_share)
    model = train(
        recipe_name, TrainingData(training, data.items, data.users), seed=seed, hyperparameters=hyperparameters
    )
    recommendations = {
        user: [item for item, _ in model.recommend(user_id=user, num_results=TOP_K)] for user in held_out
    }
    items = {i.item for i in data.interactions} | set(catalogue)
    return score(recommendations, held_out, len(items))
