"""Ids in any case (issue 12/14 trial, left open): condtrack makes lowercase ids, finds an id
typed in any case (`amend`, `retract`, `history`, `relief amend`), and `validate` refuses two
ids that differ only by case, which would otherwise be two entries one typed id names."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.conftest import SMALL_TRACKER
from tests.reliability.helpers import ok, run


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, "utf-8")
    return path


def log(path: Path, summary: str = "Base closed.") -> str:
    return ok(run(path, "log", "troops", "--criterion", "bases-closed", "--status", "met",
                  "--date", "2025-01-10", "--source", "Monitor", "-r", "B2",
                  "-s", summary)).stdout.strip()  # fmt: skip


def relief(path: Path) -> str:
    return ok(run(path, "relief", "add", "--sender", "US", "--measure", "Belavia",
                  "--action", "eased", "--date", "2025-09-11", "--source", "OFAC",
                  "--summary", "GL 11")).stdout.strip()  # fmt: skip


def document(path: Path) -> dict[str, object]:
    return tomllib.loads(path.read_text("utf-8"))


def test_new_ids_are_lowercase_and_are_found_in_any_case(tracker: Path) -> None:
    entry = log(tracker)
    assert entry == entry.lower()
    shouted = entry.upper()
    amendment = ok(run(tracker, "amend", shouted, "--summary", "Bases closed.",
                       "--reason", "plural")).stdout.strip()  # fmt: skip
    evidence = document(tracker)["evidence"]
    assert isinstance(evidence, list)
    assert evidence[-1]["supersedes"] == entry  # the file holds the id as recorded
    history = ok(run(tracker, "history", shouted.capitalize(), "--format", "json"))
    assert entry in history.stdout and amendment in history.stdout
    ok(run(tracker, "retract", amendment.upper(), "--reason", "wrong"))
    retractions = document(tracker)["retractions"]
    assert isinstance(retractions, list) and retractions[0]["evidence"] == amendment
    ok(run(tracker, "validate"))


def test_relief_ids_are_found_in_any_case(tracker: Path) -> None:
    step = relief(tracker)
    named = ok(run(tracker, "relief", "amend", step.upper(), "--instrument", "GL 11",
                   "--reason", "named")).stdout.strip()  # fmt: skip
    ok(run(tracker, "amend", named.upper().replace("RL-", "rl-"), "--summary", "General Licence",
           "--reason", "spelt out"))  # fmt: skip
    entries = document(tracker)["relief"]
    assert isinstance(entries, list)
    assert [e.get("supersedes") for e in entries] == [None, step, named]
    ok(run(tracker, "history", step.upper()))
    ok(run(tracker, "retract", step.upper(), "--reason", "never granted"))
    ok(run(tracker, "validate"))


def test_an_unknown_id_in_another_case_is_still_unknown(tracker: Path) -> None:
    log(tracker)
    before = tracker.read_bytes()
    refused = run(tracker, "amend", "EV-NOSUCHID00", "--summary", "x", "--reason", "y")
    assert refused.exit_code == 2 and "no evidence with id 'EV-NOSUCHID00'" in refused.stderr
    assert tracker.read_bytes() == before


@pytest.mark.parametrize("table", ["evidence", "relief"])
def test_validate_refuses_two_ids_that_differ_only_by_case(tracker: Path, table: str) -> None:
    first = log(tracker) if table == "evidence" else relief(tracker)
    text = tracker.read_text("utf-8")
    block = text[text.index(f"[[{table}]]") :]
    twin = first.upper()
    tracker.write_text(text + "\n" + block.replace(f'id = "{first}"', f'id = "{twin}"'), "utf-8")
    validated = run(tracker, "validate")
    assert validated.exit_code == 2
    assert f"id {twin!r} differs only by case from {first!r}" in validated.stderr
    assert f"{table} #2 (id {twin!r}" in validated.stderr
    # Every command refuses the file, so an id typed in any case never names two entries.
    assert run(tracker, "history", first).exit_code == 2


def test_an_imported_id_that_differs_only_by_case_is_refused(tracker: Path) -> None:
    first = log(tracker)
    rows = tracker.with_name("rows.csv")
    header = "id,condition,criterion,status,date,source,reliability,summary\n"
    rows.write_text(header + f"{first.upper()},troops,troops-gone,met,2025-02-01,ISW,B2,Gone.\n")
    before = tracker.read_bytes()
    refused = run(tracker, "import", str(rows))
    assert refused.exit_code == 2, refused.output
    assert "differs only by case" in refused.stderr
    assert tracker.read_bytes() == before


def test_a_lowercase_id_beside_a_recorded_uppercase_one_is_refused(tracker: Path) -> None:
    first = log(tracker)
    tracker.write_text(tracker.read_text("utf-8").replace(first, "EV-BYHAND01"), "utf-8")
    ok(run(tracker, "validate"))  # one id in capitals is fine (and the file is now recorded)
    rows = tracker.with_name("rows.csv")
    header = "id,condition,criterion,status,date,source,reliability,summary\n"
    rows.write_text(header + "ev-byhand01,troops,troops-gone,met,2025-02-01,ISW,B2,Gone.\n")
    before = tracker.read_bytes()
    refused = run(tracker, "import", str(rows))
    assert refused.exit_code == 2, refused.output
    assert "id 'ev-byhand01' differs only by case from 'EV-BYHAND01'" in refused.stderr
    assert tracker.read_bytes() == before


@pytest.mark.parametrize("command", [["relief", "amend"], ["amend"], ["retract"]])
def test_commands_name_a_relief_id_as_stored_whatever_its_case(
    tracker: Path, command: list[str]
) -> None:
    step = relief(tracker)
    typed = step.upper()
    change = ["--summary", "General Licence"] if command != ["retract"] else []
    done = ok(run(tracker, *command, typed, "--reason", "r", *change))
    assert step in done.stderr
    assert typed not in done.stderr


def test_rows_of_one_import_that_differ_only_by_case_are_refused(tracker: Path) -> None:
    """An import's rows are checked against the ids taken before them, those of the earlier
    rows included (which the checks keep from row to row)."""
    rows = tracker.with_name("rows.csv")
    header = "id,condition,criterion,status,date,source,reliability,summary\n"
    rows.write_text(
        header
        + "EV-ROWONE01,troops,troops-gone,met,2025-02-01,ISW,B2,Gone.\n"
        + "ev-other001,troops,troops-gone,met,2025-02-02,ISW,B2,Still gone.\n"
        + "ev-rowone01,troops,troops-gone,met,2025-02-03,ISW,B2,Gone again.\n"
    )
    before = tracker.read_bytes()
    refused = run(tracker, "import", str(rows))
    assert refused.exit_code == 2, refused.output
    assert "id 'ev-rowone01' differs only by case from 'EV-ROWONE01'" in refused.stderr
    assert tracker.read_bytes() == before


def test_an_import_works_out_the_ids_in_capitals_once(
    tracker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not once per row: that walked every id of the tracker for each row (an import of
    10,000 rows into 100,000 entries took most of a minute)."""
    from condtrack.domain import entries
    from condtrack.schema import validation

    log(tracker)
    calls: list[int] = []
    real = validation.cased_ids

    def counted(ids: object) -> dict[str, str]:
        calls.append(1)
        return real(ids)  # type: ignore[arg-type]

    monkeypatch.setattr(entries, "cased_ids", counted)
    rows = tracker.with_name("rows.csv")
    header = "condition,criterion,status,date,source,reliability,summary\n"
    rows.write_text(
        header
        + "".join(
            f"troops,troops-gone,met,2025-02-{day:02d},ISW,B2,Day {day}.\n" for day in range(1, 21)
        )
    )
    ok(run(tracker, "import", str(rows)))
    assert len(document(tracker)["evidence"]) == 21  # type: ignore[arg-type]
    assert calls == [1]
