"""Briefings through the real CLI: ``report`` in every format, ``diff``, and terminal trends.

Every format is read back with a real parser (json, csv, html.parser, markdown-it plus a
strict pipe splitter) and its figures are checked against ``status --format json`` for the
same date. Hostile evidence text must come out inert everywhere. The browser test prints
the HTML report with headless Chromium when it is installed.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token
from typer.testing import CliRunner, Result

from condtrack.cli import app
from tests.conftest import REPO, SMALL_TRACKER, Invoke

LogFn = Callable[..., str]
StatusFn = Callable[..., dict[str, Any]]

SHIPPED = REPO / "conditions.toml"
FORMATS = ("markdown", "csv", "html", "json")
WIDE = {"COLUMNS": "220"}  # keep rich from wrapping the rows we read
BARS = "▁▂▃▄▅▆▇█"
ARROW_OF = {"up": "↑", "down": "↓", "flat": "→"}
STATUSES = ("met", "partial", "not-met", "unknown", "regressed")
MD_HEADER = ["Condition", "Status", "Score", "Key figures", "Balance", "Latest evidence", "Marks"]
MD_CHANGES_HEADER = [
    "Condition",
    "Status",
    "Score",
    "New evidence",
    "Retracted",
    "Moves",
    "New warnings",
]
CSV_HEADER = [
    "condition",
    "title",
    "status",
    "score",
    "marks",
    "key_figures",
    "balance",
    "latest_date",
    "latest_source",
    "latest_summary",
    "latest_url",
    "as_of",
]
CSV_CHANGE_HEADER = ["status_before", "score_before", "new_evidence", "retracted", "moves"]


# ---------------------------------------------------------------------------------------
# Running the CLI


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result


def run_report(cli: Invoke, fmt: str, *args: str, file: Path | None = None) -> Result:
    return ok(cli("report", "--format", fmt, *args, file=file))


def status_of(cli: Invoke, as_of: str, file: Path | None = None) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        ok(cli("status", "--format", "json", "--as-of", as_of, file=file)).stdout
    )
    return data


def one_error_line(result: Result) -> str:
    """A user error: exit 2, nothing on stdout, exactly one line on stderr."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines
    return lines[0]


# ---------------------------------------------------------------------------------------
# Parsers for each format


def md_split(line: str) -> list[str]:
    """Cells of a Markdown table row, splitting on `|` except where it is written `\\|`.

    Two readings are checked and must agree: GitHub's (a pipe right after a backslash is
    never a separator) and CommonMark's (a backslash escapes exactly the next character).
    """
    github: list[str] = [""]
    for index, char in enumerate(line):
        if char == "|" and (index == 0 or line[index - 1] != "\\"):
            github.append("")
        else:
            github[-1] += char
    strict: list[str] = [""]
    escaped = False
    for char in line:
        if escaped:
            strict[-1] += char
            escaped = False
        elif char == "\\":
            strict[-1] += char
            escaped = True
        elif char == "|":
            strict.append("")
        else:
            strict[-1] += char
    assert len(github) == len(strict), f"ambiguous pipes in {line!r}"
    assert github[0].strip() == "" and github[-1].strip() == "", f"row not fenced: {line!r}"
    return [cell.strip() for cell in github[1:-1]]


def md_tables(text: str) -> list[list[list[str]]]:
    """Every pipe table in the text, checked row by row against its header."""
    tables: list[list[list[str]]] = []
    block: list[str] = []
    for line in [*text.split("\n"), ""]:
        if line.startswith("|"):
            block.append(line)
            continue
        # A table row never spills onto a line of its own.
        assert "|" not in line.replace("\\|", ""), f"stray pipe outside a table: {line!r}"
        if block:
            rows = [md_split(row) for row in block]
            header, rule, body = rows[0], rows[1], rows[2:]
            assert all(re.fullmatch(r":?-{3,}:?", cell) for cell in rule), block[1]
            for row in rows:
                assert len(row) == len(header), f"{len(row)} cells, header {len(header)}: {row}"
            tables.append([header, *body])
            block = []
    return tables


MARKDOWN = MarkdownIt("commonmark").enable("table")


def md_cells(text: str) -> list[list[list[Token]]]:
    """Tables as parsed by markdown-it: per table, per row, the inline tokens of each cell."""
    tables: list[list[list[Token]]] = []
    row: list[Token] = []
    in_cell = False
    for token in MARKDOWN.parse(text):
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            tables[-1].append(row)
        elif token.type in ("th_open", "td_open"):
            in_cell = True
        elif token.type in ("th_close", "td_close"):
            in_cell = False
        elif token.type == "inline" and in_cell:
            row.append(token)
    return tables


def md_plain(token: Token) -> str:
    """The text a reader sees in a cell."""
    return "".join(
        child.content for child in token.children or [] if child.type in ("text", "code_inline")
    )


def md_links(text: str) -> list[str]:
    hrefs: list[str] = []
    for token in MARKDOWN.parse(text):
        for child in token.children or []:
            if child.type in ("link_open", "image"):
                hrefs.append(str(child.attrs.get("href") or child.attrs.get("src")))
    return hrefs


def csv_rows(raw: bytes) -> list[list[str]]:
    """RFC 4180 with a UTF-8 byte-order mark: CRLF after every record, a header first."""
    assert raw.startswith(codecs.BOM_UTF8), raw[:10]
    text = raw.decode("utf-8-sig")
    assert text.endswith("\r\n")
    records = text.split("\r\n")[:-1]
    for record in records:
        assert "\n" not in record and "\r" not in record, f"bare line break in {record!r}"
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    assert len(rows) == len(records)  # one record per line: no cell spans lines
    return rows


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


@dataclass
class Chart:
    points: list[tuple[float, float]] = field(default_factory=list)
    circles: int = 0


class Page(HTMLParser):
    """Collects what the checks need and the nesting errors it finds."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: Counter[str] = Counter()
        self.attributes: list[tuple[str, str, str]] = []
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None
        self.charts: list[Chart] = []
        self.styles: list[str] = []
        self.headings: list[str] = []
        self.texts: list[str] = []

    def _open(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        for name, value in attrs:
            self.attributes.append((tag, name, value or ""))
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []
        elif tag in ("br", "li") and self.cell is not None:
            self.cell.append(" ")  # a line break reads as a space
        elif tag == "svg":
            self.charts.append(Chart())
        elif tag == "circle":
            self.charts[-1].circles += 1
        elif tag == "polyline":
            points = dict(attrs).get("points") or ""
            for pair in points.split():
                x, y = pair.split(",")
                self.charts[-1].points.append((float(x), float(y)))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][-1].append(re.sub(r"\s+", " ", "".join(self.cell)).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        if self.cell is not None:
            self.cell.append(data)
        if self.stack and self.stack[-1] == "style":
            self.styles.append(data)
        if self.stack and self.stack[-1] in ("h1", "h2"):
            self.headings.append(data)


def parse_html(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    assert page.errors == [], page.errors
    assert page.stack == [], f"unclosed: {page.stack}"
    assert text.startswith("<!DOCTYPE html>")
    for tag in ("html", "head", "body", "title", "table", "thead", "tbody"):
        assert page.tags[tag] >= 1, tag
    for table in page.tables:
        widths = {len(row) for row in table}
        assert len(widths) == 1, f"ragged table: {table}"
    return page


def assert_html_self_contained(page: Page) -> None:
    """No scripts, no requests: inline styles only, links only to http(s)."""
    for tag in ("script", "iframe", "object", "embed", "link", "img", "form", "base"):
        assert page.tags[tag] == 0, f"<{tag}> in the report"
    for tag, name, value in page.attributes:
        assert not name.startswith("on"), f"event handler {name} on <{tag}>"
        if name in ("href", "xlink:href"):
            assert tag == "a" and re.match(r"https?://", value), f"{tag} {name}={value!r}"
        assert name not in ("src", "srcset", "action", "formaction", "poster", "data", "style")
    style = "".join(page.styles)
    assert page.tags["style"] == 1 and style.strip()
    assert "url(" not in style and "@import" not in style
    csp = [v for t, n, v in page.attributes if t == "meta" and n == "content" and "src" in v]
    assert csp and "default-src 'none'" in csp[0]


def condition_ids(status: dict[str, Any]) -> list[str]:
    return [c["id"] for c in status["conditions"]]


# ---------------------------------------------------------------------------------------
# A tracker with some history, built once for the read-only tests


@dataclass(frozen=True)
class Entry:
    id: str
    condition: str
    date: dt.date
    indicator: str | None = None
    value: float | None = None


@dataclass(frozen=True)
class Scenario:
    path: Path
    entries: tuple[Entry, ...]
    retractions: tuple[tuple[str, dt.date], ...]

    def added(self, condition: str, since: str, until: str) -> set[str]:
        start, end = dt.date.fromisoformat(since), dt.date.fromisoformat(until)
        return {e.id for e in self.entries if e.condition == condition and start < e.date <= end}

    def retracted(self, condition: str, since: str, until: str) -> set[str]:
        start, end = dt.date.fromisoformat(since), dt.date.fromisoformat(until)
        mine = {e.id for e in self.entries if e.condition == condition}
        return {i for i, day in self.retractions if i in mine and start < day <= end}

    def observations(self, indicator: str, as_of: str) -> list[Entry]:
        """Counting observations of an indicator: dated by then, never retracted (a
        retraction applies at every as-of date, issue 13)."""
        end = dt.date.fromisoformat(as_of)
        gone = {i for i, _ in self.retractions}
        return sorted(
            (
                e
                for e in self.entries
                if e.indicator == indicator and e.date <= end and e.id not in gone
            ),
            key=lambda e: e.date,
        )


# (condition, date, options): every entry is graded B2 unless it says otherwise.
HISTORY: list[tuple[str, str, dict[str, str]]] = [
    ("troops", "2025-01-10", {"criterion": "bases-closed", "status": "met"}),
    ("prisoners", "2025-01-15", {"indicator": "held", "value": "120"}),
    ("prisoners", "2025-02-20", {"indicator": "held", "value": "80"}),
    ("troops", "2025-03-05", {"criterion": "troops-gone", "status": "met"}),
    ("prisoners", "2025-03-01", {"indicator": "expelled", "value": "3"}),
    ("prisoners", "2025-03-10", {"indicator": "held", "value": "95"}),
    ("prisoners", "2025-03-15", {"indicator": "freed", "value": "30"}),
    ("prisoners", "2025-03-20", {"indicator": "detained", "value": "12"}),
    ("prisoners", "2025-04-01", {"indicator": "held", "value": "40"}),
    ("prisoners", "2025-04-05", {"criterion": "no-exile", "status": "partial"}),
    ("troops", "2025-04-10", {"reliability": "E5"}),  # below the minimum: never counts
    ("troops", "2025-05-02", {"criterion": "bases-closed", "status": "not-met"}),
    ("prisoners", "2025-05-20", {"indicator": "held", "value": "55"}),
]
RETRACT = (("2025-03-10", "2025-04-15"),)  # (date of the entry retracted, retraction date)
# (as-of, since) pairs the agreement tests run on: before, during and after the history.
SPANS = [
    ("2025-01-12", None),
    ("2025-03-12", "2025-01-12"),
    ("2025-04-20", "2025-03-01"),
    ("2025-06-30", "2025-04-10"),
]


def invoke_app(runner: CliRunner, path: Path, *args: str) -> Result:
    return runner.invoke(app, ["--file", str(path), *args])


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    path = tmp_path_factory.mktemp("scenario") / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    runner = CliRunner()
    entries = []
    for number, (condition, day, extra) in enumerate(HISTORY):
        options = {"reliability": "B2", **extra}
        args = ["log", condition, f"--summary=entry {number}", "--source=Monitor"]
        args += [f"--date={day}", *(f"--{key}={value}" for key, value in options.items())]
        result = ok(invoke_app(runner, path, *args))
        value = float(extra["value"]) if "value" in extra else None
        entries.append(
            Entry(
                result.stdout.strip(),
                condition,
                dt.date.fromisoformat(day),
                extra.get("indicator"),
                value,
            )
        )
    retractions = []
    for entry_day, day in RETRACT:
        target = next(e for e in entries if e.date.isoformat() == entry_day)
        ok(invoke_app(runner, path, "retract", target.id, "--reason=misread", f"--date={day}"))
        retractions.append((target.id, dt.date.fromisoformat(day)))
    return Scenario(path, tuple(entries), tuple(retractions))


def span_args(as_of: str, since: str | None) -> list[str]:
    return ["--as-of", as_of, *(["--since", since] if since else [])]


# ---------------------------------------------------------------------------------------
# Every format parses, and shows the numbers status shows


@pytest.mark.parametrize(("as_of", "since"), SPANS)
def test_every_format_parses_and_agrees_with_status(
    cli: Invoke, scenario: Scenario, as_of: str, since: str | None
) -> None:
    status = status_of(cli, as_of, scenario.path)
    expected = {c["id"]: (c["status"], float(c["score"])) for c in status["conditions"]}
    args = span_args(as_of, since)
    assert len(expected) == 2

    report = json.loads(run_report(cli, "json", *args, file=scenario.path).stdout)
    assert report["kind"] == "report" and report["as_of"] == as_of and report["since"] == since
    # status's overall also counts relief (issue 12); the report has no relief section yet.
    relief = ("relief_ahead", "snapback_due")
    assert report["overall"] == {k: v for k, v in status["overall"].items() if k not in relief}
    assert {c["id"]: (c["status"], c["score"]) for c in report["conditions"]} == expected

    rows = csv_rows(run_report(cli, "csv", *args, file=scenario.path).stdout_bytes)
    assert rows[0] == CSV_HEADER + (CSV_CHANGE_HEADER if since else [])
    by_id = {row[0]: row for row in rows[1:-1]}
    assert {k: (r[2], float(r[3])) for k, r in by_id.items()} == expected
    overall = rows[-1]
    assert overall[0] == "overall"
    assert (overall[2], float(overall[3])) == (
        status["overall"]["status"],
        status["overall"]["score"],
    )

    markdown = run_report(cli, "markdown", *args, file=scenario.path).stdout
    tables = md_tables(markdown)
    assert len(tables) == (2 if since else 1)
    assert tables[0][0] == MD_HEADER
    shown = {}
    for row in tables[0][1:]:
        found = re.search(r"\(`([a-z0-9-]+)`\)$", row[0])
        assert found, row[0]
        shown[found.group(1)] = (row[1].strip("*"), float(row[2]))
    assert shown == expected
    assert f"score {status['overall']['score']:g}/100" in markdown

    page = parse_html(run_report(cli, "html", *args, file=scenario.path).stdout)
    header, *body = page.tables[0]
    # The HTML page leaves out the Balance and Marks columns when every row would be empty.
    assert [h for h in MD_HEADER if h in header] == header
    assert {"Balance", "Marks"} | set(header) == set(MD_HEADER)
    shown = {row[0].split()[-1]: (row[1], float(row[2])) for row in body}
    assert shown == expected
    assert len(page.tables) == (2 if since else 1)


def test_shipped_tracker_agrees_with_status_in_every_format(cli: Invoke) -> None:
    as_of, since = "2025-09-30", "2025-06-01"
    status = status_of(cli, as_of, SHIPPED)
    expected = {c["id"]: (c["status"], float(c["score"])) for c in status["conditions"]}
    assert len(expected) >= 4
    args = ["--as-of", as_of, "--since", since]
    report = json.loads(run_report(cli, "json", *args, file=SHIPPED).stdout)
    # status's overall also counts relief (issue 12); the report's relief section has the
    # measures status lists (tests/test_report_relief.py checks the section itself).
    relief = ("relief_ahead", "snapback_due")
    assert report["overall"] == {k: v for k, v in status["overall"].items() if k not in relief}
    assert {c["id"]: (c["status"], c["score"]) for c in report["conditions"]} == expected
    measures = len(status["relief"])
    assert measures >= 1 and len(report["relief"]["measures"]) == measures
    rows = csv_rows(run_report(cli, "csv", *args, file=SHIPPED).stdout_bytes)
    overall = [r[0] for r in rows].index("overall")
    assert {r[0]: (r[2], float(r[3])) for r in rows[1:overall]} == expected
    tables = md_tables(run_report(cli, "markdown", *args, file=SHIPPED).stdout)
    # Conditions, the relief measures, the sender x measure matrix (one row per measure
    # name, whichever senders hold it), the changes, then the relief entries and the
    # measures whose state changed, as `diff` finds them.
    names = len({" ".join(m["measure"].casefold().split()) for m in status["relief"]})
    diffed = cli("diff", "--since", since, "--until", as_of, "--format", "json", file=SHIPPED)
    relief_changes = json.loads(diffed.stdout)["relief"]
    listed = len(relief_changes["entries"]) + len(relief_changes["retracted"])
    moved = len(relief_changes["measures"])
    assert listed + moved >= 1  # the shipped record has relief news in this span
    relief_tables = [n for n in (listed, moved) if n]
    assert [len(t) - 1 for t in tables] == [
        len(expected),
        measures,
        names,
        len(expected),
        *relief_tables,
    ]
    page = parse_html(run_report(cli, "html", *args, file=SHIPPED).stdout)
    assert_html_self_contained(page)
    assert {r[0].split()[-1]: (r[1], float(r[2])) for r in page.tables[0][1:]} == expected
    report = json.loads(run_report(cli, "json", *args, file=SHIPPED).stdout)
    trends = [
        f
        for c in report["conditions"]
        for f in c["figures"]
        if f["kind"] == "stock" and len(f["history"]) >= 2
    ]
    # A chart needs at least two observations; the first chart is the relief chart.
    assert len(page.charts) == len(trends) + 1


def test_csv_report_is_plain_rfc4180(cli: Invoke, scenario: Scenario) -> None:
    raw = run_report(cli, "csv", "--as-of", "2025-04-20", file=scenario.path).stdout_bytes
    assert raw.count(b"\r\n") == raw.count(b"\n") == 4  # header, two conditions, overall
    assert b'"' not in raw.split(b"\r\n")[0]  # header needs no quoting
    rows = csv_rows(raw)
    assert [row[0] for row in rows] == ["condition", "troops", "prisoners", "overall"]
    # Latest counting evidence, as logged: the E5 entry of 2025-04-10 does not count.
    troops = rows[1]
    assert troops[7] == "2025-03-05" and troops[9] == "entry 3" and troops[8] == "Monitor"


def test_csv_report_rows_are_rectangular(cli: Invoke, scenario: Scenario) -> None:
    for args in (["--as-of", "2025-04-20"], ["--as-of", "2025-04-20", "--since", "2025-03-01"]):
        rows = csv_rows(run_report(cli, "csv", *args, file=scenario.path).stdout_bytes)
        assert {len(row) for row in rows} == {len(rows[0])}


def test_html_report_is_well_formed_self_contained_and_charts_stocks(
    cli: Invoke, scenario: Scenario
) -> None:
    as_of = "2025-06-30"
    page = parse_html(run_report(cli, "html", "--as-of", as_of, file=scenario.path).stdout)
    assert_html_self_contained(page)
    # One chart: "held" is the only stock indicator; flows get none.
    observations = scenario.observations("held", as_of)
    assert len(observations) == 4  # 120, 80, (95 retracted), 40, 55
    assert len(page.charts) == 1
    chart = page.charts[0]
    assert chart.circles == len(chart.points) == len(observations)
    xs = [x for x, _ in chart.points]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)  # later dates further right
    # SVG y grows downwards: a higher value sits higher, i.e. has a smaller y.
    values = [e.value for e in observations]
    ys = [y for _, y in chart.points]
    for i in range(len(values)):
        for j in range(len(values)):
            assert (values[i] or 0) > (values[j] or 0) or ys[i] >= ys[j]
    assert page.tags["title"] == 2  # the page's and the chart's (accessible description)
    assert page.tables[0][2][0].endswith("prisoners")


def test_html_charts_only_when_a_stock_was_observed(cli: Invoke, log: LogFn) -> None:
    log("prisoners", indicator="expelled", value=2, date="2025-01-10")
    page = parse_html(run_report(cli, "html", "--as-of", "2025-02-01").stdout)
    assert page.charts == []
    log("prisoners", indicator="held", value=7, date="2025-01-20")
    page = parse_html(run_report(cli, "html", "--as-of", "2025-02-01").stdout)
    assert page.charts == []  # one observation is no trend
    log("prisoners", indicator="held", value=5, date="2025-01-25")
    page = parse_html(run_report(cli, "html", "--as-of", "2025-02-01").stdout)
    assert len(page.charts) == 1 and page.charts[0].circles == 2


def test_json_report_carries_history_and_no_changes_without_since(
    cli: Invoke, scenario: Scenario
) -> None:
    as_of = "2025-06-30"
    report = json.loads(run_report(cli, "json", "--as-of", as_of, file=scenario.path).stdout)
    assert report["changes"] is None and report["since"] is None
    prisoners = next(c for c in report["conditions"] if c["id"] == "prisoners")
    held = next(f for f in prisoners["figures"] if f["id"] == "held")
    expected = [(e.date.isoformat(), e.value) for e in scenario.observations("held", as_of)]
    assert [(h["date"], h["value"]) for h in held["history"]] == expected
    assert held["value"] == expected[-1][1]


# ---------------------------------------------------------------------------------------
# Changes: report --since and diff


@pytest.mark.parametrize(("until", "since"), [s for s in SPANS if s[1]])
def test_report_since_counts_changes_in_every_format(
    cli: Invoke, scenario: Scenario, until: str, since: str
) -> None:
    before, after = status_of(cli, since, scenario.path), status_of(cli, until, scenario.path)
    ids = condition_ids(after)
    added = {c: scenario.added(c, since, until) for c in ids}
    retracted = {c: scenario.retracted(c, since, until) for c in ids}
    old = {c["id"]: c for c in before["conditions"]}
    # By event date (`--by event`): the comparison this test pins; the default compares
    # what the tracker said then with what it says now (issue 13, test_time_axes.py).
    args = ["--as-of", until, "--since", since, "--by", "event", "--format"]

    report = json.loads(ok(cli("report", *args, "json", file=scenario.path)).stdout)
    changes = {c["id"]: c for c in report["changes"]["conditions"]}
    assert report["changes"]["since"] == since and report["changes"]["until"] == until
    for cid in ids:
        assert set(changes[cid]["added"]) == added[cid]
        assert {r["evidence"] for r in changes[cid]["retracted"]} == retracted[cid]
        assert changes[cid]["status"]["before"] == old[cid]["status"]
        assert changes[cid]["score"]["before"] == old[cid]["score"]

    rows = csv_rows(ok(cli("report", *args, "csv", file=scenario.path)).stdout_bytes)
    header = rows[0]
    for row in rows[1:-1]:
        cells = dict(zip(header, row, strict=True))
        cid = cells["condition"]
        assert cells["status_before"] == old[cid]["status"]
        assert float(cells["score_before"]) == old[cid]["score"]
        assert int(cells["new_evidence"]) == len(added[cid])
        assert int(cells["retracted"]) == len(retracted[cid])

    markdown = ok(cli("report", *args, "markdown", file=scenario.path)).stdout
    assert f"## Changes from {since} to {until}" in markdown.split("\n")
    table = md_tables(markdown)[1]
    assert table[0] == MD_CHANGES_HEADER
    for row in table[1:]:
        cid = row[0].strip("`")
        assert int(row[3]) == len(added[cid]) and int(row[4]) == len(retracted[cid])
        assert row[2] == f"{old[cid]['score']:g} → {changes[cid]['score']['after']:g}"

    page = parse_html(ok(cli("report", *args, "html", file=scenario.path)).stdout)
    assert f"Changes from {since} to {until}" in page.headings
    assert page.tables[1][0] == MD_CHANGES_HEADER
    for row in page.tables[1][1:]:
        cid = row[0].split()[-1]  # the title, then the id
        assert (int(row[3]), int(row[4])) == (len(added[cid]), len(retracted[cid]))


def expected_moves(before: dict[str, Any], after: dict[str, Any]) -> dict[str, set[str]]:
    """Criteria whose status or score differ between two status snapshots."""
    moved: dict[str, set[str]] = {}
    old = {c["id"]: c for c in before["conditions"]}
    for condition in after["conditions"]:
        then = {c["id"]: c for c in old[condition["id"]]["criteria"]}
        moved[condition["id"]] = {
            c["id"]
            for c in condition["criteria"]
            if (c["status"], c["score"]) != (then[c["id"]]["status"], then[c["id"]]["score"])
        }
    return moved


@pytest.mark.parametrize(("until", "since"), [s for s in SPANS if s[1]])
def test_diff_json_matches_two_status_snapshots(
    cli: Invoke, scenario: Scenario, until: str, since: str
) -> None:
    before, after = status_of(cli, since, scenario.path), status_of(cli, until, scenario.path)
    data = json.loads(
        ok(
            cli(
                "diff",
                "--since",
                since,
                "--until",
                until,
                "--by",
                "event",
                "--format",
                "json",
                file=scenario.path,
            )
        ).stdout
    )
    assert data["overall"]["before"]["score"] == before["overall"]["score"]
    assert data["overall"]["after"]["status"] == after["overall"]["status"]
    moves = expected_moves(before, after)
    old = {c["id"]: c for c in before["conditions"]}
    for change, now in zip(data["conditions"], after["conditions"], strict=True):
        cid = change["id"]
        assert cid == now["id"]
        assert change["status"] == {"before": old[cid]["status"], "after": now["status"]}
        assert change["score"] == {"before": old[cid]["score"], "after": now["score"]}
        assert set(change["added"]) == scenario.added(cid, since, until)
        assert {r["evidence"] for r in change["retracted"]} == scenario.retracted(cid, since, until)
        assert {m["id"] for m in change["criteria"]} == moves[cid]
        if change["added"] or change["retracted"] or change["criteria"]:
            assert change["changed"] is True


def test_diff_span_boundaries_and_retractions(cli: Invoke, log: LogFn) -> None:
    on_since = log("troops", criterion="bases-closed", status="met", date="2025-02-01")
    inside = log("troops", criterion="troops-gone", status="partial", date="2025-02-15")
    on_until = log("prisoners", criterion="released", status="partial", date="2025-03-01")
    later = log("prisoners", criterion="no-exile", status="met", date="2025-03-02")
    early = log("prisoners", criterion="released", status="met", date="2025-01-10")
    ok(cli("retract", on_since, "--reason", "wrong country", "--date", "2025-02-20"))
    ok(cli("retract", later, "--reason", "duplicate", "--date", "2025-03-05"))
    ok(cli("retract", early, "--reason", "hearsay", "--date", "2025-02-01"))  # on --since
    args = ["diff", "--since", "2025-02-01", "--until", "2025-03-01", "--by", "event"]
    args += ["--format", "json"]
    data = json.loads(ok(cli(*args)).stdout)
    by_id = {c["id"]: c for c in data["conditions"]}
    # Evidence dated on --since was already known then; on --until it is new.
    assert by_id["troops"]["added"] == [inside]
    assert by_id["prisoners"]["added"] == [on_until]
    [retraction] = by_id["troops"]["retracted"]
    assert retraction.pop("logged") is not None
    assert retraction == {"evidence": on_since, "date": "2025-02-20", "reason": "wrong country"}
    assert by_id["prisoners"]["retracted"] == []  # retracted on --since and after --until
    # A retraction applies at every as-of date (issue 13): bases-closed never counted, so
    # it does not move (before, it went from met on --since to unknown).
    assert by_id["troops"]["status"] == {"before": "unknown", "after": "partial"}
    assert by_id["troops"]["score"] == {"before": 0.0, "after": 25.0}
    assert {m["id"]: (m["before"], m["after"]) for m in by_id["troops"]["criteria"]} == {
        "troops-gone": ("unknown", "partial"),
    }


def test_diff_table_and_markdown_show_before_after_and_evidence(
    cli: Invoke, scenario: Scenario
) -> None:
    since, until = "2025-03-01", "2025-04-20"
    before, after = status_of(cli, since, scenario.path), status_of(cli, until, scenario.path)
    moves = expected_moves(before, after)
    old = {c["id"]: c for c in before["conditions"]}
    assert any(scenario.retracted(c, since, until) for c in old)  # the span has a retraction

    by_event = ["--by", "event"]  # the comparison pinned here; the default is issue 13's
    table = ok(
        cli("diff", "--since", since, "--until", until, *by_event, file=scenario.path, env=WIDE)
    ).stdout
    assert f"Changes from {since} to {until}" in table
    assert "\x1b" not in table
    for now in after["conditions"]:
        cid, then = now["id"], old[now["id"]]
        assert f"{then['score']:g} → {now['score']:g}" in table
        assert f"+{len(scenario.added(cid, since, until))}" in table
        if scenario.retracted(cid, since, until):
            assert f"-{len(scenario.retracted(cid, since, until))} retracted" in table
        for criterion in moves[cid]:
            assert re.search(rf"{criterion}: \S+ → \S+", table), criterion
        if then["status"] != now["status"]:
            assert f"→ {now['status']}" in table
    overall = (before["overall"]["score"], after["overall"]["score"])
    assert f"Overall: score {overall[0]:g} → {overall[1]:g}" in table

    markdown = ok(
        cli(
            "diff",
            "--since",
            since,
            "--until",
            until,
            *by_event,
            "--format",
            "markdown",
            file=scenario.path,
        )
    ).stdout
    [rows] = md_tables(markdown)
    assert rows[0] == MD_CHANGES_HEADER
    for row, now in zip(rows[1:], after["conditions"], strict=True):
        cid, then = now["id"], old[now["id"]]
        assert row[0] == f"`{cid}`"
        status = (
            now["status"]
            if then["status"] == now["status"]
            else f"{then['status']} → **{now['status']}**"
        )
        assert row[1] == status
        assert row[2] == f"{then['score']:g} → {now['score']:g}"
        assert int(row[3]) == len(scenario.added(cid, since, until))
        assert int(row[4]) == len(scenario.retracted(cid, since, until))
        shown = {part.split(":")[0] for part in row[5].split("; ")} if row[5] != "—" else set()
        assert moves[cid] <= shown


@pytest.mark.parametrize(
    "args",
    [
        ["report", "--as-of", "2025-03-01", "--since", "2025-03-01"],
        ["report", "--as-of", "2025-03-01", "--since", "2025-04-01"],
        ["report", "--format", "csv", "--as-of", "2025-03-01", "--since", "2025-03-02"],
        ["diff", "--since", "2025-03-01", "--until", "2025-03-01"],
        ["diff", "--since", "2025-05-01", "--until", "2025-03-01", "--format", "json"],
        ["diff", "--since", "2099-01-01"],  # after today, the default --until
    ],
)
def test_since_not_before_the_end_is_a_usage_error(cli: Invoke, args: list[str]) -> None:
    line = one_error_line(cli(*args))
    assert "--since" in line and "must be before" in line


def test_bad_since_writes_no_output_file(cli: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "out" / "r.md"
    target.parent.mkdir()
    args = ["--as-of", "2025-03-01", "--since", "2025-03-01", "-o", str(target)]
    one_error_line(cli("report", *args))
    assert list(target.parent.iterdir()) == []


# ---------------------------------------------------------------------------------------
# Determinism and --output


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("since", [None, "2025-03-01"])
def test_same_file_and_date_give_identical_bytes(
    cli: Invoke, scenario: Scenario, fmt: str, since: str | None
) -> None:
    args = span_args("2025-04-20", since)
    first = run_report(cli, fmt, *args, file=scenario.path).stdout_bytes
    second = run_report(cli, fmt, *args, file=scenario.path).stdout_bytes
    assert first == second and len(first) > 200
    # Later evidence changes the figures, so a later date must change the bytes.
    other = run_report(cli, fmt, *span_args("2025-06-30", since), file=scenario.path)
    assert other.stdout_bytes != first


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_file_matches_stdout_atomically(
    cli: Invoke, scenario: Scenario, tmp_path: Path, fmt: str
) -> None:
    args = ["--as-of", "2025-04-20", "--since", "2025-03-01"]
    expected = run_report(cli, fmt, *args, file=scenario.path).stdout_bytes
    folder = tmp_path / "briefings"
    folder.mkdir()
    target = folder / f"report.{fmt}"
    target.write_bytes(b"old content that must be replaced whole\n" * 1000)
    for _ in range(2):
        result = ok(
            cli("report", "--format", fmt, *args, "--output", str(target), file=scenario.path)
        )
        assert result.stdout == ""
        assert str(target) in result.stderr
        assert target.read_bytes() == expected
        assert [p.name for p in folder.iterdir()] == [target.name]  # no temporary left


def test_output_that_cannot_be_written_is_one_error_and_leaves_nothing(
    cli: Invoke, scenario: Scenario, tmp_path: Path
) -> None:
    folder = tmp_path / "briefings"
    (folder / "report.md").mkdir(parents=True)  # a folder where the file should go
    args = ["--as-of", "2025-04-20", "-o", str(folder / "report.md")]
    line = one_error_line(cli("report", *args, file=scenario.path))
    assert "report.md" in line
    assert [p.name for p in folder.iterdir()] == ["report.md"]
    assert list((folder / "report.md").iterdir()) == []


def test_output_file_matches_a_real_process_stdout(scenario: Scenario, tmp_path: Path) -> None:
    base = [sys.executable, "-m", "condtrack", "--file", str(scenario.path), "report"]
    args = ["--format", "csv", "--as-of", "2025-04-20", "--since", "2025-03-01"]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    printed = subprocess.run(
        [*base, *args], capture_output=True, timeout=60, check=True, env=env
    ).stdout
    target = tmp_path / "r.csv"
    written = subprocess.run(
        [*base, *args, "-o", str(target)], capture_output=True, timeout=60, check=True, env=env
    )
    assert written.stdout == b""
    assert target.read_bytes() == printed
    assert printed.startswith(codecs.BOM_UTF8) and b"\r\n" in printed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


# ---------------------------------------------------------------------------------------
# Hostile text


HOSTILE = [
    'a | b\nnext line <script>alert(1)</script> =HYPERLINK("http://x","y") '
    "[bold]x[/bold] \x1b[31mred\x1b[0m",
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\x1b[31m| pipes |\x1b[0m",
    "<script>alert(1)</script>",
    "[bold]x[/bold] [click](javascript:alert(1))",
    "|\n|\n| --- |",
    "\\|\\\\| ends with a backslash \\",
    '<a href="javascript:alert(1)">x</a> <img src=x onerror=alert(1)>',
]
FORMULA = ("=", "+", "-", "@", "\t", "\r")
NEGATIVE_NUMBER = re.compile(r"-(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def assert_csv_inert(raw: bytes) -> list[list[str]]:
    rows = csv_rows(raw)
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA):
                assert NEGATIVE_NUMBER.fullmatch(cell), f"formula-like cell {cell!r}"
            assert not any(unicodedata.category(c) == "Cc" for c in cell), repr(cell)
    return rows


def assert_markdown_inert(text: str, rows: int) -> list[list[list[str]]]:
    tables = md_tables(text)
    assert [len(t) - 1 for t in tables][:1] == [rows]
    assert "<" not in text  # no raw HTML at all: angle brackets become entities
    assert "\x1b" not in text
    for href in md_links(text):
        assert re.match(r"https?://", href), href
    assert not re.search(r"(?<!\\)\]\(\s*javascript:", text, re.IGNORECASE)
    parsed = md_cells(text)
    assert [len(t) for t in parsed] == [len(t) for t in tables]
    for table, mine in zip(parsed, tables, strict=True):
        assert [len(r) for r in table] == [len(r) for r in mine]
    return tables


def assert_html_inert(text: str) -> Page:
    page = parse_html(text)
    assert_html_self_contained(page)
    assert "<script" not in text.lower()
    assert "\x1b" not in text
    for _, _, value in page.attributes:
        assert not re.match(r"\s*(javascript|data|vbscript):", value, re.IGNORECASE), value
    return page


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_evidence_text_is_inert_in_every_format(
    cli: Invoke, log: LogFn, payload: str
) -> None:
    log(
        "troops",
        criterion="bases-closed",
        status="met",
        date="2025-01-10",
        summary=payload,
        source=payload,
        url="https://ok.example/a?b=1&c=2",
    )
    log("prisoners", indicator="held", value=5, date="2025-01-11", summary=payload, source="X")
    log("prisoners", indicator="held", value=9, date="2025-01-12", summary="p", source=payload)
    args = ["--as-of", "2025-02-01", "--since", "2025-01-11"]
    outputs = {fmt: run_report(cli, fmt, *args).stdout_bytes for fmt in FORMATS}
    diff_args = ["--since", "2025-01-11", "--until", "2025-02-01", "--format", "markdown"]
    diff_md = ok(cli("diff", *diff_args)).stdout
    for raw in [*outputs.values(), diff_md.encode()]:
        assert b"\x1b" not in raw

    rows = assert_csv_inert(outputs["csv"])
    troops = dict(zip(rows[0], rows[1], strict=True))
    # The text is still there to read, whole and on one line, escapes spelled out.
    flat = " ".join(payload.split("\n")).replace("\x1b", "\\x1b")
    formula = flat.startswith(FORMULA) and not NEGATIVE_NUMBER.fullmatch(flat)
    assert troops["latest_summary"] == ("'" if formula else "") + flat
    assert troops["latest_source"] == troops["latest_summary"]
    assert troops["latest_url"] == "https://ok.example/a?b=1&c=2"

    markdown = outputs["markdown"].decode()
    assert_markdown_inert(markdown, rows=2)
    md_tables(diff_md)
    assert md_links(markdown) == ["https://ok.example/a?b=1&c=2"]

    page = assert_html_inert(outputs["html"].decode())
    hrefs = [v for t, n, v in page.attributes if n == "href"]
    assert hrefs == ["https://ok.example/a?b=1&c=2"]
    latest = page.tables[0][0].index("Latest evidence")
    assert re.sub(r"\s+", " ", flat) in page.tables[0][1][latest]  # shown literally

    data = json.loads(outputs["json"])
    assert data["conditions"][0]["latest_evidence"]["summary"] == payload  # data stays exact


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https://ok.example/a b",
    ],
)
def test_log_refuses_urls_that_are_not_plain_http(
    cli: Invoke, tracker_file: Path, url: str
) -> None:
    before = tracker_file.read_bytes()
    result = cli("log", "troops", "--summary", "s", "--source", "x", "--url", url)
    line = one_error_line(result)
    assert "--url" in line
    assert tracker_file.read_bytes() == before


HAND_WRITTEN = (
    SMALL_TRACKER.replace(
        'title = "Testland: conditions for relief"',
        'title = "Testland | <script>alert(1)</script> \\u001b[31m =cmd"',
    )
    .replace('title = "Prisoners released"', 'title = "=HYPERLINK(\\"http://x\\",\\"y\\") | a\\nb"')
    .replace('label = "revolving door"', 'label = "<b>door</b> | [x](javascript:alert(1))"')
    + """
[[evidence]]
id = "ev-hand1"
condition = "prisoners"
indicator = "freed"
value = 3
date = 2025-01-05
source = "Src | <script>alert(1)</script>"
url = "https://ok.example/(a)"
reliability = "B2"
summary = "one\\ntwo | [bold]x[/bold] \\u001b[31m =1+1"
logged = 2025-01-05T10:00:00Z

[[evidence]]
id = "ev-hand2"
condition = "prisoners"
indicator = "detained"
value = 5
date = 2025-01-06
source = "@Src"
url = "https://ok.example/(a)"
reliability = "B2"
summary = "-1+1"
logged = 2025-01-06T10:00:00Z

[[evidence]]
id = "ev-hand3"
condition = "troops"
criterion = "bases-closed"
status = "met"
date = 2025-01-07
source = "Src)](javascript:alert(1))"
url = "https://ok.example/x)](javascript:alert(1))\\"><script>alert(1)</script>"
reliability = "B2"
summary = "-42"
logged = 2025-01-07T10:00:00Z
"""
)


def test_hand_written_tracker_text_and_links_are_inert(cli: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "hand.toml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    ok(cli("validate", file=path))
    args = ["--as-of", "2025-02-01", "--since", "2025-01-01"]
    raw = {fmt: run_report(cli, fmt, *args, file=path).stdout_bytes for fmt in FORMATS}
    outputs = {fmt: data.decode("utf-8") for fmt, data in raw.items()}
    assert not any(b"\x1b" in data for data in raw.values())

    markdown = outputs["markdown"]
    assert_markdown_inert(markdown, rows=2)
    # The links survive, with parentheses encoded so they cannot end the target early.
    links = md_links(markdown)
    assert len(links) == 2 and "https://ok.example/%28a%29" in links
    for href in links:
        assert href.startswith("https://ok.example/"), href
        assert "(" not in href and ")" not in href
    assert md_tables(markdown)[1][0] == MD_CHANGES_HEADER  # offset warnings table intact

    page = assert_html_inert(outputs["html"])
    hrefs = [v for t, n, v in page.attributes if n == "href"]
    assert "https://ok.example/%28a%29" in hrefs
    assert all(h.startswith("https://ok.example/") for h in hrefs)
    assert "Testland | <script>alert(1)</script>" in "".join(page.texts)  # shown, as text

    rows = assert_csv_inert(raw["csv"])
    cells = {cell for row in rows for cell in row}
    assert "-42" in cells  # a plain negative number stays a number
    assert "'-1+1" in cells and "'@Src" in cells
    assert any(c.startswith("'=HYPERLINK") for c in cells)

    data = json.loads(outputs["json"])
    assert data["conditions"][1]["latest_evidence"]["url"] == "https://ok.example/(a)"


TEXT = st.text(
    st.characters(codec="utf-8", exclude_characters="\x00"),
    min_size=1,
    max_size=80,
).filter(lambda s: s.strip() != "")


def plain(text: str) -> bool:
    """Text with no control, formatting or hidden characters, which the outputs would
    escape (textsafe's own list: unassigned default-ignorables such as U+E0080 too)."""
    from condtrack.textsafe import visible

    controls = any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text if c != "\n")
    return not controls and visible(text) == text


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(summary=TEXT, source=TEXT)
@example(summary="a\U000e0080b", source="src")  # hidden (an unassigned tag): shown escaped
def test_any_text_keeps_every_format_intact(summary: str, source: str) -> None:
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "conditions.toml"
        path.write_text(SMALL_TRACKER, encoding="utf-8")
        logged = invoke_app(
            runner,
            path,
            "log",
            "prisoners",
            f"--summary={summary}",
            f"--source={source}",
            "--reliability=B2",
            "--date=2025-01-10",
            "--criterion=released",
            "--status=partial",
        )
        if len(source) > 300 or not source.strip() or not summary.strip():
            assert logged.exit_code == 2
            return
        ok(logged)
        args = ["report", "--as-of", "2025-02-01", "--since", "2025-01-01", "--format"]
        markdown = ok(invoke_app(runner, path, *args, "markdown")).stdout
        raw_csv = ok(invoke_app(runner, path, *args, "csv")).stdout_bytes
        html_text = ok(invoke_app(runner, path, *args, "html")).stdout

    assert_markdown_inert(markdown, rows=2)
    rows = assert_csv_inert(raw_csv)
    page = assert_html_inert(html_text)
    latest_md = md_plain(md_cells(markdown)[0][2][5])
    latest_csv = dict(zip(rows[0], rows[2], strict=True))
    latest_html = page.tables[0][2][page.tables[0][0].index("Latest evidence")]
    if plain(summary) and plain(source):
        # `log` stores text without leading or trailing whitespace.
        flat_summary, flat_source = (" ".join(t.strip().split("\n")) for t in (summary, source))
        expected = f"2025-01-10, {flat_source}: {flat_summary}"
        assert latest_md == expected.strip()
        assert re.sub(r"\s+", " ", expected).strip() == latest_html
        formula = flat_summary.startswith(FORMULA) and not NEGATIVE_NUMBER.fullmatch(flat_summary)
        assert latest_csv["latest_summary"] == ("'" if formula else "") + flat_summary


# ---------------------------------------------------------------------------------------
# The browser test


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("headless Chromium is not installed (no chromium or chromium-browser)")
    return found


def run_browser(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, timeout=60, check=False)


def test_browser_chromium_prints_html_report_to_pdf_and_png(
    cli: Invoke, scenario: Scenario, tmp_path: Path
) -> None:
    binary = chromium()
    page = tmp_path / "report.html"
    args = ["--as-of", "2025-06-30", "--since", "2025-03-01", "-o", str(page)]
    ok(cli("report", "--format", "html", *args, file=scenario.path))
    assert_html_self_contained(parse_html(page.read_text("utf-8")))

    pdf = tmp_path / "report.pdf"
    done = run_browser(
        binary,
        tmp_path / "profile-pdf",
        f"--print-to-pdf={pdf}",
        "--no-pdf-header-footer",
        page.as_uri(),
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]
    assert len(data) > 5_000

    png = tmp_path / "report.png"
    done = run_browser(
        binary,
        tmp_path / "profile-png",
        f"--screenshot={png}",
        "--window-size=1280,1600",
        "--hide-scrollbars",
        page.as_uri(),
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    image = png.read_bytes()
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(image[16:20], "big") == 1280  # IHDR width
    assert len(image) > 20_000  # a rendered page, not a blank canvas


# ---------------------------------------------------------------------------------------
# Terminal trends: sparklines, score arrows, the evidence timeline


def row_line(output: str, title: str) -> str:
    lines = [line for line in output.split("\n") if title in line]
    assert len(lines) == 1, output
    return lines[0]


def test_status_shows_a_sparkline_of_the_stock_in_the_window(cli: Invoke, log: LogFn) -> None:
    # Window 90 days: as of 2025-06-30 it starts after 2025-04-01.
    observed = [("2025-03-01", 500), ("2025-04-10", 100), ("2025-05-01", 60)]
    observed += [("2025-05-20", 80), ("2025-06-10", 20)]
    for day, value in observed:
        log("prisoners", indicator="held", value=value, date=day)
    as_of = dt.date(2025, 6, 30)
    recent = [v for d, v in observed if dt.date.fromisoformat(d) > as_of - dt.timedelta(90)]
    output = ok(cli("status", "--as-of", as_of.isoformat(), env=WIDE)).stdout
    found = re.search(rf"held {recent[-1]:,} ([{BARS}]+)", output)
    assert found, output
    spark = found.group(1)
    assert len(spark) == len(recent) == 4  # the March observation is outside the window
    levels = [BARS.index(bar) for bar in spark]
    assert levels[recent.index(max(recent))] == len(BARS) - 1
    assert levels[recent.index(min(recent))] == 0
    for i in range(len(recent)):
        for j in range(len(recent)):
            if recent[i] < recent[j]:
                assert levels[i] <= levels[j]
    # One observation in the window: no sparkline at all.
    alone = ok(cli("status", "--as-of", "2025-03-15", env=WIDE)).stdout
    assert re.search(r"held 500\b", alone) and not re.search(f"[{BARS}]", alone)


def test_status_score_arrow_follows_the_previous_evidence_date(
    cli: Invoke, log: LogFn, status_json: StatusFn
) -> None:
    days = ["2025-01-10", "2025-02-10", "2025-03-10", "2025-04-10"]
    log("troops", criterion="bases-closed", status="met", date=days[0])
    log("troops", criterion="troops-gone", status="met", date=days[1])
    log("troops", criterion="bases-closed", status="not-met", date=days[2], reliability="A1")
    log("troops", summary="context only", date=days[3])
    seen = set()
    for as_of in ["2025-01-20", "2025-03-01", "2025-04-01", "2025-05-01"]:
        known = [d for d in days if d <= as_of]
        now = status_json(as_of)["conditions"][0]
        expected = None
        if len(known) >= 2:
            then = status_json(known[-2])["conditions"][0]["score"]
            trend = "flat" if now["score"] == then else "up" if now["score"] > then else "down"
            expected = ARROW_OF[trend]
        line = row_line(ok(cli("status", "--as-of", as_of, env=WIDE)).stdout, "Foreign troops")
        found = re.search(rf"\s{now['status']}\s+{now['score']:.0f}( [↑↓→])?\s", line)
        assert found, line
        arrow = found.group(1).strip() if found.group(1) else None
        assert arrow == expected, (as_of, line)
        seen.add(arrow)
    assert seen == {None, "↑", "↓", "→"}  # the cases above cover every arrow


def test_explain_lists_evidence_oldest_first(cli: Invoke, log: LogFn) -> None:
    logged = {}
    for day in ["2025-03-01", "2025-01-15", "2025-02-10", "2025-01-20"]:
        logged[log("prisoners", indicator="held", value=int(day[5:7]) * 10, date=day)] = day
    retracted = log("prisoners", criterion="released", status="met", date="2025-01-18")
    logged[retracted] = "2025-01-18"
    ok(cli("retract", retracted, "--reason", "misread", "--date", "2025-02-01"))
    other = log("troops", criterion="bases-closed", status="met", date="2025-01-16")
    output = ok(cli("explain", "prisoners", "--as-of", "2025-03-31", env=WIDE)).stdout
    assert "Evidence, oldest first" in output
    timeline = re.findall(r"^\s*(\d{4}-\d{2}-\d{2})\s+(ev-\w+)", output, re.MULTILINE)
    assert [entry for _, entry in timeline] == sorted(logged, key=lambda i: logged[i])
    assert [day for day, _ in timeline] == sorted(logged.values())
    assert all(logged[entry] == day for day, entry in timeline)
    assert other not in output
    assert "not counted: retracted on 2025-02-01: misread" in output


def test_explain_without_evidence_says_so(cli: Invoke) -> None:
    output = ok(cli("explain", "troops", "--as-of", "2025-03-31", env=WIDE)).stdout
    assert "Evidence: none logged" in output
