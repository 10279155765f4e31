"""Validity does not depend on the TOML reader installed (issue 10, item 14).

rtoml reads TOML 1.1, which accepts more than ``tomllib`` (TOML 1.0): ``\\x41`` and ``\\e``
escapes, times without seconds, newlines and a trailing comma in inline tables. Whatever
reads fast, every place that says "valid" must say it of exactly what ``tomllib`` accepts:
``validate``, the reads of every command, the checks before an append, ``merge``, and the
records that let later commands skip the full check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from condtrack.schema.validation import check_document
from condtrack.storage import remembered, tomlread
from tests.reliability.helpers import TRACKER, run

rtoml: Any
try:
    import rtoml
except ImportError:  # pragma: no cover - the fixed cases still run; they then prove less
    rtoml = None

ENTRY = """
[[evidence]]
id = "ev-aaaaaaaaaa"
condition = "troops"
criterion = "bases-closed"
status = "met"
date = 2025-01-10
source = "Monitor"
reliability = "B2"
summary = "Base closed."
logged = 2025-01-11T09:00:00Z
"""
VALID = TRACKER + ENTRY
INLINE = (
    'evidence = [{ id = "ev-aaaaaaaaaa", condition = "troops", criterion = "bases-closed", '
    'status = "met", date = 2025-01-10, source = "Monitor", reliability = "B2", '
    'summary = "Base closed.", logged = 2025-01-11T09:00:00Z }]\n'
)
# Each TOML 1.1 extension, in a tracker that is valid in every other way.
EXTENSIONS = {
    "\\x escape in an entry": VALID.replace('"Base closed."', '"Base \\x41 closed."'),
    "\\e escape in an entry": VALID.replace('"Base closed."', '"Base \\e closed."'),
    "\\x escape in the head": VALID.replace(
        '"Foreign troops withdrawn"', '"Foreign troops \\x41 withdrawn"'
    ),
    "time without seconds": VALID.replace("09:00:00Z", "09:00Z"),
    "offset time without seconds": VALID.replace("09:00:00Z", "09:00+02:00"),
    "newline in an inline table": INLINE.replace(', criterion = "bases-closed", ', ",\n  ").replace(
        "{ id", '{ criterion = "bases-closed", id'
    )
    + TRACKER,
    "trailing comma in an inline table": INLINE.replace("09:00:00Z }", "09:00:00Z, }") + TRACKER,
}
LOG = ("log", "troops", "--summary", "x", "--source", "y", "--date", "2025-01-20")


def condtrack(path: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "condtrack", "--file", str(path), *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env)


@pytest.fixture
def env(private_cache: Path) -> dict[str, str]:
    """A real process's environment, with the test's own record folder."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith("CONDTRACK_")}
    return {**keep, "CONDTRACK_CACHE_DIR": str(private_cache)}


def test_the_valid_tracker_is_valid() -> None:
    """The cases differ from a valid tracker by their TOML 1.1 extension alone."""
    tracker, problems = check_document(tomllib.loads(VALID), VALID)
    assert tracker is not None and problems == []
    inline = INLINE + TRACKER
    assert check_document(tomllib.loads(inline), inline)[0] is not None


@pytest.mark.parametrize("case", sorted(EXTENSIONS))
def test_toml_1_1_is_refused_everywhere(case: str, tmp_path: Path, env: dict[str, str]) -> None:
    text = EXTENSIONS[case]
    with pytest.raises(tomllib.TOMLDecodeError):
        tomllib.loads(text)
    if rtoml is not None:  # what made the verdicts differ
        rtoml.loads(text)
    path = tmp_path / "conditions.toml"
    path.write_text(text, encoding="utf-8")
    good = tmp_path / "good.toml"
    good.write_text(VALID, encoding="utf-8")
    records = Path(env["CONDTRACK_CACHE_DIR"])
    for args in [
        ("validate",),
        ("status",),
        ("status", "--format", "json"),
        ("check",),
        ("evidence",),
        LOG,
        ("merge", str(good), str(path), str(good)),  # ours has the extension
        ("merge", str(good), str(good), str(path)),  # theirs has it
    ]:
        before = {p: p.read_bytes() for p in (path, good)}
        done = condtrack(path, *args, env=env)
        what = f"{case}: condtrack {' '.join(args)}: {done.stdout}{done.stderr}"
        assert done.returncode == 2, what
        assert "malformed TOML" in done.stderr, what
        assert "Traceback" not in done.stderr, what
        assert {p: p.read_bytes() for p in (path, good)} == before, what
        assert not list(records.rglob("*.ids")), what  # nothing vouches for these bytes


def test_a_large_file_is_read_fast_only_once_vouched_for(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """Above SMALL_BYTES the first read leaves a record, and later ones read fast; a file
    with a TOML 1.1 extension is refused on each read and never recorded."""
    entries = "".join(ENTRY.replace("ev-aaaaaaaaaa", f"ev-{n:010d}") for n in range(400))
    assert len(entries) > remembered.SMALL_BYTES
    records = Path(env["CONDTRACK_CACHE_DIR"])
    path = tmp_path / "conditions.toml"
    path.write_text(TRACKER + entries, encoding="utf-8")
    first = condtrack(path, "status", "--format", "json", "--as-of", "2025-02-01", env=env)
    assert first.returncode == 0, first.stderr
    assert len(list(records.rglob("*.ids"))) == 1
    again = condtrack(path, "status", "--format", "json", "--as-of", "2025-02-01", env=env)
    assert (again.returncode, again.stdout) == (0, first.stdout)
    bad = TRACKER + entries.replace('"Base closed."', '"Base \\x41 closed."', 1)
    path.write_text(bad, encoding="utf-8")
    for _ in range(2):
        done = condtrack(path, "status", env=env)
        assert done.returncode == 2 and "malformed TOML" in done.stderr, done.stderr
        done = condtrack(path, *LOG, env=env)
        assert done.returncode == 2 and path.read_text("utf-8") == bad, done.stderr
    assert len(list(records.rglob("*.ids"))) == 1  # still only the valid file's


# --- the differential property ----------------------------------------------------------------

# Pieces of TOML that TOML 1.0 and 1.1 both accept (weighted up, so that a fair share of
# documents is valid), pieces only 1.1 accepts, and pieces neither does.
ESCAPES = st.sampled_from(
    ["\\u0041", "\\U0001F642", '\\"', "\\\\", "\\t"] * 4 + ["\\x41", "\\xe9", "\\e", "\\E", "\\x4"]
)
PLAIN = st.text(st.characters(codec="utf-8", categories=["L", "N", "Zs"]), max_size=8)
DATETIMES = st.sampled_from(
    ["2025-01-11T09:00:00Z", "2025-01-11 09:00:00Z", "2025-01-11T09:00:00.5+02:00"] * 3
    + ["2025-01-11T09:00Z", "2025-01-11T09:00+02:00", "2025-01-11T9:00:00Z"]
    + ["2025-01-11T09:00:60Z"]
)
SEPARATORS = st.sampled_from([", ", ",", " , "] * 3 + [",\n", ",\n  ", ", \\\n"])
TRAILING = st.sampled_from([""] * 6 + [",", ",\n", "\n"])


@st.composite
def basic_string(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(PLAIN, PLAIN, ESCAPES), max_size=3))
    return '"' + "".join(parts).replace('"', "") + 'x"'


@st.composite
def tracker_text(draw: st.DrawFn) -> str:
    """SMALL_TRACKER with evidence written in TOML 1.0 and 1.1 forms, mixed at random."""
    entries = []
    for number in range(draw(st.integers(1, 3))):
        fields = {
            "id": f'"ev-{number:010d}"',
            "condition": '"troops"',
            "criterion": '"bases-closed"',
            "status": '"met"',
            "date": "2025-01-10",
            "source": draw(basic_string()),
            "summary": draw(basic_string()),
            "logged": draw(DATETIMES),
            "tags": draw(st.sampled_from(['["a"]', '["a", "b",]', '[\n  "a",\n]'])),
        }
        if draw(st.booleans()):
            body = "".join(f"{key} = {value}\n" for key, value in fields.items())
            entries.append(("table", f"\n[[evidence]]\n{body}"))
        else:
            pairs = [f"{key} = {value}" for key, value in fields.items()]
            joined = pairs[0] + "".join(draw(SEPARATORS) + pair for pair in pairs[1:])
            trailing = draw(TRAILING)
            entries.append(("inline", "{ " + joined + trailing + " }"))
    inline = [text for kind, text in entries if kind == "inline"]
    tables = [text for kind, text in entries if kind == "table"]
    top = f"evidence = [{', '.join(inline)}]\n" if inline and not tables else ""
    return top + TRACKER + "".join(tables)


def reference(text: str) -> bool:
    """tomllib's verdict, then the checks: what ``validate`` must say of ``text``."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    return check_document(document, text)[0] is not None


@pytest.fixture
def every_size_recorded() -> Iterator[None]:
    """Records (and the fast reader) for files of any size, as for large ones."""
    with mock.patch.object(remembered, "SMALL_BYTES", 0):
        yield


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=tracker_text())
def test_condtrack_and_tomllib_agree(
    text: str, tmp_path_factory: pytest.TempPathFactory, every_size_recorded: None
) -> None:
    """The same verdict from ``validate``, from reading (twice: the second read may be the
    fast one), and from an append, as tomllib and the checks give; and the same reading."""
    path = tmp_path_factory.mktemp("parity") / "conditions.toml"
    path.write_text(text, encoding="utf-8")
    valid = reference(text)
    event("valid" if valid else "refused")
    expected = 0 if valid else 2
    verdicts = [run(path, "validate").exit_code]
    readings = [run(path, "evidence", "--format", "json") for _ in range(2)]
    verdicts += [reading.exit_code for reading in readings]
    assert path.read_text("utf-8") == text
    if not text.startswith("evidence = ["):  # entries in a static array take no [[evidence]]
        verdicts.append(run(path, *LOG).exit_code)
    assert verdicts == [expected] * len(verdicts), (verdicts, text)
    if not valid:
        assert path.read_text("utf-8") == text  # refused: not a byte changed
        return
    document = tomllib.loads(text)
    shown = [json.loads(reading.stdout) for reading in readings]
    assert shown[0] == shown[1]
    assert [e["summary"] for e in shown[0]] == [e["summary"] for e in document["evidence"]]
    assert [e["source"] for e in shown[0]] == [e["source"] for e in document["evidence"]]


@settings(max_examples=300, deadline=None)
@given(text=tracker_text())
def test_the_readers_agree_on_what_tomllib_accepts(text: str) -> None:
    """Where tomllib accepts, the fast reader reads the same document; ``loads`` is tomllib."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        with pytest.raises(tomllib.TOMLDecodeError):
            tomlread.loads(text)
        return
    assert tomlread.loads(text) == document
    assert tomlread.loads_vouched(text) == document


def test_merge_reads_fast_only_the_versions_a_record_vouches_for(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """git's merge driver: OURS was read before (so recorded) and is read fast; THEIRS,
    never seen, is judged by tomllib, and its TOML 1.1 is refused. (When both sides only
    appended, the merge reads only what they appended, with tomllib, and no version fast.)"""
    entries = "".join(ENTRY.replace("ev-aaaaaaaaaa", f"ev-{n:010d}") for n in range(400))
    base, ours, theirs = (tmp_path / name for name in ("base.toml", "ours.toml", "theirs.toml"))
    base.write_text(TRACKER + entries, encoding="utf-8")
    # Two reports (the same one from each side would be kept once, by the full merge).
    mine = ENTRY.replace("ev-aaaaaaaaaa", "ev-ours").replace("Base closed.", "Ours.")
    ours.write_text(TRACKER + entries + mine, "utf-8")
    assert condtrack(ours, "status", env=env).returncode == 0  # leaves a record of OURS
    extension = ENTRY.replace("ev-aaaaaaaaaa", "ev-theirs").replace("09:00:00Z", "09:00Z")
    for last, verdict in [(extension, 2), (extension.replace("09:00Z", "09:00:00Z"), 0)]:
        theirs.write_text(TRACKER + entries + last, encoding="utf-8")
        before = ours.read_bytes()
        with mock.patch.object(
            tomlread, "loads_vouched", side_effect=tomlread.loads_vouched
        ) as fast:
            done = run(None, "merge", str(base), str(ours), str(theirs))
        assert done.exit_code == verdict, done.output
        read_fast = [before.decode("utf-8")] if verdict else []  # a plain append: none
        assert [call.args[0] for call in fast.call_args_list] == read_fast
        if verdict:
            assert "malformed TOML" in done.stderr and ours.read_bytes() == before
        else:
            merged = tomllib.loads(ours.read_text("utf-8"))["evidence"]
            assert {"ev-ours", "ev-theirs"} <= {e["id"] for e in merged}
