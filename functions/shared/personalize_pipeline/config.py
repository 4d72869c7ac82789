"""The one place that reads the Lambda environment.

Infrastructure facts (ARN prefix, the Personalize role, the console region) are set by template.yaml;
reading them here, once, lets the core take plain arguments and fail fast with the variable's name
when the template and the code disagree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


class MissingSetting(RuntimeError):
    """The template did not set an environment variable a handler needs."""


def _require(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise MissingSetting(f"environment variable {name} is not set; check template.yaml")
    return value


@dataclass(frozen=True)
class Settings:
    #: ``arn:<partition>:personalize:<region>:<account>``: resources are found by predictable ARN.
    arn_prefix: str

    def arn(self, resource_type: str, resource_id: str) -> str:
        return f"{self.arn_prefix}:{resource_type}/{resource_id}"


def settings() -> Settings:
    return Settings(arn_prefix=_require("PERSONALIZE_ARN_PREFIX"))


def personalize_role_arn() -> str:
    """Role Personalize assumes to read the input bucket (only the import function has it)."""
    return _require("PERSONALIZE_ROLE_ARN")


def console_region() -> str:
    return os.environ.get("CONSOLE_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
