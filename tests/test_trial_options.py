"""Options and arguments found wanting in a trial of main: a condition id in another case
gets the id suggested (ids but entry ids are matched exactly), ...
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SMALL_TRACKER
from tests.reliability.helpers import run

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
