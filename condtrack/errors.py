"""The one exception type the CLI turns into a one-line message and exit code 2."""


class CondtrackError(Exception):
    """A problem with the user's input or data that they can fix.

    The message is a single line naming the entry and field at fault; the CLI prints it
    to standard error and exits with ``exit_code``. Nothing is written when it is raised.
    """

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        text = self.args[0]
        return f"{text}; {self.hint}" if self.hint else text
