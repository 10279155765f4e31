"""Rich renderables for an analyst at a terminal.

All user text enters as ``rich.text.Text`` built from ``visible()`` strings, so markup
like ``[bold]`` and escape sequences in evidence are shown, never interpreted. Status is
always spelled out: colour helps but is never the only signal.

Ids are never broken or cut, whatever the width: a table's columns are each at least as
wide as the longest id in them, text wraps at spaces, and where the columns cannot all
fit, each row becomes a block of lines (see ``Grid``). An id longer than the terminal is
wider than it is, never cut (the terminal wraps it for show; copied, it is whole).
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TextIO, cast

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.padding import Padding
from rich.segment import Segment
from rich.text import Text

from condtrack.domain.knowledge import KnownAt, utc_day
from condtrack.domain.listing import Cut, Listing, per_subject
from condtrack.domain.relief import Ledger, Measure, Step, tied_to
from condtrack.domain.scoring import (
    Assessment,
    ConditionResult,
    IndicatorResult,
    format_number,
    format_score,
)
from condtrack.render.figures import (
    ARROWS,
    ahead_text,
    arithmetic,
    change_summary,
    explained_entries,
    relief_summary,
    renewed,
    sparkline,
)
from condtrack.schema import shapes
from condtrack.schema.models import Evidence, Relief, Retraction, Tracker
from condtrack.textsafe import counted, one_line, visible

if TYPE_CHECKING:
    from condtrack.domain.changes import Changes
    from condtrack.domain.history import Chain

STATUS_STYLES = {
    "met": "bold green",
    "partial": "yellow",
    "not-met": "red",
    "unknown": "dim",
    "regressed": "bold magenta",
}


class _Uncropped(Console):
    """Rich crops every printed line to the terminal; an id longer than it must stay whole."""

    def print(self, *objects: Any, crop: bool = False, **options: Any) -> None:
        super().print(*objects, crop=crop, **options)


MAX_WIDTH = 500  # columns: wider than any terminal
MIN_WIDTH = 20  # narrower, a table has no room for a word


def console(*, stderr: bool = False) -> Console:
    # Rich turns colour off by itself when the output is not a terminal or NO_COLOR is set.
    stream = sys.stderr if stderr else sys.stdout
    narrow = stream is not None and not _encodes_everything(getattr(stream, "encoding", None))
    made = _Uncropped(
        file=cast("TextIO", _Narrowed(stream)) if narrow else None,
        stderr=stderr,
        highlight=False,
        soft_wrap=False,
    )
    # COLUMNS is the user's to set, to any number: wider than any screen, tables would pad
    # every line to it (and Rich overflows past C integers); at 0, Rich prints nothing.
    made.width = max(MIN_WIDTH, min(made.width, MAX_WIDTH))
    return made


def as_text(view: RenderableType) -> str:
    """A view as plain text for a file (``-o``): no colour or other terminal styling, as
    wide as the view at this terminal (``COLUMNS``, else the terminal's, else 80)."""
    buffer = io.StringIO()
    _Uncropped(
        file=buffer,
        width=console().width,
        color_system=None,
        force_terminal=False,
        highlight=False,
        soft_wrap=False,
    ).print(view)
    return buffer.getvalue()


def _encodes_everything(encoding: str | None) -> bool:
    try:
        return encoding is None or codecs.lookup(encoding).name.startswith("utf")
    except LookupError:
        return False


class _Narrowed:
    """A console whose encoding lacks characters (``LC_ALL=C``, a Windows code page): each
    one it cannot show becomes ASCII of the same width (``—`` a ``-``, ``Ж`` a ``?``), so
    tables stay aligned. Rich sees the encoding and draws its boxes in ASCII itself."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.encoding = stream.encoding

    def write(self, text: str) -> int:
        try:
            text.encode(self.encoding)
        except UnicodeEncodeError:
            text = "".join(_narrowed(c, self.encoding) for c in text)
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno ...
        return getattr(self._stream, name)


def _narrowed(char: str, encoding: str) -> str:
    try:
        char.encode(encoding)
        return char
    except UnicodeEncodeError:
        pass
    if char in _ASCII_LOOKALIKES:
        return _ASCII_LOOKALIKES[char]
    if "\u2500" <= char <= "\u257f":  # box drawing
        name = unicodedata.name(char, "")
        return "-" if "HORIZONTAL" in name else "|" if "VERTICAL" in name else "+"
    return "?" * cell_len(char)


_ASCII_LOOKALIKES = {
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    **dict.fromkeys("\u2018\u2019\u201a\u2032", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u2033", '"'),
    **{"\u2026": ".", "\u2022": "*", "\u00b7": ".", "\u00d7": "x", "\u00a0": " "},
    **{ARROWS["up"]: "^", ARROWS["down"]: "v", ARROWS["flat"]: ">", "\u2190": "<"},
    **{chr(0x2580 + level): str(level) for level in range(1, 9)},  # a sparkline's heights
}


def user(text: str, style: str = "") -> Text:
    """User-supplied text, shown literally."""
    return Text(visible(text), style=style)


class Whole:
    """Text wrapped at spaces only: a word wider than the terminal goes past its edge.

    (Rich folds such a word, or with ``overflow="ignore"`` stops wrapping altogether.)
    """

    def __init__(self, text: Text, indent: int = 0, hanging: int | None = None) -> None:
        self.text = text
        self.indent = indent
        self.hanging = indent if hanging is None else hanging  # a wrapped line's indent

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.hanging == self.indent:
            lines = [
                (self.indent, line)
                for line in at_spaces(self.text, options.max_width - self.indent)
            ]
        else:
            lines = [
                (self.hanging if number else self.indent, line)
                for paragraph in self.text.split("\n", allow_blank=True)
                for number, line in enumerate(
                    at_spaces(
                        paragraph,
                        options.max_width - self.indent,
                        options.max_width - self.hanging,
                    )
                )
            ]
        for indent, line in lines:
            if indent:
                yield Segment(" " * indent)
            yield from line.render(console)
            yield Segment.line()


def whole(text: Text) -> Whole:
    return Whole(text)


_WORD = re.compile(r"\S+\s*")


def at_spaces(text: Text, width: int, later: int | None = None) -> list[Text]:
    """``text`` broken into lines of at most ``width`` cells (``later``: the lines after
    a paragraph's first), only where it has spaces."""
    lines: list[Text] = []
    for line in text.split("\n", allow_blank=True):
        plain = line.plain
        if cell_len(plain) <= width:
            lines.append(line)
            continue
        breaks, used, limit = [], 0, width
        for match in _WORD.finditer(plain):
            word = match.group()
            if used and used + cell_len(word.rstrip()) > limit:
                breaks.append(match.start())
                used, limit = 0, width if later is None else later
            used += cell_len(word)
        for piece in line.divide(breaks):
            piece.rstrip()
            lines.append(piece)
    return lines


def status_label(status: str) -> Text:
    return Text(status, style=STATUS_STYLES.get(status, ""))


@dataclass(frozen=True)
class Column:
    header: str
    wraps: bool = False  # free text: wraps at spaces in whatever width is left
    justify: Literal["left", "right"] = "left"
    head: bool = False  # in blocks (narrow terminals), on the row's first line ...
    label: str = ""  # ... after this word
    lead: bool = False  # in blocks, on a line of their own before the other heads
    empty: str = ""  # an empty cell's stand-in in a table (blocks leave it out)


_PUNCTUATION = ":;,.()[]→="


class Grid:
    """A table whose columns are never narrower than the longest id in them.

    Columns that do not wrap are as wide as their widest cell; wrapping ones get what is
    left, but never less than their longest id (``ids``: the words never to break), and
    never less than their longest word when the terminal has room for that: text breaks
    inside a word only when it cannot wrap at a space. With ``whole_words`` no word is
    ever broken. When the terminal is too narrow for that, each row is a block: the
    ``head`` cells on one line, the others below it, indented. Rows are rendered one by
    one, so thousands of them cost little more than their text.
    """

    def __init__(
        self, *columns: Column, ids: Iterable[str] = (), title: Text | None = None,
        lines: bool | Literal["wrapped"] = False, whole_words: bool = False,
        caption: RenderableType | None = None,
    ) -> None:  # fmt: skip
        self.columns = columns
        self.ids = set(ids)
        self.title = title
        self.lines = lines  # a blank line between rows ("wrapped": when any row wraps)
        self.whole_words = whole_words
        self.caption = caption  # under the table, in either layout
        self.rows: list[list[Text]] = []

    def add_row(self, *cells: Text | str) -> None:
        self.rows.append([cell if isinstance(cell, Text) else Text(cell) for cell in cells])

    def widths(self, available: int) -> list[int] | None:
        """Each column's width within ``available`` cells, or None when they cannot fit."""
        natural = [cell_len(c.header) for c in self.columns]
        floor = list(natural)
        # Each column's longest word, its header's included (a header may wrap).
        longest = [max(map(cell_len, c.header.split()), default=0) for c in self.columns]
        ids = [0] * len(self.columns)  # each column's longest id
        for row in self.rows:
            for index, (column, cell) in enumerate(zip(self.columns, row, strict=True)):
                plain = cell.plain
                width = max(map(cell_len, plain.split("\n"))) if "\n" in plain else cell_len(plain)
                natural[index] = max(natural[index], width)
                if column.wraps and (self.ids or width > longest[index]):
                    words = plain.split()
                    if words and width > longest[index]:
                        longest[index] = max(longest[index], *map(cell_len, words))
                    if self.ids:
                        for word in words:
                            if word.strip(_PUNCTUATION) in self.ids:
                                ids[index] = max(ids[index], cell_len(word))
        floor, unbroken = list(floor), list(longest)
        for index, column in enumerate(self.columns):
            if column.wraps:  # never narrower than an id; ideally than any word
                floor[index] = max(floor[index], ids[index])
                unbroken[index] = max(unbroken[index], ids[index])
            else:
                floor[index] = unbroken[index] = natural[index]
        room = available - 2 * len(self.columns)
        if sum(natural) <= room:
            return natural
        if self.whole_words:
            whole = [max(f, u) for f, u in zip(floor, unbroken, strict=True)]
            return _shared(self.columns, whole, natural, room)
        widths = _shared(self.columns, floor, natural, room)
        if widths is None or all(w >= u for w, u in zip(widths, unbroken, strict=True)):
            return widths
        # Some word would break: let headers wrap at their spaces, and keep whole the
        # words of as many columns as fit, those that need the least room first.
        raised = list(unbroken)
        for index in sorted(range(len(floor)), key=lambda i: unbroken[i] - floor[i]):
            if sum(raised) - raised[index] + max(floor[index], unbroken[index]) <= room:
                raised[index] = max(floor[index], unbroken[index])
        return _shared(self.columns, raised, natural, room) or widths

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self._table(console, options)
        if self.caption is not None:
            yield self.caption

    def _table(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.title is not None:
            yield Whole(self.title)
        widths = self.widths(options.max_width)
        if widths is None:
            yield from self._blocks(console, options.max_width)
            return
        yield from self._line(console, [Text(c.header, style="bold") for c in self.columns],
                              widths, with_rule=True)  # fmt: skip
        spaced = self.lines is True or (self.lines == "wrapped" and self._wraps(widths))
        for number, row in enumerate(self.rows):
            if spaced and number:
                yield Segment.line()
            cells = [
                Text(c.empty, style="dim") if c.empty and not cell.plain else cell
                for c, cell in zip(self.columns, row, strict=True)
            ]
            yield from self._line(console, cells, widths)

    def _wraps(self, widths: list[int]) -> bool:
        """Whether any row takes more than one line at these widths."""
        return any(
            "\n" in cell.plain or cell_len(cell.plain) > width
            for row in self.rows
            for cell, width in zip(row, widths, strict=True)
        )

    def _line(
        self, console: Console, cells: list[Text], widths: list[int], *, with_rule: bool = False
    ) -> Iterable[Segment]:
        wrapped = [
            _wrapped(console, cell, width) for cell, width in zip(cells, widths, strict=True)
        ]
        for number in range(max(len(lines) for lines in wrapped)):
            yield Segment(" ")
            for index, (lines, width) in enumerate(zip(wrapped, widths, strict=True)):
                line = lines[number] if number < len(lines) else None
                used = cell_len(line.plain) if line is not None else 0
                before = width - used if self.columns[index].justify == "right" else 0
                if index:
                    yield Segment("  ")
                if before:
                    yield Segment(" " * before)
                if line is not None:
                    yield from _segments(console, line)
                if width - used - before:
                    yield Segment(" " * (width - used - before))
            yield Segment(" ")
            yield Segment.line()
        if with_rule:
            yield Segment(
                " " + "─" * (sum(widths) + 2 * (len(widths) - 1)) + " ", console.get_style("dim")
            )
            yield Segment.line()

    def _blocks(self, console: Console, width: int) -> Iterable[Segment]:
        """Each row as lines: a wrapping first column on its own (a title and its id), then
        the other ``head`` cells on one line, then each other cell, indented."""
        options = console.options.update_width(width)
        for number, row in enumerate(self.rows):
            if number:
                yield Segment.line()
            cells = list(zip(self.columns, row, strict=True))
            leads = [cell for column, cell in cells if column.lead]
            if leads:
                first = Text("  ").join(Text(" ").join(c.split("\n")) for c in leads)
                yield from console.render(Whole(first, hanging=4), options)
                cells = [(column, cell) for column, cell in cells if not column.lead]
            elif cells[0][0].wraps:
                yield from console.render(Whole(cells[0][1]), options)
                cells = cells[1:]
            heads: list[Text] = []
            for column, cell in cells:
                if column.head and cell.plain:
                    head = Text(column.label + " ", style="dim") if column.label else Text()
                    heads.append(head + Text(" ").join(cell.split("\n")))
            indent = 4 if len(cells) < len(row) else 0
            for line in _packed(heads, width - indent):
                yield from console.render(Whole(line, indent=indent), options)
            for column, cell in cells:
                if not column.head and cell.plain:
                    yield from console.render(Whole(cell, indent=4), options)


def _packed(cells: Sequence[Text], width: int) -> list[Text]:
    """Cells on as few lines as fit in ``width``, two spaces apart, each kept on one line
    where it fits (a label with its value: "score 8", "ahead: 0/100")."""
    lines: list[Text] = []
    for cell in cells:
        if lines and cell_len(lines[-1].plain) + 2 + cell_len(cell.plain) <= width:
            lines[-1] = Text.assemble(lines[-1], "  ", cell)
        else:
            lines.append(cell)
    return lines


def _shared(
    columns: Sequence[Column], floor: list[int], natural: list[int], room: int
) -> list[int] | None:
    """Widths from ``floor`` up to ``natural``, the spare room shared evenly among the
    wrapping columns; None when even the floor does not fit."""
    if sum(floor) > room:
        return None
    widths, spare = list(floor), room - sum(floor)
    wanting = [i for i, c in enumerate(columns) if c.wraps and natural[i] > floor[i]]
    while spare and wanting:  # share what is left evenly, up to what each would use
        share = max(1, spare // len(wanting))
        for index in list(wanting):
            give = min(share, natural[index] - widths[index], spare)
            widths[index] += give
            spare -= give
            if widths[index] >= natural[index]:
                wanting.remove(index)
            if not spare:
                break
    return widths


def _segments(console: Console, line: Text) -> Iterable[Segment]:
    if line.spans or line.style:
        return line.render(console)
    return (Segment(line.plain),)  # most cells: no style to work out


def _wrapped(console: Console, cell: Text, width: int) -> list[Text]:
    plain = cell.plain
    if "\n" not in plain and cell_len(plain) <= width:
        return [cell]
    return list(cell.wrap(console, width, overflow="fold"))


def status_view(assessment: Assessment, ledger: Ledger | None = None) -> RenderableType:
    heading = Text.assemble(
        user(assessment.title, "bold"), f" — as of {assessment.as_of}{_known(assessment)}"
    )
    table = Grid(
        Column("Condition", wraps=True, head=True),
        Column("Status", head=True),
        Column("Score", justify="right", head=True, label="score"),
        Column("Key figures", wraps=True),
        Column("Last evidence", head=True, label="latest"),
        ids=_tracker_ids(c.condition for c in assessment.conditions),
        title=heading,
        lines=True,
    )
    notes: list[RenderableType] = []
    for result in assessment.conditions:
        name = Text.assemble(user(result.condition.title, "bold"), "\n", (result.id, "dim"))
        status = status_label(result.status)
        if result.snapback:
            status.append("\nSNAPBACK", style="bold white on red")
        last = Text(str(result.last_evidence) if result.last_evidence else "none")
        if result.stale_since is not None:
            last.append(f"\nstale since\n{result.stale_since}", style="yellow")
        score = Text(format_score(result.score))
        if result.direction is not None:
            style = {"up": "green", "down": "red"}.get(result.direction, "dim")
            score.append(" " + ARROWS[result.direction], style=style)
        table.add_row(
            name,
            status,
            score,
            _key_figures(result, assessment),
            last,
        )
        for warning in result.warnings:
            if warning.code != "stale":  # shown beside the date already
                style = "bold red" if warning.code == "snapback" else "yellow"
                notes.append(
                    whole(Text.assemble((f"! {result.id}: ", style), user(warning.message, style)))
                )
    parts: list[RenderableType] = [table, *notes]
    if ledger is not None and ledger.measures:
        parts += [Text(), relief_table(ledger)]
    parts.append(whole(verdict_line(assessment)))
    if ledger is not None and ledger.measures:
        style = "bold red" if ledger.ahead or ledger.snapback_due else "green"
        parts.append(whole(user(relief_summary(ledger), style)))
    return Group(*parts)


def relief_table(
    ledger: Ledger,
    measures: Sequence[Measure] | None = None,
    title: Text | None = None,
    note: str = "",
) -> RenderableType:
    """Each measure (``measures``: these of the ledger's): who, what, by which instrument,
    its state since when, and whether it took effect ahead of compliance.

    What every row would repeat is said once, under the table: what "ahead" means under
    the tracker's policy. A row says only its score on the day it took effect (its "since"
    date). Text wraps at spaces; no word is broken (a word wider than the terminal puts
    the table in blocks, one per measure, where it runs past the edge, whole).
    """
    shown = ledger.measures if measures is None else measures
    table = Grid(
        Column("Sender", head=True, lead=True),
        Column("Measure", wraps=True, lead=True),
        Column("Instrument", wraps=True, empty="—"),
        Column("State", head=True),
        Column("Since", head=True, label="since", empty="—"),
        Column("Sequencing", head=True),
        title=Text("Relief", style="bold") if title is None else title,
        lines="wrapped",
        whole_words=True,
        caption=_sequencing_caption(ledger.policy, shown, note),
    )
    for measure in shown:
        words = measure.state.replace("-", " ") + (", renewed" if renewed(measure) else "")
        state = Text(words, style=_STATE_STYLES.get(measure.state, ""))
        if measure.snapback_due:
            state.append("\nSNAPBACK DUE", style="bold white on red")
        verdict = ""
        if measure.in_effect and measure.event is not None:
            verdict = sequencing_text(measure.event)
        table.add_row(
            user(one_line(measure.sender)),
            user(one_line(measure.measure)),
            user(one_line(measure.instrument or "")),
            state,
            str(measure.since or ""),
            Text(verdict, style="red" if measure.ahead else ""),
        )
    return table


def _sequencing_caption(
    policy: str, measures: Sequence[Measure], note: str = ""
) -> RenderableType | None:
    """What the Sequencing column's words mean, once, under the table; then ``note``."""
    words = []
    if any(m.in_effect and m.event is not None for m in measures):
        required = (
            "the conditions it was granted for (every condition, if it names none)"
            if policy == "linked"
            else "every condition"
        )
        words.append(
            f'Sequencing (relief_requires = "{policy}"): "ahead: N/100" = took effect before '
            f"{required} was met, when the overall score was N; "
            '"in step" = took effect once met.'
        )
    if note:
        words.append(note)
    return Whole(Text(" ".join(words), style="dim")) if words else None


def sequencing_text(step: Step) -> str:
    """An easing entry's verdict in a table whose caption says what it means: "ahead:
    8/100" (the overall score on the day it took effect), or "in step"."""
    if step.ahead is None:
        return ""
    return f"ahead: {format_score(step.compliance.score)}/100" if step.ahead else "in step"


def relief_view(ledger: Ledger, known: KnownAt | None = None) -> RenderableType:
    """The ledger for `relief list`: every entry, oldest first, with its verdict (as known
    at ``known``, when --known-at cut it)."""
    known_text = "" if known is None else f", as known at {known.text}"
    table = Grid(
        Column("date", head=True),
        Column("id", head=True),
        Column("sender", head=True),
        Column("measure: action", wraps=True),
        Column("sequencing", wraps=True),
        Column("summary (source)", wraps=True),
        title=Text(
            f"{counted(len(ledger.steps), 'relief entry')}, as of {ledger.as_of}{known_text}"
        ),
    )
    for step in ledger.steps:
        entry = step.entry
        what = _relief_step(entry, f": {entry.action}")
        summary = Text.assemble(
            user(one_line(entry.summary)), " (", user(one_line(entry.source), "dim"), ")"
        )
        verdict = user(one_line(ahead_text(step)), "red" if step.ahead else "")
        if step.excluded is not None:  # not judged: why it does not count instead
            verdict.stylize("yellow")
        table.add_row(
            str(entry.date),
            Text(entry.id, style="dim strike" if not step.counts else ""),
            entry.sender,
            what,
            verdict,
            summary,
        )
    return table


_STATE_STYLES = {"in-effect": "yellow", "reimposed": "green", "expired": "dim", "in-force": ""}


def _known(assessment: Assessment) -> str:
    """ ", as known at T" when the assessment is of what was known then (--known-at)."""
    known = assessment.known_at
    return "" if known is None else f", as known at {known.text}"


def _tracker_ids(conditions: Iterable[Any]) -> set[str]:
    """The ids of these conditions, their criteria and indicators: never to be broken."""
    ids: set[str] = set()
    for condition in conditions:
        ids.add(condition.id)
        ids.update(c.id for c in condition.criteria)
        ids.update(i.id for i in condition.indicators)
    return ids


def verdict_line(assessment: Assessment) -> Text:
    overall = assessment.overall
    line = Text("Overall: ")
    line.append_text(status_label(overall.status))
    line.append(f", score {format_score(overall.score)}/100 — ")
    if overall.relief_ready:
        line.append("relief-ready: every condition is met", style="bold green")
    else:
        unmet = sum(1 for c in assessment.conditions if c.status != "met")
        line.append(f"not relief-ready: {unmet} of {len(assessment.conditions)} conditions unmet")
    if overall.snapback:
        line.append(
            "\nSNAPBACK triggered: a snapback condition was met and no longer is", "bold red"
        )
    return line


def _key_figures(result: ConditionResult, assessment: Assessment) -> Text:
    lines = [_figure(i, assessment) for i in result.indicators]
    shown = [line for line in lines if line is not None]
    for offset in result.offsets:
        if offset.inflow_observed:
            shown.append(
                Text.assemble(
                    user(offset.label),
                    f" net {format_number(offset.net)}",
                    style="red" if offset.warning else "",
                )
            )
    return Text("\n").join(shown) if shown else Text("—", style="dim")


def _figure(result: IndicatorResult, assessment: Assessment) -> Text | None:
    indicator = result.indicator
    if indicator.kind == "flow":
        if result.window_total is None or (not result.window_total and result.value is None):
            return None
        figure = f"{format_number(result.window_total)} in {assessment.window_days}d"
    else:
        if result.value is None:
            return None
        start = assessment.as_of - dt.timedelta(days=assessment.window_days)
        recent = [o.value for o in result.history if o.date > start]
        figure = format_number(result.value)
        if spark := sparkline(recent):
            figure += " " + spark
    line = Text.assemble((indicator.id, "cyan"), " ", figure)
    if result.trend is not None:
        improving = result.improving
        style = "green" if improving else "red" if improving is False else "dim"
        line.append(" " + ARROWS[result.trend], style=style)
    return line


def explain_view(
    result: ConditionResult,
    assessment: Assessment,
    entries: Mapping[str, Evidence],
    cut: Cut | None = None,
    relief: Ledger | None = None,
) -> RenderableType:
    condition = result.condition
    head = Text.assemble(
        user(condition.title, "bold"),
        f" ({condition.id}) — ",
        status_label(result.status),
        f", score {format_score(result.score)}/100 as of {assessment.as_of}{_known(assessment)}",
    )
    parts: list[RenderableType] = [whole(head)]
    if condition.text:
        parts.append(user(condition.text, "italic"))
    decided_by = {c.verdict.decided_by or "" for c in result.criteria} & set(entries)
    criteria = Grid(
        Column("criterion", head=True),
        Column("weight", head=True, label="weight"),
        Column("status", head=True),
        Column("score", head=True, label="score"),
        Column("decided by", wraps=True),
        ids=_tracker_ids([condition]) | decided_by,
        title=Text("Criteria", style="italic"),
    )
    for criterion in result.criteria:
        verdict = criterion.verdict
        decided = user(verdict.reason)
        if verdict.decided_by and verdict.decided_by in entries:
            decided.append("\n")
            decided.append_text(
                user(
                    f"{verdict.decided_by}: {one_line(entries[verdict.decided_by].summary)}", "dim"
                )
            )
        criteria.add_row(
            Text(criterion.id),
            f"{criterion.weight:g}",
            status_label(verdict.status),
            f"{verdict.score:.4g}",
            decided,
        )
    parts.append(criteria)
    parts.append(Text())
    parts.append(Text(arithmetic(result)))
    if result.status == "regressed":
        parts.append(Text(f"regressed: met on {result.last_met}, no longer met", "bold magenta"))
    elif result.met_since:
        parts.append(Text(f"met since {result.met_since}", "green"))
    for offset in result.offsets:
        observed = "" if offset.inflow_observed else f" (no {offset.inflow} observed)"
        parts.append(
            Text.assemble(
                user(offset.label),
                f": {offset.outflow} {format_number(offset.outflow_total)}, "
                f"{offset.inflow} {format_number(offset.inflow_total)}, "
                f"net {format_number(offset.net)} over {assessment.window_days} days{observed}",
                style="red" if offset.warning else "",
            )
        )
    parts.append(_timeline(result, entries, cut or Cut()))
    if relief is not None and relief.measures:
        parts += [Text(), _tied_relief(relief, condition.id)]
    return Group(*parts)


def _tied_relief(relief: Ledger, condition: str) -> RenderableType:
    """The measures granted for this condition (or for none named), and which policy
    decides whether they ran ahead of it."""
    tied = tied_to(relief, condition)
    granted = [
        m for m in relief.measures if m.event is not None and m.event.entry.action != "renewed"
    ]
    others = len(granted) - len(tied)
    linked = relief.policy == "linked"
    notes = []
    if not any(m.in_effect for m in tied):  # else the table's caption names the policy
        notes.append(
            'Sequencing is decided by relief_requires = "linked": a measure waits only on '
            "the conditions it was granted for (on every condition, if it names none)."
            if linked
            else 'Sequencing is decided by relief_requires = "all": every measure waits on '
            "every condition."
        )
    if others:
        more = "1 more measure, granted" if others == 1 else f"{others} more measures, granted"
        if linked:
            verb = "does not wait" if others == 1 else "do not wait"
            notes.append(f"{more} for other conditions only, {verb} on this one.")
        else:
            verb = "waits" if others == 1 else "wait"
            notes.append(f"{more} for other conditions only, {verb} on this one too.")
    note = " ".join(notes)
    title = Text("Relief tied to this condition", style="bold")
    if not tied:
        title.append(": none")
        return Group(whole(title), whole(Text(note, style="dim")))
    title.append(" (granted for it, or for no named condition)")
    return relief_table(relief, tied, title=title, note=note)


def _timeline(result: ConditionResult, entries: Mapping[str, Evidence], cut: Cut) -> RenderableType:
    counted = {e.id for e in result.counted}
    excluded = {x.evidence: x.reason for x in result.excluded}
    rows = explained_entries(result, entries)
    if not rows:
        return Text("Evidence: none logged", style="dim")
    listing = per_subject(rows, cut)
    title = Text("Evidence, oldest first", style="bold")
    if listing.left_out:
        title.append(
            f": {len(listing.shown)} of {len(rows)} entries, {cut.wording} of each criterion, "
            f"each indicator and the context; {listing.left_out} left out",
        )
    items: list[RenderableType] = [title]
    for entry in listing.shown:
        line = Text.assemble(
            (str(entry.date), "bold"),
            "  ",
            (entry.id, "" if entry.id in counted else "dim strike"),
            (f"  logged {utc_day(entry.logged)}", "dim"),
            "  ",
            _what(entry),
            "  ",
            (f"[{entry.reliability}] ", "dim"),
            user(one_line(entry.source), "dim"),
        )
        items.append(whole(line))
        items.append(Padding(user(one_line(entry.summary)), (0, 0, 0, 4)))
        if entry.id in excluded:
            note = user(f"not counted: {excluded[entry.id]}", "yellow")
            items.append(Padding(note, (0, 0, 0, 4)))
    return Group(*items)


def _what(entry: Evidence) -> Text:
    parts = []
    if entry.criterion:
        parts.append(f"{entry.criterion}: {entry.status}" if entry.status else entry.criterion)
    if entry.indicator:
        parts.append(f"{entry.indicator} = {format_number(entry.value)}")
    return Text("; ".join(parts) or "context", style="cyan")


def conditions_view(tracker: Tracker) -> RenderableType:
    table = Grid(
        Column("Condition", wraps=True, head=True),
        Column("Criteria", wraps=True),
        Column("Indicators", wraps=True),
        ids=_tracker_ids(tracker.conditions),
        title=user(tracker.header.tracker.title, "italic"),
        lines=True,
    )
    for condition in tracker.conditions:
        name = Text.assemble((condition.id, "bold"), "\n", user(condition.title))
        if condition.snapback:
            name.append("\nsnapback", style="red")
        criteria = Text("\n").join(
            Text.assemble((c.id, "cyan"), " ", user(one_line(c.text), "dim"))
            for c in condition.criteria
        )
        indicators = Text("\n").join(
            Text.assemble(
                (i.id, "cyan"),
                f" {i.kind}, {i.better} is better",
                f", target {format_number(i.target)}" if i.target is not None else "",
                f" → {i.criterion}" if i.criterion else "",
            )
            for i in condition.indicators
        ) or Text("—", style="dim")
        table.add_row(name, criteria, indicators)
    return table


def evidence_view(
    entries: Sequence[Evidence] | Listing, retractions: Mapping[str, Retraction]
) -> RenderableType:
    listing = entries if isinstance(entries, Listing) else Listing(list(entries), len(entries))
    title = counted(len(listing.shown), "evidence entry")
    if listing.left_out:
        title = (
            f"{len(listing.shown)} of {listing.total} evidence entries, {listing.cut.wording}; "
            f"{listing.left_out} left out"
        )
    shown = listing.shown
    table = Grid(
        Column("date", head=True),
        Column("logged", head=True),
        Column("id", head=True),
        Column("condition: what", wraps=True),
        Column("grade", head=True),
        Column("summary (source)", wraps=True),
        ids={w for e in shown for w in (e.condition, e.criterion, e.indicator) if w},
        title=Text(title),
    )
    for entry in shown:
        retraction = retractions.get(entry.id)
        summary = Text.assemble(
            user(one_line(entry.summary)), " (", user(one_line(entry.source), "dim"), ")"
        )
        if retraction is not None:
            summary.append_text(
                user(f"\nretracted {retraction.date}: {one_line(retraction.reason)}", "yellow")
            )
        table.add_row(
            str(entry.date),
            str(utc_day(entry.logged)),
            Text(entry.id, style="dim strike" if retraction else ""),
            Text.assemble(entry.condition, ": ", _what(entry)),
            entry.reliability,
            summary,
        )
    return table


def changes_view(changes: Changes) -> RenderableType:
    table = Grid(
        Column("Condition", head=True),
        Column("Status", head=True),
        Column("Score", justify="right", head=True, label="score"),
        Column("Evidence", justify="right", head=True, label="evidence"),
        Column("Moves", wraps=True),
        ids={w for c in changes.conditions for m in (*c.criteria, *c.indicators) for w in (m.id,)},
        title=Text(_span(changes)),
        lines=True,
    )
    for change in changes.conditions:
        before, after = change.before, change.after
        status = status_label(before.status)
        if before.status != after.status:
            status.append("\n→ ")
            status.append_text(status_label(after.status))
        evidence = f"+{len(change.added)}"
        if change.retracted:
            evidence += f"\n-{len(change.retracted)} retracted"
        moves = Text("\n").join(
            [Text(m) for m in change_summary(change)]
            + [user(w.message, "yellow") for w in change.new_warnings]
        )
        table.add_row(
            Text(change.id, style="bold" if change.changed else "dim"),
            status,
            f"{format_score(before.score)} → {format_score(after.score)}",
            evidence,
            moves if moves.plain else Text("no change", style="dim"),
        )
    old, new = changes.before.overall, changes.after.overall
    line = Text(f"Overall: score {format_score(old.score)} → {format_score(new.score)}, ")
    line.append_text(status_label(old.status))
    if old.status != new.status:
        line.append(" → ")
        line.append_text(status_label(new.status))
    if changes.relief is None:
        return Group(table, line)
    return Group(table, line, Text(), _relief_changes(changes))


def _relief_changes(changes: Changes) -> RenderableType:
    """The relief entries between the two points, with their marks, and the measures whose
    state changed."""
    relief = changes.relief
    assert relief is not None
    span = (
        f"dated from {changes.since + dt.timedelta(days=1)} to {changes.until}"
        if changes.by == "event"
        else f"logged since {changes.since}"
    )
    if not relief.changed:
        return whole(Text(f"Relief: no entries {span}, and no measure changed state", "dim"))
    parts: list[RenderableType] = []
    if relief.added or relief.retracted:
        marks = [Column("Marks", wraps=True)] if relief.marks else []
        entries = Grid(
            Column("Date", head=True),
            Column("Id", head=True),
            Column("Sender", head=True),
            Column("Measure: action", wraps=True),
            *marks,
            title=Text(f"Relief entries {span}", style="bold"),
            lines="wrapped",
            whole_words=True,
        )
        rows = [(entry, Text(f": {entry.action}")) for entry in relief.added]
        rows += [
            (entry, user(f": retracted on {r.date}: {one_line(r.reason)}", "yellow"))
            for r, entry in relief.retracted
            if entry is not None
        ]
        for entry, action in rows:
            what = _relief_step(entry, action)
            mark = [Text(relief.marks.get(entry.id, ""), style="cyan")] if marks else []
            entries.add_row(str(entry.date), entry.id, user(entry.sender), what, *mark)
        parts.append(entries)
    if relief.states:
        if parts:
            parts.append(Text())
        states = Grid(
            Column("Sender", head=True, lead=True),
            Column("Measure", wraps=True, lead=True),
            Column("State then → now", wraps=True),
            Column("Deciding entry", head=True),
            title=Text("Measures whose state changed", style="bold"),
            lines="wrapped",
            whole_words=True,
        )
        for m in relief.states:
            states.add_row(
                user(m.sender),
                user(one_line(m.measure)),
                Text(f"{_state(m.before, m.before_since)} → {_state(m.after, m.after_since)}"),
                m.event or "",
            )
        parts.append(states)
    else:
        parts.append(Text("No measure changed state", style="dim"))
    return Group(*parts)


def _state(state: str, since: dt.date | None) -> str:
    words = state.replace("-", " ")
    return f"{words} since {since}" if since else words


def _span(changes: Changes) -> str:
    """The title of a comparison: of what was said then and now, or of event dates."""
    if changes.by == "event":
        known = "" if changes.known_at is None else f", as known at {changes.known_at.text}"
        return f"Changes from {changes.since} to {changes.until} (by event date{known})"
    now = "now" if changes.known_at is None else f"at {changes.known_at.text}"
    return (
        f"Changes from {changes.since} to {changes.until}: what the tracker said on "
        f"{changes.since} against what it says {now}"
    )


def history_view(found: Chain) -> RenderableType:
    from condtrack.domain.history import changed_fields

    items: list[RenderableType] = []
    previous: Evidence | Relief | None = None
    for number, version in enumerate(found.versions, start=1):
        current = number == len(found.versions)
        what = (
            _what(version)
            if isinstance(version, Evidence)
            else Text.assemble(
                user(one_line(version.sender), "cyan"),
                " ",
                _relief_step(version, f": {version.action}"),
            )
        )
        head = Text.assemble(
            (f"v{number} ", "bold"),
            (version.id, "bold" if current else "dim"),
            f"  logged {version.logged.astimezone(dt.UTC):%Y-%m-%d %H:%M}Z  ",
            what,
            ("  (current)" if current else "  (superseded)", "green" if current else "dim"),
        )
        items.append(whole(head))
        if previous is not None:
            fields = ", ".join(changed_fields(previous, version)) or "nothing"
            items.append(Padding(Text(f"changed: {fields}", style="cyan"), (0, 0, 0, 4)))
            items.append(Padding(user(f"reason: {one_line(version.reason or '')}"), (0, 0, 0, 4)))
        line = Text.assemble(
            f"{version.date}  ",
            user(one_line(version.source), "dim"),
            "  ",
            user(one_line(version.summary)),
        )
        items.append(Padding(line, (0, 0, 0, 4)))
        previous = version
    if found.retraction is not None:
        reason = one_line(found.retraction.reason)
        every = ""
        if len(found.versions) > 1:
            every = f" (the retraction of {found.retraction.evidence} withdraws every version)"
        items.append(user(f"retracted {found.retraction.date}{every}: {reason}", "yellow"))
    return Group(*items)


def _relief_step(entry: shapes.Relief, action: str | Text) -> Text:
    """A relief entry in a line: its measure, what was done, the instrument, expiry and
    conditions it was granted for (user text shown, never interpreted)."""
    what = Text.assemble(user(one_line(entry.measure)), action)
    if entry.instrument:
        what.append_text(user(f" ({one_line(entry.instrument)})", "dim"))
    if entry.expires:
        what.append(f", expires {entry.expires}")
    if entry.for_:
        what.append(f", for {', '.join(entry.for_)}")
    return what
