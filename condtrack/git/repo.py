"""Every call condtrack makes to git, and registering condtrack as a tracker's merge driver.

One runner, ``git``, makes every call, so each gets the same protection:

- Text a user or a file supplies (a revision, a path) reaches git only after
  ``--end-of-options`` or ``--``, where git cannot read it as an option; a revision is
  first resolved to a commit's hash with ``rev-parse --verify``.
- Git runs in the environment condtrack was given, less the variables that would point it
  at another repository, index or object store than the one holding the tracker, or make
  it read a path as a pattern (``GIT_LITERAL_PATHSPECS`` is set); it never prompts, pages
  or takes optional locks. Nothing in the tracker's content reaches git at all.
- A failure becomes a one-line ``CondtrackError`` quoting git's own last line, escaped.

``--end-of-options`` needs git 2.24, and ``rev-parse`` understands it from git 2.30 on;
an older git is refused with a message saying so.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from condtrack.errors import CondtrackError
from condtrack.storage.store import read_regular, write_atomic
from condtrack.textsafe import message_line, one_line

DRIVER = "condtrack"
DRIVER_NAME = "condtrack: merge tracker files entry by entry"
# "--" first: a tracker whose name starts with "-" (git's %P) is still a name, not an option.
ARGUMENTS = "merge -- %O %A %B %P"
OLDEST = (2, 30)  # rev-parse --end-of-options
TIMEOUT = 30

# Variables that would make git use another repository, work tree, index or object store
# than the one it finds from the tracker's folder (a hook or another tool may have set
# them for its own repository), or read paths as patterns.
_REDIRECTING = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "GIT_PREFIX",
        "GIT_GLOB_PATHSPECS",
        "GIT_NOGLOB_PATHSPECS",
        "GIT_ICASE_PATHSPECS",
    }
)
_FIXED = {
    "GIT_LITERAL_PATHSPECS": "1",  # a path is that path, never a pattern or :(magic)
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_PAGER": "cat",
    "LC_ALL": "C",  # git's messages in the language of condtrack's, and recognisable
}


def git_environment() -> dict[str, str]:
    """The environment every git call runs in (see the module's docstring)."""
    kept = {k: v for k, v in os.environ.items() if k not in _REDIRECTING}
    return kept | _FIXED


def git(
    folder: Path,
    *options: str,
    operands: Sequence[str] = (),
    paths: Sequence[str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git *options --end-of-options *operands [-- *paths]`` in ``folder``.

    ``options`` are condtrack's own, fixed words; anything a user or a file supplies goes
    in ``operands`` (a revision, already resolved where possible) or ``paths``.
    """
    arguments = list(options)
    if operands:
        arguments += ["--end-of-options", *operands]
    if paths is not None:
        arguments += ["--", *paths]
    for argument in arguments:
        if "\0" in argument:
            raise CondtrackError(f"{argument!r}: git cannot take text with a NUL byte")
    _check_version()
    return _run_git(folder, arguments)


def _run_git(folder: Path, arguments: list[str]) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *arguments],
            cwd=folder,
            env=git_environment(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
            timeout=TIMEOUT,
        )
    except FileNotFoundError:
        raise CondtrackError("git is not installed, or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise CondtrackError(f"git {arguments[0]} did not finish within {TIMEOUT} s") from None
    except OSError as error:
        raise CondtrackError(f"cannot run git in {folder}: {error.strerror or error}") from None


@functools.cache
def _check_version() -> None:
    done = _run_git(Path(os.path.abspath(os.sep)), ["version"])
    found = re.search(r"(\d+)\.(\d+)", done.stdout.decode("ascii", "replace"))
    if found is None:  # an unusual build: let git itself refuse what it does not know
        return
    version = (int(found[1]), int(found[2]))
    if version < OLDEST:
        raise CondtrackError(
            f"git {version[0]}.{version[1]} is too old: condtrack needs git "
            f"{OLDEST[0]}.{OLDEST[1]} or later (for --end-of-options)"
        )


def failure(done: subprocess.CompletedProcess[bytes], what: str) -> CondtrackError:
    """A one-line error for a git call that failed, quoting git's last line, escaped."""
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    detail = lines[-1] if lines else f"exit status {done.returncode}"
    return CondtrackError(one_line(f"{what}: {detail}"))


def repository_root(tracker: Path) -> Path:
    """The top of the work tree holding ``tracker``; a one-line error when there is none."""
    folder = tracker.resolve().parent  # of the file itself, when the tracker is a link
    done = git(folder, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        if b"not a git repository" in done.stderr:
            raise CondtrackError(
                f"{tracker} is not in a git repository", hint="run `git init` in its folder first"
            )
        raise failure(done, f"{tracker}: git cannot use the repository holding it")
    return Path(os.fsdecode(done.stdout).rstrip("\n")).resolve()


def relative_path(tracker: Path, root: Path) -> str:
    """The tracker's path from the repository's root, as git names it (``/``-separated).

    A tracker that is a symbolic link is the file it points to, as for every write.
    """
    try:
        inside = tracker.resolve().relative_to(root)
    except ValueError:
        raise CondtrackError(f"{tracker} is outside the repository at {root}") from None
    return inside.as_posix()


@dataclass(frozen=True)
class Revision:
    """A revision as the user named it, and the commit it resolved to (None: no commit yet)."""

    name: str
    commit: str | None


def resolve(root: Path, revision: str) -> Revision:
    """``revision`` as a commit; an error when it names none.

    The one exception is ``HEAD`` on a branch with no commit yet: nothing is committed,
    which is not an error (``commit`` is None).
    """
    done = git(root, "rev-parse", "--verify", "--quiet", operands=[f"{revision}^{{commit}}"])
    if done.returncode == 0:
        return Revision(revision, done.stdout.decode("ascii").strip())
    if revision == "HEAD" and git(root, "symbolic-ref", "--quiet", "HEAD").returncode == 0:
        return Revision(revision, None)  # an unborn branch: nothing committed yet
    raise CondtrackError(
        message_line(f"--revision {revision!r}: no such commit in the repository at {root}")
    )


def file_at(root: Path, commit: str, relative: str) -> bytes | None:
    """The content of the file at ``relative`` in ``commit``; None when it is not there."""
    done = git(root, "ls-tree", "-z", "--full-tree", operands=[commit, relative])
    if done.returncode != 0:
        raise failure(done, f"git ls-tree {commit}")
    wanted = os.fsencode(relative)
    for record in done.stdout.split(b"\0"):
        info, _, name = record.partition(b"\t")
        if name != wanted:
            continue
        mode, kind, blob = info.decode("ascii").split()
        if kind != "blob" or mode not in ("100644", "100755"):
            what = {"120000": "a symbolic link", "040000": "a folder", "160000": "a submodule"}
            raise CondtrackError(
                message_line(f"{relative} is {what.get(mode, kind)} at {commit[:12]}, not a file")
            )
        shown = git(root, "cat-file", "blob", operands=[blob])
        if shown.returncode != 0:
            raise failure(shown, f"git cat-file {blob}")
        return shown.stdout
    return None


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
    relative = relative_path(tracker, root)
    changes = []
    wanted = {
        f"merge.{DRIVER}.name": DRIVER_NAME,
        f"merge.{DRIVER}.driver": f"{command} {ARGUMENTS}",
    }
    for key, value in wanted.items():
        if _config(root, key) != value:
            _run(root, "config", "--local", operands=[key, value])
            changes.append(f"git config {key} {shlex.quote(value)}")
    if _merge_attribute(root, relative) != DRIVER:
        line = f"{attribute_pattern(relative)} merge={DRIVER}"
        attributes = root / ".gitattributes"
        old = read_regular(attributes, ".gitattributes file") if attributes.exists() else b""
        separator = b"" if not old or old.endswith(b"\n") else b"\n"
        write_atomic(attributes, old + separator + os.fsencode(line) + b"\n")  # the name's bytes
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
    done = _run(root, "check-attr", "-z", "merge", paths=[relative])
    fields = done.stdout.split(b"\0")
    return fields[2].decode("utf-8", "replace") if len(fields) > 2 else ""


def _config(root: Path, key: str) -> str | None:
    done = git(root, "config", "--local", "--get", operands=[key])
    return done.stdout.decode("utf-8", "replace").rstrip("\n") if done.returncode == 0 else None


def _run(
    root: Path,
    *options: str,
    operands: Sequence[str] = (),
    paths: Sequence[str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    done = git(root, *options, operands=operands, paths=paths)
    if done.returncode != 0:
        raise failure(done, f"git {options[0]} failed")
    return done
