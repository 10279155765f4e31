"""The fast paths give exactly the plain path's results.

Two shortcuts skip work: ``condtrack.slices`` reads a tracker slice by slice, and
``condtrack.appending`` appends new evidence on a record's word (``condtrack.remembered``)
without reading the file again. The plain path reads the whole document and checks it at
once. Here each shortcut is held against it: on generated trackers, on hypothesis-generated
documents, on files built to trip the slicer, on hand edits and damaged records, and on
sequences of writes run once with records and once without.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import random
import re
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import Result

import condtrack.appending
import condtrack.entries
from bench.generate import generate
from condtrack import remembered, slices, store
from condtrack.appending import Appended, append, serialize_entry
from condtrack.errors import CondtrackError
from condtrack.models import Tracker
from tests.conftest import SMALL_TRACKER, Invoke, as_unprivileged
from tests.reliability.helpers import (
    WITH_EVIDENCE,
    child_env,
    condtrack_argv,
    evidence_block,
    ok,
    one_line_error,
    run,
    shared_folder,
)
from tests.reliability.test_roundtrip import trackers

SMALL_SLICES = 200  # bytes: about one entry table per slice
AS_OF = "2026-11-01"  # generated evidence ends the day before
EARLY_AS_OF = "2025-03-01"
PROPERTY = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Logs that succeed on WITH_EVIDENCE (SMALL_TRACKER plus an "economy" condition).
ASSESS = ("log", "troops", "--criterion", "bases-closed", "--status", "partial",
          "--summary", "Bases closing", "--source", "Monitor", "--reliability", "B2",
          "--date", "2025-02-01")  # fmt: skip
OBSERVE = ("log", "prisoners", "--indicator", "held", "--value", "1000", "--summary", "Count",
           "--source", "Viasna", "--tag", "monthly", "--url", "https://example.org/count",
           "--date", "2025-02-02")  # fmt: skip
ECONOMY = ("log", "economy", "--indicator", "balance", "--value", "-3.5",
           "--summary", "Deficit", "--source", "Ministry", "--date", "2025-02-03")  # fmt: skip

Verdict = Tracker | str  # a checked tracker, or the error message that refused it


# --- helpers --------------------------------------------------------------------------------


def plain_verdict(data: bytes, path: Path) -> Verdict:
    """What the plain path makes of these bytes: the whole document parsed, then checked."""
    try:
        document, text = store.parse(data, path)
        return store.check(document, text, path)
    except CondtrackError as error:
        return str(error)


def read_verdict(data: bytes, path: Path) -> Verdict:
    """What ``store`` makes of them, slice by slice where it can (as every command does)."""
    try:
        return store.read_tracker(data, path)
    except CondtrackError as error:
        return str(error)


def assert_same(actual: Verdict | None, expected: Verdict) -> None:
    assert actual is not None
    if isinstance(actual, str) or isinstance(expected, str):
        assert actual == expected
        return
    assert actual == expected
    # == compares values, so 1 == 1.0 and 09:00+02:00 == 07:00Z; the JSON keeps them apart.
    assert actual.model_dump_json() == expected.model_dump_json()


@contextlib.contextmanager
def plain_path_only() -> Iterator[None]:
    """Every read takes the plain path: the reference the fast path must match."""
    with mock.patch.object(slices, "read_tracker", lambda data: None):
        yield


RAISED = object()


@contextlib.contextmanager
def watching(owner: Any, name: str) -> Iterator[list[Any]]:
    """What ``owner.name`` returns, call by call, while the block runs."""
    real = getattr(owner, name)
    results: list[Any] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        results.append(RAISED)  # stays if the call raises
        result = real(*args, **kwargs)
        results[-1] = result
        return result

    with mock.patch.object(owner, name, spy):
        yield results


FIXED_NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@contextlib.contextmanager
def deterministic(now: dt.datetime = FIXED_NOW) -> Iterator[None]:
    """New ids from a seeded generator (through the real ``new_id``) and a fixed clock, so
    two runs of the same commands write the same bytes."""
    fake_secrets = SimpleNamespace(choice=random.Random(1).choice)
    with (
        mock.patch.object(condtrack.entries, "secrets", fake_secrets),
        mock.patch.object(condtrack.entries, "utc_now", lambda: now),
    ):
        yield


def records(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.ids"))


def recall(data: bytes, folder: Path) -> remembered.Known | None:
    return remembered.recall(data, {remembered.ENV_CACHE: str(folder)})


Outcome = tuple[int, str, str, bytes]  # exit code, stdout, stderr, the file afterwards


def outcome(result: Result, path: Path) -> Outcome:
    return result.exit_code, result.stdout, result.stderr, path.read_bytes()


def with_and_without_records(
    path: Path,
    start: bytes,
    steps: Sequence[Sequence[str] | Callable[[Path], None]],
    cache: Path,
    now: dt.datetime = FIXED_NOW,
) -> dict[str, tuple[list[Outcome], int]]:
    """Run ``steps`` (commands, or edits of the file) from ``start``, once with records in
    ``cache`` and once with records off; each run's outcomes and count of full reads."""
    runs = {}
    for mode, folder in (("records", str(cache)), ("plain", "")):
        path.write_bytes(start)
        outcomes: list[Outcome] = []
        with deterministic(now), watching(store, "read_checked") as full_reads:
            for step in steps:
                if callable(step):
                    step(path)
                else:
                    result = run(path, *step, env={remembered.ENV_CACHE: folder})
                    assert result.exit_code in (0, 2), (result.output, result.exception)
                    outcomes.append(outcome(result, path))
        runs[mode] = (outcomes, len(full_reads))
    return runs


def ids_in(path: Path) -> list[str]:
    rows = json.loads(ok(run(path, "evidence", "--all", "--format", "json")).stdout)
    return [row["id"] for row in rows]


def status_both_ways(path: Path, as_of: str) -> tuple[Result, Result]:
    """``status --format json`` as the commands run it, and with the plain path forced."""
    command = ("status", "--format", "json", "--as-of", as_of)
    fast = run(path, *command)
    with plain_path_only():
        plain = run(path, *command)
    return fast, plain


def assert_same_run(fast: Result, plain: Result) -> None:
    assert (fast.exit_code, fast.stdout, fast.stderr) == (
        plain.exit_code,
        plain.stdout,
        plain.stderr,
    )


def rewrite_record(record: Path, change: Callable[[list[bytes], list[bytes]], None]) -> None:
    """Rewrite a record's first line (magic, size, head length, count, body hash) and body
    lines (ids) in place; ``change`` edits the two lists."""
    first, _, body = record.read_bytes().partition(b"\n")
    fields = first.split(b" ")
    lines = body.split(b"\n")
    change(fields, lines)
    record.write_bytes(b" ".join(fields) + b"\n" + b"\n".join(lines))


# --- 1. reading generated trackers slice by slice ------------------------------------------


@functools.cache
def generated(n: int, seed: int) -> bytes:
    return generate(n, seed).encode("utf-8")


def _crlf(data: bytes) -> bytes:
    return data.replace(b"\n", b"\r\n")


LINE_ENDINGS: dict[str, Callable[[bytes], bytes]] = {
    "lf": lambda data: data,
    "crlf": _crlf,
    "bom": lambda data: b"\xef\xbb\xbf" + data,
    "bom-crlf": lambda data: b"\xef\xbb\xbf" + _crlf(data),
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
    with watching(slices, "read_tracker") as reads:
        fast = [run(path, *command) for command in commands]
    assert len(reads) == len(commands) and all(r is not None for r in reads), "not sliced"
    with plain_path_only():
        plain = [run(path, *command) for command in commands]
    for fast_run, plain_run in zip(fast, plain, strict=True):
        ok(plain_run)
        assert_same_run(fast_run, plain_run)

    # A real process (its own interpreter and reader) prints the plain path's verdict too.
    process = subprocess.run(
        condtrack_argv(path, *commands[0]),
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=120,
        check=False,
    )
    assert process.returncode == 0, process.stderr
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
    data = (b"\xef\xbb\xbf" if bom else b"") + (_crlf(data) if crlf else data)
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
    data = (b"\xef\xbb\xbf" if bom else b"") + (_crlf(data) if crlf else data)
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
        tracker(entries(range(1, 6))).replace("schema = 1", "schema = 2"),
        "schema 2 is not supported",
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


# --- 3. logging on a record -----------------------------------------------------------------


@pytest.fixture
def with_evidence(tracker_file: Path) -> Path:
    """The ``cli`` fixture's file, holding evidence, an amendment and a retraction."""
    tracker_file.write_text(WITH_EVIDENCE, encoding="utf-8")
    return tracker_file


def test_a_log_after_a_recorded_one_reads_nothing_but_its_own_entry(
    cli: Invoke, with_evidence: Path, private_cache: Path
) -> None:
    first = ok(cli(*ASSESS)).stdout.strip()
    [record] = records(private_cache)
    before = with_evidence.read_bytes()
    known = recall(before, private_cache)
    assert known is not None and first in known.ids

    with (
        watching(store, "read_checked") as full_reads,
        watching(slices, "read_tracker") as slice_reads,
        watching(condtrack.appending, "_checked_briefly") as brief,
        watching(condtrack.appending, "_checked_whole") as whole,
    ):
        second = ok(cli(*OBSERVE)).stdout.strip()

    assert full_reads == [] and slice_reads == [] and whole == [], "the file was read again"
    assert len(brief) == 1 and isinstance(brief[0], Appended)
    after = with_evidence.read_bytes()
    assert after.startswith(before)
    # The record now vouches for the new bytes (and the old one is gone).
    [new_record] = records(private_cache)
    assert new_record != record
    renewed = recall(after, private_cache)
    assert renewed is not None and renewed.ids == known.ids | {second}
    assert recall(before, private_cache) is None
    # Read whole, the result is valid and holds the new entry once.
    ok(cli("validate"))
    assert ids_in(with_evidence).count(second) == 1
    fast, plain = status_both_ways(with_evidence, EARLY_AS_OF)
    assert_same_run(ok(fast), plain)


def test_the_first_log_on_a_tracker_without_evidence_leaves_a_record(
    cli: Invoke, tracker_file: Path, private_cache: Path
) -> None:
    """condtrack.remembered: "After a write, condtrack records that the exact bytes it wrote
    form a valid tracker". A fresh tracker is where every log starts."""
    ok(cli(*ASSESS))
    assert recall(tracker_file.read_bytes(), private_cache) is not None, (
        "no record after the first log: the second log reads the whole file again"
    )
    with watching(store, "read_checked") as full_reads:
        ok(cli(*ASSESS))
    assert full_reads == []


def test_logs_with_records_write_exactly_what_logs_without_write(
    tmp_path: Path, private_cache: Path
) -> None:
    path = tmp_path / "conditions.toml"
    steps = [ASSESS, OBSERVE, ECONOMY, ASSESS, OBSERVE, ECONOMY, ASSESS, ("validate",)]
    runs = with_and_without_records(path, WITH_EVIDENCE.encode(), steps, private_cache)
    (with_records, reads_with), (plain, reads_plain) = runs["records"], runs["plain"]

    assert with_records == plain
    assert all(code == 0 for code, *_ in with_records)
    assert reads_plain >= len(steps) - 1 and reads_with <= 2, (reads_with, reads_plain)
    new_ids = [stdout.strip() for _, stdout, _, _ in with_records[:-1]]
    assert len(set(new_ids)) == len(new_ids)
    assert sorted(ids_in(path)) == sorted(
        ["ev-aaaaaaaaaa", "ev-bbbbbbbbbb", "ev-cccccccccc", "ev-dddddddddd", *new_ids]
    )


def test_real_processes_log_on_each_others_records(
    with_evidence: Path, private_cache: Path
) -> None:
    def condtrack(*args: str) -> subprocess.CompletedProcess[str]:
        process = subprocess.run(
            condtrack_argv(with_evidence, *args),
            capture_output=True,
            text=True,
            env=child_env(),
            timeout=120,
            check=False,
        )
        assert process.returncode == 0, process.stderr
        return process

    first = condtrack(*ASSESS).stdout.strip()
    known = recall(with_evidence.read_bytes(), private_cache)
    assert known is not None and first in known.ids
    second = condtrack(*OBSERVE).stdout.strip()
    # A record used is extended and replaced; a full read would have left a second record.
    assert len(records(private_cache)) == 1
    renewed = recall(with_evidence.read_bytes(), private_cache)
    assert renewed is not None and renewed.ids == known.ids | {second}
    assert "valid (3 conditions, 6 evidence entries, 1 retractions)" in condtrack("validate").stdout


# A hypothesis-driven mix of writes, refusals and hand edits, with records and without.
OPERATIONS = st.lists(
    st.sampled_from(["assess", "observe", "economy", "bad-value", "bad-criterion", "amend",
                     "retract", "import", "hand-entry", "hand-title", "hand-break-and-undo"]),
    min_size=1,
    max_size=8,
)  # fmt: skip


def _steps(operations: list[str], texts: list[str], folder: Path) -> list[Any]:
    pieces = iter(texts)
    steps: list[Any] = []
    for number, operation in enumerate(operations):
        text = "t " + next(pieces, "plain")
        day = f"2025-03-{number + 1:02d}"
        common = (f"--summary={text}", "--source=Monitor", "--date", day)
        if operation == "assess":
            steps.append(("log", "troops", "-c", "troops-gone", "--status", "met", *common))
        elif operation == "observe":
            steps.append(("log", "prisoners", "-i", "held", "--value", str(900 - number), *common))
        elif operation == "economy":
            steps.append(("log", "economy", "-i", "balance", "--value", f"-{number}.5", *common))
        elif operation == "bad-value":
            steps.append(("log", "prisoners", "-i", "expelled", "--value", "-1", *common))
        elif operation == "bad-criterion":
            steps.append(("log", "troops", "-c", "troops-gon", *common))
        elif operation == "amend":  # once it works, then "already amended": both ways alike
            steps.append(("amend", "ev-dddddddddd", f"--summary={text}!", "--reason", "typo"))
        elif operation == "retract":
            steps.append(("retract", "ev-bbbbbbbbbb", "--reason", "wrong", "--date", day))
        elif operation == "import":
            rows = folder / f"rows{number}.json"
            row = {"condition": "troops", "date": day, "source": "Importer", "summary": text}
            rows.write_text(json.dumps([row, {**row, "summary": text + " (2)"}]), "utf-8")
            steps.append(("import", str(rows)))
        elif operation == "hand-entry":
            block = evidence_block(id=f'"ev-hand-{number}"')
            steps.append(
                lambda path, block=block: path.write_bytes(path.read_bytes() + block.encode())
            )
        elif operation == "hand-title":
            steps.append(
                lambda path: path.write_bytes(
                    re.sub(
                        rb'^title = "([^"]*)"',
                        rb'title = "\1+"',
                        path.read_bytes(),
                        count=1,
                        flags=re.M,
                    )
                )
            )
        else:  # break the file by hand, see a log refused, put the old bytes back
            saved: list[bytes] = []
            steps.append(lambda path, saved=saved: saved.append(path.read_bytes()))
            steps.append(lambda path: path.write_bytes(path.read_bytes() + b"\n[[evidence]]\n"))
            steps.append(("log", "troops", *common))
            steps.append(lambda path, saved=saved: path.write_bytes(saved[-1]))
            steps.append(("log", "troops", *common))
    return steps


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(operations=OPERATIONS, texts=st.lists(st.text(max_size=20)))
def test_any_mix_of_writes_comes_out_the_same_with_records_and_without(
    operations: list[str], texts: list[str], tmp_path: Path
) -> None:
    folder = Path(tmp_path) / f"run-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    cache = folder / "records"
    path = folder / "conditions.toml"
    steps = _steps(operations, texts, folder)

    runs = with_and_without_records(path, WITH_EVIDENCE.encode(), steps, cache)

    assert runs["records"][0] == runs["plain"][0]
    assert runs["records"][1] <= runs["plain"][1]
    ok(run(path, "validate"))


# --- 4. a record vouches for its own bytes only ---------------------------------------------


def _first_entry_condition_swapped(data: bytes) -> bytes:
    head = slices.head_length(data)
    assert head is not None
    at = data.index(b'condition = "troops"', head) + len(b'condition = "troop')
    return data[:at] + b"z" + data[at + 1 :]


def _first_entry_copied(data: bytes) -> bytes:
    head = slices.head_length(data)
    assert head is not None
    end = data.index(b"\n[[evidence]]", head + 1)
    return data + b"\n" + data[head:end] + b"\n"


BREAKING_EDITS: dict[str, Callable[[bytes], bytes]] = {
    "an invalid entry appended": lambda data: (
        data + evidence_block(id='"ev-hand"', condition='"nowhere"').encode()
    ),
    "an entry table left empty": lambda data: data + b"\n[[evidence]]\n",
    "the head changed": lambda data: data.replace(b"schema = 1", b"schema = 2", 1),
    "a criterion renamed in the head": lambda data: data.replace(
        b'id = "bases-closed"', b'id = "bases-shut"', 1
    ),
    "truncated inside the last entry": lambda data: data[:-25],
    "a byte swapped inside an old entry": _first_entry_condition_swapped,
    "an old entry copied to the end": _first_entry_copied,
    "a stray byte that is not UTF-8": lambda data: data + b"# \xff\n",
}
HARMLESS_EDITS: dict[str, Callable[[bytes], bytes]] = {
    "a summary reworded": lambda data: data.replace(b"Base closed.", b"Base shut.", 1),
    "the title changed": lambda data: data.replace(b"Testland:", b"Testland (2):", 1),
    "the last entry cut off": lambda data: data[: data.rindex(b"\n[[evidence]]") + 1],
    "a comment appended": lambda data: data + b"# checked by hand\n",
    "CRLF line endings": _crlf,
    "a valid entry appended": lambda data: data + evidence_block(id='"ev-hand"').encode(),
}


@pytest.mark.parametrize("edit", list(BREAKING_EDITS))
def test_a_log_after_a_breaking_hand_edit_is_refused_as_without_a_record(
    edit: str, cli: Invoke, with_evidence: Path, private_cache: Path
) -> None:
    ok(cli(*ASSESS))
    recorded = with_evidence.read_bytes()
    assert recall(recorded, private_cache) is not None
    edited = BREAKING_EDITS[edit](recorded)
    assert edited != recorded
    with_evidence.write_bytes(edited)

    plain = one_line_error(cli(*OBSERVE, env={remembered.ENV_CACHE: ""}))
    assert with_evidence.read_bytes() == edited
    with watching(store, "read_checked") as full_reads:
        refused = one_line_error(cli(*OBSERVE))

    assert refused == plain
    assert with_evidence.read_bytes() == edited
    assert full_reads, "the edited file was not read in full"
    assert recall(edited, private_cache) is None


@pytest.mark.parametrize("edit", list(HARMLESS_EDITS))
def test_a_log_after_a_harmless_hand_edit_writes_what_the_plain_path_writes(
    edit: str, cli: Invoke, with_evidence: Path, private_cache: Path
) -> None:
    ok(cli(*ASSESS))
    recorded = with_evidence.read_bytes()
    assert recall(recorded, private_cache) is not None
    edited = HARMLESS_EDITS[edit](recorded)
    assert edited != recorded

    runs = with_and_without_records(with_evidence, edited, [OBSERVE, ECONOMY], private_cache)

    assert runs["records"][0] == runs["plain"][0]
    assert all(code == 0 for code, *_ in runs["records"][0])
    ok(cli("validate"))


def _set_field(index: int, value: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def change(fields: list[bytes], lines: list[bytes]) -> None:
        fields[index] = value(fields[index])

    return lambda record: rewrite_record(record, change)


def _leave_out_an_id(record: Path) -> None:
    def change(fields: list[bytes], lines: list[bytes]) -> None:
        lines.remove(b"ev-aaaaaaaaaa")
        fields[3] = str(len(lines)).encode()  # the count agrees; the body hash does not

    rewrite_record(record, change)


def _record_folder(record: Path) -> None:
    record.unlink()
    record.mkdir()
    (record / "inside").write_bytes(b"x")


def _undecodable_body(record: Path) -> None:
    def change(fields: list[bytes], lines: list[bytes]) -> None:
        lines[:] = [b"ev-\xff"]
        fields[3] = b"1"
        fields[4] = hashlib.sha256(b"ev-\xff").hexdigest().encode()

    rewrite_record(record, change)


DAMAGE: dict[str, Callable[[Path], object]] = {
    "truncated": lambda record: record.write_bytes(record.read_bytes()[:40]),
    "truncated in its ids": lambda record: record.write_bytes(record.read_bytes()[:-5]),
    "empty": lambda record: record.write_bytes(b""),
    "garbage": lambda record: record.write_bytes(b"\x00\xff garbage \n\n\x1b[2J" * 7),
    "wrong magic": _set_field(0, lambda magic: magic.replace(b"v1", b"v0")),
    "wrong size": _set_field(1, lambda size: str(int(size) + 1).encode()),
    "not a number": _set_field(1, lambda size: size + b"x"),
    "a 5000-digit number": _set_field(2, lambda head: b"9" * 5000),
    "head length zero": _set_field(2, lambda head: b"0"),
    "head length past the end": _set_field(2, lambda head: b"99999999"),
    "wrong count": _set_field(3, lambda count: str(int(count) + 1).encode()),
    "wrong body hash": _set_field(4, lambda h: h[:-1] + (b"1" if h.endswith(b"0") else b"0")),
    "an id left out": _leave_out_an_id,
    "an undecodable body": _undecodable_body,
    "a folder": _record_folder,
}  # fmt: skip


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_record_is_ignored(
    damage: str, cli: Invoke, with_evidence: Path, private_cache: Path
) -> None:
    ok(cli(*ASSESS))
    start = with_evidence.read_bytes()
    [record] = records(private_cache)
    assert recall(start, private_cache) is not None
    DAMAGE[damage](record)
    assert recall(start, private_cache) is None

    runs = with_and_without_records(with_evidence, start, [OBSERVE, ECONOMY], private_cache)

    assert runs["records"][0] == runs["plain"][0]
    assert all(code == 0 for code, *_ in runs["records"][0])
    assert runs["records"][1] >= 1, "a damaged record was trusted"
    ok(cli("validate"))


@pytest.mark.parametrize(
    ("command", "plain_outcome"),
    [
        (("log", "prisoners", "-i", "held", "--value", "-5", "-s", "x", "--source", "y"), 2),
        (("log", "economy", "-i", "balance", "--value", "7", "-s", "x", "--source", "y"), 0),
    ],
    ids=["below the minimum the record's head forgot", "a condition the record's head forgot"],
)
def test_a_record_with_a_wrong_head_length_is_not_trusted(
    command: tuple[str, ...],
    plain_outcome: int,
    cli: Invoke,
    with_evidence: Path,
    private_cache: Path,
) -> None:
    """A record's first line (size, head length, count) is covered by no hash: a head length
    damaged to another table boundary gives a shorter header that still validates."""
    ok(cli(*ASSESS))
    start = with_evidence.read_bytes()
    [record] = records(private_cache)
    cut = start.index(b"minimum = 0\ncriterion")  # inside "held", before "economy"
    assert slices.read_header(start[:cut]) is not None  # a valid header, but not the file's
    _set_field(2, lambda head: str(cut).encode())(record)

    runs = with_and_without_records(with_evidence, start, [command, ("validate",)], private_cache)

    assert runs["plain"][0][0][0] == plain_outcome, runs["plain"][0][0]
    assert runs["records"][0] == runs["plain"][0]


def test_a_record_with_an_id_left_out_cannot_let_a_duplicate_in(
    cli: Invoke, with_evidence: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(cli(*ASSESS))
    start = with_evidence.read_bytes()
    [record] = records(private_cache)
    _leave_out_an_id(record)
    assert recall(start, private_cache) is None  # its body no longer matches its hash
    # The id generator offers the left-out id first, then a free one.
    offered = iter("aaaaaaaaaa" + "2222222222")
    monkeypatch.setattr(
        condtrack.entries, "secrets", SimpleNamespace(choice=lambda _: next(offered))
    )

    new = ok(cli(*OBSERVE)).stdout.strip()

    assert new == "ev-2222222222"
    ok(cli("validate"))
    assert ids_in(with_evidence).count("ev-aaaaaaaaaa") == 1


@pytest.mark.parametrize("kind", ["a regular file", "inside a regular file"])
def test_a_record_location_that_is_no_folder_is_ignored(
    kind: str, cli: Invoke, with_evidence: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"x")
    location = blocker if kind == "a regular file" else blocker / "records"
    env = {remembered.ENV_CACHE: str(location)}
    new = [ok(cli(*command, env=env)).stdout.strip() for command in (ASSESS, OBSERVE, ECONOMY)]
    ok(cli("validate"))
    assert all(ids_in(with_evidence).count(n) == 1 for n in new)
    assert blocker.read_bytes() == b"x"


def test_an_unreadable_record_folder_is_ignored(private_cache: Path) -> None:
    with shared_folder() as folder:
        path = folder / "conditions.toml"
        path.write_text(WITH_EVIDENCE, encoding="utf-8")
        path.chmod(0o666)
        cache = folder / "records"
        cache.mkdir()
        env = {remembered.ENV_CACHE: str(cache)}
        ok(run(path, *ASSESS, env=env))
        start = path.read_bytes()
        assert recall(start, cache) is not None
        store.lock_path(path).chmod(0o666)
        cache.chmod(0)  # a record for these bytes exists, but nobody may look

        def log_twice() -> list[list[Any]]:
            assert recall(start, cache) is None  # the record is out of reach
            with deterministic():
                results = [run(path, *command, env=env) for command in (OBSERVE, ECONOMY)]
            return [[r.exit_code, r.stdout, r.stderr] for r in results]

        unprivileged = as_unprivileged(log_twice)
        written = path.read_bytes()
        cache.chmod(0o700)
        runs = with_and_without_records(path, start, [OBSERVE, ECONOMY], private_cache)

    assert [[code, out, err] for code, out, err, _ in runs["plain"][0]] == unprivileged
    assert runs["plain"][0][-1][3] == written


# --- 5. the short way refuses what the plain way refuses ------------------------------------

EARLY_NOW = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)
BASICS = ("-s", "Observed", "--source", "Monitor")
REFUSED_LOGS: dict[str, tuple[str, ...]] = {
    "an unknown condition": ("log", "nowhere", *BASICS),
    "an unknown criterion": ("log", "troops", "-c", "bases-close", "--status", "met", *BASICS),
    "an unknown indicator": ("log", "prisoners", "-i", "heldd", "--value", "3", *BASICS),
    "an indicator of another condition": ("log", "troops", "-i", "held", "--value", "3", *BASICS),
    "a value below the minimum": ("log", "prisoners", "-i", "held", "--value", "-1", *BASICS),
    "a float below the minimum": ("log", "prisoners", "-i", "freed", "--value", "-0.5", *BASICS),
    "a value without an indicator": ("log", "prisoners", "--value", "3", *BASICS),
    "a status without a criterion": ("log", "troops", "--status", "met", *BASICS),
    "a bad grade": ("log", "troops", "-r", "Z9", *BASICS),
    "a bad URL": ("log", "troops", "--url", "ftp://example.org", *BASICS),
    "a bad tag": ("log", "troops", "-t", "two words", *BASICS),
    "a date in the future": ("log", "troops", "--date", "2999-01-01", *BASICS),
    "a date after it was logged": ("log", "troops", "--date", "2025-01-20", *BASICS),
    "a blank summary": ("log", "troops", "-s", "  ", "--source", "Monitor"),
}
CLOCK = {"a date after it was logged": EARLY_NOW}  # the entry is logged before its date


@pytest.mark.parametrize("case", list(REFUSED_LOGS))
def test_a_log_refused_on_a_record_is_refused_the_same_without(
    case: str, cli: Invoke, with_evidence: Path, private_cache: Path
) -> None:
    ok(cli(*ASSESS))
    start = with_evidence.read_bytes()
    assert recall(start, private_cache) is not None
    command, now = REFUSED_LOGS[case], CLOCK.get(case, FIXED_NOW)

    runs = with_and_without_records(with_evidence, start, [command], private_cache, now)

    [(code, stdout, stderr, after)] = runs["records"][0]
    assert runs["records"][0] == runs["plain"][0]
    assert code == 2 and stdout == "" and stderr.startswith("error: ") and stderr.count("\n") == 1
    assert after == start
    assert runs["records"][1] == 0, "refused on the record's word, without a full read"


def _raw(**fields: Any) -> dict[str, Any]:
    entry = {
        "id": "ev-raw0000001",
        "condition": "troops",
        "date": dt.date(2025, 3, 1),
        "source": "Monitor",
        "summary": "Raw entry.",
        "logged": dt.datetime(2025, 3, 2, tzinfo=dt.UTC),
    }
    entry.update(fields)
    return {k: v for k, v in entry.items() if v is not None}


# Entries handed to ``append`` as they are, past the checks ``log`` makes first: only the
# short way (or the plain way) stands between them and the file. Each with what must come
# of it: "refused", appended the "short" way (on the record's word), or checked "whole".
RETRACT_D = {"evidence": "ev-dddddddddd", "reason": "x", "date": dt.date(2025, 3, 1)}
RAW_APPENDS: dict[str, tuple[list[tuple[str, dict[str, Any]]], str]] = {
    "an id already in the file": ([("evidence", _raw(id="ev-aaaaaaaaaa"))], "refused"),
    "the id of an amendment": ([("evidence", _raw(id="ev-cccccccccc"))], "refused"),
    "two new entries sharing an id": ([("evidence", _raw()), ("evidence", _raw())], "refused"),
    "an unknown condition": ([("evidence", _raw(condition="nowhere"))], "refused"),
    "an unknown criterion": ([("evidence", _raw(criterion="nope"))], "refused"),
    "a value below the minimum": (
        [("evidence", _raw(condition="prisoners", indicator="held", value=-3))],
        "refused",
    ),
    "dated days after it was logged": (
        [("evidence", _raw(date=dt.date(2025, 3, 9)))],
        "refused",
    ),
    "an unknown field": ([("evidence", _raw(bogus=1))], "refused"),
    "a status without a criterion": ([("evidence", _raw(status="met"))], "refused"),
    "a retraction of an unknown id": (
        [("retractions", {**RETRACT_D, "evidence": "ev-none"})],
        "refused",
    ),
    "an amendment of an unknown id": (
        [("evidence", _raw(supersedes="ev-none", reason="fix"))],
        "refused",
    ),
    "an amendment of an entry already amended": (
        [("evidence", _raw(supersedes="ev-bbbbbbbbbb", reason="fix"))],
        "refused",
    ),
    "two amendments of one entry": (
        [
            ("evidence", _raw(supersedes="ev-dddddddddd", reason="fix")),
            ("evidence", _raw(id="ev-raw0000002", supersedes="ev-dddddddddd", reason="again")),
        ],
        "refused",
    ),
    "two valid entries": (
        [("evidence", _raw()), ("evidence", _raw(id="ev-raw0000002", tags=["a", "b:c"]))],
        "short",
    ),
    "text with hidden characters and a header line": (
        [("evidence", _raw(summary="a\u202eb\n[[evidence]]\nc\x1b[0m", source="x\u200by"))],
        "short",
    ),
    "a float figure at the minimum": (
        [("evidence", _raw(condition="prisoners", indicator="freed", value=0.0))],
        "short",
    ),
    "an amendment": ([("evidence", _raw(supersedes="ev-dddddddddd", reason="fix"))], "whole"),
    "a retraction and new evidence": ([("retractions", RETRACT_D), ("evidence", _raw())], "whole"),
}


@pytest.mark.parametrize("case", list(RAW_APPENDS))
def test_an_append_on_a_record_is_checked_as_the_plain_path_checks_it(
    case: str,
    cli: Invoke,
    with_evidence: Path,
    private_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ok(cli(*ASSESS))
    start = with_evidence.read_bytes()
    assert recall(start, private_cache) is not None
    new, expected = RAW_APPENDS[case]

    def attempt(folder: str) -> tuple[Appended | str, bytes, int]:
        with_evidence.write_bytes(start)
        monkeypatch.setenv(remembered.ENV_CACHE, folder)
        with watching(store, "read_checked") as full_reads:
            try:
                added: Appended | str = append(with_evidence, lambda current: new)
            except CondtrackError as error:
                added = str(error)
        return added, with_evidence.read_bytes(), len(full_reads)

    with_record = attempt(str(private_cache))
    plain = attempt("")

    assert with_record[:2] == plain[:2]
    if expected != "refused":
        assert isinstance(with_record[0], Appended)
        assert (with_record[2] == 0) == (expected == "short"), with_record[2]
        assert plain[1].startswith(start) and len(plain[1]) > len(start)
        assert_same(store.load(with_evidence).tracker, plain_verdict(plain[1], with_evidence))
    else:
        assert isinstance(with_record[0], str) and "refusing to append" in with_record[0]
        assert with_record[1] == start
