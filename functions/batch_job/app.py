"""Create Batch Inference Job / Create Batch Segment Job and their checks: one handler for both kinds.

The state machine says which kind (``kind``: batchInferenceJob or batchSegmentJob); the job reads its
input as the Personalize role and writes under the bucket's ``batch-output/`` prefix.
"""

from personalize_pipeline.clients import client
from personalize_pipeline.config import personalize_role_arn
from personalize_pipeline.ensure_batch import ensure_batch_job
from personalize_pipeline.observability import instrumented
from personalize_pipeline.steps import run_step


@instrumented
def lambda_handler(event, context):
    return run_step(
        event,
        lambda pz, cfg, e: ensure_batch_job(
            pz, client("s3"), cfg.arn_prefix, e["kind"], e["solutionVersionArn"], personalize_role_arn(), e["spec"]
        ),
    )
