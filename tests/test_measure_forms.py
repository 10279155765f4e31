"""Measures are compared in one normal form (issue 12/14 trial, left open): a measure typed
with invisible (zero-width, format) characters, in full-width or other compatibility
letters, in another case or spacing, is the same measure wherever relief is grouped (state,
reimposition, the sender x measure matrix, completion) and the same step for the duplicate
rule; tags are matched the same way by `evidence --tag`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import Result

from condtrack.textsafe import folded
from tests.conftest import SMALL_TRACKER
from tests.reliability.helpers import ok, run


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, "utf-8")
    return path


def relief(path: Path, measure: str, action: str, date: str, sender: str = "US") -> Result:
    return run(path, "relief", "add", "--sender", sender, "--measure", measure,
               "--action", action, "--date", date, "--source", "OFAC", "--reliability", "A1",
               "--summary", f"{action} {date}")  # fmt: skip


def measures(path: Path) -> list[dict[str, object]]:
    found = json.loads(ok(run(path, "status", "--format", "json")).stdout)["relief"]
    assert isinstance(found, list)
    return found


# Belavia as a reader sees it, typed otherwise.
SPELLINGS = [
    "Bela\u200bvia",  # a zero-width space
    "\u2066Belavia\u2069",  # bidi isolates
    "\uff22\uff45\uff4c\uff41\uff56\uff49\uff41",  # full-width letters
    "BELAVIA",
    " Belavia\u00a0",  # a no-break space at the end
    "Belavia\ufe0f",  # a variation selector (emoji presentation)
    "Bela\u034fvia",  # a combining grapheme joiner
    "\u3164Belavia\uffa0",  # Hangul fillers
    "Bel\u180bavia\U000e0100",  # a Mongolian and a supplementary variation selector
    "Bel\u17b4avia",  # a Khmer inherent vowel
]

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt), range by range.
IGNORABLE = [
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
]  # fmt: skip
IGNORABLES = st.one_of(*(st.integers(low, high) for low, high in IGNORABLE)).map(chr)


@pytest.mark.parametrize("spelling", SPELLINGS, ids=range(len(SPELLINGS)))
def test_a_reimposition_of_a_measure_spelt_otherwise_ends_the_easing(
    tracker: Path, spelling: str
) -> None:
    ok(relief(tracker, "Belavia", "eased", "2025-09-11"))
    ok(relief(tracker, spelling, "reimposed", "2025-10-11", sender="us"))
    (measure,) = measures(tracker)  # one measure, not two
    assert measure["state"] == "reimposed"
    ok(run(tracker, "validate"))


@pytest.mark.parametrize("spelling", SPELLINGS, ids=range(len(SPELLINGS)))
def test_the_same_step_spelt_otherwise_is_a_duplicate(tracker: Path, spelling: str) -> None:
    first = ok(relief(tracker, "Belavia", "eased", "2025-09-11")).stdout.strip()
    before = tracker.read_bytes()
    refused = relief(tracker, spelling, "eased", "2025-09-11")
    assert refused.exit_code == 2
    assert f"duplicate of {first}" in refused.stderr
    assert tracker.read_bytes() == before


def test_the_matrix_has_one_row_for_a_measure_spelt_two_ways(tracker: Path) -> None:
    ok(relief(tracker, "Belavia", "eased", "2025-09-11"))
    ok(relief(tracker, "Bela\u200bvia", "eased", "2025-09-20", sender="EU"))
    found = measures(tracker)
    assert len(found) == 2  # two senders
    report = json.loads(ok(run(tracker, "report", "--format", "json")).stdout)
    rows = report["relief"]["matrix"]["rows"]
    assert len(rows) == 1, rows


def test_a_tag_is_matched_in_the_same_normal_form(tracker: Path) -> None:
    entry = ok(run(tracker, "log", "troops", "--criterion", "bases-closed", "--status", "met",
                   "--date", "2025-01-10", "--source", "Monitor", "-r", "B2", "-s", "x",
                   "--tag", "Q1")).stdout.strip()  # fmt: skip
    for typed in ("q1", "\uff31\uff11"):
        listed = ok(run(tracker, "evidence", "--tag", typed, "--format", "json")).stdout
        assert entry in listed, typed


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=30), st.text(max_size=30))
def test_two_measures_group_together_exactly_when_a_reader_sees_the_same_text(
    first: str, second: str
) -> None:
    """The normal form's own laws: it is idempotent, and text that differs only by what
    it removes or folds groups together."""
    assert folded(folded(first)) == folded(first)
    noisy = "\u200b".join(first.upper()) + "\ufeff"
    assert folded(noisy) == folded(first.upper())
    joined = folded(first + " " + second)
    assert joined == folded(f"{folded(first)}  {folded(second)}")


@settings(max_examples=300)
@given(st.text(max_size=20), st.lists(st.tuples(st.integers(0, 20), IGNORABLES), max_size=4))
def test_a_default_ignorable_anywhere_folds_away(
    text: str, inserted: list[tuple[int, str]]
) -> None:
    noisy = text
    for position, char in inserted:
        noisy = noisy[:position] + char + noisy[position:]
    assert folded(noisy) == folded(text)


def test_the_status_table_shows_a_grapheme_joiner_as_an_escape(tracker: Path) -> None:
    ok(relief(tracker, "Bela\u034fvia", "eased", "2025-09-11"))
    shown = ok(run(tracker, "status")).stdout
    assert "\u034f" not in shown
    assert "Bela\\u034fvia" in shown


@pytest.mark.parametrize("typed", ["\uff35\uff33", "u\u200bs", " us "], ids=range(3))
def test_relief_list_finds_a_sender_typed_as_a_reader_sees_it(tracker: Path, typed: str) -> None:
    first = ok(relief(tracker, "Belavia", "eased", "2025-09-11")).stdout.strip()
    other = ok(relief(tracker, "Belavia", "eased", "2025-09-12", sender="EU")).stdout.strip()
    listed = ok(run(tracker, "relief", "list", "--sender", typed, "--format", "json")).stdout
    assert first in listed
    assert other not in listed


def test_evidence_source_filter_compares_as_a_reader_sees_it(tracker: Path) -> None:
    entry = ok(run(tracker, "log", "troops", "--criterion", "bases-closed", "--status", "met",
                   "--date", "2025-01-10", "--source", "Reuters", "-r", "B2",
                   "-s", "x"))  # fmt: skip
    listed = ok(run(tracker, "evidence", "--source", "\uff32eu\u200bters", "--format", "json"))
    assert entry.stdout.strip() in listed.stdout


DECOMPOSED, COMPOSED = "rele\u0301ase", "rel\u00e9ase"


def _tags(path: Path, table: str) -> list[list[str]]:
    import tomllib

    return [e.get("tags", []) for e in tomllib.loads(path.read_text("utf-8")).get(table, [])]


def test_a_tag_typed_decomposed_is_stored_composed_wherever_tags_come_in(
    tracker: Path, tmp_path: Path
) -> None:
    logged = ok(run(tracker, "log", "troops", "--criterion", "bases-closed", "--status", "met",
                    "--date", "2025-01-10", "--source", "Monitor", "-r", "B2", "-s", "x",
                    "--tag", DECOMPOSED)).stdout.strip()  # fmt: skip
    ok(run(tracker, "amend", logged, "--reason", "r", "--tag", DECOMPOSED, "--tag", "a\u0301"))
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "condition,summary,source,date,reliability,tags\n"
        f"troops,imported,Monitor,2025-01-11,B2,{DECOMPOSED};a\u030a\n",
        "utf-8",
    )
    ok(run(tracker, "import", str(rows)))
    added = ok(run(tracker, "relief", "add", "--sender", "US", "--measure", "Belavia",
                   "--action", "eased", "--date", "2025-09-11", "--source", "OFAC",
                   "--reliability", "A1", "--summary", "s", "--tag", DECOMPOSED))  # fmt: skip
    relief_id = added.stdout.strip()
    ok(run(tracker, "relief", "amend", relief_id, "--reason", "r", "--tag", "c\u0327"))
    assert _tags(tracker, "evidence") == [[COMPOSED], [COMPOSED, "\u00e1"], [COMPOSED, "\u00e5"]]
    assert _tags(tracker, "relief") == [[COMPOSED], ["\u00e7"]]
    listed = ok(run(tracker, "evidence", "--tag", COMPOSED, "--format", "json")).stdout
    assert logged in listed
    ok(run(tracker, "validate"))
