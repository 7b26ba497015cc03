"""The one exception type for bad input: the CLI turns it into a one-line message and exit 2."""


class ForecastError(Exception):
    """A problem with the user's input, stated with its fix.

    The message is shown as is, on one line, with no traceback, so it must name the problem, the
    offending value and what to do about it.
    """
