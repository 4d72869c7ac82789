"""Summarize Teardown / Summarize Refusal: the teardown e-mail (no AWS call: the document says it all)."""

import os

from personalize_pipeline.observability import instrumented, metrics
from personalize_pipeline.teardown import error_message, outcome_message, refusal_message


@instrumented
def lambda_handler(event, context):
    stack = os.environ.get("PIPELINE_STACK_NAME", "")
    action = event["action"]
    if action == "outcome":
        message = outcome_message(event["teardown"], stack)
    elif action == "refusal":
        message = refusal_message(event["failure"].get("Error", ""), event["failure"].get("Cause", ""))
    elif action == "error":
        message = error_message(
            event["teardown"], event["failure"].get("Error", ""), event["failure"].get("Cause", ""), stack
        )
    else:
        raise ValueError(f"unknown action {action!r}")
    metrics.add_metric(
        name="teardown_failed_runs" if message["failed"] else "teardown_succeeded_runs", unit="Count", value=1
    )
    return message
