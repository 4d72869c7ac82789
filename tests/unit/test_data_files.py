"""The bucket listing Load Parameters gathers (personalize_pipeline.data_files), against moto's S3."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from personalize_pipeline.data_files import (
    HEADER_READ_BYTES,
    CsvObject,
    DataListing,
    folder_fingerprint,
    list_data,
    parse_header,
    read_header,
)
from personalize_pipeline.errors import InvalidParameters
from personalize_pipeline.params import build_plan

BUCKET = "input-bucket"


@pytest.fixture
def s3(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def put(s3, key: str, body: bytes | str) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode() if isinstance(body, str) else body)


def test_list_data_reads_each_csv_header_and_skips_the_rest(s3):
    # GIVEN CSVs (one upper-case extension, one with BOM and CRLF), a folder marker and non-CSV files
    put(s3, "Interactions/", b"")
    put(s3, "Interactions/b.csv", "USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1\n")
    put(s3, "Interactions/A.CSV", "\ufeffUSER_ID,ITEM_ID,TIMESTAMP\r\nu1,i1,1\r\n")
    put(s3, "Interactions/notes.txt", "not data")
    put(s3, "Interactions/archive.csv.gz", b"\x1f\x8b")
    put(s3, "params.json", "{}")
    # WHEN the bucket is listed
    listing = list_data(s3, BUCKET)
    # THEN only the CSVs are kept, sorted by key, each with its clean header, ETag and size
    objects = listing.csv_objects("Interactions")
    assert [o.key for o in objects] == ["Interactions/A.CSV", "Interactions/b.csv"]
    assert [o.header for o in objects] == ["USER_ID,ITEM_ID,TIMESTAMP"] * 2
    head = s3.head_object(Bucket=BUCKET, Key="Interactions/b.csv")
    assert objects[1] == CsvObject(
        "Interactions/b.csv", head["ETag"], head["ContentLength"], "USER_ID,ITEM_ID,TIMESTAMP"
    )
    assert listing.csv_objects("Users") == [] and listing.csv_objects("Items") == []


def test_list_data_records_root_csvs_folders_and_sub_folder_keys(s3):
    # GIVEN a CSV at the root, a lower-case folder and a CSV in a sub-folder of Users/
    put(s3, "users.csv", "USER_ID,AGE\n")
    put(s3, "users/u.csv", "USER_ID,AGE\n")
    put(s3, "Users/2024/u.csv", "USER_ID,AGE\n")
    # WHEN the bucket is listed
    listing = list_data(s3, BUCKET)
    # THEN validation has what it needs to say where each file should go
    assert listing.root_csv_keys == ["users.csv"]
    assert listing.top_level_folders == ["Users", "users"]
    assert [o.key for o in listing.csv_objects("Users")] == ["Users/2024/u.csv"]


def test_list_data_empty_object_has_no_header_and_no_get(s3):
    # GIVEN an empty CSV (a ranged GET of 0 bytes would fail)
    put(s3, "Users/empty.csv", b"")
    calls: list[dict] = []
    s3.meta.events.register("provide-client-params.s3.GetObject", lambda params, **_: calls.append(params))
    # WHEN the bucket is listed
    (obj,) = list_data(s3, BUCKET).csv_objects("Users")
    # THEN its header is None and it was not read
    assert (obj.size, obj.header, obj.header_error) == (0, None, None)
    assert calls == []


def test_list_data_reads_only_the_first_64_kib(s3):
    # GIVEN a 200 KB CSV
    put(s3, "Items/items.csv", "ITEM_ID,PRICE\n" + "i1,1.0\n" * 30000)
    calls: list[dict] = []
    s3.meta.events.register("provide-client-params.s3.GetObject", lambda params, **_: calls.append(dict(params)))
    # WHEN the bucket is listed
    (obj,) = list_data(s3, BUCKET).csv_objects("Items")
    # THEN one ranged GET, tied to the listed ETag, found the header
    assert obj.header == "ITEM_ID,PRICE"
    assert [(c["Range"], c["IfMatch"]) for c in calls] == [(f"bytes=0-{HEADER_READ_BYTES - 1}", obj.etag)]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"X" * (HEADER_READ_BYTES + 10), "the first line is longer than 65536 bytes; is this a CSV file?"),
        (b"USER_ID,\xe9GE\n", "the header line is not valid UTF-8; save the file as UTF-8"),
    ],
    ids=["no-newline-in-64k", "latin-1"],
)
def test_list_data_unreadable_header_is_recorded_not_raised(s3, body, error):
    # GIVEN a CSV whose header cannot be read
    put(s3, "Users/users.csv", body)
    # WHEN the bucket is listed
    (obj,) = list_data(s3, BUCKET).csv_objects("Users")
    # THEN the reason is recorded for validation to report
    assert (obj.header, obj.header_error) == (None, error)


def test_list_data_single_line_file_without_newline_is_its_header(s3):
    # GIVEN a CSV holding only a header, without a final newline
    put(s3, "Users/users.csv", "USER_ID,AGE")
    # WHEN listed THEN the whole content is the header
    assert list_data(s3, BUCKET).csv_objects("Users")[0].header == "USER_ID,AGE"


@pytest.mark.parametrize(
    ("body", "header"),
    [
        pytest.param("USER_ID,AGE \r\nu1,3\r\n", "USER_ID,AGE ", id="only-the-carriage-return-is-cut"),
        pytest.param("USER_ID,INDEX\r\nu1,3\r\n", "USER_ID,INDEX", id="name-ending-in-x"),
        pytest.param("\nUSER_ID,AGE\n", "", id="empty-first-line"),
        pytest.param("\nUSER_ID,AGE\n" + "u1,3\n" * 20000, "", id="empty-first-line-of-a-big-file"),
    ],
)
def test_list_data_header_is_the_first_line_exactly(s3, body, header):
    # GIVEN a CSV whose first line has trailing characters, or is empty
    put(s3, "Users/users.csv", body)
    # WHEN listed THEN the header is the first line without its line ending, nothing more removed
    (obj,) = list_data(s3, BUCKET).csv_objects("Users")
    assert (obj.header, obj.header_error) == (header, None)


@pytest.mark.parametrize(
    ("code", "status"), [("PreconditionFailed", 412), ("412", 412)], ids=["s3-code", "bare-status-code"]
)
def test_read_header_precondition_failure_is_recorded(code, status):
    # GIVEN S3 answers the ranged GET with a failed If-Match, spelt as the code or as the bare status
    client = boto3.client("s3", region_name="us-east-1")
    with Stubber(client) as stubber:
        stubber.add_client_error("get_object", service_error_code=code, http_status_code=status)
        # WHEN the header is read
        result = read_header(client, BUCKET, "Users/u.csv", etag='"e1"', size=10)
    # THEN the change is recorded, not raised
    assert result == (None, "the object changed while it was being checked; upload params.json again")


def test_read_header_other_error_propagates():
    # GIVEN S3 refuses the GET for another reason
    client = boto3.client("s3", region_name="us-east-1")
    with Stubber(client) as stubber:
        stubber.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403)
        # WHEN the header is read THEN the error reaches the caller (the step fails with it)
        with pytest.raises(ClientError) as raised:
            read_header(client, BUCKET, "Users/u.csv", etag='"e1"', size=10)
    assert raised.value.response["Error"]["Code"] == "AccessDenied"


def test_list_data_object_replaced_between_list_and_read_is_reported(s3):
    # GIVEN a CSV overwritten right after the listing saw it
    put(s3, "Users/users.csv", "USER_ID,AGE\n")

    def overwrite(params, **_):
        s3.meta.events.unregister("provide-client-params.s3.GetObject", overwrite)
        put(s3, "Users/users.csv", "USER_ID,AGE,CITY\n")

    s3.meta.events.register("provide-client-params.s3.GetObject", overwrite)
    # WHEN the bucket is listed
    (obj,) = list_data(s3, BUCKET).csv_objects("Users")
    # THEN the header is not mixed with the old ETag: the change is reported instead
    assert obj.header is None
    assert obj.header_error == "the object changed while it was being checked; upload params.json again"


def test_list_data_follows_every_page(s3):
    # GIVEN five CSVs and a listing page size of two
    for i in range(5):
        put(s3, f"Interactions/part-{i}.csv", "USER_ID,ITEM_ID,TIMESTAMP\n")
    s3.meta.events.register("provide-client-params.s3.ListObjectsV2", lambda params, **_: params.update(MaxKeys=2))
    # WHEN listed THEN all five are found
    assert len(list_data(s3, BUCKET).csv_objects("Interactions")) == 5


def test_data_listing_round_trips_through_json(s3):
    # GIVEN a listing from S3
    put(s3, "Users/users.csv", "USER_ID,AGE\n")
    put(s3, "stray.csv", "x\n")
    listing = list_data(s3, BUCKET)
    # WHEN it goes through JSON (a Lambda payload) and back
    again = DataListing.from_dict(json.loads(json.dumps(listing.to_dict())))
    # THEN nothing is lost
    assert again == listing


def test_list_data_bucket_with_only_params_json_is_an_empty_listing(s3):
    # GIVEN a bucket that holds params.json and nothing else (S3 then lists no CommonPrefixes at all)
    put(s3, "params.json", "{}")
    # WHEN the bucket is listed
    # THEN the listing is empty: no folder, no root CSV, no CSV in any dataset folder
    assert list_data(s3, BUCKET) == DataListing()


def test_list_data_folder_names_are_kept_whole(s3):
    # GIVEN top-level folders whose names end in characters other than the separator
    put(s3, "INBOX/u.csv", "USER_ID\n")
    put(s3, "Users/u.csv", "USER_ID\n")
    # WHEN the bucket is listed
    # THEN only the trailing "/" is removed from each folder name
    assert list_data(s3, BUCKET).top_level_folders == ["INBOX", "Users"]


def test_data_listing_from_empty_document_is_an_empty_listing():
    # GIVEN a listing document without any key (the defaults of an older or hand-written payload)
    # WHEN it is read back
    # THEN it is the empty listing, with every dataset folder present and empty
    assert DataListing.from_dict({}) == DataListing()
    assert DataListing.from_dict({}).folders == {"Interactions": [], "Users": [], "Items": []}


def test_folder_fingerprint_depends_on_files_not_on_order():
    # GIVEN two CSV objects
    a = CsvObject("Users/a.csv", '"1"', 10, "H")
    b = CsvObject("Users/b.csv", '"2"', 20, "H")
    # WHEN fingerprinted in either order, or with one rewritten
    # THEN order does not matter, any content change does, and headers (read data) do not
    assert folder_fingerprint([a, b]) == folder_fingerprint([b, a])
    assert folder_fingerprint([a, b]) != folder_fingerprint([a, CsvObject("Users/b.csv", '"3"', 20, "H")])
    assert folder_fingerprint([a]) == folder_fingerprint([CsvObject("Users/a.csv", '"1"', 10, "other")])
    assert len(folder_fingerprint([])) == 64


def test_parse_header_trims_each_column():
    # GIVEN a header with spaces WHEN parsed THEN names are trimmed, empty ones kept for reporting
    assert parse_header(" USER_ID , AGE,") == ["USER_ID", "AGE", ""]


def test_build_plan_seed_layout_in_s3_validates_end_to_end(s3):
    # GIVEN the seed example's layout uploaded to the bucket
    put(s3, "Interactions/interactions.csv", "USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1596238243\n")
    put(s3, "Users/users.csv", "USER_ID,GENDER,AGE\nu1,F,33\n")
    params = {
        "datasetGroup": {"name": "DatasetGroup"},
        "datasets": {
            "Interactions": {
                "name": "InteractionsDataset",
                "schema": {
                    "type": "record",
                    "name": "Interactions",
                    "fields": [
                        {"name": "USER_ID", "type": "string"},
                        {"name": "ITEM_ID", "type": "string"},
                        {"name": "TIMESTAMP", "type": "long"},
                    ],
                },
            }
        },
        "solution": {"name": "Solution", "performAutoML": True},
        "campaign": {"name": "Campaign"},
    }
    # WHEN validated against the real listing with Users data but no Users dataset
    with pytest.raises(InvalidParameters) as raised:
        build_plan(params, bucket=BUCKET, key="params.json", version_id=None, data=list_data(s3, BUCKET))
    # THEN the forgotten dataset is reported; once declared, the plan fingerprints the real objects
    assert raised.value.problems == [
        f"s3://{BUCKET}/Users/: holds 1 CSV file but params.json declares no Users dataset; add datasets.Users or "
        "delete the files (they would be silently ignored)"
    ]
    params["datasets"]["Users"] = {
        "name": "UsersDataset",
        "schema": {
            "type": "record",
            "name": "Users",
            "fields": [
                {"name": "USER_ID", "type": "string"},
                {"name": "GENDER", "type": "string", "categorical": True},
                {"name": "AGE", "type": "int"},
            ],
        },
    }
    listing = list_data(s3, BUCKET)
    plan = build_plan(params, bucket=BUCKET, key="params.json", version_id="v1", data=listing)
    assert plan["datasets"][1]["fingerprint"] == folder_fingerprint(listing.csv_objects("Users"))
