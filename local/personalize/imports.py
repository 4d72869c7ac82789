"""Dataset import jobs: find the CSV files in (moto) S3, check Personalize may read them, validate every row.

The job reads S3 when it is created: the outcome is then fixed and revealed when the job's simulated
duration has passed, which keeps describe calls pure functions of the clock. Failures carry the service's
failureReason texts (personalize-facts.md §6); where the docs quote none, the text follows the same style
and names the file, row and column so a user can fix the data.

Access is checked the way the service needs it, by ``local.iam.personalize_may_read``: the bucket policy
must let ``personalize.amazonaws.com`` ``s3:GetObject`` and ``s3:ListBucket`` (the docs require it in
addition to the role), and a roleArn, when given, must name a role that trusts ``personalize.amazonaws.com``
and whose policies allow the same reads. Conditions are evaluated (``aws:SourceAccount``,
``aws:SourceArn`` = the job, ``aws:SecureTransport`` = true); an operator the local cloud cannot evaluate
raises rather than guessing.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .schemas import ID_COLUMNS, Field, ParsedSchema

PERSONALIZE_PRINCIPAL = "personalize.amazonaws.com"
MIN_INTERACTION_RECORDS = 1000
ID_MAX = 256
STRING_MAX = 1000
TEXTUAL_MAX = 20000
FORMAT_GUIDE = "https://docs.aws.amazon.com/personalize/latest/dg/data-prep-formatting.html"
INVALID_LOCATION = "Invalid Data location."
MAX_EVENT_TYPES_PLUS_METADATA = 10
#: Interactions columns that are neither metadata nor counted with the event types (required ids and the
#: reserved impression/attribution fields; EVENT_TYPE and EVENT_VALUE do count as the docs list them).
NON_METADATA_INTERACTION_COLUMNS = frozenset(
    {"USER_ID", "ITEM_ID", "TIMESTAMP", "IMPRESSION", "RECOMMENDATION_ID", "EVENT_ATTRIBUTION_SOURCE"}
)

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_INTEGER_RE = re.compile(r"[+-]?\d+")


def failure_prefix(dataset_type: str) -> str:
    return f"Failed to create a data import job for {dataset_type} dataset..."


def privileges_failure(dataset_type: str) -> str:
    """The documented text when Personalize cannot read the data (bucket policy, role, or injected)."""
    return failure_prefix(dataset_type) + ".Insufficient privileges for accessing data in Amazon S3."


class ImportFailed(Exception):
    """The job ends CREATE FAILED with ``reason`` as its failureReason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ImportedData:
    """The records of one successful job, as typed tuples in the schema's field order."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    #: Bytes of CSV read: the import's duration grows with it.
    size_bytes: int = 0


@dataclass(frozen=True)
class Location:
    bucket: str
    key: str

    @property
    def is_folder(self) -> bool:
        return self.key == "" or self.key.endswith("/")

    def uri(self, key: str | None = None) -> str:
        return f"s3://{self.bucket}/{self.key if key is None else key}"


def parse_location(data_location: str) -> Location:
    """``s3://bucket/file.csv`` or ``s3://bucket/folder/``; anything else is an invalid data location."""
    match = re.fullmatch(r"s3://([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])/(.*)", data_location)
    if not match:
        raise ImportFailed(INVALID_LOCATION)
    return Location(match.group(1), match.group(2))


# --- access -------------------------------------------------------------------------------------------


def check_access(location: Location, keys: list[str], role_arn: str | None, job_arn: str, dataset_type: str) -> None:
    """Raise ImportFailed unless Personalize could read ``keys`` at ``location`` (local.iam evaluates the
    bucket policy for the service principal, and the passed role's trust and identity policies)."""
    from local.iam import personalize_may_read

    if not personalize_may_read(role_arn, location.bucket, keys, job_arn):
        raise ImportFailed(privileges_failure(dataset_type))


def csv_keys(s3: Any, location: Location) -> list[str]:
    """The key of the CSV file, or of every ``.csv`` under the folder, in key order."""
    if not location.is_folder:
        return [location.key]
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=location.bucket, Prefix=location.key):
        keys.extend(obj["Key"] for obj in page.get("Contents", []) if obj["Key"].lower().endswith(".csv"))
    return sorted(keys)


def fetch_csv_files(s3: Any, location: Location, keys: list[str], dataset_type: str) -> list[tuple[str, bytes]]:
    """(uri, body) of each key that exists; ImportFailed when there is none."""
    files = []
    for key in keys:
        try:
            body = s3.get_object(Bucket=location.bucket, Key=key)["Body"].read()
        except ClientError:
            continue
        files.append((location.uri(key), body))
    if not files:
        raise ImportFailed(failure_prefix(dataset_type) + f"No CSV file found at {location.uri()}.")
    return files


# --- CSV ----------------------------------------------------------------------------------------------


def _converter(field: Field) -> Callable[[str], Any]:
    """A function turning one CSV value into its typed value, raising ValueError with the reason."""
    if field.type in ("int", "long"):
        low, high = _INT32 if field.type == "int" else _INT64

        def to_integer(text: str) -> int:
            if not _INTEGER_RE.fullmatch(text) or not low <= (value := int(text)) <= high:
                raise ValueError(f"must be a {field.type} integer")
            return value

        return to_integer
    if field.type in ("float", "double"):

        def to_float(text: str) -> float:
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"must be a {field.type} number") from None
            if not math.isfinite(value):
                raise ValueError(f"must be a finite {field.type} number")
            return value

        return to_float
    if field.type == "boolean":

        def to_boolean(text: str) -> bool:
            if text not in ("true", "false"):
                raise ValueError("must be lowercase true or false")
            return text == "true"

        return to_boolean

    limit = ID_MAX if field.name in ID_COLUMNS else TEXTUAL_MAX if field.textual else STRING_MAX

    def to_string(text: str) -> str:
        if len(text) > limit:
            raise _TooLong(limit)
        return text

    return to_string


class _TooLong(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def _rows(uri: str, body: bytes, prefix: str) -> Iterator[tuple[int, list[str]]]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFailed(prefix + f"Input CSV {uri} is not UTF-8 encoded: {error.reason}.") from error
    reader = csv.reader(io.StringIO(text, newline=""), escapechar="\\", strict=True)
    try:
        for row in reader:
            if row:
                yield reader.line_num, row
    except csv.Error as error:
        raise ImportFailed(prefix + f"Input CSV {uri} is malformed on row {reader.line_num}: {error}.") from None


def _refuse_quoted_header(uri: str, body: bytes, prefix: str) -> None:
    """The formatting guide says not to quote headers; csv parsing would silently unquote them."""
    first = body.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").rstrip("\r")
    quoted = [name.strip() for name in first.split(",") if name.strip().startswith('"')]
    if quoted:
        raise ImportFailed(
            prefix + f"Input CSV {uri} has quoted column names in its header: {', '.join(quoted)}. "
            "Header column names must not be quoted."
        )


def check_event_types(columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]], dataset_type: str) -> None:
    """Distinct EVENT_TYPE values plus optional metadata columns (EVENT_TYPE, EVENT_VALUE and custom
    metadata) may not exceed 10 in an Item interactions dataset (quotas page; ECOMMERCE interactions page)."""
    if "EVENT_TYPE" not in columns:
        return
    position = columns.index("EVENT_TYPE")
    event_types = sorted({row[position] for row in rows if row[position] is not None})
    optional = [c for c in columns if c not in NON_METADATA_INTERACTION_COLUMNS]
    if len(event_types) + len(optional) > MAX_EVENT_TYPES_PLUS_METADATA:
        raise ImportFailed(
            failure_prefix(dataset_type) + f"The Item interactions data has {len(event_types)} distinct event types "
            f"({', '.join(map(str, event_types))}) and {len(optional)} optional metadata columns "
            f"({', '.join(optional)}); together they can be at most {MAX_EVENT_TYPES_PLUS_METADATA}."
        )


def parse_csv_files(files: list[tuple[str, bytes]], schema: ParsedSchema, dataset_type: str) -> ImportedData:
    """Validate every file against the schema, matching header columns by name; raise ImportFailed."""
    prefix = failure_prefix(dataset_type)
    columns = schema.names
    rows: list[tuple[Any, ...]] = []
    for uri, body in files:
        _refuse_quoted_header(uri, body, prefix)
        lines = _rows(uri, body, prefix)
        header_line = next(lines, None)
        if header_line is None:
            raise ImportFailed(prefix + f"Input CSV {uri} is empty; the first row must be the header.")
        header = [name.strip() for name in header_line[1]]
        missing = [name for name in columns if name not in header]
        if missing:
            raise ImportFailed(prefix + f"Input CSV is missing the following columns:[{', '.join(missing)}].")
        unknown = [name for name in header if name not in columns]
        if unknown:
            raise ImportFailed(
                prefix + f"Input CSV has the following columns that are not in the schema:[{', '.join(unknown)}]."
            )
        if len(set(header)) != len(header):
            raise ImportFailed(prefix + f"Input CSV {uri} repeats a column in its header: {header}.")
        fields = schema.fields
        positions = [header.index(f.name) for f in fields]
        converters = [_converter(f) for f in fields]
        width = len(header)
        for line, values in lines:
            if len(values) != width:
                raise ImportFailed(
                    prefix + f"Row {line} of {uri} has {len(values)} values, but the header has {width} columns."
                )
            record = []
            for field, position, convert in zip(fields, positions, converters, strict=True):
                text = values[position]
                if text == "":
                    if not field.nullable:
                        raise ImportFailed(
                            prefix + f"Empty value for the required column {field.name} on row {line} of {uri}."
                        )
                    record.append(None)
                    continue
                try:
                    record.append(convert(text))
                except _TooLong as error:
                    raise ImportFailed(
                        f"Length cannot be more than {error.limit} characters for {field.name}. If no values "
                        "exceed the character limit, make sure your data follows the formatting guidelines "
                        f"listed in {FORMAT_GUIDE}."
                    ) from None
                except ValueError as error:
                    raise ImportFailed(
                        prefix + f"Invalid value '{text}' for column {field.name} of type {field.type} on row "
                        f"{line} of {uri}: the value {error}."
                    ) from None
            rows.append(tuple(record))
    if dataset_type == "INTERACTIONS" and len(rows) < MIN_INTERACTION_RECORDS:
        raise ImportFailed(
            prefix + f"The import has {len(rows)} interaction records; an import job needs at least "
            f"{MIN_INTERACTION_RECORDS}."
        )
    return ImportedData(columns, rows, size_bytes=sum(len(body) for _, body in files))
