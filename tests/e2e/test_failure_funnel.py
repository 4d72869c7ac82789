"""No silent failure, through the real ASL: every failed run e-mails, whatever the input held."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.runner import LocalPipeline

from .conftest import EXAMPLE_PARAMS

pytestmark = pytest.mark.e2e


def _params(**changes: Any) -> dict[str, Any]:
    params = json.loads(EXAMPLE_PARAMS.read_text())
    params.update(changes)
    return params


@contextmanager
def sns_refusing(subject_prefix: str) -> Iterator[list[str]]:
    """SNS refuses (InvalidParameter) every publish whose subject starts with ``subject_prefix``."""
    from moto.sns.exceptions import InvalidParameterValue
    from moto.sns.models import SNSBackend

    patched, refused = SNSBackend.publish, []

    def publish(self: Any, message: str, arn: str | None, *args: Any, **kwargs: Any) -> str:
        subject = kwargs.get("subject") or ""
        if subject.startswith(subject_prefix):
            refused.append(subject)
            raise InvalidParameterValue("Invalid parameter: Message")
        return patched(self, message, arn, *args, **kwargs)

    SNSBackend.publish = publish  # type: ignore[method-assign]
    try:
        yield refused
    finally:
        SNSBackend.publish = patched  # type: ignore[method-assign]


def test_funnel_lone_surrogate_in_a_name_still_emails_the_problem(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN params whose solution name is a lone UTF-16 surrogate (valid JSON, not valid Unicode)
    params = _params()
    params["solution"]["name"] = "\ud800"
    pipeline = open_pipeline()
    # WHEN uploaded
    result = pipeline.run(write_params("params.json", json.dumps(params)))
    # THEN the run fails at Load Parameters and the e-mail shows the name as U+FFFD, naming the group
    assert result.status == "FAILED"
    assert result.notification is not None
    assert result.notification["subject"] == "Personalize pipeline FAILED at Load Parameters: InvalidParameters"
    message = result.notification["message"]
    assert "- solution.name: " in message and "\ufffd" in message
    assert message.startswith(f"The Amazon Personalize pipeline for dataset group '{params['datasetGroup']['name']}'")


def test_funnel_thousands_of_problems_email_the_first_and_count_the_rest(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN params with 3000 unknown top-level keys
    params = _params(**{f"unknown{i:04d}": i for i in range(3000)})
    pipeline = open_pipeline()
    # WHEN uploaded
    result = pipeline.run(write_params("params.json", json.dumps(params)))
    # THEN the run fails with InvalidParameters and one e-mail lists 50 problems and counts the others
    assert result.status == "FAILED"
    assert result.notification is not None
    message = result.notification["message"]
    assert "3000 problems in the parameters or data:" in message
    assert message.count("\n  - unknown") == 50
    assert "\n  ... and 2950 more (the Load Parameters log lists all 3000)\n" in message


def test_funnel_first_failure_email_refused_sends_the_fallback_and_ends_failed_with_the_root_cause(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN invalid params, and SNS refusing the composed failure e-mail
    pipeline = open_pipeline()
    params = _params()
    params["campaign"]["minProvisionedTPS"] = 0
    # WHEN uploaded
    with sns_refusing("Personalize pipeline FAILED at") as refused:
        result = pipeline.run(write_params("params.json", json.dumps(params)))
    # THEN the composed e-mail was refused (and retried), the fixed fallback e-mail was sent instead,
    # and the execution still fails with the root cause
    assert refused and set(refused) == {"Personalize pipeline FAILED at Load Parameters: InvalidParameters"}
    assert result.notification is not None
    assert result.notification["subject"] == "Personalize pipeline FAILED"
    assert result.notification["message"] == (
        "The Amazon Personalize pipeline failed, and its failure e-mail could not be sent. Open the execution in "
        f"the Step Functions console for the error and its cause. Execution: {result.executionArn}"
    )
    assert result.status == "FAILED"
    description = boto3.client("stepfunctions").describe_execution(executionArn=result.executionArn)
    assert description["error"] == "InvalidParameters"
    assert "campaign.minProvisionedTPS" in description["cause"]


def test_funnel_params_file_over_1_mib_is_refused_naming_the_file(
    open_pipeline: Callable[..., LocalPipeline], write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN a 2 MiB params.json (valid JSON: a huge string value)
    pipeline = open_pipeline()
    params = _params(padding="x" * (2 * 1024 * 1024))
    # WHEN uploaded
    result = pipeline.run(write_params("params.json", json.dumps(params)))
    # THEN one InvalidParameters problem names the object and its size, and nothing is created
    assert result.status == "FAILED"
    assert result.notification is not None
    message = result.notification["message"]
    size = len(json.dumps(params).encode())
    assert (
        f"1 problem in the parameters or data:\n  - s3://{pipeline.stack.bucket_name}/params.json: {size} bytes"
        in message
    )
    assert sum(len(arns) for arns in pipeline.inventory().values()) == 0
