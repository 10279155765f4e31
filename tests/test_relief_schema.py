"""`condtrack schema relief`: the JSON Schema of `relief list --format json`, published like
every other JSON output's (it was the one JSON output without one), and `schema` takes
exactly the outputs that have one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from condtrack.render.output_schemas import OUTPUTS
from tests.conftest import REPO, SMALL_TRACKER
from tests.reliability.helpers import ok, run
from tests.test_report import HOSTILE


def relief_schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok(run(None, "schema", "relief")).stdout)
    jsonschema.Draft7Validator.check_schema(data)
    return data


def validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(
        relief_schema(), format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


def test_schema_relief_is_the_shipped_file() -> None:
    shipped = REPO / "condtrack" / "schemas" / "relief.schema.json"
    assert ok(run(None, "schema", "relief")).stdout == shipped.read_text(encoding="utf-8")
    assert relief_schema()["title"] == "condtrack relief (JSON)"


@pytest.mark.parametrize("as_of", ["2025-01-01", "2025-12-31", "2026-11-01"])
def test_the_shipped_ledger_fits_the_schema_and_a_renamed_key_does_not(as_of: str) -> None:
    listed = json.loads(
        ok(
            run(REPO / "conditions.toml", "relief", "list", "--format", "json", "--as-of", as_of)
        ).stdout
    )
    assert listed
    check = validator()
    assert list(check.iter_errors(listed)) == []
    for key in ("id", "counts", "compliance_at_date", "for"):
        broken = [{(k + "_renamed" if k == key else k): v for k, v in listed[0].items()}]
        assert not check.is_valid(broken), key


def test_hostile_text_and_every_action_fit_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    text = HOSTILE[0]
    steps = [("eased", "2025-01-02", "--expires=2025-03-01"), ("reimposed", "2025-02-01", ""),
             ("lifted", "2025-04-01", ""), ("expired", "2025-05-01", "")]  # fmt: skip
    for action, date, extra in steps:
        ok(run(path, "relief", "add", "--sender=US", f"--measure={text}", f"--action={action}",
               f"--date={date}", f"--instrument={text}", f"--source={text}", "--summary=T",
               "--for=troops", *([extra] if extra else [])))  # fmt: skip
    listed = json.loads(ok(run(path, "relief", "list", "--format", "json")).stdout)
    assert [entry["action"] for entry in listed] == [a for a, _, _ in steps]
    assert list(validator().iter_errors(listed)) == []


def test_schema_takes_exactly_the_outputs_that_have_a_schema() -> None:
    assert "relief" in OUTPUTS
    for name in ("tracker", *OUTPUTS):
        assert ok(run(None, "schema", name)).stdout.startswith("{")
    shown = run(None, "schema", "--help", env={"COLUMNS": "200"}).stdout
    for name in OUTPUTS:
        assert name in shown, name
