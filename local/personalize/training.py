"""Training minimums and offline metrics, computed from the imported interactions.

Nothing here is invented: the minimums are the documented ones (personalize-facts.md §6) and the metrics
are the documented definitions (§8) applied to a popularity baseline that is actually scored on a
held-out split of the data. A model trained on a few rows therefore shows poor metrics, and a change to
the example data moves the numbers, which is what a pipeline test wants to see.

The split: for every user with at least 2 interactions, the newest ``max(1, n // 10)`` interactions
(ties broken by import order) are held out as ground truth; everything else trains the baseline, which
recommends the most popular training items (ties by item id) the user has not interacted with yet.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

MIN_INTERACTIONS = 1000
MIN_USERS_WITH_TWO = 25
MIN_SHARE_WITH_TWO = 0.01
TOP_K = 25
CUTOFFS = (5, 10, 25)


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


def split(interactions: Sequence[Interaction]) -> tuple[list[Interaction], dict[str, list[str]]]:
    """(training interactions, held-out items per evaluated user)."""
    by_user: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for index, interaction in enumerate(interactions):
        by_user[interaction.user].append((interaction.timestamp, index))
    held_out_rows: set[int] = set()
    held_out: dict[str, list[str]] = {}
    for user, rows in by_user.items():
        if len(rows) < 2:
            continue
        rows.sort()
        newest = rows[-max(1, len(rows) // 10) :]
        held_out_rows.update(index for _, index in newest)
        held_out[user] = [interactions[index].item for _, index in newest]
    training = [i for index, i in enumerate(interactions) if index not in held_out_rows]
    return training, held_out


def _dcg(hits: Iterable[int]) -> float:
    return sum(1 / math.log2(1 + rank) for rank in hits)


def compute_metrics(interactions: Sequence[Interaction], catalogue: Iterable[str] = ()) -> dict[str, float]:
    """Score the popularity baseline on the held-out split; keys and definitions per facts §8.

    ``catalogue`` holds the item ids of the Items dataset; coverage divides by every item known from
    either dataset.
    """
    training, held_out = split(interactions)
    popularity = Counter(i.item for i in training)
    ranking = sorted(popularity, key=lambda item: (-popularity[item], item))
    seen: dict[str, set[str]] = defaultdict(set)
    for interaction in training:
        seen[interaction.user].add(interaction.item)

    recommended: set[str] = set()
    totals = {"mrr": 0.0, **{f"ndcg{k}": 0.0 for k in CUTOFFS}, **{f"p{k}": 0.0 for k in CUTOFFS}}
    for user, truth in held_out.items():
        relevant = set(truth)
        exclude = seen[user]
        recommendations: list[str] = []
        for item in ranking:
            if item not in exclude:
                recommendations.append(item)
                if len(recommendations) == TOP_K:
                    break
        recommended.update(recommendations)
        hits = [rank for rank, item in enumerate(recommendations, start=1) if item in relevant]
        if hits:
            totals["mrr"] += 1 / hits[0]
        for k in CUTOFFS:
            hits_at_k = [rank for rank in hits if rank <= k]
            ideal = _dcg(range(1, min(len(relevant), k) + 1))
            totals[f"ndcg{k}"] += _dcg(hits_at_k) / ideal
            totals[f"p{k}"] += len(hits_at_k) / k

    users = len(held_out) or 1
    items = {i.item for i in interactions} | set(catalogue)
    metrics = {
        "coverage": len(recommended) / len(items) if items else 0.0,
        "mean_reciprocal_rank_at_25": totals["mrr"] / users,
    }
    for k in CUTOFFS:
        metrics[f"normalized_discounted_cumulative_gain_at_{k}"] = totals[f"ndcg{k}"] / users
    for k in CUTOFFS:
        metrics[f"precision_at_{k}"] = totals[f"p{k}"] / users
    return {name: round(value, 4) for name, value in metrics.items()}
