"""Fixtures for the reliability suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.helpers import TRACKER, WITH_EVIDENCE


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    """A tracker with three conditions and no evidence."""
    path = tmp_path / "conditions.toml"
    path.write_text(TRACKER, encoding="utf-8")
    return path


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    """The same tracker with evidence, an amendment and a retraction already in it."""
    path = tmp_path / "conditions.toml"
    path.write_text(WITH_EVIDENCE, encoding="utf-8")
    return path
