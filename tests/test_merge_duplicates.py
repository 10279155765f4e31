"""Two branches that log the same report or relief step (issue 12/14 trial, left open).

The merge driver kept both, so the merged file held a duplicate that `log` and `relief add`
refuse, and `validate` said nothing. Now: identical but for id and logged time, the merge
keeps the one logged first and says so; logged differently, it is a conflict a person
resolves; and `validate` warns about standing duplicates of either kind, however made.
"""

from __future__ import annotations

import json
import re
import tomllib
from functools import partial
from pathlib import Path

from tests.reliability.helpers import ok, run
from tests.test_git_team import Repo
from tests.test_relief_io import (
    MARKERS,
    add,
    forked,
    merged,
    needs_git,
    relief_add,
    taken,
    team,
    tracker,
)

__all__ = ["team", "tracker"]  # fixtures


def document(path: Path) -> dict[str, list[dict[str, object]]]:
    return tomllib.loads(path.read_text("utf-8"))


def log(path: Path, summary: str = "Base closed.", source: str = "Monitor") -> str:
    return ok(run(path, "log", "troops", "--criterion", "bases-closed", "--status", "met",
                  "--date", "2025-01-10", "--source", source, "-r", "B2",
                  "-s", summary)).stdout.strip()  # fmt: skip


def test_the_same_relief_step_from_both_sides_is_kept_once(tracker: Path) -> None:
    ours, theirs = forked(tracker)
    mine, yours = add(ours), add(theirs)
    for swap in (False, True):
        code, text, err = merged(tracker, ours, theirs, swap=swap)
        assert code == 0, err
        (kept,) = tomllib.loads(text)["relief"]
        assert kept["id"] == min((mine, ours), (yours, theirs), key=_logged)[0]
        left_out = yours if kept["id"] == mine else mine
        assert f"left out relief {left_out!r}, logged on both sides as the same relief step" in err
        result = tracker.with_name("result.toml")
        validated = ok(run(result, "validate"))
        assert "records the same" not in validated.stderr


def _logged(pair: tuple[str, Path]) -> tuple[str, str]:
    entry_id, path = pair
    (entry,) = [e for e in document(path)["relief"] if e["id"] == entry_id]
    return str(entry["logged"]), entry_id


def test_the_same_report_from_both_sides_is_kept_once(tracker: Path) -> None:
    ours, theirs = forked(tracker)
    mine, yours = log(ours), log(theirs)
    code, text, err = merged(tracker, ours, theirs)
    assert code == 0, err
    evidence = tomllib.loads(text)["evidence"]
    assert len(evidence) == 1 and evidence[0]["id"] in (mine, yours)
    assert "logged on both sides as the same report" in err


def test_the_same_step_logged_differently_on_each_side_is_a_conflict(tracker: Path) -> None:
    ours, theirs = forked(tracker)
    mine = add(ours, summary="GL 11, per the Treasury")
    yours = add(theirs, source="Reuters", summary="GL 11, per Reuters")
    code, text, err = merged(tracker, ours, theirs)
    assert code == 1
    expected = (f"relief {mine!r} on ours and {yours!r} on theirs record the same relief "
                "step (same sender, measure, action and date) differently; "
                "keep one side's")  # fmt: skip
    assert expected in err, err
    (region,) = MARKERS.findall(text)
    assert f'id = "{mine}"' in region[0] and f'id = "{yours}"' in region[1]
    for side in (1, 2):  # either side taken, the file is valid and has no duplicate
        resolved = tracker.with_name(f"resolved{side}.toml")
        resolved.write_text(MARKERS.sub(partial(taken, side=side), text), "utf-8")
        assert "records the same" not in ok(run(resolved, "validate")).stderr


def test_a_step_one_side_already_withdrew_is_no_duplicate(tracker: Path) -> None:
    ours, theirs = forked(tracker)
    mine = add(ours)
    ok(run(ours, "retract", mine, "--reason", "logged too early"))
    yours = add(theirs)
    code, text, err = merged(tracker, ours, theirs)
    assert code == 0, err
    assert {e["id"] for e in tomllib.loads(text)["relief"]} == {mine, yours}


def test_validate_warns_about_duplicates_recorded_on_purpose(tracker: Path) -> None:
    step = add(tracker)
    again = ok(run(tracker, "relief", "add", "--sender", "us", "--measure", "BELAVIA",
                   "--action", "eased", "--date", "2025-09-11", "--source", "Reuters",
                   "--summary", "again", "--allow-duplicate")).stdout.strip()  # fmt: skip
    report = log(tracker)
    twice = ok(run(tracker, "log", "troops", "--criterion", "bases-closed", "--status", "met",
                   "--date", "2025-01-10", "--source", "monitor", "-r", "C3",
                   "-s", "Base  closed.", "--allow-duplicate")).stdout.strip()  # fmt: skip
    validated = run(tracker, "validate")
    assert validated.exit_code == 0  # a warning: --allow-duplicate records them on purpose
    warnings = [line for line in validated.stderr.splitlines() if "records the same" in line]
    assert warnings == [
        f"warning: {tracker}: evidence {twice} records the same report as {report} (same "
        "condition, date, source and assessment, and the same summary or URL)",
        f"warning: {tracker}: relief entry {again} records the same step as {step} (same "
        "sender, measure, action and date, and no different instrument)",
    ]
    # The same warnings, as data, in validate's JSON (the exit code stays 0).
    as_json = run(tracker, "validate", "--format", "json")
    assert as_json.exit_code == 0
    (checked,) = json.loads(as_json.stdout)["files"]
    assert checked["ok"] is True and checked["problems"] == []
    assert checked["warnings"] == [line.split(f"{tracker}: ", 1)[1] for line in warnings]
    # Withdrawn, a duplicate is no longer one.
    ok(run(tracker, "retract", again, "--reason", "a duplicate"))
    ok(run(tracker, "amend", twice, "--summary", "Bases closed.", "--reason", "plural"))
    assert "records the same" not in ok(run(tracker, "validate")).stderr


@needs_git
def test_a_real_git_merge_of_two_branches_that_logged_the_same_step(team: Repo) -> None:
    team.git("switch", "-q", "-c", "anna")
    anna = relief_add(team, "US", "Belavia", "eased", "2025-09-11")
    team.commit("anna: Belavia")
    team.git("switch", "-q", "main")
    mine = relief_add(team, "US", "Belavia", "eased", "2025-09-11")
    team.commit("main: Belavia")
    done = team.git("merge", "--no-edit", "anna", ok=False)
    assert done.returncode == 0, done.stdout + done.stderr
    relief = document(team.tracker)["relief"]
    assert len(relief) == 1 and relief[0]["id"] in (anna, mine)
    assert re.search(r"left out relief 'rl-\w+', logged on both sides", done.stderr)
    validated = team.condtrack("validate")
    assert "records the same" not in validated.stderr


def test_validate_names_the_first_few_of_many_duplicates_and_counts_the_rest(
    tracker: Path,
) -> None:
    for _ in range(8):
        ok(run(tracker, "relief", "add", "--sender", "US", "--measure", "Belavia",
               "--action", "eased", "--date", "2025-09-11", "--source", "OFAC",
               "--summary", "again", "--allow-duplicate"))  # fmt: skip
    validated = ok(run(tracker, "validate"))
    warnings = [line for line in validated.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 6 and warnings[-1] == f"warning: {tracker}: and 2 more duplicates"
