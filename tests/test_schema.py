"""JSON Schemas: the tracker's for editors (checked with Taplo), the JSON outputs' for scripts
(checked with jsonschema against real outputs), and `condtrack schema` that prints them."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from condtrack.cli import app
from condtrack.render.output_schemas import OUTPUTS, output_schema
from condtrack.schema.jsonschema import DOCS, SCHEMA_FILE, TrackerFile, dumps, tracker_schema
from condtrack.schema.models import Evidence
from condtrack.schema.validation import KNOWN_TABLES
from tests.conftest import REPO
from tests.reliability.helpers import WITH_EVIDENCE, evidence_block, toml_string

SHIPPED = REPO / "condtrack" / "schemas"
NAMES = ("tracker", *OUTPUTS)


def generated(name: str) -> dict[str, Any]:
    return tracker_schema() if name == "tracker" else output_schema(name)


def cli(*args: str, cwd: Path | None = None) -> Any:
    if cwd is None:
        return CliRunner().invoke(app, list(args))
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(app, list(args))
    finally:
        os.chdir(old)


# --- the shipped files and the command ------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_shipped_schema_is_what_the_generator_makes(name: str) -> None:
    shipped = SHIPPED / f"{name}.schema.json"
    assert shipped.is_file(), f"missing {shipped}"
    assert shipped.read_text(encoding="utf-8") == dumps(generated(name)), (
        f"{shipped} drifted from the models: run `condtrack schema {name} -o {shipped}`"
    )
    jsonschema.Draft7Validator.check_schema(generated(name))


@pytest.mark.parametrize("name", NAMES)
def test_schema_command_prints_the_shipped_schema(name: str) -> None:
    result = cli("schema", name)
    assert result.exit_code == 0, result.output
    assert result.stdout == (SHIPPED / f"{name}.schema.json").read_text(encoding="utf-8")


def test_schema_defaults_to_the_tracker_and_writes_with_o(tmp_path: Path) -> None:
    assert json.loads(cli("schema").stdout)["title"] == "condtrack tracker"
    target = tmp_path / "out.json"
    result = cli("schema", "status", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == dumps(output_schema("status"))
    assert cli("schema", "report", "-o", "-").stdout == dumps(output_schema("report"))


def test_schema_refuses_to_write_over_the_tracker(tmp_path: Path) -> None:
    tracker = tmp_path / "conditions.toml"
    tracker.write_text(WITH_EVIDENCE, encoding="utf-8")
    before = tracker.read_bytes()
    result = cli("--file", str(tracker), "schema", "-o", str(tracker))
    assert result.exit_code == 2
    assert "refusing to write" in result.stderr and "Traceback" not in result.output
    assert tracker.read_bytes() == before
    # found by the search too, with no --file
    result = cli("schema", "-o", "conditions.toml", cwd=tmp_path)
    assert result.exit_code == 2 and tracker.read_bytes() == before


def test_schema_refuses_an_unknown_kind_in_one_line() -> None:
    result = cli("schema", "statsu")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "did you mean 'status'" in result.stderr


def test_every_field_is_described_and_no_description_is_stale() -> None:
    for model, (_, _, fields) in DOCS.items():
        names = {info.alias or name for name, info in model.model_fields.items()}
        assert set(fields) == names, model.__name__
    schema = tracker_schema()
    for node in [schema, *schema["$defs"].values()]:
        assert node["description"] and node["additionalProperties"] is False
        for name, prop in node["properties"].items():
            assert prop.get("description"), name


def test_the_file_model_has_the_tables_the_reader_knows() -> None:
    assert tuple(TrackerFile.model_fields) == KNOWN_TABLES


# --- the tracker's schema in Taplo, as an editor uses it ------------------------------


@cache
def taplo() -> str | None:
    found = shutil.which("taplo", path=str(Path(sys.executable).parent)) or shutil.which("taplo")
    if found is None:
        return None
    try:
        ok = subprocess.run([found, "--version"], capture_output=True, timeout=60).returncode == 0
    except OSError:
        return None
    return found if ok else None


def taplo_check(path: Path) -> subprocess.CompletedProcess[str]:
    binary = taplo()
    if binary is None:
        pytest.skip("taplo (PyPI `taplo`) is not installed or its binary cannot run here")
    # From the file's folder, with no config and no network: the directive alone decides.
    return subprocess.run(
        [binary, "check", "--no-auto-config", "--colors", "never", path.name],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )


def initialised(folder: Path) -> Path:
    result = cli("init", str(folder / "conditions.toml"))
    assert result.exit_code == 0, result.output
    return folder / "conditions.toml"


def test_init_writes_the_directive_and_the_schema_it_names(tmp_path: Path) -> None:
    tracker = initialised(tmp_path / "briefing")
    assert tracker.read_text(encoding="utf-8").splitlines()[0] == f"#:schema ./{SCHEMA_FILE}"
    assert (tracker.parent / SCHEMA_FILE).read_text(encoding="utf-8") == dumps(tracker_schema())


def test_init_keeps_another_schema_file_and_refuses_without_touching_it(tmp_path: Path) -> None:
    schema = tmp_path / SCHEMA_FILE
    schema.write_text('{"mine": true}\n', encoding="utf-8")
    initialised(tmp_path)
    assert schema.read_text(encoding="utf-8") == dumps(tracker_schema())
    assert (tmp_path / f"{SCHEMA_FILE}.bak").read_text(encoding="utf-8") == '{"mine": true}\n'
    # refused (the tracker exists): nothing is written, the schema included
    schema.write_text("old\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = cli("init", str(tmp_path / "conditions.toml"))
    assert result.exit_code == 2 and "already exists" in result.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    # a schema path that is a folder: refused before the tracker is written
    other = tmp_path / "other"
    (other / SCHEMA_FILE).mkdir(parents=True)
    result = cli("init", str(other / "conditions.toml"))
    assert result.exit_code == 2 and "not a regular file" in result.stderr
    assert not (other / "conditions.toml").exists()


def test_what_init_writes_passes_taplo(tmp_path: Path) -> None:
    tracker = initialised(tmp_path)
    checked = taplo_check(tracker)
    assert checked.returncode == 0, checked.stderr
    # and still, once the commands have added every kind of entry
    run = ["--file", str(tracker)]
    logged = cli(
        *run,
        "log",
        "political-prisoners",
        "--criterion",
        "all-released",
        "--status",
        "not-met",
        "--source",
        "Viasna",
        "--summary",
        "Still held.",
        "--url",
        "https://spring96.org/en",
        "--reliability",
        "b2",
        "--tag",
        "émigré",
        "--date",
        "2025-06-01",
    )
    assert logged.exit_code == 0, logged.output
    entry = logged.stdout.strip()
    amended = cli(*run, "amend", entry, "--summary", "Held.", "--reason", "wording")
    assert amended.exit_code == 0, amended.output
    retracted = cli(*run, "retract", entry, "--reason", "wrong month")
    assert retracted.exit_code == 0, retracted.output
    assert tracker.read_text(encoding="utf-8").count("[[") > 10
    checked = taplo_check(tracker)
    assert checked.returncode == 0, checked.stderr


def test_the_shipped_tracker_passes_taplo() -> None:
    first = (REPO / "conditions.toml").read_text(encoding="utf-8").splitlines()[0]
    assert first == f"#:schema ./{SCHEMA_FILE}"  # as `init` writes it, beside it the schema
    assert (REPO / SCHEMA_FILE).read_text(encoding="utf-8") == dumps(tracker_schema()), (
        f"{REPO / SCHEMA_FILE} drifted from the models: run `condtrack schema -o {SCHEMA_FILE}`"
    )
    checked = taplo_check(REPO / "conditions.toml")
    assert checked.returncode == 0, checked.stderr


def test_a_hand_written_tracker_with_every_kind_of_entry_passes_taplo(tmp_path: Path) -> None:
    (tmp_path / SCHEMA_FILE).write_text(dumps(tracker_schema()), encoding="utf-8")
    tracker = tmp_path / "conditions.toml"
    tracker.write_text(f"#:schema ./{SCHEMA_FILE}\n\n{WITH_EVIDENCE}", encoding="utf-8")
    assert cli("--file", str(tracker), "validate").exit_code == 0
    checked = taplo_check(tracker)
    assert checked.returncode == 0, checked.stderr


# A broken file for each kind of check, and what Taplo must say about it (so a schema
# that failed to load, which Taplo also reports as an error, does not count).
BROKEN = {
    "unknown key": ("", 'bogus = "x"\n', "'bogus' was unexpected"),
    "unknown table": ("", "[extra]\nkey = 1\n", "'extra' was unexpected"),
    "status": ('status = "met"', 'status = "done"', '"done" is not one of'),
    "status alone": ("", evidence_block(status='"met"'), '"criterion" is a required'),
    "indicator alone": ("", evidence_block(indicator='"held"'), '"value" is a required'),
    "tag": ("", evidence_block(tags='["two words"]'), '"two words" does not match'),
    "reliability": ("", evidence_block(reliability='"G9"'), '"G9" does not match'),
    "url": ("", evidence_block(url='"ftp://example.org"'), '"ftp://example.org" does not'),
    "number": ("value = 1150", 'value = "1150"', '"1150" is not of type "number"'),
    "required": ('summary = "Count."', "", '"summary" is a required property'),
    "logged": ("logged = 2025-01-12T10:00:00Z", "logged = 2025-01-12T10:00:00", "date-time"),
    "schema": ("schema = 1", "schema = 4", "4 is not one of [1,2,3]"),
    "weight": ("weight = 3.0", "weight = 0", "0 is less than or equal to the minimum of 0"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_tracker_fails_taplo_as_it_fails_condtrack(case: str, tmp_path: Path) -> None:
    old, new, message = BROKEN[case]
    text = WITH_EVIDENCE.replace(old, new, 1) if old else WITH_EVIDENCE + new
    assert text != WITH_EVIDENCE
    tracker = initialised(tmp_path)
    tracker.write_text(f"#:schema ./{SCHEMA_FILE}\n\n{text}", encoding="utf-8")
    assert cli("--file", str(tracker), "validate").exit_code != 0  # condtrack refuses it
    checked = taplo_check(tracker)
    assert checked.returncode != 0, f"taplo accepted a broken file ({case})"
    assert message in checked.stderr, checked.stderr
    assert "failed to load schema" not in checked.stderr


# --- the tracker's schema never refuses what condtrack accepts ------------------------


def as_json(value: Any) -> Any:
    """A TOML document as Taplo hands it to the validator: dates as ISO strings."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return value


def tracker_validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(
        tracker_schema(), format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


@pytest.mark.parametrize(
    "path", [REPO / "conditions.toml", REPO / "condtrack" / "templates" / "default.toml"]
)
def test_shipped_files_fit_the_schema(path: Path) -> None:
    tracker_validator().validate(as_json(tomllib.loads(path.read_text(encoding="utf-8"))))


words = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=50)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    tag=st.one_of(words, st.from_regex(r"\w[\w.:/-]{0,39}", fullmatch=True)),
    reliability=st.one_of(words, st.from_regex(r"\s*[A-Fa-f][1-6]\s*", fullmatch=True)),
    url=st.one_of(words, st.from_regex(r"https?://[^\s/?#]+\S*", fullmatch=True)),
    summary=words,
)
def test_what_the_model_accepts_the_schema_accepts(
    tag: str, reliability: str, url: str, summary: str
) -> None:
    entry = {
        "id": "ev-1",
        "condition": "troops",
        "date": dt.date(2025, 1, 1),
        "source": "Monitor",
        "summary": summary,
        "reliability": reliability,
        "url": url,
        "tags": [tag],
        "logged": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    }
    try:
        Evidence.model_validate(entry)
    except ValidationError:
        return
    document = tomllib.loads(WITH_EVIDENCE)
    document["evidence"].append(entry)
    errors = list(tracker_validator().iter_errors(as_json(document)))
    assert errors == [], [e.message for e in errors]


# --- the JSON outputs against their schemas -------------------------------------------


HOSTILE = "=cmd|' /C calc'!A0 \x1b[31m| *x* <b>&amp;</b> \u202e\u200b ‮ émigré 日本 \U0001f600"


def hostile_tracker(folder: Path) -> Path:
    text = WITH_EVIDENCE.replace('"Testland: conditions for relief"', toml_string(HOSTILE))
    text = text.replace('summary = "Base closed."', f"summary = {toml_string(HOSTILE)}")
    text = text.replace('source = "Viasna"', f"source = {toml_string(HOSTILE[:200])}")
    path = folder / "conditions.toml"
    path.write_text(text, encoding="utf-8")
    return path


def outputs(tracker: Path, scratch: Path) -> dict[str, list[Any]]:
    """Every JSON output of every command, on this tracker, at a few dates."""
    found: dict[str, list[Any]] = {name: [] for name in OUTPUTS}
    evidence = tomllib.loads(tracker.read_text(encoding="utf-8")).get("evidence", [])
    runs: list[tuple[str, list[str]]] = []
    for as_of in ("2024-01-01", "2025-01-13", "2025-09-30", "2026-11-01"):
        runs += [
            ("status", ["status", "--format", "json", "--as-of", as_of]),
            ("report", ["report", "--format", "json", "--as-of", as_of]),
            ("report", ["report", "--format", "json", "--as-of", as_of, "--since", "2023-06-01"]),
            ("check", ["check", "--format", "json", "--as-of", as_of]),
            (
                "check",
                [
                    "check",
                    "--format",
                    "json",
                    "--as-of",
                    as_of,
                    "--min-score",
                    "50",
                    "--max-age",
                    "30",
                ],
            ),
            ("diff", ["diff", "--format", "json", "--since", "2023-06-01", "--until", as_of]),
            ("relief", ["relief", "list", "--format", "json", "--as-of", as_of]),
        ]
    runs += [
        ("evidence", ["evidence", "--format", "json"]),
        ("evidence", ["evidence", "--format", "json", "--all"]),
        ("conditions", ["conditions", "--format", "json"]),
    ]
    relief = tomllib.loads(tracker.read_text(encoding="utf-8")).get("relief", [])
    runs += [("history", ["history", e["id"], "--format", "json"]) for e in evidence + relief]
    conditions = tomllib.loads(tracker.read_text(encoding="utf-8"))["conditions"]
    for as_of in ("2024-01-01", "2026-11-01"):
        runs += [
            ("explain", ["explain", c["id"], "--format", "json", "--as-of", as_of, *cut])
            for c in conditions
            for cut in ([], ["--last", "1"])
        ]
    runs.append(("validate", ["validate", "--format", "json"]))
    for name, args in runs:
        result = cli("--file", str(tracker), *args)
        assert result.exit_code in (0, 1, 3), (args, result.output)
        found[name].append(json.loads(result.stdout))
    broken = scratch / f"broken-{len(list(scratch.iterdir()))}.toml"  # validate's problems
    broken.write_text(tracker.read_text(encoding="utf-8").replace('"B2"', '"Z9"'), "utf-8")
    result = cli("validate", "--format", "json", str(broken), str(scratch / "none.toml"))
    assert result.exit_code == 2, result.output
    found["validate"].append(json.loads(result.stdout))
    return found


@cache
def output_validator(name: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(
        output_schema(name), format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


def trackers(folder: Path) -> list[Path]:
    plain = folder / "plain" / "conditions.toml"
    plain.parent.mkdir()
    plain.write_text(WITH_EVIDENCE, encoding="utf-8")
    hostile = folder / "hostile"
    hostile.mkdir()
    return [REPO / "conditions.toml", plain, hostile_tracker(hostile)]


def test_every_json_output_fits_its_schema(tmp_path: Path) -> None:
    seen = dict.fromkeys(OUTPUTS, 0)
    for tracker in trackers(tmp_path):
        for name, documents in outputs(tracker, tmp_path).items():
            for document in documents:
                errors = list(output_validator(name).iter_errors(document))
                assert errors == [], (tracker, name, [e.message for e in errors])
                seen[name] += 1
    assert all(seen.values()), seen


def renamed(document: Any, depth: int) -> Any:
    """The document with one key renamed, ``depth`` objects down its first branch."""
    if isinstance(document, list):
        return [renamed(document[0], depth), *document[1:]]
    copy = dict(document)
    key = next(iter(copy))
    if depth == 0:
        copy[key + "_renamed"] = copy.pop(key)
        return copy
    for name, value in copy.items():
        if isinstance(value, dict) or (
            isinstance(value, list) and value and isinstance(value[0], dict)
        ):
            copy[name] = renamed(value, depth - 1)
            return copy
    copy[key + "_renamed"] = copy.pop(key)
    return copy


def test_a_renamed_key_breaks_every_output_schema(tmp_path: Path) -> None:
    plain = tmp_path / "conditions.toml"
    plain.write_text(WITH_EVIDENCE, encoding="utf-8")
    found = outputs(plain, tmp_path)
    # The plain tracker has no relief: `relief list` is [] there, so take the shipped one's.
    found["relief"] = outputs(REPO / "conditions.toml", tmp_path)["relief"]
    for name, documents in found.items():
        document = max(documents, key=lambda d: len(json.dumps(d)))
        for depth in range(3):
            assert not output_validator(name).is_valid(renamed(document, depth)), (name, depth)
