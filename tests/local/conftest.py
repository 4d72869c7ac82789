"""Fixtures shared by the Personalize emulator tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.personalize.testing import Sandbox, sandbox


@pytest.fixture
def box(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A fresh emulator inside moto, with fake credentials and a non-retrying boto3 client."""
    with sandbox(monkeypatch) as created:
        yield created
