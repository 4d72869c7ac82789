"""Create Solution / Check Solution."""

from personalize_pipeline.ensure import ensure_solution
from personalize_pipeline.observability import instrumented
from personalize_pipeline.steps import run_step


@instrumented
def lambda_handler(event, context):
    return run_step(event, lambda pz, cfg, e: ensure_solution(pz, cfg.arn_prefix, e["datasetGroupArn"], e["spec"]))
