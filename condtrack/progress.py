"""Progress of long work, told to whoever listens, by code that knows nothing of terminals.

The core (reading a large file slice by slice, an import's rows, a briefing) says what it
is doing and how far it has got::

    with progress.task("reading conditions.toml", total=len(data)) as advance:
        for chunk in chunks:
            ...
            advance(len(chunk))

Nobody listens unless the CLI sets a ``Reporter`` (``listening``): by default ``task``
costs one context-variable lookup and ``advance`` does nothing. The CLI sets one that
draws a bar on standard error only at a terminal (``condtrack.cli.progressbar``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Protocol

Advance = Callable[[int], None]


class Reporter(Protocol):
    """What listens to progress: one task at a time (a task started inside another is
    told as part of it)."""

    def start(self, label: str, total: int | None) -> None:
        """A task begins: ``total`` units of work (bytes, rows), or None when unknown."""

    def advance(self, amount: int) -> None:
        """``amount`` more units are done."""

    def finish(self) -> None:
        """The task ended, done or not: whatever was shown goes."""


_reporter: ContextVar[Reporter | None] = ContextVar("condtrack_progress", default=None)
_depth: ContextVar[int] = ContextVar("condtrack_progress_depth", default=0)


def _nothing(amount: int) -> None:
    return None


@contextlib.contextmanager
def task(label: str, total: int | None = None) -> Iterator[Advance]:
    """Report one piece of work; the block calls what it is given with each amount done.
    Inside another task, its advances are ignored: the outer task speaks for both."""
    reporter = _reporter.get()
    depth = _depth.get()
    if reporter is None or depth:
        token = _depth.set(depth + 1)
        try:
            yield _nothing
        finally:
            _depth.reset(token)
        return
    token = _depth.set(1)
    reporter.start(label, total)
    try:
        yield reporter.advance
    finally:
        _depth.reset(token)
        reporter.finish()


@contextlib.contextmanager
def listening(reporter: Reporter | None) -> Iterator[None]:
    """Tell ``reporter`` of every task started inside the block (None: nobody)."""
    token = _reporter.set(reporter)
    try:
        yield
    finally:
        _reporter.reset(token)
