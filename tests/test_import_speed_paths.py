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
  writes what the plain path writes;
- an append whose entries ``serialize_entry`` writes exactly (``written_exactly``) is not
  read back by ``tomllib``: such a block is TOML 1.0 that ``tomllib`` (and the fast reader)
  reads back as the very values written, for hostile text, numbers and times alike; and an
  import that takes that way writes, records and refuses what the read-back way does.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import io
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from bench.generate import generate
from condtrack import textsafe
from condtrack.schema.reports import comparable, reports_of
from condtrack.storage import appending, remembered, slices, snapshot, tomlread
from condtrack.storage.appending import (
    Current,
    _serialize_plain,
    serialize_entry,
    written_exactly,
)
from tests.conftest import SMALL_TRACKER
from tests.fast_path_helpers import (
    PROPERTY,
    deterministic,
    outcome,
    plain_verdict,
    recall,
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
    assert written_exactly(entry)  # and an append of it is not read back


def exactly(value: Any) -> Any:
    """A value with its type, so that 1 and 1.0, 0.0 and -0.0, or the same moment at two
    offsets, differ."""
    if isinstance(value, dict):
        return {key: exactly(item) for key, item in value.items()}
    if isinstance(value, list):
        return [exactly(item) for item in value]
    if isinstance(value, dt.datetime):
        return ("datetime", value.isoformat(), value.utcoffset())
    return (type(value).__name__, repr(value))


# Values at and past the edges of what is written exactly: 64-bit integers, floats that are
# not finite, date-times with offsets of seconds or microseconds, years of one digit.
EDGE_INTEGERS = st.sampled_from([2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 10**30, 0, -1])
OFFSETS = st.timedeltas(dt.timedelta(hours=-23, minutes=-59), dt.timedelta(hours=23, minutes=59))
EDGE_MOMENTS = st.datetimes(timezones=OFFSETS.map(dt.timezone)) | st.datetimes(
    timezones=st.integers(-1439, 1439).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
)
HOSTILE = st.one_of(
    VALUES,
    EDGE_INTEGERS,
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),
    st.sampled_from([0.0, -0.0, 1e16, 1e-320, 5e-324, 1.7976931348623157e308, 0.1]),
    EDGE_MOMENTS,
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
    st.lists(st.text(st.characters(exclude_categories=["Cs"]), max_size=10), max_size=4),
)


# Everything ``written_exactly`` accepts, to its edges: bare keys; any text (controls,
# quotes, backslashes, newlines, hidden and format characters, other planes, long runs);
# 64-bit integers; finite floats; dates from year 1; date-times naive or at any offset of
# whole minutes; lists of such text.
ANY_TEXT = TEXT | st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
EXACT_VALUES = st.one_of(
    ANY_TEXT,
    st.text(st.sampled_from('"\\\n\r\t\x00\x7f\x85\u2028\u202e\U000e0041é'), min_size=500),
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([2**63 - 1, -(2**63), 0, -1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1e16, 1e-320, 5e-324, 1.7976931348623157e308, 0.1]),
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    st.datetimes(),
    st.datetimes(
        timezones=st.integers(-1439, 1439).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
    ),
    st.lists(ANY_TEXT, max_size=4),
)
EXACT_KEYS = KEYS.filter(lambda key: key.isascii() and key.isidentifier()) | st.from_regex(
    r"[A-Za-z0-9_]{1,12}", fullmatch=True
)


@PROPERTY
@given(st.dictionaries(EXACT_KEYS, EXACT_VALUES, max_size=8))
def test_an_entry_written_exactly_reads_back_as_the_values_written(entry: dict[str, Any]) -> None:
    """What lets an append trust its own block unread: tomllib accepts it (TOML 1.0) and
    reads back exactly the values written, as the fast reader does, with either line end."""
    assert written_exactly(entry)
    block = serialize_entry("evidence", entry)
    expected = exactly({"evidence": [entry]})
    for text in (block.decode("utf-8"), block.replace(b"\n", b"\r\n").decode("utf-8")):
        assert exactly(tomlread.loads(text)) == expected
        fast = tomlread._fast()
        if fast is not None:
            assert exactly(fast.loads(text)) == expected


@PROPERTY
@given(st.dictionaries(KEYS, HOSTILE, min_size=1, max_size=8))
def test_an_entry_not_written_exactly_is_read_back_before_it_is_trusted(
    entry: dict[str, Any],
) -> None:
    """Anything else (a key to quote, a boolean, a table, a number or time TOML 1.0 cannot
    hold as it is) is not trusted unread: the append reads its block with tomllib."""
    if written_exactly(entry):
        return
    current = mock.Mock(known=object(), header=mock.Mock(), ids=frozenset(), relief=[])
    with watching(slices, "read_entries") as reads:
        appending._checked_briefly(current, [("evidence", entry)], b"[[evidence]]\n")
    assert len(reads) == 1


def test_what_is_written_exactly_is_named_value_by_value() -> None:
    usual = {"id": "ev-1", "date": dt.date(2025, 1, 2), "summary": '\x00"\\\n\u202e é'}
    usual |= {"tags": ["a", "é"], "value": 2**63 - 1, "logged": dt.datetime.now(dt.UTC)}
    assert written_exactly(usual)
    assert written_exactly(usual | {"value": -1.5e300, "logged": dt.datetime(2025, 1, 1)})
    half_hour = dt.timezone(dt.timedelta(hours=-3, minutes=-30))
    assert written_exactly(usual | {"logged": dt.datetime(2025, 1, 1, tzinfo=half_hour)})
    for odd in (
        {"value": 2**63},
        {"value": float("nan")},
        {"value": float("-inf")},
        {"value": True},
        {"logged": dt.datetime(2025, 1, 1, tzinfo=dt.timezone(dt.timedelta(seconds=30)))},
        {"tags": ["a", 1]},
        {"tags": {"a": "b"}},
        {"x y": "text"},
        {"é": "text"},
    ):
        assert not written_exactly(usual | odd), odd


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


@contextlib.contextmanager
def brief_checks() -> Iterator[list[tuple[bool, int]]]:
    """Each short-way check of an append (``_checked_briefly``): whether it said yes, and
    how many texts tomllib read meanwhile."""
    checks: list[tuple[bool, int]] = []
    real_check, real_loads = appending._checked_briefly, tomlread.loads

    def check(*args: Any, **kwargs: Any) -> Any:
        read: list[str] = []

        def loads(text: str) -> dict[str, Any]:
            read.append(text)
            return real_loads(text)

        with mock.patch.object(tomlread, "loads", loads):
            result = real_check(*args, **kwargs)
        checks.append((result is not None, len(read)))
        return result

    with mock.patch.object(appending, "_checked_briefly", check):
        yield checks


@PROPERTY
@given(st.lists(ROW, min_size=1, max_size=8))
def test_an_import_written_exactly_is_not_read_back_and_lands_as_when_read_back(
    tmp_path_factory: Any, rows: list[dict[str, str]]
) -> None:
    """Onto a record (the log before it leaves one), an import of hostile rows takes the short
    way without tomllib reading its block, and ends as it does when tomllib reads it back:
    the same output, file bytes and refusals, and the same file as the next commands read it."""
    folder = tmp_path_factory.mktemp("import")
    source = folder / "rows.csv"
    source.write_text(rows_csv(rows), encoding="utf-8")
    path = folder / "conditions.toml"
    steps = [
        ("log", "troops", "--summary", "first", "--source", "AP", "--date", "2025-01-01"),
        ("import", str(source), "--skip-duplicates"),
        ("evidence", "--all", "--format", "json"),
        ("validate",),
    ]
    start = SMALL_TRACKER.encode()
    with brief_checks() as exact_checks:
        exact = with_and_without_records(path, start, steps, folder / "c1")
    imported = exact["records"][0][1][0] == 0
    # The import's (the second, with records; the log's is the first): a yes, no tomllib.
    assert len(exact_checks) == 2 + 2 * imported
    assert exact_checks[1] == (True, 0) or not imported
    with (
        mock.patch.object(appending, "written_exactly", lambda entry: False),
        brief_checks() as read,
    ):
        by_tomllib = with_and_without_records(path, start, steps, folder / "c2")
    assert read[1] == (True, 1) or not imported  # the reference read its block back
    assert exact["records"][0] == by_tomllib["records"][0] == exact["plain"][0]
    if imported:  # the record of the result holds what a full read would record
        final = exact["records"][0][1][3]
        known, tracker = recall(final, folder / "c1"), plain_verdict(final, path)
        assert known is not None and not isinstance(tracker, str)
        assert dict(known.reports) == reports_of(tracker.evidence)
        assert known.ids == {e.id for e in tracker.evidence}


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


# --- the builder's models, taken by the append (second pass) ----------------------------------

RELIABILITY = st.sampled_from(["", "B2", "b2", " C3 ", "F6", "X9", "a1"])
GRADED_ROW = ROW.flatmap(lambda row: RELIABILITY.map(lambda grade: {**row, "reliability": grade}))


def graded_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, [*FIELDS, "reliability"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@contextlib.contextmanager
def evidence_validated() -> Iterator[list[int]]:
    """How many evidence entries each ``slices.validated`` call of an append validated."""
    counts: list[int] = []
    real = slices.validated

    def validated(evidence: list[Any], retractions: list[Any], relief: list[Any]) -> Any:
        counts.append(len(evidence))
        return real(evidence, retractions, relief)

    with mock.patch.object(slices, "validated", validated):
        yield counts


@PROPERTY
@given(st.lists(GRADED_ROW, min_size=1, max_size=8))
def test_an_import_takes_the_models_its_checks_made_and_lands_as_when_validated_again(
    tmp_path_factory: Any, rows: list[dict[str, str]]
) -> None:
    """An import onto a record does not validate its entries a second time: the append takes
    the models the row checks made of those very values (any grade, as typed or as the
    checks write it), and ends as when it validates them again: the same output, file bytes,
    refusals and records, and the same file as the next commands read it."""
    folder = tmp_path_factory.mktemp("import")
    source = folder / "rows.csv"
    source.write_text(graded_csv(rows), encoding="utf-8")
    path = folder / "conditions.toml"
    steps = [
        ("log", "troops", "--summary", "first", "--source", "AP", "--date", "2025-01-01"),
        ("import", str(source), "--skip-duplicates"),
        ("evidence", "--all", "--format", "json"),
        ("validate",),
    ]
    start = SMALL_TRACKER.encode()
    with evidence_validated() as counts:
        taken = with_and_without_records(path, start, steps, folder / "c1")
    with mock.patch.object(appending, "_models_given", lambda current, evidence: None):
        again = with_and_without_records(path, start, steps, folder / "c2")
    assert taken["records"][0] == again["records"][0] == taken["plain"][0]
    imported = taken["records"][0][1][0] == 0
    assert not imported or 0 in counts  # the import's entries: none validated again
    if imported:
        final = taken["records"][0][1][3]
        first, second = recall(final, folder / "c1"), recall(final, folder / "c2")
        assert first is not None and second is not None
        assert (first.ids, dict(first.reports), first.relief) == (
            second.ids,
            dict(second.reports),
            second.relief,
        )


def test_an_import_validates_its_entries_once(tmp_path: Path) -> None:
    """The import of rows onto a record: the append validates none of its evidence again
    (it took each row check's model); every entry of the result is one the checks made."""
    rows = [
        {**dict.fromkeys(FIELDS, ""), "condition": "prisoners", "indicator": "held"}
        | {"value": str(n), "date": "2025-02-01", "source": "AP", "summary": f"row {n}"}
        for n in range(3)
    ]
    source = tmp_path / "rows.csv"
    source.write_text(rows_csv(rows), encoding="utf-8")
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    env = {remembered.ENV_CACHE: str(tmp_path / "cache")}
    first = ("log", "troops", "--summary", "first", "--source", "AP", "--date", "2025-01-01")
    ok(run(path, *first, env=env))
    with evidence_validated() as counts:
        result = ok(run(path, "import", str(source), env=env))
    assert counts == [0]
    assert len(result.stdout.split()) == 3


def test_a_row_with_its_own_id_is_not_hashed_for_one(tmp_path: Path) -> None:
    """A row that carries an id (an export's) keeps it, and no id is made from its fields
    (hashing every row for nothing cost an import of 10,000 rows a tenth); a row without one
    gets its stable id, as before."""
    from condtrack.domain.entries import stable_id as real

    rows = [
        {**dict.fromkeys(FIELDS, ""), "condition": "prisoners", "indicator": "held"}
        | {"value": str(n), "date": "2025-02-01", "source": "AP", "summary": f"row {n}"}
        for n in range(2)
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, ["id", *FIELDS], lineterminator="\n")
    writer.writeheader()
    writer.writerows([{"id": "ev-0000000001", **rows[0]}, {"id": "", **rows[1]}])
    source = tmp_path / "rows.csv"
    source.write_text(out.getvalue(), encoding="utf-8")
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    made: list[str] = []

    def stable_id(*args: Any, **kwargs: Any) -> str:
        made.append(real(*args, **kwargs))
        return made[-1]

    with mock.patch("condtrack.domain.importer.stable_id", stable_id):
        result = ok(run(path, "import", str(source)))
    ids = result.stdout.split()
    assert ids[0] == "ev-0000000001"
    assert made == [ids[1]]  # the row without an id only
