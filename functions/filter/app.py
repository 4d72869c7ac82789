"""Create Filter / Check Filter."""

from personalize_pipeline.ensure_tracking import ensure_filter
from personalize_pipeline.observability import instrumented
from personalize_pipeline.steps import run_step


@instrumented
def lambda_handler(event, context):
    return run_step(event, lambda pz, cfg, e: ensure_filter(pz, cfg.arn_prefix, e["datasetGroupArn"], e["spec"]))
