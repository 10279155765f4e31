"""Round trips: whatever valid tracker is written reads back identical, and appends only append.

Trackers are generated as plain Python data (header, evidence, amendments, retractions),
written with tomli_w or with condtrack's own writer, and read back with
``condtrack.storage.store.load``: the models must hold exactly the data, value types included.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import string
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from condtrack.schema.models import MIN_MAGNITUDE
from condtrack.storage.appending import append
from condtrack.storage.store import load
from tests.reliability.helpers import (
    TERMINAL_UNSAFE,
    TRACKER,
    evidence_of,
    ok,
    run,
    write_csv,
    write_json,
)

PROPERTY = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TODAY = dt.date.today()
HIDDEN = "\u202e\u2066\u200b\u2028\u2029\ufeff\u00ad\x1b\x07\x7f"

LOWER = string.ascii_lowercase + string.digits
SLUGS = st.builds(
    lambda head, rest: (head + rest).rstrip("-"),
    st.sampled_from(LOWER),
    st.text(LOWER + "-", max_size=10),
)
ENTRY_IDS = st.builds(
    lambda head, rest: head + rest,
    st.sampled_from(string.ascii_letters + string.digits),
    st.text(string.ascii_letters + string.digits + "._-", max_size=20),
)
# Any text a TOML file can hold (no NUL, no lone surrogates), awkward pieces mixed in.
TEXT = st.lists(
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=10)
    | st.sampled_from(['"', "'''", "\\", "\n", "\r\n", "[[evidence]]", "\nid = 1", *HIDDEN]),
    max_size=5,
).map("".join)
REQUIRED = TEXT.map(lambda text: text if text.strip() else f"x{text}")
SHORT = REQUIRED.map(lambda text: text if len(text) <= 300 else text[:299].strip() + "y")
WORD = "abzé_дß09"
TAGS = st.lists(
    st.builds(
        lambda head, rest: head + rest, st.sampled_from(WORD), st.text(WORD + ".:/-", max_size=39)
    ),
    max_size=20,
)
GRADES = st.builds(lambda a, b: a + b, st.sampled_from("ABCDEF"), st.sampled_from("123456"))
URLS = st.builds(
    lambda host, path: f"https://{host}.example/{path}",
    st.text(string.ascii_lowercase, min_size=1, max_size=8),
    st.text(string.ascii_letters + string.digits + "/?=&#%._~()-", max_size=30),
)
# A figure as the model takes it: no -0.0 (x + 0.0 makes it 0.0), none nearer 0 than 1e-300.
NUMBERS = st.integers(-(10**15), 10**15) | st.floats(-1e15, 1e15, allow_nan=False).map(
    lambda x: x + 0.0
).filter(lambda x: x == 0 or abs(x) >= MIN_MAGNITUDE)
OFFSETS = st.integers(-18 * 60 + 1, 18 * 60 - 1).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
# Logged in the past: a stamp in the future is refused (after 2025, the tests' own era).
LOGGED = st.datetimes(dt.datetime(1900, 1, 2), dt.datetime(2025, 12, 31), timezones=OFFSETS).map(
    lambda moment: moment.replace(microsecond=0)
)


def logged_day(logged: dt.datetime) -> dt.date:
    """The latest date an entry logged then may carry: the date at UTC+14 at that instant."""
    return (logged.astimezone(dt.UTC) + dt.timedelta(hours=14)).date()


def optional(draw: st.DrawFn, target: dict[str, Any], key: str, values: Any) -> None:
    if draw(st.booleans()):
        target[key] = draw(values)


@st.composite
def conditions(draw: st.DrawFn) -> list[dict[str, Any]]:
    result = []
    for condition_id in draw(st.lists(SLUGS, min_size=1, max_size=3, unique=True)):
        criteria = [
            {"id": c, "text": draw(REQUIRED)}
            for c in draw(st.lists(SLUGS, min_size=1, max_size=3, unique=True))
        ]
        for criterion in criteria:
            optional(draw, criterion, "weight", st.floats(0.01, 1000))
        indicators = []
        for indicator_id in draw(st.lists(SLUGS, max_size=3, unique=True)):
            indicator: dict[str, Any] = {
                "id": indicator_id,
                "label": draw(SHORT),
                "kind": draw(st.sampled_from(["stock", "flow"])),
                "better": draw(st.sampled_from(["lower", "higher"])),
            }
            for key in ("baseline", "target", "minimum"):
                optional(draw, indicator, key, NUMBERS)
            optional(draw, indicator, "unit", TEXT)
            if "target" in indicator and draw(st.booleans()):
                indicator["criterion"] = draw(st.sampled_from([c["id"] for c in criteria]))
            indicators.append(indicator)
        condition: dict[str, Any] = {
            "id": condition_id,
            "title": draw(SHORT),
            "criteria": criteria,
        }
        optional(draw, condition, "text", TEXT)
        optional(draw, condition, "weight", st.floats(0.01, 1000))
        optional(draw, condition, "snapback", st.booleans())
        if indicators:
            condition["indicators"] = indicators
        flows = [i["id"] for i in indicators if i["kind"] == "flow"]
        with_offset = draw(st.booleans())
        if flows and with_offset:
            offset = {
                "outflow": draw(st.sampled_from(flows)),
                "inflow": draw(st.sampled_from(flows)),
            }
            optional(draw, offset, "label", SHORT)
            condition["offsets"] = [offset]
        result.append(condition)
    return result


@st.composite
def evidence_entry(
    draw: st.DrawFn, conditions: list[dict[str, Any]], entry_id: str
) -> dict[str, Any]:
    condition = draw(st.sampled_from(conditions))
    logged = draw(LOGGED)
    entry: dict[str, Any] = {"id": entry_id, "condition": condition["id"]}
    if draw(st.booleans()):
        entry["criterion"] = draw(st.sampled_from([c["id"] for c in condition["criteria"]]))
        optional(draw, entry, "status", st.sampled_from(["met", "partial", "not-met"]))
    if condition.get("indicators") and draw(st.booleans()):
        indicator = draw(st.sampled_from(condition["indicators"]))
        entry["indicator"] = indicator["id"]
        low = max(math.ceil(indicator.get("minimum", -(10**15))), -(10**15))
        entry["value"] = draw(st.integers(low, 10**15))
        if draw(st.booleans()):
            entry["value"] = float(entry["value"])
    entry["date"] = draw(st.dates(dt.date(1900, 1, 1), logged_day(logged)))
    entry["source"] = draw(SHORT)
    optional(draw, entry, "url", URLS)
    optional(draw, entry, "reliability", GRADES)
    entry["summary"] = draw(REQUIRED)
    optional(draw, entry, "tags", TAGS)
    entry["logged"] = logged
    return entry


@st.composite
def trackers(draw: st.DrawFn) -> dict[str, Any]:
    """A whole valid tracker document: header, evidence with amendments, retractions."""
    header_conditions = draw(conditions())
    info: dict[str, Any] = {"schema": 1, "title": draw(SHORT)}
    optional(draw, info, "subject", TEXT)
    optional(draw, info, "description", TEXT)
    optional(draw, info, "source", URLS)
    doc: dict[str, Any] = {"tracker": info}
    if draw(st.booleans()):
        doc["scoring"] = {
            "min_reliability": draw(GRADES),
            "stale_after_days": draw(st.integers(1, 36500)),
            "window_days": draw(st.integers(1, 36500)),
        }
    doc["conditions"] = header_conditions
    ids = draw(
        st.lists(ENTRY_IDS, max_size=6, unique_by=str.casefold)
    )  # ids differ by more than case
    evidence: list[dict[str, Any]] = []
    amended: set[str] = set()
    for entry_id in ids:
        entry = draw(evidence_entry(header_conditions, entry_id))
        open_ids = [e["id"] for e in evidence if e["id"] not in amended]
        amends = draw(st.booleans())
        if open_ids and amends:
            entry["supersedes"] = draw(st.sampled_from(open_ids))
            entry["reason"] = draw(REQUIRED)
            amended.add(entry["supersedes"])
            # Keep the key order of the file: supersedes and reason before logged.
            entry["logged"] = entry.pop("logged")
        evidence.append(entry)
    if evidence:
        doc["evidence"] = evidence
    retracted = draw(st.lists(st.sampled_from(ids), unique=True)) if ids else []
    if retracted:
        doc["retractions"] = []
        for entry_id in retracted:
            logged = draw(st.none() | LOGGED)
            # Not dated in the future, nor after the day it was logged.
            latest = TODAY if logged is None else min(TODAY, logged_day(logged))
            withdrawal: dict[str, Any] = {
                "evidence": entry_id,
                "reason": draw(REQUIRED),
                "date": draw(st.dates(dt.date(1900, 1, 1), latest)),
            }
            if logged is not None:
                withdrawal["logged"] = logged
            doc["retractions"].append(withdrawal)
    return doc


def same(model: Any, data: dict[str, Any]) -> None:
    """A model holds exactly ``data``: every field given, equal and of the same type."""
    dumped = model.model_dump(by_alias=True, exclude_unset=True)
    assert dumped == data
    for key, value in data.items():
        assert type(dumped[key]) is type(value), key


def check_loaded(path: Path, doc: dict[str, Any]) -> None:
    tracker = load(path).tracker
    same(tracker.header.tracker, doc["tracker"])
    if "scoring" in doc:
        same(tracker.header.scoring, doc["scoring"])
    pairs: list[tuple[Sequence[Any], list[dict[str, Any]]]] = [
        (tracker.conditions, doc["conditions"]),
        (tracker.evidence, doc.get("evidence", [])),
        (tracker.retractions, doc.get("retractions", [])),
    ]
    for models, data in pairs:
        assert len(models) == len(data)
        for model, item in zip(models, data, strict=True):
            same(model, item)


@PROPERTY
@given(doc=trackers(), bom=st.booleans(), crlf=st.booleans())
def test_any_valid_tracker_reads_back_identical(doc: dict[str, Any], bom: bool, crlf: bool) -> None:
    text = tomli_w.dumps(doc)
    if crlf:
        text = text.replace("\n", "\r\n")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "conditions.toml"
        path.write_bytes((("\ufeff" if bom else "") + text).encode("utf-8"))
        check_loaded(path, doc)
        shown = ok(run(path, "evidence", "--all", "--format", "json"))
    rows = json.loads(shown.stdout)
    by_id = {row["id"]: row for row in rows}
    for entry in doc.get("evidence", []):
        row = by_id[entry["id"]]
        for key in ("summary", "source", "value", "tags", "url", "supersedes", "reason"):
            assert row[key] == entry.get(key, [] if key == "tags" else None), key
        assert type(row["value"]) is type(entry.get("value")), "a figure changed type"
        assert dt.datetime.fromisoformat(row["logged"]) == entry["logged"]


@PROPERTY
@given(doc=trackers())
def test_condtracks_own_writer_round_trips_any_entry(doc: dict[str, Any]) -> None:
    """The header written by tomli_w, every entry appended by condtrack's writer."""
    header = {k: v for k, v in doc.items() if k not in ("evidence", "retractions")}
    entries = [("evidence", e) for e in doc.get("evidence", [])]
    entries += [("retractions", r) for r in doc.get("retractions", [])]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "conditions.toml"
        path.write_text(tomli_w.dumps(header), "utf-8")
        old = path.read_bytes()
        append(path, lambda tracker: entries)
        new = path.read_bytes()
        assert new.startswith(old)
        tail = new[len(old) :].decode("utf-8")
        for char in HIDDEN[:7]:  # hidden characters only ever as escapes
            assert char not in tail, f"raw {char!r} written"
        check_loaded(path, doc)


# --- every write only appends -------------------------------------------------------------

CSV_HEADER = ("condition", "indicator", "value", "date", "source", "summary", "tags")
VARIANTS = {
    "plain": TRACKER,
    "crlf": TRACKER.replace("\n", "\r\n"),
    "bom": "\ufeff" + TRACKER,
    "no-final-newline": TRACKER.rstrip("\n"),
    "final-comment": TRACKER + "# the end, no newline",
}
OPERATIONS = st.lists(
    st.sampled_from(["log", "amend", "retract", "import-csv", "import-json", "bad-log",
                     "bad-amend", "bad-import"]),
    min_size=1,
    max_size=7,
)  # fmt: skip


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(variant=st.sampled_from(sorted(VARIANTS)), operations=OPERATIONS, texts=st.lists(TEXT))
def test_every_write_keeps_every_earlier_byte(
    variant: str, operations: list[str], texts: list[str]
) -> None:
    pieces = iter(texts)

    def text() -> str:
        return "t " + next(pieces, "plain")  # never blank

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = folder / "conditions.toml"
        path.write_bytes(VARIANTS[variant].encode("utf-8"))
        snapshots = [path.read_bytes()]
        ids: list[str] = []
        roots: dict[str, str] = {}  # each id's original: a retraction withdraws the chain
        for number, operation in enumerate(operations):
            day = f"2025-01-{number + 1:02d}"
            refuse = operation.startswith("bad") or (operation in ("amend", "retract") and not ids)
            row = {"condition": "economy", "indicator": "balance", "value": str(-number),
                   "date": day, "source": text(), "summary": text(), "tags": "a;b"}  # fmt: skip
            if operation == "log":
                args: tuple[str, ...] = ("log", "economy", f"--summary={text()}",
                                         f"--source={text()}", "--date", day)  # fmt: skip
            elif operation == "amend" and ids:
                args = ("amend", ids[-1], f"--summary={number} {text()}", f"--reason={text()}")
            elif operation == "retract" and ids:
                args = ("retract", ids[0], f"--reason={text()}", "--date", day)
                ids[:] = [i for i in ids if roots[i] != roots[args[1]]]
            elif operation == "import-csv":
                args = ("import", str(write_csv(folder / f"{number}.csv", [row], CSV_HEADER)))
            elif operation == "import-json":
                row["value"] = -number + 0.5  # type: ignore[assignment]
                args = ("import", str(write_json(folder / f"{number}.json", [row])))
            elif operation == "bad-import":
                bad = {**row, "date": "2025-02-30"}
                args = ("import", str(write_csv(folder / f"{number}.csv", [row, bad], CSV_HEADER)))
            elif operation == "bad-amend":
                args = ("amend", "ev-nope", "--summary", "x", "--reason", "r")
            else:
                args = ("log", "nope", "--summary", "x", "--source", "y")
            result = run(path, *args)
            new = path.read_bytes()
            if refuse:
                assert result.exit_code == 2, result.output
                assert new == snapshots[-1], f"a refused {operation} changed the file"
            else:
                assert result.exit_code == 0, (operation, result.output)
                for new_id in result.stdout.split():
                    roots[new_id] = roots[args[1]] if operation == "amend" else new_id
                    ids.append(new_id)
                assert new.startswith(snapshots[-1]) and len(new) > len(snapshots[-1])
            snapshots.append(new)
        ok(run(path, "validate"))
    for earlier, later in itertools.pairwise(snapshots):
        assert later.startswith(earlier)


# --- export, then import ------------------------------------------------------------------


def spreadsheet_safe(text: str) -> str:
    """Text a CSV export keeps as is: no controls (shown as escapes). A formula start is
    kept: the export guards it with a quote, and the import takes the quote away."""
    while (kept := TERMINAL_UNSAFE.sub("", text).replace("\r", "").lstrip(" \n")) != text:
        text = kept  # again: what is left may begin with a selector that now follows nothing
    return text if text.strip() else "plain"


FORMULA_STARTS = st.sampled_from(["", "=", "+", "-", "@", "'=", "''+", "'", "-1", "'-1"])


@PROPERTY
@given(doc=trackers(), start=FORMULA_STARTS)
@pytest.mark.parametrize("kind", ["json", "csv"])
def test_exported_evidence_imports_back_the_same(
    kind: str, doc: dict[str, Any], start: str
) -> None:
    """JSON keeps any text exactly; CSV keeps any text but controls, formulas included."""
    header = {k: v for k, v in doc.items() if k not in ("evidence", "retractions")}
    # Amendments and retractions are the file's own record; an import takes plain entries.
    plain = [
        {k: v for k, v in e.items() if k not in ("supersedes", "reason")}
        for e in doc.get("evidence", [])
    ]
    for entry in plain:
        if kind == "csv":
            entry["summary"] = start + spreadsheet_safe(entry["summary"])
            entry["source"] = (start + spreadsheet_safe(entry["source"]))[:300]
        # Else they are duplicates; an import, like `log`, trims every text field.
        entry["summary"] = f"{entry['id']}: {entry['summary']}".strip()
        entry["source"] = entry["source"].strip() or "s"
        if "url" in entry:
            entry["url"] += f"#{entry['id']}"
        entry["date"] = min(entry["date"], TODAY)  # an import stamps entries as logged now
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        source = folder / "source.toml"
        source.write_text(tomli_w.dumps({**header, "evidence": plain} if plain else header))
        exported = ok(run(source, "evidence", "--format", kind)).stdout
        export = folder / f"export.{kind}"
        export.write_text(exported, "utf-8", newline="")
        target = folder / "target.toml"
        target.write_text(tomli_w.dumps(header), "utf-8")
        before = ok(run(source, "evidence", "--format", "json")).stdout
        imported = ok(run(target, "import", str(export)))
        assert imported.stdout.split() == [row["id"] for row in json.loads(before)]
        duplicate = run(target, "import", str(export))
        assert duplicate.exit_code == 2 or not plain
        assert len(evidence_of(target)) == len(plain)
        after = ok(run(target, "evidence", "--format", "json")).stdout

    def without_logged(rows: str) -> list[dict[str, Any]]:
        return [{k: v for k, v in row.items() if k != "logged"} for row in json.loads(rows)]

    assert without_logged(after) == without_logged(before)
