"""The relief ledger (issue 12): [[relief]] entries, their states, sequencing and snapback.

Everything runs through the real CLI (``run``) except the property test, which compares the
domain's verdicts with an oracle written here from the issue's words.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from condtrack.domain.relief import ledger
from condtrack.schema.validation import check_document
from tests.conftest import REPO, SMALL_TRACKER
from tests.reliability.helpers import (
    TERMINAL_UNSAFE,
    invalid,
    ok,
    refused,
    run,
    toml_string,
)

ID = re.compile(r"rl-[0-9a-z]{10}")
RELEASE = "c2df1a2"  # main when relief was built: a condtrack that knows schema 1 only


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    return path


def add(path: Path, *extra: str, **fields: str) -> str:
    """`relief add` with defaults for what a test does not care about; returns the id."""
    values = {"sender": "US", "measure": "Belavia", "action": "eased", "date": "2025-09-11",
              "source": "OFAC", "summary": "licence", "reliability": "A1"}  # fmt: skip
    values.update(fields)
    args = [f"--{key.replace('_', '-')}={value}" for key, value in values.items()]
    result = ok(run(path, "relief", "add", *args, *extra))
    assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1, result.stdout
    entry_id = result.stdout.strip()
    assert ID.fullmatch(entry_id), entry_id
    return entry_id


def assess(path: Path, condition: str, criterion: str, status: str, date: str) -> str:
    result = run(
        path, "log", condition, "--criterion", criterion, "--status", status, "--date", date,
        "--source", "Monitor", "--summary", f"{criterion} {status} {date}", "-r", "A1",
    )  # fmt: skip
    return ok(result).stdout.strip()


def status(path: Path, as_of: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        ok(run(path, "status", "--format", "json", "--as-of", as_of)).stdout
    )
    return data


def measures(path: Path, as_of: str) -> dict[str, dict[str, Any]]:
    return {m["measure"]: m for m in status(path, as_of)["relief"]}


def listed(path: Path, *args: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(
        ok(run(path, "relief", "list", "--format", "json", *args)).stdout
    )
    return data


def set_policy(path: Path, policy: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("window_days = 90\n", f'window_days = 90\nrelief_requires = "{policy}"\n'),
        encoding="utf-8",
    )


def all_met(path: Path, date: str) -> None:
    for condition, criterion in [("troops", "bases-closed"), ("troops", "troops-gone"),
                                 ("prisoners", "released"), ("prisoners", "no-exile")]:  # fmt: skip
        assess(path, condition, criterion, "met", date)


# --- the file: schema number, appending, validation ---------------------------------------


def test_the_first_relief_entry_raises_the_schema_in_the_same_write(tracker: Path) -> None:
    before = tracker.read_bytes()
    entry_id = add(tracker, "--instrument=GL 11", "--for=prisoners")
    after = tracker.read_bytes()
    assert after.startswith(before.replace(b"schema = 1", b"schema = 2", 1))
    assert after.count(b"schema = 2") == 1
    relief = tomllib.loads(after.decode())["relief"]
    assert [r["id"] for r in relief] == [entry_id]
    assert relief[0]["for"] == ["prisoners"] and relief[0]["instrument"] == "GL 11"
    second = add(tracker, measure="potash")  # already 2: only appended
    assert tracker.read_bytes().startswith(after)
    assert second != entry_id
    ok(run(tracker, "validate"))


def test_a_file_without_relief_stays_schema_1_and_status_json_has_empty_relief(
    tracker: Path,
) -> None:
    assess(tracker, "troops", "bases-closed", "met", "2025-01-01")
    assert b"schema = 1" in tracker.read_bytes()
    data = status(tracker, "2025-06-01")
    assert data["relief"] == []
    assert (data["overall"]["relief_ahead"], data["overall"]["snapback_due"]) == (0, 0)
    text = ok(run(tracker, "status", "--as-of", "2025-06-01")).stdout
    assert "Relief" not in text and "relief ahead" not in text


def test_a_hand_written_relief_entry_in_schema_1_is_refused(tracker: Path) -> None:
    add(tracker)
    tracker.write_bytes(tracker.read_bytes().replace(b"schema = 2", b"schema = 1"))
    invalid(tracker, "[tracker], field 'schema'", "[[relief]] needs schema 2")


def test_a_schema_that_cannot_be_raised_safely_refuses_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(
        SMALL_TRACKER.replace("[tracker]\nschema = 1\n", "[tracker]\nschema = 0x1\n"), "utf-8"
    )
    ok(run(path, "validate"))
    refused(
        path, "relief", "add", "--sender=US", "--measure=M", "--action=eased",
        "--source=S", "--summary=T", expect=["write `schema = 2` there by hand"],
    )  # fmt: skip


def _release(tmp_path: Path) -> Path | None:
    if shutil.which("git") is None:
        return None
    folder = tmp_path / "release"
    folder.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", RELEASE, "condtrack"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def test_an_older_condtrack_refuses_a_file_with_relief_by_its_schema(
    tracker: Path, tmp_path: Path
) -> None:
    release = _release(tmp_path)
    if release is None:
        pytest.skip(f"the release {RELEASE} is not in this checkout")
    add(tracker)
    before = tracker.read_bytes()
    # -S: no site hooks, so this checkout's editable install cannot stand in for the release.
    packages = sysconfig.get_paths()["purelib"]
    env = {**os.environ, "PYTHONPATH": f"{release}{os.pathsep}{packages}",
           "CONDTRACK_CACHE_DIR": str(tmp_path / "cache")}  # fmt: skip
    probe = [sys.executable, "-S", "-c", "import condtrack; print(condtrack.__file__)"]
    where = subprocess.run(
        probe, capture_output=True, text=True, env=env, cwd=tmp_path, check=True
    ).stdout
    assert where.startswith(str(release)), where

    def old(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-S", "-m", "condtrack", "--file", str(tracker), *args]
        return subprocess.run(
            command, capture_output=True, text=True, env=env, cwd=tmp_path, check=False
        )

    validated = old("validate")
    assert validated.returncode == 2
    assert "schema 2 is not supported by this condtrack (it reads schema 1)" in validated.stderr
    for args in (["status"], ["log", "troops", "--source", "S", "--summary", "T"]):
        result = old(*args)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert result.stdout == ""
    assert tracker.read_bytes() == before  # the old `log` wrote nothing


def test_a_newer_schema_is_named_before_its_unknown_tables(tracker: Path) -> None:
    add(tracker)
    tracker.write_bytes(tracker.read_bytes().replace(b"schema = 2", b"schema = 4"))
    result = run(tracker, "status")
    assert result.exit_code == 2
    assert (
        "schema 4 is not supported by this condtrack (it reads schema 1, 2 or 3)"
        in (result.stderr.splitlines()[0])
    )


RELIEF_BASE = {
    "id": '"rl-hand"', "sender": '"US"', "measure": '"Belavia"', "action": '"eased"',
    "date": "2025-09-11", "source": '"OFAC"', "summary": '"licence"', "reliability": '"A1"',
    "logged": "2025-09-12T09:00:00Z",
}  # fmt: skip


def relief_block(**fields: str | None) -> str:
    values = {**RELIEF_BASE, **fields}
    lines = [f"{key} = {value}" for key, value in values.items() if value is not None]
    return "\n[[relief]]\n" + "\n".join(lines) + "\n"


def hand_written(tmp_path: Path, *blocks: str) -> Path:
    path = tmp_path / "conditions.toml"
    text = SMALL_TRACKER.replace("schema = 1", "schema = 2") + "".join(blocks)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("fields", "fragments"),
    [
        ({"for": '["prisoner"]'}, ["field 'for'", "unknown condition 'prisoner'",
                                   "did you mean 'prisoners'?"]),
        ({"expires": "2025-09-01"}, ["field 'expires'", "before the relief's date 2025-09-11"]),
        ({"action": '"reimposed"'}, ["field 'action'", "which no earlier entry eased"]),
        ({"action": '"relaxed"'}, ["field 'action'", "'relaxed' is not allowed"]),
        ({"sender": '"U S"'}, ["field 'sender'", "is not a valid id"]),
        ({"action": '"expired"', "expires": "2026-01-01"}, ["field 'expires'",
                                                            "only relief that eases",
                                                            "field 'action'",
                                                            "ends (expired) US"]),
        ({"action": '"expired"'}, ["field 'action'", "which no earlier entry eased"]),
        ({"fro": '["troops"]'}, ["field 'fro'", "unknown field"]),
        ({"supersedes": '"rl-none"', "reason": '"typo"'}, ["field 'supersedes'",
                                                            "unknown relief 'rl-none'"]),
    ],
)  # fmt: skip
def test_validate_names_the_relief_entry_and_field(
    tmp_path: Path, fields: dict[str, str], fragments: list[str]
) -> None:
    path = hand_written(tmp_path, relief_block(**fields))
    problems = invalid(path, "relief #1 (id 'rl-hand', line ", *fragments)
    assert len(problems) == sum(f.startswith("field '") for f in fragments), problems


def test_for_named_twice_is_kept_once_and_senders_are_offered_once(tracker: Path) -> None:
    add(tracker, "--for", "troops", "--for", "troops,prisoners", sender="US")
    add(tracker, sender="us", measure="potash")
    (first, _) = tomllib.loads(tracker.read_text(encoding="utf-8"))["relief"]
    assert first["for"] == ["troops", "prisoners"]
    result = run(tracker, "relief", "list", "--sender", "UK")
    assert result.exit_code == 2
    assert "(valid: US)" in result.stderr or "(valid: us)" in result.stderr, result.stderr


def test_a_reimposition_after_an_easing_of_the_same_measure_is_valid(tmp_path: Path) -> None:
    path = hand_written(
        tmp_path,
        relief_block(),
        relief_block(
            id='"rl-back"',
            action='"reimposed"',
            measure='"  belavia "',
            sender='"us"',
            date="2025-12-01",
            logged="2025-12-02T00:00:00Z",
        ),
    )
    ok(run(path, "validate"))
    [measure] = status(path, "2025-12-02")["relief"]  # one measure, named as last written
    assert (measure["measure"], measure["state"]) == ("  belavia ", "reimposed")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--for=prisoner"], ["--for: unknown condition 'prisoner'", "did you mean 'prisoners'?"]),
        (["--expires=2025-01-01"], ["--expires:", "before the relief's date"]),
        (["--sender=U S"], ["--sender:"]),
        (["--action=relaxed"], ["--action", "relaxed"]),
        (["--date=2025-02-30"], ["Invalid value for '--date': '2025-02-30' is not a valid date"]),
        (["--url=ftp://x.example"], ["--url:"]),
        (["--reliability=Z9"], ["--reliability:"]),
        (["--measure= "], ["--measure: must not be empty"]),
    ],
)
def test_relief_add_refuses_bad_input_in_one_line_and_writes_nothing(
    tracker: Path, args: list[str], fragments: list[str]
) -> None:
    base = {"--sender": "US", "--measure": "Belavia", "--action": "eased",
            "--date": "2025-09-11", "--source": "OFAC", "--summary": "licence"}  # fmt: skip
    given = {arg.split("=", 1)[0] for arg in args}
    line = [f"{k}={v}" for k, v in base.items() if k not in given] + args
    refused(tracker, "relief", "add", *line, expect=fragments)


def test_relief_add_without_a_terminal_names_the_missing_option(tracker: Path) -> None:
    refused(tracker, "relief", "add", "--sender=US", expect=["missing option '--measure'"])


# --- states -----------------------------------------------------------------------------


def test_every_action_and_state_transition(tracker: Path) -> None:
    add(tracker, measure="A", action="eased", date="2025-01-10")
    add(tracker, measure="B", action="lifted", date="2025-01-10")
    add(tracker, measure="C", action="suspended", date="2025-01-10")
    add(tracker, measure="A", action="reimposed", date="2025-03-01")
    add(tracker, measure="B", action="expired", date="2025-04-01")
    add(tracker, measure="C", action="eased", date="2025-05-01", expires="2025-06-30")
    expected = {
        "2025-01-09": {"A": ("in-force", None), "B": ("in-force", None), "C": ("in-force", None)},
        "2025-01-10": {"A": ("in-effect", "2025-01-10"), "B": ("in-effect", "2025-01-10"),
                       "C": ("in-effect", "2025-01-10")},
        "2025-03-01": {"A": ("reimposed", "2025-03-01"), "B": ("in-effect", "2025-01-10"),
                       "C": ("in-effect", "2025-01-10")},
        "2025-04-01": {"A": ("reimposed", "2025-03-01"), "B": ("expired", "2025-04-01"),
                       "C": ("in-effect", "2025-01-10")},
        "2025-06-30": {"A": ("reimposed", "2025-03-01"), "B": ("expired", "2025-04-01"),
                       "C": ("in-effect", "2025-05-01")},
        "2025-07-01": {"A": ("reimposed", "2025-03-01"), "B": ("expired", "2025-04-01"),
                       "C": ("expired", "2025-07-01")},
    }  # fmt: skip
    for as_of, states in expected.items():
        found = measures(tracker, as_of)
        assert {m: (found[m]["state"], found[m]["since"]) for m in "ABC"} == states, as_of
    steps = listed(tracker)
    assert [s["action"] for s in steps] == ["eased", "lifted", "suspended", "reimposed",
                                             "expired", "eased"]  # fmt: skip
    assert [s["state"] for s in steps] == ["in-effect"] * 3 + ["reimposed", "expired", "in-effect"]
    assert [s["ahead"] for s in steps] == [True, True, True, None, None, True]


def test_a_measure_is_its_sender_and_name_whatever_the_case_and_spacing(tracker: Path) -> None:
    add(tracker, measure="Potash:  Belaruskali", date="2025-01-10")
    add(tracker, sender="us", measure=" potash: belaruskali ", action="reimposed",
        date="2025-02-01")  # fmt: skip
    add(tracker, sender="EU", measure="potash: Belaruskali", date="2025-01-10")
    found = status(tracker, "2025-03-01")["relief"]
    assert sorted((m["sender"].upper(), m["state"]) for m in found) == [
        ("EU", "in-effect"), ("US", "reimposed"),
    ]  # fmt: skip


# --- sequencing --------------------------------------------------------------------------


def test_ahead_of_compliance_under_both_policies(tracker: Path) -> None:
    assess(tracker, "prisoners", "released", "met", "2025-01-01")
    assess(tracker, "prisoners", "no-exile", "met", "2025-01-01")
    assess(tracker, "troops", "bases-closed", "not-met", "2025-01-01")
    add(tracker, measure="linked", date="2025-02-01", **{"for": "prisoners"})
    add(tracker, measure="untied", date="2025-02-01")
    add(tracker, measure="early", date="2024-12-01", **{"for": "prisoners"})
    everything = {s["measure"]: s["ahead"] for s in listed(tracker)}
    assert everything == {"early": True, "linked": True, "untied": True}
    set_policy(tracker, "linked")
    linked = {s["measure"]: s for s in listed(tracker)}
    assert {m: s["ahead"] for m, s in linked.items()} == {
        "early": True, "linked": False, "untied": True,
    }  # fmt: skip
    at = linked["early"]["compliance_at_date"]
    assert at["required"] == [{"id": "prisoners", "status": "unknown"}]
    assert (at["date"], at["status"]) == ("2024-12-01", "unknown")
    data = status(tracker, "2025-03-01")
    assert data["overall"]["relief_ahead"] == 2
    grant = {m["measure"]: m["compliance_at_grant"] for m in data["relief"]}
    assert grant["linked"]["required"] == [{"id": "prisoners", "status": "met"}]
    assert grant["untied"]["score"] == data["overall"]["score"]


def test_relief_granted_once_every_condition_is_met_is_in_step(tracker: Path) -> None:
    all_met(tracker, "2025-01-01")
    add(tracker, date="2025-01-02")
    assert listed(tracker)[0]["ahead"] is False
    text = ok(run(tracker, "status", "--as-of", "2025-02-01")).stdout
    assert "in step" in text and "relief in step" in text
    ok(run(tracker, "check", "--require-sequencing", "--as-of", "2025-02-01"))


def test_status_text_shows_the_relief_table_and_the_count_per_sender(tracker: Path) -> None:
    add(tracker, measure="Belavia", instrument="GL 11", date="2025-09-11")
    add(tracker, sender="EU", measure="potash", date="2025-09-12")
    text = run(tracker, "status", "--as-of", "2025-10-01", env={"COLUMNS": "200"}).stdout
    assert "Relief" in text and "GL 11" in text
    # One row per measure: its state, since when, and its score then; what "ahead" means
    # is said once, under the table (issue 12's readability follow-up).
    row = next(line for line in text.splitlines() if "GL 11" in line)
    assert re.search(r"\bin effect\s+2025-09-11\s+ahead: 0/100\s*$", row), row
    assert text.count('"ahead: N/100" = took effect before every condition was met') == 1
    assert "relief ahead of compliance: 2 measures in effect (EU 1, US 1)" in text


def test_check_require_sequencing_fails_naming_each_measure(tracker: Path) -> None:
    first = add(tracker, measure="Belavia", date="2025-09-11")
    add(tracker, measure="potash", date="2025-09-12")
    add(tracker, measure="potash", action="reimposed", date="2025-09-20")
    result = run(tracker, "check", "--require-sequencing", "--as-of", "2025-10-01")
    assert result.exit_code == 1, result.output
    assert "FAIL relief ahead of compliance: US Belavia in effect since 2025-09-11" in result.stdout
    assert "potash" not in result.stdout  # reimposed: no longer in effect
    data = json.loads(
        run(tracker, "check", "--require-sequencing", "--format", "json",
            "--as-of", "2025-10-01").stdout
    )  # fmt: skip
    [failure] = data["failures"]  # the message names the measure and its entry
    assert failure["requirement"] == "sequencing" and failure["condition"] is None
    assert f"US Belavia in effect since 2025-09-11 ({first})" in failure["message"]
    github = run(tracker, "check", "--require-sequencing", "--format", "github",
                 "--as-of", "2025-10-01").stdout  # fmt: skip
    line = tracker.read_text().splitlines().index("[[relief]]") + 1
    assert f"line={line},title=relief ahead of compliance::" in github
    junit = run(tracker, "check", "--require-sequencing", "--format", "junit",
                "--as-of", "2025-10-01").stdout  # fmt: skip
    assert f'classname="relief" name="{first}: sequencing"' in junit
    # Without the flag the gate is as before: relief-readiness.
    plain = run(tracker, "check", "--as-of", "2025-10-01")
    assert plain.exit_code == 1 and "relief ahead" not in plain.stdout


def test_gate_require_sequencing_in_the_file_and_its_flag_overriding_it(tracker: Path) -> None:
    add(tracker, measure="Belavia", date="2025-09-11")
    text = tracker.read_text(encoding="utf-8")
    gate = "[gate]\nrequire_sequencing = true\n\n"
    tracker.write_text(text.replace("[[conditions]]", gate + "[[conditions]]", 1), "utf-8")
    ok(run(tracker, "validate"))
    gated = run(tracker, "check", "--as-of", "2025-10-01", "--format", "json")
    assert gated.exit_code == 1, gated.output
    data = json.loads(gated.stdout)
    assert [f["requirement"] for f in data["failures"]] == ["sequencing"]
    assert data["policy"]["require_sequencing"] is True
    assert data["policy"]["from"]["require_sequencing"] == "gate"
    text_run = run(tracker, "check", "--as-of", "2025-10-01")
    assert "1 measure in effect ahead of compliance (from [gate])" in text_run.stdout
    # The flag's negative form overrides the file; the default gate (all met) is then back.
    overridden = run(tracker, "check", "--as-of", "2025-10-01", "--no-require-sequencing",
                     "--format", "json")  # fmt: skip
    data = json.loads(overridden.stdout)
    assert data["policy"]["require_sequencing"] is False
    assert data["policy"]["from"]["require_sequencing"] == "flag"
    assert "sequencing" not in [f["requirement"] for f in data["failures"]]
    bad = tracker.read_text(encoding="utf-8").replace(
        "require_sequencing = true", 'require_sequencing = "yes"'
    )
    tracker.write_text(bad, "utf-8")
    refused = run(tracker, "validate")
    assert refused.exit_code == 2 and "[gate], field 'require_sequencing'" in refused.stderr


def test_snapback_names_the_measures_due_to_snap_back(tracker: Path) -> None:
    all_met(tracker, "2025-01-01")
    add(tracker, measure="for-troops", date="2025-02-01", **{"for": "troops"})
    add(tracker, measure="for-prisoners", date="2025-02-01", **{"for": "prisoners"})
    add(tracker, measure="untied", date="2025-02-01")
    add(tracker, measure="reimposed", date="2025-02-01", **{"for": "troops"})
    add(tracker, measure="reimposed", action="reimposed", date="2025-03-01")
    assess(tracker, "troops", "bases-closed", "not-met", "2025-04-01")
    data = status(tracker, "2025-04-02")
    due = {m["measure"]: m["snapback_due"] for m in data["relief"]}
    assert due == {"for-troops": True, "for-prisoners": False, "untied": True,
                   "reimposed": False}  # fmt: skip
    assert data["overall"]["snapback_due"] == 2
    assert {m["measure"]: m["breached"] for m in data["relief"]}["untied"] == ["troops"]
    before = status(tracker, "2025-03-31")
    assert before["overall"]["snapback_due"] == 0
    result = run(tracker, "check", "--as-of", "2025-04-02")
    assert result.exit_code == 3
    assert "snapback due: US for-troops" in result.stdout
    assert "snapback due: US untied" in result.stdout
    assert "for-prisoners" not in result.stdout
    text = run(tracker, "status", "--as-of", "2025-04-02", env={"COLUMNS": "200"}).stdout
    assert "SNAPBACK DUE" in text and "due to snap back: US for-troops; US untied" in text


# --- amend and retract -------------------------------------------------------------------


def test_amend_and_retract_work_on_relief_ids(tracker: Path) -> None:
    original = add(tracker, date="2025-09-11", **{"for": "prisoners"})
    amended = ok(
        run(tracker, "relief", "amend", original, "--reason", "wrong date", "--date",
            "2025-10-01", "--clear", "for")
    ).stdout.strip()  # fmt: skip
    assert ID.fullmatch(amended) and amended != original
    steps = {s["id"]: s for s in listed(tracker)}
    assert steps[original]["counts"] is False and steps[amended]["counts"] is True
    assert steps[amended]["supersedes"] == original and steps[amended]["for"] == []
    assert measures(tracker, "2025-09-20")["Belavia"]["state"] == "in-force"
    assert measures(tracker, "2025-10-02")["Belavia"]["since"] == "2025-10-01"
    # `condtrack amend` corrects the fields relief shares with evidence.
    again = ok(
        run(tracker, "amend", amended, "--reason", "typo", "--summary", "GL 11 issued")
    ).stdout.strip()
    assert listed(tracker)[-1]["summary"] == "GL 11 issued"
    refused(tracker, "amend", again, "--reason", "x", "--condition", "troops",
            expect=["is a relief entry, which has no condition"])  # fmt: skip
    refused(tracker, "relief", "amend", original, "--reason", "x", "--summary", "y",
            expect=["already amended by"])  # fmt: skip
    retracted = run(tracker, "retract", original, "--reason", "never issued", "--date",
                    "2025-11-01")  # fmt: skip
    ok(retracted)
    assert f"every version is withdrawn ({original}, {amended}, {again})" in retracted.stderr
    # A retraction applies at every as-of date, before its own too (issue 13).
    assert measures(tracker, "2025-10-15")["Belavia"]["state"] == "in-force"
    after = measures(tracker, "2025-11-02")["Belavia"]
    assert (after["state"], after["event"]) == ("in-force", None)
    assert all(not s["counts"] for s in listed(tracker, "--as-of", "2025-11-02"))
    ok(run(tracker, "validate"))


# --- relief list -------------------------------------------------------------------------


def test_relief_list_filters_by_sender_and_names_an_unknown_one(tracker: Path) -> None:
    add(tracker, sender="US", measure="a")
    add(tracker, sender="EU", measure="b")
    assert [s["measure"] for s in listed(tracker, "--sender", "eu")] == ["b"]
    refused(tracker, "relief", "list", "--sender", "UK", expect=["no relief entry from 'UK'"])
    refused(tracker, "relief", "list", "--format", "jsn", expect=["did you mean 'json'?"])
    table = ok(run(tracker, "relief", "list", "--format", "table")).stdout  # the old name
    assert table == ok(run(tracker, "relief", "list", "--format", "text")).stdout


def test_a_mistyped_relief_command_gets_a_suggestion_in_one_line(tracker: Path) -> None:
    refused(tracker, "relief", "lst", expect=["no such command 'lst'; did you mean 'list'?"])
    refused(tracker, "relief", "zzz", expect=["no such command 'zzz'; see 'condtrack relief -h'"])


def test_relief_list_writes_a_file_with_o(tracker: Path, tmp_path: Path) -> None:
    add(tracker)
    out = tmp_path / "ledger.md"
    result = ok(run(tracker, "relief", "list", "--format", "markdown", "-o", str(out)))
    assert result.stdout == "" and out.read_text().startswith("# Relief ledger as of ")
    refused(tracker, "relief", "list", "-o", str(tracker), expect=[])


HOSTILE = "=cmd|' /C calc'!A0 \x1b[31m| *x* <b>&amp;</b> \u202e\u200b émigré 日本 \U0001f600"


def test_hostile_text_in_every_new_field_through_every_format(tracker: Path) -> None:
    add(tracker, measure=HOSTILE, instrument=HOSTILE, source=HOSTILE[:200], summary=HOSTILE,
        url="https://example.org/a?b=1&c=%7C")  # fmt: skip
    steps = listed(tracker)
    for field in ("measure", "instrument", "summary"):
        assert steps[0][field] == HOSTILE.strip()
    outputs = {
        "text": run(tracker, "relief", "list", env={"COLUMNS": "300"}, color=True).stdout,
        "status": run(tracker, "status", env={"COLUMNS": "300"}, color=True).stdout,
        "check": run(tracker, "check", "--require-sequencing").stdout,
    }
    for name, text in outputs.items():
        assert not TERMINAL_UNSAFE.search(re.sub(r"\x1b\[[0-9;]*m", "", text)), name
        assert "\x1b[31m|" not in text, name
    table = ok(run(tracker, "relief", "list", "--format", "csv")).stdout.removeprefix("\ufeff")
    rows = list(csv.DictReader(io.StringIO(table)))
    for field in ("measure", "instrument", "summary", "source"):
        assert not rows[0][field].startswith(("=", "+", "-", "@")), rows[0][field]
        assert "\x1b" not in rows[0][field]
    markdown = ok(run(tracker, "relief", "list", "--format", "markdown")).stdout
    header, _, row = markdown.splitlines()[2:5]
    unescaped = re.compile(r"(?<!\\)\|")
    assert len(unescaped.findall(row)) == len(unescaped.findall(header)), row
    assert "<b>" not in markdown and "\x1b" not in markdown
    github = run(tracker, "check", "--require-sequencing", "--format", "github").stdout
    assert all(line.startswith(("::error ", "condtrack check:")) for line in github.splitlines())
    junit = run(tracker, "check", "--require-sequencing", "--format", "junit").stdout
    assert "\x1b" not in junit


# --- the property: `ahead` is "required conditions not all met on the entry's date" -------

CRITERIA = {"troops": ("bases-closed", "troops-gone"), "prisoners": ("released", "no-exile")}
DAY0 = dt.date(2025, 1, 1)

assessments = st.lists(
    st.tuples(
        st.sampled_from([(c, k) for c, ks in CRITERIA.items() for k in ks]),
        st.sampled_from(["met", "not-met", "partial"]),
        st.integers(0, 60),
    ),
    max_size=14,
)
grants = st.lists(
    st.tuples(
        st.sampled_from(["eased", "lifted", "suspended"]),
        st.integers(0, 60),
        st.lists(st.sampled_from(list(CRITERIA)), unique=True, max_size=2),
    ),
    min_size=1,
    max_size=6,
)


def oracle_met(evidence: list[tuple[tuple[str, str], str, int]], condition: str, day: int) -> bool:
    """A condition is met on a day when each of its criteria's latest assessment on or
    before that day (later in the file wins a tie) says met."""
    for criterion in CRITERIA[condition]:
        latest = None
        for (cond, crit), verdict, when in evidence:
            later = latest is None or when >= latest[0]
            if (cond, crit) == (condition, criterion) and when <= day and later:
                latest = (when, verdict)
        if latest is None or latest[1] != "met":
            return False
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assessments, grants, st.sampled_from(["all", "linked"]))
def test_ahead_equals_an_independent_oracle(
    evidence: list[tuple[tuple[str, str], str, int]],
    relief: list[tuple[str, int, list[str]]],
    policy: str,
) -> None:
    text = SMALL_TRACKER.replace("schema = 1", "schema = 2").replace(
        "window_days = 90\n", f'window_days = 90\nrelief_requires = "{policy}"\n'
    )
    for number, ((condition, criterion), verdict, when) in enumerate(evidence):
        day = DAY0 + dt.timedelta(days=when)
        text += (
            f'\n[[evidence]]\nid = "ev-{number}"\ncondition = "{condition}"\n'
            f'criterion = "{criterion}"\nstatus = "{verdict}"\ndate = {day}\n'
            f'source = "S"\nreliability = "A1"\nsummary = "s{number}"\n'
            "logged = 2025-06-01T00:00:00Z\n"
        )
    for number, (action, when, tied) in enumerate(relief):
        day = DAY0 + dt.timedelta(days=when)
        text += (
            f'\n[[relief]]\nid = "rl-{number}"\nsender = "US"\nmeasure = "m{number}"\n'
            f'action = "{action}"\ndate = {day}\nfor = {json.dumps(tied)}\n'
            f'source = "S"\nreliability = "A1"\nsummary = "r{number}"\n'
            "logged = 2025-06-01T00:00:00Z\n"
        )
    tracker, problems = check_document(tomllib.loads(text), text)
    assert tracker is not None, problems
    found = ledger(tracker, DAY0 + dt.timedelta(days=90))
    verdicts = {step.entry.id: step.ahead for step in found.steps}
    for number, (_, when, tied) in enumerate(relief):
        required = tied if policy == "linked" and tied else list(CRITERIA)
        expected = not all(oracle_met(evidence, c, when) for c in required)
        assert verdicts[f"rl-{number}"] is expected, (number, required, when)
    assert len(found.ahead) == sum(1 for step in found.steps if step.ahead)


def test_toml_string_helper_round_trips_hostile_text() -> None:
    assert tomllib.loads(f"v = {toml_string(HOSTILE)}")["v"] == HOSTILE


# --- at a terminal -----------------------------------------------------------------------


def test_relief_add_asks_at_a_terminal_for_what_is_missing(tracker: Path) -> None:
    """Asked as `log` asks: each field the line leaves out once, in the order of a step
    (who, what, when, for what, the instrument, until when, then the source), optional
    ones skipped with Enter, each answer checked as typed, and a field the whole entry
    refuses asked again."""
    if sys.platform == "win32":
        pytest.skip("needs a POSIX pseudo-terminal")
    from tests.test_terminal import Terminal

    session = Terminal(["--file", str(tracker), "relief", "add", "--sender", "US"], tracker.parent)
    try:
        session.expect("Measure (the sanction it touches")
        session.answer("Belavia")
        listed = session.expect("Action (number or id): ")
        assert "1  eased" in listed and "5  expired" in listed and "6  renewed" in listed
        session.answer("relaxed")  # refused as typed, and asked again at once
        assert "unknown action 'relaxed'" in session.expect("Action (number or id): ")
        session.answer("9")
        assert "choose 1 to 6" in session.expect("Action (number or id): ")
        session.answer("1")
        session.expect("Date it took effect, YYYY-MM-DD [")
        session.answer("2025-02-30")  # no such day: asked again
        assert "is not a valid date" in session.expect("YYYY-MM-DD [")
        session.answer("2025-09-11")
        listed = session.expect("For (numbers or ids, separated by spaces; Enter for none): ")
        assert "prisoners" in listed and "troops" in listed  # the conditions, to pick from
        session.answer("prisoner")
        assert "did you mean 'prisoners'?" in session.expect("For (numbers or ids")
        session.answer("prisoners")
        session.expect("Instrument, the legal act (Enter for none): ")
        session.answer("OFAC GL 11")
        session.expect("Last day it holds, YYYY-MM-DD (Enter for none): ")
        session.answer("2025-09-01")  # a date, but before the step's: asked again at once
        assert "before the relief's date 2025-09-11" in session.expect("Last day it holds")
        session.answer("2026-03-11")
        session.expect("Source (who reported it): ")
        session.answer("")  # required: asked again
        session.expect("Source (who reported it): ")
        session.answer("OFAC")
        session.expect("Link to the source (Enter for none): ")
        session.answer("")
        session.expect("[F6]: ")
        session.answer("B2")
        session.expect("Summary (what was granted): ")
        session.answer("GL 11")
        session.expect("Tags, separated by spaces (Enter for none): ")
        session.answer("")
        code, shown = session.finish()
    finally:
        session.close()
    assert code == 0, shown
    assert session.output.decode().count("Summary") == 1  # asked once, after the date
    (entry,) = tomllib.loads(tracker.read_text(encoding="utf-8"))["relief"]
    assert entry["id"] in shown
    assert (entry["measure"], entry["action"], entry["source"]) == ("Belavia", "eased", "OFAC")
    assert (entry["date"], entry["expires"]) == (dt.date(2025, 9, 11), dt.date(2026, 3, 11))
    assert (entry["for"], entry["instrument"], entry["reliability"]) == (
        ["prisoners"],
        "OFAC GL 11",
        "B2",
    )


def test_relief_add_at_a_terminal_skips_what_is_optional_and_refuses_a_bad_option_first(
    tracker: Path,
) -> None:
    if sys.platform == "win32":
        pytest.skip("needs a POSIX pseudo-terminal")
    from tests.test_terminal import Terminal

    before = tracker.read_bytes()
    refused = Terminal(
        ["--file", str(tracker), "relief", "add", "--for", "prisoner"], tracker.parent
    )
    try:
        code, shown = refused.finish()
    finally:
        refused.close()
    assert code == 2 and shown.startswith("error: --for: unknown condition 'prisoner'"), shown
    assert tracker.read_bytes() == before
    for action in ("reimposed", "eased"):
        line = ["relief", "add", "--sender", "US", "--measure", "m", "--action", action]
        session = Terminal(["--file", str(tracker), *line], tracker.parent)
        try:
            session.expect("Date it took effect")
            session.answer("")  # today
            for question in ("For (numbers", "Instrument"):
                session.expect(question)
                session.answer("")
            if action == "eased":
                session.expect("Last day it holds")
                session.answer("")
            asked = session.expect("Source (who reported it): ")
            session.answer("Gazette")
            for question in ("Link", "[F6]", "Summary", "Tags"):
                session.expect(question)
                session.answer("" if question != "Summary" else f"{action}.")
            code, shown = session.finish()
        finally:
            session.close()
        if action == "reimposed":
            assert "Last day" not in asked  # no expiry for a reimposition
            # Nothing eased before it: refused as the option is without a terminal.
            assert code == 2 and "which no earlier entry eased" in shown, shown
            assert tracker.read_bytes() == before
    assert code == 0, shown
    assert "graded F6, below this tracker's minimum C3" in shown  # as log warns
    (entry,) = tomllib.loads(tracker.read_text(encoding="utf-8"))["relief"]
    assert entry["action"] == "eased" and entry["reliability"] == "F6"
    assert not {"instrument", "for", "expires", "url", "tags"} & set(entry)


# --- the fast paths take relief too (issue 12: relief costs little when present) ----------
# (Phase 1 sent every file with relief down the plain path; tests/test_relief_speed_paths.py
# checks the fast paths against the plain one in depth.)


def test_relief_takes_the_fast_paths_and_is_recorded(tmp_path: Path) -> None:
    from condtrack.storage import remembered, slices, store

    path = tmp_path / "conditions.toml"
    blocks = [
        f'\n[[evidence]]\nid = "ev-{n}"\ncondition = "troops"\ndate = 2025-01-{n % 28 + 1:02}\n'
        f'source = "Monitor"\nsummary = "observation number {n} of many"\n'
        "logged = 2025-02-01T00:00:00Z\n"
        for n in range(900)
    ]
    path.write_text(SMALL_TRACKER + "".join(blocks), encoding="utf-8")
    assert len(path.read_bytes()) > remembered.SMALL_BYTES  # large enough to be recorded
    ok(run(path, "status"))
    assert remembered.recall(path.read_bytes()) is not None
    old = path.read_bytes()
    first = add(path)  # raises the schema number: the one append that changes a byte
    data = path.read_bytes()
    assert remembered.recall(old) is not None  # left alone: it vouches for the old bytes only
    # The result was checked whole, in slices (the slicer reads [[relief]] tables), and
    # recorded with its relief entry.
    sliced = slices.read_tracker(data)
    document, whole = store.parse(data, path)
    plain = store.check(document, whole, path)
    assert sliced == plain and [r.id for r in plain.relief] == [first]
    known = remembered.recall(data)
    assert known is not None and first in known.ids and known.relief == tuple(plain.relief)
    logged = assess(path, "troops", "bases-closed", "met", "2025-03-01")
    second = add(path, measure="potash", date="2025-10-01")
    after = path.read_bytes()
    known = remembered.recall(after)
    assert known is not None and {first, second, logged} <= known.ids
    tracker = store.read_checked(after, path)[0]
    assert [r.id for r in tracker.relief] == [first, second] == [r.id for r in known.relief]
    assert tracker.evidence[-1].id == logged and len(tracker.evidence) == 901
    # A [[relief]] table between evidence tables, in a slice of its own or not.
    text = after.decode()
    moved = text.replace('\n[[evidence]]\nid = "ev-450"', relief_block(id='"rl-mid"')
                         + '\n[[evidence]]\nid = "ev-450"', 1)  # fmt: skip
    in_slices = slices.read_tracker(moved.encode())
    assert in_slices is not None
    assert [r.id for r in in_slices.relief] == ["rl-mid", first, second]
    document, whole = store.parse(moved.encode(), path)
    assert in_slices == store.check(document, whole, path)
