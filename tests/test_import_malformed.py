"""A CSV or JSON file that is malformed is refused whole, naming where (trial of main):
a CSV quote never closed swallowed the rest of the file into one cell, and text after a
closing quote was kept with the quotes dropped; a JSON object giving a key twice kept the
last value, and a lone surrogate escape was called invalid UTF-8.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SMALL_TRACKER
from tests.reliability.helpers import ok, run

HEADER = "condition,date,source,summary,reliability\n"


def tracker(folder: Path) -> Path:
    path = folder / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    return path


def refused(path: Path, source: Path, *words: str) -> str:
    """Import ``source`` (and its dry run): exit 2, one line naming ``words``, no write."""
    before = path.read_bytes()
    for dry in ((), ("--dry-run",)):
        result = run(path, "import", *dry, str(source))
        assert result.exit_code == 2, result.output
        message = result.stderr.strip()
        assert "\n" not in message and "Traceback" not in message, message
        for word in words:
            assert word in message, message
        assert path.read_bytes() == before
    return message


def test_an_unclosed_quote_is_refused_not_read_as_the_rest_of_the_file(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    source = tmp_path / "q.csv"
    source.write_text(
        HEADER
        + 'prisoners,2024-04-01,A,"Viasna says 5 freed,B2\n'
        + "prisoners,2024-04-02,B,Second report,B2\n"
        + "prisoners,2024-04-03,C,Third report,B2\n",
        encoding="utf-8",
    )
    refused(path, source, "q.csv", "row 2", "line 2", "never closed")


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_text_after_a_closing_quote_is_refused_naming_its_row_and_line(
    tmp_path: Path, delimiter: str
) -> None:
    path = tracker(tmp_path)
    source = tmp_path / "t.csv"
    rows = [
        ["condition", "date", "source", "summary", "reliability"],
        ["prisoners", "2024-04-01", "A", '"two\nlines"', "B2"],
        ["prisoners", "2024-04-02", "A", '"ok" then more', "B2"],
    ]
    source.write_text("".join(delimiter.join(r) + "\n" for r in rows), encoding="utf-8")
    # the multi-line cell of row 2 takes lines 2 and 3: row 3 starts on line 4
    refused(path, source, "row 3", "line 4", "closing quote")


def test_a_quoted_cell_over_several_lines_still_imports(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    source = tmp_path / "m.csv"
    source.write_text(
        HEADER
        + 'prisoners,2024-04-01,A,"Viasna says 5 freed,\nand ""more"" to come",B2\n'
        + "prisoners,2024-04-02,B,Second report,B2\n",
        encoding="utf-8",
    )
    ok(run(path, "import", str(source)))
    listed = json.loads(ok(run(path, "evidence", "--format", "json")).stdout)
    assert [e["summary"] for e in listed] == [
        'Viasna says 5 freed,\nand "more" to come',
        "Second report",
    ]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=st.integers(0, 3), after=st.integers(0, 3))
def test_an_unclosed_quote_anywhere_lands_nothing(
    tmp_path_factory: pytest.TempPathFactory, before: int, after: int
) -> None:
    folder = tmp_path_factory.mktemp("q")
    path = tracker(folder)
    good = [f"prisoners,2024-04-0{n + 1},S{n},Report {n},B2\n" for n in range(before + after)]
    bad = 'prisoners,2024-05-01,X,"never closed,B2\n'
    source = folder / "q.csv"
    source.write_text(HEADER + "".join(good[:before]) + bad + "".join(good[before:]), "utf-8")
    refused(path, source, f"row {before + 2}", f"line {before + 2}", "never closed")


def test_a_json_key_given_twice_is_refused_naming_the_item_and_key(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    source = tmp_path / "d.json"
    good = (
        '{"condition":"prisoners","date":"2024-04-01","source":"A",'
        '"summary":"x","reliability":"B2"}'
    )
    twice = (
        '{"condition":"prisoners","date":"2024-04-02","source":"A",'
        '"summary":"x","summary":"y","reliability":"B2"}'
    )
    source.write_text(f"[{good},{twice}]", encoding="utf-8")
    refused(path, source, "item 2", "'summary'", "twice")


def test_a_json_lone_surrogate_is_named_as_such(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    source = tmp_path / "s.json"
    source.write_text(
        '[{"condition":"prisoners","date":"2024-04-01","source":"A",'
        '"summary":"x\\ud800","reliability":"B2"}]',
        encoding="utf-8",
    )
    message = refused(path, source, "item 1", "'summary'", "lone surrogate", "\\ud800")
    assert "UTF-8" not in message


@pytest.mark.parametrize(
    ("where", "field"),
    [
        ('"source":"B","summary":"x\\udc00 y"', "summary"),
        ('"summary":"y","source":"B","tags":["ok","\\ud800"]', "tags"),
        ('"summary":"y","source\\ud83d":"A"', "source\ud83d"),
    ],
    ids=["field", "in-a-list", "key"],
)
def test_a_json_lone_surrogate_anywhere_in_a_row_is_named(
    tmp_path: Path, where: str, field: str
) -> None:
    path = tracker(tmp_path)
    source = tmp_path / "s.json"
    good = '{"condition":"prisoners","date":"2024-04-01","source":"A","summary":"x"}'
    bad = '{"condition":"prisoners","date":"2024-04-02","reliability":"B2",' + where
    source.write_text(f"[{good},{bad}}}]", encoding="utf-8")
    message = refused(path, source, "item 2", repr(field), "lone surrogate")
    assert "UTF-8" not in message


def test_a_json_integer_too_long_to_convert_is_refused_as_implausible(tmp_path: Path) -> None:
    """Python refuses to convert an integer of over 4,300 digits and advises raising its
    limit; an import says what is wrong with the file instead, and writes nothing."""
    import subprocess
    import sys

    tracker = tmp_path / "t.toml"
    init = [sys.executable, "-m", "condtrack", "--file", str(tracker), "init"]
    subprocess.run(init, check=True, capture_output=True)
    before = tracker.read_bytes()
    rows = tmp_path / "rows.json"
    row = (
        '[{"condition": "political-prisoners", "indicator": "prisoners-held", '
        '"value": ' + "9" * 5000 + ', "date": "2025-01-01", "source": "s", "summary": "s"}]'
    )
    rows.write_text(row, encoding="utf-8")
    argv = [sys.executable, "-m", "condtrack", "--file", str(tracker), "import", str(rows)]
    done = subprocess.run(
        argv, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}
    )
    assert done.returncode == 2, done.stderr
    assert "5,000 digits is implausibly large" in done.stderr
    assert "set_int_max_str_digits" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert tracker.read_bytes() == before
