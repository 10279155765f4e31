"""Options and arguments found wanting in a trial of main: a condition id in another case
gets the id suggested (ids but entry ids are matched exactly), ...
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SMALL_TRACKER
from tests.reliability.helpers import child_env, condtrack_argv, run

CONDITIONS = ("troops", "prisoners")


def tracker(folder: Path) -> Path:
    path = folder / "conditions.toml"
    if not path.exists():
        path.write_text(SMALL_TRACKER, encoding="utf-8")
    return path


def refused(result_args: tuple[str, ...], path: Path) -> str:
    result = run(path, *result_args)
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message, message
    return message


@pytest.mark.parametrize(
    ("args", "before"),
    [
        (("check", "--require"), ""),
        (("check", "--require"), "troops,"),
        (("evidence", "--condition"), ""),
        (("explain",), ""),
        (("log", "--summary", "seen", "--source", "AP", "--"), ""),
    ],
    ids=["require", "require-list", "evidence", "explain", "log"],
)
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(condition=st.sampled_from(CONDITIONS), upper=st.lists(st.booleans(), min_size=9))
def test_a_condition_id_in_another_case_gets_it_suggested(
    tmp_path: Path, args: tuple[str, ...], before: str, condition: str, upper: list[bool]
) -> None:
    """Condition ids are matched exactly (known_id finds entry ids in any case only), so
    `--require POLITICAL-PRISONERS` is refused, with the id it means suggested."""
    path = tracker(tmp_path)
    typed = "".join(c.upper() if u else c for c, u in zip(condition, upper, strict=False))
    typed = typed if typed != condition else condition.upper()
    message = refused((*args, before + typed), path)
    assert f"did you mean {condition!r}" in message, message


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(digits=st.text("0123456789", min_size=2, max_size=4), cut=st.integers(1, 3))
def test_a_number_with_an_underscore_is_refused_by_every_number_option(
    tmp_path: Path, digits: str, cut: int
) -> None:
    """float() reads 1_0 as 10, while a figure (log --value 1_140) is refused as no number:
    every number is read alike, so an underscore is refused everywhere."""
    path = tracker(tmp_path)
    cut = min(cut, len(digits) - 1)
    typed = f"{digits[:cut]}_{digits[cut:]}"
    for args in (
        ("check", "--min-score", typed),
        ("--lock-timeout", typed, "status"),
        ("evidence", "--limit", typed),
        ("log", "prisoners", "--indicator", "held", "--value", typed, "--summary", "s",
         "--source", "AP"),
    ):  # fmt: skip
        message = refused(args, path)
        assert "number" in message, (args, message)
    result = run(path, "log", "prisoners", "--summary", "s", "--source", "AP",
                 env={"CONDTRACK_LOCK_TIMEOUT": typed})  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "CONDTRACK_LOCK_TIMEOUT" in result.stderr
    assert path.read_text(encoding="utf-8") == SMALL_TRACKER


def test_a_plain_number_is_still_taken(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    for value in ("10", "1e1", "10.0", ".5"):
        result = run(path, "check", "--min-score", value, "--format", "json")
        assert result.exit_code in (0, 1), result.output
    assert run(path, "--lock-timeout", "2.5", "status").exit_code == 0


@pytest.mark.parametrize("name", ["/dev/stdout", "/dev/fd/1", "/dev/stderr", "redirected"])
def test_a_step_summary_on_a_standard_stream_is_written_there(tmp_path: Path, name: str) -> None:
    """$GITHUB_STEP_SUMMARY is appended to, never renamed over: one of condtrack's own
    streams gets the summary as `-o /dev/stdout` gets a report, not a warning that a
    rename would replace it."""
    path = tracker(tmp_path)
    out = tmp_path / "out.txt"
    summary = str(out) if name == "redirected" else name
    with out.open("w", encoding="utf-8") as stdout:
        done = subprocess.run(
            condtrack_argv(path, "check", "--format", "github"),
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(GITHUB_STEP_SUMMARY=summary),
            timeout=300,
            check=False,
        )
    assert done.returncode in (0, 1), done.stderr
    written = done.stderr if name == "/dev/stderr" else out.read_text(encoding="utf-8")
    assert "warning" not in done.stderr, done.stderr
    appended = tmp_path / "summary.md"  # what an ordinary step summary file gets
    ok_run = subprocess.run(
        condtrack_argv(path, "check", "--format", "github"),
        capture_output=True,
        text=True,
        env=child_env(GITHUB_STEP_SUMMARY=str(appended)),
        timeout=300,
        check=False,
    )
    assert ok_run.returncode == done.returncode, ok_run.stderr
    expected = appended.read_text(encoding="utf-8")
    assert expected.strip() and written.endswith(expected), written
    assert path.read_text(encoding="utf-8") == SMALL_TRACKER


@pytest.mark.parametrize("role", ["BASE", "OURS", "THEIRS"])
@pytest.mark.parametrize("odd", ["/dev/null", "folder"])
def test_the_merge_driver_names_a_version_that_is_no_file_by_its_role(
    tmp_path: Path, role: str, odd: str
) -> None:
    path = tracker(tmp_path)
    versions = {name: tmp_path / f"{name.lower()}.toml" for name in ("BASE", "OURS", "THEIRS")}
    for version in versions.values():
        version.write_text(SMALL_TRACKER, encoding="utf-8")
    (tmp_path / "folder").mkdir()
    versions[role] = Path(odd) if odd.startswith("/") else tmp_path / odd
    args = ("merge", "--", *(str(v) for v in versions.values()), "conditions.toml")
    message = refused(args, path)
    kind = "a device" if odd == "/dev/null" else "a folder"
    assert message == f"error: {role}: {versions[role]} is {kind}, not a file", message
    for version in versions.values():
        assert not version.is_file() or version.read_text(encoding="utf-8") == SMALL_TRACKER


@pytest.mark.parametrize("blank", ["", " "])
def test_a_blank_merge_path_is_worded_for_an_argument(tmp_path: Path, blank: str) -> None:
    path = tracker(tmp_path)
    versions = [tmp_path / f"{name}.toml" for name in ("base", "ours", "theirs")]
    for version in versions:
        version.write_text(SMALL_TRACKER, encoding="utf-8")
    message = refused(("merge", "--", *map(str, versions), blank), path)
    assert "'PATH'" in message and "leave the argument out" in message, message
    assert "option" not in message, message
