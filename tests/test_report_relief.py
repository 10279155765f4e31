"""The report's relief section (issue 12): measures, the sender x measure matrix, and the
HTML chart of compliance over time with relief marked on it, in every format.

Everything runs through the real CLI. What the report shows is checked against what
`status` and `relief list` say on their own (``status --as-of D`` for every point of the
chart), not against numbers written here.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from condtrack.textsafe import one_line
from tests.conftest import REPO, SMALL_TRACKER
from tests.reliability.helpers import ok, run
from tests.test_report import (
    FORMULA,
    HOSTILE,
    NEGATIVE_NUMBER,
    assert_csv_inert,
    assert_html_inert,
    csv_rows,
    md_cells,
    md_plain,
    parse_html,
)

AS_OF = "2025-12-31"
FORMATS = ("markdown", "csv", "html", "json")


def evidence(n: int, condition: str, criterion: str, status: str, date: str) -> str:
    return f"""
[[evidence]]
id = "ev-{n}"
condition = "{condition}"
criterion = "{criterion}"
status = "{status}"
date = {date}
source = "Monitor"
reliability = "A1"
summary = "{criterion} {status} on {date}"
logged = {date}T12:00:00Z
"""


def relief(n: int, sender: str, measure: str, action: str, date: str, *extra: str) -> str:
    lines = "\n".join(extra)
    return f"""
[[relief]]
id = "rl-{n}"
sender = "{sender}"
measure = "{measure}"
action = "{action}"
date = {date}
source = "Gazette {n}"
url = "https://gazette.example/{n}?a=1&b=2"
reliability = "B2"
summary = "step {n}: {sender} {action} {measure}"
{lines}
logged = {date}T12:00:00Z
"""


# Two senders and every action: eased, lifted, suspended (with an expiry that passes),
# reimposed, expired; the same measure written with other case and spacing; a retracted
# entry (no marker, its measure in force); compliance that moves between them.
LEDGER = (
    SMALL_TRACKER.replace("schema = 1", "schema = 2")
    + evidence(1, "troops", "bases-closed", "met", "2025-01-10")
    + evidence(2, "prisoners", "released", "partial", "2025-03-01")
    + evidence(3, "troops", "troops-gone", "met", "2025-05-01")
    + evidence(4, "prisoners", "no-exile", "met", "2025-07-01")
    + evidence(5, "prisoners", "released", "met", "2025-08-15")
    + evidence(6, "troops", "bases-closed", "not-met", "2025-11-01")
    + relief(
        1, "US", "potash", "eased", "2025-02-01", 'instrument = "GL 13"', 'for = ["prisoners"]'
    )
    + relief(2, "US", "Belavia", "eased", "2025-02-15")
    + relief(3, "EU", "banks", "eased", "2025-03-01")
    + relief(4, "EU", "belavia", "suspended", "2025-04-01", "expires = 2025-08-01")
    + relief(5, "US", "aircraft", "eased", "2025-05-15")
    + relief(6, "US", "POTASH ", "lifted", "2025-06-01")
    + relief(7, "EU", "banks", "reimposed", "2025-09-01")
    + relief(8, "US", "belavia", "expired", "2025-10-01")
    + """
[[retractions]]
evidence = "rl-5"
reason = "never issued"
date = 2025-05-20
logged = 2025-05-20T12:00:00Z
"""
)


@pytest.fixture
def ledger_file(tmp_path: Path) -> Path:
    path = tmp_path / "conditions.toml"
    path.write_text(LEDGER, encoding="utf-8")
    ok(run(path, "validate"))
    return path


def report(path: Path, fmt: str, *args: str) -> str:
    """The report as text (for CSV: as written, CRLF line ends and byte-order mark kept)."""
    result = ok(run(path, "report", "--format", fmt, "--as-of", AS_OF, *args))
    return result.stdout_bytes.decode("utf-8")


def status(path: Path, as_of: str, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        ok(run(path, "status", "--format", "json", "--as-of", as_of, *args)).stdout
    )
    return data


def state_words(state: str, since: str | None) -> str:
    """How a cell reads, from status's JSON: "in effect since 2025-06-01", "in force"."""
    words = state.replace("-", " ")
    return f"{words} since {since}" if since else words


def name(measure: str) -> str:
    return " ".join(measure.split()).casefold()


def expected_matrix(measures: list[dict[str, Any]]) -> dict[str, dict[str, tuple[str, Any]]]:
    """Per measure name, per sender: (state, since); senders without an entry: in force."""
    senders = {m["sender"] for m in measures}
    rows: dict[str, dict[str, tuple[str, Any]]] = {}
    for m in measures:
        rows.setdefault(name(m["measure"]), {s: ("in-force", None) for s in senders})
        rows[name(m["measure"])][m["sender"]] = (m["state"], m["since"])
    return rows


# --- the section in every format ----------------------------------------------------------


def test_json_relief_is_statuss_measures_and_the_matrix(ledger_file: Path) -> None:
    data = json.loads(report(ledger_file, "json"))
    jsonschema.validate(data, json.loads(ok(run(None, "schema", "report")).stdout))
    measures = status(ledger_file, AS_OF)["relief"]
    assert data["relief"]["measures"] == measures
    matrix = data["relief"]["matrix"]
    assert matrix["senders"] == ["EU", "US"]
    got = {
        name(row["measure"]): {s: (c["state"], c["since"]) for s, c in row["cells"].items()}
        for row in matrix["rows"]
    }
    assert got == expected_matrix(measures)
    # The example, and each state once: read from the ledger's rules.
    assert got["potash"] == {"US": ("in-effect", "2025-06-01"), "EU": ("in-force", None)}
    assert got["belavia"] == {"US": ("expired", "2025-10-01"), "EU": ("expired", "2025-08-02")}
    assert got["banks"] == {"EU": ("reimposed", "2025-09-01"), "US": ("in-force", None)}
    assert got["aircraft"] == {"US": ("in-force", None), "EU": ("in-force", None)}


def test_markdown_relief_tables_read_back_as_status_says(ledger_file: Path) -> None:
    text = report(ledger_file, "markdown")
    assert "## Relief as of 2025-12-31" in text
    tables = md_cells(text)
    assert len(tables) == 3  # conditions, measures, matrix
    measures = status(ledger_file, AS_OF)["relief"]
    header, *rows = [[md_plain(cell) for cell in row] for row in tables[1]]
    assert header == ["Sender", "Measure", "Instrument", "State", "Sequencing", "Deciding entry"]
    assert [(r[0], r[1], r[3]) for r in rows] == [
        (m["sender"], m["measure"].strip(), state_words(m["state"], m["since"])) for m in measures
    ]
    for row, measure in zip(rows, measures, strict=True):
        assert row[2] == (measure["instrument"] or "—")
        if measure["event"]:
            assert row[5].startswith(measure["event"])
        assert ("ahead of compliance" in row[4]) == measure["ahead"]
    header, *cells = [[md_plain(cell) for cell in row] for row in tables[2]]
    assert header == ["Measure", "EU", "US"]
    expected = expected_matrix(measures)
    assert {name(r[0]): dict(zip(header[1:], r[1:], strict=True)) for r in cells} == {
        key: {s: state_words(*cell) for s, cell in by_sender.items()}
        for key, by_sender in expected.items()
    }


def test_csv_relief_blocks_follow_the_overall_row(ledger_file: Path) -> None:
    rows = csv_rows(report(ledger_file, "csv").encode("utf-8"))
    overall = [r[0] for r in rows].index("overall")
    assert rows[overall + 1] == [""]
    header = rows[overall + 2]
    assert header[:5] == ["sender", "measure", "instrument", "state", "since"]
    measures = status(ledger_file, AS_OF)["relief"]
    body = rows[overall + 3 : overall + 3 + len(measures)]
    got = [dict(zip(header, row, strict=True)) for row in body]
    assert [(g["sender"], g["measure"], g["state"], g["since"]) for g in got] == [
        (m["sender"], m["measure"], m["state"], m["since"] or "") for m in measures
    ]
    assert [g["event"] for g in got] == [m["event"] or "" for m in measures]
    assert [g["ahead"] == "yes" for g in got] == [m["ahead"] for m in measures]
    rest = rows[overall + 3 + len(measures) :]
    assert rest[0] == [""] and rest[1] == ["measure", "EU", "US"]
    expected = expected_matrix(measures)
    assert {name(r[0]): dict(zip(["EU", "US"], r[1:], strict=True)) for r in rest[2:]} == {
        key: {s: state_words(*cell) for s, cell in by_sender.items()}
        for key, by_sender in expected.items()
    }


def test_html_relief_tables(ledger_file: Path) -> None:
    page = parse_html(report(ledger_file, "html"))
    assert "Relief as of 2025-12-31" in page.headings
    measures = status(ledger_file, AS_OF)["relief"]
    table = page.tables[1]
    assert table[0] == ["Sender", "Measure", "Instrument", "State", "Sequencing", "Deciding entry"]
    assert [(r[0], r[1], r[3]) for r in table[1:]] == [
        (m["sender"], " ".join(m["measure"].split()), state_words(m["state"], m["since"]))
        for m in measures
    ]
    matrix = page.tables[2]
    assert matrix[0] == ["Measure", "EU", "US"]
    expected = expected_matrix(measures)
    assert {name(r[0]): dict(zip(["EU", "US"], r[1:], strict=True)) for r in matrix[1:]} == {
        key: {s: state_words(*cell) for s, cell in by_sender.items()}
        for key, by_sender in expected.items()
    }


# --- the chart ------------------------------------------------------------------------


class Svg(HTMLParser):
    """The relief chart: its attributes, the line, the dated points and the markers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.svg: dict[str, str] = {}
        self.inside = False
        self.group: list[str] = []
        self.line: list[tuple[float, float]] = []
        self.points: list[dict[str, str]] = []
        self.markers: list[dict[str, str]] = []
        self.shapes: list[tuple[str, dict[str, str]]] = []
        self.titles: list[str] = []
        self.texts: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "svg" and values.get("class") == "relief":
            self.svg, self.inside = values, True
        if not self.inside:
            return
        self.stack.append(tag)
        if tag == "g":
            self.group.append(values.get("class", ""))
            if values.get("class") == "marker":
                self.markers.append(values)
        elif tag == "polyline" and values.get("class") == "score":
            self.line = [(float(x), float(y)) for x, y in
                         (p.split(",") for p in values["points"].split())]  # fmt: skip
        elif tag == "circle" and self.group and self.group[-1] == "points":
            self.points.append(values)
        elif values.get("class") == "shape" and self.group and self.group[-1] == "marker":
            self.shapes.append((tag, values))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if self.inside:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.inside:
            return
        self.stack.pop()
        if tag == "g":
            self.group.pop()
        if tag == "svg":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside and self.stack and self.stack[-1] == "title":
            self.titles.append(data)
        elif self.inside and self.stack and self.stack[-1] == "text":
            self.texts.append(data)


def chart(html: str) -> Svg:
    svg = Svg()
    svg.feed(html)
    svg.close()
    assert svg.svg, "no relief chart"
    return svg


def test_chart_marks_each_counting_entry_on_the_scored_line(ledger_file: Path) -> None:
    html = report(ledger_file, "html")
    svg = chart(html)
    assert svg.svg["role"] == "img"
    assert "Overall compliance score from 2025-01-10 to 2025-12-31" in svg.svg["aria-label"]
    steps = json.loads(ok(run(ledger_file, "relief", "list", "--format", "json",
                              "--as-of", AS_OF)).stdout)  # fmt: skip
    counting = [s for s in steps if s["counts"]]
    assert len(counting) == len(steps) - 1  # the retracted one
    assert [m["data-entry"] for m in svg.markers] == [s["id"] for s in counting]
    assert [m["data-date"] for m in svg.markers] == [s["date"] for s in counting]
    # Shape by action, so that the chart reads in black and white.
    shapes = {"eased": "polygon", "lifted": "polygon", "suspended": "polygon",
              "reimposed": "polygon", "expired": "circle"}  # fmt: skip
    assert [tag for tag, _ in svg.shapes] == [shapes[s["action"]] for s in counting]
    ups = [v["points"] for tag, v in svg.shapes if tag == "polygon"]
    tips = [float(p.split()[0].split(",")[1]) < float(p.split()[1].split(",")[1]) for p in ups]
    assert tips == [s["action"] != "reimposed" for s in counting if s["action"] != "expired"]
    # Each marker has a title naming the entry, and a label: sender and measure.
    for step in counting:
        assert any(step["date"] in t and step["measure"] in t for t in svg.titles), step
        assert f"{step['sender']}: {one_line(step['measure'])}" in svg.texts
    assert {"EU", "US"} <= set(svg.texts)  # the legend names the senders

    # The line's points: the overall score on each date, as `status --as-of` gives it.
    dates = [p["data-date"] for p in svg.points]
    assert dates == sorted(set(dates)) and dates[0] == "2025-01-10" and dates[-1] == AS_OF
    assert {s["date"] for s in counting} <= set(dates)
    assert {f"2025-{d}" for d in ("01-10", "03-01", "05-01", "07-01", "08-15", "11-01")} <= set(
        dates
    )
    scores = {}
    for point in svg.points:
        overall = status(ledger_file, point["data-date"])["overall"]["score"]
        assert float(point["data-score"]) == overall, point
        assert (float(point["cx"]), float(point["cy"])) in svg.line
        scores[point["data-date"]] = overall
    assert len(set(scores.values())) >= 4  # the line moves
    # Higher scores are drawn higher; a marker sits on the line at its date.
    by_score = sorted(svg.points, key=lambda p: float(p["data-score"]))
    assert [float(p["cy"]) for p in by_score] == sorted(
        (float(p["cy"]) for p in by_score), reverse=True
    )
    height = {p["data-date"]: float(p["cy"]) for p in svg.points}
    for marker, (tag, shape) in zip(svg.markers, svg.shapes, strict=True):
        y = float(shape["cy"]) if tag == "circle" else _centre(shape["points"])
        assert y == pytest.approx(height[marker["data-date"]], abs=0.2)


def _centre(points: str) -> float:
    """A triangle's centre height: between its tip and its base."""
    ys = [float(p.split(",")[1]) for p in points.split()]
    tip, base = ys[0], ys[1]
    return tip + (base - tip) * 0.6


def test_labels_are_staggered_so_they_do_not_overlap(tmp_path: Path) -> None:
    """Many entries on nearby dates: no two labels in the same row overlap; those that do
    not fit in the rows are left out and counted."""
    path = tmp_path / "conditions.toml"
    text = SMALL_TRACKER.replace("schema = 1", "schema = 2") + evidence(
        1, "troops", "bases-closed", "met", "2025-01-10"
    )
    for n in range(12):
        text += relief(n, "US" if n % 2 else "EU", f"measure number {n}", "eased",
                       f"2025-03-{n + 1:02d}")  # fmt: skip
    path.write_text(text, encoding="utf-8")
    html = report(path, "html")
    found = re.findall(r'<text x="([\d.]+)" y="([\d.]+)" text-anchor="(start|end)" '
                       r'paint-order="stroke"[^>]*>([^<]*)</text>', html)  # fmt: skip
    # Twelve labels on twelve days in a row: as many as fit in the rows there are, and the
    # caption counts the rest (each marker keeps its title).
    left_out = re.search(r"; (\d+) of 12 markers unlabelled for want of room", html)
    assert left_out is not None
    assert len(found) + int(left_out.group(1)) == 12 and len(found) >= 6
    assert html.count('<g class="marker"') == 12
    spans: dict[float, list[tuple[float, float]]] = {}
    for x, y, anchor, label in found:
        width = len(label) * 6.0
        begin = float(x) if anchor == "start" else float(x) - width
        spans.setdefault(float(y), []).append((begin, begin + width))
    assert len(spans) > 1  # staggered over rows
    for row in spans.values():
        row.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(row)), row


# --- knowledge time and --since -------------------------------------------------------------


def test_known_at_leaves_out_relief_logged_later(ledger_file: Path) -> None:
    data = json.loads(report(ledger_file, "json", "--known-at", "2025-05-31"))
    entries = {m["event"] for m in data["relief"]["measures"]}
    # rl-5 was logged on 2025-05-15 and retracted on 2025-05-20: not counting either way.
    assert entries == {"rl-1", "rl-2", "rl-3", "rl-4", None}
    assert (
        data["relief"]["measures"]
        == status(ledger_file, AS_OF, "--known-at", "2025-05-31")["relief"]
    )
    svg = chart(report(ledger_file, "html", "--known-at", "2025-05-31"))
    assert [m["data-entry"] for m in svg.markers] == ["rl-1", "rl-2", "rl-3", "rl-4"]
    # Known at a time before any relief was logged: no relief section at all.
    early = report(ledger_file, "json", "--known-at", "2025-01-31")
    assert "relief" not in json.loads(early)
    assert "<svg" not in report(ledger_file, "html", "--known-at", "2025-01-31")


def test_since_keeps_the_relief_section_and_the_changes(ledger_file: Path) -> None:
    data = json.loads(report(ledger_file, "json", "--since", "2025-06-01"))
    assert data["changes"] is not None
    assert data["relief"]["measures"] == status(ledger_file, AS_OF)["relief"]
    markdown = report(ledger_file, "markdown", "--since", "2025-06-01")
    tables = md_cells(markdown)
    # Conditions, measures, matrix, changes, then (tests/test_report_since_relief.py) the
    # relief changes `diff` finds, in as many tables as it has parts.
    assert len(tables) >= 4 and "## Relief from 2025-06-01" in markdown


# --- without relief: as before ----------------------------------------------------------


def strip_relief(text: str) -> str:
    """The tracker without its relief entries, the retraction of one, or schema 2."""
    kept = text.replace("schema = 2", "schema = 1")
    kept = re.sub(r"\n\[\[relief\]\]\n.*?logged = [^\n]*\n", "\n", kept, flags=re.DOTALL)
    return re.sub(r"\n\[\[retractions\]\]\n.*?logged = [^\n]*\n", "\n", kept, flags=re.DOTALL)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_report_without_relief_has_no_relief_section(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(strip_relief(LEDGER), encoding="utf-8")
    assert "[[relief]]" not in path.read_text(encoding="utf-8")
    text = report(path, fmt, "--since", "2025-06-01")
    assert "relief as of" not in text.casefold() and "<svg" not in text
    assert "Sender" not in text and "sender" not in text
    if fmt == "csv":
        assert csv_rows(text.encode("utf-8"))[-1][0] == "overall"
    if fmt == "json":
        assert "relief" not in json.loads(text)
    if fmt == "html":
        assert "figure.relief" not in text  # nor its style


@pytest.mark.parametrize("fmt", FORMATS)
def test_relief_known_later_gives_the_report_without_relief_byte_for_byte(
    tmp_path: Path, ledger_file: Path, fmt: str
) -> None:
    """Known at a time before any relief was logged, the report is the very one of the same
    tracker without relief entries: the section adds nothing when there is nothing."""
    bare = tmp_path / "bare.toml"
    bare.write_text(strip_relief(LEDGER), encoding="utf-8")
    args = ("--known-at", "2025-01-31", "--since", "2025-01-01")
    assert report(ledger_file, fmt, *args) == report(bare, fmt, *args)


# --- hostile text ---------------------------------------------------------------------


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_relief_text_is_inert_in_every_format(tmp_path: Path, payload: str) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    fields = {"measure": payload, "instrument": payload, "summary": payload, "source": payload}
    args = [f"--{k}={v}" for k, v in fields.items()]
    for sender, date in (("US", "2025-02-01"), ("EU", "2025-03-01")):
        ok(run(path, "relief", "add", f"--sender={sender}", "--action=eased", f"--date={date}",
               "--url=https://ok.example/a?b=1&c=2", "--reliability=A1", *args))  # fmt: skip
    outputs = {fmt: report(path, fmt) for fmt in FORMATS}
    flat = one_line(payload)
    for text in outputs.values():
        assert "\x1b" not in text

    # Markdown: no raw HTML, no links but the URL; the cells read back as the text.
    markdown = outputs["markdown"]
    assert "<" not in markdown.replace("&lt;", "")
    tables = md_cells(markdown)
    assert [len(t) for t in tables] == [3, 3, 2]  # header and rows: conditions, measures, matrix
    measures = [[md_plain(c) for c in row] for row in tables[1][1:]]
    assert [(r[0], r[1], r[2]) for r in measures] == [("US", flat, flat), ("EU", flat, flat)]
    assert all(r[5].endswith(f"{flat}: {flat}") for r in measures)
    matrix = [[md_plain(c) for c in row] for row in tables[2]]
    assert matrix == [
        ["Measure", "EU", "US"],
        [flat, "in effect since 2025-03-01", "in effect since 2025-02-01"],
    ]
    for token in (t for table in tables for row in table for t in row):
        for child in token.children or []:
            if child.type == "link_open":
                assert child.attrs["href"] == "https://ok.example/a?b=1&c=2"
            assert child.type not in ("html_inline", "image")

    # CSV: every cell inert (formulas quoted), the text still there.
    rows = assert_csv_inert(outputs["csv"].encode("utf-8"))
    formula = flat.startswith(FORMULA) and not NEGATIVE_NUMBER.fullmatch(flat)
    guarded = ("'" if formula else "") + flat
    relief_rows = [r for r in rows if r and r[0] in ("US", "EU")]
    assert [r[1] for r in relief_rows] == [guarded, guarded]
    assert [r[2] for r in relief_rows] == [guarded, guarded]
    assert [r[11] for r in relief_rows] == [guarded, guarded]
    assert rows[-1][0] == guarded

    # HTML: parsed, no markup from the text, which shows literally in tables and the chart.
    html = outputs["html"]
    page = assert_html_inert(html)
    assert [r[1] for r in page.tables[1][1:]] == [flat, flat]
    assert page.tables[2][1][0] == flat
    svg = chart(html)
    labels = [t for t in svg.texts if t.startswith(("US: ", "EU: "))]
    assert len(labels) == 2
    assert all(flat.startswith(label.split(": ", 1)[1].removesuffix("…")) for label in labels)
    assert sum(flat in t for t in svg.titles) == 2
    hrefs = [v for t, n, v in page.attributes if n == "href"]
    assert set(hrefs) == {"https://ok.example/a?b=1&c=2"}

    # JSON: the data exactly as given.
    data = json.loads(outputs["json"])
    assert {m["measure"] for m in data["relief"]["measures"]} == {payload}
    assert [r["measure"] for r in data["relief"]["matrix"]["rows"]] == [payload]


@pytest.mark.parametrize("sender", ["=US", "U S", "<b>", "US|EU", "\x1b[31mUS"])
def test_a_sender_that_is_not_a_code_is_refused(tmp_path: Path, sender: str) -> None:
    """Senders reach the reports' headers and legends: the schema keeps them short codes."""
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    before = path.read_bytes()
    result = run(path, "relief", "add", f"--sender={sender}", "--measure=m", "--action=eased",
                 "--date=2025-02-01", "--source=s", "--summary=s")  # fmt: skip
    assert result.exit_code == 2 and "sender" in result.stderr
    assert path.read_bytes() == before


# --- the README's walk through the real episode ---------------------------------------------


def console_blocks(section: str) -> list[tuple[str, list[str]]]:
    """The ``console`` blocks of a README section: the command and the lines it shows."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    parts = re.split(r"^## (.+)$", readme, flags=re.MULTILINE)
    body = dict(zip(parts[1::2], parts[2::2], strict=True))[section]
    found = re.findall(r"^```console\n\$ ([^\n]+)\n(.*?)^```", body, re.S | re.M)
    return [(command, shown.splitlines()) for command, shown in found]


def test_the_readme_relief_walkthrough_is_what_condtrack_prints() -> None:
    """Each command's output as shown ("..." stands for lines left out), on the shipped file."""
    found = console_blocks("Relief: the other side of the bargain")
    assert [c.split()[1] for c, _ in found] == ["status", "check", "report"]
    for command, shown in found:
        args = shlex.split(command)
        assert args[0] == "condtrack"
        printed = subprocess.run(
            [sys.executable, "-m", "condtrack", "--file", "conditions.toml", *args[1:]],
            cwd=REPO,
            capture_output=True,
            text=True,
            env={**os.environ, "NO_COLOR": "1", "COLUMNS": "100", "CONDTRACK_CACHE_DIR": ""},
            stdin=subprocess.DEVNULL,
            check=False,
        )
        assert printed.returncode == (1 if args[1] == "check" else 0), printed.stderr
        lines = [line.rstrip() for line in printed.stdout.splitlines()]
        chunks: list[list[str]] = [[]]
        for line in shown:
            if line == "...":
                chunks.append([])
            else:
                chunks[-1].append(line)
        at = 0
        for chunk in (c for c in chunks if c):
            start = next(
                (i for i in range(at, len(lines)) if lines[i : i + len(chunk)] == chunk), None
            )
            assert start is not None, (command, chunk, lines)
            at = start + len(chunk)
        assert shown[-1] == "..." or at == len(lines), (command, lines[at:])
