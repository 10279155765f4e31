"""`report --since T` lists the relief changes `diff --since T` finds, in every format: the
relief entries learned since (or dated in the span, `--by event`) and the measures whose
state changed. What the report shows is checked against what `diff` says on its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from condtrack.textsafe import one_line
from tests.conftest import SMALL_TRACKER
from tests.reliability.helpers import ok, run
from tests.test_report import (
    FORMULA,
    HOSTILE,
    NEGATIVE_NUMBER,
    assert_csv_inert,
    assert_html_inert,
    md_cells,
    md_plain,
)
from tests.test_report_relief import AS_OF, LEDGER, report

SPANS = [
    ("--since", "2025-06-01"),
    ("--since", "2025-03-15", "--by", "event"),
    ("--since", "2025-03-15", "--known-at", "2025-09-15"),
]


@pytest.fixture
def ledger_file(tmp_path: Path) -> Path:
    path = tmp_path / "conditions.toml"
    path.write_text(LEDGER, encoding="utf-8")
    return path


def diffed(path: Path, *args: str) -> dict[str, Any]:
    result = ok(run(path, "diff", "--until", AS_OF, *args, "--format", "json"))
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def expected_rows(relief: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(kind of change, id, sender) for each relief change `diff` lists."""
    rows = [("entry", e["id"], e["sender"]) for e in relief["entries"]]
    entries = {e["id"]: e for e in relief["entries"]}
    rows += [("retracted", r["relief"], "") for r in relief["retracted"]]
    rows += [("state", m["event"] or "", m["sender"]) for m in relief["measures"]]
    return [(kind, i, entries.get(i, {}).get("sender", s)) for kind, i, s in rows]


@pytest.mark.parametrize("span", SPANS, ids=["logged", "event", "known-at"])
def test_report_json_changes_hold_diffs_relief(ledger_file: Path, span: tuple[str, ...]) -> None:
    relief = diffed(ledger_file, *span)["relief"]
    assert relief["entries"] or relief["measures"]  # the span has relief news to show
    data = json.loads(report(ledger_file, "json", *span))
    assert data["changes"]["relief"] == relief
    assert {k: v for k, v in data["changes"].items() if k != "relief"} == {
        k: v for k, v in diffed(ledger_file, *span).items() if k != "relief"
    }


@pytest.mark.parametrize("span", SPANS, ids=["logged", "event", "known-at"])
def test_report_markdown_has_diffs_relief_section(ledger_file: Path, span: tuple[str, ...]) -> None:
    result = ok(run(ledger_file, "diff", "--until", AS_OF, *span, "--format", "markdown"))
    relief_part = result.stdout[result.stdout.index("## Relief from") :]
    markdown = report(ledger_file, "markdown", *span)
    assert markdown.endswith(relief_part)


@pytest.mark.parametrize("span", SPANS, ids=["logged", "event", "known-at"])
def test_report_csv_and_html_list_each_relief_change(
    ledger_file: Path, span: tuple[str, ...]
) -> None:
    expected = expected_rows(diffed(ledger_file, *span)["relief"])
    rows = assert_csv_inert(report(ledger_file, "csv", *span).encode("utf-8"))
    header = rows.index(
        ["relief_change", "date", "id", "sender", "measure", "change", "instrument", "for", "mark"]
    )
    assert rows[header - 1] == [""]
    listed = rows[header + 1 :]
    assert [(r[0], r[2], r[3]) for r in listed] == expected
    page = assert_html_inert(report(ledger_file, "html", *span))
    table = page.tables[-1]
    assert table[0][:3] == ["Change", "Date", "Id"]
    assert [(r[0], r[2].replace("—", ""), r[3]) for r in table[1:]] == expected


def test_state_changes_read_as_diff_says(ledger_file: Path) -> None:
    relief = diffed(ledger_file, "--since", "2025-06-01")["relief"]
    assert relief["measures"]
    rows = assert_csv_inert(report(ledger_file, "csv", "--since", "2025-06-01").encode("utf-8"))
    states = [r for r in rows if r[0] == "state"]

    def words(state: str, since: str | None) -> str:
        text = state.replace("-", " ")
        return f"{text} since {since}" if since else text

    assert [r[5] for r in states] == [
        f"{words(m['before']['state'], m['before']['since'])} → "
        f"{words(m['after']['state'], m['after']['since'])}"
        for m in relief["measures"]
    ]


def test_without_relief_news_the_report_says_so(ledger_file: Path) -> None:
    span = ("--since", "2025-12-30")
    relief = diffed(ledger_file, *span)["relief"]
    assert not (relief["entries"] or relief["retracted"] or relief["measures"])
    assert "No relief entries logged since 2025-12-30" in report(ledger_file, "markdown", *span)
    assert "No relief entries logged since 2025-12-30" in report(ledger_file, "html", *span)
    rows = assert_csv_inert(report(ledger_file, "csv", *span).encode("utf-8"))
    assert rows[-1][0] == "relief_change"  # the header, and no change under it


@pytest.mark.parametrize("payload", HOSTILE[:4])
def test_hostile_relief_text_in_the_since_section_is_inert(tmp_path: Path, payload: str) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    ok(run(path, "relief", "add", "--sender=US", "--action=eased", "--date=2025-02-01",
           f"--measure={payload}", f"--instrument={payload}", "--source=S", "--summary=T",
           "--for=troops"))  # fmt: skip
    span = ("--since", "2025-01-01", "--by", "event")
    flat = one_line(payload)
    markdown = report(path, "markdown", *span)
    assert "<" not in markdown.replace("&lt;", "")
    entries = md_cells(markdown[markdown.index("## Relief from") :])[0]
    cells = [md_plain(c) for c in entries[1]]
    assert cells[3] == flat and cells[5] == flat and len(cells) == len(entries[0])
    rows = assert_csv_inert(report(path, "csv", *span).encode("utf-8"))
    formula = flat.startswith(FORMULA) and not NEGATIVE_NUMBER.fullmatch(flat)
    guarded = ("'" if formula else "") + flat
    entry = next(r for r in rows if r[0] == "entry")
    assert entry[4] == guarded and entry[6] == guarded
    page = assert_html_inert(report(path, "html", *span))
    assert page.tables[-1][1][4] == flat
    data = json.loads(report(path, "json", *span))
    assert data["changes"]["relief"]["entries"][0]["measure"] == payload.strip()
