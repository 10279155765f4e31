"""`check` answered from a snapshot reads plain objects, not pydantic models (issue 15).

A warm ``check`` (its file's bytes checked and snapshotted before) builds the classes of
``condtrack.schema.plain`` from the snapshot and scores them with the same domain code
that scores the models (``condtrack.schema.shapes``), so it never imports pydantic's model
machinery nor condtrack's models. Held here against the models' path (the file read and
validated, the cache off): the same objects field by field, the same output byte for
byte in every format and with every exit code, on generated trackers, after hand edits and
with damaged or forged snapshots; and, in real processes, the modules it imports.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from bench.generate import generate, header
from condtrack.domain.knowledge import end_of, known_at
from condtrack.schema import models, plain
from condtrack.storage import remembered, snapshot, store
from tests.fast_path_helpers import PROPERTY, watching
from tests.reliability.helpers import run
from tests.test_check_startup import SHIPPED, modules_after
from tests.test_ci import HISTORY, SCENARIOS, tracker
from tests.test_snapshot import DAMAGE, POISON, reseal, snapshots

CLASSES = ("TrackerInfo", "Scoring", "Gate", "Criterion", "Indicator", "Offset", "Condition",
           "Evidence", "Relief", "Retraction", "Header", "Tracker")  # fmt: skip
CONDITIONS = [c["id"] for c in tomllib.loads(header())["conditions"]]
FORMATS = ("text", "json", "junit", "github")
OFF = {remembered.ENV_CACHE: ""}  # records and snapshots off: read and validated each time


@pytest.fixture(autouse=True)
def small_files_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Snapshots for files of any size here (normally above 64 KiB only), and no GitHub
    job around (--format github would append to its summary)."""
    monkeypatch.setattr(remembered, "SMALL_BYTES", 0)
    for name in ("GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE", "CONDTRACK_FILE"):
        monkeypatch.delenv(name, raising=False)


def tree(value: Any) -> Any:
    """A value as comparable data: each object's class name and fields (models and plain
    objects alike), every leaf with its type (1 is not 1.0) and, for a time, its offset."""
    if isinstance(value, BaseModel | plain.Plain):
        names = value.FIELDS if isinstance(value, plain.Plain) else type(value).model_fields
        return type(value).__name__, {name: tree(getattr(value, name)) for name in names}
    if isinstance(value, list | tuple):
        return [tree(item) for item in value]
    if isinstance(value, dt.datetime):
        return "datetime", value.isoformat()
    return type(value).__name__, value


# --- the classes ----------------------------------------------------------------------------


def test_each_plain_class_has_its_models_fields_in_order() -> None:
    """The snapshot's rows hold the models' fields in the models' order; the plain classes
    read them in theirs."""
    for name in CLASSES:
        assert tuple(getattr(models, name).model_fields) == getattr(plain, name).FIELDS, name


def test_plain_objects_are_frozen_and_compared_by_value() -> None:
    first = plain.Criterion.from_values(["a", "text", 1.0])
    same = plain.Criterion.from_values(["a", "text", 1.0])
    assert first == same and hash(first) == hash(same) and first is not same
    assert first != plain.Offset.from_values(["a", "text", 1.0])  # another class
    with pytest.raises(AttributeError):
        first.id = "b"
    with pytest.raises(ValueError, match="not the fields"):
        plain.Criterion.from_values(["a", "text"])


def read_both(path: Path) -> tuple[Any, models.Tracker]:
    """(the plain objects of the snapshot of ``path``'s bytes, the models read in full)."""
    data = path.read_bytes()
    checked = store.read_tracker(data, path)  # and a snapshot written
    found = snapshot.recall(data, plain=True)
    assert isinstance(found, plain.Tracker)
    return found, checked


@given(
    n=st.integers(min_value=8, max_value=60),
    seed=st.integers(min_value=0, max_value=2**16),
    relief=st.sampled_from([0, 5]),
    cut=st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)),
)
@PROPERTY
def test_the_plain_objects_hold_what_the_models_hold(
    n: int, seed: int, relief: int, cut: dt.date, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("generated") / "conditions.toml"
    path.write_text(generate(n, seed, relief), encoding="utf-8")
    found, checked = read_both(path)
    assert tree(found) == tree(checked)
    models_again = snapshot.recall(path.read_bytes())  # the snapshot's models
    assert models_again is not None and tree(found.header) == tree(models_again.header)
    # What the domain calls on them answers alike, and a cut stays the kind it was.
    for condition in checked.conditions:
        mine = found.condition(condition.id)
        assert tree(mine) == tree(condition)
        for part in condition.criteria:
            assert tree(mine.criterion(part.id)) == tree(part)
        for indicator in condition.indicators:
            assert tree(mine.indicator(indicator.id)) == tree(indicator)
    assert [r.easing for r in found.relief] == [r.easing for r in checked.relief]
    plain_cut, model_cut = known_at(found, end_of(cut)), known_at(checked, end_of(cut))
    assert isinstance(plain_cut, plain.Tracker) and isinstance(model_cut, models.Tracker)
    assert tree(plain_cut) == tree(model_cut)


# --- the same output ------------------------------------------------------------------------


def outcome(path: Path, args: tuple[str, ...], env: dict[str, str] | None = None) -> Any:
    result = run(path, "check", *args, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


def from_plain_objects(path: Path, args: tuple[str, ...]) -> Any:
    """``check``'s answer from the snapshot's plain objects (shown to be so)."""
    outcome(path, ("--format", "json"))  # the bytes checked, and a snapshot written
    with watching(snapshot, "recall") as recalled:
        answer = outcome(path, args)
    assert recalled and all(isinstance(found, plain.Tracker) for found in recalled)
    return answer


def check_options() -> st.SearchStrategy[tuple[str, ...]]:
    def given_or_not(flag: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
        return st.none().map(lambda _: []) | values.map(lambda value: [flag, value])

    days = st.dates(dt.date(2024, 6, 1), dt.date(2026, 12, 31)).map(dt.date.isoformat)
    parts = st.tuples(
        given_or_not("--format", st.sampled_from(FORMATS)),
        given_or_not("--as-of", days),
        given_or_not("--known-at", days),
        given_or_not("--require", st.sampled_from([*CONDITIONS, "all", "nosuch"])),
        given_or_not("--require", st.sampled_from(CONDITIONS)),
        given_or_not("--min-score", st.sampled_from(["0", "12.5", "50", "100"])),
        given_or_not("--max-age", st.sampled_from(["0", "30", "400"])),
        st.sampled_from([[], ["--no-gate"]]),
        st.sampled_from([[], ["--require-sequencing"], ["--no-require-sequencing"]]),
    )
    return parts.map(lambda lists: tuple(part for group in lists for part in group))


@given(
    n=st.integers(min_value=8, max_value=60),
    seed=st.integers(min_value=0, max_value=2**16),
    relief=st.sampled_from([0, 5]),
    args=check_options(),
)
@PROPERTY
def test_check_from_plain_objects_says_what_the_models_say(
    n: int, seed: int, relief: int, args: tuple[str, ...], tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("generated") / "conditions.toml"
    path.write_text(generate(n, seed, relief), encoding="utf-8")
    assert from_plain_objects(path, args) == outcome(path, args, OFF)


EVERY_CODE = {
    **{name: (as_of, require, code) for (name, (as_of, require)), code in
       zip(SCENARIOS.items(), (0, 1, 3), strict=True)},
    "bad input": ("2025-02-01", "nosuch", 2),
}  # fmt: skip


@pytest.mark.parametrize("output_format", FORMATS)
@pytest.mark.parametrize("scenario", sorted(EVERY_CODE))
def test_every_exit_code_from_plain_objects(
    scenario: str, output_format: str, tmp_path: Path
) -> None:
    as_of, require, code = EVERY_CODE[scenario]
    path = tracker(tmp_path, evidence=HISTORY)
    args = ("--as-of", as_of, "--require", require, "--format", output_format)
    expected = outcome(path, args, OFF)
    assert expected[0] == code
    assert from_plain_objects(path, args) == expected


def test_a_hand_edit_between_checks_is_read_again(tmp_path: Path) -> None:
    path = tracker(tmp_path, evidence=HISTORY)
    args = ("--as-of", "2025-02-01", "--require", "troops", "--format", "json")
    assert from_plain_objects(path, args)[0] == 0
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('status = "met"', 'status = "partial"', 1), encoding="utf-8")
    with watching(snapshot, "recall") as recalled:
        edited = outcome(path, args)
    assert recalled == [None]  # no snapshot of the new bytes: read and validated
    assert edited == outcome(path, args, OFF) and edited[0] == 1


def junit_title(path: Path) -> str:
    text: str = outcome(path, ("--format", "junit"))[1]
    return text


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_a_damaged_or_forged_snapshot_is_not_believed_by_check(
    case: str, tmp_path: Path, private_cache: Path
) -> None:
    path = tracker(tmp_path, evidence=HISTORY)
    args = ("--as-of", "2025-12-31", "--format", "junit")
    expected = outcome(path, args, OFF)
    outcome(path, args)  # a snapshot written
    [snap] = snapshots(private_cache)
    reseal(snap, lambda document: document[0]["tracker"].update(title=POISON))
    assert POISON in junit_title(path)  # the control: sealed as condtrack seals, believed
    DAMAGE[case](snap)
    assert outcome(path, args) == expected


# --- real processes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--format", "json", "--min-score", "10", "--max-age", "3650", "--no-gate"],
        ["--format", "junit", "--as-of", "2026-11-01", "--known-at", "2026-06-01"],
        ["--as-of", "2026-11-01", "--require-sequencing", "-o", "out.txt"],
        ["--require", "russian-forces,reconstruction", "--require", "political-prisoners"],
    ],
)
def test_a_warm_check_imports_neither_pydantic_nor_the_models(
    options: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "conditions.toml"
    shutil.copyfile(SHIPPED, path)  # above 64 KiB: snapshots as shipped, no test setting
    argv = ["--file", str(path), "check", *options]
    cache = tmp_path / "cache"
    first, loaded = modules_after(argv, cache, tmp_path)
    assert {"pydantic.main", "condtrack.schema.models"} <= loaded  # the control: a cold read
    again, loaded = modules_after(argv, cache, tmp_path)
    assert again == first and first in (0, 1, 3)
    assert "condtrack.schema.plain" in loaded  # answered from the snapshot
    assert "pydantic.main" not in loaded
    assert "condtrack.schema.models" not in loaded
    # JSON is written by pydantic-core's writer (render/as_json), which the baseline's
    # `import pydantic` loads too; nothing of pydantic itself is loaded.
    packages = ("pydantic",) if "json" in options else ("pydantic", "pydantic_core")
    assert sorted(name for name in loaded if name.split(".")[0] in packages) == []
    if "json" not in options:
        assert "pydantic_core" not in loaded


def test_a_warm_check_in_a_real_process_answers_as_a_cold_one(tmp_path: Path) -> None:
    path = tmp_path / "conditions.toml"
    shutil.copyfile(SHIPPED, path)
    argv = ["--file", str(path), "check", "--format", "json", "--as-of", "2026-11-01"]
    cache = tmp_path / "cache"
    out = tmp_path / "out.json"
    answers = []
    for _ in range(2):
        code, _ = modules_after([*argv, "-o", str(out)], cache, tmp_path)
        answers.append((code, json.loads(out.read_text(encoding="utf-8"))))
    assert answers[0] == answers[1]
