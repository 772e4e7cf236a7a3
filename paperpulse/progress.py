"""Progress of long stages: a bar on a terminal, and log lines where there is none (Airflow's task
logs, cron mails), so a long backfill, extraction or build never goes quiet for minutes."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO, TypeVar

from tqdm import tqdm

log = logging.getLogger("paperpulse.progress")
T = TypeVar("T")
LOG_EVERY_SECONDS = 30.0
GIB = 1024**3


def progress(items: Iterable[T], what: str, total: int | None = None, unit: str = "item") -> Iterator[T]:
    """Yield `items`, showing how far along they are: tqdm on a terminal, else an INFO log line at the
    start, every LOG_EVERY_SECONDS and at the end."""
    total = total if total is not None else (len(items) if hasattr(items, "__len__") else None)
    if sys.stderr.isatty():
        yield from tqdm(items, total=total, desc=what, unit=unit)
        return
    started = last = time.monotonic()
    of = f" of {total}" if total is not None else ""
    units = unit + ("es" if unit.endswith(("ch", "sh", "s", "x")) else "s")
    log.info("%s: starting%s", what, f" ({total} {units})" if total is not None else "")
    done = 0
    for item in items:
        yield item
        done += 1
        now = time.monotonic()
        if now - last >= LOG_EVERY_SECONDS:
            last = now
            log.info("%s: %d%s %s done, %.0f s", what, done, of, units, now - started)
    log.info("%s: %d%s %s done in %.1f s", what, done, of, units, time.monotonic() - started)


class Meter:
    """Wall time and peak memory (RSS summed over this process and its descendants) per stage."""

    def __init__(self, interval: float = 0.05, progress: TextIO | None = None):
        import psutil

        self._progress = progress  # where to print each stage as it first starts

        self._process = psutil.Process()
        self._interval = interval
        self._active: dict[str, float] = {}
        self.seconds: dict[str, float] = defaultdict(float)
        self.peak: dict[str, int] = defaultdict(int)
        self.overall_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def tree_rss(self) -> int:
        total = 0
        for process in [self._process, *self._process.children(recursive=True)]:
            try:
                total += process.memory_info().rss
            except Exception:  # the process ended meanwhile
                continue
        return total

    def _sample(self) -> None:
        while not self._stop.wait(self._interval):
            rss = self.tree_rss()
            self.overall_peak = max(self.overall_peak, rss)
            for name in list(self._active):
                self.peak[name] = max(self.peak[name], rss)

    def observe(self, event: str, name: str) -> None:
        if event == "start":
            if self._progress and name not in self.seconds:
                elapsed = time.perf_counter() - self._started
                tqdm.write(f"  {elapsed:7.1f} s  {name} ...", file=self._progress)  # above any bar
            self._active[name] = time.perf_counter()
            self.peak[name] = max(self.peak[name], self.tree_rss())
        else:
            self.seconds[name] += time.perf_counter() - self._active.pop(name)

    @contextmanager
    def stage(self, name: str):
        self.observe("start", name)
        try:
            yield
        finally:
            self.observe("end", name)

    def __enter__(self) -> Meter:
        from paperpulse import hooks

        hooks.observers.append(self.observe)
        self._thread.start()
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        from paperpulse import hooks

        self.total_seconds = time.perf_counter() - self._started
        self._stop.set()
        self._thread.join()
        hooks.observers.remove(self.observe)
