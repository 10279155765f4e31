"""Reading TOML: ``tomllib`` decides what is valid; a fast reader only re-reads what it accepted.

``tomllib`` reads TOML 1.0. rtoml (Rust) reads a large tracker ten times faster, but it
reads TOML 1.1 too, which accepts more (``\\x41`` and ``\\e`` escapes, times without
seconds, newlines and a trailing comma in inline tables): a file it accepts can fail
wherever rtoml is not installed, and in every other TOML 1.0 tool. So every verdict of
validity is ``tomllib``'s (``loads``), with its error messages (line and column); the fast
reader reads only text that ``tomllib`` has already accepted (``loads_vouched``), which a
record of condtrack's says (``condtrack.storage.remembered``, ``condtrack.storage.slices``).
"""

from __future__ import annotations

import sys
import tomllib
from functools import cache
from types import ModuleType
from typing import Any

TOMLDecodeError = tomllib.TOMLDecodeError


def loads(text: str) -> dict[str, Any]:
    """The document, if ``text`` is valid TOML 1.0: the verdict every check relies on."""
    return tomllib.loads(text)


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
