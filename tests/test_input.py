"""Input that could change its meaning on the way in or out (issue 10): URLs and text that
would break a Markdown table, duplicates, the CSV an export writes and an import reads, and
how refused values are worded."""

from __future__ import annotations

import csv
import json
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from condtrack.textsafe import one_line
from tests.conftest import Invoke
from tests.reliability.helpers import (
    TRACKER,
    child_env,
    condtrack_argv,
    document,
    evidence_block,
    file_with,
    ok,
    refused,
    run,
)

PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
LOG = ("log", "troops", "--source", "Monitor", "--date", "2025-01-20", "--reliability", "B2")


# --- Markdown: no text and no URL can break the report's table -----------------------------


def gfm() -> MarkdownIt:
    """A CommonMark parser with GitHub's tables, as GitHub renders a briefing."""
    return MarkdownIt("commonmark").enable("table")


def table_rows(markdown: str) -> list[list[list[Token]]]:
    """Each body row of the first table: its cells, each as its inline tokens."""
    tokens = gfm().parse(markdown)
    start = next(i for i, t in enumerate(tokens) if t.type == "table_open")
    rows: list[list[list[Token]]] = []
    in_body = False
    for token in tokens[start:]:
        if token.type == "table_close":
            break
        if token.type == "tbody_open":
            in_body = True
        elif in_body and token.type == "tr_open":
            rows.append([])
        elif in_body and token.type == "inline":
            rows[-1].append(token.children or [])
    return rows


def text_of(inline: list[Token]) -> str:
    return "".join(t.content for t in inline if t.type in ("text", "code_inline"))


def links_of(inline: list[Token]) -> list[str]:
    return [str(t.attrs["href"]) for t in inline if t.type == "link_open"]


HOSTILE = "|*_`[]()<>\\~&#!\"'{}^ \t\n\r\x1b\u202e\u00a0;:=+-@%/?"
# Any text a file can hold (a NUL never reads back, and a URL never holds a surrogate).
characters = st.characters(codec="utf-8", exclude_characters="\x00")
texts = st.text(alphabet=st.sampled_from(HOSTILE) | characters, min_size=1, max_size=40)
url_tails = st.text(alphabet=st.sampled_from(HOSTILE) | characters, max_size=40)


def test_log_refuses_a_url_that_would_split_the_report_table(tracker_file: Path) -> None:
    err = refused(
        tracker_file,
        *LOG,
        "--summary",
        "x",
        "--url",
        "https://e.example/x|**met**|100|",
        expect=("--url", "'|'", "%7C"),
    )
    assert "Traceback" not in err


def test_log_refuses_such_a_url_in_a_process_of_its_own(tracker_file: Path) -> None:
    before = tracker_file.read_bytes()
    argv = condtrack_argv(tracker_file, *LOG, "--summary", "x", "--url", "https://e.example/<b>")
    done = subprocess.run(argv, capture_output=True, text=True, env=child_env(), check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "--url" in done.stderr, done.stderr
    assert tracker_file.read_bytes() == before


@PROPERTY
@given(summary=texts, source=texts, tail=url_tails, title=texts)
@example(summary="s", source="s", tail="x|**met**|100|", title="t")
@example(summary="a | b", source="[x](y)", tail="a)b[c]d\\e&copy;", title="`x` | *y*")
def test_any_text_or_url_in_the_file_keeps_the_report_table_whole(
    tmp_path_factory: pytest.TempPathFactory, summary: str, source: str, tail: str, title: str
) -> None:
    """Whatever a hand-edited or imported file holds: one row per condition, seven cells,
    and the evidence's text and link read back as they are in the file."""
    url = "https://e.example/" + tail
    source = source.strip() or "s"
    summary = summary if summary.strip() else "s"
    folder = tmp_path_factory.mktemp("md")
    entry = {
        "id": "ev-hand",
        "condition": "troops",
        "criterion": "bases-closed",
        "status": "partial",
        "date": "2025-01-10",
        "source": source[:300],
        "url": url,
        "reliability": "B2",
        "summary": summary,
        "logged": "2025-01-11T09:00:00Z",
    }
    if any(ch.isspace() or ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in url):
        del entry["url"]  # the schema refuses it; the report test is for what it accepts
    block = "\n[[evidence]]\n" + "\n".join(
        f"{k} = {tomli_w.dumps({'v': v})[4:].strip() if k not in ('date', 'logged') else v}"
        for k, v in entry.items()
    )
    title = title.strip()[:300] or "t"
    header = TRACKER.replace('"Foreign troops withdrawn"', tomli_w.dumps({"v": title})[4:].strip())
    path = file_with(folder, header + block + "\n")
    markdown = ok(run(path, "report", "--as-of", "2025-02-01")).stdout
    rows = table_rows(markdown)
    conditions = document(path)["conditions"]
    assert len(rows) == len(conditions)
    assert all(len(cells) == 7 for cells in rows)
    row = rows[[c["id"] for c in conditions].index("troops")]
    assert text_of(row[0]).strip() == f"{one_line(title)} (troops)".strip()
    latest = row[5]
    expected = f"2025-01-10, {one_line(entry['source'])}: {one_line(summary)}"
    assert text_of(latest).strip() == expected.strip()
    if "url" in entry:
        (href,) = links_of(latest)
        assert urllib.parse.unquote(href) == urllib.parse.unquote(url)
    else:
        assert links_of(latest) == []


@PROPERTY
@given(tail=url_tails)
def test_any_url_log_accepts_renders_as_one_link(
    tmp_path_factory: pytest.TempPathFactory, tail: str
) -> None:
    path = file_with(tmp_path_factory.mktemp("md"), TRACKER)
    url = "https://e.example/" + tail
    result = run(path, *LOG, "--criterion", "bases-closed", "--status", "met", "--summary", "x",
                 "--url", url)  # fmt: skip
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert result.stderr.startswith("error: --url: ") and result.stderr.count("\n") == 1
        return
    rows = table_rows(ok(run(path, "report", "--as-of", "2025-02-01")).stdout)
    assert all(len(cells) == 7 for cells in rows)
    hrefs = [href for cells in rows for href in links_of(cells[5])]
    # `log` stores every text field without leading or trailing whitespace.
    assert [urllib.parse.unquote(h) for h in hrefs] == [urllib.parse.unquote(url.strip())]


def test_the_html_report_links_the_same_encoded_url(tmp_path: Path) -> None:
    hand_edited = '"https://e.example/a|b\\"c<d>(e)"'
    block = evidence_block(
        criterion='"bases-closed"', status='"met"', reliability='"B2"', url=hand_edited
    )
    path = file_with(tmp_path, TRACKER + block)
    html = ok(run(path, "report", "--format", "html", "--as-of", "2025-02-01")).stdout
    assert 'href="https://e.example/a%7Cb%22c%3Cd%3E%28e%29"' in html


# --- duplicates: one rule for log and import; nothing left uncounted without a word --------

DUPLICATE = (*LOG, "--summary", "Bases still open.")


def test_log_refuses_a_duplicate_naming_the_earlier_entry(tracker_file: Path) -> None:
    first = ok(run(tracker_file, *DUPLICATE)).stdout.strip()
    refused(tracker_file, *DUPLICATE, expect=(f"duplicate of {first}", "--allow-duplicate"))
    second = ok(run(tracker_file, *DUPLICATE, "--allow-duplicate")).stdout.strip()
    assert second != first
    assert [e["id"] for e in document(tracker_file)["evidence"]] == [first, second]


def test_log_refuses_a_duplicate_by_url(tracker_file: Path) -> None:
    url = ("--url", "https://e.example/report")
    first = ok(run(tracker_file, *DUPLICATE, *url)).stdout.strip()
    other = ("--summary", "Same report, other words.")
    refused(tracker_file, *LOG, *other, *url, expect=(f"duplicate of {first}", "URL"))
    ok(run(tracker_file, *LOG, *other, "--url", "https://e.example/another"))


def test_a_rerun_of_a_log_in_a_process_of_its_own_doubles_nothing(tracker_file: Path) -> None:
    argv = condtrack_argv(tracker_file, *DUPLICATE)
    first = subprocess.run(argv, capture_output=True, text=True, env=child_env(), check=True)
    before = tracker_file.read_bytes()
    again = subprocess.run(argv, capture_output=True, text=True, env=child_env(), check=False)
    assert again.returncode == 2 and again.stdout == ""
    assert again.stderr.count("\n") == 1 and first.stdout.strip() in again.stderr
    assert tracker_file.read_bytes() == before


def test_a_duplicate_is_caught_on_the_fast_path_without_reading_every_entry(
    tracker_file: Path,
) -> None:
    from condtrack.storage import store
    from tests.fast_path_helpers import watching

    first = ok(run(tracker_file, *DUPLICATE)).stdout.strip()
    ok(run(tracker_file, *LOG, "--summary", "Something else."))  # on the first one's record
    with watching(store, "read_checked") as full_reads:
        refused(tracker_file, *DUPLICATE, expect=(f"duplicate of {first}",))
    assert full_reads == []


def test_log_and_import_apply_the_same_duplicate_rule(tmp_path: Path, tracker_file: Path) -> None:
    logged = ok(run(tracker_file, *DUPLICATE)).stdout.strip()
    row = {"condition": "troops", "date": "2025-01-20", "source": "Monitor",
           "summary": "Bases still open.", "reliability": "B2"}  # fmt: skip
    rows = tmp_path / "rows.csv"
    rows.write_text(",".join(row) + "\n" + ",".join(row.values()) + "\n", "utf-8")
    before = tracker_file.read_bytes()
    result = run(tracker_file, "import", str(rows))
    assert result.exit_code == 2 and f"row 2: duplicate of {logged}" in result.stderr
    assert tracker_file.read_bytes() == before
    other = tmp_path / "other.toml"
    other.write_text(TRACKER, "utf-8")
    imported = ok(run(other, "import", str(rows))).stdout.strip()
    assert logged != imported
    refused(other, *DUPLICATE, expect=(f"duplicate of {imported}",))


def test_import_warns_when_rows_without_a_grade_will_not_count(
    tmp_path: Path, tracker_file: Path
) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "condition,date,source,summary\ntroops,2025-01-20,Monitor,a\ntroops,2025-01-20,M,b\n",
        "utf-8",
    )
    dry = ok(run(tracker_file, "import", str(rows), "--dry-run"))
    assert "would be recorded, but not counted" in dry.stderr
    result = ok(run(tracker_file, "import", str(rows)))
    warning = next(line for line in result.stderr.splitlines() if line.startswith("warning:"))
    assert "2 entries (rows 2, 3) graded F6" in warning and "minimum C3" in warning
    assert [e["reliability"] for e in document(tracker_file)["evidence"]] == ["F6", "F6"]
    counted = tmp_path / "counted.csv"
    counted.write_text(
        "condition,date,source,summary,reliability\ntroops,2025-01-21,Monitor,c,B2\n", "utf-8"
    )
    assert "warning" not in ok(run(tracker_file, "import", str(counted))).stderr


# --- CSV: what an export writes, an import reads back exactly --------------------------------


def export_then_import(tmp_path: Path, source: Path) -> Path:
    exported = ok(run(source, "evidence", "--all", "--format", "csv")).stdout
    export = tmp_path / "export.csv"
    export.write_text(exported, "utf-8", newline="")
    target = tmp_path / "target.toml"
    target.write_text(TRACKER, "utf-8")
    ok(run(target, "import", str(export)))
    return target


def without_logged(path: Path) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "logged"} for e in document(path)["evidence"]]


@pytest.mark.parametrize("start", ["+", "-", "=", "@", "'=", "''@", "'", "-12", "'-12"])
def test_a_summary_that_looks_like_a_formula_imports_back_exactly(
    tmp_path: Path, tracker_file: Path, start: str
) -> None:
    summary = f"{start}1+2 troops left"
    ok(run(tracker_file, *LOG, "--summary", summary, "--url", "https://e.example/=a"))
    ok(run(tracker_file, *LOG, "--summary", "plain", "--source", f"{start}Monitor"))
    target = export_then_import(tmp_path, tracker_file)
    assert without_logged(target) == without_logged(tracker_file)
    assert document(target)["evidence"][0]["summary"] == summary


def test_the_evidence_csv_starts_with_a_byte_order_mark_for_excel(tracker_file: Path) -> None:
    ok(run(tracker_file, *LOG, "--summary", "Войска остаются."))
    exported = ok(run(tracker_file, "evidence", "--format", "csv")).stdout
    assert exported.startswith("\ufeffid,condition,")
    assert "Войска остаются." in exported


@pytest.mark.parametrize("delimiter", [";", "\t", ","])
def test_an_import_reads_semicolons_tabs_and_any_case_of_header(
    tmp_path: Path, tracker_file: Path, delimiter: str
) -> None:
    header = ["Condition", " Date ", "SOURCE", "Summary", "Reliability", "Tags"]
    row = ["troops", "2025-01-20", "Monitor", "Bases, still open; says the monitor", "B2",
           "a;b"]  # fmt: skip
    rows = tmp_path / "rows.csv"
    with rows.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows([header, row])
    ok(run(tracker_file, "import", str(rows)))
    [entry] = document(tracker_file)["evidence"]
    assert entry["summary"] == row[3] and entry["source"] == "Monitor"
    assert entry["reliability"] == "B2" and entry["tags"] == ["a", "b"]


def test_dry_run_shows_the_ids_the_import_writes(tmp_path: Path, tracker_file: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "condition,date,source,summary,reliability\n"
        + "".join(f"troops,2025-01-{day:02d},Monitor,Report {day},B2\n" for day in range(1, 9)),
        "utf-8",
    )
    dry = ok(run(tracker_file, "import", str(rows), "--dry-run"))
    imported = ok(run(tracker_file, "import", str(rows))).stdout.split()
    assert len(imported) == 8
    assert all(entry_id in dry.stdout for entry_id in imported), dry.stdout


def test_a_dry_run_in_a_process_of_its_own_agrees_with_the_import(
    tmp_path: Path, tracker_file: Path
) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("condition,date,source,summary\ntroops,2025-01-02,M,s\n", "utf-8")
    env = child_env()
    dry = subprocess.run(condtrack_argv(tracker_file, "import", str(rows), "--dry-run"),
                         capture_output=True, text=True, env=env, check=True)  # fmt: skip
    real = subprocess.run(condtrack_argv(tracker_file, "import", str(rows)),
                          capture_output=True, text=True, env=env, check=True)  # fmt: skip
    assert real.stdout.strip() in dry.stdout


def test_an_import_refuses_a_row_that_would_amend(tmp_path: Path, tracker_file: Path) -> None:
    first = ok(run(tracker_file, *DUPLICATE)).stdout.strip()
    rows = tmp_path / "rows.csv"
    rows.write_text(
        f"condition,date,source,summary,supersedes,reason\n"
        f"troops,2025-01-20,Monitor,Corrected,{first},typo\n",
        "utf-8",
    )
    before = tracker_file.read_bytes()
    result = run(tracker_file, "import", str(rows))
    assert result.exit_code == 2, result.output
    assert "row 2, field 'supersedes'" in result.stderr and "condtrack amend" in result.stderr
    assert tracker_file.read_bytes() == before


def test_an_import_warns_of_the_columns_it_leaves_out(tmp_path: Path, tracker_file: Path) -> None:
    source = tmp_path / "source.toml"
    source.write_text(TRACKER, "utf-8")
    gone = ok(run(source, *DUPLICATE)).stdout.strip()
    ok(run(source, "retract", gone, "--reason", "wrong", "--date", "2025-01-21"))
    ok(run(source, *LOG, "--summary", "Bases closing."))
    exported = ok(run(source, "evidence", "--all", "--format", "csv")).stdout
    export = tmp_path / "export.csv"
    export.write_text(exported, "utf-8", newline="")
    # A retracted entry's row is refused (it would count again), or left out on request.
    refused = run(tracker_file, "import", str(export))
    assert refused.exit_code == 2 and "field 'retracted'" in refused.stderr, refused.output
    result = ok(run(tracker_file, "import", str(export), "--skip-retracted"))
    assert "1 row of retracted entries left out" in result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert any("'logged'" in w for w in warnings), warnings


def test_an_unknown_column_is_refused_with_a_suggestion(tmp_path: Path, tracker_file: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("condition,date,source,summary,reliabilty\ntroops,2025-01-02,M,s,B2\n")
    refused(tracker_file, "import", str(rows),
            expect=("unknown column 'reliabilty'", "did you mean 'reliability'"))  # fmt: skip


# --- amend says what its options do -----------------------------------------------------------


def test_amend_help_says_tags_are_replaced_and_the_grade_unchanged() -> None:
    shown = " ".join(ok(run(None, "amend", "--help", env={"COLUMNS": "200"})).stdout.split())
    shown = shown.replace("│", "").replace("  ", " ")
    assert "default F6" not in shown
    assert "(default: unchanged)" in " ".join(shown.split())
    assert "replace all of the entry's tags" in " ".join(shown.split())


def test_amend_with_a_tag_replaces_the_tags_as_its_help_says(tracker_file: Path) -> None:
    first = ok(run(tracker_file, *DUPLICATE, "--tag", "old", "--tag", "kept")).stdout.strip()
    ok(run(tracker_file, "amend", first, "--tag", "kept", "--tag", "new", "--reason", "r"))
    assert [e["tags"] for e in document(tracker_file)["evidence"]] == [
        ["old", "kept"],
        ["kept", "new"],
    ]
    assert document(tracker_file)["evidence"][1]["reliability"] == "B2"  # unchanged


# --- refusals in condtrack's words, never pydantic's -----------------------------------------

# Phrases of pydantic's own messages; none may reach a user.
PYDANTIC = ("should", "after validation", "Input ", "Value error", "pattern '^", "valid string")
LONG = "x" * 4001


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("log", "Troops"), ("CONDITION: 'Troops' is not a valid id", "did you mean 'troops'")),
        (("log", "troops", "--criterion", "Bases_Closed", "--status", "met"),
         ("--criterion: 'Bases_Closed' is not a valid id", "did you mean 'bases-closed'")),
        (("log", "prisoners", "--indicator", "HELD", "--value", "3"),
         ("--indicator: 'HELD' is not a valid id", "did you mean 'held'")),
        (("log", "troops", "--summary", LONG), ("--summary: is 4001 characters long",
                                               "(allowed: at most 4000)")),
        (("log", "troops", "--source", "s" * 301), ("--source: is 301 characters long",
                                                    "(allowed: at most 300)")),
        (("log", "troops", *[f"--tag=t{n}" for n in range(21)]),
         ("--tag: has 21 items (allowed: at most 20)",)),
        (("log", "troops", "--url", "https://e.example/" + "x" * 2048),
         ("--url: is 2066 characters long (allowed: at most 2048)",)),
        (("check", "--min-score", "nan"), ("--min-score", "must be a finite number")),
        (("check", "--min-score", "-1"), ("--min-score", "must be a number at least 0")),
        (("check", "--max-age", "x"), ("--max-age", "must be a whole number")),
    ],
)  # fmt: skip
def test_a_refused_value_is_worded_as_condtrack_words_it(
    tracker_file: Path, args: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    base = {"--summary": "s", "--source": "Monitor", "--date": "2025-01-20"}
    if args[0] == "log":  # the required options the case does not give
        args += tuple(part for pair in base.items() if pair[0] not in args for part in pair)
    err = refused(tracker_file, *args, expect=expected)
    assert not any(phrase in err for phrase in PYDANTIC), err


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("condition", '"Troops"', "'Troops' is not a valid id (lowercase letters, digits"),
        ("status", '"done"', "'done' is not allowed (allowed: 'met', 'partial' or 'not-met')"),
        ("date", '"2025-01-10"', "must be a date (YYYY-MM-DD, unquoted in TOML), not text"),
        ("value", "true", "must be a number, not true/false"),
        ("tags", '"a"', "must be a list, not text 'a'"),
        ("logged", "2025-01-11T09:00:00", "2025-01-11T09:00:00 has no time zone (write it in"),
        ("summary", f'"{LONG}"', "is 4001 characters long (allowed: at most 4000)"),
        ("id", '"ev one"', "'ev one' is not a valid id (letters, digits and . _ -"),
    ],
)
def test_validate_words_each_field_as_condtrack_does(
    tmp_path: Path, field: str, value: str, expected: str
) -> None:
    extra = {"criterion": '"bases-closed"'} if field == "status" else {}
    path = file_with(tmp_path, TRACKER + evidence_block(**{field: value}, **extra))
    result = run(path, "validate")
    assert result.exit_code == 2
    problems = result.stderr.splitlines()[:-1]
    assert any(f"field '{field}': {expected}" in line for line in problems), problems
    assert not any(phrase in result.stderr for phrase in PYDANTIC), result.stderr
    if field == "condition":
        assert "did you mean 'troops'" in result.stderr


def test_the_scoring_table_is_worded_as_condtrack_does(tmp_path: Path) -> None:
    text = TRACKER.replace("window_days = 90", "window_days = 0").replace(
        "stale_after_days = 180", "stale_after_days = nan"
    )
    result = run(file_with(tmp_path, text), "validate")
    assert "field 'window_days': 0 is out of range (allowed: at least 1)" in result.stderr
    assert "field 'stale_after_days': must be a whole number, not nan" in result.stderr
    assert not any(phrase in result.stderr for phrase in PYDANTIC), result.stderr


@PROPERTY
@given(
    field=st.sampled_from(["condition", "criterion", "indicator", "source", "summary", "url",
                           "reliability", "tags", "value", "date"]),
    value=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=5000),
)  # fmt: skip
def test_no_value_of_any_field_gets_pydantic_words(
    tmp_path_factory: pytest.TempPathFactory, field: str, value: str
) -> None:
    path = file_with(tmp_path_factory.mktemp("words"), TRACKER)
    rows = path.parent / "rows.json"
    row = {"condition": "prisoners", "date": "2025-01-20", "source": "M", "summary": "s",
           field: [value] if field == "tags" else value}  # fmt: skip
    if field == "value":
        row["indicator"] = "held"
    rows.write_text(json.dumps([row]), "utf-8")
    result = run(path, "import", str(rows))
    assert result.exit_code in (0, 2), result.output
    assert not any(phrase in result.stderr for phrase in PYDANTIC), result.stderr


def test_one_article_assessing_two_criteria_is_not_a_duplicate(cli: Invoke) -> None:
    """Two criteria assessed from one report on one day are two entries; the same
    assessment again is the duplicate."""
    common = ["--date", "2026-01-05", "--source", "Monitor", "--reliability", "B2"]
    common += ["--url", "https://example.org/a", "--summary", "Bases closed, troops remain."]
    first = cli("log", "troops", "--criterion", "bases-closed", "--status", "met", *common)
    second = cli("log", "troops", "--criterion", "troops-gone", "--status", "not-met", *common)
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    again = cli("log", "troops", "--criterion", "troops-gone", "--status", "not-met", *common)
    assert again.exit_code == 2
    assert f"duplicate of {second.stdout.strip()}" in again.stderr


def test_a_figure_spelled_as_a_whole_or_a_decimal_number_is_the_same_report(cli: Invoke) -> None:
    common = ["--indicator", "held", "--date", "2026-01-05", "--source", "Monitor"]
    common += ["--reliability", "B2", "--summary", "Count."]
    assert cli("log", "prisoners", "--value", "52", *common).exit_code == 0
    again = cli("log", "prisoners", "--value", "52.0", *common)
    assert again.exit_code == 2 and "duplicate of" in again.stderr
    assert cli("log", "prisoners", "--value", "53", *common).exit_code == 0
