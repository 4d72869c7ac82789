"""Time to a live campaign on the typical timeline: the poll schedule through the real ASL and handlers."""

from __future__ import annotations

from pathlib import Path

from local.bench import targets, typical_runs


def test_typical_runs_history_cuts_polls_and_every_target_is_met(tmp_path: Path) -> None:
    # GIVEN the typical timeline: a first run, new interactions with every duration 10 % longer, then the
    # same upload again
    # WHEN the three runs go through the deployed pipeline
    figures = typical_runs(tmp_path)
    # THEN the first run polls on the documented ranges; the repeat run learns from the first (import
    # scaled by its bytes, training, campaign), so it checks far less; the re-upload does nothing
    assert (figures["firstRun"]["polls"], figures["repeatRun"]["polls"]) == (67, 19)
    assert (figures["firstRun"]["criticalPathSeconds"], figures["repeatRun"]["criticalPathSeconds"]) == (4260, 4585.8)
    # (12 s: the data values are checked again on every upload, one Lambda per file then one summary, and
    # Look for Other Runs and Apply Schedules are one more Lambda invocation each)
    assert figures["unchangedReupload"] == {"imports": 0, "solutionVersions": 0, "seconds": 12.0}
    # AND every target of issue 10 is met
    assert all(targets(figures).values()), targets(figures)
