"""IAM proof in the local cloud: every grant of the template is used, and the parent grants are needed.

The local cloud authorizes every call a function or the state machine makes against its role as deployed
(local.iam) and records each decision. A run of the real pipeline through its main paths (tagged first
run, new data, a changed Users schema, two uploads at once, invalid params, teardowns) must use every action the
template grants, on a resource the granting statement names; and removing any one of the parent-resource
grants must stop the pipeline with AccessDeniedException naming the action and the resource.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.iam.models import iam_backends
from samtranslator.yaml_helper import yaml_parse

from local import iam
from local.deploy import wait_for_execution
from local.iam.policies import statement_effect, statements_of
from local.runner import ROOT, TEMPLATE, LocalPipeline
from personalize_pipeline.naming import schedule_name
from tests.iam_facts import LOG_DELIVERY_ACTIONS

from . import ecommerce
from .conftest import EXAMPLE_DATA, EXAMPLE_PARAMS
from .teardown import run_teardown, start_teardown

pytestmark = pytest.mark.e2e

ACCOUNT, REGION = "123456789012", "us-east-1"
PERSONALIZE = f"arn:aws:personalize:{REGION}:{ACCOUNT}"
TAGS = [{"tagKey": "project", "tagValue": "retail-demo"}]

#: Granted actions no local run can exercise: log delivery (see tests/iam_facts.py for the reason).
NOT_EXERCISED = LOG_DELIVERY_ACTIONS


@dataclass(frozen=True)
class Proof:
    entries: list[iam.Entry]
    physical_ids: dict[str, str]
    #: role ARN -> the statements of its inline policies, as deployed
    inline: dict[str, list[dict[str, Any]]]


#: A filter and a tracker in the params: the first run creates them, the next ones find and reuse them (Load
#: Parameters checks who owns them, the steps compare them).
FILTER = {"name": "retail-demo-women", "filterExpression": 'INCLUDE UserID WHERE Users.GENDER IN ("F")'}
TRACKER = {"name": "retail-demo-tracker"}


def tagged_params() -> dict[str, Any]:
    params = json.loads(EXAMPLE_PARAMS.read_text())
    for spec in (params["datasetGroup"], *params["datasets"].values(), params["solution"], params["campaign"]):
        spec["tags"] = TAGS
    params["filters"] = [FILTER]
    params["eventTracker"] = TRACKER
    return params


def empty_bucket(bucket: str) -> None:
    s3 = boto3.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])


def batch_params(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` in the list spelling, its solution running a batch inference job, plus an Item-Affinity
    solution running a batch segment job."""
    params = copy.deepcopy(params)
    solution, campaign = params.pop("solution"), params.pop("campaign")
    inference = {"jobInput": {"s3DataSource": {"path": "batch-input/users.json"}}, "tags": TAGS}
    segment = {"jobInput": {"s3DataSource": {"path": "batch-input/items.json"}}, "tags": TAGS}
    affinity = {"name": "retail-item-affinity", "recipeArn": "arn:aws:personalize:::recipe/aws-item-affinity"}
    params["solutions"] = [
        {**solution, "campaigns": [campaign], "batchInferenceJobs": [inference]},
        {**affinity, "tags": TAGS, "batchSegmentJobs": [segment]},
    ]
    return params


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=1))
    return path


@pytest.fixture(scope="module")
def exercised(tmp_path_factory: pytest.TempPathFactory) -> Proof:
    """One deployed pipeline through its main paths: every IAM decision, and the roles' inline policies."""
    tmp = tmp_path_factory.mktemp("iam-proof")
    with LocalPipeline() as pipeline:
        pipeline.upload_data(EXAMPLE_DATA)
        # a first run with tags on every resource that takes them: creates and tags everything, and creates the
        # dataset group's schedules (passing SchedulerRole to Scheduler)
        params = tagged_params()
        params["schedules"] = {
            "datasetGroup": {"scheduleExpression": "rate(1 day)"},
            "solutions": {params["solution"]["name"]: {"scheduleExpression": "cron(0 3 ? * MON *)"}},
        }
        assert pipeline.run(write(tmp / "params.json", params)).status == "SUCCEEDED"
        # new interactions: a new import and version, and the campaign is updated to it
        extra = tmp / "more" / "Interactions"
        extra.mkdir(parents=True)
        rows = [f"u0001,i00{n:03d},{1767225600 + n}" for n in range(1, 200)]
        (extra / "more.csv").write_text("USER_ID,ITEM_ID,TIMESTAMP\n" + "\n".join(rows) + "\n")
        pipeline.upload_data(tmp / "more")
        assert pipeline.run(write(tmp / "params.json", params)).status == "SUCCEEDED"
        # a new nullable Users field: the dataset's schema is replaced (UpdateDataset); one schedule changes
        # (UpdateSchedule), the other is dropped (DeleteSchedule)
        params["datasets"]["Users"]["schema"]["fields"].append({"name": "CITY", "type": ["null", "string"]})
        params["schedules"] = {"datasetGroup": {"scheduleExpression": "rate(2 days)"}}
        users = (EXAMPLE_DATA / "Users" / "users.csv").read_text().splitlines()
        (tmp / "cities" / "Users").mkdir(parents=True)
        (tmp / "cities" / "Users" / "users.csv").write_text(
            "\n".join([users[0] + ",CITY"] + [row + ",Lyon" for row in users[1:]]) + "\n"
        )
        pipeline.upload_data(tmp / "cities")
        assert pipeline.run(write(tmp / "params.json", params)).status == "SUCCEEDED"
        # the schedule fires: Scheduler starts the pipeline as SchedulerRole (authorized as local.patches does for
        # EventBridge targets), and the run converges
        schedule = boto3.client("scheduler").get_schedule(
            GroupName=pipeline.stack.physical_id("ScheduleGroup"), Name=schedule_name("retail-demo")
        )
        target = schedule["Target"]
        caller = iam.Caller.for_role(target["RoleArn"], "scheduler")
        context = iam.request_context(caller, REGION, secure=True)
        iam.authorize(caller, [iam.Check("states:StartExecution", target["Arn"])], context)
        text = target["Input"].replace("<aws.scheduler.scheduled-time>", "2027-01-01T00:00:00Z")
        text = text.replace("<aws.scheduler.execution-id>", "firing-1")
        started = boto3.client("stepfunctions").start_execution(
            stateMachineArn=target["Arn"], name="firing-1", input=text
        )
        assert pipeline.finish(started["executionArn"]).status == "SUCCEEDED"
        # two uploads at once: the later run reads the input and history of the running one, and is refused
        runs = [pipeline.start(write(tmp / "params.json", params)) for _ in range(2)]
        assert sorted(wait_for_execution(arn)["status"] for arn in runs) == ["FAILED", "SUCCEEDED"]
        # batch jobs: the list spelling, with a batch inference job beside the campaign and an Item-Affinity
        # solution with a batch segment job (input checked line by line, output written by Personalize)
        (tmp / "batch" / "batch-input").mkdir(parents=True)
        (tmp / "batch" / "batch-input" / "users.json").write_text('{"userId": "u0001"}\n')
        (tmp / "batch" / "batch-input" / "items.json").write_text('{"itemId": "i00001"}\n')
        pipeline.upload_data(tmp / "batch")
        assert pipeline.run(write(tmp / "params.json", batch_params(params))).status == "SUCCEEDED"
        # invalid params: the failure e-mail reads the execution history
        params["solution"]["performHPO"] = "yes"
        assert pipeline.run(write(tmp / "params.json", params)).status == "FAILED"
        # a Domain dataset group with a tagged recommender, then a changed recommenderConfig (UpdateRecommender);
        # its Interactions (with EVENT_TYPE) replace the example's in the bucket
        empty_bucket(pipeline.stack.bucket_name)
        pipeline.upload_data(ecommerce.write_data(tmp / "shop"))
        recommender = {"name": "shop-most-viewed", "recipeArn": ecommerce.MOST_VIEWED}
        shop = tmp / "shop-params.json"
        assert pipeline.run(ecommerce.write_params(shop, [recommender], TAGS)).status == "SUCCEEDED"
        recommender["recommenderConfig"] = {"minRecommendationRequestsPerSecond": 2}
        assert pipeline.run(ecommerce.write_params(shop, [recommender], TAGS)).status == "SUCCEEDED"
        # teardowns: one while a pipeline run works on the group is refused (it reads that run's history)
        run = pipeline.start(ecommerce.write_params(shop, [recommender], TAGS))
        assert pipeline.finish(start_teardown(pipeline, json.dumps({"datasetGroup": {"name": "shop"}}))).status == (
            "FAILED"
        )
        assert wait_for_execution(run)["status"] == "SUCCEEDED"
        # the retail group with its import schedule and a training in progress (stopped first), then the shop
        # group with its recommender: everything deleted
        boto3.client("personalize").create_solution_version(
            solutionArn=f"{PERSONALIZE}:solution/retail-user-personalization",
            tags=[{"tagKey": "personalize-pipeline:stack", "tagValue": pipeline.stack.name}],
        )
        assert run_teardown(pipeline, "retail-demo").status == "SUCCEEDED"
        assert run_teardown(pipeline, "shop").status == "SUCCEEDED"
        roles = iam_backends[ACCOUNT]["aws"].roles.values()
        inline = {role.arn: [s for d in role.policies.values() for s in statements_of(d)] for role in roles}
        proof = Proof(list(iam.ledger().entries), dict(pipeline.stack.physical_ids), inline)
    return proof  # the cloud is closed: each test below may open its own


def test_iam_successful_paths_are_never_denied(exercised: Proof) -> None:
    assert [e for e in exercised.entries if not e.allowed] == []


def test_iam_every_granted_action_is_used_on_a_resource_its_statement_names(
    exercised: Proof,
) -> None:
    # GIVEN every authorized request of the runs, and every inline statement of every deployed role
    entries = exercised.entries
    dead = []
    for role_arn, statements in exercised.inline.items():
        for statement in statements:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in sorted(set(actions) - NOT_EXERCISED):
                # WHEN looking for a request of this role that this statement allowed
                if not any(
                    e.allowed
                    and e.role_arn == role_arn
                    and e.action == action
                    and statement_effect(statement, action, e.resource, dict(e.context)) == "Allow"
                    for e in entries
                ):
                    dead.append(f"{role_arn.rsplit('/', 1)[-1]}: {action} on {statement['Resource']}")
    # THEN there is none: each grant is needed by some path of the pipeline
    assert dead == []


def test_iam_personalize_reads_the_import_data_as_the_passed_role(
    exercised: Proof,
) -> None:
    entries, physical = exercised.entries, exercised.physical_ids
    bucket = f"arn:aws:s3:::{physical['InputBucket']}"
    reads = {(e.action, e.resource) for e in entries if e.caller.endswith("/personalize")}
    assert {("s3:ListBucket", bucket), ("s3:GetObject", f"{bucket}/Interactions/interactions.csv")} <= reads
    assert {e.role_arn.rsplit("/", 1)[-1] for e in entries if e.caller.endswith("/personalize")} == {
        physical["PersonalizeServiceRole"]
    }


# -- each parent-resource grant is needed ----------------------------------------------------------------


def without_grant(path: Path, logical_id: str, action: str, resource_type: str) -> Path:
    """A copy of template.yaml (as JSON, code paths made absolute) without ``action`` on ``<type>/*``."""
    sam = copy.deepcopy(yaml_parse(TEMPLATE.read_text()))
    for resource in sam["Resources"].values():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(properties.get(key), str):
                properties[key] = str((ROOT / properties[key]).resolve())
    removed = 0
    for policy in sam["Resources"][logical_id]["Properties"]["Policies"]:
        for statement in policy.get("Statement", []):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if action in actions and f":{resource_type}/*" in json.dumps(statement["Resource"]):
                statement["Action"] = [a for a in actions if a != action]
                removed += 1
    assert removed == 1, f"{logical_id} has no single statement granting {action} on {resource_type}/*"
    for policy in sam["Resources"][logical_id]["Properties"]["Policies"]:
        if "Statement" in policy:
            policy["Statement"] = [s for s in policy["Statement"] if s["Action"]]
    return write(path, sam)


@pytest.mark.parametrize(
    ("logical_id", "action", "parent_type", "parent"),
    [
        ("DatasetFunction", "CreateDataset", "dataset-group", f"{PERSONALIZE}:dataset-group/retail-demo"),
        ("DatasetImportFunction", "CreateDatasetImportJob", "dataset", f"{PERSONALIZE}:dataset/retail-demo/"),
        ("SolutionFunction", "CreateSolution", "dataset-group", f"{PERSONALIZE}:dataset-group/retail-demo"),
        ("CampaignFunction", "CreateCampaign", "solution", f"{PERSONALIZE}:solution/retail-user-personalization/"),
    ],
)
def test_iam_template_without_a_parent_grant_fails_with_access_denied_naming_action_and_resource(
    tmp_path: Path, logical_id: str, action: str, parent_type: str, parent: str
) -> None:
    # GIVEN the template with one parent-resource grant removed
    template = without_grant(tmp_path / "template.json", logical_id, f"personalize:{action}", parent_type)
    with LocalPipeline(template=template) as pipeline:
        pipeline.upload_data(EXAMPLE_DATA)
        # WHEN the example runs
        result = pipeline.run(EXAMPLE_PARAMS)
    # THEN it fails, and the e-mail quotes AWS's AccessDenied for that action on the parent resource
    assert result.status == "FAILED"
    assert result.notification is not None
    message = result.notification["message"]
    assert f"An error occurred (AccessDeniedException) when calling the {action} operation: User: " in message
    assert f"is not authorized to perform: personalize:{action} on resource: {parent}" in message
    assert f"because no identity-based policy allows the personalize:{action} action" in message


def test_iam_template_without_the_dataset_group_grant_of_create_recommender_fails_naming_it(tmp_path: Path) -> None:
    # GIVEN the template without CreateRecommender on the dataset group (its required parent)
    template = without_grant(
        tmp_path / "template.json", "RecommenderFunction", "personalize:CreateRecommender", "dataset-group"
    )
    with LocalPipeline(template=template) as pipeline:
        pipeline.upload_data(ecommerce.write_data(tmp_path / "data"))
        # WHEN a Domain dataset group with a recommender is deployed
        recommender = {"name": "shop-most-viewed", "recipeArn": ecommerce.MOST_VIEWED}
        result = pipeline.run(ecommerce.write_params(tmp_path / "params.json", [recommender]))
    # THEN it fails, and the e-mail quotes AWS's AccessDenied for CreateRecommender on the dataset group
    assert result.status == "FAILED"
    assert result.notification is not None
    message = result.notification["message"]
    assert "An error occurred (AccessDeniedException) when calling the CreateRecommender operation: User: " in message
    assert (
        f"is not authorized to perform: personalize:CreateRecommender on resource: {PERSONALIZE}:dataset-group/shop"
    ) in message


def test_iam_template_without_the_batch_job_solution_grant_fails_with_access_denied(tmp_path: Path) -> None:
    # GIVEN the template without CreateBatchInferenceJob on the solution (the job's parent resource)
    template = without_grant(
        tmp_path / "template.json", "BatchJobFunction", "personalize:CreateBatchInferenceJob", "solution"
    )
    batch = tmp_path / "batch" / "batch-input"
    batch.mkdir(parents=True)
    (batch / "users.json").write_text('{"userId": "u0001"}\n')
    (batch / "items.json").write_text('{"itemId": "i00001"}\n')
    with LocalPipeline(template=template) as pipeline:
        pipeline.upload_data(EXAMPLE_DATA)
        pipeline.upload_data(tmp_path / "batch")
        # WHEN params with a batch inference job run
        result = pipeline.run(write(tmp_path / "params.json", batch_params(tagged_params())))
    # THEN the job's creation is denied on the solution version, as AWS would
    assert result.status == "FAILED"
    assert result.notification is not None
    message = result.notification["message"]
    action = "CreateBatchInferenceJob"
    assert f"An error occurred (AccessDeniedException) when calling the {action} operation: User: " in message
    assert (
        f"is not authorized to perform: personalize:{action} on resource: "
        f"{PERSONALIZE}:solution/retail-user-personalization/"
    ) in message


def test_iam_template_without_pass_role_of_the_scheduler_role_fails_at_apply_schedules(tmp_path: Path) -> None:
    # GIVEN the template without the ScheduleFunction's iam:PassRole of SchedulerRole
    sam = copy.deepcopy(yaml_parse(TEMPLATE.read_text()))
    for resource in sam["Resources"].values():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(properties.get(key), str):
                properties[key] = str((ROOT / properties[key]).resolve())
    for policy in sam["Resources"]["ScheduleFunction"]["Properties"]["Policies"]:
        policy["Statement"] = [s for s in policy["Statement"] if s["Action"] != "iam:PassRole"]
    template = write(tmp_path / "template.json", sam)
    params = json.loads(EXAMPLE_PARAMS.read_text())
    params["schedules"] = {"datasetGroup": {"scheduleExpression": "rate(1 day)"}}
    with LocalPipeline(template=template) as pipeline:
        pipeline.upload_data(EXAMPLE_DATA)
        # WHEN params with a schedule run
        result = pipeline.run(write(tmp_path / "params.json", params))
        role = f"arn:aws:iam::{ACCOUNT}:role/{pipeline.stack.physical_id('SchedulerRole')}"
    # THEN the run fails at Apply Schedules with AWS's AccessDenied for passing that role
    assert result.status == "FAILED"
    assert result.notification is not None
    message = result.notification["message"]
    assert "Failed state: Apply Schedules" in message
    assert "An error occurred (AccessDeniedException) when calling the CreateSchedule operation: User: " in message
    assert f"is not authorized to perform: iam:PassRole on resource: {role}" in message
