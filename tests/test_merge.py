"""`condtrack merge`: the git merge driver, run as git runs it (BASE OURS THEIRS PATH)."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from condtrack.cli import app
from tests.conftest import SMALL_TRACKER, Invoke

Log = Callable[..., str]
MARKERS = re.compile(r"^<<<<<<< ours\n(.*?)^=======\n(.*?)^>>>>>>> theirs\n", re.M | re.S)


@dataclass
class Sides:
    base: Path
    ours: Path
    theirs: Path

    def texts(self) -> tuple[str, str, str]:
        return tuple(p.read_text("utf-8") for p in (self.base, self.ours, self.theirs))  # type: ignore[return-value]


def fork(base: Path) -> Sides:
    """Two copies of the base: the versions two branches start from."""
    sides = Sides(base, base.with_name("ours.toml"), base.with_name("theirs.toml"))
    for side in (sides.ours, sides.theirs):
        shutil.copyfile(base, side)
    return sides


def merge(cli: Invoke, sides: Sides, *options: str, swap: bool = False) -> Result:
    ours, theirs = (sides.theirs, sides.ours) if swap else (sides.ours, sides.theirs)
    return cli("merge", str(sides.base), str(ours), str(theirs), "conditions.toml", *options)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), "utf-8")


def ids(path: Path) -> list[str]:
    return [e["id"] for e in tomllib.loads(path.read_text("utf-8")).get("evidence", [])]


def resolved(text: str, side: int) -> str:
    """The text with every conflict resolved by taking one side (1 ours, 2 theirs)."""
    return MARKERS.sub(lambda m: m.group(side), text)


def appended(side: str, base: str) -> str:
    assert side.startswith(base)
    return side[len(base) :].strip("\n")


@pytest.fixture
def history(tracker_file: Path, log: Log, cli: Invoke) -> tuple[Sides, dict[str, str]]:
    """Two branches from a base of two entries: ours logs and retracts, theirs logs and amends."""
    first = log("troops", criterion="bases-closed", status="not-met", date="2025-01-01")
    second = log("prisoners", indicator="held", value="900", date="2025-01-02")
    sides = fork(tracker_file)
    mine = log("troops", file=sides.ours, summary="ours: bases", date="2025-02-01")
    assert cli("retract", first, "--reason", "misread", file=sides.ours).exit_code == 0
    yours = log("prisoners", file=sides.theirs, indicator="held", value="800", date="2025-02-02")
    amended = cli("amend", second, "--value", "950", "--reason", "recount", file=sides.theirs)
    assert amended.exit_code == 0, amended.output
    names = {"first": first, "second": second, "mine": mine, "yours": yours}
    return sides, {**names, "amendment": amended.stdout.strip()}


def test_both_sides_logging_merges_with_nothing_lost_and_each_entry_verbatim(
    history: tuple[Sides, dict[str, str]], cli: Invoke
) -> None:
    sides, entry = history
    base, ours, theirs = sides.texts()
    result = merge(cli, sides)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    merged = sides.ours.read_text("utf-8")
    # The base is untouched (head, comments, entries); each side's additions follow verbatim.
    assert merged.startswith(base.rstrip("\n"))
    for block in appended(ours, base).split("\n\n") + appended(theirs, base).split("\n\n"):
        assert block in merged
    assert set(ids(sides.ours)) == {
        entry[k] for k in ("first", "second", "mine", "yours", "amendment")
    }
    document = tomllib.loads(merged)
    assert [r["evidence"] for r in document["retractions"]] == [entry["first"]]
    assert cli("validate", file=sides.ours).exit_code == 0


def test_merging_either_way_round_gives_the_same_file(
    history: tuple[Sides, dict[str, str]], cli: Invoke, tmp_path: Path
) -> None:
    sides, _ = history
    swapped = Sides(sides.base, tmp_path / "a.toml", tmp_path / "b.toml")
    shutil.copyfile(sides.ours, swapped.ours)
    shutil.copyfile(sides.theirs, swapped.theirs)
    assert merge(cli, sides).exit_code == 0
    assert merge(cli, swapped, swap=True).exit_code == 0
    assert sides.ours.read_bytes() == swapped.theirs.read_bytes()


def test_a_side_that_changed_nothing_yields_the_other_exactly(
    tracker_file: Path, log: Log, cli: Invoke
) -> None:
    sides = fork(tracker_file)
    log("troops", file=sides.theirs)
    sides.theirs.write_bytes(sides.theirs.read_bytes().replace(b"\n", b"\r\n"))  # odd, but theirs
    expected = sides.theirs.read_bytes()
    assert merge(cli, sides).exit_code == 0
    assert sides.ours.read_bytes() == expected


def test_edits_to_different_criteria_of_one_condition_both_land(
    tracker_file: Path, cli: Invoke
) -> None:
    sides = fork(tracker_file)
    edit(sides.ours, '"All foreign bases are closed."', '"Every foreign base is closed."')
    edit(sides.ours, 'title = "Prisoners released"', 'title = "Prisoners freed"')
    edit(sides.theirs, '"All foreign troops have left."', '"No foreign troops remain."')
    edit(sides.theirs, "snapback = true", "snapback = false")
    result = merge(cli, sides)
    assert result.exit_code == 0, result.output
    troops, prisoners = tomllib.loads(sides.ours.read_text("utf-8"))["conditions"]
    assert [c["text"] for c in troops["criteria"]] == [
        "Every foreign base is closed.",
        "No foreign troops remain.",
    ]
    assert troops["snapback"] is False
    assert prisoners["title"] == "Prisoners freed"
    assert cli("validate", file=sides.ours).exit_code == 0


def test_opening_comments_survive_a_merge_of_two_edited_heads(tmp_path: Path, cli: Invoke) -> None:
    template = files("condtrack").joinpath("templates/default.toml").read_text("utf-8")
    base = tmp_path / "conditions.toml"
    base.write_text(template, "utf-8")
    sides = fork(base)
    edit(sides.ours, "weight = 1.0\nsnapback = true", "weight = 2.0\nsnapback = true")
    edit(sides.theirs, 'title = "All political prisoners released"', 'title = "Prisoners"')
    assert merge(cli, sides).exit_code == 0
    merged = sides.ours.read_text("utf-8")
    comments = template[: template.index("[tracker]")]
    assert comments.strip() and merged.startswith(comments)
    conditions = tomllib.loads(merged)["conditions"]
    assert (conditions[0]["weight"], conditions[1]["title"]) == (2.0, "Prisoners")


def test_one_condition_edited_differently_is_marked_and_named(
    tracker_file: Path, log: Log, cli: Invoke
) -> None:
    sides = fork(tracker_file)
    edit(sides.ours, 'title = "Foreign troops withdrawn"', 'title = "Troops out"')
    edit(sides.theirs, 'title = "Foreign troops withdrawn"', 'title = "All troops gone"')
    # Two reports (the same one from both sides would be kept once: test_merge_duplicates).
    mine = log("prisoners", file=sides.ours, summary="ours")
    yours = log("prisoners", file=sides.theirs, summary="theirs")
    result = merge(cli, sides)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == (
        "conflict: conditions.toml: "
        "condition 'troops' was changed differently on both sides (title)"
    )
    assert lines[-1].startswith("1 conflict in conditions.toml")
    merged = sides.ours.read_text("utf-8")
    (region,) = MARKERS.findall(merged)
    # Only the condition's own table is in conflict: its criteria are not part of the region.
    assert all("[[conditions.criteria]]" not in side for side in region)
    assert 'title = "Troops out"' in region[0] and 'title = "All troops gone"' in region[1]
    for side, title in ((1, "Troops out"), (2, "All troops gone")):
        choice = sides.base.with_name(f"choice{side}.toml")
        choice.write_text(resolved(merged, side), "utf-8")
        assert cli("validate", file=choice).exit_code == 0
        assert tomllib.loads(choice.read_text("utf-8"))["conditions"][0]["title"] == title
        assert set(ids(choice)) == {mine, yours}


def test_the_marker_size_git_asks_for_is_used(tracker_file: Path, cli: Invoke) -> None:
    sides = fork(tracker_file)
    edit(sides.ours, "weight = 3.0", "weight = 2.0")
    edit(sides.theirs, "weight = 3.0", "weight = 4.0")
    assert merge(cli, sides, "--marker-size", "10").exit_code == 1
    lines = sides.ours.read_text("utf-8").splitlines()
    assert {"<" * 10 + " ours", "=" * 10, ">" * 10 + " theirs"} <= set(lines)


def test_one_criterion_edited_differently_is_a_conflict_naming_it(
    tracker_file: Path, cli: Invoke
) -> None:
    sides = fork(tracker_file)
    edit(sides.ours, '"Nobody released is forced into exile."', '"No forced exile."')
    edit(sides.theirs, '"Nobody released is forced into exile."', '"Nobody is exiled."')
    result = merge(cli, sides)
    assert result.exit_code == 1
    assert (
        "condition 'prisoners', criterion 'no-exile' was changed differently on both sides (text)"
        in result.stderr
    )
    (region,) = MARKERS.findall(sides.ours.read_text("utf-8"))
    assert region[0].startswith('[[conditions.criteria]]\nid = "no-exile"')


def test_a_condition_deleted_on_one_side_and_changed_on_the_other_conflicts(
    tracker_file: Path, cli: Invoke
) -> None:
    sides = fork(tracker_file)
    text = sides.ours.read_text("utf-8")
    start = text.index("[[conditions]]")
    sides.ours.write_text(text[:start] + text[text.index("[[conditions]]", start + 1) :], "utf-8")
    edit(sides.theirs, 'title = "Foreign troops withdrawn"', 'title = "Troops out"')
    result = merge(cli, sides)
    assert result.exit_code == 1
    assert "condition 'troops' was deleted on ours and changed on theirs" in result.stderr
    ((ours, theirs),) = MARKERS.findall(sides.ours.read_text("utf-8"))
    assert ours == "" and 'title = "Troops out"' in theirs


def test_evidence_for_a_condition_the_other_side_deleted_is_a_conflict_not_an_invalid_file(
    tracker_file: Path, log: Log, cli: Invoke
) -> None:
    sides = fork(tracker_file)
    text = sides.ours.read_text("utf-8")
    start = text.index("[[conditions]]")
    sides.ours.write_text(text[:start] + text[text.index("[[conditions]]", start + 1) :], "utf-8")
    orphan = log("troops", file=sides.theirs)
    result = merge(cli, sides)
    assert result.exit_code == 1
    assert f"the merged file would not validate: evidence #1 (id '{orphan}'" in result.stderr
    assert "field 'condition'" in result.stderr


def test_an_amendment_of_an_entry_the_other_side_retracted_is_withdrawn_with_it(
    tracker_file: Path, log: Log, cli: Invoke
) -> None:
    # A retraction of any version withdraws the whole chain, so the two stand together,
    # as they do when one analyst amends and then retracts the original (issue 10, item 8).
    entry = log("prisoners", indicator="held", value="900", date="2025-01-02")
    sides = fork(tracker_file)
    assert cli("retract", entry, "--reason", "wrong", file=sides.ours).exit_code == 0
    amended = cli("amend", entry, "--value", "950", "--reason", "recount", file=sides.theirs)
    amendment = amended.stdout.strip()
    result = merge(cli, sides)
    assert result.exit_code == 0, result.output
    assert "<<<<<<<" not in sides.ours.read_text("utf-8")
    assert set(ids(sides.ours)) == {entry, amendment}
    history = cli("history", amendment, "--format", "json", file=sides.ours)
    assert json.loads(history.stdout)["retracted"]["evidence"] == entry
    assert cli("validate", file=sides.ours).exit_code == 0


def test_two_amendments_of_one_entry_must_be_chosen(
    tracker_file: Path, log: Log, cli: Invoke
) -> None:
    entry = log("prisoners", indicator="held", value="900", date="2025-01-02")
    sides = fork(tracker_file)
    for side, value in ((sides.ours, "901"), (sides.theirs, "902")):
        assert cli("amend", entry, "--value", value, "--reason", "r", file=side).exit_code == 0
    result = merge(cli, sides)
    assert result.exit_code == 1
    assert f"evidence '{entry}' was amended by" in result.stderr
    assert len(MARKERS.findall(sides.ours.read_text("utf-8"))) == 1


def test_one_entry_edited_differently_by_hand_on_each_side_conflicts(
    tracker_file: Path, log: Log, cli: Invoke
) -> None:
    entry = log("troops", summary="as logged", source="Monitor")
    sides = fork(tracker_file)
    edit(sides.ours, 'summary = "as logged"', 'summary = "edited"')
    edit(sides.theirs, 'source = "Monitor"', 'source = "Other"')
    result = merge(cli, sides)
    assert result.exit_code == 1
    expected = f"evidence '{entry}' was changed differently on both sides (source, summary)"
    assert expected in result.stderr


def test_an_entry_deleted_on_one_side_is_kept_and_said_so(
    tracker_file: Path, log: Log, cli: Invoke
) -> None:
    doomed = log("troops", summary="to be deleted")
    sides = fork(tracker_file)
    text = sides.ours.read_text("utf-8")
    sides.ours.write_text(text[: text.index("[[evidence]]")], "utf-8")
    added = log("troops", file=sides.theirs)
    result = merge(cli, sides)
    assert result.exit_code == 0, result.output
    (line,) = result.stderr.splitlines()
    assert f"kept evidence '{doomed}'" in line and "append-only" in line
    assert ids(sides.ours) == [doomed, added]


@pytest.mark.parametrize("broken", ["base", "ours", "theirs"])
@pytest.mark.parametrize(
    "content", [b"[[evidence]\n", b"[tracker]\ntitle = \xff\n", b"conditions = 3\n"]
)
def test_an_unreadable_version_is_an_error_and_ours_is_untouched(
    tracker_file: Path, log: Log, cli: Invoke, broken: str, content: bytes
) -> None:
    log("troops")
    sides = fork(tracker_file)
    log("prisoners", file=sides.theirs)
    getattr(sides, broken).write_bytes(content)
    before = sides.ours.read_bytes()
    result = merge(cli, sides)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: conditions.toml ({broken}):")
    assert sides.ours.read_bytes() == before


def test_hostile_text_in_conflict_messages_is_shown_escaped(
    tracker_file: Path, cli: Invoke
) -> None:
    sides = fork(tracker_file)
    hostile_key = '"\\u001b[2J\\u202e"'
    for side, value in ((sides.ours, 1), (sides.theirs, 2)):
        with side.open("a", encoding="utf-8") as handle:
            handle.write(
                '\n[[evidence]]\nid = "ev-\\u001b[31mred\\u202e"\ncondition = "troops"\n'
                f'date = 2025-01-01\nsource = "s"\nsummary = "x"\n{hostile_key} = {value}\n'
                "logged = 2025-01-01T00:00:00Z\n"
            )
    result = merge(cli, sides)
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr
    assert "\\x1b[2J\\u202e" in result.stderr  # the differing field's name, escaped
    assert "ev-\\x1b[31mred\\u202e" in result.stderr


def test_a_layout_the_slicer_cannot_follow_still_merges_exactly(
    tracker_file: Path, log: Log, cli: Invoke
) -> None:
    log("troops")
    sides = fork(tracker_file)
    mine = log("troops", file=sides.ours)
    tricky = 'summary = """first line\n[[evidence]]\nthird line"""'
    with sides.theirs.open("a", encoding="utf-8") as handle:
        handle.write(
            '\n[[evidence]]\nid = "ev-hand"\ncondition = "troops"\ndate = 2025-01-01\n'
            f'source = "s"\n{tricky}\nlogged = 2025-01-01T00:00:00Z\n'
        )
    assert cli("validate", file=sides.theirs).exit_code == 0
    result = merge(cli, sides)
    assert result.exit_code == 0, result.output
    merged = tomllib.loads(sides.ours.read_text("utf-8"))
    by_id = {e["id"]: e for e in merged["evidence"]}
    assert by_id["ev-hand"]["summary"] == "first line\n[[evidence]]\nthird line"
    assert mine in by_id
    assert cli("validate", file=sides.ours).exit_code == 0


# --- any split of a log between two branches ---------------------------------------------


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Evidence, amendments and retractions, each made in the base, on one side, or on both.

    Every side's view is a valid log, and no entry is acted on twice: such a history
    merges without conflict. Few distinct timestamps, so that ties are common.
    """
    names = st.from_regex(r"ev-[a-z0-9]{1,5}", fullmatch=True)
    count = draw(st.integers(1, 14))
    identities = draw(st.lists(names, min_size=count, max_size=count, unique=True))
    made: list[dict[str, Any]] = []
    acted_on: set[str] = set()
    for identity in identities:
        where = draw(st.sampled_from(["base", "ours", "theirs", "both"]))
        entry: dict[str, Any] = {"where": where, "id": identity, "minute": draw(st.integers(0, 2))}
        visible = [
            e["id"]
            for e in made
            if "retract" not in e and _sees(where, e["where"]) and e["id"] not in acted_on
        ]
        action = draw(st.sampled_from(["log", "amend", "retract"])) if visible else "log"
        if action != "log":
            target = draw(st.sampled_from(visible))
            acted_on.add(target)
            entry[action] = target
        made.append(entry)
    return made


def _sees(where: str, made_in: str) -> bool:
    """Whether an entry made in ``made_in`` exists on every side that has ``where``'s."""
    return made_in == "base" or made_in == where or (made_in == "both" and where != "base")


def _block(entry: dict[str, Any]) -> str:
    logged = f"2025-01-01T00:0{entry['minute']}:00Z"
    if "retract" in entry:
        return (
            f'[[retractions]]\nevidence = "{entry["retract"]}"\nreason = "r"\n'
            f"date = 2025-01-01\nlogged = {logged}\n"
        )
    amends = f'supersedes = "{entry["amend"]}"\nreason = "fix"\n' if "amend" in entry else ""
    return (
        f'[[evidence]]\nid = "{entry["id"]}"   # by {entry["where"]}\ncondition = "troops"\n'
        f'date = 2025-01-01\nsource = "s"\nsummary = "{entry["id"]}"\n{amends}logged = {logged}\n'
    )


def _version(history: list[dict[str, Any]], side: str) -> str:
    mine = [e for e in history if e["where"] == "base"]
    mine += [e for e in history if e["where"] in (side, "both") and side != "base"]
    return SMALL_TRACKER + "".join("\n" + _block(e) for e in mine)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories())
def test_any_split_merges_to_the_union_in_one_order_whichever_side_is_ours(
    history: list[dict[str, Any]],
) -> None:
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "conditions.toml"
        base.write_text(_version(history, "base"), "utf-8")
        texts = {side: _version(history, side) for side in ("ours", "theirs")}
        results = []
        for first, second in (("ours", "theirs"), ("theirs", "ours")):
            (Path(folder) / "a.toml").write_text(texts[first], "utf-8")
            (Path(folder) / "b.toml").write_text(texts[second], "utf-8")
            args = ["merge", str(base), f"{folder}/a.toml", f"{folder}/b.toml"]
            result = runner.invoke(app, args)
            assert result.exit_code == 0, result.output
            results.append((Path(folder) / "a.toml").read_text("utf-8"))
            valid = runner.invoke(app, ["--file", f"{folder}/a.toml", "validate"])
            assert valid.exit_code == 0, valid.output
        assert results[0] == results[1]
        merged = tomllib.loads(results[0])
        evidence = [e["id"] for e in merged.get("evidence", [])]
        retracted = [r["evidence"] for r in merged.get("retractions", [])]
        assert sorted(evidence) == sorted(e["id"] for e in history if "retract" not in e)
        assert sorted(retracted) == sorted(e["retract"] for e in history if "retract" in e)
        base_ids = [e["id"] for e in history if e["where"] == "base" and "retract" not in e]
        assert evidence[: len(base_ids)] == base_ids
        for entry in history:  # each side's text, comments included, is kept as written
            assert _block(entry).rstrip("\n") in results[0]
