from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from paperpulse.settings import MARTS, Settings
from tests.fault_server import FaultServer

REPO = Path(__file__).resolve().parent.parent
PAPERPULSE = str(Path(sys.executable).with_name("paperpulse"))


@pytest.fixture
def server():
    """A local HTTP server that replies what a test scripts (tests/fault_server.py)."""
    with FaultServer() as s:
        yield s


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """Settings for an empty warehouse in a temporary home."""
    monkeypatch.setenv("PAPERPULSE_HOME", str(tmp_path / "warehouse"))
    return Settings.from_env()


def run_cli(
    home: Path, *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the real `paperpulse` entry point against a home folder (with `env` added to the environment)."""
    env = {**os.environ, "PAPERPULSE_HOME": str(home), **(env or {})}
    completed = subprocess.run([PAPERPULSE, *args], env=env, capture_output=True, text=True, cwd=REPO)
    if check and completed.returncode != 0:
        raise AssertionError(f"paperpulse {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed


def table_counts(db: Path, tables: list[str]) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {table: con.execute(f"select count(*) from {table}").fetchone()[0] for table in tables}


def lock_holder(home: Path, *, shared: bool = False) -> subprocess.Popen:
    """Another process holding the lock until its stdin closes; returns once it holds it."""
    script = (
        "import sys\n"
        "from paperpulse import lock\n"
        "from paperpulse.settings import Settings\n"
        f"with lock.hold(Settings(home=sys.argv[1]), 'a test holder', shared={shared}):\n"
        "    print('held', flush=True)\n"
        "    sys.stdin.read()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(home)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline() == "held\n"
    return process


def release_lock(process: subprocess.Popen) -> None:
    process.stdin.close()
    process.wait(timeout=30)


RAW_TABLES = [
    "raw.papers",
    "raw.paper_listings",
    "raw.quarantine",
    "raw.mentions",
    "raw.results",
    "raw.extractions",
]
MART_TABLES = [f"marts.{mart}" for mart in MARTS]


@pytest.fixture(scope="session")
def first_run(tmp_path_factory) -> tuple[Path, str]:
    """A warehouse after one full `paperpulse run` on the bundled page, and what the run printed.
    Shared by several tests: copy it (`copy_home`) before changing anything."""
    home = tmp_path_factory.mktemp("published") / "warehouse"
    return home, run_cli(home, "run").stdout


@pytest.fixture(scope="session")
def real_history(tmp_path_factory) -> tuple[Path, str]:
    """The warehouse `make run` builds: the bundled six months of real arXiv listings, backfilled and
    published (a few minutes), and what the backfill printed. Shared: copy it before changing anything."""
    home = tmp_path_factory.mktemp("real-history") / "warehouse"
    return home, run_cli(home, "backfill", "--source", "listings").stdout


@pytest.fixture
def published_home(first_run) -> Path:
    return first_run[0]


def copy_home(home: Path, destination: Path) -> Path:
    """A private copy of a warehouse (the parquet link stays relative, so it keeps working)."""
    shutil.copytree(home, destination, symlinks=True)
    return destination


def pass_marts_gate(settings: Settings) -> None:
    """Record that the marts gate passed the built marts as they are now, as `paperpulse check` does when
    they pass: for tests that change the marts by hand only to give publish some work."""
    from paperpulse.warehouse import publish

    published = publish.read_published(settings)
    with publish.attached(settings, published) as con:
        fingerprint = publish.fingerprint_of(publish.built_hashes(con, published))
    publish.record_gate_pass(settings, fingerprint)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


DBT_DIR = REPO / "dbt"


def dbt_build(build_db: Path, workdir: Path) -> None:
    """`dbt build` of the real project against `build_db` (raw tables already written), logs in workdir."""
    env = {
        **os.environ,
        "PAPERPULSE_BUILD_DB": str(build_db),
        "DO_NOT_TRACK": "1",
        "DBT_PROFILES_DIR": str(DBT_DIR),
        "DBT_TARGET_PATH": str(workdir / "target"),
        "DBT_LOG_PATH": str(workdir / "logs"),
    }
    dbt = Path(sys.executable).with_name("dbt")
    proc = subprocess.run(
        [str(dbt), "build"], cwd=DBT_DIR, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


def table_digests(db: Path, tables: list[str], timestamps: bool = False) -> dict[str, tuple[int, int]]:
    """Rows and an order-independent hash of each table, over every column but timestamps
    (when a row was loaded differs from one warehouse to another) unless `timestamps`."""
    digests = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for table in tables:
            schema, name = table.split(".")
            columns = [
                f'"{column}"'
                for column, kind in con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, name],
                ).fetchall()
                if timestamps or not kind.startswith("TIMESTAMP")
            ]
            digests[table] = con.execute(
                f"select count(*), coalesce(sum(hash({', '.join(columns)})::hugeint), 0) from {table}"
            ).fetchone()
    return digests
