"""condtrack in CI: check --format github and junit, validate FILE..., and the shipped
example workflow and pre-commit hook, each run for real.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO, Invoke
from tests.reliability.helpers import (
    ESCAPES,
    TERMINAL_UNSAFE,
    TRACKER,
    evidence_block,
    ok,
    run,
    toml_string,
)

TROOPS_TITLE = '"Foreign troops withdrawn"'


def entry(date: str = "2025-01-10", **fields: str) -> str:
    """A counting [[evidence]] table (graded B2, logged on its date); raw TOML values."""
    return evidence_block(date=date, logged=f"{date}T12:00:00Z", reliability='"B2"', **fields)


# Troops met on 10 January, breached on 1 March: snapback from then on. Prisoners have
# one count from 12 January, stale 180 days later.
HISTORY = (
    entry(id='"ev-met1"', criterion='"bases-closed"', status='"met"')
    + entry(id='"ev-met2"', criterion='"troops-gone"', status='"met"')
    + entry("2025-03-01", id='"ev-gone"', criterion='"troops-gone"', status='"not-met"')
    + entry("2025-01-12", id='"ev-held"', condition='"prisoners"', indicator='"held"', value="900")
)
SCENARIOS = {  # as-of date and --require: each of the gate's three exit codes
    "passes": ("2025-02-01", "troops"),
    "fails": ("2025-02-01", "all"),
    "snapback": ("2025-12-31", "troops"),
}
COMMAND = re.compile(r"::(error|warning) ([^:]*)::(.*)")


@pytest.fixture(autouse=True, scope="module")
def outside_github_actions() -> Iterator[None]:
    """Run as outside a job, even when the suite runs in one: no writing to its summary."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE", "CONDTRACK_FILE"):
            patch.delenv(name, raising=False)
        yield


def tracker(folder: Path, title: str = TROOPS_TITLE, evidence: str = HISTORY) -> Path:
    path = folder / "conditions.toml"
    path.write_text(TRACKER.replace(TROOPS_TITLE, title) + evidence, encoding="utf-8")
    return path


def assessed(source: str) -> str:
    """Evidence that troops' bases are not closed, from ``source`` (a TOML value)."""
    return entry(criterion='"bases-closed"', status='"not-met"', source=source)


def gate_json(path: Path, *args: str) -> dict[str, Any]:
    result = run(path, "check", *args, "--format", "json")
    data: dict[str, Any] = json.loads(result.stdout)
    assert result.exit_code == data["exit_code"]
    return data


def header_lines(path: Path, table: str) -> list[int]:
    lines = path.read_text("utf-8").splitlines()
    return [n for n, line in enumerate(lines, 1) if line.strip() == f"[[{table}]]"]


def unescape(value: str, *, prop: bool) -> str:
    """What the Actions runner makes of escaped data (properties also unescape : and ,)."""
    pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if prop else [])
    for escaped, raw in [*pairs, ("%25", "%")]:
        value = value.replace(escaped, raw)
    return value


def commands(stdout: str) -> list[tuple[str, dict[str, str], str]]:
    """Each workflow command as (kind, properties, message); nothing else but the verdict."""
    *lines, verdict = stdout.removesuffix("\n").split("\n")
    assert verdict.startswith("condtrack check: gate "), verdict
    parsed = []
    for line in lines:
        match = COMMAND.fullmatch(line)
        assert match, line
        props = dict(p.split("=", 1) for p in match.group(2).split(","))
        props = {key: unescape(value, prop=True) for key, value in props.items()}
        parsed.append((match.group(1), props, unescape(match.group(3), prop=False)))
    return parsed


# --- github -------------------------------------------------------------------------------


def test_formats_keep_the_gates_exit_code(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    codes = set()
    for as_of, require in SCENARIOS.values():
        args = ("--as-of", as_of, "--require", require)
        expected = gate_json(path, *args)["exit_code"]
        for output in ("github", "junit"):
            result = run(path, "check", *args, "--format", output)
            assert result.exit_code == expected, (output, result.output)
        codes.add(expected)
    assert codes == {0, 1, 3}


def test_github_annotates_each_failure_on_its_condition(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    gate = gate_json(path, "--as-of", "2025-12-31")
    result = run(path, "check", "--as-of", "2025-12-31", "--format", "github")
    errors = [c for c in commands(result.stdout) if c[0] == "error"]
    assert len(errors) == len(gate["failures"]) > 0
    ids = [c["id"] for c in tomllib.loads(path.read_text("utf-8"))["conditions"]]
    line_of = dict(zip(ids, header_lines(path, "conditions"), strict=True))
    for (_, props, message), failure in zip(errors, gate["failures"], strict=True):
        assert props["file"] == str(path)  # no checkout: the path as given
        assert props["line"] == str(line_of[failure["condition"]])
        assert message.startswith(failure["message"] + "\n")
    snapback = [props["title"] for _, props, _ in errors if props["title"].startswith("SNAPBACK")]
    assert snapback == ["SNAPBACK: Foreign troops withdrawn"]


def test_github_names_the_file_relative_to_the_checkout(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    path = tracker(tmp_path / "sub")
    args = ("check", "--as-of", "2025-12-31", "--format", "github")
    inside = commands(run(path, *args, env={"GITHUB_WORKSPACE": str(tmp_path)}).stdout)
    assert {props["file"] for _, props, _ in inside} == {"sub/conditions.toml"}
    elsewhere = {"GITHUB_WORKSPACE": str(tmp_path / "other")}
    outside = commands(run(path, *args, env=elsewhere).stdout)
    assert {props["file"] for _, props, _ in outside} == {str(path)}


def test_github_warns_of_stale_evidence_at_the_entry(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    fresh = run(path, "check", "--as-of", "2025-02-01", "--format", "github")
    assert [c for c in commands(fresh.stdout) if c[0] == "warning"] == []
    stale = run(path, "check", "--as-of", "2025-12-31", "--format", "github")
    warnings = {p["title"]: (p["line"], m) for k, p, m in commands(stale.stdout) if k == "warning"}
    held_line = header_lines(path, "evidence")[3]  # ev-held, the fourth entry
    line, message = warnings["stale evidence: Prisoners released"]
    assert line == str(held_line)
    assert "2025-01-12" in message and "stale after 180 days" in message


# Printable text and everything the workflow-command syntax gives meaning to, including
# escapes already written out: it must come back exactly after the runner unescapes it.
SYNTAX = (
    st.lists(
        st.characters(blacklist_categories=("Cc", "Cs", "Cf", "Zl", "Zp"))
        | st.sampled_from(["%", "%25", "%0A", "%0D", "%3A", "%2C", "\r", "\n", ":", ",", "="])
        | st.just("\n::error file=x,title=y::injected\n"),
        min_size=1,
        max_size=20,
    )
    .map("".join)
    .filter(lambda text: text.strip() != "" and len(text) <= 300)  # a title's limit
    # Not what condtrack shows as escapes anyway (unassigned default-ignorables, a stray
    # variation selector): those are held by test_github_shows_controls_as_visible_escapes.
    .filter(lambda text: not TERMINAL_UNSAFE.search(text.replace("\r", "").replace("\n", "")))
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=SYNTAX)
@example(text="100%0A%25::warning::x,y:z")
@example(text="a\ufe0f b")  # a variation selector after a character is shown as it is
def test_github_escaping_round_trips_hostile_text(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        evidence = assessed(toml_string(text))
        path = tracker(Path(folder), toml_string(text), evidence)
        result = run(path, "check", "--as-of", "2025-02-01", "--format", "github")
    assert result.exit_code == 1, result.output
    assert "\r" not in result.stdout
    parsed = commands(result.stdout)  # every line is one command: none was injected
    titles = [props["title"] for _, props, _ in parsed]
    assert f"{text}: not-met, required met" in titles
    troops = next(m for _, p, m in parsed if p["title"] == f"{text}: not-met, required met")
    assert f"({text}, B2)" in troops


def test_github_shows_controls_as_visible_escapes(tmp_path: Path) -> None:
    hostile = "a\x1b[31mred\x07 \u202eevil\u2066 \x85next ::error::x"
    evidence = assessed(toml_string(hostile))
    path = tracker(tmp_path, toml_string(hostile), evidence)
    result = run(path, "check", "--as-of", "2025-02-01", "--format", "github")
    assert not TERMINAL_UNSAFE.search(result.stdout.replace("\n", ""))
    assert "\\x1b[31mred\\x07 \\u202eevil" in result.stdout
    lines = result.stdout.removesuffix("\n").split("\n")
    assert all(line.startswith(("::", "condtrack check: ")) for line in lines)


def test_step_summary_is_appended_with_markdown_escaped(tmp_path: Path) -> None:
    path = tracker(tmp_path, toml_string("Troops | <b>out</b> *now*"))
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    args = ("check", "--as-of", "2025-12-31", "--format", "github")
    first = run(path, *args, env=env)
    once = summary.read_text("utf-8")
    second = run(path, *args, env=env)
    assert first.exit_code == second.exit_code == 3
    text = summary.read_text("utf-8")
    assert once.startswith("earlier step\n") and text == once + once.removeprefix("earlier step\n")
    gate = gate_json(path, "--as-of", "2025-12-31")
    rows = [line for line in once.splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) == len(tomllib.loads(path.read_text("utf-8"))["conditions"])
    assert rows[0].startswith(r"| Troops \| &lt;b&gt;out&lt;/b&gt; \*now\* (`troops`) |")
    assert all(f"- {f['message']}" in once for f in gate["failures"])


def test_unwritable_step_summary_warns_and_keeps_the_exit_code(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path)}  # a folder: cannot be appended to
    result = run(path, "check", "--as-of", "2025-12-31", "--format", "github", env=env)
    assert result.exit_code == 3
    assert result.stderr.startswith("warning: cannot append to $GITHUB_STEP_SUMMARY")


# --- junit --------------------------------------------------------------------------------


def junit(path: Path, *args: str) -> ET.Element:
    result = run(path, "check", *args, "--format", "junit")
    assert result.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(result.stdout)


def case_id(case: ET.Element) -> str:
    return "overall" if case.get("classname") == "overall" else case.get("name", "").split(":")[0]


def test_junit_counts_match_the_gate(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    args = ("--as-of", "2025-12-31", "--require", "prisoners", "--min-score", "90")
    root = junit(path, *args)
    gate = gate_json(path, *args)
    (suite,) = root.findall("testsuite")
    cases = {case_id(case): case for case in suite.findall("testcase")}
    conditions = [c["id"] for c in tomllib.loads(path.read_text("utf-8"))["conditions"]]
    assert list(cases) == [*conditions, "overall"]
    failing = {f["condition"] or "overall" for f in gate["failures"]}
    assert {name for name, case in cases.items() if case.find("failure") is not None} == failing
    skipped = {name for name, case in cases.items() if case.find("skipped") is not None}
    assert skipped == set(conditions) - {"prisoners"} - failing != set()
    for element in (root, suite):
        assert element.get("tests") == str(len(cases))
        assert element.get("failures") == str(len(failing))
        assert element.get("skipped") == str(len(skipped))
        assert element.get("errors") == "0"
    assert suite.get("timestamp") == "2025-12-31T00:00:00"
    snapback = cases["troops"].find("failure")
    assert snapback is not None and snapback.get("type") == "snapback"


def test_junit_skips_conditions_outside_the_requirements(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    root = junit(path, "--as-of", "2025-02-01", "--require", "troops")
    cases = {case_id(case): case for case in root.iter("testcase")}
    assert cases["troops"].find("skipped") is None and cases["troops"].find("failure") is None
    assert cases["prisoners"].find("skipped") is not None
    assert root.get("skipped") == str(len(cases) - 1) and root.get("failures") == "0"


# XML 1.0 refuses most controls and the non-characters; markup and "]]>" must stay text.
XML_HOSTILE = (
    st.lists(
        st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00")
        | st.sampled_from(["]]>", "<![CDATA[", "&amp;", '"', "\x1b", "\x0c", "\ufffe", "\uffff"]),
        min_size=1,
        max_size=20,
    )
    .map("".join)
    .filter(lambda text: text.strip() != "")
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=XML_HOSTILE)
def test_junit_parses_whatever_the_text(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        evidence = assessed(toml_string(text))
        path = tracker(Path(folder), toml_string(text), evidence)
        root = junit(path, "--as-of", "2025-02-01")
    troops = next(c for c in root.iter("testcase") if c.get("name", "").startswith("troops: "))
    name = troops.get("name", "")
    if TERMINAL_UNSAFE.search(text) or {"\ufffe", "\uffff"} & set(text):
        assert re.search(r"\\(x|u|U)[0-9a-f]", name)  # shown as visible escapes
    else:
        assert name == f"troops: {text}"
    assert not ESCAPES.search(ET.tostring(root, "unicode"))


def test_junit_output_file_is_written_atomically(tmp_path: Path) -> None:
    path = tracker(tmp_path, toml_string("]]> & \x01 <x/>"))
    report = tmp_path / "out" / "junit.xml"
    report.parent.mkdir()
    result = run(path, "check", "--as-of", "2025-02-01", "--format", "junit", "-o", str(report))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == f"wrote {report}\n"
    names = [c.get("name") for c in ET.parse(report).getroot().iter("testcase")]
    assert "troops: ]]> & \\x01 <x/>" in names
    assert sorted(p.name for p in report.parent.iterdir()) == ["junit.xml"]


def test_output_is_refused_for_github_annotations(cli: Invoke) -> None:
    """GitHub reads workflow commands from standard output; the text may go to a file."""
    result = cli("check", "--format", "github", "--output", "x.xml")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: --output: not with --format github: ")
    assert result.stderr.count("\n") == 1


# --- validate FILE... ---------------------------------------------------------------------


def test_validate_checks_every_file_given(tmp_path: Path, cli: Invoke) -> None:
    good = tracker(tmp_path)
    (tmp_path / "b").mkdir()
    broken = tmp_path / "b" / "conditions.toml"
    broken.write_text("[tracker]\nschema = 1\n", encoding="utf-8")
    malformed = tmp_path / "m.toml"
    malformed.write_text("x = [\n", encoding="utf-8")
    both = ok(cli("validate", str(good), str(good)))
    assert both.stdout.count(f"{good}: valid") == 2
    result = cli("validate", str(broken), str(good), str(malformed))
    assert result.exit_code == 2
    assert f"{good}: valid" in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors[0] == f"error: 2 problems in {broken}"
    assert errors[1].startswith(f"error: {malformed}: malformed TOML")
    assert len(errors) == 2


# --- the shipped workflow -----------------------------------------------------------------

WORKFLOW = REPO / "examples" / "github-workflow.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def workflow() -> dict[str, Any]:
    data: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text("utf-8"))
    # YAML 1.1 reads the key "on" as true.
    data["on"] = data.pop(True, data.get("on"))
    return data


def runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_workflow_triggers_and_steps() -> None:
    data = workflow()
    assert {"push", "pull_request", "schedule"} <= set(data["on"])
    (schedule,) = data["on"]["schedule"]
    assert len(schedule["cron"].split()) == 5
    jobs = data["jobs"]
    assert "push" in jobs["validate"]["if"] and "pull_request" in jobs["validate"]["if"]
    assert "schedule" in jobs["check"]["if"]
    assert any(r.startswith("condtrack validate") for r in runs(jobs["validate"]))
    check = jobs["check"]["steps"]
    commands = [step.get("run", step.get("uses", "")) for step in check]
    gate = next(i for i, c in enumerate(commands) if c.startswith("condtrack check"))
    assert "--format github" in commands[gate]
    report = next(i for i, c in enumerate(commands) if c.startswith("condtrack report"))
    assert "--format html" in commands[report]
    upload = next(i for i, c in enumerate(commands) if c.startswith("actions/upload-artifact@"))
    assert report < upload < gate  # published even when the gate fails the job
    assert check[upload]["with"]["path"] in commands[report].split()


def test_workflow_run_steps_work_on_the_shipped_tracker(tmp_path: Path) -> None:
    """Every ``run:`` step, in order, in a git checkout holding the shipped tracker."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    shutil.copy(REPO / "conditions.toml", checkout / "conditions.toml")
    git = ["git", "-C", str(checkout), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "tracker"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True)
    expressions = {"github.event.pull_request.base.sha": head.stdout.strip()}
    tools = tmp_path / "bin"  # condtrack under test; pip only notes what it would install
    tools.mkdir()
    shim(tools / "condtrack", f'exec "{sys.executable}" -m condtrack "$@"')
    shim(tools / "pip", f'echo "$@" >> "{tmp_path / "pip.log"}"')
    summary = tmp_path / "summary.md"
    data = workflow()
    for name, job in data["jobs"].items():
        for step in job["steps"]:
            if "run" not in step:
                assert step["uses"].startswith("actions/"), step  # GitHub's own steps only
                continue
            env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
            for key, value in {**data.get("env", {}), **step.get("env", {})}.items():
                env[key] = EXPRESSION.sub(lambda m: expressions[m.group(1)], str(value))
            env.update(GITHUB_STEP_SUMMARY=str(summary), GITHUB_WORKSPACE=str(checkout))
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=checkout, env=env, capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
            if step["run"].startswith("condtrack check"):
                gate = gate_json(checkout / "conditions.toml")
                assert done.returncode == gate["exit_code"], done.stderr
                errors = [c for c in commands(done.stdout) if c[0] == "error"]
                assert [p["file"] for _, p, _ in errors] == ["conditions.toml"] * len(
                    gate["failures"]
                )
            else:
                assert done.returncode == 0, (name, step["run"], done.stderr)
    installs = (tmp_path / "pip.log").read_text().splitlines()
    assert installs == [f"install {data['env']['CONDTRACK_PACKAGE']}"] * len(data["jobs"])
    assert (checkout / "briefing.html").read_text("utf-8").startswith("<!DOCTYPE html>")
    assert summary.read_text("utf-8").count("## condtrack check: ") == 1


def shim(path: Path, body: str) -> None:
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)


# --- the shipped pre-commit hook ----------------------------------------------------------


def test_pre_commit_hook_passes_valid_trackers_and_fails_broken_ones(tmp_path: Path) -> None:
    """``pre-commit try-repo`` on this checkout: it builds the hook's environment (~20 s)."""
    project = tmp_path / "project"
    (project / "old").mkdir(parents=True)
    shutil.copy(REPO / "conditions.toml", project / "conditions.toml")
    (project / "old" / "conditions.toml").write_text("[tracker]\nschema = 1\n", "utf-8")
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n", "utf-8")  # not a tracker
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    subprocess.run(["git", "-C", str(project), "add", "."], check=True)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}

    def try_repo(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "condtrack-validate",
             "--files", *files],
            cwd=project, env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip

    valid = try_repo("conditions.toml", "pyproject.toml")
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert "conditions.toml: valid" not in valid.stdout  # passing hooks stay quiet
    assert re.search(r"condtrack validate\.+Passed", valid.stdout), valid.stdout
    broken = try_repo("conditions.toml", "old/conditions.toml", "pyproject.toml")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert re.search(r"condtrack validate\.+Failed", broken.stdout)
    assert "conditions.toml: valid" in broken.stdout
    assert "error: 2 problems in old/conditions.toml" in broken.stdout
    assert "pyproject.toml" not in broken.stdout.split("exit code: 2", 1)[1]
