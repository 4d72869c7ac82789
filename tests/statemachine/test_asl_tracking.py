"""Where the event tracker and filters sit in the state machine, and what they hand to the success e-mail."""

from __future__ import annotations

from typing import Any

PARALLEL = "Create Event Tracker and Filters"


def test_asl_tracking_parallel_after_imports_before_training(asl: dict[str, Any]) -> None:
    # GIVEN the top-level states WHEN the path through the imports is followed
    states = asl["States"]
    # THEN the imports lead to the Parallel, which leads to training (filters exist before any batch job)
    assert states["Import Datasets"]["Next"] == PARALLEL
    assert states[PARALLEL]["Type"] == "Parallel"
    assert states[PARALLEL]["Next"] != "Summarize Run"
    assert states[PARALLEL]["Catch"][0]["ErrorEquals"] == ["States.DataLimitExceeded"]


def test_asl_tracking_branches_map_over_the_plan_lists(asl: dict[str, Any]) -> None:
    # GIVEN the Parallel's two branches WHEN their Maps are read
    maps = [next(iter(branch["States"].values())) for branch in asl["States"][PARALLEL]["Branches"]]
    # THEN one iterates the planned trackers, the other the planned filters, each with its dataset group
    assert [(m["Type"], m["ItemsPath"]) for m in maps] == [
        ("Map", "$.plan.eventTrackers"),
        ("Map", "$.plan.filters"),
    ]
    assert all(
        m["ItemSelector"] == {"spec.$": "$$.Map.Item.Value", "datasetGroupArn.$": "$.datasetGroup.arn"} for m in maps
    )
    ready = [m["ItemProcessor"]["States"] for m in maps]
    assert ready[0]["Event Tracker Ready"]["Parameters"] == {"eventTracker.$": "$.eventTracker"}
    assert ready[1]["Filter Ready"]["Parameters"] == {"filter.$": "$.filter"}


def test_asl_summarize_run_receives_tracker_and_filter_results(asl: dict[str, Any]) -> None:
    # GIVEN the Parallel's result selector and the Summarize Run payload
    parallel = asl["States"][PARALLEL]
    payload = asl["States"]["Summarize Run"]["Parameters"]["Payload"]
    # THEN branch 0 (trackers) and branch 1 (filters) reach the e-mail under their own keys
    assert (parallel["ResultSelector"], parallel["ResultPath"]) == (
        {"eventTrackers.$": "$[0]", "filters.$": "$[1]"},
        "$.tracking",
    )
    assert (payload["eventTrackers.$"], payload["filters.$"]) == ("$.tracking.eventTrackers", "$.tracking.filters")
