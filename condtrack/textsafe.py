"""Make user text inert before it reaches an output.

Evidence text may come from scraped pages or hostile hands. Each output format has its
own dangerous characters; these helpers neutralise them while keeping the text readable.
Rich markup is not handled here: renderers build ``rich.text.Text`` objects, which are
never parsed for markup.
"""

from __future__ import annotations

import re

# Unicode formatting characters that reorder or hide text (bidi overrides and isolates,
# zero-width marks, line separators, BOM): an editor or a terminal acts on them instead
# of showing them ("Trojan Source").
_INVISIBLE = "\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff"
# Those, C0 controls (except newline), DEL and C1 controls.
_UNSAFE = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")
_UNSAFE_WITH_NEWLINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")
_SERIALIZED_UNSAFE = re.compile(f"[\x7f-\x9f{_INVISIBLE}]")


def serialized_escapes(serialized: str) -> str:
    """DEL, C1 controls and invisible characters in TOML or JSON text as ``\\uXXXX``.

    Writers leave them raw inside strings (C0 controls they escape already), where a
    terminal would act on them or an editor hide them. Both formats read the escape back
    as the same character, so the data is unchanged.
    """
    return _SERIALIZED_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04X}", serialized)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, keep_newlines: bool = True) -> str:
    """Replace control and formatting characters with visible escapes like ``\\x1b``."""
    pattern = _UNSAFE if keep_newlines else _UNSAFE_WITH_NEWLINE
    return pattern.sub(_escape, text)


def one_line(text: str) -> str:
    """``visible`` text folded onto one line, for table cells and messages."""
    return visible(" ".join(text.split("\n")), keep_newlines=False)


# Characters that GitHub-flavoured Markdown reads as emphasis, code, links or table
# structure anywhere in a line; a backslash makes each literal. Angle brackets and
# ampersands become entities so that raw HTML in evidence is shown, not rendered.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def markdown_text(text: str) -> str:
    """User text as one line of literal Markdown, safe inside a table cell."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text))
    return escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit for a link target, or None: no other scheme ever becomes a link.

    Every character that could end a Markdown link destination or table cell, or an HTML
    attribute, is percent-encoded, whatever the file holds: a hand-edited or imported URL
    never passed `condtrack log`'s checks.
    """
    if url is None or not re.match(r"https?://", url, re.IGNORECASE):
        return None
    return _URL_UNSAFE.sub(_percent_encoded, url)


# Characters that would end a Markdown link destination, split a table row, start an
# escape or a code span, or break out of an HTML attribute; spaces and controls of any kind.
_URL_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f|<>()\[\]\\\"'`{}^" + _INVISIBLE + "]")


def _percent_encoded(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8", "surrogatepass"))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def csv_cell(text: str) -> str:
    """Neutralise spreadsheet formulas: a leading quote makes Excel show the cell as text.

    Plain negative numbers stay numbers, so figures still sum in a spreadsheet. Text that
    already starts with quotes before a formula gets one more, so ``csv_text`` can always
    take exactly one away: an export imports back as it was.
    """
    return "'" + text if _formula(text) else text


def csv_text(cell: str) -> str:
    """The text ``csv_cell`` was given: the inverse of its guard, for importing a CSV."""
    return cell[1:] if cell.startswith("'") and _formula(cell[1:]) else cell


def _formula(text: str) -> bool:
    bare = text.lstrip("'")
    return bare.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(bare)


def workflow_data(text: str) -> str:
    """User text as the message of a GitHub Actions workflow command (``::error ...::``).

    The runner reads one command per line and turns %25, %0D and %0A back into characters,
    so line breaks survive inside the annotation while no text can begin a command of its
    own; other controls (ANSI colours, bidi overrides) become visible escapes.
    """
    escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return visible(escaped, keep_newlines=False)


def workflow_property(text: str) -> str:
    """User text as a workflow-command property (``title=``): ``:`` and ``,`` end one."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")


# Besides the controls ``visible`` escapes: surrogates and the two non-characters that XML
# 1.0 forbids; a parser rejects the whole document over one of them.
_XML_FORBIDDEN = re.compile("[\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """User text that XML 1.0 can carry, its controls shown as visible escapes."""
    return _XML_FORBIDDEN.sub(_escape, visible(text))
