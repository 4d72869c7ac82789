"""Create Schema and Dataset / Check Dataset (one Map iteration per dataset type)."""

from personalize_pipeline.ensure import ensure_dataset
from personalize_pipeline.observability import instrumented
from personalize_pipeline.steps import run_step


@instrumented
def lambda_handler(event, context):
    return run_step(event, lambda pz, cfg, e: ensure_dataset(pz, cfg.arn_prefix, e["datasetGroupArn"], e["spec"]))
