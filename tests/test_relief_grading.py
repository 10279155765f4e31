"""Relief follows the tracker's `min_reliability` as evidence does.

An E5 rumour of an easing once put a measure in effect and failed the sequencing gate;
below the minimum, a relief entry is recorded but does not count (its reason shown where
`relief list` shows why an entry does not count), and `relief add` warns as `log` does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Invoke

GRADES = ["A1", "C3", "C4", "D2", "E5", "F6"]


def _ease(cli: Invoke, grade: str, measure: str = "oil") -> tuple[str, str]:
    done = cli(
        "relief", "add", "--sender", "US", "--measure", measure, "--action", "eased",
        "--date", "2025-03-01", "--source", "Rumour mill", "--reliability", grade,
        "--summary", f"said to be eased ({grade})",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    return done.stdout.strip(), done.stderr


@pytest.mark.parametrize("grade", GRADES)
def test_a_relief_entry_counts_exactly_when_evidence_of_its_grade_would(
    grade: str, cli: Invoke, tracker_file: Path
) -> None:
    logged = cli(
        "log", "troops", "--criterion", "bases-closed", "--status", "not-met",
        "--date", "2025-03-01", "--source", "Monitor", "--reliability", grade,
        "--summary", "bases still open",
    )  # fmt: skip
    assert logged.exit_code == 0, logged.output
    explained = json.loads(cli("explain", "troops", "--format", "json").stdout)
    (evidence,) = explained["evidence"]
    entry_id, said = _ease(cli, grade)

    listed = json.loads(cli("relief", "list", "--format", "json").stdout)
    (step,) = listed
    assert step["id"] == entry_id
    assert (step["counts"], step["excluded"]) == (evidence["counted"], evidence["not_counted"])
    # The gate and the measure's state follow: an easing that does not count is no easing.
    status = json.loads(cli("status", "--format", "json").stdout)
    (measure,) = status["relief"]
    assert (measure["state"] == "in-effect") is evidence["counted"]
    gate = cli("check", "--min-score", "0", "--require-sequencing")
    assert (gate.exit_code == 1) is evidence["counted"], gate.output
    # relief add warns as log does, in the same words.
    warned = "recorded, but it will not count" in said
    assert warned is (not evidence["counted"])
    assert warned is ("recorded, but it will not count" in logged.stderr)


def test_relief_list_says_why_a_low_grade_does_not_count(cli: Invoke) -> None:
    _ease(cli, "E5")
    text = cli("relief", "list").stdout
    assert "not counted: graded E5, below the minimum C3" in " ".join(text.split())
    assert cli("check", "--min-score", "0", "--require-sequencing").exit_code == 0


def test_amending_a_relief_grade_below_the_minimum_warns(cli: Invoke) -> None:
    entry_id, said = _ease(cli, "B2")
    assert "warning" not in said
    for command, grade in ((["relief", "amend"], "E5"), (["amend"], "D4")):
        done = cli(*command, entry_id, "--reliability", grade, "--reason", "a rumour after all")
        assert done.exit_code == 0, done.output
        assert f"graded {grade}, below this tracker's minimum C3" in done.stderr
        entry_id = done.stdout.strip()


def test_importing_a_low_graded_relief_row_warns(cli: Invoke, tmp_path: Path) -> None:
    rows = tmp_path / "relief.csv"
    rows.write_text(
        "kind,sender,measure,action,date,source,summary,reliability\n"
        "relief,US,oil,eased,2025-03-01,Rumour mill,said to be eased,E5\n",
        encoding="utf-8",
    )
    done = cli("import", str(rows))
    assert done.exit_code == 0, done.output
    assert "graded E5, below this tracker's minimum C3" in done.stderr
