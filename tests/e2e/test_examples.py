"""The shop and legacy-spelling examples, run as a user runs them: `python -m local run --data ... --params ...`."""

from __future__ import annotations

import io
import json

import pytest

from local.cli import main
from local.runner import ROOT
from tests.unit.test_params_spellings import LEGACY_SAMPLE

pytestmark = pytest.mark.e2e

LEGACY = ROOT / "example" / "legacy"
SHOP = ROOT / "example" / "shop"


def run_cli(*argv: str) -> tuple[int, dict]:
    out = io.StringIO()
    code = main(["run", *argv, "--json"], out=out)
    return code, json.loads(out.getvalue().strip().splitlines()[-1])


def names(arns: list[str]) -> list[str]:
    return sorted(arn.rsplit("/", 1)[-1] for arn in arns)


def test_legacy_example_runs_unchanged_and_a_rerun_creates_nothing() -> None:
    # GIVEN the legacy-spelling example: three solutions, three <label>Campaign campaigns, a tracker, a filter
    params, data = str(LEGACY / "params.json"), str(LEGACY / "data")
    # WHEN it is run, then uploaded again unchanged
    code, report = run_cli("--data", data, "--params", params, "--params", params)
    # THEN both runs succeed and every section became its resource, once
    assert code == 0, report["runs"][-1]["notification"]
    assert [run["status"] for run in report["runs"]] == ["SUCCEEDED", "SUCCEEDED"]
    inventory = report["personalize"]
    solutions = ["movies-legacy-personalized-ranking", "movies-legacy-sims", "movies-legacy-user-personalization"]
    assert names(inventory["solutions"]) == solutions
    assert names(inventory["campaigns"]) == solutions
    assert len(inventory["solutionVersions"]) == 3
    assert names(inventory["filters"]) == ["movies-legacy-seventies"]
    assert len(inventory["eventTrackers"]) == 1
    assert len(inventory["datasetImportJobs"]) == 2
    # AND the success e-mail lists every resource
    message = report["runs"][0]["notification"]["message"]
    for kind, arns in inventory.items():
        for arn in arns:
            assert arn in message, (kind, arn)
    assert "movies-legacy-event-tracker" in message


def test_shop_example_deploys_every_kind_of_resource() -> None:
    # GIVEN the shop example: an ECOMMERCE group, three solutions (two without campaign), a batch inference job,
    # a recommender, a tracker and two filters
    params, data = str(SHOP / "params.json"), str(SHOP / "data")
    # WHEN it is run
    code, report = run_cli("--data", data, "--params", params)
    # THEN it succeeds with each resource once
    assert code == 0, report["runs"][-1]["notification"]
    inventory = report["personalize"]
    assert names(inventory["solutions"]) == ["shop-popularity", "shop-similar-items", "shop-user-personalization"]
    assert names(inventory["campaigns"]) == ["shop-user-personalization"]
    assert names(inventory["filters"]) == ["shop-in-category", "shop-not-purchased"]
    assert names(inventory["recommenders"]) == ["shop-popular-by-views"]
    assert len(inventory["eventTrackers"]) == 1
    assert len(inventory["batchInferenceJobs"]) == 1
    # AND the e-mail lists every resource and where the batch output is
    message = report["runs"][0]["notification"]["message"]
    for kind, arns in inventory.items():
        for arn in arns:
            assert arn in message, (kind, arn)
    assert "/batch-output/shop-weekly-picks-" in message


def test_legacy_sample_params_text_runs_on_the_legacy_example_data(tmp_path) -> None:
    # GIVEN the legacy sample's own params.json text (its names, MovieLensDemo) and data in its layout
    params = tmp_path / "params.json"
    params.write_text(LEGACY_SAMPLE)
    # WHEN it is run
    code, report = run_cli("--data", str(LEGACY / "data"), "--params", str(params))
    # THEN it succeeds with the sample's three campaigns, its tracker and its filter
    assert code == 0, report["runs"][-1]["notification"]
    inventory = report["personalize"]
    assert names(inventory["campaigns"]) == [
        "personalizedRankingCampaign",
        "simsCampaign",
        "userPersonalizationCampaign",
    ]
    assert names(inventory["filters"]) == ["media-filter-1"]
    assert len(inventory["eventTrackers"]) == 1
