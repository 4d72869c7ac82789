"""The Personalize operations, one module per resource kind: its operations, lifecycle and rules.

Each operation is a function ``(state, params, now) -> response body`` registered under its API name with
``@operation``; ``RegionState`` (models.py) holds the stores and the helpers they share and dispatches
through ``HANDLERS``. Importing this package registers every module's operations.
"""

from . import (  # noqa: F401  (imported to register their operations)
    batch_jobs,
    campaigns,
    dataset_groups,
    datasets,
    event_trackers,
    events,
    filters,
    import_jobs,
    recipes,
    recommenders,
    runtime,
    schemas,
    solution_versions,
    solutions,
    tags,
)
from .registry import HANDLERS, Handler, operation

__all__ = ["HANDLERS", "Handler", "operation"]
