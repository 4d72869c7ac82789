"""Batch inference and batch segment jobs: recipe rules, quotas, S3 access as the role, input lines, output."""

from __future__ import annotations

import json

import pytest

from local.personalize import batch
from local.personalize.algorithms import TrainingData, train
from local.personalize.testing import Sandbox, client_error, interactions, sandbox
from local.personalize.timeline import Timeline
from local.personalize.training import Interaction

RECIPE = "arn:aws:personalize:::recipe/"
INFERENCE = "batchInferenceJob"
SEGMENT = "batchSegmentJob"


def lines(*records: dict) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


def read_out(box: Sandbox, key: str) -> list[dict]:
    body = box.s3.get_object(Bucket=box.bucket, Key=key)["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines()]


def out_keys(box: Sandbox, prefix: str = "batch-output/") -> list[str]:
    return [o["Key"] for o in box.s3.list_objects_v2(Bucket=box.bucket, Prefix=prefix).get("Contents", [])]


# ----------------------------------------------------------------------------- batch inference
def test_batch_inference_user_personalization_writes_out_file_in_service_format(box: Sandbox) -> None:
    # GIVEN a trained User-Personalization version, a role, and a JSON-lines input file
    version = box.trained()["solutionVersionArn"]
    role = box.personalize_role()
    box.put("batch-input/users.json", lines({"userId": "user0"}, {"userId": "user1"}))

    # WHEN a batch inference job runs to completion
    job = box.batch_job(INFERENCE, "recs", version, role, numResults=5)

    # THEN it is ACTIVE and wrote users.json.out with one line per input line, as the service does
    assert (job["status"], job["numResults"], job["batchInferenceJobMode"]) == ("ACTIVE", 5, "BATCH_INFERENCE")
    assert out_keys(box) == ["batch-output/recs/users.json.out"]
    output = read_out(box, "batch-output/recs/users.json.out")
    assert [line["input"] for line in output] == [{"userId": "user0"}, {"userId": "user1"}]
    for line in output:
        items, scores = line["output"]["recommendedItems"], line["output"]["scores"]
        assert set(line["output"]) == {"recommendedItems", "scores"}
        assert (len(items), len(scores)) == (5, 5)
        assert scores == sorted(scores, reverse=True)
    # and the user's own history is not recommended back
    seen = {"item0", "item1", "item4", "item9"}  # user0's first interactions in the test data
    assert not seen & set(output[0]["output"]["recommendedItems"])
    # and the answers are those of the model trained on the imported data
    model = train("aws-user-personalization", TrainingData([Interaction(u, i, t) for u, i, t in interactions()]))
    for line in output:
        top = model.recommend(user_id=line["input"]["userId"], num_results=5)
        assert line["output"] == {"recommendedItems": [i for i, _ in top], "scores": [s for _, s in top]}


def test_batch_inference_output_appears_only_once_active(box: Sandbox) -> None:
    # GIVEN a job just created
    version = box.trained()["solutionVersionArn"]
    role = box.personalize_role()
    box.put("batch-input/users.json", lines({"userId": "user0"}))
    arn = box.personalize.create_batch_inference_job(
        jobName="recs",
        solutionVersionArn=version,
        roleArn=role,
        jobInput={"s3DataSource": {"path": f"s3://{box.bucket}/batch-input/users.json"}},
        jobOutput={"s3DataDestination": {"path": f"s3://{box.bucket}/batch-output/recs/"}},
    )["batchInferenceJobArn"]

    # WHEN it is described while pending, then after it settles
    pending = box.personalize.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"]
    before = out_keys(box)
    done = box.settle(INFERENCE, arn)

    # THEN nothing is written before ACTIVE; the default numResults is 25
    assert (pending["status"], before) == ("CREATE PENDING", [])
    assert (done["status"], out_keys(box)) == ("ACTIVE", ["batch-output/recs/users.json.out"])
    assert len(read_out(box, "batch-output/recs/users.json.out")[0]["output"]["recommendedItems"]) == 25


def test_batch_inference_folder_input_reads_every_object(box: Sandbox) -> None:
    # GIVEN two input files under the input folder
    version = box.trained()["solutionVersionArn"]
    role = box.personalize_role()
    box.put("batch-input/a.json", lines({"userId": "user0"}))
    box.put("batch-input/b.txt", lines({"userId": "user1"}, {"userId": "user2"}))

    # WHEN a job reads the folder
    job = box.batch_job(INFERENCE, "recs", version, role)

    # THEN each input file has its own .out file
    assert job["status"] == "ACTIVE"
    assert out_keys(box) == ["batch-output/recs/a.json.out", "batch-output/recs/b.txt.out"]
    assert len(read_out(box, "batch-output/recs/b.txt.out")) == 2


def test_batch_inference_path_without_slash_reads_every_key_with_that_prefix(box: Sandbox) -> None:
    # GIVEN a file path that is also the prefix of another key ("Amazon S3 is prefix based")
    version = box.trained()["solutionVersionArn"]
    role = box.personalize_role()
    box.put("batch-input/users.json", lines({"userId": "user0"}))
    box.put("batch-input/users.json.bak", lines({"userId": "user1"}))

    # WHEN a job reads that path
    job = box.batch_job(
        INFERENCE,
        "recs",
        version,
        role,
        jobInput={"s3DataSource": {"path": f"s3://{box.bucket}/batch-input/users.json"}},
    )

    # THEN both files are read, each with its own .out file
    assert job["status"] == "ACTIVE"
    assert out_keys(box) == ["batch-output/recs/users.json.bak.out", "batch-output/recs/users.json.out"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"userId": "user0"}\nnot json\n', "line 2 of s3://personalize-input/batch-input/u.json is not valid JSON"),
        ('["user0"]\n', "line 1 of s3://personalize-input/batch-input/u.json is not a JSON object"),
        ('{"itemId": "item1"}\n', "line 1 of s3://personalize-input/batch-input/u.json is missing userId"),
        (
            '{"userId": "u", "itemList": ["a"]}\n',
            "line 1 of s3://personalize-input/batch-input/u.json has unknown keys itemList; expected userId, context",
        ),
        ('{"userId": 7}\n', "line 1 of s3://personalize-input/batch-input/u.json has userId of the wrong type"),
    ],
    ids=["not-json", "not-object", "missing-key", "unknown-key", "wrong-type"],
)
def test_batch_inference_bad_input_line_fails_job_naming_file_and_line(box: Sandbox, body: str, reason: str) -> None:
    # GIVEN an input file with a bad line
    version = box.trained()["solutionVersionArn"]
    role = box.personalize_role()
    box.put("batch-input/u.json", body)

    # WHEN the job runs
    job = box.batch_job(INFERENCE, "recs", version, role)

    # THEN it fails with a reason naming the file and the line, and writes nothing
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"].startswith(f"Failed to create a batch inference job: {reason}")
    assert out_keys(box) == []


@pytest.mark.parametrize(
    ("actions", "where"),
    [(("s3:GetObject", "s3:ListBucket"), "batch-output/recs/"), (("s3:ListBucket", "s3:PutObject"), "batch-input/")],
    ids=["role-cannot-write", "role-cannot-read"],
)
def test_batch_inference_role_without_access_fails_job(box: Sandbox, actions: tuple[str, ...], where: str) -> None:
    # GIVEN a role missing the write (or the read) permission
    version = box.trained()["solutionVersionArn"]
    role = box.personalize_role(actions)
    box.put("batch-input/u.json", lines({"userId": "user0"}))

    # WHEN the job runs as that role
    job = box.batch_job(INFERENCE, "recs", version, role)

    # THEN it fails like the service, naming the location it could not use, and writes nothing
    assert (job["status"], job["failureReason"]) == (
        "CREATE FAILED",
        f"Failed to create a batch inference job: Insufficient privileges for accessing data in Amazon S3 at "
        f"s3://{box.bucket}/{where}.",
    )
    assert out_keys(box) == []


def test_batch_inference_bucket_policy_without_put_fails_job(box: Sandbox) -> None:
    # GIVEN a role that may write, but a bucket policy that does not let Personalize write (docs: add PutObject)
    version = box.trained()["solutionVersionArn"]
    role = box.personalize_role()
    from local.personalize.testing import bucket_policy

    box.s3.put_bucket_policy(Bucket=box.bucket, Policy=json.dumps(bucket_policy(box.bucket)))
    box.put("batch-input/u.json", lines({"userId": "user0"}))

    # WHEN the job runs
    job = box.batch_job(INFERENCE, "recs", version, role)

    # THEN it fails for lack of privileges
    assert job["status"] == "CREATE FAILED"
    assert "Insufficient privileges" in job["failureReason"]


def test_batch_inference_missing_input_fails_job_naming_path(box: Sandbox) -> None:
    # GIVEN no input at the path
    version = box.trained()["solutionVersionArn"]
    role = box.personalize_role()

    # WHEN the job runs
    job = box.batch_job(INFERENCE, "recs", version, role)

    # THEN it fails naming the path
    assert job["failureReason"] == (
        f"Failed to create a batch inference job: no input file found at s3://{box.bucket}/batch-input/."
    )


@pytest.mark.parametrize(
    ("recipe", "message"),
    [
        ("aws-item-affinity", "serves batch segment jobs only. Use CreateBatchSegmentJob."),
        ("aws-trending-now", "which has no batch inference."),
    ],
)
def test_batch_inference_refused_for_recipes_without_batch_inference(box: Sandbox, recipe: str, message: str) -> None:
    # GIVEN a version trained with a recipe that has no batch inference
    version = box.trained(recipeArn=RECIPE + recipe)["solutionVersionArn"]
    role = box.personalize_role()

    # WHEN a batch inference job is asked for
    code, text = client_error(lambda: box.batch_job(INFERENCE, "recs", version, role))

    # THEN the request is refused
    assert code == "InvalidInputException"
    assert text.endswith(message)


def test_batch_inference_refuses_same_input_and_output_path(box: Sandbox) -> None:
    # GIVEN a job whose output path is its input path
    version = box.trained()["solutionVersionArn"]
    role = box.personalize_role()
    path = f"s3://{box.bucket}/batch-input/"

    # WHEN it is created
    code, text = client_error(
        lambda: box.batch_job(INFERENCE, "recs", version, role, jobOutput={"s3DataDestination": {"path": path}})
    )

    # THEN refused, as the service does
    assert (code, text) == (
        "InvalidInputException",
        f"Invalid S3 output path {path}: the output path must differ from the input path.",
    )


def test_batch_inference_needs_active_version_unique_name_and_existing_filter(box: Sandbox) -> None:
    # GIVEN a trained version and one job already created
    trained = box.trained()
    role = box.personalize_role()
    box.put("batch-input/u.json", lines({"userId": "user0"}))
    box.batch_job(INFERENCE, "recs", trained["solutionVersionArn"], role)
    training = box.personalize.create_solution_version(solutionArn=trained["solutionArn"])["solutionVersionArn"]
    filter_arn = "arn:aws:personalize:us-east-1:123456789012:filter/none"

    # WHEN jobs are asked with the same name, an untrained version, or a filter that does not exist
    duplicate = client_error(lambda: box.batch_job(INFERENCE, "recs", trained["solutionVersionArn"], role))
    untrained = client_error(lambda: box.batch_job(INFERENCE, "other", training, role))
    no_filter = client_error(
        lambda: box.batch_job(INFERENCE, "other", trained["solutionVersionArn"], role, filterArn=filter_arn)
    )

    # THEN each is refused with the service's error
    assert duplicate[0] == "ResourceAlreadyExistsException"
    assert untrained == (
        "ResourceInUseException",
        f"Cannot create a batch inference job with the solution version: {training} is in CREATE PENDING "
        "state; it must be ACTIVE.",
    )
    assert no_filter == ("ResourceNotFoundException", f"Resource Arn {filter_arn} does not exist.")


def test_batch_inference_sixth_in_flight_job_exceeds_quota(box: Sandbox) -> None:
    # GIVEN five batch inference jobs still in flight
    version = box.trained()["solutionVersionArn"]
    role = box.personalize_role()
    box.put("batch-input/u.json", lines({"userId": "user0"}))

    def create(name: str) -> str:
        return box.personalize.create_batch_inference_job(
            jobName=name,
            solutionVersionArn=version,
            roleArn=role,
            jobInput={"s3DataSource": {"path": f"s3://{box.bucket}/batch-input/"}},
            jobOutput={"s3DataDestination": {"path": f"s3://{box.bucket}/batch-output/{name}/"}},
        )["batchInferenceJobArn"]

    for n in range(5):
        create(f"job{n}")

    # WHEN a sixth is created
    code, text = client_error(lambda: create("job5"))

    # THEN the in-flight quota refuses it, while listing by version shows the five
    assert (code, text) == ("LimitExceededException", "More than 5 resources with PENDING or IN_PROGRESS status.")
    listed = box.personalize.list_batch_inference_jobs(solutionVersionArn=version)["batchInferenceJobs"]
    assert sorted(j["jobName"] for j in listed) == [f"job{n}" for n in range(5)]
    assert box.personalize.list_batch_inference_jobs(solutionVersionArn=version + "x")["batchInferenceJobs"] == []


def test_batch_inference_tags_and_inventory(box: Sandbox) -> None:
    # GIVEN a job created with tags
    version = box.trained()["solutionVersionArn"]
    role = box.personalize_role()
    box.put("batch-input/u.json", lines({"userId": "user0"}))
    job = box.batch_job(INFERENCE, "recs", version, role, tags=[{"tagKey": "team", "tagValue": "recs"}])

    # WHEN its tags and the emulator's inventory are read
    tags = box.personalize.list_tags_for_resource(resourceArn=job["batchInferenceJobArn"])["tags"]

    # THEN both show the job
    assert tags == [{"tagKey": "team", "tagValue": "recs"}]
    assert box.emulator.inventory()["batchInferenceJobs"] == [job["batchInferenceJobArn"]]


def test_batch_inference_injected_failure_fails_job(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an emulator told to fail the next batch inference job
    with sandbox(monkeypatch, fail_steps={"batch-inference-job"}) as box:
        version = box.trained()["solutionVersionArn"]
        role = box.personalize_role()
        box.put("batch-input/u.json", lines({"userId": "user0"}))

        # WHEN a job runs
        job = box.batch_job(INFERENCE, "recs", version, role)

        # THEN it ends CREATE FAILED with the injected reason and writes nothing
        assert (job["status"], job["failureReason"]) == (
            "CREATE FAILED",
            "Failed to create a batch inference job: an internal error occurred. Try again.",
        )
        assert out_keys(box) == []


def test_batch_jobs_realistic_durations_match_observed_ranges() -> None:
    # GIVEN the realistic timeline and the observed durations (facts §10): inference 12-26 min, segments
    # 7-8 min, which the preset centres on and spreads by its ±10 % jitter like every step
    timeline = Timeline.realistic()
    observed = {"batch-inference-job": (12 * 60, 26 * 60), "batch-segment-job": (7 * 60 * 0.9, 8 * 60 * 1.1)}
    arns = [f"arn:aws:personalize:us-east-1:123456789012:batch-job/n{i}" for i in range(50)]

    # WHEN the phases of many jobs are derived
    totals = {step: [timeline.scaled(timeline.create[step], arn).total for arn in arns] for step in observed}

    # THEN every one lies in the observed range, and the unjittered durations are the observed middles
    for step, (low, high) in observed.items():
        assert low <= min(totals[step]) and max(totals[step]) <= high, step
    assert [timeline.create[step].total for step in observed] == [1200, 450]


# ----------------------------------------------------------------------------- batch segment
def test_batch_segment_item_affinity_writes_recommended_users(box: Sandbox) -> None:
    # GIVEN an Item-Affinity version and a file of item ids
    version = box.trained(recipeArn=RECIPE + "aws-item-affinity")["solutionVersionArn"]
    role = box.personalize_role()
    box.put("batch-input/items.json", lines({"itemId": "item0"}))

    # WHEN a batch segment job runs
    job = box.batch_job(SEGMENT, "segments", version, role, numResults=3)

    # THEN items.json.out holds the users who interacted most with the item, in the documented format
    assert (job["status"], job["numResults"]) == ("ACTIVE", 3)
    [line] = read_out(box, "batch-output/segments/items.json.out")
    assert line["input"] == {"itemId": "item0"}
    assert list(line["output"]) == ["recommendedUsers"]
    assert len(line["output"]["recommendedUsers"]) == 3
    listed = box.personalize.list_batch_segment_jobs(solutionVersionArn=version)["batchSegmentJobs"]
    assert [j["batchSegmentJobArn"] for j in listed] == [job["batchSegmentJobArn"]]


def test_batch_segment_refused_for_recipes_that_are_not_user_segmentation(box: Sandbox) -> None:
    # GIVEN a User-Personalization version
    version = box.trained()["solutionVersionArn"]
    role = box.personalize_role()

    # WHEN a batch segment job is asked for
    code, text = client_error(lambda: box.batch_job(SEGMENT, "segments", version, role))

    # THEN refused: segments need a USER_SEGMENTATION recipe
    assert code == "InvalidInputException"
    assert "batch segment jobs need a USER_SEGMENTATION recipe" in text


def test_batch_segment_item_affinity_input_needs_item_id(box: Sandbox) -> None:
    # GIVEN an Item-Affinity version and an input line with a userId
    version = box.trained(recipeArn=RECIPE + "aws-item-affinity")["solutionVersionArn"]
    role = box.personalize_role()
    box.put("batch-input/items.json", lines({"userId": "user0"}))

    # WHEN the job runs
    job = box.batch_job(SEGMENT, "segments", version, role)

    # THEN it fails naming the line
    assert job["failureReason"] == (
        f"Failed to create a batch segment job: line 1 of s3://{box.bucket}/batch-input/items.json is missing itemId."
    )


def test_output_line_item_attribute_affinity_puts_attributes_at_top_level() -> None:
    # GIVEN an attribute-affinity answer
    record = {"itemAttributes": 'ITEMS.genres = "Comedy"'}
    # WHEN it is formatted
    line = batch.output_line("aws-item-attribute-affinity", record, {"recommendedUsers": ["u1"]})
    # THEN it follows the documented example
    assert json.loads(line) == {"itemAttributes": 'ITEMS.genres = "Comedy"', "output": {"recommendedUsers": ["u1"]}}
