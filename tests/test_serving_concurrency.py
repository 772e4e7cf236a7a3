"""Safe to read at any time: reader processes query the serving file and the Parquet copies in a loop
while several full pipeline runs publish different marts. No reader ever errors or sees a
half-published state, and a reader holding the serving file open the whole time blocks no run."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date, timedelta

import pytest

from tests.conftest import REPO, copy_home, run_cli
from tests.services import ServiceExited, wait_until

RUNS = 3
READERS = ("serving", "parquet", "holder")


def drop_inbox_file(home, day: date, n: int) -> None:
    """Two new papers listed on `day`, written then renamed into the inbox (how the inbox wants it)."""
    inbox = home / "inbox"
    inbox.mkdir(exist_ok=True)
    lines = [
        {
            "title": f"Concurrent reading study {n}.{i}: folding {day:%B %d} snapshots",
            "abstract": f"We study snapshot folding number {n}.{i} for readers of published marts, "
            f"and report that readers see whole publications on {day}.",
            "listed_date": day.isoformat(),
            "upvotes": 10 * n + i,
        }
        for i in range(2)
    ]
    tmp = inbox / f".run-{n}.jsonl.part"
    tmp.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    tmp.rename(inbox / f"run-{n}.jsonl")


@pytest.mark.slow
def test_readers_never_error_never_see_half_a_publication_and_never_block_a_run(published_home, tmp_path):
    home = copy_home(published_home, tmp_path / "warehouse")
    stop = tmp_path / "stop"
    readers = {
        mode: subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.serving_reader",
                mode,
                str(home),
                str(stop),
                str(tmp_path / f"{mode}.json"),
            ],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        for mode in READERS
    }

    def progress(mode: str) -> dict | None:
        """What a reader's last read saw (None before its first): tests/serving_reader.py writes it."""
        if readers[mode].poll() is not None:
            raise ServiceExited(
                f"reader {mode} exited {readers[mode].returncode}: {readers[mode].stderr.read()}"
            )
        path = tmp_path / f"{mode}.json.progress"
        return json.loads(path.read_text()) if path.exists() else None

    try:
        # every reader is in its loop, having read once (the holder with its connection open)
        wait_until(lambda: all(progress(mode) for mode in READERS), 120, "readers reading", interval=0.05)
        run_ids, durations, started = [], [], time.time()
        for n in range(1, RUNS + 1):
            drop_inbox_file(home, date(2024, 3, 11) + timedelta(days=n), n)
            began = time.time()
            printed = run_cli(home, "run", "--source", "inbox", "--date", f"2024-03-{11 + n}").stdout
            durations.append(round(time.time() - began, 1))
            assert "2 new" in printed and "unchanged, left as they were" not in printed, printed
            run_ids.append(printed.split()[2].rstrip(":"))
        finished = time.time()
        wait_until(  # the readers see the last run, and the holder reads after it
            lambda: (
                all(progress(mode)["run_id"] == run_ids[-1] for mode in ("serving", "parquet"))
                and progress("holder")["last_read_at"] > finished
            ),
            120,
            "readers reading the last run",
            interval=0.05,
        )
    finally:
        stop.touch()
        for process in readers.values():
            process.wait(timeout=120)
    reports = {mode: json.loads((tmp_path / f"{mode}.json").read_text()) for mode in READERS}
    summary = {
        mode: {k: r[k] for k in ("reads", "error_count", "inconsistent_count", "runs_seen")}
        for mode, r in reports.items()
    }
    print(f"runs {run_ids} took {durations} s; readers: {json.dumps(summary)}")

    for mode, report in reports.items():
        assert report["error_count"] == 0, (mode, report["errors"], readers[mode].stderr.read())
        assert report["inconsistent_count"] == 0, (mode, report["inconsistent"])
        assert report["reads"] >= 20, (mode, report["reads"])
    for mode in ("serving", "parquet"):
        seen = reports[mode]["runs_seen"]
        assert seen[-1] == run_ids[-1], (mode, seen, run_ids)  # a new connection sees the newest run
        assert len(seen) >= 2, (mode, seen)  # and it saw runs change under it
        assert seen == sorted(seen, key=[seen[0], *run_ids].index)  # never back to an older run
    holder = reports["holder"]
    assert len(holder["runs_seen"]) == 1  # its one snapshot, kept while every run published
    assert holder["first_read_at"] < started and holder["last_read_at"] > finished
