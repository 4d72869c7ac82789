"""Injected faults end to end: transient ones are retried and the run succeeds, the others fail with an
e-mail naming the state, the error and the cause; README's fault table is what these runs observe."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.fault_matrix import CASES, Case, observe, readme_rows
from local.runner import LocalPipeline

from .conftest import EXAMPLE_DATA

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pipeline() -> Iterator[LocalPipeline]:
    """One deployed stack for every case: ``observe`` empties the emulator before each run."""
    with LocalPipeline() as opened:
        opened.upload_data(EXAMPLE_DATA)
        yield opened


@pytest.mark.parametrize("case", CASES, ids=[case.fault for case in CASES])
def test_fault_injected_into_the_example_run_has_the_readme_outcome(pipeline: LocalPipeline, case: Case) -> None:
    # GIVEN the example data and params, and the case's fault
    # WHEN the pipeline runs with it
    outcome = observe(pipeline, case)
    # THEN every injected fault was hit, the run ends as expected, and README's row says what happened
    assert outcome.injected == int(case.fault.rsplit(":", 1)[1])
    assert outcome.status == case.expected
    assert outcome.subject.startswith(
        "Personalize pipeline succeeded" if case.expected == "SUCCEEDED" else "Personalize pipeline FAILED at "
    )
    rows = {row.split("`")[1]: row for row in readme_rows()}
    assert rows.get(case.fault) == outcome.row(), (
        "README.md's fault table is stale; run `python -m local.fault_matrix --write`, or paste:\n" + outcome.row()
    )
