"""What an analyst sees at a terminal: text shown as written but never able to hide or
reorder itself, long logs cut to what is asked for, and ids whole at any width.

Everything runs through the real CLI; expected ids and texts are read from the tracker.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from condtrack.cli import app
from tests.conftest import SMALL_TRACKER

WIDE = {"COLUMNS": "1000"}
LOGGED = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)


def entry(number: int, **fields: Any) -> dict[str, Any]:
    """An evidence entry as the file holds it; ``fields`` override the plain defaults."""
    return {
        "id": f"ev-{number:010d}",
        "condition": "troops",
        "date": dt.date(2025, 1, 1) + dt.timedelta(days=number % 50),
        "source": "Monitor",
        "reliability": "B2",
        "summary": f"entry {number}",
        "logged": LOGGED,
    } | fields


def write_tracker(
    path: Path, entries: Iterable[dict[str, Any]], header: str = SMALL_TRACKER
) -> Path:
    document = tomllib.loads(header)
    document["evidence"] = list(entries)
    path.write_text(tomli_w.dumps(document), "utf-8")
    return path


def run(path: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(app, ["--file", str(path), *args], env=env)
    assert result.exit_code == 0, result.output
    return result


# --- joiners and marks pass, what hides or reorders text does not ---------------------------

PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # "I want", ZWNJ as spelled
FAMILY = "\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one emoji, joined by ZWJ
HEBREW = "\u05e9\u05dc\u05d5\u05dd\u200f (1)"  # RLM keeps the parenthesis with the Hebrew
ARABIC = "\u0661\u061c\u0662 \u200e-5"  # ALM and LRM around digits
HEART = "\u2764\ufe0f"  # VS16: the emoji, not the text glyph
FLAG = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"  # England
FRIENDLY = [PERSIAN, FAMILY, HEBREW, ARABIC, HEART, FLAG]


@pytest.fixture
def friendly(tmp_path: Path) -> Path:
    text = " ".join(FRIENDLY)
    return write_tracker(
        tmp_path / "conditions.toml",
        [entry(1, summary=text, source=PERSIAN, criterion="bases-closed", status="met")],
    )


@pytest.mark.parametrize(
    "args",
    [("evidence",), ("explain", "troops"), ("history", "ev-0000000001")],
    ids=["evidence", "explain", "history"],
)
def test_joiners_and_marks_are_shown_as_written(friendly: Path, args: tuple[str, ...]) -> None:
    out = run(friendly, *args, env=WIDE).stdout
    for text in FRIENDLY:
        assert text in out, (text, out)
    assert "\\u200" not in out and "\\u061c" not in out and "\\ufe0f" not in out


def test_joiners_in_titles_and_prompts_are_shown_as_written(tmp_path: Path) -> None:
    header = SMALL_TRACKER.replace("Foreign troops withdrawn", f"Foreign troops {PERSIAN}")
    path = write_tracker(tmp_path / "conditions.toml", [], header)
    assert f"Foreign troops {PERSIAN}" in run(path, "status", env=WIDE).stdout
    assert f"Foreign troops {PERSIAN}" in run(path, "conditions", env=WIDE).stdout


def test_the_file_keeps_joiners_and_escapes_what_hides(cli: Callable[..., Result],
                                                        tracker_file: Path) -> None:  # fmt: skip
    hidden = "\u202e\u2066\u200b\u00ad\u3164\U000e0041"
    result = cli("log", "troops", "--summary", f"{PERSIAN} {FAMILY} {hidden}", "--source", "x")
    assert result.exit_code == 0, result.output
    raw = tracker_file.read_text("utf-8")
    assert PERSIAN in raw and FAMILY in raw  # readable in an editor
    assert not set(hidden) & set(raw)
    assert "\\u202E" in raw and "\\U000E0041" in raw
    (stored,) = tomllib.loads(raw)["evidence"]
    assert stored["summary"] == f"{PERSIAN} {FAMILY} {hidden}"
    data = json.loads(cli("evidence", "--format", "json").stdout)
    assert data[0]["summary"] == stored["summary"]


# The classes, from Unicode's own categories rather than from condtrack's list.
PASSING_FORMATS = {0x200C, 0x200D, 0x200E, 0x200F, 0x061C}  # joiners and marks
PREPENDED = {*range(0x0600, 0x0606), 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2, 0x110BD, 0x110CD}
SELECTORS = {*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0), 0x180B, 0x180C, 0x180D, 0x180F}
FILLERS = {0x115F, 0x1160, 0x3164, 0xFFA0}  # Hangul letters that show as nothing


def dangerous(char: str) -> bool:
    """Would act on the terminal, or hide or reorder text (Trojan Source)."""
    category = unicodedata.category(char)
    if category == "Cc":
        return char != "\n"
    if category == "Cf":
        return ord(char) not in PASSING_FORMATS | PREPENDED
    return category in ("Zl", "Zp", "Cs") or ord(char) in FILLERS


def safe(char: str) -> bool:
    """Letters of any script, joiners, marks, emoji: shown exactly as written."""
    if ord(char) in FILLERS or ord(char) in SELECTORS:
        return False
    category = unicodedata.category(char)
    return category[0] in "LMN" or category == "So" or ord(char) in PASSING_FORMATS


def safe_runs(text: str) -> list[str]:
    runs, current = [], ""
    for char in text:
        if safe(char):
            current += char
        elif current:
            runs.append(current)
            current = ""
    return [*runs, current] if current else runs


def without_flags(text: str) -> str:
    return text.replace(FLAG, "")


summaries = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=40
) | st.lists(
    st.sampled_from([*FRIENDLY, "\u202e", "\u2066", "\u2069", "\x1b[2J", "\x9b", "\u200b",
                     "\ufe0f", "\U000e0041", "\u3164", "a", " ", "\n", "\u0301"]),
    min_size=1, max_size=12,
).map("".join)  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(summary=summaries)
def test_any_text_shows_no_dangerous_character_and_every_safe_one(
    tmp_path: Path, summary: str
) -> None:
    path = write_tracker(tmp_path / "conditions.toml", [entry(1, summary="x " + summary)])
    for args in (("explain", "troops"), ("evidence",)):
        out = run(path, *args, env=WIDE).stdout
        assert not [c for c in without_flags(out) if dangerous(c)], (summary, out)
        for piece in safe_runs(one_line_of(summary)):
            assert piece in out, (piece, out)


def one_line_of(text: str) -> str:
    return " ".join(text.split("\n"))
