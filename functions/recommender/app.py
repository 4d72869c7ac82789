"""Create or Update Recommender / Check Recommender."""

from personalize_pipeline.ensure_recommenders import check_recommender, ensure_recommender
from personalize_pipeline.observability import instrumented
from personalize_pipeline.steps import run_step


@instrumented
def lambda_handler(event, context):
    return run_step(
        event,
        lambda pz, cfg, e: ensure_recommender(pz, cfg.arn_prefix, e["datasetGroupArn"], e["spec"]),
        lambda pz, cfg, record, e: check_recommender(pz, cfg.arn_prefix, record, e["spec"]),
    )
