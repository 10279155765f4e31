"""Verdicts that must agree everywhere (issue 10, items 7-10), through the real CLI.

- Newer evidence keeps deciding: time alone never raises a criterion (an assessment a
  later flow observation contradicted does not come back when that observation ages out).
- A retraction of any version of an amended entry withdraws the whole chain, for `retract`,
  `amend`, `history`, `evidence`, scoring, `validate` and the merge driver alike.
- The score shown is the score the gate compares, in every output.
- A retraction dated in the future is refused by every load; `evidence` and `status`
  agree on what is retracted (since issue 13: at every date).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from condtrack.cli import app
from tests.conftest import Invoke

Log = Callable[..., str]

LOGGED = "2026-01-01T00:00:00Z"  # after every date the generated trackers use


def run(runner: CliRunner, path: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(app, ["--file", str(path), *args], env=env)


def status_data(runner: CliRunner, path: Path, as_of: str) -> dict[str, Any]:
    result = run(runner, path, "status", "--format", "json", "--as-of", as_of)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def criterion_of(data: dict[str, Any], condition_id: str, criterion_id: str) -> dict[str, Any]:
    condition = next(c for c in data["conditions"] if c["id"] == condition_id)
    found: dict[str, Any] = next(c for c in condition["criteria"] if c["id"] == criterion_id)
    return found


# --- 7. newer evidence keeps deciding; time alone never raises a verdict -------------------


@pytest.fixture
def template(runner: CliRunner, tmp_path: Path) -> Path:
    """A tracker started from the shipped template (the Belarus conditions, no evidence)."""
    path = tmp_path / "conditions.toml"
    result = runner.invoke(app, ["init", str(path)])
    assert result.exit_code == 0, result.output
    return path


def log_to(runner: CliRunner, path: Path, condition: str, *args: str) -> str:
    result = run(
        runner, path, "log", condition, "--source", "Viasna", "--reliability", "B2",
        "--summary", "observed", *args,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_a_contradicted_assessment_does_not_come_back_when_the_flow_ages_out(
    runner: CliRunner, template: Path
) -> None:
    # The issue's own sequence: every criterion of political-prisoners assessed met in
    # June, then 12 forced expulsions observed in July, then nothing new.
    for criterion in ("all-released", "charges-dropped", "no-forced-exile", "medical-priority"):
        log_to(
            runner, template, "political-prisoners",
            "--criterion", criterion, "--status", "met", "--date", "2026-06-01",
        )  # fmt: skip
    log_to(
        runner, template, "political-prisoners",
        "--indicator", "forced-expulsions", "--value", "12", "--date", "2026-07-01",
    )  # fmt: skip
    window = tomllib.loads(template.read_text("utf-8"))["scoring"]["window_days"]
    aged_out = (dt.date(2026, 7, 1) + dt.timedelta(days=window)).isoformat()
    assert aged_out == "2026-09-29"

    def gate(as_of: str) -> Result:
        return run(runner, template, "check", "--require", "political-prisoners", "--as-of", as_of)

    assert gate("2026-06-15").exit_code == 0
    assert gate("2026-08-01").exit_code != 0
    for as_of in (aged_out, "2026-11-01"):
        held = gate(as_of)
        assert held.exit_code == 1, held.output
        assert "political-prisoners: partial (required: met)" in held.stdout
        verdict = criterion_of(status_data(runner, template, as_of), "political-prisoners",
                               "no-forced-exile")  # fmt: skip
        assert verdict["status"] == "unknown"
        assert verdict["decided_by"] is None
    # `explain` states the rule in the criterion's reason.
    explained = run(
        runner, template, "explain", "political-prisoners", "--as-of", aged_out,
        env={"COLUMNS": "300"},
    )  # fmt: skip
    assert explained.exit_code == 0, explained.output
    assert "forced-expulsions not observed in the 90 days to 2026-09-29" in explained.stdout
    assert "the assessment of 2026-06-01 it overruled does not count again" in explained.stdout


def test_a_flow_rises_only_with_a_new_observation(cli: Invoke, log: Log) -> None:
    # SMALL_TRACKER: `expelled` (flow, lower is better, target 0) decides no-exile.
    log("prisoners", indicator="expelled", value=12, date="2025-07-01")
    quiet = log("prisoners", indicator="expelled", value=0, date="2025-08-01")

    def no_exile(as_of: str) -> dict[str, Any]:
        result = cli("status", "--format", "json", "--as-of", as_of)
        assert result.exit_code == 0, result.output
        return criterion_of(json.loads(result.stdout), "prisoners", "no-exile")

    assert no_exile("2025-08-01")["status"] == "not-met"
    # The 12 leave the window on 2025-09-29; the window total is then 0, but nothing new
    # was observed: the verdict stays where the latest observation left it.
    held = no_exile("2025-09-29")
    assert (held["status"], held["decided_by"]) == ("not-met", quiet)
    assert "rises only with a new observation" in held["reason"]
    # It lapses when the latest observation leaves the window in turn ...
    assert no_exile("2025-10-30")["status"] == "unknown"
    # ... and a new observation decides afresh.
    log("prisoners", indicator="expelled", value=0, date="2025-09-29")
    assert no_exile("2025-09-29")["status"] == "met"


TIMELINE = """\
[tracker]
schema = 1
title = "Timeline"

[scoring]
min_reliability = "C3"
stale_after_days = 30
window_days = 10

[[conditions]]
id = "c"
title = "Every kind of criterion"

[[conditions.criteria]]
id = "judged"
text = "Only ever assessed."

[[conditions.criteria]]
id = "stock"
text = "Decided by a stock."

[[conditions.criteria]]
id = "fewer"
text = "Decided by a flow where lower is better."

[[conditions.criteria]]
id = "more"
text = "Decided by a flow where higher is better."

[[conditions.indicators]]
id = "held"
label = "Held"
kind = "stock"
better = "lower"
target = 0
criterion = "stock"

[[conditions.indicators]]
id = "down"
label = "Down"
kind = "flow"
better = "lower"
baseline = 20
target = 0
criterion = "fewer"

[[conditions.indicators]]
id = "up"
label = "Up"
kind = "flow"
better = "higher"
baseline = 0
target = 10
criterion = "more"
"""
CRITERIA = ("judged", "stock", "fewer", "more")
INDICATORS = ("held", "down", "up")
START = dt.date(2025, 1, 1)


@st.composite
def timelines(draw: st.DrawFn) -> tuple[str, list[dt.date]]:
    """A tracker of assessments and observations (negative figures too) over 30 days."""
    blocks, dates = [], []
    for number in range(draw(st.integers(1, 8))):
        day = START + dt.timedelta(days=draw(st.integers(0, 30)))
        grade = draw(st.sampled_from(["B2", "B2", "B2", "D4"]))  # D4 does not count
        if draw(st.booleans()):
            what = (
                f'criterion = "{draw(st.sampled_from(CRITERIA))}"\n'
                f'status = "{draw(st.sampled_from(["met", "partial", "not-met"]))}"\n'
            )
        else:
            what = (
                f'indicator = "{draw(st.sampled_from(INDICATORS))}"\n'
                f"value = {draw(st.integers(-5, 25))}\n"
            )
        blocks.append(
            f'\n[[evidence]]\nid = "e{number}"\ncondition = "c"\n{what}date = {day}\n'
            f'source = "s"\nreliability = "{grade}"\nsummary = "x"\nlogged = {LOGGED}\n'
        )
        dates.append(day)
    return TIMELINE + "".join(blocks), dates


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(timeline=timelines(), first=st.integers(-2, 35), gap=st.integers(1, 40))
def test_time_alone_never_raises_a_criterion(
    timeline: tuple[str, list[dt.date]], first: int, gap: int, tmp_path_factory: Any
) -> None:
    text, dates = timeline
    d1 = START + dt.timedelta(days=first)
    later = [d for d in dates if d > d1]
    d2 = min([d1 + dt.timedelta(days=gap), *(d - dt.timedelta(days=1) for d in later)])
    assume(d2 > d1)  # no evidence is dated in (d1, d2]
    path = tmp_path_factory.mktemp("timeline") / "conditions.toml"
    path.write_text(text, "utf-8")
    runner = CliRunner()
    before, after = (status_data(runner, path, d.isoformat()) for d in (d1, d2))
    for criterion in CRITERIA:
        was, now = (criterion_of(data, "c", criterion) for data in (before, after))
        if was["status"] == "not-met":
            assert now["status"] != "met", (criterion, was, now)
        # Newer evidence is never overruled by older evidence because time passed:
        # a verdict may fall or lapse, never rise.
        assert now["score"] <= was["score"], (criterion, was, now)
    assert after["conditions"][0]["score"] <= before["conditions"][0]["score"]


# --- 9. the score shown is the score the gate compares, in every output --------------------


def overall_scores(runner: CliRunner, path: Path, as_of: str) -> dict[str, str]:
    """The overall score as each output prints it (text, not parsed into a number)."""
    wide = {"COLUMNS": "250"}
    shown: dict[str, str] = {}
    table = run(runner, path, "status", "--as-of", as_of, env=wide)
    assert table.exit_code == 0, table.output
    shown["status table"] = _one(r"Overall: \S+, score ([0-9.]+)/100", table.stdout)
    data = status_data(runner, path, as_of)
    shown["status json"] = repr(data["overall"]["score"])
    for output in ("markdown", "csv", "html"):
        report = run(runner, path, "report", "--format", output, "--as-of", as_of)
        assert report.exit_code == 0, report.output
        shown[f"report {output}"] = _one(r"score ([0-9.]+)/100", report.stdout)
    checked = run(runner, path, "check", "--format", "json", "--as-of", as_of)
    shown["check json"] = repr(json.loads(checked.stdout)["overall"]["score"])
    return shown


def _one(pattern: str, text: str) -> str:
    found: set[str] = set(re.findall(pattern, text))
    assert len(found) == 1, (pattern, text)
    return found.pop()


def test_a_half_point_score_is_shown_as_the_gate_sees_it(cli: Invoke, log: Log) -> None:
    # SMALL_TRACKER: overall = (troops * 1 + prisoners * 3) / 4. Prisoners: held 100 -> 68
    # (progress 0.32) and no expulsions (met): (0.32 + 1) / 2 = 66; overall 3 * 66 / 4.
    log("prisoners", indicator="held", value=100, date="2025-01-01")
    log("prisoners", indicator="held", value=68, date="2025-01-10")
    log("prisoners", indicator="expelled", value=0, date="2025-01-10")
    expected = 3 * 66 / 4
    assert expected == 49.5
    table = cli("status", "--as-of", "2025-02-01", env={"COLUMNS": "250"})
    assert "score 49.5/100" in table.stdout, table.stdout
    assert "50/100" not in table.stdout
    refused = cli("check", "--min-score", "50", "--as-of", "2025-02-01")
    assert refused.exit_code == 1
    assert "overall score 49.5 is below 50" in refused.stdout
    assert cli("check", "--min-score", "49.5", "--as-of", "2025-02-01").exit_code == 0
    # 12.5, not "12": troops half met, prisoners nothing yet.
    log("troops", criterion="bases-closed", status="met", date="2025-01-05")
    early = cli("status", "--as-of", "2025-01-06", env={"COLUMNS": "250"})
    assert f"score {(50 * 1 + 0 * 3) / 4:g}/100" in early.stdout, early.stdout
    assert "score 12/100" not in early.stdout


SCORED = """\
[tracker]
schema = 1
title = "Scores"
"""


@st.composite
def scored_trackers(draw: st.DrawFn) -> str:
    """Two conditions of weighted criteria, each assessed (or not): scores of every shape."""
    weights = st.sampled_from([1, 2, 3, 7])
    parts, evidence = [SCORED], []
    for c in range(2):
        parts.append(f'\n[[conditions]]\nid = "c{c}"\ntitle = "C{c}"\nweight = {draw(weights)}\n')
        for k in range(draw(st.integers(1, 3))):
            parts.append(
                f'\n[[conditions.criteria]]\nid = "k{k}"\ntext = "K"\nweight = {draw(weights)}\n'
            )
            status = draw(st.sampled_from([None, "met", "partial", "not-met"]))
            if status is not None:
                evidence.append(
                    f'\n[[evidence]]\nid = "e{c}{k}"\ncondition = "c{c}"\ncriterion = "k{k}"\n'
                    f'status = "{status}"\ndate = 2025-01-01\nsource = "s"\nreliability = "B2"\n'
                    f'summary = "x"\nlogged = {LOGGED}\n'
                )
    return "".join(parts + evidence)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=scored_trackers(), offset=st.sampled_from([-1, -0.5, -0.01, 0, 0.01, 0.5, 1]))
def test_every_output_shows_the_score_the_gate_compares(
    text: str, offset: float, tmp_path_factory: Any
) -> None:
    path = tmp_path_factory.mktemp("scored") / "conditions.toml"
    path.write_text(text, "utf-8")
    runner = CliRunner()
    shown = overall_scores(runner, path, "2025-02-01")
    numbers = {float(value) for value in shown.values()}
    assert len(numbers) == 1, shown  # every output prints the same number
    (score,) = numbers
    texts = {value.removesuffix(".0") for value in shown.values()}
    assert len(texts) == 1, shown  # and prints it the same way
    minimum = min(max(round(score + offset, 2), 0), 100)
    gate = run(runner, path, "check", "--min-score", repr(minimum), "--as-of", "2025-02-01")
    assert gate.exit_code == (0 if score >= minimum else 1), (shown, minimum, gate.output)
    if score < minimum:
        # The FAIL line and the verdict (which names what failed) both say it.
        shown_in_check = [
            line for line in gate.stdout.splitlines() if "overall score" in line and "below" in line
        ]
        assert [line.split()[0] for line in shown_in_check] == ["FAIL", "gate"]
        expected = f"overall score {texts.pop()} is below"
        assert all(expected in line for line in shown_in_check), shown_in_check


# --- 8. a retraction of any version withdraws the whole chain ------------------------------


def json_of(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def counted_ids(cli: Invoke, as_of: str, file: Path | None = None) -> set[str]:
    """The evidence `explain` counts for `prisoners` as of a date, from status's deciders."""
    data = json_of(cli("status", "--format", "json", "--as-of", as_of, file=file))
    prisoners = next(c for c in data["conditions"] if c["id"] == "prisoners")
    return {c["decided_by"] for c in prisoners["criteria"] if c["decided_by"]}


@pytest.fixture
def amended(cli: Invoke, log: Log) -> tuple[str, str]:
    """The README tour: an entry, then its amendment."""
    original = log("prisoners", indicator="held", value=1150, date="2025-03-02")
    result = cli("amend", original, "--value", "1100", "--reason", "corrected count")
    assert result.exit_code == 0, result.output
    return original, result.stdout.strip()


def test_retracting_the_original_after_an_amendment_withdraws_both(
    cli: Invoke, amended: tuple[str, str], tracker_file: Path
) -> None:
    original, amendment = amended
    assert counted_ids(cli, "2025-04-01") == {amendment}
    result = cli("retract", original, "--reason", "figure was for 2024", "--date", "2025-03-20")
    assert result.exit_code == 0, result.output
    assert f"every version is withdrawn ({original}, {amendment})" in result.stderr
    # Scoring: neither counts, as of any date (issue 13; it counted until the retraction's
    # date before).
    assert counted_ids(cli, "2025-03-19") == set()
    assert counted_ids(cli, "2025-03-20") == set()
    text = cli("explain", "prisoners", "--as-of", "2025-04-01", env={"COLUMNS": "250"}).stdout
    assert f"retracted on 2025-03-20 via {original}, another version" in text
    # history shows the retraction, whichever version is asked for.
    for asked in (original, amendment):
        shown = json_of(cli("history", asked, "--format", "json"))
        assert shown["retracted"] == {
            "date": "2025-03-20",
            "logged": shown["retracted"]["logged"],
            "reason": "figure was for 2024",
            "evidence": original,
        }
        assert shown["retracted"]["logged"] is not None
        table = cli("history", asked, env={"COLUMNS": "250"}).stdout
        assert "retracted 2025-03-20" in table and "withdraws every version" in table
    # evidence marks every version retracted, as status counts them.
    rows = {r["id"]: r for r in json_of(cli("evidence", "--all", "--format", "json"))}
    assert rows[amendment]["retracted"] == {
        "date": "2025-03-20",
        "logged": shown["retracted"]["logged"],
        "reason": "figure was for 2024",
    }
    assert rows[original]["retracted"] == rows[amendment]["retracted"]
    assert cli("validate").exit_code == 0


def test_retracting_the_amendment_withdraws_the_original_too(
    cli: Invoke, amended: tuple[str, str]
) -> None:
    original, amendment = amended
    assert cli("retract", amendment, "--reason", "wrong", "--date", "2025-03-20").exit_code == 0
    assert counted_ids(cli, "2025-04-01") == set()
    assert json_of(cli("history", original, "--format", "json"))["retracted"]["evidence"] == (
        amendment
    )


@pytest.mark.parametrize("which", ["original", "amendment"])
def test_a_withdrawn_chain_cannot_be_amended_or_retracted_again(
    which: str, cli: Invoke, amended: tuple[str, str], tracker_file: Path
) -> None:
    original, amendment = amended
    named = {"original": original, "amendment": amendment}[which]
    assert cli("retract", named, "--reason", "wrong", "--date", "2025-03-20").exit_code == 0
    before = tracker_file.read_bytes()
    for version in (original, amendment):
        for args in (
            ("amend", version, "--value", "1000", "--reason", "again"),
            ("retract", version, "--reason", "again"),
        ):
            result = cli(*args)
            assert result.exit_code == 2, result.output
            assert result.stdout == ""
            (line,) = result.stderr.splitlines()
            assert line.startswith("error: ID: ") and version in line, line
            assert "retracted on 2025-03-20" in line or f"when {named} was retracted" in line
            if args[0] == "amend":
                assert "log a new entry instead" in line
            assert tracker_file.read_bytes() == before


def test_the_merge_of_a_split_history_scores_as_the_history_on_one_branch(
    cli: Invoke, log: Log, tracker_file: Path, tmp_path: Path
) -> None:
    # One branch amends, the other retracts the original: the merge is what one analyst
    # doing both would have, and every command reads it the same way.
    original = log("prisoners", indicator="held", value=1150, date="2025-03-02")
    base = tmp_path / "base.toml"
    ours, theirs, single = (tmp_path / f"{name}.toml" for name in ("ours", "theirs", "single"))
    for copy in (base, ours, theirs):
        copy.write_bytes(tracker_file.read_bytes())
    amend = ("amend", original, "--value", "1100", "--reason", "corrected")
    retract = ("retract", original, "--reason", "wrong year", "--date", "2025-03-20")
    assert cli(*amend, file=ours).exit_code == 0
    assert cli(*retract, file=theirs).exit_code == 0
    merged = cli("merge", str(base), str(ours), str(theirs), "conditions.toml")
    assert merged.exit_code == 0, merged.output
    assert "<<<<<<<" not in ours.read_text("utf-8")
    [amendment] = [i for i in (e["id"] for e in tomllib.loads(ours.read_text())["evidence"])
                   if i != original]  # fmt: skip
    single.write_bytes(tracker_file.read_bytes())
    assert cli(*amend, file=single).exit_code == 0
    assert cli(*retract, file=single).exit_code == 0
    for path in (ours, single):
        assert cli("validate", file=path).exit_code == 0
        # Issue 13: withdrawn at every date (it counted until 2025-03-20 before).
        assert counted_ids(cli, "2025-03-19", file=path) == set()
        assert counted_ids(cli, "2025-03-20", file=path) == set()
        rows = json_of(cli("evidence", "--all", "--format", "json", file=path))
        assert all(r["retracted"] is not None for r in rows)
        versions = [v["id"] for v in json_of(cli("history", original, "--format", "json",
                                                 file=path))["versions"]]  # fmt: skip
        assert versions[0] == original and len(versions) == 2
    assert amendment in ids_in(ours)


def ids_in(path: Path) -> list[str]:
    return [e["id"] for e in tomllib.loads(path.read_text("utf-8"))["evidence"]]


def test_completion_offers_no_version_of_a_withdrawn_chain(
    runner: CliRunner, cli: Invoke, log: Log, amended: tuple[str, str], tracker_file: Path
) -> None:
    from tests.test_terminal import shell_env

    original, amendment = amended
    kept = log("troops", date="2025-03-03")
    assert cli("retract", original, "--reason", "wrong").exit_code == 0

    def offered(line: str) -> set[str]:
        env = shell_env("bash", line, CONDTRACK_FILE=str(tracker_file))
        result = runner.invoke(app, [], env=env, prog_name="condtrack")
        assert result.exit_code == 0, result.output
        return set(result.stdout.split())

    assert offered("condtrack amend ") == {kept}
    assert offered("condtrack retract ") == {kept}
    assert offered("condtrack history ") == {original, amendment, kept}


# --- 10. a retraction dated in the future is refused by every load -------------------------


def add_retraction(path: Path, evidence_id: str, date: str, logged: str | None) -> None:
    """A hand-written (or merged) retraction appended to the file."""
    stamp = f"logged = {logged}\n" if logged else ""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(
            f'\n[[retractions]]\nevidence = "{evidence_id}"\nreason = "r"\ndate = {date}\n{stamp}'
        )


def retraction_line(path: Path) -> int:
    lines = path.read_text("utf-8").splitlines()
    return lines.index("[[retractions]]") + 1


def future(days: int) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("date", "logged", "complaint"),
    [
        (future(30), None, "in the future"),
        (future(3), dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "in the future"),
        ("2099-01-01", "2099-01-01T00:00:00Z", "in the future"),
        ("2025-06-01", "2025-03-01T09:00:00Z", "dated 2025-06-01 but logged on 2025-03-01"),
    ],
    # Fixed ids: ids made from today's date differ between pytest-xdist's workers.
    ids=["future", "future-logged-now", "far-future", "after-it-was-logged"],
)
def test_a_retraction_dated_after_it_was_made_is_refused_everywhere(
    date: str, logged: str | None, complaint: str, cli: Invoke, log: Log, tracker_file: Path
) -> None:
    entry = log("troops", criterion="bases-closed", status="met", date="2025-01-10")
    add_retraction(tracker_file, entry, date, logged)
    line = retraction_line(tracker_file)
    place = f"retractions #1 (line {line}), field 'date'"
    validated = cli("validate")
    assert validated.exit_code == 2
    assert place in validated.stderr and complaint in validated.stderr, validated.stderr
    for command in (("status",), ("evidence",), ("check",), ("history", entry)):
        loaded = cli(*command)
        assert loaded.exit_code == 2, (command, loaded.output)
        assert loaded.stderr.count("\n") == 1 and place in loaded.stderr, loaded.stderr
    before = tracker_file.read_bytes()
    assert cli("log", "troops", "-s", "x", "--source", "s").exit_code == 2
    assert tracker_file.read_bytes() == before


def test_a_merge_that_brings_a_future_retraction_is_refused(
    cli: Invoke, log: Log, tracker_file: Path, tmp_path: Path
) -> None:
    entry = log("troops", criterion="bases-closed", status="met", date="2025-01-10")
    base, ours, theirs = (tmp_path / f"{name}.toml" for name in ("base", "ours", "theirs"))
    for copy in (base, ours, theirs):
        copy.write_bytes(tracker_file.read_bytes())
    add_retraction(theirs, entry, future(30), None)
    merged = cli("merge", str(base), str(ours), str(theirs), "conditions.toml")
    assert merged.exit_code == 1
    assert "the merged file would not validate" in merged.stderr
    assert "field 'date'" in merged.stderr and "in the future" in merged.stderr


def test_evidence_and_status_agree_on_what_is_retracted_today(log: Log, tracker_file: Path) -> None:
    """In real processes, far west (UTC-12), where another analyst's today is tomorrow here.

    A retraction dated tomorrow here is valid (somewhere it is already that day), and
    `evidence` and `status` both apply it (issue 13: a retraction applies at every date;
    before, neither applied it before its date).
    """
    import subprocess

    from tests.reliability.helpers import child_env, condtrack_argv

    west = dt.timezone(dt.timedelta(hours=-12))
    today = dt.datetime.now(west).date()
    kept = log("prisoners", indicator="held", value=10, date="2025-01-10")
    gone = log("prisoners", criterion="no-exile", status="met", date="2025-01-10")
    later = log("prisoners", criterion="no-exile", status="partial", date="2025-01-11")
    add_retraction(tracker_file, gone, today.isoformat(), None)
    add_retraction(tracker_file, later, (today + dt.timedelta(days=1)).isoformat(), None)

    def run_west(*args: str) -> Any:
        done = subprocess.run(
            condtrack_argv(tracker_file, *args), env=child_env(TZ="XST+12"),
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert dt.datetime.now(west).date() == today  # no midnight passed here meanwhile
    rows = {r["id"]: r for r in run_west("evidence", "--format", "json")}
    marked = {entry for entry, row in rows.items() if row["retracted"] is not None}
    status = run_west("status", "--format", "json")
    assert status["as_of"] == today.isoformat()
    prisoners = next(c for c in status["conditions"] if c["id"] == "prisoners")
    counted = {c["decided_by"] for c in prisoners["criteria"] if c["decided_by"]}
    # Issue 13: a retraction applies at every date, its own date or not.
    assert marked == {gone, later}
    assert counted == {kept}


@given(links=st.lists(st.integers(-1, 30), max_size=30))
def test_chain_roots_follow_every_amendment_to_its_original(links: list[int]) -> None:
    from condtrack.domain.chains import chain_roots

    # Entry i amends entry links[i] when that is an earlier entry, as validation requires.
    older = {f"e{i}": f"e{j}" if 0 <= j < i else None for i, j in enumerate(links)}
    roots = chain_roots(older.items())

    def original(entry: str) -> str:
        while (earlier := older[entry]) is not None:
            entry = earlier
        return entry

    assert roots == {entry: original(entry) for entry in older}
