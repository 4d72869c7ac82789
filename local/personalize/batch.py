"""Batch inference and batch segment jobs: read the JSON-lines input, answer every line, format the output.

What each recipe family reads and writes is documented (personalize-facts.md §9 "Batch inference"; the
batch segment output examples page): one JSON object per line in, ``<input file name>.out`` in the output
folder with one ``{"input": ..., "output": ...}`` line per input line. Item-Attribute-Affinity writes its
``itemAttributes`` at the top level of each output line, as the docs' example shows.

The answers come from ``recommend``: a deterministic stand-in for the trained model (popularity, item
co-occurrence, the users who interacted most with an item), kept in one function so a real model can
replace it without touching the job mechanics.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .imports import ImportFailed, Location
from .training import Interaction

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
    recipe_name: str, family: str, interactions: Sequence[Interaction], record: dict[str, Any], num_results: int
) -> dict[str, Any]:
    """The ``output`` of one input line: a deterministic stand-in for the trained model.

    Popularity for user recipes (minus what the user already saw), co-occurrence with the item for related
    items, popularity for ranking, and the users who interacted most with the item (or,
    for attributes, with any item at all: the emulator does not evaluate attribute expressions) for
    segments. Scores are shares of the candidates' counts, rounded as the service's are, largest first.
    """
    popularity = Counter(i.item for i in interactions)
    if family == SEGMENT_FAMILY:
        if recipe_name == "aws-item-affinity":
            users = Counter(i.user for i in interactions if i.item == record["itemId"])
        else:
            users = Counter(i.user for i in interactions)
        return {"recommendedUsers": [user for user, _ in _ranked(users)[:num_results]]}
    if family == "PERSONALIZED_RANKING":
        known = [item for item in record["itemList"] if item in popularity]
        ranked = sorted(known, key=lambda item: (-popularity[item], item))
        unknown = [item for item in record["itemList"] if item not in popularity]
        # Items unknown to the model are appended at the end without a score (facts §9).
        return {"recommendedItems": ranked + unknown, "scores": _scores([popularity[i] for i in ranked])}
    if family == "RELATED_ITEMS":
        by_user: dict[str, set[str]] = defaultdict(set)
        for i in interactions:
            by_user[i.user].add(i.item)
        together: Counter[str] = Counter()
        for items in by_user.values():
            if record["itemId"] in items:
                together.update(items - {record["itemId"]})
        candidates = together
    else:
        seen_items = {i.item for i in interactions if i.user == record.get("userId")}
        candidates = Counter({item: count for item, count in popularity.items() if item not in seen_items})
    top = _ranked(candidates)[:num_results]
    return {"recommendedItems": [item for item, _ in top], "scores": _scores([count for _, count in top])}


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))


def _scores(counts: list[int]) -> list[float]:
    total = sum(counts)
    return [round(count / total, 7) if total else 0.0 for count in counts]


def output_line(recipe_name: str, record: dict[str, Any], output: dict[str, Any]) -> str:
    if recipe_name == "aws-item-attribute-affinity":
        return json.dumps({"itemAttributes": record["itemAttributes"], "output": output})
    return json.dumps({"input": record, "output": output})
