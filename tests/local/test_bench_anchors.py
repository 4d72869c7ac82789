"""The benchmark's anchors: the schedules users would otherwise run, computed from their Retry settings."""

from __future__ import annotations

import pytest

from local.bench import ANCHORS, Waited, anchor, anchor_checks, critical_path, targets

#: The first run on the typical timeline: what the pipeline waits for, and how long each takes.
FIRST_RUN = [
    Waited("datasetGroup", "dg", 40),
    Waited("dataset", "interactions", 20),
    Waited("dataset", "users", 20),
    Waited("datasetImportJob", "interactions-job", 600),
    Waited("datasetImportJob", "users-job", 240),
    Waited("solution", "sol", 60),
    Waited("solutionVersion", "version", 3000),
    Waited("campaign", "campaign", 540),
]


def test_anchors_are_the_documented_retry_settings() -> None:
    # GIVEN the legacy sample (Retry 2 s x 1.5) and the AWS Solution (Retry 60 s x 1.02)
    # WHEN the anchors are read
    # THEN they are those settings
    assert ANCHORS == {"seed": (2.0, 1.5), "awsSolution": (60.0, 1.02)}


@pytest.mark.parametrize(
    ("duration", "interval", "backoff", "expected"),
    [
        (0, 60, 1.02, (1, 0.0)),  # done at creation: the first check sees it
        (60, 60, 1.02, (2, 60.0)),  # done exactly at the second check
        (61, 60, 1.0, (3, 120.0)),
        (10, 2, 1.5, (5, 16.25)),  # checks at 0, 2, 5, 9.5 (not yet done), 16.25
    ],
)
def test_anchor_checks_first_check_at_creation_then_backoff(
    duration: float, interval: float, backoff: float, expected: tuple[int, float]
) -> None:
    # GIVEN a resource that takes ``duration`` seconds
    # WHEN it is polled at 0, interval, interval + interval x backoff, ...
    # THEN the checks made and the time the first one sees it done are
    assert anchor_checks(duration, interval, backoff) == expected


def test_critical_path_sums_slowest_resource_of_each_stage() -> None:
    # GIVEN the first run's resources
    # WHEN Personalize's own time is computed
    # THEN it is 40 + 20 + 600 + 60 + 3000 + 540
    assert critical_path(FIRST_RUN) == 4260


def test_anchor_aws_solution_first_run_polls_and_time() -> None:
    # GIVEN the first run's resources
    # WHEN the AWS Solution's schedule is applied to each
    polls, end_to_end = anchor(FIRST_RUN, 60, 1.02)
    # THEN every resource is polled (2+2+2+11+5+2+37+10 checks) and each stage ends at its slowest detection
    assert polls == 71
    detected = [60, 60, 3000 * (1.02**10 - 1), 60, 3000 * (1.02**36 - 1), 3000 * (1.02**9 - 1)]
    assert end_to_end == pytest.approx(sum(detected))


def test_targets_one_figure_past_its_bound_is_reported_missed() -> None:
    # GIVEN figures that meet every target except the repeat run's polls (16 > half of 30)
    figures = {
        "firstRun": {"overhead": 1.03, "polls": 71},
        "repeatRun": {"overhead": 1.02, "polls": 16},
        "unchangedReupload": {"imports": 0, "solutionVersions": 0, "seconds": 119.9},
        "anchors": {"awsSolution": {"polls": 71}},
        "repeatAnchors": {"awsSolution": {"polls": 30}},
    }
    # WHEN the targets are checked
    # THEN exactly that one is missed
    assert targets(figures) == {
        "first run overhead <= 1.03": True,
        "first run polls <= AWS Solution's": True,
        "repeat run overhead <= 1.02": True,
        "repeat run polls <= half the AWS Solution's": False,
        "unchanged re-upload: 0 imports, 0 trainings, < 120 s": True,
    }
