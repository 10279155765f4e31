"""Shared fixtures: a small tracker unrelated to Belarus, and a way to run the real CLI."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from typer.testing import CliRunner, Result

from condtrack.cli import app

REPO = Path(__file__).resolve().parent.parent

# Property tests check behaviour, never speed: no deadline (hypothesis's default of 200 ms
# fails examples that only ran slowly, as they do on a loaded machine or beside the other
# pytest-xdist worker). Tests that set their own settings keep them.
settings.register_profile("condtrack", deadline=None)
settings.load_profile("condtrack")

# A generic tracker: proves nothing in the code is specific to the shipped Belarus file.
SMALL_TRACKER = """\
[tracker]
schema = 1
title = "Testland: conditions for relief"
subject = "Testland"

[scoring]
min_reliability = "C3"
stale_after_days = 180
window_days = 90

[[conditions]]
id = "troops"
title = "Foreign troops withdrawn"
weight = 1.0
snapback = true

[[conditions.criteria]]
id = "bases-closed"
text = "All foreign bases are closed."

[[conditions.criteria]]
id = "troops-gone"
text = "All foreign troops have left."

[[conditions]]
id = "prisoners"
title = "Prisoners released"
weight = 3.0

[[conditions.criteria]]
id = "released"
text = "All political prisoners are released."

[[conditions.criteria]]
id = "no-exile"
text = "Nobody released is forced into exile."

[[conditions.indicators]]
id = "held"
label = "Prisoners held"
unit = "people"
kind = "stock"
better = "lower"
target = 0
minimum = 0
criterion = "released"

[[conditions.indicators]]
id = "expelled"
label = "Forced expulsions"
unit = "people"
kind = "flow"
better = "lower"
target = 0
minimum = 0
criterion = "no-exile"

[[conditions.indicators]]
id = "freed"
label = "Prisoners released"
unit = "people"
kind = "flow"
better = "higher"
minimum = 0

[[conditions.indicators]]
id = "detained"
label = "New detentions"
unit = "people"
kind = "flow"
better = "lower"
minimum = 0

[[conditions.offsets]]
outflow = "freed"
inflow = "detained"
label = "revolving door"
"""


# A third condition whose indicator has no minimum, so negative figures are allowed.
ECONOMY = """
[[conditions]]
id = "economy"
title = "Economic opening"

[[conditions.criteria]]
id = "trade-open"
text = "Trade is open."

[[conditions.indicators]]
id = "balance"
label = "Trade balance"
unit = "USD m"
kind = "stock"
better = "higher"
"""


@pytest.fixture(autouse=True)
def private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Each test its own record folder (see condtrack.storage.remembered), never the user's."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("CONDTRACK_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def no_progress_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    """No progress bar in a test's pseudo-terminal however slow the machine (a bar shows
    after a second: condtrack.cli.progressbar); tests/test_progress.py sets its own delay."""
    monkeypatch.setenv("CONDTRACK_PROGRESS_DELAY", "86400")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def tracker_file(tmp_path: Path) -> Path:
    """A fresh copy of SMALL_TRACKER with no evidence."""
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    return path


Invoke = Callable[..., Result]


@pytest.fixture
def cli(runner: CliRunner, tracker_file: Path) -> Invoke:
    """Run condtrack on ``tracker_file`` (or ``file=``): ``cli("status", "--format", "json")``."""

    def invoke(*args: str, file: Path | None = None, env: dict[str, str] | None = None) -> Result:
        target = file if file is not None else tracker_file
        return runner.invoke(app, ["--file", str(target), *args], env=env)

    return invoke


@pytest.fixture
def log(cli: Invoke) -> Callable[..., str]:
    """Log evidence through the CLI and return its id: ``log("troops", criterion=..., ...)``.

    ``file=`` logs to another tracker than ``tracker_file``.
    """

    def record(
        condition: str,
        *,
        summary: str = "observed",
        source: str = "Monitor",
        reliability: str = "B2",
        file: Path | None = None,
        **fields: Any,
    ) -> str:
        args = [
            "log",
            condition,
            "--summary",
            summary,
            "--source",
            source,
            "--reliability",
            reliability,
            "--allow-duplicate",  # tests log what they are told, the same report or not
        ]
        for key, value in fields.items():
            if key == "tags":
                for tag in value:
                    args += ["--tag", tag]
            else:
                args += [f"--{key.replace('_', '-')}", str(value)]
        result = cli(*args, file=file)
        assert result.exit_code == 0, result.output
        return result.stdout.strip()

    return record


@pytest.fixture
def status_json(cli: Invoke) -> Callable[..., dict[str, Any]]:
    def run(as_of: str) -> dict[str, Any]:
        result = cli("status", "--format", "json", "--as-of", as_of)
        assert result.exit_code == 0, result.output
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    return run


NOBODY = 65534


def as_unprivileged(action: Callable[[], Any]) -> Any:
    """Run ``action`` as a user whom file permissions bind, and return what it returns.

    As root permissions are not enforced, so a forked child drops to ``nobody`` first;
    everything it runs must be imported beforehand. The result travels back as JSON.
    """
    if os.geteuid() != 0:
        return action()
    if not hasattr(os, "fork"):
        pytest.skip("root without fork(): file permissions cannot be tested")
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        try:
            os.close(reader)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            payload = json.dumps({"ok": action()})
        except BaseException as error:
            payload = json.dumps({"error": repr(error)})
        finally:
            try:
                os.write(writer, payload.encode())
            finally:
                os._exit(0)
    os.close(writer)
    data = b""
    while chunk := os.read(reader, 65536):
        data += chunk
    os.close(reader)
    os.waitpid(pid, 0)
    answer = json.loads(data)
    assert "error" not in answer, answer.get("error")
    return answer["ok"]


def first_current_relief_id(path: Path) -> str:
    """The first relief entry of a tracker still current: what a help example's placeholder
    id (rl-0123456789) stands for. An amended or retracted one is refused by `relief amend`,
    as it should be, and the shipped record corrects grades by amendment."""
    import tomllib

    doc = tomllib.loads(path.read_text("utf-8"))
    superseded = {r["supersedes"] for r in doc["relief"] if "supersedes" in r}
    retracted = {r["evidence"] for r in doc.get("retractions", [])}
    return str(next(r["id"] for r in doc["relief"] if r["id"] not in superseded | retracted))
