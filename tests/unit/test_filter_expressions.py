"""Filter expressions (personalize_pipeline.filter_expressions): the documented grammar, then the service's rules."""

from __future__ import annotations

import pytest

from personalize_pipeline.filter_expressions import (
    MAX_LENGTH,
    TEXTUAL,
    Condition,
    Expression,
    FilterExpression,
    FilterSyntaxError,
    Value,
    expression_problems,
    parse,
)

PATH = "filters[0].filterExpression"
INTERACTIONS = {"USER_ID": "string", "ITEM_ID": "string", "EVENT_TYPE": "string", "TIMESTAMP": "long"}
ITEMS = {"ITEM_ID": "string", "GENRE": "string", "YEAR": "int", "PRICE": "float", "ADULT": "boolean"}
USERS = {"USER_ID": "string", "AGE": "int", "MEMBERSHIP": "string"}
ALL = {"Interactions": INTERACTIONS, "Items": ITEMS, "Users": USERS}
NO_COLOR = "column 22 (Items.COLOR): the Items schema has no field COLOR (fields: ITEM_ID, GENRE, YEAR, PRICE, ADULT)"
CURRENT_USER_IN_WHERE = (
    "column 22 (CurrentUser.AGE): CurrentUser may only be used in the IF condition at the end of an expression"
)
ACTION_ID = "column 1 (INCLUDE ActionID): ActionID filters need Actions datasets, which this pipeline does not manage"


@pytest.mark.parametrize(
    "expression",
    [
        'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")',
        'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")',
        "EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($EVENT_TYPE)",
        'EXCLUDE ItemID WHERE Items.GENRE IN ("shoe") AND Items.GENRE NOT IN ("boot")',
        "INCLUDE ItemID WHERE Items.PRICE <= $PRICE",
        "INCLUDE ItemID WHERE Items.YEAR < 2000 OR Items.YEAR >= ($YEAR)",
        "EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE) IF CurrentUser.AGE = $AGE",
        'INCLUDE ItemID WHERE Items.GENRE IN ("watch") IF CurrentUser.AGE > 18 AND CurrentUser.MEMBERSHIP IN ("gold")',
        "INCLUDE UserID WHERE Users.MEMBERSHIP IN ($MEMBERSHIP)",
        "EXCLUDE UserID WHERE Users.AGE < $AGE",
        'INCLUDE UserID WHERE Interactions.EVENT_TYPE IN ("click", "rating")',
        'INCLUDE ItemID WHERE Items.GENRE IN ($G) | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")',
        'EXCLUDE ItemID\n  WHERE Items.GENRE NOT IN ("a b", "")',
    ],
)
def test_expression_problems_documented_forms_none(expression: str) -> None:
    # GIVEN an expression of a form the developer guide documents, WHEN checked against declared datasets
    # THEN there is no problem
    assert expression_problems(expression, PATH, ALL) == []


def test_parse_chained_expression_whole_structure() -> None:
    # GIVEN two chained expressions with a connective and an IF clause WHEN parsed THEN the whole structure
    # comes back, positions included, and CurrentUser fields count as Users fields
    parsed = parse(
        'INCLUDE ItemID WHERE Items.YEAR >= 2000 OR Items.GENRE IN ("a", $G) IF CurrentUser.AGE > $AGE'
        ' | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'
    )
    assert parsed == FilterExpression(
        (
            Expression(
                "INCLUDE",
                "ItemID",
                1,
                (
                    Condition("Items", "YEAR", ">=", (Value("number", "2000", 36),), 22),
                    Condition("Items", "GENRE", "IN", (Value("string", "a", 60), Value("placeholder", "$G", 65)), 44),
                ),
                ("OR",),
                (Condition("CurrentUser", "AGE", ">", (Value("placeholder", "$AGE", 90),), 72),),
            ),
            Expression(
                "EXCLUDE",
                "ItemID",
                97,
                (Condition("Interactions", "EVENT_TYPE", "IN", (Value("string", "click", 146),), 118),),
                (),
                (),
            ),
        )
    )
    assert parsed.fields == {("Items", "YEAR"), ("Items", "GENRE"), ("Users", "AGE"), ("Interactions", "EVENT_TYPE")}
    assert parsed.placeholders == ("G", "AGE")


def test_expression_problems_multiline_position_counts_from_the_start() -> None:
    # GIVEN an expression with a line break WHEN a problem is found on the second line THEN its column is the
    # position in the whole string, so it points at one place
    assert expression_problems("INCLUDE ItemID\nWHERE Items.G NOT IN ($G)", PATH, None) == [
        f"{PATH}: column 38 ($G): placeholders are not allowed with NOT IN"
    ]


def test_parse_not_in_with_line_break_one_operator() -> None:
    # GIVEN NOT and IN on two lines WHEN parsed THEN the operator reads NOT IN
    assert parse('EXCLUDE ItemID WHERE Items.GENRE NOT\n IN ("a")').expressions[0].conditions[0].operator == "NOT IN"


def test_parse_bad_syntax_raises_with_column() -> None:
    # GIVEN a missing WHERE WHEN parsed THEN the error names the column and token, and what was expected
    with pytest.raises(FilterSyntaxError) as caught:
        parse('INCLUDE ItemID Items.GENRE IN ("a")')
    assert str(caught.value) == "column 16 ('Items'): unexpected; expected WHERE"


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("", "0 characters; a filter expression has 1 to 2500"),
        ("INCLUDE ItemID WHERE", "column 21 (end): the expression stops early; expected a name such as Items.GENRE"),
        (
            'include ItemID WHERE Items.GENRE IN ("a")',
            "column 1 ('include'): unexpected; expected INCLUDE or EXCLUDE",
        ),
        ('INCLUDE Items WHERE Items.GENRE IN ("a")', "column 9 ('Items'): unexpected; expected ItemID or UserID"),
        ('INCLUDE ItemID WHERE Items.GENRE IN "a"', 'column 37 (\'"a"\'): unexpected; expected "("'),
        ("INCLUDE ItemID WHERE Items.GENRE IN ('a')", 'column 38 ("\'"): unexpected character'),
        (
            'INCLUDE ItemID WHERE Items.GENRE IN ("a") IF CurrentUser.AGE > 1 OR CurrentUser.AGE < 9',
            "column 66 ('OR'): unexpected; expected \"|\" or AND or the end of the expression",
        ),
        (
            'INCLUDE ItemID WHERE Items.GENRE IN ("a") |',
            "column 44 (end): the expression stops early; expected INCLUDE or EXCLUDE",
        ),
    ],
)
def test_expression_problems_syntax_one_problem(expression: str, problem: str) -> None:
    # GIVEN an expression off the grammar WHEN checked THEN one problem names the path, the column and the token
    assert expression_problems(expression, PATH, ALL) == [f"{PATH}: {problem}"]


def test_expression_problems_too_long_refused() -> None:
    # GIVEN an expression one character over the limit WHEN checked THEN its length is the problem
    expression = 'INCLUDE ItemID WHERE Items.GENRE IN ("' + "a" * (MAX_LENGTH - 39) + '")'
    assert len(expression) == MAX_LENGTH + 1
    assert expression_problems(expression, PATH, ALL) == [f"{PATH}: 2501 characters; a filter expression has 1 to 2500"]


@pytest.mark.parametrize(
    ("expression", "fields", "problems"),
    [
        (
            "INCLUDE ItemID WHERE Items.YEAR > 2000",
            {"Interactions": INTERACTIONS},
            ["column 22 (Items.YEAR): no Items dataset is declared, so the filter has no Items data to read"],
        ),
        (
            "INCLUDE ItemID WHERE Items.GENRE IN ($G) IF CurrentUser.AGE > 18",
            {"Interactions": INTERACTIONS, "Items": ITEMS},
            ["column 45 (CurrentUser.AGE): no Users dataset is declared, so the filter has no Users data to read"],
        ),
        (
            'INCLUDE ItemID WHERE Items.COLOR IN ("red")',
            ALL,
            [NO_COLOR],
        ),
        (
            'INCLUDE ItemID WHERE Items.ADULT IN ("true")',
            ALL,
            [
                "column 22 (Items.ADULT): boolean fields cannot be filtered; store the value as a string or an int "
                "instead"
            ],
        ),
        (
            'INCLUDE ItemID WHERE Items.GENRE > "a"',
            ALL,
            [
                'column 36 ("a"): > compares numbers; use IN for strings',
                "column 22 (Items.GENRE): > needs a numeric field; GENRE is string",
            ],
        ),
        (
            'INCLUDE ItemID WHERE Items.PLOT IN ("heist")',
            {"Items": {**ITEMS, "PLOT": TEXTUAL}},
            ["column 22 (Items.PLOT): textual fields (unstructured text) cannot be filtered"],
        ),
        (
            "INCLUDE ItemID WHERE Items.YEAR IN (1999)",
            ALL,
            ['column 37 (1999): IN compares strings; write "1999"'],
        ),
    ],
)
def test_expression_problems_against_datasets_refused(
    expression: str, fields: dict[str, dict[str, str]], problems: list[str]
) -> None:
    # GIVEN an expression reading a dataset or field params.json does not declare (or cannot be filtered)
    # WHEN checked THEN each problem names the path, the column and the reference
    assert expression_problems(expression, PATH, fields) == [f"{PATH}: {problem}" for problem in problems]


@pytest.mark.parametrize(
    ("expression", "problems"),
    [
        (
            "INCLUDE ItemID WHERE Items.GENRE NOT IN ($GENRE)",
            ["column 42 ($GENRE): placeholders are not allowed with NOT IN"],
        ),
        (
            'INCLUDE ItemID WHERE Items.GENRE IN ($GENRE, "a")',
            ["column 38 ($GENRE): a placeholder must be the only value of IN (...)"],
        ),
        (
            'INCLUDE ItemID WHERE Items.GENRE IN ("*")',
            ['column 38 ("*"): * is only for Interactions.EVENT_TYPE'],
        ),
        (
            'INCLUDE ItemID WHERE Interactions.USER_ID IN ("u1")',
            ["column 22 (Interactions.USER_ID): Interactions filters can only use EVENT_TYPE"],
        ),
        (
            "INCLUDE ItemID WHERE Interactions.EVENT_TYPE = 3",
            ["column 22 (Interactions.EVENT_TYPE): EVENT_TYPE is matched with IN or NOT IN, not ="],
        ),
        (
            'INCLUDE ItemID WHERE Items.GENRE IN ("a") AND Interactions.EVENT_TYPE IN ("click")',
            [
                "column 47 (Interactions.EVENT_TYPE): conditions joined with AND/OR must use the dataset of the first "
                "condition (Items); chain another expression with | to filter on Interactions"
            ],
        ),
        (
            "INCLUDE ItemID WHERE Users.AGE > 3",
            ["column 22 (Users.AGE): an ItemID filter reads Items or Interactions in its WHERE clause"],
        ),
        (
            'INCLUDE UserID WHERE Items.GENRE IN ("a")',
            ["column 22 (Items.GENRE): a UserID filter reads Users or Interactions in its WHERE clause"],
        ),
        (
            "INCLUDE ItemID WHERE CurrentUser.AGE > 3",
            [CURRENT_USER_IN_WHERE],
        ),
        (
            'INCLUDE UserID WHERE Users.AGE > 3 IF CurrentUser.MEMBERSHIP IN ("gold")',
            ["column 39 (IF): an IF CurrentUser condition needs an ItemID filter"],
        ),
        (
            'INCLUDE ItemID WHERE Items.YEAR > 3 IF Items.GENRE IN ("a")',
            ["column 40 (Items.GENRE): an IF condition may only check CurrentUser fields"],
        ),
        (
            'INCLUDE ItemID WHERE Item.GENRE IN ("a")',
            ["column 22 (Item.GENRE): an ItemID filter reads Items or Interactions in its WHERE clause"],
        ),
        (
            "INCLUDE ActionID WHERE Actions.VALUE > 3",
            [ACTION_ID],
        ),
    ],
)
def test_expression_problems_service_rules_refused(expression: str, problems: list[str]) -> None:
    # GIVEN an expression breaking one of the guide's rules WHEN checked THEN exactly that problem, with position
    assert expression_problems(expression, PATH, ALL) == [f"{PATH}: {problem}" for problem in problems]


def test_expression_problems_without_datasets_only_grammar_and_rules() -> None:
    # GIVEN no dataset information WHEN checked THEN dataset and field existence are not judged, the rules are
    assert expression_problems("INCLUDE ItemID WHERE Items.ANYTHING > 3", PATH, None) == []
    assert expression_problems("INCLUDE ItemID WHERE Items.G NOT IN ($G)", PATH, None) == [
        f"{PATH}: column 38 ($G): placeholders are not allowed with NOT IN"
    ]


def test_expression_problems_every_chained_expression_checked() -> None:
    # GIVEN two chained expressions each with a problem WHEN checked THEN both problems come back, in order
    expression = "INCLUDE ItemID WHERE Items.YEAR IN (1) | INCLUDE ItemID WHERE Items.GENRE NOT IN ($G)"
    assert expression_problems(expression, PATH, ALL) == [
        f'{PATH}: column 37 (1): IN compares strings; write "1"',
        f"{PATH}: column 83 ($G): placeholders are not allowed with NOT IN",
    ]


def test_expression_problems_eleven_fields_refused() -> None:
    # GIVEN a filter reading 11 distinct fields across chained expressions WHEN checked THEN the count is refused,
    # listing every field
    items = {f"F{i:02d}": "string" for i in range(11)}
    expression = " | ".join(f'INCLUDE ItemID WHERE Items.F{i:02d} IN ("a")' for i in range(11))
    names = ", ".join(f"Items.F{i:02d}" for i in range(11))
    assert expression_problems(expression, PATH, {"Items": items}) == [
        f"{PATH}: 11 distinct fields ({names}); a filter may use at most 10"
    ]


def test_expression_problems_ten_fields_accepted() -> None:
    # GIVEN exactly 10 distinct fields, one of them read twice WHEN checked THEN no problem
    items = {f"F{i:02d}": "string" for i in range(10)}
    expression = " | ".join(f'INCLUDE ItemID WHERE Items.F{i % 10:02d} IN ("a")' for i in range(11))
    assert expression_problems(expression, PATH, {"Items": items}) == []
