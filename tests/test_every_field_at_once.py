"""Every field problem of one entry is named in one go: the model's (a grade, a URL, a
date) and the tracker's (an indicator's minimum, an unknown condition for an easing), for
log, amend, relief add, relief amend and each import row (JSON and CSV). Before, a value
below its indicator's minimum or a `--for` naming no condition showed only once the other
fields were fixed, and an import row with a bad date named its date alone. Where one field
makes another check impossible (an unknown indicator leaves its minimum unknown), the one
that can be said is said.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SMALL_TRACKER
from tests.reliability.helpers import logged_id, ok, run

BAD = ["--reliability", "Z9", "--url", "ftp://x"]
# What each bad field's message says, wherever it is named.
SAYS = {
    "reliability": "'Z9' is not an Admiralty code",
    "url": "'ftp://x' is not an http(s) URL",
    "value": "-5 is below held's minimum of 0",
    "date": "is not a valid date",
    "for": "unknown condition 'nowhere'",
}


def tracker(tmp_path: Path) -> Path:
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    return path


def refused_line(path: Path, *args: str) -> str:
    before = path.read_bytes()
    result = run(path, *args)
    assert result.exit_code == 2, result.output
    assert path.read_bytes() == before
    (line,) = result.stderr.splitlines()
    return line


def names_all(line: str, options: dict[str, str]) -> None:
    for field, option in options.items():
        assert f"{option}: " in line and SAYS[field] in line, (field, line)


def test_log_names_a_value_below_the_minimum_with_the_other_bad_fields(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    line = refused_line(path, "log", "prisoners", "--date", "2024-03-01", *BAD,
                        "--indicator", "held", "--value", "-5", "--source", "s",
                        "--summary", "s")  # fmt: skip
    names_all(line, {"reliability": "--reliability", "url": "--url", "value": "--value"})
    # An unknown indicator leaves its minimum unknowable: the indicator is named instead.
    line = refused_line(path, "log", "prisoners", "--date", "2024-03-01", *BAD,
                        "--indicator", "hled", "--value", "-5", "--source", "s",
                        "--summary", "s")  # fmt: skip
    names_all(line, {"reliability": "--reliability", "url": "--url"})
    assert "--indicator: unknown indicator 'hled'" in line and "--value" not in line


def test_amend_names_a_value_below_the_minimum_with_the_other_bad_fields(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    first = logged_id(path, "log", "prisoners", "--date", "2024-03-01", "--indicator",
                      "held", "--value", "5", "--source", "s", "--summary", "s")  # fmt: skip
    line = refused_line(path, "amend", first, "--value", "-5", *BAD, "--reason", "r")
    names_all(line, {"reliability": "--reliability", "url": "--url", "value": "--value"})


def test_relief_add_and_amend_name_an_unknown_condition_with_the_other_bad_fields(
    tmp_path: Path,
) -> None:
    path = tracker(tmp_path)
    step = ["--sender", "US", "--measure", "m", "--action", "eased", "--date", "2024-01-01",
            "--source", "s", "--summary", "s"]  # fmt: skip
    line = refused_line(path, "relief", "add", *step, *BAD, "--for", "nowhere")
    names_all(line, {"reliability": "--reliability", "url": "--url", "for": "--for"})
    added = logged_id(path, "relief", "add", *step, "--for", "prisoners", "-r", "B2")
    line = refused_line(path, "relief", "amend", added, *BAD, "--for", "nowhere",
                        "--reason", "r")  # fmt: skip
    names_all(line, {"reliability": "--reliability", "url": "--url", "for": "--for"})


ROW = {"condition": "prisoners", "indicator": "held", "source": "s", "summary": "s"}


@pytest.mark.parametrize("data_format", ["json", "csv"])
@pytest.mark.parametrize("dry_run", [False, True], ids=["write", "dry-run"])
def test_an_import_row_names_each_bad_field_on_its_own_line(
    tmp_path: Path, data_format: str, dry_run: bool
) -> None:
    path = tracker(tmp_path)
    rows = [
        {**ROW, "value": -5, "date": "2024-02-30", "reliability": "Z9", "url": "ftp://x"},
        {**ROW, "value": -5, "date": "2024-02-01", "reliability": "Z9", "url": "ftp://x"},
        {**ROW, "value": 5, "date": "2024-02-01", "reliability": "B2"},  # a good row
    ]
    source = tmp_path / f"rows.{data_format}"
    if data_format == "json":
        source.write_text(json.dumps(rows), encoding="utf-8")
    else:
        header = list(rows[0])
        lines = [",".join(header)]
        lines += [",".join(str(item.get(name, "")) for name in header) for item in rows]
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = path.read_bytes()
    result = run(path, "import", str(source), *(["--dry-run"] if dry_run else []))
    assert result.exit_code == 2, result.output
    assert path.read_bytes() == before
    first = 2 if data_format == "csv" else 1
    named = {
        (line.split(": row ")[1].split(",")[0], line.split("field '")[1].split("'")[0])
        for line in result.stderr.splitlines()
        if "field '" in line
    }
    expected = {(str(first), f) for f in ("date", "reliability", "url", "value")}
    expected |= {(str(first + 1), f) for f in ("reliability", "url", "value")}
    assert named == expected, result.stderr
    for line in result.stderr.splitlines():
        if "field '" in line:
            assert SAYS[line.split("field '")[1].split("'")[0]] in line, line
    assert result.stderr.splitlines()[-1].endswith("2 bad rows")
    # Fixed, the rows import, each entry once.
    rows[0].update(date="2024-02-28", value=5, reliability="B2", url="https://example.org/a")
    rows[1].update(value=6, reliability="B2", url="https://example.org/b")
    source = tmp_path / "fixed.json"
    source.write_text(json.dumps(rows), encoding="utf-8")
    ok(run(path, "import", str(source)))
    listed = json.loads(ok(run(path, "evidence", "--format", "json")).stdout)
    assert sorted(e["value"] for e in listed) == [5, 5, 6]


def test_an_import_row_with_a_bad_date_correcting_a_later_row_names_its_date_alone(
    tmp_path: Path,
) -> None:
    """The row's link to a row listed after it is good: only its date is named."""
    path = tracker(tmp_path)
    rows = [{**ROW, "id": "b", "value": 6, "date": "2024-02-30", "supersedes": "a",
             "reason": "typo"}, {**ROW, "id": "a", "value": 5, "date": "2024-02-01"}]  # fmt: skip
    source = tmp_path / "rows.json"
    source.write_text(json.dumps(rows), encoding="utf-8")
    result = run(path, "import", str(source))
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[:-1] == [
        f"{source}: row 1, field 'date': '2024-02-30' is not a valid date"
    ]


def test_a_value_that_is_no_number_is_named_with_the_other_bad_fields(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    line = refused_line(path, "log", "prisoners", "--date", "2024-03-01", *BAD,
                        "--indicator", "held", "--value", "abc", "--source", "s",
                        "--summary", "s")  # fmt: skip
    names_all(line, {"reliability": "--reliability", "url": "--url"})
    assert "--value: 'abc' is not a number" in line
    first = logged_id(path, "log", "prisoners", "--date", "2024-03-01", "--indicator",
                      "held", "--value", "5", "--source", "s", "--summary", "s")  # fmt: skip
    line = refused_line(path, "amend", first, "--value", "abc", *BAD, "--reason", "r")
    names_all(line, {"reliability": "--reliability", "url": "--url"})
    assert "--value: 'abc' is not a number" in line
    # The same figure as the original's is still no change at all.
    line = refused_line(path, "amend", first, "--value", "5", "--reason", "r")
    assert "the amendment changes nothing" in line
