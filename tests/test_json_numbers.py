"""JSON figures that are whole are written as integers, in every JSON a command writes.

A balance showed ``"inflow_total": 0.0`` beside ``"outflow_total": 416``: a figure's
spelling depended on whether it was summed from anything. Evidence keeps its values as
recorded (``evidence`` and ``history`` reproduce the entries).
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import SMALL_TRACKER
from tests.reliability.helpers import child_env, ok, run

FIGURES = [
    ("status", "--format", "json", "--as-of", "2025-02-01"),
    ("report", "--format", "json", "--as-of", "2025-02-01", "--since", "2025-01-01"),
    ("check", "--format", "json", "--as-of", "2025-02-01"),
    ("diff", "--format", "json", "--since", "2025-01-01", "--until", "2025-02-01"),
    ("conditions", "--format", "json"),
]


def whole_decimals(text: str) -> list[str]:
    """Every number written with a fraction or exponent that is in fact whole (``0.0``)."""
    found: list[str] = []

    def number(spelled: str) -> Decimal:
        if Decimal(spelled) == Decimal(spelled).to_integral_value():
            found.append(spelled)
        return Decimal(spelled)

    json.loads(text, parse_float=number)
    return found


def logged(path: Path, indicator: str, value: str, day: int) -> None:
    ok(
        run(
            path,
            *("log", "prisoners", "--indicator", indicator, "--value", value, "-s", "n"),
            *(
                "--source",
                "Monitor",
                "-r",
                "B2",
                "--date",
                f"2025-01-{day:02d}",
                "--allow-duplicate",
            ),
        )
    )


def test_a_balance_with_nothing_taken_in_reads_0_beside_416(tmp_path: Path) -> None:
    """The trial's case, through the console script in a process of its own."""
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    logged(path, "freed", "416", 10)
    logged(path, "detained", "0", 11)
    for command in FIGURES:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "condtrack"), "--file", str(path), *command],
            capture_output=True,
            text=True,
            env=child_env(),
            check=False,
        )
        assert done.returncode in (0, 1), done.stderr
        assert whole_decimals(done.stdout) == [], command
    status = json.loads(run(path, *FIGURES[0]).stdout)
    (offset,) = next(c for c in status["conditions"] if c["id"] == "prisoners")["offsets"]
    totals = {key: offset[key] for key in ("outflow_total", "inflow_total", "net")}
    assert totals == {"outflow_total": 416, "inflow_total": 0, "net": 416}
    assert all(type(value) is int for value in totals.values())


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(
        st.tuples(
            st.sampled_from(["freed", "detained", "held", "expelled"]),
            st.one_of(st.integers(0, 5000), st.integers(0, 400).map(lambda n: n / 4)),
        ),
        max_size=5,
    )
)
def test_no_figure_is_a_whole_number_spelled_as_a_fraction(
    values: list[tuple[str, Any]], tmp_path_factory: Any
) -> None:
    path = tmp_path_factory.mktemp("figures") / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    for day, (indicator, value) in enumerate(values, start=2):
        logged(path, indicator, str(value), day)
    for command in FIGURES:
        result = run(path, *command)
        assert result.exit_code in (0, 1), result.output
        assert whole_decimals(result.stdout) == [], (command, result.stdout)


def test_relief_list_writes_whole_scores_as_integers(tmp_path: Path) -> None:
    """`relief list --format json` keeps the compliance on each entry's date: a score of
    nothing met is 0, as status writes it, not 0.0."""
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    added = run(path, "relief", "add", "--sender", "US", "--measure", "Belavia",
                "--action", "eased", "--date", "2025-01-05", "--source", "OFAC",
                "--summary", "GL 11")  # fmt: skip
    assert added.exit_code == 0, added.output
    for command in (("relief", "list", "--format", "json"), ("status", "--format", "json")):
        result = run(path, *command, "--as-of", "2025-02-01")
        assert result.exit_code == 0, result.output
        assert '"score": 0' in result.stdout and whole_decimals(result.stdout) == [], command
