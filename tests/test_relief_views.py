"""Relief where people read it (issue 12): the status Relief table at any width, the relief
tied to a condition in `explain`, and relief between two dates in `diff`.

Everything runs through the real CLI. Trackers are written by hand where a test needs
``logged`` times of its choosing (what `diff` learned since a date depends on them).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from condtrack.render.output_schemas import output_schema
from tests.conftest import REPO, SMALL_TRACKER
from tests.reliability.helpers import ok, run, toml_string

WIDTHS = ("40", "60", "80", "120", "200")


def relief_block(entry_id: str, measure: str, date: str, logged: str, **fields: Any) -> str:
    """One hand-written [[relief]] table; ``fields`` are TOML values as Python (str, list)."""
    values: dict[str, Any] = {
        "id": entry_id, "sender": "US", "measure": measure, "action": "eased",
        "date": date, "source": "OFAC", "summary": "licence", **fields,
    }  # fmt: skip
    lines = ["", "[[relief]]"]
    for key, value in values.items():
        if key in ("date", "expires"):
            lines.append(f"{key} = {value}")
        elif isinstance(value, list):
            lines.append(f"{key} = [{', '.join(toml_string(v) for v in value)}]")
        else:
            lines.append(f"{key} = {toml_string(value)}")
    lines.append(f"logged = {logged}T09:00:00Z")
    return "\n".join(lines) + "\n"


def evidence_block(entry_id: str, condition: str, criterion: str, status: str, date: str) -> str:
    return (
        f'\n[[evidence]]\nid = "{entry_id}"\ncondition = "{condition}"\n'
        f'criterion = "{criterion}"\nstatus = "{status}"\ndate = {date}\nsource = "Monitor"\n'
        f'reliability = "A1"\nsummary = "{criterion} {status}"\nlogged = {date}T10:00:00Z\n'
    )


def retraction_block(entry_id: str, date: str) -> str:
    return (
        f'\n[[retractions]]\nevidence = "{entry_id}"\nreason = "the licence was never issued"\n'
        f"date = {date}\nlogged = {date}T12:00:00Z\n"
    )


def write(path: Path, *blocks: str, policy: str | None = None) -> Path:
    text = SMALL_TRACKER.replace("schema = 1", "schema = 2", 1)
    if policy is not None:
        text = text.replace(
            "window_days = 90\n", f'window_days = 90\nrelief_requires = "{policy}"\n'
        )
    path.write_text(text + "".join(blocks), encoding="utf-8")
    ok(run(path, "validate"))
    return path


def as_json(path: Path, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok(run(path, *args, "--format", "json")).stdout)
    return data


def schema_checked(name: str, data: Any) -> None:
    """The output holds to its published schema, the code's and the file's alike."""
    jsonschema.validate(data, output_schema(name))
    published = json.loads((REPO / "condtrack" / "schemas" / f"{name}.schema.json").read_text())
    jsonschema.validate(data, published)


# --- status: the Relief table reads well at any width ----------------------------------


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    path = tmp_path / "conditions.toml"
    shutil.copyfile(REPO / "conditions.toml", path)
    return path


@pytest.mark.parametrize("columns", WIDTHS)
def test_status_relief_table_breaks_no_word_and_says_the_verdict_once(
    shipped: Path, columns: str
) -> None:
    data = as_json(shipped, "status")
    text = ok(run(shipped, "status", env={"COLUMNS": columns})).stdout
    tokens = set(text.split())
    for measure in data["relief"]:
        # Wrapped at spaces only, never cut: every word of every measure and instrument is
        # there whole (at 80 columns "Belinvestbank" used to come out as "Belinvestba" "nk").
        for word in f"{measure['measure']} {measure['instrument'] or ''}".split():
            assert word in tokens, (columns, word)
    relief = text[text.index("\nRelief\n") :]
    ahead = [m for m in data["relief"] if m["ahead"]]
    assert ahead, "the shipped record has relief ahead of compliance"
    # Per row only its score on the day it took effect; the verdict is said once.
    scores = re.findall(r"\bahead: (\d+)/100\b", relief)
    assert scores == [f"{m['compliance_at_grant']['score']:g}" for m in ahead]
    assert "ahead of compliance: overall" not in text
    flowing = " ".join(relief.split())  # as read, whatever the line breaks
    assert flowing.count('"ahead: N/100" = took effect before every condition was met') == 1
    assert f"relief ahead of compliance: {len(ahead)} measures in effect" in flowing
    for measure in ahead:
        assert measure["since"] in relief
    for line in text.splitlines():
        assert len(line.rstrip()) <= int(columns), (columns, line)
    # A table where it fits, a block per measure where it does not.
    assert (" Sender  Measure " in relief) == (int(columns) >= 80), columns


def test_status_relief_rows_say_state_since_and_in_step_or_snapback(tmp_path: Path) -> None:
    path = write(
        tmp_path / "conditions.toml",
        *(evidence_block(f"ev-m{n}", c, k, "met", "2025-01-01")
          for n, (c, k) in enumerate([("troops", "bases-closed"), ("troops", "troops-gone"),
                                      ("prisoners", "released"), ("prisoners", "no-exile")])),
        relief_block("rl-instep001", "Belavia", "2025-02-01", "2025-02-01", instrument="GL 11"),
        evidence_block("ev-back", "troops", "troops-gone", "not-met", "2025-03-01"),
        relief_block("rl-reimp0001", "potash", "2025-02-02", "2025-02-02"),
        relief_block("rl-reimp0002", "potash", "2025-02-10", "2025-02-10", action="reimposed"),
    )  # fmt: skip
    text = ok(run(path, "status", "--as-of", "2025-04-01", env={"COLUMNS": "100"})).stdout
    belavia = text[text.index(" US      Belavia") :]
    assert re.match(r" US +Belavia +GL 11 +in effect +2025-02-01 +in step", belavia), belavia
    assert "SNAPBACK DUE" in belavia.split("\n")[1]  # troops fell back: due to snap back
    assert re.search(r" US +potash +— +reimposed +2025-02-10 *\n", text), text
    data = as_json(path, "status", "--as-of", "2025-04-01")
    assert [(m["measure"], m["state"], m["snapback_due"]) for m in data["relief"]] == [
        ("Belavia", "in-effect", True),
        ("potash", "reimposed", False),
    ]


# --- explain: the relief tied to the condition ------------------------------------------


def tied_tracker(path: Path, policy: str | None = None) -> Path:
    """Prisoners met from 2025-01-01, troops never: Belavia is granted for prisoners,
    potash for no named condition (so for every one), banks for troops only."""
    return write(
        path,
        evidence_block("ev-rel", "prisoners", "released", "met", "2025-01-01"),
        evidence_block("ev-exi", "prisoners", "no-exile", "met", "2025-01-01"),
        relief_block("rl-belavia01", "Belavia", "2025-09-11", "2025-09-11",
                     instrument="GL 11", **{"for": ["prisoners"]}),
        relief_block("rl-potash001", "potash", "2025-09-12", "2025-09-12"),
        relief_block("rl-banks0001", "banks", "2025-09-13", "2025-09-13", sender="EU",
                     **{"for": ["troops"]}),
        policy=policy,
    )  # fmt: skip


def explained(path: Path, condition: str) -> tuple[str, dict[str, Any]]:
    text = ok(run(path, "explain", condition, "--as-of", "2025-10-01",
                  env={"COLUMNS": "120"})).stdout  # fmt: skip
    data = as_json(path, "explain", condition, "--as-of", "2025-10-01")
    schema_checked("explain", data)
    return text, data


def test_explain_lists_relief_tied_to_the_condition_or_to_none_named(tmp_path: Path) -> None:
    path = tied_tracker(tmp_path / "conditions.toml")
    text, data = explained(path, "prisoners")
    part = text[text.index("Relief tied to this condition") :]
    assert "Belavia" in part and "potash" in part and "banks" not in part
    flowing = " ".join(part.split())
    assert (
        'Sequencing (relief_requires = "all"): "ahead: N/100" = took effect before every' in flowing
    )
    assert "1 more measure, granted for other conditions only, waits on this one too" in flowing
    assert [(m["measure"], m["for"], m["ahead"]) for m in data["relief"]] == [
        ("Belavia", ["prisoners"], True),  # troops unmet: every condition is required
        ("potash", [], True),
    ]
    assert data["relief_requires"] == "all" and data["relief_not_tied"] == 1
    assert data["relief"][0]["since"] == "2025-09-11" and data["relief"][0]["state"] == "in-effect"
    _, troops = explained(path, "troops")
    assert [m["measure"] for m in troops["relief"]] == ["potash", "banks"]


def test_explain_under_the_linked_policy_says_which_policy_decides(tmp_path: Path) -> None:
    path = tied_tracker(tmp_path / "conditions.toml", policy="linked")
    text, data = explained(path, "prisoners")
    part = text[text.index("Relief tied to this condition") :]
    flowing = " ".join(part.split())
    assert (
        'Sequencing (relief_requires = "linked"): "ahead: N/100" = took effect before the'
        in flowing
    )
    assert "1 more measure, granted for other conditions only, does not wait" in flowing
    # Belavia waits on prisoners only, which were met: in step. Potash names none: all.
    assert [(m["measure"], m["ahead"]) for m in data["relief"]] == [
        ("Belavia", False),
        ("potash", True),
    ]
    assert re.search(r"Belavia +GL 11 +in effect +2025-09-11 +in step", part), part
    score = f"{data['relief'][1]['compliance_at_grant']['score']:g}"
    assert re.search(rf"potash +— +in effect +2025-09-12 +ahead: {score}/100", part), part
    assert data["relief_requires"] == "linked"


def test_explain_names_a_measure_due_to_snap_back(tmp_path: Path) -> None:
    path = write(
        tmp_path / "conditions.toml",
        evidence_block("ev-b", "troops", "bases-closed", "met", "2025-01-01"),
        evidence_block("ev-t", "troops", "troops-gone", "met", "2025-01-01"),
        relief_block("rl-banks0001", "banks", "2025-02-01", "2025-02-01", **{"for": ["troops"]}),
        relief_block("rl-belavia01", "Belavia", "2025-02-01", "2025-02-01",
                     **{"for": ["prisoners"]}),
        evidence_block("ev-x", "troops", "troops-gone", "not-met", "2025-06-01"),
    )  # fmt: skip
    text, data = explained(path, "troops")
    assert [(m["measure"], m["snapback_due"], m["breached"]) for m in data["relief"]] == [
        ("banks", True, ["troops"])
    ]
    part = text[text.index("Relief tied to this condition") :]
    assert "SNAPBACK DUE" in part and "Belavia" not in part


def test_explain_with_no_relief_tied_says_so_and_without_relief_says_nothing(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path / "conditions.toml",
        relief_block("rl-banks0001", "banks", "2025-02-01", "2025-02-01", **{"for": ["troops"]}),
    )
    text, data = explained(path, "prisoners")
    assert "Relief tied to this condition: none" in text and data["relief"] == []
    flowing = " ".join(text.split())
    assert 'Sequencing is decided by relief_requires = "all"' in flowing
    assert "1 more measure, granted for other conditions only, waits on this one too" in flowing
    plain = tmp_path / "plain.toml"
    plain.write_text(SMALL_TRACKER, encoding="utf-8")
    text = ok(run(plain, "explain", "prisoners")).stdout
    data = as_json(plain, "explain", "prisoners")
    assert "Relief" not in text and "relief" not in data  # as before relief existed
    schema_checked("explain", data)
