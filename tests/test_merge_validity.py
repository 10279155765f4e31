"""The merge driver never writes a file condtrack refuses (issue 12/14 trial, left open).

Each side's history is made by the real CLI (`log`, `amend`, `retract`, `relief add`,
`relief amend`), interleaved in time as two analysts would make them; the driver then
merges the two either way round. Its output either validates, or it reports a conflict:
between markers (a part changed differently) or with "ours" left byte for byte as it was.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import Result

import condtrack.domain.entries
from tests.conftest import SMALL_TRACKER
from tests.reliability.helpers import ok, run

START = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=3)


class Clock:
    """The time `utc_now` gives: moved on by each step, so that two sides' entries
    interleave (a step of 0: logged in the same second)."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


@contextmanager
def clocked(clock: Clock) -> Iterator[None]:
    with mock.patch.object(condtrack.domain.entries, "utc_now", clock):
        yield


def added(path: Path, *args: str) -> str | None:
    """Run a command that adds an entry; its id, or None when condtrack refused it."""
    result = run(path, *args)
    assert "Traceback" not in result.output, result.output
    assert result.exit_code in (0, 2), result.output
    return result.stdout.strip() if result.exit_code == 0 else None


SENDERS = ("US", "EU")
MEASURES = ("Belavia", "potash")
ACTIONS = ("eased", "lifted", "suspended", "reimposed", "expired")
DAYS = ("2025-09-01", "2025-09-10", "2025-09-20", "2025-10-01")

# One analyst's step: what it is, and which earlier entry (by index, modulo) it acts on.
steps = st.one_of(
    st.tuples(st.just("log"), st.sampled_from(("met", "not-met")), st.sampled_from(DAYS)),
    st.tuples(
        st.just("relief"),
        st.sampled_from(SENDERS),
        st.sampled_from(MEASURES),
        st.sampled_from(ACTIONS),
        st.sampled_from(DAYS),
    ),
    st.tuples(st.just("amend"), st.integers(0, 20), st.sampled_from(DAYS)),
    st.tuples(st.just("retract"), st.integers(0, 20)),
)


def act(path: Path, step: tuple[object, ...], known: list[str], number: int) -> None:
    kind = step[0]
    if kind == "log":
        found = added(path, "log", "troops", "--criterion", "bases-closed", "--status",
                      str(step[1]), "--date", str(step[2]), "--source", "Monitor",
                      "-r", "B2", "-s", f"{step[1]} on {step[2]}")  # fmt: skip
    elif kind == "relief":
        sender, measure, action, day = (str(part) for part in step[1:])
        found = added(path, "relief", "add", "--sender", sender, "--measure", measure,
                      "--action", action, "--date", day, "--source", "Gazette",
                      "--summary", f"{action} on {day}", "--allow-duplicate")  # fmt: skip
    elif not known:
        return
    elif kind == "amend":
        target = known[int(str(step[1])) % len(known)]
        found = added(path, "amend", target, "--date", str(step[2]), "--reason", f"fix {number}")
    else:
        target = known[int(str(step[1])) % len(known)]
        found = added(path, "retract", target, "--reason", f"withdrawn {number}",
                      "--date", START.date().isoformat())  # fmt: skip
        return
    if found is not None:
        known.append(found)


def merged(base: Path, ours: Path, theirs: Path, folder: Path) -> tuple[int, bytes, str]:
    target = folder / "result.toml"
    shutil.copyfile(ours, target)
    result = run(None, "merge", str(base), str(target), str(theirs), "conditions.toml")
    assert "Traceback" not in result.output, result.output
    return result.exit_code, target.read_bytes(), result.stderr


DUPLICATE = re.compile(r" ((?:ev|rl)-\w+) records the same \w+ as ((?:ev|rl)-\w+) ")


def duplicates(validated: Result) -> set[frozenset[str]]:
    """The pairs of entries `validate` warns record the same report or step."""
    return {frozenset(pair) for pair in DUPLICATE.findall(validated.stderr)}


def check_merge(base: Path, ours: Path, theirs: Path, folder: Path) -> None:
    code, content, err = merged(base, ours, theirs, folder)
    result = folder / "result.toml"
    if code == 0:
        validated = run(result, "validate")
        assert validated.exit_code == 0, f"the driver wrote an invalid file:\n{validated.stderr}"
        # No duplicate that neither side held: the same step from both is kept once.
        assert duplicates(validated) <= duplicates(run(ours, "validate")) | duplicates(
            run(theirs, "validate")
        ), validated.stderr
        return
    assert code == 1, err
    assert err.startswith(("conflict:", "condtrack merge:")), err
    if b"<<<<<<< ours" not in content:  # no part in conflict: ours as it was
        assert content == ours.read_bytes(), err
        assert "the merged file would not validate" in err, err


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                  HealthCheck.too_slow])  # fmt: skip
@given(
    base_steps=st.lists(steps, min_size=1, max_size=4),
    sides=st.lists(
        st.tuples(st.sampled_from(("ours", "theirs")), steps, st.integers(0, 2)),
        min_size=1,
        max_size=6,
    ),
)
def test_the_drivers_output_validates_or_it_reports_a_conflict(
    base_steps: list[tuple[object, ...]], sides: list[tuple[str, tuple[object, ...], int]]
) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        base = folder / "base.toml"
        base.write_text(SMALL_TRACKER, "utf-8")
        clock = Clock()
        known: list[str] = []
        with clocked(clock):
            for number, step in enumerate(base_steps):
                clock.now += dt.timedelta(seconds=1)
                act(base, step, known, number)
            copies = {side: folder / f"{side}.toml" for side in ("ours", "theirs")}
            histories = {side: list(known) for side in copies}
            for path in copies.values():
                shutil.copyfile(base, path)
            for number, (side, step, pause) in enumerate(sides, start=len(base_steps)):
                clock.now += dt.timedelta(seconds=pause)
                act(copies[side], step, histories[side], number)
        check_merge(base, copies["ours"], copies["theirs"], folder)
        check_merge(base, copies["theirs"], copies["ours"], folder)


def test_a_retraction_beside_the_other_sides_reimposition_leaves_ours_unchanged(
    tmp_path: Path,
) -> None:
    """The trial's case: one branch retracts an easing, the other reimposes its measure
    later. Each side is valid; together the reimposition ends an easing withdrawn before it
    was logged, which `validate` refuses."""
    base = tmp_path / "base.toml"
    base.write_text(SMALL_TRACKER, "utf-8")
    clock = Clock()
    with clocked(clock):
        eased = added(base, "relief", "add", "--sender", "US", "--measure", "Belavia",
                      "--action", "eased", "--date", "2025-09-11", "--source", "OFAC",
                      "--summary", "GL 11")  # fmt: skip
        assert eased is not None
        ours, theirs = tmp_path / "ours.toml", tmp_path / "theirs.toml"
        shutil.copyfile(base, ours)
        shutil.copyfile(base, theirs)
        clock.now += dt.timedelta(seconds=5)
        ok(run(ours, "retract", eased, "--reason", "never granted",
               "--date", START.date().isoformat()))  # fmt: skip
        clock.now += dt.timedelta(seconds=5)
        reimposed = added(theirs, "relief", "add", "--sender", "US", "--measure", "Belavia",
                          "--action", "reimposed", "--date", "2025-10-01", "--source", "OFAC",
                          "--summary", "back")  # fmt: skip
        assert reimposed is not None
    for first, second in ((ours, theirs), (theirs, ours)):
        code, content, err = merged(base, first, second, tmp_path)
        assert code == 1
        assert content == first.read_bytes()  # byte for byte as it was
        assert f"the merged file would not validate: relief #2 (id {reimposed!r}" in err, err
        assert f"{eased} retracted before it was logged" in err  # the other entry named
        assert "is left as it was on ours" in err
