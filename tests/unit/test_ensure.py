"""The idempotent ensure_* helpers and the poll check, against a Stubber-backed Personalize client.

The Stubber is the contract: each queued response names the exact request parameters expected (the List
calls' filters and nextToken included), every canned description is validated against the botocore model,
and a call nobody queued (say a create on the reuse path) fails the test. The Stubber is a queue, so the
order of the queued calls is asserted too. The conftest fixture also fails a test that leaves a response
unused.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from personalize_pipeline import ensure
from personalize_pipeline.errors import ResourceConflict, ResourceFailed, ResourceTimeout
from personalize_pipeline.polling import KIND_LABELS, POLICIES, PollRecord, new_record, next_wait
from personalize_pipeline.resources import describe

PREFIX = "arn:aws:personalize:us-east-1:123456789012"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=7)

GROUP = "retail-demo"
GROUP_ARN = f"{PREFIX}:dataset-group/{GROUP}"
OTHER_GROUP_ARN = f"{PREFIX}:dataset-group/another-team"
ROLE_ARN = "arn:aws:iam::123456789012:role/personalize-pipeline-PersonalizeRole-1A2B3C"
DATASET_ARN = f"{PREFIX}:dataset/{GROUP}/INTERACTIONS"
SOLUTION = "retail-user-personalization"
SOLUTION_ARN = f"{PREFIX}:solution/{SOLUTION}"
RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization-v2"
OTHER_RECIPE = "arn:aws:personalize:::recipe/aws-similar-items"
VERSION_BASE = f"{SOLUTION}-3f9a1c0b7d2e"
VERSION_ARN = f"{SOLUTION_ARN}/c1a33236"
NEW_VERSION_ARN = f"{SOLUTION_ARN}/9e8d7c6b"
OLD_VERSION_ARN = f"{SOLUTION_ARN}/0a1b2c3d"
CAMPAIGN = "retail-user-personalization-campaign"
CAMPAIGN_ARN = f"{PREFIX}:campaign/{CAMPAIGN}"
RECOMMENDER = "retail-recommended-for-you"
RECOMMENDER_ARN = f"{PREFIX}:recommender/{RECOMMENDER}"

INTERACTIONS_SCHEMA = {
    "type": "record",
    "name": "Interactions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
    ],
    "version": "1.0",
}
SCHEMA_JSON = json.dumps(INTERACTIONS_SCHEMA, sort_keys=True, separators=(",", ":"))
SCHEMA_NAME = f"{GROUP}-interactions-1a2b3c4d"
SCHEMA_ARN = f"{PREFIX}:schema/{SCHEMA_NAME}"
OLD_SCHEMA_ARN = f"{PREFIX}:schema/{GROUP}-interactions-99aa88bb"
JOB_BASE = f"{GROUP}-interactions-0123456789ab"
DATA_LOCATION = "s3://personalize-pipeline-inputbucket-1x2y3z/Interactions/"

#: One item of the plan's ``datasets`` list, as Load Parameters hands it to the Map.
DATASET_SPEC: dict[str, Any] = {
    "datasetType": "INTERACTIONS",
    "folder": "Interactions",
    "schema": {"name": SCHEMA_NAME, "schema": SCHEMA_JSON},
    "dataset": {"name": "retail-demo-interactions", "datasetType": "Interactions"},
    "datasetImportJob": {"jobName": JOB_BASE, "dataSource": {"dataLocation": DATA_LOCATION}},
    "fingerprint": "0123456789abcdef0123456789abcdef",
}
SOLUTION_SPEC: dict[str, Any] = {"name": SOLUTION, "recipeArn": RECIPE, "performAutoTraining": False}
CAMPAIGN_SPEC: dict[str, Any] = {"name": CAMPAIGN, "minProvisionedTPS": 1}
#: What ensure_campaign returns when its move to NEW_VERSION_ARN must wait for an update already running.
UPDATE_TO_NEW_VERSION_DEFERRED = new_record(
    "campaign",
    CAMPAIGN_ARN,
    CAMPAIGN,
    "CREATE IN_PROGRESS",
    "updated",
    solutionVersionArn=NEW_VERSION_ARN,
    pendingUpdate=True,
)


def dataset_spec(**changes: Any) -> dict[str, Any]:
    spec = copy.deepcopy(DATASET_SPEC)
    spec.update(changes)
    return spec


# ----------------------------------------------------------------------------- describe bodies
# Each builder returns the wrapped object of a Describe* response; the Stubber validates it.
def group_body(status: str = "ACTIVE", **extra: Any) -> dict[str, Any]:
    return {
        "name": GROUP,
        "datasetGroupArn": GROUP_ARN,
        "status": status,
        "creationDateTime": T0,
        "lastUpdatedDateTime": T1,
        **extra,
    }


def schema_body(schema_json: str = SCHEMA_JSON, name: str = SCHEMA_NAME, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "schemaArn": f"{PREFIX}:schema/{name}",
        "schema": schema_json,
        "creationDateTime": T0,
        "lastUpdatedDateTime": T0,
        **extra,
    }


def day(number: int) -> datetime:
    return T0 + timedelta(days=number)


def dataset_body(status: str = "ACTIVE", schema_arn: str = SCHEMA_ARN, **extra: Any) -> dict[str, Any]:
    return {
        "name": "retail-demo-interactions",
        "datasetArn": DATASET_ARN,
        "datasetGroupArn": GROUP_ARN,
        "datasetType": "INTERACTIONS",
        "schemaArn": schema_arn,
        "status": status,
        "creationDateTime": T0,
        "lastUpdatedDateTime": T1,
        **extra,
    }


def job_body(name: str = JOB_BASE, status: str = "ACTIVE", dataset_arn: str = DATASET_ARN, **extra: Any) -> dict:
    return {
        "jobName": name,
        "datasetImportJobArn": f"{PREFIX}:dataset-import-job/{name}",
        "datasetArn": dataset_arn,
        "dataSource": {"dataLocation": DATA_LOCATION},
        "roleArn": ROLE_ARN,
        "status": status,
        "importMode": "FULL",
        "creationDateTime": T0,
        "lastUpdatedDateTime": T1,
        **extra,
    }


def solution_body(status: str = "ACTIVE", **extra: Any) -> dict[str, Any]:
    return {
        "name": SOLUTION,
        "solutionArn": SOLUTION_ARN,
        "performHPO": False,
        "performAutoML": False,
        "performAutoTraining": False,
        "recipeArn": RECIPE,
        "datasetGroupArn": GROUP_ARN,
        # Personalize fills in defaults the params never set; they must not count as differences.
        "solutionConfig": {
            "algorithmHyperParameters": {"bptt": "32", "hidden_dimension": "149"},
            "featureTransformationParameters": {"max_user_history_length_percentile": "0.99"},
        },
        "status": status,
        "creationDateTime": T0,
        "lastUpdatedDateTime": T1,
        **extra,
    }


def version_body(name: str, arn: str = VERSION_ARN, status: str = "ACTIVE", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "solutionVersionArn": arn,
        "solutionArn": SOLUTION_ARN,
        "recipeArn": RECIPE,
        "datasetGroupArn": GROUP_ARN,
        "trainingMode": "FULL",
        "trainingType": "MANUAL",
        "status": status,
        "creationDateTime": T0,
        "lastUpdatedDateTime": T1,
        **extra,
    }


def campaign_body(status: str = "ACTIVE", version_arn: str = VERSION_ARN, **extra: Any) -> dict[str, Any]:
    return {
        "name": CAMPAIGN,
        "campaignArn": CAMPAIGN_ARN,
        "solutionVersionArn": version_arn,
        "minProvisionedTPS": 1,
        "campaignConfig": {
            "itemExplorationConfig": {"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"},
            "enableMetadataWithRecommendations": False,
            "syncWithLatestSolutionVersion": False,
        },
        "status": status,
        "creationDateTime": T0,
        "lastUpdatedDateTime": T1,
        **extra,
    }


# ----------------------------------------------------------------------------- stubbing helpers
#: kind -> (describe method, ARN parameter, response key), written out here independently of the code.
DESCRIBES = {
    "datasetGroup": ("describe_dataset_group", "datasetGroupArn", "datasetGroup"),
    "schema": ("describe_schema", "schemaArn", "schema"),
    "dataset": ("describe_dataset", "datasetArn", "dataset"),
    "datasetImportJob": ("describe_dataset_import_job", "datasetImportJobArn", "datasetImportJob"),
    "solution": ("describe_solution", "solutionArn", "solution"),
    "solutionVersion": ("describe_solution_version", "solutionVersionArn", "solutionVersion"),
    "campaign": ("describe_campaign", "campaignArn", "campaign"),
    "eventTracker": ("describe_event_tracker", "eventTrackerArn", "eventTracker"),
    "filter": ("describe_filter", "filterArn", "filter"),
    "recommender": ("describe_recommender", "recommenderArn", "recommender"),
    "batchInferenceJob": ("describe_batch_inference_job", "batchInferenceJobArn", "batchInferenceJob"),
    "batchSegmentJob": ("describe_batch_segment_job", "batchSegmentJobArn", "batchSegmentJob"),
}


def expect_describe(stubber: Stubber, kind: str, arn: str, body: dict[str, Any] | None) -> None:
    """Queue one Describe* call for ``arn``: the body, or ResourceNotFoundException when None."""
    method, param, key = DESCRIBES[kind]
    if body is None:
        stubber.add_client_error(
            method,
            service_error_code="ResourceNotFoundException",
            service_message=f"Resource Arn {arn} does not exist.",
            expected_params={param: arn},
        )
    else:
        stubber.add_response(method, {key: body}, {param: arn})


def expect_already_exists(stubber: Stubber, method: str, arn: str, params: dict[str, Any]) -> None:
    stubber.add_client_error(
        method,
        service_error_code="ResourceAlreadyExistsException",
        service_message=f"Another resource with Arn {arn} already exists.",
        expected_params=params,
    )


def expect_schema(stubber: Stubber, body: dict[str, Any] | None = None) -> None:
    """The schema step of ensure_dataset on its reuse path."""
    expect_describe(stubber, "schema", SCHEMA_ARN, body or schema_body())


# ----------------------------------------------------------------------------- describe
def test_describe_missing_resource_returns_none(personalize: Any, stubber: Stubber) -> None:
    # GIVEN Personalize answers ResourceNotFoundException
    expect_describe(stubber, "solution", SOLUTION_ARN, None)
    # WHEN the resource is described
    # THEN "absent" is None, not an exception
    assert describe(personalize, "solution", SOLUTION_ARN) is None


def test_describe_other_client_error_propagates(personalize: Any, stubber: Stubber) -> None:
    # GIVEN Personalize refuses the call for another reason
    stubber.add_client_error(
        "describe_campaign",
        service_error_code="InvalidInputException",
        service_message="1 validation error detected",
        expected_params={"campaignArn": CAMPAIGN_ARN},
    )
    # WHEN the resource is described
    # THEN the error is not mistaken for "absent"
    with pytest.raises(personalize.exceptions.InvalidInputException):
        describe(personalize, "campaign", CAMPAIGN_ARN)


# ----------------------------------------------------------------------------- dataset group
@pytest.mark.parametrize(
    "spec",
    [
        pytest.param({"name": GROUP}, id="custom"),
        pytest.param(
            {"name": GROUP, "domain": "ECOMMERCE", "tags": [{"tagKey": "team", "tagValue": "ml"}]}, id="domain"
        ),
    ],
)
def test_ensure_dataset_group_absent_creates_with_params_verbatim(
    personalize: Any, stubber: Stubber, spec: dict[str, Any]
) -> None:
    # GIVEN no dataset group with that name
    expect_describe(stubber, "datasetGroup", GROUP_ARN, None)
    stubber.add_response("create_dataset_group", {"datasetGroupArn": GROUP_ARN}, dict(spec))
    body = group_body("CREATE PENDING", **({"domain": spec["domain"]} if "domain" in spec else {}))
    expect_describe(stubber, "datasetGroup", GROUP_ARN, body)
    # WHEN it is ensured
    record = ensure.ensure_dataset_group(personalize, PREFIX, spec)
    # THEN it is created from the params section exactly and the loop starts polling it
    assert record == PollRecord(
        kind="datasetGroup",
        arn=GROUP_ARN,
        name=GROUP,
        status="CREATE PENDING",
        action="created",
        waitSeconds=next_wait("datasetGroup", 0),
        waitedSeconds=0,
        details={},
    )


def test_ensure_dataset_group_existing_active_is_reused_without_create(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the dataset group exists and is ACTIVE
    expect_describe(stubber, "datasetGroup", GROUP_ARN, group_body())
    # WHEN it is ensured (no create is queued: the Stubber fails on one)
    record = ensure.ensure_dataset_group(personalize, PREFIX, {"name": GROUP})
    # THEN it is reused as is
    stubber.assert_no_pending_responses()
    assert (record.status, record.action, record.arn) == ("ACTIVE", "reused", GROUP_ARN)


def test_ensure_dataset_group_create_race_adopts_the_winner(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a concurrent run creates the group between our describe and our create
    expect_describe(stubber, "datasetGroup", GROUP_ARN, None)
    expect_already_exists(stubber, "create_dataset_group", GROUP_ARN, {"name": GROUP})
    expect_describe(stubber, "datasetGroup", GROUP_ARN, group_body("CREATE IN_PROGRESS"))
    # WHEN it is ensured
    record = ensure.ensure_dataset_group(personalize, PREFIX, {"name": GROUP})
    # THEN the run adopts the winner instead of failing on "already exists"
    assert (record.status, record.action) == ("CREATE IN_PROGRESS", "reused")


def test_ensure_dataset_group_already_exists_but_unreadable_reraises(personalize: Any, stubber: Stubber) -> None:
    # GIVEN create says "already exists" yet the group cannot be described (deleted in between)
    expect_describe(stubber, "datasetGroup", GROUP_ARN, None)
    expect_already_exists(stubber, "create_dataset_group", GROUP_ARN, {"name": GROUP})
    expect_describe(stubber, "datasetGroup", GROUP_ARN, None)
    # WHEN it is ensured
    # THEN the original error surfaces rather than a made-up record
    with pytest.raises(personalize.exceptions.ResourceAlreadyExistsException):
        ensure.ensure_dataset_group(personalize, PREFIX, {"name": GROUP})


def test_ensure_dataset_group_created_but_not_describable_fails(personalize: Any, stubber: Stubber) -> None:
    # GIVEN Personalize accepts the create but the describe right after finds nothing
    expect_describe(stubber, "datasetGroup", GROUP_ARN, None)
    stubber.add_response("create_dataset_group", {"datasetGroupArn": GROUP_ARN}, {"name": GROUP})
    expect_describe(stubber, "datasetGroup", GROUP_ARN, None)
    # WHEN it is ensured
    # THEN the run fails with a message instead of polling a ghost
    with pytest.raises(ResourceFailed) as raised:
        ensure.ensure_dataset_group(personalize, PREFIX, {"name": GROUP})
    assert str(raised.value) == "Personalize accepted the create call but the resource cannot be described"


@pytest.mark.parametrize(
    ("existing_domain", "spec", "expected"),
    [
        pytest.param(None, {"name": GROUP, "domain": "ECOMMERCE"}, ["null", '"ECOMMERCE"'], id="custom-vs-domain"),
        pytest.param("VIDEO_ON_DEMAND", {"name": GROUP}, ['"VIDEO_ON_DEMAND"', "custom"], id="domain-vs-custom"),
        pytest.param(
            "VIDEO_ON_DEMAND",
            {"name": GROUP, "domain": "ECOMMERCE"},
            ['"VIDEO_ON_DEMAND"', '"ECOMMERCE"'],
            id="domain-vs-domain",
        ),
    ],
)
def test_ensure_dataset_group_domain_differs_conflict_names_both_values(
    personalize: Any, stubber: Stubber, existing_domain: str | None, spec: dict[str, Any], expected: list[str]
) -> None:
    # GIVEN a dataset group with that name exists in another domain (a domain cannot change)
    expect_describe(
        stubber, "datasetGroup", GROUP_ARN, group_body(**({"domain": existing_domain} if existing_domain else {}))
    )
    # WHEN it is ensured
    with pytest.raises(ResourceConflict) as raised:
        ensure.ensure_dataset_group(personalize, PREFIX, spec)
    # THEN the message names the group and both values
    message = str(raised.value)
    assert f"dataset group '{GROUP}'" in message
    for value in expected:
        assert value in message


KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/1111aaaa-2222-bbbb-3333-cccc4444dddd"
OTHER_KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/9999ffff-8888-eeee-7777-dddd6666cccc"
KMS_ROLE = "arn:aws:iam::123456789012:role/PersonalizeKms"
OTHER_KMS_ROLE = "arn:aws:iam::123456789012:role/OtherKms"
ENCRYPTED = {"kmsKeyArn": KMS_KEY, "roleArn": KMS_ROLE}


@pytest.mark.parametrize(
    ("existing", "spec", "differences"),
    [
        pytest.param(
            {"kmsKeyArn": OTHER_KMS_KEY, "roleArn": KMS_ROLE},
            ENCRYPTED,
            [f'kmsKeyArn is "{OTHER_KMS_KEY}"; params ask for "{KMS_KEY}"'],
            id="other-key",
        ),
        pytest.param(
            {"kmsKeyArn": KMS_KEY, "roleArn": OTHER_KMS_ROLE},
            ENCRYPTED,
            [f'roleArn is "{OTHER_KMS_ROLE}"; params ask for "{KMS_ROLE}"'],
            id="other-role",
        ),
        pytest.param(
            {},
            ENCRYPTED,
            [f'kmsKeyArn is null; params ask for "{KMS_KEY}"', f'roleArn is null; params ask for "{KMS_ROLE}"'],
            id="unencrypted-group",
        ),
        pytest.param(
            ENCRYPTED,
            {},
            [
                f'kmsKeyArn is "{KMS_KEY}"; params ask for no KMS key (Personalize\'s own encryption)',
                f'roleArn is "{KMS_ROLE}"; params ask for no role (no KMS key)',
            ],
            id="params-without-key",
        ),
    ],
)
def test_ensure_dataset_group_encryption_differs_conflict_names_both_values(
    personalize: Any, stubber: Stubber, existing: dict[str, str], spec: dict[str, str], differences: list[str]
) -> None:
    # GIVEN a dataset group with that name exists with other encryption settings (they cannot change)
    expect_describe(stubber, "datasetGroup", GROUP_ARN, group_body(**existing))
    # WHEN it is ensured
    with pytest.raises(ResourceConflict) as raised:
        ensure.ensure_dataset_group(personalize, PREFIX, {"name": GROUP, **spec})
    # THEN the whole message names the group and both values of each setting that differs
    assert str(raised.value) == (
        f"dataset group '{GROUP}' already exists but differs: {'; '.join(differences)}. "
        "Choose another dataset group name, or delete the existing one."
    )


def test_ensure_dataset_group_same_encryption_is_reused(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the dataset group exists with the KMS key and role params.json asks for
    expect_describe(stubber, "datasetGroup", GROUP_ARN, group_body(**ENCRYPTED))
    # WHEN it is ensured
    record = ensure.ensure_dataset_group(personalize, PREFIX, {"name": GROUP, **ENCRYPTED})
    # THEN it is reused
    assert record == new_record("datasetGroup", GROUP_ARN, GROUP, "ACTIVE", "reused")


def test_ensure_dataset_group_create_failed_raises_with_reason(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the group exists but its creation failed
    expect_describe(stubber, "datasetGroup", GROUP_ARN, group_body("CREATE FAILED", failureReason="KMS key disabled"))
    # WHEN it is ensured
    # THEN the run fails naming the group, its status and Personalize's reason
    with pytest.raises(ResourceFailed) as raised:
        ensure.ensure_dataset_group(personalize, PREFIX, {"name": GROUP})
    assert str(raised.value) == f"dataset group '{GROUP}' is CREATE FAILED: KMS key disabled"


def test_ensure_dataset_group_being_deleted_is_a_conflict(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the group is being deleted
    expect_describe(stubber, "datasetGroup", GROUP_ARN, group_body("DELETE PENDING"))
    # WHEN it is ensured
    # THEN the run stops and says to wait for the delete
    with pytest.raises(ResourceConflict, match="being deleted"):
        ensure.ensure_dataset_group(personalize, PREFIX, {"name": GROUP})


def test_ensure_dataset_group_quota_error_propagates_under_its_name(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the account is at its dataset group quota
    expect_describe(stubber, "datasetGroup", GROUP_ARN, None)
    stubber.add_client_error(
        "create_dataset_group", service_error_code="LimitExceededException", expected_params={"name": GROUP}
    )
    # WHEN it is ensured
    # THEN the modelled error reaches the state machine, which retries on its class name
    with pytest.raises(personalize.exceptions.LimitExceededException):
        ensure.ensure_dataset_group(personalize, PREFIX, {"name": GROUP})


# ----------------------------------------------------------------------------- schema
@pytest.mark.parametrize(
    "spec",
    [
        pytest.param({"name": SCHEMA_NAME, "schema": SCHEMA_JSON}, id="custom"),
        pytest.param({"name": SCHEMA_NAME, "schema": SCHEMA_JSON, "domain": "ECOMMERCE"}, id="domain"),
    ],
)
def test_ensure_schema_absent_creates_with_exact_params(personalize: Any, stubber: Stubber, spec: dict) -> None:
    # GIVEN no schema with that name
    expect_describe(stubber, "schema", SCHEMA_ARN, None)
    stubber.add_response("create_schema", {"schemaArn": SCHEMA_ARN}, dict(spec))
    expect_describe(
        stubber, "schema", SCHEMA_ARN, schema_body(**({"domain": spec["domain"]} if "domain" in spec else {}))
    )
    # WHEN it is ensured
    result = ensure.ensure_schema(personalize, PREFIX, spec)
    # THEN it is created (schemas are synchronous: no polling)
    assert result == (SCHEMA_ARN, "created")


def test_ensure_schema_same_fields_differently_serialised_is_reused(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the schema exists; Personalize echoes it with other spacing and key order
    echoed = json.dumps(dict(reversed(list(INTERACTIONS_SCHEMA.items()))), indent=2)
    expect_describe(stubber, "schema", SCHEMA_ARN, schema_body(echoed))
    # WHEN it is ensured
    result = ensure.ensure_schema(personalize, PREFIX, {"name": SCHEMA_NAME, "schema": SCHEMA_JSON})
    # THEN it is reused, with no create call
    stubber.assert_no_pending_responses()
    assert result == (SCHEMA_ARN, "reused")


def test_ensure_schema_create_race_adopts_identical_winner(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a concurrent run created the same schema first
    spec = {"name": SCHEMA_NAME, "schema": SCHEMA_JSON}
    expect_describe(stubber, "schema", SCHEMA_ARN, None)
    expect_already_exists(stubber, "create_schema", SCHEMA_ARN, dict(spec))
    expect_describe(stubber, "schema", SCHEMA_ARN, schema_body())
    # WHEN it is ensured
    # THEN the winner is adopted
    assert ensure.ensure_schema(personalize, PREFIX, spec) == (SCHEMA_ARN, "reused")


SCHEMA_REMEDY = "Schemas cannot change: remove schemaName so the pipeline derives a fresh name, or choose a new one."


def schema_json(**changes: Any) -> str:
    """INTERACTIONS_SCHEMA with some top-level keys replaced, serialised as the plan does."""
    return json.dumps({**copy.deepcopy(INTERACTIONS_SCHEMA), **changes}, sort_keys=True, separators=(",", ":"))


def _schema_with_extra_field() -> str:
    return schema_json(fields=[*INTERACTIONS_SCHEMA["fields"], {"name": "EVENT_TYPE", "type": "string"}])


def test_ensure_schema_fields_differ_is_a_conflict(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a schema with that name exists with other fields (schemas are immutable)
    expect_describe(stubber, "schema", SCHEMA_ARN, schema_body())
    # WHEN params.json asks for an extra field under the same name
    with pytest.raises(ResourceConflict) as raised:
        ensure.ensure_schema(personalize, PREFIX, {"name": SCHEMA_NAME, "schema": _schema_with_extra_field()})
    # THEN the run stops, naming the schema, the added field and the way out
    assert str(raised.value) == (
        f"schema '{SCHEMA_NAME}' already exists but differs: params add field EVENT_TYPE. {SCHEMA_REMEDY}"
    )


@pytest.mark.parametrize(
    ("existing", "wanted", "difference"),
    [
        pytest.param(_schema_with_extra_field(), SCHEMA_JSON, "params drop field EVENT_TYPE", id="dropped"),
        pytest.param(
            SCHEMA_JSON,
            schema_json(
                fields=[
                    {"name": "USER_ID", "type": "string"},
                    {"name": "ITEM_ID", "type": "string"},
                    {"name": "TIMESTAMP", "type": "int"},
                ]
            ),
            'field TIMESTAMP is {"name": "TIMESTAMP", "type": "long"}; '
            'params ask for {"name": "TIMESTAMP", "type": "int"}',
            id="changed-type",
        ),
        pytest.param(
            SCHEMA_JSON,
            schema_json(
                fields=[
                    {"name": "ITEM_ID", "type": "string"},
                    {"name": "USER_ID", "type": "string"},
                    {"name": "TIMESTAMP", "type": "long"},
                ]
            ),
            "the field order differs",
            id="order-only",
        ),
        pytest.param(
            SCHEMA_JSON, schema_json(name="Events"), 'name is "Interactions"; params ask for "Events"', id="name"
        ),
    ],
)
def test_ensure_schema_conflict_names_each_difference(
    personalize: Any, stubber: Stubber, existing: str, wanted: str, difference: str
) -> None:
    # GIVEN a schema with that name exists and differs from params.json in one way
    expect_describe(stubber, "schema", SCHEMA_ARN, schema_body(existing))
    # WHEN it is ensured
    with pytest.raises(ResourceConflict) as raised:
        ensure.ensure_schema(personalize, PREFIX, {"name": SCHEMA_NAME, "schema": wanted})
    # THEN the message says exactly what differs
    assert str(raised.value) == f"schema '{SCHEMA_NAME}' already exists but differs: {difference}. {SCHEMA_REMEDY}"


def test_ensure_schema_several_differences_are_all_listed(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the existing schema has EVENT_TYPE and params.json has EVENT_VALUE instead, in another domain
    existing = schema_json(fields=[*INTERACTIONS_SCHEMA["fields"], {"name": "EVENT_TYPE", "type": "string"}])
    wanted = schema_json(fields=[*INTERACTIONS_SCHEMA["fields"], {"name": "EVENT_VALUE", "type": "float"}])
    expect_describe(stubber, "schema", SCHEMA_ARN, schema_body(existing))
    # WHEN it is ensured
    with pytest.raises(ResourceConflict) as raised:
        ensure.ensure_schema(personalize, PREFIX, {"name": SCHEMA_NAME, "schema": wanted, "domain": "ECOMMERCE"})
    # THEN each difference is listed, added fields first, then dropped ones, then the domain
    assert str(raised.value) == (
        f"schema '{SCHEMA_NAME}' already exists but differs: params add field EVENT_VALUE; "
        f'params drop field EVENT_TYPE; domain is null; params ask for "ECOMMERCE". {SCHEMA_REMEDY}'
    )


def test_ensure_schema_key_only_in_existing_schema_conflict_names_it(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the existing schema carries a "doc" that params.json no longer has; the fields are identical
    expect_describe(stubber, "schema", SCHEMA_ARN, schema_body(schema_json(doc="Retail interactions")))
    # WHEN it is ensured
    with pytest.raises(ResourceConflict) as raised:
        ensure.ensure_schema(personalize, PREFIX, {"name": SCHEMA_NAME, "schema": SCHEMA_JSON})
    # THEN the message names the key, and does not blame the field order
    message = str(raised.value)
    assert "doc" in message and "field order" not in message


def test_ensure_schema_changed_field_is_shown_with_sorted_keys(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the existing schema's field and the wanted one, each written with its keys out of order
    old_field = {"type": "string", "name": "GENRE", "categorical": True}
    new_field = {"type": "string", "name": "GENRE"}
    existing = json.dumps({**INTERACTIONS_SCHEMA, "fields": [*INTERACTIONS_SCHEMA["fields"], old_field]})
    wanted = json.dumps({**INTERACTIONS_SCHEMA, "fields": [*INTERACTIONS_SCHEMA["fields"], new_field]})
    expect_describe(stubber, "schema", SCHEMA_ARN, schema_body(existing))
    # WHEN it is ensured
    with pytest.raises(ResourceConflict) as raised:
        ensure.ensure_schema(personalize, PREFIX, {"name": SCHEMA_NAME, "schema": wanted})
    # THEN both versions of the field are shown with sorted keys, so they read side by side
    assert str(raised.value) == (
        f"schema '{SCHEMA_NAME}' already exists but differs: field GENRE is "
        '{"categorical": true, "name": "GENRE", "type": "string"}; params ask for {"name": "GENRE", "type": "string"}. '
        f"{SCHEMA_REMEDY}"
    )


@pytest.mark.parametrize(
    ("existing", "wanted", "difference"),
    [
        pytest.param({"type": "record", "name": "Interactions"}, INTERACTIONS_SCHEMA, "params add field ", id="none"),
        pytest.param(INTERACTIONS_SCHEMA, {"type": "record", "name": "Interactions"}, "params drop field ", id="all"),
    ],
)
def test_ensure_schema_without_fields_conflict_lists_every_field(
    personalize: Any, stubber: Stubber, existing: dict[str, Any], wanted: dict[str, Any], difference: str
) -> None:
    # GIVEN one of the two schemas has no fields list at all
    expect_describe(stubber, "schema", SCHEMA_ARN, schema_body(json.dumps(existing)))
    # WHEN it is ensured
    with pytest.raises(ResourceConflict) as raised:
        ensure.ensure_schema(personalize, PREFIX, {"name": SCHEMA_NAME, "schema": json.dumps(wanted)})
    # THEN every field of the other one is named, and then the keys that differ
    differences = [difference + field["name"] for field in INTERACTIONS_SCHEMA["fields"]]
    differences += [
        f"{key} is {json.dumps(existing.get(key))}; params ask for {json.dumps(wanted.get(key))}"
        for key in ("namespace", "version")
    ]
    assert str(raised.value) == (
        f"schema '{SCHEMA_NAME}' already exists but differs: {'; '.join(differences)}. {SCHEMA_REMEDY}"
    )


@pytest.mark.parametrize(
    ("existing_domain", "wanted_domain", "difference"),
    [
        pytest.param(
            "ECOMMERCE", "VIDEO_ON_DEMAND", 'domain is "ECOMMERCE"; params ask for "VIDEO_ON_DEMAND"', id="both"
        ),
        pytest.param(None, "ECOMMERCE", 'domain is null; params ask for "ECOMMERCE"', id="custom-vs-domain"),
        pytest.param("ECOMMERCE", None, 'domain is "ECOMMERCE"; params ask for null', id="domain-vs-custom"),
    ],
)
def test_ensure_schema_domain_differs_conflict_names_both_domains(
    personalize: Any, stubber: Stubber, existing_domain: str | None, wanted_domain: str | None, difference: str
) -> None:
    # GIVEN the schema exists with the same fields in another domain (or none)
    expect_describe(
        stubber, "schema", SCHEMA_ARN, schema_body(**({"domain": existing_domain} if existing_domain else {}))
    )
    spec = {"name": SCHEMA_NAME, "schema": SCHEMA_JSON, **({"domain": wanted_domain} if wanted_domain else {})}
    # WHEN it is ensured
    with pytest.raises(ResourceConflict) as raised:
        ensure.ensure_schema(personalize, PREFIX, spec)
    # THEN the message names the domain and both values, and no field
    assert str(raised.value) == f"schema '{SCHEMA_NAME}' already exists but differs: {difference}. {SCHEMA_REMEDY}"


# ----------------------------------------------------------------------------- dataset
def test_ensure_dataset_absent_creates_schema_then_dataset(personalize: Any, stubber: Stubber) -> None:
    # GIVEN neither the schema nor the dataset exists
    expect_describe(stubber, "schema", SCHEMA_ARN, None)
    stubber.add_response("create_schema", {"schemaArn": SCHEMA_ARN}, {"name": SCHEMA_NAME, "schema": SCHEMA_JSON})
    expect_describe(stubber, "schema", SCHEMA_ARN, schema_body())
    expect_describe(stubber, "dataset", DATASET_ARN, None)
    stubber.add_response(
        "create_dataset",
        {"datasetArn": DATASET_ARN},
        {
            "name": "retail-demo-interactions",
            "datasetType": "Interactions",
            "schemaArn": SCHEMA_ARN,
            "datasetGroupArn": GROUP_ARN,
        },
    )
    expect_describe(stubber, "dataset", DATASET_ARN, dataset_body("CREATE PENDING"))
    # WHEN the dataset is ensured
    record = ensure.ensure_dataset(personalize, PREFIX, GROUP_ARN, dataset_spec())
    # THEN both are created; the record carries the schema for the e-mail
    assert record == PollRecord(
        kind="dataset",
        arn=DATASET_ARN,
        name="retail-demo-interactions",
        status="CREATE PENDING",
        action="created",
        waitSeconds=next_wait("dataset", 0),
        waitedSeconds=0,
        details={"schemaArn": SCHEMA_ARN, "schemaName": SCHEMA_NAME, "schemaAction": "created"},
    )


def test_ensure_dataset_existing_same_schema_is_reused_without_create(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the schema and the dataset exist, the dataset on that schema and ACTIVE
    expect_schema(stubber)
    expect_describe(stubber, "dataset", DATASET_ARN, dataset_body())
    # WHEN the dataset is ensured
    record = ensure.ensure_dataset(personalize, PREFIX, GROUP_ARN, dataset_spec())
    # THEN nothing is created or updated
    stubber.assert_no_pending_responses()
    assert (record.status, record.action) == ("ACTIVE", "reused")
    assert record.details["schemaAction"] == "reused"


def test_ensure_dataset_create_race_adopts_the_winner(personalize: Any, stubber: Stubber) -> None:
    # GIVEN another run creates the dataset between our describe and our create
    expect_schema(stubber)
    expect_describe(stubber, "dataset", DATASET_ARN, None)
    request = {
        "name": "retail-demo-interactions",
        "datasetType": "Interactions",
        "schemaArn": SCHEMA_ARN,
        "datasetGroupArn": GROUP_ARN,
    }
    expect_already_exists(stubber, "create_dataset", DATASET_ARN, request)
    expect_describe(stubber, "dataset", DATASET_ARN, dataset_body("CREATE IN_PROGRESS"))
    # WHEN the dataset is ensured
    record = ensure.ensure_dataset(personalize, PREFIX, GROUP_ARN, dataset_spec())
    # THEN the winner, identical to what params ask for, is adopted and polled
    assert (record.status, record.action) == ("CREATE IN_PROGRESS", "reused")
    assert record.details == {"schemaArn": SCHEMA_ARN, "schemaName": SCHEMA_NAME, "schemaAction": "reused"}


DATASET_REQUEST = {
    "name": "retail-demo-interactions",
    "datasetType": "Interactions",
    "schemaArn": SCHEMA_ARN,
    "datasetGroupArn": GROUP_ARN,
}


def test_ensure_dataset_create_race_winner_with_other_name_is_a_conflict(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a concurrent run creates this group's INTERACTIONS dataset first, under another name
    expect_schema(stubber)
    expect_describe(stubber, "dataset", DATASET_ARN, None)
    expect_already_exists(stubber, "create_dataset", DATASET_ARN, dict(DATASET_REQUEST))
    expect_describe(stubber, "dataset", DATASET_ARN, dataset_body("CREATE PENDING", name="legacy-interactions"))
    # WHEN the dataset is ensured
    # THEN the winner is compared as on the reuse path, not adopted blindly
    with pytest.raises(ResourceConflict, match="already has an INTERACTIONS dataset named 'legacy-interactions'"):
        ensure.ensure_dataset(personalize, PREFIX, GROUP_ARN, dataset_spec())


def test_ensure_dataset_create_race_winner_on_other_schema_asks_to_retry(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a concurrent run creates the dataset first on another schema, and it is still being created
    expect_schema(stubber)
    expect_describe(stubber, "dataset", DATASET_ARN, None)
    expect_already_exists(stubber, "create_dataset", DATASET_ARN, dict(DATASET_REQUEST))
    expect_describe(stubber, "dataset", DATASET_ARN, dataset_body("CREATE IN_PROGRESS", schema_arn=OLD_SCHEMA_ARN))
    # WHEN the dataset is ensured (no update queued: a busy dataset cannot be swapped)
    # THEN the run is not told the dataset is on our schema: it is asked to try again once it is ACTIVE
    with pytest.raises(ResourceConflict, match="retail-demo-interactions' is CREATE IN_PROGRESS.*once it is ACTIVE"):
        ensure.ensure_dataset(personalize, PREFIX, GROUP_ARN, dataset_spec())


def test_ensure_dataset_create_race_active_winner_on_other_schema_is_swapped(
    personalize: Any, stubber: Stubber
) -> None:
    # GIVEN a concurrent run created the dataset first on another schema, and it is already ACTIVE
    expect_schema(stubber)
    expect_describe(stubber, "dataset", DATASET_ARN, None)
    expect_already_exists(stubber, "create_dataset", DATASET_ARN, dict(DATASET_REQUEST))
    expect_describe(stubber, "dataset", DATASET_ARN, dataset_body(schema_arn=OLD_SCHEMA_ARN))
    stubber.add_response(
        "update_dataset", {"datasetArn": DATASET_ARN}, {"datasetArn": DATASET_ARN, "schemaArn": SCHEMA_ARN}
    )
    expect_describe(stubber, "dataset", DATASET_ARN, dataset_body("UPDATE PENDING", schema_arn=OLD_SCHEMA_ARN))
    # WHEN the dataset is ensured
    record = ensure.ensure_dataset(personalize, PREFIX, GROUP_ARN, dataset_spec())
    # THEN it is switched to params' schema like any existing dataset
    assert (record.status, record.action) == ("UPDATE PENDING", "updated")


def test_ensure_dataset_other_name_for_the_type_is_a_conflict(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the group already holds an INTERACTIONS dataset under another name (one per type)
    expect_schema(stubber)
    expect_describe(stubber, "dataset", DATASET_ARN, dataset_body(name="legacy-interactions"))
    # WHEN the dataset is ensured
    with pytest.raises(ResourceConflict) as raised:
        ensure.ensure_dataset(personalize, PREFIX, GROUP_ARN, dataset_spec())
    # THEN the message names both names, the type and the group, and what to do
    assert str(raised.value) == (
        "dataset 'retail-demo-interactions' already exists but differs: dataset group 'retail-demo' already has "
        "an INTERACTIONS dataset named 'legacy-interactions'. A dataset group holds one dataset per type: use that "
        "name in params.json."
    )


def test_ensure_dataset_new_schema_swaps_it_with_update_dataset(personalize: Any, stubber: Stubber) -> None:
    # GIVEN an ACTIVE dataset on an older schema, and a new schema in params.json
    expect_describe(stubber, "schema", SCHEMA_ARN, None)
    stubber.add_response("create_schema", {"schemaArn": SCHEMA_ARN}, {"name": SCHEMA_NAME, "schema": SCHEMA_JSON})
    expect_describe(stubber, "schema", SCHEMA_ARN, schema_body())
    expect_describe(stubber, "dataset", DATASET_ARN, dataset_body(schema_arn=OLD_SCHEMA_ARN))
    stubber.add_response(
        "update_dataset", {"datasetArn": DATASET_ARN}, {"datasetArn": DATASET_ARN, "schemaArn": SCHEMA_ARN}
    )
    expect_describe(
        stubber,
        "dataset",
        DATASET_ARN,
        dataset_body(
            "UPDATE PENDING",
            schema_arn=OLD_SCHEMA_ARN,
            latestDatasetUpdate={"schemaArn": SCHEMA_ARN, "status": "UPDATE PENDING", "creationDateTime": T1},
        ),
    )
    # WHEN the dataset is ensured
    record = ensure.ensure_dataset(personalize, PREFIX, GROUP_ARN, dataset_spec())
    # THEN the schema is swapped in place and the update is polled
    assert (record.status, record.action) == ("UPDATE PENDING", "updated")
    assert record.details == {"schemaArn": SCHEMA_ARN, "schemaName": SCHEMA_NAME, "schemaAction": "created"}


def test_ensure_dataset_new_schema_while_dataset_busy_is_a_conflict(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the dataset is still being created on the old schema
    expect_schema(stubber)
    expect_describe(stubber, "dataset", DATASET_ARN, dataset_body("CREATE IN_PROGRESS", schema_arn=OLD_SCHEMA_ARN))
    # WHEN the dataset is ensured (no update_dataset queued: it must not be called)
    # THEN the run asks to try again once the dataset is ACTIVE
    with pytest.raises(ResourceConflict) as raised:
        ensure.ensure_dataset(personalize, PREFIX, GROUP_ARN, dataset_spec())
    assert str(raised.value) == (
        "dataset 'retail-demo-interactions' is CREATE IN_PROGRESS; its schema can only be replaced once it is "
        "ACTIVE. Upload the parameters again when it is."
    )


FAILED_SWAP = {
    "schemaArn": f"{PREFIX}:schema/{GROUP}-interactions-badbadba",
    "status": "UPDATE FAILED",
    "failureReason": "Required column ITEM_ID is missing",
    "creationDateTime": T0,
    "lastUpdatedDateTime": T1,
}


def test_ensure_dataset_on_old_schema_being_deleted_is_a_conflict(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the dataset, still on its old schema, is being deleted
    expect_schema(stubber)
    expect_describe(stubber, "dataset", DATASET_ARN, dataset_body("DELETE PENDING", schema_arn=OLD_SCHEMA_ARN))
    # WHEN the dataset is ensured (no update_dataset queued)
    with pytest.raises(ResourceConflict) as raised:
        ensure.ensure_dataset(personalize, PREFIX, GROUP_ARN, dataset_spec())
    # THEN the run stops naming the dataset, instead of swapping the schema of a dataset on its way out
    assert str(raised.value) == (
        "dataset 'retail-demo-interactions' is being deleted (DELETE PENDING); wait until it is gone, then upload "
        "the parameters again"
    )


def test_ensure_dataset_after_failed_swap_retries_with_corrected_schema(personalize: Any, stubber: Stubber) -> None:
    # GIVEN an ACTIVE dataset on the old schema whose swap to a bad schema failed in an earlier run
    expect_schema(stubber)
    expect_describe(
        stubber, "dataset", DATASET_ARN, dataset_body(schema_arn=OLD_SCHEMA_ARN, latestDatasetUpdate=FAILED_SWAP)
    )
    stubber.add_response(
        "update_dataset", {"datasetArn": DATASET_ARN}, {"datasetArn": DATASET_ARN, "schemaArn": SCHEMA_ARN}
    )
    expect_describe(
        stubber,
        "dataset",
        DATASET_ARN,
        dataset_body(
            "UPDATE PENDING",
            schema_arn=OLD_SCHEMA_ARN,
            latestDatasetUpdate={"schemaArn": SCHEMA_ARN, "status": "UPDATE PENDING", "creationDateTime": T1},
        ),
    )
    # WHEN the user fixed the schema and uploads the parameters again
    record = ensure.ensure_dataset(personalize, PREFIX, GROUP_ARN, dataset_spec())
    # THEN the old failure does not poison the dataset: the swap is tried again with the corrected schema
    assert record == new_record(
        "dataset",
        DATASET_ARN,
        "retail-demo-interactions",
        "UPDATE PENDING",
        "updated",
        schemaArn=SCHEMA_ARN,
        schemaName=SCHEMA_NAME,
        schemaAction="reused",
    )


def test_ensure_dataset_failed_swap_then_params_back_on_its_schema_is_reused(
    personalize: Any, stubber: Stubber
) -> None:
    # GIVEN a swap away from this schema failed earlier, and params.json went back to this schema
    expect_schema(stubber)
    expect_describe(stubber, "dataset", DATASET_ARN, dataset_body(latestDatasetUpdate=FAILED_SWAP))
    # WHEN the dataset is ensured (no update queued)
    record = ensure.ensure_dataset(personalize, PREFIX, GROUP_ARN, dataset_spec())
    # THEN the dataset is used as it is
    assert (record.status, record.action) == ("ACTIVE", "reused")


def test_ensure_dataset_create_failed_raises_with_update_reason(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the dataset exists but failed; its reason is only in latestDatasetUpdate
    expect_schema(stubber)
    expect_describe(
        stubber,
        "dataset",
        DATASET_ARN,
        dataset_body("CREATE FAILED", latestDatasetUpdate={"status": "CREATE FAILED", "failureReason": "Bad schema"}),
    )
    # WHEN the dataset is ensured
    # THEN the run fails with that reason
    with pytest.raises(ResourceFailed, match="Bad schema"):
        ensure.ensure_dataset(personalize, PREFIX, GROUP_ARN, dataset_spec())


# ----------------------------------------------------------------------------- import
OTHER_JOB = f"{GROUP}-interactions-fedcba987654"  # the same folder with other files in it
OTHER_DATASET_ARN = f"{PREFIX}:dataset/another-team/INTERACTIONS"


def job_arn(name: str) -> str:
    return f"{PREFIX}:dataset-import-job/{name}"


def attempt(base: str, number: int) -> str:
    """The name of attempt ``number`` of ``base``, written out independently of the code."""
    return base if number == 1 else f"{base}-r{number}"


def import_request(name: str = JOB_BASE, **extra: Any) -> dict[str, Any]:
    return {
        "jobName": name,
        "dataSource": {"dataLocation": DATA_LOCATION},
        "datasetArn": DATASET_ARN,
        "roleArn": ROLE_ARN,
        **extra,
    }


def job_summary(name: str, status: str = "ACTIVE", created: datetime = T0, **extra: Any) -> dict[str, Any]:
    """One item of ListDatasetImportJobs (a summary: no datasetArn, no data source)."""
    return {
        "jobName": name,
        "datasetImportJobArn": job_arn(name),
        "status": status,
        "creationDateTime": created,
        "lastUpdatedDateTime": created + timedelta(minutes=9),
        "importMode": "FULL",
        **extra,
    }


def expect_pages(stubber: Stubber, method: str, key: str, params: dict[str, Any], pages: tuple[list, ...]) -> None:
    """One List* call per page, chained by nextToken exactly as botocore's paginator sends it."""
    for index, items in enumerate(pages):
        request = dict(params) if index == 0 else {**params, "nextToken": f"token-{index}"}
        response: dict[str, Any] = {key: items}
        if index < len(pages) - 1:
            response["nextToken"] = f"token-{index + 1}"
        stubber.add_response(method, response, request)


def expect_import_jobs(stubber: Stubber, *pages: list[dict[str, Any]], born: datetime | None = None) -> None:
    """The dataset's description (its creation time), then ListDatasetImportJobs on it, one argument per page."""
    expect_describe(stubber, "dataset", DATASET_ARN, dataset_body(creationDateTime=born or day(-30)))
    expect_pages(stubber, "list_dataset_import_jobs", "datasetImportJobs", {"datasetArn": DATASET_ARN}, pages)


def expect_import_created(stubber: Stubber, name: str, **request: Any) -> None:
    """The free-name check, the create and the read-back of a new import job."""
    expect_describe(stubber, "datasetImportJob", job_arn(name), None)
    stubber.add_response(
        "create_dataset_import_job", {"datasetImportJobArn": job_arn(name)}, import_request(name, **request)
    )
    expect_describe(stubber, "datasetImportJob", job_arn(name), job_body(name, "CREATE PENDING"))


def test_ensure_import_dataset_never_imported_creates_job_with_exact_params(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a dataset with no import job; params ask for an incremental import
    spec = dataset_spec()
    spec["datasetImportJob"]["importMode"] = "INCREMENTAL"
    expect_import_jobs(stubber, [])
    expect_import_created(stubber, JOB_BASE, importMode="INCREMENTAL")
    # WHEN the import is ensured
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, spec)
    # THEN the job is created under the derived name with the pipeline's role and the dataset ARN filled in
    assert record == PollRecord(
        kind="datasetImportJob",
        arn=job_arn(JOB_BASE),
        name=JOB_BASE,
        status="CREATE PENDING",
        action="created",
        waitSeconds=next_wait("datasetImportJob", 0),
        waitedSeconds=0,
        details={},
    )


@pytest.mark.parametrize(
    ("status", "action", "record_status"),
    [
        pytest.param("ACTIVE", "reused", "ACTIVE", id="finished"),
        pytest.param("CREATE IN_PROGRESS", "resumed", "CREATE IN_PROGRESS", id="still-running"),
        pytest.param("CREATE PENDING", "resumed", "CREATE PENDING", id="queued"),
    ],
)
def test_ensure_import_latest_job_is_these_files_is_not_repeated(
    personalize: Any, stubber: Stubber, status: str, action: str, record_status: str
) -> None:
    # GIVEN other data was imported first, then these very files (listed newest first, as the service does)
    expect_import_jobs(stubber, [job_summary(JOB_BASE, status, day(1)), job_summary(OTHER_JOB, "ACTIVE", day(0))])
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), job_body(status=status))
    # WHEN the import is ensured (no create queued: the Stubber fails on one)
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN no second import is started: the finished job is reused, a running one waited for
    assert record == new_record("datasetImportJob", job_arn(JOB_BASE), JOB_BASE, record_status, action)


def test_ensure_import_latest_ours_with_failed_jobs_around_it_is_reused(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the first attempt for these files failed, the second succeeded, and a later import of other
    # files failed (a failed import leaves the dataset's data as it was)
    expect_import_jobs(
        stubber,
        [
            job_summary(JOB_BASE, "CREATE FAILED", day(0), failureReason="Insufficient privileges"),
            job_summary(attempt(JOB_BASE, 2), "ACTIVE", day(1)),
            job_summary(OTHER_JOB, "CREATE FAILED", day(2), failureReason="Input CSV is missing ITEM_ID"),
        ],
    )
    expect_describe(stubber, "datasetImportJob", job_arn(attempt(JOB_BASE, 2)), job_body(attempt(JOB_BASE, 2)))
    # WHEN the import is ensured
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN the successful attempt is reused: these files are still the dataset's data
    assert (record.name, record.arn, record.status, record.action) == (
        attempt(JOB_BASE, 2),
        job_arn(attempt(JOB_BASE, 2)),
        "ACTIVE",
        "reused",
    )


def test_ensure_import_train_schedule_imports_nothing_and_marks_files_it_left(
    personalize: Any, stubber: Stubber
) -> None:
    # GIVEN the dataset's latest import is other files than the folder holds now (new files were uploaded)
    expect_import_jobs(stubber, [job_summary(OTHER_JOB, "ACTIVE", day(1)), job_summary(JOB_BASE, "ACTIVE", day(0))])
    expect_describe(stubber, "datasetImportJob", job_arn(OTHER_JOB), job_body(OTHER_JOB))
    # WHEN a train schedule's run ensures the import (no create queued: the Stubber fails on one)
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, {**dataset_spec(), "importData": False})
    # THEN nothing is imported: the latest import stands, marked as not holding the folder's files
    assert record == new_record(
        "datasetImportJob", job_arn(OTHER_JOB), OTHER_JOB, "ACTIVE", "reused", filesNotImported=True
    )


def test_ensure_import_train_schedule_on_imported_files_reuses_the_job_unmarked(
    personalize: Any, stubber: Stubber
) -> None:
    expect_import_jobs(stubber, [job_summary(JOB_BASE, "ACTIVE", day(1))])
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), job_body())
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, {**dataset_spec(), "importData": False})
    assert record == new_record("datasetImportJob", job_arn(JOB_BASE), JOB_BASE, "ACTIVE", "reused")


def test_ensure_import_train_schedule_without_any_import_fails_saying_how_to_import(
    personalize: Any, stubber: Stubber
) -> None:
    expect_import_jobs(stubber, [job_summary(JOB_BASE, "CREATE FAILED", day(0))])
    with pytest.raises(ResourceFailed) as failed:
        ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, {**dataset_spec(), "importData": False})
    assert str(failed.value) == (
        "the INTERACTIONS dataset has no import to train on, and a train schedule imports nothing: upload "
        "params.json (or let the dataset group's import schedule run) to import the files"
    )


def test_ensure_import_back_to_earlier_data_imports_it_again_as_r2(personalize: Any, stubber: Stubber) -> None:
    # GIVEN these files were imported, then other files replaced them
    expect_import_jobs(stubber, [job_summary(OTHER_JOB, "ACTIVE", day(1)), job_summary(JOB_BASE, "ACTIVE", day(0))])
    # AND the first name is taken for good (import jobs cannot be deleted)
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), job_body())
    expect_import_created(stubber, attempt(JOB_BASE, 2))
    # WHEN the earlier params and data are uploaded again
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN the earlier files are imported again, under the next free name
    assert (record.name, record.arn, record.status, record.action) == (
        attempt(JOB_BASE, 2),
        job_arn(attempt(JOB_BASE, 2)),
        "CREATE PENDING",
        "created",
    )


def test_ensure_import_back_again_after_failed_reimport_takes_r3(personalize: Any, stubber: Stubber) -> None:
    # GIVEN these files, then other files, then a failed re-import of these files as -r2
    expect_import_jobs(
        stubber,
        [
            job_summary(JOB_BASE, "ACTIVE", day(0)),
            job_summary(OTHER_JOB, "ACTIVE", day(1)),
            job_summary(attempt(JOB_BASE, 2), "CREATE FAILED", day(2)),
        ],
    )
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), job_body())
    expect_describe(
        stubber, "datasetImportJob", job_arn(attempt(JOB_BASE, 2)), job_body(attempt(JOB_BASE, 2), "CREATE FAILED")
    )
    expect_import_created(stubber, attempt(JOB_BASE, 3))
    # WHEN the import is ensured
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN the dataset still holds the other files, so these are imported under the first free name
    assert (record.name, record.action) == (attempt(JOB_BASE, 3), "created")


def test_ensure_import_recreated_dataset_with_old_job_name_creates_r2(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the dataset was deleted and created again: its ARN is the same, so the job that filled the old
    # dataset is still listed under it (and still holds the name), but it predates the new dataset
    expect_import_jobs(stubber, [job_summary(JOB_BASE, "ACTIVE", day(0))], born=day(5))
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), job_body())
    expect_import_created(stubber, attempt(JOB_BASE, 2))
    # WHEN the import is ensured
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN the empty dataset is filled again, under the next free name
    assert (record.name, record.action) == (attempt(JOB_BASE, 2), "created")


def test_ensure_import_latest_failed_retries_as_r2(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the only job for these files failed (say the role could not read the bucket)
    reason = "Insufficient privileges for accessing data in S3"
    expect_import_jobs(stubber, [job_summary(JOB_BASE, "CREATE FAILED", failureReason=reason)])
    expect_describe(
        stubber, "datasetImportJob", job_arn(JOB_BASE), job_body(status="CREATE FAILED", failureReason=reason)
    )
    expect_import_created(stubber, attempt(JOB_BASE, 2))
    # WHEN the cause is fixed and the import is ensured again
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN a new attempt runs under <name>-r2
    assert (record.name, record.arn, record.action) == (attempt(JOB_BASE, 2), job_arn(attempt(JOB_BASE, 2)), "created")


def test_ensure_import_r2_in_progress_is_resumed(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the first attempt failed and the second is still running
    expect_import_jobs(
        stubber,
        [
            job_summary(attempt(JOB_BASE, 2), "CREATE IN_PROGRESS", day(1)),
            job_summary(JOB_BASE, "CREATE FAILED", day(0)),
        ],
    )
    expect_describe(
        stubber,
        "datasetImportJob",
        job_arn(attempt(JOB_BASE, 2)),
        job_body(attempt(JOB_BASE, 2), "CREATE IN_PROGRESS"),
    )
    # WHEN the import is ensured
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN the run waits for -r2 rather than starting -r3
    assert (record.name, record.status, record.action) == (attempt(JOB_BASE, 2), "CREATE IN_PROGRESS", "resumed")


def test_ensure_import_every_attempt_failed_gives_up(personalize: Any, stubber: Stubber) -> None:
    # GIVEN all MAX_ATTEMPTS jobs for these files failed
    names = [attempt(JOB_BASE, n) for n in range(1, ensure.MAX_ATTEMPTS + 1)]
    expect_import_jobs(stubber, [job_summary(name, "CREATE FAILED", day(n)) for n, name in enumerate(names)])
    for name in names:
        expect_describe(stubber, "datasetImportJob", job_arn(name), job_body(name, "CREATE FAILED"))
    # WHEN the import is ensured (no create queued)
    with pytest.raises(ResourceFailed) as raised:
        ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN the run asks for a human, naming the data and the last reason
    assert str(raised.value) == (
        f"importing the same INTERACTIONS files failed {ensure.MAX_ATTEMPTS} times; last reason: none given"
    )


def test_ensure_import_eight_failed_jobs_try_a_ninth(personalize: Any, stubber: Stubber) -> None:
    # GIVEN eight failed imports of these files (the limit is nine attempts)
    names = [attempt(JOB_BASE, n) for n in range(1, 9)]
    expect_import_jobs(stubber, [job_summary(name, "CREATE FAILED", day(n)) for n, name in enumerate(names)])
    for name in names:
        expect_describe(stubber, "datasetImportJob", job_arn(name), job_body(name, "CREATE FAILED"))
    expect_import_created(stubber, f"{JOB_BASE}-r9")
    # WHEN the import is ensured
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN the ninth attempt is created
    assert record == new_record(
        "datasetImportJob", job_arn(f"{JOB_BASE}-r9"), f"{JOB_BASE}-r9", "CREATE PENDING", "created"
    )


def test_ensure_import_nine_failed_jobs_give_up_with_last_reason(personalize: Any, stubber: Stubber) -> None:
    # GIVEN nine failed imports of these files, the last with a reason
    names = [attempt(JOB_BASE, n) for n in range(1, 10)]
    expect_import_jobs(stubber, [job_summary(name, "CREATE FAILED", day(n)) for n, name in enumerate(names)])
    for name in names:
        reason = {"failureReason": "Access denied"} if name == names[-1] else {}
        expect_describe(stubber, "datasetImportJob", job_arn(name), job_body(name, "CREATE FAILED", **reason))
    # WHEN the import is ensured (no create queued)
    with pytest.raises(ResourceFailed) as raised:
        ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN the run stops after nine, with the last reason
    assert str(raised.value) == "importing the same INTERACTIONS files failed 9 times; last reason: Access denied"


def test_ensure_import_names_spent_by_successful_imports_do_not_count_as_failures(
    personalize: Any, stubber: Stubber
) -> None:
    # GIVEN the dataset alternated between these files and others: every attempt name imported successfully
    names = [attempt(JOB_BASE, n) for n in range(1, ensure.MAX_ATTEMPTS + 1)]
    others = [f"{GROUP}-interactions-{n:012x}" for n in range(1, ensure.MAX_ATTEMPTS + 1)]
    jobs = []
    for n, (ours, theirs) in enumerate(zip(names, others, strict=True)):
        jobs += [job_summary(ours, "ACTIVE", day(2 * n)), job_summary(theirs, "ACTIVE", day(2 * n + 1))]
    expect_import_jobs(stubber, jobs)
    for name in names:
        expect_describe(stubber, "datasetImportJob", job_arn(name), job_body(name))
    expect_import_created(stubber, attempt(JOB_BASE, ensure.MAX_ATTEMPTS + 1))
    # WHEN these files are uploaded once more
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN only failures count against the limit: the files are imported again under the next name
    assert (record.name, record.action) == (attempt(JOB_BASE, ensure.MAX_ATTEMPTS + 1), "created")


def test_ensure_import_long_name_retry_stays_within_63_characters(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a 63-character job name whose first attempt failed
    base = "g" * 42 + "-interactions-0123456"
    assert len(base) == 63
    spec = dataset_spec()
    spec["datasetImportJob"]["jobName"] = base
    retry = base[:60] + "-r2"
    expect_import_jobs(stubber, [job_summary(base, "CREATE FAILED")])
    expect_describe(stubber, "datasetImportJob", job_arn(base), job_body(base, "CREATE FAILED"))
    expect_import_created(stubber, retry)
    # WHEN the import is ensured
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, spec)
    # THEN the retry name is a valid Personalize name
    assert record.name == retry and len(record.name) == 63


def test_ensure_import_long_name_latest_retry_is_recognised(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a 63-character job name whose cut retry name is the latest import of the dataset
    base = "g" * 42 + "-interactions-0123456"
    spec = dataset_spec()
    spec["datasetImportJob"]["jobName"] = base
    retry = base[:60] + "-r2"
    expect_import_jobs(stubber, [job_summary(base, "CREATE FAILED", day(0)), job_summary(retry, "ACTIVE", day(1))])
    expect_describe(stubber, "datasetImportJob", job_arn(retry), job_body(retry))
    # WHEN the import is ensured
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, spec)
    # THEN the cut name still counts as an attempt of these files
    assert (record.name, record.action) == (retry, "reused")


def test_ensure_import_job_name_used_on_another_dataset_takes_next_name(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a job with the derived name imported into another dataset (job names are account-wide)
    expect_import_jobs(stubber, [])
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), job_body(dataset_arn=OTHER_DATASET_ARN))
    expect_import_created(stubber, attempt(JOB_BASE, 2))
    # WHEN the import is ensured
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN the other dataset's job is left alone and this dataset gets its own job
    assert (record.name, record.action) == (attempt(JOB_BASE, 2), "created")


def test_ensure_import_create_race_adopts_the_winner(personalize: Any, stubber: Stubber) -> None:
    # GIVEN another run starts the same job on this dataset between our describe and our create
    expect_import_jobs(stubber, [])
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), None)
    expect_already_exists(stubber, "create_dataset_import_job", job_arn(JOB_BASE), import_request())
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), job_body(status="CREATE PENDING"))
    # WHEN the import is ensured
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN the running job is adopted and reported as resumed (it is still running)
    assert record == new_record("datasetImportJob", job_arn(JOB_BASE), JOB_BASE, "CREATE PENDING", "resumed")


def test_ensure_import_job_created_with_the_dataset_belongs_to_it(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the latest job of these files was created in the same instant as the dataset (a fast first upload)
    expect_import_jobs(stubber, [job_summary(JOB_BASE, "ACTIVE", day(0))], born=day(0))
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), job_body())
    # WHEN the import is ensured (no create queued)
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN that job filled this dataset: it is reused
    assert record == new_record("datasetImportJob", job_arn(JOB_BASE), JOB_BASE, "ACTIVE", "reused")


def test_ensure_import_latest_job_status_is_read_from_its_description(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the listing still shows the job running, while its description (read after) shows it finished
    expect_import_jobs(stubber, [job_summary(JOB_BASE, "CREATE IN_PROGRESS", day(1))])
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), job_body(status="ACTIVE"))
    # WHEN the import is ensured
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN the record carries the described (newer) status
    assert record == new_record("datasetImportJob", job_arn(JOB_BASE), JOB_BASE, "ACTIVE", "resumed")


def test_ensure_import_create_race_adopting_a_failed_job_takes_next_name(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a concurrent run created the same job on this dataset, and it has already failed
    expect_import_jobs(stubber, [])
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), None)
    expect_already_exists(stubber, "create_dataset_import_job", job_arn(JOB_BASE), import_request())
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), job_body(status="CREATE FAILED"))
    expect_import_created(stubber, attempt(JOB_BASE, 2))
    # WHEN the import is ensured
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN the failed job counts as an attempt and the next name is tried
    assert record == new_record(
        "datasetImportJob", job_arn(attempt(JOB_BASE, 2)), attempt(JOB_BASE, 2), "CREATE PENDING", "created"
    )


def test_ensure_import_every_name_taken_elsewhere_is_a_conflict(personalize: Any, stubber: Stubber) -> None:
    # GIVEN all 99 names for these files are held by jobs of another dataset (names are account-wide)
    expect_import_jobs(stubber, [])
    for n in range(1, 100):
        expect_describe(
            stubber,
            "datasetImportJob",
            job_arn(attempt(JOB_BASE, n)),
            job_body(attempt(JOB_BASE, n), dataset_arn=OTHER_DATASET_ARN),
        )
    # WHEN the import is ensured (no create queued)
    with pytest.raises(ResourceConflict) as raised:
        ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN the run stops after the 99th name, saying how to get out
    assert str(raised.value) == (
        f"all 99 import job names for these INTERACTIONS files ({JOB_BASE}, {JOB_BASE}-r2 ...) are taken; "
        "rename the dataset group to import them again"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(JOB_BASE, 1, id="first"),
        pytest.param(f"{JOB_BASE}-r2", 2, id="second"),
        pytest.param(f"{JOB_BASE}-r99", 99, id="last"),
        pytest.param(f"{JOB_BASE}-r100", None, id="past-the-last"),
        pytest.param(f"{JOB_BASE}-r1", None, id="r1-is-not-a-name"),
        pytest.param(f"{JOB_BASE}-r0", None, id="r0-is-not-a-name"),
        pytest.param(OTHER_JOB, None, id="other-content"),
    ],
)
def test_attempt_of_recognises_exactly_the_99_attempt_names(name: str, expected: int | None) -> None:
    # GIVEN a job or version name WHEN its attempt number is read THEN only <base> and <base>-r2..-r99 count
    assert ensure._attempt_of(JOB_BASE, name) == expected


def test_ensure_import_create_race_lost_to_another_dataset_takes_next_name(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a run for another dataset takes the derived name between our describe and our create
    expect_import_jobs(stubber, [])
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), None)
    expect_already_exists(stubber, "create_dataset_import_job", job_arn(JOB_BASE), import_request())
    expect_describe(
        stubber, "datasetImportJob", job_arn(JOB_BASE), job_body(status="CREATE PENDING", dataset_arn=OTHER_DATASET_ARN)
    )
    expect_import_created(stubber, attempt(JOB_BASE, 2))
    # WHEN the import is ensured
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN the other dataset's job is not adopted; this dataset's import runs under the next name
    assert record == new_record(
        "datasetImportJob", job_arn(attempt(JOB_BASE, 2)), attempt(JOB_BASE, 2), "CREATE PENDING", "created"
    )


def test_ensure_import_latest_job_on_second_page_is_found(personalize: Any, stubber: Stubber) -> None:
    # GIVEN two pages of jobs; the dataset's latest import, these very files as -r2, is on the second
    expect_import_jobs(
        stubber,
        [job_summary(JOB_BASE, "CREATE FAILED", day(0)), job_summary(OTHER_JOB, "ACTIVE", day(1))],
        [job_summary(attempt(JOB_BASE, 2), "ACTIVE", day(2))],
    )
    expect_describe(stubber, "datasetImportJob", job_arn(attempt(JOB_BASE, 2)), job_body(attempt(JOB_BASE, 2)))
    # WHEN the import is ensured
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN every page is read and -r2 is reused
    assert (record.name, record.action) == (attempt(JOB_BASE, 2), "reused")


def test_ensure_import_pages_in_any_order_latest_is_by_creation_time(personalize: Any, stubber: Stubber) -> None:
    # GIVEN two pages, newest first: other files on the first page, these files (older) on the second
    expect_import_jobs(stubber, [job_summary(OTHER_JOB, "ACTIVE", day(1))], [job_summary(JOB_BASE, "ACTIVE", day(0))])
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), job_body())
    expect_import_created(stubber, attempt(JOB_BASE, 2))
    # WHEN the import is ensured
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    # THEN the latest import is chosen by creation time, not by its place in the listing
    assert (record.name, record.action) == (attempt(JOB_BASE, 2), "created")


def test_ensure_import_throttled_list_propagates_client_error(personalize: Any, stubber: Stubber) -> None:
    # GIVEN Personalize throttles the listing of the dataset's jobs
    expect_describe(stubber, "dataset", DATASET_ARN, dataset_body())
    stubber.add_client_error(
        "list_dataset_import_jobs",
        service_error_code="ThrottlingException",
        service_message="Rate exceeded",
        expected_params={"datasetArn": DATASET_ARN},
    )
    # WHEN the import is ensured (nothing else queued: no job may be created blind)
    # THEN the ClientError reaches run_step, which renames it for the state machine's Retry
    with pytest.raises(ClientError) as raised:
        ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec())
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"


# ----------------------------------------------------------------------------- solution
def test_ensure_solution_absent_creates_with_exact_params(personalize: Any, stubber: Stubber) -> None:
    # GIVEN no solution with that name
    spec = {**SOLUTION_SPEC, "tags": [{"tagKey": "team", "tagValue": "ml"}]}
    expect_describe(stubber, "solution", SOLUTION_ARN, None)
    stubber.add_response("create_solution", {"solutionArn": SOLUTION_ARN}, {**spec, "datasetGroupArn": GROUP_ARN})
    expect_describe(stubber, "solution", SOLUTION_ARN, solution_body("CREATE PENDING"))
    # WHEN it is ensured
    record = ensure.ensure_solution(personalize, PREFIX, GROUP_ARN, spec)
    # THEN it is created from the params section plus the dataset group
    assert record == PollRecord(
        kind="solution",
        arn=SOLUTION_ARN,
        name=SOLUTION,
        status="CREATE PENDING",
        action="created",
        waitSeconds=next_wait("solution", 0),
        waitedSeconds=0,
        details={},
    )


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(dict(SOLUTION_SPEC), id="plain"),
        pytest.param({**SOLUTION_SPEC, "tags": [{"tagKey": "team", "tagValue": "ml"}]}, id="tags-ignored"),
        pytest.param(
            {**SOLUTION_SPEC, "solutionConfig": {"algorithmHyperParameters": {"bptt": 32}}},
            id="number-echoed-as-string",
        ),
        pytest.param({**SOLUTION_SPEC, "performHPO": False}, id="explicit-default"),
    ],
)
def test_ensure_solution_same_config_is_reused_without_create(
    personalize: Any, stubber: Stubber, spec: dict[str, Any]
) -> None:
    # GIVEN the solution exists with the configuration params.json asks for
    expect_describe(stubber, "solution", SOLUTION_ARN, solution_body())
    # WHEN it is ensured
    record = ensure.ensure_solution(personalize, PREFIX, GROUP_ARN, spec)
    # THEN it is reused
    stubber.assert_no_pending_responses()
    assert (record.status, record.action) == ("ACTIVE", "reused")


def test_ensure_solution_automl_ignores_the_recipe_personalize_chose(personalize: Any, stubber: Stubber) -> None:
    # GIVEN an AutoML solution; Personalize reports the recipe it picked
    body = solution_body(performAutoML=True, autoMLResult={"bestRecipeArn": RECIPE})
    expect_describe(stubber, "solution", SOLUTION_ARN, body)
    # WHEN params.json (no recipe, AutoML on) is ensured
    record = ensure.ensure_solution(
        personalize, PREFIX, GROUP_ARN, {"name": SOLUTION, "performAutoML": True, "performAutoTraining": False}
    )
    # THEN the chosen recipe is not a difference
    assert record.action == "reused"


def test_ensure_solution_recipe_differs_conflict_names_both_recipes(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the solution exists with another recipe (immutable)
    expect_describe(stubber, "solution", SOLUTION_ARN, solution_body(recipeArn=OTHER_RECIPE))
    # WHEN it is ensured
    with pytest.raises(ResourceConflict) as raised:
        ensure.ensure_solution(personalize, PREFIX, GROUP_ARN, dict(SOLUTION_SPEC))
    # THEN the message names the solution and both recipes
    message = str(raised.value)
    assert f"solution '{SOLUTION}'" in message
    assert f'recipeArn is "{OTHER_RECIPE}"; params ask for "{RECIPE}"' in message


@pytest.mark.parametrize(
    ("config", "body", "difference"),
    [
        pytest.param(
            {"eventValueThreshold": "0.5"},
            solution_body(),
            'solutionConfig.eventValueThreshold is null; params ask for "0.5"',
            id="setting-absent-from-config",
        ),
        pytest.param(
            {"eventValueThreshold": "0.5"},
            {k: v for k, v in solution_body().items() if k != "solutionConfig"},
            'solutionConfig.eventValueThreshold is null; params ask for "0.5"',
            id="config-absent",
        ),
        pytest.param(
            {"hpoConfig": {"hpoResourceConfig": {"maxNumberOfTrainingJobs": "4"}}},
            solution_body(),
            'solutionConfig.hpoConfig.hpoResourceConfig.maxNumberOfTrainingJobs is null; params ask for "4"',
            id="nested-section-absent",
        ),
        pytest.param(
            {"algorithmHyperParameters": {"bptt": "64"}},
            solution_body(),
            'solutionConfig.algorithmHyperParameters.bptt is "32"; params ask for "64"',
            id="nested-value-differs",
        ),
    ],
)
def test_ensure_solution_nested_setting_differs_conflict_names_its_path(
    personalize: Any, stubber: Stubber, config: dict[str, Any], body: dict[str, Any], difference: str
) -> None:
    # GIVEN the solution exists without a nested setting params.json asks for (or with another value)
    expect_describe(stubber, "solution", SOLUTION_ARN, body)
    # WHEN it is ensured
    with pytest.raises(ResourceConflict) as raised:
        ensure.ensure_solution(personalize, PREFIX, GROUP_ARN, {**SOLUTION_SPEC, "solutionConfig": config})
    # THEN it is a conflict naming the setting's full path and both values, like a flat setting
    assert str(raised.value) == (
        f"solution '{SOLUTION}' already exists but differs: {difference}. "
        "A solution's configuration cannot change: choose a new solution name, or delete the old one."
    )


def test_ensure_solution_empty_config_section_asks_for_nothing(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the solution exists without solutionConfig, and params.json has an empty one
    expect_describe(
        stubber, "solution", SOLUTION_ARN, {k: v for k, v in solution_body().items() if k != "solutionConfig"}
    )
    # WHEN it is ensured
    record = ensure.ensure_solution(personalize, PREFIX, GROUP_ARN, {**SOLUTION_SPEC, "solutionConfig": {}})
    # THEN it is reused: an empty section sets nothing that could differ
    assert record == new_record("solution", SOLUTION_ARN, SOLUTION, "ACTIVE", "reused")


def test_ensure_solution_flat_and_nested_differences_are_all_listed(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the solution exists with another recipe and another hyperparameter value
    expect_describe(stubber, "solution", SOLUTION_ARN, solution_body(recipeArn=OTHER_RECIPE))
    spec = {**SOLUTION_SPEC, "solutionConfig": {"algorithmHyperParameters": {"bptt": "64", "hidden_dimension": "149"}}}
    # WHEN it is ensured
    with pytest.raises(ResourceConflict) as raised:
        ensure.ensure_solution(personalize, PREFIX, GROUP_ARN, spec)
    # THEN both differences are listed, in the order of params.json
    assert str(raised.value) == (
        f"solution '{SOLUTION}' already exists but differs: "
        f'recipeArn is "{OTHER_RECIPE}"; params ask for "{RECIPE}"; '
        'solutionConfig.algorithmHyperParameters.bptt is "32"; params ask for "64". '
        "A solution's configuration cannot change: choose a new solution name, or delete the old one."
    )


def test_ensure_solution_boolean_echoed_as_string_is_the_same(personalize: Any, stubber: Stubber) -> None:
    # GIVEN Personalize echoes a boolean hyperparameter as the string "true"
    config = {"algorithmHyperParameters": {"bptt": "32", "hidden_dimension": "149", "use_context": "true"}}
    expect_describe(stubber, "solution", SOLUTION_ARN, solution_body(solutionConfig=config))
    # WHEN params give it as a JSON boolean
    spec = {**SOLUTION_SPEC, "solutionConfig": {"algorithmHyperParameters": {"use_context": True}}}
    record = ensure.ensure_solution(personalize, PREFIX, GROUP_ARN, spec)
    # THEN it is the same setting: the solution is reused
    assert record == new_record("solution", SOLUTION_ARN, SOLUTION, "ACTIVE", "reused")


def test_ensure_solution_in_another_dataset_group_is_a_conflict(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a solution with that name belongs to another dataset group (names are account-wide)
    expect_describe(stubber, "solution", SOLUTION_ARN, solution_body(datasetGroupArn=OTHER_GROUP_ARN))
    # WHEN it is ensured
    # THEN both groups are named
    with pytest.raises(ResourceConflict, match="another-team.*retail-demo"):
        ensure.ensure_solution(personalize, PREFIX, GROUP_ARN, dict(SOLUTION_SPEC))


def test_ensure_solution_create_race_adopts_the_winner(personalize: Any, stubber: Stubber) -> None:
    # GIVEN another run creates the same solution first
    expect_describe(stubber, "solution", SOLUTION_ARN, None)
    expect_already_exists(stubber, "create_solution", SOLUTION_ARN, {**SOLUTION_SPEC, "datasetGroupArn": GROUP_ARN})
    expect_describe(stubber, "solution", SOLUTION_ARN, solution_body("CREATE IN_PROGRESS"))
    # WHEN it is ensured
    record = ensure.ensure_solution(personalize, PREFIX, GROUP_ARN, dict(SOLUTION_SPEC))
    # THEN it is adopted
    assert (record.status, record.action) == ("CREATE IN_PROGRESS", "reused")


def test_ensure_solution_create_race_with_other_recipe_is_a_conflict(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a concurrent run with another recipe wins the create
    expect_describe(stubber, "solution", SOLUTION_ARN, None)
    expect_already_exists(stubber, "create_solution", SOLUTION_ARN, {**SOLUTION_SPEC, "datasetGroupArn": GROUP_ARN})
    expect_describe(stubber, "solution", SOLUTION_ARN, solution_body("CREATE PENDING", recipeArn=OTHER_RECIPE))
    # WHEN it is ensured
    with pytest.raises(ResourceConflict) as raised:
        ensure.ensure_solution(personalize, PREFIX, GROUP_ARN, dict(SOLUTION_SPEC))
    # THEN the difference is reported as on the reuse path
    assert str(raised.value) == (
        f"solution '{SOLUTION}' already exists but differs: "
        f'recipeArn is "{OTHER_RECIPE}"; params ask for "{RECIPE}". '
        "A solution's configuration cannot change: choose a new solution name, or delete the old one."
    )


def test_ensure_solution_created_is_not_compared(personalize: Any, stubber: Stubber) -> None:
    # GIVEN no solution; the read-back shows service defaults and the tags are not echoed
    spec = {**SOLUTION_SPEC, "tags": [{"tagKey": "team", "tagValue": "ml"}]}
    expect_describe(stubber, "solution", SOLUTION_ARN, None)
    stubber.add_response("create_solution", {"solutionArn": SOLUTION_ARN}, {**spec, "datasetGroupArn": GROUP_ARN})
    expect_describe(stubber, "solution", SOLUTION_ARN, solution_body("CREATE PENDING", performAutoTraining=True))
    # WHEN it is ensured
    record = ensure.ensure_solution(personalize, PREFIX, GROUP_ARN, spec)
    # THEN what this run created is trusted: only an adopted or earlier solution is compared
    assert (record.status, record.action) == ("CREATE PENDING", "created")


def test_ensure_solution_being_deleted_is_a_conflict(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the solution is being deleted
    expect_describe(stubber, "solution", SOLUTION_ARN, solution_body("DELETE IN_PROGRESS"))
    # WHEN it is ensured
    # THEN the run stops
    with pytest.raises(ResourceConflict, match="being deleted"):
        ensure.ensure_solution(personalize, PREFIX, GROUP_ARN, dict(SOLUTION_SPEC))


# ----------------------------------------------------------------------------- solution version
OTHER_DATA_VERSION = f"{SOLUTION}-0000aaaa1111"  # the derived name of a version trained on other data


def version_arn(number: int) -> str:
    return f"{SOLUTION_ARN}/{number:08x}"


def version_summary(arn: str, status: str = "ACTIVE", created: datetime = T0, **extra: Any) -> dict[str, Any]:
    """One item of ListSolutionVersions: it has no name, which is why each version is described."""
    return {
        "solutionVersionArn": arn,
        "status": status,
        "trainingMode": "FULL",
        "trainingType": "MANUAL",
        "creationDateTime": created,
        "lastUpdatedDateTime": created + timedelta(hours=2),
        **extra,
    }


def expect_versions(stubber: Stubber, *pages: list[dict[str, Any]]) -> None:
    """ListSolutionVersions filtered on this solution, one argument per page."""
    expect_pages(stubber, "list_solution_versions", "solutionVersions", {"solutionArn": SOLUTION_ARN}, pages)


def expect_solution_exists(stubber: Stubber) -> None:
    expect_describe(stubber, "solution", SOLUTION_ARN, solution_body())


def expect_training(stubber: Stubber, name: str, **extra: Any) -> None:
    stubber.add_response(
        "create_solution_version",
        {"solutionVersionArn": NEW_VERSION_ARN},
        {"solutionArn": SOLUTION_ARN, "name": name, **extra},
    )
    expect_describe(stubber, "solutionVersion", NEW_VERSION_ARN, version_body(name, NEW_VERSION_ARN, "CREATE PENDING"))


@pytest.mark.parametrize(
    ("status", "action", "record_status"),
    [
        pytest.param("ACTIVE", "reused", "ACTIVE", id="trained"),
        pytest.param("CREATE IN_PROGRESS", "resumed", "CREATE IN_PROGRESS", id="training"),
        pytest.param("CREATE PENDING", "resumed", "CREATE PENDING", id="queued"),
    ],
)
def test_ensure_solution_version_latest_has_derived_name_is_not_retrained(
    personalize: Any, stubber: Stubber, status: str, action: str, record_status: str
) -> None:
    # GIVEN the solution's only version carries the name derived from this config and data
    expect_solution_exists(stubber)
    expect_versions(stubber, [version_summary(VERSION_ARN, status)])
    expect_describe(stubber, "solutionVersion", VERSION_ARN, version_body(VERSION_BASE, status=status))
    # WHEN the version is ensured (no create queued)
    record = ensure.ensure_solution_version(personalize, SOLUTION_ARN, {"name": VERSION_BASE})
    # THEN no second training is paid for
    assert record == new_record(
        "solutionVersion", VERSION_ARN, VERSION_BASE, record_status, action, solutionArn=SOLUTION_ARN
    )


def test_ensure_solution_version_ours_not_latest_is_reused(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a version was trained on these data, then a newer one on other data (newest described first)
    expect_solution_exists(stubber)
    expect_versions(
        stubber, [version_summary(VERSION_ARN, created=day(1)), version_summary(OLD_VERSION_ARN, created=day(0))]
    )
    expect_describe(stubber, "solutionVersion", VERSION_ARN, version_body(OTHER_DATA_VERSION, VERSION_ARN))
    expect_describe(stubber, "solutionVersion", OLD_VERSION_ARN, version_body(VERSION_BASE, OLD_VERSION_ARN))
    # WHEN the earlier data and config are uploaded again
    record = ensure.ensure_solution_version(personalize, SOLUTION_ARN, {"name": VERSION_BASE})
    # THEN the version trained on them is reused instead of training again
    assert record == new_record(
        "solutionVersion", OLD_VERSION_ARN, VERSION_BASE, "ACTIVE", "reused", solutionArn=SOLUTION_ARN
    )


def test_ensure_solution_version_ours_after_failed_attempt_is_reused(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the first attempt failed, -r2 trained, and a later version on other data exists
    expect_solution_exists(stubber)
    expect_versions(
        stubber,
        [
            version_summary(version_arn(3), created=day(2)),
            version_summary(version_arn(2), created=day(1)),
            version_summary(version_arn(1), "CREATE FAILED", day(0)),
        ],
    )
    expect_describe(stubber, "solutionVersion", version_arn(3), version_body(OTHER_DATA_VERSION, version_arn(3)))
    expect_describe(stubber, "solutionVersion", version_arn(2), version_body(f"{VERSION_BASE}-r2", version_arn(2)))
    # WHEN the version is ensured (the failed first attempt is never described: -r2 answers first)
    record = ensure.ensure_solution_version(personalize, SOLUTION_ARN, {"name": VERSION_BASE})
    # THEN -r2 is reused
    assert (record.arn, record.name, record.action) == (version_arn(2), f"{VERSION_BASE}-r2", "reused")


UPDATE_BASE = f"{SOLUTION}-7e7e7e7e7e7e"  # the UPDATE-mode name of the same data


def test_ensure_solution_version_scheduled_update_on_unchanged_data_reuses_latest_active(
    personalize: Any, stubber: Stubber
) -> None:
    # GIVEN the latest ACTIVE version was trained FULL on this data (a newer one is still training)
    expect_solution_exists(stubber)
    expect_versions(
        stubber,
        [version_summary(NEW_VERSION_ARN, "CREATE IN_PROGRESS", day(2)), version_summary(VERSION_ARN, created=day(1))],
    )
    expect_describe(stubber, "solutionVersion", VERSION_ARN, version_body(VERSION_BASE, VERSION_ARN))
    # WHEN an UPDATE schedule's run ensures its version (same data: both modes' names are reusable)
    spec = {"name": UPDATE_BASE, "trainingMode": "UPDATE", "reuseIfLatestActive": [VERSION_BASE, UPDATE_BASE]}
    record = ensure.ensure_solution_version(personalize, SOLUTION_ARN, spec)
    # THEN the latest ACTIVE version is reused: nothing is trained
    assert record == new_record(
        "solutionVersion", VERSION_ARN, VERSION_BASE, "ACTIVE", "reused", solutionArn=SOLUTION_ARN
    )


def test_ensure_solution_version_scheduled_on_changed_data_trains_in_the_schedule_mode(
    personalize: Any, stubber: Stubber
) -> None:
    # GIVEN the latest ACTIVE version was trained on other data
    expect_solution_exists(stubber)
    expect_versions(stubber, [version_summary(VERSION_ARN, created=day(1))])
    expect_describe(stubber, "solutionVersion", VERSION_ARN, version_body(OTHER_DATA_VERSION, VERSION_ARN))
    expect_describe(stubber, "solutionVersion", VERSION_ARN, version_body(OTHER_DATA_VERSION, VERSION_ARN))
    expect_training(stubber, UPDATE_BASE, trainingMode="UPDATE")
    # WHEN the scheduled run ensures its version
    spec = {"name": UPDATE_BASE, "trainingMode": "UPDATE", "reuseIfLatestActive": [VERSION_BASE, UPDATE_BASE]}
    record = ensure.ensure_solution_version(personalize, SOLUTION_ARN, spec)
    # THEN it trains, in UPDATE, under the UPDATE name (the pipeline's key is not sent to Personalize)
    assert (record.arn, record.name, record.action) == (NEW_VERSION_ARN, UPDATE_BASE, "created")


def test_ensure_solution_version_train_schedule_over_unimported_files_reuses_latest_active(
    personalize: Any, stubber: Stubber
) -> None:
    # GIVEN the latest ACTIVE version was trained on other names than this run's (new files in the folder), and
    # the train schedule's run did not import them
    expect_solution_exists(stubber)
    expect_versions(stubber, [version_summary(VERSION_ARN, created=day(1))])
    expect_describe(stubber, "solutionVersion", VERSION_ARN, version_body(OTHER_DATA_VERSION, VERSION_ARN))
    imports = [{"importJob": {"name": "j", "details": {"filesNotImported": True}}}]
    # WHEN its version is ensured
    spec = {"name": UPDATE_BASE, "trainingMode": "UPDATE", "reuseIfLatestActive": [VERSION_BASE, UPDATE_BASE]}
    record = ensure.ensure_solution_version(personalize, SOLUTION_ARN, spec, imports)
    # THEN the data trained on did not change: the latest ACTIVE version is reused, nothing trained
    assert (record.arn, record.name, record.action) == (VERSION_ARN, OTHER_DATA_VERSION, "reused")


@pytest.mark.parametrize("status", ["CREATE FAILED", "CREATE STOPPED", "CREATE STOPPING"])
def test_ensure_solution_version_failed_trains_again_as_r2(personalize: Any, stubber: Stubber, status: str) -> None:
    # GIVEN the version with the derived name failed or was stopped
    expect_solution_exists(stubber)
    expect_versions(stubber, [version_summary(VERSION_ARN, status)])
    expect_describe(
        stubber,
        "solutionVersion",
        VERSION_ARN,
        version_body(VERSION_BASE, status=status, failureReason="Not enough interactions"),
    )
    expect_training(stubber, f"{VERSION_BASE}-r2", trainingMode="FULL")
    # WHEN the version is ensured
    record = ensure.ensure_solution_version(personalize, SOLUTION_ARN, {"name": VERSION_BASE, "trainingMode": "FULL"})
    # THEN a new attempt trains under -r2 with the same options
    assert record == new_record(
        "solutionVersion", NEW_VERSION_ARN, f"{VERSION_BASE}-r2", "CREATE PENDING", "created", solutionArn=SOLUTION_ARN
    )


def test_ensure_solution_version_failed_attempts_train_the_next_after_the_highest(
    personalize: Any, stubber: Stubber
) -> None:
    # GIVEN attempts 1 and 3 failed (listed oldest first), with a version on other data in between
    expect_solution_exists(stubber)
    expect_versions(
        stubber,
        [
            version_summary(version_arn(1), "CREATE FAILED", day(0)),
            version_summary(version_arn(2), created=day(1)),
            version_summary(version_arn(3), "CREATE FAILED", day(2)),
        ],
    )
    # AND each version is described newest first to read its name
    expect_describe(
        stubber, "solutionVersion", version_arn(3), version_body(f"{VERSION_BASE}-r3", version_arn(3), "CREATE FAILED")
    )
    expect_describe(stubber, "solutionVersion", version_arn(2), version_body(OTHER_DATA_VERSION, version_arn(2)))
    expect_describe(
        stubber, "solutionVersion", version_arn(1), version_body(VERSION_BASE, version_arn(1), "CREATE FAILED")
    )
    expect_training(stubber, f"{VERSION_BASE}-r4")
    # WHEN the version is ensured
    record = ensure.ensure_solution_version(personalize, SOLUTION_ARN, {"name": VERSION_BASE})
    # THEN the next attempt follows the highest failed one
    assert (record.name, record.action) == (f"{VERSION_BASE}-r4", "created")


def test_ensure_solution_version_last_attempt_failed_gives_up_with_reason(personalize: Any, stubber: Stubber) -> None:
    # GIVEN all MAX_ATTEMPTS attempts failed; the last one for another reason than the others
    expect_solution_exists(stubber)
    attempts = range(ensure.MAX_ATTEMPTS, 0, -1)  # newest first
    expect_versions(stubber, [version_summary(version_arn(n), "CREATE FAILED", day(n)) for n in attempts])
    for n in attempts:
        reason = "Out of memory" if n == ensure.MAX_ATTEMPTS else "Not enough interactions"
        name = VERSION_BASE if n == 1 else f"{VERSION_BASE}-r{n}"
        body = version_body(name, version_arn(n), "CREATE FAILED", failureReason=reason)
        expect_describe(stubber, "solutionVersion", version_arn(n), body)
    # WHEN the version is ensured (no create queued)
    with pytest.raises(ResourceFailed) as raised:
        ensure.ensure_solution_version(personalize, SOLUTION_ARN, {"name": VERSION_BASE})
    # THEN the run stops with the last attempt's reason
    assert str(raised.value) == (
        f"training failed {ensure.MAX_ATTEMPTS} times on the same data and configuration; last reason: Out of memory"
    )


def test_ensure_solution_version_eight_failed_attempts_train_a_ninth(personalize: Any, stubber: Stubber) -> None:
    # GIVEN eight failed trainings of this content (the limit is nine attempts)
    expect_solution_exists(stubber)
    attempts = range(8, 0, -1)  # newest first
    expect_versions(stubber, [version_summary(version_arn(n), "CREATE FAILED", day(n)) for n in attempts])
    for n in attempts:
        name = VERSION_BASE if n == 1 else f"{VERSION_BASE}-r{n}"
        expect_describe(stubber, "solutionVersion", version_arn(n), version_body(name, version_arn(n), "CREATE FAILED"))
    expect_training(stubber, f"{VERSION_BASE}-r9")
    # WHEN the version is ensured
    record = ensure.ensure_solution_version(personalize, SOLUTION_ARN, {"name": VERSION_BASE})
    # THEN the ninth attempt is trained
    assert record == new_record(
        "solutionVersion", NEW_VERSION_ARN, f"{VERSION_BASE}-r9", "CREATE PENDING", "created", solutionArn=SOLUTION_ARN
    )


def test_ensure_solution_version_nine_failed_attempts_give_up(personalize: Any, stubber: Stubber) -> None:
    # GIVEN nine failed trainings of this content
    expect_solution_exists(stubber)
    attempts = range(9, 0, -1)
    expect_versions(stubber, [version_summary(version_arn(n), "CREATE FAILED", day(n)) for n in attempts])
    for n in attempts:
        name = VERSION_BASE if n == 1 else f"{VERSION_BASE}-r{n}"
        expect_describe(stubber, "solutionVersion", version_arn(n), version_body(name, version_arn(n), "CREATE FAILED"))
    # WHEN the version is ensured (no create queued)
    with pytest.raises(ResourceFailed) as raised:
        ensure.ensure_solution_version(personalize, SOLUTION_ARN, {"name": VERSION_BASE})
    # THEN a tenth training is never paid for
    assert str(raised.value) == "training failed 9 times on the same data and configuration; last reason: none given"


@pytest.mark.parametrize(
    "versions",
    [
        pytest.param([version_body(OTHER_DATA_VERSION, OLD_VERSION_ARN)], id="other-data"),
        pytest.param([version_body(f"{SOLUTION}/c1a33236", OLD_VERSION_ARN)], id="unnamed-automatic"),
        pytest.param([version_body(f"{VERSION_BASE}-r1", OLD_VERSION_ARN)], id="lookalike-r1"),
        pytest.param([], id="never-trained"),
    ],
)
def test_ensure_solution_version_no_version_has_derived_name_trains(
    personalize: Any, stubber: Stubber, versions: list[dict[str, Any]]
) -> None:
    # GIVEN the solution's versions were trained on other data or configuration (or there is none)
    expect_solution_exists(stubber)
    expect_versions(stubber, [version_summary(v["solutionVersionArn"]) for v in versions])
    for version in versions:
        expect_describe(stubber, "solutionVersion", version["solutionVersionArn"], version)
    expect_training(stubber, VERSION_BASE)
    # WHEN the version is ensured
    record = ensure.ensure_solution_version(personalize, SOLUTION_ARN, {"name": VERSION_BASE})
    # THEN a new version trains under the derived name
    assert (record.name, record.arn, record.action) == (VERSION_BASE, NEW_VERSION_ARN, "created")


def test_ensure_solution_version_vanished_while_listed_is_skipped(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a listed version can no longer be described
    expect_solution_exists(stubber)
    expect_versions(stubber, [version_summary(OLD_VERSION_ARN)])
    expect_describe(stubber, "solutionVersion", OLD_VERSION_ARN, None)
    expect_training(stubber, VERSION_BASE)
    # WHEN the version is ensured
    record = ensure.ensure_solution_version(personalize, SOLUTION_ARN, {"name": VERSION_BASE})
    # THEN it does not count as ours and training starts
    assert (record.name, record.action) == (VERSION_BASE, "created")


def test_ensure_solution_version_two_pages_read_and_described_newest_first(personalize: Any, stubber: Stubber) -> None:
    # GIVEN two pages listed oldest first: ours on the first, a newer version on other data on the second
    expect_solution_exists(stubber)
    expect_versions(
        stubber, [version_summary(OLD_VERSION_ARN, created=day(0))], [version_summary(VERSION_ARN, created=day(1))]
    )
    # AND the Stubber expects the describes newest first
    expect_describe(stubber, "solutionVersion", VERSION_ARN, version_body(OTHER_DATA_VERSION, VERSION_ARN))
    expect_describe(stubber, "solutionVersion", OLD_VERSION_ARN, version_body(VERSION_BASE, OLD_VERSION_ARN))
    # WHEN the version is ensured
    record = ensure.ensure_solution_version(personalize, SOLUTION_ARN, {"name": VERSION_BASE})
    # THEN both pages are read and ours is reused
    assert (record.arn, record.name, record.action) == (OLD_VERSION_ARN, VERSION_BASE, "reused")


def test_ensure_solution_version_solution_gone_fails(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the solution was deleted after it was checked
    expect_describe(stubber, "solution", SOLUTION_ARN, None)
    # WHEN the version is ensured (no list queued)
    # THEN the run fails naming the solution
    with pytest.raises(ResourceFailed, match=SOLUTION_ARN):
        ensure.ensure_solution_version(personalize, SOLUTION_ARN, {"name": VERSION_BASE})


def test_ensure_solution_version_create_race_adopts_the_winner(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a concurrent run starts training the same derived name between our listing and our create
    expect_solution_exists(stubber)
    expect_versions(stubber, [])
    expect_already_exists(
        stubber, "create_solution_version", VERSION_ARN, {"solutionArn": SOLUTION_ARN, "name": VERSION_BASE}
    )
    # AND the second listing shows the winner
    expect_versions(stubber, [version_summary(VERSION_ARN, "CREATE PENDING")])
    expect_describe(stubber, "solutionVersion", VERSION_ARN, version_body(VERSION_BASE, status="CREATE PENDING"))
    # WHEN the version is ensured
    record = ensure.ensure_solution_version(personalize, SOLUTION_ARN, {"name": VERSION_BASE})
    # THEN the winner's training is adopted and waited for, not started twice
    assert record == new_record(
        "solutionVersion", VERSION_ARN, VERSION_BASE, "CREATE PENDING", "resumed", solutionArn=SOLUTION_ARN
    )


@pytest.mark.parametrize(
    ("read_back", "status"),
    [
        pytest.param(
            version_body(VERSION_BASE, NEW_VERSION_ARN, "CREATE IN_PROGRESS"), "CREATE IN_PROGRESS", id="read"
        ),
        pytest.param(None, "CREATE PENDING", id="not-yet-readable"),
    ],
)
def test_ensure_solution_version_new_training_status_is_read_back(
    personalize: Any, stubber: Stubber, read_back: dict[str, Any] | None, status: str
) -> None:
    # GIVEN a solution never trained on this content
    expect_solution_exists(stubber)
    expect_versions(stubber, [])
    stubber.add_response(
        "create_solution_version",
        {"solutionVersionArn": NEW_VERSION_ARN},
        {"solutionArn": SOLUTION_ARN, "name": VERSION_BASE},
    )
    expect_describe(stubber, "solutionVersion", NEW_VERSION_ARN, read_back)
    # WHEN the version is ensured
    record = ensure.ensure_solution_version(personalize, SOLUTION_ARN, {"name": VERSION_BASE})
    # THEN the record has the status read back, or CREATE PENDING if the new version cannot be read yet
    assert record == new_record(
        "solutionVersion", NEW_VERSION_ARN, VERSION_BASE, status, "created", solutionArn=SOLUTION_ARN
    )


def test_ensure_solution_version_create_race_lost_twice_is_a_conflict(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the create says "already exists" twice while the listing never shows the version
    expect_solution_exists(stubber)
    for _ in range(2):
        expect_versions(stubber, [])
        expect_already_exists(
            stubber, "create_solution_version", VERSION_ARN, {"solutionArn": SOLUTION_ARN, "name": VERSION_BASE}
        )
    # WHEN the version is ensured
    # THEN the run stops after the second pass instead of looping
    with pytest.raises(ResourceConflict, match=f"solution version '{VERSION_BASE}' is being created concurrently"):
        ensure.ensure_solution_version(personalize, SOLUTION_ARN, {"name": VERSION_BASE})


def test_ensure_solution_version_quota_error_propagates(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the account is at its concurrent training quota
    expect_solution_exists(stubber)
    expect_versions(stubber, [])
    stubber.add_client_error(
        "create_solution_version",
        service_error_code="LimitExceededException",
        expected_params={"solutionArn": SOLUTION_ARN, "name": VERSION_BASE},
    )
    # WHEN the version is ensured
    # THEN the modelled error reaches the state machine's Retry, with no second pass
    with pytest.raises(personalize.exceptions.LimitExceededException):
        ensure.ensure_solution_version(personalize, SOLUTION_ARN, {"name": VERSION_BASE})


# ----------------------------------------------------------------------------- campaign
def test_ensure_campaign_absent_creates_with_exact_params(personalize: Any, stubber: Stubber) -> None:
    # GIVEN no campaign with that name
    spec = {**CAMPAIGN_SPEC, "campaignConfig": {"enableMetadataWithRecommendations": True}}
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, None)
    stubber.add_response(
        "create_campaign", {"campaignArn": CAMPAIGN_ARN}, {**spec, "solutionVersionArn": NEW_VERSION_ARN}
    )
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, campaign_body("CREATE PENDING", NEW_VERSION_ARN))
    # WHEN it is ensured
    record = ensure.ensure_campaign(personalize, PREFIX, NEW_VERSION_ARN, spec)
    # THEN it is created on the new version
    assert record == PollRecord(
        kind="campaign",
        arn=CAMPAIGN_ARN,
        name=CAMPAIGN,
        status="CREATE PENDING",
        action="created",
        waitSeconds=next_wait("campaign", 0),
        waitedSeconds=0,
        details={"solutionVersionArn": NEW_VERSION_ARN},
    )


@pytest.mark.parametrize(
    ("spec", "body"),
    [
        pytest.param(dict(CAMPAIGN_SPEC), campaign_body(), id="same-version-and-tps"),
        pytest.param({"name": CAMPAIGN}, campaign_body(), id="tps-default-1"),
        pytest.param(
            {**CAMPAIGN_SPEC, "campaignConfig": {"itemExplorationConfig": {"explorationWeight": "0.3"}}},
            campaign_body(),
            id="config-subset-of-service-defaults",
        ),
        pytest.param(
            dict(CAMPAIGN_SPEC),
            campaign_body(
                version_arn=OLD_VERSION_ARN,
                latestCampaignUpdate={"solutionVersionArn": VERSION_ARN, "minProvisionedTPS": 1, "status": "ACTIVE"},
            ),
            id="already-updated-to-it",
        ),
    ],
)
def test_ensure_campaign_same_settings_is_reused_without_update(
    personalize: Any, stubber: Stubber, spec: dict[str, Any], body: dict[str, Any]
) -> None:
    # GIVEN the campaign already serves this version with this capacity and configuration
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, body)
    # WHEN it is ensured (no create or update queued)
    record = ensure.ensure_campaign(personalize, PREFIX, VERSION_ARN, spec)
    # THEN it is reused, and the record says which version it serves
    stubber.assert_no_pending_responses()
    assert record == new_record("campaign", CAMPAIGN_ARN, CAMPAIGN, "ACTIVE", "reused", solutionVersionArn=VERSION_ARN)


@pytest.mark.parametrize(
    ("spec", "version", "update"),
    [
        pytest.param(
            dict(CAMPAIGN_SPEC),
            NEW_VERSION_ARN,
            {"solutionVersionArn": NEW_VERSION_ARN, "minProvisionedTPS": 1},
            id="new-version",
        ),
        pytest.param(
            {**CAMPAIGN_SPEC, "minProvisionedTPS": 5},
            VERSION_ARN,
            {"solutionVersionArn": VERSION_ARN, "minProvisionedTPS": 5},
            id="more-capacity",
        ),
        pytest.param(
            {**CAMPAIGN_SPEC, "campaignConfig": {"enableMetadataWithRecommendations": True}},
            VERSION_ARN,
            {
                "solutionVersionArn": VERSION_ARN,
                "minProvisionedTPS": 1,
                "campaignConfig": {"enableMetadataWithRecommendations": True},
            },
            id="new-config",
        ),
    ],
)
def test_ensure_campaign_changed_settings_updates_with_exact_params(
    personalize: Any, stubber: Stubber, spec: dict[str, Any], version: str, update: dict[str, Any]
) -> None:
    # GIVEN an ACTIVE campaign on the current version with TPS 1
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, campaign_body())
    stubber.add_response("update_campaign", {"campaignArn": CAMPAIGN_ARN}, {"campaignArn": CAMPAIGN_ARN, **update})
    expect_describe(
        stubber,
        "campaign",
        CAMPAIGN_ARN,
        campaign_body(latestCampaignUpdate={**update, "status": "CREATE PENDING", "creationDateTime": T1}),
    )
    # WHEN params ask for another version, capacity or configuration
    record = ensure.ensure_campaign(personalize, PREFIX, version, spec)
    # THEN the campaign is updated in place and the update (not the old ACTIVE) is polled
    # ... and expected to take as long as the campaign's creation did (T0 -> T1, 420 s)
    assert record == new_record(
        "campaign",
        CAMPAIGN_ARN,
        CAMPAIGN,
        "CREATE PENDING",
        "updated",
        solutionVersionArn=version,
        estimatedSeconds=420,
    )


def test_ensure_campaign_create_race_adopts_the_winner(personalize: Any, stubber: Stubber) -> None:
    # GIVEN another run creates the campaign first
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, None)
    expect_already_exists(
        stubber, "create_campaign", CAMPAIGN_ARN, {**CAMPAIGN_SPEC, "solutionVersionArn": VERSION_ARN}
    )
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, campaign_body("CREATE IN_PROGRESS"))
    # WHEN it is ensured
    record = ensure.ensure_campaign(personalize, PREFIX, VERSION_ARN, dict(CAMPAIGN_SPEC))
    # THEN it is adopted
    assert (record.status, record.action) == ("CREATE IN_PROGRESS", "reused")


def test_ensure_campaign_create_race_on_other_version_is_not_reused(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a concurrent run creates the campaign first, on an older version, and it is still being created
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, None)
    expect_already_exists(
        stubber, "create_campaign", CAMPAIGN_ARN, {**CAMPAIGN_SPEC, "solutionVersionArn": NEW_VERSION_ARN}
    )
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, campaign_body("CREATE IN_PROGRESS", OLD_VERSION_ARN))
    # WHEN our version is ensured (no update queued: the campaign is busy)
    record = ensure.ensure_campaign(personalize, PREFIX, NEW_VERSION_ARN, dict(CAMPAIGN_SPEC))
    # THEN the update to our version is deferred, as on the reuse path
    assert record == UPDATE_TO_NEW_VERSION_DEFERRED


def test_ensure_campaign_create_race_active_on_other_version_is_updated(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a concurrent run's campaign, on an older version, won the create and is already ACTIVE
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, None)
    expect_already_exists(
        stubber, "create_campaign", CAMPAIGN_ARN, {**CAMPAIGN_SPEC, "solutionVersionArn": NEW_VERSION_ARN}
    )
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, campaign_body(version_arn=OLD_VERSION_ARN))
    stubber.add_response(
        "update_campaign",
        {"campaignArn": CAMPAIGN_ARN},
        {"campaignArn": CAMPAIGN_ARN, "solutionVersionArn": NEW_VERSION_ARN, "minProvisionedTPS": 1},
    )
    update = {"solutionVersionArn": NEW_VERSION_ARN, "status": "CREATE PENDING", "creationDateTime": T1}
    expect_describe(
        stubber, "campaign", CAMPAIGN_ARN, campaign_body(version_arn=OLD_VERSION_ARN, latestCampaignUpdate=update)
    )
    # WHEN our version is ensured
    record = ensure.ensure_campaign(personalize, PREFIX, NEW_VERSION_ARN, dict(CAMPAIGN_SPEC))
    # THEN it is switched to our version at once, expected to take as long as its creation (T0 -> T1)
    assert (record.status, record.action, record.details) == (
        "CREATE PENDING",
        "updated",
        {"solutionVersionArn": NEW_VERSION_ARN, "estimatedSeconds": 420},
    )


@pytest.mark.parametrize("update", [False, True], ids=["serving", "being-updated"])
def test_ensure_campaign_of_another_solution_is_a_conflict_not_an_update(
    personalize: Any, stubber: Stubber, update: bool
) -> None:
    # GIVEN the campaign serves (or is being moved to) a version of another solution, e.g. a race with a
    # run whose params put it under that solution
    other_version = f"{PREFIX}:solution/similar-items/0a1b2c3d"
    body = campaign_body("ACTIVE", other_version)
    if update:
        body = campaign_body("ACTIVE", VERSION_ARN, latestCampaignUpdate={"solutionVersionArn": other_version})
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, body)
    # WHEN our solution's version is ensured / THEN nothing is updated: both solutions are named
    with pytest.raises(ResourceConflict) as raised:
        ensure.ensure_campaign(personalize, PREFIX, NEW_VERSION_ARN, dict(CAMPAIGN_SPEC))
    assert str(raised.value) == (
        f"campaign '{CAMPAIGN}' serves a version of solution 'similar-items', but this run would deploy solution "
        f"'{SOLUTION}' to it; a campaign may only move between versions of the same solution: use another campaign "
        "name"
    )
    stubber.assert_no_pending_responses()


def test_ensure_campaign_just_created_is_not_compared_or_updated(personalize: Any, stubber: Stubber) -> None:
    # GIVEN no campaign; params set a config the read-back of the new campaign does not show yet
    spec = {**CAMPAIGN_SPEC, "minProvisionedTPS": 5, "campaignConfig": {"enableMetadataWithRecommendations": True}}
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, None)
    stubber.add_response("create_campaign", {"campaignArn": CAMPAIGN_ARN}, {**spec, "solutionVersionArn": VERSION_ARN})
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, campaign_body("CREATE PENDING"))
    # WHEN it is ensured (no update queued: UpdateCampaign on a campaign being created would be refused)
    record = ensure.ensure_campaign(personalize, PREFIX, VERSION_ARN, spec)
    # THEN the new campaign is polled as created, with no deferred update
    assert record == new_record(
        "campaign", CAMPAIGN_ARN, CAMPAIGN, "CREATE PENDING", "created", solutionVersionArn=VERSION_ARN
    )


def test_ensure_campaign_busy_defers_update_with_pending_flag(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the campaign is still being created on the old version (UpdateCampaign would be refused)
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, campaign_body("CREATE IN_PROGRESS", OLD_VERSION_ARN))
    # WHEN the new version is ensured (no update queued)
    record = ensure.ensure_campaign(personalize, PREFIX, NEW_VERSION_ARN, dict(CAMPAIGN_SPEC))
    # THEN the update is deferred to the Check loop
    stubber.assert_no_pending_responses()
    assert record == UPDATE_TO_NEW_VERSION_DEFERRED


def test_ensure_campaign_other_update_in_progress_defers_ours(personalize: Any, stubber: Stubber) -> None:
    # GIVEN an ACTIVE campaign while an earlier update (to another version) is still in progress
    update = {"solutionVersionArn": OLD_VERSION_ARN, "minProvisionedTPS": 1, "status": "CREATE IN_PROGRESS"}
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, campaign_body(latestCampaignUpdate=update))
    # WHEN the new version is ensured (no update queued: Personalize refuses a second concurrent update)
    record = ensure.ensure_campaign(personalize, PREFIX, NEW_VERSION_ARN, dict(CAMPAIGN_SPEC))
    # THEN our update waits for the other one, with the pending flag for the Check loop
    assert record == UPDATE_TO_NEW_VERSION_DEFERRED


def test_ensure_campaign_settings_of_finished_update_are_compared(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a campaign whose last update set capacity 5 and a configuration; the top level still shows the old
    config = {"enableMetadataWithRecommendations": True}
    update = {"solutionVersionArn": VERSION_ARN, "minProvisionedTPS": 5, "campaignConfig": config, "status": "ACTIVE"}
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, campaign_body(latestCampaignUpdate=update))
    # WHEN params ask for exactly what the update set (no update queued)
    spec = {**CAMPAIGN_SPEC, "minProvisionedTPS": 5, "campaignConfig": config}
    record = ensure.ensure_campaign(personalize, PREFIX, VERSION_ARN, spec)
    # THEN the campaign is reused: what it serves is the update's settings
    assert record == new_record("campaign", CAMPAIGN_ARN, CAMPAIGN, "ACTIVE", "reused", solutionVersionArn=VERSION_ARN)


def test_ensure_campaign_update_to_our_version_in_progress_is_awaited(personalize: Any, stubber: Stubber) -> None:
    # GIVEN an update to exactly our settings is already in progress (an earlier run started it)
    update = {"solutionVersionArn": NEW_VERSION_ARN, "minProvisionedTPS": 1, "status": "CREATE IN_PROGRESS"}
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, campaign_body(latestCampaignUpdate=update))
    # WHEN the new version is ensured (no update queued)
    record = ensure.ensure_campaign(personalize, PREFIX, NEW_VERSION_ARN, dict(CAMPAIGN_SPEC))
    # THEN that update is polled, not started again
    assert record == new_record(
        "campaign", CAMPAIGN_ARN, CAMPAIGN, "CREATE IN_PROGRESS", "reused", solutionVersionArn=NEW_VERSION_ARN
    )


def test_ensure_campaign_without_config_and_empty_config_in_params_is_reused(
    personalize: Any, stubber: Stubber
) -> None:
    # GIVEN a campaign that reports no campaignConfig, and params.json with an empty one
    body = {k: v for k, v in campaign_body().items() if k != "campaignConfig"}
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, body)
    # WHEN it is ensured (no update queued)
    record = ensure.ensure_campaign(personalize, PREFIX, VERSION_ARN, {**CAMPAIGN_SPEC, "campaignConfig": {}})
    # THEN nothing is updated: an empty section asks for nothing
    assert record == new_record("campaign", CAMPAIGN_ARN, CAMPAIGN, "ACTIVE", "reused", solutionVersionArn=VERSION_ARN)


def test_check_campaign_pending_update_applied_once_active(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a deferred update, carried through the state machine as JSON
    record = PollRecord.from_dict(
        json.loads(
            json.dumps(
                new_record(
                    "campaign",
                    CAMPAIGN_ARN,
                    CAMPAIGN,
                    "CREATE IN_PROGRESS",
                    "updated",
                    solutionVersionArn=NEW_VERSION_ARN,
                    pendingUpdate=True,
                ).to_dict()
            )
        )
    )
    # AND the campaign has become ACTIVE on the old version
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, campaign_body(version_arn=OLD_VERSION_ARN))  # the poll
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, campaign_body(version_arn=OLD_VERSION_ARN))  # the ensure
    stubber.add_response(
        "update_campaign",
        {"campaignArn": CAMPAIGN_ARN},
        {"campaignArn": CAMPAIGN_ARN, "solutionVersionArn": NEW_VERSION_ARN, "minProvisionedTPS": 1},
    )
    expect_describe(
        stubber,
        "campaign",
        CAMPAIGN_ARN,
        campaign_body(
            version_arn=OLD_VERSION_ARN,
            latestCampaignUpdate={"solutionVersionArn": NEW_VERSION_ARN, "status": "CREATE PENDING"},
        ),
    )
    # WHEN the Check task polls it
    polled = ensure.check_campaign(personalize, PREFIX, record, dict(CAMPAIGN_SPEC))
    # THEN the update is applied now, and the wait so far is kept
    assert (polled.status, polled.action) == ("CREATE PENDING", "updated")
    assert polled.waitedSeconds == next_wait("campaign", 0)
    assert "pendingUpdate" not in polled.details


def test_check_campaign_pending_update_still_busy_keeps_waiting(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a deferred update and a campaign still being created
    record = new_record(
        "campaign",
        CAMPAIGN_ARN,
        CAMPAIGN,
        "CREATE PENDING",
        "updated",
        solutionVersionArn=NEW_VERSION_ARN,
        pendingUpdate=True,
    )
    record.waitedSeconds = 120
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, campaign_body("CREATE IN_PROGRESS", OLD_VERSION_ARN))
    # WHEN the Check task polls it (no update queued)
    polled = ensure.check_campaign(personalize, PREFIX, record, dict(CAMPAIGN_SPEC))
    # THEN it keeps waiting with the update still pending
    assert (polled.status, polled.waitedSeconds) == ("CREATE IN_PROGRESS", 120 + next_wait("campaign", 0))
    assert polled.details["pendingUpdate"] is True


def test_check_campaign_without_pending_update_is_a_plain_check(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a created campaign that has just become ACTIVE
    record = new_record("campaign", CAMPAIGN_ARN, CAMPAIGN, "CREATE PENDING", "created", solutionVersionArn=VERSION_ARN)
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, campaign_body())
    # WHEN the Check task polls it
    polled = ensure.check_campaign(personalize, PREFIX, record, dict(CAMPAIGN_SPEC))
    # THEN it is ACTIVE with no further call
    assert (polled.status, polled.action) == ("ACTIVE", "created")


def test_ensure_campaign_being_deleted_is_a_conflict(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the campaign is being deleted and params ask for a new version
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, campaign_body("DELETE PENDING"))
    # WHEN it is ensured (no update queued)
    # THEN the run stops instead of updating a campaign on its way out
    with pytest.raises(ResourceConflict) as raised:
        ensure.ensure_campaign(personalize, PREFIX, NEW_VERSION_ARN, dict(CAMPAIGN_SPEC))
    assert str(raised.value) == (
        f"campaign '{CAMPAIGN}' is being deleted (DELETE PENDING); wait until it is gone, then upload the "
        "parameters again"
    )


# ----------------------------------------------------------------------------- check
def body_for(kind: str, status: str, reason: str | None = None) -> tuple[str, str, dict[str, Any]]:
    """(arn, name, describe body) of a resource of ``kind`` in ``status``, valid for the botocore model."""
    extra = {"failureReason": reason} if reason else {}
    if kind == "datasetGroup":
        return GROUP_ARN, GROUP, group_body(status, **extra)
    if kind == "dataset":
        update = {"latestDatasetUpdate": {"status": status, "failureReason": reason}} if reason else {}
        return DATASET_ARN, "retail-demo-interactions", dataset_body(status, **update)
    if kind == "datasetImportJob":
        return job_arn(JOB_BASE), JOB_BASE, job_body(status=status, **extra)
    if kind == "solution":
        update = {"latestSolutionUpdate": {"status": status, "failureReason": reason}} if reason else {}
        return SOLUTION_ARN, SOLUTION, solution_body(status, **update)
    if kind == "solutionVersion":
        return VERSION_ARN, VERSION_BASE, version_body(VERSION_BASE, status=status, **extra)
    if kind == "eventTracker":  # the EventTracker shape has no failureReason
        arn = f"{PREFIX}:event-tracker/0a1b2c3d"
        return arn, "tracker", {"name": "tracker", "eventTrackerArn": arn, "status": status}
    if kind == "filter":
        arn = f"{PREFIX}:filter/clicked"
        return arn, "clicked", {"name": "clicked", "filterArn": arn, "status": status, **extra}
    if kind == "recommender":
        recommender = {
            "name": RECOMMENDER,
            "recommenderArn": RECOMMENDER_ARN,
            "datasetGroupArn": GROUP_ARN,
            "recipeArn": "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you",
            "status": status,
            "creationDateTime": T0,
            "lastUpdatedDateTime": T1,
            **extra,
        }
        return RECOMMENDER_ARN, RECOMMENDER, recommender
    if kind in ("batchInferenceJob", "batchSegmentJob"):
        arn = f"{PREFIX}:{'batch-inference-job' if kind == 'batchInferenceJob' else 'batch-segment-job'}/recs-0a1b2c3d"
        body = {"jobName": "recs-0a1b2c3d", f"{kind}Arn": arn, "solutionVersionArn": VERSION_ARN, "status": status}
        return arn, "recs-0a1b2c3d", {**body, **extra}
    return CAMPAIGN_ARN, CAMPAIGN, campaign_body(status, **extra)


POLLED_KINDS = list(POLICIES)


def polling_record(kind: str, arn: str, name: str, waited: int = 0) -> PollRecord:
    record = new_record(kind, arn, name, "CREATE PENDING", "created", marker="kept")
    record.waitedSeconds = waited
    return record


def test_polled_kinds_are_the_async_resources() -> None:
    # GIVEN the poll policies
    # WHEN listed
    # THEN every asynchronous resource the pipeline creates has one (schemas are synchronous)
    assert set(POLLED_KINDS) == {
        "datasetGroup",
        "dataset",
        "datasetImportJob",
        "solution",
        "solutionVersion",
        "campaign",
        "eventTracker",
        "filter",
        "recommender",
        "batchInferenceJob",
        "batchSegmentJob",
    }


@pytest.mark.parametrize("kind", POLLED_KINDS)
def test_check_active_resource_reports_active(personalize: Any, stubber: Stubber, kind: str) -> None:
    # GIVEN a resource that became ACTIVE
    arn, name, body = body_for(kind, "ACTIVE")
    expect_describe(stubber, kind, arn, body)
    # WHEN it is polled
    polled = ensure.check(personalize, polling_record(kind, arn, name, waited=30))
    # THEN the Choice state moves on; the rest of the record is carried over
    assert polled == PollRecord(
        kind=kind,
        arn=arn,
        name=name,
        status="ACTIVE",
        action="created",
        waitSeconds=next_wait(kind, 30 + next_wait(kind, 0)),
        waitedSeconds=30 + next_wait(kind, 0),
        details={"marker": "kept"},
    )


@pytest.mark.parametrize(
    ("kind", "waited", "next_wait_seconds"),
    [
        ("datasetGroup", 15 + 11 + 11, 11),
        ("dataset", 9 + 9 + 9, 9),
        ("datasetImportJob", 120 + 48 + 48, 48),
        ("solution", 13 + 13 + 13, 13),
        ("solutionVersion", 1200 + 76 + 76, 76),
        ("campaign", 420 + 22 + 22, 22),
        ("batchInferenceJob", 720 + 46 + 46, 46),
        ("batchSegmentJob", 420 + 13 + 13, 13),
    ],
)
def test_check_in_progress_accumulates_waited_seconds(
    personalize: Any, stubber: Stubber, kind: str, waited: int, next_wait_seconds: int
) -> None:
    # GIVEN a resource still being created, polled three times
    arn, name, body = body_for(kind, "CREATE IN_PROGRESS")
    for _ in range(3):
        expect_describe(stubber, kind, arn, body)
    record = polling_record(kind, arn, name)
    # WHEN each poll's output is the next poll's input
    for _ in range(3):
        record = ensure.check(personalize, PollRecord.from_dict(record.to_dict()))
    # THEN the waited time is the sum of the Wait states: the first until the kind's earliest documented
    # duration, then its no-history interval
    assert (record.status, record.waitSeconds, record.waitedSeconds) == (
        "CREATE IN_PROGRESS",
        next_wait_seconds,
        waited,
    )


@pytest.mark.parametrize("kind", [kind for kind in POLLED_KINDS if kind != "eventTracker"])
def test_check_create_failed_raises_with_failure_reason(personalize: Any, stubber: Stubber, kind: str) -> None:
    # GIVEN a resource whose creation failed, with Personalize's reason where that kind keeps it
    arn, name, body = body_for(kind, "CREATE FAILED", reason="Input data has fewer than 1000 interactions")
    expect_describe(stubber, kind, arn, body)
    # WHEN it is polled
    with pytest.raises(ResourceFailed) as raised:
        ensure.check(personalize, polling_record(kind, arn, name))
    # THEN the failure names the resource, its status and the reason
    message = str(raised.value)
    assert f"'{name}' is CREATE FAILED" in message
    assert "Input data has fewer than 1000 interactions" in message


def test_check_event_tracker_create_failed_no_reason_said_so(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a tracker whose creation failed (its shape has no failureReason)
    arn, name, body = body_for("eventTracker", "CREATE FAILED")
    expect_describe(stubber, "eventTracker", arn, body)
    # WHEN it is polled THEN the failure names it and says Personalize gave no reason
    with pytest.raises(ResourceFailed) as raised:
        ensure.check(personalize, polling_record("eventTracker", arn, name))
    assert str(raised.value) == "event tracker 'tracker' is CREATE FAILED: no reason given by Personalize"


def test_check_failed_without_reason_says_so(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a failed import that carries no reason
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), job_body(status="CREATE FAILED"))
    # WHEN it is polled
    # THEN the message says no reason was given rather than "None"
    with pytest.raises(ResourceFailed) as raised:
        ensure.check(personalize, polling_record("datasetImportJob", job_arn(JOB_BASE), JOB_BASE))
    assert str(raised.value) == f"dataset import job '{JOB_BASE}' is CREATE FAILED: no reason given by Personalize"


def test_check_odd_cased_active_status_is_reported_as_active(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a resource whose status is ACTIVE spelt in another case (phase_of accepts it)
    arn, name, body = body_for("solution", "Active")
    expect_describe(stubber, "solution", arn, body)
    # WHEN it is polled
    polled = ensure.check(personalize, polling_record("solution", arn, name))
    # THEN the record says exactly ACTIVE, the string the state machine's Choice compares
    assert polled.status == "ACTIVE"


def test_ensure_odd_cased_active_status_is_recorded_as_active(personalize: Any, stubber: Stubber) -> None:
    # GIVEN an existing dataset group whose status is ACTIVE spelt in another case
    expect_describe(stubber, "datasetGroup", GROUP_ARN, group_body("active"))
    # WHEN it is ensured
    record = ensure.ensure_dataset_group(personalize, PREFIX, {"name": GROUP})
    # THEN the record says exactly ACTIVE
    assert record == new_record("datasetGroup", GROUP_ARN, GROUP, "ACTIVE", "reused")


@pytest.mark.parametrize("status", ["DELETE PENDING", "DELETE IN_PROGRESS"])
def test_check_resource_being_deleted_is_a_conflict(personalize: Any, stubber: Stubber, status: str) -> None:
    # GIVEN someone deletes the solution while the run waits for it
    expect_describe(stubber, "solution", SOLUTION_ARN, solution_body(status))
    # WHEN it is polled
    # THEN the run stops with a conflict naming the resource
    with pytest.raises(ResourceConflict, match=f"solution '{SOLUTION}' is being deleted"):
        ensure.check(personalize, polling_record("solution", SOLUTION_ARN, SOLUTION))


@pytest.mark.parametrize("kind", POLLED_KINDS)
def test_check_deadline_passed_raises_timeout_naming_resource(personalize: Any, stubber: Stubber, kind: str) -> None:
    # GIVEN a resource still in progress and a loop that has waited up to one poll before its deadline
    policy = POLICIES[kind]
    arn, name, body = body_for(kind, "CREATE IN_PROGRESS")
    expect_describe(stubber, kind, arn, body)
    record = polling_record(kind, arn, name, waited=policy.deadline_seconds - next_wait(kind, 0))
    # WHEN this poll reaches the deadline
    with pytest.raises(ResourceTimeout) as raised:
        ensure.check(personalize, record)
    # THEN the timeout names the resource, its status, the time waited and the deadline, in whole minutes
    minutes = policy.deadline_seconds // 60
    assert str(raised.value) == (
        f"{KIND_LABELS[kind]} '{name}' is still CREATE IN_PROGRESS after {minutes} minutes (deadline {minutes} "
        "minutes). It may still finish: upload the parameters again later and the pipeline will pick it up where "
        "it is."
    )


def test_check_just_before_deadline_keeps_waiting(personalize: Any, stubber: Stubber) -> None:
    # GIVEN training still running one second short of the deadline after this poll
    policy = POLICIES["solutionVersion"]
    expect_describe(stubber, "solutionVersion", VERSION_ARN, version_body(VERSION_BASE, status="CREATE IN_PROGRESS"))
    record = polling_record(
        "solutionVersion", VERSION_ARN, VERSION_BASE, policy.deadline_seconds - next_wait("solutionVersion", 0) - 1
    )
    # WHEN it is polled
    polled = ensure.check(personalize, record)
    # THEN it is not timed out yet
    assert polled.waitedSeconds == policy.deadline_seconds - 1


def test_check_active_after_deadline_is_not_a_timeout(personalize: Any, stubber: Stubber) -> None:
    # GIVEN training that finished exactly when the deadline passed
    policy = POLICIES["solutionVersion"]
    expect_describe(stubber, "solutionVersion", VERSION_ARN, version_body(VERSION_BASE))
    record = polling_record("solutionVersion", VERSION_ARN, VERSION_BASE, policy.deadline_seconds)
    # WHEN it is polled
    # THEN the finished resource is used
    assert ensure.check(personalize, record).status == "ACTIVE"


def test_check_resource_vanished_raises_resource_failed(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the import job can no longer be described
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), None)
    # WHEN it is polled
    # THEN the run fails naming it
    with pytest.raises(ResourceFailed, match=f"dataset import job '{JOB_BASE}' disappeared"):
        ensure.check(personalize, polling_record("datasetImportJob", job_arn(JOB_BASE), JOB_BASE))


def test_check_campaign_update_in_progress_is_not_active(personalize: Any, stubber: Stubber) -> None:
    # GIVEN an updated campaign whose top-level status stays ACTIVE while the update runs
    record = new_record("campaign", CAMPAIGN_ARN, CAMPAIGN, "CREATE PENDING", "updated")
    body = campaign_body(latestCampaignUpdate={"solutionVersionArn": NEW_VERSION_ARN, "status": "CREATE IN_PROGRESS"})
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, body)
    # WHEN it is polled
    # THEN the loop waits for the update
    assert ensure.check(personalize, record).status == "CREATE IN_PROGRESS"


def test_check_campaign_update_failed_raises_with_update_reason(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the campaign's update failed while the old version keeps serving
    record = new_record("campaign", CAMPAIGN_ARN, CAMPAIGN, "CREATE PENDING", "updated")
    update = {"solutionVersionArn": NEW_VERSION_ARN, "status": "CREATE FAILED", "failureReason": "Version not ACTIVE"}
    expect_describe(stubber, "campaign", CAMPAIGN_ARN, campaign_body(latestCampaignUpdate=update))
    # WHEN it is polled
    # THEN the run fails with the update's reason
    with pytest.raises(ResourceFailed, match="Version not ACTIVE"):
        ensure.check(personalize, record)


def dataset_record(**details: Any) -> PollRecord:
    """The record ensure_dataset hands to the Check loop after asking for the swap to SCHEMA_ARN."""
    record = new_record("dataset", DATASET_ARN, "retail-demo-interactions", "UPDATE PENDING", "updated", **details)
    record.waitedSeconds = 20
    return record


SWAP_DETAILS = {"schemaArn": SCHEMA_ARN, "schemaName": SCHEMA_NAME, "schemaAction": "created"}


def test_check_dataset_still_on_other_schema_after_failed_swap_raises_reason(
    personalize: Any, stubber: Stubber
) -> None:
    # GIVEN the swap to the new schema failed: the dataset is back to ACTIVE on its old schema
    update = {**FAILED_SWAP, "schemaArn": SCHEMA_ARN}
    expect_describe(
        stubber, "dataset", DATASET_ARN, dataset_body(schema_arn=OLD_SCHEMA_ARN, latestDatasetUpdate=update)
    )
    # WHEN it is polled
    with pytest.raises(ResourceFailed) as raised:
        ensure.check(personalize, dataset_record(**SWAP_DETAILS))
    # THEN the run fails before any import into the wrong columns, with the update's reason
    assert str(raised.value) == (
        f"dataset 'retail-demo-interactions' could not switch to schema {SCHEMA_ARN}: "
        "Required column ITEM_ID is missing"
    )


def test_check_dataset_on_other_schema_without_update_reason_says_so(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the dataset is ACTIVE on its old schema and Personalize gives no update reason
    expect_describe(stubber, "dataset", DATASET_ARN, dataset_body(schema_arn=OLD_SCHEMA_ARN))
    # WHEN it is polled
    # THEN the message says what happened rather than "None"
    with pytest.raises(ResourceFailed, match=f"could not switch to schema {SCHEMA_ARN}: Personalize kept the previous"):
        ensure.check(personalize, dataset_record(**SWAP_DETAILS))


@pytest.mark.parametrize(
    ("status", "update_status"),
    [
        pytest.param("ACTIVE", "UPDATE PENDING", id="update-pending"),
        pytest.param("ACTIVE", "UPDATE IN_PROGRESS", id="update-in-progress"),
        pytest.param("UPDATE IN_PROGRESS", "UPDATE IN_PROGRESS", id="top-level-tracks-update"),
    ],
)
def test_check_dataset_mid_update_is_not_active(
    personalize: Any, stubber: Stubber, status: str, update_status: str
) -> None:
    # GIVEN the swap is still running: the dataset reports its old schema until it finishes
    update = {"schemaArn": SCHEMA_ARN, "status": update_status, "creationDateTime": T1}
    expect_describe(
        stubber, "dataset", DATASET_ARN, dataset_body(status, schema_arn=OLD_SCHEMA_ARN, latestDatasetUpdate=update)
    )
    # WHEN it is polled
    polled = ensure.check(personalize, dataset_record(**SWAP_DETAILS))
    # THEN the loop keeps waiting: neither ACTIVE nor a failure
    assert (polled.status, polled.waitedSeconds) == (update_status, 20 + next_wait("dataset", 0))
    assert polled.details == SWAP_DETAILS


def test_check_dataset_switched_to_wanted_schema_is_active(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the swap finished: the dataset is ACTIVE on the requested schema
    update = {"schemaArn": SCHEMA_ARN, "status": "ACTIVE", "creationDateTime": T1, "lastUpdatedDateTime": T1}
    expect_describe(stubber, "dataset", DATASET_ARN, dataset_body(latestDatasetUpdate=update))
    # WHEN it is polled
    # THEN the pipeline moves on to the import
    assert ensure.check(personalize, dataset_record(**SWAP_DETAILS)).status == "ACTIVE"


def test_check_dataset_on_wanted_schema_ignores_an_older_failed_swap(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the dataset is ACTIVE on the requested schema; an earlier swap elsewhere had failed
    expect_describe(stubber, "dataset", DATASET_ARN, dataset_body(latestDatasetUpdate=FAILED_SWAP))
    # WHEN it is polled
    # THEN the old failure is history, not a reason to fail this run
    assert ensure.check(personalize, dataset_record(**SWAP_DETAILS)).status == "ACTIVE"


def test_check_dataset_record_without_schema_skips_the_schema_check(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a record that names no schema (say, written before the check existed)
    expect_describe(stubber, "dataset", DATASET_ARN, dataset_body(schema_arn=OLD_SCHEMA_ARN))
    # WHEN it is polled
    # THEN it is ACTIVE: there is nothing to compare with
    assert ensure.check(personalize, dataset_record()).status == "ACTIVE"


def test_check_throttled_describe_propagates_client_error(personalize: Any, stubber: Stubber) -> None:
    # GIVEN Personalize throttles the describe
    stubber.add_client_error(
        "describe_solution_version",
        service_error_code="ThrottlingException",
        service_message="Rate exceeded",
        expected_params={"solutionVersionArn": VERSION_ARN},
    )
    # WHEN it is polled
    # THEN the ClientError reaches run_step, which renames it for the state machine's Retry
    with pytest.raises(ClientError) as raised:
        ensure.check(personalize, polling_record("solutionVersion", VERSION_ARN, VERSION_BASE))
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"


# ----------------------------------------------------------------------------- history for the poll schedule
SIZE_TAG = "personalize-pipeline:bytes"  # written out independently of the code


def test_ensure_import_with_size_and_earlier_import_estimates_by_size_ratio(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the dataset's latest import took 9 min (540 s) for 600,000 bytes, and 660,000 bytes to import now
    expect_import_jobs(stubber, [job_summary(OTHER_JOB, "ACTIVE", day(0))])
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), None)
    stubber.add_response(
        "list_tags_for_resource",
        {"tags": [{"tagKey": "team", "tagValue": "retail"}, {"tagKey": SIZE_TAG, "tagValue": "600000"}]},
        {"resourceArn": job_arn(OTHER_JOB)},
    )
    size_tag = [{"tagKey": SIZE_TAG, "tagValue": "660000"}]
    stubber.add_response(
        "create_dataset_import_job", {"datasetImportJobArn": job_arn(JOB_BASE)}, import_request(tags=size_tag)
    )
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), job_body(JOB_BASE, "CREATE PENDING"))
    # WHEN the import is ensured
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec(sizeBytes=660_000))
    # THEN the job is tagged with its size, expected to take 540 s x 1.1, and first checked just before
    assert (record.action, record.details, record.waitSeconds) == ("created", {"estimatedSeconds": 594}, 588)


def test_ensure_import_with_size_and_no_earlier_import_has_no_estimate(personalize: Any, stubber: Stubber) -> None:
    # GIVEN a dataset never imported into, and 2,769 bytes to import
    expect_import_jobs(stubber, [])
    size_tag = [{"tagKey": SIZE_TAG, "tagValue": "2769"}]
    expect_import_created(stubber, JOB_BASE, tags=size_tag)
    # WHEN the import is ensured
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec(sizeBytes=2769))
    # THEN the job carries its size for the next run, and the no-history schedule applies (2 min first)
    assert (record.details, record.waitSeconds) == ({}, 120)


def test_ensure_import_earlier_import_without_size_tag_has_no_estimate(personalize: Any, stubber: Stubber) -> None:
    # GIVEN the latest finished import was made before jobs carried their size (a failed one is newer)
    expect_import_jobs(
        stubber, [job_summary(OTHER_JOB, "ACTIVE", day(0)), job_summary(f"{OTHER_JOB}-r2", "CREATE FAILED", day(1))]
    )
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), None)
    stubber.add_response("list_tags_for_resource", {"tags": []}, {"resourceArn": job_arn(OTHER_JOB)})
    stubber.add_response(
        "create_dataset_import_job",
        {"datasetImportJobArn": job_arn(JOB_BASE)},
        import_request(tags=[{"tagKey": SIZE_TAG, "tagValue": "1000"}]),
    )
    expect_describe(stubber, "datasetImportJob", job_arn(JOB_BASE), job_body(JOB_BASE, "CREATE PENDING"))
    # WHEN the import is ensured
    record = ensure.ensure_import(personalize, PREFIX, DATASET_ARN, ROLE_ARN, dataset_spec(sizeBytes=1000))
    # THEN its duration cannot be scaled: no estimate
    assert record.details == {}


def test_ensure_solution_version_estimates_from_latest_training_in_same_mode(
    personalize: Any, stubber: Stubber
) -> None:
    # GIVEN two FULL trainings (2 h, then 50 min) and a later UPDATE training (10 min) of the solution
    other_arn = f"{SOLUTION_ARN}/0ld0ld00"
    update_arn = f"{SOLUTION_ARN}/upd8upd8"
    full_recent = {
        **version_summary(VERSION_ARN, created=day(1)),
        "lastUpdatedDateTime": day(1) + timedelta(minutes=50),
    }
    update = {
        **version_summary(update_arn, created=day(2), trainingMode="UPDATE"),
        "lastUpdatedDateTime": day(2) + timedelta(minutes=10),
    }
    expect_solution_exists(stubber)
    expect_versions(stubber, [version_summary(other_arn, created=day(0)), full_recent, update])
    for arn in (update_arn, VERSION_ARN, other_arn):  # newest first, none named for this data
        expect_describe(stubber, "solutionVersion", arn, version_body("another-config", arn))
    expect_training(stubber, VERSION_BASE)
    # WHEN a FULL training is ensured
    record = ensure.ensure_solution_version(personalize, SOLUTION_ARN, {"name": VERSION_BASE})
    # THEN it is expected to take as long as the latest FULL one: 3000 s, first checked at 2970 s
    assert (record.action, record.details, record.waitSeconds) == (
        "created",
        {"solutionArn": SOLUTION_ARN, "estimatedSeconds": 3000},
        2970,
    )
