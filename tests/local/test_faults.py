"""Fault injection (local/faults.py): the specification, the wire format the SDK sees, and the Lambda faults."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from test_patches import _function, _invoke

from local.clock import SimClock
from local.deploy import LocalCloud, local_cloud
from local.fault_matrix import CASES, readme_rows
from local.faults import Fault, FaultError, FaultPlan
from local.personalize.testing import Sandbox, client_error, sandbox


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with local_cloud(SimClock()) as opened:
        yield opened


def faulty_box(monkeypatch: pytest.MonkeyPatch, *faults: str) -> Iterator[Sandbox]:
    return sandbox(monkeypatch, faults=FaultPlan(Fault.parse(f) for f in faults))


# --- the specification --------------------------------------------------------------------------------


def test_fault_parse_kind_target_count_defaults_to_one() -> None:
    assert Fault.parse("throttle:CreateSolution") == Fault("throttle", "CreateSolution", 1)
    assert Fault.parse("lambda-timeout:CampaignFunction:3") == Fault("lambda-timeout", "CampaignFunction", 3)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("throttle", "expected KIND:TARGET[:COUNT]"),
        ("throttle:CreateSolution:0", "COUNT must be a positive whole number, not '0'"),
        ("throttle:CreateSolution:x", "COUNT must be a positive whole number, not 'x'"),
        ("throtle:CreateSolution", "unknown fault kind 'throtle'; did you mean 'throttle'?"),
        (
            "throttle:CreateSolutions",
            "'CreateSolutions' is not a Personalize operation the emulator serves; did you mean 'CreateSolution'?",
        ),
    ],
)
def test_fault_parse_bad_specification_names_the_mistake(text: str, complaint: str) -> None:
    with pytest.raises(FaultError) as raised:
        Fault.parse(text)
    assert complaint in str(raised.value)


def test_fault_plan_lambda_target_not_in_template_is_refused_with_the_choices() -> None:
    plan = FaultPlan([Fault.parse("lambda-service:NoSuchFunction")])
    with pytest.raises(FaultError) as raised:
        plan.retarget({"CampaignFunction": "stack-CampaignFunction-1"})
    assert str(raised.value) == "no function NoSuchFunction in the template; choose from CampaignFunction"


# --- Personalize faults on the wire -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("throttle", 400, "ThrottlingException"),
        ("limit", 400, "LimitExceededException"),
        ("unavailable", 503, "ServiceUnavailable"),
        ("internal", 500, "InternalFailure"),
    ],
)
def test_service_fault_answers_with_the_json_protocol_error_then_serves_again(
    monkeypatch: pytest.MonkeyPatch, kind: str, status: int, code: str
) -> None:
    # GIVEN one fault on CreateDatasetGroup, and a client that does not retry
    with faulty_box(monkeypatch, f"{kind}:CreateDatasetGroup") as box:
        # WHEN the call is made twice
        with pytest.raises(ClientError) as raised:
            box.personalize.create_dataset_group(name="dg")
        # THEN the first gets the fault's status and code, and nothing was created; the second succeeds
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
        assert raised.value.response["Error"]["Code"] == code
        assert box.emulator.inventory()["datasetGroups"] == []
        box.personalize.create_dataset_group(name="dg")
        assert box.emulator.faults.injected == {(kind, "CreateDatasetGroup"): 1}


@pytest.mark.parametrize("kind", ["throttle", "limit", "unavailable", "internal"])
def test_service_fault_is_retried_by_botocore_standard_mode_on_the_simulated_clock(
    monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # GIVEN 5 faults on an operation and the handlers' client config (standard mode, max_attempts=5)
    with faulty_box(monkeypatch, f"{kind}:ListDatasetGroups:5") as box:
        client = boto3.client("personalize", config=Config(retries={"mode": "standard", "max_attempts": 5}))
        from local.patches import install_patches, uninstall_patches

        install_patches(box.clock)
        try:
            # WHEN it is called once
            client.list_dataset_groups()
        finally:
            uninstall_patches()
        # THEN botocore's 5 retries absorbed all 5 faults, waiting on the simulated clock
        assert box.emulator.faults.injected == {(kind, "ListDatasetGroups"): 5}
        assert box.clock.now() > 0


def test_service_fault_counts_only_its_operation(monkeypatch: pytest.MonkeyPatch) -> None:
    with faulty_box(monkeypatch, "throttle:DescribeDatasetGroup:2") as box:
        box.personalize.create_dataset_group(name="dg")
        code, _ = client_error(
            lambda: (
                box.personalize.list_dataset_groups()
                and box.personalize.describe_dataset_group(
                    datasetGroupArn="arn:aws:personalize:us-east-1:123456789012:dataset-group/dg"
                )
            )
        )
        assert code == "ThrottlingException"
        assert box.emulator.faults.pending() == {("throttle", "DescribeDatasetGroup"): 1}


# --- Lambda faults ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [("lambda-service", 500, "ServiceException"), ("lambda-throttle", 429, "TooManyRequestsException")],
)
def test_lambda_api_fault_refuses_the_invoke_and_never_runs_the_handler(
    cloud: LocalCloud, kind: str, status: int, code: str
) -> None:
    # GIVEN a function with one Invoke API fault
    _function(cloud, "alpha-fn")
    cloud.runtime.faults = FaultPlan([Fault(kind, "alpha-fn")])
    # WHEN it is invoked by a client that does not retry (as Step Functions' own Lambda client)
    lambda_client = boto3.client("lambda", config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
    with pytest.raises(ClientError) as raised:
        lambda_client.invoke(FunctionName="alpha-fn", Payload=b"{}")
    # THEN the Invoke API answers the fault (Step Functions reports it as Lambda.<code>) and no invocation ran
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert raised.value.response["Error"]["Code"] == code
    assert cloud.runtime.invocations == 0
    # AND the next invoke runs
    assert _invoke("alpha-fn", {})[1] is None


def test_lambda_timeout_fault_returns_sandbox_timedout_after_the_function_timeout(cloud: LocalCloud) -> None:
    # GIVEN a function (Timeout 60 s) with one timeout fault
    _function(cloud, "alpha-fn")
    cloud.runtime.faults = FaultPlan([Fault("lambda-timeout", "alpha-fn")])
    before = cloud.clock.now()
    # WHEN it is invoked
    payload, error = _invoke("alpha-fn", {})
    # THEN the runtime's timeout payload comes back, and the invocation took the Timeout (plus its 1 s)
    assert error == "Unhandled"
    assert payload["errorType"] == "Sandbox.Timedout"
    assert payload["errorMessage"] == f"RequestId: {payload['requestId']} Error: Task timed out after 60.00 seconds"
    assert cloud.clock.now() - before == 61.0
    assert json.loads(json.dumps(payload))["stackTrace"] == []


# --- the README table ---------------------------------------------------------------------------------


def test_readme_fault_table_has_one_row_per_case_in_order() -> None:
    # The e2e test (tests/e2e/test_faults.py) checks each row's content against a real run.
    assert [row.split("`")[1] for row in readme_rows()] == [case.fault for case in CASES]
