"""``run --state DIR`` then ``recommend --state DIR`` then ``run --state DIR`` again: the real pipeline's
campaign answers from disk, and the second run resumes the saved resources instead of creating them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from local.cli import main

pytestmark = pytest.mark.e2e

CAMPAIGN = "retail-user-personalization-campaign"


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_cli_state_run_recommend_and_resume(tmp_path: Path) -> None:
    state = tmp_path / "cloud"

    # GIVEN the example run with --state
    code, output = cli("run", "--state", str(state), "--json")
    first = json.loads(output.splitlines()[-1])
    assert code == 0 and (state / "local-cloud.pickle").is_file()

    # WHEN its campaign is asked for a user's top 10 from the saved state
    code, output = cli(
        "recommend", "--state", str(state), "--campaign", CAMPAIGN, "--user-id", "u0001", "--num", "10", "--json"
    )

    # THEN the GetRecommendations response comes back
    answer = json.loads(output)
    assert code == 0 and set(answer) == {"itemList", "recommendationId"}
    assert len(answer["itemList"]) == 10 and all(set(e) == {"itemId", "score"} for e in answer["itemList"])

    # WHEN the example runs again on the same state
    code, output = cli("run", "--state", str(state), "--json")
    second = json.loads(output.splitlines()[-1])

    # THEN it finds every resource of the first run and creates nothing
    assert code == 0
    assert second["personalize"] == first["personalize"]
    assert "0 resource(s) created, updated or resumed" in second["runs"][0]["notification"]["message"]
