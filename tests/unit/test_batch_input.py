"""Batch job input checked before anything is created: presence, limits, recipe, and every JSON line."""

from __future__ import annotations

from typing import Any

import pytest

from personalize_pipeline.batch_input import check_lines, input_problems, line_problem, plan_input_checks
from personalize_pipeline.data_values import owned_lines, summarize

BUCKET = "pipeline-inputbucket-1x2y3z"
RECIPE = "arn:aws:personalize:::recipe/"


def job(name: str, path: str) -> dict[str, Any]:
    return {"jobName": name, "jobInput": {"s3DataSource": {"path": f"s3://{BUCKET}/{path}"}}}


def plan_with(recipe: str, inference: list[dict] | None = None, segment: list[dict] | None = None) -> dict[str, Any]:
    return {
        "solutions": [
            {
                "solution": {"name": "sol", "recipeArn": RECIPE + recipe},
                "batchInferenceJobs": inference or [],
                "batchSegmentJobs": segment or [],
            }
        ]
    }


def obj(key: str, size: int = 100) -> dict[str, Any]:
    return {"key": key, "etag": f'"{key}"', "size": size}


# ----------------------------------------------------------------------------- one line
@pytest.mark.parametrize(
    ("recipe", "line", "problem"),
    [
        ("aws-user-personalization", '{"userId": "u1"}', None),
        ("aws-user-personalization", '{"userId": "u1", "context": {"DEVICE": "phone"}}', None),
        ("aws-popularity-count", '{"userId": "u1"}', None),
        ("aws-sims", '{"itemId": "i1"}', None),
        ("aws-personalized-ranking", '{"userId": "u1", "itemList": ["i1", "i2"]}', None),
        ("aws-item-affinity", '{"itemId": "i1"}', None),
        ("aws-item-attribute-affinity", '{"itemAttributes": "ITEMS.GENRE = \\"Comedy\\""}', None),
        ("aws-user-personalization", '{"userId": "u1"', "not valid JSON (Expecting ',' delimiter at column 16)"),
        (
            "aws-user-personalization",
            '["u1"]',
            'not a JSON object; each line is one object such as {"userId": "u1"}',
        ),
        (
            "aws-sims",
            '{"userId": "u1"}',
            'missing itemId; this recipe reads lines such as {"itemId": "i1"}',
        ),
        (
            "aws-personalized-ranking",
            '{"userId": "u1"}',
            'missing itemList; this recipe reads lines such as {"userId": "u1", "itemList": ["i1", "i2"]}',
        ),
        ("aws-popularity-count", '{"userId": "u1", "itemId": "i1"}', "unknown key itemId; expected userId"),
        ("aws-user-personalization", '{"userId": 7}', "userId must be a JSON string"),
        (
            "aws-personalized-ranking",
            '{"userId": "u1", "itemList": ["i1", 2]}',
            "itemList must be a list of item id strings",
        ),
    ],
)
def test_line_problem_each_recipe_reads_its_documented_keys(recipe: str, line: str, problem: str | None) -> None:
    # GIVEN the keys the recipe's batch input has
    from personalize_pipeline.batch_input import INPUT_KEYS

    required, optional = INPUT_KEYS[recipe]
    # WHEN a line is checked
    # THEN it is accepted or refused with the reason
    assert line_problem(line, required, optional) == problem


# ----------------------------------------------------------------------------- listing-level problems
def test_input_problems_names_missing_input_and_empty_file() -> None:
    # GIVEN one job whose input is missing and one whose only file is empty
    plan = plan_with(
        "aws-user-personalization",
        inference=[job("recs", "batch-input/users/"), job("other", "batch-input/empty.json")],
    )
    listing = {
        f"s3://{BUCKET}/batch-input/users/": [],
        f"s3://{BUCKET}/batch-input/empty.json": [obj("batch-input/empty.json", 0)],
    }
    # WHEN checked against the listing
    problems = input_problems(plan, listing)
    # THEN each is named with its solution, job and path
    assert problems == [
        f"solution 'sol': batch inference job 'recs': no input at s3://{BUCKET}/batch-input/users/; upload the JSON "
        "lines file(s) there first",
        f"s3://{BUCKET}/batch-input/empty.json: empty; a batch input file has one JSON object per line",
    ]


def test_input_problems_limits_of_files_and_bytes() -> None:
    # GIVEN 1001 input files of 1.1 MB each
    plan = plan_with("aws-sims", inference=[job("recs", "batch-input/")])
    listing = {f"s3://{BUCKET}/batch-input/": [obj(f"batch-input/{n:04}.json", 1_100_000) for n in range(1001)]}
    # WHEN checked
    # THEN both documented limits are named
    assert input_problems(plan, listing) == [
        f"solution 'sol': batch inference job 'recs': 1001 input files at s3://{BUCKET}/batch-input/; a batch job "
        "reads at most 1000",
        f"solution 'sol': batch inference job 'recs': 1,101,100,000 bytes of input at s3://{BUCKET}/batch-input/; "
        "a batch job reads at most 1 GB",
    ]


def test_plan_input_checks_one_item_per_file_with_the_recipe_keys() -> None:
    # GIVEN two jobs reading the same file with the same recipe, and an empty file
    plan = plan_with("aws-personalized-ranking", inference=[job("a", "batch-input/"), job("b", "batch-input/r.json")])
    listing = {
        f"s3://{BUCKET}/batch-input/": [obj("batch-input/r.json", 10), obj("batch-input/z.json", 0)],
        f"s3://{BUCKET}/batch-input/r.json": [obj("batch-input/r.json", 10)],
    }
    # WHEN the data check items are planned
    # THEN the file is checked once, over its whole range, for the ranking keys
    assert plan_input_checks(plan, listing) == [
        {
            "folder": "batch-input",
            "key": "batch-input/r.json",
            "etag": '"batch-input/r.json"',
            "start": 0,
            "end": 10,
            "required": ["userId", "itemList"],
            "optional": ["context"],
        }
    ]


# ----------------------------------------------------------------------------- Check Data Values + summary
def test_check_lines_and_summary_name_file_and_line_of_each_bad_line() -> None:
    # GIVEN a batch input file with a blank line and two bad lines
    body = b'{"userId": "u1"}\n\n{"itemId": "i1"}\nnot json\n{"userId": "u2"}\n'
    item = {
        "folder": "batch-input",
        "key": "batch-input/u.json",
        "etag": '"e"',
        "start": 0,
        "end": len(body),
        "required": ["userId"],
        "optional": ["context"],
    }
    # WHEN its range is checked and the checks are summarized
    result = check_lines(item, owned_lines([body], 0, len(body)))
    problems, warnings = summarize(BUCKET, {"items": [item], "results": [result], "filters": []})
    # THEN each problem names the s3 key and the line
    assert (result["lines"], result["records"]) == (5, 2)
    assert problems == [
        f's3://{BUCKET}/batch-input/u.json line 3: missing userId; this recipe reads lines such as {{"userId": "u1"}}',
        f"s3://{BUCKET}/batch-input/u.json line 4: not valid JSON (Expecting value at column 1)",
    ]
    assert warnings == []


def test_summary_batch_file_without_lines_is_a_problem() -> None:
    item = {"folder": "batch-input", "key": "batch-input/u.json", "start": 0, "end": 2}
    result = check_lines(item | {"required": ["userId"], "optional": []}, owned_lines([b"\n\n"], 0, 2))
    problems, _ = summarize(BUCKET, {"items": [item], "results": [result], "filters": []})
    assert problems == [
        f"s3://{BUCKET}/batch-input/u.json: no JSON lines; a batch input file has one JSON object per line"
    ]


def test_list_inputs_reads_every_key_with_the_path_as_prefix_once_per_path() -> None:
    # GIVEN two jobs reading the same path, which is also the prefix of a second file and a folder marker
    import boto3
    from botocore.stub import Stubber

    from personalize_pipeline.batch_input import list_inputs

    s3 = boto3.client("s3", region_name="us-east-1")
    plan = plan_with("aws-sims", inference=[job("a", "batch-input/u"), job("b", "batch-input/u")])
    contents = [
        {"Key": "batch-input/u/", "ETag": '"d"', "Size": 0},
        {"Key": "batch-input/u_test.json", "ETag": '"t"', "Size": 5},
        {"Key": "batch-input/u.json", "ETag": '"u"', "Size": 7},
    ]
    with Stubber(s3) as stubber:
        stubber.add_response(
            "list_objects_v2",
            {"Contents": contents, "IsTruncated": False},
            {"Bucket": BUCKET, "Prefix": "batch-input/u"},
        )
        # WHEN the inputs are listed
        listing = list_inputs(s3, plan)
        stubber.assert_no_pending_responses()
    # THEN every object Personalize would read is there, sorted, folder markers left out
    assert listing == {
        f"s3://{BUCKET}/batch-input/u": [
            {"key": "batch-input/u.json", "etag": '"u"', "size": 7},
            {"key": "batch-input/u_test.json", "etag": '"t"', "size": 5},
        ]
    }
