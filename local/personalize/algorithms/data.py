"""What a model trains on, and the integer indexes of its users and items."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..training import Interaction


@dataclass(frozen=True)
class TrainingData:
    """Interactions already selected by the solution's eventType / eventValueThreshold, plus metadata.

    ``items`` and ``users`` map ids to their Items / Users dataset records (empty when there is none).
    """

    interactions: Sequence[Interaction]
    items: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    users: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Indexed:
    """Users and items numbered in order of first appearance; the interaction counts as a sparse matrix.

    Items of the Items dataset that no interaction mentions are numbered after the others, so a model can
    name them (they score zero wherever the score comes from interactions).
    """

    users: list[str]
    items: list[str]
    user_index: dict[str, int]
    item_index: dict[str, int]
    #: users x items, number of interactions of the user with the item (float32, CSR).
    counts: sp.csr_matrix
    #: per user, the index of their newest interaction's item (-1 if none).
    latest_item: np.ndarray
    #: the interactions' timestamps, user and item indexes, in input order (for time-windowed counts and
    #: recency weights).
    timestamps: np.ndarray
    user_rows: np.ndarray
    item_rows: np.ndarray

    def newest_rank(self) -> np.ndarray:
        """Per interaction, how many of its user's interactions are newer (0 for the newest; import order on
        equal timestamps)."""
        n = len(self.timestamps)
        rank = np.empty(n, dtype=np.int64)
        if n == 0:
            return rank
        order = np.lexsort((np.arange(n), self.timestamps, self.user_rows))
        users = self.user_rows[order]
        starts = np.r_[0, np.flatnonzero(np.diff(users)) + 1]
        sizes = np.diff(np.r_[starts, n])
        group = np.repeat(np.arange(len(starts)), sizes)
        rank[order] = sizes[group] - 1 - (np.arange(n) - starts[group])
        return rank

    @classmethod
    def build(cls, data: TrainingData) -> Indexed:
        interactions = data.interactions
        n = len(interactions)
        # Column lists, then C-level lookups: a million interactions index in well under a second.
        user_ids = [i[0] for i in interactions]
        item_ids = [i[1] for i in interactions]
        user_index = {user: index for index, user in enumerate(dict.fromkeys(user_ids))}
        item_index = {item: index for index, item in enumerate(dict.fromkeys(item_ids))}
        user_rows = np.fromiter(map(user_index.__getitem__, user_ids), dtype=np.int32, count=n)
        item_rows = np.fromiter(map(item_index.__getitem__, item_ids), dtype=np.int32, count=n)
        timestamps = np.fromiter((i[2] for i in interactions), dtype=np.int64, count=n)
        for item in sorted(data.items):
            item_index.setdefault(item, len(item_index))
        shape = (len(user_index), len(item_index))
        counts = sp.csr_matrix((np.ones(n, dtype=np.float32), (user_rows, item_rows)), shape=shape)
        counts.sum_duplicates()
        latest_item = np.full(len(user_index), -1, dtype=np.int64)
        if n:
            # Stable sort by time: the last row of each user in that order is their newest (import order on ties).
            order = np.argsort(timestamps, kind="stable")
            latest_item[user_rows[order]] = item_rows[order]
        return cls(
            users=list(user_index),
            items=list(item_index),
            user_index=user_index,
            item_index=item_index,
            counts=counts,
            latest_item=latest_item,
            timestamps=timestamps,
            user_rows=user_rows,
            item_rows=item_rows,
        )
