"""Shell completion of the ids in the tracker: conditions, criteria, indicators, evidence,
relief entries, and the senders and measures of the relief ledger.

Each function here is an ``autocompletion=`` callback; Typer keeps the suggestions that
start with what is typed. Completion runs at every Tab, so it reads the TOML without
validating it (a file with a problem elsewhere still completes), and it never fails: a
missing or broken file offers nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import typer

Suggestion = tuple[str, str]  # the id, and a description for shells that show one
Table = dict[str, Any]
Lister = Callable[[Table, dict[str, str]], Iterable[tuple[Any, Any]]]

# Suggestions reach a shell, and zsh evals them: ids from an unchecked file are offered
# only when made of plain characters, and descriptions keep only plain characters.
# The shape of models.EntryId, written out: importing models would load pydantic at start-up.
_PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_NOT_PLAIN_TEXT = re.compile(r"[^\w .,/%+-]+")
_DESCRIPTION_LENGTH = 60
# A measure is free text: offered only without characters that act on a terminal or end a
# line of the completion protocol (``_offerable``), and quoted for the shell that asked.
# What bash takes unquoted in a word: anything else gets a backslash before it.
_BASH_PLAIN = re.compile(r"[\w./%+@,=-]")
# zsh evals what it is given, and Typer's quoting for it is not complete: a measure is
# offered to the other shells only when made of characters no quoting can get wrong.
_PLAIN_MEASURE = re.compile(r"[\w .,:/%+@=&-]+")


def condition_ids(ctx: typer.Context) -> list[Suggestion]:
    return _offer(ctx, _conditions)


def criterion_ids(ctx: typer.Context) -> list[Suggestion]:
    return _offer(ctx, _criteria)


def indicator_ids(ctx: typer.Context) -> list[Suggestion]:
    return _offer(ctx, _indicators)


def evidence_ids(ctx: typer.Context) -> list[Suggestion]:
    """Any entry's id, evidence or relief, as `history` takes."""
    return _offer(
        ctx,
        lambda doc, _: _evidence(
            doc, superseded_too=True, retracted_too=True, tables=("evidence", "relief")
        ),
    )


def amendable_ids(ctx: typer.Context) -> list[Suggestion]:
    """The entries `amend` accepts: the latest version of each, not retracted; relief too."""
    return _offer(
        ctx,
        lambda doc, _: _evidence(
            doc, superseded_too=False, retracted_too=False, tables=("evidence", "relief")
        ),
    )


def retractable_ids(ctx: typer.Context) -> list[Suggestion]:
    """The entries `retract` accepts: any version not yet withdrawn, evidence or relief."""
    return _offer(
        ctx,
        lambda doc, _: _evidence(
            doc, superseded_too=True, retracted_too=False, tables=("evidence", "relief")
        ),
    )


def relief_ids(ctx: typer.Context) -> list[Suggestion]:
    """The relief entries `relief amend` accepts: the latest version of each, not retracted."""
    return _offer(
        ctx,
        lambda doc, _: _evidence(
            doc, superseded_too=False, retracted_too=False, tables=("relief",)
        ),
    )


def senders(ctx: typer.Context) -> list[Suggestion]:
    """The senders of the relief entries in the file, most entries first."""
    return _offer(ctx, _senders)


def measures(ctx: typer.Context) -> list[Suggestion]:
    """The measures of the relief entries in the file (of the sender on the line, if any),
    as the shell that asked needs them typed: a measure is often several words."""
    try:
        shell = _shell()
        found = _measures_in(ctx)
        return [
            (_quoted(measure, shell), about)
            for measure, about in found
            if shell == "bash" or _PLAIN_MEASURE.fullmatch(measure)
        ]
    except Exception:  # as ``_offer``: a Tab press never prints an error
        return []


def condition_lists(ctx: typer.Context, incomplete: str) -> list[Suggestion]:
    """`relief --for`: condition ids, one or several separated by commas."""
    done, _, _ = incomplete.rpartition(",")
    prefix = f"{done}," if done else ""
    return [(prefix + value, text) for value, text in condition_ids(ctx)]


def required_conditions(ctx: typer.Context, incomplete: str) -> list[Suggestion]:
    """`check --require`: 'all', or condition ids separated by commas."""
    done, _, _ = incomplete.rpartition(",")
    prefix = f"{done}," if done else ""
    offered = [(prefix + value, text) for value, text in condition_ids(ctx)]
    return offered if prefix else [("all", "every condition"), *offered]


def _offer(ctx: typer.Context, lister: Lister) -> list[Suggestion]:
    try:
        from condtrack.storage import tomlread
        from condtrack.storage.locating import locate
        from condtrack.storage.store import read_bytes

        path = locate(ctx.find_root().params.get("file"))
        # Only suggestions, never a verdict on the file: the fast reader may read it as it
        # is (every id offered is checked again when the command runs).
        text = read_bytes(path).decode("utf-8").removeprefix("\ufeff")
        document = tomlread.loads_vouched(text)
        offered: dict[str, str] = {}
        for value, text in lister(document, _given(ctx)):
            if isinstance(value, str) and _PLAIN_ID.fullmatch(value):
                offered.setdefault(value, _description(text))
        return list(offered.items())
    except Exception:  # a Tab press must never print an error: no file, no suggestions
        return []


def _given(ctx: typer.Context) -> dict[str, str]:
    """The values typed earlier on the line.

    While an option's value is being completed, Click stops parsing before it assigns the
    positional arguments; they wait, in order, in ``ctx.args``.
    """
    given = {name: value for name, value in ctx.params.items() if isinstance(value, str)}
    waiting = iter(ctx.args)
    for param in ctx.command.params:
        if param.param_type_name == "argument" and param.name and param.name not in given:
            value = next(waiting, None)
            if value is not None:
                given[param.name] = value
    return given


def _description(text: Any) -> str:
    if not isinstance(text, str):
        return ""
    plain = " ".join(_NOT_PLAIN_TEXT.sub(" ", text).split())
    if len(plain) > _DESCRIPTION_LENGTH:
        return plain[: _DESCRIPTION_LENGTH - 3].rstrip() + "..."
    return plain


def _tables(value: Any) -> list[Table]:
    """The tables of an array of tables; anything else in a hand-broken file is skipped."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _conditions(document: Table, given: dict[str, str]) -> Iterator[tuple[Any, Any]]:
    for condition in _tables(document.get("conditions")):
        yield condition.get("id"), condition.get("title")


def _chosen_conditions(document: Table, given: dict[str, str]) -> list[Table]:
    """The condition named earlier on the line, or that of the entry amended; else all."""
    conditions = _tables(document.get("conditions"))
    chosen = given.get("condition")
    if chosen is None and "evidence_id" in given:
        entries = _tables(document.get("evidence"))
        amended = [e for e in entries if e.get("id") == given["evidence_id"]]
        chosen = amended[0].get("condition") if amended else None
    return [c for c in conditions if c.get("id") == chosen] or conditions


def _criteria(document: Table, given: dict[str, str]) -> Iterator[tuple[Any, Any]]:
    for condition in _chosen_conditions(document, given):
        for criterion in _tables(condition.get("criteria")):
            yield criterion.get("id"), criterion.get("text")


def _indicators(document: Table, given: dict[str, str]) -> Iterator[tuple[Any, Any]]:
    for condition in _chosen_conditions(document, given):
        for indicator in _tables(condition.get("indicators")):
            yield indicator.get("id"), indicator.get("label")


def _evidence(
    document: Table,
    *,
    superseded_too: bool,
    retracted_too: bool,
    tables: tuple[str, ...] = ("evidence",),
) -> Iterator[tuple[Any, Any]]:
    """Entries of these tables, newest first (within each), described by date and subject."""
    from condtrack.domain.chains import chain_roots

    entries = [entry for table in tables for entry in _tables(document.get(table))]
    superseded = {e.get("supersedes") for e in entries}
    # A retraction of any version withdraws every version (condtrack.domain.chains).
    roots = chain_roots(
        (e["id"], e.get("supersedes") if isinstance(e.get("supersedes"), str) else None)
        for e in entries
        if isinstance(e.get("id"), str)
    )
    named = (r.get("evidence") for r in _tables(document.get("retractions")))
    withdrawn = {roots[i] for i in named if isinstance(i, str) and i in roots}
    for entry in reversed(entries):  # newest first, for shells that keep this order
        if (superseded_too or entry.get("id") not in superseded) and (
            retracted_too or roots.get(str(entry.get("id")), "") not in withdrawn
        ):
            fields: tuple[str, ...] = ("date", "condition", "summary")
            if "condition" not in entry:  # relief
                fields = ("date", "sender", "action", "measure")
            about = [entry.get(field) for field in fields]
            yield entry.get("id"), " ".join(str(part) for part in about if part is not None)


def _senders(document: Table, given: dict[str, str]) -> Iterator[tuple[Any, Any]]:
    counts: dict[str, int] = {}
    for entry in _tables(document.get("relief")):
        sender = entry.get("sender")
        if isinstance(sender, str):
            counts[sender] = counts.get(sender, 0) + 1
    for sender, count in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])):
        yield sender, f"{count} relief {'entry' if count == 1 else 'entries'}"


def _measures_in(ctx: typer.Context) -> list[Suggestion]:
    """Each measure once (case and spacing aside), as first written, newest first."""
    from condtrack.storage import tomlread
    from condtrack.storage.locating import locate
    from condtrack.storage.store import read_bytes
    from condtrack.textsafe import folded

    path = locate(ctx.find_root().params.get("file"))
    text = read_bytes(path).decode("utf-8").removeprefix("\ufeff")
    entries = _tables(tomlread.loads_vouched(text).get("relief"))
    sender = _given(ctx).get("sender")
    wanted = folded(sender) if sender else None
    offered: dict[str, Suggestion] = {}
    for entry in reversed(entries):
        measure, by = entry.get("measure"), entry.get("sender")
        if not isinstance(measure, str) or not isinstance(by, str):
            continue
        if wanted is not None and folded(by) != wanted:
            continue
        written = " ".join(measure.split())
        if not written or not _offerable(written) or len(written) > 300:
            continue
        offered.setdefault(folded(written), (written, _description(by)))  # as grouped
    return list(offered.values())


def _offerable(text: str) -> bool:
    """No control, format (bidi, zero-width), private, unassigned or separator character
    other than the plain space: nothing a terminal acts on or a reader cannot see."""
    import unicodedata

    return all(
        c == " "
        or (unicodedata.category(c)[0] != "C" and unicodedata.category(c)[0:2] not in ("Zl", "Zp"))
        for c in text
    )


def _shell() -> str:
    """The shell asking, from the variable its completion script sets (``complete_bash``)."""
    for name, value in os.environ.items():
        if name.endswith("_COMPLETE") and value.startswith("complete_"):
            return value.removeprefix("complete_")
    return "bash"


def _quoted(value: str, shell: str) -> str:
    """``value`` as the shell needs it typed.

    bash puts a suggestion on the command line as it is: each character it would read
    otherwise gets a backslash (the suggestion still starts with the plain words typed so
    far, so it is offered as they are typed). zsh and fish quote what they insert
    themselves; PowerShell gets a single-quoted string when the value has a space.
    """
    if shell == "bash":
        return "".join(c if _BASH_PLAIN.fullmatch(c) else "\\" + c for c in value)
    if shell in ("powershell", "pwsh") and " " in value:
        return f"'{value}'"  # a plain measure holds no quote
    return value
