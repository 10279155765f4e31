"""`validate --against-git` in real repositories: which revision, which repository, and
what counts as an edit of committed evidence (compared by id, not by position)."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import Result

from condtrack.git import repo as gitrepo
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


def test_a_tracker_that_is_a_link_is_compared_as_the_file_it_points_to(repo: Repo) -> None:
    (repo.folder / "data").mkdir()
    repo.tracker.rename(repo.folder / "data" / "conditions.toml")
    repo.tracker.symlink_to(Path("data") / "conditions.toml")
    repo.commit("moved")
    assert repo.validate().exit_code == 0
    repo.log("entry 4", 6)  # through the link
    assert repo.validate().exit_code == 0
    text = repo.tracker.read_text("utf-8")
    repo.tracker.write_text(text.replace('summary = "entry 1"', 'summary = "entry one"'))
    assert "changed since HEAD (summary)" in repo.validate().stderr


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


@pytest.fixture
def fresh_version_check() -> Iterator[None]:
    """The git version is checked once a process: check it again, before and after."""
    gitrepo._check_version.cache_clear()
    yield
    gitrepo._check_version.cache_clear()


@pytest.mark.usefixtures("fresh_version_check")
def test_a_git_too_old_for_end_of_options_is_refused_and_a_missing_one_named(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_folder = tmp_path / "old-git"
    bin_folder.mkdir()
    fake = bin_folder / "git"
    fake.write_text('#!/bin/sh\n[ "$1" = version ] && echo "git version 2.29.2" && exit 0\n'
                    "touch ran-git; exit 1\n", "utf-8")  # fmt: skip
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_folder))
    line = one_error_line(repo.validate())
    assert (
        line
        == "error: git 2.29 is too old: condtrack needs git 2.30 or later (for --end-of-options)"
    )
    assert not (repo.folder / "ran-git").exists()  # nothing else was asked of it
    gitrepo._check_version.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert one_error_line(repo.validate()) == "error: git is not installed, or not on PATH"


# --- item 4: committed entries are compared by id -------------------------------------------


def test_deleting_the_first_entry_reports_that_entry_alone_as_deleted(repo: Repo) -> None:
    ids = ids_of(repo)
    head, evidence, retractions = blocks(repo.tracker.read_text("utf-8"))
    repo.tracker.write_text(joined(head, evidence[1:], retractions), "utf-8")
    result = repo.validate()
    assert result.exit_code == 2
    assert audit_lines(result, repo.tracker) == [
        f"evidence {ids[0]!r}: deleted since HEAD (it was evidence #1 there); the log is "
        "append-only: restore it, and withdraw it with `condtrack retract` instead"
    ]
    assert ids[1] not in result.stderr and ids[2] not in result.stderr
    assert "amend" not in result.stderr


def test_an_edit_names_the_entry_by_id_and_field_and_points_to_amend(repo: Repo) -> None:
    ids = ids_of(repo)
    head, evidence, retractions = blocks(repo.tracker.read_text("utf-8"))
    edited = evidence[2].replace('summary = "entry 3"', 'summary = "entry three"')
    repo.tracker.write_text(joined(head, [evidence[1], edited], retractions), "utf-8")
    result = repo.validate()
    assert audit_lines(result, repo.tracker) == [  # in the committed order
        f"evidence {ids[0]!r}: deleted since HEAD (it was evidence #1 there); the log is "
        "append-only: restore it, and withdraw it with `condtrack retract` instead",
        f"evidence #2 (id {ids[2]!r}): changed since HEAD (summary); the log is append-only: "
        "restore it and record a correction with `condtrack amend`",
    ]


def test_entries_moved_but_unchanged_are_not_an_edit(repo: Repo) -> None:
    head, evidence, retractions = blocks(repo.tracker.read_text("utf-8"))
    repo.tracker.write_text(joined(head, evidence[::-1], retractions), "utf-8")
    result = repo.validate()
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{repo.tracker}: valid")


def test_a_deleted_retraction_cannot_be_undone(repo: Repo) -> None:
    ids = ids_of(repo)
    head, evidence, _ = blocks(repo.tracker.read_text("utf-8"))
    repo.tracker.write_text(joined(head, evidence, []), "utf-8")
    result = repo.validate()
    assert result.exit_code == 2
    assert audit_lines(result, repo.tracker) == [
        f"the retraction of {ids[2]!r}: deleted since HEAD (it was retractions #1 there); "
        "a retraction cannot be undone: restore it"
    ]


def test_a_committed_entry_without_an_id_is_matched_by_content(empty: Repo) -> None:
    entry = (
        '\n[[evidence]]\ncondition = "troops"\ndate = 2025-01-02\nsource = "Monitor"\n'
        'summary = "hand-written"\nlogged = 2025-01-02T10:00:00Z\n'
    )
    empty.tracker.write_text(SMALL_TRACKER + entry, "utf-8")
    empty.commit()
    unchanged = empty.validate()  # invalid (no id), but not edited
    assert unchanged.exit_code == 2
    assert audit_lines(unchanged, empty.tracker) == []
    empty.tracker.write_text(SMALL_TRACKER + entry.replace("hand-written", "by hand"), "utf-8")
    assert audit_lines(empty.validate(), empty.tracker) == [
        "evidence #1 at HEAD: has no 'id' there, so it is matched by content alone, and no "
        "entry in the file is the same: it was changed or deleted since; restore it as committed"
    ]


PLACE = re.compile(
    r"^(?:evidence #\d+ \(id '(?P<changed>[^']+)'\)|evidence '(?P<deleted>[^']+)'"
    r"|retractions #\d+ \(of '(?P<r_changed>[^']+)'\)|the retraction of '(?P<r_deleted>[^']+)')"
    r": (?P<message>.*)$"
)
ACTIONS = st.sampled_from(["keep", "edit", "delete"])


def test_exactly_the_entries_edited_or_deleted_are_reported_each_once(empty: Repo) -> None:
    ids = [empty.log(f"entry {n}", n) for n in range(1, 7)]
    for day, target in ((10, ids[0]), (11, ids[3]), (12, ids[5])):
        retracted = run(empty.tracker, "retract", target, "--reason", f"reason {day}",
                        "--date", f"2025-01-{day}")  # fmt: skip
        assert retracted.exit_code == 0, retracted.output
    empty.commit()
    head, evidence, retractions = blocks(empty.tracker.read_text("utf-8"))
    retracted_ids = [ids[0], ids[3], ids[5]]

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        st.lists(ACTIONS, min_size=6, max_size=6),
        st.lists(ACTIONS, min_size=3, max_size=3),
        st.randoms(use_true_random=False),
    )
    def check(on_evidence: list[str], on_retractions: list[str], shuffle: random.Random) -> None:
        expected: dict[tuple[str, str], str] = {}
        kept_evidence, kept_retractions = [], []
        for entry_id, block, action in zip(ids, evidence, on_evidence, strict=True):
            if action == "delete":
                expected[("evidence", entry_id)] = "deleted"
                continue
            if action == "edit":
                expected[("evidence", entry_id)] = "changed"
                block = re.sub(r'summary = "([^"]*)"', r'summary = "\1, edited"', block)
            kept_evidence.append(block)
        for entry_id, block, action in zip(retracted_ids, retractions, on_retractions, strict=True):
            if action == "delete":
                expected[("retraction", entry_id)] = "deleted"
                continue
            if action == "edit":
                expected[("retraction", entry_id)] = "changed"
                block = re.sub(r'reason = "([^"]*)"', r'reason = "\1, edited"', block)
            kept_retractions.append(block)
        shuffle.shuffle(kept_evidence)
        shuffle.shuffle(kept_retractions)
        empty.tracker.write_text(joined(head, kept_evidence, kept_retractions), "utf-8")

        result = empty.validate()
        assert result.exit_code == (2 if expected else 0), result.output
        reported: dict[tuple[str, str], str] = {}
        for line in audit_lines(result, empty.tracker):
            found = PLACE.match(line)
            assert found is not None, line
            kind = "retraction" if found["r_changed"] or found["r_deleted"] else "evidence"
            entry_id = next(v for k, v in found.groupdict().items() if v and k != "message")
            assert (kind, entry_id) not in reported, f"reported twice: {line}"
            how = "changed" if found["changed"] or found["r_changed"] else "deleted"
            reported[(kind, entry_id)] = how
            assert found["message"].startswith(f"{how} since HEAD"), line
            if (kind, how) == ("evidence", "changed"):
                assert "`condtrack amend`" in line and "(summary)" in line, line
            elif (kind, how) == ("evidence", "deleted"):
                assert "`condtrack retract`" in line, line
            elif how == "deleted":
                assert "a retraction cannot be undone" in line, line
            else:
                assert "(reason)" in line, line
        assert reported == expected

    check()


def test_a_revision_without_against_git_is_refused_not_ignored(tracker_file: Path) -> None:
    before = tracker_file.read_bytes()
    result = run(tracker_file, "validate", "--revision", "HEAD~1")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: --revision: it names what --against-git compares with; add --against-git"
    )
    assert tracker_file.read_bytes() == before


def test_committed_relief_is_audited_by_id_like_evidence(empty: Repo) -> None:
    """A committed relief entry deleted or edited is refused, as evidence is: deleting one
    must never be a way to turn `check --require-sequencing` green."""
    added = run(empty.tracker, "relief", "add", "--sender", "US", "--measure", "Belavia",
                "--action", "eased", "--date", "2025-02-01", "--source", "OFAC",
                "--summary", "GL 11")  # fmt: skip
    assert added.exit_code == 0, added.output
    relief_id = added.stdout.strip()
    empty.commit()
    committed = empty.tracker.read_text("utf-8")
    assert empty.validate().exit_code == 0
    head = committed.rpartition("\n[[relief]]\n")[0]
    empty.tracker.write_text(head + "\n", "utf-8")
    deleted = empty.validate()
    assert deleted.exit_code == 2, deleted.output
    assert audit_lines(deleted, empty.tracker) == [
        f"relief {relief_id!r}: deleted since HEAD (it was relief #1 there); the log is "
        "append-only: restore it, and withdraw it with `condtrack retract` instead"
    ]
    empty.tracker.write_text(committed.replace("date = 2025-02-01", "date = 2025-02-03"), "utf-8")
    edited = empty.validate()
    assert edited.exit_code == 2, edited.output
    assert audit_lines(edited, empty.tracker) == [
        f"relief #1 (id {relief_id!r}): changed since HEAD (date); the log is append-only: "
        "restore it and record a correction with `condtrack amend`"
    ]
    empty.tracker.write_text(committed, "utf-8")
    assert empty.validate().exit_code == 0
