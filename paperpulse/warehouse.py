"""The build file (single writer) and the dbt build that turns raw tables into marts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from extract import raw
from paperpulse.config import DBT_PROJECT_DIR, Settings
from paperpulse.errors import BuildFailed, WarehouseBusy


@contextmanager
def connect_build(settings: Settings, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the build file; a write connection makes sure the raw tables exist."""
    if read_only and not settings.build_db.exists():
        raise FileNotFoundError(f"no build file at {settings.build_db}: run `paperpulse ingest` first")
    settings.home.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(settings.build_db), read_only=read_only)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise WarehouseBusy(
                f"the build file {settings.build_db} is in use by another run: {error}"
            ) from error
        raise
    try:
        if not read_only:
            raw.ensure_schema(con)
        yield con
    finally:
        con.close()


@dataclass(frozen=True)
class BuildReport:
    statuses: dict[str, Counter] = field(default_factory=dict)  # resource type -> status counts

    @property
    def models_built(self) -> int:
        return self.statuses.get("model", Counter())["success"]

    @property
    def tests_passed(self) -> int:
        return (
            self.statuses.get("test", Counter())["pass"] + self.statuses.get("unit_test", Counter())["pass"]
        )


def dbt(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    """Run a dbt command on the project in dbt/ against this home's build file."""
    env = {
        **os.environ,
        "PAPERPULSE_BUILD_DB": str(settings.build_db),
        "DBT_LOG_PATH": str(settings.home / "dbt" / "logs"),
        "DBT_TARGET_PATH": str(settings.home / "dbt" / "target"),
        "DO_NOT_TRACK": "1",
    }
    command = [os.path.join(os.path.dirname(sys.executable), "dbt"), *args]
    command += ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    return subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)


def build(settings: Settings) -> BuildReport:
    """`dbt build`: seeds, staging, intermediate and marts, each followed by its data tests."""
    completed = dbt(settings, "build")
    results_file = settings.home / "dbt" / "target" / "run_results.json"
    if completed.returncode != 0:
        failures = [line for line in completed.stdout.splitlines() if "ERROR" in line or "FAIL" in line]
        detail = "\n".join(failures[-20:]) or completed.stdout[-3000:] + completed.stderr[-2000:]
        raise BuildFailed(f"dbt build failed (exit {completed.returncode}):\n{detail}")
    statuses: dict[str, Counter] = {}
    for result in json.loads(results_file.read_text())["results"]:
        resource_type = result["unique_id"].split(".", 1)[0]
        statuses.setdefault(resource_type, Counter())[result["status"]] += 1
    return BuildReport(statuses)


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
