"""Personalize filter expressions: the documented grammar and rules, checked before anything is created.

The expression ``INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE
IN ("click")`` is parsed with lark (a grammar, not a hand-written tokenizer), then held against the rules of the
Personalize developer guide ("Filter expression structure and elements", "Filter expression examples") and
against the fields of the datasets params.json declares. Params validation and the emulator's CreateFilter use
this one module, so what the pipeline refuses up front is exactly what the emulated service refuses.

Imports only the standard library and lark: the emulator loads this file by path (the layer directory is on
sys.path only inside a Lambda invocation of the local cloud).

Readings where the guide leaves room (the safer one is taken, README lists them):
- keywords are written as documented (``INCLUDE``, ``ItemID``, ``CurrentUser``...), case included;
- ``IN``/``NOT IN`` take quoted strings or one placeholder, not both; comparison operators take a number or a
  placeholder (bare or in parentheses), on numeric fields only;
- ``IF CurrentUser...`` only in item filters (``ItemID``), the only kind whose request has a current user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

#: CreateFilter's filterExpression length bounds (service model).
MIN_LENGTH, MAX_LENGTH = 1, 2500
#: Distinct dataset fields per filter, across its chained expressions (personalize-facts.md §9).
MAX_FIELDS_PER_FILTER = 10
#: Distinct dataset fields across all filters of a dataset group (personalize-facts.md §9).
MAX_FIELDS_PER_GROUP = 20
#: Which datasets a WHERE clause may read, per target (the guide's item and user-segment examples).
WHERE_DATASETS = {"ItemID": ("Items", "Interactions"), "UserID": ("Users", "Interactions")}
DATASET_TYPES = ("Interactions", "Items", "Users")
NUMERIC_TYPES = frozenset({"int", "long", "float", "double"})
#: The type to give a field with ``"textual": true``: unstructured text cannot be filtered.
TEXTUAL = "textual"
#: The only Interactions field a filter may read.
EVENT_TYPE = "EVENT_TYPE"

_GRAMMAR = r"""
    filter: expression ("|" expression)*
    expression: ACTION TARGET "WHERE" condition ((AND | OR) condition)* if_clause?
    if_clause: "IF" condition (AND condition)*
    condition: NAME "." NAME SET_OPERATOR "(" value ("," value)* ")"      -> set_condition
             | NAME "." NAME COMPARISON (scalar | "(" scalar ")")          -> comparison
    value: STRING | PLACEHOLDER | NUMBER
    scalar: STRING | PLACEHOLDER | NUMBER

    ACTION: "INCLUDE" | "EXCLUDE"
    TARGET: "ItemID" | "UserID" | "ActionID"
    AND: "AND"
    OR: "OR"
    SET_OPERATOR: "IN" | /NOT[ \t\r\n]+IN/
    COMPARISON: "<=" | ">=" | "=" | "<" | ">"
    STRING: /"[^"]*"/
    PLACEHOLDER: /\$[A-Za-z0-9_]+/
    NUMBER: /-?[0-9]+(\.[0-9]+)?/
    NAME: /[A-Za-z_][A-Za-z0-9_]*/

    %import common.WS
    %ignore WS
"""

#: How a parse error names what was expected, by lark terminal name.
_TERMINAL_TEXT = {
    "ACTION": "INCLUDE or EXCLUDE",
    "TARGET": "ItemID or UserID",
    "WHERE": "WHERE",
    "IF": "IF",
    "AND": "AND",
    "OR": "OR",
    "SET_OPERATOR": "IN or NOT IN",
    "COMPARISON": "=, <, <=, > or >=",
    "STRING": 'a quoted value such as "drama"',
    "PLACEHOLDER": "a placeholder such as $GENRE",
    "NUMBER": "a number",
    "NAME": "a name such as Items.GENRE",
    "DOT": '"."',
    "LPAR": '"("',
    "RPAR": '")"',
    "COMMA": '","',
    "VBAR": '"|"',
    "$END": "the end of the expression",
}


@dataclass(frozen=True)
class Value:
    kind: str  # "string", "placeholder" or "number"
    text: str  # as written (strings without their quotes)
    column: int


@dataclass(frozen=True)
class Condition:
    dataset: str
    field: str
    operator: str  # IN, NOT IN, =, <, <=, >, >=
    values: tuple[Value, ...]
    column: int

    @property
    def reference(self) -> str:
        return f"{self.dataset}.{self.field}"


@dataclass(frozen=True)
class Expression:
    action: str
    target: str
    column: int
    conditions: tuple[Condition, ...]
    #: AND/OR between conditions[i] and conditions[i + 1].
    connectives: tuple[str, ...]
    user_conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class FilterExpression:
    expressions: tuple[Expression, ...]

    @property
    def fields(self) -> frozenset[tuple[str, str]]:
        """(dataset type, field) pairs the filter reads; ``CurrentUser`` fields are Users fields."""
        return frozenset((_dataset_of(c), c.field) for c in self._all_conditions())

    @property
    def placeholders(self) -> tuple[str, ...]:
        """Placeholder names (without ``$``), in order of first use: the filterValues a request supplies."""
        names = [v.text[1:] for c in self._all_conditions() for v in c.values if v.kind == "placeholder"]
        return tuple(dict.fromkeys(names))

    def _all_conditions(self) -> list[Condition]:
        return [c for e in self.expressions for c in (*e.conditions, *e.user_conditions)]


class FilterSyntaxError(ValueError):
    """The expression does not follow the grammar; ``str()`` names the column and the token."""


def _dataset_of(condition: Condition) -> str:
    return "Users" if condition.dataset == "CurrentUser" else condition.dataset


def _column(token: Token) -> int:
    """The token's 1-based position in the whole expression string: its column when the expression is one line
    (as a JSON string in params.json usually is), and still unambiguous when it holds line breaks."""
    return token.start_pos + 1 if token.start_pos is not None else 1


@v_args(inline=True)
class _Build(Transformer[Token, FilterExpression]):
    def filter(self, *expressions: Expression) -> FilterExpression:
        return FilterExpression(tuple(expressions))

    def expression(self, action: Token, target: Token, *rest: Condition | Token | tuple[Condition, ...] | None):
        conditions: list[Condition] = []
        connectives: list[str] = []
        user_conditions: tuple[Condition, ...] = ()
        for item in rest:
            if isinstance(item, Condition):
                conditions.append(item)
            elif isinstance(item, Token):
                connectives.append(str(item))
            elif isinstance(item, tuple):
                user_conditions = item
        return Expression(
            str(action), str(target), _column(action), tuple(conditions), tuple(connectives), user_conditions
        )

    def if_clause(self, *items: Condition | Token) -> tuple[Condition, ...]:
        return tuple(item for item in items if isinstance(item, Condition))

    def set_condition(self, dataset: Token, field: Token, operator: Token, *values: Value) -> Condition:
        return Condition(str(dataset), str(field), " ".join(str(operator).split()), values, _column(dataset))

    def comparison(self, dataset: Token, field: Token, operator: Token, value: Value) -> Condition:
        return Condition(str(dataset), str(field), str(operator), (value,), _column(dataset))

    def value(self, token: Token) -> Value:
        kind = {"STRING": "string", "PLACEHOLDER": "placeholder", "NUMBER": "number"}[token.type]
        text = str(token)[1:-1] if kind == "string" else str(token)
        return Value(kind, text, _column(token))

    scalar = value


@cache
def _parser() -> Lark:
    return Lark(_GRAMMAR, start="filter", parser="lalr", maybe_placeholders=False)


def _syntax_message(error: UnexpectedInput, expression: str) -> str:
    if isinstance(error, UnexpectedCharacters):
        return f"column {error.pos_in_stream + 1} ({expression[error.pos_in_stream]!r}): unexpected character"
    expected = sorted({_TERMINAL_TEXT.get(name, name) for name in getattr(error, "expected", ()) or ()})
    wanted = f"; expected {' or '.join(expected)}" if expected else ""
    if isinstance(error, UnexpectedEOF) or (isinstance(error, UnexpectedToken) and error.token.type == "$END"):
        return f"column {len(expression) + 1} (end): the expression stops early{wanted}"
    token = error.token  # type: ignore[attr-defined]
    return f"column {_column(token)} ({str(token)!r}): unexpected{wanted}"


def parse(expression: str) -> FilterExpression:
    """The expression's structure; :class:`FilterSyntaxError` if it does not follow the grammar."""
    try:
        tree = _parser().parse(expression)
    except UnexpectedInput as error:
        raise FilterSyntaxError(_syntax_message(error, expression)) from None
    return _Build().transform(tree)


def expression_problems(expression: str, path: str, fields: Mapping[str, Mapping[str, str | None]] | None) -> list[str]:
    """Every problem of one filter expression, each naming ``path`` and the column and token it is about.

    ``fields`` maps each declared dataset type (Interactions, Items, Users) to its schema's fields
    (name -> Avro base type, as :func:`personalize_pipeline.schemas.schema_fields` gives); ``None`` skips the
    checks against datasets (nothing is known about them).
    """
    if not isinstance(expression, str) or not MIN_LENGTH <= len(expression) <= MAX_LENGTH:
        size = len(expression) if isinstance(expression, str) else "no"
        return [f"{path}: {size} characters; a filter expression has {MIN_LENGTH} to {MAX_LENGTH}"]
    try:
        parsed = parse(expression)
    except FilterSyntaxError as error:
        return [f"{path}: {error}"]
    problems: list[str] = []
    for item in parsed.expressions:
        problems += [f"{path}: {problem}" for problem in _expression_problems(item, fields)]
    if len(parsed.fields) > MAX_FIELDS_PER_FILTER:
        names = ", ".join(sorted(f"{dataset}.{field}" for dataset, field in parsed.fields))
        problems.append(
            f"{path}: {len(parsed.fields)} distinct fields ({names}); a filter may use at most {MAX_FIELDS_PER_FILTER}"
        )
    return problems


def _at(condition: Condition | Value, text: str) -> str:
    return f"column {condition.column} ({text})"


def _expression_problems(item: Expression, fields: Mapping[str, Mapping[str, str | None]] | None) -> list[str]:
    where = f"column {item.column} ({item.action} {item.target})"
    if item.target == "ActionID":
        return [f"{where}: ActionID filters need Actions datasets, which this pipeline does not manage"]
    problems: list[str] = []
    allowed = WHERE_DATASETS[item.target]
    first = item.conditions[0]
    for condition in item.conditions:
        here = _at(condition, condition.reference)
        if condition.dataset == "CurrentUser":
            problems.append(f"{here}: CurrentUser may only be used in the IF condition at the end of an expression")
            continue
        if condition.dataset not in allowed:
            hint = " or ".join(allowed)
            article = "an" if item.target == "ItemID" else "a"
            problems.append(f"{here}: {article} {item.target} filter reads {hint} in its WHERE clause")
            continue
        if condition is not first and condition.dataset != first.dataset:
            problems.append(
                f"{here}: conditions joined with AND/OR must use the dataset of the first condition "
                f"({first.dataset}); chain another expression with | to filter on {condition.dataset}"
            )
            continue
        problems += _condition_problems(condition, fields)
    if item.user_conditions and item.target != "ItemID":
        problems.append(f"{_at(item.user_conditions[0], 'IF')}: an IF CurrentUser condition needs an ItemID filter")
    else:
        for condition in item.user_conditions:
            if condition.dataset != "CurrentUser":
                problems.append(
                    f"{_at(condition, condition.reference)}: an IF condition may only check CurrentUser fields"
                )
            else:
                problems += _condition_problems(condition, fields)
    return problems


def _condition_problems(condition: Condition, fields: Mapping[str, Mapping[str, str | None]] | None) -> list[str]:
    here = _at(condition, condition.reference)
    problems: list[str] = []
    dataset = _dataset_of(condition)
    if dataset not in DATASET_TYPES:
        return [f"{here}: unknown dataset {condition.dataset}; use Interactions, Items, Users or CurrentUser"]
    field_type: str | None = None
    if fields is not None:
        if dataset not in fields:
            return [f"{here}: no {dataset} dataset is declared, so the filter has no {dataset} data to read"]
        known = fields[dataset]
        if condition.field not in known:
            return [f"{here}: the {dataset} schema has no field {condition.field} (fields: {', '.join(known)})"]
        field_type = known[condition.field]
    if dataset == "Interactions" and condition.field != EVENT_TYPE:
        return [f"{here}: Interactions filters can only use EVENT_TYPE"]
    if dataset == "Interactions" and condition.operator not in ("IN", "NOT IN"):
        return [f"{here}: EVENT_TYPE is matched with IN or NOT IN, not {condition.operator}"]
    if field_type == "boolean":
        return [f"{here}: boolean fields cannot be filtered; store the value as a string or an int instead"]
    if field_type == TEXTUAL:
        return [f"{here}: textual fields (unstructured text) cannot be filtered"]
    strings = [v for v in condition.values if v.kind == "string"]
    placeholders = [v for v in condition.values if v.kind == "placeholder"]
    numbers = [v for v in condition.values if v.kind == "number"]
    if condition.operator in ("IN", "NOT IN"):
        for value in numbers:
            problems.append(f'{_at(value, value.text)}: {condition.operator} compares strings; write "{value.text}"')
        if placeholders and len(condition.values) > 1:
            problems.append(
                f"{_at(placeholders[0], placeholders[0].text)}: a placeholder must be the only value of "
                f"{condition.operator} (...)"
            )
        if condition.operator == "NOT IN":
            for value in placeholders:
                problems.append(f"{_at(value, value.text)}: placeholders are not allowed with NOT IN")
        for value in strings:
            if value.text == "*" and dataset != "Interactions":
                problems.append(f"{_at(value, chr(34) + '*' + chr(34))}: * is only for Interactions.EVENT_TYPE")
    else:
        for value in strings:
            problems.append(
                f"{_at(value, chr(34) + value.text + chr(34))}: {condition.operator} compares numbers; "
                f"use IN for strings"
            )
        if field_type is not None and field_type not in NUMERIC_TYPES:
            problems.append(f"{here}: {condition.operator} needs a numeric field; {condition.field} is {field_type}")
    return problems
