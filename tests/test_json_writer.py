"""Every JSON output is written by pydantic-core's writer (issue 15: `diff` at 100k).

Python's ``json.dumps`` cannot indent in C: at 100,000 entries it spent a twentieth of a
second writing a diff. ``render.as_json.dumps`` now writes with pydantic-core (Rust) and
must read back as exactly what the old writer wrote (``old_dumps``, a verbatim copy),
byte for byte but for the spelling of some floats, never failing where it did not.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import types
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from condtrack.render import as_json
from condtrack.textsafe import serialized_escapes
from tests.conftest import REPO
from tests.reliability.helpers import ok, run

SHIPPED = REPO / "conditions.toml"


def old_dumps(data: Any) -> str:
    """``as_json.dumps`` as it was before pydantic-core wrote it (verbatim)."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=as_json._default)
    return serialized_escapes(text, json=True) + "\n"


def parsed(text: str) -> Any:
    """The JSON's value, NaN and infinities as their spelling (NaN is unequal to itself)."""
    return json.loads(text, parse_constant=lambda name: f"constant {name}")


def has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(has_float(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(has_float(v) for v in value)
    return False


# Text of every kind: controls, DEL and C1, line separators, beyond the first plane, and
# lone surrogates (what a command line's undecodable bytes become).
text = st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=12)
leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**200), max_value=2**200)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=-1e-3, max_value=1e-3)
    | text
    | st.dates()
)
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.lists(inner, max_size=3).map(as_json._Figureless)
        | st.dictionaries(text, inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=400)
@given(values)
@example({"id": "ev-1", "value": 1e-7, "big": 10**30, "tiny": 3.7e-05, "neg": -0.0})
@example(["\udcff", {"\ud800": "x"}])  # lone surrogates: Python's path, as before
@example({"nan": math.nan, "inf": math.inf, "-inf": -math.inf})
@example({"text": 'a\x00\x1f\x7f\x85\u2028\u202e\ufeff😀é\\"/'})
@example(as_json._Figureless([{"date": dt.date(1, 1, 1)}, dt.date(9999, 12, 31)]))
def test_the_writer_reads_back_as_the_old_one_wrote(value: Any) -> None:
    new, old = as_json.dumps(value), old_dumps(value)
    assert parsed(new) == parsed(old)
    if not has_float(value):
        assert new == old  # the same bytes: only a float may be spelled otherwise
    else:  # the same layout: the lines differ only where a number is
        assert len(new.splitlines()) == len(old.splitlines())
    # Whatever the old writer escaped (C1 controls, hidden characters) stays escaped.
    assert new.isascii() == old.isascii()
    assert new.endswith("}\n") or new.endswith("]\n") or "\n" not in new[:-1]


def test_what_neither_writer_knows_fails_as_it_did() -> None:
    with pytest.raises(TypeError, match="cannot encode object"):
        as_json.dumps({"x": object()})


class _NoPythonJson(types.SimpleNamespace):
    """Stands in for the json module in ``render.as_json``: its writer must not be used."""

    @staticmethod
    def dumps(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("Python's json writer wrote a command's output")


COMMANDS = [
    ("status", "--format", "json", "--as-of", "2026-11-01"),
    ("diff", "--since", "2026-08-01", "--until", "2026-11-01", "--format", "json"),
    ("diff", "--since", "2026-08-01", "--by", "event", "--format", "json"),
    ("report", "--format", "json", "--as-of", "2026-11-01", "--since", "2026-06-01"),
    ("check", "--format", "json", "--as-of", "2026-11-01"),
    ("conditions", "--format", "json"),
    ("evidence", "--format", "json"),
    ("relief", "list", "--format", "json"),
    ("validate", "--format", "json"),
]


@pytest.mark.parametrize(
    "args", COMMANDS, ids=[" ".join(c[:2]) + f" {i}" for i, c in enumerate(COMMANDS)]
)
def test_every_json_output_is_pydantic_cores_and_reads_as_before(
    args: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = tmp_path / "conditions.toml"
    tracker.write_bytes(SHIPPED.read_bytes())
    monkeypatch.setattr(as_json, "dumps", old_dumps)
    before = run(tracker, *args)
    monkeypatch.undo()
    monkeypatch.setattr(as_json, "json", _NoPythonJson())
    now = run(tracker, *args)
    assert now.exit_code == before.exit_code, (now.output, now.exception)
    assert now.stdout.lstrip().startswith(("{", "["))
    assert parsed(now.stdout) == parsed(before.stdout)
    assert now.stdout == before.stdout  # the shipped file holds no float spelled otherwise


def test_relief_list_keeps_its_logged_times_offset(tmp_path: Path) -> None:
    """``relief list`` wrote each entry's ``logged`` as Python spells it (``+00:00``);
    pydantic-core would spell a time ``Z``, so it is given as text, as before."""
    tracker = tmp_path / "conditions.toml"
    tracker.write_bytes(SHIPPED.read_bytes())
    listed = json.loads(ok(run(tracker, "relief", "list", "--format", "json")).stdout)
    assert listed and all(
        row["logged"] is None
        or dt.datetime.fromisoformat(row["logged"]).isoformat() == row["logged"]
        for row in listed
    )
    assert any(str(row["logged"]).endswith("+00:00") for row in listed)
