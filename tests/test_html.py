"""The HTML briefing escapes text by construction, and holds no code that cannot run.

condtrack.render.html builds the page from ``_Html`` (markupsafe's ``Markup``): literals are
markup, everything else is escaped on the way in. Three kinds of check hold it to that:
a property test through the real CLI (any text in any field reads back, through a real
HTML parser, as exactly that text, and never changes the page's structure); a check of the
module's source that nothing but a string literal is ever marked safe; and a trace of the
chart code over the cases a report can meet, in which every line runs.
"""

from __future__ import annotations

import ast
import re
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from condtrack.cli import app
from condtrack.render import html as render_html
from condtrack.textsafe import one_line, safe_url
from tests.conftest import SMALL_TRACKER, Invoke

HTML_SOURCE = Path(render_html.__file__)
AS_OF = "2025-02-01"
SINCE = "2025-01-10"


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result


# ---------------------------------------------------------------------------------------
# Any text in any field: shown as text, never as markup


class Nodes(HTMLParser):
    """The page as its text nodes (each with the open elements around it) and its tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # entities read back as the characters
        self.stack: list[str] = []
        self.texts: list[tuple[tuple[str, ...], str]] = []
        self.tags: list[tuple[str, tuple[str, ...]]] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.errors: list[str] = []
        self._text = False  # the last event was text: a run of text is one node

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._text = False
        self.tags.append((tag, tuple(name for name, _ in attrs)))
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs)
        if tag not in ("meta", "br"):
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self._text = False
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._text:
            where, text = self.texts[-1]
            self.texts[-1] = (where, text + data)
        else:
            self.texts.append((tuple(self.stack), data))
        self._text = True

    def handle_comment(self, data: str) -> None:
        self.errors.append(f"comment {data!r}")

    def handle_decl(self, decl: str) -> None:
        if decl != "DOCTYPE html":
            self.errors.append(f"declaration {decl!r}")

    def handle_pi(self, data: str) -> None:
        self.errors.append(f"processing instruction {data!r}")

    def unknown_decl(self, data: str) -> None:
        self.errors.append(f"declaration {data!r}")


def parse(page: str) -> Nodes:
    nodes = Nodes()
    nodes.feed(page)
    nodes.close()
    assert nodes.errors == [], nodes.errors
    assert nodes.stack == [], nodes.stack
    return nodes


def toml_string(text: str) -> str:
    return tomli_w.dumps({"v": text}).removeprefix("v = ").rstrip("\n")


FIELDS = ("title", "troops", "prisoners", "door", "source1", "summary1", "source2", "summary2")
# Each field's text in the plain page: found nowhere else, so each text node of any page is
# the plain page's node with these replaced by the texts given.
PLACEHOLDERS = {field: f"Q{field.upper()}Q" for field in FIELDS}
PLAIN_URL = "https://ok.example/QURLQ"


def tracker(texts: dict[str, str]) -> str:
    """SMALL_TRACKER with the given text in every field the HTML report shows.

    Evidence: a met criterion with a link (troops); two observations of the stock "held"
    (a chart) and, after --since, fewer releases than detentions (the offset's warning).
    """
    header = (
        SMALL_TRACKER.replace('"Testland: conditions for relief"', toml_string(texts["title"]))
        .replace('title = "Foreign troops withdrawn"', f"title = {toml_string(texts['troops'])}")
        .replace('title = "Prisoners released"', f"title = {toml_string(texts['prisoners'])}")
        .replace('label = "revolving door"', f"label = {toml_string(texts['door'])}")
    )
    entries = [
        ("ev-1", "troops", 'criterion = "bases-closed"\nstatus = "met"', "2025-01-12", "1"),
        ("ev-2", "prisoners", 'indicator = "held"\nvalue = 9', "2025-01-05", "2"),
        ("ev-3", "prisoners", 'indicator = "held"\nvalue = 5', "2025-01-20", "2"),
        ("ev-4", "prisoners", 'indicator = "freed"\nvalue = 3', "2025-01-15", "2"),
        ("ev-5", "prisoners", 'indicator = "detained"\nvalue = 5', "2025-01-16", "2"),
    ]
    blocks = [header]
    for id_, condition, what, date, n in entries:
        url = f"url = {toml_string(texts['url'])}\n" if n == "1" else ""
        blocks.append(
            f'[[evidence]]\nid = "{id_}"\ncondition = "{condition}"\n{what}\ndate = {date}\n'
            f"source = {toml_string(texts['source' + n])}\n{url}"
            f'reliability = "B2"\nsummary = {toml_string(texts["summary" + n])}\n'
            f"logged = {date}T10:00:00Z\n"
        )
    return "\n".join(blocks)


def render(texts: dict[str, str]) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "conditions.toml"
        path.write_text(tracker(texts), encoding="utf-8")
        args = ["report", "--format", "html", "--as-of", AS_OF, "--since", SINCE]
        return ok(CliRunner().invoke(app, ["--file", str(path), *args])).stdout


@cache
def plain_page() -> Nodes:
    """The page for placeholder text: the structure every other text must leave alone."""
    nodes = parse(render({**PLACEHOLDERS, "url": PLAIN_URL}))
    shown = "".join(text for _, text in nodes.texts)
    for placeholder in PLACEHOLDERS.values():  # every field is shown, so every field is tested
        assert placeholder in shown, placeholder
    return nodes


def expected_text(plain: str, texts: dict[str, str]) -> str:
    """A plain page's text node with each placeholder replaced by its text as shown."""
    fields = {placeholder: field for field, placeholder in PLACEHOLDERS.items()}
    return re.sub("|".join(fields), lambda m: one_line(texts[fields[m.group()]]), plain)


HOSTILE_CHARACTERS = "<>&\"'=/;`!-[]{}()|\\#%\n\r\t\x0b\x0c\x1b\x7f\x85\u00a0\u200b\u202e\u2066"
TEXT = st.text(
    st.one_of(
        st.characters(codec="utf-8", exclude_characters="\x00"),
        st.sampled_from(HOSTILE_CHARACTERS),
    ),
    min_size=1,
    max_size=60,
).filter(lambda text: text.strip() != "")
URL = st.builds(
    "https://ok.example/".__add__,
    st.text(
        st.one_of(
            st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")),
            st.sampled_from("<>&\"'=/;`|()[]{}\\#%?"),
        ),
        max_size=40,
    ),
)
HOSTILE = "<script>alert(\"x\")</script> &amp; 'q' <!-- c --> ]]> \x1b[31m\u202eevil\n2nd"


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(texts=st.fixed_dictionaries({**dict.fromkeys(FIELDS, TEXT), "url": URL}))
@example(
    texts={
        **dict.fromkeys(FIELDS, HOSTILE),
        "url": "https://ok.example/\"><script>alert(1)</script>&x='y'",
    }
)
@example(texts={**dict.fromkeys(FIELDS, "QTITLEQ &lt; —"), "url": "https://ok.example/"})
def test_any_text_in_any_field_is_shown_as_that_text_and_nothing_else(
    texts: dict[str, str],
) -> None:
    nodes = parse(render(texts))
    plain = plain_page()

    # No text adds, removes or changes a tag or an attribute: the structure is the plain
    # page's, and only the link's target differs, made from the URL by safe_url.
    assert nodes.tags == plain.tags
    for (tag, name, value), (_, _, before) in zip(nodes.attributes, plain.attributes, strict=True):
        expected = safe_url(texts["url"]) if before == PLAIN_URL else before
        assert value == expected, (tag, name)

    # Each text node reads back as the plain page's with every field's text in place, on
    # one line with its controls spelled out: escaped, never interpreted.
    assert len(nodes.texts) == len(plain.texts)
    for (where, text), (plain_where, plain_text) in zip(nodes.texts, plain.texts, strict=True):
        assert where == plain_where
        assert text == expected_text(plain_text, texts)


# ---------------------------------------------------------------------------------------
# Markup is made from literals only

MARKUP_TYPES = {"Markup", "_Html"}
TAG = re.compile(r"<[A-Za-z/!]")


def unescaped_markup(source: str) -> list[str]:
    """Every place ``source`` could mark text safe without escaping it, with its line.

    Markup may be made only from string literals (``_Html("<td>{}</td>")``), and no other
    string holds a tag (HTML built by formatting strings escapes nothing); the one
    exception is ``_Html.escape``, which makes it from the text it has just escaped
    (``cls(...)``). No other class may derive from ``Markup`` (it could change ``escape``),
    define ``__html__`` (which markupsafe trusts), or use markupsafe's other helpers.
    """
    found: list[str] = []
    tree = ast.parse(source)
    escapers: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = {b.id if isinstance(b, ast.Name) else ast.unparse(b) for b in node.bases}
            if bases & (MARKUP_TYPES | {"markupsafe.Markup"}):
                if node.name != "_Html" or bases != {"Markup"}:
                    found.append(f"line {node.lineno}: class {node.name} derives from markup")
                escapers |= {
                    f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "escape"
                }
        elif isinstance(node, ast.FunctionDef) and node.name in ("__html__", "__html_format__"):
            found.append(f"line {node.lineno}: defines {node.name}")
        elif isinstance(node, ast.Import) and any(a.name == "markupsafe" for a in node.names):
            found.append(f"line {node.lineno}: imports markupsafe whole")
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module == "markupsafe"
            and [(a.name, a.asname) for a in node.names] != [("Markup", None)]
        ):
            found.append(f"line {node.lineno}: imports {ast.unparse(node)}")
    inside_escape = {id(n) for e in escapers for n in ast.walk(e)}
    markup_args = {
        id(a)
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and getattr(n.func, "id", None) in MARKUP_TYPES
        for a in n.args
    }
    for node in ast.walk(tree):  # a tag in any other string (f-strings too) is HTML built
        if (  # outside Markup
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and TAG.search(node.value)
            and id(node) not in markup_args
        ):
            found.append(f"line {node.lineno}: {node.value!r} outside _Html")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        literal = all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)
        if name in MARKUP_TYPES and (not literal or node.keywords):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
        elif name == "cls" and id(node) not in inside_escape:
            found.append(f"line {node.lineno}: {ast.unparse(node)} outside _Html.escape")
    return found


def test_the_html_module_marks_only_literals_safe() -> None:
    assert unescaped_markup(HTML_SOURCE.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "code",
    [
        "_Html(summary)",
        'cell = f"<td>{summary}</td>"',
        'cell = "<td>" + summary',
        'cells = ["<td>", summary]',
        '_Html(f"<td>{summary}</td>")',
        '_Html("<td>" + summary + "</td>")',
        "Markup(entry.summary)",
        "markupsafe.Markup(text)",
        '_Html("<b>{}</b>".format(text))',
        '_Html("x", errors=text)',
        "cls(text)",
        "class Raw(_Html):\n    pass",
        "class Raw(Markup):\n    def escape(cls, s):\n        return cls(s)",
        "class Text(str):\n    def __html__(self):\n        return self",
        "from markupsafe import Markup as M",
        "from markupsafe import escape",
        "import markupsafe",
    ],
)
def test_the_source_check_finds_text_marked_safe(code: str) -> None:
    """The check above is no formality: each way of marking text safe is found."""
    assert unescaped_markup(code) != []


def test_markup_escapes_whatever_is_added_to_it() -> None:
    html = render_html._Html
    text = '<b a="1">&amp;\'\x1b\u202e\nx'
    shown = "&lt;b a=&quot;1&quot;&gt;&amp;amp;&#x27;\\x1b\\u202e x"
    assert html.escape(text) == shown
    assert html("<td>{}</td>").format(text) == f"<td>{shown}</td>"
    assert html("<td>{cell}</td>").format(cell=text) == f"<td>{shown}</td>"
    assert html("<td>") + text == f"<td>{shown}"
    assert text + html("</td>") == f"{shown}</td>"
    assert html("<br>").join([text, text]) == f"{shown}<br>{shown}"
    assert html("<td>%s</td>") % text == f"<td>{shown}</td>"
    assert html("<td>{}</td>").format(html("<br>")) == "<td><br></td>"  # markup stays
    assert type(html("<td>{}</td>").format(text)) is html


# ---------------------------------------------------------------------------------------
# The chart: every line runs


def lines_run(
    codes: set[CodeType], action: Callable[[], object]
) -> tuple[set[tuple[str, int]], set[tuple[str, int]]]:
    """The lines of ``codes`` that hold code, and those of them ``action`` runs."""
    ran: set[tuple[str, int]] = set()

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code not in codes:
            return None
        ran.add((frame.f_code.co_name, frame.f_lineno))
        return trace

    before = sys.gettrace()  # a coverage tool's, say: put back afterwards
    sys.settrace(trace)
    try:
        action()
    finally:
        sys.settrace(before)
    lines = {(c.co_name, line) for c in codes for _, _, line in c.co_lines() if line}
    return lines, ran


def test_every_line_of_the_chart_runs(cli: Invoke, log: Callable[..., str]) -> None:
    """A report meets three kinds of stock: one observation (no chart), several of one value
    (a flat line) and several values; between them they run every line of the chart code."""
    chart = render_html._chart.__code__
    nested = {c for c in chart.co_consts if isinstance(c, CodeType)}
    args = ("report", "--format", "html", "--as-of", "2025-03-01")

    def reports() -> None:
        log("prisoners", indicator="held", value=7, date="2025-01-10")
        ok(cli(*args))  # one observation: no chart
        log("prisoners", indicator="held", value=7, date="2025-01-20")
        flat = ok(cli(*args)).stdout  # the same value twice: a flat line
        log("prisoners", indicator="held", value=3, date="2025-02-01")
        falling = ok(cli(*args)).stdout
        assert flat.count("<svg") == falling.count("<svg") == 1

    lines, ran = lines_run({chart, *nested}, reports)
    never = sorted(lines - ran)
    source = HTML_SOURCE.read_text(encoding="utf-8").splitlines()
    assert never == [], [f"{line}: {source[line - 1].strip()}" for _, line in never]
