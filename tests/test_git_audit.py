"""`validate --against-git` in real repositories: which revision, which repository, and
what counts as an edit of committed evidence (compared by id, not by position)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import Result

from tests.conftest import SMALL_TRACKER
from tests.reliability.helpers import TERMINAL_UNSAFE, run

GIT = shutil.which("git")
CONDTRACK = Path(sys.executable).parent / "condtrack"

pytestmark = pytest.mark.skipif(GIT is None, reason="needs git")

IDENTITY = ("-c", "user.name=Analyst", "-c", "user.email=analyst@example.org")


def git_env(ceiling: Path) -> dict[str, str]:
    """No user or system config, no repository above ``ceiling``, an identity to commit as."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return env | {
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CEILING_DIRECTORIES": str(ceiling),
        "GIT_AUTHOR_NAME": "Analyst",
        "GIT_AUTHOR_EMAIL": "analyst@example.org",
        "GIT_COMMITTER_NAME": "Analyst",
        "GIT_COMMITTER_EMAIL": "analyst@example.org",
    }


class Repo:
    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.env = folder, env
        self.tracker = folder / "conditions.toml"

    def git(self, *args: str) -> str:
        assert GIT is not None
        done = subprocess.run([GIT, *IDENTITY, *args], cwd=self.folder, env=self.env,
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    def commit(self, message: str = "tracker") -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def log(self, summary: str, day: int) -> str:
        result = run(self.tracker, "log", "troops", "--summary", summary, "--source", "Monitor",
                     "--reliability", "B2", "--date", f"2025-01-{day:02d}")  # fmt: skip
        assert result.exit_code == 0, result.output
        return result.stdout.strip()

    def validate(self, *args: str) -> Result:
        return run(self.tracker, "validate", "--against-git", *args)


@pytest.fixture
def empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    """A repository with an uncommitted tracker in it (condtrack runs in this process)."""
    env = git_env(tmp_path)
    for key in [k for k in os.environ if k.startswith("GIT_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    repo = Repo(tmp_path / "repo", env)
    repo.folder.mkdir()
    repo.git("init", "-q")
    repo.tracker.write_text(SMALL_TRACKER, "utf-8")
    return repo


@pytest.fixture
def repo(empty: Repo) -> Repo:
    """The same with three entries and a retraction of the third, committed."""
    ids = [empty.log(f"entry {n}", n) for n in (1, 2, 3)]
    retracted = run(empty.tracker, "retract", ids[2], "--reason", "misread", "--date",
                    "2025-01-05")  # fmt: skip
    assert retracted.exit_code == 0, retracted.output
    empty.commit()
    return empty


def ids_of(repo: Repo) -> list[str]:
    document = tomllib.loads(repo.tracker.read_text("utf-8"))
    return [entry["id"] for entry in document["evidence"]]


def blocks(text: str) -> tuple[str, list[str], list[str]]:
    """The file's head, its [[evidence]] blocks and its [[retractions]] blocks, as text."""
    head, *rest = re.split(r"\n(?=\[\[(?:evidence|retractions)\]\]\n)", text)
    evidence = [b for b in rest if b.startswith("[[evidence]]")]
    retractions = [b for b in rest if b.startswith("[[retractions]]")]
    return head, evidence, retractions


def joined(head: str, evidence: list[str], retractions: list[str]) -> str:
    return "\n".join([head, *evidence, *retractions]).rstrip("\n") + "\n"


def one_error_line(result: Result) -> str:
    """Exit 2, nothing on standard output, and exactly one line on standard error."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert not TERMINAL_UNSAFE.search(lines[0]), lines[0]
    return lines[0]


def audit_lines(result: Result, path: Path) -> list[str]:
    """The problems only the comparison with git reports."""
    return [
        line.removeprefix(f"{path}: ")
        for line in result.stderr.splitlines()
        if " since HEAD" in line or " at HEAD" in line
    ]


# --- item 3: the revision, and the repository ----------------------------------------------


def test_a_revision_that_names_no_commit_is_an_error(repo: Repo) -> None:
    line = one_error_line(repo.validate("--revision", "nonexistent"))
    assert line == (
        f"error: --revision 'nonexistent': no such commit in the repository at "
        f"{repo.folder.resolve()}"
    )
    # A revision that names something else than a commit is no commit either.
    blob = repo.git("rev-parse", "HEAD:conditions.toml").strip()
    assert "no such commit" in one_error_line(repo.validate("--revision", blob))
    assert repo.validate("--revision", "HEAD").exit_code == 0


def test_a_tracker_outside_any_repository_is_an_error(empty: Repo, tmp_path: Path) -> None:
    loose = tmp_path / "loose" / "conditions.toml"
    loose.parent.mkdir()
    loose.write_text(SMALL_TRACKER, "utf-8")
    result = run(loose, "validate", "--against-git")
    line = one_error_line(result)
    assert line == f"error: {loose} is not in a git repository; run `git init` in its folder first"
    # Without --against-git, the same file is valid: only the comparison needs git.
    assert run(loose, "validate").exit_code == 0


@pytest.mark.parametrize(
    "revision",
    ["--output={target}", "-o{target}", "--output={target}^{{commit}}", "--exec={target}"],
)
def test_a_revision_that_looks_like_an_option_is_only_a_revision(
    repo: Repo, tmp_path: Path, revision: str
) -> None:
    target = tmp_path / "written"
    before = sorted(p.name for p in tmp_path.iterdir())
    hostile = revision.format(target=target)
    result = repo.validate("--revision", hostile)
    assert not list(tmp_path.glob("written*"))  # git wrote no file
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    line = one_error_line(result)
    assert line.startswith(f"error: --revision {hostile!r}: no such commit"), line


def test_a_hostile_revision_in_a_process_of_its_own_writes_nothing(
    repo: Repo, tmp_path: Path
) -> None:
    if not CONDTRACK.is_file():
        pytest.skip("needs the installed condtrack command")
    target = tmp_path / "written"
    done = subprocess.run(
        [str(CONDTRACK), "validate", "--against-git", "--revision", f"--output={target}"],
        cwd=repo.folder, env=repo.env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert not list(tmp_path.glob("written*"))  # git wrote no file
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1, done.stderr


def test_a_revision_with_terminal_controls_is_escaped_in_the_error(repo: Repo) -> None:
    line = one_error_line(repo.validate("--revision", "\x1b]0;owned\x07main\x1b[2J"))
    assert "\\x1b]0;owned\\x07main\\x1b[2J" in line


def test_gits_own_message_reaches_the_error_escaped(empty: Repo, tmp_path: Path) -> None:
    folder = tmp_path / "odd\x1b[31mname"
    folder.mkdir()
    (folder / ".git").write_text("not a gitfile\n", "utf-8")  # git refuses, naming the path
    tracker = folder / "conditions.toml"
    tracker.write_text(SMALL_TRACKER, "utf-8")
    line = one_error_line(run(tracker, "validate", "--against-git"))
    assert line.startswith("error: "), line
    assert "gitfile" in line and "odd\\x1b[31mname" in line, line


def test_a_file_added_since_the_revision_is_new_not_an_error(repo: Repo) -> None:
    new = repo.folder / "second.toml"
    new.write_bytes(repo.tracker.read_bytes())
    result = run(new, "validate", "--against-git")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{new}: valid")
    assert result.stderr == f"{new}: not in git at HEAD (a new file): every entry in it is new\n"
    # The path is a path, never a pattern: "[c]onditions.toml" is not conditions.toml.
    pattern = repo.folder / "[c]onditions.toml"
    pattern.write_text(SMALL_TRACKER, "utf-8")
    result = run(pattern, "validate", "--against-git")
    assert result.exit_code == 0, result.output
    assert "(a new file)" in result.stderr


def test_a_repository_with_no_commit_yet_has_nothing_to_compare(empty: Repo) -> None:
    empty.log("first", 1)
    result = empty.validate()
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"{empty.tracker}: not in git at HEAD (nothing is committed yet): "
        "every entry in it is new\n"
    )
    # A named revision must exist, though.
    assert "no such commit" in one_error_line(empty.validate("--revision", "main"))


def test_an_older_revision_is_compared_with_as_named(repo: Repo) -> None:
    first = repo.git("rev-parse", "HEAD").strip()
    repo.log("entry 4", 6)
    repo.commit("fourth")
    text = repo.tracker.read_text("utf-8")
    repo.tracker.write_text(text.replace('summary = "entry 4"', 'summary = "entry four"'))
    assert repo.validate("--revision", first).exit_code == 0  # entry 4 is new since then
    assert repo.validate("--revision", "HEAD~1").exit_code == 0
    edited = repo.validate()
    assert edited.exit_code == 2
    assert "changed since HEAD (summary)" in edited.stderr


def test_the_environment_cannot_point_git_at_another_repository(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = Repo(tmp_path / "other", repo.env)
    other.folder.mkdir()
    other.git("init", "-q")
    other.tracker.write_text(SMALL_TRACKER, "utf-8")
    other.commit()
    # A hook of the other repository runs condtrack on this tracker.
    monkeypatch.setenv("GIT_DIR", str(other.folder / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other.folder))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other.folder / ".git" / "index"))
    monkeypatch.setenv("GIT_GLOB_PATHSPECS", "1")
    assert repo.validate().exit_code == 0  # compared with its own repository's HEAD
    repo.tracker.write_text(repo.tracker.read_text("utf-8").replace("entry 2", "entry II"))
    assert "changed since HEAD (summary)" in repo.validate().stderr
