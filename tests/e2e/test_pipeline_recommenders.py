"""A Domain (ECOMMERCE) dataset group with a recommender, end to end in the local cloud: created and listed
in the e-mail, reused by a re-run, updated (UpdateRecommender, waited for) when its config changes, and a
different recipe under the same name refused naming both."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from local.deploy import execution_history
from local.runner import LocalPipeline

from .ecommerce import MOST_VIEWED, RECOMMENDED_FOR_YOU, write_data, write_params

pytestmark = pytest.mark.e2e

NAME = "shop-most-viewed"
ARN = f"arn:aws:personalize:us-east-1:123456789012:recommender/{NAME}"


def states_entered(execution_arn: str, name: str) -> int:
    history = execution_history(execution_arn)
    return sum(
        1 for e in history if e["type"].endswith("StateEntered") and e["stateEnteredEventDetails"]["name"] == name
    )


def test_pipeline_domain_recommender_created_reused_updated_and_recipe_change_refused(tmp_path: Path) -> None:
    with LocalPipeline() as pipeline:
        pipeline.upload_data(write_data(tmp_path / "data"))
        spec = {"name": NAME, "recipeArn": MOST_VIEWED}
        # GIVEN an ECOMMERCE dataset group whose interactions meet the Most-viewed minimums
        # WHEN the params with one recommender are uploaded
        first = pipeline.run(write_params(tmp_path / "params.json", [spec]))
        # THEN the run succeeds with the recommender ACTIVE, and the e-mail lists its name, ARN, recipe, status
        assert first.status == "SUCCEEDED", first.notification
        assert first.notification is not None
        assert first.notification["subject"] == f"Personalize pipeline succeeded: shop -> {NAME}"
        message = first.notification["message"]
        assert (
            f"Recommenders (name, recipe, status, ARN)\n  {NAME}  aws-ecomm-popular-items-by-views  ACTIVE\n" in message
        )
        assert f"    {ARN}\n" in message
        assert f"recommender         {NAME} (created, " in message
        assert pipeline.inventory()["recommenders"] == [ARN]
        personalize = boto3.client("personalize")
        created = personalize.describe_recommender(recommenderArn=ARN)["recommender"]
        assert created["recommenderConfig"] == {"minRecommendationRequestsPerSecond": 1}
        tags = personalize.list_tags_for_resource(resourceArn=ARN)["tags"]
        assert {"tagKey": "personalize-pipeline:stack", "tagValue": pipeline.stack.name} in tags

        # WHEN the same params are uploaded again
        again = pipeline.run(write_params(tmp_path / "params.json", [spec]))
        # THEN the recommender is reused as it is: no update, no new recommender
        assert again.status == "SUCCEEDED"
        assert again.notification is not None
        assert f"recommender         {NAME} (reused)" in again.notification["message"]
        assert "latestRecommenderUpdate" not in personalize.describe_recommender(recommenderArn=ARN)["recommender"]

        # WHEN the params raise its minimum request rate
        faster = {**spec, "recommenderConfig": {"minRecommendationRequestsPerSecond": 3}}
        updated = pipeline.run(write_params(tmp_path / "params.json", [faster]))
        # THEN UpdateRecommender applies it and the run waits for the update to be ACTIVE
        assert updated.status == "SUCCEEDED"
        assert updated.notification is not None
        assert f"recommender         {NAME} (updated, " in updated.notification["message"]
        assert states_entered(updated.executionArn, "Wait for Recommender") >= 1
        described = personalize.describe_recommender(recommenderArn=ARN)["recommender"]
        assert described["status"] == "ACTIVE"
        assert described["recommenderConfig"] == {"minRecommendationRequestsPerSecond": 3}
        assert described["latestRecommenderUpdate"]["status"] == "ACTIVE"

        # WHEN the same name is asked for with another recipe
        other = {"name": NAME, "recipeArn": RECOMMENDED_FOR_YOU}
        refused = pipeline.run(write_params(tmp_path / "params.json", [other]))
        # THEN Load Parameters refuses it naming both recipes, before anything is created (the Recommender step
        # refuses it too, for races), and the recommender is left as it was
        assert refused.status == "FAILED"
        assert refused.notification is not None
        assert "Failed state: Load Parameters" in refused.notification["message"]
        assert (
            f"- recommenders[0].recipeArn: recommender '{NAME}' already exists with recipeArn \"{MOST_VIEWED}\", and "
            f'params ask for "{RECOMMENDED_FOR_YOU}"; a recommender\'s recipeArn cannot be changed: choose another name'
        ) in refused.notification["message"]
        assert personalize.describe_recommender(recommenderArn=ARN)["recommender"]["recipeArn"] == MOST_VIEWED
        assert pipeline.inventory()["recommenders"] == [ARN]
