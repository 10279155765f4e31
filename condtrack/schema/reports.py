"""What makes two evidence entries the same report, and two relief entries the same step:
the one rule for duplicates of each.

`log`, `relief add` and `import` refuse a duplicate by it, and the records of checked bytes
keep what it needs (``condtrack.storage.remembered``: the report keys, and the relief
entries themselves), so it sits below both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from condtrack.schema.models import Evidence, Relief, measure_key
from condtrack.textsafe import folded


def report_keys(entry: Mapping[str, Any] | Evidence) -> list[str]:
    """What makes two entries the same report, as short keys: the same condition, date and
    source, saying the same thing (criterion and status, indicator and value), and the same
    summary (first key) or the same URL (second key, with a URL), text compared as
    ``comparable`` makes it.

    One article assessing two criteria on one day is two reports, not a duplicate. The one
    rule for duplicates, for `log` and `import` alike; records keep these keys so a `log`
    can check them without reading every entry.
    """
    summary: Any
    url: Any
    if isinstance(entry, Evidence):
        said: tuple[Any, ...] = (entry.criterion, entry.status, entry.indicator, entry.value)
        fields: tuple[Any, ...] = (entry.condition, entry.date, entry.source)
        summary, url = entry.summary, entry.url
    else:
        said = tuple(entry.get(name) for name in ("criterion", "status", "indicator", "value"))
        fields = (entry.get("condition"), entry.get("date"), entry.get("source"))
        summary, url = entry.get("summary"), entry.get("url")
    # Ids, dates and figures as they are; the source as text is compared.
    fields = (fields[0], fields[1], comparable(fields[2]), *said[:3], _number(said[3]))
    base = "\x00".join(str(part) for part in fields)  # no valid text holds a NUL
    keys = [_digest(f"{base}\x00summary\x00{comparable(summary)}")]
    if url:
        keys.append(_digest(f"{base}\x00url\x00{comparable(url)}"))
    return keys


def relief_step(entry: Mapping[str, Any] | Relief) -> tuple[str, str | None]:
    """What makes two relief entries the same step: the same measure (sender and measure
    as ``measure_key`` compares them), action and date (the first part, a short key) and,
    when both name one, the same instrument (the second part, as ``comparable`` makes it,
    or None).

    A relief entry records what a sender did, not who reported it: the same easing taken
    from the Treasury's notice and from a news report is one step, so the source and the
    summary are not part of it. Two licences easing one measure on one day are two steps,
    and an entry that names no instrument is the same step as one that names any.
    """
    sender: Any
    measure: Any
    action: Any
    day: Any
    instrument: Any
    if isinstance(entry, Relief):
        sender, measure, action = entry.sender, entry.measure, entry.action
        day, instrument = entry.date, entry.instrument
    else:
        sender, measure, action = entry.get("sender"), entry.get("measure"), entry.get("action")
        day, instrument = entry.get("date"), entry.get("instrument")
    parts = (*measure_key(str(sender), str(measure)), str(action), str(day))
    key = _digest("\x00".join(("relief", *parts)))
    return key, None if instrument is None else comparable(instrument)


def same_step(first: str | None, second: str | None) -> bool:
    """Two instruments (``relief_step``'s second part) of entries with the same short key:
    the same step unless both name one and they differ."""
    return first is None or second is None or first == second


def comparable(value: Any) -> str:
    """Text as the duplicate rule compares it: ``textsafe.folded``, the one normal form for
    what people type ("Reuters " and "reuters", "52  released." and "52 released.", a
    full-width or zero-width-spaced measure and the plain one are the same text)."""
    return folded(value)


def _number(value: Any) -> Any:
    """52 and 52.0 are the same figure, whichever way the file or the row spells it."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(float(value))
    return value


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def reports_of(evidence: Iterable[Evidence]) -> dict[str, str]:
    """Each report key of these entries, with the id of the first entry that made it."""
    reports: dict[str, str] = {}
    for entry in evidence:
        for key in report_keys(entry):
            reports.setdefault(key, entry.id)
    return reports
