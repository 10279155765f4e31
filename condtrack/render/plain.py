"""Short coloured lines without Rich, for the CI gate: `check` runs many times a day, and
Rich's import alone would cost it a fifth of its start-up."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import typer

from condtrack.textsafe import visible

if TYPE_CHECKING:
    from condtrack.domain.gate import Outcome

Line = tuple[str, str]  # (style, text); style as Rich writes it: "bold red"


def check_lines(outcome: Outcome) -> list[Line]:
    rows: list[Line] = []
    for failure in outcome.failures:
        style = "bold red" if failure.requirement == "snapback" else "red"
        rows.append((style, f"FAIL {failure.message}"))
    rows.append(("bold red" if outcome.failures else "bold green", outcome.verdict))
    return rows


def echo_lines(rows: Iterable[Line], env: Mapping[str, str] = os.environ) -> None:
    """Print the lines, coloured when Rich would colour them (see ``wants_colour``)."""
    colour = wants_colour(env)
    for style, text in rows:
        words = style.split()
        foreground = next((w for w in words if w != "bold"), None)
        typer.echo(typer.style(visible(text), fg=foreground, bold="bold" in words), color=colour)


def plain_lines(rows: Iterable[Line]) -> str:
    """The lines as plain text, for a file: no colour."""
    return "".join(f"{visible(text)}\n" for _, text in rows)


def wants_colour(env: Mapping[str, str] = os.environ) -> bool:
    """Rich's rule: NO_COLOR wins, then FORCE_COLOR, else a terminal that is not dumb."""
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty() and env.get("TERM") != "dumb"
