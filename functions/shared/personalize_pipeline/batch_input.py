"""Batch job input, checked before anything is created: the files exist, fit the limits, and every line is a
JSON object with the keys the solution's recipe reads.

Load Parameters lists the input of every planned batch job (:func:`list_inputs`), reports what is missing
or too large (:func:`input_problems`) and adds one Check Data Values item per byte range of each input file
(:func:`plan_input_checks`); :func:`line_problem` is what Check Data Values applies to each line. The keys
per recipe are the documented batch input formats (personalize-facts.md §9; the batch segment input page):
``{"userId"}`` for USER_PERSONALIZATION and POPULAR_ITEMS, ``{"itemId"}`` for RELATED_ITEMS,
``{"userId", "itemList"}`` for PERSONALIZED_RANKING, ``{"itemId"}`` for Item-Affinity and
``{"itemAttributes"}`` for Item-Attribute-Affinity. User-Personalization and Personalized-Ranking lines may
also carry ``context`` (contextual metadata).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .data_values import PROBLEMS_PER_PART, ranges
from .naming import recipe_name

#: Documented batch input limits per job.
MAX_INPUT_FILES = 1000
MAX_INPUT_BYTES = 1024**3
#: The ``folder`` value of a batch input item of the data checks (datasets use their folder name).
BATCH_FOLDER = "batch-input"

#: recipe name -> (required keys, optional keys); each key's JSON type is in ``_TYPES``.
INPUT_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "aws-user-personalization": (("userId",), ("context",)),
    "aws-user-personalization-v2": (("userId",), ("context",)),
    "aws-popularity-count": (("userId",), ()),
    "aws-personalized-ranking": (("userId", "itemList"), ("context",)),
    "aws-personalized-ranking-v2": (("userId", "itemList"), ("context",)),
    "aws-sims": (("itemId",), ()),
    "aws-similar-items": (("itemId",), ()),
    "aws-semantic-similarity": (("itemId",), ()),
    "aws-next-best-action": (("userId",), ()),
    "aws-item-affinity": (("itemId",), ()),
    "aws-item-attribute-affinity": (("itemAttributes",), ()),
}
_TYPES = {"userId": str, "itemId": str, "itemAttributes": str, "itemList": list, "context": dict}
_TYPE_NAMES = {str: "string", list: "array", dict: "object"}

#: The plan key of each batch job kind, and its label in problems.
JOB_LISTS = {"batchInferenceJobs": "batch inference job", "batchSegmentJobs": "batch segment job"}


def planned_jobs(plan: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(plan key, solution entry, job spec) of every batch job of the plan, in plan order."""
    return [
        (key, entry, job) for entry in plan.get("solutions", []) for key in JOB_LISTS for job in entry.get(key) or []
    ]


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> (bucket, key)."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def objects_under(s3: Any, path: str) -> list[dict[str, Any]]:
    """``{"key", "etag", "size"}`` of every object a job with input ``path`` reads, sorted by key.

    "Amazon S3 is prefix based": Personalize reads every key that starts with the path, so
    ``batch-input/users`` also reads ``batch-input/users_test/...`` and ``users.json`` also
    ``users.json.bak``; only a trailing ``/`` limits it to one folder.
    """
    bucket, key = split_s3_uri(path)
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
        for obj in page.get("Contents", []):
            if not obj["Key"].endswith("/"):
                found.append({"key": obj["Key"], "etag": obj["ETag"], "size": int(obj["Size"])})
    return sorted(found, key=lambda o: o["key"])


def list_inputs(s3: Any, plan: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """input path -> the objects the job will read (``objects_under``); the checks cover exactly that set."""
    listing: dict[str, list[dict[str, Any]]] = {}
    for _, _, job in planned_jobs(plan):
        path = job["jobInput"]["s3DataSource"]["path"]
        if path not in listing:
            listing[path] = objects_under(s3, path)
    return listing


def _where(key: str, entry: dict[str, Any], job: dict[str, Any]) -> str:
    return f"solution '{entry['solution']['name']}': {JOB_LISTS[key]} '{job['jobName']}'"


def input_problems(plan: dict[str, Any], listing: dict[str, list[dict[str, Any]]]) -> list[str]:
    """What makes a planned job unable to run, found from the listing alone: no input, too many files, too
    many bytes, an empty file. (Which recipe serves which kind of job is a params rule: params.py.)"""
    problems = []
    for key, entry, job in planned_jobs(plan):
        where = _where(key, entry, job)
        path = job["jobInput"]["s3DataSource"]["path"]
        objects = listing.get(path, [])
        if not objects:
            problems.append(f"{where}: no input at {path}; upload the JSON lines file(s) there first")
            continue
        if len(objects) > MAX_INPUT_FILES:
            problems.append(f"{where}: {len(objects)} input files at {path}; a batch job reads at most 1000")
        total = sum(o["size"] for o in objects)
        if total > MAX_INPUT_BYTES:
            problems.append(f"{where}: {total:,} bytes of input at {path}; a batch job reads at most 1 GB")
        bucket, _ = split_s3_uri(path)
        problems += [
            f"s3://{bucket}/{o['key']}: empty; a batch input file has one JSON object per line"
            for o in objects
            if o["size"] == 0
        ]
    return problems


def plan_input_checks(plan: dict[str, Any], listing: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Check Data Values items for every byte range of every batch input file (each file once per set of
    keys it must have)."""
    items, seen = [], set()
    for _, entry, job in planned_jobs(plan):
        recipe = recipe_name(entry["solution"].get("recipeArn"))
        if recipe not in INPUT_KEYS:
            continue  # a recipe without batch jobs: input_problems reports it
        required, optional = INPUT_KEYS[recipe]
        for obj in listing.get(job["jobInput"]["s3DataSource"]["path"], []):
            marker = (obj["key"], required, optional)
            if marker in seen or obj["size"] == 0:
                continue
            seen.add(marker)
            for start, end in ranges(obj["size"]):
                items.append(
                    {
                        "folder": BATCH_FOLDER,
                        "key": obj["key"],
                        "etag": obj["etag"],
                        "start": start,
                        "end": end,
                        "required": list(required),
                        "optional": list(optional),
                    }
                )
    return items


def line_problem(line: str, required: Iterable[str], optional: Iterable[str]) -> str | None:
    """Why one JSON line cannot be read by the job (None: it can)."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        return f"not valid JSON ({error.msg} at column {error.colno})"
    if not isinstance(value, dict):
        return "not a JSON object; each line is one object such as " + _example(required)
    required, optional = list(required), list(optional)
    missing = [key for key in required if key not in value]
    if missing:
        return f"missing {', '.join(missing)}; this recipe reads lines such as {_example(required)}"
    unknown = sorted(key for key in value if key not in required and key not in optional)
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        return f"unknown key{plural} {', '.join(unknown)}; expected {', '.join(required + optional)}"
    for key in required + optional:
        expected = _TYPES.get(key)
        if key in value and expected and not isinstance(value[key], expected):
            return f"{key} must be a JSON {_TYPE_NAMES[expected]}"
    if "itemList" in value and not all(isinstance(item, str) for item in value["itemList"]):
        return "itemList must be a list of item id strings"
    return None


def _example(required: Iterable[str]) -> str:
    samples = {
        "userId": '"u1"',
        "itemId": '"i1"',
        "itemList": '["i1", "i2"]',
        "itemAttributes": '"ITEMS.GENRE = \\"Comedy\\""',
    }
    return "{" + ", ".join(f'"{key}": {samples.get(key, "...")}' for key in required) + "}"


def check_lines(item: dict[str, Any], lines: Iterable[bytes]) -> dict[str, Any]:
    """Check Data Values for one byte range of a batch input file: the result has the shape of
    ``data_values.check_part``'s, so Summarize Data Checks merges both alike."""
    problems: list[list[Any]] = []
    more = count = records = 0
    for raw in lines:
        count += 1
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError as error:
            problem: str | None = f"not UTF-8 (byte 0x{raw[error.start]:02x} at position {error.start + 1})"
        else:
            if not text:
                continue
            problem = line_problem(text, item["required"], item["optional"])
        if problem is None:
            records += 1
        elif len(problems) < PROBLEMS_PER_PART:
            problems.append([count, None, problem])
        else:
            more += 1
    return {
        "lines": count,
        "records": records,
        "problems": problems,
        "moreProblems": more,
        "eventTypes": [],
        "filters": [],
    }
