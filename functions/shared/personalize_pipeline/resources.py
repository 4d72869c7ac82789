"""Reading Personalize resources: describe by ARN and the effective status of each kind.

Kept apart from the ensure logic because the notification handler reads the same resources.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError


@dataclass(frozen=True)
class Kind:
    describe: str  # boto3 method name
    arn_param: str  # its ARN parameter
    key: str  # the wrapper key of the response


KINDS: dict[str, Kind] = {
    "datasetGroup": Kind("describe_dataset_group", "datasetGroupArn", "datasetGroup"),
    "schema": Kind("describe_schema", "schemaArn", "schema"),
    "dataset": Kind("describe_dataset", "datasetArn", "dataset"),
    "datasetImportJob": Kind("describe_dataset_import_job", "datasetImportJobArn", "datasetImportJob"),
    "solution": Kind("describe_solution", "solutionArn", "solution"),
    "solutionVersion": Kind("describe_solution_version", "solutionVersionArn", "solutionVersion"),
    "campaign": Kind("describe_campaign", "campaignArn", "campaign"),
    "eventTracker": Kind("describe_event_tracker", "eventTrackerArn", "eventTracker"),
    "filter": Kind("describe_filter", "filterArn", "filter"),
    "recommender": Kind("describe_recommender", "recommenderArn", "recommender"),
    "batchInferenceJob": Kind("describe_batch_inference_job", "batchInferenceJobArn", "batchInferenceJob"),
    "batchSegmentJob": Kind("describe_batch_segment_job", "batchSegmentJobArn", "batchSegmentJob"),
}


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def describe(client: Any, kind: str, arn: str) -> dict[str, Any] | None:
    """The resource's description, or None when it does not exist."""
    spec = KINDS[kind]
    try:
        return getattr(client, spec.describe)(**{spec.arn_param: arn})[spec.key]
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise


def effective_status(kind: str, resource: dict[str, Any]) -> tuple[str, str | None]:
    """(status, failureReason) as the pipeline should see them.

    A dataset reports its failure only in ``latestDatasetUpdate``; a campaign being updated keeps
    ``status`` ACTIVE while ``latestCampaignUpdate`` tracks the update (a recommender likewise, in
    ``latestRecommenderUpdate``), and the pipeline must wait for the update, not the original creation.
    """
    status = resource.get("status", "")
    reason = resource.get("failureReason")
    if kind == "dataset":
        # Only an update in progress changes what the pipeline waits for. A failed schema swap leaves the
        # dataset ACTIVE on its old schema; the check compares schemas and reports that failure itself.
        update = resource.get("latestDatasetUpdate") or {}
        if status == "ACTIVE" and update.get("status", "ACTIVE") not in ("ACTIVE", "CREATE FAILED", "UPDATE FAILED"):
            status, reason = update["status"], update.get("failureReason")
        elif status != "ACTIVE":
            reason = reason or update.get("failureReason")
    elif kind in ("campaign", "recommender"):
        update = resource.get("latestCampaignUpdate" if kind == "campaign" else "latestRecommenderUpdate") or {}
        if status == "ACTIVE" and update.get("status") and update["status"] != "ACTIVE":
            status, reason = update["status"], update.get("failureReason")
    elif kind == "solution":
        update = resource.get("latestSolutionUpdate") or {}
        reason = reason or update.get("failureReason")
    return status, reason


def name_from_arn(arn: str) -> str:
    """The last path segment of a Personalize ARN (the resource's name for most kinds)."""
    return arn.rsplit(":", 1)[-1].split("/", 1)[-1]


def seconds_of(kind: str, resource: dict[str, Any], action: str) -> float | None:
    """How long Personalize took to create (or update) the resource, from its own timestamps.

    Using the service's timestamps rather than the execution's clock makes the numbers right even for
    steps that were polled, and reproducible in the local cloud's simulated time.
    """
    if not resource or action == "reused":
        return None
    source = resource
    if action == "updated":
        source = (
            resource.get("latestCampaignUpdate")
            or resource.get("latestRecommenderUpdate")
            or resource.get("latestDatasetUpdate")
            or resource
        )
    start, end = source.get("creationDateTime"), source.get("lastUpdatedDateTime")
    if source.get("status") != "ACTIVE" or start is None or end is None:
        return None
    if hasattr(start, "timestamp"):
        start, end = start.timestamp(), end.timestamp()
    return max(0.0, float(end) - float(start))
