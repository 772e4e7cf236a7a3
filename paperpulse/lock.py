"""One run at a time per warehouse: `$PAPERPULSE_HOME/paperpulse.lock`, taken with `fcntl.flock` for a whole
command that writes the warehouse (`paperpulse run`, `backfill`, `ingest`, ...) or for one Airflow task.

A run spans several connections to the build file, and files beside it (landing, extraction plans,
staging): DuckDB's own file lock covers one connection only, so without this a second run could delete
the first one's extraction plan between two of them. The lock is the kernel's and dies with its process,
so a run killed with `kill -9` leaves nothing to clear; the file only tells a refused run who holds it.

A command is refused at once; an Airflow task waits for it (its execution timeout bounds the wait).
Extraction batches, which never open the build file and run side by side, share it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from paperpulse.errors import WarehouseBusy
from paperpulse.settings import Settings

LOCK_FILE = "paperpulse.lock"
WAIT_POLL_SECONDS = 1.0
log = logging.getLogger(__name__)


def describe_holder(text: str) -> str:
    """`pid 1234, started 14:05, paperpulse run` from what the holder wrote (the date too when not today)."""
    try:
        holder = json.loads(text)
        started = datetime.fromisoformat(holder["started"]).astimezone()
    except (ValueError, KeyError, TypeError):
        return "pid unknown"
    when = started.strftime("%H:%M" if started.date() == datetime.now().date() else "%Y-%m-%d %H:%M")
    return f"pid {holder['pid']}, started {when}, {holder['command']}"


def busy_message(settings: Settings, fd: int) -> str:
    holder = os.pread(fd, 4096, 0).decode("utf-8", errors="replace")
    return (
        f"another run ({describe_holder(holder)}) holds the warehouse {settings.home}; "
        "try again when it has finished"
    )


@contextmanager
def hold(settings: Settings, command: str, wait: bool = False, shared: bool = False) -> Iterator[None]:
    """Hold the warehouse lock while the block runs, as `command` (shown to whoever is refused).
    Held: raises WarehouseBusy, or with `wait` waits until it is free. `shared` holders (extraction
    batches) exclude the others but not one another."""
    settings.home.mkdir(parents=True, exist_ok=True)
    fd = os.open(settings.home / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o664)
    try:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        waited = False
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait:
                    raise WarehouseBusy(busy_message(settings, fd)) from None
                if not waited:
                    log.warning("waiting: %s", busy_message(settings, fd))
                    waited = True
                time.sleep(WAIT_POLL_SECONDS)
        holder = {"pid": os.getpid(), "started": datetime.now().astimezone().isoformat(), "command": command}
        body = json.dumps(holder).encode()
        os.pwrite(fd, body, 0)
        os.ftruncate(fd, len(body))
        yield
    finally:
        os.close(fd)  # releases the lock
