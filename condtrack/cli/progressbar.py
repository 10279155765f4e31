"""A progress bar on standard error for work that takes more than about a second.

Shown only at a terminal: never when standard error is redirected or piped, never in CI
(``CI`` set), never on a terminal that cannot move the cursor (``TERM=dumb``). ``NO_COLOR``
means no colour, not no bar: Rich draws it without colour then. The bar appears only once a
task has run for ``DELAY`` seconds, so a quick command never flashes one, and it is erased
when the task ends (done, refused or interrupted), leaving nothing behind.

``CONDTRACK_PROGRESS_DELAY`` (seconds) changes the delay; the tests set it to 0 to see a bar
without a slow command.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

DELAY = 1.0  # seconds a task runs before its bar is shown
ENV_DELAY = "CONDTRACK_PROGRESS_DELAY"


def wanted(env: Mapping[str, str] = os.environ) -> bool:
    """Whether a bar may be drawn: standard error is a terminal, and not CI's or a dumb one."""
    if env.get("CI") or env.get("TERM") == "dumb":
        return False
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (ValueError, OSError):  # closed or detached
        return False


def delay(env: Mapping[str, str] = os.environ) -> float:
    try:
        seconds = float(env.get(ENV_DELAY, DELAY))
    except ValueError:
        return DELAY
    return seconds if seconds >= 0 else DELAY


class Bar:
    """A ``condtrack.progress.Reporter`` that draws one Rich progress bar on standard error,
    once the task has run for ``after`` seconds."""

    def __init__(self, after: float) -> None:
        self.after = after
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None
        self.progress: Progress | None = None
        self.task_id: TaskID | None = None
        self.label = ""
        self.total: int | None = None
        self.done = 0

    def start(self, label: str, total: int | None) -> None:
        with self.lock:
            self.label, self.total, self.done = label, total, 0
            if self.after <= 0:
                self._show()
            else:
                self.timer = threading.Timer(self.after, self._show_late)
                self.timer.daemon = True
                self.timer.start()

    def advance(self, amount: int) -> None:
        with self.lock:
            self.done += amount
            if self.progress is not None and self.task_id is not None:
                self.progress.update(self.task_id, completed=self.done)

    def finish(self) -> None:
        with self.lock:
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            if self.progress is not None:
                self.progress.stop()  # transient: the bar is erased
                self.progress = self.task_id = None

    def _show_late(self) -> None:
        with self.lock:
            if self.timer is not None:  # not finished meanwhile
                self.timer = None
                self._show()

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        from condtrack.textsafe import one_line

        console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.task_id = self.progress.add_task(
            one_line(self.label), total=self.total, completed=self.done
        )
        self.progress.start()


def reporter(env: Mapping[str, str] = os.environ) -> Bar | None:
    """The bar for this run, or None where none may be drawn."""
    return Bar(delay(env)) if wanted(env) else None
