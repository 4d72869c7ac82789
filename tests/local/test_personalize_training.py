"""Training minimums computed on the imported data, and offline metrics computed, not invented."""

from __future__ import annotations

from local.personalize.algorithms import TrainingData
from local.personalize.algorithms.evaluation import evaluate
from local.personalize.testing import Sandbox, avro, interactions
from local.personalize.training import Interaction, minimum_failure, score, split

HEADER = ("USER_ID", "ITEM_ID", "TIMESTAMP")
METRIC_KEYS = {
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
}


def train_on(box: Sandbox, rows: list[tuple], header: tuple[str, ...] = HEADER, schema: str | None = None, **solution):
    """Import ``rows`` into a fresh group's Interactions dataset, then train one version to its end."""
    group = box.dataset_group("dg")
    dataset = box.dataset(group, "Interactions", schema) if schema else box.dataset(group)
    job = box.import_job(dataset, box.put_csv("data.csv", header, rows), "load")
    assert job["status"] == "ACTIVE", job.get("failureReason")
    solution_arn = box.solution(group, "sol", **solution)
    return box.version(solution_arn)


# --- minimums through the API ------------------------------------------------------------------------


def test_solution_version_enough_data_active(box: Sandbox) -> None:
    # GIVEN 1200 interactions from 40 users with 30 each
    # WHEN trained
    version = train_on(box, interactions())

    # THEN ACTIVE
    assert version["status"] == "ACTIVE"
    assert "failureReason" not in version


def test_solution_version_fewer_than_25_users_with_two_interactions_create_failed(box: Sandbox) -> None:
    # GIVEN 1000 interactions, but only from 20 users
    rows = interactions(users=20, per_user=50)

    # WHEN trained
    version = train_on(box, rows)

    # THEN the documented failure, after the training time
    assert version["status"] == "CREATE FAILED"
    assert (
        version["failureReason"] == "Create failed. Dataset has fewer than 25 users with at least 2 interactions each."
    )


def test_solution_version_under_one_percent_of_users_with_two_interactions_create_failed(box: Sandbox) -> None:
    # GIVEN 25 users with 2 interactions and 3000 users with one (25 / 3025 < 1 %)
    rows = interactions(users=25, per_user=2) + [(f"single{n}", "item1", 1_800_000_000 + n) for n in range(3000)]

    # WHEN trained
    version = train_on(box, rows)

    # THEN the current quota page's 1 % rule fails it
    assert version["status"] == "CREATE FAILED"
    assert "1%" in version["failureReason"]


def test_solution_version_event_type_filter_leaves_under_1000_create_failed(box: Sandbox) -> None:
    # GIVEN 1200 interactions, half of them purchases
    schema = avro(
        "Interactions",
        [
            {"name": "USER_ID", "type": "string"},
            {"name": "ITEM_ID", "type": "string"},
            {"name": "TIMESTAMP", "type": "long"},
            {"name": "EVENT_TYPE", "type": "string"},
        ],
    )
    rows = [(*row, "purchase" if n % 2 else "click") for n, row in enumerate(interactions())]

    # WHEN a solution trains on purchases only
    version = train_on(box, rows, (*HEADER, "EVENT_TYPE"), schema, eventType="purchase")

    # THEN fewer than 1000 remain after filtering
    assert version["status"] == "CREATE FAILED"
    assert version["failureReason"] == (
        "Create failed. Dataset has fewer than 1000 interactions after filtering by event type: purchase."
    )


def test_solution_version_counts_full_and_incremental_imports_together(box: Sandbox) -> None:
    # GIVEN a FULL import of 1200 interactions from 20 users, then an INCREMENTAL one from 10 more users
    group = box.dataset_group("dg")
    dataset = box.dataset(group)
    box.import_job(dataset, box.put_csv("a.csv", HEADER, interactions(users=20, per_user=60)), "full")
    more = [(f"late{u}", f"item{n}", 1_900_000_000 + n) for u in range(10) for n in range(100)]
    box.import_job(dataset, box.put_csv("b.csv", HEADER, more), "inc", importMode="INCREMENTAL")

    # WHEN trained
    version = box.version(box.solution(group, "sol"))

    # THEN 30 users with 2+ interactions: the minimum is met only with both imports
    assert version["status"] == "ACTIVE"


def test_get_solution_metrics_returns_metrics_computed_on_the_imported_data(box: Sandbox) -> None:
    # GIVEN a version trained on known data
    rows = interactions()
    version = train_on(box, rows)

    # WHEN its metrics are requested
    metrics = box.personalize.get_solution_metrics(solutionVersionArn=version["solutionVersionArn"])

    # THEN they are the documented keys, equal to scoring the solution's recipe on exactly that data
    expected = evaluate("aws-user-personalization", TrainingData([Interaction(u, i, t) for u, i, t in rows]))
    assert metrics["solutionVersionArn"] == version["solutionVersionArn"]
    assert set(metrics["metrics"]) == METRIC_KEYS
    assert metrics["metrics"] == expected


def test_get_solution_metrics_items_dataset_widens_coverage_denominator(box: Sandbox) -> None:
    # GIVEN interactions plus an Items dataset listing 40 items never interacted with
    from local.personalize.testing import ITEMS_SCHEMA

    rows = interactions()
    group = box.dataset_group("dg")
    box.import_job(box.dataset(group), box.put_csv("i.csv", HEADER, rows), "load")
    catalogue = [(f"item{n}", "Drama", 1.0) for n in range(100)]
    box.import_job(
        box.dataset(group, "Items", ITEMS_SCHEMA),
        box.put_csv("items.csv", ("ITEM_ID", "GENRES", "PRICE"), catalogue),
        "items",
    )
    version = box.version(box.solution(group, "sol"))

    # WHEN metrics are requested
    metrics = box.personalize.get_solution_metrics(solutionVersionArn=version["solutionVersionArn"])["metrics"]

    # THEN coverage divides by the items of both datasets
    records = {item: {"ITEM_ID": item, "GENRES": genres, "PRICE": price} for item, genres, price in catalogue}
    data = TrainingData([Interaction(u, i, t) for u, i, t in rows], items=records)
    expected = evaluate("aws-user-personalization", data, catalogue=records)
    assert metrics["coverage"] == expected["coverage"]
    assert metrics["coverage"] < evaluate("aws-user-personalization", data)["coverage"]


# --- the metric definitions on hand-computable data --------------------------------------------------


def test_evaluate_popularity_documented_ndcg_example_hits_at_ranks_2_and_5() -> None:
    # GIVEN one evaluated user U with 20 interactions: 18 old ones on items only U saw, then r2 and r5;
    # and single-interaction users (never evaluated) making x1 > r2 > x3 > x4 > r5 the popularity order
    data = [Interaction("U", f"s{n:02d}", n) for n in range(1, 19)]
    data += [Interaction("U", "r2", 19), Interaction("U", "r5", 20)]
    for item, count in (("x1", 9), ("r2", 8), ("x3", 7), ("x4", 6), ("r5", 5)):
        data += [Interaction(f"{item}-fan{n}", item, 0) for n in range(count)]

    # WHEN the popularity model is scored (U is the only user that can be held out)
    metrics = evaluate("aws-popularity-count", TrainingData(data))

    # THEN U's held-out items sit at ranks 2 and 5: the worked example of the docs (NDCG@5 = 0.6241)
    assert metrics == {
        "coverage": round(5 / 23, 4),
        "mean_reciprocal_rank_at_25": 0.5,
        "normalized_discounted_cumulative_gain_at_5": 0.6241,
        "normalized_discounted_cumulative_gain_at_10": 0.6241,
        "normalized_discounted_cumulative_gain_at_25": 0.6241,
        "precision_at_5": 0.4,
        "precision_at_10": 0.2,
        "precision_at_25": 0.08,
    }


def test_evaluate_popularity_tiny_dataset_every_user_held_out_exact_values() -> None:
    # GIVEN four users; A, B and C have 2+ interactions, D only one
    data = [
        Interaction("A", "i1", 1), Interaction("A", "i2", 2), Interaction("A", "i3", 3),
        Interaction("B", "i1", 1), Interaction("B", "i4", 2),
        Interaction("C", "i2", 1), Interaction("C", "i1", 2), Interaction("C", "i4", 3), Interaction("C", "i5", 4),
        Interaction("D", "i1", 5),
    ]  # fmt: skip

    # WHEN the popularity model is scored with every eligible user held out
    metrics = evaluate("aws-popularity-count", TrainingData(data), catalogue={"i6"}, user_share=1.0)

    # THEN by hand: held out A→i3, B→i4, C→i5; popularity i1(4) > i2(2) > i4(1);
    # A gets [i4] (miss), B gets [i2, i4] (hit at rank 2), C gets [] (miss); 2 of 6 items recommended
    assert metrics == {
        "coverage": round(2 / 6, 4),
        "mean_reciprocal_rank_at_25": round(0.5 / 3, 4),
        "normalized_discounted_cumulative_gain_at_5": 0.2103,
        "normalized_discounted_cumulative_gain_at_10": 0.2103,
        "normalized_discounted_cumulative_gain_at_25": 0.2103,
        "precision_at_5": round(0.2 / 3, 4),
        "precision_at_10": round(0.1 / 3, 4),
        "precision_at_25": round(0.04 / 3, 4),
    }


def test_split_holds_out_newest_tenth_of_each_user_with_two_or_more() -> None:
    # GIVEN a user with 25 interactions (newest two are t=24 and t=25), one with 2, one with 1
    data = [Interaction("many", f"m{t}", t) for t in range(25, 0, -1)]
    data += [Interaction("two", "a", 5), Interaction("two", "b", 1), Interaction("one", "z", 1)]

    # WHEN split with every eligible user held out
    training, held_out = split(data, user_share=1.0)

    # THEN 25 // 10 = 2 newest held out for "many", 1 for "two", none for "one"
    assert held_out == {"many": ["m24", "m25"], "two": ["a"]}
    assert len(training) == len(data) - 3


def test_split_holds_out_a_seeded_tenth_of_the_eligible_users() -> None:
    # GIVEN 95 users with 3 interactions each and 10 with a single one
    data = [Interaction(f"u{u:03d}", f"i{n}", n) for u in range(95) for n in range(3)]
    data += [Interaction(f"single{u}", "i0", 0) for u in range(10)]

    # WHEN split with two seeds
    training, held_out = split(data)
    again = split(data)[1]
    other = split(data, seed=1)[1]

    # THEN ceil(10 % of 95) = 10 users, each losing its newest interaction; the same users for the same
    # seed, others for another seed; single-interaction users are never held out
    assert len(held_out) == 10
    assert all(truth == ["i2"] for truth in held_out.values())
    assert not any(user.startswith("single") for user in held_out)
    assert len(training) == len(data) - 10
    assert again == held_out
    assert set(other) != set(held_out)


def test_score_documented_ndcg_example_and_definitions_by_hand() -> None:
    # GIVEN two evaluated users: A's two held-out items recommended at ranks 2 and 5, B's one item missed;
    # 10 items in the datasets, 7 distinct ones recommended
    recommendations = {"A": ["x", "a1", "y", "z", "a2"], "B": ["x", "y", "w", "v"]}
    held_out = {"A": ["a1", "a2"], "B": ["b1"]}

    # WHEN scored
    metrics = score(recommendations, held_out, items=10)

    # THEN NDCG@5 of A is the docs' worked example (0.6241), B scores zero; everything averages over 2 users
    assert metrics == {
        "coverage": 0.7,
        "mean_reciprocal_rank_at_25": 0.25,
        "normalized_discounted_cumulative_gain_at_5": round(0.6241 / 2, 4),
        "normalized_discounted_cumulative_gain_at_10": round(0.6241 / 2, 4),
        "normalized_discounted_cumulative_gain_at_25": round(0.6241 / 2, 4),
        "precision_at_5": 0.2,
        "precision_at_10": 0.1,
        "precision_at_25": 0.04,
    }


def test_minimum_failure_exactly_at_minimums_passes() -> None:
    # GIVEN exactly 1000 interactions from exactly 25 users with 40 each
    data = [Interaction(f"u{u}", f"i{n}", n) for u in range(25) for n in range(40)]

    # WHEN / THEN no failure; one interaction fewer fails
    assert minimum_failure(data, None) is None
    assert minimum_failure(data[:-1], None) == "Create failed. Dataset has fewer than 1000 interactions."


def test_evaluate_twenty_thousand_interactions_gives_proper_fractions() -> None:
    # GIVEN 20,000 interactions from 1,000 users over 2,000 items (the example's scale)
    data = [Interaction(f"u{u}", f"i{(u * 31 + n * n) % 2000}", n) for u in range(1000) for n in range(20)]

    # WHEN the user-personalization model is scored
    metrics = evaluate("aws-user-personalization", TrainingData(data))

    # THEN every metric is a proper fraction (speed is for benchmarks, not tests)
    assert all(0 <= value <= 1 for value in metrics.values())
