"""Make user text inert before it reaches an output.

Evidence text may come from scraped pages or hostile hands. Each output format has its
own dangerous characters; these helpers neutralise them while keeping the text readable.
Rich markup is not handled here: renderers build ``rich.text.Text`` objects, which are
never parsed for markup.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

# The one list of characters that can hide text or change its order on screen ("Trojan
# Source", CVE-2021-42574; Unicode's UTS #55 and the default-ignorable code points of UAX #44):
# the terminal shows them as escapes, and the TOML and JSON writers store them as escapes.
_HIDDEN = (
    "\u00ad"  # soft hyphen: invisible unless a line breaks there
    "\u034f"  # combining grapheme joiner: joins nothing visible, yet counts in a width
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers: letters that show as nothing
    "\u17b4\u17b5"  # Khmer inherent vowels: not to be shown
    "\u180e"  # Mongolian vowel separator
    "\u200b"  # zero-width space
    "\u2028\u2029"  # line and paragraph separators: line breaks an editor may not show
    "\u202a-\u202e"  # bidi embeddings and overrides: reorder everything up to their end
    "\u2060-\u206f"  # word joiner, invisible operators, bidi isolates, deprecated formats
    "\ufeff"  # zero-width no-break space (byte order mark)
    "\ufff0-\ufffb"  # unassigned, and interlinear annotations (hide the annotated text)
    # Noncharacters: never text, and U+FFFE is a byte-swapped byte order mark.
    "\ufdd0-\ufdef\ufffe\uffff"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(1, 17))
    + "\U00013430-\U0001343f"  # Egyptian hieroglyph format controls
    "\U0001bca0-\U0001bca3"  # shorthand format controls
    "\U0001d173-\U0001d17a"  # musical symbol format controls
    "\U000e0000-\U000e00ff\U000e01f0-\U000e0fff"  # tags; unassigned default-ignorables
)
# Not in it, so shown as they are: ZWNJ and ZWJ (Persian spelling, emoji sequences), and the
# marks LRM, RLM and ALM, which set the direction of the text next to them and, unlike the
# embeddings, overrides and isolates, cannot reorder text beyond themselves.
#
# Variation selectors choose the look of the character before them (VS16 makes an emoji);
# one after a character is shown, while one that follows nothing or another selector does
# nothing visible and can only carry hidden data.
_SELECTORS = "\u180b-\u180d\u180f\ufe00-\ufe0f\U000e0100-\U000e01ef"
# Tags are hidden, except in the emoji flags of regions (England: black flag, "gbeng", cancel).
_FLAG = "\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]{1,8}\U000e007f"


def _pattern(controls: str, quote: str = "") -> re.Pattern[str]:
    """Flags (kept), then ``controls``, hidden characters and stray variation selectors
    (``quote``: the character a serialized string begins with, which a selector follows)."""
    alone = f"(?:^|(?<=[{_SELECTORS}{controls}{_HIDDEN}{quote}\\s]))[{_SELECTORS}]"
    return re.compile(f"(?P<flag>{_FLAG})|[{controls}{_HIDDEN}]|{alone}")


# C0 controls (except newline), DEL and C1 controls.
_UNSAFE = _pattern("\x00-\x09\x0b-\x1f\x7f-\x9f")
_UNSAFE_WITH_NEWLINE = _pattern("\x00-\x1f\x7f-\x9f")
# TOML and JSON writers escape C0 controls already.
_SERIALIZED_UNSAFE = _pattern("\x7f-\x9f", quote='"')
# Any character the pattern above could change (a flag is kept as it is): most texts have
# none, and one scan for them is several times quicker than the pattern's.
_SERIALIZED_ANY = re.compile(f"[\x7f-\x9f{_HIDDEN}{_SELECTORS}]")


def serialized_escapes(serialized: str, *, json: bool = False) -> str:
    """DEL, C1 controls and hidden characters in TOML (or ``json``) text as escapes.

    Writers leave them raw inside strings (C0 controls they escape already), where a
    terminal would act on them or an editor hide them. Both formats read the escape back
    as the same character, so the data is unchanged. Beyond the first plane TOML writes
    ``\\UXXXXXXXX`` and JSON a surrogate pair.
    """

    def escape(match: re.Match[str]) -> str:
        if match.lastgroup == "flag":
            return match.group()
        code = ord(match.group())
        if code <= 0xFFFF:
            return f"\\u{code:04X}"
        if not json:
            return f"\\U{code:08X}"
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}"

    if not _any_serialized_unsafe(serialized):
        return serialized
    return _SERIALIZED_UNSAFE.sub(escape, serialized)


def _any_serialized_unsafe(text: str) -> bool:
    """Whether ``text`` holds a character ``_SERIALIZED_ANY`` finds: each distinct one from
    DEL up looked at once (ASCII text holds no other), several times quicker than a scan
    of a long text."""
    if text.isascii():
        return "\x7f" in text
    return any(_SERIALIZED_ANY.match(char) for char in set(text) if char >= "\x7f")


def _escape(match: re.Match[str]) -> str:
    if match.lastgroup == "flag":
        return match.group()
    code = ord(match.group())
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code <= 0xFFFF
        else f"\\U{code:08x}"
    )


def visible(text: str, *, keep_newlines: bool = True) -> str:
    """Replace control and hidden characters with visible escapes like ``\\x1b``."""
    pattern = _UNSAFE if keep_newlines else _UNSAFE_WITH_NEWLINE
    return pattern.sub(_escape, text)


# Line breaks and tabs, with the spaces around them: layout, which one space keeps on a line.
# A lone carriage return is not here: a terminal acts on it, so it stays an escape.
_LAYOUT = re.compile(r" *(?:\t|\r?\n)(?: |\t|\r?\n)*")
# Lone surrogates: each one that ``surrogateescape`` made stands for a byte that the locale
# could not decode (a file name typed under ``LC_ALL=C``); no stream can write any of them.
_ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")
_SURROGATE = re.compile("[\ud800-\udfff]")


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``number`` and ``noun`` in its singular or plural form: "1 retraction", "2 entries"."""
    if number == 1:
        return f"{number} {noun}"
    return f"{number} {plural or (noun[:-1] + 'ies' if noun.endswith('y') else noun + 's')}"


def one_line(text: str) -> str:
    """``visible`` text folded onto one line, for table cells and messages.

    Line breaks and tabs become one space. Bytes a locale could not decode (a lone
    surrogate each) are read as UTF-8 where they are that, else shown as ``\\xNN``.
    """
    return _on_one_line(text, lambda part: _LAYOUT.sub(" ", part))


# Line breaks and tabs as a message shows them: escaped as repr escapes them.
_BREAK = re.compile(r"[\n\r\t]")
_BREAK_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def message_line(text: str) -> str:
    """``one_line`` for a message (an error, a warning, a note on standard error), which
    names files and values as they are: a line break or tab is shown as ``\\n``, ``\\r`` or
    ``\\t``, as repr shows it, not folded into a space, so a path that holds one is named
    unambiguously (``a\\nb.toml``, not ``a b.toml``, another file)."""
    return _on_one_line(text, lambda part: _BREAK.sub(lambda m: _BREAK_ESCAPES[m.group()], part))


def _on_one_line(text: str, breaks: Callable[[str], str]) -> str:
    """``text`` on one line, its line breaks and tabs made over by ``breaks``: bytes a
    locale could not decode read as UTF-8 where they are that, everything else that is
    hidden or a control shown as an escape."""
    text = breaks(_ESCAPED_BYTES.sub(_as_utf8, text))
    return visible(_SURROGATE.sub(_surrogate_escape, text), keep_newlines=False)


def _as_utf8(match: re.Match[str]) -> str:
    return bytes(ord(char) - 0xDC00 for char in match.group()).decode("utf-8", "surrogateescape")


def _surrogate_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


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
    if url is None or not re.match(r"https?://", url, re.IGNORECASE) or has_user_info(url):
        return None
    return _URL_UNSAFE.sub(_percent_encoded, url)


def has_user_info(url: str) -> bool:
    """Whether an http(s) URL names a user or password before its host (``user:pw@host``):
    ``https://trusted.example@evil.example`` leads to evil.example while it reads as trusted."""
    authority = re.split(r"[/?#\\]", url.partition("://")[2], maxsplit=1)[0]
    return "@" in authority


# Characters that would end a Markdown link destination, split a table row, start an
# escape or a code span, or break out of an HTML attribute; spaces and controls of any kind,
# and every invisible character (a link has no use for the joiners and marks text keeps).
_URL_UNSAFE = re.compile(
    r"[\s\x00-\x1f\x7f-\x9f|<>()\[\]\\\"'`{}^" + _HIDDEN + "\u061c\u200c-\u200f" + _SELECTORS + "]"
)


def _percent_encoded(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8", "surrogatepass"))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")


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


# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): characters with no
# visible glyph of their own, which a renderer may skip. Besides the format characters (Cf)
# ``folded`` removes, these are the combining grapheme joiner, the Hangul fillers, the Khmer
# inherent vowels, the Mongolian free variation selectors, the variation selectors and the
# unassigned reserves: "Belavia" with any of them is "Belavia" to a reader.
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)


def folded(value: object) -> str:
    """Text as condtrack compares what people type: what a reader sees, not how it was typed.

    Invisible characters go (Unicode's default-ignorable code points and the format
    characters, category Cf: zero-width spaces, joiners, bidi controls, variation
    selectors, the combining grapheme joiner, Hangul fillers), the rest is folded to its
    compatibility form (NFKC: a full-width letter is the letter) and case-folded, and every
    run of whitespace is one space, none at either end: "Reuters " and "reuters", "Belavia"
    with a zero-width space or a variation selector inside it or in full-width letters and
    "belavia" are the same text. The one rule for duplicates (``schema.reports``) and for
    grouping measures (``schema.models.measure_key``).
    """
    text = str(value)
    if text.isascii():  # no invisible characters, nothing to compose: most text, fast
        return " ".join(text.lower().split())
    seen = _IGNORABLE.sub("", text)
    for char in set(seen):  # each distinct character once: ASCII holds no Cf
        if char > "\x7f" and unicodedata.category(char) == "Cf":
            seen = seen.replace(char, "")
    composed = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", seen).casefold())
    return " ".join(_IGNORABLE.sub("", composed).split())
