"""Names the pipeline derives for the resources it creates.

Personalize names are account-wide and mostly immutable, so derived names carry a short content hash:
the same params and data always give the same names (a re-run finds and reuses what exists instead of
creating duplicates), and any change that needs a new resource gives a new name.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

#: Every Personalize resource name: ``Name`` shape of the service model (min 1, max 63).
NAME_MAX_LENGTH = 63
NAME_PATTERN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9\-_]*")

# When a base name has to be cut, a digest of the whole base replaces its tail, so two long bases that
# share their first characters still give different names.
_BASE_DIGEST_LENGTH = 6


def canonical_json(value: Any) -> str:
    """The one serialisation hashed and sent to Personalize: key order and spacing never matter."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_valid_name(name: object) -> bool:
    """True if ``name`` is accepted as a Personalize resource name."""
    # The pattern needs at least one character, so only the maximum length is checked separately.
    return isinstance(name, str) and len(name) <= NAME_MAX_LENGTH and NAME_PATTERN.fullmatch(name) is not None


def fit_name(base: str, suffix: str) -> str:
    """``<base>-<suffix>``, cut to 63 characters without touching the suffix.

    The suffix holds the hash that makes the name content-addressed, so it is kept whole; a base too long
    for the remaining room is truncated and ends with a digest of the full base, which keeps names
    derived from different long bases distinct.
    """
    if not is_valid_name(base):
        raise ValueError(f"not a valid base name: {base!r}")
    if not suffix or NAME_PATTERN.fullmatch("a" + suffix) is None:
        raise ValueError(f"not a valid name suffix: {suffix!r}")
    room = NAME_MAX_LENGTH - len(suffix) - 1
    if room < _BASE_DIGEST_LENGTH + 2:
        raise ValueError(f"name suffix too long: {suffix!r}")
    if len(base) > room:
        base = base[: room - _BASE_DIGEST_LENGTH - 1] + "-" + sha256_hex(base)[:_BASE_DIGEST_LENGTH]
    return f"{base}-{suffix}"


def schema_name(dataset_group_name: str, dataset_type: str, schema_json: str) -> str:
    """``<datasetGroup>-<type>-<8 hex of the schema>``: a changed schema gets a new schema resource.

    ``schema_json`` is the canonical JSON sent to CreateSchema (see :func:`canonical_json`).
    """
    return fit_name(dataset_group_name, f"{dataset_type.lower()}-{sha256_hex(schema_json)[:8]}")


def import_job_name(dataset_group_name: str, dataset_type: str, fingerprint: str) -> str:
    """``<datasetGroup>-<type>-<12 hex of the data fingerprint>``.

    Content-addressed on purpose: uploading the same params and data again finds the finished job and
    imports nothing; new or changed CSV files give a new job.
    """
    return fit_name(dataset_group_name, f"{dataset_type.lower()}-{fingerprint[:12]}")


def solution_version_name(
    solution: Mapping[str, Any],
    datasets: Sequence[tuple[str, str]],
    training_mode: str | None,
) -> str:
    """``<solution>-<12 hex>`` over what a trained model depends on.

    The hash covers the normalised CreateSolution request (without ``tags``: re-tagging must not pay
    for a retraining), each dataset's ``(schema name, data fingerprint)`` in plan order, and the
    training mode (absent means the API default, FULL). Same config and data, same name: a re-run
    reuses the trained version instead of training again.
    """
    material = {
        "solution": {key: value for key, value in solution.items() if key != "tags"},
        "datasets": [[name, fingerprint] for name, fingerprint in datasets],
        "trainingMode": training_mode or "FULL",
    }
    return fit_name(str(solution["name"]), sha256_hex(canonical_json(material))[:12])


#: A batch job's base name: the batch step appends ``-<8 hex>`` (version, input and request), and the whole
#: must stay a valid 63-character name.
BATCH_JOB_BASE_MAX_LENGTH = NAME_MAX_LENGTH - 9


def batch_job_base_name(solution_name: str, kind: str, index: int, count: int) -> str:
    """The default base ``jobName`` of a solution's batch job: ``<solution>-<kind>`` (``-<n>`` when several).

    ``kind`` is ``batch`` or ``segment``; a base too long for :data:`BATCH_JOB_BASE_MAX_LENGTH` keeps its
    end whole and ends the cut solution name with a digest of it, as :func:`fit_name` does.
    """
    suffix = f"{kind}-{index + 1}" if count > 1 else kind
    name = fit_name(solution_name, suffix)
    if len(name) <= BATCH_JOB_BASE_MAX_LENGTH:
        return name
    room = BATCH_JOB_BASE_MAX_LENGTH - len(suffix) - 1
    base = solution_name[: room - _BASE_DIGEST_LENGTH - 1] + "-" + sha256_hex(solution_name)[:_BASE_DIGEST_LENGTH]
    return f"{base}-{suffix}"


_RECIPE_ARN = re.compile(r"arn:aws[a-z-]*:personalize:::recipe/(?P<name>[A-Za-z0-9_\-]+)")


def recipe_name(recipe_arn: Any) -> str | None:
    """``aws-sims`` for ``arn:aws:personalize:::recipe/aws-sims``; None for anything that is not a recipe ARN."""
    match = _RECIPE_ARN.fullmatch(recipe_arn) if isinstance(recipe_arn, str) else None
    return match["name"] if match else None


#: EventBridge Scheduler's ``Name`` shape: 1 to 64 characters of ``[0-9a-zA-Z-_.]``.
SCHEDULE_NAME_MAX_LENGTH = 64
# Room kept for each user name inside a schedule name, so the two schedule kinds always fit in 64.
_SCHEDULE_GROUP_PART = 20
_SCHEDULE_SOLUTION_PART = 19


def schedule_prefix(dataset_group_name: str) -> str:
    """``<first 20 characters of the dataset group>-<8 hex of its whole name>-``.

    Every schedule of a dataset group starts with it, so ``ListSchedules(NamePrefix=...)`` finds exactly
    that group's schedules (the digest keeps ``shop`` from matching ``shop-eu``'s schedules).
    """
    return f"{dataset_group_name[:_SCHEDULE_GROUP_PART]}-{sha256_hex(dataset_group_name)[:8]}-"


def schedule_name(dataset_group_name: str, solution_name: str | None = None) -> str:
    """The dataset group's import schedule (``<prefix>import``) or a solution's retraining schedule
    (``<prefix>train-<first 19 characters of the solution>-<8 hex of its whole name>``); at most 64."""
    prefix = schedule_prefix(dataset_group_name)
    if solution_name is None:
        return f"{prefix}import"
    return f"{prefix}train-{solution_name[:_SCHEDULE_SOLUTION_PART]}-{sha256_hex(solution_name)[:8]}"
