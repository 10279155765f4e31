"""The merge driver's fast path (issue 15): both sides only appended entries to the base.

Held against the full merge (``driver.merge_trackers``): on any history either the fast
path declines, or it gives the full merge's bytes exactly. Cases it must decline fall back
to the full merge and still merge right; hostile sides never make a wrong merge.
"""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from condtrack.errors import CondtrackError
from condtrack.git.merge import driver
from condtrack.git.merge.appended import merge_versions
from condtrack.git.merge.driver import merge_trackers
from condtrack.schema.validation import check_document
from condtrack.storage import remembered, slices, store
from condtrack.storage.remembered import ENV_CACHE
from tests.conftest import SMALL_TRACKER, Invoke
from tests.fast_path_helpers import watching
from tests.test_git_team import Repo
from tests.test_merge import _version, histories
from tests.test_relief_io import needs_git, relief_add, team  # noqa: F401 (a fixture)

Log = Callable[..., str]

SCHEMA_2 = SMALL_TRACKER.replace("schema = 1", "schema = 2")


def entry(identity: str, minute: int = 0, **extra: str) -> str:
    fields = "".join(f'{key} = "{value}"\n' for key, value in extra.items())
    return (
        f'[[evidence]]\nid = "{identity}"\ncondition = "troops"\ndate = 2025-01-01\n'
        f'source = "s"\nsummary = "{identity}"\n{fields}logged = 2025-01-01T00:0{minute}:00Z\n'
    )


def relief(identity: str, action: str = "eased", minute: int = 0) -> str:
    return (
        f'[[relief]]\nid = "{identity}"\nsender = "US"\nmeasure = "Belavia"\n'
        f'action = "{action}"\ndate = 2025-01-01\nfor = ["troops"]\nsource = "s"\n'
        f'summary = "{identity}"\nlogged = 2025-01-01T00:0{minute}:00Z\n'
    )


def retraction(target: str, minute: int = 0) -> str:
    return (
        f'[[retractions]]\nevidence = "{target}"\nreason = "r"\ndate = 2025-01-01\n'
        f"logged = 2025-01-01T00:0{minute}:00Z\n"
    )


def tracker(*blocks: str, head: str = SCHEMA_2) -> bytes:
    return (head + "".join("\n" + block for block in blocks)).encode("utf-8")


BASE = tracker(entry("ev-base"), relief("rl-base"))
OURS = BASE + ("\n" + entry("ev-ours", 2) + "\n" + relief("rl-ours", "lifted", 1)).encode()
THEIRS = BASE + ("\n" + retraction("ev-base", 1) + "\n" + entry("ev-theirs", 1)).encode()


def full(base: bytes, ours: bytes, theirs: bytes) -> bytes | None:
    """The full merge's result, or None when it conflicts, refuses or finds it invalid."""
    try:
        result = merge_trackers(base, ours, theirs)
    except CondtrackError:
        return None
    return result.content if result.clean else None


def fast(base: bytes, ours: bytes, theirs: bytes) -> bytes | None:
    result = merge_versions(base, ours, theirs)
    return None if result is None else result.content


def assert_agree(base: bytes, ours: bytes, theirs: bytes) -> bytes | None:
    """The fast path, either way round: declined, or the full merge's bytes exactly."""
    quick = fast(base, ours, theirs)
    if quick is not None:
        assert quick == full(base, ours, theirs)
        assert fast(base, theirs, ours) == quick  # the same whichever side is ours
    return quick


@pytest.fixture
def no_full_merge(monkeypatch: pytest.MonkeyPatch) -> None:
    """The full merge made to fail: a merge that succeeds took the fast path."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the full merge was used")

    monkeypatch.setattr(driver, "merge_trackers", refuse)


def files(folder: Path, base: bytes, ours: bytes, theirs: bytes) -> tuple[Path, Path, Path]:
    paths = (folder / "base.toml", folder / "ours.toml", folder / "theirs.toml")
    for path, data in zip(paths, (base, ours, theirs), strict=True):
        path.write_bytes(data)
    return paths


def run_merge(cli: Invoke, paths: tuple[Path, Path, Path]) -> Any:
    return cli("merge", *(str(p) for p in paths), "conditions.toml")


# --- the fast path is taken, and gives the full merge's bytes ------------------------------


def test_two_sides_that_appended_merge_without_the_full_merge(
    tmp_path: Path, cli: Invoke, no_full_merge: None
) -> None:
    paths = files(tmp_path, BASE, OURS, THEIRS)
    result = run_merge(cli, paths)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    merged = paths[1].read_bytes()
    assert merged.startswith(BASE)
    doc = tomllib.loads(merged.decode("utf-8"))
    assert [e["id"] for e in doc["evidence"]] == ["ev-base", "ev-theirs", "ev-ours"]
    assert [e["id"] for e in doc["relief"]] == ["rl-base", "rl-ours"]
    assert [r["evidence"] for r in doc["retractions"]] == ["ev-base"]
    assert cli("validate", file=paths[1]).exit_code == 0


def test_the_fast_merge_is_the_full_merge_byte_for_byte() -> None:
    quick = assert_agree(BASE, OURS, THEIRS)
    assert quick is not None
    # New entries in the order they were logged, each as written, a blank line apart.
    tail = quick[len(BASE) :].decode("utf-8")
    # (ties by table, then id)
    order = [entry("ev-theirs", 1), relief("rl-ours", "lifted", 1), retraction("ev-base", 1)]
    assert tail == "\n" + "\n".join([*order, entry("ev-ours", 2)])


def test_a_side_that_appended_nothing_gives_the_other_side_exactly(
    tmp_path: Path, cli: Invoke, no_full_merge: None
) -> None:
    paths = files(tmp_path, BASE, BASE, THEIRS)
    assert run_merge(cli, paths).exit_code == 0
    assert paths[1].read_bytes() == THEIRS
    paths = files(tmp_path, BASE, OURS, BASE)
    assert run_merge(cli, paths).exit_code == 0
    assert paths[1].read_bytes() == OURS


@pytest.mark.parametrize("sides", [(OURS, THEIRS), (BASE, THEIRS)], ids=["both", "theirs"])
def test_a_fast_merge_leaves_a_record_and_a_snapshot_of_its_result(
    sides: tuple[bytes, bytes],
    tmp_path: Path,
    cli: Invoke,
    no_full_merge: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first command after a merge of a large tracker reads no TOML: the merge left a
    snapshot of its result (the base's, carried on), which gives a full read's answers."""
    monkeypatch.setattr(remembered, "SMALL_BYTES", 0)  # records and snapshots at any size
    paths = files(tmp_path, BASE, *sides)
    assert cli("status", file=paths[0]).exit_code == 0  # the base read once: its snapshot
    assert run_merge(cli, paths).exit_code == 0
    merged = paths[1]
    assert '"ev-theirs"' in read_without_parsing(cli, merged)[2].stdout


def read_without_parsing(cli: Invoke, merged: Path) -> list[Any]:
    """Commands on the merged file parse no TOML, and answer as a full read does."""
    commands = [
        ("status", "--format", "json", "--as-of", "2025-06-01"),
        ("check", "--format", "json", "--as-of", "2025-06-01"),
        ("evidence", "--format", "json"),
    ]
    with watching(slices, "read_tracker") as sliced, watching(store, "parse") as parsed:
        fast = [cli(*command, file=merged) for command in commands]
    assert (sliced, parsed) == ([], [])
    plain = [cli(*command, file=merged, env={ENV_CACHE: ""}) for command in commands]
    assert [(r.exit_code, r.stdout) for r in fast] == [(r.exit_code, r.stdout) for r in plain]
    return fast


def test_after_two_analysts_logged_the_merge_leaves_a_snapshot_of_its_result(
    tmp_path: Path, cli: Invoke, no_full_merge: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The base's record gone (pruned), after each side's ``log`` left its own: the merge
    learns what the base holds from a side's record, and still leaves a record and snapshot."""
    monkeypatch.setattr(remembered, "SMALL_BYTES", 0)
    paths = files(tmp_path, BASE, BASE, BASE)
    assert cli("status", file=paths[0]).exit_code == 0
    for side, minute in ((paths[1], "2"), (paths[2], "3")):
        logged = cli(
            *("log", "troops", "--summary", f"from {side.name}", "--source", "s"),
            *("--date", "2025-02-0" + minute, "--allow-duplicate"),
            file=side,
        )
        assert logged.exit_code == 0, logged.output
    # The sides' logs left the base's record; the folder's limits may prune it, as here.
    known = remembered.recall(BASE)
    folder = remembered.records_folder()
    assert known is not None and folder is not None
    (folder / f"{known.key}.ids").unlink()
    assert remembered.recall(BASE) is None
    assert run_merge(cli, paths).exit_code == 0
    found = read_without_parsing(cli, paths[1])[2].stdout
    assert "from ours.toml" in found
    assert "from theirs.toml" in found


def test_amendments_of_the_bases_entries_merge_fast_after_a_full_check_of_the_base(
    tmp_path: Path, cli: Invoke, no_full_merge: None
) -> None:
    ours = BASE + ("\n" + entry("ev-fix", 1, supersedes="ev-base", reason="typo")).encode()
    paths = files(tmp_path, BASE, ours, THEIRS)
    result = run_merge(cli, paths)
    assert result.exit_code == 0, result.output
    assert cli("validate", file=paths[1]).exit_code == 0
    assert assert_agree(BASE, ours, THEIRS) == paths[1].read_bytes()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories())
def test_on_any_split_of_a_log_the_fast_path_is_the_full_merge(
    history: list[dict[str, Any]],
) -> None:
    base, ours, theirs = (_version(history, side).encode() for side in ("base", "ours", "theirs"))
    quick = assert_agree(base, ours, theirs)
    in_base = any(e["where"] == "base" for e in history)
    if in_base and ours != base and theirs != base:
        assert quick is not None  # plain appends to a base with entries: always fast


# --- what must take the full merge, and still merges right ---------------------------------

BOTH = (BASE, OURS, THEIRS)


def _edit_base(texts: tuple[bytes, ...]) -> tuple[bytes, ...]:
    base, ours, theirs = texts
    return base, ours.replace(b'summary = "ev-base"', b'summary = "ev-base, edited"'), theirs


def _edit_head(texts: tuple[bytes, ...]) -> tuple[bytes, ...]:
    base, ours, theirs = texts
    return base, ours, theirs.replace(b"window_days = 90", b"window_days = 60")


def _same_id(texts: tuple[bytes, ...]) -> tuple[bytes, ...]:
    base, ours, theirs = texts
    return base, ours, theirs + ("\n" + entry("ev-ours", 3)).encode()


def _two_amendments(texts: tuple[bytes, ...]) -> tuple[bytes, ...]:
    base, ours, theirs = texts
    one = entry("ev-a1", 3, supersedes="ev-base", reason="a")
    two = entry("ev-a2", 3, supersedes="ev-base", reason="b")
    return base, ours + ("\n" + one).encode(), theirs + ("\n" + two).encode()


def _schema_3(texts: tuple[bytes, ...]) -> tuple[bytes, ...]:
    base, ours, theirs = texts
    return base, ours.replace(b"schema = 2", b"schema = 3"), theirs


FALLBACKS = {
    "an edit to the base": _edit_base,
    "a change to the head": _edit_head,
    "the same id with other content": _same_id,
    "two amendments of one entry": _two_amendments,
    "another schema number": _schema_3,
}


@pytest.mark.parametrize("case", FALLBACKS)
def test_what_is_not_a_plain_append_takes_the_full_merge(
    case: str, tmp_path: Path, cli: Invoke
) -> None:
    base, ours, theirs = FALLBACKS[case](BOTH)
    assert fast(base, ours, theirs) is None
    paths = files(tmp_path, base, ours, theirs)
    expected = merge_trackers(base, ours, theirs)
    result = run_merge(cli, paths)
    assert result.exit_code == (0 if expected.clean else 1), result.output
    assert paths[1].read_bytes() == expected.content


def test_a_first_relief_entry_that_raised_the_schema_takes_the_full_merge(
    tmp_path: Path, cli: Invoke, log: Log
) -> None:
    base = tracker(entry("ev-base"), head=SMALL_TRACKER)
    ours = base + ("\n" + entry("ev-ours", 1)).encode()
    theirs = base.replace(b"schema = 1", b"schema = 2") + ("\n" + relief("rl-new")).encode()
    assert fast(base, ours, theirs) is None
    paths = files(tmp_path, base, ours, theirs)
    result = run_merge(cli, paths)
    assert result.exit_code == 0, result.output
    doc = tomllib.loads(paths[1].read_text("utf-8"))
    assert doc["tracker"]["schema"] == 2 and [r["id"] for r in doc["relief"]] == ["rl-new"]
    assert cli("validate", file=paths[1]).exit_code == 0


def test_a_base_spaced_otherwise_than_the_full_merge_writes_takes_the_full_merge() -> None:
    for spaced in (b"Z\n\n\n[[relief]]", b"Z \n\n[[relief]]", b"Z\n \n[[relief]]"):
        base = BASE.replace(b"Z\n\n[[relief]]", spaced)
        assert base != BASE
        ours, theirs = (base + side[len(BASE) :] for side in (OURS, THEIRS))
        assert fast(base, ours, theirs) is None
        assert full(base, ours, theirs) is not None
    base = BASE + b"\n"  # two newlines at the end
    assert fast(base, base + OURS[len(BASE) :], base + THEIRS[len(BASE) :]) is None


# --- hostile sides never make a wrong merge --------------------------------------------------


def _hostile() -> Iterator[tuple[str, tuple[bytes, bytes, bytes]]]:
    base, ours, theirs = BOTH
    yield "one byte of the base changed", (base, ours, theirs.replace(b"ev-base", b"ev-bas3", 1))
    yield "a side without its last newline", (base, ours, theirs[:-1])
    yield "a side a byte short inside the base", (base, ours, theirs[:100] + theirs[101:])
    yield "a side a byte longer inside the base", (base, ours, theirs[:100] + b" " + theirs[100:])
    yield "a side cut inside an entry", (base, ours, theirs[: len(base) + 40])
    yield "a side cut before the base's end", (base, ours, base[:-1])
    yield "CRLF on a side", (base, ours, theirs.replace(b"\n", b"\r\n"))
    yield "CRLF in the base", tuple(v.replace(b"\n", b"\r\n") for v in BOTH)  # type: ignore[misc]
    yield "a BOM on the base", tuple(b"\xef\xbb\xbf" + v for v in BOTH)  # type: ignore[misc]
    yield "a side appended [gate]", (base, ours, theirs + b'\n[gate]\nrequire = ["troops"]\n')
    yield "a side appended [tracker]", (base, ours, theirs + b"\n[tracker]\nschema = 2\n")
    yield "a side appended a key", (base, ours, theirs + b'note = "x"\n')
    yield "a side appended a key first", (base, ours, base + b'note = "x"\n' + OURS[len(base) :])
    yield "a comment before a side's entry", (base, ours, base + b"# c\n" + THEIRS[len(base) :])
    yield "a side changed schema", (base, ours, theirs.replace(b"schema = 2", b"schema = 1"))
    yield (
        "relief for an unknown condition",
        (
            base,
            ours,
            theirs + ("\n" + relief("rl-x").replace('"troops"]', '"nope"]')).encode(),
        ),
    )
    yield (
        "a reimposition of nothing eased",
        (
            base,
            ours,
            theirs + ("\n" + relief("rl-x", "reimposed").replace("Belavia", "potash")).encode(),
        ),
    )
    yield (
        "an evidence amendment of relief",
        (
            base,
            ours,
            theirs + ("\n" + entry("ev-x", 3, supersedes="rl-base", reason="r")).encode(),
        ),
    )
    yield "a retraction of nothing", (base, ours, theirs + ("\n" + retraction("ev-none")).encode())
    yield "an id of the base again", (base, ours, theirs + ("\n" + entry("rl-base")).encode())
    yield "a side not UTF-8", (base, ours, theirs + b'\n[[evidence]]\nid = "\xff"\n')
    yield "an array of tables inline", (base, ours, theirs + b"\nevidence = [{id = 'ev-z'}]\n")
    unterminated = base[:-1] + b' """\n'
    yield "a base that is not TOML", (unterminated, unterminated + OURS[len(base) :], unterminated)


@pytest.mark.parametrize(("case", "texts"), list(_hostile()), ids=[c for c, _ in _hostile()])
def test_a_hostile_side_never_makes_a_wrong_merge(
    case: str, texts: tuple[bytes, bytes, bytes]
) -> None:
    base, ours, theirs = texts
    quick = fast(base, ours, theirs)
    expected = full(base, ours, theirs)
    assert quick is None or quick == expected
    if quick is not None:
        text = quick.decode("utf-8")
        assert check_document(tomllib.loads(text), text)[1] == []


def test_hostile_sides_are_declined() -> None:
    for case, (base, ours, theirs) in _hostile():
        if case != "a side without its last newline":  # merged: the full merge agrees
            assert fast(base, ours, theirs) is None, case


# --- records: the base vouched for by its own record, or by a side's ------------------------


def _large(blocks: int) -> bytes:
    """A base past the size records are kept for."""
    return tracker(*(entry(f"ev-{n:05d}") for n in range(blocks)), relief("rl-base"))


def test_a_record_of_the_base_or_of_ours_spares_the_full_check_of_the_base(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    base = _large(600)
    ours = base + ("\n" + entry("ev-ours", 2)).encode()
    theirs = base + ("\n" + entry("ev-theirs", 1)).encode()
    expected = full(base, ours, theirs)
    assert expected is not None
    reads: list[bytes] = []
    read_tracker = slices.read_tracker

    def watched(data: bytes, **kwargs: Any) -> Any:
        reads.append(data)
        return read_tracker(data, **kwargs)

    monkeypatch.setattr(slices, "read_tracker", watched)
    assert fast(base, ours, theirs) == expected  # no record: the base is checked in full
    assert reads == [base]  # ... which leaves a record of it
    assert fast(base, ours, theirs) == expected
    assert reads == [base]
    # A record of ours alone (as `log` leaves one) vouches for the base it begins with.
    monkeypatch.setenv("CONDTRACK_CACHE_DIR", str(tmp_path / "other-cache"))
    assert read_tracker(ours) is not None  # which records ours
    reads.clear()
    assert fast(base, ours, theirs) == expected
    assert reads == []


def test_an_amendment_of_an_old_entry_is_cleared_by_the_record_of_its_side_or_a_full_check(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    base = _large(600)
    amending = base + ("\n" + entry("ev-fix", 2, supersedes="ev-00001", reason="r")).encode()
    plain = base + ("\n" + entry("ev-plain", 1)).encode()
    expected = full(base, amending, plain)
    assert expected is not None
    reads: list[bytes] = []
    read_tracker = slices.read_tracker

    def watched(data: bytes, **kwargs: Any) -> Any:
        reads.append(data)
        return read_tracker(data, **kwargs)

    monkeypatch.setattr(slices, "read_tracker", watched)
    assert read_tracker(amending) is not None  # a record of the amending side (its `log`'s)
    assert fast(base, amending, plain) == expected
    assert reads == []  # that side was checked whole: its amendment needs no more
    monkeypatch.setenv("CONDTRACK_CACHE_DIR", str(tmp_path / "other-cache"))
    assert read_tracker(plain) is not None  # now only the other side has a record
    assert fast(base, amending, plain) == expected
    assert reads == [base]  # whether the base amended ev-00001 already: a full check says
    # An amendment of an entry the base has amended already is invalid: the full merge says so.
    again = amending + ("\n" + entry("ev-fix2", 3, supersedes="ev-00001", reason="r")).encode()
    later = amending + ("\n" + entry("ev-late", 4)).encode()
    assert read_tracker(later) is not None  # the valid side's record
    assert fast(amending, later, again) is None
    assert full(amending, later, again) is None


# --- real git ---------------------------------------------------------------------------------


@needs_git
def test_a_real_git_merge_of_two_branches_appending_evidence_and_relief(
    team: Repo,  # noqa: F811
) -> None:
    relief_add(team, "US", "Belavia", "eased", "2025-09-11")  # schema 2 in the base
    team.commit("relief")
    base = team.tracker.read_bytes()
    team.git("switch", "-q", "-c", "anna")
    ids = {team.log("troops", "anna's"), relief_add(team, "EU", "potash", "eased", "2025-10-01")}
    team.commit("anna")
    anna = team.tracker.read_bytes()
    team.git("switch", "-q", "main")
    ids |= {relief_add(team, "US", "Belavia", "reimposed", "2025-11-01")}
    ids |= {team.log("prisoners", "main's", "--indicator", "held", "--value", "10")}
    team.commit("main")
    main = team.tracker.read_bytes()
    done = team.git("merge", "--no-edit", "anna", ok=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CONFLICT" not in done.stdout
    merged = team.tracker.read_bytes()
    assert merged == fast(base, main, anna)  # what git wrote is the fast path's merge
    doc = tomllib.loads(merged.decode("utf-8"))
    assert ids <= {e["id"] for e in [*doc["evidence"], *doc["relief"]]}
    assert team.condtrack("validate").stdout.startswith(f"{team.tracker}: valid")


def test_a_merge_with_a_side_missing_is_the_full_merges_error(tmp_path: Path, cli: Invoke) -> None:
    paths = files(tmp_path, BASE, OURS, THEIRS)
    shutil.move(paths[2], tmp_path / "gone.toml")
    result = run_merge(cli, paths)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert paths[1].read_bytes() == OURS


# Spacing and comments people (or other tools) leave: some the full merge writes back as
# they are (the fast path may merge), some it respaces (the fast path must decline).
RESPACINGS = [
    (b"Z\n\n[[", b"Z\n\n\n[["),  # two blank lines between entries
    (b"Z\n\n[[", b"Z  \n\n[["),  # trailing spaces
    (b"Z\n\n[[", b"Z\n# a note\n\n[["),  # a comment after an entry
    (b"\n[[evidence]]\n", b"\n[[evidence]]  # by hand\n"),  # a comment on a header
    (b"\n[[evidence]]\n", b"\n [[evidence]]\n"),  # an indented header
    (b'"\n', b'" # why\n'),  # a comment after a value
]


@st.composite
def respaced(draw: st.DrawFn) -> tuple[bytes, bytes, bytes]:
    history = draw(histories())
    texts = [_version(history, side).encode() for side in ("base", "ours", "theirs")]
    base = texts[0]
    tails = [text[len(base) :] for text in texts[1:]]
    for _ in range(draw(st.integers(0, 3))):
        old, new = draw(st.sampled_from(RESPACINGS))
        part = draw(st.integers(0, 2))  # the base, or one side's tail
        text = base if part == 0 else tails[part - 1]
        if old in text:
            count = text.count(old)
            at = draw(st.integers(0, count - 1))
            pieces = text.split(old)
            text = old.join(pieces[: at + 1]) + new + old.join(pieces[at + 1 :])
        if part == 0:
            base = text
        else:
            tails[part - 1] = text
    if draw(st.booleans()):
        side = draw(st.integers(0, 1))
        tails[side] = tails[side].rstrip(b"\n") if draw(st.booleans()) else b"\n" + tails[side]
    return base, base + tails[0], base + tails[1]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=respaced())
def test_on_any_spacing_the_fast_path_declines_or_is_the_full_merge(
    texts: tuple[bytes, bytes, bytes],
) -> None:
    assert_agree(*texts)


def test_a_reimposition_of_an_easing_the_base_retracted_is_no_fast_merge(
    tmp_path: Path, cli: Invoke
) -> None:
    """A side that appended (by hand: the CLI refuses it) a reimposition of a measure whose
    only easing the base had already retracted: the two sides' tails are each fine on their
    own, but the result is a file `validate` refuses, so the fast path, which must know the
    base's retractions to see it, may not write it; the full merge leaves ours as it was."""
    base = tracker(entry("ev-base"), relief("rl-base"), retraction("rl-base", 1))
    ours = base + ("\n" + relief("rl-back", "reimposed", 2)).encode()
    theirs = base + ("\n" + entry("ev-theirs", 1)).encode()
    assert full(base, ours, theirs) is None  # what `validate` refuses
    for first, second in ((ours, theirs), (theirs, ours)):
        assert merge_versions(base, first, second) is None
        paths = files(tmp_path, base, first, second)
        result = run_merge(cli, paths)
        assert result.exit_code == 1, result.output
        assert paths[1].read_bytes() == first  # byte for byte as it was
