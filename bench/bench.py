"""Benchmark condtrack through its CLI only: whole processes, medians of interleaved runs.

    python bench/bench.py [--runs K] [--large-runs K] [--quick] [--seed S]

Prints a Markdown table of every figure with its baseline, ratio, target and whether it
holds. Exits 0 whatever the figures say; 1 only when something could not be measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"  # git-ignored: cached trackers and the bytecode cache of the runs
SHIPPED = ROOT / "conditions.toml"
PYTHON = sys.executable
CONDTRACK = str(Path(sys.executable).parent / "condtrack")
AS_OF = "2026-11-01"  # generated evidence ends the day before
SINCE = "2026-08-01"  # `diff --since`: a quarter's changes
IMPORT_ROWS = 10_000  # rows `import` adds to the largest tracker
DASH = "\N{EN DASH}"
ENV_RECORDS = "CONDTRACK_CACHE_DIR"
LOAD = "import sys, tomllib; tomllib.load(open(sys.argv[1], 'rb'))"
RELIEF = 200  # relief entries in the tracker `status` with relief is measured on
RELIEF_ARGS = [
    *("relief", "add", "--sender", "US", "--measure", "Belavia", "--action", "eased"),
    *("--date", "2026-10-31", "--instrument", "OFAC Belarus General License 11"),
    *("--for", "political-prisoners", "--source", "Benchmark", "--url", "https://example.org/b"),
    *("--reliability", "B2", "--tag", "bench", "--summary", "A benchmark entry. " * 10),
]
LOG_ARGS = [
    *("log", "political-prisoners", "--indicator", "prisoners-held", "--value", "900"),
    *("--date", "2026-10-31", "--source", "Benchmark", "--url", "https://example.org/bench"),
    *("--reliability", "B2", "--tag", "bench", "--summary", "A benchmark entry. " * 10),
]


class Unmeasurable(Exception):
    """A command failed, so its figure cannot be measured."""


@dataclass
class Command:
    label: str
    argv: list[str]
    ok_codes: tuple[int, ...] = (0,)
    prepare: Callable[[], None] | None = None  # runs before each timing, untimed
    seconds: list[float] = field(default_factory=list)
    peak_kb: list[int] = field(default_factory=list)

    def run(self, env: dict[str, str], record: bool = True) -> None:
        if self.prepare:
            self.prepare()
        with tempfile.TemporaryFile() as err:
            start = time.perf_counter()
            proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=err, env=env)
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - start
            proc.returncode = code = os.waitstatus_to_exitcode(status)
            if code not in self.ok_codes:
                err.seek(0)
                stderr = err.read().decode(errors="replace")[-3000:]
                raise Unmeasurable(f"{' '.join(self.argv)}\nexited {code}:\n{stderr}")
        if record:
            self.seconds.append(elapsed)
            self.peak_kb.append(usage.ru_maxrss)  # Linux: kilobytes


def child_env() -> dict[str, str]:
    """The same environment for every run: no tracker from the caller, a warm bytecode cache
    of our own (a caller's PYTHONDONTWRITEBYTECODE would make condtrack compile on every run
    while typer loads from its installed cache)."""
    env = {k: v for k, v in os.environ.items() if k not in ("CONDTRACK_FILE", "NO_COLOR")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(PYTHONPYCACHEPREFIX=str(OUT / "pycache"), COLUMNS="100")
    env[ENV_RECORDS] = str(OUT / "records")  # condtrack.storage.remembered's, apart from the user's
    return env


def tracker(n: int, seed: int, relief: int = 0) -> Path:
    """The generated tracker for (n, seed, relief), from the cache when no input changed.
    With relief, the same evidence as without, and ``relief`` relief entries among it."""
    key = hashlib.sha256()
    for part in (BENCH / "generate.py", SHIPPED):
        key.update(part.read_bytes())
    key.update(f"{n}:{seed}:{relief}".encode())
    name = f"tracker-{n}-seed{seed}" + (f"-relief{relief}" if relief else "")
    path = OUT / f"{name}-{key.hexdigest()[:12]}.toml"
    if not path.exists():
        for stale in OUT.glob(f"{name}-*.toml"):
            stale.unlink()
        note(f"generating {n:,} entries{f' and {relief} relief entries' if relief else ''} ...")
        part = path.with_suffix(".part")
        gen = [PYTHON, str(BENCH / "generate.py"), str(n), str(part), "--seed", str(seed)]
        gen += ["--relief", str(relief)] if relief else []
        subprocess.run(gen, check=True)
        part.replace(path)
    return path


def import_rows(n: int, seed: int) -> Path:
    """A CSV of ``n`` evidence rows (a generated tracker of another seed than the one they
    join: new reports), from the cache when no input changed."""
    source = tracker(n, seed + 1)
    path = source.with_name(source.stem + "-rows.csv")
    if not path.exists():
        import csv
        import tomllib

        fields = ["id", "condition", "criterion", "status", "indicator", "value", "date"]
        fields += ["source", "url", "reliability", "summary", "tags"]
        part = path.with_suffix(".part")
        with source.open("rb") as f, part.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(fields)
            for entry in tomllib.load(f)["evidence"]:
                if "supersedes" not in entry:  # an import adds, never amends
                    tags = ";".join(entry.get("tags", []))
                    writer.writerow([tags if k == "tags" else entry.get(k, "") for k in fields])
        part.replace(path)
    return path


def validate(path: Path, env: dict[str, str]) -> float:
    """Seconds `condtrack validate` takes to accept the file; Unmeasurable if it refuses."""
    start = time.perf_counter()
    argv = [CONDTRACK, "--file", str(path), "validate"]
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise Unmeasurable(f"condtrack refuses {path}:\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def interleave(commands: list[Command], runs: int, env: dict[str, str]) -> None:
    """A B C A B C ...: slow drifts of the machine touch every command alike."""
    for round_ in range(1, runs + 1):
        for command in commands:
            command.run(env)
        times = ", ".join(f"{c.label} {c.seconds[-1]:.2f} s" for c in commands)
        note(f"  round {round_}/{runs}: {times}")


def time_of(command: Command) -> str:
    values = command.seconds
    digits = 1 if max(values) >= 10 else 3
    low, high = min(values), max(values)
    return f"{statistics.median(values):.{digits}f} s ({low:.{digits}f}{DASH}{high:.{digits}f})"


def memory_of(command: Command) -> str:
    mb = [kb / 1024 for kb in command.peak_kb]
    return f"{statistics.median(mb):.0f} MB ({min(mb):.0f}{DASH}{max(mb):.0f})"


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark condtrack (whole processes).")
    parser.add_argument("--runs", type=int, default=7, help="runs per figure (default 7)")
    parser.add_argument(
        "--large-runs", type=int, default=3, help="runs for the largest tracker (default 3)"
    )
    parser.add_argument("--quick", action="store_true", help="small trackers, 3 runs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    runs = 3 if args.quick else max(1, args.runs)
    large_runs = min(runs, max(1, args.large_runs))
    small, mid, large = (100, 1_000, 10_000) if args.quick else (1_000, 10_000, 100_000)
    if not Path(CONDTRACK).exists():
        note(f"no condtrack script next to {PYTHON}: install condtrack in this environment")
        return 1
    OUT.mkdir(exist_ok=True)
    env = child_env()
    began = time.perf_counter()
    checked: list[str] = []
    try:
        files: dict[int | str, Path] = {n: tracker(n, args.seed) for n in (small, mid, large)}
        files["rows"] = import_rows(IMPORT_ROWS, args.seed)
        files["relief"] = tracker(large, args.seed, RELIEF)
        for n, path in files.items():
            if n == "rows":
                continue
            name = f"{large:,} + {RELIEF} relief" if n == "relief" else f"{n:,}"
            spent = validate(path, env)
            note(f"validate {name}: {spent:.2f} s, {path.stat().st_size / 1e6:.1f} MB file")
            checked.append(f"{name} ({path.stat().st_size / 1e6:.1f} MB, validate {spent:.1f} s)")
        with tempfile.TemporaryDirectory(dir=OUT) as scratch:
            rows = measure(files, (small, mid, large), runs, large_runs, env, Path(scratch))
    except (Unmeasurable, subprocess.CalledProcessError) as error:
        note(f"could not measure: {error}")
        return 1
    finally:
        note(f"bench took {time.perf_counter() - began:.0f} s")
    report_table(rows, checked, runs, large_runs, args.seed)
    return 0


def measure(
    files: dict[int | str, Path],
    sizes: tuple[int, int, int],
    runs: int,
    large_runs: int,
    env: dict[str, str],
    scratch: Path,
) -> list[Row]:
    small, mid, large = sizes
    status = ("status", "--format", "json", "--as-of", AS_OF)
    report = ("report", "--format", "html", "--as-of", AS_OF)

    def cli(label: str, n: int | str | Path, *argv: str, ok: tuple[int, ...] = (0,)) -> Command:
        path = n if isinstance(n, Path) else files[n]
        return Command(label, [CONDTRACK, "--file", str(path), *argv], ok_codes=ok)

    def python(label: str, *argv: str) -> Command:
        return Command(label, [PYTHON, *argv])

    def log_into_copy(n: int, *, first: bool = False) -> Command:
        """`log` into a fresh copy: the first log on those bytes, or (the usual case) the
        next log after one that left a record of what it wrote (condtrack.storage.remembered)."""
        copy = scratch / f"log-{n}{'-first' if first else ''}.toml"

        def fresh() -> None:
            shutil.copyfile(files[n], copy)
            if not first:
                # Another report than the timed one, which `log` would refuse as a duplicate.
                earlier = [word.replace("900", "901") for word in LOG_ARGS]
                argv = [CONDTRACK, "--file", str(copy), *earlier]
                subprocess.run(argv, env=env, check=True, capture_output=True)
            else:
                shutil.rmtree(records, ignore_errors=True)
            with copy.open("rb+") as f:  # on disk before the timing, not flushed during it
                os.fsync(f.fileno())

        label = f"first log {n:,}" if first else f"log {n:,}"
        command = cli(label, copy, *LOG_ARGS)
        command.prepare = fresh
        return command

    def relief_into_copy() -> Command:
        """`relief add` into a fresh copy of the tracker with relief, after another one (as
        the next `log` after a `log`: on the record the earlier one left)."""
        copy = scratch / "relief-add.toml"

        def fresh() -> None:
            shutil.copyfile(files["relief"], copy)
            earlier = [word.replace("Belavia", "potash") for word in RELIEF_ARGS]
            argv = [CONDTRACK, "--file", str(copy), *earlier]
            subprocess.run(argv, env=env, check=True, capture_output=True)
            with copy.open("rb+") as f:
                os.fsync(f.fileno())

        command = cli(f"relief add {large:,}", copy, *RELIEF_ARGS)
        command.prepare = fresh
        return command

    typer = python("import typer", "-c", "import typer")
    version = Command("--version", [CONDTRACK, "--version"])
    typer_pydantic = python("import typer, pydantic", "-c", "import typer, pydantic")
    check = cli("check", SHIPPED, "check", ok=(0, 1, 3))  # 1 and 3 are verdicts, not failures
    load = python(f"tomllib {large:,}", "-c", LOAD, str(files[large]))
    status_l = cli(f"status {large:,}", large, *status)
    status_m = cli(f"status {mid:,}", mid, *status)
    status_r = cli(f"status {large:,} +{RELIEF} relief", "relief", *status)
    report_l = cli(f"report {large:,}", large, *report)
    records = Path(env[ENV_RECORDS])
    log_l, log_s, first_log_l = (
        log_into_copy(large),
        log_into_copy(small),
        log_into_copy(large, first=True),
    )
    relief_l = relief_into_copy()

    def import_into_copy() -> Command:
        """`import` of the rows into a fresh copy of the largest tracker, whose bytes a
        record vouches for (as after any earlier command on it)."""
        copy = scratch / "import.toml"

        def fresh() -> None:
            shutil.copyfile(files[large], copy)
            # A record of these bytes, if the runs before removed it (the first log's do).
            argv = [CONDTRACK, "--file", str(copy), "status", "--format", "json"]
            subprocess.run(argv, env=env, check=True, capture_output=True)
            with copy.open("rb+") as f:
                os.fsync(f.fileno())

        argv = ("import", str(files["rows"]), "--skip-duplicates")
        command = cli(f"import {large:,}", copy, *argv)
        command.prepare = fresh
        return command

    import_l = import_into_copy()
    diff_l = cli(
        f"diff {large:,}", large, "diff", "--since", SINCE, "--until", AS_OF, "--format", "json"
    )

    note("warm-up: every command once on small files, to fill the bytecode cache; not counted")
    warm_up = [
        cli("", small, *status),
        cli("", small, *report),
        cli("", small, "diff", "--since", SINCE),
    ]
    # The first read of each large file leaves its record and snapshot: the timed reads are
    # the everyday ones (the first read is `first log`'s figure).
    warm_up += [cli("", large, *status), cli("", "relief", *status)]
    for command in [typer, version, typer_pydantic, check, log_s, *warm_up]:
        command.run(env, record=False)
    note(f"startup: {runs} rounds")
    interleave([typer, version, typer_pydantic, check], runs, env)
    note(f"{large:,} entries: {large_runs} rounds")
    interleave([load, status_l, status_r, report_l, diff_l, status_m], large_runs, env)
    note(f"log: {large_runs} rounds, each into a fresh copy")
    interleave([log_l, relief_l, log_s, first_log_l, import_l], large_runs, env)

    merge_l, merge_size_kb = merge_appended(files[large], scratch, env)
    note(f"merge: {large_runs} rounds, each over a fresh copy of ours")
    interleave([merge_l], large_runs, env)

    return [
        Row("`condtrack --version`", version, '`python -c "import typer"`', typer, 1.2),
        Row(
            "`condtrack check` on the shipped file",
            check,
            '`python -c "import typer, pydantic"`',
            typer_pydantic,
            1.5,
        ),
        Row(f"`status --format json` at {large:,}", status_l, "bare `tomllib.load`", load, 0.15),
        Row(f"`log` at {large:,}", log_l, f"`log` at {small:,}", log_s, 1.5),
        Row(
            f"`status --format json` at {large:,} with {RELIEF} relief entries",
            status_r,
            f"`status --format json` at {large:,}, no relief",
            status_l,
            1.05,
        ),
        Row(
            f"`relief add` at {large:,} (+{RELIEF} relief)",
            relief_l,
            f"`log` at {large:,}",
            log_l,
            1.1,
        ),
        Row(
            f"`report --format html` at {large:,}",
            report_l,
            f"`status --format json` at {large:,}",
            status_l,
            1.3,
        ),
        Row(
            f"`diff --since {SINCE}` at {large:,}",
            diff_l,
            f"`status --format json` at {large:,}",
            status_l,
            1.3,
        ),
        Row(
            f"`import` of {IMPORT_ROWS:,} rows into {large:,}",
            import_l,
            f"`status --format json` at {large:,}",
            status_l,
            2,
        ),
        Row(
            f"peak memory of `status` at {large:,}",
            status_l,
            "bare `tomllib.load`",
            load,
            1.0,
            memory=True,
        ),
        Row(f"`status` time at {large:,}", status_l, f"`status` at {mid:,}", status_m, 11),
        Row(
            f"first `log` at {large:,} (no record: checks the whole file)",
            first_log_l,
            f"`log` at {small:,}",
            log_s,
            None,
        ),
        Row(
            f"`merge` of two sides that each appended {MERGE_LOGS} entries to a {large:,} base",
            merge_l,
            f"`log` at {large:,}",
            log_l,
            2,
        ),
        SizeRow(
            "peak memory of that `merge`",
            merge_l,
            "the file's size",
            log_l,
            3,
            memory=True,
            size_kb=merge_size_kb,
        ),
    ]


MERGE_LOGS = 10  # entries each side of the merge appends


def merge_appended(base: Path, scratch: Path, env: dict[str, str]) -> tuple[Command, float]:
    """`condtrack merge` as git runs it, on a base and two sides that each logged
    ``MERGE_LOGS`` entries to a copy of it (so each side has the record its `log` left, as
    an analyst's own side has); ours is copied afresh before each run. Also the size of
    the merged file, in kilobytes, that its memory is compared with."""
    sides = {}
    for side in ("ours", "theirs"):
        path = scratch / f"merge-{side}.toml"
        shutil.copyfile(base, path)
        for number in range(MERGE_LOGS):
            words = [w.replace("900", str(800 + number)) for w in LOG_ARGS]
            words = [w.replace("Benchmark", f"Benchmark {side}") for w in words]
            argv = [CONDTRACK, "--file", str(path), *words]
            subprocess.run(argv, env=env, check=True, capture_output=True)
        sides[side] = path
    target = scratch / "merge-result.toml"

    def fresh() -> None:
        shutil.copyfile(sides["ours"], target)
        with target.open("rb+") as f:
            os.fsync(f.fileno())

    argv = [CONDTRACK, "merge", str(base), str(target), str(sides["theirs"]), "conditions.toml"]
    command = Command(f"merge {base.name}", argv, prepare=fresh)
    fresh()
    command.run(env, record=False)
    size = base.stat().st_size
    if target.stat().st_size < size + sum(p.stat().st_size - size for p in sides.values()):
        raise Unmeasurable(f"the merge of two copies of {base} lost entries")
    return command, target.stat().st_size / 1024


@dataclass
class Row:
    figure: str
    measured: Command
    baseline_text: str
    baseline: Command
    target: float | None  # None: shown for information, no target
    memory: bool = False

    def cells(self) -> str:
        show: Callable[[Command], str] = memory_of if self.memory else time_of
        a, b = (c.peak_kb if self.memory else c.seconds for c in (self.measured, self.baseline))
        ratio = statistics.median(a) / statistics.median(b)
        if self.target is None:
            target, holds = "(none)", "(information)"
        else:
            target = f"<= {self.target:g}"
            holds = "yes" if ratio <= self.target else "**no**"
        return (
            f"| {self.figure} | {show(self.measured)} | {self.baseline_text} "
            f"{show(self.baseline)} | {ratio:.2f} | {target} | {holds} |"
        )


@dataclass
class SizeRow(Row):
    """A memory figure against a size in kilobytes (a file's) rather than a command's."""

    size_kb: float = 0.0

    def cells(self) -> str:
        mb = [kb / 1024 for kb in self.measured.peak_kb]
        ratio = statistics.median(mb) / (self.size_kb / 1024)
        target = f"<= {self.target:g}"
        holds = "yes" if self.target is not None and ratio <= self.target else "**no**"
        return (
            f"| {self.figure} | {memory_of(self.measured)} | {self.baseline_text} "
            f"{self.size_kb / 1024:.0f} MB | {ratio:.2f} | {target} | {holds} |"
        )


def report_table(rows: list[Row], trackers: list[str], runs: int, large: int, seed: int) -> None:
    cpus = len(os.sched_getaffinity(0))
    print(f"# condtrack benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC\n")
    print(f"- machine: {platform.machine()}, nproc {cpus}, load average {os.getloadavg()[0]:.2f}")
    print(f"- Python {platform.python_version()} ({PYTHON})")
    print(
        f"- median of {runs} interleaved runs (A B A B ...) per startup figure, of {large} "
        f"per figure on the largest tracker (seconds each); each `log` run writes into a "
        f"fresh copy; `status` and `report` use --as-of {AS_OF}; bytecode cached in "
        "bench/out/pycache"
    )
    print(f"- trackers (seed {seed}): {', '.join(trackers)} entries\n")
    print(f"| figure | measured (median, min{DASH}max) | baseline | ratio | target | holds |")
    print("| --- | --- | --- | ---: | ---: | --- |")
    for row in rows:
        print(row.cells())


if __name__ == "__main__":
    sys.exit(main())
