"""Personalize's rules for Avro schemas (personalize-facts.md §5).

Two moments check them, as on the service: CreateSchema checks what holds for any schema (valid Avro, a
flat record, allowed field types, categorical/textual only on strings), and CreateDataset / UpdateDataset
check that the schema fits the dataset type (required fields, reserved field types, metadata counts).
The import code reads field types and flags from the parsed schema to validate CSV values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import avro.schema
from avro.errors import AvroException

from .errors import InvalidInputException

DATASET_TYPES = ("INTERACTIONS", "ITEMS", "USERS", "ACTIONS", "ACTION_INTERACTIONS")
PRIMITIVES = frozenset({"string", "int", "long", "float", "double", "boolean"})
NUMERIC = frozenset({"int", "long", "float", "double"})


@dataclass(frozen=True)
class Field:
    """One column: its Avro type without the null branch, and the Personalize flags."""

    name: str
    type: str
    nullable: bool
    categorical: bool = False
    textual: bool = False


@dataclass(frozen=True)
class ParsedSchema:
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@dataclass(frozen=True)
class _Reserved:
    """A reserved field: the types it may have, whether null is allowed, and whether it is required."""

    types: frozenset[str]
    nullable: bool
    required: bool = False
    categorical: bool | None = None  # None: either; False: must not be categorical


_STRING = frozenset({"string"})
_LONG = frozenset({"long"})
_FLOAT = frozenset({"float", "double"})

#: Reserved fields per dataset type; required ones first. Anything else is a metadata column.
RESERVED: dict[str, dict[str, _Reserved]] = {
    "INTERACTIONS": {
        "USER_ID": _Reserved(_STRING, False, True),
        "ITEM_ID": _Reserved(_STRING, False, True),
        "TIMESTAMP": _Reserved(_LONG, False, True),
        "EVENT_TYPE": _Reserved(_STRING, False, categorical=False),
        "EVENT_VALUE": _Reserved(_FLOAT, True),
        "IMPRESSION": _Reserved(_STRING, True),
        "RECOMMENDATION_ID": _Reserved(_STRING, True),
        "EVENT_ATTRIBUTION_SOURCE": _Reserved(_STRING, True),
    },
    "USERS": {"USER_ID": _Reserved(_STRING, False, True)},
    "ITEMS": {
        "ITEM_ID": _Reserved(_STRING, False, True),
        "CREATION_TIMESTAMP": _Reserved(_LONG, False),
    },
    "ACTIONS": {
        "ACTION_ID": _Reserved(_STRING, False, True),
        "CREATION_TIMESTAMP": _Reserved(_LONG, False),
        "VALUE": _Reserved(_LONG, True),
        "TYPE": _Reserved(_STRING, True),
        "EXPIRATION_TIMESTAMP": _Reserved(_LONG, True),
        "REPEAT_FREQUENCY": _Reserved(_LONG, True),
    },
    "ACTION_INTERACTIONS": {
        "USER_ID": _Reserved(_STRING, False, True),
        "ACTION_ID": _Reserved(_STRING, False, True),
        "EVENT_TYPE": _Reserved(_STRING, False, True),
        "TIMESTAMP": _Reserved(_LONG, False, True),
        "IMPRESSION": _Reserved(_STRING, True),
        "RECOMMENDATION_ID": _Reserved(_STRING, True),
    },
}

#: Metadata columns allowed per type (current quotas page), and whether at least one is required.
METADATA_LIMITS: dict[str, tuple[int, int]] = {
    "INTERACTIONS": (0, 5),
    "USERS": (1, 25),
    "ITEMS": (1, 100),
    "ACTIONS": (1, 10),
    "ACTION_INTERACTIONS": (0, 10),
}

#: The column each record is keyed by: INCREMENTAL imports replace records with the same value.
RECORD_KEYS = {"USERS": "USER_ID", "ITEMS": "ITEM_ID", "ACTIONS": "ACTION_ID"}

#: Identifier columns, limited to 256 characters per value.
ID_COLUMNS = frozenset({"USER_ID", "ITEM_ID", "ACTION_ID"})


def normalize_dataset_type(value: str) -> str:
    """Dataset types are case-insensitive on input and reported in upper case (``ITEMS``)."""
    upper = value.upper()
    if upper not in DATASET_TYPES:
        raise InvalidInputException(
            f"Invalid dataset type: {value}. Valid values are Interactions, Items, Users, Actions and "
            "Action_Interactions."
        )
    return upper


def _field(raw: avro.schema.Field) -> Field:
    kind = raw.type.type
    nullable = False
    if kind == "union":
        branches = [s.type for s in raw.type.schemas]
        non_null = [b for b in branches if b != "null"]
        if len(non_null) != 1 or len(branches) != 2:
            raise InvalidInputException(
                f"Invalid schema: field {raw.name} has union type {branches}; only a type combined with "
                '"null" is allowed, e.g. ["null", "string"].'
            )
        kind, nullable = non_null[0], True
    if kind not in PRIMITIVES:
        raise InvalidInputException(
            f"Invalid schema: field {raw.name} has type {kind}. Allowed types are "
            "float, double, int, long, string, boolean and null."
        )
    props = raw.other_props
    categorical, textual = bool(props.get("categorical")), bool(props.get("textual"))
    for flag, enabled in (("categorical", categorical), ("textual", textual)):
        if enabled and kind != "string":
            raise InvalidInputException(
                f"Invalid schema: field {raw.name} is {flag} but has type {kind}; only string fields can be {flag}."
            )
    if categorical and textual:
        raise InvalidInputException(f"Invalid schema: field {raw.name} cannot be both categorical and textual.")
    return Field(raw.name, kind, nullable, categorical, textual)


def parse_schema(text: str) -> ParsedSchema:
    """Parse an Avro schema string and apply the rules every Personalize schema must follow."""
    try:
        parsed = avro.schema.parse(text)
    except (AvroException, TypeError, ValueError) as error:
        raise InvalidInputException(f"Invalid schema: {error}") from error
    if parsed.type != "record":
        raise InvalidInputException(f"Invalid schema: the top-level type must be record, not {parsed.type}.")
    fields = tuple(_field(raw) for raw in parsed.fields)
    if not fields:
        raise InvalidInputException("Invalid schema: the record has no fields.")
    seen: dict[str, str] = {}
    for f in fields:
        key = re.sub(r"[^A-Za-z0-9]", "", f.name).upper()
        if key in seen:
            raise InvalidInputException(
                f"Invalid schema: field names {seen[key]} and {f.name} conflict; names must stay unique "
                "when only their letters and digits are compared."
            )
        seen[key] = f.name
    return ParsedSchema(fields)


def check_fits_dataset_type(schema: ParsedSchema, dataset_type: str, schema_arn: str) -> None:
    """Raise InvalidInputException unless ``schema`` is valid for a dataset of ``dataset_type``."""
    reserved = RESERVED[dataset_type]
    prefix = f"Schema {schema_arn} is not valid for a dataset of type {dataset_type}:"
    for name, rule in reserved.items():
        f = schema.field(name)
        if f is None:
            if rule.required:
                wanted = "/".join(sorted(rule.types))
                raise InvalidInputException(f"{prefix} the required field {name} ({wanted}) is missing.")
            continue
        if f.type not in rule.types:
            wanted = " or ".join(sorted(rule.types))
            raise InvalidInputException(f"{prefix} field {name} must have type {wanted}, not {f.type}.")
        if f.nullable and not rule.nullable:
            raise InvalidInputException(f"{prefix} field {name} cannot be null.")
        if rule.categorical is False and f.categorical:
            raise InvalidInputException(f"{prefix} field {name} must not be categorical.")
    metadata = [f for f in schema.fields if f.name not in reserved]
    least, most = METADATA_LIMITS[dataset_type]
    if len(metadata) < least:
        raise InvalidInputException(f"{prefix} it needs at least {least} metadata field besides the id.")
    if len(metadata) > most:
        raise InvalidInputException(f"{prefix} it has {len(metadata)} metadata fields; at most {most}.")
    textual = [f.name for f in schema.fields if f.textual]
    if textual and dataset_type != "ITEMS":
        raise InvalidInputException(f"{prefix} textual fields are allowed only in Items datasets.")
    if len(textual) > 1:
        raise InvalidInputException(f"{prefix} at most 1 textual field is allowed, found {textual}.")


@dataclass(frozen=True)
class _DomainField:
    types: frozenset[str]
    categorical: bool = False


#: Fields a Domain dataset group's schemas must have beyond the custom rules, per domain and dataset type
#: (ECOMMERCE- and VIDEO-ON-DEMAND-datasets-and-schemas pages: interactions, items and users requirements).
DOMAIN_REQUIRED: dict[str, dict[str, dict[str, _DomainField]]] = {
    "ECOMMERCE": {
        "INTERACTIONS": {"EVENT_TYPE": _DomainField(_STRING)},
        "ITEMS": {"PRICE": _DomainField(_FLOAT), "CATEGORY_L1": _DomainField(_STRING, categorical=True)},
        "USERS": {},
    },
    "VIDEO_ON_DEMAND": {
        "INTERACTIONS": {"EVENT_TYPE": _DomainField(_STRING)},
        "ITEMS": {"GENRES": _DomainField(_STRING, categorical=True), "CREATION_TIMESTAMP": _DomainField(_LONG)},
        "USERS": {},
    },
}


def domain_dataset_type(schema: ParsedSchema, domain: str) -> str:
    """The dataset type a domain schema is for, told by its id fields (CreateSchema has no dataset type)."""
    names = set(schema.names)
    if {"USER_ID", "ITEM_ID"} <= names:
        return "INTERACTIONS"
    if "ITEM_ID" in names:
        return "ITEMS"
    if "USER_ID" in names:
        return "USERS"
    raise InvalidInputException(
        f"Invalid schema for domain {domain}: a domain schema is for an Item interactions (USER_ID, ITEM_ID), "
        "Items (ITEM_ID) or Users (USER_ID) dataset, and this one has none of those id fields."
    )


def check_domain(schema: ParsedSchema, domain: str, dataset_type: str) -> None:
    """Raise InvalidInputException unless ``schema`` has the fields ``domain`` requires for ``dataset_type``."""
    required = DOMAIN_REQUIRED[domain].get(dataset_type)
    if required is None:
        raise InvalidInputException(f"Domain {domain} has no {dataset_type} dataset.")
    problems = []
    for name, rule in required.items():
        f = schema.field(name)
        wanted = ("categorical " if rule.categorical else "") + " or ".join(sorted(rule.types))
        if f is None:
            problems.append(f"the required field {name} ({wanted}) is missing")
        elif f.type not in rule.types or (rule.categorical and not f.categorical):
            problems.append(f"field {name} must be {wanted}")
    if problems:
        raise InvalidInputException(
            f"Invalid schema for dataset type {dataset_type} in domain {domain}: {'; '.join(problems)}."
        )


#: The only dataset types whose schema UpdateDataset can replace (updating-dataset-schema page).
REPLACEABLE_TYPES = frozenset({"ITEMS", "USERS"})


def _describe_field(f: Field) -> str:
    kind = f'["null", "{f.type}"]' if f.nullable else f'"{f.type}"'
    flags = [flag for flag in ("categorical", "textual") if getattr(f, flag)]
    return kind + (f" ({', '.join(flags)})" if flags else "")


def check_replacement(old: ParsedSchema, new: ParsedSchema, dataset_type: str, dataset_arn: str) -> None:
    """UpdateDataset's rules: Items and Users only; every current field kept with its type and attributes;
    new fields must allow null (updating-dataset-schema page, "Guidelines and requirements")."""
    if dataset_type not in REPLACEABLE_TYPES:
        raise InvalidInputException(
            f"Cannot replace the schema of dataset {dataset_arn}: only Items and Users datasets can have their "
            f"schema replaced, not {dataset_type} datasets."
        )
    problems = []
    for f in old.fields:
        g = new.field(f.name)
        if g is None:
            problems.append(f"field {f.name} of the current schema is missing")
        elif g != f:
            problems.append(f"field {f.name} changes from {_describe_field(f)} to {_describe_field(g)}")
    problems += [
        f'new field {g.name} must allow null, e.g. ["null", "{g.type}"]'
        for g in new.fields
        if old.field(g.name) is None and not g.nullable
    ]
    if problems:
        raise InvalidInputException(
            f"Cannot replace the schema of dataset {dataset_arn}: {'; '.join(problems)}. A replacement schema keeps "
            "every current field with the same type and attributes, and any new field is nullable."
        )
