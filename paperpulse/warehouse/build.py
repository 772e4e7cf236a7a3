"""The build file (single writer) and the dbt build that turns raw tables into marts."""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import os
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

from paperpulse.errors import BuildFailed
from paperpulse.hooks import stage
from paperpulse.progress import LOG_EVERY_SECONDS
from paperpulse.settings import DBT_PROJECT_DIR, Settings
from paperpulse.warehouse.connection import connect_build, transaction

log = logging.getLogger(__name__)
WARNED_SHOWN = 10  # tests named in the summary line when more warned


@dataclass(frozen=True)
class SourceFreshness:
    """One raw table's `dbt source freshness` result (dbt/models/staging/_sources.yml says how fresh)."""

    source: str  # raw.papers
    status: str  # pass, warn, error (past error_after) or runtime error
    age_seconds: float | None = None  # since the newest loaded_at
    warn_after: str = ""  # "3 days"
    error_after: str = ""
    empty: bool = False  # no row loaded yet (dbt then dates the newest row to the year 1)

    @property
    def stale(self) -> bool:
        return self.status in ("warn", "error") and not self.empty

    def describe(self) -> str:
        if self.age_seconds is None:
            return f"{self.source} ({self.status})"
        after = (
            f"error after {self.error_after}" if self.status == "error" else f"warn after {self.warn_after}"
        )
        return f"{self.source} last loaded {self.age_seconds / 86400:.1f} days ago ({after})"


@dataclass(frozen=True)
class BuildReport:
    statuses: dict[str, Counter] = field(default_factory=dict)  # resource type -> status counts
    full_refresh: bool = False  # every model rebuilt whole (the first build, or the project changed)
    warned: tuple[str, ...] = ()  # the tests that warned (severity warn), by name
    freshness: tuple[SourceFreshness, ...] | None = None  # None: `dbt source freshness` gave no answer
    skipped: bool = False  # dbt not run: no raw row changed since the last good build

    @property
    def models_built(self) -> int:
        return self.statuses.get("model", Counter())["success"]

    @property
    def tests_passed(self) -> int:
        return (
            self.statuses.get("test", Counter())["pass"] + self.statuses.get("unit_test", Counter())["pass"]
        )

    @property
    def tests_warned(self) -> int:
        return len(self.warned)

    @property
    def stale_sources(self) -> list[SourceFreshness]:
        return [source for source in self.freshness or () if source.stale]

    def as_dict(self) -> dict:
        return {
            "models_built": self.models_built,
            "tests_passed": self.tests_passed,
            "full_refresh": self.full_refresh,
            "describe": self.describe(),
        }

    def describe(self) -> str:
        """`30 models built, 205 tests passed, 3 warned (name, name, name)`, and any stale source."""
        if self.skipped:
            return "nothing to build: no raw row changed since the last build"
        line = f"{self.models_built} models built, {self.tests_passed} tests passed"
        if self.warned:
            names = ", ".join(self.warned[:WARNED_SHOWN])
            more = len(self.warned) - WARNED_SHOWN
            line += f", {len(self.warned)} warned ({names}{f' and {more} more' if more > 0 else ''})"
        if self.freshness is None:
            line += "; source freshness not checked (see dbt's log)"
        elif self.stale_sources:
            line += "; stale sources: " + ", ".join(source.describe() for source in self.stale_sources)
        return line

    @classmethod
    def from_artifacts(cls, run_results: Path, sources: Path | None = None, full_refresh: bool = False):
        """From `dbt build`'s run_results.json and, when given, `dbt source freshness`'s sources.json
        (missing: freshness was not checked)."""
        statuses: dict[str, Counter] = {}
        warned = []
        for result in json.loads(run_results.read_text())["results"]:
            resource_type = result["unique_id"].split(".", 1)[0]
            statuses.setdefault(resource_type, Counter())[result["status"]] += 1
            if result["status"] == "warn":
                warned.append(result["unique_id"].split(".")[2])  # test.<project>.<name>[.<hash>]
        freshness = None
        if sources is not None and sources.exists():
            results = json.loads(sources.read_text())["results"]
            freshness = tuple(sorted((source_freshness(r) for r in results), key=lambda f: f.source))
        return cls(statuses, full_refresh, tuple(sorted(warned)), freshness)


def source_freshness(result: dict) -> SourceFreshness:
    def after(criteria: dict | None) -> str:
        if not criteria or criteria.get("count") is None:
            return ""
        return f"{criteria['count']} {criteria['period']}{'s' * (criteria['count'] != 1)}"

    criteria = result.get("criteria") or {}
    return SourceFreshness(
        source=result["unique_id"].removeprefix("source.").split(".", 1)[1],  # source.<project>.raw.papers
        status=result["status"],
        age_seconds=result.get("max_loaded_at_time_ago_in_s"),
        warn_after=after(criteria.get("warn_after")),
        error_after=after(criteria.get("error_after")),
        empty=str(result.get("max_loaded_at") or "").startswith("0001-"),
    )


def _dbt_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        # relative to the home, dbt's working folder: one profile for every home, so a copied home's build
        # (and every build after a home's first) reuses dbt's saved parse instead of parsing it all again
        "PAPERPULSE_BUILD_DB": settings.build_db.name,
        "PAPERPULSE_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
        "DBT_LOG_PATH": str(settings.home / "dbt" / "logs"),
        "DBT_TARGET_PATH": str(settings.home / "dbt" / "target"),
        "DO_NOT_TRACK": "1",
        "DBT_USE_COLORS": "false",  # its lines go into error messages
    }


PROJECT_ARGS = ("--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR))


def dbt(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    """Run a dbt command on the project in dbt/ against this home's build file."""
    return _run(settings, [os.path.join(os.path.dirname(sys.executable), "dbt"), *args, *PROJECT_ARGS])


def _run(settings: Settings, command: list[str]) -> subprocess.CompletedProcess:
    """Run dbt on dbt/ with this home's environment, in the home. Its lines are logged as they come (one every
    LOG_EVERY_SECONDS at INFO, all at DEBUG), so a long build shows progress in Airflow's logs; past
    `settings.dbt_timeout` seconds it is stopped (with whatever it started) and BuildFailed says so."""
    with subprocess.Popen(
        command,
        cwd=settings.home,
        env=_dbt_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_die_with_parent,
    ) as process:
        timer = threading.Timer(settings.dbt_timeout, process.kill)
        timer.start()
        stderr: list[str] = []
        reader = threading.Thread(target=lambda: stderr.extend(process.stderr), daemon=True)
        reader.start()
        stdout, last = [], time.monotonic()
        try:
            for line in process.stdout:
                stdout.append(line)
                log.debug("dbt: %s", line.rstrip())
                if _PROGRESS.search(line) and time.monotonic() - last >= LOG_EVERY_SECONDS:
                    last = time.monotonic()
                    log.info("dbt: %s", line.strip())
            process.wait()
            reader.join()
        finally:
            timed_out = not timer.is_alive() and process.returncode is not None and process.returncode < 0
            timer.cancel()
    if timed_out:
        raise BuildFailed(f"dbt did not finish within {settings.dbt_timeout:.0f} s and was stopped")
    return subprocess.CompletedProcess(command, process.returncode, "".join(stdout), "".join(stderr))


_PROGRESS = re.compile(r"\b\d+ of \d+ ")
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In dbt's process before it starts: a run killed outright (kill -9) takes its dbt with it, rather than
    leaving it building and holding the build file's lock for the next run."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def dbt_commands(
    settings: Settings, *commands: list[str], shared: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """Run dbt commands one after another in one process, on one parse of the project (`shared` args, e.g.
    --vars, go to the parse and every command; paperpulse/warehouse/dbt_session.py): those before the last
    only report and cost what they do, not dbt's start; the last one's is the exit status."""
    session = json.dumps({"shared": [*shared, *PROJECT_ARGS], "commands": [list(args) for args in commands]})
    return _run(settings, [sys.executable, "-m", "paperpulse.warehouse.dbt_session", session])


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
# the `where` of the data tests on paper-keyed tables (dbt_project.yml: tested_rows): every row in a full
# build, the changed papers' rows in an incremental one (build_state `testing`); one text for both, so that
# one saved parse of the project serves every build
TESTED_ROWS = (
    "((select value = 'all' from raw.build_state where name = 'testing') "
    "or paper_id in (select paper_id from raw.changed_papers))"
)


# the rows incremental models keep for the aggregates over them (dbt/macros/incremental.sql: replaced)
REPLACED_ROWS_TABLES = (
    "select schema_name, table_name from duckdb_tables() where database_name = current_database() "
    "and table_name like '%\\_replaced' escape '\\'"
)


def build_state(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("select name, value from raw.build_state").fetchall())


@stage("build")
def build(settings: Settings, skip_unchanged: bool = False) -> BuildReport:
    """`dbt build`: seeds, staging, intermediate and marts, each followed by its data tests.

    Incremental: paper-keyed models rebuild only the papers changed since the last publish, and their
    tests test only those rows (and so does the marts gate). A full rebuild instead when the project or
    the lexicons changed since the last build (or on the first). `skip_unchanged`: no dbt at all when no
    raw row dbt reads changed since the last good build (a rerun after a crash past the build, a quiet day).
    """
    fingerprint = project_fingerprint()
    started = datetime.now(UTC).replace(tzinfo=None)
    target = settings.home / "dbt" / "target"
    with connect_build(settings) as con, transaction(con):
        state = build_state(con)
        full_refresh = state.get("project") != fingerprint
        raw = raw_fingerprint(con, target) if skip_unchanged and not full_refresh else None
        if raw is not None and state.get("raw") == raw:  # the marts are what dbt would build again
            log.info("nothing to build: no raw row changed since the last build")
            mark_built(con, started)
            return BuildReport(skipped=True)
        con.execute("delete from raw.build_state where name = 'raw'")  # a build killed or failed is not one
        testing = "all" if full_refresh else CHANGED_PAPERS
        con.execute("insert or replace into raw.build_state values ('testing', ?)", [testing])
    (target / "sources.json").unlink(missing_ok=True)
    completed = dbt_commands(
        settings,
        # first how old the newest raw rows are (sources.json; its lines only in dbt.log, not among the
        # build's): a stale source shows in the summary, it never fails the build (which, after it, leaves
        # its manifest.json with the compiled code)
        ["source", "freshness", "--log-level", "none"],
        # the unit tests test the project's SQL, not the data: dbt's advice is to leave them out of production
        # builds (the test suite runs them: tests/test_dbt_project.py)
        ["build", "--exclude-resource-type", "unit_test", *(["--full-refresh"] if full_refresh else [])],
        shared=("--vars", json.dumps({"tested_rows": TESTED_ROWS})),
    )
    if completed.returncode != 0:
        raise BuildFailed(f"dbt build failed (exit {completed.returncode}):\n{failure_detail(completed)}")
    record_build(settings, fingerprint, started, full_refresh, raw)
    return BuildReport.from_artifacts(target / "run_results.json", target / "sources.json", full_refresh)


def raw_fingerprint(con: duckdb.DuckDBPyConnection, target: Path) -> str | None:
    """A hash of every row dbt reads from the raw schema: of the tables the sources name in the manifest
    of the build whose artefacts `target` holds (None before the first), but raw.changed_papers (which says
    what an incremental build rebuilds, not what the marts hold)."""
    manifest = target / "manifest.json"
    if not manifest.exists():
        return None
    sources = json.loads(manifest.read_text())["sources"].values()
    digest = hashlib.sha256()
    for table in sorted(s["identifier"] for s in sources if s["schema"] == "raw"):
        if table != "changed_papers":
            rows = con.execute(f'select count(*), sum(hash(t)::hugeint) from raw."{table}" t').fetchone()
            digest.update(f"{table} {rows}\n".encode())
    return digest.hexdigest()[:16]


def failure_detail(completed: subprocess.CompletedProcess) -> str:
    """What failed and why: dbt's ERROR and FAIL lines, then the distinct reasons it gives
    ("IO Error: ... No space left on device", "Database Error ...")."""
    lines = completed.stdout.splitlines()
    failures = [line for line in lines if "ERROR" in line or "FAIL" in line]
    reasons = list(dict.fromkeys(line.strip() for line in lines if re.search(r"\w Error\b|Error:", line)))
    detail = "\n".join(failures[-20:] + reasons[-10:])
    return detail or completed.stdout[-3000:] + completed.stderr[-2000:]


def mark_built(con: duckdb.DuckDBPyConnection, started: datetime) -> None:
    """The changed papers the marts now include: those changed before the build (or its skip) started."""
    con.execute("update raw.changed_papers set built = true where changed_at <= ?", [started])


def record_build(
    settings: Settings, fingerprint: str, started: datetime, full_refresh: bool, raw: str | None = None
) -> None:
    """After a good build: what it was built from (`raw`: the raw rows' hash when it was taken before the
    build, which the build's lock kept as it was), and which changes its marts now include."""
    state = {"project": fingerprint, "tested": "all" if full_refresh else CHANGED_PAPERS}
    if full_refresh:
        state[UNPUBLISHED_FULL_BUILD] = "yes"
    with connect_build(settings) as con, transaction(con):
        mark_built(con, started)
        state["raw"] = raw or raw_fingerprint(con, settings.home / "dbt" / "target") or ""
        con.executemany(
            "insert or replace into raw.build_state values (?, ?)", [list(item) for item in state.items()]
        )
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
