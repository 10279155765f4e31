"""An import's ``supersedes`` is held to the rule every reader of the file applies: an id
is written as stored. A correction naming another row of the same import (or an entry of
the tracker) in another case, a row naming itself, and a loop of corrections are refused,
naming the row, the field and what to write; nothing is imported (all or nothing), with
--dry-run and --skip-duplicates alike. (They were dropped with a warning that they
corrected an entry this tracker does not hold, so original and correction both counted.)
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.conftest import SMALL_TRACKER
from tests.reliability.helpers import ok, run

MODES: tuple[list[str], ...] = (
    [],
    ["--dry-run"],
    ["--skip-duplicates"],
    ["--dry-run", "--skip-duplicates"],
)


def row(entry_id: str, summary: str, **more: Any) -> dict[str, Any]:
    return {"id": entry_id, "condition": "prisoners", "indicator": "held", "value": 1200,
            "date": "2024-02-01", "source": "Viasna", "summary": summary,
            "reliability": "B2", **more}  # fmt: skip


def write(folder: Path, rows: list[dict[str, Any]], data_format: str) -> Path:
    path = folder / f"rows.{data_format}"
    if data_format == "json":
        path.write_text(json.dumps(rows), encoding="utf-8")
        return path
    columns = sorted({key for item in rows for key in item})
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def tracker(folder: Path) -> Path:
    path = folder / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    return path


def refused(path: Path, source: Path, mode: list[str]) -> list[str]:
    """Import ``source``, expect a refusal that leaves the tracker as it was; the lines."""
    before = path.read_bytes()
    result = run(path, "import", str(source), *mode)
    assert result.exit_code == 2, result.output
    assert path.read_bytes() == before
    assert "not hold" not in result.stderr  # the false "imported as new entries" warning
    return result.stderr.splitlines()


@pytest.mark.parametrize("data_format", ["json", "csv"])
@pytest.mark.parametrize("mode", MODES, ids=["plain", "dry", "skip", "dry-skip"])
def test_a_correction_naming_a_row_of_the_import_in_another_case_is_refused(
    tmp_path: Path, data_format: str, mode: list[str]
) -> None:
    path = tracker(tmp_path)
    rows = [row("viasna-fix", "Corrected count: 1,300", value=1300, supersedes="Viasna-Feb",
                reason="typo"), row("viasna-feb", "Count: 1,200")]  # fmt: skip
    lines = refused(path, write(tmp_path, rows, data_format), mode)
    (line,) = [x for x in lines if "row" in x and "supersedes" in x]
    first_row = 2 if data_format == "csv" else 1
    assert f"row {first_row}, field 'supersedes'" in line
    assert "'Viasna-Feb'" in line and "write 'viasna-feb'" in line
    # Spelled as the row spells it, the chain comes in whole: the correction stands alone.
    rows[0]["supersedes"] = "viasna-feb"
    ok(run(path, "import", str(write(tmp_path, rows, data_format))))
    listed = json.loads(ok(run(path, "evidence", "--format", "json")).stdout)
    assert [(e["id"], e.get("supersedes")) for e in listed] == [("viasna-fix", "viasna-feb")]


@pytest.mark.parametrize("data_format", ["json", "csv"])
@pytest.mark.parametrize("mode", MODES, ids=["plain", "dry", "skip", "dry-skip"])
def test_a_row_superseding_itself_is_refused_in_any_case(
    tmp_path: Path, data_format: str, mode: list[str]
) -> None:
    path = tracker(tmp_path)
    for spelling in ("w-a", "W-A"):
        rows = [row("w-a", "A", supersedes=spelling, reason="x")]
        lines = refused(path, write(tmp_path, rows, data_format), mode)
        assert any("field 'supersedes'" in x and "itself" in x for x in lines), lines


@pytest.mark.parametrize("data_format", ["json", "csv"])
@pytest.mark.parametrize("mode", MODES, ids=["plain", "dry", "skip", "dry-skip"])
def test_rows_superseding_each_other_are_refused_as_a_loop(
    tmp_path: Path, data_format: str, mode: list[str]
) -> None:
    path = tracker(tmp_path)
    rows = [row("z-a", "A", supersedes="z-b", reason="x"),
            row("z-b", "B", supersedes="z-c", reason="x"),
            row("z-c", "C", supersedes="z-a", reason="x")]  # fmt: skip
    lines = refused(path, write(tmp_path, rows, data_format), mode)
    looped = [x for x in lines if "field 'supersedes'" in x and "loop" in x]
    assert len(looped) == 3, lines
    assert "'z-a' -> 'z-b' -> 'z-c' -> 'z-a'" in looped[0]


@pytest.mark.parametrize("data_format", ["json", "csv"])
@pytest.mark.parametrize("mode", MODES, ids=["plain", "dry", "skip", "dry-skip"])
def test_a_correction_naming_a_tracker_entry_in_another_case_names_the_stored_spelling(
    tmp_path: Path, data_format: str, mode: list[str]
) -> None:
    path = tracker(tmp_path)
    ok(run(path, "import", str(write(tmp_path, [row("viasna-feb", "Count: 1,200")], "json"))))
    rows = [row("v2", "Count: 1,300", value=1300, supersedes="VIASNA-FEB", reason="x")]
    lines = refused(path, write(tmp_path, rows, data_format), mode)
    assert any(
        "field 'supersedes'" in x and "'VIASNA-FEB'" in x and "stored as 'viasna-feb'" in x
        for x in lines
    ), lines


def test_a_refused_link_is_named_with_the_rows_other_bad_fields(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    rows = [row("q-a", "A", supersedes="Q-B", reason="x", reliability="Z9", url="ftp://x"),
            row("q-b", "B")]  # fmt: skip
    lines = refused(path, write(tmp_path, rows, "json"), [])
    fields = {x.split("field ")[1].split(":")[0] for x in lines if "row 1, field" in x}
    assert fields == {"'supersedes'", "'reliability'", "'url'"}
    assert lines[-1].endswith("1 bad row")


@settings(max_examples=25)
@example(flips=[False] * 10, correction_first=True, data_format="csv")
@given(
    flips=st.lists(st.booleans(), min_size=10, max_size=10),
    correction_first=st.booleans(),
    data_format=st.sampled_from(["json", "csv"]),
)
def test_a_link_to_a_row_imports_exactly_when_it_is_spelt_as_the_row_spells_it(
    flips: list[bool],
    correction_first: bool,
    data_format: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("links")
    path = tracker(folder)
    target = "viasna-feb"
    spelt = "".join(c.upper() if flip else c for c, flip in zip(target, flips, strict=True))
    rows = [row("viasna-fix", "Count: 1,300", value=1300, supersedes=spelt, reason="typo"),
            row(target, "Count: 1,200")]  # fmt: skip
    rows = rows if correction_first else rows[::-1]
    before = path.read_bytes()
    result = run(path, "import", str(write(folder, rows, data_format)))
    if spelt == target:
        ok(result)
        listed = json.loads(ok(run(path, "evidence", "--format", "json")).stdout)
        assert [(e["id"], e.get("supersedes")) for e in listed] == [("viasna-fix", target)]
    else:
        assert result.exit_code == 2, result.output
        assert path.read_bytes() == before
        assert f"{spelt!r} is written in another case" in result.stderr
