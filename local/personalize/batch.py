"""Batch inference and batch segment jobs: read the JSON-lines input, answer every line, format the output.

What each recipe family reads and writes is documented (personalize-facts.md §9 "Batch inference"; the
batch segment output examples page): one JSON object per line in, ``<input file name>.out`` in the output
folder with one ``{"input": ..., "output": ...}`` line per input line. Item-Attribute-Affinity writes its
``itemAttributes`` at the top level of each output line, as the docs' example shows.

The answers come from ``recommend``: the solution version's trained model (local/personalize/algorithms),
the same one GetSolutionMetrics scores and the campaigns serve.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .imports import ImportFailed, Location

if TYPE_CHECKING:
    from .algorithms import Model

#: Recipes that serve batch segment jobs (USER_SEGMENTATION) and never batch inference.
SEGMENT_FAMILY = "USER_SEGMENTATION"
#: "Trending-Now: no batch" (facts §7): it only serves campaigns.
NO_BATCH_RECIPES = frozenset({"arn:aws:personalize:::recipe/aws-trending-now"})
#: Documented input limits per job (facts §9).
MAX_INPUT_FILES = 1000
MAX_INPUT_BYTES = 1024**3


@dataclass(frozen=True)
class InputRule:
    """The keys one input line must have and the ones it may have, with their JSON types."""

    required: dict[str, type]
    optional: dict[str, type]


#: Per recipe (the attribute-affinity recipe differs from its family, so the recipe's name is the key when
#: present, else the family). ``context`` is the contextual metadata User-Personalization and
#: Personalized-Ranking batch inputs may carry.
INPUT_RULES: dict[str, InputRule] = {
    "USER_PERSONALIZATION": InputRule({"userId": str}, {"context": dict}),
    "POPULAR_ITEMS": InputRule({"userId": str}, {}),
    "RELATED_ITEMS": InputRule({"itemId": str}, {}),
    "PERSONALIZED_RANKING": InputRule({"userId": str, "itemList": list}, {"context": dict}),
    "aws-item-affinity": InputRule({"itemId": str}, {}),
    "aws-item-attribute-affinity": InputRule({"itemAttributes": str}, {}),
}


def input_rule(recipe_name: str, family: str) -> InputRule:
    return INPUT_RULES.get(recipe_name) or INPUT_RULES[family]


def failure(kind: str, detail: str) -> str:
    """A job's failureReason: which job kind failed and why, naming the file and line when it is the data."""
    return f"Failed to create a {kind}: {detail}"


def privileges_failure(kind: str, location: str) -> str:
    return failure(kind, f"Insufficient privileges for accessing data in Amazon S3 at {location}.")


def parse_lines(uri: str, body: bytes, rule: InputRule, kind: str) -> list[dict[str, Any]]:
    """The JSON object of every non-blank line of ``body``; ImportFailed naming the first bad line."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ImportFailed(failure(kind, f"input file {uri} is not UTF-8 encoded: {error.reason}.")) from None
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        problem = line_problem(line, rule)
        if problem:
            raise ImportFailed(failure(kind, f"line {number} of {uri} {problem}."))
        records.append(json.loads(line))
    if not records:
        raise ImportFailed(failure(kind, f"input file {uri} has no JSON lines."))
    return records


def line_problem(line: str, rule: InputRule) -> str | None:
    """Why one input line is unusable (None: it is fine)."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        return f"is not valid JSON ({error.msg} at column {error.colno})"
    if not isinstance(value, dict):
        return "is not a JSON object"
    missing = [key for key in rule.required if key not in value]
    if missing:
        return f"is missing {', '.join(missing)}"
    allowed = {**rule.required, **rule.optional}
    unknown = sorted(key for key in value if key not in allowed)
    if unknown:
        return f"has unknown keys {', '.join(unknown)}; expected {', '.join(allowed)}"
    for key, expected in allowed.items():
        if key in value and not isinstance(value[key], expected):
            return f"has {key} of the wrong type; expected a JSON {_JSON_NAMES[expected]}"
    if "itemList" in value and not all(isinstance(item, str) for item in value["itemList"]):
        return "has an itemList that is not a list of strings"
    return None


_JSON_NAMES = {str: "string", list: "array", dict: "object"}


def output_key(output: Location, input_key: str) -> str:
    """``<output folder>/<input file name>.out``."""
    folder = output.key if output.key == "" or output.key.endswith("/") else output.key + "/"
    return f"{folder}{input_key.rsplit('/', 1)[-1]}.out"


# --- the model ------------------------------------------------------------------------------------------


def recommend(
    recipe_name: str,
    family: str,
    model: Model,
    record: dict[str, Any],
    num_results: int,
    items: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The ``output`` of one input line, from the solution version's trained model.

    A user's top items (minus what they already interacted with) for user and popularity recipes, an
    item's related items, the user's order of the given items (items unknown to the model appended
    without a score, facts §9), and for segments the users most likely to interact with the item, or with
    the items of the Items dataset that match ``itemAttributes``.
    """
    if family == SEGMENT_FAMILY:
        if recipe_name == "aws-item-attribute-affinity":
            groups = attribute_items(record["itemAttributes"], items or {})
            users = model.users_for_items(groups, num_results)
        else:
            users = model.users_for_item(record["itemId"], num_results)
        return {"recommendedUsers": [user for user, _ in users]}
    if family == "PERSONALIZED_RANKING":
        ranked = model.rank(record["userId"], record["itemList"])
        return {
            "recommendedItems": [item for item, _ in ranked],
            "scores": [score for _, score in ranked if score is not None],
        }
    if family == "RELATED_ITEMS":
        top = model.recommend(item_id=record["itemId"], num_results=num_results)
    else:
        top = model.recommend(user_id=record["userId"], num_results=num_results)
    return {"recommendedItems": [item for item, _ in top], "scores": [score for _, score in top]}


#: One clause of an itemAttributes query: ``ITEMS.<column> = "<value>"`` (or an unquoted number); clauses
#: are joined by AND and a backslash escapes a quote inside a value (batch segment job docs).
_CLAUSE = re.compile(r'\s*ITEMS\.(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([-\w.]+))\s*', re.IGNORECASE)


def attribute_items(expression: str, items: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    """For each AND clause of ``expression``, the ids of the Items records whose column holds the value
    (categorical values are ``|``-separated and compared case-insensitively); a clause the parser does not
    recognise matches nothing."""
    groups = []
    for clause in re.split(r"\s+AND\s+", expression.strip(), flags=re.IGNORECASE):
        match = _CLAUSE.fullmatch(clause)
        if match is None:
            groups.append([])
            continue
        column = match.group(1).upper()
        wanted = re.sub(r"\\(.)", r"\1", match.group(2)) if match.group(2) is not None else match.group(3)
        matching = []
        for item_id, record in items.items():
            value = next((v for k, v in record.items() if k.upper() == column), None)
            if value is not None and _holds(value, wanted):
                matching.append(item_id)
        groups.append(sorted(matching))
    return groups


def _holds(value: Any, wanted: str) -> bool:
    if isinstance(value, str):
        return wanted.lower() in (part.strip().lower() for part in value.split("|"))
    try:
        return float(value) == float(wanted)
    except (TypeError, ValueError):
        return False


def output_line(recipe_name: str, record: dict[str, Any], output: dict[str, Any]) -> str:
    if recipe_name == "aws-item-attribute-affinity":
        return json.dumps({"itemAttributes": record["itemAttributes"], "output": output})
    return json.dumps({"input": record, "output": output})
