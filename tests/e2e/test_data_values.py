"""Bad data values are refused by Check Data Values before any Personalize resource exists."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from local.runner import LocalPipeline

from .conftest import EXAMPLE_DATA, EXAMPLE_PARAMS

pytestmark = pytest.mark.e2e


def test_pipeline_bad_data_values_refused_before_any_resource_with_key_row_and_column(
    open_pipeline: Callable[..., LocalPipeline], tmp_path: Path, write_params: Callable[[str, str], Path]
) -> None:
    # GIVEN the example data with a millisecond TIMESTAMP at row 3 and an AGE of "thirty" at row 5 of users
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA, data)
    interactions = data / "Interactions" / "interactions.csv"
    lines = interactions.read_text().splitlines(keepends=True)
    user, item, timestamp = lines[2].rstrip("\n").split(",")
    lines[2] = f"{user},{item},{timestamp}000\n"
    interactions.write_text("".join(lines))
    users = data / "Users" / "users.csv"
    rows = users.read_text().splitlines(keepends=True)
    rows[4] = rows[4].rsplit(",", 1)[0] + ",thirty\n"
    users.write_text("".join(rows))
    pipeline = open_pipeline()
    pipeline.upload_data(data)
    params = json.loads(EXAMPLE_PARAMS.read_text())
    # WHEN params.json is uploaded
    result = pipeline.run(write_params("params.json", json.dumps(params)))
    # THEN the run fails at Summarize Data Checks with every problem, and nothing was created
    assert result.status == "FAILED"
    assert result.notification is not None
    message = result.notification["message"]
    bucket = pipeline.stack.bucket_name
    assert "Failed state: Summarize Data Checks" in message and "InvalidParameters" in message
    assert (
        f"- s3://{bucket}/Interactions/interactions.csv row 3, column TIMESTAMP: {timestamp}000 is not in epoch "
        "seconds (after the year 2100); milliseconds? divide by 1000" in message
    )
    assert f"- s3://{bucket}/Users/users.csv row 5, column AGE: 'thirty' is not an integer (int)" in message
    assert "No Personalize resource was created" in message
    assert sum(len(arns) for arns in pipeline.inventory().values()) == 0


def test_pipeline_too_few_unique_interactions_refused_before_any_resource(
    open_pipeline: Callable[..., LocalPipeline], tmp_path: Path
) -> None:
    # GIVEN only the first 999 interactions of the example, each written twice (1998 records, 999 unique)
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA, data)
    interactions = data / "Interactions" / "interactions.csv"
    header, *rows = interactions.read_text().splitlines(keepends=True)
    interactions.write_text(header + "".join(rows[:999] * 2))
    pipeline = open_pipeline()
    pipeline.upload_data(data)
    # WHEN the example params are uploaded
    result = pipeline.run(EXAMPLE_PARAMS)
    # THEN the run is refused with the exact unique count, before anything exists
    assert result.status == "FAILED"
    assert result.notification is not None
    bucket = pipeline.stack.bucket_name
    assert (
        f"- s3://{bucket}/Interactions/: 999 unique interactions; solution 'retail-user-personalization' needs at "
        "least 1000 to train (identical rows count once)" in result.notification["message"]
    )
    assert sum(len(arns) for arns in pipeline.inventory().values()) == 0
