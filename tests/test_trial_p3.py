"""The P3 findings of a trial of main that were left open: ids referred to in another case
than stored, counts in other digits, every invalid field of a relief amendment at once,
init on a dangling link, stdin and a literal tilde as the tracker, paths with a newline in
messages, relief amendment rows of a CSV import, blank merge arguments, decomposed tags, the
line ends of a one-sided merge, the `state` of a relief step that does not count, and the
relief help's examples.

Everything runs through the real CLI (in this process; a real process where it matters).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from condtrack.cli import app
from tests.conftest import SMALL_TRACKER
from tests.reliability.helpers import (
    EVIDENCE,
    TRACKER,
    evidence_block,
    invalid,
    ok,
    one_line_error,
    refused,
    run,
    write_csv,
    write_json,
)
from tests.test_relief import hand_written, relief_block

# --- 1. an id referred to in another case than stored: refused, naming the stored id ----

REFERENCES = {  # where an id is referred to: (the file, the place, the field)
    "evidence supersedes": (
        TRACKER + EVIDENCE.replace('supersedes = "ev-bbbbbbbbbb"', 'supersedes = "EV-BbbBBBBBBB"'),
        "evidence #3 (id 'ev-cccccccccc', line ",
        "supersedes",
    ),
    "retraction evidence": (
        TRACKER + EVIDENCE.replace('evidence = "ev-aaaaaaaaaa"', 'evidence = "Ev-AAAAAAAAAA"'),
        "retractions #1 (line ",
        "evidence",
    ),
}


def _relief_reference(tmp_path: Path, table: str) -> Path:
    first = relief_block(id='"rl-first"')
    if table == "relief":
        second = relief_block(id='"rl-second"', supersedes='"RL-First"', reason='"typo"')
    else:
        second = '\n[[retractions]]\nevidence = "RL-FIRST"\nreason = "no"\ndate = 2025-09-13\n'
    return hand_written(tmp_path, first, second)


@pytest.mark.parametrize("where", [*REFERENCES, "relief supersedes", "retraction of relief"])
@pytest.mark.parametrize("command", ["validate", "status", "relief list"])
def test_an_id_referred_to_in_another_case_is_refused_naming_the_stored_id(
    tmp_path: Path, where: str, command: str
) -> None:
    if where in REFERENCES:
        text, place, field = REFERENCES[where]
        path = tmp_path / "conditions.toml"
        path.write_text(text, "utf-8")
        stored = "ev-bbbbbbbbbb" if field == "supersedes" else "ev-aaaaaaaaaa"
    else:
        path = _relief_reference(tmp_path, "relief" if "supersedes" in where else "retraction")
        place = "relief #2 (id 'rl-second', line " if "supersedes" in where else "retractions #1"
        field = "supersedes" if "supersedes" in where else "evidence"
        stored = "rl-first"
    expected = [place, f"field {field!r}", f"stored as {stored!r}", f"write {stored!r}"]
    if command == "validate":
        assert len(invalid(path, *expected)) == 1
    else:
        refused(path, *command.split(), expect=expected)


def test_the_merge_driver_refuses_a_side_that_refers_to_an_id_in_another_case(
    tmp_path: Path,
) -> None:
    base = TRACKER + EVIDENCE.split('\n[[evidence]]\nid = "ev-cccccccccc"')[0]
    theirs_entry = (
        '\n[[evidence]]\nid = "ev-theirs"\ncondition = "prisoners"\nindicator = "held"\n'
        'value = 1000\ndate = 2025-01-12\nsource = "Viasna"\nreliability = "A1"\n'
        'summary = "Corrected."\nsupersedes = "EV-BBBBBBBBBB"\nreason = "typo"\n'
        "logged = 2025-01-13T10:00:00Z\n"
    )
    ours_entry = (
        '\n[[evidence]]\nid = "ev-ours"\ncondition = "troops"\ndate = 2025-01-12\n'
        'source = "Monitor"\nsummary = "More."\nlogged = 2025-01-13T11:00:00Z\n'
    )
    paths = [tmp_path / name for name in ("base.toml", "ours.toml", "theirs.toml")]
    for path, text in zip(paths, (base, base + ours_entry, base + theirs_entry), strict=True):
        path.write_text(text, "utf-8")
    ours = paths[1].read_bytes()
    result = CliRunner().invoke(app, ["merge", *map(str, paths), "conditions.toml"])
    assert result.exit_code == 1, result.output
    assert "stored as 'ev-bbbbbbbbbb': write 'ev-bbbbbbbbbb'" in result.stderr
    assert paths[1].read_bytes() == ours


def test_an_entry_cannot_supersede_itself_in_another_case(tmp_path: Path) -> None:
    path = hand_written(tmp_path, relief_block(supersedes='"RL-HAND"', reason='"typo"'))
    invalid(path, "relief #1", "cannot supersede itself")


def test_an_import_row_amending_an_entry_named_in_another_case_is_refused_as_an_amendment(
    tmp_path: Path,
) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(TRACKER + EVIDENCE, "utf-8")
    row = {"condition": "prisoners", "indicator": "held", "value": "1000",
           "date": "2025-01-12", "source": "Viasna", "reliability": "A1", "summary": "Fixed.",
           "supersedes": "EV-BBBBBBBBBB", "reason": "typo"}  # fmt: skip
    rows = write_csv(tmp_path / "rows.csv", [row], list(row))
    before = path.read_bytes()
    result = run(path, "import", str(rows))
    assert result.exit_code == 2, result.output
    # Named in the case it is stored in (the rule of every reader of the file), and refused
    # as an amendment all the same.
    assert "row 2, field 'supersedes': 'EV-BBBBBBBBBB' is written in another case" in (
        result.stderr
    )
    assert "stored as 'ev-bbbbbbbbbb'" in result.stderr
    assert "an import adds new entries only" in result.stderr
    assert path.read_bytes() == before


# --- 2. a value in ASCII digits, not -0.0, not too small to store: at every way in -------

BAD_VALUES = {  # typed: what the one-line error says
    "\u0663": "not a number written in ASCII digits 0-9",  # Arabic-Indic 3
    "\uff15": "not a number written in ASCII digits 0-9",  # full-width 5
    "1\u0660": "not a number written in ASCII digits 0-9",  # 1, Arabic-Indic 0
    "-0.0": "-0.0 is negative zero: write 0",
    "1e-320": "1e-320 is implausibly small",
    "-4.9e-324": "is implausibly small",
}
LOG = ("log", "prisoners", "--indicator", "held", "--date", "2025-01-10", "--source", "Monitor",
       "--reliability", "B2", "--summary", "Count.")  # fmt: skip


@pytest.mark.parametrize("typed", BAD_VALUES)
def test_log_value_refuses_other_digits_negative_zero_and_tiny_figures(
    tmp_path: Path, typed: str
) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(TRACKER, "utf-8")
    refused(path, *LOG, "--value", typed, expect=["--value: ", BAD_VALUES[typed]])
    ok(run(path, *LOG, "--value", "3"))
    entry = [e for e in tomllib.loads(path.read_text("utf-8"))["evidence"]]
    refused(path, "amend", entry[0]["id"], "--value", typed, "--reason", "r",
            expect=["--value: ", BAD_VALUES[typed]])  # fmt: skip


@pytest.mark.parametrize("typed", ["-0.0", "1e-320", "5e-310"])
def test_validate_refuses_a_hand_written_negative_zero_or_tiny_figure(
    tmp_path: Path, typed: str
) -> None:
    path = tmp_path / "conditions.toml"
    block = evidence_block(condition='"economy"', indicator='"balance"', value=typed)
    path.write_text(TRACKER + block, "utf-8")
    expected = BAD_VALUES.get(typed, "is implausibly small")
    assert len(invalid(path, "evidence #1 (id 'ev-hand'", "field 'value'", expected)) == 1
    refused(path, "status", expect=["field 'value'", expected])


@pytest.mark.parametrize(
    ("form", "typed"),
    [(form, typed) for form in ("csv", "json text") for typed in BAD_VALUES]
    + [("json number", typed) for typed in BAD_VALUES if typed.isascii()],  # JSON's are ASCII
)
def test_import_refuses_other_digits_negative_zero_and_tiny_figures(
    tmp_path: Path, typed: str, form: str
) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(TRACKER, "utf-8")
    row: dict[str, Any] = {"condition": "prisoners", "indicator": "held", "value": typed,
                           "date": "2025-01-12", "source": "Viasna",
                           "summary": "Count."}  # fmt: skip
    if form == "csv":
        rows = write_csv(tmp_path / "rows.csv", [row], list(row))
    else:
        if form == "json number":
            row["value"] = float(typed)
        rows = write_json(tmp_path / "rows.json", [row])
    before = path.read_bytes()
    result = run(path, "import", str(rows))
    assert result.exit_code == 2, result.output
    assert "row " in result.stderr and "field 'value'" in result.stderr, result.stderr
    assert BAD_VALUES[typed] in result.stderr, result.stderr
    assert path.read_bytes() == before


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_the_value_prompt_refuses_other_digits_and_asks_again(tmp_path: Path) -> None:
    from tests.test_terminal import Terminal

    path = tmp_path / "conditions.toml"
    path.write_text(TRACKER, "utf-8")
    session = Terminal(["--file", str(path), "log", "prisoners"], tmp_path)
    try:
        session.expect("Criterion (")
        session.answer("")
        session.expect("Indicator (")
        session.answer("held")
        for typed in ("\u0663", "-0.0"):
            session.expect("Value of held (people): ")
            session.answer(typed)
            again = session.expect("Value of held (people): ")
            assert BAD_VALUES[typed] in again, again
            session.seen_to -= len("Value of held (people): ")
        session.answer("3")
        rest = [("Date", "2025-01-10"), ("Source", "Monitor"), ("Link", ""),
                ("[F6]: ", "B2"), ("Summary", "Count."), ("Tags", "")]  # fmt: skip
        for question, answer in rest:
            session.expect(question)
            session.answer(answer)
        code, shown = session.finish()
    finally:
        session.close()
    assert code == 0, shown
    assert tomllib.loads(path.read_text("utf-8"))["evidence"][0]["value"] == 3


# --- 3. every invalid field of one entry at once ------------------------------------------

WRONG = {  # option: (a wrong value, what the error says of it)
    "--sender": ("U S", "--sender: 'U S' is not a valid id"),
    "--url": ("ftp://x", "--url: 'ftp://x' is not an http(s) URL"),
    "--reliability": ("Z9", "--reliability: 'Z9' is not an Admiralty code"),
    "--source": ("x" * 301, "--source: is 301 characters long"),
}


@pytest.mark.parametrize("command", ["relief amend", "relief add", "amend", "log"])
def test_every_invalid_field_of_an_entry_is_named_in_one_line(tmp_path: Path, command: str) -> None:
    path = hand_written(tmp_path, relief_block(), evidence_block())
    options = [o for o in WRONG if o != "--sender" or command.startswith("relief")]
    args = [part for option in options for part in (option, WRONG[option][0])]
    if command in ("relief amend", "amend"):
        target = "rl-hand" if command == "relief amend" else "ev-hand"
        args = [target, *args, "--reason", "typo"]
    elif command == "relief add":
        args += ["--measure", "m", "--action", "eased", "--date", "2025-09-11", "-s", "x"]
    else:
        args = ["troops", *args, "--date", "2025-01-10", "--summary", "x"]
    err = refused(path, *command.split(), *args, expect=[WRONG[o][1] for o in options])
    assert err.count("; --") == len(options) - 1, err  # one line, every field in it


def test_an_import_row_with_several_invalid_fields_names_each_and_counts_one_row(
    tmp_path: Path,
) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(TRACKER, "utf-8")
    row = {"condition": "troops", "date": "2025-01-12", "source": "x" * 301,
           "url": "ftp://x", "reliability": "Z9", "summary": "Count."}  # fmt: skip
    rows = write_csv(tmp_path / "rows.csv", [row], list(row))
    before = path.read_bytes()
    result = run(path, "import", str(rows))
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    for field in ("source", "url", "reliability"):
        assert any(f"row 2, field {field!r}: " in line for line in lines), lines
    assert lines[-1] == "error: nothing imported: 1 bad row", lines
    assert path.read_bytes() == before


# --- 4. init on a link to nothing ----------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges")
@pytest.mark.parametrize("leads_to", ["nowhere.toml", "missing/x.toml", "loop"])
def test_init_says_a_link_leads_to_nothing_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, leads_to: str
) -> None:
    monkeypatch.chdir(tmp_path)
    link = Path("conditions.toml")
    if leads_to == "loop":
        Path("other.toml").symlink_to(link)
        link.symlink_to("other.toml")
        expected = ["conditions.toml is a symbolic link that leads round in a loop"]
    else:
        link.symlink_to(leads_to)
        expected = [f"conditions.toml is a symbolic link to {leads_to}, a file that does not "
                    "exist", "remove the link", "init --force conditions.toml"]  # fmt: skip
    before = sorted(p.name for p in tmp_path.iterdir())
    for args in (["init"], ["init", "conditions.toml"]):
        result = run(None, *args)
        assert result.exit_code == 2, result.output
        assert "already exists" not in result.stderr
        for fragment in expected:
            assert fragment in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written anywhere
    forced = run(None, "init", "--force")
    if leads_to == "nowhere.toml":  # --force writes through the link, as through every link
        assert forced.exit_code == 0, forced.output
        assert "the file conditions.toml links to" in forced.stderr
        assert tomllib.loads(Path("nowhere.toml").read_text("utf-8"))["conditions"]
    else:  # never into a folder that is not there, never round a loop
        assert forced.exit_code == 2, forced.output
        assert not Path("missing").exists()


# --- 5. `-f -` and a literal `~` in the tracker's path ------------------------------------

STDIN = "'-' names standard input, and the tracker cannot come from there"


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["-f", "-", "status"], {}),
        (["--file=-", "log", "troops", "-s", "x"], {}),
        (["status"], {"CONDTRACK_FILE": "-"}),
        (["validate", "-"], {}),
        (["init", "-"], {}),
        (["git-setup", "-f", "-"], {}),
    ],
)
def test_a_tracker_from_standard_input_is_refused_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(None, *args, env=env)
    assert result.exit_code == 2, result.output
    assert STDIN in result.stderr and "./- for a file named -" in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert list(tmp_path.iterdir()) == []  # no file called "-", nothing else


def test_a_tracker_from_standard_input_is_refused_in_a_real_process(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "condtrack", "-f", "-", "validate"],
        input=TRACKER.encode(), capture_output=True, cwd=tmp_path, timeout=60, check=False,
        env={k: v for k, v in os.environ.items() if k != "CONDTRACK_FILE"},
    )  # fmt: skip
    assert done.returncode == 2 and STDIN in done.stderr.decode(), done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("how", ["--file=~/t.toml", "CONDTRACK_FILE=~/t.toml"])
def test_a_leading_tilde_in_the_trackers_path_is_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    elsewhere.mkdir()
    (home / "t.toml").write_text(TRACKER, "utf-8")
    monkeypatch.chdir(elsewhere)
    env = {"HOME": str(home)}
    if how.startswith("--file"):
        args = [how]
    else:
        args, env[how.partition("=")[0]] = [], how.partition("=")[2]
    ok(run(None, *args, "log", "troops", "-s", "seen", "--date", "2025-01-10", "--source", "M",
           env=env))  # fmt: skip
    assert "seen" in (home / "t.toml").read_text("utf-8")
    assert list(elsewhere.iterdir()) == []  # no folder called "~" made here


@pytest.mark.parametrize(("name", "shown"), [("-", "./-"), ("my t.toml", "'my t.toml'")])
def test_the_init_hint_for_a_missing_tracker_runs_as_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, shown: str
) -> None:
    monkeypatch.chdir(tmp_path)
    err = one_line_error(run(None, "-f", f"./{name}", "status"))  # ./-: a file called -
    assert f"create it with `condtrack init {shown}`" in err, err
    done = subprocess.run(
        f"{shlex.quote(sys.executable)} -m condtrack init {shown}",
        shell=True, capture_output=True, cwd=tmp_path, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / name).is_file()


# --- 6. a path with a line break or tab, named unambiguously in every message --------------


def test_a_path_with_a_line_break_or_tab_is_named_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    name = "we\nird.toml"
    missing = run(None, "-f", name, "status")
    assert missing.stderr.startswith("error: we\\nird.toml does not exist"), missing.stderr
    created = ok(run(None, "init", name))
    assert created.stderr.startswith("created we\\nird.toml: "), created.stderr
    Path(name).write_text(TRACKER, "utf-8")
    logged = ok(run(None, "-f", name, "log", "troops", "-s", "x", "--date", "2025-01-10",
                    "--source", "M"))  # fmt: skip
    assert " in we\\nird.toml" in logged.stderr, logged.stderr
    wrote = ok(run(None, "-f", name, "status", "--format", "json", "-o", "o\tut.json"))
    assert wrote.stderr == "wrote o\\tut.json\n", wrote.stderr
    valid = ok(run(None, "validate", name))
    assert valid.stdout.startswith("we\\nird.toml: valid"), valid.stdout
    broken = Path("bro\nken.toml")
    broken.write_text("x = 1\n", "utf-8")
    result = run(None, "validate", str(broken))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert all(line.startswith(("bro\\nken.toml: ", "error: ")) for line in lines), lines
    assert lines[-1].endswith(" in bro\\nken.toml"), lines
    imported = run(None, "-f", name, "import", "no\nrows.csv")
    assert imported.exit_code == 2 and "no\\nrows.csv" in imported.stderr, imported.stderr


def test_a_tracker_name_holding_a_nul_is_a_usage_error_not_a_crash(tmp_path: Path) -> None:
    for args in (["-f", "a\x00b", "status"], ["validate", "a\x00b"], ["init", "a\x00b"]):
        err = one_line_error(run(None, *args))
        assert "holds a NUL character" in err, err


# --- 7. an amendment row before its original in an import ----------------------------------


@pytest.mark.parametrize("form", ["csv", "json"])
@pytest.mark.parametrize("change", [["--date", "2025-09-10"], ["--summary", "General licence"]])
def test_an_amendment_listed_before_its_original_imports_as_an_amendment(
    tmp_path: Path, form: str, change: list[str]
) -> None:
    source = tmp_path / "source.toml"
    source.write_text(SMALL_TRACKER, "utf-8")
    original = ok(run(source, "relief", "add", "--sender", "US", "--measure", "Belavia",
                      "--action", "eased", "--date", "2025-09-11", "--source", "OFAC",
                      "--summary", "GL 11", "--reliability", "A1")).stdout.strip()  # fmt: skip
    amended = ok(run(source, "relief", "amend", original, *change, "--reason", "fix"))
    amendment = amended.stdout.strip()
    export = ok(run(source, "relief", "list", "--format", form)).stdout
    rows = export.splitlines(keepends=True)
    if form == "csv":  # the amendment first, as a listing by date (or a sort) may put it
        header, *lines = rows
        lines.sort(key=lambda line: not line.startswith(amendment))
        export = header + "".join(lines)
        assert export.splitlines()[1].startswith(amendment)
    else:
        listed = json.loads(export)
        listed.sort(key=lambda entry: entry["id"] != amendment)
        export = json.dumps(listed)
    (tmp_path / f"export.{form}").write_text(export, "utf-8")
    target = tmp_path / "conditions.toml"
    target.write_text(SMALL_TRACKER, "utf-8")
    result = ok(run(target, "import", str(tmp_path / f"export.{form}")))
    assert "duplicate" not in result.stderr and "'supersedes' is left out" not in result.stderr
    entries = tomllib.loads(target.read_text("utf-8"))["relief"]
    assert [e["id"] for e in entries] == [original, amendment]  # the original first
    assert entries[1]["supersedes"] == original and entries[1]["reason"] == "fix"
    listing = json.loads(ok(run(target, "relief", "list", "--format", "json")).stdout)
    assert [e["id"] for e in listing if e["counts"]] == [amendment]  # one step, not two
    ok(run(target, "validate"))


# --- 8. blank paths for the merge driver ---------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["", "", ""], "BASE"),
        (["base.toml", " ", "theirs.toml"], "OURS"),
        (["base.toml", "ours.toml", ""], "THEIRS"),
        (["base.toml", "ours.toml", "theirs.toml", " "], "PATH"),
    ],
)
def test_the_merge_driver_refuses_a_blank_path_naming_the_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], named: str
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("base.toml", "ours.toml", "theirs.toml"):
        Path(name).write_text(SMALL_TRACKER, "utf-8")
    err = one_line_error(run(None, "merge", *args))
    assert err.startswith(f"error: Invalid value for {named!r}: "), err
    assert "folder" not in err
    assert Path("ours.toml").read_text("utf-8") == SMALL_TRACKER


# --- 9. a decomposed (NFD) tag written by hand ---------------------------------------------


@pytest.mark.parametrize("table", ["evidence", "relief"])
def test_a_hand_written_decomposed_tag_is_the_composed_tag(tmp_path: Path, table: str) -> None:
    decomposed, composed = "re\u0301forme", "r\u00e9forme"
    tags = json.dumps([decomposed, "plain"])
    block = evidence_block(tags=tags) if table == "evidence" else relief_block(tags=tags)
    path = hand_written(tmp_path, block)
    ok(run(path, "validate"))
    if table == "evidence":
        for typed in (composed, decomposed):  # as `log --tag` stores it, and as typed
            found = ok(run(path, "evidence", "--format", "json", "--tag", typed)).stdout
            assert [entry["tags"] for entry in json.loads(found)] == [[composed, "plain"]]
    else:
        listed = json.loads(ok(run(path, "relief", "list", "--format", "json")).stdout)
        assert [entry["tags"] for entry in listed] == [[composed, "plain"]]
    # The same tag logged through the CLI is the same tag: a repeat is a duplicate.
    if table == "evidence":
        again = run(path, "log", "troops", "--date", "2025-01-10", "--source", "Monitor",
                    "--summary", "Observed", "--tag", composed, "--tag", "plain")  # fmt: skip
        assert again.exit_code == 2 and "duplicate of ev-hand" in again.stderr, again.output


# --- 11. `relief list --format json`: the state of a step that does not count --------------


def test_a_step_that_does_not_count_has_no_state_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, "utf-8")
    step = ["relief", "add", "--sender", "US", "--action", "eased", "--date", "2025-09-11",
            "--source", "OFAC", "--summary", "licence"]  # fmt: skip
    amended = ok(run(path, *step, "--measure", "Belavia", "-r", "A1")).stdout.strip()
    ok(run(path, "relief", "amend", amended, "--instrument", "GL 11", "--reason", "named"))
    low = ok(run(path, *step, "--measure", "potash", "-r", "E5")).stdout.strip()
    retracted = ok(run(path, *step, "--measure", "banks", "-r", "A1")).stdout.strip()
    ok(run(path, "retract", retracted, "--reason", "never granted"))
    listed = json.loads(ok(run(path, "relief", "list", "--format", "json")).stdout)
    text = ok(run(path, "relief", "list")).stdout
    for entry in listed:
        if entry["counts"]:
            assert entry["state"] == "in-effect" and entry["excluded"] is None, entry
            continue
        assert entry["state"] is None and entry["ahead"] is None, entry
        assert entry["excluded"] and entry["excluded"].split(" ")[0] in text, entry
    assert {e["id"] for e in listed if not e["counts"]} == {amended, low, retracted}


# --- 12. every example in relief's help is complete and runs --------------------------------


def test_every_relief_example_is_complete_and_records_without_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The group's examples and each subcommand's, on a copy of the shipped tracker: each runs
    (exit 0), a `relief add` names its date or says it is a step taken today, and none is
    recorded below the tracker's minimum grade (an example that does not count)."""
    import shutil

    import typer.main

    from tests.conftest import REPO, first_current_relief_id

    shutil.copy(REPO / "conditions.toml", tmp_path / "conditions.toml")
    monkeypatch.chdir(tmp_path)
    group = typer.main.get_command(app)
    context = group.make_context("condtrack", ["status"], resilient_parsing=True)
    relief = group.get_command(context, "relief")  # type: ignore[attr-defined]
    helps = [relief.epilog or ""]
    helps += [command.epilog or "" for command in relief.commands.values()]
    first = first_current_relief_id(tmp_path / "conditions.toml")
    added = 0
    for epilog in helps:
        block = epilog.partition("```\n")[2].partition("\n```")[0].replace("\\\n", " ")
        today = False
        for line in (line.strip() for line in block.splitlines()):
            if line.startswith("#"):
                today = "today" in line
                continue
            words = shlex.split(line.replace("rl-0123456789", first))
            if words[1:3] == ["relief", "add"]:
                added += 1
                assert "--date" in words or today, line
            result = run(None, *words[1:], env={"COLUMNS": "100"})
            assert result.exit_code == 0, (line, result.output)
            assert "warning" not in result.stderr, (line, result.stderr)
            today = False
    assert added >= 3  # the group's example and the subcommand's two
