"""Reading TOML: ``tomllib`` decides what is valid; a fast reader only re-reads what it accepted.

``tomllib`` reads TOML 1.0. rtoml (Rust) reads a large tracker ten times faster, but it
reads TOML 1.1 too, which accepts more (``\\x41`` and ``\\e`` escapes, times without
seconds, newlines and a trailing comma in inline tables): a file it accepts can fail
wherever rtoml is not installed, and in every other TOML 1.0 tool. So every verdict of
validity is ``tomllib``'s (``loads``), with its error messages (line and column); the fast
reader reads only text that ``tomllib`` has already accepted (``loads_vouched``), which a
record of condtrack's says (``condtrack.storage.remembered``, ``condtrack.storage.slices``),
or entries condtrack appended in a form ``tomllib`` accepts by construction and reads back
as written (``condtrack.storage.appending.written_exactly``), which a record says as well.
"""

from __future__ import annotations

import re
import sys
import tomllib
from functools import cache
from types import ModuleType
from typing import Any

TOMLDecodeError = tomllib.TOMLDecodeError


def loads(text: str) -> dict[str, Any]:
    """The document, if ``text`` is valid TOML 1.0: the verdict every check relies on.

    An integer too long to convert raises ``ValueError`` naming its entry and field.
    """
    try:
        return tomllib.loads(text)
    except TOMLDecodeError:
        raise
    except ValueError as error:
        where = huge_integer(text) if "integer string conversion" in str(error) else None
        if where is None:
            raise
        raise ValueError(where) from None


def loads_vouched(text: str) -> dict[str, Any]:
    """The document, read fast: only for text ``tomllib`` has accepted before (it decides
    wherever the fast reader is missing or refuses)."""
    fast = _fast()
    if fast is not None:
        try:
            document: dict[str, Any] = fast.loads(text)
            return document
        except Exception:  # tomllib's verdict stands; it reads the text itself
            pass
    return tomllib.loads(text)


@cache
def _fast() -> ModuleType | None:
    """rtoml, imported on first use: a small file never needs it."""
    try:
        import rtoml
    except ImportError:  # pragma: no cover - depends on the platform's wheels
        return None
    return rtoml


def reader_name() -> str:
    """The readers that records depend on: tomllib's verdicts, the fast reader's values."""
    fast = _fast()
    name = f"rtoml {getattr(fast, '__version__', '?')}" if fast is not None else "none"
    return f"tomllib (Python {sys.version.split()[0]}), fast reader {name}"


# A run of digits, where TOML has an integer: after `key =`, `[` or `,` on its line, if not
# at its start (an array's next line).
_DIGITS = re.compile(r"[+-]?\d[\d_]{999,}")
_BEFORE_NUMBER = re.compile(r"(?:^|[=\[,])[ \t]*$")
_KEY = re.compile(r"[ \t]*([A-Za-z0-9_-]+|\"[^\"\n]*\")[ \t]*=")
_HEADER = re.compile(r"^[ \t]*(\[\[?)[ \t]*([A-Za-z0-9_.-]+)[ \t]*\]", re.MULTILINE)
_ID = re.compile(r"^[ \t]*id[ \t]*=[ \t]*\"([^\"\n]{1,64})\"", re.MULTILINE)


def huge_integer(text: str) -> str | None:
    """Where ``text`` holds an integer too long for Python to convert (over
    ``sys.get_int_max_str_digits()`` digits, which tomllib reports without a place): the
    table entry, its id, line and key, as validation names a field."""
    limit = sys.get_int_max_str_digits()
    for match in _DIGITS.finditer(text):
        digits = sum(c.isdigit() for c in match.group())
        line_start = text.rfind("\n", 0, match.start()) + 1
        before = text[line_start : match.start()]
        if digits <= limit or not _BEFORE_NUMBER.search(before):
            continue
        line = text.count("\n", 0, match.start()) + 1
        key = _KEY.match(before)
        headers = list(_HEADER.finditer(text, 0, match.start()))
        place = f"line {line}"
        if headers:
            header = headers[-1]
            table = header.group(2)
            if header.group(1) == "[[":
                number = sum(1 for h in headers if h.group(1) == "[[" and h.group(2) == table)
                found = _ID.search(text, header.end(), match.start())
                entry = f"id {found.group(1)!r}, " if found else ""
                place = f"{table} #{number} ({entry}line {line})"
            else:
                place = f"[{table}] (line {line})"
        field = f", field {key.group(1).strip(chr(34))!r}" if key else ""
        return f"{place}{field}: a number of {digits} digits is implausibly large (limit 1e15)"
    return None
