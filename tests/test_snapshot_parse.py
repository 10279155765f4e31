"""A snapshot is parsed by pydantic-core's JSON parser (issue 15, second round): the same
values as ``json.loads`` gives for everything condtrack writes, and ``ValueError`` (so a
full read, never an error) for anything that is not JSON.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from condtrack.storage import snapshot
from tests.fast_path_helpers import PROPERTY

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(exclude_categories=["Cs"])),  # checked text has no lone surrogate
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=30,
)


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 is not 1.0, -0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


@PROPERTY
@given(document=DOCUMENTS)
def test_what_a_snapshot_holds_parses_as_json_loads_reads_it(document: Any) -> None:
    body = snapshot._encode(document)
    assert same(snapshot._parsed(body), json.loads(body))
    assert same(snapshot._parsed(body), document)


@pytest.mark.parametrize(
    "payload",
    [b"", b"[1,", b"\xff\xfe", b"[1] [2]", b'["\\ud800"]', b"[1, 2", b"{'a': 1}", b"[01]"],
    ids=["empty", "cut", "not-utf8", "two", "lone-surrogate", "open", "single-quotes", "zero"],
)
def test_anything_that_is_not_json_raises_value_error(payload: bytes) -> None:
    with pytest.raises(ValueError):
        snapshot._parsed(payload)
