"""Create Solution Version / Check Solution Version: training, skipped when nothing changed."""

from personalize_pipeline.ensure import ensure_solution_version
from personalize_pipeline.observability import instrumented
from personalize_pipeline.steps import run_step


@instrumented
def lambda_handler(event, context):
    return run_step(
        event, lambda pz, cfg, e: ensure_solution_version(pz, e["solutionArn"], e["spec"], e.get("datasets"))
    )
