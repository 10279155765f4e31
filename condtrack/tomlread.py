"""Reading TOML fast where we can, with the standard library as the reference.

rtoml (Rust) reads a large tracker several times faster than ``tomllib``. Where its wheel
is not installed, or it refuses a document, ``tomllib`` decides: its verdict and its
error messages (with line and column) are the ones users see.
"""

from __future__ import annotations

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
    if _fast is not None:
        try:
            document: dict[str, Any] = _fast.loads(text)
            return document
        except Exception:  # any refusal is judged again by tomllib, below
            pass
    return tomllib.loads(text)


def loads_fast(text: str) -> dict[str, Any]:
    """The fast reader's verdict alone (``tomllib``'s where it is missing): for callers that
    read again with ``loads`` whenever this refuses."""
    if _fast is not None:
        document: dict[str, Any] = _fast.loads(text)
        return document
    return tomllib.loads(text)


def reader_name() -> str:
    """Which reader decides first, for records that depend on its verdicts."""
    if _fast is None:
        return "tomllib"
    return f"rtoml {getattr(_fast, '__version__', '?')}"
