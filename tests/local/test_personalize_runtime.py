"""personalize-runtime through boto3: what each campaign answers, the filters, and every refusal with the
service's error code and HTTP status (InvalidInputException 400, ResourceNotFoundException 404).

One dataset group serves the read-only tests (module fixture: training four models once keeps the file
fast); tests that change data build their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from local.personalize.testing import (
    DOMAIN_INTERACTIONS_SCHEMA,
    ITEMS_SCHEMA,
    USERS_SCHEMA,
    Sandbox,
    client_failure,
    domain_interactions,
    interactions,
    sandbox,
)

RECIPE = "arn:aws:personalize:::recipe/"
PREFIX = "arn:aws:personalize:us-east-1:123456789012"
#: USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP.
EVENTS_SCHEMA = DOMAIN_INTERACTIONS_SCHEMA
GENRES = ("comedy", "drama", "action", "kids")


def genres(item: int) -> str:
    """Every fifth item has two genres: categorical values are separated by |."""
    first = GENRES[item % 4]
    return f"{first}|drama" if item % 5 == 0 and first != "drama" else first


def event_rows() -> list[tuple]:
    """40 users x 30 interactions of 60 items: every third interaction is a purchase, the others clicks."""
    return domain_interactions(("purchase", "click", "click"), users=40)


def build_group(box: Sandbox, name: str) -> dict[str, str]:
    """A group with Interactions (click/purchase), Items (categorical GENRES, PRICE) and Users (AGE), imported."""
    group = box.dataset_group(name)
    arns = {"group": group}
    for kind, schema, header, rows in (
        ("Interactions", EVENTS_SCHEMA, ("USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"), event_rows()),
        ("Items", ITEMS_SCHEMA, ("ITEM_ID", "GENRES", "PRICE"), [(f"item{i}", genres(i), i) for i in range(60)]),
        ("Users", USERS_SCHEMA, ("USER_ID", "AGE"), [(f"user{u}", 10 if u % 4 == 0 else 30 + u) for u in range(40)]),
    ):
        dataset = box.dataset(group, kind, schema)
        box.import_job(dataset, box.put_csv(f"{name}/{kind}.csv", header, rows), f"{name}-{kind.lower()}")
        arns[kind] = dataset
    return arns


def campaign(box: Sandbox, group: str, recipe: str, name: str, **config: Any) -> str:
    solution = box.solution(group, f"{name}-sol", recipeArn=RECIPE + recipe)
    version = box.version(solution)["solutionVersionArn"]
    arn = box.personalize.create_campaign(
        name=name, solutionVersionArn=version, **({"campaignConfig": config} if config else {})
    )["campaignArn"]
    box.settle("campaign", arn)
    return arn


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Sandbox, dict[str, str]]]:
    with pytest.MonkeyPatch.context() as patch, sandbox(patch) as box:
        arns = build_group(box, "shop")
        group = arns["group"]
        arns["personal"] = campaign(
            box, group, "aws-user-personalization", "personal", enableMetadataWithRecommendations=True
        )
        arns["sims"] = campaign(box, group, "aws-sims", "sims")
        arns["ranking"] = campaign(box, group, "aws-personalized-ranking", "ranking")
        arns["popular"] = campaign(box, group, "aws-popularity-count", "popular")
        for name, expression in {
            "no-purchased": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")',
            "genre": "INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)",
            "cheap": "EXCLUDE ItemID WHERE Items.PRICE > $MAX",
            "kids-for-kids": 'INCLUDE ItemID WHERE Items.GENRES IN ("kids") IF CurrentUser.AGE < 13',
            "young-users": "INCLUDE UserID WHERE Users.AGE < 13",
        }.items():
            arns[name] = box.filter(group, expression, name)["filterArn"]
        other = box.dataset_group("other")
        box.dataset(other, "Interactions", EVENTS_SCHEMA)
        arns["other-filter"] = box.filter(other, 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")', "o")[
            "filterArn"
        ]
        yield box, arns


def items_of(response: dict[str, Any], key: str = "itemList") -> list[str]:
    return [entry["itemId"] for entry in response[key]]


# --- answers ---------------------------------------------------------------------------------------


def test_get_recommendations_user_personalization_scored_unseen_items_with_rid(served) -> None:
    box, arns = served
    seen = {item for user, item, _, _ in event_rows() if user == "user1"}

    # WHEN a user's recommendations are asked for
    response = box.runtime.get_recommendations(campaignArn=arns["personal"], userId="user1", numResults=7)

    # THEN 7 items the user never interacted with come back, best score first, with an RID-<uuid> id
    entries = response["itemList"]
    assert len(entries) == 7 and not {e["itemId"] for e in entries} & seen
    scores = [e["score"] for e in entries]
    assert scores == sorted(scores, reverse=True) and all(0 < s < 1 for s in scores)
    assert re.fullmatch(
        r"RID-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", response["recommendationId"]
    )


def test_get_recommendations_sims_item_id_unscored_related_items(served) -> None:
    box, arns = served

    # WHEN related items of item3 are asked for (SIMS returns no scores, facts §9)
    response = box.runtime.get_recommendations(campaignArn=arns["sims"], itemId="item3", numResults=5)

    # THEN five other items come back without a score
    assert len(response["itemList"]) == 5
    assert all(set(entry) == {"itemId"} and entry["itemId"] != "item3" for entry in response["itemList"])


def test_get_recommendations_default_num_results_25(served) -> None:
    box, arns = served
    response = box.runtime.get_recommendations(campaignArn=arns["popular"])
    assert len(response["itemList"]) == 25


def test_get_recommendations_metadata_columns_values_of_items_records(served) -> None:
    box, arns = served

    # WHEN a campaign deployed with enableMetadataWithRecommendations is asked for GENRES and PRICE
    response = box.runtime.get_recommendations(
        campaignArn=arns["personal"], userId="user2", numResults=5, metadataColumns={"ITEMS": ["GENRES", "PRICE"]}
    )

    # THEN each item carries its Items record's values, as strings
    for entry in response["itemList"]:
        number = int(entry["itemId"].removeprefix("item"))
        assert entry["metadata"] == {"GENRES": genres(number), "PRICE": str(float(number))}


def test_get_personalized_ranking_reorders_input_unknown_items_last_unscored(served) -> None:
    box, arns = served
    given = ["item5", "nope-1", "item9", "item1", "nope-2", "item30"]

    # WHEN a ranking campaign ranks known and unknown items for a user
    ranking = box.runtime.get_personalized_ranking(campaignArn=arns["ranking"], userId="user3", inputList=given)[
        "personalizedRanking"
    ]

    # THEN the known items come first, scored, in descending order; the unknown ones follow unscored, in input order
    known, unknown = ranking[:4], ranking[4:]
    assert sorted(e["itemId"] for e in known) == ["item1", "item30", "item5", "item9"]
    assert [e["score"] for e in known] == sorted((e["score"] for e in known), reverse=True)
    assert unknown == [{"itemId": "nope-1"}, {"itemId": "nope-2"}]


# --- filters ----------------------------------------------------------------------------------------


def full_list(box: Sandbox, arns: dict[str, str], **request: Any) -> list[str]:
    return items_of(box.runtime.get_recommendations(numResults=500, **request))


def test_filter_exclude_interactions_drops_what_the_user_purchased(served) -> None:
    box, arns = served
    purchased = {item for user, item, kind, _ in event_rows() if user == "user5" and kind == "purchase"}
    unfiltered = full_list(box, arns, campaignArn=arns["sims"], itemId="item4")

    # WHEN related items are filtered for user5 with "EXCLUDE ... Interactions.EVENT_TYPE IN ("purchase")"
    filtered = box.runtime.get_recommendations(
        campaignArn=arns["sims"], itemId="item4", userId="user5", numResults=10, filterArn=arns["no-purchased"]
    )

    # THEN the list is the unfiltered one without user5's purchases, topped up to 10 from further down
    assert purchased & set(unfiltered[:10])  # the filter has something to remove
    assert items_of(filtered) == [item for item in unfiltered if item not in purchased][:10]


def test_filter_include_placeholder_values_keep_only_listed_categorical_values(served) -> None:
    box, arns = served
    unfiltered = full_list(box, arns, campaignArn=arns["personal"], userId="user6")

    # WHEN $GENRE is given two quoted values
    filtered = box.runtime.get_recommendations(
        campaignArn=arns["personal"],
        userId="user6",
        numResults=8,
        filterArn=arns["genre"],
        filterValues={"GENRE": '"kids","action"'},
    )

    # THEN only items one of whose genres is listed remain, in the model's order
    wanted = [i for i in unfiltered if {"kids", "action"} & set(genres(int(i.removeprefix("item"))).split("|"))]
    assert items_of(filtered) == wanted[:8]


def test_filter_exclude_comparison_with_value_and_without_value(served) -> None:
    box, arns = served
    unfiltered = full_list(box, arns, campaignArn=arns["popular"])

    # WHEN "EXCLUDE ... Items.PRICE > $MAX" gets MAX, and then no value at all
    with_max = box.runtime.get_recommendations(
        campaignArn=arns["popular"], numResults=10, filterArn=arns["cheap"], filterValues={"MAX": "20"}
    )
    without = box.runtime.get_recommendations(campaignArn=arns["popular"], numResults=10, filterArn=arns["cheap"])

    # THEN items over 20 are dropped; without a value the EXCLUDE expression is not used
    assert items_of(with_max) == [i for i in unfiltered if int(i.removeprefix("item")) <= 20][:10]
    assert items_of(without) == unfiltered[:10]


def test_filter_if_current_user_applies_only_to_matching_users(served) -> None:
    box, arns = served

    # WHEN "INCLUDE kids items IF CurrentUser.AGE < 13" serves a 10-year-old (user4) and a 35-year-old (user5)
    child = box.runtime.get_recommendations(
        campaignArn=arns["personal"], userId="user4", numResults=10, filterArn=arns["kids-for-kids"]
    )
    adult = box.runtime.get_recommendations(
        campaignArn=arns["personal"], userId="user5", numResults=10, filterArn=arns["kids-for-kids"]
    )

    # THEN the child gets only kids items, the adult the unfiltered list
    assert items_of(child) and all("kids" in genres(int(i.removeprefix("item"))) for i in items_of(child))
    assert items_of(adult) == full_list(box, arns, campaignArn=arns["personal"], userId="user5")[:10]


# --- refusals ---------------------------------------------------------------------------------------


def not_found(arn: str) -> tuple[int, str, str]:
    return 404, "ResourceNotFoundException", f"Resource Arn {arn} does not exist."


def invalid(message: str) -> tuple[int, str, str]:
    return 400, "InvalidInputException", message


REFUSALS: dict[str, tuple[str, Callable[[dict[str, str]], dict[str, Any]], Callable[[dict[str, str]], tuple]]] = {
    "missing userId for a user recipe": (
        "get_recommendations",
        lambda a: {"campaignArn": a["personal"]},
        lambda a: invalid(f"userId is required: {a['personal']} uses a USER_PERSONALIZATION recipe."),
    ),
    "missing itemId for a related-items recipe": (
        "get_recommendations",
        lambda a: {"campaignArn": a["sims"], "userId": "user1"},
        lambda a: invalid(f"itemId is required: {a['sims']} uses a RELATED_ITEMS recipe."),
    ),
    "unknown campaign": (
        "get_recommendations",
        lambda a: {"campaignArn": f"{PREFIX}:campaign/nowhere", "userId": "user1"},
        lambda a: not_found(f"{PREFIX}:campaign/nowhere"),
    ),
    "recommender ARN given as campaignArn": (
        "get_recommendations",
        lambda a: {"campaignArn": f"{PREFIX}:recommender/rec", "userId": "user1"},
        lambda a: invalid(f"The given campaign ARN is invalid: {PREFIX}:recommender/rec"),
    ),
    "campaignArn and recommenderArn together": (
        "get_recommendations",
        lambda a: {"campaignArn": a["personal"], "recommenderArn": f"{PREFIX}:recommender/rec", "userId": "u"},
        lambda a: invalid("Provide exactly one of campaignArn and recommenderArn."),
    ),
    "ranking campaign on GetRecommendations": (
        "get_recommendations",
        lambda a: {"campaignArn": a["ranking"], "userId": "user1"},
        lambda a: invalid(
            f"{a['ranking']} uses a PERSONALIZED_RANKING recipe: call GetPersonalizedRanking to rank items for a user."
        ),
    ),
    "user campaign on GetPersonalizedRanking": (
        "get_personalized_ranking",
        lambda a: {"campaignArn": a["personal"], "userId": "user1", "inputList": ["item1"]},
        lambda a: invalid(
            f"{a['personal']} uses a USER_PERSONALIZATION recipe; GetPersonalizedRanking needs a campaign of a "
            "PERSONALIZED_RANKING recipe."
        ),
    ),
    "filter of another dataset group": (
        "get_recommendations",
        lambda a: {"campaignArn": a["personal"], "userId": "user1", "filterArn": a["other-filter"]},
        lambda a: invalid(
            f"Filter {a['other-filter']} belongs to dataset group {PREFIX}:dataset-group/other, but "
            f"{a['personal']} serves dataset group {a['group']}."
        ),
    ),
    "unknown filter": (
        "get_recommendations",
        lambda a: {"campaignArn": a["personal"], "userId": "user1", "filterArn": f"{PREFIX}:filter/none"},
        lambda a: not_found(f"{PREFIX}:filter/none"),
    ),
    "INCLUDE filter without its values": (
        "get_recommendations",
        lambda a: {"campaignArn": a["personal"], "userId": "user1", "filterArn": a["genre"]},
        lambda a: invalid(
            f"Filter {a['genre']} needs filterValues for GENRE: every parameter of an INCLUDE expression must have "
            "a value."
        ),
    ),
    "filterValues key the filter does not use": (
        "get_recommendations",
        lambda a: {
            "campaignArn": a["personal"],
            "userId": "user1",
            "filterArn": a["genre"],
            "filterValues": {"GENRE": '"kids"', "COLOR": '"red"'},
        },
        lambda a: invalid(f"filterValues has COLOR, which filter {a['genre']} does not use; its parameters are GENRE."),
    ),
    "filterValues without a filter": (
        "get_recommendations",
        lambda a: {"campaignArn": a["personal"], "userId": "user1", "filterValues": {"GENRE": '"kids"'}},
        lambda a: invalid("filterValues needs a filterArn: there is no filter to apply them to."),
    ),
    "user filter on a recommendation request": (
        "get_recommendations",
        lambda a: {"campaignArn": a["personal"], "userId": "user1", "filterArn": a["young-users"]},
        lambda a: invalid(
            f"Filter {a['young-users']} filters users (UserID): it can only be used with batch segment jobs."
        ),
    ),
    "numResults over 500": (
        "get_recommendations",
        lambda a: {"campaignArn": a["personal"], "userId": "user1", "numResults": 501},
        lambda a: invalid("numResults is 501; the maximum is 500."),
    ),
    "numResults over 50 with metadata": (
        "get_recommendations",
        lambda a: {
            "campaignArn": a["personal"],
            "userId": "user1",
            "numResults": 51,
            "metadataColumns": {"ITEMS": ["PRICE"]},
        },
        lambda a: invalid("numResults is 51; the maximum is 50 when metadataColumns are requested."),
    ),
    "metadataColumns on a campaign deployed without metadata": (
        "get_recommendations",
        lambda a: {"campaignArn": a["sims"], "itemId": "item1", "metadataColumns": {"ITEMS": ["PRICE"]}},
        lambda a: invalid(
            f"{a['sims']} was not deployed with enableMetadataWithRecommendations: it cannot return metadataColumns."
        ),
    ),
    "metadataColumns naming no Items column": (
        "get_recommendations",
        lambda a: {"campaignArn": a["personal"], "userId": "u", "metadataColumns": {"ITEMS": ["PRICE", "COLOR"]}},
        lambda a: invalid(
            f"metadataColumns.ITEMS names COLOR, which the Items dataset of dataset group {a['group']} does not have."
        ),
    ),
    "campaignArn breaking the model's pattern": (
        "get_recommendations",
        lambda a: {"campaignArn": "campaign/personal", "userId": "user1"},
        lambda a: invalid(
            "1 validation error detected: Value 'campaign/personal' at 'campaignArn' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: arn:([a-z\\d-]+):personalize:.*:.*:.+"
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_runtime_refusal_code_status_and_message(served, case: str) -> None:
    box, arns = served
    method, request, expected = REFUSALS[case]
    assert client_failure(lambda: getattr(box.runtime, method)(**request(arns))) == expected(arns)


def test_get_recommendations_campaign_not_active_invalid_input(box: Sandbox) -> None:
    # GIVEN a campaign just created (CREATE PENDING)
    version = box.trained()["solutionVersionArn"]
    arn = box.personalize.create_campaign(name="fresh", solutionVersionArn=version)["campaignArn"]

    # WHEN it is asked for recommendations THEN it refuses until ACTIVE
    assert client_failure(lambda: box.runtime.get_recommendations(campaignArn=arn, userId="user1")) == invalid(
        f"Campaign {arn} is CREATE PENDING; it serves recommendations only when ACTIVE."
    )
    box.settle("campaign", arn)
    assert box.runtime.get_recommendations(campaignArn=arn, userId="user1", numResults=3)["itemList"]


def test_get_recommendations_filter_not_active_invalid_input(box: Sandbox) -> None:
    # GIVEN an ACTIVE campaign and a filter just created (CREATE PENDING)
    arns = build_group(box, "g")
    arn = campaign(box, arns["group"], "aws-popularity-count", "pop")
    filter_arn = box.personalize.create_filter(
        name="f", datasetGroupArn=arns["group"], filterExpression="EXCLUDE ItemID WHERE Items.PRICE > 3"
    )["filterArn"]

    # WHEN the filter is applied THEN it is refused until ACTIVE
    assert client_failure(lambda: box.runtime.get_recommendations(campaignArn=arn, filterArn=filter_arn)) == invalid(
        f"Filter {filter_arn} is CREATE PENDING; a filter must be ACTIVE to be used."
    )
    box.settle("filter", filter_arn)
    assert box.runtime.get_recommendations(campaignArn=arn, filterArn=filter_arn, numResults=3)["itemList"]


def test_model_recommend_filter_walks_past_the_first_windows_in_model_order() -> None:
    from local.personalize.algorithms import TrainingData, train
    from local.personalize.training import Interaction

    # GIVEN a model over 300 items and a filter letting one item in 50 through (6 in all)
    rows = [Interaction(user, item, 1_700_000_000 + n) for n, (user, item, _) in enumerate(interactions(60, 20, 300))]
    model = train("aws-user-personalization", TrainingData(rows))
    full = [item for item, _ in model.recommend(user_id="user1", num_results=300)]

    # WHEN 5 filtered recommendations are asked for (the first windows hold too few allowed items)
    filtered = model.recommend(user_id="user1", num_results=5, allowed=lambda item: int(item[4:]) % 50 == 0)

    # THEN they are the first 5 allowed items of the unfiltered order, with the scores the full list shows
    expected = [item for item in full if int(item[4:]) % 50 == 0][:5]
    assert [item for item, _ in filtered] == expected and len(expected) == 5
    scores = dict(model.recommend(user_id="user1", num_results=300))
    assert [score for _, score in filtered] == [scores[item] for item in expected]


def test_get_recommendations_recommenders_answer_per_use_case(box: Sandbox) -> None:
    # GIVEN an ECOMMERCE group with three recommenders of different use cases, and one stopped
    group = box.with_domain_data()
    arns = {
        use_case: box.recommender(group, use_case, use_case)["recommenderArn"]
        for use_case in (
            "aws-ecomm-recommended-for-you",
            "aws-ecomm-customers-who-viewed-x-also-viewed",
            "aws-ecomm-popular-items-by-views",
        )
    }
    personal, related, popular = arns.values()

    # THEN each answers what its use case takes, and refuses what it needs but lacks
    assert len(box.runtime.get_recommendations(recommenderArn=personal, userId="user1", numResults=4)["itemList"]) == 4
    assert len(box.runtime.get_recommendations(recommenderArn=related, itemId="item1", numResults=4)["itemList"]) == 4
    assert len(box.runtime.get_recommendations(recommenderArn=popular, numResults=4)["itemList"]) == 4
    assert client_failure(lambda: box.runtime.get_recommendations(recommenderArn=personal)) == invalid(
        f"userId is required: {personal} uses a USER_PERSONALIZATION recipe."
    )
    assert client_failure(lambda: box.runtime.get_recommendations(recommenderArn=related, userId="user1")) == invalid(
        f"itemId is required: {related} uses a RELATED_ITEMS recipe."
    )
    missing = f"{PREFIX}:recommender/none"
    assert client_failure(lambda: box.runtime.get_recommendations(recommenderArn=missing)) == not_found(missing)

    # WHEN a recommender is stopped THEN it no longer serves
    box.personalize.stop_recommender(recommenderArn=popular)
    status = box.personalize.describe_recommender(recommenderArn=popular)["recommender"]["status"]
    assert client_failure(lambda: box.runtime.get_recommendations(recommenderArn=popular)) == invalid(
        f"Recommender {popular} is {status}; it serves recommendations only when ACTIVE."
    )


def test_dataplane_operations_in_models_and_implemented() -> None:
    from local.personalize.dataplane import OPERATIONS
    from local.personalize.ops import HANDLERS
    from local.personalize.validation import service_model

    for service, operations in OPERATIONS.items():
        assert set(operations) <= set(service_model(service).operation_names), service
        assert set(operations) <= set(HANDLERS), service


def test_dataplane_unimplemented_operation_is_a_client_error(box: Sandbox) -> None:
    # WHEN PutItems (not emulated) is called THEN botocore raises a ClientError, not moto's 404 "Not yet implemented"
    assert client_failure(
        lambda: box.events.put_items(datasetArn=f"{PREFIX}:dataset/dg/ITEMS", items=[{"itemId": "i1"}])
    ) == (400, "UnknownOperationException", "PutItems is not implemented by the local Personalize emulator.")
