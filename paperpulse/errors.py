"""Errors that stop a run with a clear message (the CLI prints them without a traceback)."""

from expectations.errors import GateFailed  # a gate found bad data; the run stops, nothing is published

__all__ = ["BuildFailed", "DigestNotSent", "GateFailed", "PublishRefused", "SourceFailed", "WarehouseBusy"]


class PublishRefused(RuntimeError):
    """The built marts have not passed the marts gate as they are now: nothing is published."""


class WarehouseBusy(RuntimeError):
    """Another process holds the build file; DuckDB allows one writer."""


class BuildFailed(RuntimeError):
    """dbt could not build the marts or one of its data tests failed."""


class SourceFailed(RuntimeError):
    """A source could not deliver an interval: down after bounded retries, or it refused the request.
    Nothing of that interval is landed or loaded; the published marts stay as they were."""


class DigestNotSent(RuntimeError):
    """The digest was written, but the mail server did not take it (the marts are published)."""
