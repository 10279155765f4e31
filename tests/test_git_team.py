"""A team in git: `condtrack git-setup`, then real merges and rebases run by git itself."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SMALL_TRACKER

GIT = shutil.which("git")
BIN = Path(sys.executable).parent
CONDTRACK = BIN / "condtrack"  # the test environment's own command

pytestmark = pytest.mark.skipif(
    GIT is None or not CONDTRACK.is_file(), reason="needs git and an installed condtrack command"
)


@dataclass
class Repo:
    folder: Path
    env: dict[str, str]

    @property
    def tracker(self) -> Path:
        return self.folder / "conditions.toml"

    def git(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        assert GIT is not None
        done = subprocess.run(
            [GIT, *args], cwd=self.folder, env=self.env, capture_output=True, text=True, timeout=60
        )
        assert not ok or done.returncode == 0, done.stderr
        return done

    def condtrack(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(CONDTRACK), *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert not ok or done.returncode == 0, done.stderr
        return done

    def log(self, condition: str, summary: str, *fields: str) -> str:
        done = self.condtrack("log", condition, "--summary", summary, "--source", "Monitor",
                              "--reliability", "B2", *fields)  # fmt: skip
        return done.stdout.strip()

    def commit(self, message: str) -> None:
        self.git("commit", "-q", "-am", message)

    def evidence(self) -> dict[str, dict[str, object]]:
        document = tomllib.loads(self.tracker.read_text("utf-8"))
        return {entry["id"]: entry for entry in document.get("evidence", [])}

    def retracted(self) -> set[str]:
        document = tomllib.loads(self.tracker.read_text("utf-8"))
        return {r["evidence"] for r in document.get("retractions", [])}


def git_env(tmp_path: Path, path: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "CONDTRACK_"))}
    return env | {
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CEILING_DIRECTORIES": str(tmp_path),
        "GIT_AUTHOR_NAME": "Analyst",
        "GIT_AUTHOR_EMAIL": "analyst@example.org",
        "GIT_COMMITTER_NAME": "Analyst",
        "GIT_COMMITTER_EMAIL": "analyst@example.org",
        "PATH": path,
    }


@pytest.fixture
def fresh(tmp_path: Path) -> Repo:
    """A repository holding a tracker, with `condtrack` on the PATH git will use."""
    repo = Repo(tmp_path / "team", git_env(tmp_path, f"{BIN}{os.pathsep}{os.environ['PATH']}"))
    repo.folder.mkdir()
    repo.git("-c", "init.defaultBranch=main", "init", "-q")
    repo.tracker.write_text(SMALL_TRACKER, "utf-8")
    return repo


@pytest.fixture
def repo(fresh: Repo) -> Repo:
    """The same, set up for condtrack and committed with two entries in the log."""
    fresh.condtrack("git-setup")
    fresh.log("troops", "base: bases open", "--criterion", "bases-closed", "--status", "not-met")
    fresh.log("prisoners", "base: count", "--indicator", "held", "--value", "900")
    fresh.git("add", "-A")
    fresh.git("commit", "-q", "-m", "tracker")
    return fresh


def test_git_setup_registers_the_driver_and_a_second_run_changes_nothing(fresh: Repo) -> None:
    (fresh.folder / ".gitattributes").write_text("*.png binary", "utf-8")  # no final newline
    first = fresh.condtrack("git-setup")
    assert first.stdout.splitlines() == [
        "git config merge.condtrack.name 'condtrack: merge tracker files entry by entry'",
        "git config merge.condtrack.driver 'condtrack merge -- %O %A %B %P'",
        f"added 'conditions.toml merge=condtrack' to {fresh.folder.resolve()}/.gitattributes",
    ]
    driver = fresh.git("config", "--local", "merge.condtrack.driver").stdout
    assert driver == "condtrack merge -- %O %A %B %P\n"
    attributes = (fresh.folder / ".gitattributes").read_text("utf-8")
    assert attributes == "*.png binary\nconditions.toml merge=condtrack\n"
    assert fresh.git("check-attr", "merge", "conditions.toml").stdout.endswith(": condtrack\n")
    config = (fresh.folder / ".git" / "config").read_bytes()
    second = fresh.condtrack("git-setup")
    assert second.stdout == f"already set up for {fresh.tracker}: nothing changed\n"
    assert (fresh.folder / ".gitattributes").read_text("utf-8") == attributes
    assert (fresh.folder / ".git" / "config").read_bytes() == config


def test_git_setup_marks_a_tracker_in_a_subfolder_by_its_path_from_the_root(fresh: Repo) -> None:
    folder = fresh.folder / "briefing notes"
    folder.mkdir()
    tracker = folder / "conditions.toml"
    fresh.tracker.rename(tracker)
    done = fresh.condtrack("--file", str(tracker), "git-setup")
    line = '"briefing notes/conditions.toml" merge=condtrack'
    assert f"added '{line}'" in done.stdout
    checked = fresh.git("check-attr", "merge", "--", "briefing notes/conditions.toml").stdout
    assert checked.endswith(": merge: condtrack\n")
    assert fresh.git("check-attr", "merge", "--", "conditions.toml").stdout.endswith(
        "unspecified\n"
    )


def test_git_setup_outside_a_repository_is_a_one_line_error(tmp_path: Path) -> None:
    outside = Repo(tmp_path / "loose", git_env(tmp_path, os.environ["PATH"]))
    outside.folder.mkdir()
    outside.tracker.write_text(SMALL_TRACKER, "utf-8")
    done = outside.condtrack("git-setup", ok=False)
    assert done.returncode == 2
    assert done.stderr == (
        f"error: {outside.tracker} is not in a git repository; run `git init` in its folder first\n"
    )
    assert not (outside.folder / ".gitattributes").exists()


def test_git_setup_registers_this_condtrack_by_path_when_path_finds_another(
    fresh: Repo, tmp_path: Path
) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    impostor = other / "condtrack"
    impostor.write_text("#!/bin/sh\nexit 99\n", "utf-8")
    impostor.chmod(0o755)
    fresh.env["PATH"] = f"{other}{os.pathsep}{os.environ['PATH']}"  # no test venv on it
    done = fresh.condtrack("git-setup")
    assert done.stdout.splitlines()[0] == (
        f"registering {shlex.quote(str(CONDTRACK))}: `condtrack` on PATH finds {impostor}, "
        "not this one (an unactivated virtual environment?)"
    )
    driver = fresh.git("config", "--local", "merge.condtrack.driver").stdout.strip()
    assert driver == f"{shlex.quote(str(CONDTRACK))} merge -- %O %A %B %P"
    # Git now runs this condtrack, though the one on its PATH would fail.
    fresh.git("add", "-A")
    fresh.git("commit", "-q", "-m", "tracker")
    fresh.git("switch", "-q", "-c", "side")
    fresh.log("troops", "on a branch")
    fresh.commit("side")
    fresh.git("switch", "-q", "main")
    fresh.log("prisoners", "on main")
    fresh.commit("main")
    assert fresh.git("merge", "--no-edit", "side", ok=False).returncode == 0
    assert len(fresh.evidence()) == 2


def branches(repo: Repo) -> dict[str, str]:
    """Anna logs and retracts; Boris logs and amends; each from the same commit."""
    base_ids = list(repo.evidence())
    repo.git("switch", "-q", "-c", "anna")
    ids = {"anna-1": repo.log("troops", "anna: bases", "--criterion", "bases-closed",
                              "--status", "partial", "--date", "2025-03-01")}  # fmt: skip
    repo.commit("anna: bases")
    ids["anna-2"] = repo.log("prisoners", "anna: freed", "--indicator", "freed", "--value", "12")
    repo.condtrack("retract", base_ids[0], "--reason", "misread the report")
    repo.commit("anna: freed; retract")
    repo.git("switch", "-q", "main")
    repo.git("switch", "-q", "-c", "boris")
    ids["boris-1"] = repo.log("prisoners", "boris: count", "--indicator", "held", "--value", "870")
    ids["amendment"] = repo.condtrack("amend", base_ids[1], "--value", "910",
                                      "--reason", "recount").stdout.strip()  # fmt: skip
    repo.commit("boris: count; amend")
    return ids | {"base-1": base_ids[0], "base-2": base_ids[1]}


def test_branches_that_log_merge_cleanly_and_the_same_either_way(repo: Repo) -> None:
    ids = branches(repo)
    results = {}
    for into, other in (("anna", "boris"), ("boris", "anna")):
        repo.git("switch", "-q", "-c", f"{into}-merge", into)
        merged = repo.git("merge", "--no-edit", other, ok=False)
        assert merged.returncode == 0, merged.stdout + merged.stderr
        assert "CONFLICT" not in merged.stdout
        assert set(repo.evidence()) == set(ids.values())
        assert repo.retracted() == {ids["base-1"]}
        assert repo.evidence()[ids["amendment"]]["supersedes"] == ids["base-2"]
        assert repo.condtrack("validate").stdout.startswith(f"{repo.tracker}: valid")
        results[into] = repo.tracker.read_bytes()
    assert results["anna"] == results["boris"]


def test_a_rebase_replays_logged_evidence_without_conflict(repo: Repo) -> None:
    ids = branches(repo)
    rebased = repo.git("rebase", "anna", ok=False)  # boris onto anna
    assert rebased.returncode == 0, rebased.stdout + rebased.stderr
    assert set(repo.evidence()) == set(ids.values())
    assert repo.condtrack("validate").returncode == 0
    assert repo.git("log", "--format=%s").stdout.splitlines()[:3] == [
        "boris: count; amend",
        "anna: freed; retract",
        "anna: bases",
    ]


def test_a_true_conflict_stops_git_with_markers_for_a_person_to_resolve(repo: Repo) -> None:
    title = 'title = "Foreign troops withdrawn"'
    repo.git("switch", "-q", "-c", "anna")
    repo.tracker.write_text(repo.tracker.read_text("utf-8").replace(title, 'title = "Troops out"'))
    anna = repo.log("prisoners", "anna")
    repo.commit("anna: retitle")
    repo.git("switch", "-q", "main")
    repo.tracker.write_text(repo.tracker.read_text("utf-8").replace(title, 'title = "Troops gone"'))
    main = repo.log("prisoners", "main")
    repo.commit("main: retitle")

    merged = repo.git("merge", "--no-edit", "anna", ok=False)
    assert merged.returncode != 0
    assert "CONFLICT (content): Merge conflict in conditions.toml" in merged.stdout
    assert (
        "conflict: conditions.toml: condition 'troops' was changed differently on both sides "
        "(title)" in merged.stderr
    )
    assert repo.git("status", "--porcelain").stdout == "UU conditions.toml\n"
    text = repo.tracker.read_text("utf-8")
    start, middle, end = (
        text.index(m) for m in ("<<<<<<< ours\n", "=======\n", ">>>>>>> theirs\n")
    )
    assert 'title = "Troops gone"' in text[start:middle]
    assert 'title = "Troops out"' in text[middle:end]
    assert repo.condtrack("validate", ok=False).returncode == 2  # markers are not TOML

    # The person keeps theirs, checks, and concludes the merge; both entries are there.
    repo.tracker.write_text(text[:start] + text[middle + 8 : end] + text[end + 15 :], "utf-8")
    assert repo.condtrack("validate").returncode == 0
    repo.git("add", "conditions.toml")
    repo.git("commit", "-q", "--no-edit")
    assert {anna, main} <= set(repo.evidence())
    assert tomllib.loads(repo.tracker.read_text("utf-8"))["conditions"][0]["title"] == "Troops out"


def test_a_tracker_named_like_an_option_is_merged_as_a_file(fresh: Repo) -> None:
    # Git hands the driver the file's name (%P): it must stay a name, not become an option.
    fresh.tracker.rename(fresh.folder / "-v.toml")
    tracker = "--file=-v.toml"
    setup = fresh.condtrack(tracker, "git-setup")
    assert "added '-v.toml merge=condtrack'" in setup.stdout
    fresh.git("add", "-A")
    fresh.git("commit", "-q", "-m", "tracker")
    fresh.git("switch", "-q", "-c", "side")
    fresh.condtrack(tracker, "log", "troops", "--summary", "on a branch", "--source", "Monitor")
    fresh.commit("side")
    fresh.git("switch", "-q", "main")
    fresh.condtrack(tracker, "log", "prisoners", "--summary", "on main", "--source", "Monitor")
    fresh.commit("main")
    merged = fresh.git("merge", "--no-edit", "side", ok=False)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    document = tomllib.loads((fresh.folder / "-v.toml").read_text("utf-8"))
    summaries = {entry["summary"] for entry in document["evidence"]}
    assert summaries == {"on a branch", "on main"}
