"""Blast radius (issue 7 item 4): the deployed roles may create only what carries the stack tag, and may
modify or build on only what already carries it; the local IAM reads aws:ResourceTag from the emulator."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from local import iam
from local.clock import SimClock
from local.deploy import DEFAULT_STACK_NAME, REGION, Stack, deploy_stack, local_cloud
from local.iam.policies import Caller
from local.iam.resolver import Check, checks_for
from local.personalize import PersonalizeEmulator, Timeline, install, uninstall
from local.runner import ROOT

ACCOUNT = "123456789012"
PZ = f"arn:aws:personalize:{REGION}:{ACCOUNT}"
OURS = [{"tagKey": "personalize-pipeline:stack", "tagValue": DEFAULT_STACK_NAME}]
THEIRS = [{"tagKey": "personalize-pipeline:stack", "tagValue": "another-stack"}]


@pytest.fixture
def stack() -> Iterator[Stack]:
    clock = SimClock()
    with local_cloud(clock):
        install(PersonalizeEmulator(clock, Timeline.instant()))
        try:
            yield deploy_stack(ROOT / "template.yaml", {"Email": "a@example.com"})
        finally:
            uninstall()


def as_function(stack: Stack, logical_id: str) -> Caller:
    return Caller.for_role(f"arn:aws:iam::{ACCOUNT}:role/{stack.physical_ids[f'{logical_id}Role']}", logical_id)


def denied(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    error = excinfo.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    return error["Message"]


def group(name: str, tags: list[dict[str, str]] | None = None) -> str:
    """A dataset group made by the administrator (no caller), e.g. another team's."""
    return boto3.client("personalize").create_dataset_group(name=name, **({"tags": tags} if tags else {}))[
        "datasetGroupArn"
    ]


def test_resolver_resource_tag_is_read_per_resource_at_request_time() -> None:
    # GIVEN a tag reader that knows the dataset group's tags only
    tags = {f"{PZ}:dataset-group/g": {"personalize-pipeline:stack": "s"}}
    params = {"name": "d", "schemaArn": f"{PZ}:schema/x", "datasetGroupArn": f"{PZ}:dataset-group/g"}
    params |= {"datasetType": "Users", "tags": OURS}
    # WHEN the checks of CreateDataset are resolved
    checks = checks_for("personalize", "CreateDataset", params, REGION, ACCOUNT, tags.get)
    # THEN the new dataset has request tags only; the parent also carries its own resource tags
    request = {
        "aws:TagKeys": ["personalize-pipeline:stack"],
        "aws:RequestTag/personalize-pipeline:stack": "personalize-pipeline",
    }
    assert checks == [
        Check("personalize:CreateDataset", f"{PZ}:dataset/g/USERS", request),
        Check(
            "personalize:CreateDataset",
            f"{PZ}:dataset-group/g",
            {**request, "aws:ResourceTag/personalize-pipeline:stack": "s"},
        ),
        Check("personalize:TagResource", f"{PZ}:dataset/g/USERS", request),
    ]


@pytest.mark.parametrize(
    ("tags", "allowed"), [(None, False), (THEIRS, False), (OURS, True)], ids=["untagged", "other-stack", "own"]
)
def test_create_dataset_group_needs_the_stack_request_tag(
    stack: Stack, tags: list[dict[str, str]] | None, allowed: bool
) -> None:
    # GIVEN the dataset group function's role
    personalize = boto3.client("personalize")
    request = {"name": "g", **({"tags": tags} if tags else {})}
    # WHEN it creates a dataset group with or without this stack's tag
    with iam.acting_as(as_function(stack, "DatasetGroupFunction")):
        if allowed:
            personalize.create_dataset_group(**request)
        else:
            with pytest.raises(ClientError) as excinfo:
                personalize.create_dataset_group(**request)
    # THEN only a creation tagged with this stack is allowed
    if not allowed:
        assert f"personalize:CreateDatasetGroup on resource: {PZ}:dataset-group/g" in denied(excinfo)
    assert [(e.action, e.allowed) for e in iam.ledger().entries] == [("personalize:CreateDatasetGroup", allowed)] + (
        [("personalize:TagResource", True)] if allowed else []
    )


@pytest.mark.parametrize(
    ("group_tags", "allowed"), [(None, False), (THEIRS, False), (OURS, True)], ids=["untagged", "other-stack", "own"]
)
def test_create_dataset_needs_a_parent_group_of_this_stack(
    stack: Stack, group_tags: list[dict[str, str]] | None, allowed: bool
) -> None:
    # GIVEN a dataset group with or without this stack's tag
    group_arn = group("g", group_tags)
    personalize = boto3.client("personalize")
    request = {"name": "d", "schemaArn": f"{PZ}:schema/s", "datasetGroupArn": group_arn, "datasetType": "Users"}
    # WHEN the dataset function creates a tagged dataset in it
    with iam.acting_as(as_function(stack, "DatasetFunction")), pytest.raises(ClientError) as excinfo:
        personalize.create_dataset(**request, tags=OURS)
    # THEN a group this stack did not create is refused by IAM, naming it; in its own group the request passes
    # IAM and reaches the service (which answers that the new group is not ACTIVE yet)
    if allowed:
        assert excinfo.value.response["Error"]["Code"] == "ResourceInUseException"
    else:
        assert f"personalize:CreateDataset on resource: {group_arn}" in denied(excinfo)
    decision = next(e for e in iam.ledger().entries if e.resource == group_arn)
    assert decision.allowed is allowed


def test_create_solution_in_a_foreign_group_is_denied(stack: Stack) -> None:
    # GIVEN another team's dataset group
    group_arn = group("theirs")
    # WHEN the solution function creates a tagged solution in it
    with iam.acting_as(as_function(stack, "SolutionFunction")), pytest.raises(ClientError) as excinfo:
        boto3.client("personalize").create_solution(
            name="s", datasetGroupArn=group_arn, recipeArn="arn:aws:personalize:::recipe/aws-sims", tags=OURS
        )
    # THEN IAM refuses it on the parent group
    assert f"personalize:CreateSolution on resource: {group_arn}" in denied(excinfo)


def test_load_parameters_may_read_foreign_resources_but_not_change_them(stack: Stack) -> None:
    # GIVEN another team's dataset group
    group_arn = group("theirs")
    personalize = boto3.client("personalize")
    # WHEN Load Parameters reads it and its tags (to name it in the refusal), then tries to tag it
    with iam.acting_as(as_function(stack, "LoadParametersFunction")):
        personalize.describe_dataset_group(datasetGroupArn=group_arn)
        assert personalize.list_tags_for_resource(resourceArn=group_arn)["tags"] == []
        with pytest.raises(ClientError) as excinfo:
            personalize.tag_resource(resourceArn=group_arn, tags=OURS)
    # THEN reading is allowed, adopting is not
    assert f"personalize:TagResource on resource: {group_arn}" in denied(excinfo)
