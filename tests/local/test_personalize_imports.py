"""Dataset import jobs: reading CSV from moto S3, access rules, every failure reason, FULL and INCREMENTAL."""

from __future__ import annotations

import json

import pytest

from local.iam.policies import Caller, decide, statements_of
from local.personalize.testing import ITEMS_SCHEMA, USERS_SCHEMA, Sandbox, avro, csv_text, interactions, sandbox

HEADER = ("USER_ID", "ITEM_ID", "TIMESTAMP")
PREFIX = "Failed to create a data import job for INTERACTIONS dataset..."
ROWS = interactions()  # 1200 rows, 40 users


def interactions_dataset(box: Sandbox, schema: str | None = None) -> str:
    group = box.dataset_group("dg")
    return box.dataset(group, "Interactions", schema) if schema else box.dataset(group)


def run_import(box: Sandbox, dataset: str, location: str, name: str = "job", **kwargs: object) -> dict:
    return box.import_job(dataset, location, name, **kwargs)


def test_import_single_csv_file_active_and_records_rows(box: Sandbox) -> None:
    # GIVEN an Interactions dataset and a CSV file in the bucket
    dataset = interactions_dataset(box)
    location = box.put_csv("Interactions/data.csv", HEADER, ROWS)

    # WHEN the import runs to completion
    job = run_import(box, dataset, location)

    # THEN it is ACTIVE after its pending and in-progress time, and the dataset holds the typed rows
    assert job["status"] == "ACTIVE"
    assert (job["lastUpdatedDateTime"] - job["creationDateTime"]).total_seconds() == 120
    assert job["dataSource"] == {"dataLocation": location}
    assert job["importMode"] == "FULL"
    assert "failureReason" not in job
    records = box.emulator.dataset_records(dataset)
    assert len(records) == len(ROWS)
    assert records[0] == {"USER_ID": "user0", "ITEM_ID": "item0", "TIMESTAMP": 1_700_000_000}


def test_import_folder_location_reads_every_csv_below_it(box: Sandbox) -> None:
    # GIVEN two CSV files and a non-CSV file under one folder, and a CSV elsewhere
    dataset = interactions_dataset(box)
    box.put_csv("Interactions/part1.csv", HEADER, ROWS[:700])
    box.put_csv("Interactions/part2.csv", HEADER, ROWS[700:])
    box.put("Interactions/README.txt", "not data")
    box.put_csv("Other/extra.csv", HEADER, ROWS[:5])

    # WHEN the folder is imported
    job = run_import(box, dataset, f"s3://{box.bucket}/Interactions/")

    # THEN both CSV files, and only they, were read
    assert job["status"] == "ACTIVE"
    assert len(box.emulator.dataset_records(dataset)) == len(ROWS)


def test_import_header_in_another_order_maps_columns_by_name(box: Sandbox) -> None:
    # GIVEN a CSV whose header order differs from the schema's field order
    dataset = interactions_dataset(box)
    reordered = [(ts, item, user) for user, item, ts in ROWS]
    location = box.put_csv("i.csv", ("TIMESTAMP", "ITEM_ID", "USER_ID"), reordered)

    # WHEN imported
    job = run_import(box, dataset, location)

    # THEN values land in the right columns
    assert job["status"] == "ACTIVE"
    assert box.emulator.dataset_records(dataset)[0] == {
        "USER_ID": "user0",
        "ITEM_ID": "item0",
        "TIMESTAMP": 1_700_000_000,
    }


def test_import_quoted_values_with_backslash_escapes_are_read(box: Sandbox) -> None:
    # GIVEN Items data whose categorical value is quoted and contains an escaped quote and a comma
    group = box.dataset_group("dg")
    dataset = box.dataset(group, "Items", ITEMS_SCHEMA)
    body = 'ITEM_ID,GENRES,PRICE\ni1,"Drama|\\"Indie\\", Film",9.5\ni2,,3\n'
    location = box.put("items.csv", body)

    # WHEN imported (Items datasets have no 1000-record minimum)
    job = run_import(box, dataset, location)

    # THEN the value is unescaped and the empty nullable value is null
    assert job["status"] == "ACTIVE", job.get("failureReason")
    assert box.emulator.dataset_records(dataset) == [
        {"ITEM_ID": "i1", "GENRES": 'Drama|"Indie", Film', "PRICE": 9.5},
        {"ITEM_ID": "i2", "GENRES": None, "PRICE": 3.0},
    ]


def test_import_full_mode_replaces_and_incremental_appends_by_id(box: Sandbox) -> None:
    # GIVEN a Users dataset with a FULL import of two users
    group = box.dataset_group("dg")
    dataset = box.dataset(group, "Users", USERS_SCHEMA)
    run_import(box, dataset, box.put_csv("u1.csv", ("USER_ID", "AGE"), [("a", 30), ("b", 40)]), "full-1")

    # WHEN an INCREMENTAL import updates one and adds one, then a FULL import replaces everything
    run_import(
        box, dataset, box.put_csv("u2.csv", ("USER_ID", "AGE"), [("b", 41), ("c", 50)]), "inc", importMode="INCREMENTAL"
    )
    after_incremental = box.emulator.dataset_records(dataset)
    run_import(box, dataset, box.put_csv("u3.csv", ("USER_ID", "AGE"), [("z", 20)]), "full-2")
    after_full = box.emulator.dataset_records(dataset)

    # THEN INCREMENTAL replaced "b" and appended "c"; FULL kept only its own records
    assert after_incremental == [{"USER_ID": "a", "AGE": 30}, {"USER_ID": "b", "AGE": 41}, {"USER_ID": "c", "AGE": 50}]
    assert after_full == [{"USER_ID": "z", "AGE": 20}]


def test_import_incremental_before_any_bulk_import_invalid_input(box: Sandbox) -> None:
    # GIVEN a dataset without a completed import
    dataset = interactions_dataset(box)
    location = box.put_csv("i.csv", HEADER, ROWS)

    # WHEN the first import is INCREMENTAL
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as raised:
        box.personalize.create_dataset_import_job(
            jobName="j", datasetArn=dataset, dataSource={"dataLocation": location}, importMode="INCREMENTAL"
        )

    # THEN refused: only FULL until a bulk import has completed
    assert raised.value.response["Error"]["Code"] == "InvalidInputException"


def test_import_records_join_dataset_only_when_job_is_active(box: Sandbox) -> None:
    # GIVEN a running import
    dataset = interactions_dataset(box)
    location = box.put_csv("i.csv", HEADER, ROWS)
    box.personalize.create_dataset_import_job(jobName="j", datasetArn=dataset, dataSource={"dataLocation": location})

    # WHEN the dataset is read before and after the job's 120 s
    before = box.emulator.dataset_records(dataset)
    box.clock.advance(120)
    after = box.emulator.dataset_records(dataset)

    # THEN the records appear when the job completes
    assert (len(before), len(after)) == (0, len(ROWS))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            csv_text(("USER_ID",), [("u",)] * 1000),
            PREFIX + "Input CSV is missing the following columns:[ITEM_ID, TIMESTAMP].",
        ),
        (
            csv_text((*HEADER, "COLOR"), [(u, i, t, "red") for u, i, t in ROWS]),
            PREFIX + "Input CSV has the following columns that are not in the schema:[COLOR].",
        ),
        (
            csv_text(HEADER, [*ROWS[:3], ("u", "i", "1.5e9"), *ROWS[3:]]),
            PREFIX + "Invalid value '1.5e9' for column TIMESTAMP of type long on row 5 of "
            "s3://personalize-input/data.csv: the value must be a long integer.",
        ),
        (
            csv_text(HEADER, [*ROWS[:9], ("", "i", 1), *ROWS[9:]]),
            PREFIX + "Empty value for the required column USER_ID on row 11 of s3://personalize-input/data.csv.",
        ),
        (
            csv_text(HEADER, [*ROWS, ("u" * 257, "i", 1)]),
            "Length cannot be more than 256 characters for USER_ID. If no values exceed the character limit, make "
            "sure your data follows the formatting guidelines listed in "
            "https://docs.aws.amazon.com/personalize/latest/dg/data-prep-formatting.html.",
        ),
        (
            csv_text(HEADER, ROWS[:999]),
            PREFIX + "The import has 999 interaction records; an import job needs at least 1000.",
        ),
        (
            csv_text(HEADER, [*ROWS[:2], ("u", "i"), *ROWS[2:]]),
            PREFIX + "Row 4 of s3://personalize-input/data.csv has 2 values, but the header has 3 columns.",
        ),
    ],
    ids=[
        "missing-columns",
        "unknown-column",
        "non-integer-long",
        "empty-required",
        "id-too-long",
        "under-1000",
        "short-row",
    ],
)
def test_import_bad_interactions_csv_create_failed_with_reason(box: Sandbox, body: str, reason: str) -> None:
    # GIVEN an Interactions dataset and a faulty file
    dataset = interactions_dataset(box)
    location = box.put("data.csv", body)

    # WHEN it is imported
    job = run_import(box, dataset, location)

    # THEN the job ends CREATE FAILED with the reason, after the usual time, and imports nothing
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"] == reason
    assert (job["lastUpdatedDateTime"] - job["creationDateTime"]).total_seconds() == 120
    assert box.emulator.dataset_records(dataset) == []


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ({"name": "RATING", "type": "float"}, "high", "Invalid value 'high' for column RATING of type float"),
        ({"name": "PREMIUM", "type": "boolean"}, "True", "must be lowercase true or false"),
        ({"name": "COUNT", "type": "int"}, "3000000000", "must be a int integer"),
        (
            {"name": "GENRE", "type": "string", "categorical": True},
            "g" * 1001,
            "Length cannot be more than 1000 characters for GENRE",
        ),
    ],
    ids=["float", "boolean", "int-range", "categorical-too-long"],
)
def test_import_value_not_matching_field_type_create_failed(
    box: Sandbox, field: dict, value: str, fragment: str
) -> None:
    # GIVEN a Users dataset with one typed metadata field and one bad value among good ones
    group = box.dataset_group("dg")
    dataset = box.dataset(group, "Users", avro("Users", [{"name": "USER_ID", "type": "string"}, field]))
    good = {"float": "1.5", "boolean": "true", "int": "7", "string": "x"}[field["type"]]
    location = box.put_csv("users.csv", ("USER_ID", field["name"]), [("a", good), ("b", value)])

    # WHEN imported
    job = run_import(box, dataset, location)

    # THEN the job fails naming the column
    assert job["status"] == "CREATE FAILED"
    assert fragment in job["failureReason"]


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("https://example.com/data.csv", "Invalid Data location."),
        ("s3://no-such-bucket/data.csv", "Invalid Data location."),
        ("s3://personalize-input/missing.csv", PREFIX + "No CSV file found at s3://personalize-input/missing.csv."),
        ("s3://personalize-input/Empty/", PREFIX + "No CSV file found at s3://personalize-input/Empty/."),
    ],
    ids=["not-s3", "no-bucket", "no-file", "empty-folder"],
)
def test_import_bad_location_create_failed_with_reason(box: Sandbox, location: str, reason: str) -> None:
    # GIVEN an Interactions dataset and a location without usable data
    dataset = interactions_dataset(box)
    box.put("Empty/notes.txt", "nothing to import")

    # WHEN imported
    job = run_import(box, dataset, location)

    # THEN CREATE FAILED with the reason
    assert (job["status"], job["failureReason"]) == ("CREATE FAILED", reason)


def test_import_bucket_without_personalize_policy_insufficient_privileges(box: Sandbox) -> None:
    # GIVEN a bucket whose policy does not grant Personalize access
    dataset = interactions_dataset(box)
    box.s3.delete_bucket_policy(Bucket=box.bucket)
    location = box.put_csv("i.csv", HEADER, ROWS)

    # WHEN imported
    job = run_import(box, dataset, location)

    # THEN the documented privileges failure
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"] == PREFIX + ".Insufficient privileges for accessing data in Amazon S3."


def hardened_policy(bucket: str, account: str) -> dict:
    """The policy a template writes: TLS-only deny, and Personalize allowed for one source account."""
    arn = f"arn:aws:s3:::{bucket}"
    return {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Effect": "Allow",
                "Principal": {"Service": ["personalize.amazonaws.com"]},
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            },
        ]
    }


CONTEXT = {"aws:SourceAccount": "123456789012", "aws:SecureTransport": "true"}
SERVICE = Caller("personalize.amazonaws.com", "arn:aws:iam::123456789012:root", "personalize.amazonaws.com")


def bucket_policy_allows(policy: dict, bucket: str, context: dict) -> bool:
    """Whether the bucket policy lets the Personalize service principal list the bucket and get a file."""
    reads = [("s3:ListBucket", f"arn:aws:s3:::{bucket}"), ("s3:GetObject", f"arn:aws:s3:::{bucket}/data.csv")]
    return all(decide([], statements_of(policy), SERVICE, action, arn, context).allowed for action, arn in reads)


def test_bucket_policy_tls_deny_and_source_account_condition_allows_personalize() -> None:
    # GIVEN the hardened policy for this account (moto itself mis-evaluates conditional statements, which
    # local.patches works around, so the evaluator is exercised directly here)
    policy = hardened_policy("data", "123456789012")

    # WHEN / THEN Personalize, calling over TLS for this account, may read
    assert bucket_policy_allows(policy, "data", CONTEXT)


def test_bucket_policy_source_account_of_another_account_refuses_personalize() -> None:
    # GIVEN / WHEN the Allow is conditioned on another account
    policy = hardened_policy("data", "999999999999")

    # THEN refused
    assert not bucket_policy_allows(policy, "data", CONTEXT)


def test_bucket_policy_unconditional_deny_refuses_personalize() -> None:
    # GIVEN an Allow for Personalize and an unconditional Deny of GetObject to everyone
    policy = hardened_policy("data", "123456789012")
    policy["Statement"].append({"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"})

    # WHEN / THEN the Deny wins
    assert not bucket_policy_allows(policy, "data", CONTEXT)


def test_bucket_policy_wildcard_actions_and_resources_allow_personalize() -> None:
    # GIVEN / WHEN s3:Get* and s3:List* on a wildcard resource
    policy = {
        "Statement": {
            "Effect": "Allow",
            "Principal": {"Service": "personalize.amazonaws.com"},
            "Action": ["s3:Get*", "s3:List*"],
            "Resource": "arn:aws:s3:::data*",
        }
    }

    # THEN covered
    assert bucket_policy_allows(policy, "data", CONTEXT)


def test_bucket_policy_missing_list_bucket_refuses_personalize() -> None:
    # GIVEN / WHEN only s3:GetObject is granted
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "personalize.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::data/*",
            }
        ]
    }

    # THEN refused: the docs require ListBucket too
    assert not bucket_policy_allows(policy, "data", CONTEXT)


@pytest.mark.parametrize(
    ("trusted_service", "expected"),
    [("personalize.amazonaws.com", "ACTIVE"), ("lambda.amazonaws.com", "CREATE FAILED"), (None, "CREATE FAILED")],
    ids=["trusts-personalize", "trusts-lambda", "missing-role"],
)
def test_import_role_must_exist_and_trust_personalize(box: Sandbox, trusted_service: str | None, expected: str) -> None:
    # GIVEN a role that trusts some service, or no role at all
    import boto3

    dataset = interactions_dataset(box)
    iam = boto3.client("iam", region_name="us-east-1")
    role_arn = "arn:aws:iam::123456789012:role/PersonalizeRole"
    if trusted_service:
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": trusted_service}, "Action": "sts:AssumeRole"}],
        }
        role_arn = iam.create_role(RoleName="PersonalizeRole", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
            "Arn"
        ]
        reads = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}],
        }
        iam.put_role_policy(RoleName="PersonalizeRole", PolicyName="reads", PolicyDocument=json.dumps(reads))

    # WHEN the import names that role
    job = run_import(box, dataset, box.put_csv("i.csv", HEADER, ROWS), roleArn=role_arn)

    # THEN only a role Personalize can assume works
    assert job["status"] == expected
    assert job["roleArn"] == role_arn


def test_import_access_check_disabled_reads_without_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an emulator told not to check S3 access, and a bucket without policy
    with sandbox(monkeypatch, check_s3_access=False) as box:
        dataset = interactions_dataset(box)
        box.s3.delete_bucket_policy(Bucket=box.bucket)

        # WHEN imported
        job = run_import(box, dataset, box.put_csv("i.csv", HEADER, ROWS))

    # THEN it succeeds
    assert job["status"] == "ACTIVE"


def test_import_not_utf8_create_failed(box: Sandbox) -> None:
    # GIVEN a Latin-1 encoded file
    dataset = interactions_dataset(box)
    body = csv_text(HEADER, [("usér", "i", 1), *ROWS]).encode("latin-1")
    location = box.put("latin1.csv", body)

    # WHEN / THEN the import fails on encoding
    job = run_import(box, dataset, location)
    assert job["status"] == "CREATE FAILED"
    assert "is not UTF-8 encoded" in job["failureReason"]


def test_list_dataset_import_jobs_by_dataset_shows_failure_reason(box: Sandbox) -> None:
    # GIVEN a failed and a successful import on one dataset
    dataset = interactions_dataset(box)
    run_import(box, dataset, box.put_csv("bad.csv", HEADER, ROWS[:10]), "bad")
    run_import(box, dataset, box.put_csv("good.csv", HEADER, ROWS), "good")

    # WHEN listed by dataset
    jobs = box.personalize.list_dataset_import_jobs(datasetArn=dataset)["datasetImportJobs"]

    # THEN newest first, with the summary's failureReason
    assert [(j["jobName"], j["status"]) for j in jobs] == [("good", "ACTIVE"), ("bad", "CREATE FAILED")]
    assert "failureReason" in jobs[1] and "failureReason" not in jobs[0]


@pytest.mark.parametrize(("folder", "expected"), [("Interactions", "ACTIVE"), ("Other", "CREATE FAILED")])
def test_import_policy_scoped_to_a_prefix_allows_only_that_prefix(box: Sandbox, folder: str, expected: str) -> None:
    # GIVEN a policy granting GetObject only under Interactions/
    dataset = interactions_dataset(box)
    arn = f"arn:aws:s3:::{box.bucket}"
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "personalize.amazonaws.com"},
                "Action": "s3:ListBucket",
                "Resource": arn,
            },
            {
                "Effect": "Allow",
                "Principal": {"Service": "personalize.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": f"{arn}/Interactions/*",
            },
        ]
    }
    box.s3.put_bucket_policy(Bucket=box.bucket, Policy=json.dumps(policy))
    box.put_csv(f"{folder}/data.csv", HEADER, ROWS)

    # WHEN the folder is imported
    job = run_import(box, dataset, f"s3://{box.bucket}/{folder}/")

    # THEN only data under the granted prefix can be read
    assert job["status"] == expected
