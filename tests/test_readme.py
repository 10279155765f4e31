"""The README's commands run as a new user would type them, so the README cannot drift.

Every ``sh`` block is run by bash, block after block in one folder as the README tells it
(the tour in a fresh folder, "Working as a team" in a git repository of its own), with the
real ``condtrack`` on PATH. Each command must succeed: exit 0, or for ``check`` the gate's
0, 1 or 3; never a usage error, a traceback or an ``error:`` line. The examples whose output
the README shows (a Markdown report, the CSV and JSON, GitHub annotations, a did-you-mean,
``git-setup``) are compared with what condtrack prints on the shipped file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(
    not (BIN / "condtrack").exists(), reason="the condtrack script is not installed beside Python"
)


def sections() -> dict[str, str]:
    """The README's ``## `` sections by title."""
    parts = re.split(r"^## (.+)$", README, flags=re.MULTILINE)
    return {title.strip(): body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", sections()[section], re.S | re.M)


def commands(block: str) -> list[str]:
    """The block's commands, continuation lines joined (bash reads the comments itself)."""
    joined = re.sub(r"\\\n\s*", " ", block)
    return [line for line in joined.splitlines() if line.strip()]


def environment(home: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CONDTRACK_", "GIT_", "GITHUB_"))
    }
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(home),
        CONDTRACK_CACHE_DIR=str(home / "cache"),
        GIT_AUTHOR_NAME="Anna",
        GIT_AUTHOR_EMAIL="anna@example.org",
        GIT_COMMITTER_NAME="Anna",
        GIT_COMMITTER_EMAIL="anna@example.org",
        GIT_CONFIG_NOSYSTEM="1",
        NO_COLOR="1",
        COLUMNS="120",
    )
    return env


def run_script(lines: list[str], folder: Path, env: dict[str, str]) -> list[tuple[str, int, str]]:
    """Run the commands in one bash, in order; each command's exit code and standard error."""
    script = []
    errors = folder.parent / "stderr"
    errors.mkdir(exist_ok=True)
    for number, line in enumerate(lines):
        # In braces, so a comment at the end of the line cannot swallow the redirection.
        script.append(f"{{ {line}\n}} 2> {shlex.quote(str(errors / str(number)))}")
        script.append(f"echo $? >> {shlex.quote(str(errors / 'codes'))}")
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", "\n".join(script)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert "Traceback" not in done.stderr, done.stderr
    codes = (errors / "codes").read_text().split()
    assert len(codes) == len(lines), (lines, codes, done.stderr)
    return [
        (line, int(code), (errors / str(number)).read_text())
        for number, (line, code) in enumerate(zip(lines, codes, strict=True))
    ]


def assert_succeeded(results: list[tuple[str, int, str]]) -> None:
    for line, code, stderr in results:
        allowed = {0, 1, 3} if re.match(r"\s*condtrack check\b", line) else {0}
        assert code in allowed, f"{line!r} exited {code}: {stderr}"
        assert "Traceback" not in stderr and not re.search(r"^error:", stderr, re.M), (
            f"{line!r}: {stderr}"
        )


def test_the_tour_runs_as_written(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    # The tour starts in the reader's clone: the shipped record and the Venezuela example.
    work = tmp_path / "work"
    (work / "examples").mkdir(parents=True)
    shutil.copyfile(REPO / "conditions.toml", work / "conditions.toml")
    venezuela = Path("examples") / "venezuela-2023.toml"
    shutil.copyfile(REPO / venezuela, work / venezuela)
    tour = [line for block in blocks("A five-minute tour", "sh") for line in commands(block)]
    briefings = [line for block in blocks("Briefings", "sh") for line in commands(block)]
    in_ci = [line for block in blocks("In CI", "sh") for line in commands(block)]
    assert len(tour) > 15 and briefings and in_ci
    results = run_script([*tour, *briefings, *in_ci], work, environment(home))
    assert_succeeded(results)
    tracker = work / "briefing" / "conditions.toml"
    # The tour logged, amended, retracted and imported: all of it is in the file.
    listing = subprocess.run(
        [str(BIN / "condtrack"), "--file", str(tracker), "evidence", "--all", "--format", "json"],
        capture_output=True,
        text=True,
        env=environment(home),
        check=True,
    )
    entries = json.loads(listing.stdout)
    entries = entries.get("evidence", entries) if isinstance(entries, dict) else entries
    assert len(entries) >= 7
    assert (work / "conditions.toml").read_bytes() == (REPO / "conditions.toml").read_bytes()
    assert (work / "briefing" / "briefing.html").read_text(encoding="utf-8").startswith("<!")
    assert (
        (work / "briefing" / "condtrack-junit.xml").read_text(encoding="utf-8").startswith("<?xml")
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_working_as_a_team_runs_as_written(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = environment(home)
    subprocess.run(["git", "config", "--global", "init.defaultBranch", "main"], env=env, check=True)
    team = blocks("Working as a team", "sh")
    setup, two_analysts = team[0], team[1]
    work = tmp_path / "work"
    work.mkdir()
    results = run_script([*commands(setup), *commands(two_analysts)], work, env)
    assert_succeeded(results)
    tracker = work / "briefing" / "conditions.toml"
    text = tracker.read_text(encoding="utf-8")
    assert "Viasna counts 1,140" in text and "Zapad-2025 included" in text
    assert "<<<<<<<" not in text
    # Everything init and git-setup wrote is in git: the schema the tracker's first line
    # names too, so an editor in a clone finds it.
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=work / "briefing", env=env, capture_output=True, text=True
    ).stdout.split()
    assert {"conditions.toml", "condtrack.schema.json", ".gitattributes"} <= set(tracked)
    assert text.splitlines()[0] == "#:schema ./condtrack.schema.json"
    # git-setup prints what it changed, as the README shows it, and nothing the second time.
    shown = re.search(r"prints what it changed.*?```text\n(.*?)```", README, re.S)
    assert shown is not None
    again = subprocess.run(
        ["condtrack", "git-setup"], cwd=work / "briefing", env=env, capture_output=True, text=True
    )
    assert again.returncode == 0 and again.stdout.endswith(": nothing changed\n")
    fresh = tmp_path / "fresh"
    subprocess.run(["git", "init", "-q", str(fresh)], env=env, check=True)
    subprocess.run(["condtrack", "init"], cwd=fresh, env=env, check=True, capture_output=True)
    printed = subprocess.run(
        ["condtrack", "git-setup"], cwd=fresh, env=env, capture_output=True, text=True, check=True
    ).stdout
    expected = shown.group(1).replace("/home/anna/briefing", str(fresh.resolve()))
    assert printed == expected


def shipped(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "condtrack"), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "CONDTRACK_CACHE_DIR": "", **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def test_the_markdown_report_example_is_what_report_prints() -> None:
    section = sections()["Briefings"]
    command = re.search(r"Markdown \(`(condtrack report [^`]*)`, the shipped file", section)
    assert command is not None
    rows = blocks("Briefings", "markdown")[0].splitlines()
    printed = shipped("--file", "conditions.toml", *shlex.split(command.group(1))[1:])
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    for row in rows:
        assert row in lines, row


def test_the_csv_example_is_what_report_prints() -> None:
    shown = list(csv.reader(io.StringIO(blocks("Briefings", "csv")[0])))
    printed = shipped(
        "--file", "conditions.toml", "report", "--format", "csv", "--as-of", "2025-07-01"
    )
    assert printed.returncode == 0, printed.stderr
    actual = list(csv.reader(io.StringIO(printed.stdout.removeprefix("\ufeff"))))
    assert actual[0] == shown[0]  # the columns
    by_condition = {row[0]: row for row in actual}
    for row in shown[1:]:
        real = by_condition[row[0]]
        for expected, got in zip(row, real, strict=False):
            if expected.endswith("..."):  # abridged in the README
                assert got.startswith(expected.removesuffix("..."))
            else:
                assert got == expected, (row[0], expected, got)


def matches(expected: Any, actual: Any) -> bool:
    """Whether the README's abridged JSON (``"...": "..."`` stands for more) fits ``actual``."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key == "..." or (key in actual and matches(value, actual[key]))
            for key, value in expected.items()
        )
    if isinstance(expected, list):
        return isinstance(actual, list) and all(
            any(matches(item, candidate) for candidate in actual) for item in expected
        )
    return bool(expected == actual)


def test_the_json_example_is_what_report_prints() -> None:
    shown = json.loads(blocks("Briefings", "json")[0])
    printed = shipped(
        "--file", "conditions.toml", "report", "--format", "json", "--as-of", shown["as_of"]
    )
    assert printed.returncode == 0, printed.stderr
    assert matches(shown, json.loads(printed.stdout))


def test_the_github_example_is_what_check_prints() -> None:
    block = re.search(
        r"```console\n\$ (condtrack check --format github[^\n]*)\n(.*?)```", README, re.S
    )
    assert block is not None
    printed = shipped(
        "--file",
        "conditions.toml",
        *shlex.split(block.group(1))[1:],
        env={"GITHUB_WORKSPACE": str(REPO), "GITHUB_STEP_SUMMARY": ""},
    )
    assert printed.returncode == 1, printed.stderr
    assert printed.stdout == block.group(2)


def test_the_did_you_mean_example_is_what_condtrack_says() -> None:
    found = re.findall(r"`(condtrack [^`]+)` says `([^`]+)`", README)
    assert found
    for command, message in found:
        printed = shipped(*shlex.split(command)[1:])
        assert printed.returncode == 2
        assert printed.stderr.strip() == message


def test_every_figure_the_readme_logs_cites_a_page_that_was_read() -> None:
    """A reader copies the README's commands, so none may log a figure without its source:
    every ``log`` and ``relief add`` in a ``sh`` block names a grade and a URL, and the URL is
    one the research notes quote from (a page that was read), as the shipped record's are."""
    research = "\n".join(
        path.read_text(encoding="utf-8")
        for path in sorted((REPO / "docs" / "research").glob("*.md"))
    )
    logged = [
        line
        for block in re.findall(r"^```sh\n(.*?)^```", README, re.S | re.M)
        for line in commands(block)
        if re.search(r"\bcondtrack (?:-f \S+ )?(?:log|relief add)\b", line)
    ]
    assert len(logged) >= 8, logged
    for line in logged:
        words = shlex.split(line.split(" #")[0].removeprefix("id=$(").removesuffix(")"))
        assert "--reliability" in words, line
        assert "--url" in words, f"no source URL: {line}"
        url = words[words.index("--url") + 1]
        assert url.startswith("https://") and url in research, f"not a page that was read: {url}"


def test_the_relief_walkthrough_shows_what_status_prints_after_the_tour(tmp_path: Path) -> None:
    """The relief section's `status` sample is what a reader who followed the tour (its
    Viasna import included) and the briefings sees after its two `relief add` lines."""
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    (work / "examples").mkdir(parents=True)
    shutil.copyfile(REPO / "conditions.toml", work / "conditions.toml")
    venezuela = Path("examples") / "venezuela-2023.toml"
    shutil.copyfile(REPO / venezuela, work / venezuela)
    followed = [
        line
        for section in ("A five-minute tour", "Briefings", "Relief: the other side of the bargain")
        for block in blocks(section, "sh")
        for line in commands(block)
    ]
    env = environment(home)
    assert_succeeded(run_script(followed, work, env))
    printed = subprocess.run(
        [str(BIN / "condtrack"), "status"],
        cwd=work / "briefing",
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "80"},  # the width the sample is shown at
        check=True,
    ).stdout
    shown = re.search(r"`status` then ends with:\n\n```text\n(.*?)```", README, re.S)
    assert shown is not None
    lines = [line.rstrip() for line in printed.splitlines()]
    expected = shown.group(1).splitlines()
    assert lines[-len(expected) :] == expected, "\n".join(lines)
