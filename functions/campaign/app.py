"""Create or Update Campaign / Check Campaign."""

from personalize_pipeline.ensure import check_campaign, ensure_campaign
from personalize_pipeline.observability import instrumented
from personalize_pipeline.steps import run_step


@instrumented
def lambda_handler(event, context):
    return run_step(
        event,
        lambda pz, cfg, e: ensure_campaign(pz, cfg.arn_prefix, e["solutionVersionArn"], e["spec"]),
        lambda pz, cfg, record, e: check_campaign(pz, cfg.arn_prefix, record, e["spec"]),
    )
