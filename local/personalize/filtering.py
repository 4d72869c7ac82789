"""Filter expressions evaluated on a dataset group's imported data, for recommendation requests.

The expression is parsed by the pipeline's own grammar module (ops/filters.py loads it), so the emulator
evaluates exactly what CreateFilter accepted. Semantics, from the developer guide ("Filter expression
structure and elements", "Filtering real-time recommendations"):

- expressions chained with ``|`` apply one after the other: an item is recommended only if every
  expression lets it through (INCLUDE keeps the items its condition matches, EXCLUDE drops them);
- AND binds tighter than OR inside one expression;
- ``IF CurrentUser.FIELD ...`` makes the expression apply only when the requesting user's Users record
  matches; without a user, or a user without a record, the expression does not apply [I];
- ``Interactions.EVENT_TYPE IN (...)`` matches the items the requesting user interacted with, using only the
  100 most recent interactions per event type; event types match ignoring case, ``"*"`` is any type;
- categorical string fields hold several values separated by ``|``; IN matches when any value is listed;
- ``$PARAM`` values come from the request's filterValues, several values written ``"a","b"``. An INCLUDE
  expression needs all its values; an EXCLUDE expression with a missing value is not applied (the guide:
  "Amazon Personalize doesn't use that portion of the expression"). A key the filter does not use is
  refused [I: the safer reading].
- an item without the field (no Items record, empty value) matches no IN or comparison, and matches NOT IN.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import InvalidInputException
from .training import Interaction

#: "Amazon Personalize considers up to 100 of the most recent interactions per user per event type."
RECENT_PER_EVENT_TYPE = 100


@dataclass(frozen=True)
class GroupData:
    """What filters read: Items and Users records by id, categorical fields, each user's recent history."""

    items: Mapping[str, Mapping[str, Any]]
    users: Mapping[str, Mapping[str, Any]]
    #: (dataset type, field) of every categorical field, dataset types as expressions name them.
    categorical: frozenset[tuple[str, str]]
    #: user -> [(item, event type)] of the most recent interactions per event type.
    recent: Mapping[str, Sequence[tuple[str, str | None]]]

    @classmethod
    def build(
        cls,
        items: Mapping[str, Mapping[str, Any]],
        users: Mapping[str, Mapping[str, Any]],
        categorical: frozenset[tuple[str, str]],
        interactions: Sequence[Interaction],
    ) -> GroupData:
        per_user: dict[str, list[tuple[int, int, Interaction]]] = defaultdict(list)
        for order, interaction in enumerate(interactions):
            per_user[interaction.user].append((interaction.timestamp, order, interaction))
        recent: dict[str, list[tuple[str, str | None]]] = {}
        for user, rows in per_user.items():
            rows.sort(reverse=True)  # newest first; import order breaks ties
            kept: dict[str | None, int] = defaultdict(int)
            chosen = []
            for _, _, interaction in rows:
                kind = interaction.event_type.lower() if interaction.event_type is not None else None
                if kept[kind] < RECENT_PER_EVENT_TYPE:
                    kept[kind] += 1
                    chosen.append((interaction.item, kind))
            recent[user] = chosen
        return cls(items, users, categorical, recent)


def parse_values(text: str) -> list[str]:
    """A filterValues entry: ``"a","b"`` (the documented form) or bare ``30``, separated by commas."""
    return [value.strip() for value in next(csv.reader([text], skipinitialspace=True), [])]


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class ItemFilter:
    """One filter applied to one request: ``allows(item_id)``."""

    def __init__(
        self,
        parsed: Any,
        filter_arn: str,
        values: Mapping[str, str],
        data: GroupData,
        user_id: str | None,
    ) -> None:
        placeholders = set(parsed.placeholders)
        unknown = sorted(set(values) - placeholders)
        if unknown:
            raise InvalidInputException(
                f"filterValues has {', '.join(unknown)}, which filter {filter_arn} does not use"
                + (f"; its parameters are {', '.join(sorted(placeholders))}." if placeholders else "; it has none.")
            )
        if any(e.target != "ItemID" for e in parsed.expressions):
            raise InvalidInputException(
                f"Filter {filter_arn} filters users (UserID): it can only be used with batch segment jobs."
            )
        self.data = data
        self.user_id = user_id
        self.values = {name: parse_values(text) for name, text in values.items()}
        self.tests: list[tuple[bool, Callable[[str], bool]]] = []
        for expression in parsed.expressions:
            missing = [
                v.text[1:]
                for c in (*expression.conditions, *expression.user_conditions)
                for v in c.values
                if v.kind == "placeholder" and v.text[1:] not in self.values
            ]
            if missing:
                if expression.action == "INCLUDE":
                    raise InvalidInputException(
                        f"Filter {filter_arn} needs filterValues for {', '.join(sorted(set(missing)))}: every "
                        "parameter of an INCLUDE expression must have a value."
                    )
                continue  # an EXCLUDE expression without its values is not used
            if expression.user_conditions and not all(self._user_matches(c) for c in expression.user_conditions):
                continue
            self.tests.append((expression.action == "INCLUDE", self._expression_test(expression)))

    def allows(self, item_id: str) -> bool:
        return all(test(item_id) == include for include, test in self.tests)

    # --- conditions -------------------------------------------------------------------------------------

    def _expression_test(self, expression: Any) -> Callable[[str], bool]:
        """OR of AND groups, in the order written."""
        groups: list[list[Any]] = [[expression.conditions[0]]]
        for connective, condition in zip(expression.connectives, expression.conditions[1:], strict=True):
            if connective == "OR":
                groups.append([condition])
            else:
                groups[-1].append(condition)
        tests = [[self._condition_test(c) for c in group] for group in groups]
        return lambda item: any(all(test(item) for test in group) for group in tests)

    def _literals(self, condition: Any) -> list[str]:
        result: list[str] = []
        for value in condition.values:
            result += self.values[value.text[1:]] if value.kind == "placeholder" else [value.text]
        return result

    def _condition_test(self, condition: Any) -> Callable[[str], bool]:
        literals = self._literals(condition)
        if condition.dataset == "Interactions":
            wanted = {v.lower() for v in literals}
            history = self.data.recent.get(self.user_id, ()) if self.user_id is not None else ()
            if "*" in wanted:
                matched = {item for item, _ in history}
            elif condition.operator == "IN":
                matched = {item for item, kind in history if kind in wanted}
            else:  # NOT IN: interactions of any other event type
                matched = {item for item, kind in history if kind not in wanted}
            return matched.__contains__
        items = self.data.items
        return lambda item: _matches(condition, (items.get(item) or {}).get(condition.field), literals, self.data)

    def _user_matches(self, condition: Any) -> bool:
        record = self.data.users.get(self.user_id) if self.user_id is not None else None
        if record is None:
            return False
        return _matches(condition, record.get(condition.field), self._literals(condition), self.data, "Users")


def _matches(condition: Any, value: Any, literals: list[str], data: GroupData, dataset: str | None = None) -> bool:
    operator = condition.operator
    if value is None or value == "":
        return operator == "NOT IN"
    if operator in ("IN", "NOT IN"):
        if (dataset or condition.dataset, condition.field) in data.categorical:
            present = set(str(value).split("|"))
        else:
            present = {_text(value)}
        found = bool(present & set(literals))
        return found if operator == "IN" else not found
    try:
        left, right = float(value), float(literals[0])
    except (TypeError, ValueError):
        return False
    return {"=": left == right, "<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[
        operator
    ]
