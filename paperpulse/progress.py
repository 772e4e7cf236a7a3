"""Progress of long stages: a bar on a terminal, and log lines where there is none (Airflow's task
logs, cron mails), so a long backfill, extraction or build never goes quiet for minutes."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

log = logging.getLogger("paperpulse.progress")
T = TypeVar("T")
LOG_EVERY_SECONDS = 30.0


def progress(items: Iterable[T], what: str, total: int | None = None, unit: str = "item") -> Iterator[T]:
    """Yield `items`, showing how far along they are: tqdm on a terminal, else an INFO log line at the
    start, every LOG_EVERY_SECONDS and at the end."""
    total = total if total is not None else (len(items) if hasattr(items, "__len__") else None)
    if sys.stderr.isatty():
        yield from tqdm(items, total=total, desc=what, unit=unit)
        return
    started = last = time.monotonic()
    of = f" of {total}" if total is not None else ""
    log.info("%s: starting%s", what, f" ({total} {unit}s)" if total is not None else "")
    done = 0
    for item in items:
        yield item
        done += 1
        now = time.monotonic()
        if now - last >= LOG_EVERY_SECONDS:
            last = now
            log.info("%s: %d%s %ss done, %.0f s", what, done, of, unit, now - started)
    log.info("%s: %d%s %ss done in %.1f s", what, done, of, unit, time.monotonic() - started)
