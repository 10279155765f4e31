"""Options whose value must name something (the trial of the merged main, P3): an empty or
blank `evidence --tag` matched nothing without a word, and `validate --revision ""` was
taken as HEAD. Both are usage errors now, as a blank file name is; and a file holding only
an editor's byte order mark is as empty as one holding nothing, for `init`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SMALL_TRACKER
from tests.reliability.helpers import ok, run


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, "utf-8")
    return path


@pytest.mark.parametrize("blank", ["", " ", "\t"])
@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("evidence", "--tag"), "--tag"),
        (("evidence", "-t", "x", "-t"), "--tag"),
        (("validate", "--against-git", "--revision"), "--revision"),
    ],
)
def test_a_blank_value_that_must_name_something_is_a_usage_error(
    tracker: Path, args: tuple[str, ...], option: str, blank: str
) -> None:
    before = tracker.read_bytes()
    result = run(tracker, *args, blank)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and option in lines[0] and "names nothing" in lines[0]
    assert "Traceback" not in result.output
    assert tracker.read_bytes() == before


def test_a_tag_that_names_something_still_filters(tracker: Path) -> None:
    ok(run(tracker, "log", "troops", "--summary", "tagged", "--source", "s", "--tag", "x"))
    ok(run(tracker, "log", "troops", "--summary", "untagged", "--source", "s"))
    listed = ok(run(tracker, "evidence", "--tag", "x", "--format", "csv")).stdout
    assert "tagged" in listed and "untagged" not in listed


@pytest.mark.parametrize("content", [b"\xef\xbb\xbf", b"\xef\xbb\xbf\n", b"\xef\xbb\xbf \r\n\t"])
def test_init_fills_a_file_holding_only_a_byte_order_mark(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "conditions.toml"
    path.write_bytes(content)
    ok(run(None, "init", str(path)))
    assert b"[[conditions]]" in path.read_bytes()
    assert not path.with_name("conditions.toml.bak").exists()
