"""Relief in and out (issue 12): `import` of relief rows, the merge driver and git merges of
relief logs, and shell completion of relief ids, senders, measures and conditions.

Everything runs through the real CLI (``run``), real git where it says so, and real bash for
what a shell does with a completion.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import tomllib
import unicodedata
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SMALL_TRACKER
from tests.reliability.helpers import ok, run, toml_string
from tests.test_git_team import BIN, CONDTRACK, GIT, Repo, git_env
from tests.test_terminal import run_with_script_on_path, shell_env

BASH = shutil.which("bash")

ID = re.compile(r"(ev|rl)-[0-9a-z]{10}")


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    return path


def fresh(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    return path


def add(path: Path, **fields: str) -> str:
    """`relief add` with defaults for what a test does not care about; returns the id."""
    values = {"sender": "US", "measure": "Belavia", "action": "eased", "date": "2025-09-11",
              "source": "OFAC", "summary": "licence"}  # fmt: skip
    values.update(fields)
    args = [f"--{key.replace('_', '-')}={value}" for key, value in values.items()]
    return ok(run(path, "relief", "add", *args)).stdout.strip()


def document(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text("utf-8").removeprefix("\ufeff"))


def relief_of(path: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = document(path).get("relief", [])
    return entries


def listed(path: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(
        ok(run(path, "relief", "list", "--format", "json")).stdout
    )
    return data


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def refused_import(path: Path, source: Path, *fragments: str) -> str:
    """An import refused: exit 2, nothing on stdout, the tracker byte-for-byte as it was."""
    before = path.read_bytes()
    result = run(path, "import", str(source))
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and "Traceback" not in result.output
    assert path.read_bytes() == before
    assert result.stderr.splitlines()[-1].startswith("error: nothing imported"), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    return result.stderr


# --- import ------------------------------------------------------------------------------

MIXED_HEADER = ["kind", "condition", "sender", "measure", "action", "date", "instrument",
                "expires", "for", "source", "summary", "tags", "reliability"]  # fmt: skip


def test_import_takes_relief_rows_beside_evidence_and_raises_the_schema(
    tracker: Path, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "rows.csv", MIXED_HEADER, [
        ["evidence", "troops", "", "", "", "2025-01-02", "", "", "", "Monitor", "bases", "", "B2"],
        ["relief", "", "US", "potash: BPC", "eased", "2025-02-02", "OFAC GL 13", "2026-01-01",
         "troops;prisoners", "OFAC", "potash licence", "potash;us", "A1"],
        ["Relief", "", "US", "Potash:  BPC", "reimposed", "2025-03-03", "", "", "", "OFAC",
         "licence revoked", "", ""],
    ])  # fmt: skip
    assert document(tracker)["tracker"]["schema"] == 1
    result = ok(run(tracker, "import", str(source)))
    new = result.stdout.split()
    assert len(new) == 3 and all(ID.fullmatch(i) for i in new), result.stdout
    assert new[0].startswith("ev-") and new[1].startswith("rl-") and new[2].startswith("rl-")
    assert "imported 3 entries" in result.stderr
    doc = document(tracker)
    assert doc["tracker"]["schema"] == 2  # raised in the same write
    assert [e["id"] for e in doc["evidence"]] == new[:1]
    eased, reimposed = doc["relief"]
    assert eased == {**eased, "id": new[1], "sender": "US", "measure": "potash: BPC",
                     "action": "eased", "instrument": "OFAC GL 13", "for": ["troops", "prisoners"],
                     "tags": ["potash", "us"], "reliability": "A1"}  # fmt: skip
    assert str(eased["date"]) == "2025-02-02" and str(eased["expires"]) == "2026-01-01"
    assert reimposed["action"] == "reimposed" and reimposed["id"] == new[2]
    assert ok(run(tracker, "validate")).exit_code == 0
    # The ledger reads them: one measure (case and spacing aside), reimposed.
    # The state a step sets; one that does not count (graded too low) sets none.
    counts = {s["id"]: s["counts"] for s in listed(tracker)}
    states = {s["id"]: s["state"] for s in listed(tracker)}
    wanted = {new[1]: "in-effect", new[2]: "reimposed"}
    assert states == {i: state if counts[i] else None for i, state in wanted.items()}


def test_a_file_without_relief_rows_imports_as_before_and_stays_schema_1(
    tracker: Path, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "rows.csv", ["condition", "date", "source", "summary"],
                       [["troops", "2025-01-02", "Monitor", "bases"]])  # fmt: skip
    ok(run(tracker, "import", str(source)))
    assert document(tracker)["tracker"]["schema"] == 1
    assert "relief" not in document(tracker)


@pytest.mark.parametrize("data_format", ["csv", "json"])
def test_relief_list_exports_import_back_into_another_tracker(
    tmp_path: Path, data_format: str
) -> None:
    a, b = fresh(tmp_path, "a.toml"), fresh(tmp_path, "b.toml")
    hostile = "=cmd|' /C calc'!A0 <b>&amp;</b> émigré 日本"
    first = add(a, measure="potash: Belaruskali, BPC", instrument="OFAC GL 13",
                expires="2026-06-30", summary=hostile, tag="potash")  # fmt: skip
    add(a, measure="potash: Belaruskali, BPC", action="reimposed", date="2025-10-01",
        summary="-1 back", **{"for": "troops"})  # fmt: skip
    add(a, sender="EU", measure="@Belavia", action="suspended", date="2025-11-01",
        url="https://example.org/a?b=1")  # fmt: skip
    exported = ok(run(a, "relief", "list", "--format", data_format)).stdout
    export = tmp_path / f"relief.{data_format}"
    export.write_text(exported, "utf-8", newline="")

    result = ok(run(b, "import", str(export)))
    assert len(result.stdout.split()) == 3
    assert document(b)["tracker"]["schema"] == 2
    kept = ("id", "sender", "measure", "action", "date", "instrument", "expires", "for",
            "source", "url", "reliability", "summary", "tags")  # fmt: skip
    assert [{k: e.get(k) for k in kept} for e in relief_of(b)] == [
        {k: e.get(k) for k in kept} for e in relief_of(a)
    ]
    assert relief_of(b)[0]["id"] == first and relief_of(b)[0]["summary"] == hostile
    # Imported again, every row is already there: a duplicate, skipped on request.
    again = run(b, "import", str(export))
    assert (
        again.exit_code == 2
        and f"row {2 if data_format == 'csv' else 1}: duplicate of {first}" in again.stderr
    )
    ok(run(b, "import", str(export), "--skip-duplicates"))
    assert len(relief_of(b)) == 3


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ({"sender": "U S"}, "field 'sender'"),
        ({"action": "relaxed"}, "field 'action'"),
        ({"date": "11/09/2025"}, "field 'date'"),
        ({"expires": "2024-01-01"}, "field 'expires'"),
        ({"for": "troops;nowhere"}, "field 'for'"),
        ({"kind": "relif"}, "field 'kind'"),
        ({"condition": "troops"}, "field 'condition'"),
        ({"measure": ""}, "field 'measure'"),
        ({"url": "ftp://example.org"}, "field 'url'"),
        ({"reliability": "Z9"}, "field 'reliability'"),
        ({"action": "reimposed", "measure": "Never eased"}, "field 'action'"),
    ],
)
def test_one_bad_relief_row_refuses_the_whole_import_naming_row_and_field(
    tracker: Path, tmp_path: Path, row: dict[str, str], where: str
) -> None:
    good = {"kind": "relief", "sender": "US", "measure": "Belavia", "action": "eased",
            "date": "2025-09-11", "expires": "", "for": "troops", "source": "OFAC",
            "summary": "licence", "condition": "", "url": "", "reliability": ""}  # fmt: skip
    header = list(good)
    bad = {**good, "summary": "the bad one", **row}
    source = write_csv(tmp_path / "rows.csv", header,
                       [list(good.values()), [bad[k] for k in header]])  # fmt: skip
    refused_import(tracker, source, f"row 3, {where}")
    assert "relief" not in document(tracker)


def test_an_evidence_row_with_a_relief_field_is_refused_not_cut(
    tracker: Path, tmp_path: Path
) -> None:
    source = tmp_path / "rows.json"
    source.write_text(json.dumps([{"kind": "evidence", "condition": "troops", "date": "2025-01-01",
                                   "source": "S", "summary": "x", "sender": "US"}]))  # fmt: skip
    refused_import(tracker, source, "row 1, field 'sender'", "kind 'relief'")


def test_a_retracted_relief_entry_of_an_export_is_refused_or_skipped(tmp_path: Path) -> None:
    a, b = fresh(tmp_path, "a.toml"), fresh(tmp_path, "b.toml")
    kept = add(a)
    withdrawn = add(a, measure="Potash")
    ok(run(a, "retract", withdrawn, "--reason", "never happened"))
    export = tmp_path / "relief.csv"
    export.write_text(ok(run(a, "relief", "list", "--format", "csv")).stdout, "utf-8", newline="")
    refused_import(b, export, "row 3, field 'excluded'", "--skip-retracted")
    ok(run(b, "import", str(export), "--skip-retracted"))
    assert [e["id"] for e in relief_of(b)] == [kept]


def test_an_import_of_relief_dry_run_writes_nothing_and_shows_the_ids(
    tracker: Path, tmp_path: Path
) -> None:
    source = tmp_path / "rows.json"
    source.write_text(json.dumps([{"kind": "relief", "sender": "UK", "measure": "Banks",
                                   "action": "lifted", "date": "2025-05-05", "for": ["troops"],
                                   "source": "HMT", "summary": "banks"}]))  # fmt: skip
    before = tracker.read_bytes()
    shown = ok(run(tracker, "import", str(source), "--dry-run", env={"COLUMNS": "200"}))
    assert tracker.read_bytes() == before
    written = ok(run(tracker, "import", str(source))).stdout.strip()
    assert written in shown.stdout and "Banks: lifted" in shown.stdout
    assert relief_of(tracker)[0]["for"] == ["troops"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    measure=st.text(min_size=1, max_size=60).filter(lambda t: t.strip() and "\x00" not in t),
    summary=st.text(min_size=1, max_size=80).filter(lambda t: t.strip() and "\x00" not in t),
)
def test_any_text_in_a_relief_row_round_trips_through_json(
    tmp_path_factory: pytest.TempPathFactory, measure: str, summary: str
) -> None:
    folder = tmp_path_factory.mktemp("rt")
    tracker = fresh(folder, "conditions.toml")
    source = folder / "rows.json"
    row = {"kind": "relief", "sender": "US", "measure": measure, "action": "eased",
           "date": "2025-09-11", "source": "OFAC", "summary": summary}  # fmt: skip
    source.write_text(json.dumps([row]), "utf-8")
    result = run(tracker, "import", str(source))
    if result.exit_code == 0:
        (entry,) = relief_of(tracker)
        assert (entry["measure"], entry["summary"]) == (measure.strip(), summary.strip())
        exported = folder / "out.json"
        exported.write_text(ok(run(tracker, "relief", "list", "--format", "json")).stdout)
        other = fresh(folder, "other.toml")
        ok(run(other, "import", str(exported)))
        assert relief_of(other)[0]["measure"] == measure.strip()
    else:  # refused as `relief add` refuses it: one field named, nothing written
        assert result.exit_code == 2, result.output
        assert "field 'measure'" in result.stderr or "field 'summary'" in result.stderr
        assert "relief" not in document(tracker)


# --- merge: the driver, then git itself ----------------------------------------------------

MARKERS = re.compile(r"^<<<<<<< ours\n(.*?)^=======\n(.*?)^>>>>>>> theirs\n", re.M | re.S)


def forked(base: Path) -> tuple[Path, Path]:
    ours, theirs = base.with_name("ours.toml"), base.with_name("theirs.toml")
    for side in (ours, theirs):
        shutil.copyfile(base, side)
    return ours, theirs


def merged(base: Path, ours: Path, theirs: Path, *, swap: bool = False) -> tuple[int, str, str]:
    """Run the driver as git does on a copy of ours; (exit code, result text, stderr)."""
    target = base.with_name("result.toml")
    shutil.copyfile(theirs if swap else ours, target)
    other = ours if swap else theirs
    result = run(None, "merge", str(base), str(target), str(other), "conditions.toml")
    assert "Traceback" not in result.output
    return result.exit_code, target.read_text("utf-8"), result.stderr


def log(path: Path, summary: str, date: str = "2025-01-05") -> str:
    return ok(run(path, "log", "troops", "-s", summary, "--source", "Monitor", "--date", date,
                  "-r", "B2")).stdout.strip()  # fmt: skip


def test_the_driver_unions_relief_added_on_both_sides_the_same_either_way(
    tracker: Path,
) -> None:
    log(tracker, "in the base")
    ours, theirs = forked(tracker)
    mine = [add(ours, measure="Belavia"), log(ours, "ours")]
    yours = [add(theirs, sender="EU", measure="Potash", action="suspended", date="2025-10-01"),
             add(theirs, sender="EU", measure="Potash", action="reimposed", date="2025-11-01"),
             log(theirs, "theirs")]  # fmt: skip
    # A comment by hand in a relief entry: the merge copies each entry's own text.
    ours.write_text(ours.read_text("utf-8").replace('summary = "licence"',
                                                    'summary = "licence"  # by hand'))  # fmt: skip
    code, text, err = merged(tracker, ours, theirs)
    assert code == 0, err
    assert 'summary = "licence"  # by hand' in text and "rewritten" not in err
    code_swapped, text_swapped, _ = merged(tracker, ours, theirs, swap=True)
    assert code_swapped == 0 and text_swapped == text  # a stable order, whichever is ours
    doc = tomllib.loads(text)
    assert doc["tracker"]["schema"] == 2  # the base had no relief: raised by the merge's sides
    relief_ids = [e["id"] for e in doc["relief"]]
    assert sorted(relief_ids) == sorted([mine[0], *yours[:2]])
    # New entries follow in the order they were logged, then by id, as evidence does.
    logged = [(str(e["logged"]), e["id"]) for e in doc["relief"]]
    assert logged == sorted(logged)
    assert {mine[1], yours[2]} <= {e["id"] for e in doc["evidence"]}
    result = tracker.with_name("result.toml")
    assert ok(run(result, "validate")).stdout.startswith(f"{result}: valid")
    # The state a step sets; one that does not count (graded too low) sets none.
    counts = {s["id"]: s["counts"] for s in listed(result)}
    states = {s["id"]: s["state"] for s in listed(result)}
    wanted = {mine[0]: "in-effect", yours[0]: "in-effect", yours[1]: "reimposed"}
    assert states == {i: state if counts[i] else None for i, state in wanted.items()}


def test_a_side_that_raised_the_schema_merges_with_one_that_retitled(tracker: Path) -> None:
    ours, theirs = forked(tracker)
    add(ours)
    text = theirs.read_text("utf-8")
    theirs.write_text(text.replace('title = "Testland: conditions for relief"',
                                   'title = "Testland, retitled"'), "utf-8")  # fmt: skip
    for swap in (False, True):
        code, merged_text, err = merged(tracker, ours, theirs, swap=swap)
        assert code == 0, err
        head = tomllib.loads(merged_text)["tracker"]
        assert (head["schema"], head["title"]) == (2, "Testland, retitled")


def test_a_real_conflict_in_tracker_beside_a_raised_schema_still_conflicts(
    tracker: Path,
) -> None:
    ours, theirs = forked(tracker)
    add(ours)
    for side, title in ((ours, "Ours"), (theirs, "Theirs")):
        text = side.read_text("utf-8")
        side.write_text(text.replace("Testland: conditions for relief", title), "utf-8")
    code, _, err = merged(tracker, ours, theirs)
    assert code == 1 and "[tracker] was changed differently on both sides (schema, title)" in err, (
        err
    )


def test_two_amendments_of_one_relief_entry_conflict_as_for_evidence(tracker: Path) -> None:
    original = add(tracker)
    ours, theirs = forked(tracker)
    mine = ok(run(ours, "relief", "amend", original, "--date", "2025-09-12",
                  "--reason", "a day later")).stdout.strip()  # fmt: skip
    yours = ok(run(theirs, "amend", original, "--summary", "GL 11",
                   "--reason", "the licence's name")).stdout.strip()  # fmt: skip
    code, text, err = merged(tracker, ours, theirs)
    assert code == 1
    expected = (f"conflict: conditions.toml: relief {original!r} was amended by {mine!r} on "
                f"ours but amended by {yours!r} on theirs; keep one side's")  # fmt: skip
    assert err.splitlines()[0] == expected, err
    (region,) = MARKERS.findall(text)
    assert f'id = "{mine}"' in region[0] and f'id = "{yours}"' in region[1]
    # Either side taken, the file is valid.
    for side in (1, 2):
        resolved = tracker.with_name(f"resolved{side}.toml")
        resolved.write_text(MARKERS.sub(partial(taken, side=side), text), "utf-8")
        ok(run(resolved, "validate"))


def taken(match: re.Match[str], side: int) -> str:
    return match.group(side)


def test_an_amendment_and_a_retraction_of_relief_stand_together_as_for_evidence(
    tracker: Path,
) -> None:
    """As with evidence: a retraction of any version withdraws the whole chain."""
    original = add(tracker)
    ours, theirs = forked(tracker)
    amendment = ok(run(ours, "relief", "amend", original, "--date", "2025-09-12",
                       "--reason", "a day later")).stdout.strip()  # fmt: skip
    ok(run(theirs, "retract", original, "--reason", "never granted"))
    code, text, err = merged(tracker, ours, theirs)
    assert code == 0, err
    result = tracker.with_name("result.toml")
    steps = {s["id"]: s for s in listed(result)}
    assert set(steps) == {original, amendment}
    assert not any(s["counts"] for s in steps.values())
    assert tomllib.loads(text)["retractions"][0]["evidence"] == original


def test_the_same_relief_id_with_different_content_conflicts(tracker: Path) -> None:
    ours, theirs = forked(tracker)
    for side, summary in ((ours, "ours"), (theirs, "theirs")):
        source = side.with_name(f"{side.stem}.json")
        source.write_text(json.dumps([{"kind": "relief", "id": "rl-same", "sender": "US",
                                       "measure": "Belavia", "action": "eased",
                                       "date": "2025-09-11", "source": "OFAC",
                                       "summary": summary}]))  # fmt: skip
        ok(run(side, "import", str(source)))
    code, _, err = merged(tracker, ours, theirs)
    assert code == 1
    assert "relief 'rl-same' was added on both sides with different content (summary)" in err


needs_git = pytest.mark.skipif(
    GIT is None or not CONDTRACK.is_file(), reason="needs git and an installed condtrack command"
)


@pytest.fixture
def team(tmp_path: Path) -> Repo:
    """A repository set up by `condtrack git-setup`, its tracker committed without relief."""
    repo = Repo(tmp_path / "team", git_env(tmp_path, f"{BIN}{os.pathsep}{os.environ['PATH']}"))
    repo.folder.mkdir()
    repo.git("-c", "init.defaultBranch=main", "init", "-q")
    repo.tracker.write_text(SMALL_TRACKER, "utf-8")
    repo.condtrack("git-setup")
    repo.log("troops", "in the base")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "tracker")
    return repo


def relief_add(repo: Repo, sender: str, measure: str, action: str, date: str) -> str:
    done = repo.condtrack("relief", "add", "--sender", sender, "--measure", measure,
                          "--action", action, "--date", date, "--source", "Gazette",
                          "--summary", f"{sender} {action} {measure}")  # fmt: skip
    return done.stdout.strip()


@needs_git
def test_a_real_git_merge_of_two_branches_that_each_added_relief(team: Repo) -> None:
    team.git("switch", "-q", "-c", "us")
    ids = {"us": relief_add(team, "US", "Belavia", "eased", "2025-09-11")}
    ids["us-ev"] = team.log("prisoners", "us branch")
    team.commit("us: Belavia")
    team.git("switch", "-q", "main")
    team.git("switch", "-q", "-c", "eu")
    ids["eu-1"] = relief_add(team, "EU", "potash: BPC", "suspended", "2025-10-01")
    team.commit("eu: potash")
    ids["eu-2"] = relief_add(team, "EU", "potash: BPC", "reimposed", "2025-11-01")
    team.commit("eu: potash back")
    results = {}
    for into, other in (("us", "eu"), ("eu", "us")):
        team.git("switch", "-q", "-c", f"{into}-merge", into)
        done = team.git("merge", "--no-edit", other, ok=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "CONFLICT" not in done.stdout
        doc = tomllib.loads(team.tracker.read_text("utf-8"))
        assert doc["tracker"]["schema"] == 2
        assert {e["id"] for e in doc["relief"]} == {ids["us"], ids["eu-1"], ids["eu-2"]}
        assert ids["us-ev"] in team.evidence()
        assert team.condtrack("validate").stdout.startswith(f"{team.tracker}: valid")
        results[into] = team.tracker.read_bytes()
    assert results["us"] == results["eu"]


@needs_git
def test_a_real_git_merge_stops_on_two_amendments_of_one_relief_entry(team: Repo) -> None:
    original = relief_add(team, "US", "Belavia", "eased", "2025-09-11")
    team.commit("relief")
    team.git("switch", "-q", "-c", "anna")
    team.condtrack("relief", "amend", original, "--date", "2025-09-12", "--reason", "later")
    team.commit("anna: amend")
    team.git("switch", "-q", "main")
    team.condtrack("relief", "amend", original, "--instrument", "GL 11", "--reason", "named")
    team.commit("main: amend")
    done = team.git("merge", "--no-edit", "anna", ok=False)
    assert done.returncode != 0
    assert "CONFLICT (content): Merge conflict in conditions.toml" in done.stdout
    assert f"conflict: conditions.toml: relief {original!r} was amended by" in done.stderr
    assert team.git("status", "--porcelain").stdout == "UU conditions.toml\n"


# --- completion ---------------------------------------------------------------------------

MEASURES = ["Belavia", "potash: Belaruskali, BPC, Agrorozkvit", "banks (Belarusbank) & 'co' $x"]


def suggestions(tracker: Path, line: str, shell: str = "bash") -> list[str]:
    """What condtrack answers a shell's completion script for ``line``, one per line."""
    env = {**shell_env(shell, line), "CONDTRACK_FILE": str(tracker)}
    result = run(None, env=env)
    assert result.exit_code == 0 and result.stderr == "", result.output
    return [line for line in result.stdout.splitlines() if line]


@pytest.fixture
def ledger_file(tracker: Path) -> dict[str, str]:
    ids = {"kept": add(tracker, measure=MEASURES[0])}
    ids["amended"] = add(tracker, sender="EU", measure=MEASURES[1], action="suspended")
    ids["amendment"] = ok(run(tracker, "relief", "amend", ids["amended"], "--date",
                              "2025-09-12", "--reason", "later")).stdout.strip()  # fmt: skip
    ids["retracted"] = add(tracker, sender="UK", measure=MEASURES[2])
    ok(run(tracker, "retract", ids["retracted"], "--reason", "wrong"))
    ids["evidence"] = log(tracker, "an assessment")
    return ids


def test_relief_ids_complete_where_each_command_takes_them(
    tracker: Path, ledger_file: dict[str, str]
) -> None:
    ids = ledger_file
    amendable = {ids["kept"], ids["amendment"]}
    assert set(suggestions(tracker, "condtrack relief amend ")) == amendable
    assert set(suggestions(tracker, "condtrack amend ")) == amendable | {ids["evidence"]}
    retractable = {ids["kept"], ids["amended"], ids["amendment"], ids["evidence"]}
    assert set(suggestions(tracker, "condtrack retract ")) == retractable
    # `history` takes any id of either kind: every version, retracted ones too.
    assert set(suggestions(tracker, "condtrack history ")) == set(ids.values())
    prefix = ids["kept"][:5]
    expected = {i for i in amendable if i.startswith(prefix)}
    assert set(suggestions(tracker, f"condtrack relief amend {prefix}")) == expected


def test_senders_and_conditions_complete(tracker: Path, ledger_file: dict[str, str]) -> None:
    for line in ("condtrack relief add --sender ", "condtrack relief list --sender ",
                 f"condtrack relief amend {ledger_file['kept']} --sender "):  # fmt: skip
        assert sorted(suggestions(tracker, line)) == ["EU", "UK", "US"]
    conditions = [c["id"] for c in tomllib.loads(SMALL_TRACKER)["conditions"]]
    assert suggestions(tracker, "condtrack relief add --for ") == conditions
    assert suggestions(tracker, "condtrack relief add --for troops,") == [
        f"troops,{c}" for c in conditions
    ]


def test_measures_complete_quoted_for_bash_and_narrowed_to_the_sender(
    tracker: Path, ledger_file: dict[str, str]
) -> None:
    offered = suggestions(tracker, "condtrack relief add --measure ")
    assert len(offered) == 3
    assert "potash\\:\\ Belaruskali,\\ BPC,\\ Agrorozkvit" in offered
    # Each one, read back by bash as a word, is the measure exactly.
    assert sorted(bash_words(offered)) == sorted(MEASURES)
    assert suggestions(tracker, "condtrack relief add --sender US --measure ") == ["Belavia"]
    assert suggestions(tracker, "condtrack relief add --measure pot") == [
        o for o in offered if o.startswith("pot")
    ]


def bash_words(offered: list[str]) -> list[str]:
    """Each suggestion as bash reads it on a command line: one word each, or the test fails."""
    assert BASH is not None
    script = "".join(f"set -- {line}\n" + 'printf "%s\\0" "$#" "$1"\n' for line in offered)
    done = subprocess.run([BASH, "--norc", "-c", script], capture_output=True, check=True)
    parts = done.stdout.decode("utf-8").split("\0")[:-1]
    counts, words = parts[0::2], parts[1::2]
    assert counts == ["1"] * len(offered), (offered, counts)
    return words


def test_measures_for_zsh_and_fish_are_plain_or_not_offered(
    tracker: Path, ledger_file: dict[str, str]
) -> None:
    fish = suggestions(tracker, "condtrack relief add --measure ", shell="fish")
    # The measure with quotes, parentheses and a $ is not offered where the shell evals.
    assert sorted(line.partition("\t")[0] for line in fish) == sorted(MEASURES[:2])
    zsh = "\n".join(suggestions(tracker, "condtrack relief add --measure ", shell="zsh"))
    assert "Belavia" in zsh and "Agrorozkvit" in zsh and "$x" not in zsh


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(measure=st.text(min_size=1, max_size=40))
def test_any_measure_completes_to_one_bash_word_that_is_the_measure_or_not_at_all(
    tmp_path_factory: pytest.TempPathFactory, measure: str
) -> None:
    folder = tmp_path_factory.mktemp("measure")
    tracker = fresh(folder, "conditions.toml")
    with tracker.open("a", encoding="utf-8") as handle:  # written by hand: any text at all
        handle.write(f'\n[[relief]]\nsender = "US"\nmeasure = {toml_string(measure)}\n')
    offered = suggestions(tracker, "condtrack relief add --measure ")
    written = " ".join(measure.split())
    visible = all(c == " " or unicodedata.category(c)[0] not in "CZ" for c in written)
    if written and visible:  # every measure a person could read and type is offered
        assert bash_words(offered) == [written]
    else:
        assert offered == []


@pytest.mark.skipif(BASH is None or not CONDTRACK.is_file(), reason="needs bash and condtrack")
def test_real_bash_offers_each_measure_as_one_word_through_the_shown_script(
    tracker: Path, ledger_file: dict[str, str]
) -> None:
    program = (
        "source <(condtrack --show-completion bash)\n"
        'COMP_WORDS=(condtrack relief add --measure "")\nCOMP_CWORD=4\n'
        "_condtrack_completion condtrack\n"
        'for word in "${COMPREPLY[@]}"; do eval "set -- $word"; printf "%s|%s\\n" "$#" "$1"; done\n'
    )
    env: dict[str, str | None] = {"CONDTRACK_FILE": str(tracker)}
    done = run_with_script_on_path(["bash", "--norc", "-c", program], env, tracker.parent)
    assert sorted(done.stdout.splitlines()) == sorted(f"1|{m}" for m in MEASURES)
