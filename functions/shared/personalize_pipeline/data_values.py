"""Data values: every CSV row checked against its schema, and the training minimums, before anything exists.

Three pieces, each pure and streaming so a 10 GB dataset fits Lambda's limits:

* :func:`plan_checks` (Load Parameters) cuts every data file into byte ranges of at most
  :data:`PART_BYTES`; the state machine runs one Check Data Values Lambda per range, in parallel.
* :func:`check_part` reads one range line by line (never the whole file): a range owns the lines whose
  first byte lies inside it, so adjacent ranges split at line boundaries without coordination. It checks
  each value (type, null in a non-null field, int/long range, finite numbers, lowercase booleans,
  TIMESTAMP in epoch seconds, UTF-8, length limits) and keeps a bounded sketch of the interactions.
* :func:`summarize` merges the ranges: absolute row numbers (each range reports how many lines it owned),
  a few problems per file, and the training minimums per solution.

Counting across ranges (the minimums are thresholds, so only "enough or not" matters):

* unique interactions (identical rows count once, as Personalize keeps one of identical events): each
  range keeps the 64-bit BLAKE2b hashes of its distinct filtered rows, but only up to 1000. A range that
  reaches 1000 proves the minimum alone; otherwise it ships its hashes when the state size budget allows,
  and the union is counted. Without every range's hashes the bounds are ``max`` and ``sum`` of the
  ranges' counts: the pipeline refuses only when even the sum is below 1000, and warns when unsure.
* users with at least 2 interactions: each range counts its users' interactions (a bounded table) and
  ships the hashes of its users with 2 or more, and of those with exactly one when the budget allows; a
  user seen once in two ranges has two. Again refused only when certain, else a warning.

Refusing on an approximation could block good data, so no estimate ever refuses: a refusal means the
count is exact (up to a 64-bit hash collision, which can only make the count lower than the truth with
probability far below 1e-12 at these sizes).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

#: The largest byte range one Lambda checks; at the measured throughput (``make bench``) it takes well under
#: Lambda's 15 minutes, and 10 GB becomes 40 parallel ranges.
PART_BYTES = 256 * 1024 * 1024
#: Problems kept per range and shown per file; the count of the rest is reported.
PROBLEMS_PER_PART = 5
PROBLEMS_PER_FILE = 5

ID_COLUMNS = frozenset({"USER_ID", "ITEM_ID"})
TIMESTAMP_COLUMNS = frozenset({"TIMESTAMP", "CREATION_TIMESTAMP"})
#: Reserved fields Personalize never allows to be null (personalize-facts.md section 5).
NEVER_NULL = frozenset({"USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "CREATION_TIMESTAMP", "ACTION_ID"})
ID_MAX, STRING_MAX, TEXTUAL_MAX = 256, 1000, 20000
INT_RANGE = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
#: 2100-01-01T00:00:00Z: an epoch-seconds TIMESTAMP beyond it is almost surely in milliseconds.
MAX_EPOCH_SECONDS = 4102444800

MIN_UNIQUE_INTERACTIONS = 1000
MIN_USERS_WITH_TWO = 25
MAX_EVENT_TYPES_PLUS_METADATA = 10
#: Interactions columns that are neither metadata nor event types (quotas page).
NON_METADATA_INTERACTION_COLUMNS = frozenset(
    {"USER_ID", "ITEM_ID", "TIMESTAMP", "IMPRESSION", "RECOMMENDATION_ID", "EVENT_ATTRIBUTION_SOURCE"}
)
#: Distinct event types remembered per range (the service allows 10 with the metadata columns).
MAX_EVENT_TYPES_TRACKED = 100
#: Users whose interactions a range counts; beyond it the count of users with 2 becomes a lower bound.
MAX_USERS_TRACKED = 200_000
#: A line longer than this is not a Personalize record (100 metadata fields of 1000 characters, one textual
#: field of 20000, 4 UTF-8 bytes each, stay far below it); reading stops there so memory stays bounded.
MAX_LINE_BYTES = 8 * 1024 * 1024
#: Hashes all ranges together may ship through the state machine (8 bytes each, base64), per kind.
HASH_BUDGET = 4000

_INTEGER = re.compile(r"[+-]?\d+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# --- planning (Load Parameters) -----------------------------------------------------------------------


def field_specs(schema: dict[str, Any]) -> list[list[Any]]:
    """``[name, base type, nullable, max length or None]`` per schema field, in schema order."""
    specs = []
    for item in schema.get("fields", []):
        kind = item["type"]
        nullable = isinstance(kind, list)
        base = next(b for b in kind if b != "null") if nullable else kind
        limit = None
        if base == "string":
            limit = ID_MAX if item["name"] in ID_COLUMNS else TEXTUAL_MAX if item.get("textual") else STRING_MAX
        specs.append([item["name"], base, nullable, limit])
    return specs


def ranges(size: int, part_bytes: int = PART_BYTES) -> list[tuple[int, int]]:
    """``[start, end)`` byte ranges covering an object of ``size`` bytes, at most ``part_bytes`` each."""
    count = max(1, math.ceil(size / part_bytes))
    step = math.ceil(size / count) if size else 0
    return [(i * step, min(size, (i + 1) * step)) for i in range(count)]


def plan_checks(
    plan: dict[str, Any], headers: dict[str, str], sizes: dict[str, tuple[str, int]], part_bytes: int = PART_BYTES
) -> dict[str, Any]:
    """The work list of Check Data Values for a valid plan.

    ``headers`` maps each data key to its header line and ``sizes`` to ``(etag, size)`` (from the listing
    Load Parameters already made). Returns ``{"fields", "filters", "items"}``: fields per dataset folder,
    the solutions' interaction filters, and one item per byte range.
    """
    fields, items = {}, []
    for dataset in plan["datasets"]:
        folder = dataset["folder"]
        fields[folder] = field_specs(json.loads(dataset["schema"]["schema"]))
        prefix = f"{folder}/"
        keys = sorted(k for k in headers if k.startswith(prefix) and "/" not in k[len(prefix) :])
        for key in keys:
            etag, size = sizes[key]
            header = [column.strip() for column in headers[key].split(",")]
            for start, end in ranges(size, part_bytes):
                items.append({"folder": folder, "key": key, "etag": etag, "start": start, "end": end, "header": header})
    filters = []
    # Where each solution is written in params.json (plan["paths"], from build_plan), for the problems' paths.
    paths = [p["solution"] for p in plan.get("paths", {}).get("solutions", [])] or ["solution"] * len(plan["solutions"])
    for entry, path in zip(plan["solutions"], paths, strict=True):
        solution = entry["solution"]
        threshold = (solution.get("solutionConfig") or {}).get("eventValueThreshold")
        try:
            threshold = float(threshold) if threshold is not None else None
        except ValueError:
            threshold = None  # params validation reports it; the data check then counts every event
        filters.append(
            {
                "solution": solution["name"],
                "path": path,
                "eventType": solution.get("eventType"),
                "eventValueThreshold": threshold,
            }
        )
    interaction_items = sum(1 for item in items if item["folder"] == "Interactions")
    budget = HASH_BUDGET // interaction_items if interaction_items > 1 else 0
    for item in items:
        if item["folder"] == "Interactions":
            item["hashBudget"] = budget
    return {"fields": fields, "filters": filters, "items": items}


# --- one range (Check Data Values, per Map iteration) ---------------------------------------------------


class LineTooLong(Exception):
    """A line exceeds MAX_LINE_BYTES: the file has no line structure Personalize could import."""


def owned_lines(chunks: Iterable[bytes], start: int, end: int) -> Iterator[bytes]:
    """The lines (without line ending) whose first byte lies in ``[start, end)``.

    ``chunks`` is the object read from ``start - 1`` (from 0 when ``start`` is 0) to its end; reading stops
    at the first line starting at or after ``end``. A range starting mid-line skips to the next line: the
    previous range owns that line and reads past its own end to finish it.
    """
    position = start - 1 if start > 0 else 0  # file offset of ``pending``
    pending = b""
    skipping = start > 0
    for chunk in chunks:
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        if len(pending) > MAX_LINE_BYTES:
            raise LineTooLong
        for line in lines:
            line_start = position
            position += len(line) + 1
            if skipping:
                skipping = False
                continue
            if line_start >= end:
                return
            yield line[:-1] if line.endswith(b"\r") else line
    if pending and not skipping and position < end:
        yield pending[:-1] if pending.endswith(b"\r") else pending


def _hash(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def _pack(hashes: Iterable[bytes]) -> str:
    return base64.b64encode(b"".join(sorted(hashes))).decode("ascii")


def _unpack(text: str | None) -> set[bytes]:
    raw = base64.b64decode(text or "")
    return {raw[i : i + 8] for i in range(0, len(raw), 8)}


@dataclass
class _FilterStats:
    """One solution's view of a range: its filtered interactions, bounded.

    Once the range alone proves both minimums it stops hashing: the rest of a large range costs only the
    value checks.
    """

    event_type: str | None
    threshold: float | None
    records: int = 0
    distinct: set[bytes] = field(default_factory=set)
    users: dict[bytes, int] = field(default_factory=dict)
    with_two: int = 0
    users_overflow: bool = False
    done: bool = False

    def add(self, values: list[str], user_at: int, event_type: str | None, event_value_at: int | None) -> None:
        if self.event_type is not None and event_type != self.event_type:
            return
        if self.threshold is not None:
            text = values[event_value_at] if event_value_at is not None else ""
            if text == "" or float(text) < self.threshold:
                return
        self.records += 1
        if self.done:
            return
        if len(self.distinct) < MIN_UNIQUE_INTERACTIONS:
            self.distinct.add(_hash("\x1f".join(values)))
        if self.with_two < MIN_USERS_WITH_TWO:
            user = _hash(values[user_at])
            count = self.users.get(user)
            if count == 1:
                self.users[user] = 2
                self.with_two += 1
            elif count is None:
                if len(self.users) < MAX_USERS_TRACKED:
                    self.users[user] = 1
                else:
                    self.users_overflow = True
        self.done = len(self.distinct) >= MIN_UNIQUE_INTERACTIONS and self.with_two >= MIN_USERS_WITH_TWO

    def result(self, budget: int) -> dict[str, Any]:
        with_two = [u for u, n in self.users.items() if n >= 2]
        singles = [u for u, n in self.users.items() if n == 1]
        shipped_singles = not self.users_overflow and len(singles) <= budget
        return {
            "records": self.records,
            "distinct": len(self.distinct),
            "rows": _pack(self.distinct) if len(self.distinct) <= budget else None,
            "withTwo": _pack(with_two),
            "withTwoCount": len(with_two),
            "singles": _pack(singles) if shipped_singles else None,
            "usersComplete": not self.users_overflow,
        }


class _PartCheck:
    def __init__(self, item: dict[str, Any], fields: list[list[Any]], filters: list[dict[str, Any]]) -> None:
        self.header = item["header"]
        self.first = item["start"] == 0
        by_name = {spec[0]: spec for spec in fields}
        self.columns = [by_name.get(name) for name in self.header]
        self.fast = [_fast_check(spec) for spec in self.columns]
        self.interactions = item["folder"] == "Interactions"
        self.budget = item.get("hashBudget", 0)
        self.lines = 0
        self.yielded = 0
        self.mark = 0
        self.record_line = 0
        self.records = 0
        self.problems: list[list[Any]] = []
        self.more = 0
        self.event_types: set[str] = set()
        self.filters = [_FilterStats(f["eventType"], f["eventValueThreshold"]) for f in filters]
        index = {name: i for i, name in enumerate(self.header)}
        self.user_at = index.get("USER_ID")
        self.event_type_at = index.get("EVENT_TYPE")
        self.event_value_at = index.get("EVENT_VALUE")

    def problem(self, line: int, column: str | None, message: str) -> None:
        if len(self.problems) < PROBLEMS_PER_PART:
            self.problems.append([line, column, message])
        else:
            self.more += 1

    def texts(self, lines: Iterable[bytes]) -> Iterator[str]:
        """Decoded lines for the csv reader; a line that is not UTF-8 is reported and read as blank."""
        for raw in lines:
            self.lines += 1
            if self.lines == 1 and self.first:
                continue  # the header: Load Parameters checked it against the schema
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                self.problem(
                    self.lines,
                    None,
                    f"not UTF-8 (byte 0x{raw[error.start]:02x} at position {error.start + 1}); save the file as UTF-8",
                )
                text = ""
            self.yielded += 1
            if self.yielded == self.mark + 1:
                self.record_line = self.lines  # where the record the reader is reading starts
            yield text

    def run(self, lines: Iterable[bytes]) -> dict[str, Any]:
        # Personalize's format: "\" escapes quotes and backslashes; strict refuses stray quotes.
        reader = csv.reader(self.texts(lines), escapechar="\\", strict=True)
        width = len(self.header)
        while True:
            self.mark = self.yielded
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                self.problem(self.lines, None, f"malformed CSV: {error}")
                continue
            except LineTooLong:
                self.problem(self.lines + 1, None, f"a line longer than {MAX_LINE_BYTES:,} bytes; is this a CSV file?")
                break
            if not values:
                continue
            if self.yielded - self.mark > 1:
                self.problem(
                    self.record_line, None, "a quoted value spans lines; Personalize reads one record per line"
                )
                continue
            if len(values) != width:
                self.problem(self.lines, None, f"{len(values)} values, but the header has {width} columns")
                continue
            if self.check_row(values):
                self.records += 1
                if self.interactions:
                    self.count(values)
        return {
            "lines": self.lines,
            "records": self.records,
            "problems": self.problems,
            "moreProblems": self.more,
            "eventTypes": sorted(self.event_types),
            "filters": [f.result(self.budget) for f in self.filters] if self.interactions else [],
        }

    def check_row(self, values: list[str]) -> bool:
        ok = True
        for fast, spec, text in zip(self.fast, self.columns, values, strict=True):
            if fast(text):
                continue
            message = value_problem(spec, text)
            if message:
                self.problem(self.lines, spec[0], message)
                ok = False
        return ok

    def count(self, values: list[str]) -> None:
        event_type = values[self.event_type_at] if self.event_type_at is not None else None
        if event_type is not None and len(self.event_types) < MAX_EVENT_TYPES_TRACKED:
            self.event_types.add(event_type)
        for stats in self.filters:
            stats.add(values, self.user_at, event_type, self.event_value_at)


def _fast_check(spec: list[Any] | None) -> Callable[[str], bool]:
    """A cheap test that accepts the common valid values of a field; :func:`value_problem` decides the rest."""
    if spec is None:
        return lambda text: True  # not in the schema: Load Parameters refused the header already
    name, kind, nullable, limit = spec
    if kind == "string":
        shortest = 0 if nullable else 1
        return lambda text: shortest <= len(text) <= limit
    if kind in INT_RANGE:
        # Up to 9 digits fits an int, up to 10 an epoch-seconds TIMESTAMP (checked against 2100), 18 a long.
        digits = 10 if name in TIMESTAMP_COLUMNS else 9 if kind == "int" else 18
        ceiling = MAX_EPOCH_SECONDS if name in TIMESTAMP_COLUMNS else 10**digits
        return lambda text: 0 < len(text) <= digits and text.isascii() and text.isdigit() and int(text) <= ceiling
    if kind == "boolean":
        accepted = frozenset({"true", "false", *([""] if nullable else [])})
        return accepted.__contains__
    return lambda text: False  # numbers: value_problem parses them once


def value_problem(spec: list[Any], text: str) -> str | None:
    """Why one CSV value does not fit its field ``[name, type, nullable, limit]``, or None."""
    name, kind, nullable, limit = spec
    if text == "":
        if nullable:
            return None
        if name in NEVER_NULL:
            return f"empty, but {name} is required"
        return f'empty, but {name} is not nullable; fill it in or declare its type as ["null", "{kind}"]'

    if kind in INT_RANGE:
        low, high = INT_RANGE[kind]
        if not _INTEGER.fullmatch(text):
            if name in TIMESTAMP_COLUMNS and _ISO_DATE.match(text):
                return f"{_show(text)} is a date string; write epoch seconds, e.g. 1596238243"
            return f"{_show(text)} is not an integer ({kind})"
        value = int(text)
        if not low <= value <= high:
            return f"{text} is out of the {kind} range {low} to {high}"
        if name in TIMESTAMP_COLUMNS and value > MAX_EPOCH_SECONDS:
            return f"{text} is not in epoch seconds (after the year 2100); milliseconds? divide by 1000"
        return None
    if kind in ("float", "double"):
        try:
            number = float(text)
        except ValueError:
            return f"{_show(text)} is not a number ({kind})"
        return None if math.isfinite(number) else f"{_show(text)} is not a finite number ({kind})"
    if kind == "boolean":
        return None if text in ("true", "false") else f"{_show(text)} is not a boolean; write lowercase true or false"
    if len(text) > limit:
        return f"{len(text)} characters; {name} values may have at most {limit}"
    return None


def _show(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")


def check_part(
    item: dict[str, Any], fields: list[list[Any]], filters: list[dict[str, Any]], lines: Iterable[bytes]
) -> dict[str, Any]:
    """Check the lines one range owns (see :func:`owned_lines`); the result is small and JSON-ready."""
    return _PartCheck(item, fields, filters).run(lines)


# --- merge (Summarize Data Checks) ---------------------------------------------------------------------


def summarize(bucket: str, checks: dict[str, Any]) -> tuple[list[str], list[str]]:
    """``(problems, warnings)`` of every range's result; problems refuse the run."""
    items, results = checks["items"], checks["results"]
    problems: list[str] = []
    files: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for item, result in zip(items, results, strict=True):
        files.setdefault(item["key"], []).append((item, result))
    for key, parts in files.items():
        parts.sort(key=lambda pair: pair[0]["start"])
        uri = f"s3://{bucket}/{key}"
        offset, shown, total, records = 0, [], 0, 0
        for _, result in parts:
            for line, column, message in result["problems"]:
                total += 1
                if len(shown) < PROBLEMS_PER_FILE:
                    where = f"row {offset + line}" + (f", column {column}" if column else "")
                    shown.append(f"{uri} {where}: {message}")
            total += result["moreProblems"]
            offset += result["lines"]
            records += result["records"]
        problems.extend(shown)
        if total > len(shown):
            more = total - len(shown)
            problems.append(f"{uri}: and {more} more problem{'s' if more != 1 else ''} in this file")
        if records == 0 and total == 0:
            problems.append(f"{uri}: only a header and no data rows; add the data or delete the file")
    warnings: list[str] = []
    interactions = [
        (item, result) for item, result in zip(items, results, strict=True) if item["folder"] == "Interactions"
    ]
    if interactions and not problems:
        _minimums(bucket, checks, interactions, problems, warnings)
    return problems, warnings


def _minimums(
    bucket: str,
    checks: dict[str, Any],
    parts: list[tuple[dict[str, Any], dict[str, Any]]],
    problems: list[str],
    warnings: list[str],
) -> None:
    uri = f"s3://{bucket}/Interactions/"
    event_types = sorted({t for _, result in parts for t in result["eventTypes"]})
    columns = parts[0][0]["header"]
    optional = [c for c in columns if c not in NON_METADATA_INTERACTION_COLUMNS]
    if "EVENT_TYPE" in columns and len(event_types) + len(optional) > MAX_EVENT_TYPES_PLUS_METADATA:
        problems.append(
            f"{uri}: {len(event_types)} distinct EVENT_TYPE values ({', '.join(event_types[:12])}"
            f"{', ...' if len(event_types) > 12 else ''}) and {len(optional)} optional columns "
            f"({', '.join(optional)}); Personalize allows at most {MAX_EVENT_TYPES_PLUS_METADATA} together"
        )
    for index, spec in enumerate(checks["filters"]):
        solution, wanted = spec["solution"], spec["eventType"]
        path = f"{spec.get('path', 'solution')}.eventType"
        if wanted is not None and wanted not in event_types:
            same = [t for t in event_types if t.lower() == wanted.lower()]
            if same:
                problems.append(
                    f"{path}: {wanted!r} matches no EVENT_TYPE in {uri}; event types are case-sensitive "
                    f"and the data has {same[0]!r}"
                )
            elif "EVENT_TYPE" not in columns:
                problems.append(f"{path}: {wanted!r} filters on EVENT_TYPE, but {uri} has no such column")
            else:
                problems.append(
                    f"{path}: {wanted!r} matches no EVENT_TYPE in {uri} "
                    f"(the data has {', '.join(map(repr, event_types[:10])) or 'none'})"
                )
            continue
        stats = [result["filters"][index] for _, result in parts]
        after = _after_filter(spec)
        unique = _unique_bound(stats)
        if unique[1] < MIN_UNIQUE_INTERACTIONS:
            problems.append(
                f"{uri}: {unique[1]} unique interactions{after}; solution '{solution}' needs at least "
                f"{MIN_UNIQUE_INTERACTIONS} to train (identical rows count once)"
            )
        elif unique[0] < MIN_UNIQUE_INTERACTIONS:
            warnings.append(
                f"{uri}: between {unique[0]} and {unique[1]} unique interactions{after}; solution '{solution}' "
                f"needs at least {MIN_UNIQUE_INTERACTIONS}, which could not be confirmed without reading all ranges "
                "at once"
            )
        users = _users_bound(stats)
        if users[1] is not None and users[1] < MIN_USERS_WITH_TWO:
            problems.append(
                f"{uri}: {users[1]} users with at least 2 interactions{after}; solution '{solution}' needs at "
                f"least {MIN_USERS_WITH_TWO}"
            )
        elif users[0] < MIN_USERS_WITH_TWO:
            warnings.append(
                f"{uri}: at least {users[0]} users with 2 or more interactions{after} were confirmed; solution "
                f"'{solution}' needs {MIN_USERS_WITH_TWO}, and training fails if there are fewer"
            )


def _after_filter(spec: dict[str, Any]) -> str:
    parts = []
    if spec["eventType"] is not None:
        parts.append(f"eventType {spec['eventType']!r}")
    if spec["eventValueThreshold"] is not None:
        parts.append(f"eventValueThreshold {spec['eventValueThreshold']:g}")
    return f" after the filter {' and '.join(parts)}" if parts else ""


def _unique_bound(stats: list[dict[str, Any]]) -> tuple[int, int]:
    """(certain lower bound, certain upper bound) of the distinct filtered rows over all ranges."""
    if any(s["distinct"] >= MIN_UNIQUE_INTERACTIONS for s in stats):
        return MIN_UNIQUE_INTERACTIONS, max(MIN_UNIQUE_INTERACTIONS, sum(s["distinct"] for s in stats))
    if len(stats) == 1 or all(s["rows"] is not None for s in stats):
        exact = len(set().union(*(_unpack(s["rows"]) for s in stats))) if len(stats) > 1 else stats[0]["distinct"]
        return exact, exact
    shipped = set().union(*(_unpack(s["rows"]) for s in stats if s["rows"] is not None))
    return max(len(shipped), max(s["distinct"] for s in stats)), sum(s["distinct"] for s in stats)


def _users_bound(stats: list[dict[str, Any]]) -> tuple[int, int | None]:
    """(certain lower bound, exact count or None) of users with at least two filtered interactions."""
    if len(stats) == 1:
        count = stats[0]["withTwoCount"]
        return min(count, MIN_USERS_WITH_TWO), (count if stats[0]["usersComplete"] else None)
    with_two = set().union(*(_unpack(s["withTwo"]) for s in stats))
    seen_once: set[bytes] = set()
    for s in stats:
        for user in _unpack(s["singles"]):
            (with_two if user in seen_once else seen_once).add(user)
    complete = all(s["singles"] is not None and s["usersComplete"] for s in stats)
    if len(with_two) >= MIN_USERS_WITH_TWO:
        return MIN_USERS_WITH_TWO, None
    return len(with_two), (len(with_two) if complete else None)
