"""The outputs of every read command in every format on a fixed corpus: a refactor's safety net.

    python bench/golden.py OUT          # write OUT/<corpus>/<nn>-<command>.txt
    diff -r BEFORE AFTER                 # after: nothing, or only what the change meant to

The corpus: the shipped tracker, a tracker of hostile text (markup, terminal controls,
bidi overrides, formula starts, pipes, HTML) and a generated 2,000-entry tracker. Each file
holds the command line, its exit code, its standard output and its standard error, run
through the installed ``condtrack`` with a fixed terminal width and no colour, the
records off and every date fixed, so two runs of the same code give the same bytes.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402  (bench/ is not a package)

SHIPPED = HERE.parent / "conditions.toml"
AS_OF = "2026-11-01"

HOSTILE_TEXTS = [
    "[bold red]markup[/] \x1b[31mred\x1b[0m \x07bell",
    '=HYPERLINK("http://evil.example") +1 -2 @SUM(A1)',
    "pipes | in | text `code` **bold** <script>alert(1)</script> &amp;",
    "bidi \u202eevil\u202c \u2066iso\u2069 zwnj\u200cfa zwj\U0001f468\u200d\U0001f469",
    "line\nbreak\r\ncarriage\ttab \\ backslash \"quote\" 'apostrophe'",
    "Лукашенко Łukašenka 日本語 ﷽ " + "long " * 40,
]


def hostile_tracker() -> str:
    """The shipped header with entries whose every text field is hostile."""
    text = SHIPPED.read_text(encoding="utf-8")
    first = re.search(r"^\[\[evidence\]\]", text, re.M)
    header = text[: first.start()] if first else text
    document = tomllib.loads(header)
    condition = document["conditions"][1]
    criterion = condition["criteria"][0]["id"]
    blocks = [header.rstrip("\n")]
    for number, hostile in enumerate(HOSTILE_TEXTS):
        blocks.append(
            "\n".join(
                [
                    "",
                    "[[evidence]]",
                    f'id = "ev-hostile{number:04d}"',
                    f'condition = "{condition["id"]}"',
                    f'criterion = "{criterion}"',
                    f'status = "{("met", "partial", "not-met")[number % 3]}"',
                    f"date = 2026-0{number + 1}-15",
                    f"source = {_toml_string(hostile[:60])}",
                    f"url = {_toml_string('https://example.org/a|b?q=(1)&x=<y>#' + str(number))}",
                    'reliability = "B2"',
                    f"summary = {_toml_string(hostile)}",
                    f'tags = ["hostile", "t{number}"]',
                    f"logged = 2026-0{number + 1}-16T09:00:00Z",
                ]
            )
        )
    return "\n".join(blocks) + "\n"


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped) + '"'


def commands(tracker: Path) -> list[list[str]]:
    document = tomllib.loads(tracker.read_text(encoding="utf-8"))
    conditions = [c["id"] for c in document["conditions"]]
    evidence = [e["id"] for e in document.get("evidence", [])]
    dated = ["--as-of", AS_OF]
    runs: list[list[str]] = [["conditions"], ["validate"]]
    for fmt in ("table", "json"):
        runs.append(["status", "--format", fmt, *dated])
    runs += [["explain", condition, *dated] for condition in conditions]
    for fmt in ("table", "json", "csv"):
        runs.append(["evidence", "--format", fmt])
    runs.append(["evidence", "--all", "--condition", conditions[-1]])
    for entry in evidence[:3] + evidence[-2:]:
        runs += [["history", entry], ["history", entry, "--format", "json"]]
    for fmt in ("text", "json", "github", "junit"):
        runs.append(["check", "--format", fmt, *dated])
    runs.append(["check", "--require", conditions[0], "--min-score", "10", *dated])
    runs.append(["check", "--max-age", "30", "--format", "json", *dated])
    for fmt in ("markdown", "csv", "html", "json"):
        runs.append(["report", "--format", fmt, *dated])
        runs.append(["report", "--format", fmt, "--since", "2025-06-01", *dated])
    for fmt in ("table", "json", "markdown"):
        runs.append(["diff", "--since", "2025-06-01", "--until", AS_OF, "--format", fmt])
    return runs


def run_all(out: Path, corpus: dict[str, Path]) -> int:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CONDTRACK_", "GITHUB_"))},
        "NO_COLOR": "1",
        "COLUMNS": "100",
        "LINES": "50",
        "CONDTRACK_CACHE_DIR": "",
        "TZ": "UTC",
    }
    condtrack = Path(sys.executable).parent / "condtrack"
    written = 0
    for name, tracker in corpus.items():
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        for number, args in enumerate(commands(tracker)):
            done = subprocess.run(
                [str(condtrack), "--file", tracker.name, *args],  # the same text wherever OUT is
                capture_output=True,
                env=env,
                stdin=subprocess.DEVNULL,
                cwd=tracker.parent,
                check=False,
            )
            slug = re.sub(r"[^a-z0-9]+", "-", " ".join(args[:3]).lower()).strip("-")
            record = b"".join(
                [
                    f"$ condtrack {' '.join(args)}\nexit {done.returncode}\n--- stdout\n".encode(),
                    done.stdout,
                    b"\n--- stderr\n",
                    done.stderr,
                ]
            )
            (folder / f"{number:03d}-{slug}.txt").write_bytes(record)
            written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description="Record every read command's output.")
    parser.add_argument("out", type=Path, help="folder to write (made if missing)")
    out = parser.parse_args().out
    corpus_folder = out / "corpus"
    corpus_folder.mkdir(parents=True, exist_ok=True)
    corpus = {
        "shipped": corpus_folder / "shipped.toml",
        "hostile": corpus_folder / "hostile.toml",
        "generated": corpus_folder / "generated.toml",
    }
    corpus["shipped"].write_bytes(SHIPPED.read_bytes())
    corpus["hostile"].write_text(hostile_tracker(), encoding="utf-8")
    corpus["generated"].write_text(generate(2000, seed=7), encoding="utf-8")
    print(f"wrote {run_all(out, corpus)} outputs under {out}")


if __name__ == "__main__":
    main()
