"""Amending an entry's summary never changes a verdict.

An amendment is appended at the end of the file; it once jumped ahead of a later entry of
the same date, so correcting a typo in the first of two same-day entries (evidence or
relief) flipped a criterion's status or a measure's state. An amendment now takes its
original's place among entries of its date (``condtrack.domain.chains.in_date_order``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from condtrack.cli import app
from tests.conftest import SMALL_TRACKER

DAYS = ["2025-03-01", "2025-03-02"]


def _runner(path: Path) -> Callable[..., Any]:
    def run(*args: str) -> Any:
        return CliRunner().invoke(app, ["--file", str(path), *args])

    return run


def _verdicts(run: Callable[..., Any]) -> tuple[Any, ...]:
    """Everything a verdict is (no ids, which an amendment changes)."""
    status = json.loads(run("status", "--format", "json", "--as-of", "2025-06-01").stdout)
    conditions = [
        (c["id"], c["status"], c["score"], [(k["id"], k["status"]) for k in c["criteria"]])
        for c in status["conditions"]
    ]
    measures = [(m["sender"], m["measure"], m["state"], m["ahead"]) for m in status["relief"]]
    gate = run("check", "--require-sequencing", "--as-of", "2025-06-01").exit_code
    listed = json.loads(run("relief", "list", "--format", "json", "--as-of", "2025-06-01").stdout)
    ahead = sorted((r["date"], r["action"], r["ahead"]) for r in listed if r["counts"])
    return status["overall"], conditions, measures, gate, ahead


EVIDENCE = st.tuples(st.sampled_from(DAYS), st.sampled_from(["met", "not-met", "partial"]))
RELIEF = st.sampled_from(DAYS)  # steps alternate: eased, reimposed, eased


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    evidence=st.lists(EVIDENCE, min_size=1, max_size=3),
    relief=st.lists(RELIEF, min_size=1, max_size=3),
    pick=st.integers(min_value=0),
    relief_first=st.booleans(),
)
def test_amending_a_summary_never_changes_a_verdict(
    evidence: list[tuple[str, str]],
    relief: list[str],
    pick: int,
    relief_first: bool,
    tmp_path_factory: Any,
) -> None:
    path = tmp_path_factory.mktemp("amend") / "conditions.toml"
    path.write_text(SMALL_TRACKER.replace("schema = 1", "schema = 2"), encoding="utf-8")
    run = _runner(path)
    ids: list[tuple[str, str]] = []
    for n, (day, status) in enumerate(evidence):
        done = run(
            "log", "troops", "--criterion", "bases-closed", "--status", status, "--date", day,
            "--source", "Monitor", "--reliability", "B2", "--summary", f"report {n}",
        )  # fmt: skip
        assert done.exit_code == 0, done.output
        ids.append(("evidence", done.stdout.strip()))
    relief_ids: list[tuple[str, str]] = []
    for n, day in enumerate(sorted(relief)):
        action = "reimposed" if n % 2 else "eased"
        done = run(
            "relief", "add", "--sender", "US", "--measure", "oil", "--action", action,
            "--date", day, "--source", "Gazette", "--reliability", "A1",
            "--summary", f"step {n}", "--allow-duplicate",  # same-day steps repeat here
        )  # fmt: skip
        assert done.exit_code == 0, done.output
        relief_ids.append(("relief", done.stdout.strip()))
    chosen = (relief_ids + ids if relief_first else ids + relief_ids)[
        pick % (len(ids) + len(relief_ids))
    ]
    before = _verdicts(run)
    kind, entry = chosen
    command = ["relief", "amend"] if kind == "relief" else ["amend"]
    done = run(*command, entry, "--summary", "typo fixed", "--reason", "typo")
    assert done.exit_code == 0, done.output
    assert _verdicts(run) == before


def test_the_trial_case_amending_the_morning_easing(tmp_path: Path) -> None:
    """The trial's steps: eased then reimposed on one day; amending the easing keeps the
    gate passing (it failed: the amendment, last in the file, became the deciding entry)."""
    path = tmp_path / "conditions.toml"
    run = _runner(path)
    assert run("init", str(path)).exit_code == 0
    common = ["--sender", "US", "--measure", "m", "--date", "2025-03-01", "--source", "s"]
    first = run("relief", "add", *common, "--action", "eased", "--summary", "eased morning")
    run("relief", "add", *common, "--action", "reimposed", "--summary", "reimposed evening")
    assert run("check", "--require-sequencing").exit_code == 0
    amended = run("relief", "amend", first.stdout.strip(), "--summary", "typo", "--reason", "t")
    assert amended.exit_code == 0, amended.output
    assert run("check", "--require-sequencing").exit_code == 0


def test_evidence_listing_shows_an_amendment_in_its_originals_place(tmp_path: Path) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    run = _runner(path)
    logged = [
        run(
            "log", "troops", "--criterion", "bases-closed", "--status", status,
            "--date", "2025-03-01", "--source", "M", "--reliability", "B2", "--summary", status,
        ).stdout.strip()
        for status in ("met", "not-met")
    ]  # fmt: skip
    amended = run("amend", logged[0], "--summary", "met, fixed", "--reason", "typo")
    listed = json.loads(run("evidence", "--format", "json").stdout)
    assert [e["id"] for e in listed] == [amended.stdout.strip(), logged[1]]
    status = json.loads(run("status", "--format", "json").stdout)
    criteria = {k["id"]: k["status"] for k in status["conditions"][0]["criteria"]}
    assert criteria["bases-closed"] == "not-met"  # the later entry of the day stands
