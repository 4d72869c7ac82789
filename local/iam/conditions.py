"""The IAM condition operators the template's policies use, evaluated against a request context.

No maintained Python library evaluates IAM conditions against a request (moto knows only StringEquals
and answers DENIED for an Allow whose condition fails; policyuniverse and parliament parse and lint).
So this is the one small evaluator of the package, following the IAM reference ("Condition operators"):

- keys are case-insensitive, values are strings (lists for multi-valued keys);
- a key missing from the context fails a positive operator and satisfies a negated one (``...Not...``),
  ``...IfExists`` makes a missing key satisfy the condition, ``Null`` tests presence;
- several values for one key: any may match (for negated operators: none may);
- several keys or operators in one block must all hold.

Any other operator (numeric, date, IP, ForAnyValue/ForAllValues...) raises ``UnsupportedCondition``: the
local cloud must not guess the outcome of a policy it cannot read.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from typing import Any


class UnsupportedCondition(ValueError):
    """A policy uses a condition operator the local cloud does not evaluate."""


def _like(actual: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(actual, pattern)


_MATCHERS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda actual, wanted: actual == wanted,
    "StringEqualsIgnoreCase": lambda actual, wanted: actual.lower() == wanted.lower(),
    "StringLike": _like,
    "ArnEquals": lambda actual, wanted: actual == wanted,
    "ArnLike": _like,
    "Bool": lambda actual, wanted: actual.lower() == wanted.lower(),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _values(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(item).lower() if isinstance(item, bool) else str(item) for item in items]


def condition_holds(condition: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    """Whether every operator block of a statement's ``Condition`` holds for ``context``."""
    lowered = {key.lower(): _values(value) for key, value in context.items()}
    for operator, clauses in condition.items():
        if not isinstance(clauses, Mapping):
            raise UnsupportedCondition(f"condition operator {operator} must map keys to values")
        for key, wanted in clauses.items():
            if not _clause_holds(operator, lowered.get(key.lower()), _values(wanted)):
                return False
    return True


def _clause_holds(operator: str, actual: list[str] | None, wanted: list[str]) -> bool:
    if operator == "Null":
        return (actual is None) == (wanted[0].lower() == "true")
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    negated = base in _NEGATED
    matcher = _MATCHERS.get(_NEGATED.get(base, base))
    if matcher is None:
        raise UnsupportedCondition(f"the local cloud does not evaluate the condition operator {operator}")
    if actual is None:
        return if_exists or negated
    matched = any(matcher(value, pattern) for value in actual for pattern in wanted)
    return not matched if negated else matched
