"""Powertools Logger, Tracer and Metrics shared by every handler.

``instrumented`` stacks them in the order the Powertools docs recommend and tags every log line with
the Step Functions execution name, so one run's logs can be read across all functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from botocore.exceptions import ClientError

from .errors import ThrottlingException

logger = Logger()
tracer = Tracer()
metrics = Metrics()

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def instrumented(handler: Handler) -> Handler:
    """Wrap a Lambda handler with logging context, tracing and metrics flushing; a throttled AWS call that
    outlasted botocore's retries leaves it as ``ThrottlingException``, which the state machine retries."""

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler
    @metrics.log_metrics(raise_on_empty_metrics=False)
    def wrapper(event: dict[str, Any], context: Any) -> dict[str, Any]:
        execution = event.get("executionName") or (event.get("resource") or {}).get("execution")
        if execution:
            logger.append_keys(execution=execution)
        try:
            return handler(event, context)
        except ClientError as error:
            # Throttling is not a modelled error, so botocore raises a bare ClientError once its own retries
            # are spent; every handler (not only the resource steps) gives it the name the ASL retries on.
            if error.response.get("Error", {}).get("Code") == "ThrottlingException":
                metrics.add_metric(name="throttled_past_retries", unit="Count", value=1)
                raise ThrottlingException(str(error)) from error
            metrics.add_metric(name="aws_call_errors", unit="Count", value=1)
            raise

    wrapper.__wrapped__ = handler  # type: ignore[attr-defined]
    return wrapper
