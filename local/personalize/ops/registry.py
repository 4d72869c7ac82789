"""The table from an operation's name to the function that runs it; each ops module adds its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models import RegionState

#: ``handler(state, params, now) -> response body`` for one account and region at simulated time ``now``.
Handler = Callable[["RegionState", dict, float], dict]

HANDLERS: dict[str, Handler] = {}


def operation(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the implementation of Personalize operation ``name``."""

    def register(handler: Handler) -> Handler:
        if name in HANDLERS:
            raise AssertionError(f"{name} is implemented twice: {HANDLERS[name].__module__} and {handler.__module__}")
        HANDLERS[name] = handler
        return handler

    return register
