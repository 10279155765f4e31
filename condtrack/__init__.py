"""condtrack: track a government's compliance with the conditions set for sanctions relief."""

__version__ = "0.1.0"
