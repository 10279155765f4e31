"""Shell completion of the ids in the tracker: conditions, criteria, indicators, evidence.

Each function here is an ``autocompletion=`` callback; Typer keeps the suggestions that
start with what is typed. Completion runs at every Tab, so it reads the TOML without
validating it (a file with a problem elsewhere still completes), and it never fails: a
missing or broken file offers nothing.
"""

from __future__ import annotations

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


def condition_ids(ctx: typer.Context) -> list[Suggestion]:
    return _offer(ctx, _conditions)


def criterion_ids(ctx: typer.Context) -> list[Suggestion]:
    return _offer(ctx, _criteria)


def indicator_ids(ctx: typer.Context) -> list[Suggestion]:
    return _offer(ctx, _indicators)


def evidence_ids(ctx: typer.Context) -> list[Suggestion]:
    """Any entry's id, as `history` takes."""
    return _offer(ctx, lambda doc, _: _evidence(doc, superseded_too=True, retracted_too=True))


def amendable_ids(ctx: typer.Context) -> list[Suggestion]:
    """The entries `amend` accepts: the latest version of each, not retracted."""
    return _offer(ctx, lambda doc, _: _evidence(doc, superseded_too=False, retracted_too=False))


def retractable_ids(ctx: typer.Context) -> list[Suggestion]:
    return _offer(ctx, lambda doc, _: _evidence(doc, superseded_too=True, retracted_too=False))


def required_conditions(ctx: typer.Context, incomplete: str) -> list[Suggestion]:
    """`check --require`: 'all', or condition ids separated by commas."""
    done, _, _ = incomplete.rpartition(",")
    prefix = f"{done}," if done else ""
    offered = [(prefix + value, text) for value, text in condition_ids(ctx)]
    return offered if prefix else [("all", "every condition"), *offered]


def _offer(ctx: typer.Context, lister: Lister) -> list[Suggestion]:
    try:
        from condtrack.storage import tomlread
        from condtrack.storage.store import locate, read_bytes

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
    document: Table, *, superseded_too: bool, retracted_too: bool
) -> Iterator[tuple[Any, Any]]:
    from condtrack.domain.chains import chain_roots

    entries = _tables(document.get("evidence"))
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
            about = [entry.get(field) for field in ("date", "condition", "summary")]
            yield entry.get("id"), " ".join(str(part) for part in about if part is not None)
