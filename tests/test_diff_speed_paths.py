"""``diff --format json``'s data as the plain walk makes it (issue 15: diff at 100k).

``render.as_json`` leaves the lists that hold no figure (a diff's added entries, its
retractions and marks) out of its walk that writes whole figures as integers: the output
must be what the walk over everything gives, and those lists must hold no float.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from condtrack.domain.changes import compare
from condtrack.render import as_json
from tests.test_scoring_reference import bench_tracker


def walked(data: Any) -> Any:
    """The whole-figures walk over everything (plain lists, no list left out)."""
    if isinstance(data, float) and data.is_integer():
        return int(data)
    if isinstance(data, dict):
        return {key: walked(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [walked(value) for value in data]
    return data


def floats_in(data: Any) -> list[float]:
    if isinstance(data, float):
        return [data]
    if isinstance(data, dict):
        return [f for value in data.values() for f in floats_in(value)]
    if isinstance(data, list | tuple):
        return [f for value in data for f in floats_in(value)]
    return []


@pytest.mark.parametrize("since", ["2024-01-01", "2026-08-01"])
@pytest.mark.parametrize("by", ["logged", "event"])
def test_the_diff_json_is_the_fully_walked_one(since: str, by: str) -> None:
    tracker = bench_tracker(400, 1)
    changes = compare(tracker, dt.date.fromisoformat(since), dt.date(2026, 11, 1), by=by)  # type: ignore[arg-type]
    data = as_json.diff_data(changes)
    skipped = [
        value
        for condition in data["conditions"]
        for value in condition.values()
        if type(value) is as_json._Figureless
    ]
    assert skipped and any(skipped)
    assert floats_in(skipped) == []
    assert as_json.dumps(data) == as_json.dumps(walked(data))
