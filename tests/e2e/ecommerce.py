"""A small ECOMMERCE Domain dataset group for the recommender runs: data that meets the use cases' minimums
and the params that deploy recommenders on it.

The Interactions have the domain's required EVENT_TYPE: 60 users x 40 events, alternately View and
Purchase, so each type has 1,200 records (the use cases need 1,000 of theirs) and every user has many.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

GROUP = "shop"
RECIPES = "arn:aws:personalize:::recipe/"
MOST_VIEWED = RECIPES + "aws-ecomm-popular-items-by-views"
RECOMMENDED_FOR_YOU = RECIPES + "aws-ecomm-recommended-for-you"
START = 1_767_225_600  # 2026-01-01


def write_data(root: Path, users: int = 60, per_user: int = 40, items: int = 90) -> Path:
    """Write ``Interactions/interactions.csv`` under ``root`` and return ``root``."""
    rows = ["USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP"]
    for user in range(users):
        for n in range(per_user):
            item = (user * 7 + n * n) % items
            event = "View" if n % 2 == 0 else "Purchase"
            rows.append(f"u{user:03d},i{item:03d},{event},{START + user * 1000 + n}")
    folder = root / "Interactions"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "interactions.csv").write_text("\n".join(rows) + "\n")
    return root


def params(recommenders: list[dict[str, Any]], tags: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The params of a Domain dataset group with an Interactions dataset and ``recommenders``, no solution;
    ``tags`` go on every section (the dataset group, the dataset, each recommender)."""
    document: dict[str, Any] = {
        "datasetGroup": {"name": GROUP, "domain": "ECOMMERCE"},
        "datasets": {
            "Interactions": {
                "name": f"{GROUP}-interactions",
                "schema": {
                    "type": "record",
                    "name": "Interactions",
                    "namespace": "com.amazonaws.personalize.schema",
                    "fields": [
                        {"name": "USER_ID", "type": "string"},
                        {"name": "ITEM_ID", "type": "string"},
                        {"name": "EVENT_TYPE", "type": "string"},
                        {"name": "TIMESTAMP", "type": "long"},
                    ],
                    "version": "1.0",
                },
            }
        },
        "recommenders": [dict(r) for r in recommenders],
    }
    if tags:
        for section in (document["datasetGroup"], document["datasets"]["Interactions"], *document["recommenders"]):
            section["tags"] = tags
    return document


def write_params(path: Path, recommenders: list[dict[str, Any]], tags: list[dict[str, str]] | None = None) -> Path:
    path.write_text(json.dumps(params(recommenders, tags), indent=1))
    return path
