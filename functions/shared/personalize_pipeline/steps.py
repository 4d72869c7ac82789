"""The common shape of every resource step: ``ensure`` creates or reuses, ``check`` polls.

Handlers declare only which ensure function serves their resource kind; dispatching, error translation
and metrics live here once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from . import errors
from .clients import client
from .config import Settings, settings
from .ensure import check
from .observability import logger, metrics
from .polling import PollRecord
from .resources import error_code

EnsureFn = Callable[[Any, Settings, dict[str, Any]], PollRecord]
CheckFn = Callable[[Any, Settings, PollRecord, dict[str, Any]], PollRecord]


def _default_check(personalize: Any, _settings: Settings, record: PollRecord, _event: dict[str, Any]) -> PollRecord:
    return check(personalize, record)


def run_step(event: dict[str, Any], ensure: EnsureFn, check_fn: CheckFn = _default_check) -> dict[str, Any]:
    """Run the step the state machine asked for and return the poll record as a plain dict."""
    action = event.get("action")
    personalize = client("personalize")
    try:
        if action == "ensure":
            record = ensure(personalize, settings(), event)
            metrics.add_metric(name=f"{record.kind}_{record.action}", unit="Count", value=1)
        elif action == "check":
            polled = PollRecord.from_dict(event["resource"])
            metrics.add_metric(name=f"{polled.kind}_polls", unit="Count", value=1)  # counted even when it fails
            record = check_fn(personalize, settings(), polled, event)
        else:
            raise ValueError(f"unknown action {action!r}: the state machine sends 'ensure' or 'check'")
    except ClientError as error:
        metrics.add_metric(name="step_errors", unit="Count", value=1)
        # Throttling is not a modelled Personalize error, so botocore raises a bare ClientError; give it
        # the name the state machine retries on.
        if error_code(error) == "ThrottlingException":
            raise errors.ThrottlingException(str(error)) from error
        logger.exception("Personalize refused the call")
        raise
    except errors.PipelineError:
        metrics.add_metric(name="step_errors", unit="Count", value=1)
        logger.exception("step failed")
        raise
    logger.info(
        "step done", extra={"kind": record.kind, "arn": record.arn, "status": record.status, "action": record.action}
    )
    return record.to_dict()
