"""Deterministic synthetic trackers for the benchmark: the shipped header + N evidence entries.

    python bench/generate.py N OUT [--seed S] [--relief R]

``--relief R`` adds R ``[[relief]]`` entries (two on each date, so R/2 distinct dates),
interleaved with the evidence; they come from a random generator of their own, so the
evidence is byte for byte what the same N and seed give without relief.

The same (n, seed) always gives the same bytes: everything comes from random.Random(seed),
and the logged timestamps are spread over the five years before END, never read from the clock.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import tomllib
from pathlib import Path
from typing import Any

SHIPPED = Path(__file__).resolve().parent.parent / "conditions.toml"
START = dt.datetime(2021, 11, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 10, 31, 23, 0, tzinfo=dt.UTC)  # all dates before 2026-11-01

COUNTING = [f"{s}{i}" for s in "ABC" for i in "123"]
WEAK = ["C4", "D2", "D3", "E5", "F6", "B4", "F3"]


def _items(text: str, sep: str | None = None) -> list[str]:
    return [item.strip() for item in text.split(sep)]


SOURCES = _items(
    "Viasna | Reuters | AP | BBC Russian | Nasha Niva | Zerkalo | RFE/RL | OSCE | ISW | Belsat"
    " | UN Special Rapporteur | Freedom House | Amnesty International | Human Rights Watch"
    " | Government of Belarus (BelTA) | Local activist",
    "|",
)
DOMAINS = _items(
    "spring96.org www.reuters.com apnews.com www.bbc.com nashaniva.com news.zerkalo.io "
    "www.rferl.org www.osce.org www.ohchr.org freedomhouse.org www.understandingwar.org "
    "www.amnesty.org www.hrw.org"
)
TAGS = _items(
    "monthly-count pardon exercises iskander oreshnik hrodna minsk court exile medical "
    "kellogg-visit eu:council us/state un.hrc viasna press-release unconfirmed follow-up "
    "2025-election amnesty-law"
)
WORDS = _items(
    "authorities released detained prisoners political court sentenced charges dropped "
    "pardon exile border lawyer family medical care colony Minsk Hrodna Homiel Viciebsk "
    "Mahilioŭ Brest regime opposition activist journalist blogger trade union students "
    "searches raids extremist list KGB militia report monthly count statement envoy "
    "delegation negotiations sanctions relief potash aviation Belavia embassy Vilnius "
    "Warsaw troops exercise missile nuclear Iskander Oreshnik brigade deployment withdrawal "
    "satellite imagery rail convoy airfield Machulishchy Zyabrovka fund reconstruction "
    "Chernihiv Sumy Kyiv pledge disbursed compensation mechanism victims international law "
    "remains continues reportedly confirmed according to sources said the a of in and with "
    "after before since new further another several dozens hundreds at least more than "
    "including despite while during week month year officials unnamed — «Лукашенко» "
    'Łukašenka "revolving door" 5% 2,000 US$ € C:\\temp\\'
)
SLUG_WORDS = [w.lower() for w in WORDS if w.isascii() and w.isalpha()]
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
REASONS = _items(
    "Duplicate of an earlier entry | Figure was for the previous year | Source withdrew it"
    " | Wrong indicator: new detentions, not releases | Date was off by a month",
    "|",
)


def header(path: Path = SHIPPED) -> str:
    """The shipped tracker up to (not including) its first ``[[evidence]]`` line."""
    text = path.read_text(encoding="utf-8")
    match = re.search(r"^\[\[evidence\]\]", text, re.MULTILINE)
    return (text[: match.start()] if match else text).rstrip() + "\n"


def q(text: str) -> str:
    """A TOML basic string (JSON's escapes are all valid TOML escapes)."""
    return json.dumps(text, ensure_ascii=False)


def _summary(rng: random.Random, lead: str) -> str:
    target = min(400, max(60, int(rng.gauss(200, 40))))
    words = [lead] if lead else []
    length = len(lead)
    while length < target:
        words.append(rng.choice(WORDS))
        length += len(words[-1]) + 1
    text = " ".join(words).rstrip(",") + "."
    return text[0].upper() + text[1:]


def _observe(rng: random.Random, ind: dict[str, Any], level: dict[str, int], t: float) -> int:
    """A flow is a count of events; a stock drifts from its first level by up to a half."""
    floor = int(ind.get("minimum", 0))
    if ind["kind"] == "flow":
        return max(floor, int(rng.expovariate(1 / 25)))
    scale = 100_000 if ind.get("unit") == "USD" else 1
    start = level.setdefault(ind["id"], ind.get("baseline", rng.randint(200, 2000) * scale))
    trend = 1 - 0.5 * t if ind["better"] == "lower" else 1 + 0.5 * t
    return max(floor, round(start * trend * (1 + rng.gauss(0, 0.03))))


SENDERS = ["US", "EU", "UK", "CA", "CH"]
MEASURES = _items(
    "Belavia | potash: Belaruskali, BPC, Agrorozkvit | Belarusian banks | aviation parts"
    " | oil products | tobacco | timber | steel | fertiliser transit | state media"
    " | sovereign debt | KGB officials | judges | election officials | Grodno Azot"
    " | Naftan | MAZ | BelAZ | Belshina | Belneftekhim",
    "|",
)
INSTRUMENTS = _items(
    "OFAC Belarus General License 11 | OFAC Belarus General License 13"
    " | Council Decision (CFSP) 2025/1 | UK Belarus Regulations 2019 amendment",
    "|",
)


def relief_blocks(
    n: int, count: int, seed: int, dates: list[dt.date], logged: list[dt.datetime]
) -> dict[int, list[str]]:
    """``count`` relief tables, by the index of the evidence entry they follow: two on each
    of count/2 dates, with a generator of their own (the evidence stays as without them)."""
    rng = random.Random(f"relief-{seed}")
    conditions = tomllib.loads(header())["conditions"]
    ids = [c["id"] for c in conditions]
    places = sorted(rng.sample(range(n), max(1, count // 2))) if n and count else []
    eased: set[tuple[str, str]] = set()
    blocks: dict[int, list[str]] = {}
    made = 0
    for place in places:
        for _ in range(2):
            if made == count:
                break
            made += 1
            sender, measure = rng.choice(SENDERS), rng.choice(MEASURES)
            key = (sender, measure)
            action = rng.choices(["eased", "lifted", "suspended", "reimposed"], [5, 2, 2, 1])[0]
            if action == "reimposed" and key not in eased:
                action = "eased"
            if action != "reimposed":
                eased.add(key)
            date = dates[place]
            fields = [
                f"id = {q('rl-' + ''.join(rng.choices(ALPHABET, k=10)))}",
                f"sender = {q(sender)}",
                f"measure = {q(measure)}",
                f"action = {q(action)}",
                f"date = {date.isoformat()}",
            ]
            if rng.random() < 0.5:
                fields.append(f"instrument = {q(rng.choice(INSTRUMENTS))}")
            if action != "reimposed" and rng.random() < 0.2:
                fields.append(f"expires = {(date + dt.timedelta(days=180)).isoformat()}")
            tied = rng.sample(ids, rng.choice([0, 1, 1, 2]))
            if tied:
                fields.append(f"for = [{', '.join(q(t) for t in tied)}]")
            fields += [
                f"source = {q(rng.choice(SOURCES))}",
                f"reliability = {q(rng.choice(COUNTING))}",
                f"summary = {q(_summary(rng, sender + ' ' + action + ' ' + measure))}",
                f"logged = {logged[place]:%Y-%m-%dT%H:%M:%SZ}",
            ]
            blocks.setdefault(place, []).append("\n".join(["[[relief]]", *fields]) + "\n")
    return blocks


def generate(n: int, seed: int = 0, relief: int = 0) -> str:
    """The TOML text of a tracker: shipped header, n evidence entries, ~2% retractions, and
    ``relief`` relief entries among them."""
    rng = random.Random(seed)
    head = header()
    conditions = tomllib.loads(head)["conditions"]
    with_indicators = [c for c in conditions if c.get("indicators")]
    level: dict[str, int] = {}
    ids: list[str] = []
    seen: set[str] = set()
    retracted: set[str] = set()
    blocks = [head]
    span = (END - START).total_seconds()
    dates: list[dt.date] = []
    stamps: list[dt.datetime] = []
    positions: list[int] = []  # where in blocks each evidence entry's table is
    for i in range(n):
        logged = START + dt.timedelta(seconds=int((i + rng.random()) * span / n) // 60 * 60)
        lag = rng.choice([0, 0, 0, 1, 1, 2, 3, 7, 14, 30, 90])
        date = max(START.date(), logged.date() - dt.timedelta(days=lag))
        kind = rng.choices(["assess", "observe", "both", "context"], [35, 35, 10, 20])[0]
        cond = rng.choice(with_indicators if kind in ("observe", "both") else conditions)
        fields = [f"condition = {q(cond['id'])}"]
        lead = ""
        if kind in ("assess", "both"):
            status = rng.choices(["not-met", "partial", "met"], [70, 22, 8])[0]
            criterion = rng.choice(cond["criteria"])["id"]
            fields += [f"criterion = {q(criterion)}", f"status = {q(status)}"]
        if kind in ("observe", "both"):
            ind = rng.choice(cond["indicators"])
            value = _observe(rng, ind, level, i / n)
            fields += [f"indicator = {q(ind['id'])}", f"value = {value}"]
            lead = f"{ind['label']}: {value:,} {ind.get('unit', '')}."
        source = rng.choice(SOURCES)
        slug = "-".join(rng.choice(SLUG_WORDS) for _ in range(rng.randint(3, 8)))
        fields += [f"date = {date.isoformat()}", f"source = {q(source)}"]
        if rng.random() < 0.9:
            url = f"https://{rng.choice(DOMAINS)}/{date:%Y/%m}/{slug}-{i}"
            fields.append(f"url = {q(url)}")
        good = rng.random() < 0.85
        fields.append(f"reliability = {q(rng.choice(COUNTING if good else WEAK))}")
        fields.append(f"summary = {q(_summary(rng, lead))}")
        tags = rng.sample(TAGS, rng.choice([0, 1, 1, 2, 3]))
        if tags:
            fields.append(f"tags = [{', '.join(q(t) for t in tags)}]")
        fields.append(f"logged = {logged:%Y-%m-%dT%H:%M:%SZ}")
        entry_id = ""
        while not entry_id or entry_id in seen:  # a clash is 1 in 10^15: stay unique anyway
            entry_id = "ev-" + "".join(rng.choices(ALPHABET, k=10))
        seen.add(entry_id)
        ids.append(entry_id)
        positions.append(len(blocks))
        blocks.append("\n".join(["[[evidence]]", f"id = {q(entry_id)}", *fields]) + "\n")
        dates.append(date)
        stamps.append(logged)
        if i and rng.random() < 0.02:
            target = ids[rng.randrange(len(ids) - 1)]
            if target not in retracted:
                retracted.add(target)
                when = logged + dt.timedelta(minutes=1)
                blocks.append(
                    "[[retractions]]\n"
                    f"evidence = {q(target)}\nreason = {q(rng.choice(REASONS))}\n"
                    f"date = {when.date().isoformat()}\nlogged = {when:%Y-%m-%dT%H:%M:%SZ}\n"
                )
    if relief:
        extra = relief_blocks(n, relief, seed, dates, stamps)
        for place in sorted(extra, reverse=True):
            at = positions[place] + 1
            blocks[at:at] = extra[place]
    return "\n".join(blocks)


def main() -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic tracker.")
    parser.add_argument("n", type=int, help="number of evidence entries")
    parser.add_argument("out", type=Path, help="file to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--relief", type=int, default=0, help="number of relief entries")
    args = parser.parse_args()
    args.out.write_text(generate(args.n, args.seed, args.relief), encoding="utf-8", newline="\n")


if __name__ == "__main__":
    main()
