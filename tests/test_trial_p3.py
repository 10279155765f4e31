"""The P3 findings of a trial of main that were left open: ids referred to in another case
than stored, counts in other digits, every invalid field of a relief amendment at once,
init on a dangling link, stdin and a literal tilde as the tracker, paths with a newline in
messages, relief amendment rows of a CSV import, blank merge arguments, decomposed tags, the
line ends of a one-sided merge, the `state` of a relief step that does not count, and the
relief help's examples.

Everything runs through the real CLI (in this process; a real process where it matters).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from condtrack.cli import app
from tests.reliability.helpers import EVIDENCE, TRACKER, invalid, refused, run, write_csv
from tests.test_relief import hand_written, relief_block

# --- 1. an id referred to in another case than stored: refused, naming the stored id ----

REFERENCES = {  # where an id is referred to: (the file, the place, the field)
    "evidence supersedes": (
        TRACKER + EVIDENCE.replace('supersedes = "ev-bbbbbbbbbb"', 'supersedes = "EV-BbbBBBBBBB"'),
        "evidence #3 (id 'ev-cccccccccc', line ",
        "supersedes",
    ),
    "retraction evidence": (
        TRACKER + EVIDENCE.replace('evidence = "ev-aaaaaaaaaa"', 'evidence = "Ev-AAAAAAAAAA"'),
        "retractions #1 (line ",
        "evidence",
    ),
}


def _relief_reference(tmp_path: Path, table: str) -> Path:
    first = relief_block(id='"rl-first"')
    if table == "relief":
        second = relief_block(id='"rl-second"', supersedes='"RL-First"', reason='"typo"')
    else:
        second = '\n[[retractions]]\nevidence = "RL-FIRST"\nreason = "no"\ndate = 2025-09-13\n'
    return hand_written(tmp_path, first, second)


@pytest.mark.parametrize("where", [*REFERENCES, "relief supersedes", "retraction of relief"])
@pytest.mark.parametrize("command", ["validate", "status", "relief list"])
def test_an_id_referred_to_in_another_case_is_refused_naming_the_stored_id(
    tmp_path: Path, where: str, command: str
) -> None:
    if where in REFERENCES:
        text, place, field = REFERENCES[where]
        path = tmp_path / "conditions.toml"
        path.write_text(text, "utf-8")
        stored = "ev-bbbbbbbbbb" if field == "supersedes" else "ev-aaaaaaaaaa"
    else:
        path = _relief_reference(tmp_path, "relief" if "supersedes" in where else "retraction")
        place = "relief #2 (id 'rl-second', line " if "supersedes" in where else "retractions #1"
        field = "supersedes" if "supersedes" in where else "evidence"
        stored = "rl-first"
    expected = [place, f"field {field!r}", f"stored as {stored!r}", f"write {stored!r}"]
    if command == "validate":
        assert len(invalid(path, *expected)) == 1
    else:
        refused(path, *command.split(), expect=expected)


def test_the_merge_driver_refuses_a_side_that_refers_to_an_id_in_another_case(
    tmp_path: Path,
) -> None:
    base = TRACKER + EVIDENCE.split('\n[[evidence]]\nid = "ev-cccccccccc"')[0]
    theirs_entry = (
        '\n[[evidence]]\nid = "ev-theirs"\ncondition = "prisoners"\nindicator = "held"\n'
        'value = 1000\ndate = 2025-01-12\nsource = "Viasna"\nreliability = "A1"\n'
        'summary = "Corrected."\nsupersedes = "EV-BBBBBBBBBB"\nreason = "typo"\n'
        "logged = 2025-01-13T10:00:00Z\n"
    )
    ours_entry = (
        '\n[[evidence]]\nid = "ev-ours"\ncondition = "troops"\ndate = 2025-01-12\n'
        'source = "Monitor"\nsummary = "More."\nlogged = 2025-01-13T11:00:00Z\n'
    )
    paths = [tmp_path / name for name in ("base.toml", "ours.toml", "theirs.toml")]
    for path, text in zip(paths, (base, base + ours_entry, base + theirs_entry), strict=True):
        path.write_text(text, "utf-8")
    ours = paths[1].read_bytes()
    result = CliRunner().invoke(app, ["merge", *map(str, paths), "conditions.toml"])
    assert result.exit_code == 1, result.output
    assert "stored as 'ev-bbbbbbbbbb': write 'ev-bbbbbbbbbb'" in result.stderr
    assert paths[1].read_bytes() == ours


def test_an_entry_cannot_supersede_itself_in_another_case(tmp_path: Path) -> None:
    path = hand_written(tmp_path, relief_block(supersedes='"RL-HAND"', reason='"typo"'))
    invalid(path, "relief #1", "cannot supersede itself")


def test_an_import_row_amending_an_entry_named_in_another_case_is_refused_as_an_amendment(
    tmp_path: Path,
) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(TRACKER + EVIDENCE, "utf-8")
    row = {"condition": "prisoners", "indicator": "held", "value": "1000",
           "date": "2025-01-12", "source": "Viasna", "reliability": "A1", "summary": "Fixed.",
           "supersedes": "EV-BBBBBBBBBB", "reason": "typo"}  # fmt: skip
    rows = write_csv(tmp_path / "rows.csv", [row], list(row))
    before = path.read_bytes()
    result = run(path, "import", str(rows))
    assert result.exit_code == 2, result.output
    assert "row 2, field 'supersedes': an import adds new entries only" in result.stderr
    assert path.read_bytes() == before
