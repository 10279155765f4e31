"""An export of a tracker whose entries were corrected (`condtrack amend`) imports into
another tracker: each corrected entry as a new one there (its history stays where it came
from), while a row that would amend an entry of the tracker it is imported into is still
refused (`condtrack amend` does that, with its checks).

The shipped record has amendments (grades corrected to the README's scale), and the
README's tour exports it and imports the export into a tracker of its own.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import SMALL_TRACKER
from tests.reliability.helpers import logged_id, ok, run


def tracker(folder: Path) -> Path:
    folder.mkdir()
    path = folder / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    return path


def evidence(path: Path) -> list[dict[str, object]]:
    listed: list[dict[str, object]] = json.loads(
        ok(run(path, "evidence", "--all", "--format", "json")).stdout
    )
    return listed


def test_an_export_with_a_corrected_entry_imports_into_another_tracker(tmp_path: Path) -> None:
    source = tracker(tmp_path / "source")
    first = logged_id(source, "log", "prisoners", "--indicator", "held", "--value", "1104",
                      "--date", "2025-01-10", "--source", "AP", "--summary", "count")  # fmt: skip
    corrected = logged_id(source, "amend", first, "--value", "1140", "--reason", "typo")
    for output_format in ("csv", "json"):
        exported = tmp_path / f"export.{output_format}"
        ok(run(source, "evidence", "--format", output_format, "-o", str(exported)))
        target = tracker(tmp_path / f"target-{output_format}")
        result = ok(run(target, "import", str(exported)))
        assert "column 'supersedes' is left out (row" in result.stderr, result.stderr
        (entry,) = evidence(target)
        assert (entry["id"], entry["value"]) == (corrected, 1140)
        assert entry.get("supersedes") is None and entry.get("reason") is None
        # Imported back into the tracker it came from, it is already recorded.
        again = run(source, "import", "--skip-duplicates", str(exported))
        assert again.exit_code == 0 and "duplicate" in again.stderr, again.stderr


def test_a_row_amending_an_entry_of_this_tracker_is_still_refused(tmp_path: Path) -> None:
    path = tracker(tmp_path / "one")
    first = logged_id(path, "log", "prisoners", "--indicator", "held", "--value", "1104",
                      "--date", "2025-01-10", "--source", "AP", "--summary", "count")  # fmt: skip
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps([{"condition": "prisoners", "date": "2025-01-10",
                                 "source": "AP", "summary": "count, corrected",
                                 "supersedes": first, "reason": "typo"}]), "utf-8")  # fmt: skip
    before = path.read_bytes()
    result = run(path, "import", str(rows))
    assert result.exit_code == 2
    assert "field 'supersedes'" in result.stderr and "condtrack amend" in result.stderr
    assert path.read_bytes() == before


def test_a_ledger_with_a_corrected_step_imports_back_whole(tmp_path: Path) -> None:
    """`relief list` exports every entry, the corrected and its correction: imported into
    another tracker, the two come in as the same chain (a re-trial saw the shipped ledger's
    export refused: "an import adds new entries only"), and the ledger reads the same."""
    source = tracker(tmp_path / "source")
    step = ["relief", "add", "--sender", "US", "--measure", "Belavia", "--action", "eased",
            "--source", "OFAC", "--summary", "licence", "--reliability", "A1"]  # fmt: skip
    first = logged_id(source, *step, "--date", "2025-09-10")
    logged_id(source, "relief", "amend", first, "--date", "2025-09-11", "--reason", "typo")
    listed = ["relief", "list", "--as-of", "2025-12-31", "--format", "json"]
    for output_format in ("csv", "json"):
        exported = tmp_path / f"ledger.{output_format}"
        ok(run(source, "relief", "list", "--format", output_format, "-o", str(exported)))
        target = tracker(tmp_path / f"target-{output_format}")
        ok(run(target, "import", str(exported)))
        ok(run(target, "validate"))
        keep = ("id", "action", "date", "supersedes", "reason", "counts", "state", "ahead")
        mine, theirs = (
            [{k: e[k] for k in keep} for e in json.loads(ok(run(p, *listed)).stdout)]
            for p in (source, target)
        )
        assert mine == theirs
