"""Fixtures shared by the unit tests: fake AWS credentials and a Stubber-backed Personalize client.

Every unit test runs offline: the credentials are fake, no profile or instance metadata is read, and
the Personalize client answers only from a ``botocore.stub.Stubber`` queue, which also checks each
request against the expected parameters and each canned response against the service model.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

REGION = "us-east-1"
ACCOUNT = "123456789012"
ARN_PREFIX = f"arn:aws:personalize:{REGION}:{ACCOUNT}"


@pytest.fixture(autouse=True)
def fake_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test can reach a real account: fake keys, no profile, no config files, no metadata service."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def personalize() -> Any:
    """A real botocore Personalize client; pair it with the ``stubber`` fixture before calling it."""
    return boto3.client("personalize", region_name=REGION)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Keep each phase's report on the item, so fixtures can tell whether the test body passed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def stubber(personalize: Any, request: pytest.FixtureRequest) -> Iterator[Stubber]:
    """The active Stubber of ``personalize``: an unqueued call fails, and so does a leftover response.

    The leftover check runs only after a passing test body; after a failure it would only add noise.
    """
    with Stubber(personalize) as stub:
        yield stub
        report = getattr(request.node, "report_call", None)
        if report is not None and report.passed:
            stub.assert_no_pending_responses()
