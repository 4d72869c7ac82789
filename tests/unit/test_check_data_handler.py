"""The Check Data Values handler reads its byte range from S3 (moto) with a ranged, version-pinned GET."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from personalize_pipeline.data_values import ranges
from personalize_pipeline.errors import InvalidParameters

BUCKET = "input-bucket"
APP = Path(__file__).resolve().parents[2] / "functions" / "check_data" / "app.py"
FIELDS = {"Items": [["ITEM_ID", "string", False, 256], ["YEAR", "int", False, None]]}


def handler() -> Any:
    spec = importlib.util.spec_from_file_location("check_data_app", APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler.__wrapped__  # the Powertools wrappers need a Lambda context


@pytest.fixture
def s3() -> Any:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def test_check_data_handler_ranges_read_from_s3_report_each_row_once(s3: Any) -> None:
    # GIVEN an Items file with a bad YEAR on row 40, cut into 3 ranges
    rows = [f"item-{n},{'x' if n == 40 else 2000}" for n in range(2, 101)]
    body = ("ITEM_ID,YEAR\n" + "\n".join(rows) + "\n").encode()
    etag = s3.put_object(Bucket=BUCKET, Key="Items/items.csv", Body=body)["ETag"]
    lambda_handler = handler()
    # WHEN each range is checked by the handler and the results summarized
    items = [
        {"folder": "Items", "key": "Items/items.csv", "etag": etag, "start": a, "end": b, "header": ["ITEM_ID", "YEAR"]}
        for a, b in ranges(len(body), len(body) // 3 + 1)
    ]
    results = [
        lambda_handler({"action": "check", "item": i, "bucket": BUCKET, "fields": FIELDS, "filters": []}, None)
        for i in items
    ]
    checks = {"items": items, "results": results, "filters": []}
    with pytest.raises(InvalidParameters) as raised:
        lambda_handler({"action": "summarize", "bucket": BUCKET, "checks": checks}, None)
    # THEN every data row was read once, and the problem, with its row in the whole file, refuses the run
    assert sum(r["records"] for r in results) == 98
    assert raised.value.problems == [f"s3://{BUCKET}/Items/items.csv row 40, column YEAR: 'x' is not an integer (int)"]


def test_check_data_handler_summarize_valid_data_returns_counts(s3: Any) -> None:
    items = [{"folder": "Items", "key": "Items/a.csv", "start": 0, "end": 9, "header": ["ITEM_ID", "YEAR"]}]
    results = [{"lines": 3, "records": 2, "problems": [], "moreProblems": 0, "eventTypes": [], "filters": []}]
    checks = {"items": items, "results": results, "filters": []}
    assert handler()({"action": "summarize", "bucket": BUCKET, "checks": checks}, None) == {
        "files": 1,
        "ranges": 1,
        "records": 2,
        "warnings": [],
    }


def test_check_data_handler_object_changed_since_listing_refused(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="Items/items.csv", Body=b"ITEM_ID,YEAR\ni1,2000\n")
    item = {"folder": "Items", "key": "Items/items.csv", "etag": '"0"', "start": 0, "end": 21, "header": []}
    with pytest.raises(InvalidParameters) as raised:
        handler()({"action": "check", "item": item, "bucket": BUCKET, "fields": FIELDS, "filters": []}, None)
    assert raised.value.problems == [
        f"s3://{BUCKET}/Items/items.csv: the object changed while it was being checked; upload params.json again"
    ]
