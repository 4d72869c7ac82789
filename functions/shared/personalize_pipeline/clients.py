"""Lazily created boto3 clients, so importing a handler does no work and tests can inject their own."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Standard mode retries throttling (and Personalize's LimitExceededException) with backoff inside the
# Lambda first; what still fails surfaces under its own name and the state machine retries it again.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, user_agent_extra="personalize-pipeline")


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=_CONFIG)
