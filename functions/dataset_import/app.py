"""Import Data / Check Import: one import job per dataset folder, reused when the files are unchanged."""

from personalize_pipeline.config import personalize_role_arn
from personalize_pipeline.ensure import ensure_import
from personalize_pipeline.observability import instrumented
from personalize_pipeline.steps import run_step


@instrumented
def lambda_handler(event, context):
    return run_step(
        event,
        lambda pz, cfg, e: ensure_import(pz, cfg.arn_prefix, e["datasetArn"], personalize_role_arn(), e["spec"]),
    )
