"""Registering condtrack with git as the merge driver for a tracker file."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

from condtrack.errors import CondtrackError
from condtrack.store import read_regular, write_atomic

DRIVER = "condtrack"
DRIVER_NAME = "condtrack: merge tracker files entry by entry"
ARGUMENTS = "merge %O %A %B %P"


def git(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", *args], cwd=folder, capture_output=True, text=True, check=False, timeout=30
        )
    except FileNotFoundError:
        raise CondtrackError("git is not installed, or not on PATH") from None


def repository_root(tracker: Path) -> Path:
    done = git(tracker.resolve().parent, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise CondtrackError(
            f"{tracker} is not in a git repository", hint="run `git init` in its folder first"
        )
    return Path(done.stdout.strip()).resolve()


def driver_command(argv0: str, python: str) -> tuple[str, str | None]:
    """The command git should run, and why it is not simply ``condtrack`` when it is not.

    Git runs the driver with its own PATH; a ``condtrack`` found there that is not this
    one (another install, or none when this one is in an unactivated virtual environment)
    would merge with the wrong version or not at all.
    """
    running = _running_script(argv0, python)
    if running is None:
        why = "this condtrack has no command of its own (it runs as `python -m condtrack`)"
        return f"{shlex.quote(python)} -m condtrack", why
    on_path = shutil.which("condtrack")
    if on_path is not None and Path(on_path).resolve() == running.resolve():
        return "condtrack", None
    found = f"finds {on_path}" if on_path else "finds none"
    why = f"`condtrack` on PATH {found}, not this one (an unactivated virtual environment?)"
    return shlex.quote(str(running)), why


def _running_script(argv0: str, python: str) -> Path | None:
    name = Path(argv0).name
    if name.startswith("condtrack") and not name.endswith(".py"):
        found = argv0 if os.sep in argv0 else shutil.which(argv0)
        if found is not None and Path(found).is_file():
            return Path(found).absolute()
    beside = Path(python).parent / "condtrack"  # the script installed with this Python
    return beside.absolute() if beside.is_file() else None


def register(tracker: Path, command: str) -> list[str]:
    """Set up the driver for ``tracker`` in its repository; say what changed (nothing twice)."""
    root = repository_root(tracker)
    try:
        relative = tracker.resolve().relative_to(root).as_posix()
    except ValueError:
        raise CondtrackError(f"{tracker} is outside the repository at {root}") from None
    changes = []
    wanted = {
        f"merge.{DRIVER}.name": DRIVER_NAME,
        f"merge.{DRIVER}.driver": f"{command} {ARGUMENTS}",
    }
    for key, value in wanted.items():
        if _config(root, key) != value:
            _run(root, "config", "--local", key, value)
            changes.append(f"git config {key} {shlex.quote(value)}")
    if _merge_attribute(root, relative) != DRIVER:
        line = f"{attribute_pattern(relative)} merge={DRIVER}"
        attributes = root / ".gitattributes"
        old = read_regular(attributes, ".gitattributes file") if attributes.exists() else b""
        separator = b"" if not old or old.endswith(b"\n") else b"\n"
        write_atomic(attributes, old + separator + line.encode("utf-8") + b"\n")
        if _merge_attribute(root, relative) != DRIVER:
            write_atomic(attributes, old)
            raise CondtrackError(
                f"git does not apply '{line}' to {relative} (a rule in .gitattributes or "
                "info/attributes overrides it?); .gitattributes is unchanged"
            )
        changes.append(f"added '{line}' to {attributes}")
    return changes


def attribute_pattern(relative: str) -> str:
    """The path as a .gitattributes pattern that matches it alone."""
    if re.search(r"[\x00-\x1f\x7f]", relative):
        raise CondtrackError(f"{relative!r}: a path with control characters cannot be registered")
    pattern = re.sub(r"([\\*?\[])", r"\\\1", relative)
    if pattern.startswith(("#", "!")):
        pattern = "\\" + pattern
    if re.search(r'[\s"]', pattern):  # git reads a pattern in double quotes C-style
        pattern = '"' + pattern.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return pattern


def _merge_attribute(root: Path, relative: str) -> str:
    done = _run(root, "check-attr", "-z", "merge", "--", relative)
    fields = done.stdout.split("\0")
    return fields[2] if len(fields) > 2 else ""


def _config(root: Path, key: str) -> str | None:
    done = git(root, "config", "--local", "--get", key)
    return done.stdout.rstrip("\n") if done.returncode == 0 else None


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = git(root, *args)
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()
        raise CondtrackError(f"git {args[0]} failed: {detail[-1] if detail else done.returncode}")
    return done
