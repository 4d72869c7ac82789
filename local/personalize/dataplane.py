"""Wiring of the data plane into moto: ``personalize-runtime`` and ``personalize-events`` reach the emulator.

moto has neither service (feasibility.md §1): its botocore stubber answers every unknown
``*.amazonaws.com`` URL with 404 "Not yet implemented". ``install`` adds the two endpoints to moto's URL
index under the ``personalize`` backend, so a plain ``boto3.client("personalize-runtime")`` or
``boto3.client("personalize-events")`` inside ``mock_aws()`` reaches the installed emulator, in the same
account and region state as the control plane.

Both services speak rest-json: the operation is the request's method and path (``POST /recommendations``),
found in the botocore model. Each request is validated against that model (validation.py), runs in the
emulator (ops/runtime.py, ops/events.py) and its response goes through the output shape like the control
plane's. Errors keep the service's HTTP status: ResourceNotFoundException is a 404 on the runtime.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from typing import Any
from urllib.parse import urlparse

from moto import backend_index
from moto.core.exceptions import JsonRESTError
from moto.core.responses import BaseResponse
from moto.personalize import urls as personalize_urls
from moto.personalize.models import personalize_backends

from .errors import PersonalizeError, UnknownOperationException
from .validation import service_model, validate_request

#: The data-plane operations the emulator serves, per botocore service name.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "personalize-runtime": ("GetRecommendations", "GetPersonalizedRanking"),
    "personalize-events": ("PutEvents",),
}
_HOST = r"https?://(personalize-runtime|personalize-events)\.(.+)\.amazonaws\.com"
_URL_INDEX_ENTRY = ("personalize", re.compile(_HOST))
#: A url_paths key without ``{0}``: moto formats every key with each of the backend's url_bases, and this
#: one must match only the data-plane hosts.
_URL_PATH = _HOST + r"/[a-z-]+$"

_lock = threading.Lock()


class DataPlaneError(JsonRESTError):
    """A modelled error with the HTTP status the service's model gives it (404 for a missing resource)."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(code, message)
        self.code = status


@functools.cache
def _routes(service: str) -> dict[tuple[str, str], str]:
    model = service_model(service)
    routes = {}
    for name in model.operation_names:
        http = model.operation_model(name).http
        routes[(http["method"], http["requestUri"])] = name
    return routes


@functools.cache
def _status(service: str, code: str) -> int:
    """The HTTP status botocore's model declares for error ``code`` of ``service`` (400 when it has none)."""
    shape = service_model(service).shape_for_error_code(code)
    return int((shape.metadata.get("error") or {}).get("httpStatusCode", 400)) if shape is not None else 400


def serve(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    """moto's handler for a data-plane URL: ``(status, headers, body)``."""
    from .responses import installed, shape_output

    parsed = urlparse(full_url)
    service, region = parsed.netloc.split(".")[:2]
    operation = _routes(service).get((request.method, parsed.path))
    # Only what these two services need of moto's BaseResponse.setup_class (query strings, forms and
    # the like are not theirs): the JSON body and the caller's account.
    response = BaseResponse(service_name="personalize")
    response.headers = request.headers
    response.body = request.get_data(as_text=True)
    response.querystring = {}
    account = response.get_current_account()
    try:
        if operation is None or operation not in OPERATIONS[service]:
            name = operation or f"{request.method} {parsed.path}"
            raise UnknownOperationException(f"{name} is not implemented by the local Personalize emulator.")
        emulator = installed()
        if emulator is None:
            raise NotImplementedError(f"{operation} needs an installed PersonalizeEmulator")
        injected = emulator.faults.service_error(operation)
        if injected is not None:
            raise injected
        params = json.loads(response.body) if response.body else {}
        validate_request(operation, params, service)
        generation = personalize_backends[account][region]
        result = emulator.handle(account, region, generation, operation, params)
    except PersonalizeError as error:
        status = _status(service, error.error_type)
        raise DataPlaneError(error.error_type, error.message, status) from None
    output_shape = service_model(service).operation_model(operation).output_shape
    return 200, {"Content-Type": "application/json"}, json.dumps(shape_output(output_shape, result))


def install() -> None:
    """Route both data-plane endpoints to ``serve`` (idempotent)."""
    with _lock:
        if _URL_INDEX_ENTRY not in backend_index.backend_url_patterns:
            # First: moto tries every service's pattern in turn, and a recommendation call should not wait
            # for two hundred regular expressions to fail.
            backend_index.backend_url_patterns.insert(0, _URL_INDEX_ENTRY)
        personalize_urls.url_paths[_URL_PATH] = serve


def uninstall() -> None:
    with _lock:
        if _URL_INDEX_ENTRY in backend_index.backend_url_patterns:
            backend_index.backend_url_patterns.remove(_URL_INDEX_ENTRY)
        personalize_urls.url_paths.pop(_URL_PATH, None)
