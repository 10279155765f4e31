"""The gate's last line names what failed, not what was required.

"gate failed (relief in step with compliance)" and "gate failed (met: b ...)" read as the
opposite of what happened; a failed gate now says what failed ("gate failed: 2 measures in
effect ahead of compliance", "snapback due: US oil"); a passing one still lists what it
required.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import SMALL_TRACKER, Invoke


def _last(cli: Invoke, *args: str) -> tuple[int, str, list[str]]:
    result = cli("check", *args)
    lines = result.stdout.splitlines()
    return result.exit_code, lines[-1], [line for line in lines if line.startswith("FAIL ")]


def _ease(cli: Invoke, measure: str, *extra: str) -> None:
    done = cli(
        "relief", "add", "--sender", "US", "--measure", measure, "--action", "eased",
        "--date", "2025-03-01", "--source", "Gazette", "--reliability", "A1",
        "--summary", f"{measure} eased", *extra,
    )  # fmt: skip
    assert done.exit_code == 0, done.output


def test_relief_ahead_is_named_as_the_failure(cli: Invoke) -> None:
    _ease(cli, "oil")
    _ease(cli, "gold")
    code, last, fails = _last(
        cli, "--min-score", "0", "--require-sequencing", "--as-of", "2025-04-01"
    )
    assert code == 1 and len(fails) == 2
    assert last == "gate failed: 2 measures in effect ahead of compliance as of 2025-04-01"
    assert "in step" not in last


def test_unmet_conditions_are_named_as_not_met(cli: Invoke) -> None:
    code, last, fails = _last(cli, "--require", "troops,prisoners", "--as-of", "2025-04-01")
    assert code == 1 and len(fails) == 2
    assert last == "gate failed: 2 conditions not met: troops, prisoners as of 2025-04-01"
    code, last, _ = _last(cli, "--require", "troops", "--as-of", "2025-04-01")
    assert last == "gate failed: troops not met as of 2025-04-01"
    for format_ in ("github",):
        shown = cli("check", "--require", "troops", "--format", format_, "--as-of", "2025-04-01")
        assert shown.stdout.splitlines()[-1].endswith(last)


def test_snapback_and_snapback_due_are_named(cli: Invoke, log: object) -> None:
    for criterion in ("bases-closed", "troops-gone"):
        cli(
            "log", "troops", "--criterion", criterion, "--status", "met", "--date", "2025-02-01",
            "--source", "M", "--reliability", "B2", "--summary", f"{criterion} met",
        )  # fmt: skip
    _ease(cli, "oil", "--for", "troops")
    cli(
        "log", "troops", "--criterion", "bases-closed", "--status", "not-met",
        "--date", "2025-04-01", "--source", "M", "--reliability", "B2", "--summary", "back",
    )  # fmt: skip
    code, last, fails = _last(cli, "--require", "troops", "--as-of", "2025-05-01")
    assert code == 3, fails
    assert last.startswith("gate failed: troops not met; snapback: troops; snapback due: US oil")
    # Every FAIL line's subject is in the verdict.
    for subject in ("troops", "US oil"):
        assert any(subject in fail for fail in fails) and subject in last


def test_a_requirement_from_the_file_is_marked_in_the_verdict(tmp_path: Path, cli: Invoke) -> None:
    path = tmp_path / "gated.toml"
    text = SMALL_TRACKER.replace("schema = 1", "schema = 2")
    path.write_text(text + '\n[gate]\nrequire = ["troops"]\nmin_score = 50\n', encoding="utf-8")
    result = cli("check", "--as-of", "2025-04-01", file=path)
    last = result.stdout.splitlines()[-1]
    assert last == (
        "gate failed: troops not met (from [gate]); overall score 0 is below 50 (from [gate]) "
        "as of 2025-04-01"
    )
    data = json.loads(cli("check", "--format", "json", "--as-of", "2025-04-01", file=path).stdout)
    assert not data["passed"]


def test_a_passing_gate_still_lists_what_it_required(cli: Invoke) -> None:
    code, last, fails = _last(cli, "--min-score", "0", "--as-of", "2025-04-01")
    assert (code, fails) == (0, [])
    assert last == "gate passed (overall score >= 0) as of 2025-04-01"
