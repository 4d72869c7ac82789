"""Dataset schema checks (personalize_pipeline.schemas): Avro validity, then Personalize's rules."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from personalize_pipeline.schemas import alphanumeric, check_schema, schema_fields

PATH = "datasets.X.schema"


def record(*fields: dict[str, Any], name: str = "Schema") -> dict[str, Any]:
    return {
        "type": "record",
        "name": name,
        "namespace": "com.amazonaws.personalize.schema",
        "fields": list(fields),
        "version": "1.0",
    }


def f(name: str, type_: Any = "string", **flags: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **flags}


INTERACTIONS = record(f("USER_ID"), f("ITEM_ID"), f("TIMESTAMP", "long"))
USERS = record(f("USER_ID"), f("GENDER", categorical=True), f("AGE", "int"))
ITEMS = record(
    f("ITEM_ID"),
    f("GENRES", ["null", "string"], categorical=True, default=None),
    f("DESCRIPTION", textual=True),
    f("TITLE", itemName=True),
    f("PRICE", "float"),
    f("CREATION_TIMESTAMP", "long"),
)


def interactions_with(*extra: dict[str, Any]) -> dict[str, Any]:
    schema = copy.deepcopy(INTERACTIONS)
    schema["fields"].extend(extra)
    return schema


def users_with(*extra: dict[str, Any]) -> dict[str, Any]:
    schema = copy.deepcopy(USERS)
    schema["fields"].extend(extra)
    return schema


def items_with(*extra: dict[str, Any]) -> dict[str, Any]:
    schema = copy.deepcopy(ITEMS)
    schema["fields"].extend(extra)
    return schema


@pytest.mark.parametrize(
    ("schema", "dataset_type"),
    [
        (INTERACTIONS, "Interactions"),
        (USERS, "Users"),
        (ITEMS, "Items"),
        (
            interactions_with(
                f("EVENT_TYPE"),
                f("EVENT_VALUE", ["null", "float"]),
                f("IMPRESSION", ["null", "string"]),
                f("RECOMMENDATION_ID", ["string", "null"], default=""),
                f("EVENT_ATTRIBUTION_SOURCE", "string"),
                *(f(f"META_{i}", "double") for i in range(5)),
            ),
            "Interactions",
        ),
        (users_with(*(f(f"M{i}", "boolean") for i in range(23))), "Users"),
        (items_with(*(f(f"M{i}", "long") for i in range(96))), "Items"),
    ],
    ids=["interactions", "users", "items", "interactions-reserved-and-5-metadata", "users-25-metadata", "items-100"],
)
def test_check_schema_valid_schema_reports_nothing(schema, dataset_type):
    # GIVEN a schema following every rule for its dataset type
    # WHEN it is checked
    # THEN there is no problem
    assert check_schema(schema, dataset_type, PATH) == []


F = f"{PATH}.fields"

BAD_SCHEMAS = [
    # shape of the document
    (
        "escaped-string",
        '{"type": "record"}',
        "Users",
        f"{PATH}: expected the Avro schema as a JSON object, got a string",
    ),
    ("not-an-object", ["USER_ID"], "Users", f"{PATH}: expected an Avro schema object"),
    ("not-a-record", {**USERS, "type": "enum"}, "Users", f'{PATH}.type: must be "record", got "enum"'),
    ("unknown-record-key", {**USERS, "fileds": []}, "Users", f'{PATH}.fileds: unknown key; did you mean "fields"?'),
    ("fields-missing", {"type": "record", "name": "Users"}, "Users", f"{F}: required but missing"),
    ("fields-empty", record(), "Users", f"{F}: must hold at least one field"),
    ("fields-not-list", {**USERS, "fields": {"USER_ID": "string"}}, "Users", f"{F}: expected a list of fields"),
    ("field-not-object", users_with("AGE2"), "Users", f"{F}[3]: expected a field object"),
    ("field-name-missing", users_with({"type": "int"}), "Users", f"{F}[3].name: required but missing"),
    ("field-name-invalid", users_with(f("AGE-2", "int")), "Users", f'{F}[3].name: "AGE-2" is not a valid field name'),
    ("field-type-missing", users_with({"name": "CITY"}), "Users", f"{F}[3].type: CITY: required but missing"),
    (
        "unknown-field-key",
        users_with(f("CITY", categorial=True)),
        "Users",
        f'{F}[3].categorial: unknown key; did you mean "categorical"?',
    ),
    ("avro-parse-error", users_with(f("CITY", "strng")), "Users", f"{PATH}: not a valid Avro schema: "),
    # types
    (
        "type-typo",
        users_with(f("CITY", "strng")),
        "Users",
        f'{F}[3].type: CITY: unsupported type "strng"; use one of float, double, int, long, string, boolean; '
        'did you mean "string"?',
    ),
    ("type-bytes", users_with(f("CITY", "bytes")), "Users", f'{F}[3].type: CITY: unsupported type "bytes"'),
    (
        "type-array",
        users_with(f("TAGS", {"type": "array", "items": "string"})),
        "Users",
        f"{F}[3].type: TAGS: arrays are not supported",
    ),
    (
        "type-map",
        users_with(f("ATTRS", {"type": "map", "values": "string"})),
        "Users",
        f"{F}[3].type: ATTRS: maps are not supported",
    ),
    (
        "type-record",
        users_with(f("ADDR", record(f("CITY"), name="Addr"))),
        "Users",
        f"{F}[3].type: ADDR: nested records are not supported",
    ),
    (
        "type-enum",
        users_with(f("TIER", {"type": "enum", "name": "Tier", "symbols": ["A"]})),
        "Users",
        f"{F}[3].type: TIER: enums are not supported",
    ),
    (
        "type-fixed",
        users_with(f("HASH", {"type": "fixed", "name": "H", "size": 4})),
        "Users",
        f"{F}[3].type: HASH: fixed is not supported",
    ),
    ("type-null-only", users_with(f("CITY", "null")), "Users", f"{F}[3].type: CITY: a field cannot be only null"),
    (
        "union-three",
        users_with(f("CITY", ["null", "string", "int"])),
        "Users",
        f'{F}[3].type: CITY: unions may only pair "null"',
    ),
    (
        "union-without-null",
        users_with(f("CITY", ["string", "int"])),
        "Users",
        f'{F}[3].type: CITY: unions may only pair "null"',
    ),
    (
        "union-of-array",
        users_with(f("TAGS", ["null", {"type": "array", "items": "string"}])),
        "Users",
        f"{F}[3].type: TAGS: arrays are not supported",
    ),
    (
        "type-object",
        users_with(f("BORN", {"type": "long", "logicalType": "timestamp-millis"})),
        "Users",
        f'{F}[3].type: BORN: write the type as a plain name, "long"',
    ),
    (
        "default-mismatch",
        users_with(f("CITY", ["null", "string"], default="Paris")),
        "Users",
        f'{F}[3].default: CITY: "Paris" does not match the type "null"',
    ),
    (
        "default-int-as-string",
        users_with(f("SIZE", "int", default="1")),
        "Users",
        f'{F}[3].default: SIZE: "1" does not match the type "int"',
    ),
    # required fields
    (
        "user-id-missing",
        record(f("user_id"), f("AGE", "int")),
        "Users",
        f'{F}: a Users schema needs the field USER_ID ("string"); did you mean "user_id"?',
    ),
    (
        "item-id-missing",
        record(f("PRICE", "float")),
        "Items",
        f'{F}: an Items schema needs the field ITEM_ID ("string")',
    ),
    (
        "timestamp-missing",
        record(f("USER_ID"), f("ITEM_ID")),
        "Interactions",
        f'{F}: an Interactions schema needs the field TIMESTAMP ("long")',
    ),
    (
        "user-id-int",
        record(f("USER_ID", "int"), f("AGE", "int")),
        "Users",
        f'{F}[0].type: USER_ID must be "string", got "int"',
    ),
    (
        "item-id-nullable",
        record(f("ITEM_ID", ["null", "string"]), f("PRICE", "float")),
        "Items",
        f'{F}[0].type: ITEM_ID must be "string", got ["null", "string"]',
    ),
    (
        "timestamp-int",
        record(f("USER_ID"), f("ITEM_ID"), f("TIMESTAMP", "int")),
        "Interactions",
        f'{F}[2].type: TIMESTAMP must be "long", got "int"',
    ),
    (
        "user-id-categorical",
        record(f("USER_ID", categorical=True), f("AGE", "int")),
        "Users",
        f"{F}[0].categorical: USER_ID is an identifier and cannot be categorical",
    ),
    # reserved keywords
    (
        "event-type-categorical",
        interactions_with(f("EVENT_TYPE", categorical=True)),
        "Interactions",
        f"{F}[3].categorical: reserved field EVENT_TYPE must not be categorical",
    ),
    (
        "event-type-nullable",
        interactions_with(f("EVENT_TYPE", ["null", "string"])),
        "Interactions",
        f'{F}[3].type: reserved field EVENT_TYPE must be "string", got ["null", "string"]',
    ),
    (
        "event-value-string",
        interactions_with(f("EVENT_VALUE", "string")),
        "Interactions",
        f'{F}[3].type: reserved field EVENT_VALUE must be "float" or ["null", "float"], got "string"',
    ),
    (
        "impression-long",
        interactions_with(f("IMPRESSION", "long")),
        "Interactions",
        f"{F}[3].type: reserved field IMPRESSION must be",
    ),
    (
        "creation-timestamp-nullable",
        record(f("ITEM_ID"), f("PRICE", "float"), f("CREATION_TIMESTAMP", ["null", "long"])),
        "Items",
        f'{F}[2].type: reserved field CREATION_TIMESTAMP must be "long", got ["null", "long"]',
    ),
    (
        "creation-timestamp-type",
        record(f("ITEM_ID"), f("PRICE", "float"), f("CREATION_TIMESTAMP", "int")),
        "Items",
        f'{F}[2].type: reserved field CREATION_TIMESTAMP must be "long", got "int"',
    ),
    # categorical and textual
    (
        "categorical-int",
        users_with(f("SCORE", "int", categorical=True)),
        "Users",
        f'{F}[3].categorical: only string fields can be categorical; SCORE is "int"',
    ),
    (
        "categorical-not-bool",
        users_with(f("CITY", categorical="yes")),
        "Users",
        f'{F}[3].categorical: CITY: expected true or false, got "yes"',
    ),
    (
        "textual-in-users",
        users_with(f("BIO", textual=True)),
        "Users",
        f"{F}[3].textual: textual fields exist only in Items schemas",
    ),
    (
        "textual-on-number",
        items_with(f("RATING", "double", textual=True)),
        "Items",
        f'{F}[6].textual: only string fields can be textual; RATING is "double"',
    ),
    (
        "textual-twice",
        items_with(f("SUMMARY", textual=True)),
        "Items",
        f"{F}[6].textual: an Items schema allows one textual field; DESCRIPTION",
    ),
    (
        "categorical-and-textual",
        record(f("ITEM_ID"), f("BODY", categorical=True, textual=True)),
        "Items",
        f"{F}[1]: BODY cannot be both categorical and textual",
    ),
    (
        "item-name-twice",
        items_with(f("NAME2", itemName=True)),
        "Items",
        f"{F}[6].itemName: only one field can be the item name",
    ),
    (
        "item-name-in-users",
        users_with(f("NAME", itemName=True)),
        "Users",
        f"{F}[3].itemName: only a string field of an Items schema",
    ),
    # names
    (
        "name-conflict",
        items_with(f("GENRES_FIELD_1", categorical=True), f("GENRESFIELD1", categorical=True)),
        "Items",
        f"{F}[7]: field name GENRESFIELD1 conflicts with GENRES_FIELD_1 ({F}[6])",
    ),
    ("name-duplicate", users_with(f("AGE", "int")), "Users", f"{F}[3]: duplicate field name AGE (also {F}[2])"),
    # counts and size
    (
        "users-no-metadata",
        record(f("USER_ID")),
        "Users",
        f"{F}: a Users schema needs at least 1 metadata field besides USER_ID",
    ),
    (
        "items-no-metadata",
        record(f("ITEM_ID"), f("CREATION_TIMESTAMP", "long")),
        "Items",
        f"{F}: an Items schema needs at least 1 metadata field besides ITEM_ID and the reserved fields",
    ),
    (
        "interactions-6-metadata",
        interactions_with(f("EVENT_TYPE"), *(f(f"M{i}", "int") for i in range(6))),
        "Interactions",
        f"{F}: an Interactions schema allows at most 5 metadata fields besides USER_ID, ITEM_ID, TIMESTAMP "
        "and the reserved fields; found 6",
    ),
    (
        "users-26-metadata",
        users_with(*(f(f"M{i}", "int") for i in range(24))),
        "Users",
        f"{F}: a Users schema allows at most 25 metadata fields besides USER_ID; found 26 (GENDER, AGE, M0",
    ),
    (
        "items-101-metadata",
        items_with(*(f(f"M{i}", "int") for i in range(97))),
        "Items",
        f"{F}: an Items schema allows at most 100 metadata fields besides ITEM_ID and the reserved fields; "
        "found 101 (GENRES, DESCRIPTION, TITLE, PRICE, M0, M1, M2, M3, M4, M5, …)",
    ),
    ("too-long", users_with(f("CITY", doc="x" * 20000)), "Users", f"{PATH}: serialised, the schema is "),
]


@pytest.mark.parametrize(
    ("schema", "dataset_type", "expected"), [c[1:] for c in BAD_SCHEMAS], ids=[c[0] for c in BAD_SCHEMAS]
)
def test_check_schema_rule_broken_reports_field_path(schema, dataset_type, expected):
    # GIVEN a schema breaking one rule
    # WHEN it is checked
    problems = check_schema(schema, dataset_type, PATH)
    # THEN a problem names the path of the offending field (or the schema) and says why
    assert any(p.startswith(expected) for p in problems), problems


def test_check_schema_duplicate_creation_timestamp_names_both_fields():
    # GIVEN an Items schema with CREATION_TIMESTAMP twice (the second one an int)
    problems = check_schema(items_with(f("CREATION_TIMESTAMP", "int")), "Items", PATH)
    # WHEN checked THEN both the duplicate and Avro's refusal are reported
    assert f"{F}[6]: duplicate field name CREATION_TIMESTAMP (also {F}[5])" in problems
    assert any(p.startswith(f"{PATH}: not a valid Avro schema: ") for p in problems)


def test_check_schema_one_mistake_per_field_all_reported():
    # GIVEN a Users schema with three unrelated mistakes
    schema = record(f("USER_ID", "long"), f("CITY", "bytes"), f("SCORE", "int", categorical=True))
    # WHEN checked
    problems = check_schema(schema, "Users", PATH)
    # THEN each is reported under its own field
    assert [p.split(":")[0] for p in problems] == [f"{F}[1].type", f"{F}[0].type", f"{F}[2].categorical"]


def test_schema_fields_maps_names_to_base_types():
    # GIVEN the Items schema WHEN its fields are read THEN nullable unions give their base type
    assert schema_fields(ITEMS) == {
        "ITEM_ID": "string",
        "GENRES": "string",
        "DESCRIPTION": "string",
        "TITLE": "string",
        "PRICE": "float",
        "CREATION_TIMESTAMP": "long",
    }
    assert schema_fields({"fields": [{"name": "A", "type": "bytes"}, "junk"]}) == {"A": None}
    assert schema_fields("not a schema") == {}


def test_alphanumeric_drops_everything_but_letters_and_digits():
    # GIVEN two names Personalize considers equal WHEN normalised THEN they are equal
    assert alphanumeric("GENRES_FIELD_1") == alphanumeric("GENRESFIELD1") == "GENRESFIELD1"
