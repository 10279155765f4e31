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


def _hand_written(tmp_path: Path, retraction_logged: str | None, amended_to: str | None) -> Path:
    """An easing on 2025-03-01 (logged 03-02), a reimposition on 04-01 (logged 04-02), and
    the easing retracted (logged at ``retraction_logged``) or re-dated by an amendment
    written before the reimposition."""
    from tests.conftest import SMALL_TRACKER

    def block(entry_id: str, action: str, date: str, logged: str, extra: str = "") -> str:
        return (
            f'\n[[relief]]\nid = "{entry_id}"\nsender = "US"\nmeasure = "m"\n'
            f'action = "{action}"\ndate = {date}\nsource = "s"\nreliability = "A1"\n'
            f'summary = "{action}"\n{extra}logged = {logged}T00:00:00Z\n'
        )

    text = SMALL_TRACKER.replace("schema = 1", "schema = 2")
    text += block("rl-eased00000", "eased", "2025-03-01", "2025-03-02")
    if amended_to is not None:
        extra = 'supersedes = "rl-eased00000"\nreason = "later"\n'
        text += block("rl-redated000", "eased", amended_to, amended_to, extra)
    text += block("rl-reimposed0", "reimposed", "2025-04-01", "2025-04-02")
    if retraction_logged is not None:
        text += (
            '\n[[retractions]]\nevidence = "rl-eased00000"\nreason = "wrong"\n'
            f"date = {retraction_logged}\nlogged = {retraction_logged}T00:00:00Z\n"
        )
    path = tmp_path / "hand.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_refuses_a_reimposition_whose_easing_no_longer_counted(
    tmp_path: Path, cli: Invoke
) -> None:
    for retracted, amended in (("2025-03-10", None), (None, "2025-05-01")):
        path = _hand_written(tmp_path, retracted, amended)
        data = json.loads(cli("validate", "--format", "json", str(path)).stdout)
        (problem,) = data["files"][0]["problems"]
        assert (problem["entry"], problem["field"]) == ("rl-reimposed0", "action")
        assert "which no earlier entry eased" in problem["message"]
    # Retracted after the reimposition was logged: what was recorded stays valid.
    later = _hand_written(tmp_path, "2025-04-10", None)
    assert cli("validate", str(later)).exit_code == 0
    assert cli("validate", str(_hand_written(tmp_path, None, "2025-03-15"))).exit_code == 0


def test_relief_add_refuses_the_same_reimposition(cli: Invoke, tracker_file: Path) -> None:
    entry = _ease(cli)
    assert cli("retract", entry, "--reason", "never happened").exit_code == 0
    before = tracker_file.read_bytes()
    line = ["relief", "add", "--sender", "US", "--measure", "oil", "--source", "s",
            "--summary", "x", "--date", "2025-04-01", "--action"]  # fmt: skip
    refused = cli(*line, "reimposed")
    assert refused.exit_code == 2 and "which no earlier entry eased" in refused.stderr
    assert tracker_file.read_bytes() == before
    redated = _ease(cli)
    assert cli("relief", "amend", redated, "--date", "2025-05-01", "--reason", "r").exit_code == 0
    assert cli(*line, "expired").exit_code == 2
    assert cli(*line[:-2], "2025-05-02", "--action", "reimposed").exit_code == 0
