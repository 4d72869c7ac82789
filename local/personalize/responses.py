"""Wiring into moto: every Personalize operation becomes a method of moto's ``PersonalizeResponse``.

moto routes a JSON-protocol request to the ``PersonalizeResponse`` method named after the action in
snake_case (feasibility.md §1), so adding methods is all it takes for a plain
``boto3.client("personalize")`` inside ``mock_aws()`` to reach the emulator. moto's own four schema
operations are replaced as well: schemas must live in the store that CreateDataset checks.

Each request is validated against the service model (validation.py), run by the installed emulator, and
its response is passed through the operation's output shape: None values are dropped and any key the
model does not define raises, so the emulator can never put on the wire what AWS would not.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from botocore.model import Shape
from moto.personalize.models import personalize_backends
from moto.personalize.responses import PersonalizeResponse

from . import dataplane
from .errors import UnknownOperationException
from .models import PersonalizeEmulator
from .ops import HANDLERS
from .validation import service_model, validate_request

#: Every operation the emulator implements; each has a handler in ``ops.HANDLERS`` (one ops module per kind).
OPERATIONS = (
    "CreateDatasetGroup",
    "DescribeDatasetGroup",
    "ListDatasetGroups",
    "DeleteDatasetGroup",
    "CreateSchema",
    "DescribeSchema",
    "ListSchemas",
    "DeleteSchema",
    "CreateDataset",
    "DescribeDataset",
    "ListDatasets",
    "UpdateDataset",
    "DeleteDataset",
    "CreateDatasetImportJob",
    "DescribeDatasetImportJob",
    "ListDatasetImportJobs",
    "CreateSolution",
    "DescribeSolution",
    "ListSolutions",
    "UpdateSolution",
    "DeleteSolution",
    "CreateSolutionVersion",
    "DescribeSolutionVersion",
    "ListSolutionVersions",
    "StopSolutionVersionCreation",
    "GetSolutionMetrics",
    "CreateCampaign",
    "DescribeCampaign",
    "ListCampaigns",
    "UpdateCampaign",
    "CreateRecommender",
    "DescribeRecommender",
    "ListRecommenders",
    "UpdateRecommender",
    "StopRecommender",
    "StartRecommender",
    "DeleteRecommender",
    "DeleteCampaign",
    "CreateEventTracker",
    "DescribeEventTracker",
    "ListEventTrackers",
    "DeleteEventTracker",
    "CreateFilter",
    "DescribeFilter",
    "ListFilters",
    "DeleteFilter",
    "CreateBatchInferenceJob",
    "DescribeBatchInferenceJob",
    "ListBatchInferenceJobs",
    "CreateBatchSegmentJob",
    "DescribeBatchSegmentJob",
    "ListBatchSegmentJobs",
    "ListRecipes",
    "DescribeRecipe",
    "ListTagsForResource",
    "TagResource",
    "UntagResource",
)

_lock = threading.Lock()
_active: PersonalizeEmulator | None = None
_originals: dict[str, Any] = {}
_MISSING = object()


def snake_case(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


def shape_output(shape: Shape | None, value: Any, path: str = "") -> Any:
    """``value`` restricted to ``shape``: None dropped, unknown keys refused (an emulator bug)."""
    if shape is None:
        return {}
    kind = shape.type_name
    if kind == "structure":
        unknown = sorted(set(value) - set(shape.members))
        if unknown:
            raise AssertionError(f"{shape.name} at '{path}' has no member(s) {unknown}")
        return {
            name: shape_output(shape.members[name], item, f"{path}.{name}".lstrip("."))
            for name, item in value.items()
            if item is not None
        }
    if kind == "list":
        return [shape_output(shape.member, item, f"{path}[]") for item in value]
    if kind == "map":
        return {key: shape_output(shape.value, item, f"{path}.{key}") for key, item in value.items()}
    return value


def _handler(operation: str) -> Callable[[PersonalizeResponse], str]:
    output_shape = service_model().operation_model(operation).output_shape

    def handle(self: PersonalizeResponse) -> str:
        emulator = _active
        if emulator is None:
            raise NotImplementedError(f"The {snake_case(operation)} action needs an installed PersonalizeEmulator")
        injected = emulator.faults.service_error(operation)
        if injected is not None:  # throttling and 5xx come from the front door, before any validation
            raise injected
        params = json.loads(self.body) if self.body else {}
        validate_request(operation, params)
        generation = personalize_backends[self.current_account][self.region]
        result = emulator.handle(self.current_account, self.region, generation, operation, params)
        return json.dumps(shape_output(output_shape, result))

    handle.__name__ = handle.__qualname__ = snake_case(operation)
    handle.__doc__ = f"{operation}, served by the installed PersonalizeEmulator."
    return handle


def _unimplemented(operation: str) -> Callable[[PersonalizeResponse], str]:
    """A handler for a real operation the emulator does not implement: a ClientError, never moto's
    NotImplementedError, so callers see what botocore gives for an operation the endpoint does not serve."""

    def handle(self: PersonalizeResponse) -> str:
        raise UnknownOperationException(f"{operation} is not implemented by the local Personalize emulator.")

    handle.__name__ = handle.__qualname__ = snake_case(operation)
    handle.__doc__ = f"{operation}: not implemented by the emulator."
    return handle


def install(emulator: PersonalizeEmulator) -> None:
    """Serve Personalize from ``emulator``, inside any ``mock_aws()`` context, now or later.

    ``personalize-runtime`` and ``personalize-events`` are served from it too (dataplane.py).
    Installing another emulator replaces the previous one; each emulator starts empty, and its state
    for an account and region is also dropped whenever moto resets (each ``mock_aws`` context).
    """
    global _active
    with _lock:
        for operation in OPERATIONS:
            name = snake_case(operation)
            if operation not in HANDLERS:
                raise AssertionError(f"no ops module implements {operation}")
            if name not in _originals:
                _originals[name] = PersonalizeResponse.__dict__.get(name, _MISSING)
            setattr(PersonalizeResponse, name, _handler(operation))
        for operation in sorted(set(service_model().operation_names) - set(OPERATIONS)):
            name = snake_case(operation)
            if name not in _originals:
                _originals[name] = PersonalizeResponse.__dict__.get(name, _MISSING)
            setattr(PersonalizeResponse, name, _unimplemented(operation))
        dataplane.install()
        _active = emulator


def uninstall() -> None:
    """Give moto its own Personalize behaviour back (schemas only)."""
    global _active
    with _lock:
        for name, original in _originals.items():
            if original is _MISSING:
                delattr(PersonalizeResponse, name)
            else:
                setattr(PersonalizeResponse, name, original)
        _originals.clear()
        dataplane.uninstall()
        _active = None


def installed() -> PersonalizeEmulator | None:
    """The emulator currently serving requests, if any."""
    return _active
