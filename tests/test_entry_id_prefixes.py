"""An entry's id may not carry the other table's prefix: no `ev-` relief entry, no `rl-`
evidence (in a file that can hold relief), since the prefix is how people, completion and
messages tell the kinds apart. Any other form stays valid: ids imported from a source
system (`viasna-2025-03`) were always allowed, and files written before relief existed
(schema 1) keep whatever ids they hold.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO, SMALL_TRACKER
from tests.reliability.helpers import invalid, ok, refused, run

SCHEMA_2 = SMALL_TRACKER.replace("schema = 1", "schema = 2")


def relief(entry_id: str) -> str:
    return f"""
[[relief]]
id = "{entry_id}"
sender = "US"
measure = "Belavia"
action = "eased"
date = 2025-09-11
source = "OFAC"
summary = "licence"
logged = 2025-09-12T10:00:00Z
"""


def evidence(entry_id: str) -> str:
    return f"""
[[evidence]]
id = "{entry_id}"
condition = "troops"
date = 2025-09-01
source = "Monitor"
summary = "seen"
logged = 2025-09-02T10:00:00Z
"""


def file_of(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conditions.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("entry_id", ["ev-aaaaaaaaaa", "EV-aaaaaaaaaa", "Ev-1"])
def test_a_relief_entry_with_an_evidence_id_is_invalid(tmp_path: Path, entry_id: str) -> None:
    path = file_of(tmp_path, SCHEMA_2 + relief(entry_id))
    problems = invalid(path, f"relief #1 (id '{entry_id}'", "field 'id'", "prefix of evidence ids")
    assert len(problems) == 1
    refused(path, "status", expect=["field 'id'", "prefix of evidence ids"])


@pytest.mark.parametrize("entry_id", ["rl-aaaaaaaaaa", "RL-aaaaaaaaaa"])
def test_evidence_with_a_relief_id_is_invalid_where_relief_can_be(
    tmp_path: Path, entry_id: str
) -> None:
    path = file_of(tmp_path, SCHEMA_2 + evidence(entry_id))
    invalid(path, f"evidence #1 (id '{entry_id}'", "field 'id'", "prefix of relief ids")


def test_a_schema_1_file_keeps_its_ids_readable_until_relief_is_added(tmp_path: Path) -> None:
    path = file_of(tmp_path, SMALL_TRACKER + evidence("rl-aaaaaaaaaa"))
    ok(run(path, "validate"))
    ok(run(path, "status"))
    # Its first relief entry would make the file one where that id misnames its kind.
    refused(
        path, "relief", "add", "--sender=US", "--measure=M", "--action=eased", "--source=S",
        "--summary=T", expect=["rl-aaaaaaaaaa", "prefix of relief ids"],
    )  # fmt: skip


@pytest.mark.parametrize("entry_id", ["viasna-2025-03", "e1", "rl_1", "evidence-7"])
def test_ids_of_any_other_form_stay_valid(tmp_path: Path, entry_id: str) -> None:
    relief_id = f"{entry_id}-relief"
    path = file_of(tmp_path, SCHEMA_2 + evidence(entry_id) + relief(relief_id))
    ok(run(path, "validate"))


def test_the_shipped_files_are_valid() -> None:
    for path in (REPO / "conditions.toml", *sorted((REPO / "examples").glob("*.toml"))):
        ok(run(path, "validate"))


@pytest.mark.parametrize("schema", [1, 2])
def test_import_refuses_a_row_whose_id_carries_the_other_kinds_prefix(
    tmp_path: Path, schema: int
) -> None:
    path = file_of(tmp_path, SMALL_TRACKER.replace("schema = 1", f"schema = {schema}"))
    rows = tmp_path / "rows.json"
    rows.write_text(
        json.dumps(
            [
                {"id": "rl-0000000001", "condition": "troops", "date": "2025-09-01",
                 "source": "Monitor", "summary": "seen"},
                {"kind": "relief", "id": "ev-0000000002", "sender": "US", "measure": "M",
                 "action": "eased", "date": "2025-09-11", "source": "S", "summary": "T"},
                {"kind": "relief", "id": "us-gl-11", "sender": "US", "measure": "N",
                 "action": "eased", "date": "2025-09-11", "source": "S", "summary": "T"},
            ]
        ),
        encoding="utf-8",
    )  # fmt: skip
    before = path.read_bytes()
    result = run(path, "import", str(rows))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "row 1, field 'id'" in result.stderr and "prefix of relief ids" in result.stderr
    assert "row 2, field 'id'" in result.stderr and "prefix of evidence ids" in result.stderr
    assert "row 3" not in result.stderr  # an id of another form is fine
    assert "nothing imported: 2 bad rows" in result.stderr
    assert path.read_bytes() == before
