"""Error names shared by the handlers and the state machine.

The class names are a contract: ``statemachine/pipeline.asl.json`` matches them verbatim in
``ErrorEquals`` (Step Functions sees a Lambda exception under its class name), and a contract test keeps
the two in step. Add a name here before using it in the ASL.
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base class; never raised itself, so the ASL never has to match it."""


class InvalidParameters(PipelineError):
    """params.json or the uploaded data is wrong; raised before any resource is created.

    ``problems`` holds every problem found, each already prefixed with its JSON path or S3 key, so the
    failure e-mail can list them all at once.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} in the parameters or data"
        super().__init__(header + ":\n" + "\n".join(f"- {p}" for p in self.problems))


class ResourceFailed(PipelineError):
    """A Personalize resource reached CREATE FAILED (or its update failed); carries failureReason."""


class ResourceConflict(PipelineError):
    """A resource with the requested name exists but differs in something that cannot be updated."""


class ResourceTimeout(PipelineError):
    """A resource did not become ACTIVE before the deadline for its kind."""


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
