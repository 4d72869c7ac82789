"""Data values (personalize_pipeline.data_values): rows against schemas, training minimums, byte ranges."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from personalize_pipeline import data_values
from personalize_pipeline.data_values import (
    check_part,
    owned_lines,
    plan_checks,
    ranges,
    summarize,
)

BUCKET = "input-bucket"
EXAMPLE = Path(__file__).resolve().parents[2] / "example"

INTERACTIONS = [
    {"name": "USER_ID", "type": "string"},
    {"name": "ITEM_ID", "type": "string"},
    {"name": "EVENT_TYPE", "type": "string"},
    {"name": "EVENT_VALUE", "type": ["null", "float"]},
    {"name": "TIMESTAMP", "type": "long"},
]
ITEMS = [
    {"name": "ITEM_ID", "type": "string"},
    {"name": "YEAR", "type": "int"},
    {"name": "GENRES", "type": ["null", "string"], "categorical": True},
    {"name": "DESCRIPTION", "type": ["null", "string"], "textual": True},
    {"name": "PRICE", "type": ["null", "double"]},
    {"name": "ON_SALE", "type": ["null", "boolean"]},
    {"name": "CREATION_TIMESTAMP", "type": ["null", "long"]},
]
SCHEMAS = {"Interactions": INTERACTIONS, "Items": ITEMS}


def interactions_csv(users: int = 50, per_user: int = 30, event_type: str = "click", start: int = 1700000000) -> bytes:
    """users x per_user distinct rows: every user has per_user interactions."""
    lines = ["USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP"]
    for u in range(users):
        for i in range(per_user):
            lines.append(f"u{u},i{i},{event_type},{i % 5},{start + u * 1000 + i}")
    return ("\n".join(lines) + "\n").encode()


def items_csv(*rows: str) -> bytes:
    return (
        "ITEM_ID,YEAR,GENRES,DESCRIPTION,PRICE,ON_SALE,CREATION_TIMESTAMP\n" + "".join(r + "\n" for r in rows)
    ).encode()


def run_checks(
    files: dict[str, bytes],
    solutions: list[dict[str, Any]] | None = None,
    part_bytes: int = 1 << 30,
    chunk: int = 7,
    paths: list[str] | None = None,
) -> tuple[list[str], list[str]]:
    """What the state machine does: plan the ranges, check each from its own ranged read, summarize."""
    folders = sorted({key.split("/")[0] for key in files})
    plan = {
        "datasets": [
            {"folder": f, "schema": {"schema": json.dumps({"type": "record", "fields": SCHEMAS[f]})}} for f in folders
        ],
        "solutions": [{"solution": s} for s in (solutions or [{"name": "sol"}])],
    }
    if paths is not None:  # build_plan's record of where each solution is written in params.json
        plan["paths"] = {"solutions": [{"solution": path} for path in paths]}
    headers = {key: body.split(b"\n", 1)[0].decode() for key, body in files.items()}
    sizes = {key: ("etag", len(body)) for key, body in files.items()}
    checks = plan_checks(plan, headers, sizes, part_bytes)
    results = []
    for item in checks["items"]:
        body = files[item["key"]][max(item["start"] - 1, 0) :]
        chunks = (body[i : i + chunk] for i in range(0, len(body), chunk))
        lines = owned_lines(chunks, item["start"], item["end"])
        results.append(check_part(item, checks["fields"][item["folder"]], checks["filters"], lines))
    return summarize(BUCKET, {**checks, "results": results})


GOOD = {"Interactions/i.csv": interactions_csv()}


def test_summarize_good_interactions_no_problem_no_warning() -> None:
    # GIVEN 1500 distinct interactions of 50 users WHEN checked THEN nothing to report
    assert run_checks(GOOD) == ([], [])


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (
            "i1,,,,,,",
            'row 2, column YEAR: empty, but YEAR is not nullable; fill it in or declare its type as ["null", "int"]',
        ),
        ("i1,2006–2007,,,,,", "row 2, column YEAR: '2006–2007' is not an integer (int)"),
        ("i1,2147483648,,,,,", "row 2, column YEAR: 2147483648 is out of the int range -2147483648 to 2147483647"),
        (",2006,,,,,", "row 2, column ITEM_ID: empty, but ITEM_ID is required"),
        ("i1,2006,,,abc,,", "row 2, column PRICE: 'abc' is not a number (double)"),
        ("i1,2006,,,nan,,", "row 2, column PRICE: 'nan' is not a finite number (double)"),
        ("i1,2006,,,,True,", "row 2, column ON_SALE: 'True' is not a boolean; write lowercase true or false"),
        ("i1,2006,,,,1,", "row 2, column ON_SALE: '1' is not a boolean; write lowercase true or false"),
        (
            "i1,2006,,,,,2024-01-01T00:00:00Z",
            "row 2, column CREATION_TIMESTAMP: '2024-01-01T00:00:00Z' is a date string; write epoch seconds, "
            "e.g. 1596238243",
        ),
        (
            "i1,2006,,,,,1700000000000",
            "row 2, column CREATION_TIMESTAMP: 1700000000000 is not in epoch seconds (after the year 2100); "
            "milliseconds? divide by 1000",
        ),
        ("x" * 257 + ",2006,,,,,", "row 2, column ITEM_ID: 257 characters; ITEM_ID values may have at most 256"),
        (
            "i1,2006," + "g" * 1001 + ",,,,",
            "row 2, column GENRES: 1001 characters; GENRES values may have at most 1000",
        ),
        (
            'i1,2006,,"' + "d" * 20001 + '",,,',
            "row 2, column DESCRIPTION: 20001 characters; DESCRIPTION values may have at most 20000",
        ),
        ("i1,2006,,,", "row 2: 5 values, but the header has 7 columns"),
        ('i1,2006,"a"b,,,,', "row 2: malformed CSV: ',' expected after '\"'"),
        ('i1,2006,"a\nb",,,,', "row 2: a quoted value spans lines; Personalize reads one record per line"),
    ],
)
def test_summarize_one_bad_value_is_named_by_key_row_and_column(row: str, problem: str) -> None:
    # GIVEN an Items file whose only data row has one bad value
    files = {**GOOD, "Items/items.csv": items_csv(row)}
    # WHEN the data is checked THEN exactly that problem is reported
    assert run_checks(files) == ([f"s3://{BUCKET}/Items/items.csv {problem}"], [])


def test_summarize_valid_values_of_every_type_pass() -> None:
    files = {
        **GOOD,
        "Items/items.csv": items_csv(
            'i1,-5,a|b,"say \\"hi\\", twice",1.5e3,true,1596238243', "i2,2006,,,,false,", "é" * 256 + ",0,,,-0,,"
        ),
    }
    assert run_checks(files) == ([], [])


def test_summarize_not_utf8_line_named_by_row() -> None:
    files = {**GOOD, "Items/items.csv": items_csv("i1,2006,,,,,") + b"caf\xe9,2006,,,,,\n"}
    assert run_checks(files) == (
        [f"s3://{BUCKET}/Items/items.csv row 3: not UTF-8 (byte 0xe9 at position 4); save the file as UTF-8"],
        [],
    )


def test_summarize_many_problems_caps_each_file_and_counts_the_rest() -> None:
    # GIVEN 8 rows with an empty YEAR in one file and one bad row in another
    files = {
        **GOOD,
        "Items/a.csv": items_csv(*[f"i{n},,,,,," for n in range(8)]),
        "Items/b.csv": items_csv("i1,x,,,,,"),
    }
    # WHEN checked THEN each file lists its first 5 and counts the others; both files are reported at once
    empty = 'column YEAR: empty, but YEAR is not nullable; fill it in or declare its type as ["null", "int"]'
    assert run_checks(files) == (
        [f"s3://{BUCKET}/Items/a.csv row {n}, {empty}" for n in range(2, 7)]
        + [
            f"s3://{BUCKET}/Items/a.csv: and 3 more problems in this file",
            f"s3://{BUCKET}/Items/b.csv row 2, column YEAR: 'x' is not an integer (int)",
        ],
        [],
    )


def test_check_part_line_without_end_stops_with_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a file whose second line never ends (limit lowered to keep the test small)
    monkeypatch.setattr(data_values, "MAX_LINE_BYTES", 1000)
    body = items_csv("i1,2006,,,,,") + b"x" * 5000
    files = {**GOOD, "Items/items.csv": body}
    # WHEN checked from 7-byte chunks THEN reading stops with one problem naming the row
    assert run_checks(files) == (
        [f"s3://{BUCKET}/Items/items.csv row 3: a line longer than 1,000 bytes; is this a CSV file?"],
        [],
    )


def test_summarize_header_only_file_is_refused() -> None:
    files = {**GOOD, "Items/items.csv": items_csv()}
    assert run_checks(files) == (
        [f"s3://{BUCKET}/Items/items.csv: only a header and no data rows; add the data or delete the file"],
        [],
    )


def test_summarize_legacy_items_rows_6061_and_9520_both_reported_up_front() -> None:
    # GIVEN the legacy sample's two Items defects, far apart in a file cut into many small ranges
    rows = [f"i{n},{1990 + n % 30},Drama,,,," for n in range(2, 10001)]
    rows[6061 - 2] = "i6061,,Drama,,,,"
    rows[9520 - 2] = "i9520,2006–2007,Drama,,,,"
    files = {**GOOD, "Items/items.csv": items_csv(*rows)}
    # WHEN checked in 4 KiB ranges THEN both are reported in one run, with their rows in the whole file
    assert run_checks(files, part_bytes=4096) == (
        [
            f"s3://{BUCKET}/Items/items.csv row 6061, column YEAR: empty, but YEAR is not nullable; fill it in or "
            'declare its type as ["null", "int"]',
            f"s3://{BUCKET}/Items/items.csv row 9520, column YEAR: '2006–2007' is not an integer (int)",
        ],
        [],
    )


@pytest.mark.parametrize("part_bytes", [1, 2, 3, 10, 29, 30, 31, 64, 1000])
def test_owned_lines_every_split_reads_each_line_exactly_once(part_bytes: int) -> None:
    # GIVEN a file with CRLF, an empty line and no final newline
    data = b"H\r\nalpha\r\n\r\nbeta,gamma\nlast"
    # WHEN it is cut into ranges of part_bytes and each range is read on its own
    lines = []
    for start, end in ranges(len(data), part_bytes):
        body = data[max(start - 1, 0) :]
        lines.extend(owned_lines([body[i : i + 4] for i in range(0, len(body), 4)], start, end))
    # THEN together they hold every line once, in order
    assert lines == [b"H", b"alpha", b"", b"beta,gamma", b"last"]


def test_ranges_cover_the_object_in_equal_parts() -> None:
    assert ranges(0) == [(0, 0)]
    assert ranges(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert ranges(10 * 1024**3) == [(i * 256 * 1024**2, (i + 1) * 256 * 1024**2) for i in range(40)]


def test_summarize_fewer_than_1000_unique_interactions_refused_duplicates_count_once() -> None:
    # GIVEN 999 distinct rows of 40 users, each written twice (2 files), 1998 records in all
    rows = interactions_csv(users=37, per_user=27).split(b"\n", 1)
    files = {"Interactions/a.csv": rows[0] + b"\n" + rows[1], "Interactions/b.csv": rows[0] + b"\n" + rows[1]}
    # WHEN checked THEN the exact unique count is refused
    assert run_checks(files) == (
        [
            f"s3://{BUCKET}/Interactions/: 999 unique interactions; solution 'sol' needs at least 1000 to train "
            "(identical rows count once)"
        ],
        [],
    )


def test_summarize_users_with_two_counted_across_files() -> None:
    # GIVEN 1200 users with one interaction in each of two files, plus 5 users with 2 in one file
    header = b"USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP\n"
    a = header + b"".join(f"u{u},i1,click,,{1700000000 + u}\n".encode() for u in range(1200))
    b = header + b"".join(f"u{u},i2,click,,{1700000000 + u}\n".encode() for u in range(20))
    b += b"".join(f"v{u},i{k},click,,1700000000\n".encode() for u in range(3) for k in range(2))
    # WHEN checked THEN 20 + 3 = 23 users with 2 are found and the run is refused, exactly
    assert run_checks({"Interactions/a.csv": a, "Interactions/b.csv": b}) == (
        [f"s3://{BUCKET}/Interactions/: 23 users with at least 2 interactions; solution 'sol' needs at least 25"],
        [],
    )


def test_summarize_event_type_and_threshold_filter_before_counting() -> None:
    # GIVEN 1500 interactions, EVENT_VALUE 0..4, and a solution keeping only values >= 3 (600 rows)
    solutions = [{"name": "buyers", "eventType": "click", "solutionConfig": {"eventValueThreshold": "3"}}]
    # WHEN checked THEN the count after the filter is refused
    assert run_checks(GOOD, solutions) == (
        [
            f"s3://{BUCKET}/Interactions/: 600 unique interactions after the filter eventType 'click' and "
            "eventValueThreshold 3; solution 'buyers' needs at least 1000 to train (identical rows count once)"
        ],
        [],
    )


def test_summarize_event_type_differing_in_case_names_the_data_value() -> None:
    solutions = [{"name": "sol", "eventType": "Click"}]
    assert run_checks(GOOD, solutions) == (
        [
            f"solution.eventType: 'Click' matches no EVENT_TYPE in s3://{BUCKET}/Interactions/; event types are "
            "case-sensitive and the data has 'click'"
        ],
        [],
    )


def test_summarize_event_type_absent_lists_the_data_values() -> None:
    solutions = [{"name": "sol", "eventType": "purchase"}]
    assert run_checks(GOOD, solutions) == (
        [f"solution.eventType: 'purchase' matches no EVENT_TYPE in s3://{BUCKET}/Interactions/ (the data has 'click')"],
        [],
    )


def test_summarize_event_type_of_one_of_several_solutions_names_its_params_path() -> None:
    # GIVEN the legacy map spelling: the second solution trains on an event type the data lacks
    solutions = [{"name": "a"}, {"name": "b", "eventType": "purchase"}]
    # WHEN checked THEN the problem names that solution's path as written
    assert run_checks(GOOD, solutions, paths=["solutions.a", "solutions.b"]) == (
        [
            f"solutions.b.eventType: 'purchase' matches no EVENT_TYPE in s3://{BUCKET}/Interactions/ "
            "(the data has 'click')"
        ],
        [],
    )


def test_summarize_uncertain_minimum_across_many_ranges_warns_not_refuses() -> None:
    # GIVEN 6000 rows in 10 ranges of about 600 distinct rows each: more hashes than the state budget allows
    body = interactions_csv(users=50, per_user=120)
    # WHEN checked THEN the bounds (max..sum) straddle 1000: a warning naming them, never a refusal
    problems, warnings = run_checks({"Interactions/i.csv": body}, part_bytes=len(body) // 10 + 1)
    assert problems == []
    assert len(warnings) == 1
    assert warnings[0].startswith(f"s3://{BUCKET}/Interactions/: between 6")
    assert warnings[0].endswith(
        " and 6000 unique interactions; solution 'sol' needs at least 1000, which could not be "
        "confirmed without reading all ranges at once"
    )


def test_summarize_small_ranges_within_budget_count_exactly() -> None:
    # GIVEN the good file in 8 ranges (within the hash budget) THEN the union is exact: 1500 >= 1000, 50 users
    assert run_checks(GOOD, part_bytes=len(GOOD["Interactions/i.csv"]) // 8 + 1) == ([], [])


def test_summarize_too_many_event_types_with_metadata_refused() -> None:
    lines = [b"USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP"]
    lines += [f"u{n % 50},i{n},e{n % 10},,{1700000000 + n}".encode() for n in range(1500)]
    problems, _ = run_checks({"Interactions/i.csv": b"\n".join(lines) + b"\n"})
    assert problems == [
        f"s3://{BUCKET}/Interactions/: 10 distinct EVENT_TYPE values (e0, e1, e2, e3, e4, e5, e6, e7, e8, e9) and 2 "
        "optional columns (EVENT_TYPE, EVENT_VALUE); Personalize allows at most 10 together"
    ]


def test_summarize_example_data_passes() -> None:
    # GIVEN the committed example and its params.json
    params = json.loads((EXAMPLE / "params.json").read_text())
    files = {
        f"{folder}/{path.name}": path.read_bytes()
        for folder in params["datasets"]
        for path in sorted((EXAMPLE / "data" / folder).glob("*.csv"))
    }
    SCHEMAS_EXAMPLE = {f: params["datasets"][f]["schema"]["fields"] for f in params["datasets"]}
    plan = {
        "datasets": [
            {"folder": f, "schema": {"schema": json.dumps({"fields": SCHEMAS_EXAMPLE[f]})}} for f in params["datasets"]
        ],
        "solutions": [{"solution": params["solution"]}],
    }
    headers = {k: b.split(b"\n", 1)[0].decode() for k, b in files.items()}
    checks = plan_checks(plan, headers, {k: ("e", len(b)) for k, b in files.items()})
    results = [
        check_part(
            item,
            checks["fields"][item["folder"]],
            checks["filters"],
            owned_lines([files[item["key"]]], item["start"], item["end"]),
        )
        for item in checks["items"]
    ]
    # WHEN checked THEN nothing is reported and every row was read
    assert summarize(BUCKET, {**checks, "results": results}) == ([], [])
    assert sum(r["records"] for r in results) == sum(b.count(b"\n") - 1 for b in files.values())


def _synthetic(rows: int) -> Iterator[bytes]:
    """A large interactions file as 64 KiB chunks, generated on the fly (never held in memory)."""
    yield b"USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP\n"
    batch = []
    for n in range(rows):
        batch.append(f"user-{n},item-{n % 5000},click,1.0,{1600000000 + n}\n")
        if len(batch) == 1000:
            yield "".join(batch).encode()
            batch = []
    yield "".join(batch).encode()


def test_check_part_memory_stays_bounded_on_a_large_file(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN 100,000 rows, every one a new user (the worst case for the per-user table, capped at 10,000 here
    # to keep the test fast; the cap is what bounds memory, whatever its value)
    monkeypatch.setattr(data_values, "MAX_USERS_TRACKED", 10_000)
    rows = 100_000
    item = {"folder": "Interactions", "key": "Interactions/big.csv", "start": 0, "end": 1 << 40, "header": []}
    item["header"] = ["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "TIMESTAMP"]
    fields = [[f["name"], "float" if f["name"] == "EVENT_VALUE" else "string", False, 256] for f in INTERACTIONS]
    fields[4] = ["TIMESTAMP", "long", False, None]
    filters = [{"solution": "s", "eventType": None, "eventValueThreshold": None}]
    # WHEN it is checked from a stream
    tracemalloc.start()
    try:
        result = check_part(item, fields, filters, owned_lines(_synthetic(rows), 0, 1 << 40))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # THEN every row was read, the user table stopped at its cap, and the peak stays far below the file's size
    assert (result["records"], result["problems"]) == (rows, [])
    assert result["filters"][0]["usersComplete"] is False and result["filters"][0]["distinct"] == 1000
    # (the file is about 4.5 MB; the users table alone would be several MB without its cap)
    assert peak < 4 * 1024 * 1024
