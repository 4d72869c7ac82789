"""The poll schedule: when each Check runs, with and without history, and how the deadline bounds it.

Waits are pinned to exact seconds: the schedule is the contract between the handlers and the ASL's Wait
states, and the benchmark's figures follow from it.
"""

from __future__ import annotations

import pytest

from personalize_pipeline.polling import (
    POLICIES,
    PollPolicy,
    PollRecord,
    estimate_seconds,
    new_record,
    next_wait,
    no_history_wait,
)


def schedule(kind: str, estimate: int | None, checks: int) -> list[int]:
    """The first ``checks`` waits of a resource polled from its creation, each wait after the previous."""
    waits, elapsed = [], 0
    for _ in range(checks):
        wait = next_wait(kind, elapsed, estimate)
        waits.append(wait)
        elapsed += wait
    return waits


# ----------------------------------------------------------------------------- no history
def test_policies_ranges_are_the_documented_durations() -> None:
    # GIVEN personalize-facts §10: group 15-60 s, dataset < 30 s, import 2-17 min, solution seconds,
    # training 20-58 min, campaign 7-10 min; a recommender from a campaign's 7 min to a training's and a
    # campaign's 68 min (it trains, or only redeploys on an update); batch inference 12-26 min, batch segment 7-8 min
    # WHEN the policies are read
    ranges = {kind: (p.earliest_seconds, p.latest_seconds) for kind, p in POLICIES.items()}
    # THEN each kind's range is the documented one
    assert ranges == {
        "datasetGroup": (15, 60),
        "dataset": (0, 30),
        "datasetImportJob": (120, 1020),
        "solution": (0, 60),
        "solutionVersion": (1200, 3480),
        "campaign": (420, 600),
        "eventTracker": (0, 120),
        "filter": (0, 120),
        "recommender": (420, 4080),
        "batchInferenceJob": (720, 1560),
        "batchSegmentJob": (420, 480),
    }


def test_interval_no_history_is_square_root_of_cost_times_range_width() -> None:
    # GIVEN the documented ranges and a check worth 2.5 s of delay
    # WHEN the no-history intervals are derived
    intervals = {kind: p.interval_seconds for kind, p in POLICIES.items()}
    # THEN each is ceil(sqrt(2.5 x width)): 45 s -> 11, 30 -> 9, 900 -> 48, 60 -> 13, 2280 -> 76, 180 -> 22,
    # 3660 -> 96, 840 -> 46, 60 -> 13
    assert intervals == {
        "datasetGroup": 11,
        "dataset": 9,
        "datasetImportJob": 48,
        "solution": 13,
        "solutionVersion": 76,
        "campaign": 22,
        "eventTracker": 18,
        "filter": 18,
        "recommender": 96,
        "batchInferenceJob": 46,
        "batchSegmentJob": 13,
    }


def test_interval_no_history_zero_width_range_is_one_second() -> None:
    # GIVEN a kind whose documented range has no width
    policy = PollPolicy(earliest_seconds=30, latest_seconds=30, deadline_seconds=600)
    # WHEN its interval is derived
    # THEN it is the shortest wait a Wait state takes, not zero
    assert policy.interval_seconds == 1


@pytest.mark.parametrize(
    ("kind", "waits"),
    [
        ("datasetGroup", [15, 11, 11, 11, 11, 11]),
        ("dataset", [9, 9, 9, 9, 9, 9]),
        ("datasetImportJob", [120, 48, 48, 48, 48, 48]),
        ("solutionVersion", [1200, 76, 76, 76, 76, 76]),
        ("campaign", [420, 22, 22, 22, 22, 22]),
    ],
)
def test_next_wait_no_history_first_check_at_earliest_then_fixed_interval(kind: str, waits: list[int]) -> None:
    # GIVEN no history for the kind
    # WHEN a resource is polled from its creation
    # THEN nothing is checked before the earliest documented duration, then every interval
    assert schedule(kind, None, 6) == waits


def test_next_wait_no_history_past_latest_documented_waits_a_tenth_of_elapsed() -> None:
    # GIVEN a training still running past 58 min, the longest documented
    # WHEN the next waits are asked just inside the range, at its end, and past it
    waits = [next_wait("solutionVersion", elapsed) for elapsed in (3479, 3480, 3485, 10_000)]
    # THEN inside the range the interval holds; past it, 10 % of the elapsed time rounded up
    assert waits == [76, 348, 349, 1000]


def test_no_history_wait_overrun_of_short_kind_keeps_its_interval() -> None:
    # GIVEN a dataset group past its longest documented minute
    # WHEN the next wait is asked at 61 s
    # THEN a tenth of the elapsed time (6.1 s) is shorter than the interval, so the interval holds
    assert no_history_wait(POLICIES["datasetGroup"], 61) == 11


def test_next_wait_no_history_mid_earliest_waits_the_rest() -> None:
    # GIVEN an import created 100 s ago (a resumed one, say)
    # WHEN the next wait is asked
    # THEN it waits the 20 s left until the earliest documented duration
    assert next_wait("datasetImportJob", 100) == 20


# ----------------------------------------------------------------------------- history
def test_next_wait_history_sleeps_until_just_before_estimate_then_polls_densely() -> None:
    # GIVEN earlier trainings took 3000 s (dense interval 1 % = 30 s)
    # WHEN a new training is polled from its creation
    waits = schedule("solutionVersion", 3000, 4)
    # THEN the first check is one dense interval before the estimate, then every 30 s until it is
    # overrun by one interval, then the no-history interval
    assert waits == [2970, 30, 30, 76]


def test_next_wait_history_resumed_mid_way_sleeps_only_the_rest() -> None:
    # GIVEN earlier trainings took 3000 s, and this one has been waited for 1000 s already
    # WHEN the next wait is computed
    wait = next_wait("solutionVersion", 1000, 3000)
    # THEN it sleeps only until one dense interval (30 s) before the estimate
    assert wait == 3000 - 30 - 1000


def test_next_wait_history_overrun_falls_back_to_no_history_schedule() -> None:
    # GIVEN an import estimated at 648 s (dense interval 7 s) that is still running at 655 s
    # WHEN the next waits are asked at the edge of the dense window and past it
    waits = [next_wait("datasetImportJob", elapsed, 648) for elapsed in (641, 654, 655, 700)]
    # THEN inside the window it is dense; from 655 s on, the import's no-history interval
    assert waits == [7, 7, 48, 48]


def test_next_wait_history_overrun_past_latest_documented_backs_off() -> None:
    # GIVEN a campaign estimated at 540 s, still not ready after 900 s (past the documented 10 min)
    # WHEN the next wait is asked
    # THEN the overrun schedule applies: 10 % of the elapsed time
    assert next_wait("campaign", 900, 540) == 90


def test_next_wait_history_short_estimate_dense_interval_is_at_least_a_second() -> None:
    # GIVEN a dataset that took 20 s before (1 % would be 0.2 s)
    # WHEN it is polled from its creation
    # THEN it sleeps 19 s, then checks every second around 20 s, then falls back to the 9 s interval
    assert schedule("dataset", 20, 4) == [19, 1, 1, 9]


def test_next_wait_history_estimate_shorter_than_documented_is_trusted() -> None:
    # GIVEN this account's imports take 60 s, under the documented 2 min
    # WHEN a new import is polled
    # THEN the history wins over the documented minimum (first check at 59 s); once it is overrun, the
    # no-history schedule resumes at the documented minimum of 120 s
    assert schedule("datasetImportJob", 60, 4) == [59, 1, 1, 59]


# ----------------------------------------------------------------------------- deadline
@pytest.mark.parametrize("estimate", [None, 3000])
def test_next_wait_near_deadline_never_waits_past_it(estimate: int | None) -> None:
    # GIVEN a training 10 s short of its 36 h deadline
    deadline = POLICIES["solutionVersion"].deadline_seconds
    # WHEN the next wait is asked
    # THEN it ends exactly at the deadline, where the check fails
    assert next_wait("solutionVersion", deadline - 10, estimate) == 10


@pytest.mark.parametrize("estimate", [None, 100_000, 200_000])
def test_next_wait_at_or_past_deadline_is_zero(estimate: int | None) -> None:
    # GIVEN a training at, or past, its deadline (an estimate beyond the deadline changes nothing)
    deadline = POLICIES["solutionVersion"].deadline_seconds
    # WHEN the next wait is asked
    # THEN there is no more waiting
    assert [next_wait("solutionVersion", deadline, estimate), next_wait("solutionVersion", deadline + 5)] == [0, 0]


def test_next_wait_history_estimate_beyond_deadline_sleeps_until_deadline() -> None:
    # GIVEN an estimate longer than the campaign's 3 h deadline
    # WHEN a new campaign is polled
    # THEN the first wait stops at the deadline
    assert next_wait("campaign", 0, 20_000) == 3 * 3600


# ----------------------------------------------------------------------------- estimate
def test_estimate_seconds_no_history_is_none() -> None:
    # GIVEN no earlier run
    # WHEN an estimate is asked
    # THEN there is none, and the no-history schedule applies
    assert estimate_seconds([]) is None


def test_estimate_seconds_history_is_latest_run_rounded() -> None:
    # GIVEN three earlier runs, oldest first
    # WHEN an estimate is asked
    # THEN the latest one counts, rounded to whole seconds
    assert [estimate_seconds([2000.0, 3400.0, 2999.6]), estimate_seconds([3000.4])] == [3000, 3000]


def test_estimate_seconds_scaled_by_size_ratio() -> None:
    # GIVEN an import of 600,026 bytes that took 600 s, and 648,052 bytes to import now
    # WHEN the estimate is scaled by the size ratio
    # THEN it grows in proportion: 648 s
    assert estimate_seconds([600.0], 648_052 / 600_026) == 648


@pytest.mark.parametrize(("durations", "scale"), [([0.0], 1.0), ([600.0], 0.0), ([600.0], -1.0)])
def test_estimate_seconds_unusable_history_is_none(durations: list[float], scale: float) -> None:
    # GIVEN a zero duration, or a zero or negative scale
    # WHEN an estimate is asked
    # THEN there is none rather than a nonsense wait
    assert estimate_seconds(durations, scale) is None


def test_estimate_seconds_tiny_history_is_at_least_a_second() -> None:
    # GIVEN an earlier run that took 0.3 s
    # WHEN an estimate is asked
    # THEN it is one second
    assert estimate_seconds([0.3]) == 1


# ----------------------------------------------------------------------------- the record
def test_new_record_with_estimate_first_wait_is_just_before_it() -> None:
    # GIVEN a training created with an estimate of 3000 s from history
    # WHEN its record is made
    record = new_record("solutionVersion", "arn:v", "v", "CREATE PENDING", "created", estimatedSeconds=3000)
    # THEN the Wait state sleeps until just before the estimate, and the estimate rides along
    assert (record.waitSeconds, record.waitedSeconds, record.details) == (2970, 0, {"estimatedSeconds": 3000})


def test_new_record_without_estimate_first_wait_is_earliest_documented() -> None:
    # GIVEN a campaign created with no history
    # WHEN its record is made
    record = new_record("campaign", "arn:c", "c", "CREATE PENDING", "created")
    # THEN the first check is at 7 min
    assert (record.waitSeconds, record.details) == (420, {})


def test_poll_record_from_dict_without_waits_starts_at_zero() -> None:
    # GIVEN a record document that carries no wait fields (as a hand-written test event may)
    data = {"kind": "campaign", "arn": "arn:c", "name": "c", "status": "CREATE PENDING", "action": "created"}
    # WHEN it is read back
    record = PollRecord.from_dict(data)
    # THEN nothing has been waited and nothing is scheduled yet
    assert record == PollRecord("campaign", "arn:c", "c", "CREATE PENDING", "created", 0, 0, {})
