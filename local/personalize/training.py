"""Training minimums, the evaluation split and the offline metric definitions.

Nothing here is invented: the minimums are the documented ones (personalize-facts.md §6), the split and
the metrics are the documented ones (§8). The model a metric scores is trained by
``algorithms.evaluation``: the version's own model, trained on the split's training part, so a model
trained on a few rows shows poor metrics and a better recipe shows better ones.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

MIN_INTERACTIONS = 1000
MIN_USERS_WITH_TWO = 25
MIN_SHARE_WITH_TWO = 0.01
TOP_K = 25
CUTOFFS = (5, 10, 25)
#: The service evaluates 10 % of the users (facts §8).
HOLDOUT_USER_SHARE = 0.1


class Interaction(NamedTuple):
    """One interaction record; a tuple, because training snapshots hold hundreds of thousands."""

    user: str
    item: str
    timestamp: int
    event_type: str | None = None
    event_value: float | None = None


def select(
    interactions: Iterable[Interaction], event_type: str | None, event_value_threshold: float | None
) -> list[Interaction]:
    """The interactions a solution trains on: its eventType only, at or above its value threshold."""
    chosen = []
    for interaction in interactions:
        if event_type is not None and interaction.event_type != event_type:
            continue
        if event_value_threshold is not None and (
            interaction.event_value is None or interaction.event_value < event_value_threshold
        ):
            continue
        chosen.append(interaction)
    return chosen


def minimum_failure(interactions: Sequence[Interaction], event_type: str | None) -> str | None:
    """The failureReason training ends with when the data is below the service minimums, else None."""
    if len(interactions) < MIN_INTERACTIONS:
        suffix = f" after filtering by event type: {event_type}" if event_type else ""
        return f"Create failed. Dataset has fewer than {MIN_INTERACTIONS} interactions{suffix}."
    per_user = Counter(i.user for i in interactions)
    with_two = sum(1 for count in per_user.values() if count >= 2)
    if with_two < MIN_USERS_WITH_TWO:
        return f"Create failed. Dataset has fewer than {MIN_USERS_WITH_TWO} users with at least 2 interactions each."
    if with_two < MIN_SHARE_WITH_TWO * len(per_user):
        return "Create failed. Fewer than 1% of the users in the dataset have at least 2 interactions each."
    return None


def split(
    interactions: Sequence[Interaction], *, seed: int = 0, user_share: float = HOLDOUT_USER_SHARE
) -> tuple[list[Interaction], dict[str, list[str]]]:
    """(training interactions, held-out items per evaluated user), as the service splits (facts §8).

    ``user_share`` of the users with at least 2 interactions (at least one user) are held out, chosen by a
    seeded hash of their id; each keeps its oldest interactions in training (the input the model knows
    them by) and its newest ``max(1, n // 10)`` (ties broken by import order) are the ground truth.
    """
    by_user: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for index, interaction in enumerate(interactions):
        by_user[interaction.user].append((interaction.timestamp, index))
    eligible = sorted(
        (user for user, rows in by_user.items() if len(rows) >= 2),
        key=lambda user: (hashlib.sha256(f"{seed}/{user}".encode()).digest(), user),
    )
    evaluated = eligible[: math.ceil(user_share * len(eligible))]
    held_out_rows: set[int] = set()
    held_out: dict[str, list[str]] = {}
    for user in sorted(evaluated):
        rows = sorted(by_user[user])
        newest = rows[-max(1, len(rows) // 10) :]
        held_out_rows.update(index for _, index in newest)
        held_out[user] = [interactions[index].item for _, index in newest]
    training = [i for index, i in enumerate(interactions) if index not in held_out_rows]
    return training, held_out


def _dcg(hits: Iterable[int]) -> float:
    return sum(1 / math.log2(1 + rank) for rank in hits)


def score(
    recommendations: Mapping[str, Sequence[str]], held_out: Mapping[str, Sequence[str]], items: int
) -> dict[str, float]:
    """The documented metrics (facts §8) of top-25 ``recommendations`` per evaluated user against their
    ``held_out`` items; ``items`` is the number of unique items of the Interactions and Items datasets.

    NDCG@K weighs a hit at rank r by 1/log2(1 + r) and divides by the ideal DCG of min(relevant, K) hits;
    precision@K is hits in the top K over K; MRR@25 is 1/rank of the first hit; coverage is the unique
    recommended items over ``items``. Each is averaged over the evaluated users, rounded to 4 decimals.
    """
    recommended: set[str] = set()
    totals = {"mrr": 0.0, **{f"ndcg{k}": 0.0 for k in CUTOFFS}, **{f"p{k}": 0.0 for k in CUTOFFS}}
    for user, truth in held_out.items():
        relevant = set(truth)
        top = list(recommendations.get(user, ()))[:TOP_K]
        recommended.update(top)
        hits = [rank for rank, item in enumerate(top, start=1) if item in relevant]
        if hits:
            totals["mrr"] += 1 / hits[0]
        for k in CUTOFFS:
            hits_at_k = [rank for rank in hits if rank <= k]
            ideal = _dcg(range(1, min(len(relevant), k) + 1))
            totals[f"ndcg{k}"] += _dcg(hits_at_k) / ideal
            totals[f"p{k}"] += len(hits_at_k) / k

    users = len(held_out) or 1
    metrics = {
        "coverage": len(recommended) / items if items else 0.0,
        "mean_reciprocal_rank_at_25": totals["mrr"] / users,
    }
    for k in CUTOFFS:
        metrics[f"normalized_discounted_cumulative_gain_at_{k}"] = totals[f"ndcg{k}"] / users
    for k in CUTOFFS:
        metrics[f"precision_at_{k}"] = totals[f"p{k}"] / users
    return {name: round(value, 4) for name, value in metrics.items()}
