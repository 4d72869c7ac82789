"""The success e-mail's event tracker and filter lines (personalize_pipeline.messages.tracking_lines)."""

from __future__ import annotations

from personalize_pipeline.messages import Line, RunSummary, success_message, tracking_lines

PREFIX = "arn:aws:personalize:us-east-1:123456789012"
TRACKER = {
    "eventTracker": {
        "kind": "eventTracker",
        "arn": f"{PREFIX}:event-tracker/88291ed2",
        "name": "MovieTracker",
        "status": "ACTIVE",
        "action": "created",
        "waitSeconds": 18,
        "waitedSeconds": 18,
        "details": {"trackingId": "0f9b6c3e-2d4a-4e1b-9c7d-5a6b7c8d9e0f"},
    }
}
EXPRESSION = "INCLUDE ItemID WHERE Items.YEAR >= 1970 AND Items.YEAR < 1980"
FILTER = {
    "filter": {
        "kind": "filter",
        "arn": f"{PREFIX}:filter/seventies",
        "name": "seventies",
        "status": "ACTIVE",
        "action": "reused",
        "waitSeconds": 0,
        "waitedSeconds": 0,
        "details": {"filterExpression": EXPRESSION},
    }
}


def test_tracking_lines_tracker_then_filters_with_their_notes() -> None:
    # GIVEN the Map results of one tracker and one filter WHEN turned into e-mail lines
    lines = tracking_lines([TRACKER], [FILTER])
    # THEN the tracker carries its trackingId and the filter its expression
    assert lines == [
        Line(
            "eventTracker",
            "MovieTracker",
            f"{PREFIX}:event-tracker/88291ed2",
            "created",
            "ACTIVE",
            note="trackingId 0f9b6c3e-2d4a-4e1b-9c7d-5a6b7c8d9e0f",
        ),
        Line("filter", "seventies", f"{PREFIX}:filter/seventies", "reused", "ACTIVE", note=f"expression {EXPRESSION}"),
    ]


def test_tracking_lines_none_planned_empty() -> None:
    # GIVEN a run without tracker or filters WHEN turned into lines THEN there are none
    assert tracking_lines([], []) == []


def test_success_message_tracker_and_filter_rows_name_arn_and_note() -> None:
    # GIVEN a summary with the tracker and filter lines WHEN the e-mail is written
    summary = RunSummary("movies", "arn:exec", "us-east-1", tracking_lines([TRACKER], [FILTER]))
    _, body = success_message(summary)
    # THEN each has its row (name, action, note) and its ARN on the next line
    rows = body.splitlines()
    start = rows.index("Resources") + 1
    assert rows[start : start + 4] == [
        "  event tracker       MovieTracker (created) - trackingId 0f9b6c3e-2d4a-4e1b-9c7d-5a6b7c8d9e0f",
        f"                      {PREFIX}:event-tracker/88291ed2",
        f"  filter              seventies (reused) - expression {EXPRESSION}",
        f"                      {PREFIX}:filter/seventies",
    ]
