"""Layer 5, the command line: argument parsing, exit codes and the choice of renderer,
nothing more. The only layer that knows argv, terminals and exit codes; it may import
every layer below it."""

from condtrack.cli.app import app, main

__all__ = ["app", "main"]
