"""What already exists in Personalize that a plan must stay compatible with, read by Load Parameters.

Read-only, one DescribeDataset per planned dataset (by its predictable ARN) and one DescribeSchema per
dataset that exists: enough to refuse a schema change UpdateDataset would reject before anything is
created. Kept apart from validation so ``build_plan`` stays pure.
"""

from __future__ import annotations

import json
from typing import Any

from personalize_pipeline.resources import describe


def existing_datasets(client: Any, arn_prefix: str, plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Folder (``Interactions``...) -> ``{"schemaArn", "schema"}`` of each planned dataset that already exists."""
    group = plan["datasetGroup"]["name"]
    found: dict[str, dict[str, Any]] = {}
    for dataset in plan["datasets"]:
        current = describe(client, "dataset", f"{arn_prefix}:dataset/{group}/{dataset['datasetType']}")
        if current is None:
            continue
        schema = describe(client, "schema", current["schemaArn"])
        if schema is not None:
            found[dataset["folder"]] = {"schemaArn": current["schemaArn"], "schema": json.loads(schema["schema"])}
    return found
