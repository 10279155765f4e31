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


# --- long logs: --limit, --last, filters ----------------------------------------------------

CONDITIONS = tomllib.loads(SMALL_TRACKER)["conditions"]
PRISONERS = next(c for c in CONDITIONS if c["id"] == "prisoners")
HELD = PRISONERS["indicators"][0]["id"]
RELEASED = PRISONERS["criteria"][0]["id"]


def a_log(count: int) -> list[dict[str, Any]]:
    """``count`` entries on distinct days, of every kind: criterion, indicator, context."""
    entries = []
    for number in range(count):
        kind = number % 3
        fields: dict[str, Any] = {
            "date": dt.date(2024, 1, 1) + dt.timedelta(days=number),
            "condition": "prisoners",
            "source": ["Viasna", "Reuters", "Human Rights Watch"][number % 3],
            "tags": [["monthly"], ["monthly", "count"], ["count"]][number % 3],
        }
        if kind == 0:
            fields |= {"criterion": RELEASED, "status": "partial"}
        elif kind == 1:
            fields |= {"indicator": HELD, "value": 100 + number}
        entries.append(entry(number, **fields))
    return entries


@pytest.fixture
def long_log(tmp_path: Path) -> tuple[Path, list[dict[str, Any]]]:
    entries = a_log(30)
    return write_tracker(tmp_path / "conditions.toml", entries), entries


def listed(path: Path, *args: str) -> dict[str, list[str]]:
    """The ids `evidence` lists in each format."""
    as_json = [r["id"] for r in json.loads(run(path, "evidence", *args, "--format", "json").stdout)]
    rows = run(path, "evidence", *args, "--format", "csv").stdout.splitlines()[1:]
    table = run(path, "evidence", *args, env=WIDE).stdout
    in_table = [i for i in as_json if i in table]
    return {"json": as_json, "csv": [r.split(",")[0] for r in rows], "table": in_table}


def test_evidence_last_and_limit_in_every_format(
    long_log: tuple[Path, list[dict[str, Any]]],
) -> None:
    path, entries = long_log
    ids = [e["id"] for e in sorted(entries, key=lambda e: e["date"])]
    assert listed(path, "--last", "4") == dict.fromkeys(("json", "csv", "table"), ids[-4:])
    assert listed(path, "--limit", "3") == dict.fromkeys(("json", "csv", "table"), ids[:3])
    table = run(path, "evidence", "--last", "4", env=WIDE).stdout
    assert (
        f"4 of {len(ids)} evidence entries, the 4 newest (--last); {len(ids) - 4} left out" in table
    )
    assert not any(i in table for i in ids[:-4])
    # Filters first, then the cut: the newest two of what passes.
    viasna = [e["id"] for e in entries if e["source"] == "Viasna"]
    assert listed(path, "--source", "viasna", "--last", "2")["json"] == viasna[-2:]


def test_limit_and_last_together_are_refused(long_log: tuple[Path, Any]) -> None:
    path, _ = long_log
    result = CliRunner().invoke(
        app, ["--file", str(path), "evidence", "--limit", "1", "--last", "1"]
    )
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == "error: --limit and --last: give one of them, not both\n"


@pytest.mark.parametrize(
    ("args", "keeps"),
    [
        (("--source", "rights"), lambda e: "rights" in e["source"].lower()),  # part, any case
        (("--source", "VIASNA"), lambda e: e["source"] == "Viasna"),
        (("--criterion", RELEASED), lambda e: e.get("criterion") == RELEASED),
        (("-i", HELD), lambda e: e.get("indicator") == HELD),
        (("--tag", "monthly"), lambda e: "monthly" in e["tags"]),
        (("-t", "monthly", "-t", "count"), lambda e: {"monthly", "count"} <= set(e["tags"])),
        (("--criterion", RELEASED, "--source", "reut"), lambda e: False),
    ],
    ids=["source-part", "source-case", "criterion", "indicator", "tag", "every-tag", "none"],
)
def test_evidence_filters(
    long_log: tuple[Path, list[dict[str, Any]]], args: tuple[str, ...], keeps: Callable[..., bool]
) -> None:
    path, entries = long_log
    expected = [e["id"] for e in entries if keeps(e)]
    assert listed(path, *args) == dict.fromkeys(("json", "csv", "table"), expected)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--criterion", RELEASED[:-1]), f"--criterion: unknown criterion {RELEASED[:-1]!r}"),
        (("-i", HELD + "x"), f"--indicator: unknown indicator {HELD + 'x'!r}"),
        (
            ("--condition", "troops", "-i", HELD),
            f"--indicator: unknown indicator {HELD!r} in troops",
        ),
    ],
)
def test_unknown_ids_are_refused_with_a_suggestion(
    long_log: tuple[Path, Any], args: tuple[str, ...], message: str
) -> None:
    path, _ = long_log
    result = CliRunner().invoke(app, ["--file", str(path), "evidence", *args])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"error: {message}") and result.stderr.count("\n") == 1
    if args[-1] != HELD:
        assert "did you mean" in result.stderr


def test_explain_last_keeps_the_newest_of_each_criterion_and_indicator(
    long_log: tuple[Path, list[dict[str, Any]]],
) -> None:
    path, entries = long_log
    out = run(path, "explain", "prisoners", "--last", "2", "--as-of", "2025-06-01", env=WIDE).stdout
    groups = [
        [e["id"] for e in entries if e.get("criterion") == RELEASED],
        [e["id"] for e in entries if e.get("indicator") == HELD],
        [e["id"] for e in entries if not e.get("criterion") and not e.get("indicator")],
    ]
    timeline = out[out.index("Evidence, oldest first") :]
    for group in groups:
        assert all(i in timeline for i in group[-2:]), group
        assert not any(i in timeline for i in group[:-2]), group
    left = len(entries) - 6
    assert f"6 of {len(entries)} entries, the 2 newest (--last) of each criterion" in timeline
    assert f"{left} left out" in timeline
    first = run(path, "explain", "prisoners", "--limit", "1", "--as-of", "2025-06-01", env=WIDE)
    timeline = first.stdout[first.stdout.index("Evidence, oldest first") :]
    assert [i for g in groups for i in g if i in timeline] == [g[0] for g in groups]


def test_conditions_as_json(tmp_path: Path) -> None:
    path = write_tracker(tmp_path / "conditions.toml", [])
    data = json.loads(run(path, "conditions", "--format", "json").stdout)
    document = tomllib.loads(SMALL_TRACKER)
    assert data["schema"] == 1 and data["title"] == document["tracker"]["title"]
    assert data["settings"] == document["scoring"]
    assert [c["id"] for c in data["conditions"]] == [c["id"] for c in CONDITIONS]
    for shown, written in zip(data["conditions"], CONDITIONS, strict=True):
        assert set(shown) == {"id", "title", "text", "weight", "snapback", "criteria",
                              "indicators", "offsets"}  # fmt: skip
        assert shown["title"] == written["title"]
        assert shown["snapback"] == written.get("snapback", False)
        assert [(c["id"], c["text"]) for c in shown["criteria"]] == [
            (c["id"], c["text"]) for c in written["criteria"]
        ]
        for indicator, source in zip(shown["indicators"], written.get("indicators", []),
                                     strict=True):  # fmt: skip
            assert {k: indicator[k] for k in source} == source
            assert set(indicator) == {"id", "label", "unit", "kind", "better", "baseline",
                                      "target", "minimum", "criterion"}  # fmt: skip
        assert [{k: o[k] for k in ("outflow", "inflow")} for o in shown["offsets"]] == [
            {k: o[k] for k in ("outflow", "inflow")} for o in written.get("offsets", [])
        ]


# --- narrow terminals: ids whole, text wrapped at spaces ------------------------------------

LONG_IDS = (
    SMALL_TRACKER.replace('id = "prisoners"', 'id = "political-prisoners-released"')
    .replace('"released"', '"all-political-prisoners-released"')
    .replace('"held"', '"political-convictions"')
)
LONG = tomllib.loads(LONG_IDS)
LONG_CONDITION = LONG["conditions"][1]
LONG_ENTRY = "ev-" + "a-rather-long-evidence-id-from-a-monitor-export"  # wider than 30


def ids_of_tracker(document: dict[str, Any]) -> set[str]:
    ids = set()
    for condition in document["conditions"]:
        ids.add(condition["id"])
        ids.update(i["id"] for kind in ("criteria", "indicators") for i in condition.get(kind, []))
    ids.update(e["id"] for e in document.get("evidence", []))
    return ids


@pytest.fixture(scope="module")
def narrow_case(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, tuple[str, ...]]]:
    folder = tmp_path_factory.mktemp("narrow")
    criterion = LONG_CONDITION["criteria"][0]["id"]
    indicator = LONG_CONDITION["indicators"][0]["id"]
    entries = [
        entry(1, condition=LONG_CONDITION["id"], criterion=criterion, status="partial",
              summary="Several hundred were released in a pardon, " * 3, id=LONG_ENTRY),
        entry(2, condition=LONG_CONDITION["id"], indicator=indicator, value=1150,
              source="Viasna human rights centre"),
        entry(3, criterion="bases-closed", status="met", date=dt.date(2025, 2, 1)),
        entry(4, criterion="bases-closed", status="met", date=dt.date(2025, 2, 1),
              supersedes="ev-0000000003", reason="the date was wrong"),
    ]  # fmt: skip
    path = write_tracker(folder / "conditions.toml", entries, LONG_IDS)
    rows = folder / "rows.csv"
    rows.write_text(
        "id,condition,date,source,summary,criterion,status\n"
        f"{LONG_ENTRY}-import,{LONG_CONDITION['id']},2025-03-01,Monitor,Seen,{criterion},met\n",
        "utf-8",
    )
    views = {
        "status": ("status", "--as-of", "2025-03-01"),
        "explain": ("explain", LONG_CONDITION["id"], "--as-of", "2025-03-01"),
        "evidence": ("evidence", "--all"),
        "conditions": ("conditions",),
        "history": ("history", "ev-0000000004"),
        "diff": ("diff", "--since", "2025-01-01", "--until", "2025-03-01"),
        "import": ("import", str(rows), "--dry-run"),
    }
    return path, views


def occurrences(text: str, ids: Iterable[str]) -> dict[str, int]:
    import re

    return {i: len(re.findall(rf"(?<![\w.-]){re.escape(i)}(?![\w.-])", text)) for i in ids}


@pytest.fixture(scope="module")
def wide_views() -> dict[str, str]:
    """Each view of ``narrow_case`` at 1000 columns, run once (the file never changes)."""
    return {}


@settings(max_examples=80, deadline=None)
@given(width=st.integers(30, 200), view=st.sampled_from(
    ["status", "explain", "evidence", "conditions", "history", "diff", "import"]))  # fmt: skip
def test_every_id_is_whole_at_any_width(
    narrow_case: tuple[Path, dict[str, tuple[str, ...]]],
    wide_views: dict[str, str],
    width: int,
    view: str,
) -> None:
    path, views = narrow_case
    document = tomllib.loads(path.read_text("utf-8"))
    ids = ids_of_tracker(document) | {f"{LONG_ENTRY}-import"}
    if view not in wide_views:
        wide_views[view] = run(path, *views[view], env={"COLUMNS": "1000"}).stdout
    wide = wide_views[view]
    narrow = run(path, *views[view], env={"COLUMNS": str(width)}).stdout
    seen = occurrences(wide, ids)
    assert sum(seen.values()) >= 3, wide  # the control: the view shows ids
    assert occurrences(narrow, ids) == seen, narrow
    for line in narrow.splitlines():  # wrapped at spaces: only one long word goes past the edge
        assert len(line) <= width or len(line.split()) == 1, (width, line)
    if view == "status":
        assert "as of 2025-03-01" in " ".join(narrow.split())


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_the_shipped_tracker_keeps_ids_and_dates_whole(width: int) -> None:
    """The issue's cases: "political-conviction s" at 80, the date lost from the title at 60."""
    shipped = Path(__file__).resolve().parent.parent / "conditions.toml"
    document = tomllib.loads(shipped.read_text("utf-8"))
    ids = ids_of_tracker(document)
    for args in (("status", "--as-of", "2025-10-01"), ("conditions",), ("evidence",)):
        wide = run(shipped, *args, env={"COLUMNS": "1000"}).stdout
        narrow = run(shipped, *args, env={"COLUMNS": str(width)}).stdout
        assert occurrences(narrow, ids) == occurrences(wide, ids), narrow
    status = run(shipped, "status", "--as-of", "2025-10-01", env={"COLUMNS": str(width)}).stdout
    assert "as of 2025-10-01" in " ".join(status.split())


@pytest.mark.parametrize(
    "args",
    [("report",), ("report", "--format", "html"), ("report", "--format", "csv"),
     ("report", "--format", "json"), ("evidence", "--format", "csv"),
     ("evidence", "--format", "json"), ("check", "--format", "github"),
     ("check", "--format", "junit"), ("status",), ("conditions", "--format", "json")],
    ids=lambda a: "-".join(a),
)  # fmt: skip
def test_every_format_shows_joiners_and_still_escapes_overrides(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """Every output built on the shared list: the override escaped, the Persian as written."""
    title = f"Foreign troops {PERSIAN} \u202eevil"
    header = SMALL_TRACKER.replace("Foreign troops withdrawn", title)
    path = write_tracker(tmp_path / "conditions.toml",
                         [entry(1, summary=title, criterion="bases-closed", status="met")],
                         header)  # fmt: skip
    dated = ("--as-of", "2025-03-01") if args[0] in ("report", "check", "status") else ()
    result = CliRunner().invoke(app, ["--file", str(path), *args, *dated], env=WIDE)
    assert result.exit_code in (0, 1, 3), result.output
    out = result.stdout
    if "json" in args:
        out = json.dumps(json.loads(out), ensure_ascii=False)  # the text as a reader gets it
        assert title in out  # JSON carries the data exactly; the raw file had it escaped
        assert "\u202e" not in result.stdout
    else:
        assert PERSIAN in out, out
        assert "\u202e" not in out


@pytest.mark.parametrize("columns", ["0", "1", "99999999999999999999", "1000000000"])
@pytest.mark.parametrize("command", [("status",), ("explain", "troops"), ("evidence",)])
def test_any_columns_gives_a_readable_view_of_bounded_width(
    columns: str, command: tuple[str, ...], tmp_path: Path
) -> None:
    """COLUMNS is the user's to set: at 0 Rich would print nothing, past a C integer it
    overflowed, and at a billion `explain` hung padding lines; the width is kept within
    what a terminal can be."""
    from condtrack.render.terminal import MAX_WIDTH

    tracker = tmp_path / "conditions.toml"
    tracker.write_text(SMALL_TRACKER, "utf-8")
    runner = CliRunner()
    logged = runner.invoke(app, ["-f", str(tracker), "log", "troops", "--summary", "seen",
                                 "--source", "Monitor", "--date", "2025-01-02"])  # fmt: skip
    assert logged.exit_code == 0, logged.output
    result = runner.invoke(app, ["-f", str(tracker), *command], env={"COLUMNS": columns})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines, "nothing shown"
    assert max(len(line) for line in lines) <= MAX_WIDTH
    assert "troops" in result.stdout.replace("\n", "") or command[0] == "status"
