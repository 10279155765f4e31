"""condtrack: track a government's compliance with the conditions set for sanctions relief."""

# Nothing is imported here, not even __future__: Ctrl-C while this module is imported
# (`from condtrack import main`, before main() can handle it) prints Python's traceback,
# so the less it runs, the shorter that moment. (typing's TYPE_CHECKING costs 2 ms.)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from sys import UnraisableHookArgs
    from types import FrameType, ModuleType

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

        try:
            run()
        except SystemExit as ending:
            _exit_at_once(ending.code)
            raise
        _exit_at_once(0)
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    finally:
        _ignore_interrupts()  # the process is ending: a late Ctrl-C changes nothing


def _exit_at_once(code: object) -> None:
    """End the process now, without tearing down what it built: freeing a 100,000-entry
    tracker object by object costs a fifth of a second that nobody waits for. Everything
    an ordinary exit would still do that matters is done first: the ``atexit`` handlers
    run and standard output and error are flushed (files written with ``-o`` were closed
    and synced when written; locks go with the process). Only on the console script's
    path (tests calling the app in-process never get here), and never when anything could
    go otherwise than an ordinary exit: an exit with a message, output that cannot be
    flushed (Python's own exit reports that), another thread still running, or coverage
    measuring the run (it saves its data as the interpreter ends). Returns in those cases.
    """
    import sys

    if code is None:
        code = 0
    if type(code) is not int or not 0 <= code <= 255 or "coverage" in sys.modules:
        return
    import threading

    if threading.active_count() > 1:
        return
    import atexit

    if not _flushed(sys):
        return
    atexit._run_exitfuncs()
    atexit._clear()  # run once: the ordinary exit, if it still comes, runs none again
    if not _flushed(sys):
        return
    _ignore_interrupts()
    import os

    os._exit(code)


def _flushed(sys: "ModuleType") -> bool:
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except Exception:  # the ordinary exit says what went wrong, as Python says it
        return False
    return True


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
