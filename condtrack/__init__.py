"""condtrack: track a government's compliance with the conditions set for sanctions relief."""

# Nothing is imported here, not even __future__: Ctrl-C while this module is imported
# (`from condtrack import main`, before main() can handle it) prints Python's traceback,
# so the less it runs, the shorter that moment. (typing's TYPE_CHECKING costs 2 ms.)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from sys import UnraisableHookArgs
    from types import FrameType

__version__ = "0.1.0"

# Set once Ctrl-C has been pressed: code that catches what it calls raises (pydantic-core
# building a schema turns a KeyboardInterrupt into a SchemaError of its own, with no
# cause) can lose the interrupt itself, not the fact that the user asked to stop.
ctrl_c_pressed = False


def main() -> None:
    """The console script and ``python -m condtrack``: Ctrl-C exits 130, silently.

    It lives here, in the one module both import first, so that Ctrl-C is handled from the
    moment condtrack's own code runs; everything else (typer, Rich, the commands) is
    imported under the guard.
    """
    try:
        import signal

        signal.signal(signal.SIGINT, _interrupted)
        import sys

        sys.unraisablehook = _unraisable
        if hasattr(signal, "SIGPIPE"):  # a reader that went away (`| head`) ends us quietly
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        from condtrack.cli import main as run

        run()
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    finally:
        _ignore_interrupts()  # the process is ending: a late Ctrl-C changes nothing


def _interrupted(signum: int, frame: "FrameType | None") -> None:
    """Python's own reaction to Ctrl-C, except during an import: a KeyboardInterrupt raised
    there can land in a callback of the import machinery, which prints it and carries on,
    or in a class being built, which wraps it in another error. Nothing half-imported
    needs undoing, so the process ends at once."""
    global ctrl_c_pressed
    ctrl_c_pressed = True
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            import os

            os._exit(130)
        frame = frame.f_back
    raise KeyboardInterrupt


def _unraisable(report: "UnraisableHookArgs") -> None:
    """A Ctrl-C that landed in a finalizer (a destructor, a weakref or GC callback), where
    Python cannot raise it and only prints "Exception ignored" with a traceback: the run
    carries on, silently, as if the key had been pressed a moment later. Anything else
    unraisable is reported as Python would."""
    import sys

    if report.exc_type is not None and issubclass(report.exc_type, KeyboardInterrupt):
        return
    sys.__unraisablehook__(report)


def _ignore_interrupts() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
