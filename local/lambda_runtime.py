"""Runs a deployed function's real Python handler in-process, the way the Lambda Python runtime would.

moto can only run Lambda code in Docker; ``local.patches`` routes ``LambdaFunction.invoke`` here instead.
The function's configuration (Handler, Environment, MemorySize, Timeout) comes from moto, i.e. from the
template as CloudFormation created it, so the template's wiring is what gets tested. Its code comes from
the SAM ``CodeUri`` directory, with the ``ContentUri`` directories of its layers on ``sys.path``, both
registered by ``local.deploy`` (moto never sees the code: the deployed zip is a placeholder).

Differences from AWS, by design:

- one process: a handler sees its function's environment through ``os.environ``, which the patches make
  per-thread (``ThreadEnviron``), so no other thread ever sees it change; ``sys.path`` and the modules
  of the code directory are process-wide, so invocations are serialised under one lock and Map
  iterations run their Lambdas one at a time (their simulated times still overlap);
- every function's handler module is loaded by file path under its own name and kept, like a warm
  container; the other modules of its code and layer directories are swapped in and out of
  ``sys.modules``, so each function has its own copy (as each has its own containers on AWS) and two
  functions may both have e.g. a ``helpers.py``; site-packages are shared by all;
- the handler's AWS calls are authorized against the function's role by ``local.iam`` (as on AWS, where
  the runtime holds that role's credentials);
- ``AWS_SAM_LOCAL=true`` is set, as ``sam local`` does, so Powertools turns X-Ray tracing off;
- each invocation takes ``duration_s`` simulated seconds (on the calling thread's lane), no real time.
"""

from __future__ import annotations

import collections
import datetime
import decimal
import functools
import importlib.util
import json
import os
import random
import sys
import threading
import traceback
import uuid
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from local import iam
from local.clock import SimClock
from local.faults import LAMBDA_API_FAULTS, LAMBDA_TIMEOUT, FaultPlan, InjectedError


class DeployedFunction(Protocol):
    """The attributes of ``moto.awslambda.models.LambdaFunction`` this module reads."""

    function_name: str
    function_arn: str
    role: str
    handler: str | None
    environment_vars: dict[str, Any]
    memory_size: int
    timeout: int
    run_time: str | None
    region: str


@dataclass(frozen=True)
class FunctionCode:
    """Where a function's code lives on disk: its CodeUri directory, then its layers' ContentUri dirs."""

    code_dir: Path
    layer_dirs: tuple[Path, ...] = ()


@dataclass
class _Container:
    """A warm container: the loaded handler module and the code-directory modules it imported."""

    handler: Any
    private_modules: dict[str, ModuleType] = field(default_factory=dict)


class LambdaContext:
    """The context object the Python runtime passes to handlers (the attributes Powertools reads)."""

    def __init__(
        self, fn: DeployedFunction, request_id: str, log_stream: str, deadline: float, clock: SimClock
    ) -> None:
        self.function_name = fn.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = fn.function_arn
        self.memory_limit_in_mb = int(fn.memory_size)
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{fn.function_name}"
        self.log_stream_name = log_stream
        self.identity = None
        self.client_context = None
        self._deadline = deadline
        self._clock = clock

    def get_remaining_time_in_millis(self) -> int:
        """Measured on the simulated clock, against the function's configured Timeout."""
        return max(0, int((self._deadline - self._clock.now()) * 1000))


class LambdaRuntime:
    """Registry of function code plus the invoke loop; one per local cloud."""

    def __init__(self, clock: SimClock, *, duration_s: float = 1.0, seed: int = 0) -> None:
        self.clock = clock
        self.duration_s = duration_s
        #: Applied over the template's variables, e.g. ``{"POWERTOOLS_LOG_LEVEL": "WARNING"}`` for a quiet demo.
        self.env_overrides: dict[str, str] = {}
        #: Invocations per function name; ``invocations`` is their total.
        self.invocations_by_function: collections.Counter[str] = collections.Counter()
        #: Invocations per clock group (``SimClock.grouped``): what each upload or schedule firing caused.
        self.invocations_by_group: collections.Counter[object] = collections.Counter()
        #: Lambda faults to inject (``local.faults``), keyed by deployed function name.
        self.faults = FaultPlan()
        self._code: dict[str, FunctionCode] = {}
        self._containers: dict[str, _Container] = {}
        self._ids = random.Random(seed)
        self._lock = threading.RLock()  # re-entrant: a handler may invoke another function synchronously

    @property
    def invocations(self) -> int:
        return sum(self.invocations_by_function.values())

    def register(self, function_name: str, code: FunctionCode) -> None:
        """Tell the runtime where a deployed function's code is (``local.deploy`` does this)."""
        with self._lock:
            self._code[function_name] = code
            self._containers.pop(function_name, None)

    def code_of(self, function_name: str) -> FunctionCode | None:
        return self._code.get(function_name)

    def invoke(
        self,
        fn: DeployedFunction,
        body: str | bytes | None,
        request_headers: Mapping[str, str],
        response_headers: dict[str, str],
    ) -> bytes:
        """Invoke like the Lambda service: the response payload, and ``x-amz-function-error`` on failure."""
        invocation_type = _header(request_headers, "x-amz-invocation-type") or "RequestResponse"
        if invocation_type == "DryRun":
            return b""
        fault = self.faults.take(fn.function_name, (*LAMBDA_API_FAULTS, LAMBDA_TIMEOUT))
        if fault in LAMBDA_API_FAULTS:  # the Invoke API itself refuses: the handler never starts
            raise InjectedError(*LAMBDA_API_FAULTS[fault])
        with self._lock:
            self.invocations_by_function[fn.function_name] += 1
            self.invocations_by_group[self.clock.group()] += 1
            request_id = str(uuid.UUID(int=self._ids.getrandbits(128), version=4))
        try:
            if fault == LAMBDA_TIMEOUT:
                raise _InvocationError.timed_out(fn, request_id, self.clock)
            payload, failed = self._run(fn, body, request_id), False
        except _InvocationError as error:
            payload, failed = error.payload, True
        finally:
            self.clock.advance(self.duration_s)
        response_headers["x-amz-executed-version"] = "$LATEST"
        if invocation_type == "Event":  # asynchronous: the caller never sees the result
            return b""
        if failed:
            response_headers["x-amz-function-error"] = "Unhandled"
        return payload

    # -- internals -----------------------------------------------------------------------------------

    def _run(self, fn: DeployedFunction, body: str | bytes | None, request_id: str) -> bytes:
        code = self._code.get(fn.function_name)
        if code is None:
            raise _InvocationError.of(
                "Runtime.LocalCodeNotRegistered",
                f"no local code directory is registered for function {fn.function_name!r}; "
                "deploy it with local.deploy.deploy_stack (or LambdaRuntime.register)",
                request_id,
            )
        try:
            event = json.loads(body) if body else {}
        except ValueError as exc:
            raise _InvocationError.of("Runtime.UnmarshalError", f"Unable to parse payload: {exc}", request_id) from None
        started = self.clock.now()
        stamp = datetime.datetime.fromtimestamp(started, datetime.UTC).strftime("%Y/%m/%d")
        log_stream = f"{stamp}/[$LATEST]{request_id.replace('-', '')}"
        context = LambdaContext(fn, request_id, log_stream, started + float(fn.timeout), self.clock)
        caller = iam.Caller.for_role(fn.role, fn.function_name)  # every AWS call of the handler runs as its role
        with (
            self._lock,
            self._environment(fn, code, log_stream),
            self._code_on_path(fn.function_name, code),
            iam.acting_as(caller),
        ):
            handler = self._handler(fn, code, request_id)
            try:
                result = handler(event, context)
            except Exception as exc:  # any handler error becomes an error payload, as in Lambda
                raise _InvocationError.from_exception(exc, request_id) from None
        try:
            return json.dumps(result, default=_json_default).encode()
        except (TypeError, ValueError) as exc:
            raise _InvocationError.of(
                "Runtime.MarshalError", f"Unable to marshal response: {exc}", request_id
            ) from None

    def _handler(self, fn: DeployedFunction, code: FunctionCode, request_id: str) -> Any:
        container = self._containers.get(fn.function_name)
        if container is not None:
            return container.handler
        module_path, _, function = (fn.handler or "").replace("/", ".").rpartition(".")
        source = code.code_dir / (module_path.replace(".", "/") + ".py")
        if not source.is_file():
            source = source.with_suffix("") / "__init__.py"
        unique_name = f"_lambda_{_identifier(fn.function_name)}__{_identifier(module_path)}"
        try:
            spec = importlib.util.spec_from_file_location(unique_name, source)
            if spec is None or spec.loader is None or not source.is_file():
                raise ModuleNotFoundError(f"No module named '{module_path}' in {code.code_dir}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[unique_name] = module
            spec.loader.exec_module(module)
        except Exception as exc:  # reported as the Python runtime does
            sys.modules.pop(unique_name, None)
            raise _InvocationError.of(
                "Runtime.ImportModuleError", f"Unable to import module '{module_path}': {exc}", request_id
            ) from None
        handler = getattr(module, function, None)
        if not callable(handler):
            raise _InvocationError.of(
                "Runtime.HandlerNotFound", f"Handler '{function}' missing on module '{module_path}'", request_id
            )
        self._containers[fn.function_name] = _Container(handler)
        return handler

    @contextmanager
    def _environment(self, fn: DeployedFunction, code: FunctionCode, log_stream: str) -> Iterator[None]:
        """The variables the Lambda service sets, then the template's, for this thread only."""
        environ = os.environ
        if not isinstance(environ, ThreadEnviron):
            raise RuntimeError("os.environ is not per-thread: invoke functions inside local.deploy.local_cloud()")
        env = {
            **environ.process.copy(),
            "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.run_time}",
            "AWS_REGION": fn.region,
            "AWS_DEFAULT_REGION": fn.region,
            "LAMBDA_TASK_ROOT": str(code.code_dir),
            "_HANDLER": fn.handler or "",
            "AWS_SAM_LOCAL": "true",
            **{key: str(value) for key, value in fn.environment_vars.items()},
            **self.env_overrides,
        }
        with environ.overlay(env):
            yield

    @contextmanager
    def _code_on_path(self, function_name: str, code: FunctionCode) -> Iterator[None]:
        """sys.path as in Lambda (code, then layers), with this function's own modules in place.

        Each Lambda function runs in containers of its own, with its own copy of its code and layers: module
        state (a Powertools ``Metrics`` reading its namespace at import, a cached client) is never shared
        between functions, nor with whatever imported the same files outside the cloud (a unit test). So
        modules loaded from the code or layer directories are kept per container, and copies loaded by
        anyone else are hidden while the handler runs.
        """
        directories = (code.code_dir, *code.layer_dirs)
        container = self._containers.get(function_name)
        private = container.private_modules if container else {}
        foreign = {
            name: module
            for name, module in sys.modules.copy().items()
            if name not in private and not name.startswith("_lambda_") and _is_under_any(module, directories)
        }
        shadowed = {name: sys.modules.get(name) for name in private}
        saved_path = sys.path
        # Rebound, never edited in place: another thread may be iterating sys.path in an import.
        sys.path = [str(code.code_dir), *(str(d) for d in code.layer_dirs), *saved_path]
        for name in foreign:
            sys.modules.pop(name, None)
        sys.modules.update(private)
        before = set(sys.modules.copy())
        try:
            yield
        finally:
            sys.path = saved_path
            container = self._containers.get(function_name)
            for name in set(sys.modules.copy()) - before:
                module = sys.modules.get(name)
                if not name.startswith("_lambda_") and _is_under_any(module, directories):
                    sys.modules.pop(name, None)
                    if container is not None and module is not None:
                        container.private_modules[name] = module
            for name, module in shadowed.items():
                if module is None:
                    sys.modules.pop(name, None)
                else:
                    sys.modules[name] = module
            sys.modules.update(foreign)


class ThreadEnviron(MutableMapping[str, str]):
    """``os.environ`` while the local cloud is open: the process environment, except on a thread running a
    handler (or started by one), which sees its function's environment.

    Swapping the real ``os.environ`` in and out around each invocation would race with every other
    thread: botocore builds a client by iterating ``os.environ`` (proxy settings), and a key deleted
    meanwhile raises ``KeyError`` in a moto thread. Here nothing shared ever changes.
    """

    def __init__(self, process: MutableMapping[str, str]) -> None:
        self.process = process
        self._local = threading.local()

    @property
    def current(self) -> MutableMapping[str, str]:
        """The mapping the calling thread sees; what a thread it starts should inherit."""
        env = getattr(self._local, "env", None)
        return self.process if env is None else env

    @contextmanager
    def overlay(self, env: MutableMapping[str, str]) -> Iterator[None]:
        """Make ``env`` the calling thread's environment for the block."""
        previous, self._local.env = getattr(self._local, "env", None), env
        try:
            yield
        finally:
            self._local.env = previous

    def adopt(self, env: MutableMapping[str, str]) -> None:
        """Called first thing by a new thread: see the environment of the thread that started it."""
        if env is not self.process:
            self._local.env = env

    def __getitem__(self, key: str) -> str:
        return self.current[key]

    def __setitem__(self, key: str, value: str) -> None:
        self.current[key] = value

    def __delitem__(self, key: str) -> None:
        del self.current[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.current))

    def __len__(self) -> int:
        return len(self.current)

    def copy(self) -> dict[str, str]:
        return dict(self.current)


class _InvocationError(Exception):
    """Carries the error payload the Python runtime returns for a failed invocation."""

    def __init__(self, payload: bytes) -> None:
        super().__init__(payload.decode())
        self.payload = payload

    @classmethod
    def of(cls, error_type: str, message: str, request_id: str, stack: list[str] | None = None) -> _InvocationError:
        document = {
            "errorMessage": message,
            "errorType": error_type,
            "requestId": request_id,
            "stackTrace": stack or [],
        }
        return cls(json.dumps(document).encode())

    @classmethod
    def timed_out(cls, fn: DeployedFunction, request_id: str, clock: SimClock) -> _InvocationError:
        """The runtime stopped at the function's Timeout: the payload Lambda returns and whose errorType
        Step Functions reports. The handler is not run (it hangs from its first line); the caller's clock
        moves by the Timeout."""
        clock.advance(float(fn.timeout))
        message = f"RequestId: {request_id} Error: Task timed out after {float(fn.timeout):.2f} seconds"
        return cls.of("Sandbox.Timedout", message, request_id)

    @classmethod
    def from_exception(cls, exc: BaseException, request_id: str) -> _InvocationError:
        """Step Functions names the error after ``errorType``: the exception's class name, unqualified."""
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
        return cls.of(type(exc).__name__, str(exc), request_id, traceback.format_list(frames))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)


def _json_default(value: Any) -> Any:
    """As the Python runtime's encoder: Decimals (from DynamoDB) become numbers."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _identifier(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)


def _is_under_any(module: ModuleType | None, directories: tuple[Path, ...]) -> bool:
    return any(_is_under(module, directory) for directory in directories)


def _is_under(module: ModuleType | None, directory: Path) -> bool:
    filename = getattr(module, "__file__", None)
    return bool(filename) and _within(filename, str(directory))


@functools.cache
def _within(filename: str, directory: str) -> bool:
    """Cached: every invocation asks this for every loaded module, and resolving paths is slow."""
    return Path(filename).resolve().is_relative_to(Path(directory).resolve())
