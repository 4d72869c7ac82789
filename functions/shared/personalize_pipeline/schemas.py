"""Dataset schemas: valid Avro first, then Personalize's own rules for each dataset type.

CreateSchema accepts some schemas that only fail later (at CreateDataset or, worse, at the import
after minutes of waiting), and many mistakes (a typo in ``categorical``, a string field that cannot
be used) never fail at all but silently weaken the model. Catching them here, with the field's path,
costs nothing and saves a run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import avro.schema

from personalize_pipeline.naming import canonical_json
from personalize_pipeline.request_shapes import (
    did_you_mean,
    index_path,
    join_path,
    show,
    unknown_key_problem,
    with_hint,
)

#: Avro types a Personalize field may have (alone, or in a union with "null").
SUPPORTED_TYPES: tuple[str, ...] = ("float", "double", "int", "long", "string", "boolean")
NUMERIC_TYPES: tuple[str, ...] = ("float", "double", "int", "long")
#: CreateSchema's ``schema`` member: max 20000 characters.
MAX_SCHEMA_LENGTH = 20000

RECORD_KEYS: tuple[str, ...] = ("type", "name", "namespace", "fields", "version", "doc", "aliases")
FIELD_KEYS: tuple[str, ...] = (
    "name",
    "type",
    "doc",
    "default",
    "order",
    "aliases",
    "categorical",
    "textual",
    "itemName",
)
_FLAGS = ("categorical", "textual", "itemName")

_AVRO_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NESTED = {
    "array": (
        'arrays are not supported: Personalize schemas are flat; put several values in one string separated by "|"'
    ),
    "map": "maps are not supported: Personalize schemas are flat; use one field per key",
    "record": "nested records are not supported: Personalize schemas are flat",
    "enum": 'enums are not supported; use a string field with "categorical": true',
    "fixed": "fixed is not supported; use a string field",
}
_TYPES_TEXT = ", ".join(SUPPORTED_TYPES)


@dataclass(frozen=True)
class Reserved:
    """A reserved keyword: its base type and whether a union with null is allowed."""

    type: str
    nullable: bool = False


@dataclass(frozen=True)
class DatasetRules:
    required: Mapping[str, str]
    reserved: Mapping[str, Reserved] = field(default_factory=dict)
    min_metadata: int = 0
    max_metadata: int = 0
    textual_allowed: bool = False


#: personalize-facts.md section 5 (current quotas for the metadata limits).
RULES: Mapping[str, DatasetRules] = {
    "Interactions": DatasetRules(
        required={"USER_ID": "string", "ITEM_ID": "string", "TIMESTAMP": "long"},
        reserved={
            "EVENT_TYPE": Reserved("string"),
            "EVENT_VALUE": Reserved("float", nullable=True),
            "IMPRESSION": Reserved("string", nullable=True),
            "RECOMMENDATION_ID": Reserved("string", nullable=True),
            "EVENT_ATTRIBUTION_SOURCE": Reserved("string", nullable=True),
        },
        max_metadata=5,
    ),
    "Users": DatasetRules(required={"USER_ID": "string"}, min_metadata=1, max_metadata=25),
    "Items": DatasetRules(
        required={"ITEM_ID": "string"},
        reserved={"CREATION_TIMESTAMP": Reserved("long")},
        min_metadata=1,
        max_metadata=100,
        textual_allowed=True,
    ),
}


@dataclass(frozen=True)
class FieldType:
    base: str
    nullable: bool
    #: The first branch of a union: Avro requires the default to match it.
    first: str


def _parse_type(value: Any) -> FieldType | str:
    """A field's ``type`` as a :class:`FieldType`, or the problem with it."""
    if isinstance(value, str):
        if value in SUPPORTED_TYPES:
            return FieldType(value, False, value)
        if value == "null":
            return 'a field cannot be only null; use a union such as ["null", "string"]'
        if value in _NESTED:
            return _NESTED[value]
        return with_hint(
            f"unsupported type {show(value)}; use one of {_TYPES_TEXT}", did_you_mean(value, SUPPORTED_TYPES)
        )
    if isinstance(value, list):
        others = [branch for branch in value if branch != "null"]
        if len(value) == 2 and len(others) == 1 and isinstance(others[0], str) and others[0] in SUPPORTED_TYPES:
            return FieldType(others[0], True, value[0])
        nested = [b.get("type") if isinstance(b, dict) else b for b in others]
        for kind in nested:
            if isinstance(kind, str) and kind in _NESTED:
                return _NESTED[kind]
        return f'unions may only pair "null" with one of {_TYPES_TEXT}; got {show(value)}'
    if isinstance(value, dict):
        kind = value.get("type")
        if isinstance(kind, str) and kind in _NESTED:
            return _NESTED[kind]
        if isinstance(kind, str) and kind in SUPPORTED_TYPES:
            return f'write the type as a plain name, "{kind}" (logical types and type objects are not supported)'
        return f"unsupported type {show(value)}; use one of {_TYPES_TEXT}"
    return f'expected a type name such as "string", got {show(value)}'


def _default_matches(default: Any, avro_type: str) -> bool:
    if avro_type == "null":
        return default is None
    if avro_type in ("int", "long"):
        return isinstance(default, int) and not isinstance(default, bool)
    if avro_type in ("float", "double"):
        return isinstance(default, int | float) and not isinstance(default, bool)
    if avro_type == "string":
        return isinstance(default, str)
    return isinstance(default, bool)


def alphanumeric(name: str) -> str:
    """Personalize compares field names on letters and digits only: GENRES_FIELD_1 == GENRESFIELD1."""
    return re.sub(r"[^A-Za-z0-9]", "", name)


@dataclass
class _Field:
    index: int
    path: str
    name: str
    type: FieldType | None
    flags: dict[str, bool]


def schema_fields(schema: Any) -> dict[str, str | None]:
    """Field name -> base type (None if unsupported) for every well-formed field of a schema."""
    result: dict[str, str | None] = {}
    fields = schema.get("fields") if isinstance(schema, dict) else None
    for item in fields if isinstance(fields, list) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            parsed = _parse_type(item.get("type"))
            result[item["name"]] = parsed.base if isinstance(parsed, FieldType) else None
    return result


def check_schema(schema: Any, dataset_type: str, path: str) -> list[str]:
    """Every problem of one dataset's schema, each naming its path (``...schema.fields[2]``).

    ``dataset_type`` is the canonical type: ``Interactions``, ``Users`` or ``Items``.
    """
    if isinstance(schema, str):
        return [
            f"{path}: expected the Avro schema as a JSON object, got a string; write the schema itself "
            '({"type": "record", ...}), not its escaped text'
        ]
    if not isinstance(schema, dict):
        return [f'{path}: expected an Avro schema object ({{"type": "record", "fields": [...]}}), got {show(schema)}']

    problems: list[str] = []
    try:
        avro.schema.parse(json.dumps(schema))
    except Exception as error:  # the avro library raises several types; all mean "invalid schema"
        problems.append(f"{path}: not a valid Avro schema: {error}")

    for key in schema:
        if key not in RECORD_KEYS:
            problems.append(unknown_key_problem(path, key, RECORD_KEYS))
    if schema.get("type") != "record":
        problems.append(f'{join_path(path, "type")}: must be "record", got {show(schema.get("type"))}')

    fields_path = join_path(path, "fields")
    raw_fields = schema.get("fields")
    if raw_fields is None:
        problems.append(f"{fields_path}: required but missing")
        raw_fields = []
    elif not isinstance(raw_fields, list):
        problems.append(f"{fields_path}: expected a list of fields, got {show(raw_fields)}")
        raw_fields = []
    elif not raw_fields:
        problems.append(f"{fields_path}: must hold at least one field")

    fields = [f for i, raw in enumerate(raw_fields) if (f := _check_field(raw, i, fields_path, problems))]
    _check_names(fields, problems)
    _check_rules(fields, dataset_type, fields_path, problems)

    length = len(canonical_json(schema))
    if length > MAX_SCHEMA_LENGTH:
        problems.append(
            f"{path}: serialised, the schema is {length} characters; Personalize accepts at most {MAX_SCHEMA_LENGTH}"
        )
    return problems


def _check_field(raw: Any, index: int, fields_path: str, problems: list[str]) -> _Field | None:
    path = index_path(fields_path, index)
    if not isinstance(raw, dict):
        problems.append(f'{path}: expected a field object {{"name": ..., "type": ...}}, got {show(raw)}')
        return None
    for key in raw:
        if key not in FIELD_KEYS:
            problems.append(unknown_key_problem(path, key, FIELD_KEYS))

    name = raw.get("name")
    label = f" {name}:" if isinstance(name, str) else ""
    if name is None:
        problems.append(f"{join_path(path, 'name')}: required but missing")
    elif not isinstance(name, str):
        problems.append(f"{join_path(path, 'name')}: expected a string, got {show(name)}")
    elif not _AVRO_NAME.fullmatch(name):
        problems.append(
            f"{join_path(path, 'name')}: {show(name)} is not a valid field name: use letters, digits and '_', "
            "not starting with a digit"
        )

    field_type: FieldType | None = None
    if "type" not in raw:
        problems.append(f"{join_path(path, 'type')}:{label} required but missing")
    else:
        parsed = _parse_type(raw["type"])
        if isinstance(parsed, FieldType):
            field_type = parsed
        else:
            problems.append(f"{join_path(path, 'type')}:{label} {parsed}")

    flags: dict[str, bool] = {}
    for flag in _FLAGS:
        if flag in raw:
            if isinstance(raw[flag], bool):
                flags[flag] = raw[flag]
            else:
                problems.append(f"{join_path(path, flag)}:{label} expected true or false, got {show(raw[flag])}")

    if "default" in raw and field_type is not None and not _default_matches(raw["default"], field_type.first):
        problems.append(
            f"{join_path(path, 'default')}:{label} {show(raw['default'])} does not match the type "
            f'"{field_type.first}" (Avro requires the default to match the first type of a union)'
        )
    if not isinstance(name, str):
        return None
    return _Field(index, path, name, field_type, flags)


def _check_names(fields: list[_Field], problems: list[str]) -> None:
    seen: dict[str, _Field] = {}
    for item in fields:
        key = alphanumeric(item.name)
        first = seen.setdefault(key, item)
        if first is item:
            continue
        if first.name == item.name:
            problems.append(f"{item.path}: duplicate field name {item.name} (also {first.path})")
        else:
            problems.append(
                f"{item.path}: field name {item.name} conflicts with {first.name} ({first.path}): Personalize "
                "compares field names on their letters and digits only"
            )


def _type_text(field_type: FieldType) -> str:
    return f'["null", "{field_type.base}"]' if field_type.nullable else f'"{field_type.base}"'


def _check_rules(fields: list[_Field], dataset_type: str, fields_path: str, problems: list[str]) -> None:
    rules = RULES[dataset_type]
    by_name = {item.name: item for item in fields}
    article = "a" if dataset_type == "Users" else "an"

    for name, base in rules.required.items():
        item = by_name.get(name)
        if item is None:
            problems.append(
                with_hint(
                    f'{fields_path}: {article} {dataset_type} schema needs the field {name} ("{base}")',
                    did_you_mean(name, by_name),
                )
            )
            continue
        if item.type is not None and (item.type.base != base or item.type.nullable):
            problems.append(f'{join_path(item.path, "type")}: {name} must be "{base}", got {_type_text(item.type)}')
        for flag in ("categorical", "textual"):
            if item.flags.get(flag):
                problems.append(f"{join_path(item.path, flag)}: {name} is an identifier and cannot be {flag}")

    for name, reserved in rules.reserved.items():
        item = by_name.get(name)
        if item is None:
            continue
        if item.type is not None and (
            item.type.base != reserved.type or (item.type.nullable and not reserved.nullable)
        ):
            allowed = f'"{reserved.type}"' + (f' or ["null", "{reserved.type}"]' if reserved.nullable else "")
            problems.append(
                f"{join_path(item.path, 'type')}: reserved field {name} must be {allowed}, got {_type_text(item.type)}"
            )
        for flag in ("categorical", "textual"):
            if item.flags.get(flag):
                problems.append(f"{join_path(item.path, flag)}: reserved field {name} must not be {flag}")

    metadata = [item for item in fields if item.name not in rules.required and item.name not in rules.reserved]
    textual_fields: list[_Field] = []
    item_name_fields: list[_Field] = []
    for item in metadata:
        base = item.type.base if item.type else None
        categorical, textual = item.flags.get("categorical"), item.flags.get("textual")
        if categorical and base not in (None, "string"):
            problems.append(
                f'{join_path(item.path, "categorical")}: only string fields can be categorical; {item.name} is "{base}"'
            )
        if textual:
            if not rules.textual_allowed:
                problems.append(f"{join_path(item.path, 'textual')}: textual fields exist only in Items schemas")
            elif base not in (None, "string"):
                problems.append(
                    f'{join_path(item.path, "textual")}: only string fields can be textual; {item.name} is "{base}"'
                )
            else:
                textual_fields.append(item)
            if categorical:
                problems.append(f"{item.path}: {item.name} cannot be both categorical and textual; choose one")
        if item.flags.get("itemName"):
            if dataset_type != "Items" or base not in (None, "string"):
                problems.append(
                    f"{join_path(item.path, 'itemName')}: only a string field of an Items schema can be the item name"
                )
            else:
                item_name_fields.append(item)
    for extra in textual_fields[1:]:
        problems.append(
            f"{join_path(extra.path, 'textual')}: an Items schema allows one textual field; "
            f"{textual_fields[0].name} ({textual_fields[0].path}) is already textual"
        )
    for extra in item_name_fields[1:]:
        problems.append(
            f"{join_path(extra.path, 'itemName')}: only one field can be the item name; "
            f"{item_name_fields[0].name} ({item_name_fields[0].path}) already is"
        )

    besides = ", ".join(rules.required) + (" and the reserved fields" if rules.reserved else "")
    if len(metadata) < rules.min_metadata:
        problems.append(
            f"{fields_path}: {article} {dataset_type} schema needs at least {rules.min_metadata} metadata field "
            f"besides {besides} (a categorical string or a number)"
        )
    if len(metadata) > rules.max_metadata:
        names = ", ".join(item.name for item in metadata[:10]) + (", …" if len(metadata) > 10 else "")
        problems.append(
            f"{fields_path}: {article} {dataset_type} schema allows at most {rules.max_metadata} metadata fields "
            f"besides {besides}; found {len(metadata)} ({names})"
        )


@dataclass(frozen=True)
class DomainField:
    """A field a domain requires: its allowed base types and whether it must be categorical."""

    types: tuple[str, ...]
    categorical: bool = False


#: What a Domain dataset group requires beyond the custom rules, per dataset type (ECOMMERCE- and
#: VIDEO-ON-DEMAND-datasets-and-schemas pages; Users datasets need nothing more in either domain).
DOMAIN_RULES: Mapping[str, Mapping[str, Mapping[str, DomainField]]] = {
    "ECOMMERCE": {
        "Interactions": {"EVENT_TYPE": DomainField(("string",))},
        "Items": {"PRICE": DomainField(("float", "double")), "CATEGORY_L1": DomainField(("string",), True)},
    },
    "VIDEO_ON_DEMAND": {
        "Interactions": {"EVENT_TYPE": DomainField(("string",))},
        "Items": {"GENRES": DomainField(("string",), True), "CREATION_TIMESTAMP": DomainField(("long",))},
    },
}


def check_domain_schema(schema: Any, dataset_type: str, domain: str, path: str) -> list[str]:
    """Problems of a schema with the fields ``domain`` requires for ``dataset_type`` (CreateSchema refuses it)."""
    rules = DOMAIN_RULES.get(domain, {}).get(dataset_type, {})
    if not rules or not isinstance(schema, dict):
        return []
    raw_fields = schema.get("fields") if isinstance(schema.get("fields"), list) else []
    raw = {f.get("name"): (i, f) for i, f in enumerate(raw_fields) if isinstance(f, dict)}
    fields = schema_fields(schema)
    problems = []
    for name, rule in rules.items():
        wanted = ("categorical " if rule.categorical else "") + " or ".join(f'"{t}"' for t in rule.types)
        if name not in fields:
            problems.append(
                f"{join_path(path, 'fields')}: {dataset_type} schemas of {domain} dataset groups need the field "
                f"{name} ({wanted})"
            )
        elif fields[name] not in rule.types or (rule.categorical and raw[name][1].get("categorical") is not True):
            field_path = index_path(join_path(path, "fields"), raw[name][0])
            problems.append(f"{field_path}: in a {domain} dataset group, {name} must be {wanted}")
    return problems


def _field_attributes(raw: dict[str, Any]) -> tuple[Any, ...]:
    """What UpdateDataset compares for one field: base type, nullability and the Personalize flags."""
    parsed = _parse_type(raw.get("type"))
    kind = (parsed.base, parsed.nullable) if isinstance(parsed, FieldType) else (json.dumps(raw.get("type")), False)
    return (*kind, *(raw.get(flag) is True for flag in _FLAGS))


def _attributes_text(raw: dict[str, Any]) -> str:
    flags = [flag for flag in _FLAGS if raw.get(flag) is True]
    return json.dumps(raw.get("type")) + (f" ({', '.join(flags)})" if flags else "")


def field_changes(current: Any, wanted: Any) -> list[str]:
    """Every field-level difference between two schemas: dropped, changed and added fields."""
    old = {f["name"]: f for f in current.get("fields", []) if isinstance(f, dict) and "name" in f}
    new = {f["name"]: f for f in wanted.get("fields", []) if isinstance(f, dict) and "name" in f}
    changes = [f"field {name} is dropped" for name in old if name not in new]
    changes += [
        f"field {name} changes from {_attributes_text(old[name])} to {_attributes_text(new[name])}"
        for name in old
        if name in new and _field_attributes(old[name]) != _field_attributes(new[name])
    ]
    return changes + [f"field {name} is added" for name in new if name not in old]


def replacement_problems(current: Any, wanted: Any) -> list[str]:
    """Why ``wanted`` cannot replace ``current`` through UpdateDataset (Items and Users only): every current
    field must stay with the same type and attributes, and every new field must be nullable."""
    old = {f["name"]: f for f in current.get("fields", []) if isinstance(f, dict) and "name" in f}
    new = {f["name"]: f for f in wanted.get("fields", []) if isinstance(f, dict) and "name" in f}
    problems = [f"field {name} is dropped" for name in old if name not in new]
    problems += [
        f"field {name} changes from {_attributes_text(old[name])} to {_attributes_text(new[name])}"
        for name in old
        if name in new and _field_attributes(old[name]) != _field_attributes(new[name])
    ]
    for name, raw in new.items():
        parsed = _parse_type(raw.get("type"))
        if name not in old and isinstance(parsed, FieldType) and not parsed.nullable:
            problems.append(f'new field {name} is not nullable; declare it ["null", "{parsed.base}"]')
    return problems
