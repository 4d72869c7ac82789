"""Each params.json section checked against the request shape of its Personalize API call.

The botocore service model is the source of truth, so a new botocore adds new members without code
changes here. botocore's own ParamValidator checks required members, types and minimums; it does not
check what the service rejects later (max lengths, regex patterns, enums, maximums), so this module
walks the shape for those too. The aim is that a params.json passing here is never refused by
Personalize for its shape, only (rarely) for a state the pipeline cannot see offline.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import sys
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import botocore.session
from botocore.model import ServiceModel, Shape
from botocore.validate import ParamValidator

# Placeholders for the members the pipeline fills in; valid for every constraint of their shapes.
_PLACEHOLDER_ARN = "arn:aws:personalize:us-east-1:123456789012:placeholder/pipeline"
_PLACEHOLDER_ROLE = "arn:aws:iam::123456789012:role/pipeline"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")


# --------------------------------------------------------------------------------------------------
# Paths and wording shared by every validation module


def join_path(path: str, key: str) -> str:
    """``datasets`` + ``Users`` -> ``datasets.Users``; odd keys are quoted: ``tags["a b"]``."""
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def index_path(path: str, index: int) -> str:
    return f"{path}[{index}]"


def show(value: Any, limit: int = 60) -> str:
    """A value as the user wrote it in JSON, shortened so one problem stays one line."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate the user most likely meant: same letters in another case first, then difflib."""
    candidates = list(candidates)
    for candidate in candidates:
        if candidate.lower() == word.lower():
            return candidate
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in candidates}
        close = [lowered[m] for m in difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)]
    return close[0] if close else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` did you mean "x"?`` for the :func:`closest` candidate, or ``""``."""
    match = closest(word, candidates)
    return f' did you mean "{match}"?' if match else ""


def with_hint(message: str, hint: str) -> str:
    """Append a :func:`did_you_mean` hint (or nothing) to a message."""
    return f"{message};{hint}" if hint else message


def unknown_key_problem(path: str, key: str, allowed: Iterable[str]) -> str:
    allowed = list(allowed)
    message = with_hint(f"{join_path(path, key)}: unknown key", did_you_mean(key, allowed))
    return f"{message} (allowed: {', '.join(allowed)})"


# --------------------------------------------------------------------------------------------------
# Section specs


@functools.cache
def service_model(service: str = "personalize") -> ServiceModel:
    """A service model of the installed botocore, ``personalize`` by default (loaded once per process)."""
    return botocore.session.get_session().get_service_model(service)


@dataclass(frozen=True)
class RequestSpec:
    """One params.json section: the API call it feeds and what the pipeline sets itself."""

    operation: str
    #: Members the pipeline fills in -> a placeholder valid for their shape.
    owned: Mapping[str, Any] = field(default_factory=dict)
    #: Our own keys in the section, validated by the caller (e.g. a dataset's ``schema``).
    extras: tuple[str, ...] = ()
    #: Why an owned member cannot be set, when "set by the pipeline" alone would puzzle.
    owned_reasons: Mapping[str, str] = field(default_factory=dict)
    #: Required members a user may omit because the pipeline derives them -> a placeholder for validation.
    defaults: Mapping[str, Any] = field(default_factory=dict)
    #: The botocore service whose operation the section feeds.
    service: str = "personalize"

    @property
    def shape(self) -> Shape:
        return service_model(self.service).operation_model(self.operation).input_shape

    def allowed_keys(self) -> list[str]:
        """Exactly what a user may write in the section."""
        return [m for m in self.shape.members if m not in self.owned] + list(self.extras)


DATASET_GROUP = RequestSpec("CreateDatasetGroup")
SCHEMA = RequestSpec("CreateSchema", owned={"schema": "{}"})
DATASET = RequestSpec(
    "CreateDataset",
    owned={"schemaArn": _PLACEHOLDER_ARN, "datasetGroupArn": _PLACEHOLDER_ARN, "datasetType": "Interactions"},
    extras=("schema", "schemaName", "datasetImportJob"),
    owned_reasons={"datasetType": "the dataset type is the key under datasets"},
)
DATASET_IMPORT_JOB = RequestSpec(
    "CreateDatasetImportJob",
    owned={
        "jobName": "pipeline",
        "datasetArn": _PLACEHOLDER_ARN,
        "dataSource": {"dataLocation": "s3://placeholder/Interactions/"},
        "roleArn": _PLACEHOLDER_ROLE,
    },
    owned_reasons={
        "jobName": "derived from the data so a re-run with the same files imports nothing",
        "dataSource": "the pipeline imports the dataset's folder of the input bucket",
        "roleArn": "the stack's Personalize role is used",
    },
)
SOLUTION = RequestSpec("CreateSolution", owned={"datasetGroupArn": _PLACEHOLDER_ARN})
SOLUTION_VERSION = RequestSpec(
    "CreateSolutionVersion",
    owned={"solutionArn": _PLACEHOLDER_ARN, "name": "pipeline"},
    owned_reasons={"name": "derived from the solution, schemas and data so a re-run reuses the trained version"},
)
CAMPAIGN = RequestSpec("CreateCampaign", owned={"solutionVersionArn": _PLACEHOLDER_ARN})
#: A solution in the list or map spelling: the CreateSolution request and what is deployed from it.
SOLUTION_ENTRY = RequestSpec(
    "CreateSolution",
    owned={"datasetGroupArn": _PLACEHOLDER_ARN},
    extras=("solutionVersion", "campaigns", "batchInferenceJobs", "batchSegmentJobs"),
)
FILTER = RequestSpec("CreateFilter", owned={"datasetGroupArn": _PLACEHOLDER_ARN})
EVENT_TRACKER = RequestSpec("CreateEventTracker", owned={"datasetGroupArn": _PLACEHOLDER_ARN})
RECOMMENDER = RequestSpec("CreateRecommender", owned={"datasetGroupArn": _PLACEHOLDER_ARN})
_BATCH_OWNED = {
    "solutionVersionArn": _PLACEHOLDER_ARN,
    "roleArn": _PLACEHOLDER_ROLE,
    "jobOutput": {"s3DataDestination": {"path": "s3://placeholder/batch-output/"}},
}
_BATCH_REASONS = {
    "solutionVersionArn": "the version the pipeline trained or reused for this data",
    "roleArn": "the stack's Personalize role is used",
    "jobOutput": (
        "results go to s3://<input bucket>/batch-output/<job name>/, the only prefix the Personalize role may write"
    ),
}
#: jobName is optional: the pipeline derives it from the solution name.
BATCH_INFERENCE_JOB = RequestSpec(
    "CreateBatchInferenceJob", owned=_BATCH_OWNED, owned_reasons=_BATCH_REASONS, defaults={"jobName": "pipeline"}
)
BATCH_SEGMENT_JOB = RequestSpec(
    "CreateBatchSegmentJob", owned=_BATCH_OWNED, owned_reasons=_BATCH_REASONS, defaults={"jobName": "pipeline"}
)


# --------------------------------------------------------------------------------------------------
# Patterns: the model's regexes are Java-flavoured; Python's ``re`` lacks \p{...} classes.


@functools.cache
def _unicode_ranges() -> dict[str, str]:
    """Major Unicode category (``L``, ``N``, ``Z``...) -> its code points as a regex class body.

    One pass over the code space (~0.2 s), done only if a pattern uses \\p{...} (tags do).
    """
    ranges: dict[str, list[list[int]]] = {}
    for code in range(sys.maxunicode + 1):
        spans = ranges.setdefault(unicodedata.category(chr(code))[0], [])
        if spans and spans[-1][1] == code - 1:
            spans[-1][1] = code
        else:
            spans.append([code, code])
    return {
        major: "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in spans)
        for major, spans in ranges.items()
    }


def _class_body(name: str) -> str:
    if name == "ASCII":
        return r"\x00-\x7f"
    if len(name) == 1 and name in _unicode_ranges():
        return _unicode_ranges()[name]
    raise ValueError(f"unsupported Unicode class \\p{{{name}}}")


def translate_pattern(pattern: str) -> str:
    """Rewrite ``\\p{L}``-style classes (used by the model's tag patterns) for Python's ``re``."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            if pattern[i + 1] in "pP" and pattern.startswith("{", i + 2):
                end = pattern.index("}", i)
                body = _class_body(pattern[i + 3 : end])
                negate = pattern[i + 1] == "P"
                if in_class and negate:
                    raise ValueError(f"unsupported \\P{{...}} inside a class: {pattern}")
                out.append(body if in_class else f"[{'^' if negate else ''}{body}]")
                i = end + 1
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


@functools.cache
def compiled_pattern(pattern: str) -> re.Pattern[str]:
    # ASCII: Java's \d and \w are ASCII-only by default, and the service matches like Java.
    return re.compile(translate_pattern(pattern), re.ASCII)


def matches_pattern(value: str, pattern: str) -> bool:
    """Whole-value match, as the service applies model patterns (Java ``String.matches``)."""
    return compiled_pattern(pattern).fullmatch(value) is not None


# --------------------------------------------------------------------------------------------------
# Messages


_KINDS = {
    "string": "a string",
    "integer": "an integer",
    "long": "an integer",
    "float": "a number",
    "double": "a number",
    "boolean": "a boolean (true or false)",
    "structure": "an object",
    "map": "an object",
    "list": "a list",
}

_PATTERN_HELP = {
    "Name": "use 1 to 63 letters, digits, '-' or '_', starting with a letter or digit",
    "Arn": "expected an ARN such as arn:aws:personalize:::recipe/aws-user-personalization-v2",
    "RoleArn": "expected an IAM role ARN such as arn:aws:iam::123456789012:role/MyRole",
    "KmsKeyArn": "expected a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/<key id>",
    "SchedulingExpression": 'expected "rate(N days)", e.g. "rate(7 days)"',
    "ColumnName": "use letters, digits and '_', not starting with a digit",
    "DatasetType": "use letters and '_' only, e.g. Interactions, Items, Users",
    "TagKey": "tags may hold letters, digits, spaces and _ . : / = + - @ only",
    "TagValue": "tags may hold letters, digits, spaces and _ . : / = + - @ only",
}


def _is_sensitive(shape: Shape) -> bool:
    return bool(shape.metadata.get("sensitive"))


def _value_text(value: Any, shape: Shape) -> str:
    return "(value hidden: sensitive)" if _is_sensitive(shape) else show(value)


def _pattern_problem(value: str, shape: Shape) -> str:
    help_text = _PATTERN_HELP.get(shape.name, f"it must match the pattern {shape.metadata['pattern']}")
    message = f"{_value_text(value, shape)} is not valid: {help_text}"
    if shape.name == "Arn" and re.fullmatch(r"aws-[a-z0-9-]+", value):
        message += f'; did you mean "arn:aws:personalize:::recipe/{value}"?'
    return message


# --------------------------------------------------------------------------------------------------
# The walk


@dataclass
class _Node:
    order: int
    path: str
    shape: Shape
    value: Any


class _Walker:
    """Walks a request with its shape: indexes every node under the name botocore gives it (so
    botocore's errors map back to our paths exactly) and checks what botocore does not."""

    def __init__(self, spell: Callable[[str], str] = str) -> None:
        self.nodes: dict[str, _Node] = {}
        self.problems: list[tuple[int, str]] = []
        #: How a structure member is written in params.json (camelCase keys for PascalCase APIs).
        self.spell = spell

    def _add(self, node: _Node, message: str) -> None:
        self.problems.append((node.order, f"{node.path}: {message}"))

    def _node(self, name: str, path: str, shape: Shape, value: Any) -> _Node:
        node = _Node(len(self.nodes), path, shape, value)
        self.nodes[name] = node
        return node

    def visit(self, value: Any, shape: Shape, path: str, name: str) -> None:
        node = self._node(name, path, shape, value)
        kind = shape.type_name
        meta = shape.metadata
        if kind == "string" and isinstance(value, str):
            if "max" in meta and len(value) > meta["max"]:
                shown = "" if _is_sensitive(shape) else f"{show(value, 40)} "
                self._add(node, f"{shown}is {len(value)} characters long; the maximum is {meta['max']}")
            if shape.enum and value not in shape.enum:
                message = f"{show(value)} is not one of {', '.join(shape.enum)}"
                self._add(node, with_hint(message, did_you_mean(value, shape.enum)))
            elif len(value) >= meta.get("min", 0) and "pattern" in meta and not matches_pattern(value, meta["pattern"]):
                # (too short is botocore's "must not be empty"; one problem per mistake)
                self._add(node, _pattern_problem(value, shape))
        elif kind in ("integer", "long", "float", "double"):
            if isinstance(value, bool):  # bool is an int to botocore; JSON true is no number
                self._add(node, f"expected {_KINDS[kind]}, got {show(value)}")
            elif isinstance(value, int | float) and "max" in meta and value > meta["max"]:
                self._add(node, f"{show(value)} is above the maximum of {meta['max']}")
            elif kind == "integer" and isinstance(value, int) and not -(2**31) <= value < 2**31:
                # The service reads an ``integer`` member as a 32-bit int: a wider value cannot be one.
                self._add(node, f"{show(value)} is beyond a 32-bit integer (at most {2**31 - 1})")
        elif kind == "list" and isinstance(value, list | tuple):
            if "max" in meta and len(value) > meta["max"]:
                self._add(node, f"has {len(value)} items; the maximum is {meta['max']}")
            for i, item in enumerate(value):
                self.visit(item, shape.member, index_path(path, i), f"{name}[{i}]")
        elif kind == "map" and isinstance(value, dict):
            if "max" in meta and len(value) > meta["max"]:
                self._add(node, f"has {len(value)} entries; the maximum is {meta['max']}")
            for key, item in value.items():
                self._visit_map_key(key, shape.key, path, f"{name} (key: {key})")
                self.visit(item, shape.value, join_path(path, key), f"{name}.{key}")
        elif kind == "structure" and isinstance(value, dict):
            members = shape.members
            for key, item in value.items():
                if key in members:
                    self.visit(item, members[key], join_path(path, self.spell(key)), f"{name}.{key}")
                else:
                    spelled = [self.spell(member) for member in members]
                    self.problems.append((node.order, unknown_key_problem(path, self.spell(key), spelled)))

    def _visit_map_key(self, key: str, shape: Shape, path: str, name: str) -> None:
        node = self._node(name, path, shape, key)
        meta = shape.metadata
        if "max" in meta and len(key) > meta["max"]:
            self._add(node, f"key {show(key, 40)} is {len(key)} characters long; the maximum is {meta['max']}")
        if shape.enum and key not in shape.enum:
            message = f"key {show(key)} is not one of {', '.join(shape.enum)}"
            self._add(node, with_hint(message, did_you_mean(key, shape.enum)))
        elif "pattern" in meta and not matches_pattern(key, meta["pattern"]):
            self._add(node, f"key {_pattern_problem(key, shape)}")

    def botocore_problem(self, reason: str, name: str, details: Mapping[str, Any]) -> tuple[int, str]:
        """Reword one botocore ValidationErrors entry with our path and plain words."""
        node = self.nodes.get(name)
        if node is None:  # not expected: every node botocore visits is indexed first
            return (sys.maxsize, f"{name.lstrip('.') or 'request'}: {reason} {details}")
        kind = node.shape.type_name
        if reason == "missing required field":
            required = self.spell(details["required_name"])
            return (node.order, f"{join_path(node.path, required)}: required but missing")
        if reason == "invalid type":
            value = details["param"]
            message = f"expected {_KINDS.get(kind, kind)}, got {_value_text(value, node.shape)}"
            if kind == "string" and isinstance(value, bool | int | float):
                message += f"; write it in quotes: {show(json.dumps(value))}"
            return (node.order, f"{node.path}: {message}")
        if reason == "invalid range":
            return (node.order, f"{node.path}: must be at least {details['min_allowed']}, got {show(details['param'])}")
        if reason == "invalid length":
            least = details["min_allowed"]
            if least == 1:
                return (node.order, f"{node.path}: must not be empty")
            unit = "characters long" if kind == "string" else "items"
            return (node.order, f"{node.path}: must be at least {least} {unit}, got {details['param']}")
        return (node.order, f"{node.path}: {reason}")


def _validate(
    shape: Shape,
    request: dict[str, Any],
    member_paths: Mapping[str, str],
    base_path: str,
    spell: Callable[[str], str] = str,
) -> list[tuple[int, str]]:
    walker = _Walker(spell)
    walker._node("", base_path, shape, request)
    for member, path in member_paths.items():
        walker.visit(request[member], shape.members[member], path, f".{member}")
    report = ParamValidator().validate(request, shape)
    problems = list(walker.problems)
    # ``_errors`` holds (reason, name, details) tuples; stable in the pinned botocore. Unknown keys are
    # reported by the walker already, with a did-you-mean.
    errors = getattr(report, "_errors", None)
    if errors is None:  # a botocore without it: keep its own wording rather than lose the problems
        lines = report.generate_report().splitlines() if report.has_errors() else []
        return problems + [(sys.maxsize, f"{base_path}: {line}") for line in lines if "Unknown parameter" not in line]
    for reason, name, details in errors:
        if reason != "unknown field":
            problems.append(walker.botocore_problem(reason, name, details))
    return problems


def _sorted(problems: list[tuple[int, str]]) -> list[str]:
    seen: set[str] = set()
    result = []
    for _, message in sorted(problems, key=lambda p: p[0]):
        if message not in seen:
            seen.add(message)
            result.append(message)
    return result


def check_request(spec: RequestSpec, section: Any, path: str) -> list[str]:
    """Problems of one params.json section, each prefixed with its JSON path.

    Keys in ``spec.extras`` are skipped: the caller validates them.
    """
    if not isinstance(section, dict):
        return [f"{path}: expected an object, got {show(section)}"]
    shape = spec.shape
    problems: list[tuple[int, str]] = []
    request: dict[str, Any] = dict(spec.owned)
    request.update({member: value for member, value in spec.defaults.items() if member not in section})
    member_paths: dict[str, str] = {}
    allowed = spec.allowed_keys()
    for key, value in section.items():
        if key in spec.extras:
            continue
        if key in spec.owned:
            reason = spec.owned_reasons.get(key)
            problems.append(
                (-1, f"{join_path(path, key)}: set by the pipeline{f' ({reason})' if reason else ''}; remove it")
            )
        elif key in shape.members:
            request[key] = value
            member_paths[key] = join_path(path, key)
        else:
            problems.append((-1, unknown_key_problem(path, key, allowed)))
    problems.extend(_validate(shape, request, member_paths, path))
    return _sorted(problems)


def check_member(spec: RequestSpec, member: str, value: Any, path: str) -> list[str]:
    """Problems of one value checked against one member of the spec's request shape."""
    request = {**spec.owned, **spec.defaults}
    for required in spec.shape.required_members:
        request.setdefault(required, "placeholder")
    request[member] = value
    return _sorted(_validate(spec.shape, request, {member: path}, path))


def user_members(spec: RequestSpec, section: Mapping[str, Any], exclude: Collection[str] = ()) -> dict[str, Any]:
    """The members of a (validated) section that go into the API request, in the user's order."""
    members = spec.shape.members
    return {k: v for k, v in section.items() if k in members and k not in spec.owned and k not in exclude}


def check_translated(
    spec: RequestSpec,
    request: dict[str, Any],
    member_paths: Mapping[str, str],
    path: str,
    spell: Callable[[str], str],
) -> list[str]:
    """Problems of a request built from a section written in another spelling (camelCase keys of a PascalCase
    API): ``member_paths`` maps each request member to the user's path, ``spell`` names nested members."""
    return _sorted(_validate(spec.shape, request, member_paths, path, spell))
