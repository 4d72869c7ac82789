"""Error names shared by the handlers and the state machine.

The class names are a contract: ``statemachine/pipeline.asl.json`` matches them verbatim in
``ErrorEquals`` (Step Functions sees a Lambda exception under its class name), and a contract test keeps
the two in step. Add a name here before using it in the ASL.
"""

from __future__ import annotations

import re


class PipelineError(Exception):
    """Base class; never raised itself, so the ASL never has to match it."""


class InvalidParameters(PipelineError):
    """params.json or the uploaded data is wrong; raised before any resource is created.

    ``problems`` holds every problem found, each already prefixed with its JSON path or S3 key. The
    message (what Step Functions passes on as the error's Cause, and the failure e-mail shows) carries
    the first :data:`SHOWN_PROBLEMS` of them, each cut to :data:`PROBLEM_CHARS`, and says how many more
    there are: thousands of problems, or one echoing a megabyte of input, must not push the Cause past
    Step Functions' payload limit (256 KB, ``States.DataLimitExceeded``), which no Catch of ours could
    then turn into an e-mail. The handler logs the full list.

    ``dataset_group`` is the dataset group name params.json gave, when it is a valid one: the failure
    e-mail names it (the last line of the message, read back by :func:`dataset_group_of`).
    """

    def __init__(self, problems: list[str], *, dataset_group: str | None = None) -> None:
        # A lone UTF-16 surrogate from the user's JSON cannot be encoded as UTF-8: not in a log line, the
        # Lambda error payload nor an e-mail. Each problem holds U+FFFD in its place from here on.
        self.problems = [_SURROGATE.sub("\ufffd", problem) for problem in problems]
        self.dataset_group = dataset_group
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} in the parameters or data"
        lines = [f"- {shorten_problem(p)}" for p in self.problems[:SHOWN_PROBLEMS]]
        if count > SHOWN_PROBLEMS:
            lines.append(f"... and {count - SHOWN_PROBLEMS} more (the Load Parameters log lists all {count})")
        if dataset_group:
            lines.append(f"{DATASET_GROUP_LINE}{dataset_group}")
        super().__init__(header + ":\n" + "\n".join(lines))


_SURROGATE = re.compile("[\ud800-\udfff]")
#: How many problems the message shows, and how long each may be: about 60 KB at most.
SHOWN_PROBLEMS = 50
PROBLEM_CHARS = 1000
#: Prefix of the message's last line naming the dataset group (a valid name: no line break, no space).
DATASET_GROUP_LINE = "Dataset group in the parameters: "


def shorten_problem(problem: str) -> str:
    if len(problem) <= PROBLEM_CHARS:
        return problem
    return f"{problem[: PROBLEM_CHARS - 40]}... ({len(problem) - PROBLEM_CHARS + 40} more characters)"


def dataset_group_of(message: str) -> str:
    """The dataset group an :class:`InvalidParameters` message names, or "" when it names none."""
    last = message.rstrip("\n").rsplit("\n", 1)[-1]
    name = last.removeprefix(DATASET_GROUP_LINE)
    return name if name != last and name and " " not in name else ""


class ResourceFailed(PipelineError):
    """A Personalize resource reached CREATE FAILED (or its update failed); carries failureReason."""


class ResourceConflict(PipelineError):
    """A resource with the requested name exists but differs in something that cannot be updated."""


class ResourceTimeout(PipelineError):
    """A resource did not become ACTIVE before the deadline for its kind."""


class RunInProgress(PipelineError):
    """Another execution is already working on the same dataset group; this upload is refused."""


class NotCreatedByStack(PipelineError):
    """A teardown named a dataset group this stack did not create (no stack tag, or another stack's)."""


class ThrottlingException(PipelineError):
    """Personalize throttled a call past botocore's own retries; the state machine retries it."""


class LimitExceededException(PipelineError):
    """A Personalize quota (e.g. 5 concurrent imports) was hit; the state machine retries it."""


#: Names the state machine catches or retries explicitly, in the order the ASL lists them.
PIPELINE_ERRORS: tuple[type[PipelineError], ...] = (
    InvalidParameters,
    ResourceFailed,
    ResourceConflict,
    ResourceTimeout,
    RunInProgress,
    NotCreatedByStack,
    ThrottlingException,
    LimitExceededException,
)

#: Errors worth retrying with backoff: throttles and quota waits, never bad input.
TRANSIENT_ERROR_NAMES: tuple[str, ...] = (ThrottlingException.__name__, LimitExceededException.__name__)

#: Lambda service errors the ASL retries on every Task.
LAMBDA_TRANSIENT_ERROR_NAMES: tuple[str, ...] = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)
