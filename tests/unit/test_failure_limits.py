"""No silent failure: whatever params.json holds, the failure e-mail fits SNS and Step Functions' limits.

Covers the error's message (what becomes the Step Functions Cause), parsing of malformed input of any
depth, and the e-mail text (surrogates, control characters, size). The funnel itself is tested end to end
in tests/e2e/test_failure_funnel.py.
"""

from __future__ import annotations

import json

import pytest

from personalize_pipeline.data_files import DataListing
from personalize_pipeline.errors import (
    PROBLEM_CHARS,
    SHOWN_PROBLEMS,
    InvalidParameters,
    dataset_group_of,
)
from personalize_pipeline.messages import MESSAGE_BYTES, FailureContext, failure_message, safe_text
from personalize_pipeline.params import MAX_DEPTH, build_plan

SOURCE = "s3://input-bucket/params.json"
EXECUTION_ARN = "arn:aws:states:us-east-1:123456789012:execution:stack-pipeline:run-1"


def problems_of(params: object) -> InvalidParameters:
    with pytest.raises(InvalidParameters) as raised:
        build_plan(params, bucket="input-bucket", key="params.json", version_id=None, data=DataListing())  # type: ignore[arg-type]
    return raised.value


def sns_accepts(subject: str, message: str) -> bool:
    """SNS Publish's rules (the local cloud enforces the same in local/patches.py)."""
    subject_ok = 0 < len(subject) <= 100 and subject.isascii() and subject.isprintable()
    try:
        size = len(message.encode("utf-8"))
    except UnicodeEncodeError:
        return False
    characters_ok = all(c in "\t\n\r" or 0x20 <= ord(c) <= 0xFFFD for c in message if ord(c) <= 0xFFFF)
    return subject_ok and characters_ok and 0 < size <= 256 * 1024


# ----------------------------------------------------------------------------- the error's message
def test_invalid_parameters_thousands_of_problems_shows_the_first_and_counts_the_rest() -> None:
    # GIVEN 5000 problems
    problems = [f"datasets.X.schema.fields[{i}]: bad" for i in range(5000)]
    # WHEN raised
    error = InvalidParameters(problems)
    # THEN the message lists the first 50, says how many more, and the exception keeps them all
    lines = str(error).split("\n")
    assert lines == [
        "5000 problems in the parameters or data:",
        *[f"- datasets.X.schema.fields[{i}]: bad" for i in range(SHOWN_PROBLEMS)],
        "... and 4950 more (the Load Parameters log lists all 5000)",
    ]
    assert error.problems == problems


def test_invalid_parameters_huge_problem_is_shortened_with_its_length() -> None:
    # GIVEN one problem echoing a megabyte of input
    error = InvalidParameters(["datasetGroup.name: " + "x" * 1_000_000])
    # WHEN raised
    line = str(error).split("\n")[1]
    # THEN the line is cut at PROBLEM_CHARS and says how much was left out
    kept = PROBLEM_CHARS - 40
    assert line == f"- {('datasetGroup.name: ' + 'x' * 1_000_000)[:kept]}... ({1_000_019 - kept} more characters)"


def test_invalid_parameters_message_stays_small_whatever_the_problems() -> None:
    # GIVEN 10,000 problems of 10 KB each
    error = InvalidParameters(["p" * 10_000] * 10_000, dataset_group="retail-demo")
    # WHEN raised
    size = len(str(error).encode("utf-8"))
    # THEN the message (the Step Functions Cause) stays far below the 256 KB payload limit
    assert size < 64 * 1024


@pytest.mark.parametrize(
    ("group", "expected"),
    [("retail-demo", "retail-demo"), (None, "")],
    ids=["named", "unnamed"],
)
def test_dataset_group_of_reads_back_the_group_the_error_names(group: str | None, expected: str) -> None:
    # GIVEN an InvalidParameters raised with or without a dataset group
    message = str(InvalidParameters(["a: b"], dataset_group=group))
    # WHEN the group is read back from the message (as the failure e-mail does with the Cause)
    # THEN it is the one given, or "" when none was
    assert dataset_group_of(message) == expected


def test_dataset_group_of_other_messages_is_empty() -> None:
    assert dataset_group_of("solution version 'v' is still CREATE IN_PROGRESS") == ""


# ----------------------------------------------------------------------------- malformed params.json
def test_build_plan_50000_deep_json_is_invalid_parameters_naming_the_file() -> None:
    # GIVEN 50,000 nested arrays (json raises RecursionError on it)
    body = ("[" * 50_000 + "]" * 50_000).encode()
    # WHEN validated
    error = problems_of(body)
    # THEN one InvalidParameters problem names the file and the nesting
    assert error.problems == [
        f"{SOURCE}: JSON nested more than {MAX_DEPTH} levels deep; a parameters file needs fewer than 10"
    ]


def test_build_plan_nesting_past_the_limit_names_where() -> None:
    # GIVEN an object nested 40 levels deep under datasetGroup (parseable, too deep)
    deep: object = {}
    for _ in range(40):
        deep = {"a": deep}
    body = json.dumps({"datasetGroup": deep}).encode()
    # WHEN validated
    error = problems_of(body)
    # THEN the problem names the file and the path where the limit was crossed
    where = "datasetGroup" + ".a" * (MAX_DEPTH - 1)
    assert error.problems == [
        f"{SOURCE}: JSON nested more than {MAX_DEPTH} levels deep (at {where}); a parameters file needs fewer than 10"
    ]


def test_build_plan_deep_parsed_document_is_refused_without_recursion() -> None:
    # GIVEN an already parsed document 5,000 levels deep
    deep: dict = {}
    for _ in range(5000):
        deep = {"a": deep}
    # WHEN validated
    error = problems_of(deep)
    # THEN it is one problem, not a RecursionError
    assert len(error.problems) == 1 and "nested more than" in error.problems[0]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"datasetGroup": "\xff"}', f"{SOURCE}: not UTF-8 text (invalid byte at offset 18); save it as UTF-8"),
        (b"\xef\xbb\xbf", f"{SOURCE}: the file is empty; expected a JSON object"),
        (b"\xef\xbb\xbf[1]", f"{SOURCE}: expected a JSON object {{...}} at the top level, got [1]"),
    ],
    ids=["invalid-utf8", "bom-only", "bom-then-array"],
)
def test_build_plan_malformed_bytes_name_the_file(body: bytes, problem: str) -> None:
    assert problems_of(body).problems == [problem]


def test_build_plan_invalid_params_with_a_valid_group_name_it() -> None:
    # GIVEN params whose dataset group name is valid but that lack everything else
    error = problems_of(b'{"datasetGroup": {"name": "retail-demo"}}')
    # THEN the error carries the group, and its message names it on the last line
    assert error.dataset_group == "retail-demo"
    assert dataset_group_of(str(error)) == "retail-demo"


@pytest.mark.parametrize("name", ["retail demo", "x" * 64, "\ud800", 7], ids=["space", "too-long", "surrogate", "int"])
def test_build_plan_invalid_group_name_is_not_named(name: object) -> None:
    error = problems_of(json.dumps({"datasetGroup": {"name": name}}).encode())
    assert error.dataset_group is None and dataset_group_of(str(error)) == ""


# ----------------------------------------------------------------------------- the e-mail text
def test_safe_text_replaces_surrogates_and_drops_control_characters() -> None:
    assert safe_text("name \ud800 bell\x07 nul\x00 cr\r\nlf\ttab \ufffe") == "name \ufffd bell nul cr\nlf\ttab "


def test_safe_text_cuts_at_the_byte_limit_without_splitting_a_character() -> None:
    # GIVEN 100,000 two-byte characters (200 KB)
    text = safe_text("\u00e9" * 100_000)
    # THEN the text fits the limit, ends with the note, and is valid UTF-8
    assert len(text.encode("utf-8")) <= MESSAGE_BYTES
    assert text.endswith("\n... (cut at 64 KB; the execution's history and logs have the rest)\n")


def test_failure_message_for_a_surrogate_and_thousands_of_problems_fits_sns() -> None:
    # GIVEN the Cause of an InvalidParameters with a surrogate echoed in thousands of problems
    error = InvalidParameters([f"datasets.Users.name: bad name \ud800{i}" for i in range(5000)])
    context = FailureContext(state="Load Parameters", error="InvalidParameters", cause=str(error), touched=[])
    # WHEN the e-mail is written
    subject, body = failure_message(context, EXECUTION_ARN, "us-east-1", "")
    # THEN SNS accepts it, and it shows the first problems and the count of the others
    assert sns_accepts(subject, body)
    assert "\n  - datasets.Users.name: bad name \ufffd0\n" in body
    assert "\n  ... and 4950 more (the Load Parameters log lists all 5000)\n" in body


def test_failure_message_caps_a_long_cause() -> None:
    # GIVEN a cause of 10,000 lines (not ours: some service's error)
    context = FailureContext(state="Check Import", error="ResourceFailed", cause="line\n" * 10_000, touched=[])
    # WHEN the e-mail is written
    _, body = failure_message(context, EXECUTION_ARN, "us-east-1", "retail-demo")
    # THEN 79 lines are shown and the rest counted
    assert body.count("\n  line") == 79
    assert "\n  ... and 9921 more lines (see the execution)\n" in body


def test_failure_message_names_the_group_from_an_invalid_parameters_cause() -> None:
    # GIVEN Load Parameters refused params whose dataset group name was valid (no plan in the state)
    cause = str(InvalidParameters(["solution: required section is missing"], dataset_group="retail-demo"))
    context = FailureContext(state="Load Parameters", error="InvalidParameters", cause=cause, touched=[])
    # WHEN the e-mail is written without a group from the state
    _, body = failure_message(context, EXECUTION_ARN, "us-east-1", "")
    # THEN it names the group
    assert body.startswith("The Amazon Personalize pipeline for dataset group 'retail-demo' failed.\n")


def test_invalid_parameters_replaces_lone_surrogates_so_every_consumer_can_encode_it() -> None:
    # GIVEN a problem echoing a lone surrogate from the user's JSON
    error = InvalidParameters(["solution.name: bad name \ud800"])
    # THEN the problems and the message hold U+FFFD instead, and encode as UTF-8 (logs, Lambda payload)
    assert error.problems == ["solution.name: bad name \ufffd"]
    assert str(error).encode("utf-8")
