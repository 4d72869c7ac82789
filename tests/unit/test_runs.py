"""One run at a time per dataset group: the verdict of Look for Other Runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from personalize_pipeline.runs import (
    BUSY,
    CLEAR,
    DUPLICATE,
    WAIT,
    Run,
    dataset_group_of_history,
    source_of,
    task_results,
    verdict,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
SOURCE = ("bucket", "params.json", "v1", "0055AED6DCD90281E5")


def run(name: str, seconds: int = 0, group: str | None = "retail-demo", source: tuple = SOURCE) -> Run:
    return Run(f"arn:aws:states:us-east-1:1:execution:p:{name}", T0 + timedelta(seconds=seconds), source, group)


OTHER_UPLOAD = ("bucket", "params.json", "v2", "0055AED6DCD90281F0")


@pytest.mark.parametrize(
    ("others", "expected"),
    [
        ([], (CLEAR, None)),
        ([run("a", 0, source=OTHER_UPLOAD)], (BUSY, run("a").arn)),
        ([run("a", 0)], (DUPLICATE, run("a").arn)),
        ([run("a", 0, group=None, source=OTHER_UPLOAD)], (WAIT, run("a").arn)),
        ([run("a", 0, group="other-group", source=OTHER_UPLOAD)], (CLEAR, None)),
        ([run("z", 20, source=OTHER_UPLOAD)], (CLEAR, None)),  # newer: it defers to this run
        ([run("z", 20)], (CLEAR, None)),  # a newer duplicate ends, this one works
        ([run("a", 0, group=None, source=OTHER_UPLOAD), run("b", 1, source=OTHER_UPLOAD)], (BUSY, run("b").arn)),
        ([run("a", 0, source=OTHER_UPLOAD), run("b", 1)], (DUPLICATE, run("b").arn)),
    ],
    ids=[
        "alone",
        "same-group",
        "same-object",
        "unknown-group",
        "other-group",
        "newer",
        "newer-dup",
        "busy-over-wait",
        "dup-over-busy",
    ],
)
def test_verdict_of_each_situation(others: list[Run], expected: tuple[str, str | None]) -> None:
    assert verdict(run("me", 10), others) == expected


def test_verdict_same_start_time_is_ordered_by_arn_so_exactly_one_goes_on() -> None:
    # GIVEN two uploads of the same group started in the same millisecond
    first, second = run("a", 0, source=OTHER_UPLOAD), run("b", 0)
    # WHEN each looks at the other
    # THEN the one with the smaller ARN goes on and the other is refused
    assert (verdict(first, [first, second]), verdict(second, [first, second])) == ((CLEAR, None), (BUSY, first.arn))


def test_source_of_the_s3_event_names_the_object_write() -> None:
    event = {
        "detail": {"bucket": {"name": "b"}, "object": {"key": "k", "version-id": "v", "sequencer": "s", "etag": "e"}}
    }
    assert source_of(json.dumps(event)) == ("b", "k", "v", "s")


def test_source_of_two_firings_of_one_schedule_differ_by_scheduled_time() -> None:
    # GIVEN two firings of one schedule: same pinned params version, different scheduled times
    def firing(time: str) -> dict:
        return {
            "source": "personalize-pipeline.schedule",
            "detail": {"bucket": {"name": "b"}, "object": {"key": "k", "version-id": "v"}},
            "schedule": {"name": "s-import", "kind": "import", "scheduledTime": time, "executionId": "x"},
        }

    # WHEN their sources are read / THEN neither is taken for a second delivery of the other
    assert source_of(firing("2027-01-01T03:00:00Z")) == ("b", "k", "v", "schedule:s-import@2027-01-01T03:00:00Z")
    assert source_of(firing("2027-01-01T03:00:00Z")) != source_of(firing("2027-01-08T03:00:00Z"))


def test_dataset_group_of_history_reads_the_load_parameters_output() -> None:
    output = json.dumps({"detail": {}, "plan": {"datasetGroup": {"name": "retail-demo"}}})
    events = [
        {"type": "ExecutionStarted"},
        {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Load Parameters"}},
        {"type": "TaskStateExited", "stateExitedEventDetails": {"name": "Load Parameters", "output": output}},
    ]
    assert dataset_group_of_history(events) == "retail-demo"
    assert dataset_group_of_history(events[:2]) is None


def test_task_results_yields_each_succeeded_task_object_in_order_and_skips_the_rest():
    # GIVEN a history with a Lambda task result (Payload), a plain task result, a failure, a non-object
    # result and output that is not JSON
    def succeeded(output: str, kind: str = "TaskSucceeded") -> dict:
        key = "taskSucceededEventDetails" if kind == "TaskSucceeded" else "lambdaFunctionSucceededEventDetails"
        return {"type": kind, key: {"output": output}}

    events = [
        succeeded(json.dumps({"Payload": {"kind": "campaign", "arn": "a"}})),
        {"type": "TaskFailed", "taskFailedEventDetails": {"error": "X"}},
        succeeded(json.dumps({"verdict": "clear"}), "LambdaFunctionSucceeded"),
        succeeded(json.dumps({"Payload": [1, 2]})),
        succeeded("not json"),
        {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Check Campaign"}},
    ]
    # WHEN the task results are read / THEN the two objects come out, in history order
    assert list(task_results(events)) == [{"kind": "campaign", "arn": "a"}, {"verdict": "clear"}]
