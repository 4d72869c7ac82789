"""run_step: the dispatch every handler shares, and the error names it hands to the state machine.

The state machine retries on exception class names (``ThrottlingException``, ``LimitExceededException``),
so these tests check the class name that leaves ``run_step``, not only the message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from personalize_pipeline import errors, steps
from personalize_pipeline.config import MissingSetting, Settings
from personalize_pipeline.errors import TRANSIENT_ERROR_NAMES
from personalize_pipeline.observability import instrumented, metrics
from personalize_pipeline.polling import PollRecord, new_record, next_wait

PREFIX = "arn:aws:personalize:us-east-1:123456789012"
GROUP_ARN = f"{PREFIX}:dataset-group/retail-demo"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def step_environment(monkeypatch: pytest.MonkeyPatch, personalize: Any) -> Iterator[None]:
    """run_step as a handler sees it: the template's ARN prefix set, our Stubber-backed client injected."""
    monkeypatch.setenv("PERSONALIZE_ARN_PREFIX", PREFIX)
    monkeypatch.setattr(steps, "client", lambda service: personalize)
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


def group_record(status: str = "CREATE PENDING", action: str = "created") -> PollRecord:
    return new_record("datasetGroup", GROUP_ARN, "retail-demo", status, action)


class Recorder:
    """An ensure/check function that remembers how it was called and returns a fixed record."""

    def __init__(self, record: PollRecord | None = None, error: Exception | None = None) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.record = record or group_record()
        self.error = error

    def __call__(self, *args: Any) -> PollRecord:
        self.calls.append(args)
        if self.error is not None:
            raise self.error
        return self.record


def describe_then(stubber: Stubber, error_code: str) -> Any:
    """An ensure function that describes the dataset group, which Personalize refuses with ``error_code``."""
    stubber.add_client_error(
        "describe_dataset_group",
        service_error_code=error_code,
        service_message="Rate exceeded",
        expected_params={"datasetGroupArn": GROUP_ARN},
    )

    def ensure_fn(personalize: Any, settings: Settings, event: dict[str, Any]) -> PollRecord:
        personalize.describe_dataset_group(datasetGroupArn=settings.arn("dataset-group", "retail-demo"))
        raise AssertionError("the stub should have raised")

    return ensure_fn


# ----------------------------------------------------------------------------- dispatch
def test_run_step_ensure_passes_client_settings_and_event(personalize: Any) -> None:
    # GIVEN an ensure step event
    event = {"action": "ensure", "datasetGroup": {"name": "retail-demo"}}
    ensure_fn, check_fn = Recorder(), Recorder()
    # WHEN run_step handles it
    result = steps.run_step(event, ensure_fn, check_fn)
    # THEN the ensure function gets the injected client, the settings from the environment and the event,
    # and the record comes back as the plain dict the ASL's ResultSelector reads
    assert ensure_fn.calls == [(personalize, Settings(arn_prefix=PREFIX), event)]
    assert check_fn.calls == []
    assert result == group_record().to_dict()
    assert set(result) == {"kind", "arn", "name", "status", "action", "waitSeconds", "waitedSeconds", "details"}


def test_run_step_ensure_counts_the_action_as_a_metric() -> None:
    # GIVEN an ensure that reuses a dataset group
    # WHEN run_step handles it
    steps.run_step({"action": "ensure"}, Recorder(group_record("ACTIVE", "reused")))
    # THEN one <kind>_<action> count is recorded
    assert metrics.metric_set["datasetGroup_reused"]["Value"] == [1.0]


def test_run_step_uses_the_settings_accessor(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the settings accessor is replaced (the handlers never read os.environ themselves)
    replaced = Settings(arn_prefix="arn:aws-cn:personalize:cn-north-1:123456789012")
    monkeypatch.setattr(steps, "settings", lambda: replaced)
    ensure_fn = Recorder()
    # WHEN an ensure step runs
    steps.run_step({"action": "ensure"}, ensure_fn)
    # THEN the ensure function receives exactly what the accessor returned
    assert ensure_fn.calls[0][1] is replaced


def test_run_step_check_rebuilds_record_and_calls_check_fn(personalize: Any) -> None:
    # GIVEN a check event carrying the previous poll's record, as the ASL passes it
    previous = group_record()
    event = {"action": "check", "resource": previous.to_dict()}
    ensure_fn, check_fn = Recorder(), Recorder(group_record("ACTIVE"))
    # WHEN run_step handles it
    result = steps.run_step(event, ensure_fn, check_fn)
    # THEN the check function gets the record rebuilt as a PollRecord and the whole event
    assert check_fn.calls == [(personalize, Settings(arn_prefix=PREFIX), previous, event)]
    assert ensure_fn.calls == []
    assert result["status"] == "ACTIVE"


def test_run_step_check_default_polls_the_resource(stubber: Stubber) -> None:
    # GIVEN the dataset group is ACTIVE now
    stubber.add_response(
        "describe_dataset_group",
        {
            "datasetGroup": {
                "name": "retail-demo",
                "datasetGroupArn": GROUP_ARN,
                "status": "ACTIVE",
                "creationDateTime": T0,
                "lastUpdatedDateTime": T0,
            }
        },
        {"datasetGroupArn": GROUP_ARN},
    )
    # WHEN a check step runs with the default check
    result = steps.run_step({"action": "check", "resource": group_record().to_dict()}, Recorder())
    # THEN the record reports ACTIVE and the time waited
    assert (result["status"], result["waitedSeconds"]) == ("ACTIVE", next_wait("datasetGroup", 0))


@pytest.mark.parametrize("action", ["create", "Ensure", "", None])
def test_run_step_unknown_action_is_rejected(action: str | None) -> None:
    # GIVEN an event whose action is neither ensure nor check
    ensure_fn, check_fn = Recorder(), Recorder()
    # WHEN run_step handles it
    with pytest.raises(ValueError, match="unknown action") as raised:
        steps.run_step({"action": action}, ensure_fn, check_fn)
    # THEN nothing is called and the message names what the state machine should send
    assert ensure_fn.calls == [] and check_fn.calls == []
    assert "'ensure' or 'check'" in str(raised.value)


def test_run_step_missing_arn_prefix_fails_fast_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the template did not set PERSONALIZE_ARN_PREFIX
    monkeypatch.delenv("PERSONALIZE_ARN_PREFIX")
    ensure_fn = Recorder()
    # WHEN a step runs
    # THEN it fails before any Personalize call, naming the variable
    with pytest.raises(MissingSetting, match="PERSONALIZE_ARN_PREFIX"):
        steps.run_step({"action": "ensure"}, ensure_fn)
    assert ensure_fn.calls == []


# ----------------------------------------------------------------------------- error names
def test_run_step_throttling_client_error_becomes_pipeline_throttling_exception(stubber: Stubber) -> None:
    # GIVEN Personalize throttles past botocore's retries (ThrottlingException is not modelled: a bare ClientError)
    ensure_fn = describe_then(stubber, "ThrottlingException")
    # WHEN the step runs
    with pytest.raises(errors.ThrottlingException) as raised:
        steps.run_step({"action": "ensure"}, ensure_fn)
    # THEN it leaves under the class name the state machine retries on, chained to the original error
    assert type(raised.value).__name__ == "ThrottlingException"
    assert type(raised.value).__name__ in TRANSIENT_ERROR_NAMES
    assert isinstance(raised.value.__cause__, ClientError)
    assert "Rate exceeded" in str(raised.value)


def test_run_step_throttling_during_check_is_translated_too(stubber: Stubber) -> None:
    # GIVEN the poll's describe is throttled
    stubber.add_client_error(
        "describe_dataset_group",
        service_error_code="ThrottlingException",
        service_message="Rate exceeded",
        expected_params={"datasetGroupArn": GROUP_ARN},
    )
    # WHEN a check step runs
    # THEN the state machine sees ThrottlingException and retries the Check
    with pytest.raises(errors.ThrottlingException):
        steps.run_step({"action": "check", "resource": group_record().to_dict()}, Recorder())


def test_run_step_limit_exceeded_passes_through_under_its_own_name(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a quota error, which botocore models as personalize.exceptions.LimitExceededException
    ensure_fn = describe_then(stubber, "LimitExceededException")
    # WHEN the step runs
    with pytest.raises(personalize.exceptions.LimitExceededException) as raised:
        steps.run_step({"action": "ensure"}, ensure_fn)
    # THEN it is not wrapped: Lambda reports its class name, which the ASL's Retry matches
    assert type(raised.value).__name__ == "LimitExceededException"
    assert type(raised.value).__name__ in TRANSIENT_ERROR_NAMES
    assert not isinstance(raised.value, errors.ThrottlingException)


def test_run_step_other_client_error_propagates_unchanged(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a non-transient refusal
    ensure_fn = describe_then(stubber, "InvalidInputException")
    # WHEN the step runs
    # THEN it surfaces as is, for the failure e-mail
    with pytest.raises(personalize.exceptions.InvalidInputException):
        steps.run_step({"action": "ensure"}, ensure_fn)


@pytest.mark.parametrize(
    "error", [errors.ResourceConflict("x"), errors.ResourceFailed("y"), errors.ResourceTimeout("z")]
)
def test_run_step_pipeline_errors_propagate_unchanged(error: errors.PipelineError) -> None:
    # GIVEN the ensure function raises one of the pipeline's own errors
    # WHEN the step runs
    # THEN the same exception leaves, so the ASL's Catch sees its class name
    with pytest.raises(type(error)) as raised:
        steps.run_step({"action": "ensure"}, Recorder(error=error))
    assert raised.value is error


#: What Powertools' inject_lambda_context reads from the runtime's context object.
LAMBDA_CONTEXT = SimpleNamespace(
    function_name="load-parameters",
    function_version="$LATEST",
    memory_limit_in_mb=512,
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:load-parameters",
    aws_request_id="00000000-0000-4000-8000-000000000000",
)


@pytest.mark.parametrize(
    ("code", "raised"), [("ThrottlingException", errors.ThrottlingException), ("AccessDeniedException", ClientError)]
)
def test_instrumented_handler_throttled_past_botocore_raises_the_name_the_asl_retries(
    code: str, raised: type[Exception], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(metrics, "namespace", "PersonalizePipeline")  # the template sets it on Lambda
    # GIVEN a handler outside run_step (e.g. Load Parameters) whose AWS call fails after botocore's retries
    failure = ClientError({"Error": {"Code": code, "Message": "Rate exceeded"}}, "DescribeDatasetGroup")

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise failure

    # WHEN it runs, THEN throttling surfaces as ThrottlingException (same text), anything else unchanged
    with pytest.raises(raised) as caught:
        handler({}, LAMBDA_CONTEXT)
    assert type(caught.value) is raised
    assert str(caught.value) == str(failure)
    # AND the failure is counted in the metrics flushed as the handler ends
    metric = "throttled_past_retries" if code == "ThrottlingException" else "aws_call_errors"
    flushed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [line[metric] for line in flushed if metric in line] == [[1.0]]
