"""Server-side request validation derived from the botocore ``personalize`` service model.

botocore checks only ``required``, ``min`` and types on the client (personalize-facts.md §1); the service
also enforces ``max``, ``pattern`` and ``enum``. Rather than hand-list those per operation, this module
walks each operation's input shape and applies every constraint the model declares, so a new botocore
model brings its new constraints with it. It re-checks what botocore already checked too, because a client
built with ``parameter_validation=False`` reaches the service unchecked.

Messages follow the AWS (Coral) validation style: ``1 validation error detected: Value 'x' at 'name'
failed to satisfy constraint: Member must satisfy regular expression pattern: ...``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

import botocore.session
from botocore.model import ServiceModel, Shape

from .errors import InvalidInputException

SERVICE = "personalize"

# Java's \p{...} classes have no stdlib ``re`` spelling; these are their equivalents inside a class.
_UNICODE_CLASSES = {
    "L": r"^\W\d_",  # letters: word characters that are neither digits nor underscore
    "N": r"\d",
    "Z": r"\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000",
    "ASCII": r"\x00-\x7f",
}
#: The Python type a JSON value of each model type must have; numbers are checked on their own.
_TYPES: dict[str, type] = {"structure": dict, "list": list, "map": dict, "string": str, "boolean": bool}
_CLASS_RE = re.compile(r"\[((?:\\.|[^\]\\])*)\]")
_PROPERTY_RE = re.compile(r"\\p\{(\w+)\}")


@functools.cache
def service_model(service: str = SERVICE) -> ServiceModel:
    """The botocore model the installed client uses, so emulator and client always agree
    (``personalize``, or ``personalize-runtime`` / ``personalize-events`` for the data plane)."""
    return botocore.session.get_session().get_service_model(service)


def _translate_class(body: str) -> str:
    """Rewrite one ``[...]`` body with \\p{...} members as an alternation Python understands."""
    properties = _PROPERTY_RE.findall(body)
    rest = _PROPERTY_RE.sub("", body)
    alternatives = [f"[{rest}]"] if rest else []
    for name in properties:
        members = _UNICODE_CLASSES[name]
        # A negated member ("^\W\d_") cannot be merged into another class; it stays its own alternative.
        alternatives.append(f"[{members}]")
    return "(?:" + "|".join(alternatives) + ")"


@functools.cache
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a model (Java) regular expression for full-string matching with the stdlib."""
    translated = _CLASS_RE.sub(
        lambda m: _translate_class(m.group(1)) if _PROPERTY_RE.search(m.group(1)) else m.group(0), pattern
    )
    translated = _PROPERTY_RE.sub(lambda m: f"[{_UNICODE_CLASSES[m.group(1)]}]", translated)
    return re.compile(translated)


def _render(value: Any) -> str:
    """A value as Coral prints it in a validation message (Java ``toString`` style)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(_render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_render(v)}" for k, v in value.items()) + "}"
    return str(value)


def _violations(shape: Shape, value: Any, path: str) -> Iterator[tuple[str, Any, str]]:
    """Yield (path, value, constraint) for every constraint of ``shape`` that ``value`` breaks."""
    meta = shape.metadata
    kind = shape.type_name
    if kind in _TYPES and not isinstance(value, _TYPES[kind]):
        yield path, value, f"Member must be a {kind}"
        return
    if kind in ("list", "map", "string"):
        yield from _length(meta, len(value), path, value)
    if kind == "structure":
        for name in shape.required_members:
            if value.get(name) is None:
                yield f"{path}.{name}" if path else name, None, "Member must not be null"
        for name, member in shape.members.items():
            if value.get(name) is not None:
                yield from _violations(member, value[name], f"{path}.{name}" if path else name)
    elif kind == "list":
        for index, item in enumerate(value, start=1):
            yield from _violations(shape.member, item, f"{path}.{index}.member")
    elif kind == "map":
        for key, item in value.items():
            for _, bad, constraint in _violations(shape.key, key, path):
                yield path, bad, f"Map keys must satisfy constraint: [{constraint}]"
            for _, bad, constraint in _violations(shape.value, item, path):
                yield path, bad, f"Map value must satisfy constraint: [{constraint}]"
    elif kind == "string":
        if "pattern" in meta and not compile_pattern(meta["pattern"]).fullmatch(value):
            yield path, value, f"Member must satisfy regular expression pattern: {meta['pattern']}"
        if "enum" in meta and value not in meta["enum"]:
            yield path, value, f"Member must satisfy enum value set: [{', '.join(meta['enum'])}]"
    elif kind in ("integer", "long", "double", "float"):
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if not numeric or (kind in ("integer", "long") and isinstance(value, float)):
            yield path, value, f"Member must be a {'number' if kind in ('double', 'float') else 'integer'}"
            return
        if "min" in meta and value < meta["min"]:
            yield path, value, f"Member must have value greater than or equal to {meta['min']}"
        if "max" in meta and value > meta["max"]:
            yield path, value, f"Member must have value less than or equal to {meta['max']}"
        elif kind == "integer" and not -(2**31) <= value < 2**31:
            # The service reads an ``integer`` member as a Java int: anything wider cannot be one.
            yield path, value, f"Member must have value less than or equal to {2**31 - 1}"


def _length(meta: dict[str, Any], length: int, path: str, value: Any) -> Iterator[tuple[str, Any, str]]:
    if "min" in meta and length < meta["min"]:
        yield path, value, f"Member must have length greater than or equal to {meta['min']}"
    if "max" in meta and length > meta["max"]:
        yield path, value, f"Member must have length less than or equal to {meta['max']}"


def validate_request(operation: str, params: dict[str, Any], service: str = SERVICE) -> None:
    """Raise InvalidInputException listing every constraint the request breaks, in the AWS wording."""
    input_shape = service_model(service).operation_model(operation).input_shape
    if input_shape is None:
        return
    problems = [
        f"Value {'null' if value is None else repr_value(value)} at '{path}' failed to satisfy constraint: {constraint}"
        for path, value, constraint in _violations(input_shape, params, "")
    ]
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        raise InvalidInputException(f"{count} validation {noun} detected: " + "; ".join(problems))


def repr_value(value: Any) -> str:
    """Quote a value the way Coral does: ``'abc'``."""
    return f"'{_render(value)}'"
