"""What the input bucket holds, gathered once by Load Parameters so validation itself stays pure.

Only object metadata and the first line of each CSV are read: enough to check that every declared
dataset has data, that no data would be silently ignored, and that each header matches its schema,
without downloading the data (which can be gigabytes).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from personalize_pipeline.naming import canonical_json, sha256_hex
from personalize_pipeline.resources import error_code

#: Dataset types the pipeline imports, in plan order; each one's data lives under ``<Folder>/``.
DATASET_FOLDERS: tuple[str, ...] = ("Interactions", "Users", "Items")

#: Bytes fetched per CSV to find its header line.
HEADER_READ_BYTES = 65536


@dataclass(frozen=True)
class CsvObject:
    """One ``.csv`` object of a dataset folder."""

    key: str
    etag: str
    size: int
    #: First line, UTF-8 decoded, BOM and line ending removed; None when the object is empty.
    header: str | None
    #: Why the header could not be read (not UTF-8, too long, changed while read), else None.
    header_error: str | None = None


@dataclass
class DataListing:
    """The S3 facts validation needs, as plain data (no client inside, JSON-friendly)."""

    #: ``"Interactions"``, ``"Users"``, ``"Items"`` -> every ``.csv`` under that folder, sorted by key.
    folders: dict[str, list[CsvObject]] = field(default_factory=lambda: {folder: [] for folder in DATASET_FOLDERS})
    #: Names of the top-level "folders" of the bucket, to point out ``users/`` versus ``Users/``.
    top_level_folders: list[str] = field(default_factory=list)
    #: ``.csv`` keys at the bucket root, which no import would ever read.
    root_csv_keys: list[str] = field(default_factory=list)

    def csv_objects(self, folder: str) -> list[CsvObject]:
        return self.folders[folder]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataListing:
        folders = {folder: [] for folder in DATASET_FOLDERS}
        for folder, objects in data.get("folders", {}).items():
            folders[folder] = [CsvObject(**obj) for obj in objects]
        return cls(
            folders=folders,
            top_level_folders=list(data.get("top_level_folders", [])),
            root_csv_keys=list(data.get("root_csv_keys", [])),
        )


def is_csv_key(key: str) -> bool:
    return key.lower().endswith(".csv")


def list_data(s3_client: Any, bucket: str) -> DataListing:
    """List ``Interactions/``, ``Users/`` and ``Items/`` and read each CSV's header line.

    Keys not ending in ``.csv`` (any case) are left out, as are zero-byte "folder" markers. Sub-folder
    CSVs are kept (with their full key) so validation can say they would not be imported.
    """
    listing = DataListing()
    paginator = s3_client.get_paginator("list_objects_v2")

    for page in paginator.paginate(Bucket=bucket, Delimiter="/"):
        for prefix in page.get("CommonPrefixes", []):
            listing.top_level_folders.append(prefix["Prefix"].rstrip("/"))
        for obj in page.get("Contents", []):
            if is_csv_key(obj["Key"]):
                listing.root_csv_keys.append(obj["Key"])

    for folder in DATASET_FOLDERS:
        objects: list[CsvObject] = []
        for page in paginator.paginate(Bucket=bucket, Prefix=f"{folder}/"):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if not is_csv_key(key):  # also skips "folder" markers, whose keys end in "/"
                    continue
                etag, size = obj["ETag"], int(obj["Size"])
                header, error = read_header(s3_client, bucket, key, etag=etag, size=size)
                objects.append(CsvObject(key=key, etag=etag, size=size, header=header, header_error=error))
        listing.folders[folder] = sorted(objects, key=lambda o: o.key)
    return listing


def read_header(s3_client: Any, bucket: str, key: str, *, etag: str, size: int) -> tuple[str | None, str | None]:
    """Return ``(header line, error)`` from one ranged GET of the object's first 64 KiB.

    ``IfMatch`` ties the header to the listed ETag, so the fingerprint and the checked header always
    describe the same object version.
    """
    if size == 0:
        return None, None
    try:
        response = s3_client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{HEADER_READ_BYTES - 1}", IfMatch=etag)
    except ClientError as error:
        if error_code(error) in ("PreconditionFailed", "412"):
            return None, "the object changed while it was being checked; upload params.json again"
        raise
    chunk: bytes = response["Body"].read()
    end = chunk.find(b"\n")
    if end < 0 and size > len(chunk):
        return None, f"the first line is longer than {HEADER_READ_BYTES} bytes; is this a CSV file?"
    try:
        line = (chunk if end < 0 else chunk[:end]).decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, "the header line is not valid UTF-8; save the file as UTF-8"
    return line.rstrip("\r"), None


def folder_fingerprint(objects: list[CsvObject]) -> str:
    """sha256 over the sorted ``(key, etag, size)`` of a folder's CSV objects.

    Any added, removed or rewritten file changes it, and nothing else does; it names import jobs and
    solution versions so a re-run with the same data converges without re-importing or retraining.
    """
    return sha256_hex(canonical_json(sorted([obj.key, obj.etag, obj.size] for obj in objects)))


def parse_header(line: str) -> list[str]:
    """Column names of a header line: comma-separated, each trimmed of surrounding whitespace."""
    return [column.strip() for column in line.split(",")]
