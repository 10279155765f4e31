"""Input that could change its meaning on the way in or out (issue 10): URLs and text that
would break a Markdown table, duplicates, the CSV an export writes and an import reads, and
how refused values are worded."""

from __future__ import annotations

import subprocess
import urllib.parse
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from condtrack.textsafe import one_line
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
@given(summary=texts, source=texts, tail=url_tails)
def test_any_text_or_url_in_the_file_keeps_the_report_table_whole(
    tmp_path_factory: pytest.TempPathFactory, summary: str, source: str, tail: str
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
    path = file_with(folder, TRACKER + block + "\n")
    markdown = ok(run(path, "report", "--as-of", "2025-02-01")).stdout
    rows = table_rows(markdown)
    conditions = document(path)["conditions"]
    assert len(rows) == len(conditions)
    assert all(len(cells) == 7 for cells in rows)
    latest = rows[[c["id"] for c in conditions].index("troops")][5]
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
    assert [urllib.parse.unquote(h) for h in hrefs] == [urllib.parse.unquote(url)]


def test_the_html_report_links_the_same_encoded_url(tmp_path: Path) -> None:
    hand_edited = '"https://e.example/a|b\\"c<d>(e)"'
    block = evidence_block(
        criterion='"bases-closed"', status='"met"', reliability='"B2"', url=hand_edited
    )
    path = file_with(tmp_path, TRACKER + block)
    html = ok(run(path, "report", "--format", "html", "--as-of", "2025-02-01")).stdout
    assert 'href="https://e.example/a%7Cb%22c%3Cd%3E%28e%29"' in html
