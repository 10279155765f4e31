"""The trial's smaller findings: errors and help that name the right thing, counts in the
singular, a README example that does what it shows."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from tests.conftest import REPO, Invoke


def _ease(cli: Invoke, *extra: str) -> str:
    done = cli(
        "relief", "add", "--sender", "US", "--measure", "oil", "--action", "eased",
        "--date", "2025-03-01", "--source", "Gazette", "--reliability", "A1",
        "--summary", "oil eased", *extra,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    return str(done.stdout.strip())


def test_validate_json_names_the_relief_entry_of_each_problem(tmp_path: Path, cli: Invoke) -> None:
    from tests.conftest import SMALL_TRACKER

    path = tmp_path / "bad.toml"
    path.write_text(
        SMALL_TRACKER.replace("schema = 1", "schema = 2")
        + '\n[[relief]]\nid = "rl-aaaaaaaaaa"\nsender = "US"\nmeasure = "m"\n'
        'action = "reimposed"\ndate = 2025-01-01\nfor = ["troop"]\nsource = "s"\n'
        'summary = "x"\nlogged = 2025-01-02T00:00:00Z\n',
        encoding="utf-8",
    )
    data = json.loads(cli("validate", "--format", "json", str(path)).stdout)
    problems = data["files"][0]["problems"]
    assert {p["field"] for p in problems} == {"for", "action"}
    assert {p["entry"] for p in problems} == {"rl-aaaaaaaaaa"}


def test_an_empty_for_is_refused_not_read_as_tied_to_none(cli: Invoke, tracker_file: Path) -> None:
    before = tracker_file.read_bytes()
    for given in ("", "troops,,prisoners", " "):
        done = cli(
            "relief", "add", "--sender", "US", "--measure", "oil", "--action", "eased",
            "--source", "s", "--summary", "x", "--for", given,
        )  # fmt: skip
        assert done.exit_code == 2
        assert done.stderr.startswith("error: --for: an empty condition id"), done.stderr
    assert tracker_file.read_bytes() == before


def test_amend_and_retract_help_say_they_take_relief_ids(cli: Invoke) -> None:
    for command in ("amend", "retract"):
        shown = " ".join(cli(command, "-h").stdout.split())
        assert "Evidence or relief id" in shown


def test_errors_name_the_argument_or_option_given(cli: Invoke) -> None:
    entry = _ease(cli)
    assert cli("amend", entry, "--summary", "y", "--reason", "z").exit_code == 0
    again = cli("amend", entry, "--summary", "y2", "--reason", "z")
    assert again.exit_code == 2 and again.stderr.startswith(f"error: ID: {entry} was already")
    moved = cli("amend", again.stdout.strip() or entry, "--condition", "troops", "--reason", "z")
    assert moved.exit_code == 2
    assert moved.stderr.startswith("error: --condition: "), moved.stderr
    assert "relief amend" in moved.stderr


def test_counts_of_one_are_singular(cli: Invoke, log: object) -> None:
    entry = _ease(cli)
    cli("retract", entry, "--reason", "wrong")
    logged = cli(
        "log", "troops", "--summary", "s", "--source", "M", "--date", "2025-01-02", "-r", "B2"
    )
    assert logged.exit_code == 0, logged.output
    said = cli("validate").stdout
    assert "1 evidence entry, 1 retraction, 1 relief entry" in said, said
    assert "2 conditions" in said
    assert "1 relief entry, as of" in cli("relief", "list").stdout
    assert "1 evidence entry" in cli("evidence").stdout


def test_merge_of_a_missing_version_does_not_suggest_init(tmp_path: Path, cli: Invoke) -> None:
    missing = [str(tmp_path / name) for name in ("base.toml", "ours.toml", "theirs.toml")]
    done = cli("merge", *missing)
    assert done.exit_code == 2
    assert done.stderr.startswith(f"error: BASE: {missing[0]} does not exist")
    assert "condtrack init" not in done.stderr


def test_the_readme_relief_example_gives_the_instrument_it_shows(
    tmp_path: Path, cli: Invoke
) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Relief: the other side of the bargain") :]
    block = section[section.index("```sh\n") + 6 : section.index("```", section.index("```sh") + 5)]
    commands = [
        shlex.split(command.replace("\\\n", " "))
        for command in re.split(r"\n(?=condtrack )", block)
        if command.startswith("condtrack relief add")
    ]
    table = section[section.index("```text") : section.index("```", section.index("```text") + 7)]
    row = next(line for line in table.splitlines() if line.strip().startswith("US "))
    path = tmp_path / "readme" / "conditions.toml"
    assert cli("init", str(path), file=path).exit_code == 0
    for words in commands:
        done = cli(*words[1:], file=path)
        assert done.exit_code == 0, done.output
    (measure,) = json.loads(cli("status", "--format", "json", file=path).stdout)["relief"]
    assert measure["instrument"] and measure["instrument"] in row
    assert measure["measure"] in row and measure["since"] in row
