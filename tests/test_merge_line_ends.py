"""A merge writes one line-end style: the one a side changed to, else the base's."""

from __future__ import annotations

import tempfile
import tomllib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from condtrack.cli import app
from tests.conftest import SMALL_TRACKER
from tests.test_git_team import Repo, fresh, repo  # noqa: F401  (the fixtures)
from tests.test_git_team import pytestmark as needs_git

STYLES = st.sampled_from(["\n", "\r\n"])


def _entry(name: str, minute: int) -> str:
    return (
        f'\n[[evidence]]\nid = "{name}"\ncondition = "troops"\ndate = 2025-01-01\n'
        f'source = "s"\nsummary = """{name}\nlines"""\nlogged = 2025-01-01T00:0{minute}:00Z\n'
    )


def _mixes(data: bytes) -> bool:
    lines = data.split(b"\n")[:-1]
    crlf = sum(line.endswith(b"\r") for line in lines)
    return 0 < crlf < len(lines)


def _expected_style(base: str, ours: str, theirs: str) -> str:
    return theirs if ours == base else ours


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    styles=st.tuples(STYLES, STYLES, STYLES),
    ours_adds=st.integers(0, 2),
    theirs_adds=st.integers(0, 2),
)
def test_the_merge_never_mixes_line_ends_and_reads_as_the_union(
    styles: tuple[str, str, str], ours_adds: int, theirs_adds: int
) -> None:
    base_text = SMALL_TRACKER + _entry("ev-base", 0)
    added = {
        "ours": "".join(_entry(f"ev-o{i}", i + 1) for i in range(ours_adds)),
        "theirs": "".join(_entry(f"ev-t{i}", i + 1) for i in range(theirs_adds)),
    }
    texts = (base_text, base_text + added["ours"], base_text + added["theirs"])
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as folder:
        paths = [Path(folder) / name for name in ("base.toml", "ours.toml", "theirs.toml")]
        for path, text, style in zip(paths, texts, styles, strict=True):
            path.write_bytes(text.replace("\n", style).encode("utf-8"))
        result = runner.invoke(app, ["merge", *map(str, paths), "conditions.toml"])
        assert result.exit_code == 0, result.output
        merged = paths[1].read_bytes()
        assert not _mixes(merged)
        style = _expected_style(*styles)
        assert merged.count(b"\r\n") == (merged.count(b"\n") if style == "\r\n" else 0)
        document = tomllib.loads(merged.decode("utf-8"))
        wanted = ["ev-base", *(f"ev-o{i}" for i in range(ours_adds))]
        wanted += [f"ev-t{i}" for i in range(theirs_adds)]
        assert sorted(e["id"] for e in document["evidence"]) == sorted(wanted)
        assert all(e["summary"] == f"{e['id']}\nlines" for e in document["evidence"])


@needs_git
def test_git_merges_a_branch_that_converted_to_crlf_into_one_style(repo: Repo) -> None:  # noqa: F811
    repo.git("switch", "-q", "-c", "crlf")
    repo.tracker.write_bytes(repo.tracker.read_bytes().replace(b"\n", b"\r\n"))
    repo.commit("crlf")
    theirs = repo.log("troops", "theirs", "--date", "2025-01-01")
    repo.commit("t")
    repo.git("switch", "-q", "main")
    ours = repo.log("troops", "ours", "--date", "2025-01-02")
    repo.commit("o")
    repo.git("merge", "crlf", "-m", "m")
    merged = repo.tracker.read_bytes()
    lines = merged.split(b"\n")[:-1]
    assert lines and all(line.endswith(b"\r") for line in lines)
    assert {ours, theirs} <= set(repo.evidence())
    assert repo.condtrack("validate").returncode == 0


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    changed=st.sampled_from(["ours", "theirs"]),
    base_style=STYLES,
    mixed_from=st.integers(0, 3),
    adds=st.integers(0, 2),
)
def test_a_side_alone_changed_with_mixed_line_ends_merges_into_one_style(
    changed: str, base_style: str, mixed_from: int, adds: int
) -> None:
    """One side changed nothing: the other side's text is the merge, in one line-end style
    (its own mixed ends were passed through as they were)."""
    base_text = SMALL_TRACKER + _entry("ev-base", 0)
    other = "\r\n" if base_style == "\n" else "\n"
    entries = [_entry(f"ev-c{i}", i + 1) for i in range(adds + 1)]
    # The side: the base in its style, its new entries from ``mixed_from`` on in the other.
    side = base_text.replace("\n", base_style) + "".join(
        entry.replace("\n", other if at >= mixed_from else base_style)
        for at, entry in enumerate(entries)
    )
    base = base_text.replace("\n", base_style).encode("utf-8")
    texts = {"ours": base, "theirs": base, changed: side.encode("utf-8")}
    with tempfile.TemporaryDirectory() as folder:
        paths = [Path(folder) / name for name in ("base.toml", "ours.toml", "theirs.toml")]
        for path, data in zip(paths, (base, texts["ours"], texts["theirs"]), strict=True):
            path.write_bytes(data)
        result = CliRunner().invoke(app, ["merge", *map(str, paths), "conditions.toml"])
        assert result.exit_code == 0, result.output
        merged = paths[1].read_bytes()
        assert not _mixes(merged)
        document = tomllib.loads(merged.decode("utf-8"))
        assert [e["id"] for e in document["evidence"]] == [
            "ev-base",
            *(f"ev-c{i}" for i in range(adds + 1)),
        ]
        assert all(e["summary"] == f"{e['id']}\nlines" for e in document["evidence"])
