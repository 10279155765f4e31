"""Hostile input: fuzzed and mangled files, hostile text, encodings and line endings.

The rule everywhere: condtrack exits 0 or 2, never with a traceback; a refusal is one line
naming what is wrong (``validate`` lists one problem a line, then that line), with user
text escaped; and a refused write leaves the file byte-for-byte as it was.
"""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import Result

from tests.reliability.helpers import (
    LOG_ARGS,
    TERMINAL_UNSAFE,
    TRACKER,
    WITH_EVIDENCE,
    evidence_block,
    evidence_of,
    file_with,
    invalid,
    logged_id,
    not_a_crash,
    ok,
    refused,
    run,
    toml_string,
    write_csv,
    write_json,
)

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
BASE = WITH_EVIDENCE.encode("utf-8")
FIRST_ENTRY_LINE = TRACKER.count("\n") + 2  # where `\n[[evidence]]` lands after TRACKER


def check_reader(result: Result, command: str) -> None:
    """A read of any file: handled, and a refusal is readable, escaped and where expected."""
    not_a_crash(result)
    if result.exit_code == 0:
        return
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines and lines[-1].startswith("error: "), result.stderr
    if command != "validate":
        assert len(lines) == 1, result.stderr
    for line in lines:
        assert not TERMINAL_UNSAFE.search(line), line


def read_both(path: Path) -> None:
    check_reader(run(path, "validate"), "validate")
    check_reader(run(path, "status", "--as-of", "2025-02-01"), "status")


# --- fuzzing the reader -------------------------------------------------------------------

TOKENS = [b"[", b"]", b"[[", b"]]", b'"', b"'", b"'''", b'"""', b"=", b"\n", b"\r", b"\\",
          b"nan", b"inf", b"-inf", b"1e400", b"0x1F", b"1_000", b"2025-02-30", b"1899-12-31",
          b"0001-01-01", b"9999-12-31", b"2025-01-01T00:00:00", b"07:32:00", b"true", b"{",
          b"}", b",", b".", b"#", b"\x00", b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xef\xbb\xbf",
          b"\\u0000", b"\\u202e", b"[[evidence]]", b"[[retractions]]", b"[tracker]",
          b"[[conditions]]", b"supersedes = ", b"value = ", b"tags = ", b"id = "]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid tracker's bytes with a few bytes flipped, inserted, deleted or lines moved."""
    data = bytearray(BASE)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data)))
        lines = bytes(data).split(b"\n")
        line = draw(st.integers(0, len(lines) - 1))
        match draw(st.sampled_from(["flip", "byte", "token", "delete", "truncate", "dup",
                                    "drop", "swap"])):  # fmt: skip
            case "flip" if data:
                data[min(position, len(data) - 1)] ^= 1 << draw(st.integers(0, 7))
            case "byte":
                data[position:position] = bytes([draw(st.integers(0, 255))])
            case "token":
                data[position:position] = draw(st.sampled_from(TOKENS))
            case "delete":
                del data[position : position + draw(st.integers(1, 40))]
            case "truncate":
                del data[position:]
            case "dup":
                data = bytearray(b"\n".join([*lines[:line], lines[line], *lines[line:]]))
            case "drop":
                data = bytearray(b"\n".join(lines[:line] + lines[line + 1 :]))
            case "swap":
                other = draw(st.integers(0, len(lines) - 1))
                lines[line], lines[other] = lines[other], lines[line]
                data = bytearray(b"\n".join(lines))
    return bytes(data)


@FUZZ
@given(data=mutated())
def test_mutated_files_never_crash_validate_or_status(tmp_path: Path, data: bytes) -> None:
    read_both(file_with(tmp_path, data))


# Any TOML value (integers bounded like TOML's 64-bit ones).
OFFSETS = st.integers(-18 * 60 + 1, 18 * 60 - 1).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
SCALARS = st.one_of(
    st.text(max_size=12),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),
    st.booleans(),
    st.dates(),  # up to 9999-12-31
    st.datetimes(timezones=st.one_of(st.none(), OFFSETS)),
    st.times(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
VALID_DOC = tomllib.loads(WITH_EVIDENCE)


@st.composite
def damaged(draw: st.DrawFn) -> dict[str, Any]:
    """The valid tracker's document with one to three parts replaced, removed or repeated."""
    doc = copy.deepcopy(VALID_DOC)
    for _ in range(draw(st.integers(1, 3))):
        node: Any = doc
        while True:
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            child = node[key]
            if isinstance(child, dict | list) and child and draw(st.booleans()):
                node = child
                continue
            action = draw(st.sampled_from(["replace", "remove", "repeat"]))
            if action == "replace":
                node[key] = draw(VALUES)
            elif action == "remove":
                del node[key]
            elif isinstance(node, list):
                node.insert(key, copy.deepcopy(child))
            else:
                node[f"{key}2"] = copy.deepcopy(child)
            break
    return doc


@FUZZ
@given(doc=damaged())
def test_damaged_documents_never_crash_validate_or_status(
    tmp_path: Path, doc: dict[str, Any]
) -> None:
    try:
        text = tomli_w.dumps(doc)
    except (TypeError, ValueError):  # not expressible in TOML
        assume(False)
    read_both(file_with(tmp_path, text))


@FUZZ
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_arbitrary_bytes_never_crash_validate_or_status(tmp_path: Path, data: bytes) -> None:
    read_both(file_with(tmp_path, data))


# --- text: huge, hidden, NUL --------------------------------------------------------------


def test_over_long_text_is_refused_naming_the_limit_everywhere(filled: Path) -> None:
    long = "x" * 4001
    refused(filled, "amend", "ev-cccccccccc", "--summary", long, "--reason", "r",
            expect=("--summary", "4000"))  # fmt: skip
    refused(filled, "amend", "ev-cccccccccc", "--value", "3", "--reason", long,
            expect=("--reason", "4000"))  # fmt: skip
    refused(filled, "retract", "ev-dddddddddd", "--reason", long, expect=("--reason", "4000"))
    refused(filled, "log", "troops", "-s", "s", "--source", "y" * 301, expect=("--source", "300"))
    rows = [{"condition": "troops", "date": "2025-01-02", "source": "s", "summary": long}]
    source = write_csv(filled.parent / "rows.csv", rows, ("condition", "date", "source", "summary"))
    err = run(filled, "import", str(source)).stderr
    assert "row 2, field 'summary'" in err and "4000" in err
    assert len(evidence_of(filled)) == 4

    path = file_with(filled.parent, TRACKER + evidence_block(summary=toml_string(long)), "f.toml")
    refused(path, "status", expect=("evidence #1 (id 'ev-hand'", "field 'summary'", "4000"))
    # Megabytes of it: still one line, quickly, and not echoed back.
    huge = file_with(
        filled.parent, TRACKER + evidence_block(summary=toml_string("y" * 5_000_000)), "h.toml"
    )
    err = refused(huge, "status", expect=("field 'summary'", "4000"))
    assert len(err) < 1000


HIDDEN = "\u202e\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u200b\u2028\u2029\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u3164"  # noqa: E501
C0 = "".join(chr(c) for c in range(1, 32) if c != 10) + "\x7f"
C1 = "".join(chr(c) for c in range(0x80, 0xA0))


def test_hidden_and_control_characters_are_stored_escaped(filled: Path) -> None:
    text = f"a{HIDDEN}b{C0}c{C1}\nd"
    old = filled.read_bytes()
    new_id = logged_id(filled, "log", "troops", f"--summary={text}", f"--source={HIDDEN}x",
                       "--date", "2025-01-20")  # fmt: skip
    amended = logged_id(filled, "amend", new_id, f"--summary={text}!", f"--reason={text}")
    ok(run(filled, "retract", amended, f"--reason={text}"))
    rows = [{"condition": "troops", "date": "2025-01-02", "source": f"s{HIDDEN}",
             "summary": text}]  # fmt: skip
    source = write_csv(filled.parent / "rows.csv", rows, ("condition", "date", "source", "summary"))
    ok(run(filled, "import", str(source)))

    raw = filled.read_bytes()
    assert raw.startswith(old)
    for char in HIDDEN + C0.replace("\t", "") + C1:  # a tab is plain TOML whitespace
        assert char.encode("utf-8") not in raw[len(old) :], f"raw {char!r} in the file"
    assert b"\r" not in raw
    assert b"\\u202E" in raw  # shown as an escape a reader can see
    # ... and read back exactly.
    entries = {e["id"]: e for e in evidence_of(filled)}
    assert entries[new_id]["summary"] == text and entries[new_id]["source"] == f"{HIDDEN}x"
    assert entries[amended]["reason"] == text
    assert tomllib.loads(raw.decode())["retractions"][-1]["reason"] == text
    ok(run(filled, "validate"))


def test_nul_is_refused_at_every_way_in(filled: Path) -> None:
    refused(filled, "amend", "ev-cccccccccc", "--summary", "a\x00b", "--reason", "r",
            expect=("--summary", "NUL"))  # fmt: skip
    refused(filled, "retract", "ev-dddddddddd", "--reason", "a\x00b", expect=("--reason", "NUL"))
    header = ("condition", "date", "source", "summary")
    source = write_csv(filled.parent / "nul.csv",
                       [{"condition": "troops", "date": "2025-01-02", "source": "s\x00",
                         "summary": "x"}], header)  # fmt: skip
    items = write_json(filled.parent / "nul.json",
                       [{"condition": "troops", "date": "2025-01-02", "source": "s",
                         "summary": "x\x00"}])  # fmt: skip
    before = filled.read_bytes()
    for data, field in ((source, "source"), (items, "summary")):
        result = run(filled, "import", str(data))
        assert result.exit_code == 2
        assert f"row {2 if data.suffix == '.csv' else 1}, field '{field}'" in result.stderr
        assert "NUL" in result.stderr
    assert filled.read_bytes() == before

    escaped = file_with(filled.parent, TRACKER + evidence_block(summary='"a\\u0000b"'), "e.toml")
    refused(escaped, "status", expect=("field 'summary'", "NUL"))
    invalid(escaped, "field 'summary'", "NUL")
    raw = file_with(filled.parent, TRACKER + evidence_block(summary='"a\x00b"'), "r.toml")
    for command in (("status",), ("validate",), LOG_ARGS):
        refused(raw, *command, expect=("malformed TOML", f"line {FIRST_ENTRY_LINE + 5}"))


@settings(max_examples=60, deadline=None, suppress_health_check=FUZZ.suppress_health_check)
@given(
    line=st.integers(1, WITH_EVIDENCE.count("\n")),
    column=st.integers(0, 30),
    bad=st.sampled_from([b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xe2\x82", b"\x80", b"\xf8"]),
)
def test_invalid_utf8_names_its_line(tmp_path: Path, line: int, column: int, bad: bytes) -> None:
    lines = BASE.split(b"\n")
    text = lines[line - 1]
    lines[line - 1] = text[:column] + bad + text[column:]
    path = file_with(tmp_path, b"\n".join(lines))
    for args in (("status",), ("validate",), LOG_ARGS):
        refused(path, *args, expect=(f"line {line}: not valid UTF-8",))


# --- encodings and line endings -----------------------------------------------------------


@pytest.mark.parametrize("bom", [False, True], ids=["no-bom", "bom"])
@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_bom_and_crlf_read_the_same_and_appends_keep_them(
    tmp_path: Path, bom: bool, crlf: bool
) -> None:
    text = WITH_EVIDENCE.replace("\n", "\r\n") if crlf else WITH_EVIDENCE
    path = file_with(tmp_path, ("\ufeff" if bom else "") + text)
    plain = file_with(tmp_path, WITH_EVIDENCE, "plain.toml")
    for args in (("status", "--format", "json", "--as-of", "2025-02-01"),
                 ("evidence", "--all", "--format", "json")):  # fmt: skip
        assert ok(run(path, *args)).stdout == ok(run(plain, *args)).stdout
    old = path.read_bytes()
    entry = logged_id(path, *LOG_ARGS)
    ok(run(path, "amend", entry, "--summary", "fixed", "--reason", "typo"))
    ok(run(path, "retract", "ev-dddddddddd", "--reason", "gone", "--date", "2025-02-01"))
    assert path.read_bytes().startswith(old)
    ok(run(path, "validate"))
    assert len(evidence_of(path)) == 6


def test_a_bom_in_the_middle_is_a_clear_error(tmp_path: Path) -> None:
    path = file_with(tmp_path, TRACKER + "\ufeff" + evidence_block())
    refused(path, "status", expect=("malformed TOML",))


def test_a_csv_with_bom_and_crlf_imports(filled: Path) -> None:
    source = filled.parent / "excel.csv"
    source.write_bytes(
        '\ufeffcondition,date,source,summary\r\ntroops,2025-01-02,s,"two\r\nlines"\r\n'.encode()
    )
    ok(run(filled, "import", str(source)))
    assert evidence_of(filled)[-1]["summary"] == "two\nlines"  # line endings normalised
