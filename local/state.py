"""The local cloud's state on disk: ``python -m local run --state DIR`` saves it, a later ``run --state DIR``
or ``python -m local recommend --state DIR`` picks it up.

What is kept is what a later run or query needs: every Personalize resource of the emulator with its data
(imports, recorded events, trained models), the objects of the pipeline's bucket (data files, batch
input and output) and the simulated time reached, so the next run starts after the last one. The stack
itself is deployed again from template.yaml each time (the template may have changed); Step Functions
history and e-mails are not kept.

The file is a pickle of the emulator's own objects, versioned by ``FORMAT``: it is a local working file
of this tool, trusted like the repository itself, never something to load from elsewhere.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Bumped whenever what is saved changes shape: an older file is refused with a clear message.
FORMAT = 1
FILE_NAME = "local-cloud.pickle"


class StateError(RuntimeError):
    """The state directory cannot be used (missing, from another version, unreadable)."""


@dataclass
class SavedState:
    #: The simulated time reached (epoch seconds): a later run starts there.
    sim_time: float
    #: ``PersonalizeEmulator.snapshot()``.
    personalize: dict[tuple[str, str], Any]
    #: Key -> bytes of every object of the pipeline's bucket.
    bucket: dict[str, bytes] = field(default_factory=dict)
    format: int = FORMAT


def path_of(directory: Path) -> Path:
    return directory / FILE_NAME


def exists(directory: Path) -> bool:
    return path_of(directory).is_file()


def load(directory: Path) -> SavedState:
    path = path_of(directory)
    if not path.is_file():
        raise StateError(
            f"--state {directory}: no saved local cloud there; run `python -m local run --state {directory}`"
        )
    try:
        with path.open("rb") as handle:
            saved = pickle.load(handle)  # noqa: S301 - the tool's own working file, see the module docstring
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as error:
        raise StateError(f"--state {directory}: {FILE_NAME} cannot be read ({error}); remove the directory") from error
    if not isinstance(saved, SavedState) or saved.format != FORMAT:
        raise StateError(
            f"--state {directory}: {FILE_NAME} was saved by another version of the local cloud; remove the directory"
        )
    return saved


def save(directory: Path, saved: SavedState) -> Path:
    """Write atomically: an interrupted save leaves the previous state intact."""
    directory.mkdir(parents=True, exist_ok=True)
    path = path_of(directory)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".local-cloud-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            pickle.dump(saved, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
