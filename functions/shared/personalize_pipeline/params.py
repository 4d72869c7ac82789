"""params.json: validate everything, then turn it into the plan every later step reads.

Validation runs before any Personalize resource exists and collects every problem at once, each with
its JSON path or S3 key: a user fixing params.json should need one round trip, not one per mistake.
The plan is the normalised form (types in canonical case, derived names, defaults the pipeline
chooses), so handlers never re-interpret the user's file.

Three spellings of the solutions reach the same plan: the seed's singular ``solution``/``solutionVersion``/
``campaign``; the legacy sample's ``solutions`` map (label -> CreateSolution) with its ``campaigns`` map
(``<label>Campaign`` -> CreateCampaign); and the ``solutions`` list whose items nest ``solutionVersion``,
``campaigns``, ``batchInferenceJobs`` and ``batchSegmentJobs``. ``eventTracker``, ``filters``,
``recommenders`` and root ``tags`` go with any of them. Problems name the path as the user wrote it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from personalize_pipeline import filter_expressions, schedules
from personalize_pipeline.data_files import DATASET_FOLDERS, CsvObject, DataListing, folder_fingerprint, parse_header
from personalize_pipeline.errors import InvalidParameters
from personalize_pipeline.naming import (
    BATCH_JOB_BASE_MAX_LENGTH,
    NAME_MAX_LENGTH,
    batch_job_base_name,
    canonical_json,
    import_job_name,
    recipe_name,
    schema_name,
    solution_version_name,
)
from personalize_pipeline.offline_rules import (
    HPO_MAXIMA,
    CostCaps,
    StackContext,
    campaign_problems,
    recipe_problems,
    recommender_problems,
    solution_problems,
    solution_version_problems,
    tag_problems,
    with_stack_tag,
)
from personalize_pipeline.request_shapes import (
    BATCH_INFERENCE_JOB,
    BATCH_SEGMENT_JOB,
    CAMPAIGN,
    DATASET,
    DATASET_GROUP,
    DATASET_IMPORT_JOB,
    EVENT_TRACKER,
    FILTER,
    RECOMMENDER,
    SCHEMA,
    SOLUTION,
    SOLUTION_ENTRY,
    SOLUTION_VERSION,
    RequestSpec,
    check_member,
    check_request,
    closest,
    did_you_mean,
    index_path,
    join_path,
    show,
    unknown_key_problem,
    user_members,
    with_hint,
)
from personalize_pipeline.schemas import (
    DOMAIN_RULES,
    NUMERIC_TYPES,
    check_domain_schema,
    check_schema,
    field_changes,
    replacement_problems,
    schema_fields,
)

#: The seed spelling: one solution, its version options and at most one campaign.
SEED_KEYS: tuple[str, ...] = ("solution", "solutionVersion", "campaign")
TOP_LEVEL_KEYS: tuple[str, ...] = (
    "datasetGroup",
    "datasets",
    *SEED_KEYS,
    "solutions",
    "campaigns",
    "recommenders",
    "filters",
    "eventTracker",
    "schedules",
    "tags",
)
REQUIRED_SECTIONS: tuple[str, ...] = ("datasetGroup", "datasets")

#: Sections of Personalize features (or of other tools' formats) that this pipeline does not create:
#: named as such, not as typos, so nobody expects them to have been deployed.
NOT_MANAGED: Mapping[str, str] = {
    "datasetExportJobs": "dataset export jobs (CreateDatasetExportJob)",
    "datasetExportJob": "dataset export jobs (CreateDatasetExportJob)",
    "metricAttributions": "metric attributions (CreateMetricAttribution)",
    "metricAttribution": "metric attributions (CreateMetricAttribution)",
    "dataDeletionJobs": "data deletion jobs (CreateDataDeletionJob)",
    "dataDeletionJob": "data deletion jobs (CreateDataDeletionJob)",
}
#: Keys of the AWS Solution "Maintaining Personalized Experiences with Machine Learning" config format.
_OTHER_FORMAT_KEYS = frozenset({"serviceConfig", "workflowConfig"})
#: Service quotas the plan is checked against (personalize-facts.md, limits).
MAX_FILTERS = 30
MAX_RECOMMENDERS = 5
#: Where batch input must be (the Personalize role reads it there) and its bare-key spelling.
BATCH_INPUT_PREFIX = "batch-input/"

#: Dataset keys, matched case-insensitively -> canonical type (also the S3 folder name).
DATASET_TYPES: Mapping[str, str] = {folder.lower(): folder for folder in DATASET_FOLDERS}
UNSUPPORTED_DATASET_TYPES: Mapping[str, str] = {"actions": "Actions", "action_interactions": "Action_Interactions"}

# Recipe facts (personalize-facts.md section 7, CreateSolution/CreateSolutionVersion model docs). Unknown
# recipes pass: new ones appear without notice, and CreateSolution checks the ARN itself.
_RETIRED_RECIPES = frozenset({"aws-hrnn", "aws-hrnn-metadata", "aws-hrnn-coldstart"})
_BATCH_SEGMENT_ONLY_RECIPES = frozenset({"aws-item-affinity", "aws-item-attribute-affinity"})
_ITEMS_REQUIRED_RECIPES = frozenset({"aws-semantic-similarity", "aws-item-attribute-affinity"})
_ACTIONS_REQUIRED_RECIPES = frozenset({"aws-next-best-action"})
_UPDATE_TRAINING_RECIPES = frozenset({"aws-user-personalization", "aws-hrnn-coldstart"})
_INCREMENTAL_UPDATE_RECIPES = frozenset({"aws-semantic-similarity"})
_RATE = re.compile(r"rate\((\d+) days?\)")
_DOMAIN_USE_CASE_PREFIXES = ("aws-ecomm-", "aws-vod-")
#: A domain use case's recipe prefix -> the dataset group domain it needs.
_DOMAIN_OF_PREFIX: Mapping[str, str] = {"aws-ecomm-": "ECOMMERCE", "aws-vod-": "VIDEO_ON_DEMAND"}
#: Recipes without batch inference (personalize-facts.md section 7: Trending-Now has no batch).
_NO_BATCH_INFERENCE_RECIPES = frozenset({"aws-trending-now"})
_FILTER_ARN = re.compile(r"(?P<prefix>arn:[^:]*:personalize:[^:]*:[^:]*):filter/(?P<name>.*)")
#: What ``performAutoML: true`` trains instead: the current recipe AWS recommends for user personalization.
AUTOML_REPLACEMENT_RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization-v2"
#: Without a stack (callers other than Load Parameters): only the service's own limits apply.
_NO_CAPS = CostCaps(
    max_min_provisioned_tps=2**31 - 1,
    max_hpo_training_jobs=HPO_MAXIMA["maxNumberOfTrainingJobs"],
    max_hpo_parallel_training_jobs=HPO_MAXIMA["maxParallelTrainingJobs"],
)
_ENCRYPTION_UNSUPPORTED = (
    "encrypted dataset groups are not supported by this pipeline yet: Personalize would need the role to use the "
    "KMS key and the pipeline neither grants nor tests that, so the run would fail after creating resources; "
    "remove kmsKeyArn and roleArn"
)


def build_plan(
    params: dict[str, Any] | str | bytes,
    *,
    bucket: str,
    key: str,
    version_id: str | None,
    data: DataListing,
    stack: StackContext | None = None,
) -> dict[str, Any]:
    """Validate params.json and the bucket's data; return the normalised plan.

    ``params`` is the parsed document or the raw object body. ``stack`` (Load Parameters always passes
    it) adds the stack's rules: its cost caps, the recipe list, and the stack tag on every resource.
    Raises :class:`InvalidParameters` with every problem found. Pure: no AWS call, so a bad upload can
    never create anything.
    """
    validation = _Validation(bucket=bucket, key=key, data=data, stack=stack)
    document = validation.parse(params)
    if document is not None:
        validation.check(document)
    if validation.problems or document is None:
        raise InvalidParameters(validation.problems, dataset_group=_valid_group_name(document))
    return validation.plan(document, version_id)


def _valid_group_name(document: dict[str, Any] | None) -> str | None:
    """datasetGroup.name when the service would accept it, so a failure e-mail can name the group."""
    group = document.get("datasetGroup") if isinstance(document, dict) else None
    name = group.get("name") if isinstance(group, dict) else None
    if isinstance(name, str) and not check_request(DATASET_GROUP, {"name": name}, "datasetGroup"):
        return name
    return None


#: params.json nests about 7 levels (solution.solutionConfig.hpoConfig...); anything far deeper is not a
#: parameters file, and the recursive checks after parsing must never meet a RecursionError.
MAX_DEPTH = 32


def _too_deep(value: Any) -> str | None:
    """The path of the first value nested deeper than MAX_DEPTH, found without recursion; None if none."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return path
        if isinstance(item, dict):
            stack.extend((child, join_path(path, str(key)), depth + 1) for key, child in item.items())
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
    return None


class _DuplicateKeys(dict):
    """A JSON object that remembers the keys it saw twice (``json`` silently keeps the last)."""

    duplicates: list[str]


def _object_pairs(pairs: list[tuple[str, Any]]) -> _DuplicateKeys:
    result = _DuplicateKeys()
    result.duplicates = []
    for key, value in pairs:
        if key in result and key not in result.duplicates:
            result.duplicates.append(key)
        result[key] = value
    return result


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _duplicate_problems(value: Any, path: str) -> list[str]:
    problems: list[str] = []
    if isinstance(value, dict):
        for key in getattr(value, "duplicates", []):
            problems.append(f"{join_path(path, key)}: duplicate key; JSON keeps only the last one, remove the others")
        for key, item in value.items():
            problems.extend(_duplicate_problems(item, join_path(path, key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            problems.extend(_duplicate_problems(item, f"{path}[{i}]"))
    return problems


@dataclass
class _SolutionEntry:
    """One solution as written in any spelling, with the JSON path of each of its parts."""

    path: str
    section: Any
    #: SOLUTION for the seed spelling, SOLUTION_ENTRY (nested keys allowed) for the list and map spellings.
    spec: RequestSpec
    version_path: str
    version: Any = None
    campaigns: list[tuple[str, Any]] = field(default_factory=list)
    batchInferenceJobs: list[tuple[str, Any]] = field(default_factory=list)  # noqa: N815 (the params key)
    batchSegmentJobs: list[tuple[str, Any]] = field(default_factory=list)  # noqa: N815 (the params key)

    def recipe(self) -> str | None:
        """The recipe name the solution trains (AutoML's replacement when performAutoML is true), if known."""
        if not isinstance(self.section, dict):
            return None
        if self.section.get("performAutoML") is True:
            return AUTOML_REPLACEMENT_RECIPE.rsplit("/", 1)[-1]
        return recipe_name(self.section.get("recipeArn"))


def _other_format_problem(document: dict[str, Any]) -> str | None:
    """One line naming the format when params.json is the AWS Solution's config (serviceConfig sections)."""
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if _OTHER_FORMAT_KEYS & set(value):
                return (
                    'this is the configuration format of the AWS Solution "Maintaining Personalized Experiences with '
                    'Machine Learning" (serviceConfig/workflowConfig sections), which this pipeline does not read; '
                    'write it in one of the params.json spellings documented in README.md, section "params.json"'
                )
            if depth < 4:
                stack.extend((child, depth + 1) for child in value.values())
        elif isinstance(value, list) and depth < 4:
            stack.extend((child, depth + 1) for child in value)
    return None


class _Validation:
    def __init__(self, *, bucket: str, key: str, data: DataListing, stack: StackContext | None = None) -> None:
        self.stack = stack
        #: Tags the pipeline adds to each resource (the stack tag), counted against the service's 50.
        self.own_tags = 1 if stack else 0
        self.bucket = bucket
        self.key = key
        self.data = data
        self.source = f"s3://{bucket}/{key}"
        self.problems: list[str] = []
        #: canonical dataset type -> (key as written, section)
        self.datasets: dict[str, tuple[str, Any]] = {}
        #: False when ``datasets`` is missing or not an object: no folder is then "undeclared".
        self.datasets_declared = False
        #: Types an unknown dataset key probably meant ("Userz"): their folders are not "undeclared" either.
        self.suggested_types: set[str] = set()
        #: datasetGroup.domain when it is a valid domain: its schemas must carry the domain's fields.
        self.domain: str | None = None
        #: Top-level tags, given to every created resource whose section sets none.
        self.tags: list[Any] | None = None
        #: Each deployable section with its JSON path as written (set by ``check``).
        self.solutions: list[_SolutionEntry] = []
        self.filters: list[tuple[str, Any]] = []
        self.recommenders: list[tuple[str, Any]] = []

    # -- parsing ------------------------------------------------------------------------------------

    def parse(self, params: dict[str, Any] | str | bytes) -> dict[str, Any] | None:
        if isinstance(params, dict):
            deep = _too_deep(params)
            if deep is not None:
                self.problems.append(self._too_deep_problem(deep))
                return None
            document: Any = json.loads(json.dumps(params), object_pairs_hook=_object_pairs)
        else:
            if isinstance(params, bytes | bytearray):
                try:
                    text = bytes(params).decode("utf-8-sig")
                except UnicodeDecodeError as error:
                    self.problems.append(
                        f"{self.source}: not UTF-8 text (invalid byte at offset {error.start}); save it as UTF-8"
                    )
                    return None
            else:
                text = params.removeprefix("\ufeff")
            if not text.strip():
                self.problems.append(f"{self.source}: the file is empty; expected a JSON object")
                return None
            try:
                document = json.loads(text, object_pairs_hook=_object_pairs, parse_constant=_reject_constant)
            except json.JSONDecodeError as error:
                self.problems.append(
                    f"{self.source} line {error.lineno} column {error.colno}: invalid JSON: {error.msg}"
                )
                return None
            except RecursionError:  # the parser's own limit (about 1000 levels), far beyond MAX_DEPTH
                self.problems.append(self._too_deep_problem(None))
                return None
            except ValueError as error:
                self.problems.append(f"{self.source}: invalid JSON: {error}")
                return None
            deep = _too_deep(document)
            if deep is not None:
                self.problems.append(self._too_deep_problem(deep))
                return None
        if not isinstance(document, dict):
            self.problems.append(
                f"{self.source}: expected a JSON object {{...}} at the top level, got {show(document)}"
            )
            return None
        self.problems.extend(_duplicate_problems(document, ""))
        return document

    def _too_deep_problem(self, path: str | None) -> str:
        where = f" (at {path[:200] or 'the top level'})" if path is not None else ""
        return (
            f"{self.source}: JSON nested more than {MAX_DEPTH} levels deep{where}; a parameters file needs "
            "fewer than 10"
        )

    # -- checks ---------------------------------------------------------------------------------------

    def check(self, document: dict[str, Any]) -> None:
        other = _other_format_problem(document)
        if other is not None:
            # One line instead of dozens of cascaded "unknown key" lines: the whole file is another format.
            self.problems.append(f"{self.source}: {other}")
            return
        unknown = [key for key in document if key not in TOP_LEVEL_KEYS]
        for key in unknown:
            if key in NOT_MANAGED:
                self.problems.append(
                    f"{key}: {NOT_MANAGED[key]} are not managed by this pipeline; remove the section (the pipeline "
                    "would not create them)"
                )
            else:
                self.problems.append(unknown_key_problem("", key, TOP_LEVEL_KEYS))
        meant = {closest(key, TOP_LEVEL_KEYS) for key in unknown if key not in NOT_MANAGED}
        for section in REQUIRED_SECTIONS:
            # "Datasets" for "datasets" is one mistake: its unknown-key problem already says so.
            if section not in document and section not in meant:
                self.problems.append(f"{section}: required section is missing")
        deployable = {"solution", "solutions", "recommenders"}
        if any(key in document for key in SEED_KEYS) and "solution" not in document and "solution" not in meant:
            # solutionVersion and campaign belong to the one solution of the seed spelling
            self.problems.append("solution: required section is missing")
        elif not deployable & (set(document) | meant):
            self.problems.append(
                "solutions: required section is missing: declare at least one solution, or recommenders in a "
                "domain dataset group"
            )

        if "tags" in document:
            self._check_tags(document["tags"])
        if "datasetGroup" in document:
            self._check_dataset_group(document["datasetGroup"])
        if "datasets" in document:
            self._check_datasets(document["datasets"])
        self.solutions = self._collect_solutions(document)
        for entry in self.solutions:
            self._check_solution_entry(entry)
        self.filters = self._sections(document, "filters", "CreateFilter requests")
        for path, section in self.filters:
            self.problems.extend(check_request(FILTER, section, path))
            expression = section.get("filterExpression") if isinstance(section, dict) else None
            # (a length outside 1-2500 is the shape check's problem: one problem per mistake)
            if isinstance(expression, str) and 0 < len(expression) <= filter_expressions.MAX_LENGTH:
                self.problems.extend(self._filter_expression_problems(expression, path))
        if "eventTracker" in document:
            self.problems.extend(check_request(EVENT_TRACKER, document["eventTracker"], "eventTracker"))
        self.recommenders = self._sections(document, "recommenders", "CreateRecommender requests")
        for path, section in self.recommenders:
            self.problems.extend(check_request(RECOMMENDER, section, path))
        if "schedules" in document:
            self._check_schedules(document["schedules"])
        self._check_offline_rules(document)
        self._check_cross_section(document)
        self._check_data()

    def _check_schedules(self, section: Any) -> None:
        """EventBridge Scheduler schedules of the dataset group and of its solutions (schedules module)."""
        recipes = {
            entry.section["name"]: entry.recipe()
            for entry in self.solutions
            if isinstance(entry.section, dict) and isinstance(entry.section.get("name"), str)
        }
        self.problems.extend(schedules.section_problems(section, recipes))

    def _check_tags(self, tags: Any) -> None:
        """Top-level tags: the tags of every created resource whose section sets none (shape of any Create)."""
        self.problems.extend(check_member(DATASET_GROUP, "tags", tags, "tags"))
        if isinstance(tags, list):
            self.tags = tags
            # Import jobs carry the pipeline's size tag as well: the top-level tags must fit beside both.
            self.problems.extend(tag_problems(tags, "tags", self.own_tags + 1))

    def _sections(self, document: dict[str, Any], key: str, what: str) -> list[tuple[str, Any]]:
        """(path, section) of each item of a top-level list section; a problem if it is not a list."""
        return self._list_items(document[key], key, what) if key in document else []

    def _list_items(self, value: Any, path: str, what: str) -> list[tuple[str, Any]]:
        if not isinstance(value, list):
            self.problems.append(f"{path}: expected a list of {what}, got {show(value)}")
            return []
        return [(index_path(path, i), item) for i, item in enumerate(value)]

    # -- the three spellings of solutions, one model ----------------------------------------------------

    def _collect_solutions(self, document: dict[str, Any]) -> list[_SolutionEntry]:
        """Every solution with its version options, campaigns and batch jobs, each with its path as written."""
        seed = [key for key in SEED_KEYS if key in document]
        if "solutions" in document and seed:
            self.problems.append(
                f"solutions: mixes two spellings with {', '.join(seed)}; use either solution/solutionVersion/campaign "
                "(one solution) or solutions (several), not both"
            )
            return []
        if "campaigns" in document and seed:
            self.problems.append(
                "campaigns: mixes two spellings with solution; the campaigns map goes with the solutions map "
                '(keyed "<label>Campaign"), the one solution of "solution" has its campaign in "campaign"'
            )
            return []
        if seed:
            if "solution" not in document:
                return []  # reported as a missing section
            campaigns = [("campaign", document["campaign"])] if "campaign" in document else []
            entry = _SolutionEntry("solution", document["solution"], SOLUTION, "solutionVersion", campaigns=campaigns)
            entry.version = document.get("solutionVersion")
            return [entry]
        solutions = document.get("solutions")
        if solutions is None:
            return []
        if isinstance(solutions, list):
            if "campaigns" in document:
                self.problems.append(
                    "campaigns: the top-level campaigns map goes with solutions written as a map (label -> "
                    "solution); with solutions as a list, put each campaign in its solution: solutions[i].campaigns"
                )
            return [self._entry(index_path("solutions", i), item, None) for i, item in enumerate(solutions)]
        if not isinstance(solutions, dict):
            self.problems.append(
                f"solutions: expected a list of solutions (or an object label -> solution), got {show(solutions)}"
            )
            return []
        entries = {label: self._entry(join_path("solutions", label), item, label) for label, item in solutions.items()}
        if "campaigns" in document:
            self._attach_campaigns(document["campaigns"], entries)
        return list(entries.values())

    def _entry(self, path: str, item: Any, label: str | None) -> _SolutionEntry:
        """One solution of the list spelling, or of the map spelling when ``label`` is its key."""
        entry = _SolutionEntry(path, item, SOLUTION_ENTRY, join_path(path, "solutionVersion"))
        if not isinstance(item, dict):
            return entry
        entry.version = item.get("solutionVersion")
        if "campaigns" in item:
            if label is None:
                entry.campaigns = self._list_items(
                    item["campaigns"], join_path(path, "campaigns"), "CreateCampaign requests"
                )
            else:
                self.problems.append(
                    f"{join_path(path, 'campaigns')}: with solutions written as a map, campaigns go in the top-level "
                    f'campaigns map, keyed "{label}Campaign"'
                )
        for member, what in (
            ("batchInferenceJobs", "CreateBatchInferenceJob"),
            ("batchSegmentJobs", "CreateBatchSegmentJob"),
        ):
            if member in item:
                jobs = self._list_items(item[member], join_path(path, member), f"{what} requests")
                setattr(entry, member, jobs)
        return entry

    def _attach_campaigns(self, campaigns: Any, entries: dict[str, _SolutionEntry]) -> None:
        """The legacy campaigns map: key ``<label>Campaign`` -> the campaign of solution ``<label>``."""
        if not isinstance(campaigns, dict):
            self.problems.append(
                f'campaigns: expected an object keyed "<label>Campaign" (one per solution label), got {show(campaigns)}'
            )
            return
        expected = [f"{label}Campaign" for label in entries]
        for key, campaign in campaigns.items():
            label = key.removesuffix("Campaign") if key.endswith("Campaign") else None
            path = join_path("campaigns", key)
            if label in entries:
                entries[label].campaigns.append((path, campaign))
                continue
            labels = ", ".join(entries) or "none"
            message = (
                f"{path}: matches no solution; a campaign's key is its solution's label under solutions followed by "
                f"Campaign (solution labels: {labels})"
            )
            self.problems.append(with_hint(message, did_you_mean(key, expected)))

    def _check_solution_entry(self, entry: _SolutionEntry) -> None:
        self.problems.extend(check_request(entry.spec, entry.section, entry.path))
        solution = entry.section if isinstance(entry.section, dict) else None
        if solution is not None:
            self._check_solution(solution, entry.path)
        if entry.version is not None:
            self.problems.extend(check_request(SOLUTION_VERSION, entry.version, entry.version_path))
            if isinstance(entry.version, dict) and solution is not None:
                self._check_training_mode(entry.version, solution, entry.version_path)
        for path, campaign in entry.campaigns:
            self.problems.extend(check_request(CAMPAIGN, campaign, path))
        for path, job in entry.batchInferenceJobs:
            self._check_batch_job(BATCH_INFERENCE_JOB, job, path)
        for path, job in entry.batchSegmentJobs:
            self._check_batch_job(BATCH_SEGMENT_JOB, job, path)

    def _check_batch_job(self, spec: RequestSpec, job: Any, path: str) -> None:
        if not isinstance(job, dict):
            self.problems.extend(check_request(spec, job, path))
            return
        source = job.get("jobInput", {}).get("s3DataSource") if isinstance(job.get("jobInput"), dict) else None
        if isinstance(source, dict) and isinstance(source.get("path"), str):
            input_path = join_path(join_path(join_path(path, "jobInput"), "s3DataSource"), "path")
            uri = self._batch_input_uri(source["path"])
            if uri is None:
                self.problems.append(
                    f"{input_path}: {show(source['path'])} is not in the input bucket's {BATCH_INPUT_PREFIX} folder; "
                    f"upload the input to s3://{self.bucket}/{BATCH_INPUT_PREFIX} and write "
                    f'"{BATCH_INPUT_PREFIX}<file>" or its s3:// URI (the Personalize role reads batch input only there)'
                )
            # Checked with a valid URI in its place: one problem per mistake.
            source = {**source, "path": uri or f"s3://{self.bucket}/{BATCH_INPUT_PREFIX}input.json"}
            job = {**job, "jobInput": {**job["jobInput"], "s3DataSource": source}}
        self.problems.extend(check_request(spec, job, path))
        if isinstance(source, dict) and "kmsKeyArn" in source:
            self.problems.append(
                f"{path}.jobInput.s3DataSource.kmsKeyArn: encrypted batch input is not supported by this pipeline "
                "yet: Personalize would need the role to use the KMS key and the pipeline neither grants nor tests "
                "that; remove it"
            )
        name = job.get("jobName")
        if isinstance(name, str) and len(name) > BATCH_JOB_BASE_MAX_LENGTH and len(name) <= NAME_MAX_LENGTH:
            self.problems.append(
                f"{path}.jobName: {len(name)} characters; at most {BATCH_JOB_BASE_MAX_LENGTH} here, because the "
                "pipeline appends -<8 hex> (new for each version and input, so a retrained version gets a new job)"
            )

    def _batch_input_uri(self, value: str) -> str | None:
        """``s3://<input bucket>/batch-input/...`` for a path in the input bucket's batch-input/ folder, else None."""
        if value.startswith("s3://"):
            bucket, _, key = value[len("s3://") :].partition("/")
        elif "://" in value:
            return None
        else:
            bucket, key = self.bucket, value
        if bucket != self.bucket or not key.startswith(BATCH_INPUT_PREFIX) or key == BATCH_INPUT_PREFIX:
            return None
        return f"s3://{self.bucket}/{key}"

    def _filter_expression_problems(self, expression: str, path: str) -> list[str]:
        """The expression against the documented grammar and the declared datasets' fields (filter_expressions,
        the module the emulator's CreateFilter uses too)."""
        fields: dict[str, dict[str, str | None]] = {}
        for dataset_type, (_, section) in self.datasets.items():
            schema = section.get("schema") if isinstance(section, dict) else None
            textual = {
                f["name"]
                for f in (schema.get("fields") if isinstance(schema, dict) else None) or []
                if isinstance(f, dict) and f.get("textual") is True
            }
            fields[dataset_type] = {
                name: filter_expressions.TEXTUAL if name in textual else base
                for name, base in schema_fields(schema).items()
            }
        return filter_expressions.expression_problems(expression, join_path(path, "filterExpression"), fields)

    def _check_offline_rules(self, document: dict[str, Any]) -> None:
        """Rules the service applies only once resources exist, and the stack's cost caps (offline_rules)."""
        sections: dict[str, Any] = {"datasetGroup": document.get("datasetGroup")}
        for written, value in self.datasets.values():
            if isinstance(value, dict):
                path = join_path("datasets", written)
                sections[path] = value
                if isinstance(value.get("datasetImportJob"), dict):
                    sections[join_path(path, "datasetImportJob")] = value["datasetImportJob"]
        for entry in self.solutions:
            sections[entry.path] = entry.section
            sections[entry.version_path] = entry.version
            sections.update(entry.campaigns)
            sections.update(entry.batchInferenceJobs)
            sections.update(entry.batchSegmentJobs)
        sections.update(self.filters)
        sections["eventTracker"] = document.get("eventTracker")
        sections.update(self.recommenders)
        for path, section in sections.items():
            if isinstance(section, dict) and "tags" in section:
                # Import jobs also carry the size tag the import step reads back (ensure.SIZE_TAG).
                extra = 1 if path.endswith("datasetImportJob") else 0
                self.problems.extend(tag_problems(section["tags"], join_path(path, "tags"), self.own_tags + extra))
        caps = self.stack.caps if self.stack else _NO_CAPS
        for entry in self.solutions:
            solution = entry.section
            if isinstance(solution, dict):
                if self.stack:
                    recipe = solution.get("recipeArn")
                    name = recipe.rsplit("/", 1)[-1] if isinstance(recipe, str) else ""
                    explained = name in _RETIRED_RECIPES or name.startswith(_DOMAIN_USE_CASE_PREFIXES)
                    path = f"{entry.path}.recipeArn"
                    self.problems.extend(recipe_problems(recipe, self.stack, explained, path))
                self.problems.extend(solution_problems(solution, caps, entry.path))
            if isinstance(entry.version, dict):
                self.problems.extend(solution_version_problems(entry.version, entry.version_path))
            for path, campaign in entry.campaigns:
                if isinstance(campaign, dict):
                    self.problems.extend(campaign_problems(campaign, caps, path))
        for path, recommender in self.recommenders:
            if isinstance(recommender, dict):
                if self.stack:
                    recipe = recommender.get("recipeArn")
                    name = recipe.rsplit("/", 1)[-1] if isinstance(recipe, str) else ""
                    explained = not name.startswith(_DOMAIN_USE_CASE_PREFIXES)
                    self.problems.extend(recipe_problems(recipe, self.stack, explained, f"{path}.recipeArn"))
                self.problems.extend(recommender_problems(recommender, caps, path))

    # -- rules across sections -------------------------------------------------------------------------

    def _check_cross_section(self, document: dict[str, Any]) -> None:
        solutions = document.get("solutions")
        if isinstance(solutions, list | dict) and not solutions and not self.recommenders:
            self.problems.append(
                "solutions: empty; declare at least one solution, or recommenders in a domain dataset group"
            )
        self._check_unique("solution", [(e.path, e.section) for e in self.solutions])
        self._check_unique("campaign", [c for e in self.solutions for c in e.campaigns])
        self._check_unique("filter", self.filters)
        self._check_unique("recommender", self.recommenders)
        for kind, member in (("batch inference job", "batchInferenceJobs"), ("batch segment job", "batchSegmentJobs")):
            jobs = [job for e in self.solutions for job in getattr(e, member)]
            self._check_unique(kind, jobs, key="jobName")
        for entry in self.solutions:
            self._check_deployments(entry)
        if len(self.filters) > MAX_FILTERS:
            self.problems.append(f"filters: {len(self.filters)} filters; a dataset group holds at most {MAX_FILTERS}")
        self._check_filter_fields()
        self._check_recommenders(document.get("datasetGroup"))

    def _check_filter_fields(self) -> None:
        """The distinct dataset fields all filters of the group read, within the service's quota."""
        used: set[tuple[str, str]] = set()
        for _, section in self.filters:
            expression = section.get("filterExpression") if isinstance(section, dict) else None
            try:
                used |= set(filter_expressions.parse(expression).fields) if isinstance(expression, str) else set()
            except filter_expressions.FilterSyntaxError:
                continue  # reported with the filter's own path
        if len(used) > filter_expressions.MAX_FIELDS_PER_GROUP:
            names = ", ".join(sorted(f"{dataset}.{name}" for dataset, name in used))
            self.problems.append(
                f"filters: together they read {len(used)} distinct fields ({names}); the filters of a dataset group "
                f"may read at most {filter_expressions.MAX_FIELDS_PER_GROUP}"
            )

    def _check_unique(self, kind: str, sections: list[tuple[str, Any]], key: str = "name") -> None:
        """Personalize names are unique per account and region for each kind: two sections cannot share one."""
        first: dict[str, str] = {}
        for path, section in sections:
            name = section.get(key) if isinstance(section, dict) else None
            if not isinstance(name, str):
                continue
            if name in first:
                self.problems.append(
                    f"{path}.{key}: {show(name)} is also the name of {first[name]}; each {kind} needs its own name"
                )
            first.setdefault(name, path)

    def _check_deployments(self, entry: _SolutionEntry) -> None:
        """What a solution's recipe can serve: campaigns, batch inference jobs or batch segment jobs."""
        recipe = entry.recipe()
        if recipe is None:
            return
        name = entry.section["name"] if isinstance(entry.section.get("name"), str) else entry.path
        if recipe in _BATCH_SEGMENT_ONLY_RECIPES:
            for path, _ in entry.campaigns:
                self.problems.append(
                    f"{path}: solution '{name}' uses recipe {recipe}, which only serves batch segment jobs; a "
                    "campaign cannot deploy it: remove the campaign (declare batchSegmentJobs instead)"
                )
            for path, _ in entry.batchInferenceJobs:
                self.problems.append(
                    f"{path}: solution '{name}' uses recipe {recipe}, which serves batch segment jobs, not batch "
                    "inference jobs: declare it under batchSegmentJobs"
                )
        else:
            for path, _ in entry.batchSegmentJobs:
                self.problems.append(
                    f"{path}: batch segment jobs need a solution on aws-item-affinity or aws-item-attribute-affinity; "
                    f"solution '{name}' uses {recipe}: use batchInferenceJobs"
                )
        if recipe in _NO_BATCH_INFERENCE_RECIPES:
            for path, _ in entry.batchInferenceJobs:
                self.problems.append(
                    f"{path}: solution '{name}' uses recipe {recipe}, which does not support batch inference jobs"
                )
        filters = {f["name"] for _, f in self.filters if isinstance(f, dict) and isinstance(f.get("name"), str)}
        for path, job in entry.batchInferenceJobs + entry.batchSegmentJobs:
            if isinstance(job, dict) and isinstance(job.get("filterArn"), str):
                problem = self._filter_arn_problem(job["filterArn"], f"{path}.filterArn", filters)
                if problem:
                    self.problems.append(problem)

    def _filter_arn_problem(self, arn: str, path: str, declared: set[str]) -> str | None:
        """A batch job may use only a filter this params.json declares (created in its dataset group by this run).

        The safer reading: any other filter ARN could belong to another dataset group, which the service
        refuses only after the solution was trained.
        """
        match = _FILTER_ARN.fullmatch(arn)
        prefix = self.stack.arn_prefix if self.stack else None
        wanted = f"{prefix or 'arn:aws:personalize:<region>:<account>'}:filter/<name>"
        names = ", ".join(sorted(declared)) or "none"
        if match is None or (prefix is not None and match["prefix"] != prefix):
            return (
                f"{path}: {show(arn)} is not a filter ARN of this stack's account and region; use {wanted} with the "
                f"name of a filter declared in filters (declared: {names})"
            )
        if match["name"] not in declared:
            return (
                f"{path}: filter {show(match['name'])} is not declared in filters (declared: {names}); a batch job may "
                "use only a filter this params.json creates in its dataset group"
            )
        return None

    def _check_recommenders(self, group: Any) -> None:
        if not self.recommenders:
            return
        if len(self.recommenders) > MAX_RECOMMENDERS:
            self.problems.append(
                f"recommenders: {len(self.recommenders)} recommenders; a dataset group holds at most {MAX_RECOMMENDERS}"
            )
        if not isinstance(group, dict) or "domain" not in group:
            self.problems.append(
                "recommenders: recommenders need a domain dataset group; set datasetGroup.domain to ECOMMERCE or "
                "VIDEO_ON_DEMAND (a new dataset group: the domain of an existing one cannot change)"
            )
            return
        for path, recommender in self.recommenders:
            recipe = recipe_name(recommender.get("recipeArn") if isinstance(recommender, dict) else None)
            if recipe is None:
                continue
            domain = next((d for prefix, d in _DOMAIN_OF_PREFIX.items() if recipe.startswith(prefix)), None)
            if domain is None:
                self.problems.append(
                    f"{path}.recipeArn: {recipe} is a custom recipe, which serves solutions, not recommenders: "
                    "declare it under solutions, or use a domain use case (aws-ecomm-... or aws-vod-...)"
                )
            elif self.domain is not None and domain != self.domain:
                self.problems.append(
                    f"{path}.recipeArn: {recipe} is a {domain} use case, but datasetGroup.domain is {self.domain}; "
                    "use a use case of the dataset group's domain"
                )

    def _check_dataset_group(self, section: Any) -> None:
        self.problems.extend(check_request(DATASET_GROUP, section, "datasetGroup"))
        if not isinstance(section, dict):
            return
        if section.get("domain") in DOMAIN_RULES:
            self.domain = section["domain"]
        for member in ("kmsKeyArn", "roleArn"):
            if member in section:
                self.problems.append(f"datasetGroup.{member}: {_ENCRYPTION_UNSUPPORTED}")

    def _check_datasets(self, section: Any) -> None:
        if not isinstance(section, dict):
            self.problems.append(f"datasets: expected an object keyed by dataset type, got {show(section)}")
            return
        self.datasets_declared = True
        for written, value in section.items():
            path = join_path("datasets", written)
            lowered = written.lower()
            if lowered in DATASET_TYPES:
                canonical = DATASET_TYPES[lowered]
                if canonical in self.datasets:
                    first = join_path("datasets", self.datasets[canonical][0])
                    self.problems.append(f"{path}: duplicate of {first} (dataset types are matched regardless of case)")
                else:
                    self.datasets[canonical] = (written, value)
            elif lowered in UNSUPPORTED_DATASET_TYPES:
                self.problems.append(
                    f"{path}: {UNSUPPORTED_DATASET_TYPES[lowered]} datasets are not supported by this pipeline yet; "
                    "remove it (supported: Interactions, Users, Items)"
                )
            else:
                match = closest(written, DATASET_FOLDERS)
                if match:
                    self.suggested_types.add(match)
                self.problems.append(
                    with_hint(f"{path}: unknown dataset type", did_you_mean(written, DATASET_FOLDERS))
                    + " (dataset keys are the dataset types: Interactions, Users, Items)"
                )
        if "Interactions" not in self.datasets and "Interactions" not in self.suggested_types:
            self.problems.append(
                "datasets.Interactions: required but missing; every dataset group needs an Interactions dataset"
            )

        schema_names: dict[str, str] = {}
        for dataset_type, (written, value) in self.datasets.items():
            path = join_path("datasets", written)
            self.problems.extend(check_request(DATASET, value, path))
            if not isinstance(value, dict):
                continue
            if "schema" in value:
                self.problems.extend(check_schema(value["schema"], dataset_type, join_path(path, "schema")))
                if self.domain:
                    schema_path = join_path(path, "schema")
                    self.problems.extend(check_domain_schema(value["schema"], dataset_type, self.domain, schema_path))
            else:
                self.problems.append(f"{join_path(path, 'schema')}: required but missing (the dataset's Avro schema)")
            if "schemaName" in value:
                name_path = join_path(path, "schemaName")
                self.problems.extend(check_member(SCHEMA, "name", value["schemaName"], name_path))
                if isinstance(value["schemaName"], str):
                    if value["schemaName"] in schema_names:
                        self.problems.append(
                            f"{name_path}: {show(value['schemaName'])} is also the schema name of "
                            f"{schema_names[value['schemaName']]}; each dataset needs its own schema"
                        )
                    schema_names.setdefault(value["schemaName"], path)
            if "datasetImportJob" in value:
                job_path = join_path(path, "datasetImportJob")
                self.problems.extend(check_request(DATASET_IMPORT_JOB, value["datasetImportJob"], job_path))

    def _fields(self, dataset_type: str) -> dict[str, str | None] | None:
        """Field name -> base type of a declared dataset's schema, or None if it is not declared."""
        if dataset_type not in self.datasets:
            return None
        section = self.datasets[dataset_type][1]
        return schema_fields(section.get("schema")) if isinstance(section, dict) else {}

    def _check_solution(self, solution: dict[str, Any], path: str) -> None:
        auto_ml = solution.get("performAutoML") is True
        recipe_arn = solution.get("recipeArn")
        recipe = recipe_name(recipe_arn)
        if auto_ml and recipe_arn is not None:
            self.problems.append(f"{path}.recipeArn: omit it when performAutoML is true (AutoML chooses the recipe)")
        if not auto_ml and recipe_arn is None:
            self.problems.append(
                f"{path}.recipeArn: required unless performAutoML is true, e.g. "
                '"arn:aws:personalize:::recipe/aws-user-personalization-v2"'
            )
        if recipe is not None and recipe.startswith(_DOMAIN_USE_CASE_PREFIXES):
            self.problems.append(
                f"{path}.recipeArn: {recipe} is a domain use case, which serves recommenders (CreateRecommender), "
                "not solutions: declare it under recommenders (in a domain dataset group), or choose a custom "
                "recipe such as aws-user-personalization-v2"
            )
        if recipe in _RETIRED_RECIPES:
            self.problems.append(
                f"{path}.recipeArn: recipe {recipe} is no longer available; use aws-user-personalization-v2"
            )
        if recipe in _ACTIONS_REQUIRED_RECIPES:
            self.problems.append(
                f"{path}.recipeArn: recipe {recipe} needs an Actions dataset, which this pipeline does not support yet"
            )
        if recipe in _ITEMS_REQUIRED_RECIPES and "Items" not in self.datasets:
            self.problems.append(f"{path}.recipeArn: recipe {recipe} needs an Items dataset; declare datasets.Items")
        wrong_recipe = auto_ml or (recipe is not None and recipe not in _INCREMENTAL_UPDATE_RECIPES)
        if solution.get("performIncrementalUpdate") is True and wrong_recipe:
            self.problems.append(
                f"{path}.performIncrementalUpdate: only supported with the aws-semantic-similarity recipe"
            )

        interactions = self._fields("Interactions") or {}
        if isinstance(solution.get("eventType"), str) and "EVENT_TYPE" not in interactions:
            self.problems.append(
                f"{path}.eventType: trains on one event type, but the Interactions schema has no EVENT_TYPE field"
            )

        config = solution.get("solutionConfig")
        if not isinstance(config, dict):
            return
        if "eventValueThreshold" in config and "EVENT_VALUE" not in interactions:
            self.problems.append(
                f"{path}.solutionConfig.eventValueThreshold: needs an EVENT_VALUE field in the Interactions schema"
            )
        events = config.get("eventsConfig")
        if isinstance(events, dict) and events.get("eventParametersList") and "EVENT_TYPE" not in interactions:
            self.problems.append(
                f"{path}.solutionConfig.eventsConfig: weighs event types, but the Interactions schema has no "
                "EVENT_TYPE field"
            )
        hpo = config.get("hpoConfig")
        if isinstance(hpo, dict) and "hpoObjective" in hpo:
            self.problems.append(
                f"{path}.solutionConfig.hpoConfig.hpoObjective: Personalize does not support configuring the HPO "
                "objective; remove it"
            )
        auto_training = config.get("autoTrainingConfig")
        if auto_training is not None and solution.get("performAutoTraining") is not True:
            self.problems.append(
                f"{path}.solutionConfig.autoTrainingConfig: only used with automatic training, which the "
                'pipeline turns off unless asked; set "performAutoTraining": true or remove it'
            )
        if isinstance(auto_training, dict) and isinstance(auto_training.get("schedulingExpression"), str):
            rate = _RATE.fullmatch(auto_training["schedulingExpression"])
            if rate and not 1 <= int(rate[1]) <= 30:
                self.problems.append(
                    f"{path}.solutionConfig.autoTrainingConfig.schedulingExpression: "
                    f"{show(auto_training['schedulingExpression'])} is out of range; use 1 to 30 days"
                )
        self._check_training_columns(config.get("trainingDataConfig"), path)
        self._check_objective(config.get("optimizationObjective"), path)

    def _check_training_columns(self, training: Any, path: str) -> None:
        if not isinstance(training, dict):
            return
        for member in ("excludedDatasetColumns", "includedDatasetColumns"):
            columns_by_type = training.get(member)
            if not isinstance(columns_by_type, dict):
                continue
            base = f"{path}.solutionConfig.trainingDataConfig.{member}"
            for written, columns in columns_by_type.items():
                dataset_type = DATASET_TYPES.get(written.lower()) if isinstance(written, str) else None
                fields = self._fields(dataset_type) if dataset_type else None
                if fields is None:
                    declared = ", ".join(self.datasets) or "none"
                    self.problems.append(
                        f"{join_path(base, written)}: no such dataset in params.json (declared: {declared})"
                    )
                    continue
                if not isinstance(columns, list) or not fields:
                    continue
                for i, column in enumerate(columns):
                    if isinstance(column, str) and column not in fields:
                        message = f"{join_path(base, written)}[{i}]: {column} is not a field of the {dataset_type}"
                        self.problems.append(with_hint(f"{message} schema", did_you_mean(column, fields)))

    def _check_objective(self, objective: Any, solution_path: str) -> None:
        if not isinstance(objective, dict) or not isinstance(objective.get("itemAttribute"), str):
            return
        path = f"{solution_path}.solutionConfig.optimizationObjective.itemAttribute"
        attribute = objective["itemAttribute"]
        items = self._fields("Items")
        if items is None:
            self.problems.append(f"{path}: names a numeric column of the Items dataset; declare datasets.Items")
        elif items and attribute not in items:
            self.problems.append(
                with_hint(f"{path}: {attribute} is not a field of the Items schema", did_you_mean(attribute, items))
            )
        elif items and items[attribute] not in NUMERIC_TYPES:
            self.problems.append(f'{path}: {attribute} must be a numeric field, but it is "{items[attribute]}"')

    def _check_training_mode(self, version: dict[str, Any], solution: dict[str, Any], version_path: str) -> None:
        if version.get("trainingMode") != "UPDATE":
            return
        recipe = recipe_name(solution.get("recipeArn"))
        if solution.get("performAutoML") is True or (recipe and recipe not in _UPDATE_TRAINING_RECIPES):
            self.problems.append(
                f"{version_path}.trainingMode: UPDATE only works with the aws-user-personalization recipe; "
                "use FULL (the default)"
            )

    # -- data -------------------------------------------------------------------------------------------

    def _check_data(self) -> None:
        for folder in DATASET_FOLDERS:
            objects = self.data.csv_objects(folder)
            uri = f"s3://{self.bucket}/{folder}/"
            if folder not in self.datasets:
                # A missing Interactions declaration is already reported as required: one mistake, one problem.
                reported = folder in self.suggested_types or folder == "Interactions"
                if objects and self.datasets_declared and not reported:
                    count = f"{len(objects)} CSV file{'s' if len(objects) != 1 else ''}"
                    self.problems.append(
                        f"{uri}: holds {count} but params.json declares no {folder} dataset; add datasets.{folder} "
                        "or delete the files (they would be silently ignored)"
                    )
                continue
            written, section = self.datasets[folder]
            direct = _direct_objects(folder, objects)
            if not direct:
                message = (
                    f"{uri}: no CSV file for the dataset declared at {join_path('datasets', written)}; "
                    f"upload its data as .csv files directly in {folder}/"
                )
                variants = [f for f in self.data.top_level_folders if f.lower() == folder.lower() and f != folder]
                if variants:
                    message += f" (found {variants[0]}/: S3 keys are case-sensitive, rename it to {folder}/)"
                self.problems.append(message)
            for obj in objects:
                if obj not in direct:
                    self.problems.append(
                        f"s3://{self.bucket}/{obj.key}: Personalize imports only the files directly in {uri}, "
                        "not in sub-folders; move it up"
                    )
            fields = list(schema_fields(section.get("schema"))) if isinstance(section, dict) else []
            for obj in direct:
                problem = self._header_problem(obj, fields)
                if problem:
                    self.problems.append(problem)
        for key in self.data.root_csv_keys:
            self.problems.append(
                f"s3://{self.bucket}/{key}: CSV files at the bucket root are never imported; move it into "
                "Interactions/, Users/ or Items/"
            )

    def _header_problem(self, obj: CsvObject, fields: list[str]) -> str | None:
        location = f"s3://{self.bucket}/{obj.key} line 1"
        if obj.header_error:
            return f"{location}: {obj.header_error}"
        if not fields:
            return None  # the schema is broken; its own problems say how
        expected = ", ".join(fields)
        if obj.header is None:
            return f"s3://{self.bucket}/{obj.key}: the file is empty; it needs a header line ({expected}) and data"
        if not obj.header.strip():
            return f"{location}: the header line is empty; expected the column names {expected}"
        columns = parse_header(obj.header)
        if len(columns) == 1 and len(fields) > 1 and any(sep in columns[0] for sep in ";\t|"):
            return f"{location}: columns must be separated by commas, got {show(columns[0])}"
        parts: list[str] = []
        quoted = [c for c in columns if len(c) >= 2 and c[0] == c[-1] == '"']
        if quoted:
            parts.append(f"column names must not be quoted: {', '.join(quoted)}")
        columns = [c[1:-1] if c in quoted else c for c in columns]
        empty = [str(i + 1) for i, c in enumerate(columns) if not c]
        if empty:
            parts.append(_plural("empty column name at position", empty))
        counts = {c: columns.count(c) for c in columns if c}
        duplicates = [c for c, n in counts.items() if n > 1]
        if duplicates:
            parts.append(_plural("duplicate column", duplicates))
        missing = [f for f in fields if f not in counts]
        unknown = [c for c in counts if c not in fields]
        if missing:
            parts.append(_plural("missing column", missing))
        if unknown:
            parts.append(_plural("unknown column", unknown))
        return f"{location}: {'; '.join(parts)}" if parts else None

    # -- plan -------------------------------------------------------------------------------------------

    def plan(self, document: dict[str, Any], version_id: str | None) -> dict[str, Any]:
        document = json.loads(json.dumps(document))  # plain dicts, nothing shared with the input
        group = document["datasetGroup"]
        group_name = group["name"]
        sections = {folder: document["datasets"][written] for folder, (written, _) in self.datasets.items()}

        datasets = []
        for folder in DATASET_FOLDERS:
            if folder not in sections:
                continue
            section = sections[folder]
            schema_json = canonical_json(section["schema"])
            schema = {"name": section.get("schemaName") or schema_name(group_name, folder, schema_json)}
            schema["schema"] = schema_json
            if "domain" in group:
                schema["domain"] = group["domain"]
            dataset = {"name": section["name"], "datasetType": folder}
            dataset.update(self._tagged(user_members(DATASET, section, exclude=("name",))))
            objects = _direct_objects(folder, self.data.csv_objects(folder))
            fingerprint = folder_fingerprint(objects)
            job = {
                "jobName": import_job_name(group_name, folder, fingerprint),
                "dataSource": {"dataLocation": f"s3://{self.bucket}/{folder}/"},
            }
            job.update(self._tagged(user_members(DATASET_IMPORT_JOB, section.get("datasetImportJob") or {})))
            datasets.append(
                {
                    "datasetType": folder.upper(),
                    "folder": folder,
                    "schema": schema,
                    "dataset": dataset,
                    "datasetImportJob": job,
                    "fingerprint": fingerprint,
                    # Import time grows with it: the import step scales earlier durations by it.
                    "sizeBytes": sum(obj.size for obj in objects),
                }
            )

        solutions, solution_paths = [], []
        for entry in self.solutions:
            solutions.append(self._solution_plan(entry, datasets))
            solution_paths.append(
                {
                    "solution": entry.path,
                    "solutionVersion": entry.version_path,
                    "campaigns": [path for path, _ in entry.campaigns],
                    "batchInferenceJobs": [path for path, _ in entry.batchInferenceJobs],
                    "batchSegmentJobs": [path for path, _ in entry.batchSegmentJobs],
                }
            )
        tracker = document.get("eventTracker")
        return {
            "source": {"bucket": self.bucket, "key": self.key, "versionId": version_id},
            "datasetGroup": self._tagged(user_members(DATASET_GROUP, group)),
            "datasets": datasets,
            "eventTrackers": [] if tracker is None else [self._tagged(user_members(EVENT_TRACKER, tracker))],
            "filters": [self._tagged(user_members(FILTER, section)) for _, section in self.filters],
            "solutions": solutions,
            "recommenders": [self._tagged(user_members(RECOMMENDER, section)) for _, section in self.recommenders],
            "schedules": schedules.plan_entries(document.get("schedules"), group_name),
            # An upload run; Load Parameters narrows the plan of a scheduled run (schedules.for_scheduled_run).
            "run": {"trigger": "upload"},
            # Where each planned resource is written in params.json, in plan order, so that Load Parameters
            # names the user's path in problems found against existing resources. Not passed on by the ASL.
            "paths": {
                "eventTrackers": [] if tracker is None else ["eventTracker"],
                "filters": [path for path, _ in self.filters],
                "solutions": solution_paths,
                "recommenders": [path for path, _ in self.recommenders],
            },
        }

    def _solution_plan(self, entry: _SolutionEntry, datasets: list[dict[str, Any]]) -> dict[str, Any]:
        solution = self._tagged(user_members(SOLUTION, entry.section))
        notes = _replace_automl(solution)
        # The API defaults to weekly automatic training: a bill nobody asked for; the pipeline trains itself.
        solution.setdefault("performAutoTraining", False)
        version_options = self._tagged(user_members(SOLUTION_VERSION, entry.version or {}))
        version_name = solution_version_name(
            solution,
            [(d["schema"]["name"], d["fingerprint"]) for d in datasets],
            version_options.get("trainingMode"),
        )
        jobs = {}
        for member, spec, kind in (
            ("batchInferenceJobs", BATCH_INFERENCE_JOB, "batch"),
            ("batchSegmentJobs", BATCH_SEGMENT_JOB, "segment"),
        ):
            sections = [section for _, section in getattr(entry, member)]
            jobs[member] = [
                self._batch_job_plan(spec, section, batch_job_base_name(solution["name"], kind, i, len(sections)))
                for i, section in enumerate(sections)
            ]
        return {
            "solution": solution,
            "solutionVersion": {"name": version_name, **version_options},
            "campaigns": [self._tagged(user_members(CAMPAIGN, section)) for _, section in entry.campaigns],
            **jobs,
            "notes": notes,
        }

    def _batch_job_plan(self, spec: RequestSpec, section: dict[str, Any], default_name: str) -> dict[str, Any]:
        """The request the batch step sends (it adds the version, role and output): base jobName first."""
        job = {"jobName": section.get("jobName") or default_name, **user_members(spec, section, exclude=("jobName",))}
        source = job["jobInput"]["s3DataSource"]
        job["jobInput"] = {**job["jobInput"], "s3DataSource": {**source, "path": self._batch_input_uri(source["path"])}}
        return self._tagged(job)

    def _tagged(self, request: dict[str, Any]) -> dict[str, Any]:
        """The request with the top-level tags unless it sets its own, and the stack tag: IAM lets the pipeline
        create only what carries it."""
        if "tags" not in request and self.tags is not None:
            request = {**request, "tags": list(self.tags)}
        if self.stack is None:
            return request
        return {**request, "tags": with_stack_tag(request.get("tags"), self.stack)}


def _replace_automl(solution: dict[str, Any]) -> list[str]:
    """Drop the deprecated performAutoML from the request; if it was true, train the recommended recipe.

    AutoML searched the HRNN recipes, which are retired, and AWS recommends against it; CreateSolution still
    takes it. The seed example uses it, so it keeps working, on the recipe AWS recommends for the use case.
    Returns the notes the run reports (log and success e-mail).
    """
    if solution.pop("performAutoML", None) is not True:
        return []
    solution["recipeArn"] = AUTOML_REPLACEMENT_RECIPE
    config = solution.get("solutionConfig")
    if isinstance(config, dict) and config.pop("autoMLConfig", None) is not None and not config:
        del solution["solutionConfig"]
    return [
        f"solution '{solution['name']}': performAutoML is deprecated by Amazon Personalize (it searched recipes "
        "that are no longer available), so the pipeline did not send it and trains the current recommended "
        f"User-Personalization recipe instead: {AUTOML_REPLACEMENT_RECIPE}"
    ]


def existing_dataset_problems(plan: dict[str, Any], existing: Mapping[str, dict[str, Any]]) -> list[str]:
    """Problems of swapping the existing datasets of the plan's dataset group to the plan's schemas.

    ``existing`` maps a dataset folder (``Interactions``...) to ``{"schemaArn", "schema"}`` of the dataset
    that already exists in the group (read by Load Parameters). The Dataset step calls UpdateDataset when
    the schema differs; UpdateDataset only replaces the schema of Items and Users datasets, keeping every
    field with its type and attributes and new fields nullable. Anything else would fail after resources
    were created, so it is refused here, naming the fields and the way out.
    """
    group = plan["datasetGroup"]["name"]
    problems = []
    for dataset in plan["datasets"]:
        folder = dataset["folder"]
        current = existing.get(folder)
        if current is None or current["schemaArn"].rsplit("/", 1)[-1] == dataset["schema"]["name"]:
            continue
        old_name = current["schemaArn"].rsplit("/", 1)[-1]
        path = f"datasets.{folder}.schema"
        old, new = current["schema"], json.loads(dataset["schema"]["schema"])
        if folder == "Interactions":
            changes = field_changes(old, new)
            same = f'the fields are the same, only the schema name differs: set "schemaName": "{old_name}"'
            problems.append(
                f"{path}: dataset group '{group}' already has an Interactions dataset on schema {old_name}, and "
                f"Personalize cannot replace an Interactions dataset's schema (only Items and Users): "
                f"{'; '.join(changes) or same}. "
                "Keep the current schema, or use a new datasetGroup.name for a dataset group with the new one"
            )
        elif changes := replacement_problems(old, new):
            problems.append(
                f"{path}: dataset group '{group}' already has a {folder} dataset on schema {old_name}, and a "
                f"replacement schema must keep every current field with its type and attributes and add only "
                f"nullable fields: {'; '.join(changes)}. Keep the current fields (add a renamed or retyped field "
                "as a new nullable field beside the old one), or use a new datasetGroup.name"
            )
    return problems


def _direct_objects(folder: str, objects: list[CsvObject]) -> list[CsvObject]:
    """The CSVs an import of ``s3://bucket/<folder>/`` reads: those not in a sub-folder."""
    prefix = f"{folder}/"
    return [obj for obj in objects if obj.key.startswith(prefix) and "/" not in obj.key[len(prefix) :]]


def _plural(noun: str, names: list[str]) -> str:
    return f"{noun}{'s' if len(names) > 1 else ''} {', '.join(names)}"
