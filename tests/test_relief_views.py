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
from tests.reliability.helpers import ESCAPES, TERMINAL_UNSAFE, ok, run, toml_string

WIDTHS = ("40", "60", "80", "120", "200")


def relief_block(entry_id: str, measure: str, date: str, logged: str, **fields: Any) -> str:
    """One hand-written [[relief]] table; ``fields`` are TOML values as Python (str, list)."""
    values: dict[str, Any] = {
        "id": entry_id, "sender": "US", "measure": measure, "action": "eased",
        "date": date, "source": "OFAC", "summary": "licence", "reliability": "A1", **fields,
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


# --- diff: relief between the two points ------------------------------------------------


def span_tracker(path: Path) -> Path:
    """Relief known before 2025-06-01 and learned after it, in every way diff must see."""
    return write(
        path,
        relief_block("rl-belavia01", "Belavia", "2025-03-01", "2025-03-02"),
        # Expires inside the span: in effect on 2025-06-01, expired by 2025-10-01.
        relief_block("rl-potash001", "potash", "2025-05-01", "2025-05-02", expires="2025-08-31"),
        relief_block("rl-banks0001", "banks", "2025-07-01", "2025-07-02", instrument="GL 14"),
        relief_block("rl-steel0001", "steel", "2025-04-01", "2025-04-02"),
        retraction_block("rl-steel0001", "2025-08-01"),  # a late retraction
        relief_block("rl-belavia02", "Belavia", "2025-03-05", "2025-07-10", action="lifted",
                     supersedes="rl-belavia01", reason="it was a delisting"),  # an amendment
        relief_block("rl-grain0001", "grain", "2025-02-01", "2025-07-15"),  # backdated
    )  # fmt: skip


def diffed(path: Path, *args: str) -> tuple[str, dict[str, Any], str]:
    span = ("--since", "2025-06-01", *args)
    text = ok(run(path, "diff", *span, env={"COLUMNS": "200"})).stdout
    data = as_json(path, "diff", *span)
    schema_checked("diff", data)
    markdown = ok(run(path, "diff", *span, "--format", "markdown")).stdout
    return text, data, markdown


def states(data: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {m["measure"]: (m["before"]["state"], m["after"]["state"])
            for m in data["relief"]["measures"]}  # fmt: skip


def test_diff_lists_relief_learned_since_with_both_dates_and_state_changes(
    tmp_path: Path,
) -> None:
    path = span_tracker(tmp_path / "conditions.toml")
    text, data, markdown = diffed(path, "--until", "2025-10-01")
    relief = data["relief"]
    assert [e["id"] for e in relief["entries"]] == ["rl-banks0001", "rl-belavia02", "rl-grain0001"]
    assert [r["relief"] for r in relief["retracted"]] == ["rl-steel0001"]
    assert relief["marks"] == [
        "rl-belavia02 amends rl-belavia01: logged 2025-07-10, dated 2025-03-05",
        "rl-grain0001 new: logged 2025-07-15, dated 2025-02-01",
        "rl-steel0001 retracted: logged 2025-08-01, dated 2025-04-01",
    ]
    assert states(data) == {
        "potash": ("in-effect", "expired"),  # its expiry fell inside the span
        "banks": ("in-force", "in-effect"),
        "steel": ("in-effect", "in-force"),  # retracted late
        "grain": ("in-force", "in-effect"),  # backdated, learned since
    }  # Belavia: amended, in effect before and after: no state change
    potash = next(m for m in relief["measures"] if m["measure"] == "potash")
    assert potash["after"]["since"] == "2025-09-01" and potash["before"]["since"] == "2025-05-01"
    for phrase in ("in effect since 2025-05-01 → expired since 2025-09-01",
                   "in force → in effect since 2025-07-01",
                   "amends rl-belavia01: logged 2025-07-10, dated 2025-03-05",
                   "retracted: logged 2025-08-01, dated 2025-04-01", "GL 14"):  # fmt: skip
        assert phrase in " ".join(text.split()), phrase
        assert phrase in markdown, phrase
    assert "| `rl-grain0001` |" in markdown and "| US | potash | in-effect |" not in markdown


def test_diff_relief_obeys_known_at_and_by_event(tmp_path: Path) -> None:
    path = span_tracker(tmp_path / "conditions.toml")
    # Known at 2025-07-12: the backdated entry and the retraction were not yet logged.
    _, known, _ = diffed(path, "--known-at", "2025-07-12")
    assert [e["id"] for e in known["relief"]["entries"]] == ["rl-banks0001", "rl-belavia02"]
    assert known["relief"]["retracted"] == []
    assert states(known) == {"banks": ("in-force", "in-effect")}
    # By event: entries dated in the span, with everything known now.
    text, event, _ = diffed(path, "--until", "2025-10-01", "--by", "event")
    assert [e["id"] for e in event["relief"]["entries"]] == ["rl-banks0001"]
    assert [r["relief"] for r in event["relief"]["retracted"]] == ["rl-steel0001"]
    assert event["relief"]["marks"] == []
    assert states(event) == {"potash": ("in-effect", "expired"), "banks": ("in-force", "in-effect")}
    assert "Relief entries dated from 2025-06-02 to 2025-10-01" in text


def test_diff_without_relief_is_as_before(tmp_path: Path) -> None:
    plain = tmp_path / "plain.toml"
    plain.write_text(SMALL_TRACKER, encoding="utf-8")
    text, data, markdown = diffed(plain)
    assert "relief" not in data and "Relief" not in text and "Relief" not in markdown
    path = write(tmp_path / "conditions.toml",
                 relief_block("rl-old000001", "Belavia", "2025-01-01", "2025-01-01"))  # fmt: skip
    text, data, markdown = diffed(path)
    assert data["relief"] == {"entries": [], "retracted": [], "marks": [], "measures": []}
    assert "Relief: no entries logged since 2025-06-01, and no measure changed state" in text


# --- hostile text through every view at every width -------------------------------------

LONG = "x" * 290
HOSTILE = "[red]x[/] [bold]b[/bold] \x1b[31mred\x1b[0m \x07 \u202eevil " + "Belinvest" * 3


def test_hostile_text_is_shown_never_interpreted_at_any_width(tmp_path: Path) -> None:
    path = write(
        tmp_path / "conditions.toml",
        relief_block("rl-hostile01", HOSTILE, "2025-07-01", "2025-07-02", instrument=LONG,
                     summary=HOSTILE, source=HOSTILE[:60], **{"for": ["prisoners"]}),
        relief_block("rl-hostile02", LONG, "2025-07-03", "2025-07-03", sender="X.Y-Z",
                     instrument=HOSTILE),
    )  # fmt: skip
    commands = (
        ("status", "--as-of", "2025-10-01"),
        ("explain", "prisoners", "--as-of", "2025-10-01"),
        ("diff", "--since", "2025-06-01", "--until", "2025-10-01"),
    )
    for columns in ("40", "80", "200"):
        for command in commands:
            for color in (False, True):
                result = run(path, *command, env={"COLUMNS": columns}, color=color)
                ok(result)
                shown = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout) if color else result.stdout
                assert not ESCAPES.search(shown), (command, columns)
                assert not TERMINAL_UNSAFE.search(shown), (command, columns)
                assert "[red]x[/]" in shown and "[bold]b[/bold]" in shown, (command, columns)
                assert LONG in shown, (command, columns)  # never cut, whatever the width
    markdown = ok(run(path, "diff", "--since", "2025-06-01", "--format", "markdown")).stdout
    assert "\x1b" not in markdown
    for line in markdown.splitlines():
        if line.startswith("| `rl-hostile"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 9, line


# --- the class: every table keeps words whole where the terminal has room ---------------


@pytest.mark.parametrize("columns", ["85", "90"])
def test_tables_break_no_word_where_the_terminal_has_room(tmp_path: Path, columns: str) -> None:
    """At these widths the evidence table used to fold "Belinvestbank-affiliated" (90) and
    "machine-translated" (85) although giving them the room, or wrapping a header at its
    space, left every other column whole."""
    path = tmp_path / "conditions.toml"
    summary = (
        "A machine-translated repost of the Belinvestbank-affiliated monitor's count: "
        "1,131 political prisoners held."
    )
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    ok(run(path, "log", "prisoners", "--criterion", "released", "--status", "partial",
           "--date", "2025-01-10", "--source", "Viasna", "-r", "B2",
           "--summary", summary))  # fmt: skip
    text = ok(run(path, "evidence", env={"COLUMNS": columns})).stdout
    tokens = set(text.split())
    assert {"machine-translated", "Belinvestbank-affiliated"} <= tokens, text
    assert max(len(line.rstrip()) for line in text.splitlines()) <= int(columns)
