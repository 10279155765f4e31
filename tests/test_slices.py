"""Reading slice by slice (``condtrack.storage.slices``) gives exactly the plain path's results:
on generated trackers, on hypothesis-generated documents, and on files built to trip the
slicer. The plain path reads the whole document and checks it at once."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st

from bench.generate import generate
from condtrack.schema.models import Tracker
from condtrack.storage import slices, snapshot, store
from condtrack.storage.appending import serialize_entry
from tests.conftest import SMALL_TRACKER
from tests.fast_path_helpers import (
    AS_OF,
    EARLY_AS_OF,
    PROPERTY,
    SMALL_SLICES,
    assert_same,
    assert_same_run,
    plain_path_only,
    plain_verdict,
    read_verdict,
    real_run,
    to_crlf,
    watching,
)
from tests.reliability.helpers import (
    ok,
    one_line_error,
    run,
)
from tests.reliability.test_roundtrip import trackers

# --- 1. reading generated trackers slice by slice ------------------------------------------


@functools.cache
def generated(n: int, seed: int) -> bytes:
    return generate(n, seed).encode("utf-8")


LINE_ENDINGS: dict[str, Callable[[bytes], bytes]] = {
    "lf": lambda data: data,
    "crlf": to_crlf,
    "bom": lambda data: b"\xef\xbb\xbf" + data,
    "bom-crlf": lambda data: b"\xef\xbb\xbf" + to_crlf(data),
}


@pytest.mark.parametrize("slice_bytes", [None, SMALL_SLICES], ids=["1MiB", "200B"])
@pytest.mark.parametrize("endings", sorted(LINE_ENDINGS))
@pytest.mark.parametrize(("n", "seed"), [(50, 1), (400, 7), (2000, 3)])
def test_a_generated_tracker_reads_the_same_in_slices(
    n: int,
    seed: int,
    endings: str,
    slice_bytes: int | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if slice_bytes is not None:
        monkeypatch.setattr(slices, "SLICE_BYTES", slice_bytes)
    data = LINE_ENDINGS[endings](generated(n, seed))
    expected = plain_verdict(data, tmp_path / "conditions.toml")
    assert isinstance(expected, Tracker), expected
    assert len(expected.evidence) == n
    assert any(e.value is not None for e in expected.evidence)  # indicator observations
    assert any(e.status is not None for e in expected.evidence)  # assessments
    if n >= 400:
        assert expected.retractions  # retractions, some into earlier slices

    fast = slices.read_tracker(data)

    assert fast is not None, "a valid generated tracker must be read slice by slice"
    assert_same(fast, expected)
    head = slices.head_length(data)
    assert head is not None
    pieces = list(slices.entry_slices(data, head))
    assert b"".join(pieces) == data[head:]
    if slice_bytes is not None:  # really many slices, each starting at an entry table
        assert len(pieces) >= n
        assert all(p.startswith((b"[[evidence]]", b"[[retractions]]")) for p in pieces)


def test_commands_on_a_generated_tracker_show_the_plain_paths_results(tmp_path: Path) -> None:
    path = tmp_path / "conditions.toml"
    path.write_bytes(generated(400, 7))
    commands = [
        ("status", "--format", "json", "--as-of", AS_OF),
        ("evidence", "--all", "--format", "json"),
        ("explain", "political-prisoners", "--as-of", AS_OF),
    ]
    # Snapshots (test_snapshot.py) would spare the later commands the read held here.
    no_snapshots = mock.patch.object(snapshot, "recall", lambda data, **plain: None)
    with watching(slices, "read_tracker") as reads, no_snapshots:
        fast = [run(path, *command) for command in commands]
    assert len(reads) == len(commands) and all(r is not None for r in reads), "not sliced"
    with plain_path_only():
        plain = [run(path, *command) for command in commands]
    for fast_run, plain_run in zip(fast, plain, strict=True):
        ok(plain_run)
        assert_same_run(fast_run, plain_run)

    # A real process (its own interpreter and reader) prints the plain path's verdict too.
    process = real_run(path, *commands[0])
    assert process.stdout == plain[0].stdout
    assert json.loads(process.stdout)["as_of"] == AS_OF


# --- 1b. hypothesis-generated documents -----------------------------------------------------


@st.composite
def written_by_condtrack(draw: st.DrawFn) -> tuple[bytes, int]:
    """A round-trip document laid out as condtrack writes one: the head by tomli_w, then one
    table per entry, retractions anywhere among the evidence (even before what they
    retract); and how many entry tables it holds."""
    doc = draw(trackers())
    head = {k: v for k, v in doc.items() if k not in ("evidence", "retractions")}
    blocks = [serialize_entry("evidence", entry) for entry in doc.get("evidence", [])]
    for retraction in doc.get("retractions", []):
        blocks.insert(draw(st.integers(0, len(blocks))), serialize_entry("retractions", retraction))
    text = tomli_w.dumps(head).encode("utf-8") + b"\n" + b"\n".join(blocks)
    return text, len(blocks)


@PROPERTY
@given(
    written=written_by_condtrack(),
    crlf=st.booleans(),
    bom=st.booleans(),
    slice_bytes=st.sampled_from([SMALL_SLICES, slices.SLICE_BYTES]),
)
def test_a_document_condtrack_wrote_reads_the_same_in_slices(
    written: tuple[bytes, int], crlf: bool, bom: bool, slice_bytes: int
) -> None:
    data, tables = written
    data = (b"\xef\xbb\xbf" if bom else b"") + (to_crlf(data) if crlf else data)
    expected = plain_verdict(data, Path("conditions.toml"))
    assert isinstance(expected, Tracker), expected

    with mock.patch.object(slices, "SLICE_BYTES", slice_bytes):
        fast = slices.read_tracker(data)
        loaded = read_verdict(data, Path("conditions.toml"))

    if tables == 0:
        assert fast is None  # nothing to slice: the plain path reads it
    else:
        assert fast is not None, "a valid file of entry tables must be read slice by slice"
        assert_same(fast, expected)
    assert_same(loaded, expected)


@PROPERTY
@given(
    doc=trackers(),
    multiline=st.booleans(),
    crlf=st.booleans(),
    bom=st.booleans(),
    slice_bytes=st.sampled_from([SMALL_SLICES, slices.SLICE_BYTES]),
)
def test_any_dumped_document_reads_the_same_in_slices_or_not_at_all(
    doc: dict[str, Any], multiline: bool, crlf: bool, bom: bool, slice_bytes: int
) -> None:
    """tomli_w's own layout: short arrays inline, and (with ``multiline``) text containing a
    ``[[evidence]]`` line written as such inside a multi-line string."""
    data = tomli_w.dumps(doc, multiline_strings=multiline).encode("utf-8")
    data = (b"\xef\xbb\xbf" if bom else b"") + (to_crlf(data) if crlf else data)
    path = Path("conditions.toml")
    expected = plain_verdict(data, path)
    if not (multiline and crlf):  # CRLF inside a multi-line string changes the text itself
        assert isinstance(expected, Tracker), expected

    with mock.patch.object(slices, "SLICE_BYTES", slice_bytes):
        fast = slices.read_tracker(data)
        loaded = read_verdict(data, path)

    if isinstance(expected, str):
        assert fast is None
    elif fast is not None:
        assert_same(fast, expected)
    assert_same(loaded, expected)


# --- 2. files built to trip the slicer ------------------------------------------------------


def entry(
    number: int,
    *,
    header: str = "[[evidence]]",
    entry_id: str | None = None,
    condition: str = "troops",
    summary: str | None = None,
    extra: str = "",
) -> str:
    """One hand-written evidence table of about 200 bytes."""
    text = summary if summary is not None else f'"Entry {number}: a few words to fill a slice."'
    return (
        f"{header}\n"
        f'id = "{entry_id or f"ev-{number:04d}"}"\n'
        f'condition = "{condition}"\n'
        f"date = 2025-01-{number % 28 + 1:02d}\n"
        'source = "Monitor"\n'
        'reliability = "B2"\n'
        f"summary = {text}\n"
        f"{extra}"
        f"logged = 2025-02-01T09:{number % 60:02d}:00Z\n"
    )


def entries(numbers: range, **overrides: dict[str, Any]) -> str:
    """Entries ``numbers``, with per-number keyword overrides for ``entry``."""
    return "\n".join(entry(n, **overrides.get(str(n), {})) for n in numbers)


def tracker(*parts: str, head: str = SMALL_TRACKER) -> str:
    return head + "\n" + "\n".join(parts)


FAKE_HEADER_BASIC = '"""\nBefore the line.\n[[evidence]]\nid = "ev-fake"\nAfter it.\n"""'
FAKE_HEADER_LITERAL = "'''\nQuoted:\n[[retractions]]\n[[evidence]]\n'''"
HEAD_WITH_FAKE_HEADER = SMALL_TRACKER.replace(
    'subject = "Testland"\n',
    'subject = "Testland"\ndescription = """\nNotes.\n[[evidence]]\n[[retractions]]\n"""\n',
)
HEAD_WITH_FAKE_LITERAL = SMALL_TRACKER.replace(
    'subject = "Testland"\n', "subject = \"Testland\"\ndescription = '''\n[[evidence]]\n'''\n"
)
INLINE = (
    'evidence = [{ id = "ev-inline", condition = "troops", date = 2025-01-02, '
    'source = "Monitor", summary = "Inline.", logged = 2025-02-01T09:00:00Z }]\n'
)
LATE_CONDITION = """
[[conditions]]
id = "late"
title = "Defined after the evidence"

[[conditions.criteria]]
id = "late-criterion"
text = "Holds."
"""
RETRACT_0001 = '[[retractions]]\nevidence = "ev-0001"\nreason = "Wrong."\ndate = 2025-02-02\n'

# name: (file content, None if it is a valid tracker else a fragment of the plain error)
ADVERSARIAL: dict[str, tuple[str | bytes, str | None]] = {
    # valid files: the slicer must read them as the whole document reads
    "basic multi-line string holding a header line": (
        tracker(entries(range(1, 9), **{"4": {"summary": FAKE_HEADER_BASIC}})),
        None,
    ),
    "literal multi-line string holding header lines": (
        tracker(entries(range(1, 9), **{"6": {"summary": FAKE_HEADER_LITERAL}})),
        None,
    ),
    "header line in a multi-line string in the head": (
        tracker(entries(range(1, 5)), head=HEAD_WITH_FAKE_HEADER),
        None,
    ),
    "header line in a literal string in the head": (
        tracker(entries(range(1, 5)), head=HEAD_WITH_FAKE_LITERAL),
        None,
    ),
    "header line in a multi-line string, CRLF": (
        tracker(entries(range(1, 9), **{"8": {"summary": FAKE_HEADER_BASIC}})).replace(
            "\n", "\r\n"
        ),
        None,
    ),
    "[[conditions]] after evidence": (
        tracker(
            entries(range(1, 5), **{"2": {"condition": "late"}}),
            LATE_CONDITION,
            entries(range(5, 9), **{"7": {"condition": "late"}}),
        ),
        None,
    ),
    "[[conditions.criteria]] after evidence": (
        tracker(
            entries(range(1, 5)),
            '[[conditions.criteria]]\nid = "late-criterion"\ntext = "Joins prisoners."\n',
            entry(5, condition="prisoners", extra='criterion = "late-criterion"\n'),
        ),
        None,
    ),
    "headers with spaces, comments, indents and quotes": (
        tracker(
            entry(1),
            entry(2, header="[[ evidence ]]"),
            entry(3, header="[[evidence]]  # hand-written"),
            entry(4, header="  [[evidence]]"),
            entry(5, header='[["evidence"]]'),
            entry(6, header="[[evidence]]\t"),
            RETRACT_0001.replace("[[retractions]]", "[[ retractions ]] # oops"),
            entry(7),
        ),
        None,
    ),
    "a retraction of an entry several slices back": (
        tracker(entries(range(1, 9)), RETRACT_0001),
        None,
    ),
    "a retraction before the entry it retracts": (
        tracker(entry(1), RETRACT_0001.replace("ev-0001", "ev-0008"), entries(range(2, 9))),
        None,
    ),
    "an amendment of an entry several slices back": (
        tracker(
            entries(range(1, 8)),
            entry(8, extra='supersedes = "ev-0001"\nreason = "Corrected."\n'),
        ),
        None,
    ),
    "no final newline": (tracker(entries(range(1, 6))).rstrip("\n"), None),
    "BOM and CRLF": ("\ufeff" + tracker(entries(range(1, 6))).replace("\n", "\r\n"), None),
    "inline evidence array, no entry tables": (INLINE + tracker(), None),
    "inline evidence array, then [[retractions]]": (
        INLINE + tracker(RETRACT_0001.replace("ev-0001", "ev-inline")),
        None,
    ),
    "quoted header keys, one with an escape": (
        tracker(
            entries(range(1, 4)),
            entry(4, header='[["\\u0065vidence"]]'),
            entry(5, header="[['evidence']]"),
            entry(6),
        ),
        None,
    ),
    "a header line after a line-ending backslash": (
        tracker(entries(range(1, 4)), entry(4, summary='"""a \\\n\n[[evidence]]\n b"""'), entry(5)),
        None,
    ),
    # invalid files: the same error, word for word
    "inline evidence array, then [[evidence]]": (
        INLINE + tracker(entries(range(1, 4))),
        "malformed TOML",
    ),
    "[tracker] redefined after the entries": (
        tracker(entries(range(1, 6)), '[tracker]\nschema = 1\ntitle = "Again"\n'),
        "malformed TOML",
    ),
    "[tracker.extra] after the entries": (
        tracker(entries(range(1, 6)), "[tracker.extra]\nnote = 1\n"),
        "unknown field",
    ),
    "[evidence.x] sub-table": (
        tracker(entries(range(1, 6)), '[evidence.note]\ntext = "Attached."\n', entry(6)),
        "unknown field",
    ),
    "[[evidence.x]] sub-table array": (
        tracker(entries(range(1, 6)), '[[evidence.notes]]\ntext = "Attached."\n', entry(6)),
        "unknown field",
    ),
    "[evidence] as a plain table": (
        tracker(entries(range(1, 6)), "[evidence]\nnote = 1\n"),
        "malformed TOML",
    ),
    "[retractions] as a plain table": (
        tracker(entries(range(1, 6)), '[retractions]\nevidence = "ev-0001"\n'),
        "must be a list of [[retractions]] tables",
    ),
    "an entry failing validation in a late slice": (
        tracker(entries(range(1, 9)), entry(9, extra='url = "ftp://nowhere"\n'), entry(10)),
        "not an http(s) URL",
    ),
    "a required field missing in the last slice": (
        tracker(entries(range(1, 9)), entry(9).replace('source = "Monitor"\n', "")),
        "'source': is required",
    ),
    "duplicate ids across slices": (
        tracker(entries(range(1, 9)), entry(9, entry_id="ev-0002")),
        "'ev-0002' is used twice",
    ),
    "a retraction of an unknown id": (
        tracker(entries(range(1, 9)), RETRACT_0001.replace("ev-0001", "ev-9999")),
        "retracts unknown evidence 'ev-9999'",
    ),
    "an amendment before the entry it amends": (
        tracker(
            entry(1, extra='supersedes = "ev-0008"\nreason = "Early."\n'),
            entries(range(2, 9)),
        ),
        "supersedes unknown evidence 'ev-0008'",
    ),
    "an unknown table after the entries": (
        tracker(entries(range(1, 6)), '[notes]\ntext = "Mine."\n'),
        "unknown table or key 'notes'",
    ),
    "an unterminated multi-line string in the last slice": (
        tracker(entries(range(1, 6)), entry(6, summary='"""\nNever closed.\n')),
        "malformed TOML",
    ),
    "a key given twice in one entry": (
        tracker(entries(range(1, 6)), entry(6, extra='source = "Again"\n')),
        "malformed TOML",
    ),
    "invalid UTF-8 in a late slice": (
        tracker(entries(range(1, 8))).encode("utf-8") + entry(8).encode("utf-8")[:-12] + b"\xff\n",
        "not valid UTF-8",
    ),
    "an invalid head before valid entries": (
        tracker(entries(range(1, 6))).replace("schema = 1", "schema = 4"),
        "schema 4 is not supported",
    ),
    "a BOM before a header in the middle": (
        tracker(entries(range(1, 4)), "\ufeff" + entry(4)),
        "malformed TOML",
    ),
    "a bare CR ending a line": (
        tracker(entries(range(1, 6))).replace('source = "Monitor"\n', 'source = "Monitor"\r', 4),
        "malformed TOML",
    ),
    "a key on the header's line": (
        tracker(entries(range(1, 4)), entry(4, header='[[evidence]] id = "x"')),
        "malformed TOML",
    ),
    "a dotted key reaching into a built-in field": (
        tracker(entries(range(1, 4)), entry(4, extra="logged.hour = 9\n")),
        "malformed TOML",
    ),
    "a header line in a multi-line string, and an invalid entry": (
        tracker(
            entries(range(1, 9), **{"3": {"summary": FAKE_HEADER_BASIC}}),
            entry(9, condition="nowhere"),
        ),
        "unknown condition 'nowhere'",
    ),
}
# Files the fast path must read itself, with any slice size.
SLICED = {
    "headers with spaces, comments, indents and quotes",
    "a retraction of an entry several slices back",
    "a retraction before the entry it retracts",
    "an amendment of an entry several slices back",
    "no final newline",
    "BOM and CRLF",
    "quoted header keys, one with an escape",
}
# ... and these only when no cut falls inside their multi-line string.
SLICED_WHEN_WHOLE = {
    "basic multi-line string holding a header line",
    "literal multi-line string holding header lines",
    "header line in a multi-line string, CRLF",
    "a header line after a line-ending backslash",
}


@pytest.mark.parametrize("slice_bytes", [None, SMALL_SLICES], ids=["1MiB", "200B"])
@pytest.mark.parametrize("case", list(ADVERSARIAL))
def test_a_file_built_to_trip_the_slicer_gets_the_plain_paths_verdict(
    case: str, slice_bytes: int | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if slice_bytes is not None:
        monkeypatch.setattr(slices, "SLICE_BYTES", slice_bytes)
    content, error = ADVERSARIAL[case]
    data = content.encode("utf-8") if isinstance(content, str) else content
    path = tmp_path / "conditions.toml"
    path.write_bytes(data)
    expected = plain_verdict(data, path)
    if error is None:
        assert isinstance(expected, Tracker), expected
    else:
        assert isinstance(expected, str) and error in expected, expected

    fast = slices.read_tracker(data)
    must_slice = case in SLICED or (case in SLICED_WHEN_WHOLE and slice_bytes is None)
    if isinstance(expected, str):
        assert fast is None
    elif must_slice or fast is not None:
        assert_same(fast, expected)
    assert_same(read_verdict(data, path), expected)

    # The commands say exactly what they say when the plain path is forced.
    for command in (
        ("status", "--format", "json", "--as-of", EARLY_AS_OF),
        ("evidence", "--all", "--format", "json"),
    ):
        fast_run = run(path, *command)
        with plain_path_only():
            plain_run = run(path, *command)
        assert_same_run(fast_run, plain_run)
        if error is None:
            ok(fast_run)
        else:
            assert one_line_error(fast_run) == f"error: {expected}\n"
    validated = run(path, "validate")
    assert validated.exit_code == (0 if error is None else 2), validated.output
    assert path.read_bytes() == data


def test_the_file_read_in_slices_holds_what_the_tricky_text_says(tmp_path: Path) -> None:
    """Not only the same as the plain path: right (a header line inside a string is text)."""
    content, _ = ADVERSARIAL["basic multi-line string holding a header line"]
    assert isinstance(content, str)
    fast = slices.read_tracker(content.encode("utf-8"))
    assert fast is not None
    assert [e.id for e in fast.evidence] == [f"ev-{n:04d}" for n in range(1, 9)]
    assert fast.evidence[3].summary == 'Before the line.\n[[evidence]]\nid = "ev-fake"\nAfter it.\n'
    late, _ = ADVERSARIAL["[[conditions]] after evidence"]
    path = tmp_path / "conditions.toml"
    assert isinstance(late, str)
    path.write_text(late, encoding="utf-8")
    loaded = store.load(path).tracker
    assert [c.id for c in loaded.conditions] == ["troops", "prisoners", "late"]
    assert [e.condition for e in loaded.evidence].count("late") == 2
