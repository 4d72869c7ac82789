"""Durations follow the work: the typical preset, its time factor, imports by bytes, training by kind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from local.personalize import Timeline
from local.personalize.testing import Sandbox, csv_text, interactions, sandbox

HEADER = ("USER_ID", "ITEM_ID", "TIMESTAMP")
#: The example data's files (example/data): the typical preset's import figures are for these sizes.
EXAMPLE_INTERACTIONS_BYTES = 600_026
EXAMPLE_USERS_BYTES = 2_769


@pytest.fixture
def typical(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with sandbox(monkeypatch, timeline=Timeline.typical()) as created:
        yield created


def took(resource: dict[str, Any]) -> float:
    """Creation to the last status change, in seconds (milliseconds kept)."""
    return round((resource["lastUpdatedDateTime"] - resource["creationDateTime"]).total_seconds(), 3)


# ----------------------------------------------------------------------------- the typical preset
def test_timeline_typical_durations_are_the_benchmark_figures() -> None:
    # GIVEN the typical preset
    timeline = Timeline.typical()
    # WHEN its durations are read, imports for the example data's two files
    creates = {step: round(phase.total, 6) for step, phase in timeline.create.items() if step != "import"}
    imports = [round(timeline.import_phase("arn:job", size).total, 6) for size in (EXAMPLE_INTERACTIONS_BYTES, 2_769)]
    # THEN they are the figures of the benchmark, with no jitter
    assert creates == {
        "dataset-group": 40,
        "dataset": 20,
        "solution": 60,
        "solution-version": 3000,
        "campaign": 540,
        "event-tracker": 30,
        "filter": 45,
        "recommender": 3540,
    }
    assert imports == [600, 240]
    assert (timeline.jitter, round(timeline.update["campaign"].total, 6)) == (0.0, 540)


def test_timeline_typical_factor_multiplies_every_duration() -> None:
    # GIVEN the typical preset with every duration 10 % longer
    timeline = Timeline.typical(1.1)
    # WHEN its durations are read
    totals = [round(timeline.create[step].total, 6) for step in ("dataset-group", "solution-version", "campaign")]
    totals += [round(timeline.import_phase("arn:job", EXAMPLE_INTERACTIONS_BYTES).total, 6)]
    totals += [round(timeline.update["campaign"].total, 6), round(timeline.delete["dataset"].total, 6)]
    # THEN creates, imports (fixed part and throughput), updates, deletes and stops all take 1.1x as long
    assert totals == [44, 3300, 594, 660, 594, 44]
    assert (round(timeline.stop_seconds, 6), timeline.name) == (132, "typical x1.1")


@pytest.mark.parametrize("factor", [0, -1])
def test_timeline_times_non_positive_factor_is_refused(factor: float) -> None:
    # GIVEN a factor that is not positive
    # WHEN the typical timeline is scaled by it
    # THEN it is refused, naming the factor
    with pytest.raises(ValueError, match=f"positive, not {factor}"):
        Timeline.typical(factor)


# ----------------------------------------------------------------------------- imports grow with bytes
def test_import_duration_grows_with_bytes_read(typical: Sandbox) -> None:
    # GIVEN an Interactions dataset, and two CSV files, one twice the rows of the other
    group = typical.dataset_group("dg")
    dataset = typical.dataset(group)
    small = csv_text(HEADER, interactions(per_user=30))
    large = csv_text(HEADER, interactions(per_user=60))
    # WHEN each is imported in turn
    durations = [
        took(typical.import_job(dataset, typical.put(f"{name}.csv", body), name))
        for name, body in (("small", small), ("large", large))
    ]
    # THEN each takes the fixed part plus the typical throughput's time for its bytes
    per_byte = 360 / 597_257
    fixed = 240 - EXAMPLE_USERS_BYTES * per_byte
    expected = [round(fixed + len(body.encode()) * per_byte, 3) for body in (small, large)]
    assert durations == pytest.approx(expected, abs=0.002)
    assert durations[1] > durations[0] + 10


def test_import_failed_before_reading_data_takes_fixed_part(typical: Sandbox) -> None:
    # GIVEN a dataset and a location with no CSV file
    group = typical.dataset_group("dg")
    dataset = typical.dataset(group)
    # WHEN an import of it is made
    job = typical.import_job(dataset, f"s3://{typical.bucket}/nothing-here/", "empty")
    # THEN it fails after the fixed part of an import, having read nothing
    assert (job["status"], took(job)) == ("CREATE FAILED", pytest.approx(240 - EXAMPLE_USERS_BYTES * 360 / 597_257))


# ----------------------------------------------------------------------------- training by kind
def _trained(box: Sandbox, **solution: Any) -> tuple[str, dict[str, Any]]:
    group = box.dataset_group("dg")
    dataset = box.dataset(group)
    box.import_job(dataset, box.put_csv("data.csv", HEADER, interactions()), "load")
    solution_arn = box.solution(group, "sol", **solution)
    return solution_arn, box.version(solution_arn)


def test_training_full_update_and_hpo_take_their_own_time_and_bill_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the typical timeline: FULL trains 90 s pending + 2910 s, billed at 2.5 training hours per hour
    with sandbox(monkeypatch, timeline=Timeline.typical()) as box:
        # WHEN a FULL version, then an UPDATE of it, are trained; and, on the same data, an HPO solution
        solution_arn, full = _trained(box)
        update = box.version(solution_arn, trainingMode="UPDATE")
    with sandbox(monkeypatch, timeline=Timeline.typical()) as box:
        _, hpo = _trained(box, performHPO=True)
    # THEN UPDATE is a quarter of FULL's training, HPO three times it, and trainingHours follows each
    assert [(v["trainingMode"], took(v), v["trainingHours"]) for v in (full, update, hpo)] == [
        ("FULL", 3000, 2.021),
        ("UPDATE", 90 + 2910 * 0.25, 1.0),
        ("FULL", 90 + 2910 * 3, 6.062),
    ]
