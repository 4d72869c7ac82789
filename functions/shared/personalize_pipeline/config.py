"""The one place that reads the Lambda environment.

Infrastructure facts (ARN prefix, the Personalize role, the console region) are set by template.yaml;
reading them here, once, lets the core take plain arguments and fail fast with the variable's name
when the template and the code disagree.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass

from personalize_pipeline.offline_rules import CostCaps, StackContext


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


def _flag(name: str) -> bool:
    value = _require(name).lower()
    if value not in ("true", "false"):
        raise MissingSetting(f"environment variable {name} must be true or false, got {value!r}; check template.yaml")
    return value == "true"


def _count(name: str) -> int:
    value = _require(name)
    if not value.isdigit():
        raise MissingSetting(f"environment variable {name} must be a whole number, got {value!r}; check template.yaml")
    return int(value)


def stack_context(recipes: Collection[str] | None) -> StackContext:
    """The stack's identity (its tag value), partition and cost caps, as the template set them."""
    return StackContext(
        name=_require("PIPELINE_STACK_NAME"),
        partition=settings().arn_prefix.split(":")[1],
        caps=CostCaps(
            max_min_provisioned_tps=_count("MAX_MIN_PROVISIONED_TPS"),
            allow_hpo=_flag("ALLOW_HPO"),
            max_hpo_training_jobs=_count("MAX_HPO_TRAINING_JOBS"),
            max_hpo_parallel_training_jobs=_count("MAX_HPO_PARALLEL_TRAINING_JOBS"),
            allow_auto_training=_flag("ALLOW_AUTO_TRAINING"),
        ),
        recipes=recipes,
        arn_prefix=settings().arn_prefix,
    )
