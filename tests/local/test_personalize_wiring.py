"""The moto wiring and the service model: operations, response shapes, validation patterns, timelines."""

from __future__ import annotations

import datetime

import pytest

from local.personalize import OPERATIONS, Phase, Timeline
from local.personalize.ops import HANDLERS
from local.personalize.responses import shape_output
from local.personalize.testing import Sandbox
from local.personalize.timeline import ACTIVE, CREATE_PENDING, Lifecycle
from local.personalize.validation import compile_pattern, service_model


def test_operations_each_in_service_model_and_implemented() -> None:
    # GIVEN the operations the emulator claims
    model_operations = set(service_model().operation_names)

    # WHEN / THEN each is a real Personalize operation with an implementation
    for operation in OPERATIONS:
        assert operation in model_operations, operation
        assert callable(HANDLERS.get(operation)), operation


def test_shape_output_unknown_key_is_refused_as_emulator_bug() -> None:
    # GIVEN the DescribeDataset output shape and a body with a key the model lacks
    shape = service_model().operation_model("DescribeDataset").output_shape
    body = {"dataset": {"name": "d", "failureReason": "datasets have no top-level failureReason"}}

    # WHEN / THEN shaping refuses it rather than putting it on the wire
    with pytest.raises(AssertionError, match="failureReason"):
        shape_output(shape, body)


def test_shape_output_none_values_are_dropped() -> None:
    # GIVEN / WHEN a body with absent optional members
    shape = service_model().operation_model("DescribeDatasetGroup").output_shape
    shaped = shape_output(shape, {"datasetGroup": {"name": "g", "roleArn": None, "failureReason": None}})

    # THEN they are omitted, as AWS omits them
    assert shaped == {"datasetGroup": {"name": "g"}}


def test_describe_every_resource_parses_with_botocore_datetimes(box: Sandbox) -> None:
    # GIVEN one of every resource
    arns = box.trained()
    campaign = box.personalize.create_campaign(name="c", solutionVersionArn=arns["solutionVersionArn"])["campaignArn"]
    p = box.personalize
    described = [
        p.describe_dataset_group(datasetGroupArn=arns["datasetGroupArn"])["datasetGroup"],
        p.describe_dataset(datasetArn=arns["datasetArn"])["dataset"],
        p.describe_dataset_import_job(datasetImportJobArn=arns["datasetImportJobArn"])["datasetImportJob"],
        p.describe_solution(solutionArn=arns["solutionArn"])["solution"],
        p.describe_solution_version(solutionVersionArn=arns["solutionVersionArn"])["solutionVersion"],
        p.describe_campaign(campaignArn=campaign)["campaign"],
    ]
    schema_arn = p.describe_dataset(datasetArn=arns["datasetArn"])["dataset"]["schemaArn"]
    described.append(p.describe_schema(schemaArn=schema_arn)["schema"])

    # WHEN / THEN botocore parsed the timestamps into datetimes, at simulated times
    for resource in described:
        for key in ("creationDateTime", "lastUpdatedDateTime"):
            assert isinstance(resource[key], datetime.datetime)
            assert resource[key].timestamp() >= box.clock.epoch
    assert described[3]["latestSolutionVersion"]["solutionVersionArn"] == arns["solutionVersionArn"]


def test_list_every_kind_uses_the_model_result_key(box: Sandbox) -> None:
    # GIVEN one of every resource
    arns = box.trained()
    p = box.personalize

    # WHEN each list is called
    lists = {
        "datasetGroups": p.list_dataset_groups(),
        "schemas": p.list_schemas(),
        "datasets": p.list_datasets(datasetGroupArn=arns["datasetGroupArn"]),
        "datasetImportJobs": p.list_dataset_import_jobs(datasetArn=arns["datasetArn"]),
        "solutions": p.list_solutions(datasetGroupArn=arns["datasetGroupArn"]),
        "solutionVersions": p.list_solution_versions(solutionArn=arns["solutionArn"]),
    }

    # THEN each has one summary under its key and no nextToken
    for key, response in lists.items():
        assert len(response[key]) == 1, key
        assert "nextToken" not in response
    assert lists["solutions"]["solutions"][0]["recipeArn"].endswith("/aws-user-personalization")
    assert lists["solutionVersions"]["solutionVersions"][0]["trainingType"] == "MANUAL"


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        (r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$", "Team A/ü 9", True),
        (r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$", "a&b", False),
        (r"\p{ASCII}{0,1500}", "token==", True),
        (r"\p{ASCII}{0,1500}", "tökén", False),
        (r"rate\(\d+ days?\)", "rate(1 day)", True),
        (r"rate\(\d+ days?\)", "rate(1 hour)", False),
        (r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*", "-leading-dash", False),
    ],
)
def test_compile_pattern_java_classes_translated_for_full_match(pattern: str, value: str, matches: bool) -> None:
    # GIVEN / WHEN a model pattern (Java syntax) is compiled
    compiled = compile_pattern(pattern)

    # THEN it matches whole values as the service does
    assert bool(compiled.fullmatch(value)) is matches


def test_lifecycle_observer_behind_creation_time_sees_first_state() -> None:
    # GIVEN a lifecycle created at t=100
    lifecycle = Lifecycle.create(100, Phase(10, 10))

    # WHEN observed from a thread whose clock lags behind
    snapshot = lifecycle.at(50)

    # THEN the resource exists in its first state
    assert (snapshot.status, snapshot.since) == (CREATE_PENDING, 100)


def test_lifecycle_zero_length_phase_is_active_at_once() -> None:
    # GIVEN / WHEN a step with no duration
    snapshot = Lifecycle.create(100, Phase(0, 0)).at(100)

    # THEN it is ACTIVE immediately
    assert snapshot.status == ACTIVE


def test_timeline_missing_step_is_refused() -> None:
    # GIVEN / WHEN / THEN a custom timeline that forgets a step fails at construction
    instant = Timeline.instant()
    with pytest.raises(ValueError, match="missing"):
        Timeline(create={"dataset": Phase(1, 1)}, update=instant.update, delete=instant.delete)


def test_sandbox_client_quota_error_is_not_retried(box: Sandbox) -> None:
    # GIVEN the sandbox client and five dataset groups (the quota)
    for n in range(5):
        box.personalize.create_dataset_group(name=f"dg{n}")

    # WHEN a sixth is refused
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as raised:
        box.personalize.create_dataset_group(name="dg5")

    # THEN botocore made a single attempt: no retry, so no real back-off sleep in the tests
    assert raised.value.response["Error"]["Code"] == "LimitExceededException"
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert box.personalize.meta.config.retries["total_max_attempts"] == 1
