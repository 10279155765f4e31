"""`history` of relief entries, and of entries not yet logged at `--known-at`.

A relief entry has a chain like evidence (its amendments, the retraction that withdrew it),
and `history` shows it in text and JSON; an id the file holds but did not yet know at the
moment asked is said to be that, not to be missing; an unknown id is named by its kind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from condtrack.render.output_schemas import output_schema
from tests.conftest import SMALL_TRACKER
from tests.reliability.helpers import invalid, ok, refused, run

RELIEF = """
[[relief]]
id = "rl-aaaaaaaaaa"
sender = "US"
measure = "Belavia"
action = "eased"
date = 2025-09-11
instrument = "GL 11"
for = ["prisoners"]
source = "OFAC"
summary = "licence"
logged = 2025-09-12T10:00:00Z

[[relief]]
id = "rl-bbbbbbbbbb"
sender = "US"
measure = "Belavia"
action = "eased"
date = 2025-09-10
instrument = "GL 11"
for = ["prisoners", "troops"]
source = "OFAC"
summary = "licence"
supersedes = "rl-aaaaaaaaaa"
reason = "a day earlier"
logged = 2025-10-01T10:00:00Z

[[evidence]]
id = "ev-cccccccccc"
condition = "troops"
date = 2025-09-01
source = "Monitor"
summary = "seen"
logged = 2025-09-02T10:00:00Z

[[retractions]]
evidence = "rl-aaaaaaaaaa"
reason = "no such licence"
date = 2025-11-01
logged = 2025-11-01T10:00:00Z
"""


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER.replace("schema = 1", "schema = 2") + RELIEF, "utf-8")
    ok(run(path, "validate"))
    return path


def history_json(path: Path, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok(run(path, "history", *args, "--format", "json")).stdout)
    jsonschema.Draft7Validator(output_schema("history")).validate(data)
    return data


@pytest.mark.parametrize("asked", ["rl-aaaaaaaaaa", "rl-bbbbbbbbbb"])
def test_history_shows_a_relief_entrys_chain_from_any_version(tracker: Path, asked: str) -> None:
    data = history_json(tracker, asked)
    assert data["kind"] == "relief" and data["current"] == "rl-bbbbbbbbbb"
    assert [v["id"] for v in data["versions"]] == ["rl-aaaaaaaaaa", "rl-bbbbbbbbbb"]
    assert data["versions"][1]["for"] == ["prisoners", "troops"]  # the file's name
    assert data["retracted"]["evidence"] == "rl-aaaaaaaaaa"
    text = ok(run(tracker, "history", asked)).stdout
    assert "v1 rl-aaaaaaaaaa" in text and "v2 rl-bbbbbbbbbb" in text
    assert "Belavia: eased (GL 11)" in text
    assert "changed: date, for" in text and "reason: a day earlier" in text
    assert "retracted 2025-11-01" in text and "no such licence" in text


def test_history_of_evidence_names_its_kind_and_fits_the_schema(tracker: Path) -> None:
    data = history_json(tracker, "ev-cccccccccc")
    assert data["kind"] == "evidence" and data["current"] == "ev-cccccccccc"


def test_history_known_at_shows_the_chain_as_it_was_known(tracker: Path) -> None:
    data = history_json(tracker, "rl-aaaaaaaaaa", "--known-at", "2025-09-20")
    assert [v["id"] for v in data["versions"]] == ["rl-aaaaaaaaaa"]
    assert data["retracted"] is None


@pytest.mark.parametrize(
    ("entry_id", "known_at", "said"),
    [
        ("rl-aaaaaaaaaa", "2025-09-11", "relief entry rl-aaaaaaaaaa was not yet logged at "
         "2025-09-11 (logged 2025-09-12T10:00:00Z)"),
        ("rl-bbbbbbbbbb", "2025-09-20", "relief entry rl-bbbbbbbbbb was not yet logged at "
         "2025-09-20 (logged 2025-10-01T10:00:00Z)"),
        ("ev-cccccccccc", "2025-09-02T09:59:59Z", "evidence ev-cccccccccc was not yet logged "
         "at 2025-09-02T09:59:59+00:00 (logged 2025-09-02T10:00:00Z)"),
    ],
)  # fmt: skip
def test_history_before_an_entry_was_logged_says_so(
    tracker: Path, entry_id: str, known_at: str, said: str
) -> None:
    error = refused(tracker, "history", entry_id, "--known-at", known_at, expect=[said])
    assert "no evidence" not in error


@pytest.mark.parametrize(
    ("entry_id", "said"),
    [
        ("rl-aaaaaaaaab", "no relief entry with id 'rl-aaaaaaaaab'; did you mean 'rl-aaaaaaaaaa'?"),
        ("ev-cccccccccd", "no evidence with id 'ev-cccccccccd'; did you mean 'ev-cccccccccc'?"),
        ("xx-1", "no evidence or relief entry with id 'xx-1'"),
    ],
)
def test_history_of_an_unknown_id_names_the_kind_it_looked_for(
    tracker: Path, entry_id: str, said: str
) -> None:
    for args in ([], ["--format", "json"], ["--known-at", "2026-01-01"]):
        refused(tracker, "history", entry_id, *args, expect=[f"ID: {said}"])


def test_history_of_a_relief_entry_added_through_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, "utf-8")
    first = ok(
        run(path, "relief", "add", "--sender=EU", "--measure=potash", "--action=suspended",
            "--date=2025-12-15", "--source=Council", "--summary=suspended")
    ).stdout.strip()  # fmt: skip
    second = ok(
        run(path, "relief", "amend", first, "--summary", "suspended for 6 months", "--reason",
            "the term")
    ).stdout.strip()  # fmt: skip
    data = history_json(path, second)
    assert [v["id"] for v in data["versions"]] == [first, second]
    assert "changed: summary" in ok(run(path, "history", first)).stdout


@pytest.mark.parametrize(
    ("entry_id", "said"),
    [
        ("rl-aaaaaaaaab", "no relief entry with id 'rl-aaaaaaaaab'; did you mean 'rl-aaaaaaaaaa'?"),
        ("ev-cccccccccd", "no evidence with id 'ev-cccccccccd'; did you mean 'ev-cccccccccc'?"),
        ("xx-1", "no evidence or relief entry with id 'xx-1'"),
    ],
)
def test_retract_and_amend_name_an_unknown_ids_kind_as_history_does(
    tracker: Path, entry_id: str, said: str
) -> None:
    refused(tracker, "retract", entry_id, "--reason", "r", expect=[said])
    refused(tracker, "amend", entry_id, "--summary", "s", "--reason", "r", expect=[said])


def test_a_retraction_of_an_unknown_relief_id_is_named_so(tracker: Path) -> None:
    text = tracker.read_text("utf-8")
    tracker.write_text(text.replace('evidence = "rl-aaaaaaaaaa"', 'evidence = "rl-aaaaaaaaaz"'))
    invalid(tracker, "field 'evidence'", "retracts unknown relief entry 'rl-aaaaaaaaaz'")
