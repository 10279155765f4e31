"""One command-line convention: settings as options shown with their environment variables,
--file before or after the command, repeatable --require, help that shows what a value is."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from condtrack.cli import app
from condtrack.cli.app import COMMANDS
from tests.conftest import Invoke


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CONDTRACK_", "NO_COLOR"))}
    base.pop("FORCE_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "condtrack", *args],
        cwd=cwd,
        env={**base, "CONDTRACK_CACHE_DIR": "", **env},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def test_every_environment_variable_is_an_option_shown_in_help() -> None:
    shown = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).stdout
    for option, variable in (
        ("--file", "CONDTRACK_FILE"),
        ("--cache-dir", "CONDTRACK_CACHE_DIR"),
        ("--lock-timeout", "CONDTRACK_LOCK_TIMEOUT"),
        ("--debug", "CONDTRACK_DEBUG"),
    ):
        assert option in shown and f"env var: {variable}" in shown
    assert "--color" in shown


@pytest.mark.parametrize("name", ["", *COMMANDS])
def test_help_never_shows_a_type_where_a_name_belongs(name: str) -> None:
    argv = [name, "--help"] if name else ["--help"]
    shown = CliRunner().invoke(app, argv, env={"COLUMNS": "200"}).stdout
    assert not re.findall(r"<(bool|str|path|list\[str\]|float range|int range)>", shown), shown


def test_color_always_and_never_override_the_environment(tmp_path: Path) -> None:
    assert run("init", cwd=tmp_path).returncode == 0
    always = run("--color", "always", "status", cwd=tmp_path, NO_COLOR="1")
    never = run("--color", "never", "status", cwd=tmp_path, FORCE_COLOR="1")
    auto = run("status", cwd=tmp_path)  # not a terminal: no colour
    assert "\x1b[" in always.stdout
    assert "\x1b[" not in never.stdout and "\x1b[" not in auto.stdout
    assert never.stdout == auto.stdout


def test_the_cache_dir_option_keeps_records_where_it_says(tmp_path: Path) -> None:
    tracker = tmp_path / "conditions.toml"
    assert run("init", cwd=tmp_path).returncode == 0
    cache = tmp_path / "records"
    logged = run(
        "--cache-dir", str(cache), "log", "russian-forces", "--summary", "s",
        "--source", "S", "--date", "2025-01-01", cwd=tmp_path,
    )  # fmt: skip
    assert logged.returncode == 0, logged.stderr
    assert any(cache.rglob("*")), "a write leaves a record in the folder named"
    assert tracker.exists()


def test_a_bad_lock_timeout_option_is_refused_as_the_variable_is(tmp_path: Path) -> None:
    """The same rule and words, each naming where the value came from."""
    assert run("init", cwd=tmp_path).returncode == 0
    before = (tmp_path / "conditions.toml").read_bytes()
    by_option = run(
        "--lock-timeout", "soon", "log", "russian-forces", "--summary", "s", "--source", "S",
        cwd=tmp_path,
    )  # fmt: skip
    by_variable = run(
        "log", "russian-forces", "--summary", "s", "--source", "S", cwd=tmp_path,
        CONDTRACK_LOCK_TIMEOUT="soon",
    )  # fmt: skip
    assert by_option.returncode == by_variable.returncode == 2
    rule = "must be a finite number of seconds >= 0, not 'soon'\n"
    assert by_option.stderr == f"error: --lock-timeout {rule}"
    assert by_variable.stderr == f"error: $CONDTRACK_LOCK_TIMEOUT {rule}"
    assert (tmp_path / "conditions.toml").read_bytes() == before


def test_the_options_leave_the_callers_environment_as_it_was(cli: Invoke) -> None:
    before = {k: os.environ.get(k) for k in ("NO_COLOR", "FORCE_COLOR", "CONDTRACK_CACHE_DIR")}
    assert cli("--color", "never", "--cache-dir", "", "status").exit_code == 0
    assert cli("--color", "always", "conditions").exit_code == 0
    assert {k: os.environ.get(k) for k in before} == before


@pytest.mark.parametrize(
    "argv",
    [
        ["-f", "{t}", "status", "--format", "json"],
        ["status", "-f", "{t}", "--format", "json"],
        ["status", "--format", "json", "--file", "{t}"],
        ["status", "--format", "json", "--file={t}"],
        ["status", "--format", "json", "-f{t}"],
    ],
)
def test_file_before_or_after_the_command(argv: list[str], tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert run("init", "t.toml", cwd=elsewhere).returncode == 0
    words = [word.replace("{t}", str(elsewhere / "t.toml")) for word in argv]
    done = run(*words, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["title"]


def test_an_option_value_that_looks_like_file_stays_a_value(tmp_path: Path) -> None:
    assert run("init", cwd=tmp_path).returncode == 0
    done = run(
        "log", "russian-forces", "--summary", "-f", "--source", "--file", "--date", "2025-01-01",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    shown = json.loads(run("evidence", "--format", "json", cwd=tmp_path).stdout)
    entries = shown if isinstance(shown, list) else shown["evidence"]
    assert (entries[0]["summary"], entries[0]["source"]) == ("-f", "--file")


def test_file_after_the_command_with_no_path_is_one_line(tmp_path: Path) -> None:
    done = run("status", "-f", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: option '-f' requires an argument; see '")
    assert done.stderr.count("\n") == 1


def test_require_is_repeatable_and_takes_commas_too(cli: Invoke) -> None:
    def required(*argv: str) -> list[str]:
        result = cli("check", "--format", "json", "--as-of", "2025-01-01", *argv)
        assert result.exit_code in (0, 1), result.output
        data = json.loads(result.stdout)
        return sorted({f["condition"] for f in data["failures"]})

    assert required("--require", "troops", "--require", "prisoners") == ["prisoners", "troops"]
    assert required("--require", "troops,prisoners") == ["prisoners", "troops"]
    assert required("--require", "troops", "--require", "all") == required("--require", "all")
    bad = cli("check", "--require", "troops", "--require", "nosuch")
    assert bad.exit_code == 2 and "unknown condition 'nosuch'" in bad.stderr


def test_every_setting_works_after_the_command_too(tmp_path: Path) -> None:
    assert run("init", cwd=tmp_path).returncode == 0
    before = run("--color", "never", "--cache-dir", "", "status", cwd=tmp_path, FORCE_COLOR="1")
    after = run("status", "--color=never", "--cache-dir", "", cwd=tmp_path, FORCE_COLOR="1")
    assert before.returncode == after.returncode == 0
    assert after.stdout == before.stdout and "\x1b[" not in after.stdout
    logged = run(
        "log", "russian-forces", "--summary", "--color", "--source", "S", "--debug",
        "--date", "2025-01-01", cwd=tmp_path,
    )  # fmt: skip
    assert logged.returncode == 0, logged.stderr
    shown = json.loads(run("evidence", "--format", "json", cwd=tmp_path).stdout)
    entries = shown if isinstance(shown, list) else shown["evidence"]
    assert entries[0]["summary"] == "--color"  # a value, not the setting


def test_a_bad_lock_timeout_option_is_refused_by_every_command(tmp_path: Path) -> None:
    """A bad value on the command line is refused whatever the command; a bad variable
    only by a command that locks (tests/test_lock_timeout_source.py)."""
    assert run("init", cwd=tmp_path).returncode == 0
    for argv in (["status"], ["conditions"], ["report"]):
        done = run("--lock-timeout", "nan", *argv, cwd=tmp_path, CONDTRACK_LOCK_TIMEOUT="-1")
        assert done.returncode == 2
        assert done.stderr.startswith("error: --lock-timeout must be a finite number")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make a link owned by another user")
def test_an_output_that_is_another_users_link_is_not_followed(tmp_path: Path) -> None:
    assert run("init", cwd=tmp_path).returncode == 0
    secret = tmp_path / "private" / "key"
    secret.parent.mkdir()
    secret.write_text("SECRET", encoding="utf-8")
    planted = tmp_path / "out.md"
    planted.symlink_to(secret)
    os.lchown(planted, 65534, 65534)  # nobody's link in a shared folder
    done = run("report", "-o", "out.md", cwd=tmp_path)
    assert done.returncode == 2
    assert "symbolic link that belongs to another user" in done.stderr
    assert secret.read_text(encoding="utf-8") == "SECRET"


def test_init_never_writes_its_schema_through_a_link(tmp_path: Path) -> None:
    assert run("init", cwd=tmp_path).returncode == 0
    tracker = tmp_path / "conditions.toml"
    before = tracker.read_bytes()
    (tmp_path / "condtrack.schema.json").unlink()
    (tmp_path / "condtrack.schema.json").symlink_to("conditions.toml")
    done = run("init", "other.toml", cwd=tmp_path)
    assert done.returncode == 2 and "is a symbolic link" in done.stderr
    assert tracker.read_bytes() == before
    assert not (tmp_path / "other.toml").exists()


# --- one DATE type -------------------------------------------------------------------------

# Arguments each command needs besides the option under test, so that only the date is wrong.
NEEDS = {
    "explain": ["troops"],
    "history": ["ev-x"],
    "amend": ["ev-x", "--reason", "r"],
    "retract": ["ev-x", "--reason", "r"],
    "log": ["troops", "-s", "s", "--source", "S"],
    "diff": ["--since", "2025-01-01"],
}


def command_params() -> list[tuple[str, Any]]:
    """Every (command name, parameter) of every command, as Click sees them."""
    import typer.main

    group = typer.main.get_command(app)
    context = group.make_context("condtrack", ["status"], resilient_parsing=True)
    found = []
    for name in COMMANDS:
        command = group.get_command(context, name)  # type: ignore[attr-defined]
        found += [(name, param) for param in command.params]
    return found


def date_options() -> list[tuple[str, str]]:
    named = [(name, param.opts[0]) for name, param in command_params() if param.metavar == "DATE"]
    return sorted(set(named))


def test_every_date_option_is_the_date_type() -> None:
    """Each option whose value is a day shows DATE, and is one of those tested below."""
    options = date_options()
    dated = {
        (name, param.opts[0])
        for name, param in command_params()
        if {"--as-of", "--since", "--until", "--date"} & set(param.opts)
    }
    assert dated == set(options)
    assert {option for _, option in options} == {"--as-of", "--since", "--until", "--date"}


@pytest.mark.parametrize(("command", "option"), date_options())
@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("2025-02-30", "'2025-02-30' is not a valid date (use YYYY-MM-DD)"),
        ("yesterday", "'yesterday' is not a valid date (use YYYY-MM-DD)"),
        ("1899-12-31", "1899-12-31 is implausibly old (before 1900)"),
    ],
)
def test_a_bad_date_has_one_wording_naming_the_option_as_click_does(
    cli: Invoke, tracker_file: Path, command: str, option: str, bad: str, why: str
) -> None:
    before = tracker_file.read_bytes()
    result = cli(command, *NEEDS.get(command, []), option, bad)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: Invalid value for '{option}': {why}; see 'condtrack {command} -h'\n"
    )
    assert tracker_file.read_bytes() == before


@pytest.mark.parametrize("command", ["log", "amend", "retract"])
def test_the_day_of_an_event_is_never_in_the_future(cli: Invoke, command: str) -> None:
    import datetime as dt

    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    result = cli(command, *NEEDS[command], "--date", tomorrow)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: Invalid value for '--date': {tomorrow} is in the future (today is "
    )


# --- choices: Click's usage error with a did-you-mean, not a parsed message ----------------


def choice_params() -> list[tuple[str, Any]]:
    return [
        (name, param)
        for name, param in [("", p) for p in global_params()] + command_params()
        if param.type_descriptor.is_choice
    ]


def global_params() -> list[Any]:
    import typer.main

    return list(typer.main.get_command(app).params)


def test_every_choice_is_the_choice_type() -> None:
    """A choice without it would get Typer's own message ("Value error, ..."), unsuggested."""
    from condtrack.cli.app import Choice

    found = choice_params()
    assert len(found) >= 12  # every --format, --color, --status, --clear, schema's WHAT
    for name, param in found:
        parser = param.type_descriptor.parameter_info.parser
        assert isinstance(parser, Choice), (name, param.opts)


@pytest.mark.parametrize(
    ("command", "param"),
    choice_params(),
    ids=lambda v: v if isinstance(v, str) else "-".join(v.opts),
)
def test_a_mistyped_choice_gets_a_did_you_mean(cli: Invoke, command: str, param: Any) -> None:
    choices = [str(c.value) for c in param.type_descriptor.choices]
    wanted = choices[-1]
    typo = wanted + "x"
    option = param.opts[0]
    place = [typo] if option == param.name else [option, typo]
    argv = [*place, "status"] if not command else [command, *NEEDS.get(command, []), *place]
    result = cli(*argv)
    assert result.exit_code == 2
    shown = ", ".join(repr(c) for c in choices)
    hint = param.metavar if option == param.name else option
    assert result.stderr == (
        f"error: Invalid value for '{hint}': {typo!r} is not one of {shown}; "
        f"did you mean {wanted!r}?\n"
    )
    assert "Value error" not in result.stderr


# --- Typer's classes, not patched instances ------------------------------------------------


def test_help_and_parsing_come_from_classes_not_patched_instances(cli: Invoke) -> None:
    """Help names (no <bool>, an argument without its type) and text read as UTF-8 are the
    work of condtrack's command classes; no command or parameter has a method of its own."""
    import typer.main

    for name in ("", *COMMANDS):
        assert CliRunner().invoke(app, [name, "-h"] if name else ["-h"]).exit_code == 0
    assert cli("explain", "troops").exit_code == 0
    patched = {"process_value", "display_type_rich", "get_help_option", "get_params"}
    group = typer.main.get_command(app)
    context = group.make_context("condtrack", ["status"], resilient_parsing=True)
    objects: list[Any] = [group, *global_params(), group.get_help_option(context)]
    commands = [group.get_command(context, name) for name in COMMANDS]  # type: ignore[attr-defined]
    for command in commands:
        objects += [command, *command.get_params(context)]
    for thing in objects:
        assert not patched & set(vars(thing)), (thing, patched & set(vars(thing)))
    groups = [command for command in commands if type(command).__name__ == "Group"]
    subcommands = [sub for group in groups for sub in group.commands.values()]
    for command in subcommands:
        objects += [command, *command.get_params(context)]
    for thing in objects:
        assert not patched & set(vars(thing)), (thing, patched & set(vars(thing)))
    assert {type(command).__name__ for command in commands} == {"Command", "Group"}
    assert {type(command).__name__ for command in subcommands} == {"Command"}


# --- one output convention ------------------------------------------------------------------

# Every command that prints data, with what it needs to print some.
PRINTS = {
    "status": [],
    "explain": ["troops"],
    "evidence": [],
    "history": ["{id}"],
    "conditions": [],
    "diff": ["--since", "2025-01-01"],
    "report": [],
    "check": [],
    "validate": [],
    "schema": [],
}


def formats_of(name: str) -> list[str]:
    params = dict(command_params_of(name))
    return [str(c.value) for c in params["--format"].type_descriptor.choices]


def command_params_of(name: str) -> list[tuple[str, Any]]:
    return [(p.opts[0], p) for command, p in command_params() if command == name]


@pytest.mark.parametrize("name", PRINTS)
def test_every_command_that_prints_data_takes_format_and_output(name: str) -> None:
    params = command_params_of(name)
    names = {option for _, p in params for option in p.opts}
    assert {"--format", "--output", "-o"} <= names
    assert "table" not in formats_of(name)  # the old name is not offered
    if name not in ("report", "schema"):  # report's own is markdown; a schema is JSON
        assert formats_of(name)[0] == "text", "the human format is text, and the default"
        assert "json" in formats_of(name)


def filled(cli: Invoke, log: Any) -> dict[str, str]:
    entry = log("troops", criterion="bases-closed", status="met", date="2025-03-01")
    log("prisoners", indicator="held", value="12", date="2025-02-01")
    return {"{id}": entry}


@pytest.mark.parametrize("name", PRINTS)
def test_output_writes_what_standard_output_shows_in_every_format(
    cli: Invoke, log: Any, tracker_file: Path, tmp_path: Path, name: str
) -> None:
    ids = filled(cli, log)
    args = [ids.get(word, word) for word in PRINTS[name]]
    for fmt in formats_of(name):
        if (name, fmt) == ("check", "github"):
            continue  # GitHub reads its annotations from standard output
        shown = cli(name, *args, "--format", fmt, env={"COLUMNS": "100"})
        assert shown.exit_code in (0, 1), (fmt, shown.output)
        target = tmp_path / f"{name}.{fmt}.out"
        written = cli(name, *args, "--format", fmt, "-o", str(target), env={"COLUMNS": "100"})
        assert written.exit_code == shown.exit_code, (fmt, written.output)
        assert written.stdout == "" and written.stderr == f"wrote {target}\n"
        assert target.read_text(encoding="utf-8") == shown.stdout, fmt
        dash = cli(name, *args, "--format", fmt, "-o", "-", env={"COLUMNS": "100"})
        assert dash.stdout == shown.stdout, fmt


@pytest.mark.parametrize("name", PRINTS)
def test_output_never_replaces_the_tracker(
    cli: Invoke, log: Any, tracker_file: Path, name: str
) -> None:
    ids = filled(cli, log)
    before = tracker_file.read_bytes()
    args = [ids.get(word, word) for word in PRINTS[name]]
    fmt = "json" if name != "report" else "markdown"
    result = cli(name, *args, "--format", fmt, "-o", str(tracker_file))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "tracker" in result.stderr
    assert tracker_file.read_bytes() == before


@pytest.mark.parametrize("name", ["status", "evidence", "history", "conditions", "diff"])
def test_table_is_still_accepted_as_text_but_not_offered(cli: Invoke, log: Any, name: str) -> None:
    ids = filled(cli, log)
    args = [ids.get(word, word) for word in PRINTS[name]]
    text = cli(name, *args, "--format", "text")
    table = cli(name, *args, "--format", "table")
    assert text.exit_code == table.exit_code == 0
    assert table.stdout == text.stdout and table.stderr == ""
    shown = CliRunner().invoke(app, [name, "-h"], env={"COLUMNS": "200"}).stdout
    assert "table" not in shown.replace("tables", "") and "text" in shown
    typo = cli(name, *args, "--format", "tabel")
    assert typo.stderr.startswith("error: Invalid value for '--format': 'tabel' is not one of '")
    assert "'table'" not in typo.stderr


def test_explain_as_json_gives_criteria_evidence_and_arithmetic(cli: Invoke, log: Any) -> None:
    filled(cli, log)
    result = cli("explain", "troops", "--format", "json", "--as-of", "2025-06-01")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    status = json.loads(cli("status", "--format", "json", "--as-of", "2025-06-01").stdout)
    scored = next(c for c in status["conditions"] if c["id"] == "troops")
    assert {k: data["condition"][k] for k in scored} == scored  # what status says of it
    terms = data["arithmetic"]["terms"]
    assert [t["criterion"] for t in terms] == [c["id"] for c in scored["criteria"]]
    weighted = sum(t["weight"] * t["score"] for t in terms) / data["arithmetic"]["total_weight"]
    assert data["arithmetic"]["score"] == scored["score"] == pytest.approx(100 * weighted)
    assert data["arithmetic"]["formula"].endswith(f"= {scored['score']:g}")
    deciding = {c["decided_by"] for c in scored["criteria"]} - {None}
    assert deciding and deciding <= {e["id"] for e in data["evidence"] if e["counted"]}


def test_validate_as_json_lists_each_problem_with_its_place(
    cli: Invoke, tracker_file: Path, tmp_path: Path
) -> None:
    good = json.loads(cli("validate", "--format", "json").stdout)
    assert good["ok"] is True and good["files"][0]["problems"] == []
    broken = tmp_path / "broken.toml"
    broken.write_text(
        tracker_file.read_text(encoding="utf-8")
        + '\n[[evidence]]\nid = "ev-bad"\ncondition = "troops"\nsummary = "s"\n'
        'source = "S"\ndate = 2025-01-01\nreliability = "Z9"\n'
        "logged = 2025-01-02T00:00:00Z\n",
        encoding="utf-8",
    )
    result = cli("validate", "--format", "json", str(broken))
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["ok"] is False
    (problem,) = data["files"][0]["problems"]
    assert (problem["entry"], problem["field"]) == ("ev-bad", "reliability")
    assert problem["place"].startswith("evidence #1 (id 'ev-bad', line ")
    text = cli("validate", str(broken))
    assert f"{broken}: {problem['place']}, field 'reliability': {problem['message']}" in (
        text.stderr
    )


# --- examples in every command's help -------------------------------------------------------


def examples_of(name: str) -> list[str]:
    """The example command lines in a command's help, continued lines joined, no comments."""
    epilog = dict(help_commands())[name].epilog or ""
    block = epilog.partition("```\n")[2].partition("\n```")[0]
    joined = block.replace("\\\n", " ")
    found = [line.strip() for line in joined.splitlines() if not line.startswith("#")]
    assert len(found) >= 2, f"{name}: no Examples section with 2-4 examples in its help"
    return found


def help_commands() -> list[tuple[str, Any]]:
    import typer.main

    group = typer.main.get_command(app)
    context = group.make_context("condtrack", ["status"], resilient_parsing=True)
    return [(name, group.get_command(context, name)) for name in COMMANDS]  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.parametrize("columns", ["60", "200"])
def test_every_help_has_examples_each_on_its_own_lines(name: str, columns: str) -> None:
    epilog = dict(help_commands())[name].epilog
    assert epilog and epilog.startswith("**Examples**"), name
    written = epilog.partition("```\n")[2].partition("\n```")[0].splitlines()
    assert 2 <= len(examples_of(name)) <= 4, name
    shown = CliRunner().invoke(app, [name, "-h"], env={"COLUMNS": columns}).stdout
    lines = [line.strip() for line in shown.splitlines()]
    assert "Examples" in lines
    after = lines[lines.index("Examples") :]
    for line in written:  # never joined into a paragraph, never wrapped
        assert line.strip() in after, (name, line)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_example_parses(name: str) -> None:
    """Click reads each example's arguments without a usage error."""
    import shlex

    import typer.main

    group = typer.main.get_command(app)
    for example in examples_of(name):
        words = shlex.split(example)
        assert words[:2] == ["condtrack", name], example
        context = group.make_context("condtrack", words[1:])
        command = group.get_command(context, name)  # type: ignore[attr-defined]
        command.make_context(name, words[2:], parent=context)  # raises on a usage error


def subcommands() -> list[tuple[str, str, Any]]:
    """(group, name, command) of every subcommand (`relief add` ...)."""
    found = [
        (group, name, command)
        for group, built in help_commands()
        for name, command in sorted(getattr(built, "commands", {}).items())
    ]
    assert found, "no command has subcommands any more: drop this test"
    return found


def test_every_subcommand_has_examples_that_parse() -> None:
    """Subcommands' help ends with Examples too, and Click reads each without a usage error
    (the command-level tests above see only the group's own help)."""
    import shlex

    import typer.main

    group = typer.main.get_command(app)
    for parent, name, command in subcommands():
        epilog = command.epilog or ""
        assert epilog.startswith("**Examples**"), (parent, name)
        block = epilog.partition("```\n")[2].partition("\n```")[0].replace("\\\n", " ")
        lines = [line.strip() for line in block.splitlines() if not line.startswith("#")]
        assert lines, (parent, name)
        for example in lines:
            words = shlex.split(example)
            assert words[:3] == ["condtrack", parent, name], example
            context = group.make_context("condtrack", words[1:])
            built = group.get_command(context, parent)  # type: ignore[attr-defined]
            sub_context = built.make_context(parent, words[2:], parent=context)
            sub = built.get_command(sub_context, name)
            sub.make_context(name, words[3:], parent=sub_context)  # raises on a usage error


def test_every_subcommand_example_runs_on_a_copy_of_the_shipped_tracker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`relief add`'s examples are recorded (none is refused as a duplicate of the record),
    and an example's placeholder id stands for an entry of the file."""
    import re
    import shlex
    import shutil

    from tests.conftest import REPO, first_current_relief_id

    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(REPO / "conditions.toml", work / "conditions.toml")
    first = first_current_relief_id(work / "conditions.toml")
    monkeypatch.chdir(work)
    monkeypatch.delenv("CONDTRACK_FILE", raising=False)
    runner = CliRunner()
    ran = []
    for parent, name, command in subcommands():
        block = (command.epilog or "").partition("```\n")[2].partition("\n```")[0]
        joined = block.replace("\\\n", " ")
        for example in [line.strip() for line in joined.splitlines() if not line.startswith("#")]:
            line = re.sub(r"\brl-0123456789\b", first, example)  # the placeholder
            result = runner.invoke(app, shlex.split(line)[1:], env={"COLUMNS": "100"})
            assert result.exit_code == 0, (example, result.output)
            ran.append((parent, name))
    assert ("relief", "add") in ran


@pytest.mark.parametrize("name", COMMANDS)
def test_every_example_runs_on_the_shipped_tracker(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shlex
    import shutil

    from tests.conftest import REPO

    work = tmp_path / "work"
    work.mkdir()
    if name != "init":
        shutil.copy(REPO / "conditions.toml", work / "conditions.toml")
        for other in ("other.toml", "base.toml", "ours.toml", "theirs.toml"):
            shutil.copy(REPO / "conditions.toml", work / other)
    (work / "rows.csv").write_text(
        "condition,summary,source,date\nrussian-forces,Troops seen,Reuters,2025-10-02\n",
        encoding="utf-8",
    )
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(work)], check=True)
    elif name in ("git-setup", "validate"):
        pytest.skip("git is not installed")
    monkeypatch.chdir(work)
    monkeypatch.delenv("CONDTRACK_FILE", raising=False)
    runner = CliRunner()
    if name == "import":
        exported = runner.invoke(app, ["evidence", "--format", "json", "-o", "export.json"])
        assert exported.exit_code == 0, exported.output
    for example in examples_of(name):
        result = runner.invoke(app, shlex.split(example)[1:], env={"COLUMNS": "100"})
        assert result.exit_code in (0, 1, 3), (example, result.output)
        assert "Traceback" not in result.output


def test_every_number_is_the_number_type() -> None:
    """A number without it would be refused in pydantic's words, reworded by parsing them."""
    from condtrack.cli.app import NumberType

    numbers = [
        (name, param)
        for name, param in command_params()
        if param.type_descriptor.annotation in (int, float)
    ]
    assert len(numbers) >= 7  # --limit, --last (twice), --min-score, --max-age, --marker-size
    for name, param in numbers:
        parser = param.type_descriptor.parameter_info.parser
        assert isinstance(parser, NumberType), (name, param.opts)
        assert (parser.min, parser.max) == (param.min, param.max)  # as help shows the range


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (("check", "--min-score", "nan"), "must be a finite number"),
        (("check", "--min-score", "1e400"), "must be a finite number"),
        (("check", "--min-score", "100.5"), "must be a number at most 100"),
        (("check", "--max-age", "2.0"), "must be a whole number"),
        (("check", "--max-age", "99999999999999999999"), "must be a number at most 36500"),
        (("check", "--min-score", "\uff15\uff10"), "must be a number"),
        (("evidence", "--last", "-3"), "must be a number at least 0"),
    ],
)
def test_a_bad_number_is_worded_as_condtrack_words_it(
    cli: Invoke, args: tuple[str, ...], why: str
) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: Invalid value for '{args[1]}': {why}; see 'condtrack {args[0]} -h'\n"
    )
