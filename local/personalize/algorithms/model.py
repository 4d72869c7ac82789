"""The interface every trained model answers, and the top-N selection they share.

Ties are broken by id everywhere, so two models trained alike answer alike, item for item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from .data import Indexed

#: Scores are rounded as the service's are (7 decimals in the documented examples).
SCORE_DIGITS = 7


class Model:
    """A trained model. Subclasses provide the raw scores; this class selects, filters and formats.

    ``recommend`` answers for a user (``user_id``) or for an item (``item_id``, related items); items the
    user already interacted with are excluded, as the service does by default, and the item itself is
    excluded from its related items. ``allowed`` is the filter hook: an item it refuses is skipped and the
    next one fills its place. ``scored`` says whether the service returns scores for this recipe
    (it does not for SIMS, Similar-Items and Popularity-Count).
    """

    scored = True

    def __init__(self, recipe_name: str, family: str, indexed: Indexed) -> None:
        self.recipe_name = recipe_name
        self.family = family
        self.indexed = indexed
        # Rank of every item's id in sorted order: the tie-breaker of every ranking.
        self._id_rank = np.empty(len(indexed.items), dtype=np.int64)
        self._id_rank[np.argsort(np.array(indexed.items, dtype=object), kind="stable")] = np.arange(len(indexed.items))
        self._user_id_rank = np.empty(len(indexed.users), dtype=np.int64)
        self._user_id_rank[np.argsort(np.array(indexed.users, dtype=object), kind="stable")] = np.arange(
            len(indexed.users)
        )

    # --- what subclasses provide -----------------------------------------------------------------------

    def user_scores(self, user: int | None) -> np.ndarray:
        """Raw score of every item for a user index (None: a user the model has never seen)."""
        raise NotImplementedError

    def item_scores(self, item: int) -> np.ndarray:
        """Raw score of every item as related to the item of index ``item``."""
        raise NotImplementedError

    def user_affinity(self, item: int) -> np.ndarray:
        """Raw score of every user for the item of index ``item`` (segments)."""
        return np.asarray(self.indexed.counts[:, item].todense()).ravel()

    def present(self, raw: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """The scores shown for ``chosen`` indexes out of the raw scores of the whole catalogue."""
        total = raw.sum()
        return raw[chosen] / total if total > 0 else np.zeros(len(chosen))

    # --- the interface -----------------------------------------------------------------------------------

    def recommend(
        self,
        *,
        user_id: str | None = None,
        item_id: str | None = None,
        num_results: int = 25,
        allowed: Callable[[str], bool] | None = None,
    ) -> list[tuple[str, float]]:
        index = self.indexed
        if user_id is not None:
            user = index.user_index.get(user_id)
            raw = self.user_scores(user)
            excluded = (
                index.counts.indices[index.counts.indptr[user] : index.counts.indptr[user + 1]]
                if (user is not None)
                else np.empty(0, dtype=np.int64)
            )
        elif item_id is not None:
            item = index.item_index.get(item_id)
            raw = self.user_scores(None) if item is None else self.item_scores(item)
            excluded = np.array([item] if item is not None else [], dtype=np.int64)
        else:
            raise ValueError("recommend needs a user_id or an item_id")
        chosen = self._top(raw, excluded, num_results, allowed)
        return self._format(raw, chosen)

    def rank(self, user_id: str, items: Iterable[str]) -> list[tuple[str, float | None]]:
        """The given items in the user's order; items unknown to the model follow, in input order, without
        a score (None), as the service appends them."""
        index = self.indexed
        listed = list(dict.fromkeys(items))
        known = np.array([index.item_index[i] for i in listed if i in index.item_index], dtype=np.int64)
        unknown = [i for i in listed if i not in index.item_index]
        raw = self.user_scores(index.user_index.get(user_id))
        order = known[np.lexsort((self._id_rank[known], -raw[known]))] if len(known) else known
        shown = _softmax(raw[order]) if len(order) else order
        ranked: list[tuple[str, float | None]] = [
            (index.items[i], round(float(s), SCORE_DIGITS)) for i, s in zip(order, shown, strict=True)
        ]
        return ranked + [(i, None) for i in unknown]

    def users_for_item(self, item_id: str, num_results: int) -> list[tuple[str, float]]:
        """The users most likely to interact with the item, best first (an unknown item has none)."""
        return self.users_for_items([[item_id]], num_results)

    def users_for_items(self, groups: Sequence[Sequence[str]], num_results: int) -> list[tuple[str, float]]:
        """The users most likely to interact with items of every group: a user's score is the sum over the
        groups of their mean affinity to the group's items (Item-Attribute-Affinity's ``A AND B``); groups
        without a known item add nothing, and with no known item at all there is no segment."""
        index = self.indexed
        known = [[index.item_index[i] for i in group if i in index.item_index] for group in groups]
        known = [group for group in known if group]
        if not known or not index.users:
            return []
        raw = sum(np.mean([self.user_affinity(i) for i in group], axis=0) for group in known)
        order = np.lexsort((self._user_id_rank, -raw))[:num_results]
        shown = _softmax(raw[order]) if len(order) else order
        return [(index.users[u], round(float(s), SCORE_DIGITS)) for u, s in zip(order, shown, strict=True)]

    # --- shared selection ----------------------------------------------------------------------------------

    def _top(
        self, raw: np.ndarray, excluded: np.ndarray, num_results: int, allowed: Callable[[str], bool] | None
    ) -> np.ndarray:
        scores = raw.astype(np.float64, copy=True)
        scores[excluded] = -np.inf
        candidates = np.flatnonzero(scores > -np.inf)
        if allowed is None:
            return self._best(scores, candidates, num_results)[:num_results]
        # A filter refuses some items: walk the ranking in growing windows rather than sorting the whole
        # catalogue per request. Each window (ties at its edge included) is a prefix of the full order.
        chosen: list[int] = []
        walked, window = 0, max(4 * num_results, 64)
        while True:
            order = self._best(scores, candidates, window)
            for i in order[walked:]:
                if allowed(self.indexed.items[i]):
                    chosen.append(i)
                    if len(chosen) == num_results:
                        return np.array(chosen, dtype=np.int64)
            walked = len(order)
            if walked >= len(candidates):
                return np.array(chosen, dtype=np.int64)
            window *= 4

    def _best(self, scores: np.ndarray, candidates: np.ndarray, count: int) -> np.ndarray:
        """The candidates scoring at least the ``count``-th best (ties at the edge kept, so they still fall
        to the id order), best first, ties by id."""
        if len(candidates) > count:
            edge = np.partition(scores[candidates], len(candidates) - count)[len(candidates) - count]
            candidates = candidates[scores[candidates] >= edge]
        return candidates[np.lexsort((self._id_rank[candidates], -scores[candidates]))]

    def _format(self, raw: np.ndarray, chosen: np.ndarray) -> list[tuple[str, float]]:
        shown = self.present(raw, chosen)
        return [(self.indexed.items[i], round(float(s), SCORE_DIGITS)) for i, s in zip(chosen, shown, strict=True)]


def _softmax(values: np.ndarray) -> np.ndarray:
    shifted = np.exp(values - values.max())
    return shifted / shifted.sum()


def softmax_over(raw: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Scores that sum to 1 over the whole catalogue (User-Personalization's, facts §9), for ``chosen``."""
    shifted = np.exp(raw - raw.max())
    return shifted[chosen] / shifted.sum()
