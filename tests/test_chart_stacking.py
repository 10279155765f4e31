"""The HTML report's relief chart: markers of entries on one date (or on dates too close to
tell apart) are stacked so that each is in view, none covering another, all in the plot."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from tests.conftest import SMALL_TRACKER
from tests.reliability.helpers import ok, run
from tests.test_report_relief import Svg, chart


def box(tag: str, values: dict[str, str]) -> tuple[float, float, float, float]:
    """A marker shape's bounding box: (left, top, right, bottom)."""
    if tag == "circle":
        x, y, r = float(values["cx"]), float(values["cy"]), float(values["r"])
        return x - r, y - r, x + r, y + r
    corners = [tuple(map(float, p.split(","))) for p in values["points"].split()]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return min(xs), min(ys), max(xs), max(ys)


def overlapping(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def ledger(tmp_path: Path, steps: list[tuple[str, str, str]], met: bool = False) -> Svg:
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    if met:  # every criterion met: the score is 100, the top of the plot
        criteria = [("troops", "bases-closed"), ("troops", "troops-gone"),
                    ("prisoners", "released"), ("prisoners", "no-exile")]  # fmt: skip
        for condition, criterion in criteria:
            args = ["--criterion", criterion, "--status", "met", "--date", "2025-01-01"]
            ok(run(path, "log", condition, *args, "--source=M", f"--summary={criterion}", "-rA1"))
    for n, (sender, action, date) in enumerate(steps):
        ok(run(path, "relief", "add", f"--sender={sender}", f"--measure=measure {n}",
               f"--action={action}", f"--date={date}", "--source=S", "--summary=T",
               "-rA1"))  # fmt: skip
    html = ok(run(path, "report", "--format", "html", "--as-of", "2025-12-31")).stdout
    return chart(html)


def assert_each_in_view(svg: Svg, count: int) -> None:
    assert len(svg.shapes) == count
    boxes = [box(tag, values) for tag, values in svg.shapes]
    for a, b in itertools.combinations(boxes, 2):
        assert not overlapping(a, b), (a, b)
    width, height = float(svg.svg["width"]), float(svg.svg["height"])
    for left, upper, right, lower in boxes:
        assert upper >= 0 and lower <= height and left >= 0 and right <= width


@pytest.mark.parametrize("met", [False, True], ids=["score-0", "score-100"])
@pytest.mark.parametrize("count", [2, 5])
def test_markers_on_one_date_are_stacked_each_in_view(
    tmp_path: Path, count: int, met: bool
) -> None:
    steps = [("US" if n % 2 else "EU", "eased", "2025-06-01") for n in range(count)]
    svg = ledger(tmp_path, steps, met)
    assert_each_in_view(svg, count)
    assert {m["data-date"] for m in svg.markers} == {"2025-06-01"}


def test_markers_on_close_dates_are_stacked_too(tmp_path: Path) -> None:
    steps = [("US", "eased", "2025-06-01"), ("EU", "suspended", "2025-06-02"),
             ("UK", "lifted", "2025-06-03")]  # fmt: skip
    assert_each_in_view(ledger(tmp_path, steps), 3)


def test_markers_apart_stay_on_the_line(tmp_path: Path) -> None:
    steps = [("US", "eased", "2025-02-01"), ("EU", "eased", "2025-08-01")]
    svg = ledger(tmp_path, steps)
    on_line = {y for _, y in svg.line}
    for tag, values in svg.shapes:
        _, upper, _, lower = box(tag, values)
        centre = (upper + lower) / 2
        assert any(abs(centre - y) <= 6 for y in on_line), (values, on_line)


def test_the_caption_says_markers_are_stacked_only_when_they_are(tmp_path: Path) -> None:
    for steps, stacked in (
        ([("US", "eased", "2025-06-01"), ("EU", "eased", "2025-06-01")], True),
        ([("US", "eased", "2025-02-01"), ("EU", "eased", "2025-08-01")], False),
    ):
        folder = tmp_path / str(stacked)
        folder.mkdir()
        path = folder / "conditions.toml"
        path.write_text(SMALL_TRACKER, encoding="utf-8")
        for n, (sender, action, date) in enumerate(steps):
            fields = [f"--sender={sender}", f"--measure=m{n}", f"--action={action}"]
            fields += [f"--date={date}", "--source=S", "--summary=T", "--reliability=A1"]
            ok(run(path, "relief", "add", *fields))
        html = ok(run(path, "report", "--format", "html", "--as-of", "2025-12-31")).stdout
        assert ("stacked, each in view" in html) is stacked
        data = json.loads(
            ok(run(path, "report", "--format", "json", "--as-of", "2025-12-31")).stdout
        )
        assert len(data["relief"]["measures"]) == 2
