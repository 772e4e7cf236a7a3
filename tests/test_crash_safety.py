"""kill -9 anywhere, a full disk, a read-only warehouse: the real pipeline in real processes.

A warehouse holding one published day runs the next day, killed with SIGKILL at every stage boundary
and inside extraction, loading, the dbt build and publishing, one after another (each rerun resumes
from what the last kill left). After every kill the serving file and the Parquet folder are each a
whole published version, the old one or the new one. A last, uninterrupted rerun then leaves raw
tables and marts identical, row for row, to a warehouse that ran both days without a crash, and no
leftovers. Kills use the test hook PAPERPULSE_CRASH_AT (paperpulse/hooks.py), or come from outside
while dbt is building marts.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from paperpulse.settings import MARTS
from paperpulse.warehouse.publish import PUBLISH_INFO, marts_fingerprint, parquet_fingerprint
from tests.conftest import (
    MART_TABLES,
    PAPERPULSE,
    RAW_TABLES,
    REPO,
    copy_home,
    run_cli,
    sha256,
    table_digests,
)

pytestmark = pytest.mark.slow

DAY1, DAY2 = "2024-03-04", "2024-03-05"
ENV = {
    "PAPERPULSE_SYNTHETIC_PAPERS_PER_DAY": "40",
    "PAPERPULSE_EXTRACT_BATCH_SIZE": "15",  # three batches a day
    "PAPERPULSE_EXTRACT_WORKERS": "2",
}

# In the order a run reaches them, so that each rerun gets further than the last.
CRASH_POINTS = [
    "ingest-uncommitted",  # inside the raw upsert transaction
    "after-ingest",
    "extract-batch-written",  # a batch's mentions and results written, its done marker not yet
    "extract-load-uncommitted",  # inside the transaction swapping extractions in
    "extract-load-committed",  # loaded, the plan folder not yet removed
    "after-extract-load",
    "mid-build",  # killed from outside once dbt has built a mart
    "after-build",
    "after-check",
    "publish-staged",  # the new serving file and Parquet folder written, not swapped in
    "publish-serving-swapped",  # the serving file swapped in, the Parquet link not yet
    "after-publish",
]


def start(home: Path, day: str, crash_at: str | None = None) -> subprocess.Popen:
    env = {**os.environ, **ENV, "PAPERPULSE_HOME": str(home)}
    env.pop("PAPERPULSE_CRASH_AT", None)
    if crash_at:
        env["PAPERPULSE_CRASH_AT"] = crash_at
    command = [PAPERPULSE, "run", "--source", "synthetic", "--date", day]
    return subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group: a crash kills it and its workers, not pytest
    )  # fmt: skip


def run(home: Path, day: str, command: str = "run") -> str:
    """A run nobody kills (or another command), in this process: tests/conftest.py run_cli."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in ENV.items():
            env.setenv(name, value)
        args = ["--source", "synthetic", "--date", day] if command == "run" else []
        return run_cli(home, command, *args).stdout


BUILT_A_MART = b"OK created sql table model marts."


def dbt_built_a_mart(log: Path, read: bytearray) -> bool:
    """Whether dbt's log says it built a mart; `read` keeps what was read of it so far (only what the log
    gained since is read: the log grows to megabytes while this is polled 50 times a second)."""
    if log.exists():
        with log.open("rb") as lines:
            lines.seek(len(read))
            read += lines.read()
    return BUILT_A_MART in read


def crash(home: Path, day: str, point: str) -> None:
    if point == "mid-build":
        log, read = home / "dbt" / "logs" / "dbt.log", bytearray()
        log.unlink(missing_ok=True)
        process = start(home, day)
        while process.poll() is None and not dbt_built_a_mart(log, read):
            time.sleep(0.02)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    else:
        process = start(home, day, crash_at=point)
    out, err = process.communicate(timeout=600)
    assert process.returncode == -signal.SIGKILL, f"never reached {point}:\n{out}\n{err}"


def published_version(home: Path) -> tuple[str, str]:
    """The fingerprints of the serving file and the Parquet folder, each checked to be whole: its
    marts hash to the fingerprint recorded with them."""
    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        recorded = con.execute(f"select fingerprint from {PUBLISH_INFO}").fetchone()[0]
        assert marts_fingerprint(con, "main")[0] == recorded, "a torn serving file"
    parquet = home / "parquet"
    parquet_recorded = parquet_fingerprint(parquet)
    with duckdb.connect() as con:
        for mart in MARTS:
            con.execute(f"create view {mart} as select * from read_parquet('{parquet / f'{mart}.parquet'}')")
        assert marts_fingerprint(con, "main")[0] == parquet_recorded, "a torn Parquet folder"
    return recorded, parquet_recorded


def leftovers(home: Path) -> list[str]:
    """Files a run leaves only when it dies: staged publishes, plans, temporary files, WALs."""
    found = [p.name for p in home.iterdir() if p.name.startswith((".serving-", ".parquet.tmp"))]
    versions, current = sorted(p.name for p in home.glob(".parquet-*")), (home / "parquet").resolve().name
    found += [v for v in versions if v > current]  # staged, never swapped in
    found += [v for v in versions if v < current][:-1]  # older than the one previous version kept
    found += [str(p.relative_to(home)) for p in (home / "staging").rglob("*") if p.is_file()]
    found += [str(p.relative_to(home)) for p in home.rglob("*.tmp")]
    found += [p.name for p in home.glob("*.wal")]
    return found


@pytest.fixture(scope="module")
def day_one(tmp_path_factory) -> Path:
    """A warehouse with DAY1 run and published."""
    home = tmp_path_factory.mktemp("day-one") / "warehouse"
    run(home, DAY1)
    return home


def test_kill_9_anywhere_then_a_rerun_matches_an_uninterrupted_run(day_one, tmp_path):
    reference = copy_home(day_one, tmp_path / "reference")
    run(reference, DAY2)
    crashed = copy_home(day_one, tmp_path / "crashed")
    old = published_version(crashed)

    seen = {}
    for point in CRASH_POINTS:
        crash(crashed, DAY2, point)
        seen[point] = published_version(crashed)

    printed = run(crashed, DAY2)
    new = published_version(crashed)
    assert new != old and new[0] == new[1]
    for point, version in seen.items():
        assert version[0] in (old[0], new[0]) and version[1] in (old[1], new[1]), point
    assert seen["publish-staged"] == old  # staged, never swapped in
    assert seen["publish-serving-swapped"] == (new[0], old[1])  # the next run completes the pair
    assert "nothing changed" in printed  # the run killed after publishing had done everything
    tables = RAW_TABLES + MART_TABLES
    assert table_digests(crashed / "build.duckdb", tables) == table_digests(
        reference / "build.duckdb", tables
    )
    with duckdb.connect(str(crashed / "build.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) - count(distinct paper_id) from raw.papers").fetchone() == (0,)
    assert leftovers(crashed) == []


def published(home: Path) -> tuple[str, tuple[str, str], Path]:
    return sha256(home / "serving.duckdb"), published_version(home), (home / "parquet").resolve()


def test_a_publish_that_cannot_write_its_files_says_so_and_changes_nothing(day_one, tmp_path):
    """Files may grow to 256 KiB only (RLIMIT_FSIZE): writing the new serving file fails with EFBIG."""
    home = copy_home(day_one, tmp_path / "warehouse")
    run(home, DAY2)  # then make the marts differ from what is published, so publishing has work
    with duckdb.connect(str(home / "build.duckdb")) as con:
        (paper_id,) = con.execute("select min(paper_id) from raw.papers").fetchone()
        con.execute("delete from marts.fct_mentions where paper_id = ?", [paper_id])
        con.execute("insert or replace into raw.changed_papers values (?, now(), true)", [paper_id])
    env = {**os.environ, **ENV, "PAPERPULSE_HOME": str(home)}
    run(home, DAY2, "check")  # publish publishes only marts that passed the gate as they are
    before = published(home)

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write (EFBIG) rather than the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    failed = subprocess.run(
        [PAPERPULSE, "publish"], env=env, cwd=REPO, capture_output=True, text=True, preexec_fn=small_files
    )
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert failed.stderr.splitlines()[-1].startswith("paperpulse publish: "), failed.stderr
    assert "Traceback" not in failed.stderr
    assert published(home) == before
    assert leftovers(home) == []


@contextlib.contextmanager
def mounted(*mount_args: str, at: Path):
    """A mount for the test's duration; skips the test where mounting is not allowed (not root)."""
    done = subprocess.run(["mount", *mount_args, str(at)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip()})")
    try:
        yield at
    finally:
        subprocess.run(["umount", "-l", str(at)], check=True)


def disk_usage(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def test_a_full_disk_fails_the_run_with_a_clear_error_and_changes_nothing_published(day_one, tmp_path):
    """The warehouse on a 4 MB bigger filesystem than it fills (tmpfs): the next day cannot fit."""
    disk = tmp_path / "disk"
    disk.mkdir()
    size = disk_usage(day_one) + 4 * 2**20
    with mounted("-t", "tmpfs", "-o", f"size={size}", "tmpfs", at=disk):
        home = copy_home(day_one, disk / "warehouse")
        before = published(home)
        process = start(home, DAY2)
        out, err = process.communicate(timeout=600)
        assert process.returncode == 1, out + err
        assert err.splitlines()[-1].startswith("paperpulse run: ") and "No space left on device" in err, err
        assert "Traceback" not in err
        assert published(home) == before
        assert [p.name for p in home.iterdir() if p.name.startswith(".serving-")] == []


def test_a_read_only_warehouse_fails_the_run_with_a_clear_error_and_changes_nothing(day_one, tmp_path):
    home = copy_home(day_one, tmp_path / "warehouse")
    before = published(home)
    if os.geteuid() == 0:  # root writes through permissions: make the folder a read-only mount
        context = mounted("--bind", "-o", "ro", str(home), at=home)
    else:
        for path in [home, *home.rglob("*")]:
            path.chmod(path.stat().st_mode & 0o555)
        context = contextlib.nullcontext()
    with context:
        process = start(home, DAY2)
        out, err = process.communicate(timeout=600)
    assert process.returncode == 1, out + err
    last = err.splitlines()[-1]
    assert (last.startswith("paperpulse run: ") and "Read-only file system" in err) or "Permission" in err, (
        err
    )
    assert "Traceback" not in err
    assert published(home) == before
