"""The one exception type that the command line turns into a clean message and exit code 2."""


class InputError(ValueError):
    """Bad input: the message names the file and the field or line at fault."""
