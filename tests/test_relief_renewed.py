"""The relief action ``renewed`` (issue 14's "the EU's renewals without change"): the sender
decided to keep a sanction in force. Its state, its place in every output, and the schema
number it needs (3), so that an older condtrack refuses a file holding one instead of
misreading it.

Everything runs through the real CLI; the older release runs in a subprocess of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from condtrack.schema.jsonschema import tracker_schema
from condtrack.schema.models import READABLE_SCHEMAS
from tests.conftest import REPO, SMALL_TRACKER
from tests.reliability.helpers import invalid, ok, refused, run, write_csv
from tests.test_relief import add, hand_written, relief_block, status

# main when `renewed` was built: a condtrack that reads schema 1 and 2 only.
RELEASE = "12cccf1"


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    return path


def schema_of(path: Path) -> int:
    number: int = tomllib.loads(path.read_text("utf-8"))["tracker"]["schema"]
    return number


def renew(path: Path, *extra: str, **fields: str) -> str:
    values = {"sender": "EU", "measure": "potash", "action": "renewed", "date": "2026-02-26"}
    return add(path, *extra, **{**values, **fields})


def measure(path: Path, as_of: str, sender: str, name: str) -> dict[str, Any]:
    relief: list[dict[str, Any]] = status(path, as_of)["relief"]
    (found,) = [m for m in relief if (m["sender"], m["measure"]) == (sender, name)]
    return found


# --- the state a renewal decides -------------------------------------------------------------


def test_a_renewal_keeps_the_measure_in_force_since_its_date_and_never_runs_ahead(
    tracker: Path,
) -> None:
    entry_id = renew(tracker)
    held = measure(tracker, "2026-03-31", "EU", "potash")
    assert (held["state"], held["since"], held["event"]) == ("in-force", "2026-02-26", entry_id)
    assert held["ahead"] is False and held["snapback_due"] is False
    assert held["compliance_at_grant"] is None  # it granted nothing
    assert status(tracker, "2026-03-31")["overall"]["relief_ahead"] == 0
    (step,) = json.loads(ok(run(tracker, "relief", "list", "--format", "json")).stdout)
    assert (step["action"], step["ahead"], step["counts"]) == ("renewed", None, True)
    # Before its date the measure has no counting entry: in force, with no date.
    assert status(tracker, "2026-01-31")["relief"][0]["state"] == "in-force"
    text = ok(run(tracker, "status", "--as-of", "2026-03-31")).stdout
    assert "in force, renewed" in text and "2026-02-26" in text
    ok(run(tracker, "check", "--require-sequencing", "--as-of", "2026-03-31"))


def test_a_renewal_ends_an_earlier_easing_of_the_same_measure(tracker: Path) -> None:
    add(tracker, sender="US", measure="potash", action="eased", date="2025-12-15")
    before = measure(tracker, "2026-01-31", "US", "potash")
    assert before["state"] == "in-effect" and before["ahead"] is True
    renewal = renew(tracker, sender="US", date="2026-02-26")
    after = measure(tracker, "2026-03-31", "US", "potash")
    assert (after["state"], after["since"], after["event"]) == ("in-force", "2026-02-26", renewal)
    assert after["ahead"] is False
    # A renewal is not a snapback: the state is in force, not reimposed.
    assert after["state"] != "reimposed"
    refused_gate = run(tracker, "check", "--require-sequencing", "--as-of", "2026-01-31")
    assert refused_gate.exit_code == 1
    ok(run(tracker, "check", "--require-sequencing", "--as-of", "2026-03-31"))


def test_the_matrix_and_every_report_say_in_force_renewed(tracker: Path) -> None:
    add(tracker, sender="US", measure="potash", action="eased", date="2025-12-15")
    renew(tracker)
    for output_format in ("markdown", "html", "csv"):
        report = ok(run(tracker, "report", "--as-of", "2026-03-31", "--format", output_format))
        assert "in force, renewed 2026-02-26" in report.stdout, output_format
    data = json.loads(
        ok(run(tracker, "report", "--as-of", "2026-03-31", "--format", "json")).stdout
    )
    cells = json.dumps(data)
    assert '"state": "in-force", "since": "2026-02-26"' in cells


def test_the_chart_marks_a_renewal_with_a_square_named_in_the_legend(tracker: Path) -> None:
    add(tracker, sender="US", measure="potash", action="eased", date="2025-12-15")
    entry_id = renew(tracker)
    html = ok(run(tracker, "report", "--as-of", "2026-03-31", "--format", "html")).stdout
    marker = html[html.index(f'data-entry="{entry_id}"') :]
    marker = marker[: marker.index("</g>")]
    assert '<rect class="shape"' in marker and "<polygon" not in marker
    assert ">renewed</text>" in html  # the legend names the shape


def test_renewed_refuses_expires_naming_the_field_and_writes_nothing(tracker: Path) -> None:
    refused(
        tracker, "relief", "add", "--sender=EU", "--measure=potash", "--action=renewed",
        "--date=2026-02-26", "--expires=2027-02-28", "--source=Council", "--summary=kept",
        expect=["--expires", "'renewed'"],
    )  # fmt: skip
    assert schema_of(tracker) == 1  # not raised either


# --- the schema number ---------------------------------------------------------------------


def test_the_first_renewal_raises_the_schema_to_3_in_the_same_write(tracker: Path) -> None:
    before = tracker.read_bytes()
    renew(tracker)
    after = tracker.read_bytes()
    assert after.startswith(before.replace(b"schema = 1", b"schema = 3", 1))
    assert schema_of(tracker) == 3  # beyond what the release before reads (1 or 2)
    ok(run(tracker, "validate"))


def test_relief_without_a_renewal_stays_schema_2_until_the_first_renewal(tracker: Path) -> None:
    add(tracker)
    assert schema_of(tracker) == 2
    add(tracker, action="lifted", date="2025-10-01")
    assert schema_of(tracker) == 2
    middle = tracker.read_bytes()
    renew(tracker, sender="US", measure="Belavia")
    assert tracker.read_bytes().startswith(middle.replace(b"schema = 2", b"schema = 3", 1))
    add(tracker, measure="potash", date="2025-12-15")  # already 3: only appended
    assert schema_of(tracker) == 3


def test_an_amendment_to_renewed_raises_the_schema_too(tracker: Path) -> None:
    entry_id = add(tracker, sender="EU", measure="potash", action="eased", date="2026-02-26")
    assert schema_of(tracker) == 2
    ok(run(tracker, "relief", "amend", entry_id, "--action=renewed", "--reason=a renewal"))
    assert schema_of(tracker) == 3
    assert measure(tracker, "2026-03-31", "EU", "potash")["state"] == "in-force"


def test_an_import_of_a_renewal_raises_the_schema(tracker: Path, tmp_path: Path) -> None:
    header = ["kind", "sender", "measure", "action", "date", "source", "summary", "reliability"]
    row = dict(zip(header, ["relief", "EU", "potash", "renewed", "2026-02-26", "Council",
                            "kept in force", "A1"], strict=True))  # fmt: skip
    rows = write_csv(tmp_path / "rows.csv", [row], header)
    ok(run(tracker, "import", str(rows)))
    assert schema_of(tracker) == 3
    assert measure(tracker, "2026-03-31", "EU", "potash")["since"] == "2026-02-26"


def test_validate_names_a_renewal_in_a_schema_2_file(tmp_path: Path) -> None:
    path = hand_written(tmp_path, relief_block(action='"renewed"'))
    problems = invalid(
        path, "relief #1 (id 'rl-hand', line ", "field 'action'", "'renewed' needs schema 3"
    )
    # One hint, on [tracker] schema, and the entry that needs it (tests/test_relief_trial3.py).
    assert len(problems) == 2 and "write schema = 3" in problems[0], problems
    refused(path, "status", expect=["field 'schema'", "needs schema 3"])
    path.write_text(path.read_text("utf-8").replace("schema = 2", "schema = 3"), "utf-8")
    ok(run(path, "validate"))


def test_validate_refuses_expires_on_a_hand_written_renewal(tmp_path: Path) -> None:
    path = hand_written(tmp_path, relief_block(action='"renewed"', expires="2027-02-28"))
    path.write_text(path.read_text("utf-8").replace("schema = 2", "schema = 3"), "utf-8")
    invalid(path, "field 'expires'", "not 'renewed'")


@pytest.mark.parametrize("number", [1, 2, 3])
def test_this_release_reads_schema_1_2_and_3(tmp_path: Path, number: int) -> None:
    assert number in READABLE_SCHEMAS
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER.replace("schema = 1", f"schema = {number}"), "utf-8")
    ok(run(path, "validate"))
    ok(run(path, "status"))


def test_the_json_schema_needs_schema_3_for_a_renewal_and_no_expires_on_it(
    tmp_path: Path,
) -> None:
    validator = jsonschema.Draft7Validator(tracker_schema())
    path = hand_written(tmp_path, relief_block(action='"renewed"'))
    document = json.loads(json.dumps(tomllib.loads(path.read_text("utf-8")), default=str))
    assert not validator.is_valid(document)
    document["tracker"]["schema"] = 3
    assert validator.is_valid(document), list(validator.iter_errors(document))
    document["relief"][0]["expires"] = "2027-02-28"
    assert not validator.is_valid(document)
    document["relief"][0]["action"] = "eased"
    assert validator.is_valid(document)


# --- an older condtrack -------------------------------------------------------------------


def _release(tmp_path: Path) -> Path | None:
    if shutil.which("git") is None:
        return None
    folder = tmp_path / "release"
    folder.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", RELEASE, "condtrack"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def test_the_release_before_refuses_a_file_with_a_renewal_by_its_schema(
    tracker: Path, tmp_path: Path
) -> None:
    release = _release(tmp_path)
    if release is None:
        pytest.skip(f"the release {RELEASE} is not in this checkout")
    add(tracker)  # relief it reads (schema 2)
    packages = sysconfig.get_paths()["purelib"]
    env = {**os.environ, "PYTHONPATH": f"{release}{os.pathsep}{packages}",
           "CONDTRACK_CACHE_DIR": str(tmp_path / "cache")}  # fmt: skip

    def old(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-S", "-m", "condtrack", "--file", str(tracker), *args]
        return subprocess.run(
            command, capture_output=True, text=True, env=env, cwd=tmp_path, check=False
        )

    assert old("status").returncode == 0  # schema 2: still the older release's
    renew(tracker)
    before = tracker.read_bytes()
    result = old("status")
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert "schema 3 is not supported by this condtrack (it reads schema 1 or 2)" in first
    assert tracker.read_bytes() == before


def test_explain_ties_no_renewal_to_a_condition(tracker: Path) -> None:
    """A renewal grants nothing, so `explain` neither lists the measure it decides among the
    relief tied to a condition nor counts it among the measures granted for others (a
    re-trial saw the EU's renewals listed as relief tied to russian-forces)."""
    add(tracker, "--for", "prisoners", measure="Belavia")
    renew(tracker, measure="restrictive measures")
    text = ok(run(tracker, "explain", "troops", "--as-of", "2026-03-31")).stdout
    tied = text[text.index("Relief tied") :]
    assert "restrictive" not in tied
    assert "1 more measure, granted for other conditions only" in " ".join(tied.split())
    listed = ok(run(tracker, "explain", "prisoners", "--as-of", "2026-03-31")).stdout
    tied = listed[listed.index("Relief tied") :]
    assert "Belavia" in tied and "restrictive" not in tied
