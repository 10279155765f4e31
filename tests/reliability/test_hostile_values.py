"""Hostile values at every way in: impossible dates, NaN and huge numbers, deep nesting,
oversized files and symlinks. Each is a clear one-line refusal that changes nothing, or,
where the value is fine, simply works.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import condtrack.storage.store
from tests.reliability.helpers import (
    LOG_ARGS,
    TRACKER,
    WITH_EVIDENCE,
    evidence_block,
    evidence_of,
    file_with,
    invalid,
    logged_id,
    not_a_crash,
    ok,
    one_line_error,
    refused,
    run,
    write_csv,
    write_json,
)

CSV_HEADER = ("condition", "indicator", "value", "date", "source", "summary")


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "message"),
    [("2025-02-30", "not a valid date"), ("0001-01-01", "before 1900"),
     ("1899-12-31", "before 1900")],
)  # fmt: skip
def test_impossible_and_ancient_dates_are_refused_at_every_way_in(
    filled: Path, day: str, message: str
) -> None:
    for args in (
        (*LOG_ARGS[:-2], "--date", day),
        ("amend", "ev-cccccccccc", "--date", day, "--reason", "r"),
        ("retract", "ev-dddddddddd", "--reason", "r", "--date", day),
        ("status", "--as-of", day),
        ("report", "--as-of", day),
        ("diff", "--since", day),
        ("evidence", "--since", day),
    ):
        refused(filled, *args, expect=(day, message))
    header = ("condition", "date", "source", "summary")
    rows = [{"condition": "troops", "date": "2025-01-02", "source": "s", "summary": "ok"},
            {"condition": "troops", "date": day, "source": "s", "summary": "bad"}]  # fmt: skip
    for data in (write_csv(filled.parent / "d.csv", rows, header),
                 write_json(filled.parent / "d.json", rows)):  # fmt: skip
        before = filled.read_bytes()
        result = run(filled, "import", str(data))
        assert result.exit_code == 2
        row = 3 if data.suffix == ".csv" else 2
        assert f"row {row}, field 'date'" in result.stderr and message in result.stderr
        assert filled.read_bytes() == before


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31"])
def test_ancient_dates_in_the_file_are_refused(tmp_path: Path, day: str) -> None:
    path = file_with(tmp_path, TRACKER + evidence_block(date=day))
    refused(path, "status", expect=("field 'date'", "before 1900"))
    invalid(path, "field 'date'", "before 1900")
    ok(run(file_with(tmp_path, TRACKER + evidence_block(date="1900-01-01"), "edge.toml"), "status"))


@pytest.mark.parametrize("command", ["status", "validate"])
def test_the_last_representable_day_is_handled(tmp_path: Path, command: str) -> None:
    path = file_with(
        tmp_path, TRACKER + evidence_block(date="9999-12-31", logged="9999-12-31T00:00:00Z")
    )
    not_a_crash(run(path, command))
    path.write_text(TRACKER + evidence_block(logged="9999-12-31T23:59:59-23:59"), "utf-8")
    not_a_crash(run(path, command))


# --- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("place", "fragment"),
    [
        (evidence_block(condition='"prisoners"', indicator='"held"', value="nan"), "'value'"),
        (evidence_block(condition='"prisoners"', indicator='"held"', value="-inf"), "'value'"),
        (evidence_block(condition='"economy"', indicator='"balance"', value="+inf"), "'value'"),
        (evidence_block(condition='"economy"', indicator='"balance"', value="-nan"), "'value'"),
    ],
    ids=["nan", "-inf", "+inf", "-nan"],
)
def test_nan_and_inf_in_evidence_are_refused(tmp_path: Path, place: str, fragment: str) -> None:
    path = file_with(tmp_path, TRACKER + place)
    refused(path, "status", expect=(fragment, "finite"))
    invalid(path, fragment, "finite")


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [("target = 0\nminimum = 0\ncriterion = \"released\"", "target = nan\nminimum = 0\n"
      "criterion = \"released\"", "target"),
     ('better = "higher"\nminimum = 0', 'better = "higher"\nminimum = -inf', "minimum"),
     ('better = "higher"\n', 'better = "higher"\nbaseline = inf\n', "baseline"),
     ("weight = 3.0", "weight = nan", "weight")],
    ids=["target", "minimum", "baseline", "weight"],
)  # fmt: skip
def test_nan_and_inf_in_the_conditions_are_refused(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    assert TRACKER.count(old) >= 1
    path = file_with(tmp_path, TRACKER.replace(old, new, 1))
    refused(path, "status", expect=(f"field '{field}'",))


@pytest.mark.parametrize(
    "value", ["nan", "NaN", "inf", "-inf", "Infinity", "1e400", "1e300", "1" + "0" * 300, "2e15"]
)
def test_absurd_values_are_refused_on_the_command_line(filled: Path, value: str) -> None:
    for args in (
        ("log", "economy", "-s", "s", "--source", "x", "-i", "balance", f"--value={value}"),
        ("amend", "ev-dddddddddd", f"--value={value}", "--reason", "r"),
    ):
        refused(filled, *args, expect=("--value",))


@pytest.mark.parametrize(
    ("value", "message"),
    [("1e300", "implausibly large"), ("1" + "0" * 300, "implausibly large"),
     ("1e400", "finite"), ("-1e300", "implausibly large")],
    ids=["1e300", "10^300", "1e400", "-1e300"],
)  # fmt: skip
def test_absurd_values_in_the_file_are_refused(tmp_path: Path, value: str, message: str) -> None:
    entry = evidence_block(condition='"economy"', indicator='"balance"', value=value)
    path = file_with(tmp_path, TRACKER + entry)
    refused(path, "status", expect=("field 'value'", message))
    invalid(path, "field 'value'", message)


def test_absurd_values_in_imports_are_refused_with_their_row(filled: Path) -> None:
    before = filled.read_bytes()
    rows = [
        {
            "condition": "economy",
            "indicator": "balance",
            "value": value,
            "date": "2025-01-02",
            "source": "s",
            "summary": f"v{n}",
        }
        for n, value in enumerate(["nan", "inf", "1e300", "1" + "0" * 300, "1,5", "7"])
    ]
    source = write_csv(filled.parent / "v.csv", rows, CSV_HEADER)
    err = run(filled, "import", str(source)).stderr
    for row in range(2, 7):
        assert f"row {row}, field 'value'" in err, err
    assert "row 7" not in err and "5 bad rows" in err
    items = filled.parent / "v.json"
    items.write_text(
        '[{"condition": "economy", "indicator": "balance", "value": NaN, "date": "2025-01-02",'
        ' "source": "s", "summary": "a"},'
        ' {"condition": "economy", "indicator": "balance", "value": -Infinity,'
        ' "date": "2025-01-02", "source": "s", "summary": "b"},'
        ' {"condition": "economy", "indicator": "balance", "value": 1e300,'
        ' "date": "2025-01-02", "source": "s", "summary": "c"},'
        ' {"condition": "economy", "indicator": "balance", "value": true,'
        ' "date": "2025-01-02", "source": "s", "summary": "d"}]',
        "utf-8",
    )  # fmt: skip
    err = run(filled, "import", str(items)).stderr
    for row, message in ((1, "finite"), (2, "finite"), (3, "large"), (4, "true/false")):
        assert f"row {row}, field 'value'" in err and message in err, err
    assert filled.read_bytes() == before  # fmt: skip


DIGITS = "1" + "0" * 5000  # past Python's 4300-digit limit for int(str)


@pytest.mark.parametrize("way", ["file", "--value", "csv", "json"])
def test_integers_too_long_to_convert_are_a_clear_error(filled: Path, way: str) -> None:
    if way == "file":
        entry = evidence_block(condition='"economy"', indicator='"balance"', value=DIGITS)
        result = run(file_with(filled.parent, TRACKER + entry, "long.toml"), "status")
    elif way == "--value":
        result = run(filled, "log", "economy", "-s", "s", "--source", "x", "-i", "balance",
                     f"--value={DIGITS}")  # fmt: skip
    elif way == "csv":
        rows = [{"condition": "economy", "indicator": "balance", "value": DIGITS,
                 "date": "2025-01-02", "source": "s", "summary": "a"}]  # fmt: skip
        result = run(filled, "import", str(write_csv(filled.parent / "l.csv", rows, CSV_HEADER)))
    else:
        items = filled.parent / "l.json"
        items.write_text(f'[{{"condition": "economy", "indicator": "balance", "value": {DIGITS},'
                         ' "date": "2025-01-02", "source": "s", "summary": "a"}]')  # fmt: skip
        result = run(filled, "import", str(items))
    not_a_crash(result)
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("error: ") and len(lines) == (2 if way == "csv" else 1), lines


def test_negative_counts_are_refused_where_the_minimum_forbids(filled: Path) -> None:
    refused(filled, "amend", "ev-cccccccccc", "--value", "-1", "--reason", "r",
            expect=("--value", "below held's minimum of 0"))  # fmt: skip
    rows = [{"condition": "prisoners", "indicator": "held", "value": "-0.5",
             "date": "2025-01-02", "source": "s", "summary": "a"},
            {"condition": "prisoners", "indicator": "expelled", "value": "-1e-300",
             "date": "2025-01-02", "source": "s", "summary": "b"}]  # fmt: skip
    before = filled.read_bytes()
    err = run(filled, "import", str(write_csv(filled.parent / "n.csv", rows, CSV_HEADER))).stderr
    assert "row 2, field 'value'" in err and "row 3, field 'value'" in err
    assert filled.read_bytes() == before
    # Where no minimum is set, a negative figure is fine, and zero is fine everywhere.
    logged_id(filled, "log", "economy", "-s", "s", "--source", "x", "-i", "balance", "--value=-7")
    logged_id(filled, "log", "prisoners", "-s", "s", "--source", "x", "-i", "held", "--value=-0")


# --- nesting and size -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "tail",
    ["x = " + "[" * 10000, "x = " + "{a = " * 10000, "x = " + "[" * 5000 + "]" * 5000,
     "x = [" + "{a = [" * 3000],
    ids=["arrays", "inline-tables", "balanced", "mixed"],
)  # fmt: skip
def test_deeply_nested_toml_is_a_clear_error(tmp_path: Path, tail: str) -> None:
    path = file_with(tmp_path, tail + "\n" + TRACKER)
    for args in (("status",), ("validate",), LOG_ARGS):
        refused(path, *args, expect=("malformed TOML",))


def test_an_oversized_file_is_refused_naming_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(condtrack.storage.store, "MAX_FILE_BYTES", 2**20)
    text = WITH_EVIDENCE + "#" * (2**20 - len(WITH_EVIDENCE.encode()) - 1) + "\n"
    path = file_with(tmp_path, text)
    assert path.stat().st_size == 2**20
    ok(run(path, "status"))  # at the limit
    path.write_bytes(path.read_bytes() + b"\n")
    for args in (("status",), ("validate",), LOG_ARGS, ("evidence",)):
        refused(path, *args, expect=("larger than 1 MiB",))


def test_a_write_never_makes_the_file_unreadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(condtrack.storage.store, "MAX_FILE_BYTES", 2**20)
    path = file_with(tmp_path, TRACKER + "#" * (2**20 - len(TRACKER) - 100) + "\n")
    before = path.read_bytes()
    refused(path, "log", "troops", "-s", "s" * 300, "--source", "x", expect=("1 MiB",))
    assert path.read_bytes() == before
    ok(run(path, "status"))  # still readable by every command


# --- symlinks -------------------------------------------------------------------------------


def test_symlinks_chained_dangling_looping_and_to_folders(tmp_path: Path) -> None:
    real = file_with(tmp_path, WITH_EVIDENCE, "real.toml")
    (tmp_path / "sub").mkdir()
    first = tmp_path / "sub" / "first.toml"
    first.symlink_to("../real.toml")
    second = tmp_path / "second.toml"
    second.symlink_to(first)
    old = real.read_bytes()
    new_id = logged_id(second, *LOG_ARGS)
    assert second.is_symlink() and first.is_symlink()
    assert real.read_bytes().startswith(old) and evidence_of(real)[-1]["id"] == new_id
    # The lock file lives beside the real file, and only while the write is made.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real.toml", "second.toml", "sub"]

    dangling = tmp_path / "dangling.toml"
    dangling.symlink_to("nowhere.toml")
    for args in (("status",), LOG_ARGS):
        refused(dangling, *args, expect=("does not exist",))
    assert not (tmp_path / "nowhere.toml").exists()

    loop = tmp_path / "loop.toml"
    loop.symlink_to("loop.toml")
    for args in (("status",), LOG_ARGS):
        one_line_error(run(loop, *args), "loop.toml")

    folder = tmp_path / "folder.toml"
    folder.symlink_to("sub")
    for args in (("status",), LOG_ARGS):
        refused(folder, *args, expect=("is a folder",))
