"""The gates' error (paperpulse.errors re-exports it: the CLI prints it without a traceback)."""


class GateFailed(RuntimeError):
    """A gate found bad data; the run stops and nothing is published."""
