"""The build file (single writer) and the dbt build that turns raw tables into marts."""

from __future__ import annotations

import hashlib
import json
import os
import logging
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from paperpulse.settings import DBT_PROJECT_DIR, Settings
from paperpulse.errors import BuildFailed
from paperpulse.warehouse.connection import connect_build, transaction
from paperpulse.hooks import stage
from paperpulse.progress import LOG_EVERY_SECONDS
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildReport:
    statuses: dict[str, Counter] = field(default_factory=dict)  # resource type -> status counts
    full_refresh: bool = False  # every model rebuilt whole (the first build, or the project changed)

    @property
    def models_built(self) -> int:
        return self.statuses.get("model", Counter())["success"]

    @property
    def tests_passed(self) -> int:
        return (
            self.statuses.get("test", Counter())["pass"] + self.statuses.get("unit_test", Counter())["pass"]
        )

    def as_dict(self) -> dict:
        return {"models_built": self.models_built, "tests_passed": self.tests_passed, "full_refresh": self.full_refresh}


def dbt(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    """Run a dbt command on the project in dbt/ against this home's build file. Its lines are logged as
    they come (a line every LOG_EVERY_SECONDS at INFO, all at DEBUG), so a long build shows progress in
    Airflow's logs; past `settings.dbt_timeout` seconds it is stopped and BuildFailed says so."""
    env = {
        **os.environ,
        "PAPERPULSE_BUILD_DB": str(settings.build_db),
        "PAPERPULSE_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
        "DBT_LOG_PATH": str(settings.home / "dbt" / "logs"),
        "DBT_TARGET_PATH": str(settings.home / "dbt" / "target"),
        "DO_NOT_TRACK": "1",
        "DBT_USE_COLORS": "false",  # its lines go into error messages
    }
    command = [os.path.join(os.path.dirname(sys.executable), "dbt"), *args]
    command += ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    deadline = time.monotonic() + settings.dbt_timeout
    with subprocess.Popen(
        command,
        cwd=DBT_PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a timeout stops dbt and whatever it started
    ) as process:
        timer = threading.Timer(settings.dbt_timeout, os.killpg, (process.pid, signal.SIGKILL))
        timer.start()
        try:
            stderr = []
            reader = threading.Thread(target=lambda: stderr.extend(process.stderr), daemon=True)
            reader.start()
            stdout, last = [], time.monotonic()
            for line in process.stdout:
                stdout.append(line)
                log.debug("dbt: %s", line.rstrip())
                if _PROGRESS.search(line) and time.monotonic() - last >= LOG_EVERY_SECONDS:
                    last = time.monotonic()
                    log.info("dbt %s: %s", args[0], line.strip())
            process.wait()
            reader.join()
        finally:
            timer.cancel()
    if time.monotonic() >= deadline and process.returncode < 0:
        raise BuildFailed(f"dbt {args[0]} did not finish within {settings.dbt_timeout:.0f} s and was stopped")
    return subprocess.CompletedProcess(command, process.returncode, "".join(stdout), "".join(stderr))


_PROGRESS = re.compile(r"\b\d+ of \d+ ")


# What the marts are built from besides raw tables: the dbt project and the lexicons it loads as seeds.
PROJECT_FILES = ("dbt_project.yml", "models/**/*", "macros/**/*", "seeds/**/*", "tests/**/*")
LEXICON_DIR = DBT_PROJECT_DIR.parent / "extract" / "lexicons"


def project_fingerprint() -> str:
    digest = hashlib.sha256()
    files = {p for pattern in PROJECT_FILES for p in DBT_PROJECT_DIR.glob(pattern) if p.is_file()}
    files |= set(LEXICON_DIR.glob("*.csv"))
    for path in sorted(files):
        digest.update(f"{path.relative_to(DBT_PROJECT_DIR.parent)}\0".encode() + path.read_bytes())
    return digest.hexdigest()[:16]


CHANGED_PAPERS = "changed papers"  # what an incremental build rebuilt and tested
# build_state name set by a full rebuild until a publish includes it: till then the built paper marts may
# differ from the published ones in any paper, not only in the changed ones
UNPUBLISHED_FULL_BUILD = "unpublished full build"
# the `where` of the data tests on paper-keyed tables in an incremental build (dbt_project.yml: tested_rows)
TESTED_ROWS = "paper_id in (select paper_id from raw.changed_papers)"


# the rows incremental models keep for the aggregates over them (dbt/macros/incremental.sql: replaced)
REPLACED_ROWS_TABLES = (
    "select schema_name, table_name from duckdb_tables() where database_name = current_database() "
    "and table_name like '%\\_replaced' escape '\\'"
)


def build_state(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("select name, value from raw.build_state").fetchall())


@stage("build")
def build(settings: Settings) -> BuildReport:
    """`dbt build`: seeds, staging, intermediate and marts, each followed by its data tests.

    Incremental: paper-keyed models rebuild only the papers changed since the last publish, and their
    tests test only those rows (and so does the marts gate). A full rebuild instead when the project or
    the lexicons changed since the last build (or on the first).
    """
    fingerprint = project_fingerprint()
    started = datetime.now(UTC).replace(tzinfo=None)
    with connect_build(settings) as con:
        full_refresh = build_state(con).get("project") != fingerprint
    if full_refresh:
        completed = dbt(settings, "build", "--full-refresh")
    else:
        completed = dbt(settings, "build", "--vars", json.dumps({"tested_rows": TESTED_ROWS}))
    results_file = settings.home / "dbt" / "target" / "run_results.json"
    if completed.returncode != 0:
        raise BuildFailed(f"dbt build failed (exit {completed.returncode}):\n{failure_detail(completed)}")
    record_build(settings, fingerprint, started, full_refresh)
    statuses: dict[str, Counter] = {}
    for result in json.loads(results_file.read_text())["results"]:
        resource_type = result["unique_id"].split(".", 1)[0]
        statuses.setdefault(resource_type, Counter())[result["status"]] += 1
    return BuildReport(statuses, full_refresh)


def failure_detail(completed: subprocess.CompletedProcess) -> str:
    """What failed and why: dbt's ERROR and FAIL lines, then the distinct reasons it gives
    ("IO Error: ... No space left on device", "Database Error ...")."""
    lines = completed.stdout.splitlines()
    failures = [line for line in lines if "ERROR" in line or "FAIL" in line]
    reasons = list(dict.fromkeys(line.strip() for line in lines if re.search(r"\w Error\b|Error:", line)))
    detail = "\n".join(failures[-20:] + reasons[-10:])
    return detail or completed.stdout[-3000:] + completed.stderr[-2000:]


def record_build(settings: Settings, fingerprint: str, started: datetime, full_refresh: bool) -> None:
    """After a good build: what it was built from, and which changes its marts now include."""
    state = {"project": fingerprint, "tested": "all" if full_refresh else CHANGED_PAPERS}
    if full_refresh:
        state[UNPUBLISHED_FULL_BUILD] = "yes"
    with connect_build(settings) as con:
        with transaction(con):
            con.executemany(
                "insert or replace into raw.build_state values (?, ?)", [list(item) for item in state.items()]
            )
            con.execute("update raw.changed_papers set built = true where changed_at <= ?", [started])
            for schema, table in con.execute(REPLACED_ROWS_TABLES).fetchall():
                con.execute(f'delete from "{schema}"."{table}"')  # every aggregate has recomputed their keys


def docs(settings: Settings) -> Path:
    """`dbt docs generate --static`: one self-contained HTML file (descriptions, lineage, exposures and,
    from the build file, column types), readable offline from disk. Returns its path."""
    if not settings.build_db.exists():
        raise FileNotFoundError(f"no build file at {settings.build_db}: run `paperpulse run` first")
    site = settings.home / "dbt" / "docs"
    completed = dbt(settings, "docs", "generate", "--static", "--target-path", str(site))
    if completed.returncode != 0:
        raise BuildFailed(f"dbt docs generate failed:\n{completed.stdout[-3000:]}{completed.stderr[-2000:]}")
    return site / "static_index.html"
