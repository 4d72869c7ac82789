"""The emulator's models: each recipe family learns a planted pattern, beats popularity on the holdout,
and answers the same for the same data and seed."""

from __future__ import annotations

import random

import numpy as np
import pytest

from local.personalize import batch
from local.personalize.algorithms import TrainingData, train
from local.personalize.algorithms.data import Indexed
from local.personalize.algorithms.evaluation import evaluate
from local.personalize.testing import Sandbox, domain_interactions
from local.personalize.training import Interaction

GROUPS = 3
GROUP_ITEMS = 16
POPULAR = [f"pop{n:02d}" for n in range(15)]


def group_of(user: str) -> int:
    return int(user[1:]) % GROUPS


def planted(users: int = 400, seed: int = 7) -> list[Interaction]:
    """Users in 3 taste groups. Each user interacts once with 12 of the 16 items of their group and with 3
    of 15 bestsellers every group shares (the more popular, the likelier), in random order. Popularity can
    only recommend bestsellers; a model that learns the groups recommends the group's other items, which is
    what most held-out interactions are."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(POPULAR))]
    rows = []
    for u in range(users):
        user = f"u{u:03d}"
        chosen = [f"g{group_of(user)}-{n:02d}" for n in rng.sample(range(GROUP_ITEMS), 12)]
        popular: list[str] = []
        while len(popular) < 3:
            item = rng.choices(POPULAR, weights)[0]
            if item not in popular:
                popular.append(item)
        sequence = chosen + popular
        rng.shuffle(sequence)
        rows += [Interaction(user, item, 1000 * n + u) for n, item in enumerate(sequence)]
    return sorted(rows, key=lambda i: i.timestamp)


@pytest.fixture(scope="module")
def data() -> TrainingData:
    return TrainingData(planted())


# --- planted patterns --------------------------------------------------------------------------------


@pytest.mark.parametrize("recipe", ["aws-user-personalization", "aws-user-personalization-v2"])
def test_user_personalization_planted_groups_recommends_the_users_group(data: TrainingData, recipe: str) -> None:
    # GIVEN a model trained on the planted groups
    model = train(recipe, data)

    # WHEN each of the first 30 users asks for 4 items (there are 4 group items they have not interacted with)
    tops = {f"u{u:03d}": model.recommend(user_id=f"u{u:03d}", num_results=4) for u in range(30)}

    # THEN none was interacted with already, and at least 90 % of the 120 are of the user's group
    seen = {(i.user, i.item) for i in data.interactions}
    assert all(len(top) == 4 and not any((user, item) in seen for item, _ in top) for user, top in tops.items())
    in_group = sum(item.startswith(f"g{group_of(user)}-") for user, top in tops.items() for item, _ in top)
    assert in_group >= 108, tops


def test_user_personalization_v2_follows_a_users_latest_taste_more_than_v1() -> None:
    # GIVEN users whose 14 oldest interactions are in their group and 6 newest in the next group
    rng = random.Random(3)
    rows = []
    for u in range(300):
        user, group = f"u{u:03d}", u % GROUPS
        old = [f"g{group}-{n:02d}" for n in rng.sample(range(GROUP_ITEMS), 14)]
        new = [f"g{(group + 1) % GROUPS}-{n:02d}" for n in rng.sample(range(GROUP_ITEMS), 6)]
        rows += [Interaction(user, item, 1000 * n + u) for n, item in enumerate(old + new)]
    data = TrainingData(rows)

    # WHEN v1 and v2 recommend 5 items to each of the first 60 users
    def new_taste_share(recipe: str) -> int:
        model = train(recipe, data)
        return sum(
            item.startswith(f"g{(u % GROUPS + 1) % GROUPS}-")
            for u in range(60)
            for item, _ in model.recommend(user_id=f"u{u:03d}", num_results=5)
        )

    # THEN v2 recommends clearly more items of the newer taste
    assert new_taste_share("aws-user-personalization-v2") > new_taste_share("aws-user-personalization") + 20


def test_sims_planted_groups_relates_items_of_the_same_group(data: TrainingData) -> None:
    # GIVEN SIMS trained on the planted groups
    model = train("aws-sims", data)

    # WHEN related items of a group-1 item are asked for
    related = model.recommend(item_id="g1-03", num_results=8)

    # THEN they are the other group-1 items, never the item itself, and scores are cosine similarities
    assert {item for item, _ in related} <= {f"g1-{n:02d}" for n in range(GROUP_ITEMS)} - {"g1-03"}
    assert len(related) == 8
    assert all(0 < score <= 1 for _, score in related)
    assert [s for _, s in related] == sorted((s for _, s in related), reverse=True)


@pytest.mark.parametrize("recipe", ["aws-item-affinity", "aws-user-personalization"])
def test_users_for_item_planted_groups_ranks_the_items_group_first(data: TrainingData, recipe: str) -> None:
    # GIVEN a factorisation model
    model = train(recipe, data)

    # WHEN the segment of a group-2 item is asked for
    segment = model.users_for_item("g2-05", 60)

    # THEN it holds 60 users of group 2, best first; an unknown item has no segment
    assert len(segment) == 60
    assert all(group_of(user) == 2 for user, _ in segment)
    assert model.users_for_item("nope", 5) == []


@pytest.mark.parametrize(
    "recipe",
    [
        "aws-user-personalization",
        "aws-user-personalization-v2",
        "aws-personalized-ranking",
        "aws-personalized-ranking-v2",
        "aws-sims",
        "aws-similar-items",
    ],
)
def test_evaluate_planted_groups_beats_popularity_on_the_holdout(data: TrainingData, recipe: str) -> None:
    # GIVEN the planted data and its popularity baseline on the same split
    baseline = evaluate("aws-popularity-count", data)

    # WHEN the recipe's model is scored on the held-out users
    metrics = evaluate(recipe, data)

    # THEN it beats popularity on precision, NDCG and MRR, and recommends a wider part of the catalogue
    for name in ("precision_at_5", "normalized_discounted_cumulative_gain_at_10", "mean_reciprocal_rank_at_25"):
        assert metrics[name] > 1.5 * baseline[name], (name, metrics, baseline)
    assert metrics["coverage"] > baseline["coverage"]


# --- popularity, trending, metadata ------------------------------------------------------------------


def test_popularity_count_recommends_by_count_minus_the_users_items_ties_by_id() -> None:
    # GIVEN b three times, a and c twice, d once; u1 already has b
    rows = [("u1", "b"), ("u2", "b"), ("u3", "b"), ("u2", "c"), ("u3", "c"), ("u3", "a"), ("u4", "a"), ("u4", "d")]
    model = train("aws-popularity-count", TrainingData([Interaction(u, i, t) for t, (u, i) in enumerate(rows)]))

    # WHEN u1, and a user never seen, ask
    # THEN counts order, a before c on the tie, u1 without b; scores are shares of all interactions
    assert model.recommend(user_id="u1", num_results=3) == [("a", 0.25), ("c", 0.25), ("d", 0.125)]
    assert [item for item, _ in model.recommend(user_id="new", num_results=4)] == ["b", "a", "c", "d"]
    assert model.scored is False


def test_trending_now_ranks_the_item_growing_in_the_latest_quarter_first() -> None:
    # GIVEN "steady" popular all along and "rising" only in the last quarter of the time span
    rows = [Interaction(f"s{n}", "steady", n) for n in range(0, 100, 2)]
    rows += [Interaction(f"r{n}", "rising", 80 + n) for n in range(20)]
    model = train("aws-trending-now", TrainingData(rows))

    # WHEN asked
    top = model.recommend(user_id="anyone", num_results=2)

    # THEN rising first, its scores summing to at most 1
    assert [item for item, _ in top] == ["rising", "steady"]
    assert sum(score for _, score in top) <= 1.0


def test_semantic_similarity_relates_items_by_their_metadata_words() -> None:
    # GIVEN three items: two share the words of their description, one does not
    items = {
        "a": {"ITEM_ID": "a", "DESCRIPTION": "red running shoes"},
        "b": {"ITEM_ID": "b", "DESCRIPTION": "blue running shoes"},
        "c": {"ITEM_ID": "c", "DESCRIPTION": "kitchen knife"},
    }
    model = train("aws-semantic-similarity", TrainingData([], items=items))

    # WHEN a's related items are asked for
    related = model.recommend(item_id="a", num_results=2)

    # THEN b first, c (nothing in common) with score 0
    assert [item for item, _ in related] == ["b", "c"]
    assert related[0][1] > 0 and related[1][1] == 0


# --- interface details -------------------------------------------------------------------------------


def test_recommend_allowed_hook_skips_refused_items_and_fills_from_the_next(data: TrainingData) -> None:
    # GIVEN a model and a user's unfiltered top 6
    model = train("aws-user-personalization", data)
    unfiltered = [item for item, _ in model.recommend(user_id="u000", num_results=6)]

    # WHEN the filter hook refuses the 2nd and 4th
    refused = {unfiltered[1], unfiltered[3]}
    filtered = [item for item, _ in model.recommend(user_id="u000", num_results=4, allowed=lambda i: i not in refused)]

    # THEN the others keep their order and the 5th and 6th fill the gaps
    assert filtered == [unfiltered[0], unfiltered[2], unfiltered[4], unfiltered[5]]


def test_recommend_scores_of_user_personalization_are_shares_of_the_whole_catalogue(data: TrainingData) -> None:
    # GIVEN a model
    model = train("aws-user-personalization", data)

    # WHEN a user asks for every item
    everything = model.recommend(user_id="u001", num_results=1000)

    # THEN the scores of the items not yet seen sum to at most 1, sorted descending
    scores = [score for _, score in everything]
    assert 0.5 < sum(scores) <= 1.0 + 1e-6
    assert scores == sorted(scores, reverse=True)


def test_rank_orders_known_items_and_appends_unknown_ones_without_score(data: TrainingData) -> None:
    # GIVEN a ranking model and a group-0 user
    model = train("aws-personalized-ranking", data)

    # WHEN a list mixing another group's item, an unknown item and the user's group item is ranked
    ranked = model.rank("u000", ["g1-01", "unknown", "g0-01"])

    # THEN the group item first, the unknown last without a score, known scores summing to 1
    assert [item for item, _ in ranked] == ["g0-01", "g1-01", "unknown"]
    assert ranked[2][1] is None
    assert ranked[0][1] + ranked[1][1] == pytest.approx(1.0, abs=1e-6)


def test_recommend_unknown_user_gets_the_average_users_items_and_needs_an_id(data: TrainingData) -> None:
    # GIVEN a model
    model = train("aws-user-personalization", data)

    # WHEN a user it never saw asks
    top = model.recommend(user_id="stranger", num_results=3)

    # THEN the bestsellers come first; without any id the call is refused
    assert {item for item, _ in top} <= set(POPULAR)
    with pytest.raises(ValueError, match="user_id or an item_id"):
        model.recommend(num_results=3)


@pytest.mark.parametrize("recipe", ["aws-user-personalization", "aws-sims", "aws-item-affinity"])
def test_train_same_data_and_seed_is_deterministic(data: TrainingData, recipe: str) -> None:
    # GIVEN two trainings on the same data with the same seed, and one with another seed
    first, second = train(recipe, data, seed=5), train(recipe, data, seed=5)

    # WHEN both answer
    # THEN the answers are identical, and so are the metrics
    for user in ("u000", "u001", "u100"):
        assert first.recommend(user_id=user, num_results=10) == second.recommend(user_id=user, num_results=10)
    assert first.users_for_item("g0-00", 10) == second.users_for_item("g0-00", 10)
    assert evaluate(recipe, data, seed=5) == evaluate(recipe, data, seed=5)


def test_train_factorization_other_seed_other_factors_and_hidden_dimension_sets_factors(data: TrainingData) -> None:
    # GIVEN trainings with seeds 0 and 1, and one with hidden_dimension 8
    zero, one = train("aws-user-personalization", data), train("aws-user-personalization", data, seed=1)
    small = train("aws-user-personalization", data, hyperparameters={"hidden_dimension": "8"})

    # THEN the seed changes the factors, hidden_dimension their number
    assert not np.array_equal(zero.item_factors, one.item_factors)
    assert small.item_factors.shape[1] == 8


# --- batch jobs answer from the model ----------------------------------------------------------------


def test_batch_recommend_each_family_answers_from_the_model(data: TrainingData) -> None:
    # GIVEN models of each family trained on the planted data
    user_model = train("aws-user-personalization", data)
    sims = train("aws-sims", data)
    ranking = train("aws-personalized-ranking", data)
    affinity = train("aws-item-affinity", data)

    # WHEN batch lines are answered
    user = batch.recommend("aws-user-personalization", "USER_PERSONALIZATION", user_model, {"userId": "u002"}, 5)
    related = batch.recommend("aws-sims", "RELATED_ITEMS", sims, {"itemId": "g2-00"}, 5)
    ranked = batch.recommend(
        "aws-personalized-ranking", "PERSONALIZED_RANKING", ranking, {"userId": "u002", "itemList": ["g0-00", "x"]}, 5
    )
    segment = batch.recommend("aws-item-affinity", "USER_SEGMENTATION", affinity, {"itemId": "g1-00"}, 3)

    # THEN each output is the model's answer in the documented output shape
    top = user_model.recommend(user_id="u002", num_results=5)
    assert user == {"recommendedItems": [i for i, _ in top], "scores": [s for _, s in top]}
    top = sims.recommend(item_id="g2-00", num_results=5)
    assert related == {"recommendedItems": [i for i, _ in top], "scores": [s for _, s in top]}
    order = ranking.rank("u002", ["g0-00", "x"])
    assert ranked == {"recommendedItems": ["g0-00", "x"], "scores": [order[0][1]]}
    assert segment == {"recommendedUsers": [u for u, _ in affinity.users_for_item("g1-00", 3)]}


def test_batch_item_attribute_affinity_segments_users_of_the_matching_items() -> None:
    # GIVEN items whose GENRE follows the planted groups, and an attribute-affinity model
    items = {
        f"g{g}-{n:02d}": {"ITEM_ID": f"g{g}-{n:02d}", "GENRE": f"Genre{g}|Drama"}
        for g in range(3)
        for n in range(GROUP_ITEMS)
    }
    model = train("aws-item-attribute-affinity", TrainingData(planted(), items=items))

    # WHEN the segment of ITEMS.genre = "genre1" is asked for
    out = batch.recommend(
        "aws-item-attribute-affinity",
        "USER_SEGMENTATION",
        model,
        {"itemAttributes": 'ITEMS.GENRE = "genre1"'},
        20,
        items,
    )

    # THEN 20 users of group 1
    assert len(out["recommendedUsers"]) == 20
    assert all(group_of(user) == 1 for user in out["recommendedUsers"])


def test_attribute_items_parses_and_clauses_escapes_and_numbers() -> None:
    # GIVEN items with a categorical and a numeric column
    items = {
        "a": {"ITEM_ID": "a", "GENRES": "Comedy|Action", "YEAR": 2020},
        "b": {"ITEM_ID": "b", "GENRES": 'Say "Hi"', "YEAR": 2021},
        "c": {"ITEM_ID": "c", "GENRES": "Action", "YEAR": 2020},
    }

    # WHEN expressions are resolved
    # THEN one item list per AND clause; an unparseable clause matches nothing
    assert batch.attribute_items('ITEMS.genres = "Comedy" AND ITEMS.genres = "Action"', items) == [["a"], ["a", "c"]]
    assert batch.attribute_items('ITEMS.genres = "Say \\"Hi\\""', items) == [["b"]]
    assert batch.attribute_items("ITEMS.YEAR = 2020", items) == [["a", "c"]]
    assert batch.attribute_items("genres IN Comedy", items) == [[]]


def test_indexed_newest_rank_counts_the_users_newer_interactions_import_order_on_ties() -> None:
    # GIVEN two users, interleaved, with a timestamp tie for b
    rows = [
        Interaction("a", "x", 5), Interaction("b", "x", 1), Interaction("a", "y", 1),
        Interaction("b", "y", 3), Interaction("b", "z", 3), Interaction("a", "z", 9),
    ]  # fmt: skip

    # WHEN ranked from the newest
    rank = Indexed.build(TrainingData(rows)).newest_rank()

    # THEN a: z(9)=0, x(5)=1, y(1)=2; b: the later import of the tie is the newer: z=0, y=1, x=2
    assert rank.tolist() == [1, 2, 2, 1, 0, 0]


# --- through the emulator ----------------------------------------------------------------------------


def test_recommender_trains_its_use_case_family_on_its_event_type(box: Sandbox) -> None:
    # GIVEN an ECOMMERCE group whose View and Purchase events alternate
    group = box.with_domain_data()
    views = box.recommender(group, "views", "aws-ecomm-popular-items-by-views")["recommenderArn"]
    also = box.recommender(group, "also", "aws-ecomm-customers-who-viewed-x-also-viewed")["recommenderArn"]

    # WHEN their models are read
    popular, related = box.emulator.trained_model(views), box.emulator.trained_model(also)

    # THEN each is its use case's family, trained on the View events only
    views_only = [Interaction(u, i, t, e) for u, i, e, t in domain_interactions() if e == "View"]
    expected = train("aws-popularity-count", TrainingData(views_only))
    assert (popular.family, related.family) == ("popularity", "cooccurrence")
    assert popular.recommend(user_id="nobody", num_results=10) == expected.recommend(user_id="nobody", num_results=10)
    assert related.indexed.counts.sum() == len(views_only)


def test_get_solution_metrics_differ_per_recipe_and_come_from_its_model(box: Sandbox) -> None:
    # GIVEN the planted data imported once, and a User-Personalization and a Popularity-Count solution on it
    rows = [(i.user, i.item, i.timestamp) for i in planted()]
    trained = box.trained(rows=rows)
    popularity = box.version(
        box.solution(trained["datasetGroupArn"], "pop", recipeArn="arn:aws:personalize:::recipe/aws-popularity-count")
    )["solutionVersionArn"]

    # WHEN the metrics of both are requested
    metrics = {
        arn: box.personalize.get_solution_metrics(solutionVersionArn=arn)["metrics"]
        for arn in (trained["solutionVersionArn"], popularity)
    }

    # THEN each is its own recipe's evaluation on that data, and user-personalization beats popularity
    data = TrainingData(planted())
    assert metrics[trained["solutionVersionArn"]] == evaluate("aws-user-personalization", data)
    assert metrics[popularity] == evaluate("aws-popularity-count", data)
    assert metrics[trained["solutionVersionArn"]]["precision_at_5"] > metrics[popularity]["precision_at_5"]
