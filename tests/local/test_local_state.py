"""``--state DIR``: the emulator's resources survive a save and a load into a new process-like setup, and
``python -m local recommend`` answers from them (no stack deployed: only Personalize is needed)."""

from __future__ import annotations

import io
import json
import pickle
from pathlib import Path

import pytest

from local import state as local_state
from local.cli import main
from local.personalize.testing import DOMAIN_INTERACTIONS_SCHEMA, ITEMS_SCHEMA, Sandbox, domain_interactions, sandbox

RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization"
HEADER = ("USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP")
GENRES = ("comedy", "drama", "kids")


def saved_cloud(box: Sandbox, directory: Path) -> dict[str, str]:
    """A campaign and a filter on imported data; the emulator saved in ``directory`` like `run --state` does."""
    group = box.dataset_group("shop")
    dataset = box.dataset(group, "Interactions", DOMAIN_INTERACTIONS_SCHEMA)
    rows = domain_interactions(("purchase", "click", "click"), users=40)
    box.import_job(dataset, box.put_csv("shop/i.csv", HEADER, rows), "shop-import")
    items = box.dataset(group, "Items", ITEMS_SCHEMA)
    catalogue = [(f"item{i}", GENRES[i % 3], i) for i in range(60)]
    box.import_job(items, box.put_csv("shop/items.csv", ("ITEM_ID", "GENRES", "PRICE"), catalogue), "shop-items")
    version = box.version(box.solution(group, "sol", recipeArn=RECIPE))["solutionVersionArn"]
    campaign = box.personalize.create_campaign(name="shop-campaign", solutionVersionArn=version)["campaignArn"]
    box.settle("campaign", campaign)
    flt = box.filter(group, "INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)", "genre")["filterArn"]
    local_state.save(directory, local_state.SavedState(box.clock.latest, box.emulator.snapshot(), {"k": b"v"}))
    return {"campaign": campaign, "filter": flt}


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], dict]:
    """(directory, ARNs, what the campaign answered for user3 before saving)."""
    directory = tmp_path_factory.mktemp("state")
    with pytest.MonkeyPatch.context() as patch, sandbox(patch) as box:
        arns = saved_cloud(box, directory)
        answer = box.runtime.get_recommendations(campaignArn=arns["campaign"], userId="user3", numResults=10)
    answer.pop("ResponseMetadata")
    return directory, arns, answer


def recommend(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["recommend", *argv], out=out), out.getvalue()


def test_state_round_trip_restored_emulator_answers_like_the_saved_one(state_dir, monkeypatch) -> None:
    directory, arns, answer = state_dir

    # WHEN the saved state is loaded into a new emulator inside a new moto
    saved = local_state.load(directory)
    with sandbox(monkeypatch) as box:
        box.emulator.restore(saved.personalize)
        box.clock.advance_to(saved.sim_time)
        again = box.runtime.get_recommendations(campaignArn=arns["campaign"], userId="user3", numResults=10)
        campaigns = box.personalize.list_campaigns()["campaigns"]

    # THEN the campaign is there, ACTIVE, and answers the same items and scores; the bucket's objects were kept
    assert [(c["name"], c["status"]) for c in campaigns] == [("shop-campaign", "ACTIVE")]
    assert again["itemList"] == answer["itemList"]
    assert saved.bucket == {"k": b"v"}


def test_state_load_refuses_missing_and_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(local_state.StateError, match="no saved local cloud there"):
        local_state.load(tmp_path)
    (tmp_path / local_state.FILE_NAME).write_bytes(pickle.dumps({"not": "a state"}))
    with pytest.raises(local_state.StateError, match="saved by another version of the local cloud"):
        local_state.load(tmp_path)


def test_recommend_json_prints_the_get_recommendations_response(state_dir) -> None:
    directory, _, answer = state_dir

    # WHEN the CLI asks the saved campaign for user3's top 10 as JSON
    code, output = recommend(
        "--state", str(directory), "--campaign", "shop-campaign", "--user-id", "user3", "--num", "10", "--json"
    )

    # THEN it prints the response: itemList with itemId and score, and a recommendationId
    assert code == 0
    printed = json.loads(output)
    assert set(printed) == {"itemList", "recommendationId"}
    assert printed["itemList"] == answer["itemList"]
    assert all(set(entry) == {"itemId", "score"} for entry in printed["itemList"])


def test_recommend_table_shows_top_items_next_to_recent_history(state_dir) -> None:
    directory, _, answer = state_dir
    latest = sorted(
        ((t, i) for u, i, _, t in domain_interactions(("purchase", "click", "click"), users=40) if u == "user3"),
        reverse=True,
    )[:10]

    code, output = recommend(
        "--state", str(directory), "--campaign", "shop-campaign", "--user-id", "user3", "--num", "10"
    )

    assert code == 0
    lines = output.splitlines()
    assert (
        lines[0].startswith("Recommended for user user3 (shop-campaign)") and "Recent history of user user3" in lines[0]
    )
    for rank, (entry, (_, item)) in enumerate(zip(answer["itemList"], latest, strict=True), start=1):
        row = lines[1 + rank]
        assert row.startswith(f"{rank:>3}. {entry['itemId']}  {entry['score']:.4f}") and f"  {item}  " in row


def test_recommend_filter_values_reach_the_filter(state_dir) -> None:
    directory, _, _ = state_dir
    base = ("--state", str(directory), "--campaign", "shop-campaign", "--user-id", "user3", "--json")
    unfiltered = [e["itemId"] for e in json.loads(recommend(*base, "--num", "500")[1])["itemList"]]

    # WHEN the genre filter gets GENRE="kids" from the command line
    code, output = recommend(*base, "--num", "5", "--filter", "genre", "--filter-value", 'GENRE="kids"')

    # THEN the five best kids items of the unfiltered list come back
    kids = [item for item in unfiltered if GENRES[int(item.removeprefix("item")) % 3] == "kids"]
    assert code == 0
    assert [e["itemId"] for e in json.loads(output)["itemList"]] == kids[:5]


def test_recommend_refusals_exit_codes(state_dir, tmp_path: Path, capsys) -> None:
    directory, arns, _ = state_dir
    assert recommend("--state", str(tmp_path), "--campaign", "x")[0] == 2
    assert "no saved local cloud there" in capsys.readouterr().err
    assert recommend("--state", str(directory), "--campaign", "nope")[0] == 2
    assert "no campaign named 'nope' in the saved local cloud (there: shop-campaign)" in capsys.readouterr().err
    assert recommend("--state", str(directory), "--campaign", "shop-campaign")[0] == 1
    assert capsys.readouterr().err == (
        f"error: InvalidInputException: userId is required: {arns['campaign']} uses a USER_PERSONALIZATION recipe.\n"
    )
