"""The fault x outcome table of README.md, measured by running the pipeline with each fault injected.

    python -m local.fault_matrix            # run every case, print the table
    python -m local.fault_matrix --write    # ... and replace the table in README.md

``tests/e2e/test_faults.py`` runs the same cases and fails when a README row differs from what the run
observed, so the table cannot go stale: change a Retry block or a handler's retry config and the test
prints the row to paste (or run ``--write``).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass

from local.deploy import execution_history
from local.faults import SERVICE_FAULTS
from local.runner import ROOT, LocalPipeline

#: Calls one handler makes before giving up: clients.py asks botocore's standard mode for max_attempts=5,
#: which botocore reads as 5 retries, 6 attempts in all (botocore/args.py).
BOTOCORE_ATTEMPTS = 6
README = ROOT / "README.md"
BEGIN, END = "<!-- fault-table:begin -->", "<!-- fault-table:end -->"
EXAMPLE_DATA = ROOT / "example" / "data"
EXAMPLE_PARAMS = ROOT / "example" / "params.json"


@dataclass(frozen=True)
class Case:
    fault: str
    #: What the fault stands for on AWS.
    meaning: str
    #: The run's expected status: the test asserts it before comparing the row.
    expected: str


CASES: tuple[Case, ...] = (
    Case("throttle:CreateSolutionVersion:2", "Personalize throttles twice", "SUCCEEDED"),
    Case("throttle:DescribeDatasetGroup:7", "Personalize throttles 7 calls in a row", "SUCCEEDED"),
    Case("limit:CreateSolutionVersion:8", "a quota is full for 8 calls (e.g. running trainings)", "SUCCEEDED"),
    Case("unavailable:CreateSolution:3", "HTTP 503 three times", "SUCCEEDED"),
    Case("internal:CreateDatasetGroup:2", "HTTP 500 twice", "SUCCEEDED"),
    Case("internal:CreateDatasetGroup:6", "HTTP 500 on 6 calls in a row (an outage)", "FAILED"),
    Case("lambda-service:DatasetGroupFunction:2", "Lambda's Invoke API fails twice (500)", "SUCCEEDED"),
    Case("lambda-throttle:SolutionFunction:3", "Lambda throttles the invoke 3 times (429)", "SUCCEEDED"),
    Case("lambda-service:LoadParametersFunction:7", "Lambda's Invoke API fails 7 times in a row", "FAILED"),
    Case("lambda-timeout:CampaignFunction:1", "the handler runs past its Timeout once", "FAILED"),
)

HEADER = (
    "| Fault (`--fault`) | Stands for | Retried by | Run | E-mail (subject; cause of a failure) |",
    "|---|---|---|---|---|",
)


@dataclass(frozen=True)
class Outcome:
    case: Case
    status: str
    #: Faults consumed by the run: every one must have been hit for the row to mean anything.
    injected: int
    #: Step Functions Retry attempts taken, by error name.
    state_retries: dict[str, int]
    subject: str
    #: The first line of the cause a failure e-mail gives ("" for a success).
    cause: str = ""

    def retried_by(self) -> str:
        parts = []
        if self.case.fault.split(":")[0] in SERVICE_FAULTS:
            # every faulted call was retried by botocore, except the last of each handler that gave up
            failed_attempts = sum(self.state_retries.values()) + (1 if self.status == "FAILED" else 0)
            in_handler = self.injected - failed_attempts
            if in_handler > 0:
                parts.append(f"botocore in the handler ({in_handler}x)")
        for error, count in sorted(self.state_retries.items()):
            parts.append(f"Step Functions Retry on `{error}` ({count}x)")
        return ", ".join(parts) or "not retried"

    def row(self) -> str:
        email = self.subject if not self.cause else f"{self.subject}; cause: {self.cause}"
        return f"| `{self.case.fault}` | {self.case.meaning} | {self.retried_by()} | {self.status} | {email} |"


def observe(pipeline: LocalPipeline, case: Case) -> Outcome:
    """Run the example on a fresh emulator with ``case``'s fault injected; what happened."""
    pipeline.emulator.reset()
    pipeline.inject([case.fault])
    result = pipeline.run(EXAMPLE_PARAMS)
    failed_tasks: dict[str, int] = {}
    history = execution_history(result.executionArn)
    for event in history:
        if event["type"] == "TaskFailed":
            error = event["taskFailedEventDetails"].get("error", "")
            failed_tasks[error] = failed_tasks.get(error, 0) + 1
    if result.status == "FAILED":  # the last failed attempt was caught, not retried
        last = next(e for e in reversed(history) if e["type"] == "TaskFailed")["taskFailedEventDetails"]["error"]
        failed_tasks[last] -= 1
    subject = result.notification["subject"] if result.notification else "(none)"
    cause = ""
    if result.notification and result.status == "FAILED":
        lines = result.notification["message"].splitlines()
        cause = lines[lines.index("Cause:") + 1].strip() if "Cause:" in lines else ""
        # request ids differ between runs; the table keeps the rest of the cause verbatim
        cause = re.sub(r"(Request ?ID: )[^;\s]+", r"\1<id>", cause, flags=re.I)
    return Outcome(
        case=case,
        status=result.status,
        injected=sum(pipeline.faults.injected.values()),
        state_retries={error: count for error, count in failed_tasks.items() if count},
        subject=subject,
        cause=cause,
    )


def run_all() -> list[Outcome]:
    with LocalPipeline() as pipeline:
        pipeline.upload_data(EXAMPLE_DATA)
        return [observe(pipeline, case) for case in CASES]


def render(rows: list[str]) -> str:
    return "\n".join([*HEADER, *rows])


def readme_rows(text: str | None = None) -> list[str]:
    """The table rows between the markers of README.md."""
    text = README.read_text() if text is None else text
    match = re.search(re.escape(BEGIN) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    if match is None:
        raise ValueError(f"README.md has no {BEGIN} ... {END} section")
    return [line for line in match.group(1).splitlines() if line.startswith("| `")]


def write_readme(rows: list[str]) -> None:
    text = README.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    README.write_text(text[:start] + "\n" + render(rows) + "\n" + text[end:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.fault_matrix", description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace the table in README.md")
    args = parser.parse_args(argv)
    outcomes = run_all()
    rows = [o.row() for o in outcomes]
    print(render(rows))
    wrong = [o for o in outcomes if o.status != o.case.expected]
    for outcome in wrong:
        print(f"{outcome.case.fault}: expected {outcome.case.expected}, got {outcome.status}", file=sys.stderr)
    if args.write:
        write_readme(rows)
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
