"""The committed example is what ``example/generate_data.py`` writes, and Personalize can train on it.

These tests read ``example/`` only; none touch the network or the clock.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from example import generate_data as gen

EXAMPLE = Path(__file__).resolve().parents[2] / "example"
DATA = EXAMPLE / "data"
USERS_CSV = DATA / gen.USERS_PATH
INTERACTIONS_CSV = DATA / gen.INTERACTIONS_PATH
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*$")
SMALL = gen.Config(users=30, items=40, interactions=1200, seed=3)


@dataclass(frozen=True)
class Committed:
    users: list[dict[str, str]]
    interactions: list[dict[str, str]]
    users_header: list[str]
    interactions_header: list[str]


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _schema_fields(params_path: Path, dataset: str) -> list[str]:
    params = json.loads(params_path.read_text(encoding="utf-8"))
    return [field["name"] for field in params["datasets"][dataset]["schema"]["fields"]]


def _render(config: gen.Config) -> dict[Path, bytes]:
    """Every file the generator writes for ``config``, as bytes, without touching disk."""
    return {relative: b"".join(gen._chunks(lines)) for relative, lines in gen.Model(config).files()}


@pytest.fixture(scope="module")
def committed() -> Committed:
    users_header, users = _read_csv(USERS_CSV)
    interactions_header, interactions = _read_csv(INTERACTIONS_CSV)
    return Committed(users, interactions, users_header, interactions_header)


#: Each committed data folder and the flavour that writes it (with the default sizes and seed).
COMMITTED_FOLDERS = {"retail": DATA, "shop": EXAMPLE / "shop" / "data", "movies": EXAMPLE / "legacy" / "data"}


@pytest.mark.parametrize("flavour", gen.FLAVOURS)
def test_check_committed_data_reports_nothing_stale(flavour):
    # GIVEN a committed data folder and the generator's defaults for its flavour
    folder = COMMITTED_FOLDERS[flavour]
    # WHEN the --check logic regenerates it in memory
    stale = gen.check(gen.Config(flavour=flavour), folder)
    # THEN no file differs, and the folder holds nothing the generator does not write
    assert stale == []
    written = {relative for relative, _ in gen.Model(gen.Config(flavour=flavour)).files()}
    assert {p.relative_to(folder) for p in folder.rglob("*") if p.is_file()} == written


@pytest.mark.parametrize(
    ("flavour", "header", "events"),
    [
        ("shop", "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE", {"View", "Purchase"}),
        ("movies", "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE", {"watch", "click"}),
    ],
)
def test_generator_flavour_same_browsing_with_event_types(flavour, header, events):
    # GIVEN the retail rendering and another flavour's, same sizes and seed
    retail = _render(gen.Config()).get(gen.INTERACTIONS_PATH).decode().splitlines()
    other = _render(gen.Config(flavour=flavour))[gen.INTERACTIONS_PATH].decode().splitlines()
    # WHEN the interactions are compared
    # THEN the flavour adds only the EVENT_TYPE column, of its two event types, to the same rows
    assert other[0] == header
    assert [line.rsplit(",", 1)[0] for line in other[1:]] == retail[1:]
    assert {line.rsplit(",", 1)[1] for line in other[1:]} == events


def test_generator_shop_items_follow_hidden_category():
    # GIVEN the shop flavour's model
    model = gen.Model(gen.Config(flavour="shop"))
    # WHEN its items file is rendered
    rows = [line.split(",") for line in b"".join(gen._chunks(model.item_lines())).decode().splitlines()]
    rank_of = {item_id: rank for rank, item_id in enumerate(model.item_ids)}
    # THEN every item appears once, in ID order, its category is its hidden category and its price positive
    assert rows[0] == ["ITEM_ID", "PRICE", "CATEGORY_L1"]
    assert [r[0] for r in rows[1:]] == sorted(model.item_ids)
    assert all(r[2] == gen.SHOP_CATEGORIES[model.category_of[rank_of[r[0]]]] for r in rows[1:])
    assert all(float(r[1]) > 0 for r in rows[1:])


def test_generator_movie_items_genres_and_years():
    # GIVEN the movies flavour's model
    model = gen.Model(gen.Config(flavour="movies"))
    # WHEN its items file is rendered
    rows = [line.split(",") for line in b"".join(gen._chunks(model.item_lines())).decode().splitlines()]
    rank_of = {item_id: rank for rank, item_id in enumerate(model.item_ids)}
    # THEN the first genre is the hidden category, a second one differs from it, years are in range,
    # and the legacy example's 1970s filter keeps some items
    assert rows[0] == ["ITEM_ID", "GENRE", "YEAR"]
    for item_id, genre, year in rows[1:]:
        genres = genre.split("|")
        assert genres[0] == gen.MOVIE_GENRES[model.category_of[rank_of[item_id]]]
        assert len(genres) == len(set(genres)) <= 2
        assert gen.YEAR_MIN <= int(year) <= gen.YEAR_MAX
    assert sum(1970 <= int(r[2]) < 1980 for r in rows[1:]) >= 20


def test_generator_shop_batch_input_json_lines_every_tenth_user():
    # GIVEN the shop flavour
    files = _render(gen.Config(flavour="shop"))
    # WHEN its batch input is parsed
    lines = [json.loads(line) for line in files[gen.BATCH_USERS_PATH].decode().splitlines()]
    # THEN it is one {"userId"} object per line, every 10th user
    assert lines == [{"userId": f"u{i:04d}"} for i in range(1, 251, 10)]


def test_config_unknown_flavour_raises():
    # GIVEN a flavour the generator does not have
    # WHEN the model is built
    # THEN it refuses, naming the flavours
    with pytest.raises(ValueError, match="--flavour must be one of retail, shop, movies"):
        gen.Model(gen.Config(flavour="books"))


def test_main_check_with_other_seed_exits_one(capsys):
    # GIVEN the committed data, made with seed 42
    # WHEN --check runs with another seed
    code = gen.main(["--check", "--seed", "7", "--out", str(DATA)])
    # THEN it exits 1 and names both stale files
    assert code == 1
    assert capsys.readouterr().err.count("stale:") == 2


def test_main_check_with_missing_files_exits_one(tmp_path):
    # GIVEN an empty output folder
    # WHEN --check runs against it
    code = gen.main(["--check", "--out", str(tmp_path)])
    # THEN it exits 1 and writes nothing
    assert code == 1
    assert list(tmp_path.iterdir()) == []


def test_main_write_then_check_round_trips(tmp_path):
    # GIVEN a small size written to a fresh folder by the CLI
    args = ["--users", "30", "--items", "40", "--interactions", "1200", "--seed", "3", "--out", str(tmp_path)]
    assert gen.main(args) == 0
    # WHEN --check runs with the same arguments
    code = gen.main([*args, "--check"])
    # THEN the files on disk are reported up to date and equal the in-memory rendering
    assert code == 0
    for relative, expected in _render(SMALL).items():
        assert (tmp_path / relative).read_bytes() == expected


def test_generator_same_seed_twice_identical_bytes():
    # GIVEN the default configuration
    # WHEN the files are rendered twice
    first, second = _render(gen.Config()), _render(gen.Config())
    # THEN the bytes are identical
    assert first == second


def test_generator_different_seed_different_bytes():
    # GIVEN two configurations that differ only in seed
    # WHEN both are rendered
    first, second = _render(gen.Config(seed=42)), _render(gen.Config(seed=43))
    # THEN both files differ
    assert first[gen.USERS_PATH] != second[gen.USERS_PATH]
    assert first[gen.INTERACTIONS_PATH] != second[gen.INTERACTIONS_PATH]


def test_committed_data_default_size_meets_training_minimums(committed):
    # GIVEN the committed data
    per_user = Counter(row["USER_ID"] for row in committed.interactions)
    # WHEN the users with at least 2 interactions are counted
    with_two = sum(1 for count in per_user.values() if count >= 2)
    # THEN every minimum holds with margin, and every user has at least 2
    assert len(committed.interactions) == 25000 >= 10 * gen.MIN_INTERACTIONS
    assert len(committed.users) == 250
    assert with_two == len(committed.users) >= 10 * gen.MIN_USERS_WITH_TWO
    assert with_two / len(committed.users) >= gen.MIN_SHARE_WITH_TWO
    assert len({row["ITEM_ID"] for row in committed.interactions}) <= 600


@pytest.mark.parametrize("params_name", ["params.json", "seed-params.json"])
def test_csv_headers_equal_params_schema_fields(committed, params_name):
    # GIVEN a params file's Users and Interactions schemas
    params = EXAMPLE / params_name
    # WHEN they are compared with the CSV headers
    # THEN the headers list exactly the schema field names, in order
    assert committed.users_header == _schema_fields(params, "Users")
    assert committed.interactions_header == _schema_fields(params, "Interactions")


def test_committed_data_every_interaction_id_known(committed):
    # GIVEN the users file and the interactions file
    user_ids = [row["USER_ID"] for row in committed.users]
    # WHEN the interactions' IDs are collected
    referenced = {row["USER_ID"] for row in committed.interactions}
    item_ids = {row["ITEM_ID"] for row in committed.interactions}
    # THEN each user ID exists in users.csv, and IDs have the documented zero-padded form
    assert referenced <= set(user_ids)
    assert user_ids == sorted(user_ids) == [f"u{i:04d}" for i in range(1, 251)]
    assert item_ids <= {f"i{i:05d}" for i in range(1, 601)}


def test_committed_data_rows_sorted_increasing_and_unique(committed):
    # GIVEN the committed interactions
    rows = [(int(r["TIMESTAMP"]), r["USER_ID"], r["ITEM_ID"]) for r in committed.interactions]
    # WHEN their order and timestamps are inspected
    last_per_user: dict[str, int] = {}
    increasing = True
    for timestamp, user_id, _ in rows:
        increasing &= timestamp > last_per_user.get(user_id, -1)
        last_per_user[user_id] = timestamp
    # THEN rows are sorted by TIMESTAMP then USER_ID, each user's times strictly increase,
    # no row repeats, and every time is in the 180 days before 2026-01-01T00:00:00Z
    assert [(t, u) for t, u, _ in rows] == sorted((t, u) for t, u, _ in rows)
    assert increasing
    assert len(set(rows)) == len(rows)
    assert gen.START_EPOCH <= rows[0][0] and rows[-1][0] < gen.END_EPOCH == 1767225600


def test_committed_data_users_have_valid_metadata(committed):
    # GIVEN the committed users
    # WHEN their metadata is inspected
    genders = Counter(row["GENDER"] for row in committed.users)
    ages = [int(row["AGE"]) for row in committed.users]
    # THEN GENDER is categorical over F/M/X and AGE an int from 18 to 80
    assert set(genders) == {"F", "M", "X"}
    assert all(18 <= age <= 80 for age in ages)


def test_committed_data_popularity_and_activity_skewed(committed):
    # GIVEN the committed interactions
    items = Counter(row["ITEM_ID"] for row in committed.interactions)
    per_user = sorted(Counter(row["USER_ID"] for row in committed.interactions).values())
    # WHEN the head of the item distribution and the spread of user activity are measured
    top10_share = sum(count for _, count in items.most_common(10)) / len(committed.interactions)
    # THEN a few items dominate (Zipf) and the busiest users far outpace the median (log-normal)
    assert 0.25 <= top10_share <= 0.6
    assert per_user[-1] >= 5 * per_user[len(per_user) // 2]


@pytest.mark.parametrize("path", [USERS_CSV, INTERACTIONS_CSV], ids=["users", "interactions"])
def test_committed_csv_format_unquoted_lf_utf8(path):
    # GIVEN a committed CSV file
    raw = path.read_bytes()
    # WHEN its encoding and line endings are inspected
    text = raw.decode("utf-8")
    # THEN lines end in \n only, nothing is quoted, and the file ends with a newline
    assert b"\r" not in raw
    assert '"' not in text
    assert text.endswith("\n")
    assert all(line.count(",") == 2 for line in io.StringIO(text))


def test_generator_minimum_interactions_every_user_has_two():
    # GIVEN exactly 2 interactions per user, the smallest size allowed
    config = gen.Config(users=40, items=5, interactions=80, seed=1)
    # WHEN the data is rendered
    text = _render(config)[gen.INTERACTIONS_PATH].decode()
    per_user = Counter(line.split(",")[0] for line in text.splitlines()[1:])
    # THEN every user has exactly 2
    assert len(per_user) == 40 and set(per_user.values()) == {2}


def test_config_fewer_than_two_per_user_raises():
    # GIVEN fewer interactions than 2 per user
    config = gen.Config(users=100, items=10, interactions=199)
    # WHEN the model is built
    # THEN it refuses before drawing anything
    with pytest.raises(ValueError, match="at least 2 x --users"):
        gen.Model(config)


def test_params_json_names_valid_and_recipe_v2():
    # GIVEN the demo params.json
    params = json.loads((EXAMPLE / "params.json").read_text(encoding="utf-8"))
    # WHEN its resource names and solution are inspected
    names = [
        params["datasetGroup"]["name"],
        *(dataset["name"] for dataset in params["datasets"].values()),
        params["solution"]["name"],
        params["campaign"]["name"],
    ]
    # THEN all names are valid Personalize names, the solution uses User-Personalization-v2 without
    # AutoML, the campaign is at 1 TPS, and only the four documented sections exist
    assert all(NAME_PATTERN.match(name) and len(name) <= 63 for name in names)
    assert set(params) == {"datasetGroup", "datasets", "solution", "campaign"}
    assert params["solution"] == {
        "name": "retail-user-personalization",
        "recipeArn": "arn:aws:personalize:::recipe/aws-user-personalization-v2",
    }
    assert params["campaign"]["minProvisionedTPS"] == 1


def test_seed_params_same_schemas_as_demo_with_automl():
    # GIVEN the seed README's params copy and the demo params
    seed = json.loads((EXAMPLE / "seed-params.json").read_text(encoding="utf-8"))
    demo = json.loads((EXAMPLE / "params.json").read_text(encoding="utf-8"))
    # WHEN their schemas and solutions are compared
    # THEN the schemas are identical and the seed keeps its legacy AutoML solution
    for dataset in ("Interactions", "Users"):
        assert seed["datasets"][dataset]["schema"] == demo["datasets"][dataset]["schema"]
    assert seed["solution"] == {"name": "Solution", "performAutoML": True}
