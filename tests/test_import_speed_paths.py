"""`import` of many rows at speed (issue 15), held against the plain ways:

- ``appending.serialize_entry`` writes an entry's usual values itself, byte for byte what
  tomli_w (``_serialize_plain``) writes; the import through the CLI writes the same bytes
  with either, with records and without;
- ``schema.reports.comparable`` (the duplicate rule's text) and
  ``textsafe.serialized_escapes`` look at each distinct character once: the same results
  as the rule as written;
- an import into bytes no record vouches for (a snapshot left, the record gone: the file
  checked out again after an import replaced its record) builds the file's ids once (each
  row had built all of them again: minutes for 10,000 rows into 100,000 entries), and
  writes what the plain path writes.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import unicodedata
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from bench.generate import generate
from condtrack import textsafe
from condtrack.schema.reports import comparable
from condtrack.storage import appending, remembered, snapshot
from condtrack.storage.appending import Current, _serialize_plain, serialize_entry
from tests.conftest import SMALL_TRACKER
from tests.fast_path_helpers import (
    PROPERTY,
    deterministic,
    outcome,
    records,
    watching,
    with_and_without_records,
)
from tests.reliability.helpers import ok, run

# Text of every kind: controls, quotes and backslashes, hidden and format characters,
# variation selectors, flags, compatibility forms, other planes (no lone surrogates:
# neither way can encode them).
TEXT = st.text(
    st.one_of(
        st.characters(exclude_categories=["Cs"]),
        st.sampled_from('"\\\t\n\r\b\f\x7f\x85\u200b\u2028\ufe0f\u202e\U000e0067\U0001f3f4'),
    ),
    max_size=30,
)
MOMENTS = (
    st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=2))]))
    | st.datetimes()
)
VALUES = st.one_of(
    TEXT,
    st.integers(),
    st.floats(),
    st.booleans(),
    st.dates(),
    MOMENTS,
    st.lists(TEXT, max_size=4),
    st.lists(st.integers() | TEXT, max_size=3),
    st.dictionaries(st.sampled_from(["a", "b"]), TEXT, max_size=2),
)
KEYS = st.sampled_from(["id", "summary", "tags", "value", "logged", "for", "a-b", "é", "x y"])


def written(write: Any, entry: dict[str, Any]) -> bytes | str:
    try:
        block: bytes = write("evidence", entry)
        return block
    except Exception as error:  # both ways must refuse alike
        return type(error).__name__


@PROPERTY
@given(st.dictionaries(KEYS, VALUES, max_size=6))
def test_an_entry_is_written_as_tomli_w_writes_it(entry: dict[str, Any]) -> None:
    assert written(serialize_entry, entry) == written(_serialize_plain, entry)


@PROPERTY
@given(
    summary=TEXT,
    tags=st.lists(TEXT.filter(lambda t: t.strip() != ""), max_size=3),
    value=st.integers(-(10**6), 10**6) | st.floats(allow_nan=False, allow_infinity=False),
    logged=st.datetimes(timezones=st.just(dt.UTC)),
)
def test_an_entrys_usual_values_never_take_tomli_ws_way(
    summary: str, tags: list[str], value: float, logged: dt.datetime
) -> None:
    entry = {"id": "ev-0", "date": dt.date(2025, 1, 2), "summary": summary, "tags": tags}
    entry |= {"value": value, "logged": logged}
    with mock.patch.object(appending, "_serialize_plain") as plain:
        block = serialize_entry("evidence", entry)
    assert not plain.called
    assert block == _serialize_plain("evidence", entry)


def comparable_as_written(value: Any) -> str:
    """``comparable``'s rule, character by character (as it was written at first)."""
    text = str(value)
    if text.isascii():
        return " ".join(text.lower().split())
    ignorable = textsafe._IGNORABLE.fullmatch
    visible = "".join(c for c in text if unicodedata.category(c) != "Cf" and not ignorable(c))
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", visible).casefold())
    return " ".join("".join(c for c in folded if not ignorable(c)).split())


@PROPERTY
@given(st.text(st.characters()) | TEXT)
def test_comparable_text_follows_the_rule(text: str) -> None:
    assert comparable(text) == comparable_as_written(text)


def escapes_as_written(serialized: str, json: bool) -> str:
    """``serialized_escapes`` with the scan of the whole text it made at first."""
    if textsafe._SERIALIZED_ANY.search(serialized) is None:
        return serialized
    with mock.patch.object(textsafe, "_any_serialized_unsafe", lambda text: True):
        return textsafe.serialized_escapes(serialized, json=json)


@PROPERTY
@given(st.text(st.characters()) | TEXT, st.booleans())
def test_serialized_escapes_find_what_a_scan_finds(text: str, json: bool) -> None:
    assert textsafe.serialized_escapes(text, json=json) == escapes_as_written(text, json)


# --- the import through the CLI ---------------------------------------------------------------

FIELDS = ["condition", "indicator", "value", "date", "source", "url", "summary", "tags"]


def rows_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


ROW = st.fixed_dictionaries(
    {
        "condition": st.just("prisoners"),
        "indicator": st.just("held"),
        "value": st.integers(0, 5000).map(str),
        "date": st.dates(dt.date(2024, 1, 1), dt.date(2025, 12, 31)).map(str),
        "source": TEXT.filter(lambda t: t.strip() != "" and "\n" not in t and "\r" not in t),
        "url": st.just(""),
        "summary": TEXT.filter(lambda t: t.strip() != "" and "\r" not in t),
        "tags": st.lists(st.sampled_from(["a", "b", "é"]), max_size=2).map(";".join),
    }
)


@PROPERTY
@given(st.lists(ROW, min_size=1, max_size=8))
def test_an_import_writes_what_tomli_w_and_the_plain_path_write(
    tmp_path_factory: Any, rows: list[dict[str, str]]
) -> None:
    folder = tmp_path_factory.mktemp("import")
    source = folder / "rows.csv"
    source.write_text(rows_csv(rows), encoding="utf-8")
    path = folder / "conditions.toml"
    steps = [
        ("log", "troops", "--summary", "first", "--source", "AP", "--date", "2025-01-01"),
        ("import", str(source), "--skip-duplicates"),
    ]
    ways = with_and_without_records(path, SMALL_TRACKER.encode(), steps, folder / "cache")
    with mock.patch.object(appending, "serialize_entry", _serialize_plain):
        by_tomli_w = with_and_without_records(path, SMALL_TRACKER.encode(), steps, folder / "c2")
    assert ways["records"][0] == ways["plain"][0] == by_tomli_w["records"][0]
    assert ways["records"][0][-1][0] in (0, 2)


@functools.cache
def generated(n: int) -> bytes:
    return generate(n, 3).encode("utf-8")


def import_rows(n: int) -> str:
    """Rows of new reports for the generated tracker: its own entries, reworded."""
    import tomllib

    rows = []
    for entry in tomllib.loads(generate(n, 4))["evidence"]:
        if "supersedes" not in entry:
            row = {k: str(entry.get(k, "")) for k in FIELDS if k != "tags"}
            row["tags"] = ";".join(entry.get("tags", []))
            row["summary"] = "Imported: " + row["summary"]
            rows.append(row)
    return rows_csv(rows)


def test_an_import_onto_a_snapshot_without_a_record_writes_what_the_plain_path_writes(
    tmp_path: Path, private_cache: Path
) -> None:
    """The file checked out again after an import replaced its record: its snapshot remains,
    its record does not. The import reads the file in full (from the snapshot; the ids it
    checks every row against are built once: ``test_the_ids_..._are_built_once``) and writes
    what the plain path writes."""
    start = generated(300)
    path = tmp_path / "conditions.toml"
    source = tmp_path / "rows.csv"
    source.write_text(import_rows(40), encoding="utf-8")
    path.write_bytes(start)
    ok(run(path, "status", "--format", "json"))  # a record and a snapshot of these bytes
    assert remembered.recall(start) is not None
    for record in records(private_cache):
        record.unlink()
    assert remembered.recall(start) is None
    assert snapshot.recall(start) is not None
    with deterministic(), watching(Current, "read_in_full") as full_reads:
        fast = outcome(run(path, "import", str(source)), path)
    assert fast[0] == 0, fast[2]
    assert len(full_reads) >= 1  # no record: the file was read in full
    path.write_bytes(start)
    with deterministic():
        plain = outcome(run(path, "import", str(source), env={remembered.ENV_CACHE: ""}), path)
    assert fast == plain


def test_the_ids_of_a_file_read_in_full_are_built_once(tmp_path: Path) -> None:
    path = tmp_path / "conditions.toml"
    path.write_bytes(generated(30))
    current = Current(path, path.read_bytes(), None)
    first = current.ids
    assert current.ids is first
    tracker = current.tracker
    assert first == {e.id for e in tracker.evidence} | {r.id for r in tracker.relief}
