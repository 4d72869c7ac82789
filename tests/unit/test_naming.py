"""Derived resource names (personalize_pipeline.naming): valid, deterministic, content-addressed."""

from __future__ import annotations

import hashlib
import re

import pytest

from personalize_pipeline.naming import (
    NAME_MAX_LENGTH,
    SCHEDULE_NAME_MAX_LENGTH,
    canonical_json,
    fit_name,
    import_job_name,
    is_valid_name,
    schedule_name,
    schedule_prefix,
    schema_name,
    sha256_hex,
    solution_version_name,
)

FINGERPRINT = hashlib.sha256(b"data").hexdigest()
SOLUTION = {"name": "Solution", "recipeArn": "arn:aws:personalize:::recipe/aws-user-personalization-v2"}
DATASETS = [("g-interactions-0123abcd", FINGERPRINT)]


def test_canonical_json_key_order_and_spacing_never_matter():
    # GIVEN one object written two ways WHEN serialised THEN the text is identical and compact
    assert canonical_json({"b": 1, "a": [1, {"d": 2, "c": 3}]}) == canonical_json({"a": [1, {"c": 3, "d": 2}], "b": 1})
    assert canonical_json({"b": 1, "a": "x"}) == '{"a":"x","b":1}'


def test_schema_name_short_group_reads_group_type_and_hash():
    # GIVEN a schema text WHEN its name is derived THEN it is <group>-<type>-<8 hex of the schema>
    text = canonical_json({"type": "record"})
    assert schema_name("DatasetGroup", "Users", text) == f"DatasetGroup-users-{sha256_hex(text)[:8]}"


def test_schema_name_changes_with_schema_and_with_group():
    # GIVEN two schemas and two groups WHEN names are derived THEN every pair differs
    one, two = canonical_json({"v": 1}), canonical_json({"v": 2})
    names = {schema_name("g1", "Users", one), schema_name("g1", "Users", two), schema_name("g2", "Users", one)}
    assert len(names) == 3


def test_import_job_name_uses_twelve_hex_of_the_fingerprint():
    # GIVEN a folder fingerprint WHEN the job name is derived THEN it is content-addressed
    assert import_job_name("retail-demo", "Interactions", FINGERPRINT) == f"retail-demo-interactions-{FINGERPRINT[:12]}"


@pytest.mark.parametrize("length", [1, 30, 37, 38, 50, 62, 63])
def test_fit_name_any_base_length_gives_valid_name_with_suffix_intact(length):
    # GIVEN a valid base of any length up to the maximum
    base = ("a-" * 40)[:length].rstrip("-") or "a"
    # WHEN a 25-character suffix is added
    name = fit_name(base, "interactions-0123456789ab")
    # THEN the name is valid, at most 63 characters, and ends with the whole suffix
    assert is_valid_name(name) and len(name) <= NAME_MAX_LENGTH
    assert name.endswith("-interactions-0123456789ab")


def test_fit_name_long_bases_sharing_a_prefix_stay_distinct():
    # GIVEN two 63-character group names differing only in their last character
    first, second = "g" * 62 + "1", "g" * 62 + "2"
    # WHEN names are derived with the same suffix
    names = {fit_name(first, "users-0123abcd"), fit_name(second, "users-0123abcd")}
    # THEN they differ (a digest of the full base replaces the cut tail) and both are valid
    assert len(names) == 2
    assert all(is_valid_name(n) and len(n) == NAME_MAX_LENGTH for n in names)


@pytest.mark.parametrize(
    ("base", "suffix", "message"),
    [
        ("-bad", "x", "not a valid base name: '-bad'"),
        ("", "x", "not a valid base name: ''"),
        ("ok", "", "not a valid name suffix: ''"),
        ("ok", "has space", "not a valid name suffix: 'has space'"),
        ("ok", "x" * 55, f"name suffix too long: '{'x' * 55}'"),
    ],
)
def test_fit_name_invalid_input_raises_value_error(base, suffix, message):
    # GIVEN an invalid base or suffix
    # WHEN fitted THEN ValueError naming the input: derived names are never invalid
    with pytest.raises(ValueError) as raised:
        fit_name(base, suffix)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("base", "suffix", "expected"),
    [
        pytest.param("b" * 54, "x" * 8, "b" * 54 + "-" + "x" * 8, id="base-fills-the-room-exactly"),
        pytest.param("b" * 8, "x" * 54, "b" * 8 + "-" + "x" * 54, id="longest-suffix-short-base"),
        pytest.param("b" * 9, "x" * 54, "b-a08d11-" + "x" * 54, id="longest-suffix-base-cut"),
        pytest.param("g" * 62 + "1", "users-0123abcd", "g" * 41 + "-1a832b-users-0123abcd", id="long-group"),
    ],
)
def test_fit_name_at_the_length_limits_is_pinned(base, suffix, expected):
    # GIVEN a base and suffix at the limits of the 63 characters WHEN fitted THEN the exact published name
    assert fit_name(base, suffix) == expected


def test_solution_version_name_same_inputs_same_name():
    # GIVEN the same solution, data and training mode WHEN named twice THEN the names match (no retraining)
    assert solution_version_name(SOLUTION, DATASETS, None) == solution_version_name(
        dict(SOLUTION), list(DATASETS), None
    )


@pytest.mark.parametrize(
    ("mode", "expected"),
    [(None, "Solution-5978f4f34b62"), ("FULL", "Solution-5978f4f34b62"), ("UPDATE", "Solution-afc025da2202")],
)
def test_solution_version_name_is_pinned(mode, expected):
    # GIVEN fixed inputs WHEN the version is named THEN the exact name: a change would retrain every user's model
    assert solution_version_name(SOLUTION, DATASETS, mode) == expected


def test_solution_version_name_default_training_mode_equals_full():
    # GIVEN no training mode and an explicit FULL WHEN named THEN same name (FULL is the API default)
    assert solution_version_name(SOLUTION, DATASETS, None) == solution_version_name(SOLUTION, DATASETS, "FULL")


def test_solution_version_name_tags_do_not_force_retraining():
    # GIVEN the solution with extra tags WHEN named THEN the name is unchanged
    tagged = {**SOLUTION, "tags": [{"tagKey": "team", "tagValue": "recs"}]}
    assert solution_version_name(tagged, DATASETS, None) == solution_version_name(SOLUTION, DATASETS, None)


@pytest.mark.parametrize(
    ("solution", "datasets", "mode"),
    [
        ({**SOLUTION, "performHPO": True}, DATASETS, None),
        (SOLUTION, [("g-interactions-0123abcd", hashlib.sha256(b"new data").hexdigest())], None),
        (SOLUTION, [("g-interactions-ffffffff", FINGERPRINT)], None),
        (SOLUTION, [*DATASETS, ("g-users-01234567", FINGERPRINT)], None),
        (SOLUTION, DATASETS, "UPDATE"),
    ],
    ids=["config", "data", "schema", "dataset-added", "training-mode"],
)
def test_solution_version_name_any_training_input_change_gives_new_name(solution, datasets, mode):
    # GIVEN a change to something the model depends on WHEN named THEN the name differs
    name = solution_version_name(solution, datasets, mode)
    assert name != solution_version_name(SOLUTION, DATASETS, None)
    assert name.startswith("Solution-") and is_valid_name(name)


def test_solution_version_name_long_solution_name_stays_valid():
    # GIVEN a 63-character solution name WHEN the version is named THEN it fits, hash suffix intact
    name = solution_version_name({"name": "s" * 63}, DATASETS, None)
    assert is_valid_name(name) and len(name) == NAME_MAX_LENGTH


def _hex8(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def test_schedule_name_import_schedule_is_prefix_plus_import():
    # GIVEN a short dataset group name / WHEN its import schedule is named / THEN the whole name is pinned
    assert schedule_name("shop-demo") == f"shop-demo-{_hex8('shop-demo')}-import"
    assert schedule_prefix("shop-demo") == f"shop-demo-{_hex8('shop-demo')}-"


@pytest.mark.parametrize("group_length", [1, 20, 63])
@pytest.mark.parametrize("solution_length", [1, 19, 63])
def test_schedule_name_longest_names_fit_scheduler_limits(group_length, solution_length):
    # GIVEN names up to Personalize's 63 characters
    group, solution = "g" * group_length, "s" * solution_length
    # WHEN both schedule kinds are named
    names = [schedule_name(group), schedule_name(group, solution)]
    # THEN each fits Scheduler's Name shape and starts with the group's prefix
    for name in names:
        assert len(name) <= SCHEDULE_NAME_MAX_LENGTH
        assert re.fullmatch(r"[0-9a-zA-Z\-_.]+", name)
        assert name.startswith(schedule_prefix(group))


def test_schedule_prefix_groups_sharing_a_start_do_not_match_each_other():
    # GIVEN two groups whose names share their first 20 characters, and a group that extends another
    groups = ["a" * 20 + "-eu", "a" * 20 + "-us", "shop", "shop-eu"]
    # WHEN each group's schedules are listed by prefix / THEN no prefix is the start of another group's names
    for group in groups:
        for other in groups:
            if other != group:
                assert not schedule_name(other).startswith(schedule_prefix(group))
                assert not schedule_name(other, "x").startswith(schedule_prefix(group))


def test_schedule_name_solution_schedule_is_pinned():
    # GIVEN a group and a solution / WHEN the retraining schedule is named / THEN the whole name is pinned
    expected = f"shop-demo-{_hex8('shop-demo')}-train-shop-user-personali-{_hex8('shop-user-personalization')}"
    assert schedule_name("shop-demo", "shop-user-personalization") == expected
