"""Named points in a run: each stage logs its duration, benchmarks time the stages between them, crash
tests kill the process at them.

`@stage("name")` marks a stage function: observers hear when it starts and ends, and the crash points
`before-<name>` and `after-<name>` surround it. `crash_point("name")` marks a point inside a stage.

Test hook: PAPERPULSE_CRASH_AT=<point> makes the process kill itself and its whole process group
(the extraction workers too) with SIGKILL when it reaches that point, as `kill -9` or a power cut
would. Crash tests start the pipeline in a session of its own and use this to stop it mid-run at
exact places. Unset (always, outside those tests), the hooks cost nothing.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import time
from collections.abc import Callable

CRASH_AT = "PAPERPULSE_CRASH_AT"
log = logging.getLogger("paperpulse.stages")

# Called with ("start" or "end", stage name); the benchmark registers one to time the stages.
observers: list[Callable[[str, str], None]] = []


def crash_point(name: str) -> None:
    if os.environ.get(CRASH_AT) == name:
        os.killpg(os.getpgrp(), signal.SIGKILL)


def stage(name: str) -> Callable:
    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def run(*args, **kwargs):
            crash_point(f"before-{name}")
            for observer in observers:
                observer("start", name)
            started = time.monotonic()
            try:
                result = function(*args, **kwargs)
            finally:
                for observer in observers:
                    observer("end", name)
            log.info("%s: done in %.1f s", name, time.monotonic() - started)
            crash_point(f"after-{name}")
            return result

        return run

    return decorate
