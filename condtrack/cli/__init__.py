"""The command line: argument parsing, exit codes and the choice of renderer, nothing more."""

from condtrack.cli import audit, briefings, reading, team, writing  # noqa: F401  (registers commands)
from condtrack.cli.app import app, main

__all__ = ["app", "main"]
