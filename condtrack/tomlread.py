"""Reading TOML: ``tomllib`` decides what is valid; a fast reader only re-reads what it accepted.

``tomllib`` reads TOML 1.0. rtoml (Rust) reads a large tracker ten times faster, but it
reads TOML 1.1 too, which accepts more (``\\x41`` and ``\\e`` escapes, times without
seconds, newlines and a trailing comma in inline tables): a file it accepts can fail
wherever rtoml is not installed, and in every other TOML 1.0 tool. So every verdict of
validity is ``tomllib``'s (``loads``), with its error messages (line and column); the fast
reader reads only text that ``tomllib`` has already accepted (``loads_vouched``), which a
record of condtrack's says (``condtrack.remembered``, ``condtrack.slices``).
"""

from __future__ import annotations

import sys
import tomllib
from types import ModuleType
from typing import Any

_fast: ModuleType | None
try:
    import rtoml as _fast
except ImportError:  # pragma: no cover - depends on the platform's wheels
    _fast = None

TOMLDecodeError = tomllib.TOMLDecodeError


def loads(text: str) -> dict[str, Any]:
    """The document, if ``text`` is valid TOML 1.0: the verdict every check relies on."""
    return tomllib.loads(text)


def loads_vouched(text: str) -> dict[str, Any]:
    """The document, read fast: only for text ``tomllib`` has accepted before (it decides
    wherever the fast reader is missing or refuses)."""
    if _fast is not None:
        try:
            document: dict[str, Any] = _fast.loads(text)
            return document
        except Exception:  # tomllib's verdict stands; it reads the text itself
            pass
    return tomllib.loads(text)


def reader_name() -> str:
    """The readers that records depend on: tomllib's verdicts, the fast reader's values."""
    fast = f"rtoml {getattr(_fast, '__version__', '?')}" if _fast is not None else "none"
    return f"tomllib (Python {sys.version.split()[0]}), fast reader {fast}"
