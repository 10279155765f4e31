"""The Typer application, global options, and the error boundary shared by all commands.

Only typer is imported at start-up; each command imports the core modules it needs, so
``condtrack --version`` does not pay for pydantic or the renderers.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import functools
import itertools
import math
import os
import re
import sys
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Annotated, Any, Generic, NoReturn, ParamSpec, TypeVar

import typer
from typer._click.parser import _OptionParser
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption, _TyperParameter

import condtrack
from condtrack import __version__
from condtrack.errors import CondtrackError
from condtrack.textsafe import message_line

if TYPE_CHECKING:
    from condtrack.domain.knowledge import KnownAt as Moment
    from condtrack.storage.store import Loaded, Viewed

P = ParamSpec("P")
R = TypeVar("R")


# Every command, in the order help lists them, with the module under condtrack.cli that
# defines it. A module is imported only when one of its commands runs (or help lists them):
# a CI gate that runs `check` pays for nothing else.
COMMANDS = {
    "init": "setup",
    "conditions": "setup",
    "git-setup": "setup",
    "schema": "setup",
    "log": "record",
    "amend": "record",
    "retract": "record",
    "import": "record",
    "relief": "relief",
    "status": "inspection",
    "explain": "inspection",
    "evidence": "inspection",
    "history": "inspection",
    "report": "briefings",
    "diff": "briefings",
    "check": "ci",
    "validate": "ci",
    "merge": "merge",
}


class _LazyCommands(TyperGroup):
    """The command group: commands built only when asked for (the pattern hatch uses), and
    usage errors (a missing option, a bad choice) as one line, like every other error."""

    def __init__(self, *args: Any, commands: Any = None, **settings: Any) -> None:
        # Typer builds the commands already registered (their modules imported) when it
        # builds the group; left out here, every command is built by `get_command`, alike.
        super().__init__(*args, **settings)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_params(self, ctx: Any) -> list[Any]:
        return _named(super().get_params(ctx))

    def make_parser(self, ctx: Any) -> Any:
        return _parser_reading_text_as_utf8(self, ctx)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import copy
            import importlib

            from typer.main import get_command_from_info

            importlib.import_module(f"condtrack.cli.{COMMANDS[cmd_name]}")
            for info in app.registered_commands:
                if command_name(info) == cmd_name:
                    if info.cls in (None, TyperCommand):  # Typer's default: condtrack's
                        info = copy.copy(info)
                        info.cls = Command
                    command = get_command_from_info(
                        info,
                        pretty_exceptions_short=app.pretty_exceptions_short,
                        rich_markup_mode=app.rich_markup_mode,
                    )
                    self.commands[cmd_name] = command
            for group in app.registered_groups:  # a command with subcommands: `relief`
                if group.name == cmd_name:
                    from typer.main import get_group_from_info

                    self.commands[cmd_name] = get_group_from_info(
                        group,
                        pretty_exceptions_short=app.pretty_exceptions_short,
                        suggest_commands=True,
                        rich_markup_mode=app.rich_markup_mode,
                    )
        return self.commands.get(cmd_name)

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with usage_errors_in_one_line():
            return super().make_context(*args, **kwargs)

    def parse_args(self, ctx: Any, args: list[str]) -> Any:
        args = self._file_first(ctx, args)
        hint = INIT_REDIRECT if self._command_word(args) == "init" else None
        # Before anything that prints: a command, and every eager option (--help,
        # --version, --show-completion, --install-completion), which runs as it is parsed.
        refuse_tracker_streams(lambda: self._tracker_named(args), hint=hint)
        self._completion_for_named_shell(ctx, args)
        return super().parse_args(ctx, args)

    def _main_shell_completion(
        self, ctx_args: Any, prog_name: str, complete_var: str | None = None
    ) -> None:
        """Shell completion (``_CONDTRACK_COMPLETE=complete_bash``, ``source_zsh``), which
        runs before any command line is parsed: refused as a command is when its standard
        output or error is the tracker (one line, exit 2), not printed into the file. The
        tracker is the one found (or ``$CONDTRACK_FILE``); one named by ``-f`` among the
        words completed is checked as the words are parsed."""
        if complete_var is None:
            complete_var = f"_{prog_name}_COMPLETE".replace("-", "_").upper()
        if not os.environ.get(complete_var):
            return
        try:
            refuse_tracker_streams(lambda: self._tracker_named([]))
            super()._main_shell_completion(ctx_args, prog_name, complete_var)
        except typer.Exit as refused:  # raised outside the group's own handling of it
            sys.exit(refused.exit_code)

    def _command_word(self, args: list[str]) -> str | None:
        """The command's name on this line: the first word after the global settings."""
        takes_value = {
            name for p in self.params if not getattr(p, "is_flag", False) for name in p.opts
        }
        at = 0
        while at < len(args) and args[at].startswith("-") and args[at] != "--":
            at += 2 if args[at] in takes_value else 1
        return args[at] if at < len(args) else None

    def _tracker_named(self, args: list[str]) -> Path | None:
        """The tracker a command on this line would use (as ``Options.path``), or None when
        there is none to find: read from the global settings, which ``_file_first`` put
        before the command's name."""
        takes_value = {
            name for p in self.params if not getattr(p, "is_flag", False) for name in p.opts
        }
        named: str | None = None
        at = 0
        while at < len(args) and args[at].startswith("-") and args[at] != "--":
            word = args[at]
            if word in ("-f", "--file") and at + 1 < len(args):
                named = args[at + 1]
            elif word.startswith("--file="):
                named = word.partition("=")[2]
            elif word.startswith("-f") and not word.startswith("--"):
                named = word[2:]
            at += 2 if word in takes_value else 1
        from condtrack.storage.locating import locate, tracker_named

        try:
            return locate(tracker_named(named) if named else None)
        except (CondtrackError, OSError):
            return None  # no tracker: the command says so, if it needs one

    def _file_first(self, ctx: Any, args: list[str]) -> list[str]:
        """``condtrack status -f x.toml`` read as ``condtrack -f x.toml status``: the global
        settings (--file/-f, --color, --cache-dir, --lock-timeout, --debug) work before or
        after the command's name, unless the command has an option of that name itself.
        Only a word in an option's place moves; an option's value stays a value."""
        settings = {
            name: p
            for p in self.params
            if p.name in ("file", "color", "cache_dir", "lock_timeout", "debug")
            for name in p.opts
        }
        takes_value = {
            name for p in self.params if not getattr(p, "is_flag", False) for name in p.opts
        }
        at = 0
        while at < len(args) and args[at].startswith("-") and args[at] != "--":
            at += 2 if args[at] in takes_value else 1
        if at >= len(args) or args[at] not in COMMANDS:
            return args
        command = self.get_command(ctx, args[at])
        options = {name: p for p in command.params for name in (*p.opts, *p.secondary_opts)}
        movable = {name: p for name, p in settings.items() if name not in options}
        moved: list[str] = []
        kept: list[str] = []
        words = iter(args[at + 1 :])
        for word in words:
            name, equals, _ = word.partition("=")
            setting = movable.get(word if not equals else name)
            if word == "--":
                kept += [word, *words]
            elif setting is not None and getattr(setting, "is_flag", False) and not equals:
                moved.append(word)
            elif setting is not None and not equals:
                value = next(words, None)
                if value is None:
                    fail(f"option {word!r} requires an argument; see '{ctx.command_path} -h'")
                moved += [word, value]
            elif setting is not None or (word.startswith("-f") and "-f" in movable):
                moved.append(word)  # --file=x.toml, --color=never, -fx.toml
            else:
                kept.append(word)
                option = options.get(word)
                if option is not None and not getattr(option, "is_flag", False):
                    kept.append(next(words, ""))
        if not moved:
            return args
        return [*args[:at], *moved, args[at], *kept]

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = _as_utf8(args[0]) if args else ""
        known = name in COMMANDS
        if name[:1] not in ("", "-") and not known and not ctx.resilient_parsing:
            from condtrack.schema.validation import did_you_mean

            hint = did_you_mean(name, COMMANDS) or f"; see '{ctx.command_path} -h'"
            fail(f"no such command {name!r}{hint}")
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        from condtrack.cli.progressbar import reporter
        from condtrack.progress import listening

        # Long work shows a bar on standard error, at a terminal only (cli.progressbar).
        with usage_errors_in_one_line(), listening(reporter()):
            return super().invoke(ctx)

    def _completion_for_named_shell(self, ctx: Any, args: list[str]) -> None:
        """``--show-completion zsh``: Typer's options guess the shell; here it can be named.

        Without this the name is ignored, and a zsh user in a bash session gets bash's script.
        """
        for token, following in itertools.pairwise([*args, None]):  # no args: no pairs
            if token in COMMANDS:
                return
            option = next((p for p in self.params if token in p.opts), None)
            if (
                option is not None
                and option.name in ("show_completion", "install_completion")
                and following in _SHELLS
                and option.callback is not None
            ):
                option.callback(ctx, option, following)  # prints or installs, then exits


# What a value is, as help shows it, for options that do not say so themselves: a name,
# not Typer's type (`<str>`, `<float range>`).
_METAVARS = {
    **dict.fromkeys(("--condition", "--criterion", "--indicator", "--require"), "ID"),
    **dict.fromkeys(("--summary", "--source", "--reason"), "TEXT"),
    **dict.fromkeys(("--limit", "--last", "--marker-size"), "N"),
    **dict.fromkeys(("--file", "--cache-dir"), "PATH"),
    "--tag": "TAG",
    "--reliability": "GRADE",
    "--value": "NUMBER",
    "--url": "URL",
    "--output": "FILE",
    "--revision": "REV",
    "--min-score": "SCORE",
    "--max-age": "DAYS",
    "--lock-timeout": "SECONDS",
    "--clear": "FIELD",
}


class Command(TyperCommand):
    """Every command's class: help that names what each value is, and text values read as
    UTF-8 whatever the locale (see ``_named`` and ``_TextAsUtf8``)."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _named(super().get_params(ctx))

    def make_parser(self, ctx: Any) -> Any:
        return _parser_reading_text_as_utf8(self, ctx)


class Group(TyperGroup):
    """A command with subcommands (`relief`): help, text values and usage errors as every
    command has them, and a mistyped subcommand worded as a mistyped command."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _named(super().get_params(ctx))

    def make_parser(self, ctx: Any) -> Any:
        return _parser_reading_text_as_utf8(self, ctx)

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with usage_errors_in_one_line():
            return super().make_context(*args, **kwargs)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = _as_utf8(args[0]) if args else ""
        if name[:1] not in ("", "-") and name not in self.commands and not ctx.resilient_parsing:
            from condtrack.schema.validation import did_you_mean

            hint = did_you_mean(name, self.commands) or f"; see '{ctx.command_path} -h'"
            fail(f"no such command {name!r}{hint}")
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        with usage_errors_in_one_line():
            return super().invoke(ctx)


def _process_value(param: Any, ctx: Any, value: Any) -> Any:
    """A parameter's value converted without pydantic where Typer's conversion is a plain
    one: Typer 0.29 builds a pydantic ``TypeAdapter`` for every parameter as the command
    line is parsed, given or not (``typer.core._TyperParameter.process_value``), and
    importing pydantic's validators and building the adapters cost more than the rest of a
    quick command (``check``). Here a value not given, one read by the option's own
    ``parser=``, a text, texts given several times and a path take Typer's result
    directly; anything else (a list of numbers, a number, a flag's text from the
    environment), and a parser that raises a ``ValueError``
    (which Typer words its way), goes to Typer as before."""
    converted = _converted(param, ctx, value)
    if converted is _TYPER:
        return _TyperParameter.process_value(param, ctx, value)
    if param.required and param.value_is_missing(converted):
        from typer._click.exceptions import MissingParameter

        raise MissingParameter(ctx=ctx, param=param)
    if param.callback is not None:
        converted = param.callback(ctx, param, converted)
    return converted


_TYPER = object()  # the value is Typer's to convert


def _converted(param: Any, ctx: Any, value: Any) -> Any:
    """``value`` as Typer's conversion would give it, or ``_TYPER`` when that needs Typer."""
    multiple = param.multiple or param.nargs == -1
    if value is None:  # not given: Typer gives () or None, whatever the type
        return () if multiple else None
    info = param.type_descriptor.parameter_info
    annotation = param.type_descriptor.annotation
    if multiple:  # texts (``check --require``): Typer's adapter gives them as a list
        if annotation == list[str] and info.parser is None and all(type(v) is str for v in value):
            return list(value)
        return _TYPER
    if info.parser is not None:  # Typer's adapter only calls it
        try:
            return info.parser(value)
        except (ValueError, AssertionError):
            return _TYPER
    if annotation is str and type(value) is str:  # Typer's adapter returns the text itself
        return value
    path_type = info.path_type or annotation
    if type(value) is str and isinstance(path_type, type) and issubclass(path_type, Path):
        # Typer's own checks of a path (exists=, readable=...), given the path itself
        # rather than its text, which Typer would turn into one with a pydantic adapter.
        from typer._param_types import coerce_cli_path

        try:
            path = path_type(value)
            return coerce_cli_path(path, info, path_type=path_type, param=param, ctx=ctx)
        except ValueError:  # a NUL in it: os.stat's error, which Typer words its way
            return _TYPER
    return _TYPER


class _Option(TyperOption):
    """Every option's class: converted as ``_process_value`` says."""

    process_value = _process_value


class _NamedArgument(TyperArgument):
    """An argument whose name (its metavar: ID, FILE) says what it is: help shows no type
    beside it (Typer would add ``<str>``, ``<path>``); converted as ``_process_value`` says."""

    process_value = _process_value

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


def _named(params: list[Any]) -> list[Any]:
    """Help that names what each value is (see ``_METAVARS``), shows no value for a flag
    (Typer would write ``<bool>``), and lets an argument's name speak for it; values
    converted without pydantic where Typer's conversion is a plain one (``_process_value``)."""
    for param in params:
        if type(param) is TyperOption:
            param.__class__ = _Option  # as arguments, below: same fields, one method differs
        if isinstance(param, TyperArgument):
            # Typer 0.29 makes every argument itself (typer.main._get_param), with no way
            # to choose its class, nor a setting that leaves the type out of help: the
            # argument becomes the subclass that does (same fields, one method differs).
            param.__class__ = _NamedArgument
        elif getattr(param, "is_flag", False) and not getattr(param, "count", False):
            param.metavar = ""
        elif param.metavar is None:
            param.metavar = next((_METAVARS[o] for o in param.opts if o in _METAVARS), None)
    return params


_SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")


@contextlib.contextmanager
def usage_errors_in_one_line() -> Iterator[None]:
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except Exception as error:
        # Typer's usage errors carry exit code 2 and a message; "no arguments" shows help.
        if getattr(error, "exit_code", None) != 2 or type(error).__name__ == "NoArgsIsHelpError":
            raise
        fail(_one_line_usage(error))


def _one_line_usage(error: Any) -> str:
    """A usage error as condtrack words every error: what is wrong, then a did-you-mean
    when something is close, else where to read about the command."""
    from typer._click.exceptions import NoSuchOption

    from condtrack.schema.validation import did_you_mean

    if isinstance(error, NoSuchOption):  # Click lists the options close to the one typed
        hint = did_you_mean(error.option_name, error.possibilities or ())
        if hint:
            return f"no such option {error.option_name!r}{hint}"
    message = str(error.format_message()).rstrip(".")
    if isinstance(error, _Suggested):
        return message
    context = getattr(error, "ctx", None)
    return message + (f"; see '{context.command_path} -h'" if context is not None else "")


class _Suggested(typer.BadParameter):
    """A bad value whose message ends with a did-you-mean: no pointer to help needed."""


E = TypeVar("E", bound=Enum)


class Choice(Generic[E]):
    """The type of every option (and argument) whose value is one of an Enum's members:
    ``parser=Choice(Format)``. A value that is none of them is Click's usage error, with a
    did-you-mean when one is close. An alias in the Enum (``table = "text"``) is accepted
    by its name but listed nowhere: help, completion and this message show the members."""

    def __init__(self, enum: type[E]) -> None:
        self.enum = enum

    def __call__(self, value: object) -> E:
        if isinstance(value, self.enum):
            return value
        text = str(value)
        for member in self.enum:
            if member.value == text:
                return member
        alias = self.enum.__members__.get(text)
        if alias is not None and alias.name != text:  # `table = "text"`: a hidden old name
            return alias
        from condtrack.schema.validation import did_you_mean

        valid = [str(member.value) for member in self.enum]
        listed = ", ".join(repr(choice) for choice in valid)
        hint = did_you_mean(text, valid)
        raise (_Suggested if hint else typer.BadParameter)(f"{text!r} is not one of {listed}{hint}")


app = typer.Typer(
    cls=_LazyCommands,
    name="condtrack",
    help="Track a government's compliance with the conditions for sanctions relief.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Help text is written as Markdown paragraphs: lines joined, `code` shown as code.
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)


class TextOrJson(StrEnum):
    """The formats of a command that prints for people (text) or for scripts (json)."""

    text = "text"
    json = "json"
    table = "text"  # the human format's old name: still accepted, shown nowhere


@dataclass
class Options:
    file: Path | None
    loaded: list[Loaded | Viewed] = field(default_factory=list)

    def path(self) -> Path:
        from condtrack.storage.locating import locate

        return locate(self.file)

    def load(self) -> Loaded:
        from condtrack.storage.store import load

        loaded = load(self.path())
        # Kept with the context until the process ends: the console script ends it without
        # freeing the tracker (``condtrack._exit_at_once``), which the command's return
        # would otherwise do, entry by entry.
        self.loaded.append(loaded)
        return loaded

    def view(self) -> Viewed:
        """The tracker to be looked at only, perhaps as plain objects (``store.view``)."""
        from condtrack.storage.store import view

        viewed = view(self.path())
        self.loaded.append(viewed)  # kept, as ``load`` keeps its tracker
        return viewed


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"condtrack {__version__}")
        raise typer.Exit()


class Color(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


@app.callback()
def _global(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            envvar="CONDTRACK_FILE",
            metavar="PATH",
            parser=TrackerNameType(),
            help="Tracker file (default: conditions.toml here or in a parent folder).",
            show_envvar=True,
        ),
    ] = None,
    color: Annotated[
        Color,
        typer.Option(
            "--color",
            parser=Choice(Color),
            help="Colour in tables and lines: auto (at a terminal, unless NO_COLOR is set; "
            "FORCE_COLOR forces it), always or never.",
        ),
    ] = Color.auto,
    cache_dir: Annotated[
        str | None,
        typer.Option(
            "--cache-dir",
            envvar="CONDTRACK_CACHE_DIR",
            metavar="PATH",
            help="Where records of checked files are kept, so large files read fast (default: "
            "the user's cache folder; empty: keep none). An absolute path (~ is your home "
            "folder); a relative one is refused.",
            show_envvar=True,
            show_default=False,
        ),
    ] = None,
    lock_timeout: Annotated[
        str | None,
        typer.Option(
            "--lock-timeout",
            envvar="CONDTRACK_LOCK_TIMEOUT",
            metavar="SECONDS",
            help="How long a write waits for another condtrack writing the same file "
            "(default: 30).",
            show_envvar=True,
            show_default=False,
        ),
    ] = None,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            envvar="CONDTRACK_DEBUG",
            help="Show the traceback of an internal error (a bug in condtrack).",
            show_envvar=True,
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    ctx.obj = Options(file)
    # The core reads these settings from the environment, where the options put them for
    # this run, and take them away when it ends (for callers that run condtrack in their
    # own process). --debug stays: the last guard in `main` reads it as the process ends.
    if debug:
        os.environ["CONDTRACK_DEBUG"] = "1"
    settings: dict[str, str | None] = {}
    if cache_dir is not None:
        from typer._click.core import ParameterSource

        from condtrack.storage.locating import ENV_CACHE, cache_folder_named

        from_env = ctx.get_parameter_source("cache_dir") is ParameterSource.ENVIRONMENT
        try:  # a relative folder: refused, by every command, in the name it was given by
            folder = cache_folder_named(cache_dir, f"${ENV_CACHE}" if from_env else "--cache-dir")
        except CondtrackError as error:
            fail(str(error))
        settings[ENV_CACHE] = "" if folder is None else str(folder)
    if lock_timeout is not None:
        from typer._click.core import ParameterSource

        if ctx.get_parameter_source("lock_timeout") is not ParameterSource.ENVIRONMENT:
            # Given on the command line: checked now, in the option's name. From the
            # environment, it is checked (and named so) only by a command that locks.
            from condtrack.storage.store import parse_lock_timeout

            try:
                parse_lock_timeout(lock_timeout, "--lock-timeout")
            except CondtrackError as error:
                fail(str(error))
        settings["CONDTRACK_LOCK_TIMEOUT"] = lock_timeout
    if color is Color.never:
        settings.update(NO_COLOR="1", FORCE_COLOR=None)
    elif color is Color.always:
        settings.update(FORCE_COLOR="1", NO_COLOR=None)
    for name, value in settings.items():
        _set_for_this_run(ctx, name, value)


def _set_for_this_run(ctx: typer.Context, name: str, value: str | None) -> None:
    old = os.environ.get(name)
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value

    def restore() -> None:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old

    ctx.call_on_close(restore)


def options(ctx: typer.Context) -> Options:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Options) else Options(None)


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message_line(message)}", err=True)
    raise typer.Exit(code)


# `condtrack init > conditions.toml`: what to do instead (init writes the file itself).
INIT_REDIRECT = (
    "init writes the tracker itself and prints nothing: run it without redirecting its "
    "output into the file (an empty file, as the redirect leaves it, is one init fills)"
)


def refuse_tracker_streams(
    *trackers: Path | Callable[[], Path | None] | None, hint: str | None = None
) -> None:
    """Refuse a run whose standard output or error is one of the ``trackers`` (the same
    file, by device and inode: ``>> conditions.toml``, a link to it, ``/dev/fd/1``), before
    anything is written: whatever a command prints there (a table, an id, a note, an error)
    would land in the file it reads.

    Standard output: one line on standard error, exit 2. Standard error: exit 2 and nothing
    written anywhere, since the error line itself would be written into the tracker. The
    group calls this for the tracker of every command (``-f``, ``$CONDTRACK_FILE`` or the
    one found) before it parses anything else; a command whose trackers are its arguments
    (``validate FILE...``, ``git-setup -f``, ``merge``) calls it for those. The tracker's
    lock and temporary files are refused alike (as ``-o`` refuses them). A tracker may be
    given as a function, called only when a stream is a regular file (the common case, a
    terminal or a pipe, costs two ``fstat`` calls).
    """
    import stat

    streams: dict[int, tuple[int, int]] = {}
    for fd in (1, 2):
        try:
            info = os.fstat(fd)
        except OSError:
            continue  # closed: nothing is written there
        if stat.S_ISREG(info.st_mode):
            streams[fd] = (info.st_dev, info.st_ino)
    if not streams:
        return
    from condtrack.storage.locating import owned_by_condtrack

    for given in trackers:
        tracker = given() if callable(given) else given
        if tracker is None:
            continue
        # The tracker, its lock file and temporary files: as `-o` refuses them.
        for spot, what in owned_by_condtrack(tracker, ()):
            try:
                there = os.stat(spot)
            except (OSError, ValueError):  # ValueError: a NUL in the name (the option says)
                continue
            if streams.get(2) == (there.st_dev, there.st_ino):
                raise typer.Exit(CondtrackError.exit_code)  # an error line would land in it
            if streams.get(1) == (there.st_dev, there.st_ino):
                also = f"; {hint}" if hint else ""
                fail(f"refusing to write standard output: it is {what}{also}")


def warn(message: str) -> None:
    typer.echo(f"warning: {message_line(message)}", err=True)


def warn_if_not_counted(reliability: str, minimum: str, where: str) -> None:
    """The warning ``log``, ``amend`` and ``relief add|amend`` give for an entry graded
    below the tracker's minimum: recorded, but it will not count (``where``: in scores, in
    the relief ledger)."""
    from condtrack.schema.shapes import grade_counts

    if not grade_counts(reliability, minimum):
        warn(
            f"graded {reliability}, below this tracker's minimum {minimum}: "
            f"recorded, but it will not count {where}"
        )


def emit(text: str, output: str | None, tracker: Path | None = None) -> None:
    """Text to standard output (no ``--output``, or ``-o -``), or written atomically to
    ``output``: never over the ``tracker`` read, nor any file condtrack keeps for itself.

    An output that is our own standard output or error (``/dev/stdout``, ``/dev/fd/2``, the
    file stdout is redirected to) is written to that stream, as ``-o -`` writes: replacing
    it by a rename would cut it off from the stream.
    """
    from condtrack.storage.store import check_output, check_stream, standard_stream, write_atomic

    instead = "use -o - for standard output"
    stream = 1 if output is None or output == "-" else standard_stream(Path(output), instead)
    if stream is not None:
        check_stream(stream, "standard output" if output in (None, "-") else str(output), tracker)
        typer.echo(text, nl=False, err=stream == 2)
        return
    target = Path(output or "-")
    check_output(target, tracker, instead=instead)
    write_atomic(target, text.encode("utf-8"))
    typer.echo(message_line(f"wrote {output}"), err=True)


def emit_view(view: Any, output: str | None, tracker: Path | None = None) -> None:
    """A view for people (a Rich renderable): printed to standard output as a terminal
    shows it (colour where it is one), or written to ``output`` as plain text, as ``emit``
    writes (atomically; never over the tracker)."""
    from condtrack.render.terminal import as_text, console

    if output is not None and output != "-":
        emit(as_text(view), output, tracker)
        return
    from condtrack.storage.store import check_stream

    check_stream(1, "standard output", tracker)
    console().print(view)


class MomentType:
    """The type of ``--known-at`` and ``--logged-since``: a date (to the end of that day,
    UTC) or a timestamp; a bad one is Click's usage error naming the option, as for dates."""

    metavar = "WHEN"

    def __call__(self, value: object) -> Moment:
        from condtrack.domain.knowledge import KnownAt as Moment
        from condtrack.domain.knowledge import parse_known_at

        if isinstance(value, Moment):
            return value
        try:
            return parse_known_at(str(value))
        except CondtrackError as error:
            raise typer.BadParameter(str(error)) from None


# Typed Any: the knowledge time's class lives in the domain, which start-up does not import.
KnownAt = Annotated[
    Any,
    typer.Option(
        "--known-at",
        metavar=MomentType.metavar,
        parser=MomentType(),
        help="Only what had been logged by then: YYYY-MM-DD (to the end of that day, UTC) "
        "or a timestamp (UTC unless it has an offset); the as-of date defaults to its date.",
    ),
]


def two_times(as_of: dt.date | None, known: Moment | None) -> tuple[dt.date, Moment | None]:
    """The as-of date of a read command's two options: given, else the knowledge time's
    date, else today."""
    if as_of is not None:
        return as_of, known
    return (known.day if known is not None else today()), known


class FileNameType:
    """The type of an option naming a file (``--output``, ``--file``): a name that is
    empty or only blanks is a usage error naming the option, not a file called ``-`` or
    `` `` (nor the folder ``.``, which is what ``Path("")`` is). ``as_path``: the value as a
    ``Path`` (``--file``), else the string typed (``--output``: ``-`` and ``./-`` apart)."""

    def __init__(self, *, as_path: bool = False) -> None:
        self.as_path = as_path

    def __call__(self, value: object) -> Any:
        if isinstance(value, Path):
            return value
        name = _file_name(value)
        return Path(name) if self.as_path else name


class TrackerNameType(FileNameType):
    """The type of an option or argument naming a tracker (``--file``, ``$CONDTRACK_FILE``,
    ``init PATH``, ``validate FILE``): a file name, its leading ``~`` a home folder, and
    never ``-`` (``locating.tracker_named``)."""

    def __init__(self) -> None:
        super().__init__(as_path=True)

    def __call__(self, value: object) -> Any:
        if isinstance(value, Path):
            return value
        from condtrack.storage.locating import tracker_named

        try:
            return tracker_named(_file_name(value))
        except CondtrackError as error:
            raise typer.BadParameter(str(error)) from None


def _file_name(value: object) -> str:
    """A file's name as typed: not blank, and without a NUL, which no file name holds."""
    name = _not_blank(value, "no file; give a file name")
    if "\x00" in name:
        raise typer.BadParameter(f"{name!r} holds a NUL character, which no file name can")
    return name


def non_blank(value: object) -> str:
    """An option's text that must name something (a tag to match, a git revision): an
    empty or blank value is a usage error naming the option, not a filter that matches
    nothing or a silent default."""
    return _not_blank(value, "nothing; give a value or leave the option out")


def non_blank_argument(value: object) -> str:
    """``non_blank`` for an optional argument (``merge PATH``), worded for one."""
    return _not_blank(value, "nothing; give a value or leave the argument out")


def _not_blank(value: object, blank: str) -> str:
    """``value`` as text, unless it is empty or only blanks: then a usage error saying it
    names ``blank``."""
    text = str(value)
    if not text.strip():
        raise typer.BadParameter(f"{text!r} names {blank}")
    return text


# The --output option of commands that write a file: a string, so that "-" (standard
# output) and "./-" (a file of that name) stay apart.
Output = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        parser=FileNameType(),
        help="Write to this file (atomically), or - for standard output.",
    ),
]


def examples(*lines: str) -> str:
    """A command's Examples section (its help's epilog): command lines as typed, a long one
    continued with a backslash, and ``#`` comments, shown as they are written (a Markdown
    code block: help's paragraphs are joined, these lines never)."""
    body = "\n".join(lines)
    return f"**Examples**\n\n```\n{body}\n```"


@contextlib.contextmanager
def options_named(names: dict[str, str]) -> Iterator[None]:
    """A field of a new entry that is refused, named as the user typed it: the option
    (``--tag`` for ``tags``, ``names`` for those not spelled ``--FIELD``) or argument."""
    from condtrack.domain.entries import FieldError

    try:
        yield
    except FieldError as error:  # every field refused, on one line
        raise CondtrackError(
            "; ".join(
                f"{names.get(field, f'--{field}')}: {detail}" for field, detail in error.problems
            )
        ) from None


def guarded(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the errors a user can fix into one line on standard error and exit code 2."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except CondtrackError as error:
            fail(str(error), error.exit_code)
        except OSError as error:
            fail(f"{error.filename or 'I/O'}: {error.strerror or error}")

    return run


def today() -> dt.date:
    """Today's local date, but never past the latest date on Earth (UTC+14), which every
    load checks against: a clock set further east would date entries in the future."""
    return min(dt.date.today(), (dt.datetime.now(dt.UTC) + dt.timedelta(hours=14)).date())


def parse_date(text: str, *, future_ok: bool = True) -> dt.date:
    """A date as typed (an option's value, an answer at the prompt): YYYY-MM-DD, from 1900
    on and, unless ``future_ok``, not after today. The error says what is wrong with the
    value; where it came from is the caller's to say (Click names the option)."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise CondtrackError(f"{text!r} is not a valid date (use YYYY-MM-DD)") from None
    if day.year < 1900:
        raise CondtrackError(f"{text} is implausibly old (before 1900)")
    if not future_ok and day > today():
        raise CondtrackError(f"{text} is in the future (today is {today()})")
    return day


class DateType:
    """The type of every date option (``--as-of``, ``--since``, ``--until``, ``--date``):
    Typer calls it with the text typed, and a bad date is Click's usage error, which names
    the option as Click names every option (``Invalid value for '--as-of': ...``)."""

    metavar = "DATE"

    def __init__(self, *, future_ok: bool = True) -> None:
        self.future_ok = future_ok

    def __call__(self, value: object) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return parse_date(str(value), future_ok=self.future_ok)
        except CondtrackError as error:
            raise typer.BadParameter(str(error)) from None


class NumberType:
    """The type of every numeric option: a whole number (``int``) or a finite number
    (``float``), within ``min`` and ``max``; a value that is not is Click's usage error,
    worded as condtrack words a refused value (``must be a number at most 100``)."""

    def __init__(
        self, kind: type[int] | type[float], *, min: float | None = None, max: float | None = None
    ) -> None:
        self.kind, self.min, self.max = kind, min, max

    def __call__(self, value: object) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value  # a default
        text = str(value).strip()
        number: float
        if self.kind is int:
            if not re.fullmatch(r"[+-]?[0-9]+", text):
                raise typer.BadParameter("must be a whole number")
            number = int(text)
        else:
            try:
                # float() reads other scripts' digits too, and 1_0 as 10: a figure is
                # refused for either (``domain.entries.parse_number``), so is this
                if not text.isascii() or "_" in text:
                    raise ValueError
                number = float(text)
            except ValueError:
                raise typer.BadParameter("must be a number") from None
            if not math.isfinite(number):
                raise typer.BadParameter("must be a finite number")
        if self.min is not None and number < self.min:
            raise typer.BadParameter(f"must be a number at least {self.min:g}")
        if self.max is not None and number > self.max:
            raise typer.BadParameter(f"must be a number at most {self.max:g}")
        return number


def number_option(
    kind: type[int] | type[float],
    *names: str,
    min: float | None = None,
    max: float | None = None,
    **settings: Any,
) -> Any:
    """A numeric option (see ``NumberType``); help shows its range, as Typer shows one."""
    parser = NumberType(kind, min=min, max=max)
    return typer.Option(*names, parser=parser, min=min, max=max, **settings)


def date_option(*names: str, help: str, future_ok: bool = True) -> Any:
    """A date option: ``DATE`` in help, its value a ``datetime.date`` (None when not given:
    the command decides what that means, e.g. today, computed when it runs)."""
    return typer.Option(
        *names, metavar=DateType.metavar, parser=DateType(future_ok=future_ok), help=help
    )


AsOf = Annotated[
    dt.date | None,
    date_option(
        "--as-of",
        help="Score as of this date, YYYY-MM-DD, with what is known now (default: today).",
    ),
]


def main() -> None:
    """The app, with a last guard against tracebacks (``condtrack.main``, the console
    script's entry point, calls it once Ctrl-C is handled)."""
    try:
        _fit_streams()
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # a bug: say so in one line unless asked for the trace
        if _interrupted(error):
            sys.exit(130)
        if os.environ.get("CONDTRACK_DEBUG"):
            raise
        message = message_line(f"{type(error).__name__}: {error}")
        print(
            f"internal error (a bug in condtrack): {message}; set CONDTRACK_DEBUG=1 for details",
            file=sys.stderr,
        )
        sys.exit(70)


def _interrupted(error: BaseException) -> bool:
    """Whether Ctrl-C caused this error: code that wraps what it catches (a class being
    built, a library's own error) can turn a KeyboardInterrupt into something else, and
    one written in Rust (pydantic-core) keeps no trace of it: then the handler's note that
    Ctrl-C was pressed decides."""
    if condtrack.ctrl_c_pressed:
        return True
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


_ESCAPE = "condtrack-escape"


def _fit_streams() -> None:
    """Never fail on a character the standard streams cannot encode (``LC_ALL=C``,
    ``PYTHONIOENCODING=ascii``, a Windows code page; a lone surrogate anywhere).

    What cannot be encoded is written as a ``\\uXXXX`` escape, which keeps JSON valid and
    exact; the terminal views narrow to ASCII lookalikes instead (``render.terminal``).
    Typed answers are read as UTF-8 where the locale says ASCII, as arguments are; those
    that cannot be decoded reach the checks as text they refuse. A stream
    that was closed (``>&-``) reads and writes nothing, and its descriptor holds
    ``/dev/null``, never a file condtrack opens later.
    """
    for fd, name in enumerate(("stdin", "stdout", "stderr")):
        if getattr(sys, name) is None:
            _reopen_on_devnull(fd, name)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", None) != _ESCAPE:
            codecs.register_error(_ESCAPE, _escaped)
            reconfigure(errors=_ESCAPE)
    if hasattr(sys.stdin, "reconfigure"):
        if _is_ascii(getattr(sys.stdin, "encoding", None)):  # answers typed in UTF-8 are that
            sys.stdin.reconfigure(encoding="utf-8", errors="surrogateescape")
        elif getattr(sys.stdin, "errors", None) == "strict":
            sys.stdin.reconfigure(errors="surrogateescape")


def _is_ascii(encoding: str | None) -> bool:
    try:
        return encoding is not None and codecs.lookup(encoding).name == "ascii"
    except LookupError:
        return False


def _reopen_on_devnull(fd: int, name: str) -> None:
    opened = os.open(os.devnull, os.O_RDWR)
    if opened != fd:
        os.dup2(opened, fd)
        os.close(opened)
    setattr(sys, name, open(fd, "r" if fd == 0 else "w", encoding="utf-8", closefd=False))  # noqa: SIM115


def _escaped(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    escapes = []
    for char in error.object[error.start : error.end]:
        code = ord(char)
        if code > 0xFFFF:  # as JSON spells it: a UTF-16 surrogate pair
            high, low = divmod(code - 0x10000, 0x400)
            escapes.append(f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}")
        else:
            escapes.append(f"\\u{code:04x}")
    return "".join(escapes), error.end


def _is_file_name(param: Any) -> bool:
    """Whether a parameter names a file: a ``Path`` (or a list of them), or a string shown
    as ``FILE`` (``--output``: a string, so that ``-`` and ``./-`` stay apart)."""
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    kinds = typing.get_args(annotation) or (annotation,)
    paths = any(isinstance(kind, type) and issubclass(kind, PurePath) for kind in kinds)
    return paths or param.metavar in ("FILE", "PATH")


class _TextAsUtf8(_OptionParser):
    """The command line's parser, giving each parameter that is not a file name its value
    as the UTF-8 it was typed in.

    Under a locale whose encoding is ASCII (``LC_ALL=C``) Python reads each byte of an
    argument beyond ASCII as a lone surrogate (``surrogateescape``), which is what a file
    name must stay: ``os.fsencode`` turns it back into the very bytes typed, where the
    name decoded would be one the ASCII file system encoding cannot even spell. Text (a
    summary, a condition id, a choice) is read as UTF-8 before it is checked or converted.
    """

    def parse_args(self, args: list[str]) -> tuple[dict[str, Any], list[str], list[Any]]:
        opts, rest, order = super().parse_args(args)
        command = self.ctx.command if self.ctx is not None else None
        for param in command.params if command is not None else ():
            if param.name in opts and not _is_file_name(param):
                opts[param.name] = _text_as_utf8(opts[param.name])
        return opts, rest, order


def _parser_reading_text_as_utf8(command: Any, ctx: Any) -> _TextAsUtf8:
    parser = _TextAsUtf8(ctx)  # as Click's Command.make_parser, with the parser above
    for param in command.get_params(ctx):
        param.add_to_parser(parser, ctx)
    return parser


def _text_as_utf8(value: Any) -> Any:
    if isinstance(value, str):
        return _as_utf8(value)
    if isinstance(value, list | tuple):
        return type(value)(_text_as_utf8(item) for item in value)
    return value


def _as_utf8(word: str) -> str:
    """An argument the locale could not decode (``LC_ALL=C``) read as UTF-8 if it is that."""
    if not any("\udc80" <= char <= "\udcff" for char in word):
        return word
    try:
        return os.fsencode(word).decode("utf-8")  # the bytes typed
    except (UnicodeError, ValueError):
        return word


def command_name(command: Any) -> str:
    return str(command.name or command.callback.__name__.replace("_", "-"))
