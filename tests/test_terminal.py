"""For people at a terminal: shell completion, the interactive `log`, "did you mean".

Completion is driven the way each shell drives it, through environment variables, on the
real CLI; the expected ids are read from the tracker's TOML, never written out here.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import termios
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from condtrack.cli import app
from condtrack.cli.app import COMMANDS as COMMAND_MODULES
from condtrack.domain.entries import FieldError, check_field
from tests.conftest import SMALL_TRACKER
from tests.test_cli import file_entries
from tests.test_errors import assert_one_line_error

CONDITIONS: list[dict[str, Any]] = tomllib.loads(SMALL_TRACKER)["conditions"]
CONDITION_IDS = [c["id"] for c in CONDITIONS]
SCRIPT = Path(sys.executable).parent / "condtrack"  # the console script the shells call
LogFn = Callable[..., str]
# Every command's name, from the lazy group's own map: the group's `commands` holds only
# those built so far, which depends on which tests ran before.
COMMANDS = set(COMMAND_MODULES)


def ids_of(condition: dict[str, Any], kind: str) -> list[str]:
    return [item["id"] for item in condition.get(kind, [])]


def all_ids(kind: str) -> list[str]:
    return [i for c in CONDITIONS for i in ids_of(c, kind)]


# --- completion through the shells' protocol ------------------------------------------------


def shell_env(shell: str, line: str, **extra: str | None) -> dict[str, str | None]:
    """What a shell's completion script sets before calling condtrack, for ``line``."""
    env: dict[str, str | None] = {"_CONDTRACK_COMPLETE": f"complete_{shell}", **extra}
    if shell == "bash":
        words = line.split()
        env["COMP_WORDS"] = line
        env["COMP_CWORD"] = str(len(words) if line.endswith(" ") else len(words) - 1)
    else:
        env["_TYPER_COMPLETE_ARGS"] = line
        if shell == "fish":
            env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    return env


@pytest.fixture
def complete(runner: CliRunner, tracker_file: Path) -> Callable[..., list[str]]:
    """Bash's suggestions for a command line ending where Tab was pressed."""

    def suggestions(line: str, **env: str | None) -> list[str]:
        env.setdefault("CONDTRACK_FILE", str(tracker_file))
        result = runner.invoke(app, [], env=shell_env("bash", line, **env), prog_name="condtrack")
        assert result.exit_code == 0, result.output
        assert result.stderr == ""
        return result.stdout.split()

    return suggestions


@pytest.mark.parametrize(
    "line",
    ["condtrack log ", "condtrack explain ", "condtrack evidence --condition ",
     "condtrack -f FILE log -s summary "],
)  # fmt: skip
def test_condition_ids_complete(
    complete: Callable[..., list[str]], tracker_file: Path, line: str
) -> None:
    assert complete(line.replace("FILE", str(tracker_file))) == CONDITION_IDS


def test_only_ids_starting_with_what_is_typed(complete: Callable[..., list[str]]) -> None:
    typed = CONDITION_IDS[1][:3]
    expected = [i for i in CONDITION_IDS if i.startswith(typed)]
    assert expected and len(expected) < len(CONDITION_IDS)
    assert complete(f"condtrack explain {typed}") == expected


@pytest.mark.parametrize(("option", "kind"), [("-c", "criteria"), ("--indicator", "indicators")])
def test_criteria_and_indicators_narrow_to_the_condition_on_the_line(
    complete: Callable[..., list[str]], option: str, kind: str
) -> None:
    for condition in CONDITIONS:
        line = f"condtrack log {condition['id']} -s x {option} "
        assert complete(line) == ids_of(condition, kind)
    # Before the condition is given, every condition's ids.
    assert complete(f"condtrack log {option} ") == all_ids(kind)


def test_amend_narrows_to_the_condition_of_the_entry(
    complete: Callable[..., list[str]], log: LogFn
) -> None:
    with_indicators = next(c for c in CONDITIONS if c.get("indicators"))
    entry = log(CONDITIONS[0]["id"])
    assert complete(f"condtrack amend {entry} -c ") == ids_of(CONDITIONS[0], "criteria")
    # --condition moves the entry: its criteria are the ones offered then.
    moved = f"condtrack amend {entry} --condition {with_indicators['id']} -i "
    assert complete(moved) == ids_of(with_indicators, "indicators")
    assert complete(f"condtrack amend {entry} --condition ") == CONDITION_IDS


def test_evidence_ids_complete_where_each_command_takes_them(
    complete: Callable[..., list[str]], cli: Callable[..., Result], log: LogFn
) -> None:
    kept, amended, retracted = (log(CONDITIONS[0]["id"]) for _ in range(3))
    correction = cli("amend", amended, "--summary", "corrected", "--reason", "typo").stdout.strip()
    assert cli("retract", retracted, "--reason", "wrong").exit_code == 0
    assert sorted(complete("condtrack history ")) == sorted([kept, amended, retracted, correction])
    assert sorted(complete("condtrack amend ")) == sorted([kept, correction])
    assert sorted(complete("condtrack retract ")) == sorted([kept, amended, correction])


def test_check_require_completes_comma_lists(complete: Callable[..., list[str]]) -> None:
    first, *others = CONDITION_IDS
    assert complete("condtrack check --require ") == ["all", *CONDITION_IDS]
    assert complete(f"condtrack check --require {first},") == [
        f"{first},{c}" for c in CONDITION_IDS
    ]
    assert others


def test_the_file_is_found_like_every_command_finds_it(
    complete: Callable[..., list[str]], tracker_file: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    other = tmp_path / "elsewhere" / "other.toml"
    other.parent.mkdir()
    other.write_text(SMALL_TRACKER.replace('id = "troops"', 'id = "army"'), "utf-8")
    expected_there = ["army", *CONDITION_IDS[1:]]
    # --file on the line wins over $CONDTRACK_FILE ...
    assert complete(f"condtrack --file {other} explain ") == expected_there
    assert complete(f"condtrack -f {other} explain ") == expected_there
    # ... which wins over the folder's conditions.toml ...
    monkeypatch.chdir(tracker_file.parent)
    assert complete("condtrack explain ", CONDTRACK_FILE=str(other)) == expected_there
    # ... which is found from a subfolder.
    (tracker_file.parent / "sub").mkdir()
    monkeypatch.chdir(tracker_file.parent / "sub")
    assert complete("condtrack explain ", CONDTRACK_FILE=None) == CONDITION_IDS


@pytest.mark.parametrize(
    "content",
    [None, "", "[[conditions]\n", "conditions = 3\n", "[[conditions]]\nid = 7\n", b"\xff\xfe"],
    ids=["missing", "empty", "malformed", "wrong-type", "id-not-text", "not-utf8"],
)
def test_a_broken_tracker_offers_nothing_and_says_nothing(
    complete: Callable[..., list[str]], tmp_path: Path, content: str | bytes | None
) -> None:
    path = tmp_path / "broken.toml"
    if isinstance(content, str):
        path.write_text(content, "utf-8")
    elif content is not None:
        path.write_bytes(content)
    assert complete("condtrack explain ", CONDTRACK_FILE=str(path)) == []
    assert complete("condtrack log troops -c ", CONDTRACK_FILE=str(path)) == []


def test_a_tracker_with_a_bad_entry_still_completes(
    complete: Callable[..., list[str]], tracker_file: Path
) -> None:
    """Completion does not validate: a typo in one entry must not hide every id."""
    with tracker_file.open("a", encoding="utf-8") as handle:
        handle.write('\n[[evidence]]\nid = "ev-1"\ncondition = "nowhere"\ncolour = "red"\n')
    assert complete("condtrack explain ") == CONDITION_IDS
    assert complete("condtrack history ") == ["ev-1"]


def with_header_changed(change: Callable[[dict[str, Any]], object]) -> str:
    """SMALL_TRACKER, read, changed in place and written back as TOML."""
    document = tomllib.loads(SMALL_TRACKER)
    change(document)
    return tomli_w.dumps(document)


def with_first_title(folder: Path, title: str) -> Path:
    path = folder / "conditions.toml"
    path.write_text(with_header_changed(lambda d: d["conditions"][0].update(title=title)), "utf-8")
    return path


def test_no_id_from_a_hand_broken_file_can_inject_into_the_shell(
    complete: Callable[..., list[str]], tracker_file: Path
) -> None:
    hostile = ["two words", "new\nline", "esc\x1b[31m", "$(reboot)", "-rf", "a;b", "", "é"]
    tracker_file.write_text(
        with_header_changed(lambda d: d.update(evidence=[{"id": i} for i in hostile])), "utf-8"
    )
    assert complete("condtrack history ") == []
    assert complete("condtrack explain ") == CONDITION_IDS  # the control: the file reads


# What a description may hold once cleaned: nothing a shell or Rich would act on.
PLAIN_DESCRIPTION = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,/%+-_")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(title=st.text(min_size=1, max_size=120))
def test_descriptions_from_the_file_are_inert_in_zsh_and_fish(
    runner: CliRunner, tmp_path: Path, title: str
) -> None:
    path = with_first_title(tmp_path, title)
    for shell in ("zsh", "fish"):
        env = shell_env(shell, "condtrack explain ", CONDTRACK_FILE=str(path))
        result = runner.invoke(app, [], env=env, prog_name="condtrack")
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert len(lines) == len(CONDITION_IDS), lines  # no line break smuggled in
        separator = '":"' if shell == "zsh" else "\t"
        description = lines[0].partition(separator)[2].removesuffix('"')
        assert set(description) <= PLAIN_DESCRIPTION | {c for c in title if c.isalnum()}, lines


def test_zsh_and_fish_get_ids_with_descriptions(runner: CliRunner, tracker_file: Path) -> None:
    env = {"CONDTRACK_FILE": str(tracker_file)}
    zsh = runner.invoke(app, [], env=shell_env("zsh", "condtrack explain ", **env),
                        prog_name="condtrack")  # fmt: skip
    assert zsh.stdout.startswith("_arguments '*: :((")
    fish = runner.invoke(app, [], env=shell_env("fish", "condtrack explain ", **env),
                         prog_name="condtrack")  # fmt: skip
    for condition in CONDITIONS:
        assert f'"{condition["id"]}":"{condition["title"]}"' in zsh.stdout
        assert f"{condition['id']}\t{condition['title']}\n" in fish.stdout


# --- completion scripts, and real processes ---------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_show_completion_prints_the_named_shells_script(runner: CliRunner, shell: str) -> None:
    result = runner.invoke(app, ["--show-completion", shell], prog_name="condtrack")
    assert result.exit_code == 0, result.output
    assert f"_CONDTRACK_COMPLETE=complete_{shell}" in result.stdout
    others = {"bash", "zsh", "fish"} - {shell}
    assert not any(f"complete_{other}" in result.stdout for other in others)


def test_install_completion_installs_for_the_named_shell(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["--install-completion", "fish"], env={"HOME": str(tmp_path)},
                           prog_name="condtrack")  # fmt: skip
    assert result.exit_code == 0, result.output
    installed = tmp_path / ".config" / "fish" / "completions" / "condtrack.fish"
    assert "complete_fish" in installed.read_text("utf-8")


def run_with_script_on_path(
    argv: list[str], env: dict[str, str | None], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """A real process that finds `condtrack` on its PATH, as a user's shell does."""
    merged = {k: v for k, v in os.environ.items() if not k.startswith(("_CONDTRACK", "COMP_"))}
    merged.pop("CONDTRACK_FILE", None)
    merged.update({k: v for k, v in env.items() if v is not None})
    merged["PATH"] = f"{SCRIPT.parent}{os.pathsep}{merged.get('PATH', '')}"
    done = subprocess.run(argv, capture_output=True, text=True, env=merged, cwd=cwd, timeout=60,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


needs_script = pytest.mark.skipif(not SCRIPT.exists(), reason="no condtrack console script")


@needs_script
def test_process_completes_ids_for_bash(tracker_file: Path) -> None:
    env = shell_env("bash", "condtrack log troops -c ")
    done = run_with_script_on_path([str(SCRIPT)], env, tracker_file.parent)
    assert done.stderr == ""
    assert done.stdout.split() == ids_of(CONDITIONS[0], "criteria")


@needs_script
@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_real_bash_completes_through_the_shown_script(tracker_file: Path) -> None:
    program = (
        "source <(condtrack --show-completion bash)\n"
        'COMP_WORDS=(condtrack explain "")\nCOMP_CWORD=2\n'
        '_condtrack_completion condtrack\nprintf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env: dict[str, str | None] = {"CONDTRACK_FILE": str(tracker_file)}
    done = run_with_script_on_path(["bash", "--norc", "-c", program], env, tracker_file.parent)
    assert done.stdout.split() == CONDITION_IDS


@needs_script
@pytest.mark.skipif(shutil.which("zsh") is None, reason="needs zsh")
def test_real_zsh_evaluates_hostile_descriptions_as_plain_text(tmp_path: Path) -> None:
    """zsh evals what condtrack prints: a title holding shell code must stay text."""
    hostile = "Troops $(touch pwned1) `touch pwned2` '; touch pwned3; ' \"; touch pwned4; \""
    path = tmp_path / "conditions.toml"
    path.write_text(
        with_header_changed(lambda d: d["conditions"][0].update(title=hostile)), "utf-8"
    )
    # Outside a completion widget _arguments and compdef do not exist: stand-ins print.
    program = (
        'compdef() { :; }\n_arguments() { print -r -- "$@"; }\n'
        "source <(condtrack --show-completion zsh)\n"
        'words=(condtrack explain "")\nCURRENT=3\n_condtrack_completion\n'
    )
    env: dict[str, str | None] = {"CONDTRACK_FILE": str(path)}
    done = run_with_script_on_path(["zsh", "-f", "-c", program], env, tmp_path)
    assert all(f'"{condition_id}"' in done.stdout for condition_id in CONDITION_IDS), done.stdout
    assert "Troops touch pwned1" in done.stdout
    assert not list(tmp_path.glob("pwned*"))


@needs_script
@pytest.mark.skipif(shutil.which("fish") is None, reason="needs fish")
def test_real_fish_completes_through_the_shown_script(tracker_file: Path) -> None:
    program = "condtrack --show-completion fish | source; complete -C 'condtrack explain '"
    env: dict[str, str | None] = {"CONDTRACK_FILE": str(tracker_file)}
    done = run_with_script_on_path(["fish", "--no-config", "-c", program], env, tracker_file.parent)
    offered = [line.split("\t")[0] for line in done.stdout.splitlines()]
    assert sorted(offered) == sorted(CONDITION_IDS)


# --- did you mean ------------------------------------------------------------------------------


def test_a_mistyped_command_gets_a_suggestion(runner: CliRunner) -> None:
    result = runner.invoke(app, ["stauts"])
    assert_one_line_error(result)
    assert result.stderr == "error: no such command 'stauts'; did you mean 'status'?\n"


def test_an_unknown_command_points_to_help(runner: CliRunner) -> None:
    err = assert_one_line_error(runner.invoke(app, ["xyzzy"]), "no such command 'xyzzy'")
    assert "did you mean" not in err and "condtrack -h" in err


@settings(max_examples=80, deadline=None)
@given(name=st.text(min_size=1, max_size=30).filter(lambda t: not t.startswith("-")))
@example(name="report")  # a real command, which the test once took for unknown (a flake)
def test_any_unknown_command_is_one_line(name: str) -> None:
    if name in COMMANDS:
        return
    result = CliRunner().invoke(app, [name])
    err = assert_one_line_error(result, "no such command")
    assert "\x1b" not in err


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("status", "--format", "jsn"), ("'jsn' is not one of", "did you mean 'json'?")),
        (("report", "--format", "htm"), ("did you mean 'html'?",)),
        (("status", "--fromat", "json"), ("no such option '--fromat'", "did you mean '--format'?")),
        (("--fiel", "x", "status"), ("did you mean '--file'?",)),
    ],
)
def test_mistyped_options_and_choices_get_a_suggestion(
    cli: Callable[..., Result], args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    assert_one_line_error(cli(*args), *fragments)


@pytest.mark.parametrize(
    "args", [("status", "--format", "xml"), ("status", "--zzz")], ids=["choice", "option"]
)
def test_nothing_close_keeps_the_pointer_to_help(
    cli: Callable[..., Result], args: tuple[str, ...]
) -> None:
    err = assert_one_line_error(cli(*args), "condtrack status -h")
    assert "did you mean" not in err


# --- log at a terminal ---------------------------------------------------------------------


def _own_terminal() -> None:  # in the child: the pseudo-terminal becomes its terminal
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    # As in a person's shell: a test run started in the background (`make test &`) ignores
    # Ctrl-C, and a program inherits that.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Terminal:
    """condtrack with a pseudo-terminal of its own, answered the way a person would."""

    def __init__(
        self, args: list[str], cwd: Path, *, stdout: int | None = None, stderr: int | None = None
    ) -> None:
        leader, follower = os.openpty()
        # Ctrl-C makes the terminal discard pending output, racing the program's last words
        # after the signal; without the discard, what the program prints is what is seen.
        modes = termios.tcgetattr(follower)
        modes[3] |= termios.NOFLSH
        termios.tcsetattr(follower, termios.TCSANOW, modes)
        env = {k: v for k, v in os.environ.items() if k != "CONDTRACK_FILE"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "condtrack", *args], cwd=cwd, env=env, stdin=follower,
            stdout=follower if stdout is None else stdout,
            stderr=follower if stderr is None else stderr,
            preexec_fn=_own_terminal,
        )  # fmt: skip
        os.close(follower)
        self.leader = leader
        self.output = b""
        self.seen_to = 0

    def expect(self, text: str) -> str:
        """Wait for ``text`` after what was expected before; return the output up to it."""
        wanted = text.encode()
        while wanted not in self.output[self.seen_to :]:
            assert self._read(), f"{text!r} never came; the terminal shows {self.output!r}"
        end = self.output.index(wanted, self.seen_to) + len(wanted)
        shown, self.seen_to = self.output[self.seen_to : end], end
        return shown.decode("utf-8")

    def answer(self, line: str) -> None:
        os.write(self.leader, line.encode() + b"\r")

    def press(self, key: bytes) -> None:
        os.write(self.leader, key)

    def wait_until_reading(self) -> None:
        """Wait until the program blocks reading the terminal: a key pressed earlier may be
        swept away when the line editor sets the terminal up (it flushes pending input)."""
        wchan = Path(f"/proc/{self.process.pid}/wchan")
        if not wchan.exists():
            time.sleep(0.3)  # no /proc: as a person would, a moment after the prompt
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if wchan.read_text() in ("wait_woken", "n_tty_read"):
                return
            time.sleep(0.01)
        raise AssertionError(f"the program never waited for input; it shows {self.output!r}")

    def finish(self) -> tuple[int, str]:
        """The exit code, and everything shown after the last expected text."""
        while self._read():
            pass
        code = self.process.wait(timeout=30)
        return code, self.output[self.seen_to :].decode("utf-8")

    def _read(self) -> bool:
        ready, _, _ = select.select([self.leader], [], [], 30)
        if not ready:
            return False
        try:
            chunk = os.read(self.leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.output += chunk
        return bool(chunk)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        os.close(self.leader)


@pytest.fixture
def terminal(tracker_file: Path) -> Iterator[Callable[..., Terminal]]:
    if sys.platform == "win32":
        pytest.skip("needs a POSIX pseudo-terminal")
    opened: list[Terminal] = []

    def open_on(*args: str, stdout: int | None = None, stderr: int | None = None) -> Terminal:
        opened.append(Terminal(["--file", str(tracker_file), *args], tracker_file.parent,
                               stdout=stdout, stderr=stderr))  # fmt: skip
        return opened[-1]

    yield open_on
    for each in opened:
        each.close()


PRISONERS = next(c for c in CONDITIONS if c.get("indicators"))


def test_log_asks_for_each_field_left_out(
    terminal: Callable[..., Terminal], tracker_file: Path
) -> None:
    number = CONDITIONS.index(PRISONERS) + 1
    criterion = ids_of(PRISONERS, "criteria")[-1]
    indicator = next(i for i in PRISONERS["indicators"] if i.get("minimum") is not None)
    session = terminal("log")
    listing = session.expect("Condition (number or id")
    for listed, condition in enumerate(CONDITIONS, 1):
        assert f"{listed}  {condition['id']}" in listing and condition["title"] in listing
    session.answer(PRISONERS["id"][:-1])  # a typo
    assert f"did you mean '{PRISONERS['id']}'?" in session.expect("Condition (number or id")
    session.answer(str(number))
    assert criterion in session.expect("Criterion (number or id; Enter for none)")
    session.answer(criterion)
    assert "2  partial" in session.expect("Status (number or id; Enter for none)")
    session.answer("2")  # by its number in the list
    session.expect("Indicator (number or id; Enter for none)")
    session.answer(indicator["id"])
    session.expect(f"Value of {indicator['id']} ({indicator['unit']})")
    session.answer(str(indicator["minimum"] + 12))
    today = dt.date.today().isoformat()
    session.expect(f"[{today}]")
    session.answer("")  # today
    session.expect("Source")
    session.answer("Monitor")
    session.expect("Link to the source (Enter for none)")
    session.answer("https://example.org/report")
    session.expect("[F6]")
    session.answer("b2")
    session.expect("Summary")
    session.answer("Twelve released.")
    session.expect("Tags")
    session.answer("monthly count")
    code, shown = session.finish()
    assert code == 0, shown
    (entry,) = file_entries(tracker_file)
    assert f"logged {entry['id']}" in shown
    assert {k: v for k, v in entry.items() if k not in ("id", "logged")} == {
        "condition": PRISONERS["id"], "criterion": criterion, "status": "partial",
        "indicator": indicator["id"], "value": indicator["minimum"] + 12,
        "date": dt.date.today(), "source": "Monitor", "url": "https://example.org/report",
        "reliability": "B2", "summary": "Twelve released.", "tags": ["monthly", "count"],
    }  # fmt: skip


def test_text_from_the_file_is_shown_inert(
    terminal: Callable[..., Terminal], tracker_file: Path
) -> None:
    hostile = "Troops \x1b[2J\x1b]0;pwned\x07 \u202eout"
    tracker_file.write_text(
        with_header_changed(lambda d: d["conditions"][0].update(title=hostile)), "utf-8"
    )
    session = terminal("log")
    listing = session.expect("Condition (number or id")
    assert "\x1b" not in listing and "\x07" not in listing and "\u202e" not in listing
    assert "Troops \\x1b[2J\\x1b]0;pwned\\x07 \\u202eout" in listing


def option_refusal(cli: Callable[..., Result], option: str, value: str) -> str:
    """What `log` says of this value given as an option: the answer must be judged alike."""
    indicator = ["-i", PRISONERS["indicators"][0]["id"]] if option == "--value" else []
    result = cli("log", PRISONERS["id"], "-s", "s", "--source", "x", option, value, *indicator)
    err = assert_one_line_error(result, option).rstrip("\n")
    # condtrack's checks say "--value: ..."; a value the option's type refuses is Click's
    # usage error, "Invalid value for '--date': ...; see 'condtrack log -h'".
    err = re.sub(r"; see '[^']*'$", "", err)
    return err.removeprefix(f"error: {option}: ").removeprefix(
        f"error: Invalid value for '{option}': "
    )


def test_bad_answers_are_refused_like_options_and_asked_again(
    terminal: Callable[..., Terminal], cli: Callable[..., Result], tracker_file: Path
) -> None:
    held = PRISONERS["indicators"][0]
    below = str(held["minimum"] - 1)
    session = terminal("log", PRISONERS["id"], "-i", held["id"], "--source", "Monitor")
    session.expect("Criterion (number or id; Enter for none)")
    session.answer("")
    for field, option, bad in [("Value", "--value", "1,5"), ("Date", "--date", "2025-02-30")]:
        session.expect(field)
        session.answer(bad)
        assert option_refusal(cli, option, bad) in session.expect(field)
        session.answer(below if field == "Value" else "")
    session.expect("Link")
    session.answer("ftp://example.org")
    assert option_refusal(cli, "--url", "ftp://example.org") in session.expect("Link")
    session.answer("")
    session.expect("[F6]")
    session.answer("G1")
    assert option_refusal(cli, "--reliability", "G1") in session.expect("[F6]")
    session.answer("")
    session.expect("Summary")
    session.answer("   ")
    assert option_refusal(cli, "--summary", "   ") in session.expect("Summary")
    session.answer("Counted.")
    session.expect("Tags")
    session.answer("")
    # The whole entry is checked as with options: below the minimum, the value is asked again.
    assert option_refusal(cli, "--value", below) in session.expect(f"Value of {held['id']}")
    session.answer(str(held["minimum"] + 3))
    code, shown = session.finish()
    assert code == 0, shown
    (entry,) = file_entries(tracker_file)
    assert entry["value"] == held["minimum"] + 3 and entry["date"] == dt.date.today()
    assert "url" not in entry and entry["reliability"] == "F6"


def test_only_what_the_line_leaves_out_is_asked(
    terminal: Callable[..., Terminal], tracker_file: Path
) -> None:
    troops = CONDITIONS[0]
    session = terminal("log", troops["id"], "-c", ids_of(troops, "criteria")[0], "--status",
                       "met", "--date", "2025-01-02", "--url", "https://example.org", "-r", "A1",
                       "-t", "t", "--summary", "Closed.")  # fmt: skip
    asked = session.expect("Source")
    session.answer("Monitor")
    code, shown = session.finish()
    assert code == 0, shown
    for question in ("Condition", "Criterion", "Status", "Date", "Link", "Reliability", "Tags"):
        assert question not in asked + shown
    (entry,) = file_entries(tracker_file)
    assert entry["source"] == "Monitor" and entry["date"] == dt.date(2025, 1, 2)


def test_a_bad_option_is_refused_before_anything_is_asked(
    terminal: Callable[..., Terminal], tracker_file: Path
) -> None:
    before = tracker_file.read_bytes()
    code, shown = terminal("log", "--url", "ftp://example.org").finish()
    assert code == 2
    assert shown.startswith("error: --url: ") and shown.count("\n") == 1, shown
    assert tracker_file.read_bytes() == before


@pytest.mark.parametrize(("key", "code"), [(b"\x03", 130), (b"\x04", 1)], ids=["ctrl-c", "eof"])
def test_ctrl_c_or_end_of_input_writes_nothing(
    terminal: Callable[..., Terminal], tracker_file: Path, key: bytes, code: int
) -> None:
    before = tracker_file.read_bytes()
    session = terminal("log")
    session.expect("Condition (number or id")
    session.answer("1")
    session.expect("Criterion (number or id; Enter for none): ")
    session.wait_until_reading()
    session.press(key)
    exit_code, shown = session.finish()
    assert exit_code == code, session.output
    assert [line for line in shown.splitlines() if line.strip(" ^C")] == [
        "error: " + ("interrupted" if code == 130 else "no more input") + "; nothing was written"
    ]
    assert tracker_file.read_bytes() == before


def test_captured_output_still_asks_and_gets_only_the_id(
    terminal: Callable[..., Terminal], tracker_file: Path
) -> None:
    """`id=$(condtrack log)`, the README's pattern: questions on the terminal, the id captured."""
    session = terminal("log", CONDITIONS[0]["id"], "-s", "Closed.", stdout=subprocess.PIPE)
    session.expect("Criterion (number or id; Enter for none)")
    session.answer("")
    session.expect("Date it happened")
    session.answer("")  # today
    session.expect("Source")
    session.answer("Monitor")
    session.expect("Link")
    session.answer("")
    session.expect("[F6]")
    session.answer("")
    session.expect("Tags")
    session.answer("")
    code, shown = session.finish()
    assert code == 0, shown
    assert session.process.stdout is not None
    captured = session.process.stdout.read().decode()
    (entry,) = file_entries(tracker_file)
    assert captured == f"{entry['id']}\n"  # nothing else: every question went to the terminal
    assert f"logged {entry['id']}" in shown and entry["source"] == "Monitor"


def test_errors_to_a_file_never_ask(terminal: Callable[..., Terminal], tmp_path: Path) -> None:
    """Nobody would see the questions: `condtrack log 2>log.txt` is refused as in a script."""
    with (tmp_path / "errors.txt").open("w+b") as errors:
        session = terminal("log", stderr=errors.fileno())
        code, shown = session.finish()
        errors.seek(0)
        said = errors.read().decode()
    assert code == 2 and shown == ""
    assert said == "error: Missing argument 'CONDITION'; see 'python -m condtrack log -h'\n"


@pytest.mark.parametrize(
    ("args", "missing"),
    [((), "argument 'CONDITION'"), (("troops",), "option '--summary' / '-s'"),
     (("troops", "-s", "x"), "option '--source'"), (("-s", "x", "--source", "y"), "argument "
     "'CONDITION'")],
)  # fmt: skip
def test_without_a_terminal_it_never_asks(
    runner: CliRunner, tracker_file: Path, args: tuple[str, ...], missing: str
) -> None:
    before = tracker_file.read_bytes()
    answers = "1\n\n\nMonitor\n\n\nSummary\n\n"  # there to be read, were it asked
    result = runner.invoke(app, ["--file", str(tracker_file), "log", *args], input=answers)
    assert_one_line_error(result)
    assert result.stderr == f"error: Missing {missing}; see 'condtrack log -h'\n"
    assert tracker_file.read_bytes() == before


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(["summary", "source", "url", "reliability", "tags"]),
    text=st.text(max_size=12) | st.sampled_from(["B2", "f6", " c3 ", "https://x.org", "http://"]),
)
def test_an_answer_is_refused_exactly_when_the_option_is(
    cli: Callable[..., Result], field: str, text: str
) -> None:
    """The check used on each answer, against the whole `log` with the same value."""
    option = {"tags": "--tag"}.get(field, f"--{field}")
    base = {"--summary": "s", "--source": "x", option: text}
    pairs = [part for pair in base.items() for part in pair]
    result = cli("log", CONDITIONS[0]["id"], *pairs, "--allow-duplicate")
    try:
        check_field(field, [text] if field == "tags" else text)
    except FieldError:
        assert result.exit_code == 2, (field, text, result.output)
        assert f"{option}: " in result.stderr
    else:
        assert result.exit_code == 0, (field, text, result.output)
