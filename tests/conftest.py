from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import duckdb
import pytest

from paperpulse.settings import MARTS, Settings
from tests.fault_server import FaultServer

REPO = Path(__file__).resolve().parent.parent
PAPERPULSE = str(Path(sys.executable).with_name("paperpulse"))


def pytest_itemcollected(item: pytest.Item) -> None:
    """Under pytest-xdist's `--dist loadgroup` (`make test`), each module's tests go to one worker unless a
    test names its group (`pytest.mark.xdist_group`): module-scoped fixtures are built once, and tests sharing
    a heavy fixture or a heavy service run in turn on one worker, never beside each other. (Marked as each
    test is collected: pytest-xdist reads the marks in a pytest_collection_modifyitems that may run first.)"""
    if item.get_closest_marker("xdist_group") is None:
        item.add_marker(pytest.mark.xdist_group(item.module.__name__.rsplit(".", 1)[-1]))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests come first (in their order): the longest groups start first, and no worker is left with one
    at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session", autouse=True)
def dbt_parsed_once(tmp_path_factory) -> Iterator[None]:
    """dbt parses the project once per test process instead of once in every new home (4 s, some 60 times a
    run): every dbt started after this reads the saved parse written here (DBT_PARTIAL_PARSE_FILE_PATH), as a
    home's second build reads its own. dbt checks it against the project files, the profile and the vars,
    and parses again whatever differs (the tests' own builds and projects do)."""
    from paperpulse.warehouse.build import TESTED_ROWS, dbt

    home = tmp_path_factory.mktemp("dbt-parse")
    parsed = dbt(Settings(home=home), "parse", "--vars", json.dumps({"tested_rows": TESTED_ROWS}))
    assert parsed.returncode == 0, parsed.stdout[-3000:]
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DBT_PARTIAL_PARSE_FILE_PATH", str(home / "dbt" / "target" / "partial_parse.msgpack"))
        yield


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
    home: Path | None,
    *args: str,
    check: bool = True,
    env: dict[str, str] | None = None,
    in_process: bool = True,
) -> subprocess.CompletedProcess:
    """Run the real `paperpulse` command line (`paperpulse.cli.main`) against a home folder: its exit status,
    what it printed to stdout and what it wrote to stderr (its error lines and its log).

    In this process by default, which saves the interpreter's start and the imports (Great Expectations,
    spaCy: seconds a call) and keeps the extractor loaded between calls. `in_process=False` runs the
    installed entry point as a separate process, for tests where that is the point (a second process
    opening a file, a process killed or limited from outside). `home` None: PAPERPULSE_HOME as it is (for
    commands that use no home, such as `extract` and `eval`). `env`: variables added for the call."""
    if not in_process:
        env = {**os.environ, **({} if home is None else {"PAPERPULSE_HOME": str(home)}), **(env or {})}
        completed = subprocess.run([PAPERPULSE, *args], env=env, capture_output=True, text=True, cwd=REPO)
    else:
        completed = _run_main(home, list(args), env or {})
    if check and completed.returncode != 0:
        raise AssertionError(f"paperpulse {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed


def _run_main(home: Path | None, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """`paperpulse *args` as the entry point runs it, in this process: PAPERPULSE_HOME set and the working
    folder the repository for the call, stdout and stderr captured, the log formatted onto stderr as main()
    sets it up in a process of its own (here pytest's handlers are on the root logger, so its basicConfig
    does nothing), an uncaught exception printed with its traceback and exit status 1."""
    from paperpulse.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.NOTSET)
    root, own = logging.getLogger(), logging.getLogger("paperpulse")
    env = {**env, **({} if home is None else {"PAPERPULSE_HOME": str(home)})}
    saved = ({name: os.environ.get(name) for name in env}, os.getcwd(), own.level, root.level)
    os.environ.update(env)
    os.chdir(REPO)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                returncode = main(args)
            except SystemExit as exit:  # argparse's usage errors, --help
                returncode = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
                if not isinstance(exit.code, int | None):
                    print(exit.code, file=sys.stderr)
            except Exception:
                traceback.print_exc()
                returncode = 1
    finally:
        root.removeHandler(handler)
        env_before, cwd, own_level, root_level = saved
        own.setLevel(own_level)
        root.setLevel(root_level)
        os.chdir(cwd)
        for name, value in env_before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return subprocess.CompletedProcess(
        ["paperpulse", *args], returncode, stdout.getvalue(), stderr.getvalue()
    )


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


T = TypeVar("T")


def built_once(tmp_path_factory, name: str, build: Callable[[Path], T]) -> tuple[Path, T]:
    """`build(folder)` once per test session, even when pytest-xdist runs it in several worker processes:
    the first worker to need it builds it (the others wait on a file lock) and all of them get the folder
    and what `build` returned (kept as text: a `str`). Build into the folder given; never change it after."""
    worker_root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER") is None:  # one process: a session fixture is enough
        folder = tmp_path_factory.mktemp(name)
        return folder, build(folder)
    root = worker_root.parent  # pytest-of-<user>/pytest-<n>, shared by this run's workers only
    folder, returned = root / f"shared-{name}", root / f"shared-{name}.returned"
    with open(root / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not returned.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a worker that failed building left
            folder.mkdir()
            value = build(folder)
            returned.write_text(str(value))
    return folder, returned.read_text()


@pytest.fixture(scope="session")
def first_run(tmp_path_factory) -> tuple[Path, str]:
    """A warehouse after one full `paperpulse run` on the bundled page, and what the run printed.
    Shared by several tests (and by pytest-xdist's workers): never change it, `copy_home` it first."""
    folder, printed = built_once(
        tmp_path_factory, "published", lambda folder: run_cli(folder / "warehouse", "run").stdout
    )
    return folder / "warehouse", printed


@pytest.fixture(scope="session")
def real_history(tmp_path_factory) -> tuple[Path, str]:
    """The warehouse `make run` builds: the bundled six months of real arXiv listings, backfilled and
    published (a few minutes), and what the backfill printed. Shared by several tests (and by pytest-xdist's
    workers, built once): copy it before changing anything."""
    folder, printed = built_once(
        tmp_path_factory,
        "real-history",
        lambda folder: run_cli(folder / "warehouse", "backfill", "--source", "listings").stdout,
    )
    return folder / "warehouse", printed


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


def dbt_build(build_db: Path, workdir: Path, unit_tests: bool = False) -> None:
    """`dbt build` of the real project against `build_db` (raw tables already written), logs in workdir; the
    unit tests only when asked (tests/test_dbt_project.py runs them; they do not depend on the data)."""
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
        [str(dbt), "build", *([] if unit_tests else ["--exclude-resource-type", "unit_test"])],
        cwd=DBT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


def built_from_raw(
    folder: Path, write_raw_tables: Callable, unit_tests: bool = False
) -> Iterator[tuple[Path, duckdb.DuckDBPyConnection]]:
    """A test module's warehouse: `write_raw_tables(con)` fills a new build file in `folder` and `dbt build`
    builds it; yields the folder (build.duckdb, target/) and a read-only connection to the build file."""
    build_db = folder / "build.duckdb"
    with duckdb.connect(str(build_db)) as con:
        write_raw_tables(con)
    dbt_build(build_db, folder, unit_tests)
    con = duckdb.connect(str(build_db), read_only=True)
    yield folder, con
    con.close()


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


SYNTHETIC_DAYS = ["2024-02-29", "2024-03-01", "2024-03-02"]  # a month boundary, then a day more
SYNTHETIC_PAPERS_PER_DAY = "40"


@pytest.fixture(scope="session")
def synthetic_days(tmp_path_factory) -> tuple[Path, dict]:
    """A warehouse after three `paperpulse run --source synthetic` days of 40 papers (SYNTHETIC_DAYS), one
    run each, and what each run left: the `printed` summaries, the serving file's inode and the Parquet
    version folder after each run, and the inode of each version's month files (paper marts are Parquet per
    month). Shared by the incremental-build and publishing tests: never change it, `copy_home` it first."""

    def run_days(folder: Path) -> str:
        home, after = folder / "warehouse", []
        with pytest.MonkeyPatch.context() as env:
            env.setenv("PAPERPULSE_SYNTHETIC_PAPERS_PER_DAY", SYNTHETIC_PAPERS_PER_DAY)
            for day in SYNTHETIC_DAYS:
                printed = run_cli(home, "run", "--source", "synthetic", "--date", day).stdout
                version = (home / "parquet").resolve()
                months = {
                    str(path.relative_to(version)): path.stat().st_ino
                    for path in version.glob("*.parquet/*.parquet")
                }
                serving = (home / "serving.duckdb").stat().st_ino
                after.append(
                    {"printed": printed, "serving_inode": serving, "parquet": str(version), "months": months}
                )
        return json.dumps(after)

    folder, after = built_once(tmp_path_factory, "synthetic-days", run_days)
    return folder / "warehouse", json.loads(after)
