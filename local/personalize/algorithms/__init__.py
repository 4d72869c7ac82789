"""Models the emulator trains when a solution version or a recommender trains, one per recipe family.

Pure (no moto, no boto3): a model is trained from a ``TrainingData`` and answers ``recommend`` (a user's
or an item's top items), ``rank`` (a user's order of given items) and ``users_for_item`` (segments).

- user-personalization (v1, v2), personalized-ranking (v1, v2), item-affinity, item-attribute-affinity:
  matrix factorisation for implicit feedback (ALS, from the ``implicit`` library);
- SIMS, similar-items, semantic-similarity: item-item co-occurrence similarity (cosine);
- popularity-count: interaction counts; trending-now: counts of the latest part of the time span.

Training is deterministic for a given input and seed (ALS is seeded, every tie is broken by id).
"""

from __future__ import annotations

from .data import TrainingData
from .model import Model
from .train import FAMILIES, family_of, train

__all__ = ["FAMILIES", "Model", "TrainingData", "family_of", "train"]
