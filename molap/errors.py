"""The one exception type for bad input: its message names the bad value and what was expected."""


class MolapError(ValueError):
    """Bad input or state (unknown task, wrong shape, NaN loss, corrupt cache)."""
