"""Delete <Kind> / Check <Kind>: move one stage of the teardown on (start deletes, look at them again).

Both actions apply the same rule to every pending item (personalize_pipeline.teardown.advance): a check
also starts the delete of a resource that had to settle first (a creation or update in progress).
"""

from personalize_pipeline.clients import client
from personalize_pipeline.observability import instrumented, logger, metrics
from personalize_pipeline.teardown import STAGE_KEYS, advance


@instrumented
def lambda_handler(event, context):
    stage, action = event["stage"], event["action"]
    if stage not in STAGE_KEYS or action not in ("delete", "check"):
        raise ValueError(f"unknown stage {stage!r} or action {action!r}")
    document = event["teardown"]
    before = (len(document["deleted"]), len(document["failed"]))
    document = advance(client("personalize"), client("scheduler"), document, stage)
    metrics.add_metric(name="teardown_deleted", unit="Count", value=len(document["deleted"]) - before[0])
    metrics.add_metric(name="teardown_failed", unit="Count", value=len(document["failed"]) - before[1])
    logger.info("teardown stage", extra={"stage": stage, "action": action, "pending": document["pending"]})
    return document
