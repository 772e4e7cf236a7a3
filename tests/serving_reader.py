"""A dashboard-like reader for the concurrency test, run as its own process (in one process DuckDB
would hand back the instance it already has open, and the reader would never see a new file):

    python -m tests.serving_reader MODE HOME STOP_FILE REPORT_FILE

It reads in a loop until STOP_FILE exists, then writes a JSON report; after every read it replaces
REPORT_FILE.progress (the run it saw last, and when), so that a test waits for readers, not a fixed time.
Every read checks that what it sees is one whole publication: each mart's row count is the one
publish_info records, and the content fingerprint recomputed over all marts equals publish_info's. Modes:

- serving: connect to serving.duckdb read-only, read, close; every read a fresh connection.
- parquet: resolve the parquet link once per read, then read publish_info and every mart from there.
- holder:  one read-only connection to serving.duckdb kept open the whole time (a dashboard that never
           reconnects): it must keep seeing its one snapshot, and runs must publish regardless.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path

import duckdb

from paperpulse.settings import MARTS
from paperpulse.warehouse.publish import marts_fingerprint

PAUSE = 0.2  # seconds between reads: leave most of the two cores to the runs


def check(con: duckdb.DuckDBPyConnection) -> tuple[str, str | None]:
    """(run_id, None) for a whole publication, else (run_id, what is inconsistent)."""
    run_id, fingerprint, row_counts = con.execute(
        "select run_id, fingerprint, row_counts from publish_info"
    ).fetchone()
    found, counts = marts_fingerprint(con, "main")
    expected = json.loads(row_counts)
    if counts != expected:
        diff = {m: (counts[m], expected.get(m)) for m in MARTS if counts[m] != expected.get(m)}
        return run_id, f"row counts differ from publish_info: {diff}"
    if found != fingerprint:
        return run_id, f"fingerprint {found} is not publish_info's {fingerprint}"
    return run_id, None


def read_serving(home: Path) -> tuple[str, str | None]:
    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        return check(con)


def read_parquet(home: Path) -> tuple[str, str | None]:
    folder = (home / "parquet").resolve()  # one version for the whole read
    with duckdb.connect() as con:
        for table in (*MARTS, "publish_info"):
            con.execute(f"create view {table} as select * from read_parquet('{folder / f'{table}.parquet'}')")
        return check(con)


def main(mode: str, home: Path, stop: Path, report_file: Path) -> None:
    reads, errors, inconsistent, runs_seen = 0, [], [], []
    held = duckdb.connect(str(home / "serving.duckdb"), read_only=True) if mode == "holder" else None
    first_read_at = last_read_at = None
    while not stop.exists():
        try:
            if held is not None:
                run_id, problem = check(held)
            elif mode == "serving":
                run_id, problem = read_serving(home)
            else:
                run_id, problem = read_parquet(home)
            reads += 1
            first_read_at = first_read_at or time.time()
            last_read_at = time.time()
            if not runs_seen or runs_seen[-1] != run_id:
                runs_seen.append(run_id)
            if problem:
                inconsistent.append(f"{run_id}: {problem}")
            progress = report_file.with_name(f"{report_file.name}.progress.tmp")
            progress.write_text(json.dumps({"run_id": run_id, "reads": reads, "last_read_at": last_read_at}))
            progress.rename(report_file.with_name(f"{report_file.name}.progress"))
        except Exception:
            errors.append(traceback.format_exc(limit=3))
        time.sleep(PAUSE)
    if held is not None:
        held.close()
    report = {
        "mode": mode,
        "pid": os.getpid(),
        "reads": reads,
        "errors": errors[:5],
        "error_count": len(errors),
        "inconsistent": inconsistent[:5],
        "inconsistent_count": len(inconsistent),
        "runs_seen": runs_seen,
        "first_read_at": first_read_at,
        "last_read_at": last_read_at,
    }
    report_file.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
