"""Defects a clean-clone attacker trial found after issue 10, through the real CLI.

- V1: an export imports back without bringing withdrawn evidence back to life.
- V2: `log` and `import` agree on duplicates, on text normalised the same way.
- V3: scores round half up on their decimal value, shown and gated alike.
- Dates, hand edits, text and the CSV round trip.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from condtrack.cli import app
from condtrack.textsafe import safe_url
from tests.reliability.helpers import child_env, condtrack_argv


def run(runner: CliRunner, path: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(app, ["--file", str(path), *args], env=env)


def started(runner: CliRunner, folder: Path, name: str = "a.toml") -> Path:
    """A tracker from the shipped template (the Belarus conditions, no evidence)."""
    path = folder / name
    result = runner.invoke(app, ["init", str(path)])
    assert result.exit_code == 0, result.output
    return path


def logged(runner: CliRunner, path: Path, condition: str, *args: str) -> str:
    result = run(runner, path, "log", condition, *args)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def status_data(runner: CliRunner, path: Path, as_of: str) -> dict[str, Any]:
    result = run(runner, path, "status", "--format", "json", "--as-of", as_of)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


# --- V3. scores round half up on their decimal value ---------------------------------------


def test_a_score_ending_in_five_rounds_up_and_passes_its_own_gate(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = started(runner, tmp_path)
    # One of political-prisoners' four criteria partial: 12.5; the overall mean of the four
    # equally weighted conditions is 12.5 / 4 = 3.125, which round() makes 3.12.
    logged(
        runner, path, "political-prisoners", "-c", "all-released", "--status", "partial",
        "--date", "2026-01-01", "--source", "S", "-r", "A1", "--summary", "s",
    )  # fmt: skip
    data = status_data(runner, path, "2026-02-01")
    conditions = [c["score"] for c in data["conditions"]]
    mean = Decimal(sum(conditions)) / len(conditions)
    expected = float(mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    assert expected == 3.13
    assert data["overall"]["score"] == expected
    gate = run(runner, path, "check", "--min-score", "3.125", "--as-of", "2026-02-01")
    assert gate.exit_code == 0, gate.output
    refused = run(runner, path, "check", "--min-score", "3.14", "--as-of", "2026-02-01")
    assert refused.exit_code == 1
    assert "overall score 3.13 is below 3.14" in refused.stdout


# --- V1. an export imports back without bringing withdrawn evidence back to life ----------


def nuclear_removed(runner: CliRunner, path: Path) -> str:
    result = run(runner, path, "status", "--format", "json")  # today, after the retraction
    assert result.exit_code == 0, result.output
    forces = next(c for c in json.loads(result.stdout)["conditions"] if c["id"] == "russian-forces")
    status: str = next(c for c in forces["criteria"] if c["id"] == "nuclear-removed")["status"]
    return status


@pytest.mark.parametrize("data_format", ["csv", "json"])
def test_an_export_with_a_retracted_entry_is_refused_or_left_out_on_import(
    runner: CliRunner, tmp_path: Path, data_format: str
) -> None:
    a = started(runner, tmp_path, "a.toml")
    gone = logged(
        runner, a, "russian-forces", "-c", "nuclear-removed", "--status", "met",
        "--date", "2026-10-01", "--source", "S", "-r", "A1", "--summary", "s",
    )  # fmt: skip
    logged(
        runner, a, "russian-forces", "-c", "personnel-removed", "--status", "met",
        "--date", "2026-10-01", "--source", "S", "-r", "A1", "--summary", "t",
    )  # fmt: skip
    assert run(runner, a, "retract", gone, "--reason", "wrong").exit_code == 0
    assert nuclear_removed(runner, a) == "unknown"
    exported = run(runner, a, "evidence", "--format", data_format)
    assert exported.exit_code == 0, exported.output
    export = tmp_path / f"e.{data_format}"
    export.write_text(exported.stdout, "utf-8", newline="")

    b = started(runner, tmp_path, "b.toml")
    before = b.read_bytes()
    refused = run(runner, b, "import", str(export))
    assert refused.exit_code == 2, refused.output
    assert b.read_bytes() == before  # all or nothing: the good row did not land either
    first = "row 2" if data_format == "csv" else "row 1"
    assert f"{first}, field 'retracted'" in refused.stderr, refused.stderr
    assert "--skip-retracted" in refused.stderr
    assert "Traceback" not in refused.output

    skipped = run(runner, b, "import", str(export), "--skip-retracted")
    assert skipped.exit_code == 0, skipped.output
    assert "1 row of retracted entries left out" in skipped.stderr
    assert nuclear_removed(runner, b) == "unknown"  # what a had withdrawn stays withdrawn
    evidence = json.loads(run(runner, b, "evidence", "--all", "--format", "json").stdout)
    assert [e["summary"] for e in evidence] == ["t"]


# --- V2. `log` and `import` agree on duplicates, on text normalised the same way ------------

SAID = ("--date", "2026-03-01", "-i", "prisoners-released", "--value", "52", "-r", "A1")


def log_released(runner: CliRunner, path: Path, summary: str, source: str) -> Result:
    return run(
        runner, path, "log", "political-prisoners", "--summary", summary, "--source", source,
        *SAID,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("summary", "source"),
    [
        ("52 released. ", "Reuters"),  # a trailing space
        ("52  released.", "Reuters"),  # a doubled space
        ("52 released.", "reuters"),  # case
        ("52 released.", "Reuters "),
        ("52 released.\u200b", "Reuters"),  # an appended zero-width space
        ("52 RELEASED.", "\u200bReuters"),
    ],
)
def test_the_same_report_typed_differently_is_a_duplicate(
    runner: CliRunner, tmp_path: Path, summary: str, source: str
) -> None:
    path = started(runner, tmp_path)
    first = log_released(runner, path, "52 released.", "Reuters")
    assert first.exit_code == 0, first.output
    before = path.read_bytes()
    again = log_released(runner, path, summary, source)
    assert again.exit_code == 2, again.output
    assert f"duplicate of {first.stdout.strip()}" in again.stderr
    assert path.read_bytes() == before


def test_log_stores_text_stripped_and_an_export_imports_back_as_it_was(
    runner: CliRunner, tmp_path: Path
) -> None:
    a = started(runner, tmp_path, "a.toml")
    entry = log_released(runner, a, "  52 released. ", " Reuters ")
    assert entry.exit_code == 0, entry.output
    stored = json.loads(run(runner, a, "evidence", "--format", "json").stdout)
    assert (stored[0]["summary"], stored[0]["source"]) == ("52 released.", "Reuters")
    exported = run(runner, a, "evidence", "--format", "csv").stdout
    export = tmp_path / "e.csv"
    export.write_text(exported, "utf-8", newline="")
    b = started(runner, tmp_path, "b.toml")
    imported = run(runner, b, "import", str(export))
    assert imported.exit_code == 0, imported.output
    again = json.loads(run(runner, b, "evidence", "--format", "json").stdout)
    assert (again[0]["summary"], again[0]["source"]) == ("52 released.", "Reuters")


def normal(text: str) -> str:
    """The issue's normalisation, written out apart from condtrack's: Cf characters
    removed, NFC, case-folded, whitespace runs collapsed and stripped."""
    kept = "".join(c for c in text if unicodedata.category(c) != "Cf")
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", kept).casefold())
    return " ".join(folded.split())


# Ways of typing the same text that nobody reading it can tell apart.
_INVISIBLE = st.sampled_from(["\u200b", "\u2060", "\ufeff", "\u200d", "\u00ad"])
_SPACE = st.sampled_from([" ", "  ", "\t", " \u00a0"])


@st.composite
def retyped(draw: st.DrawFn, text: str) -> str:
    """``text`` as another hand or tool might type it: spacing, case, invisibles, NFD."""
    words = text.split(" ")
    parts = []
    for word in words:
        if draw(st.booleans()):
            word = word.upper() if draw(st.booleans()) else word.lower()
        if draw(st.booleans()):
            word = word + draw(_INVISIBLE)
        parts.append(word)
    joined = draw(_SPACE).join(parts) if draw(st.booleans()) else " ".join(parts)
    if draw(st.booleans()):
        joined = unicodedata.normalize("NFD", joined)
    return draw(_SPACE) * draw(st.integers(0, 1)) + joined + draw(_SPACE) * draw(st.integers(0, 1))


_WORDS = st.lists(
    st.text(st.characters(codec="utf-8", categories=["L", "N", "P"]), min_size=1, max_size=6),
    min_size=1,
    max_size=4,
).map(" ".join)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), summary=_WORDS, source=_WORDS)
def test_texts_equal_after_normalisation_are_one_report_for_log_and_import(
    data: st.DataObject, summary: str, source: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other_summary = data.draw(retyped(summary))
    other_source = data.draw(retyped(source))
    assume(normal(other_summary) == normal(summary))
    assume(normal(other_source) == normal(source))
    assume(other_summary.strip() and other_source.strip())
    runner = CliRunner()
    folder = tmp_path_factory.mktemp("same")
    path = started(runner, folder)
    first = log_released(runner, path, summary, source)
    assume(first.exit_code == 0)  # e.g. a source over 300 characters
    before = path.read_bytes()
    second = log_released(runner, path, other_summary, other_source)
    assert second.exit_code == 2, second.output
    assert "duplicate of" in second.stderr
    rows = folder / "rows.json"
    row = {"condition": "political-prisoners", "date": "2026-03-01", "summary": other_summary,
           "source": other_source, "indicator": "prisoners-released", "value": 52,
           "reliability": "A1"}  # fmt: skip
    rows.write_text(json.dumps([row]), "utf-8")
    imported = run(runner, path, "import", str(rows))
    assert imported.exit_code == 2, imported.output
    assert "row 1: duplicate of" in imported.stderr
    assert path.read_bytes() == before


# --- dates: the latest time zone on Earth, and logged stamps in the future ------------------


def test_retract_works_with_a_clock_set_east_of_every_zone(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A local date past the latest date on Earth (UTC+14): the retraction is dated no later,
    in a real process whose time zone is UTC+24 (the furthest a TZ string reaches)."""
    path = started(runner, tmp_path)
    entry = logged(
        runner, path, "russian-forces", "-c", "nuclear-removed", "--status", "met",
        "--date", "2026-10-01", "--source", "S", "-r", "A1", "--summary", "s",
    )  # fmt: skip
    for zone in ("AAA-24", "AAA-20"):
        copy = tmp_path / f"{zone}.toml"
        copy.write_bytes(path.read_bytes())
        done = subprocess.run(
            condtrack_argv(copy, "retract", entry, "--reason", "r"),
            capture_output=True, text=True, env=child_env(TZ=zone),
        )  # fmt: skip
        assert done.returncode == 0, (zone, done.stderr)
        assert f"retracted {entry}" in done.stderr
        checked = subprocess.run(condtrack_argv(copy, "validate"), capture_output=True,
                                 text=True, env=child_env(TZ=zone))  # fmt: skip
        assert checked.returncode == 0, (zone, checked.stderr)


def latest_date() -> dt.date:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=14)).date()


def test_a_future_retraction_is_refused_in_words_that_agree_with_themselves(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = started(runner, tmp_path)
    entry = logged(
        runner, path, "russian-forces", "-c", "nuclear-removed", "--status", "met",
        "--date", "2026-10-01", "--source", "S", "-r", "A1", "--summary", "s",
    )  # fmt: skip
    day = latest_date() + dt.timedelta(days=1)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f'\n[[retractions]]\nevidence = "{entry}"\nreason = "r"\ndate = {day}\n')
    result = run(runner, path, "validate")
    assert result.exit_code == 2
    (line,) = [line for line in result.stderr.splitlines() if "field 'date'" in line]
    shown = re.search(r"latest date anywhere on Earth is (\d{4}-\d{2}-\d{2})", line)
    assert shown is not None, line
    assert dt.date.fromisoformat(shown.group(1)) < day  # the date it names is earlier


@pytest.mark.parametrize(
    ("date", "logged", "valid"),
    [
        # 23:00 at UTC-12 is 11:00 UTC the next day, and 01:00 the day after at UTC+14.
        ("2025-03-03", "2025-03-01T23:00:00-12:00", True),
        ("2025-03-04", "2025-03-01T23:00:00-12:00", False),
        ("2025-03-02", "2025-03-01T10:00:00Z", True),  # midnight at UTC+14
        ("2025-03-02", "2025-03-01T09:59:59Z", False),  # nowhere 2025-03-02 yet
        ("2025-03-03", "2025-03-01T23:59:59Z", False),
    ],
)
@pytest.mark.parametrize("table", ["evidence", "retractions"])
def test_an_entry_dated_after_it_was_logged_counts_the_day_at_utc_plus_14(
    runner: CliRunner, tmp_path: Path, date: str, logged: str, valid: bool, table: str
) -> None:
    path = started(runner, tmp_path)
    block = (
        f'\n[[evidence]]\nid = "ev-hand"\ncondition = "russian-forces"\ndate = {date}\n'
        f'source = "S"\nsummary = "s"\nlogged = {logged}\n'
    )
    if table == "retractions":
        block = (
            '\n[[evidence]]\nid = "ev-hand"\ncondition = "russian-forces"\ndate = 2025-01-01\n'
            'source = "S"\nsummary = "s"\nlogged = 2025-01-01T00:00:00Z\n'
            f'\n[[retractions]]\nevidence = "ev-hand"\nreason = "r"\ndate = {date}\n'
            f"logged = {logged}\n"
        )
    path.write_text(path.read_text("utf-8") + block, "utf-8")
    result = run(runner, path, "validate")
    assert result.exit_code == (0 if valid else 2), result.output
    if not valid:
        assert f"{table} #1" in result.stderr and "field 'date'" in result.stderr
        assert f"dated {date} but logged on" in result.stderr


@pytest.mark.parametrize("table", ["evidence", "retractions"])
def test_a_logged_stamp_in_the_future_is_refused_by_every_load(
    runner: CliRunner, tmp_path: Path, table: str
) -> None:
    path = started(runner, tmp_path)
    ahead = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    evidence_stamp = ahead if table == "evidence" else "2025-01-01T00:00:00Z"
    block = (
        '\n[[evidence]]\nid = "ev-hand"\ncondition = "russian-forces"\ndate = 2025-01-01\n'
        f'source = "S"\nsummary = "s"\nlogged = {evidence_stamp}\n'
    )
    if table == "retractions":
        block += (
            '\n[[retractions]]\nevidence = "ev-hand"\nreason = "r"\ndate = 2025-02-01\n'
            f"logged = {ahead}\n"
        )
    path.write_text(path.read_text("utf-8") + block, "utf-8")
    place = f"{table} #1"
    for command in (("validate",), ("status",), ("evidence",), ("check",)):
        result = run(runner, path, *command)
        assert result.exit_code == 2, (command, result.output)
        assert place in result.stderr and "field 'logged'" in result.stderr, result.stderr
        assert f"logged at {ahead}, in the future" in result.stderr


# --- text: noncharacters and URLs with user info ---------------------------------------------

NONCHARACTERS = ["\ufffe", "\uffff", "\ufdd0", "\ufdef", "\U0001fffe", "\U0010ffff"]


def every_output(runner: CliRunner, path: Path) -> dict[str, str]:
    outputs = {}
    for fmt in ("markdown", "csv", "html", "json"):
        result = run(runner, path, "report", "--format", fmt, env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        outputs[f"report {fmt}"] = result.stdout
    for fmt in ("table", "csv", "json"):
        result = run(runner, path, "evidence", "--format", fmt, env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        outputs[f"evidence {fmt}"] = result.stdout
    explained = run(runner, path, "explain", "russian-forces", env={"COLUMNS": "200"})
    outputs["explain"] = explained.stdout
    return outputs


def test_noncharacters_are_escaped_in_every_output(runner: CliRunner, tmp_path: Path) -> None:
    path = started(runner, tmp_path)
    text = "x".join(NONCHARACTERS)
    logged(
        runner, path, "russian-forces", "-c", "nuclear-removed", "--status", "met",
        "--date", "2026-10-01", "--source", f"S{text}", "-r", "A1", "--summary", f"s{text}",
    )  # fmt: skip
    for name, output in every_output(runner, path).items():
        for char in NONCHARACTERS:
            assert char not in output, (name, hex(ord(char)))
    stored = path.read_text("utf-8")
    assert not any(char in stored for char in NONCHARACTERS)  # the TOML holds escapes
    assert "\\uFFFE" in stored


@pytest.mark.parametrize(
    "url", ["https://user:pw@e.example/", "https://trusted.example@evil.example", "http://a@b/c"]
)
def test_a_url_with_user_info_is_refused_at_entry_and_never_a_link(
    runner: CliRunner, tmp_path: Path, url: str
) -> None:
    path = started(runner, tmp_path)
    said = ("--date", "2026-10-01", "--source", "S", "-r", "A1", "--summary", "s")
    refused = run(runner, path, "log", "russian-forces", "--url", url, *said)
    assert refused.exit_code == 2, refused.output
    message = "a URL with a user name or password (user@host) is not allowed"
    assert refused.stderr.count("\n") == 1 and f"--url: {message}" in refused.stderr
    entry = logged(runner, path, "russian-forces", "--url", "https://e.example/a@b", *said)
    amended = run(runner, path, "amend", entry, "--url", url, "--reason", "r")
    assert amended.exit_code == 2 and message in amended.stderr, amended.output
    rows = tmp_path / "rows.csv"
    rows.write_text(f"condition,date,source,summary,url\nrussian-forces,2026-10-02,S,t,{url}\n")
    imported = run(runner, path, "import", str(rows))
    assert imported.exit_code == 2 and f"row 2, field 'url': {message}" in imported.stderr
    # A hand edit that holds one is refused by every load, naming the entry and field ...
    text = path.read_text("utf-8").replace("https://e.example/a@b", url)
    path.write_text(text, "utf-8")
    for command in (["validate"], ["status"], ["report", "--format", "csv"]):
        result = run(runner, path, *command)
        assert result.exit_code == 2, (command, result.output)
        assert f"field 'url': {message}" in result.stderr
    # ... and the renderers would never make it a link anyway.
    assert safe_url(url) is None and safe_url("https://e.example/a@b") is not None


def test_a_url_whose_port_is_no_port_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    path = started(runner, tmp_path)
    said = ("--date", "2026-10-01", "--source", "S", "-r", "A1", "--summary", "s")
    for url in ("https://e.example:99999/", "https://e.example:x/"):
        refused = run(runner, path, "log", "russian-forces", "--url", url, *said)
        assert refused.exit_code == 2 and "port" in refused.stderr, refused.output
    fine = run(runner, path, "log", "russian-forces", "--url", "https://e.example:8443/", *said)
    assert fine.exit_code == 0, fine.output


# --- hand edits: every problem names its entry and field, with a did-you-mean ----------------

HAND_ENTRY = (
    '\n[[evidence]]\nid = "ev-hand"\ncondition = {condition}\nindicator = "prisoners-held"\n'
    'value = {value}\ndate = 2025-01-01\nsource = "S"\n{summary} = "s"\n'
    "logged = 2025-01-01T00:00:00Z\n"
)


def hand_edited(runner: CliRunner, tmp_path: Path, **fields: str) -> Path:
    path = started(runner, tmp_path)
    values = {"condition": '"political-prisoners"', "value": "5", "summary": "summary", **fields}
    path.write_text(path.read_text("utf-8") + HAND_ENTRY.format(**values), "utf-8")
    return path


@pytest.mark.parametrize("command", [("validate",), ("status",), ("log", "reconstruction",
                                     "-s", "x", "--source", "y")])  # fmt: skip
def test_a_huge_integer_in_a_hand_edit_names_its_entry_and_field(
    runner: CliRunner, tmp_path: Path, command: tuple[str, ...]
) -> None:
    path = hand_edited(runner, tmp_path, value="9" * 5000)
    before = path.read_bytes()
    result = run(runner, path, *command)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert "evidence #1 (id 'ev-hand'" in result.stderr and "field 'value'" in result.stderr
    assert "5000 digits" in result.stderr and "4300" not in result.stderr
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"summary": "sumary"}, "'sumary'"),
        ({"condition": '"Russian-Forces"'}, "did you mean 'russian-forces'?"),
        ({"condition": '"russian-force"'}, "did you mean 'russian-forces'?"),
    ],
)
def test_a_typo_in_a_hand_edit_gets_a_did_you_mean(
    runner: CliRunner, tmp_path: Path, fields: dict[str, str], expected: str
) -> None:
    path = hand_edited(runner, tmp_path, **fields)
    for command in (("validate",), ("status",)):
        result = run(runner, path, *command)
        assert result.exit_code == 2, result.output
        assert "evidence #1 (id 'ev-hand'" in result.stderr and expected in result.stderr
        if "summary" in fields:  # validate lists both; status names the first, with the typo
            said = "did you mean 'summary'?" if command == ("validate",) else "a misspelling"
            assert said in result.stderr, result.stderr


# --- the CSV round trip: formula guards exact, controls escaped; JSON exact ------------------

ROUND_TRIP = ["'=already", "=x", "''=y", "'plain", "'-1", "-1", "'", "@at", "a\ttab"]


@pytest.mark.parametrize("data_format", ["csv", "json"])
def test_an_export_imports_back_as_the_readme_says(
    runner: CliRunner, tmp_path: Path, data_format: str
) -> None:
    a = started(runner, tmp_path, "a.toml")
    for summary in ROUND_TRIP:
        logged(runner, a, "reconstruction", "--summary", summary, "--source", "S",
               "--date", "2026-01-01")  # fmt: skip
    exported = run(runner, a, "evidence", "--format", data_format)
    export = tmp_path / f"e.{data_format}"
    export.write_text(exported.stdout, "utf-8", newline="")
    b = started(runner, tmp_path, "b.toml")
    assert run(runner, b, "import", str(export)).exit_code == 0
    back = json.loads(run(runner, b, "evidence", "--format", "json").stdout)
    # JSON is exact; CSV keeps every formula guard and shows the tab as an escape.
    expected = ROUND_TRIP if data_format == "json" else [*ROUND_TRIP[:-1], "a\\x09tab"]
    assert sorted(e["summary"] for e in back) == sorted(expected)
