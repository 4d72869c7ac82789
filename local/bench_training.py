"""``make bench``, training part: how long the emulator's models take to train on 1 M interactions.

The interactions are the example generator's (``example/generate_data.py``: taste groups, Zipf popularity,
"also viewed" sequences) at 1,000,000 rows, 50,000 users and 20,000 items, so the figure is for data
shaped like the example's, not for uniform noise. Each recipe family is trained once, timed with a
monotonic clock around ``train`` alone (generating and parsing the rows is reported separately), and
GetSolutionMetrics' evaluation (training on the split plus scoring the held-out users) is timed for
User-Personalization. Nothing is hard-coded: the figures are what this machine measured.
"""

from __future__ import annotations

import os
import time
from typing import Any

from example import generate_data as gen
from local.personalize.algorithms import TrainingData, train
from local.personalize.algorithms.evaluation import evaluate
from local.personalize.training import Interaction

#: The issue's target: training on 1 M interactions in under 20 s on 2 cores.
TRAINING_TARGET_SECONDS = 20.0
RECIPES = ("aws-user-personalization", "aws-sims", "aws-popularity-count")


def interactions(rows: int = 1_000_000, users: int = 50_000, items: int = 20_000) -> list[Interaction]:
    """The generator's retail interactions at that size, parsed as the emulator holds them."""
    model = gen.Model(gen.Config(users=users, items=items, interactions=rows))
    parsed = []
    lines = model.interaction_lines()
    next(lines)  # the header
    for line in lines:
        user, item, stamp = line.rstrip("\n").split(",")
        parsed.append(Interaction(user, item, int(stamp)))
    return parsed


def training_figures(rows: int = 1_000_000) -> dict[str, Any]:
    started = time.monotonic()
    data = TrainingData(interactions(rows))
    figures: dict[str, Any] = {
        "interactions": len(data.interactions),
        "users": len({i.user for i in data.interactions}),
        "items": len({i.item for i in data.interactions}),
        "cpus": os.cpu_count(),
        "generateSeconds": round(time.monotonic() - started, 2),
        "trainSeconds": {},
    }
    for recipe in RECIPES:
        started = time.monotonic()
        train(recipe, data)
        figures["trainSeconds"][recipe] = round(time.monotonic() - started, 2)
    started = time.monotonic()
    metrics = evaluate("aws-user-personalization", data)
    figures["metricsSeconds"] = round(time.monotonic() - started, 2)
    figures["metrics"] = metrics
    figures["trainingTargetMet"] = max(figures["trainSeconds"].values()) < TRAINING_TARGET_SECONDS
    return figures


def print_training(figures: dict[str, Any]) -> None:
    print(
        f"\nTraining on {figures['interactions']:,} interactions ({figures['users']:,} users, "
        f"{figures['items']:,} items; {figures['cpus']} CPUs; rows generated and parsed in "
        f"{figures['generateSeconds']} s):"
    )
    for recipe, seconds in figures["trainSeconds"].items():
        print(f"  train {recipe:<32} {seconds:>7.2f} s")
    print(
        f"  GetSolutionMetrics (aws-user-personalization: train on the split + score the held-out users) "
        f"{figures['metricsSeconds']:.2f} s"
    )
    print("  metrics: " + ", ".join(f"{name} {value:.4f}" for name, value in sorted(figures["metrics"].items())))
    verdict = "met" if figures["trainingTargetMet"] else "MISSED"
    print(f"  training < {TRAINING_TARGET_SECONDS:.0f} s per recipe: {verdict}")


if __name__ == "__main__":
    print_training(training_figures())
