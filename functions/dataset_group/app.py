"""Create Dataset Group / Check Dataset Group."""

from personalize_pipeline.ensure import ensure_dataset_group
from personalize_pipeline.observability import instrumented
from personalize_pipeline.steps import run_step


@instrumented
def lambda_handler(event, context):
    return run_step(event, lambda pz, cfg, e: ensure_dataset_group(pz, cfg.arn_prefix, e["datasetGroup"]))
