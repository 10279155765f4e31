"""`condtrack log` and `relief add` at a terminal: ask for each field the command line
left out.

Every answer is checked as it is typed, by the functions that check the options, and
the entry then goes through the same append as `log` with options; a refusal there
asks that field again. Ctrl-C or the end of input stops with nothing written.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, get_args

import typer

from condtrack.cli.app import fail, parse_date, today
from condtrack.errors import CondtrackError
from condtrack.schema.models import EASING_ACTIONS, FOR_ACTIONS, ReliefAction
from condtrack.textsafe import message_line, one_line

if TYPE_CHECKING:
    from condtrack.schema.models import Condition, Tracker

R = TypeVar("R")  # what recording the entry returns

# `log`'s fields in the order asked: what the entry is about first, then its source.
FIELDS = (
    "condition", "criterion", "status", "indicator", "value", "date", "source", "url",
    "reliability", "summary", "tags",
)  # fmt: skip
REQUIRED = ("condition", "summary", "source")
# `relief add`'s: the step itself (who did what to which measure, when, for what), then the
# instrument and how long it holds, then its source.
RELIEF_FIELDS = (
    "sender", "measure", "action", "date", "for", "instrument", "expires", "source", "url",
    "reliability", "summary", "tags",
)  # fmt: skip
ACTIONS = get_args(ReliefAction)
EASING = EASING_ACTIONS  # the actions that may have an expiry date
# What `relief add` asks of each action: the conditions an easing was granted for, or a
# reimposition or an expiry answers (a renewal grants nothing: not asked), and what the
# summary tells.
FOR_HEADINGS = {
    "reimposed": "Conditions it was reimposed over (ones not met):",
    "expired": "Conditions it was left to expire over (ones not met):",
}
SUMMARY_WORDS = {
    "reimposed": "what was reimposed",
    "expired": "what ended",
    "renewed": "what was kept in force",
}
STATUSES = ("met", "partial", "not-met")
GRADES = [
    "Reliability is an Admiralty code: a letter for the source, A (reliable) to E",
    "(unreliable), F cannot be judged; a digit for the information, 1 (confirmed) to",
    "5 (improbable), 6 cannot be judged.",
]


def at_terminal() -> bool:
    """Someone to ask: the questions' input and output (stdin, stderr) are a terminal.

    Standard output may be captured (``id=$(condtrack log)``): it only ever gets the new id.
    A script, a pipe into stdin or CI, or stderr sent to a file, is never asked.
    """
    return sys.stdin.isatty() and sys.stderr.isatty()


def missing(ctx: typer.Context, name: str) -> NoReturn:
    """Typer's own error for a required parameter, for those asked for at a terminal."""
    param = next(p for p in ctx.command.params if p.name == name)
    if param.param_type_name == "argument":
        what = f"argument '{param.metavar or name}'"
    else:
        what = "option " + " / ".join(f"'{o}'" for o in param.opts)
    fail(f"Missing {what}; see '{ctx.command_path} -h'")


def fill_in_and_record(
    tracker: Tracker,
    given: dict[str, Any],
    record: Callable[[dict[str, Any]], R],
    kind: type[Questions] | None = None,
) -> R:
    """Ask for the missing fields, then ``record`` the answers, asking again what it refuses.

    ``kind``: the questions (``Questions`` for evidence, ``ReliefQuestions``)."""
    from condtrack.domain.entries import FieldError

    questions = (kind or Questions)(tracker, given)
    questions.ask_missing()
    while True:
        try:
            return record(questions.answers)
        except FieldError as error:
            if error.field not in questions.asked:
                raise  # an option from the command line: refused as without a terminal
            _say(f"  {message_line(str(error))}")
            questions.ask(error.field)


class Questions:
    """The questions for one new evidence entry, and the answers so far."""

    fields: tuple[str, ...] = FIELDS
    kind = "evidence"  # the entry whose rules check each answer

    def __init__(self, tracker: Tracker, given: dict[str, Any]) -> None:
        self.tracker = tracker
        self.answers = dict(given)
        self.asked: set[str] = set()
        self.shown: set[str] = set()  # lists and legends, shown once however often asked
        self._check_given()

    def _check_given(self) -> None:
        """Refuse a bad option before asking anything, not after every answer is typed."""
        from condtrack.domain.entries import check_field, parse_number, pick

        for field, value in self.answers.items():
            if value is None:
                continue
            if field == "condition":  # the lists of criteria and indicators depend on it
                pick(field, value, [c.id for c in self.tracker.conditions])
            elif field == "date":  # a date already: the option's type parsed it
                continue
            else:
                check_field(field, parse_number(value) if field == "value" else value)

    def ask_missing(self) -> None:
        for field in self.fields:
            if self.answers.get(field) is None and self._applies(field):
                self.ask(field)

    def ask(self, field: str) -> None:
        self.asked.add(field)
        while True:
            try:
                answer = getattr(self, f"_{field}")()
                self._fits(field, {**self.answers, field: answer})
                self.answers[field] = answer
                return
            except CondtrackError as error:
                _say(f"  {message_line(str(error))}")

    def _fits(self, field: str, answers: dict[str, Any]) -> None:
        """Refuse an answer that breaks a rule between it and the fields known so far
        (raise ``CondtrackError``): asked again at once, not after every other question."""

    def _applies(self, field: str) -> bool:
        if field == "status":
            return self.answers.get("criterion") is not None
        if field == "value":
            return self.answers.get("indicator") is not None
        if field == "indicator":
            return bool(self._chosen().indicators)
        return True

    def _chosen(self) -> Condition:
        condition = self.tracker.condition(self.answers["condition"])
        assert condition is not None  # picked from the tracker's conditions
        return condition

    def _condition(self) -> str | None:
        return self._choose("condition", [(c.id, c.title) for c in self.tracker.conditions])

    def _criterion(self) -> str | None:
        criteria = [(c.id, c.text) for c in self._chosen().criteria]
        return self._choose("criterion", criteria, needed=self.answers.get("status") is not None)

    def _status(self) -> str | None:
        return self._choose("status", [(s, "") for s in STATUSES], needed=False)

    def _indicator(self) -> str | None:
        indicators = [(i.id, i.label) for i in self._chosen().indicators]
        return self._choose("indicator", indicators, needed=self.answers.get("value") is not None)

    def _value(self) -> str:
        from condtrack.domain.entries import check_field, parse_number

        indicator = self._chosen().indicator(self.answers["indicator"])
        unit = f" ({one_line(indicator.unit)})" if indicator and indicator.unit else ""
        text = _ask(f"Value of {self.answers['indicator']}{unit}")
        check_field("value", parse_number(text))
        return text

    def _date(self) -> dt.date:
        default = today().isoformat()
        text = _ask(f"Date it happened, YYYY-MM-DD [{default}]") or default
        return parse_date(text, future_ok=False)  # as the --date option parses it

    def _source(self) -> str | None:
        return self._text("source", "Source (who reported it)")

    def _url(self) -> str | None:
        return self._text("url", "Link to the source (Enter for none)", needed=False)

    def _reliability(self) -> str | None:
        self._show_once("reliability", GRADES)
        minimum = self.tracker.scoring.min_reliability
        question = f"Reliability, e.g. B2; counts from {minimum} [F6]"
        return self._text("reliability", question, needed=False)

    def _summary(self) -> str | None:
        return self._text("summary", "Summary (what the evidence says)")

    def _tags(self) -> list[str] | None:
        from condtrack.domain.entries import check_field

        tags = _ask("Tags, separated by spaces (Enter for none)").split()
        check_field("tags", tags, self.kind)
        return tags or None

    def _choose(
        self, field: str, choices: Sequence[tuple[str, str]], *, needed: bool = True
    ) -> str | None:
        from condtrack.domain.entries import pick

        width = max(len(value) for value, _ in choices)
        listed = [
            f"  {number:>2}  {value:<{width}}  {one_line(text)}".rstrip()
            for number, (value, text) in enumerate(choices, 1)
        ]
        self._show_once(field, [f"{field.capitalize()}:", *listed])
        skip = "" if needed else "; Enter for none"
        while True:
            answer = _ask(f"{field.capitalize()} (number or id{skip})")
            if answer or not needed:
                break
        return pick(field, answer, [value for value, _ in choices]) if answer else None

    def _show_once(self, field: str, lines: list[str]) -> None:
        if field not in self.shown:
            self.shown.add(field)
            for line in lines:
                _say(line)

    def _text(self, field: str, question: str, *, needed: bool = True) -> str | None:
        from condtrack.domain.entries import check_field

        answer = _ask(question)
        if not needed and not answer.strip():
            return None
        check_field(field, answer, self.kind)
        return answer


class ReliefQuestions(Questions):
    """The questions for one new relief entry (`relief add`): required fields until
    answered, the others skipped with Enter, each checked as typed by the rules of a relief
    entry, and the whole entry by ``record`` (an expiry before the date, a reimposition
    with nothing eased) asking again the field it refuses."""

    fields = RELIEF_FIELDS
    kind = "relief"

    def _check_given(self) -> None:
        from condtrack.domain.entries import FieldError, check_field
        from condtrack.schema.validation import suggest

        valid = [c.id for c in self.tracker.conditions]
        for field, value in self.answers.items():
            if value is None or field in ("date", "expires"):  # dates: parsed by the options
                continue
            if field == "for":
                for condition in value:
                    if condition not in valid:
                        detail = f"unknown condition {condition!r} {suggest(condition, valid)}"
                        raise FieldError(field, detail.rstrip())
                continue
            check_field(field, value, self.kind)
        for field, message in _between(self.answers):  # options that contradict each other
            raise FieldError(field, message)

    def _fits(self, field: str, answers: dict[str, Any]) -> None:
        """An answer that contradicts an option or an earlier answer (an expiry before the
        date, --for with a renewal): the rule's words, and the question is asked again."""
        for _, message in _between(answers, field):
            raise CondtrackError(message)

    def _applies(self, field: str) -> bool:
        action = self.answers.get("action")
        if field == "expires":
            return action in EASING
        if field == "for":
            return action in FOR_ACTIONS
        return True

    def _sender(self) -> str | None:
        return self._text("sender", "Sender (who grants it: US, EU, ...)")

    def _measure(self) -> str | None:
        return self._text("measure", 'Measure (the sanction it touches, e.g. "Belavia")')

    def _action(self) -> str | None:
        return self._choose("action", [(action, "") for action in ACTIONS])

    def _date(self) -> dt.date:
        default = today().isoformat()
        text = _ask(f"Date it took effect, YYYY-MM-DD [{default}]").strip() or default
        return parse_date(text, future_ok=False)  # as the --date option parses it

    def _for(self) -> list[str] | None:
        from condtrack.domain.entries import pick

        conditions = [(c.id, c.title) for c in self.tracker.conditions]
        width = max(len(value) for value, _ in conditions)
        self._show_once(
            "for",
            [
                FOR_HEADINGS.get(
                    self.answers.get("action") or "", "Conditions it was granted for:"
                ),
                *(
                    f"  {number:>2}  {value:<{width}}  {one_line(text)}".rstrip()
                    for number, (value, text) in enumerate(conditions, 1)
                ),
            ],
        )
        answer = _ask("For (numbers or ids, separated by spaces; Enter for none)")
        words = answer.replace(",", " ").split()
        chosen = [pick("condition", word, [value for value, _ in conditions]) for word in words]
        return list(dict.fromkeys(chosen)) or None

    def _instrument(self) -> str | None:
        question = "Instrument, the legal act (Enter for none)"
        return self._text("instrument", question, needed=False)

    def _expires(self) -> dt.date | None:
        text = _ask("Last day it holds, YYYY-MM-DD (Enter for none)").strip()
        return parse_date(text) if text else None

    def _summary(self) -> str | None:
        what = SUMMARY_WORDS.get(self.answers.get("action") or "", "what was granted")
        return self._text("summary", f"Summary ({what})")


def _between(answers: dict[str, Any], field: str | None = None) -> list[tuple[str, str]]:
    """The rules between a relief entry's fields that ``answers`` break (the entry's own,
    ``validation.relief_field_rules``); with ``field``, only those that it takes part in."""
    from condtrack.schema.validation import relief_field_rules

    broken = relief_field_rules(
        answers.get("action"), answers.get("date"), answers.get("expires"), answers.get("for") or []
    )
    parts = {"expires": ("expires", "action", "date"), "for": ("for", "action")}
    return [(f, message) for f, message in broken if field is None or field in parts[f]]


def _ask(question: str) -> str:
    _say(f"{question}: ", nl=False)
    try:
        return input()
    except KeyboardInterrupt:
        _say("")
        fail("interrupted; nothing was written", 130)
    except EOFError:
        _say("")
        fail("no more input; nothing was written", 1)


def _say(text: str, *, nl: bool = True) -> None:
    """Questions go to standard error: standard output stays the new id alone."""
    typer.echo(text, err=True, nl=nl)
