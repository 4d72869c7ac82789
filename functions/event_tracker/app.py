"""Create Event Tracker / Check Event Tracker."""

from personalize_pipeline.ensure_tracking import ensure_event_tracker
from personalize_pipeline.observability import instrumented
from personalize_pipeline.steps import run_step


@instrumented
def lambda_handler(event, context):
    return run_step(event, lambda pz, cfg, e: ensure_event_tracker(pz, e["datasetGroupArn"], e["spec"]))
