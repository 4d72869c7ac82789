"""The three spellings of params.json normalised into one plan, and the rules across sections (issue 8).

Pure tests: build_plan gets a DataListing built in memory. Every refusal asserts the whole problem list,
each problem naming its JSON path as the user wrote it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from personalize_pipeline.data_files import CsvObject, DataListing
from personalize_pipeline.errors import InvalidParameters
from personalize_pipeline.naming import batch_job_base_name
from personalize_pipeline.offline_rules import StackContext
from personalize_pipeline.params import build_plan

BUCKET = "input-bucket"
ARN_PREFIX = "arn:aws:personalize:us-east-1:123456789012"
RECIPE = "arn:aws:personalize:::recipe/"
STACK = StackContext(name="my-stack", arn_prefix=ARN_PREFIX)
STACK_TAG = {"tagKey": "personalize-pipeline:stack", "tagValue": "my-stack"}

# The legacy sample's example/params.json (amazon-personalize-samples, next_steps/operations/ml_ops), the
# compatibility target of issue 8: the same keys and values, written here as its users wrote it.
LEGACY_SAMPLE = """{
   "datasetGroup": {"name": "MovieLensDemo"},
   "datasets": {
      "Interactions": {
         "name": "InteractionsDataset",
         "schema": {
            "type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
            "fields": [
               {"name": "USER_ID", "type": "string"},
               {"name": "ITEM_ID", "type": "string"},
               {"name": "EVENT_TYPE", "type": "string"},
               {"name": "TIMESTAMP", "type": "long"}
            ],
            "version": "1.0"
         }
      },
      "Items": {
         "name": "ItemsDataset",
         "schema": {
            "type": "record", "name": "Items", "namespace": "com.amazonaws.personalize.schema",
            "fields": [
               {"name": "ITEM_ID", "type": "string"},
               {"name": "GENRE", "type": "string", "categorical": true},
               {"name": "YEAR", "type": "int"}
            ],
            "version": "1.0"
         }
      }
   },
   "solutions": {
      "userPersonalization": {
         "name": "userPersonalizationSolution",
         "recipeArn": "arn:aws:personalize:::recipe/aws-user-personalization"
      },
      "sims": {"name": "simsSolution", "recipeArn": "arn:aws:personalize:::recipe/aws-sims"},
      "personalizedRanking": {
         "name": "personalizedRankingSolution",
         "recipeArn": "arn:aws:personalize:::recipe/aws-personalized-ranking"
      }
   },
   "eventTracker": {"name": "MovieLensDemoEventTracker"},
   "campaigns": {
      "userPersonalizationCampaign": {"name": "userPersonalizationCampaign", "minProvisionedTPS": 1},
      "simsCampaign": {"name": "simsCampaign", "minProvisionedTPS": 1},
      "personalizedRankingCampaign": {"name": "personalizedRankingCampaign", "minProvisionedTPS": 1}
   },
   "filters": [
      {"name": "media-filter-1", "filterExpression": "INCLUDE ItemID WHERE Items.YEAR >= 1970 AND Items.YEAR < 1980"}
   ]
}
"""

INTERACTIONS = {
    "name": "interactions",
    "schema": {
        "type": "record",
        "name": "Interactions",
        "fields": [
            {"name": "USER_ID", "type": "string"},
            {"name": "ITEM_ID", "type": "string"},
            {"name": "EVENT_TYPE", "type": "string"},
            {"name": "TIMESTAMP", "type": "long"},
        ],
        "version": "1.0",
    },
}
ECOMMERCE_ITEMS = {
    "name": "items",
    "schema": {
        "type": "record",
        "name": "Items",
        "fields": [
            {"name": "ITEM_ID", "type": "string"},
            {"name": "PRICE", "type": "float"},
            {"name": "CATEGORY_L1", "type": "string", "categorical": True},
        ],
        "version": "1.0",
    },
}

# The project's list spelling: two solutions (one without campaign), a batch inference job, a tracker,
# two filters and root tags.
PROJECT = {
    "tags": [{"tagKey": "team", "tagValue": "recs"}],
    "datasetGroup": {"name": "shop"},
    "datasets": {"Interactions": INTERACTIONS},
    "solutions": [
        {
            "name": "shop-personalization",
            "recipeArn": f"{RECIPE}aws-user-personalization-v2",
            "solutionVersion": {"trainingMode": "FULL"},
            "campaigns": [{"name": "shop-personalization", "minProvisionedTPS": 1}],
        },
        {
            "name": "shop-similar",
            "recipeArn": f"{RECIPE}aws-sims",
            "tags": [{"tagKey": "team", "tagValue": "batch"}],
            "batchInferenceJobs": [
                {
                    "jobInput": {"s3DataSource": {"path": "batch-input/items.json"}},
                    "filterArn": f"{ARN_PREFIX}:filter/not-clicked",
                    "numResults": 10,
                }
            ],
        },
    ],
    "filters": [
        {"name": "not-clicked", "filterExpression": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'},
        {"name": "clicked", "filterExpression": 'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'},
    ],
    "eventTracker": {"name": "shop-tracker"},
}


def _listing(**headers: str) -> DataListing:
    data = DataListing()
    for folder, header in headers.items():
        data.folders[folder] = [CsvObject(f"{folder}/{folder.lower()}.csv", '"e1"', 100, header)]
    return data


LEGACY_DATA = {"Interactions": "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE", "Items": "ITEM_ID,GENRE,YEAR"}
PROJECT_DATA = {"Interactions": "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP"}


def plan_of(params: Any, data: dict[str, str], stack: StackContext | None = None) -> dict[str, Any]:
    return build_plan(params, bucket=BUCKET, key="params.json", version_id=None, data=_listing(**data), stack=stack)


def problems_of(params: Any, data: dict[str, str] | None = None, stack: StackContext | None = None) -> list[str]:
    with pytest.raises(InvalidParameters) as raised:
        plan_of(params, data or PROJECT_DATA, stack)
    return raised.value.problems


@pytest.fixture
def legacy() -> dict[str, Any]:
    return json.loads(LEGACY_SAMPLE)


@pytest.fixture
def project() -> dict[str, Any]:
    return copy.deepcopy(PROJECT)


# --------------------------------------------------------------------------------------------------
# The legacy sample's spelling, unchanged


def test_build_plan_legacy_sample_text_gives_three_solutions_campaigns_tracker_and_filter():
    # GIVEN the legacy sample's params.json as S3 returns it, with its data layout (EVENT_TYPE last in the CSV)
    body = LEGACY_SAMPLE.encode("utf-8")
    # WHEN it is validated
    plan = plan_of(body, LEGACY_DATA)
    # THEN each solution carries the campaign keyed "<label>Campaign", in the file's order
    assert [(s["solution"], s["campaigns"]) for s in plan["solutions"]] == [
        (
            {
                "name": "userPersonalizationSolution",
                "recipeArn": f"{RECIPE}aws-user-personalization",
                "performAutoTraining": False,
            },
            [{"name": "userPersonalizationCampaign", "minProvisionedTPS": 1}],
        ),
        (
            {"name": "simsSolution", "recipeArn": f"{RECIPE}aws-sims", "performAutoTraining": False},
            [{"name": "simsCampaign", "minProvisionedTPS": 1}],
        ),
        (
            {
                "name": "personalizedRankingSolution",
                "recipeArn": f"{RECIPE}aws-personalized-ranking",
                "performAutoTraining": False,
            },
            [{"name": "personalizedRankingCampaign", "minProvisionedTPS": 1}],
        ),
    ]
    assert [(s["batchInferenceJobs"], s["batchSegmentJobs"], s["notes"]) for s in plan["solutions"]] == [
        ([], [], [])
    ] * 3
    assert plan["eventTrackers"] == [{"name": "MovieLensDemoEventTracker"}]
    assert plan["filters"] == [
        {"name": "media-filter-1", "filterExpression": "INCLUDE ItemID WHERE Items.YEAR >= 1970 AND Items.YEAR < 1980"}
    ]
    assert plan["recommenders"] == []
    assert [d["folder"] for d in plan["datasets"]] == ["Interactions", "Items"]
    # and every planned resource remembers where the user wrote it
    assert plan["paths"] == {
        "eventTrackers": ["eventTracker"],
        "filters": ["filters[0]"],
        "solutions": [
            {
                "solution": f"solutions.{label}",
                "solutionVersion": f"solutions.{label}.solutionVersion",
                "campaigns": [f"campaigns.{label}Campaign"],
                "batchInferenceJobs": [],
                "batchSegmentJobs": [],
            }
            for label in ("userPersonalization", "sims", "personalizedRanking")
        ],
        "recommenders": [],
    }


def test_build_plan_legacy_sample_in_a_stack_tags_every_resource(legacy):
    # GIVEN the legacy sample validated for a stack
    plan = plan_of(legacy, LEGACY_DATA, STACK)
    # THEN every request the steps send carries the stack tag (IAM lets the pipeline create only those)
    requests = [
        plan["datasetGroup"],
        *plan["eventTrackers"],
        *plan["filters"],
        *(s["solution"] for s in plan["solutions"]),
        *(s["solutionVersion"] for s in plan["solutions"]),
        *(c for s in plan["solutions"] for c in s["campaigns"]),
    ]
    assert len(requests) == 12
    assert all(r["tags"] == [STACK_TAG] for r in requests)


def test_build_plan_legacy_campaign_key_matching_no_label_names_the_labels(legacy):
    # GIVEN a campaign keyed after a label that is not under solutions
    legacy["campaigns"]["simCampaign"] = legacy["campaigns"].pop("simsCampaign")
    legacy["campaigns"]["ranking"] = {"name": "ranking", "minProvisionedTPS": 1}
    # WHEN validated / THEN both keys are refused, naming the labels
    labels = "userPersonalization, sims, personalizedRanking"
    assert problems_of(legacy, LEGACY_DATA) == [
        "campaigns.simCampaign: matches no solution; a campaign's key is its solution's label under solutions "
        f'followed by Campaign (solution labels: {labels}); did you mean "simsCampaign"?',
        "campaigns.ranking: matches no solution; a campaign's key is its solution's label under solutions "
        f"followed by Campaign (solution labels: {labels})",
    ]


def test_build_plan_legacy_problems_name_the_users_paths(legacy):
    # GIVEN mistakes inside the maps
    legacy["campaigns"]["simsCampaign"]["minProvisionedTPS"] = 0
    legacy["solutions"]["sims"]["recipeArn"] = "aws-sims"
    legacy["solutions"]["sims"]["campaigns"] = {}
    legacy["eventTracker"]["nmae"] = "x"
    # WHEN validated / THEN each is named at its path as written
    assert problems_of(legacy, LEGACY_DATA) == [
        "solutions.sims.campaigns: with solutions written as a map, campaigns go in the top-level campaigns map, "
        'keyed "simsCampaign"',
        'solutions.sims.recipeArn: "aws-sims" is not valid: expected an ARN such as '
        "arn:aws:personalize:::recipe/aws-user-personalization-v2; "
        'did you mean "arn:aws:personalize:::recipe/aws-sims"?',
        "campaigns.simsCampaign.minProvisionedTPS: must be at least 1, got 0",
        'eventTracker.nmae: unknown key; did you mean "name"? (allowed: name, tags)',
    ]


# --------------------------------------------------------------------------------------------------
# The project's list spelling


def test_build_plan_project_spelling_plans_every_section(project):
    # GIVEN two solutions (one without campaign), a batch job on a bare batch-input key, a tracker, two
    # filters and root tags
    plan = plan_of(project, PROJECT_DATA, STACK)
    team = {"tagKey": "team", "tagValue": "recs"}
    # THEN root tags go on every resource whose section sets none, beside the stack tag
    assert plan["datasetGroup"] == {"name": "shop", "tags": [team, STACK_TAG]}
    assert plan["eventTrackers"] == [{"name": "shop-tracker", "tags": [team, STACK_TAG]}]
    assert [f["name"] for f in plan["filters"]] == ["not-clicked", "clicked"]
    assert all(f["tags"] == [team, STACK_TAG] for f in plan["filters"])
    first, second = plan["solutions"]
    assert first["campaigns"] == [{"name": "shop-personalization", "minProvisionedTPS": 1, "tags": [team, STACK_TAG]}]
    assert first["solutionVersion"]["trainingMode"] == "FULL"
    assert first["solutionVersion"]["tags"] == [team, STACK_TAG]
    # a section's own tags replace the root tags
    own = [{"tagKey": "team", "tagValue": "batch"}, STACK_TAG]
    assert second["solution"] == {
        "name": "shop-similar",
        "recipeArn": f"{RECIPE}aws-sims",
        "tags": own,
        "performAutoTraining": False,
    }
    assert second["campaigns"] == []
    # the batch job is the request the step sends: base jobName, full input URI, no version/role/output
    assert second["batchInferenceJobs"] == [
        {
            "jobName": "shop-similar-batch",
            "jobInput": {"s3DataSource": {"path": f"s3://{BUCKET}/batch-input/items.json"}},
            "filterArn": f"{ARN_PREFIX}:filter/not-clicked",
            "numResults": 10,
            "tags": [team, STACK_TAG],
        }
    ]
    assert plan["paths"]["solutions"][1] == {
        "solution": "solutions[1]",
        "solutionVersion": "solutions[1].solutionVersion",
        "campaigns": [],
        "batchInferenceJobs": ["solutions[1].batchInferenceJobs[0]"],
        "batchSegmentJobs": [],
    }


def test_build_plan_seed_solution_without_campaign_plans_none():
    # GIVEN the seed spelling without its campaign (a campaign bills by the hour; batch-only needs none)
    params = {"datasetGroup": {"name": "g"}, "datasets": {"Interactions": INTERACTIONS}}
    params["solution"] = {"name": "s", "recipeArn": f"{RECIPE}aws-sims"}
    # WHEN planned / THEN the solution is trained and nothing is deployed
    (solution,) = plan_of(params, PROJECT_DATA)["solutions"]
    assert solution["campaigns"] == []


def test_build_plan_project_problems_name_list_indexes(project):
    # GIVEN mistakes in nested lists
    project["solutions"][1]["campaigns"] = [{"minProvisionedTPS": 1}]
    project["solutions"][0]["solutionVersion"]["trainingMode"] = "AUTOTRAIN"
    project["solutions"][1]["batchInferenceJobs"][0]["jobOutput"] = {"s3DataDestination": {"path": "s3://x/y/"}}
    project["filters"][1]["filterExpression"] = ""
    # WHEN validated / THEN every problem names its index path
    assert problems_of(project) == [
        "solutions[1].campaigns[0].name: required but missing",
        "solutions[1].batchInferenceJobs[0].jobOutput: set by the pipeline (results go to s3://<input bucket>/"
        "batch-output/<job name>/, the only prefix the Personalize role may write); remove it",
        "filters[1].filterExpression: must not be empty",
        "solutions[0].solutionVersion.trainingMode: AUTOTRAIN is set by Personalize for automatic trainings and "
        'cannot be requested; use FULL (the default) or UPDATE, and "performAutoTraining": true on the solution for '
        "scheduled training",
    ]


def test_build_plan_batch_job_default_names_are_distinct_and_fit():
    # GIVEN a solution name at the 63-character maximum with two batch jobs
    long = "s" * 63
    names = [batch_job_base_name(long, "batch", i, 2) for i in range(2)]
    # THEN each base name leaves room for the step's "-<8 hex>" and they differ
    assert [len(n) for n in names] == [54, 54]
    assert names[0] != names[1] and names[0].endswith("-batch-1") and names[1].endswith("-batch-2")
    assert batch_job_base_name("sol", "segment", 0, 1) == "sol-segment"


# --------------------------------------------------------------------------------------------------
# Spellings, unmanaged sections and other formats


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"solution": {"name": "x", "recipeArn": f"{RECIPE}aws-sims"}},
            [
                "solutions: mixes two spellings with solution; use either solution/solutionVersion/campaign (one "
                "solution) or solutions (several), not both"
            ],
        ),
        (
            {"campaigns": {"x": {"name": "x"}}},
            [
                "campaigns: the top-level campaigns map goes with solutions written as a map (label -> solution); "
                "with solutions as a list, put each campaign in its solution: solutions[i].campaigns"
            ],
        ),
    ],
    ids=["solution-and-solutions", "campaigns-map-with-list"],
)
def test_build_plan_mixed_spellings_are_refused(project, change, expected):
    project.update(change)
    assert problems_of(project) == expected


def test_build_plan_campaigns_map_with_seed_solution_is_refused():
    params = {"datasetGroup": {"name": "g"}, "datasets": {"Interactions": INTERACTIONS}}
    params["solution"] = {"name": "s", "recipeArn": f"{RECIPE}aws-sims"}
    params["campaigns"] = {"sCampaign": {"name": "c"}}
    assert problems_of(params) == [
        "campaigns: mixes two spellings with solution; the campaigns map goes with the solutions map (keyed "
        '"<label>Campaign"), the one solution of "solution" has its campaign in "campaign"'
    ]


def test_build_plan_unmanaged_sections_are_named_as_such(project):
    # GIVEN sections of Personalize features the pipeline does not create
    project["datasetExportJobs"] = []
    project["metricAttributions"] = []
    # WHEN validated / THEN they are named as unmanaged, not as typos
    assert problems_of(project) == [
        "datasetExportJobs: dataset export jobs (CreateDatasetExportJob) are not managed by this pipeline; remove "
        "the section (the pipeline would not create them)",
        "metricAttributions: metric attributions (CreateMetricAttribution) are not managed by this pipeline; remove "
        "the section (the pipeline would not create them)",
    ]


def test_build_plan_aws_solution_config_format_is_one_line():
    # GIVEN a file in the AWS Solution's format (each section wrapped in serviceConfig, schedules in workflowConfig)
    params = {
        "datasetGroup": {
            "serviceConfig": {"name": "g"},
            "workflowConfig": {"schedules": {"import": "cron(0 * * * ? *)"}},
        },
        "datasets": {"interactions": {"dataset": {"serviceConfig": {"name": "i"}}}},
        "solutions": [{"serviceConfig": {"name": "s", "recipeArn": f"{RECIPE}aws-sims"}}],
    }
    # WHEN validated / THEN one line names the format and where the supported ones are documented
    assert problems_of(params) == [
        f's3://{BUCKET}/params.json: this is the configuration format of the AWS Solution "Maintaining '
        'Personalized Experiences with Machine Learning" (serviceConfig/workflowConfig sections), which this '
        "pipeline does not read; write it in one of the params.json spellings documented in README.md, section "
        '"params.json"'
    ]


@pytest.mark.parametrize("solutions", [[], {}], ids=["list", "map"])
def test_build_plan_no_solution_and_no_recommender_is_refused(project, solutions):
    project["solutions"] = solutions
    assert problems_of(project) == [
        "solutions: empty; declare at least one solution, or recommenders in a domain dataset group"
    ]


def test_build_plan_seed_campaign_without_its_solution_is_not_ignored():
    # GIVEN a domain group with a recommender, and a seed campaign without the solution it would deploy
    params = {
        "datasetGroup": {"name": "shop", "domain": "ECOMMERCE"},
        "datasets": {"Interactions": INTERACTIONS, "Items": ECOMMERCE_ITEMS},
        "recommenders": [{"name": "r", "recipeArn": f"{RECIPE}aws-ecomm-recommended-for-you"}],
        "campaign": {"name": "c"},
    }
    # WHEN validated / THEN the missing solution is named (the campaign would otherwise be silently dropped)
    assert problems_of(params, DOMAIN_DATA) == ["solution: required section is missing"]


def test_build_plan_nothing_to_deploy_is_a_missing_section(project):
    del project["solutions"]
    assert problems_of(project) == [
        "solutions: required section is missing: declare at least one solution, or recommenders in a domain "
        "dataset group"
    ]


# --------------------------------------------------------------------------------------------------
# Rules across sections


def test_build_plan_duplicate_names_are_refused_per_kind(project):
    # GIVEN a name used twice for solutions, campaigns, filters and batch jobs
    project["solutions"][1]["name"] = "shop-personalization"
    project["solutions"][1]["campaigns"] = [{"name": "shop-personalization"}]
    project["filters"][1]["name"] = "not-clicked"
    job = project["solutions"][1]["batchInferenceJobs"][0]
    job["jobName"] = "nightly"
    project["solutions"][1]["batchInferenceJobs"].append({**job})
    # WHEN validated / THEN each second use names the first
    assert problems_of(project) == [
        'solutions[1].name: "shop-personalization" is also the name of solutions[0]; each solution needs its own name',
        'solutions[1].campaigns[0].name: "shop-personalization" is also the name of solutions[0].campaigns[0]; each '
        "campaign needs its own name",
        'filters[1].name: "not-clicked" is also the name of filters[0]; each filter needs its own name',
        'solutions[1].batchInferenceJobs[1].jobName: "nightly" is also the name of solutions[1].batchInferenceJobs[0]; '
        "each batch inference job needs its own name",
    ]


def test_build_plan_batch_jobs_must_fit_the_recipe(project):
    # GIVEN a segment job on SIMS, and an affinity solution with a campaign and a batch inference job
    sims = project["solutions"][1]
    sims["batchSegmentJobs"] = [{"jobInput": {"s3DataSource": {"path": "batch-input/users.json"}}}]
    project["solutions"].append(
        {
            "name": "affinity",
            "recipeArn": f"{RECIPE}aws-item-affinity",
            "campaigns": [{"name": "affinity"}],
            "batchInferenceJobs": [{"jobInput": {"s3DataSource": {"path": "batch-input/items.json"}}}],
        }
    )
    project["solutions"].append(
        {
            "name": "trending",
            "recipeArn": f"{RECIPE}aws-trending-now",
            "batchInferenceJobs": [{"jobInput": {"s3DataSource": {"path": "batch-input/users.json"}}}],
        }
    )
    # WHEN validated / THEN each deployment the recipe cannot serve is refused
    assert problems_of(project) == [
        "solutions[1].batchSegmentJobs[0]: batch segment jobs need a solution on aws-item-affinity or "
        "aws-item-attribute-affinity; solution 'shop-similar' uses aws-sims: use batchInferenceJobs",
        "solutions[2].campaigns[0]: solution 'affinity' uses recipe aws-item-affinity, which only serves batch "
        "segment jobs; a campaign cannot deploy it: remove the campaign (declare batchSegmentJobs instead)",
        "solutions[2].batchInferenceJobs[0]: solution 'affinity' uses recipe aws-item-affinity, which serves batch "
        "segment jobs, not batch inference jobs: declare it under batchSegmentJobs",
        "solutions[3].batchInferenceJobs[0]: solution 'trending' uses recipe aws-trending-now, which does not "
        "support batch inference jobs",
    ]


def test_build_plan_segment_job_on_affinity_recipe_is_planned(project):
    project["solutions"].append(
        {
            "name": "affinity",
            "recipeArn": f"{RECIPE}aws-item-affinity",
            "batchSegmentJobs": [{"jobInput": {"s3DataSource": {"path": f"s3://{BUCKET}/batch-input/items.json"}}}],
        }
    )
    plan = plan_of(project, PROJECT_DATA)
    assert plan["solutions"][2]["batchSegmentJobs"] == [
        {
            "jobName": "affinity-segment",
            "jobInput": {"s3DataSource": {"path": f"s3://{BUCKET}/batch-input/items.json"}},
            "tags": [{"tagKey": "team", "tagValue": "recs"}],
        }
    ]


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        (
            {"jobInput": {"s3DataSource": {"path": "s3://other-bucket/batch-input/a.json"}}},
            [
                'solutions[1].batchInferenceJobs[0].jobInput.s3DataSource.path: "s3://other-bucket/batch-input/'
                "a.json\" is not in the input bucket's batch-input/ folder; upload the input to "
                f's3://{BUCKET}/batch-input/ and write "batch-input/<file>" or its s3:// URI (the Personalize role '
                "reads batch input only there)"
            ],
        ),
        (
            {"jobInput": {"s3DataSource": {"path": "Interactions/a.json"}}},
            [
                'solutions[1].batchInferenceJobs[0].jobInput.s3DataSource.path: "Interactions/a.json" is not in the '
                f"input bucket's batch-input/ folder; upload the input to s3://{BUCKET}/batch-input/ and write "
                '"batch-input/<file>" or its s3:// URI (the Personalize role reads batch input only there)'
            ],
        ),
        (
            {
                "jobInput": {
                    "s3DataSource": {
                        "path": "batch-input/a.json",
                        "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k",
                    }
                }
            },
            [
                "solutions[1].batchInferenceJobs[0].jobInput.s3DataSource.kmsKeyArn: encrypted batch input is not "
                "supported by this pipeline yet: Personalize would need the role to use the KMS key and the pipeline "
                "neither grants nor tests that; remove it"
            ],
        ),
        (
            {"jobName": "j" * 55, "jobInput": {"s3DataSource": {"path": "batch-input/a.json"}}},
            [
                "solutions[1].batchInferenceJobs[0].jobName: 55 characters; at most 54 here, because the pipeline "
                "appends -<8 hex> (new for each version and input, so a retrained version gets a new job)"
            ],
        ),
        (
            {"jobInput": {"s3DataSource": {"path": "batch-input/a.json"}}, "filterArn": f"{ARN_PREFIX}:filter/other"},
            [
                'solutions[1].batchInferenceJobs[0].filterArn: filter "other" is not declared in filters (declared: '
                "clicked, not-clicked); a batch job may use only a filter this params.json creates in its dataset group"
            ],
        ),
        (
            {
                "jobInput": {"s3DataSource": {"path": "batch-input/a.json"}},
                "filterArn": "arn:aws:personalize:eu-west-1:123456789012:filter/clicked",
            },
            [
                'solutions[1].batchInferenceJobs[0].filterArn: "arn:aws:personalize:eu-west-1:123456789012:filter/'
                "clicked\" is not a filter ARN of this stack's account and region; use "
                f"{ARN_PREFIX}:filter/<name> with the name of a filter declared in filters (declared: clicked, "
                "not-clicked)"
            ],
        ),
        (
            {"jobInput": {}},
            ["solutions[1].batchInferenceJobs[0].jobInput.s3DataSource: required but missing"],
        ),
    ],
    ids=["other-bucket", "outside-batch-input", "kms", "long-name", "undeclared-filter", "other-region", "no-input"],
)
def test_build_plan_bad_batch_job_reports_exactly_its_problem(project, job, expected):
    project["solutions"][1]["batchInferenceJobs"] = [job]
    assert problems_of(project, stack=STACK) == expected


def test_build_plan_more_than_30_filters_is_refused(project):
    project["filters"] = [
        {"name": f"f{i}", "filterExpression": PROJECT["filters"][0]["filterExpression"]} for i in range(31)
    ]
    project["solutions"][1]["batchInferenceJobs"][0].pop("filterArn")
    assert problems_of(project) == ["filters: 31 filters; a dataset group holds at most 30"]


def test_build_plan_root_tags_count_with_the_pipeline_tags(project):
    # GIVEN 49 root tags: with the stack tag and the import jobs' size tag a resource would hold 51
    project["tags"] = [{"tagKey": f"k{i}", "tagValue": "v"} for i in range(49)]
    assert problems_of(project, stack=STACK) == [
        "tags: 49 tags; a resource holds at most 50 and the pipeline adds 2 of its own, so at most 48 here"
    ]


def test_build_plan_root_tags_are_checked_like_any_tags(project):
    project["tags"] = [{"tagKey": "aws:x", "tagValue": "v"}, {"tagKey": "t"}]
    assert problems_of(project) == [
        "tags[1].tagValue: required but missing",
        "tags[0].tagKey: starts with aws:, which AWS reserves for its own tags",
    ]


# --------------------------------------------------------------------------------------------------
# Recommenders


def _domain_params(domain: str | None, recommenders: list[dict[str, Any]]) -> dict[str, Any]:
    group: dict[str, Any] = {"name": "shop"}
    if domain:
        group["domain"] = domain
    return {
        "datasetGroup": group,
        "datasets": {"Interactions": INTERACTIONS, "Items": ECOMMERCE_ITEMS},
        "recommenders": recommenders,
    }


DOMAIN_DATA = {"Interactions": "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP", "Items": "ITEM_ID,PRICE,CATEGORY_L1"}


def test_build_plan_recommender_in_ecommerce_group_is_planned_without_solutions():
    params = _domain_params(
        "ECOMMERCE",
        [
            {
                "name": "for-you",
                "recipeArn": f"{RECIPE}aws-ecomm-recommended-for-you",
                "recommenderConfig": {"minRecommendationRequestsPerSecond": 1},
            }
        ],
    )
    plan = plan_of(params, DOMAIN_DATA, STACK)
    assert plan["solutions"] == []
    assert plan["recommenders"] == [
        {
            "name": "for-you",
            "recipeArn": f"{RECIPE}aws-ecomm-recommended-for-you",
            "recommenderConfig": {"minRecommendationRequestsPerSecond": 1},
            "tags": [STACK_TAG],
        }
    ]
    assert plan["paths"]["recommenders"] == ["recommenders[0]"]


def test_build_plan_recommender_recipes_must_match_the_domain():
    params = _domain_params(
        "ECOMMERCE",
        [
            {"name": "a", "recipeArn": f"{RECIPE}aws-vod-top-picks"},
            {"name": "b", "recipeArn": f"{RECIPE}aws-sims"},
            {"name": "a", "recipeArn": f"{RECIPE}aws-ecomm-popular-items-by-views"},
            {"name": "c", "recipeArn": f"{RECIPE}aws-ecomm-popular-items-by-views", "recommenderConfig": {"x": 1}},
        ],
    )
    assert problems_of(params, DOMAIN_DATA) == [
        "recommenders[3].recommenderConfig.x: unknown key (allowed: itemExplorationConfig, "
        "minRecommendationRequestsPerSecond, trainingDataConfig, enableMetadataWithRecommendations)",
        'recommenders[2].name: "a" is also the name of recommenders[0]; each recommender needs its own name',
        "recommenders[0].recipeArn: aws-vod-top-picks is a VIDEO_ON_DEMAND use case, but datasetGroup.domain is "
        "ECOMMERCE; use a use case of the dataset group's domain",
        "recommenders[1].recipeArn: aws-sims is a custom recipe, which serves solutions, not recommenders: declare "
        "it under solutions, or use a domain use case (aws-ecomm-... or aws-vod-...)",
    ]


def test_build_plan_recommenders_need_a_domain_group_and_at_most_five():
    recommender = {"recipeArn": f"{RECIPE}aws-ecomm-popular-items-by-views"}
    params = _domain_params(None, [{**recommender, "name": f"r{i}"} for i in range(6)])
    assert problems_of(params, DOMAIN_DATA) == [
        "recommenders: 6 recommenders; a dataset group holds at most 5",
        "recommenders: recommenders need a domain dataset group; set datasetGroup.domain to ECOMMERCE or "
        "VIDEO_ON_DEMAND (a new dataset group: the domain of an existing one cannot change)",
    ]


def test_build_plan_recommender_requests_per_second_are_capped_like_campaign_tps():
    params = _domain_params(
        "ECOMMERCE",
        [
            {
                "name": "for-you",
                "recipeArn": f"{RECIPE}aws-ecomm-recommended-for-you",
                "recommenderConfig": {"minRecommendationRequestsPerSecond": 11},
            }
        ],
    )
    assert problems_of(params, DOMAIN_DATA, STACK) == [
        "recommenders[0].recommenderConfig.minRecommendationRequestsPerSecond: 11 is above this stack's cap of 10 "
        "(stack parameter MaxMinProvisionedTPS; the recommender bills at least this many requests per second every "
        "hour)"
    ]


# --------------------------------------------------------------------------------------------------
# Filter expressions (grammar: personalize_pipeline.filter_expressions) against the declared datasets


def test_build_plan_legacy_filter_on_items_without_items_dataset_is_refused(legacy):
    # GIVEN the legacy sample without its Items dataset: its filter reads Items.YEAR
    del legacy["datasets"]["Items"]
    # WHEN validated / THEN the filter is refused before any resource, at its path and column
    assert problems_of(legacy, {"Interactions": LEGACY_DATA["Interactions"]}) == [
        "filters[0].filterExpression: column 22 (Items.YEAR): no Items dataset is declared, so the filter has no "
        "Items data to read",
        "filters[0].filterExpression: column 45 (Items.YEAR): no Items dataset is declared, so the filter has no "
        "Items data to read",
    ]


def test_build_plan_filters_reading_more_than_20_fields_together_are_refused():
    # GIVEN 21 filters, each on its own Items field (each filter alone is valid)
    fields = [{"name": "ITEM_ID", "type": "string"}] + [{"name": f"F{i}", "type": "int"} for i in range(21)]
    params = {
        "datasetGroup": {"name": "g"},
        "datasets": {
            "Interactions": INTERACTIONS,
            "Items": {"name": "items", "schema": {"type": "record", "name": "Items", "fields": fields}},
        },
        "solution": {"name": "s", "recipeArn": f"{RECIPE}aws-sims"},
        "filters": [{"name": f"f{i}", "filterExpression": f"EXCLUDE ItemID WHERE Items.F{i} > 1"} for i in range(21)],
    }
    header = ",".join(f["name"] for f in fields)
    # WHEN validated / THEN the group's quota of distinct filtered fields is named once, with the fields
    names = ", ".join(sorted(f"Items.F{i}" for i in range(21)))
    assert problems_of(params, {**PROJECT_DATA, "Items": header}) == [
        f"filters: together they read 21 distinct fields ({names}); the filters of a dataset group may read at most 20"
    ]


@pytest.mark.parametrize(
    ("folder", "solutions", "recommenders"),
    [
        (
            "legacy",
            ["movies-legacy-user-personalization", "movies-legacy-sims", "movies-legacy-personalized-ranking"],
            [],
        ),
        ("shop", ["shop-user-personalization", "shop-similar-items", "shop-popularity"], ["shop-popular-by-views"]),
    ],
)
def test_build_plan_example_folders_validate_against_their_data(folder, solutions, recommenders):
    # GIVEN a committed example folder: its params.json (legacy map spelling, or list spelling) and its CSVs
    root = Path(__file__).resolve().parents[2] / "example" / folder
    listing = DataListing()
    for path in sorted((root / "data").rglob("*.csv")):
        key = path.relative_to(root / "data").as_posix()
        header = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
        listing.folders[key.split("/")[0]].append(CsvObject(key, '"e"', path.stat().st_size, header))
    # WHEN validated for a stack
    plan = build_plan(
        (root / "params.json").read_bytes(),
        bucket=BUCKET,
        key="params.json",
        version_id=None,
        data=listing,
        stack=STACK,
    )
    # THEN every section is planned
    assert [s["solution"]["name"] for s in plan["solutions"]] == solutions
    assert [r["name"] for r in plan["recommenders"]] == recommenders
    assert len(plan["eventTrackers"]) == 1 and plan["filters"]
