"""One hostile tracker through every command that shows user text: all of it stays inert.

Hostile text sits in every text field a person controls (title, subject, description,
condition titles and texts, criteria, indicator labels and units, offset labels, evidence
summaries and sources, amendment and retraction reasons, a URL) and in input that is
refused. Commands run with ``color=True``: click then passes escape sequences through
exactly as to a terminal (by default it strips some of them, which would hide injection).
"""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from tests.reliability.helpers import (
    ESCAPES,
    TERMINAL_UNSAFE,
    TRACKER,
    evidence_block,
    logged_id,
    ok,
    run,
    toml_string,
    write_csv,
)

HOSTILE = (
    '=HYPERLINK("https://e.example","x") [bold red]RED[/bold red] [link=https://e.example]'
    "click[/link] \x1b[31mansi \x1b]8;;https://e.example/\x1b\\osc\x1b]8;;\x1b\\ \x9b2J "
    "\x9d8;;https://e.example/\x9cc1 bell\x07 b\x08 o\rw \u202eevil \u2066i\u2069 z\u200bw "
    "<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) | a |\nline"
)
MARKUP = ["[bold red]RED[/bold red]", "[link=https://e.example]click[/link]"]
URL = "https://ok.example/a?b=1&c=(2)\"'><script>alert(1)</script>"
WIDE = {"COLUMNS": "1000"}
FORCED = {"COLUMNS": "1000", "FORCE_COLOR": "1", "TERM": "xterm-256color", "NO_COLOR": None}
SGR = re.compile(r"\x1b\[[0-9;]*m")


def hostile_header() -> str:
    text = TRACKER
    for old, new in [
        ('"Testland: conditions for relief"', HOSTILE),
        ('"Testland"', "land " + HOSTILE),
        ('"Foreign troops withdrawn"', "troops " + HOSTILE),
        ('"All political prisoners are released."', HOSTILE),
        ('"Prisoners held"', "held " + HOSTILE),
        ('"people"', "people " + HOSTILE),
        ('"revolving door"', "door " + HOSTILE),
        ('"Economic opening"', "economy " + HOSTILE),
    ]:
        assert old in text, old
        text = text.replace(old, toml_string(new), 1)
    return text.replace(
        'subject = "', f"description = {toml_string('about ' + HOSTILE)}\nsubject = \"", 1
    ).replace('title = "Prisoners released"', f"title = {toml_string(HOSTILE)}\ntext = "
              f"{toml_string('cond ' + HOSTILE)}")  # fmt: skip


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "conditions.toml"
    path.write_text(hostile_header(), "utf-8")
    ok(run(path, "validate"))
    log = ("log", "--summary", HOSTILE, "--source", "src " + HOSTILE, "-r", "A1")
    met = logged_id(path, log[0], "troops", *log[1:], "-c", "bases-closed", "--status", "met",
                    "--date", "2025-01-10", "--url", "https://ok.example/plain")  # fmt: skip
    # `log` refuses such a URL; a hand edit (or an older file) can still hold it.
    text = path.read_text("utf-8")
    path.write_text(text.replace('"https://ok.example/plain"', toml_string(URL)), "utf-8")
    held = logged_id(path, log[0], "prisoners", *log[1:], "-i", "held", "--value", "5",
                     "--date", "2025-01-11")  # fmt: skip
    logged_id(path, log[0], "prisoners", *log[1:], "-i", "freed", "--value", "3",
              "--date", "2025-01-12")  # fmt: skip
    logged_id(path, log[0], "prisoners", *log[1:], "-i", "detained", "--value", "9",
              "--date", "2025-01-13")  # fmt: skip
    amended = logged_id(path, "amend", held, "--value", "4", "--reason", "why " + HOSTILE)
    gone = logged_id(path, log[0], "economy", *log[1:], "-i", "balance", "--value", "-7",
                     "--date", "2025-01-14")  # fmt: skip
    ok(run(path, "retract", gone, "--reason", "retracted " + HOSTILE, "--date", "2025-01-15"))
    rows = [{"condition": "troops", "date": "2025-01-16", "source": "row " + HOSTILE,
             "summary": HOSTILE}]  # fmt: skip
    csv_file = write_csv(folder / "rows.csv", rows, ("condition", "date", "source", "summary"))
    bad = folder / "bad.toml"
    bad.write_text(
        TRACKER
        + evidence_block(url=toml_string("https://x.example/ " + HOSTILE))
        + evidence_block(id='"ev-two"', summary=toml_string(HOSTILE))
        + evidence_block(id='"ev-three"', condition=toml_string(HOSTILE))
        + f"\n[[evidence]]\n{toml_string(HOSTILE)} = 1\n",
        "utf-8",
    )
    return {"path": path, "met": met, "held": held, "amended": amended, "gone": gone,
            "csv": csv_file, "bad": bad}  # fmt: skip


SPAN = ("--as-of", "2025-02-01")
TERMINAL = {
    "conditions": ("conditions",),
    "evidence": ("evidence",),
    "evidence --all": ("evidence", "--all"),
    "status": ("status", *SPAN),
    "explain troops": ("explain", "troops", *SPAN),
    "explain prisoners": ("explain", "prisoners", *SPAN),
    "explain economy": ("explain", "economy", *SPAN),
    "check": ("check", *SPAN),
    "history": ("history", "{held}"),
    "import --dry-run": ("import", "{csv}", "--dry-run"),
    "diff": ("diff", "--since", "2025-01-01", "--until", "2025-02-01"),
}
JSON = {
    "evidence": ("evidence", "--all", "--format", "json"),
    "status": ("status", *SPAN, "--format", "json"),
    "check": ("check", *SPAN, "--format", "json"),
    "history": ("history", "{amended}", "--format", "json"),
    "report": ("report", *SPAN, "--since", "2025-01-01", "--format", "json"),
    "diff": ("diff", "--since", "2025-01-01", "--until", "2025-02-01", "--format", "json"),
}


def invoke(hostile: dict[str, Any], args: tuple[str, ...], env: dict[str, Any]) -> Result:
    filled = tuple(arg.format(**{k: str(v) for k, v in hostile.items()}) for arg in args)
    result = run(hostile["path"], *filled, env=env, color=True)
    assert result.exit_code in (0, 1), result.output  # check fails its gate: exit 1
    return result


def assert_shown_literally(output: str) -> None:
    """Markup and escapes in user text are shown as text, never acted on."""
    for markup in MARKUP:
        assert markup in output, f"{markup!r} was interpreted or lost"
    for escape in ("\\x1b[31mansi", "\\x1b]8;;https://e.example/", "\\x9b2J", "\\u202eevil"):
        assert escape in output, f"{escape!r} not shown"


@pytest.mark.parametrize("name", list(TERMINAL))
def test_terminal_views_are_inert(hostile: dict[str, Any], name: str) -> None:
    result = invoke(hostile, TERMINAL[name], WIDE)
    for stream in (result.stdout, result.stderr):
        assert not TERMINAL_UNSAFE.search(stream.replace("\n", "")), repr(
            TERMINAL_UNSAFE.search(stream.replace("\n", ""))
        )
    if name not in ("check", "diff"):  # those show ids and figures, no user text
        assert_shown_literally(result.stdout)


@pytest.mark.parametrize("name", list(TERMINAL))
def test_terminal_views_in_colour_carry_only_colour_codes(
    hostile: dict[str, Any], name: str
) -> None:
    result = invoke(hostile, TERMINAL[name], FORCED)
    output = result.stdout
    assert "\x1b[" in output, "colour was not forced: this test would prove nothing"
    plain = SGR.sub("", output)
    assert "\x1b" not in plain, "an escape sequence other than a colour code"
    assert not ESCAPES.search(plain)
    assert "\x1b]8" not in output  # no hyperlinks at all: none came from user text
    if name not in ("check", "diff"):
        assert_shown_literally(plain)


@pytest.mark.parametrize("name", list(JSON))
def test_json_outputs_keep_the_exact_text_and_escape_controls(
    hostile: dict[str, Any], name: str
) -> None:
    result = invoke(hostile, JSON[name], WIDE)
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    data = json.loads(result.stdout)
    texts = list(strings(data))
    if name not in ("check", "diff"):
        assert any(HOSTILE in text for text in texts), "the text did not survive exactly"


def strings(data: Any) -> Any:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from strings(value)


def test_json_outputs_carry_no_c1_controls(hostile: dict[str, Any]) -> None:
    for args in JSON.values():
        output = invoke(hostile, args, WIDE).stdout
        assert not ESCAPES.search(output), f"raw C1 control in {args[0]} --format json"


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def assert_csv_inert(text: str) -> None:
    for row in csv_rows(text):
        for cell in row:
            if cell[:1] in ("=", "+", "@", "\t", "\r", "-"):
                assert re.fullmatch(r"-?[\d.]+(e[-+]?\d+)?", cell, re.I), f"formula {cell!r}"
    assert not ESCAPES.search(text), "escape sequence in CSV"
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text), "control character in CSV"


def test_report_csv_is_inert(hostile: dict[str, Any]) -> None:
    result = invoke(hostile, ("report", *SPAN, "--since", "2025-01-01", "--format", "csv"), WIDE)
    assert_csv_inert(result.stdout)
    assert any("[bold red]RED[/bold red]" in c for row in csv_rows(result.stdout) for c in row)


def test_evidence_csv_is_inert(hostile: dict[str, Any]) -> None:
    result = invoke(hostile, ("evidence", "--all", "--format", "csv"), WIDE)
    assert_csv_inert(result.stdout)


@pytest.mark.parametrize(
    "args",
    [("report", *SPAN, "--since", "2025-01-01", "--format", "markdown"),
     ("diff", "--since", "2025-01-01", "--until", "2025-02-01", "--format", "markdown")],
    ids=["report", "diff"],
)  # fmt: skip
def test_markdown_outputs_are_inert(hostile: dict[str, Any], args: tuple[str, ...]) -> None:
    text = invoke(hostile, args, WIDE).stdout
    assert not TERMINAL_UNSAFE.search(text.replace("\n", ""))
    assert "<" not in text, "raw HTML in Markdown"
    for target in re.findall(r"(?<!\\)\]\(([^)]*)\)", text):
        assert target.startswith("https://"), f"link to {target!r}"
    for line in text.splitlines():
        if line.startswith("|"):  # a table row: its user pipes are escaped
            assert "| a |" not in line


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def test_html_report_is_inert(hostile: dict[str, Any]) -> None:
    args = ("report", *SPAN, "--since", "2025-01-01", "--format", "html")
    text = invoke(hostile, args, WIDE).stdout
    assert not TERMINAL_UNSAFE.search(text.replace("\n", ""))
    parser = Tags()
    parser.feed(text)
    names = {tag for tag, _ in parser.tags}
    assert not names & {"script", "img", "iframe", "object", "embed"}, names
    for _, attrs in parser.tags:
        for name, value in attrs:
            assert not name.startswith("on"), name
            if name == "href":
                assert value is not None and value.startswith("https://ok.example/"), value
                assert not re.search("[\"'<>() ]", value), value
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # shown as text


REFUSALS = {
    "log": ("log", HOSTILE, "-s", "s", "--source", "x"),
    "log-criterion": ("log", "troops", "-s", "s", "--source", "x", "-c", HOSTILE),
    "history": ("history", HOSTILE),
    "explain": ("explain", HOSTILE),
    "check": ("check", "--require", HOSTILE),
    "evidence": ("evidence", "--condition", HOSTILE),
    "amend": ("amend", HOSTILE, "--summary", "x", "--reason", "r"),
    "retract": ("retract", HOSTILE, "--reason", "r"),
    "status-as-of": ("status", "--as-of", HOSTILE),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_refusals_echo_hostile_input_inertly(hostile: dict[str, Any], name: str) -> None:
    result = run(hostile["path"], *REFUSALS[name], env=WIDE, color=True)
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert not TERMINAL_UNSAFE.search(err[:-1]), err


def test_import_refusals_and_validate_are_inert(hostile: dict[str, Any], tmp_path: Path) -> None:
    rows = [
        {"condition": HOSTILE, "date": "2025-01-02", "source": "s", "summary": "x"},
        {"condition": "troops", "date": HOSTILE, "source": "s", "summary": "x"},
        {"condition": "troops", "date": "2025-01-17", "source": "s", "summary": HOSTILE},
        {"condition": "troops", "date": "2025-01-17", "source": "s", "summary": HOSTILE},
    ]
    source = write_csv(tmp_path / "bad.csv", rows, ("condition", "date", "source", "summary"))
    result = run(hostile["path"], "import", str(source), env=WIDE, color=True)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 4 and "row 5: duplicate of row 4" in lines[2], lines
    for line in lines:
        assert not TERMINAL_UNSAFE.search(line), line

    result = run(hostile["bad"], "validate", env=WIDE, color=True)
    assert result.exit_code == 2
    *problems, last = result.stderr.splitlines()
    assert len(problems) >= 4 and last.startswith("error: ")
    for line in result.stderr.splitlines():
        assert not TERMINAL_UNSAFE.search(line), line
    status = run(hostile["bad"], "status", env=WIDE, color=True)
    assert status.stderr.count("\n") == 1 and not TERMINAL_UNSAFE.search(status.stderr[:-1])
