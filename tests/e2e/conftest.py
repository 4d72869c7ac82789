"""End-to-end fixtures: a freshly deployed local cloud per test (the real template, ASL and handlers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from local.runner import ROOT, LocalPipeline

EXAMPLE_DATA = ROOT / "example" / "data"
EXAMPLE_PARAMS = ROOT / "example" / "params.json"
SEED_PARAMS = ROOT / "example" / "seed-params.json"


@pytest.fixture
def open_pipeline() -> Iterator[Callable[..., LocalPipeline]]:
    """Open a deployed pipeline with the example data uploaded; closed at the end of the test."""
    opened: list[LocalPipeline] = []

    def factory(**options: object) -> LocalPipeline:
        pipeline = LocalPipeline(**options).__enter__()  # type: ignore[arg-type]
        opened.append(pipeline)
        pipeline.upload_data(EXAMPLE_DATA)
        return pipeline

    yield factory
    for pipeline in reversed(opened):
        pipeline.__exit__(None, None, None)


@pytest.fixture
def write_params(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
