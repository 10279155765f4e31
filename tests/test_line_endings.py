"""Appends keep the file's own line endings: a tracker saved with CRLF (Windows) stays CRLF.

Every command that appends (log, amend, retract, import) adds lines ending as the file's
do, by the short way (a record vouches for the bytes) and the plain way alike, in-process
and in a real process.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from condtrack.storage.appending import line_ending
from tests.fast_path_helpers import (
    ASSESS,
    ECONOMY,
    OBSERVE,
    real_run,
    to_crlf,
    with_and_without_records,
)
from tests.reliability.helpers import WITH_EVIDENCE, ok, run, write_csv

BARE_LF = re.compile(rb"(?<!\r)\n")
BARE_CR = re.compile(rb"\r(?!\n)")


def endings(data: bytes) -> set[str]:
    """The kinds of line ending the bytes hold."""
    kinds = set()
    if b"\r\n" in data:
        kinds.add("CRLF")
    if BARE_LF.search(data):
        kinds.add("LF")
    if BARE_CR.search(data):
        kinds.add("CR")
    return kinds


def every_append(path: Path, folder: Path) -> None:
    """log, amend, retract and import, each once, on ``path``."""
    logged = ok(run(path, *OBSERVE)).stdout.strip()
    amended = ok(run(path, "amend", logged, "--value", "990", "--reason", "recount")).stdout
    ok(run(path, "retract", amended.strip(), "--reason", "withdrawn\r\nby the source"))
    rows = [{"condition": "economy", "summary": "Two\nlines", "source": "Ministry"}]
    rows[0].update(date="2025-02-04", indicator="balance", value="-1")
    csv = write_csv(folder / "rows.csv", rows, list(rows[0]))
    ok(run(path, "import", str(csv)))


@pytest.mark.parametrize(("name", "convert"), [("CRLF", to_crlf), ("LF", lambda data: data)])
def test_every_append_keeps_the_files_line_endings(
    name: str, convert: object, tmp_path: Path, private_cache: Path
) -> None:
    assert callable(convert)
    path = tmp_path / "conditions.toml"
    start = convert(WITH_EVIDENCE.encode("utf-8"))
    path.write_bytes(start)
    every_append(path, tmp_path)
    after = path.read_bytes()
    assert after.startswith(start) and len(after) > len(start)
    assert endings(after) == {name}
    assert line_ending(after) == name.replace("CR", "\r").replace("LF", "\n").encode()
    ok(run(path, "validate"))
    # the text with line breaks in it is stored escaped, and reads back as it was
    assert b'reason = "withdrawn\\r\\nby the source"' in after
    assert b'summary = "Two\\nlines"' in after


def test_the_short_and_the_plain_way_write_the_same_crlf_bytes(
    tmp_path: Path, private_cache: Path
) -> None:
    path = tmp_path / "conditions.toml"
    start = to_crlf(WITH_EVIDENCE.encode("utf-8"))
    runs = with_and_without_records(path, start, [OBSERVE, ECONOMY, ASSESS], private_cache)
    assert runs["records"][0] == runs["plain"][0]
    for outcomes, _ in runs.values():
        assert all(code == 0 for code, *_ in outcomes)
        assert endings(outcomes[-1][-1]) == {"CRLF"}
    assert runs["records"][1] < runs["plain"][1], "the short way was never taken"


def test_a_crlf_file_without_a_final_line_break_gets_one_crlf_line_between(
    tmp_path: Path,
) -> None:
    path = tmp_path / "conditions.toml"
    start = to_crlf(WITH_EVIDENCE.encode("utf-8")).rstrip(b"\r\n")
    path.write_bytes(start)
    real_run(path, *ECONOMY)
    after = path.read_bytes()
    assert after.startswith(start + b"\r\n\r\n[[evidence]]\r\n")
    assert endings(after) == {"CRLF"}
