"""File names and text beyond ASCII under a C locale (issue 10, item 12; the trial's C1).

Under ``LC_ALL=C`` (``PYTHONCOERCECLOCALE=0``, so that Python does not switch to C.UTF-8 on
its own) Python's file system encoding is ASCII: each byte of an argument beyond ASCII
reaches condtrack as a lone surrogate. A file name must reach the OS as the bytes typed; a
summary or a condition id is the UTF-8 text it was typed in. Every command that takes a
path runs in a real process, with a tracker whose name is not ASCII either.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from condtrack.textsafe import one_line
from tests.reliability.helpers import EVIDENCE, TERMINAL_UNSAFE, TRACKER, document, write_csv

CONDTRACK = str(Path(sys.executable).parent / "condtrack")  # the console script
C_LOCALE = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
TRACKER_NAME = "трекер.toml"


def c_locale_env(folder: Path, **extra: str) -> dict[str, str]:
    kept = ("PATH", "SYSTEMROOT", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in kept}
    env.update(
        C_LOCALE,
        HOME=str(folder),
        GIT_CONFIG_GLOBAL=str(folder / "gitconfig"),
        GIT_CEILING_DIRECTORIES=str(folder.parent),
        CONDTRACK_CACHE_DIR=str(folder.parent / "cache"),
        COLUMNS="120",
        **extra,
    )
    return env


def condtrack(
    folder: Path, *argv: str | bytes, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """``condtrack ARGV`` in ``folder`` under the C locale: (exit code, stdout, stderr).

    The arguments go to the process as bytes (a ``str`` as its UTF-8), as a shell passes
    them. Output is read as UTF-8: what click writes where the console claims ASCII."""
    done = subprocess.run(
        [CONDTRACK, *argv],
        capture_output=True,
        cwd=folder,
        env=env or c_locale_env(folder),
        check=False,
    )
    stdout, stderr = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    what = f"condtrack {argv!r}: exit {done.returncode}\n{stdout}\n{stderr}"
    assert done.returncode != 70, what
    assert "Traceback" not in stderr and "internal error" not in stderr, what
    assert "codec" not in stderr and "\ufffd" not in stdout + stderr, what
    assert "??" not in stderr, what  # a name written as one '?' per byte
    return done.returncode, stdout, stderr


def expect(code: int, result: tuple[int, str, str], *on_stderr: str) -> str:
    assert result[0] == code, result
    for fragment in on_stderr:
        assert fragment in result[2], (fragment, result)
    return result[1]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder whose own name is not ASCII, holding a tracker whose name is not either."""
    here = tmp_path / "папка"
    here.mkdir()
    (here / TRACKER_NAME).write_text(TRACKER + EVIDENCE, encoding="utf-8")
    return here


def test_the_c_locale_is_really_in_force(folder: Path) -> None:
    """The premise of every test here: the child's file system encoding is ASCII."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys; print(sys.getfilesystemencoding())"],
        capture_output=True,
        text=True,
        env=c_locale_env(folder),
        check=True,
    )
    assert done.stdout.strip() == "ascii"


def test_a_tracker_named_in_another_script_is_read_and_written(folder: Path) -> None:
    """--file and CONDTRACK_FILE, every command that writes the tracker, and the text
    logged into it: read as UTF-8, stored as such, in the very file named."""
    tracker = folder / TRACKER_NAME
    expect(0, condtrack(folder, "--file", TRACKER_NAME, "status"))
    env = c_locale_env(folder, CONDTRACK_FILE=TRACKER_NAME)
    expect(0, condtrack(folder, "conditions", env=env))
    logged = expect(
        0,
        condtrack(
            *(folder, "--file", TRACKER_NAME, "log", "troops", "--summary", "Войска ушли"),
            *("--source", "Вясна", "--date", "2025-01-20", "--tag", "поле"),
        ),
        f"in {TRACKER_NAME}",
    ).strip()
    entry = document(tracker)["evidence"][-1]
    assert (entry["id"], entry["summary"], entry["source"]) == (logged, "Войска ушли", "Вясна")
    assert entry["tags"] == ["поле"]
    amended = expect(
        0,
        condtrack(
            *(folder, "--file", TRACKER_NAME, "amend", logged, "--summary", "Ушли все"),
            *("--reason", "уточнение"),
        ),
        TRACKER_NAME,
    ).strip()
    assert document(tracker)["evidence"][-1]["reason"] == "уточнение"
    expect(
        0,
        condtrack(folder, "retract", amended, "--reason", "ошибка", env=env),
        f"in {tracker.name}",
    )
    assert document(tracker)["retractions"][-1]["reason"] == "ошибка"
    assert sorted(os.listdir(folder)) == [TRACKER_NAME]  # no other file was made


def test_import_reads_the_file_named(folder: Path) -> None:
    rows = [{"condition": "troops", "summary": "Базы закрыты", "source": "Монитор"}]
    rows[0]["date"] = "2025-01-21"
    write_csv(folder / "данные.csv", rows, ["condition", "summary", "source", "date"])
    expect(0, condtrack(folder, "--file", TRACKER_NAME, "import", "данные.csv"), "into ")
    assert document(folder / TRACKER_NAME)["evidence"][-1]["summary"] == "Базы закрыты"
    expect(
        2,
        condtrack(folder, "--file", TRACKER_NAME, "import", "нет.csv"),
        "нет.csv does not exist",
    )


@pytest.mark.parametrize(
    ("argv", "written", "code"),
    [
        (["report", "-o", "отчёт.md"], "отчёт.md", 0),
        (["report", "--format", "html", "--output", "отчёт.html"], "отчёт.html", 0),
        (["check", "--format", "junit", "-o", "отчёт.xml"], "отчёт.xml", 1),
        (["check", "--format", "json", "-o", "подпапка/отчёт.json"], "подпапка/отчёт.json", 1),
    ],
)
def test_output_goes_to_the_file_named(
    folder: Path, argv: list[str], written: str, code: int
) -> None:
    (folder / "подпапка").mkdir()
    expect(code, condtrack(folder, "--file", TRACKER_NAME, *argv), f"wrote {written}")
    assert (folder / written).stat().st_size > 0


def test_init_and_validate_use_the_files_named(folder: Path) -> None:
    expect(0, condtrack(folder, "init", "новый.toml"), "created новый.toml")
    assert (folder / "новый.toml").read_bytes().startswith(b"#")
    stdout = expect(
        2,
        condtrack(folder, "validate", "новый.toml", TRACKER_NAME, "нет.toml"),
        "нет.toml does not exist",
    )
    assert "новый.toml: valid" in stdout and f"{TRACKER_NAME}: valid" in stdout
    expect(2, condtrack(folder, "--file", "нет.toml", "status"), "нет.toml does not exist")


def test_merge_reads_and_writes_the_files_named(folder: Path) -> None:
    base = (folder / TRACKER_NAME).read_bytes()
    theirs = base + b'\n[[evidence]]\nid = "ev-eeeeeeeeee"\ncondition = "troops"\n'
    theirs += 'summary = "Их"\nsource = "Они"\ndate = 2025-01-22\n'.encode()
    theirs += b"logged = 2025-01-22T00:00:00Z\n"
    for name, content in (("база.toml", base), ("наш.toml", base), ("их.toml", theirs)):
        (folder / name).write_bytes(content)
    expect(0, condtrack(folder, "merge", "--", "база.toml", "наш.toml", "их.toml", "трекер"))
    assert (folder / "наш.toml").read_bytes() == theirs


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_setup_registers_the_file_named(folder: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True, env=c_locale_env(folder))
    expect(0, condtrack(folder, "git-setup", "--file", TRACKER_NAME))
    attributes = (folder / ".gitattributes").read_bytes()
    assert f"{TRACKER_NAME} merge=condtrack".encode() in attributes


def test_a_folder_in_another_script_is_searched(folder: Path) -> None:
    (folder / TRACKER_NAME).rename(folder / "conditions.toml")
    inner = folder / "глубже"
    inner.mkdir()
    assert "Foreign troops withdrawn" in expect(0, condtrack(inner, "conditions"))


def test_text_arguments_are_read_as_utf8(folder: Path) -> None:
    expect(
        2,
        condtrack(folder, "--file", TRACKER_NAME, "explain", "войска"),
        "unknown condition 'войска'",
    )
    expect(2, condtrack(folder, "нет-такой"), "no such command 'нет-такой'")
    expect(2, condtrack(folder, "status", "--format", "жсон"), "'жсон' is not one of")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_an_answer_typed_in_utf8_is_read_as_such(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_terminal import Terminal

    for name, value in c_locale_env(folder).items():
        monkeypatch.setenv(name, value)
    given = ["--source", "x", "--date", "2025-01-20", "--reliability", "B2", "--tag", "x"]
    given += ["--url", "https://example.org", "-c", "bases-closed", "--status", "met"]
    (folder / TRACKER_NAME).rename(folder / "plain.toml")  # the answer alone is not ASCII
    session = Terminal(["--file", "plain.toml", "log", "troops", *given], folder)
    try:
        session.expect("Summary")
        session.answer("Войска ушли")
        session.expect("in plain.toml")
        assert session.finish()[0] == 0
    finally:
        session.close()
    assert document(folder / "plain.toml")["evidence"][-1]["summary"] == "Войска ушли"


def test_a_name_that_is_not_utf8_is_still_the_file_named(folder: Path) -> None:
    """Latin-1 bytes: not text in any encoding condtrack knows, yet a file all the same."""
    latin = os.fsencode(folder) + b"/caf\xe9.toml"
    with open(latin, "wb") as file:
        file.write((TRACKER + EVIDENCE).encode("utf-8"))
    expect(0, condtrack(folder, "--file", latin, "status"))
    expect(0, condtrack(folder, "--file", latin, "report", "-o", b"r\xe9sum\xe9.md"))
    assert os.path.exists(os.fsencode(folder) + b"/r\xe9sum\xe9.md")
    expect(2, condtrack(folder, "--file", b"nul\xe9.toml", "status"), r"nul\xe9.toml does not")


# --- how a message shows what the locale could not decode -----------------------------------


@given(name=st.binary(max_size=12))
def test_a_message_shows_any_name_on_one_safe_line(name: bytes) -> None:
    """Whatever bytes a name holds: UTF-8 shows as its text, every other byte as an escape;
    never a surrogate (which no stream can write), a control or a line break."""
    shown = one_line(name.decode("utf-8", "surrogateescape"))
    assert not any("\ud800" <= char <= "\udfff" for char in shown)
    assert "\n" not in shown and not TERMINAL_UNSAFE.search(shown)
    try:
        text = name.decode("utf-8")
    except UnicodeDecodeError:
        return
    assert shown == one_line(text)


@pytest.mark.skipif(
    shutil.which("git") is None or not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="needs git, and root to give the repository to another user",
)
def test_gits_advice_reads_as_one_plain_line(tmp_path: Path) -> None:
    """Git refuses a repository another user owns with advice over three lines, the last
    indented by a tab: that is layout, shown as a space, not as an escape."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, capture_output=True)
    (tmp_path / "conditions.toml").write_text(TRACKER, encoding="utf-8")
    for path in (tmp_path, *tmp_path.rglob("*")):
        os.lchown(path, 65534, 65534)  # nobody
    done = subprocess.run(
        [CONDTRACK, "--file", str(tmp_path / "conditions.toml"), "git-setup"],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(tmp_path), "GIT_CONFIG_GLOBAL": str(tmp_path / "none")},
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.endswith(
        f"git cannot use the repository holding it: git config --global --add safe.directory "
        f"{tmp_path}\n"
    )


def _names(values: Sequence[str]) -> list[str]:
    return [one_line(value) for value in values]


def test_layout_becomes_one_space_and_controls_stay_escapes() -> None:
    assert _names(["call:\n\n\tgit config --global", "a\r\nb", "a\tb", "a  b"]) == [
        "call: git config --global",
        "a b",
        "a b",
        "a  b",
    ]
    assert _names(["a\rb", "a\x0bb", "a\x1b[31mb", "\x85"]) == [
        "a\\x0db",
        "a\\x0bb",
        "a\\x1b[31mb",
        "\\x85",
    ]
