"""Publish (write-audit-publish): copy the audited marts into a new serving file and swap it in.

Dashboards open `serving.duckdb` read-only, or the Parquet copies under `parquet/`. Both are
replaced by a rename, never written in place, so a reader sees either the previous run's marts
or this run's, all of them together, and never holds up the pipeline.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from paperpulse.config import MARTS, Settings
from paperpulse.hooks import crash_point, stage

PUBLISH_INFO = "publish_info"
FINGERPRINT_FILE = "_FINGERPRINT"  # in each Parquet folder: the fingerprint of the marts it holds


@dataclass(frozen=True)
class PublishReport:
    published: bool
    serving_db: Path
    parquet_dir: Path
    fingerprint: str
    row_counts: dict[str, int]


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def marts_fingerprint(con: duckdb.DuckDBPyConnection, schema: str) -> tuple[str, dict[str, int]]:
    """Row counts and an order-independent content hash of every mart in `schema`."""
    counts, digests = {}, []
    for mart in MARTS:
        rows, digest = con.execute(
            f"select count(*), coalesce(sum(hash(t)::hugeint), 0) from {schema}.{mart} t"
        ).fetchone()
        counts[mart] = rows
        digests.append(f"{mart}:{rows}:{digest}")
    return hashlib.sha256("|".join(digests).encode()).hexdigest()[:16], counts


def published_fingerprint(serving_db: Path) -> str | None:
    if not serving_db.exists():
        return None
    with duckdb.connect(str(serving_db), read_only=True) as con:
        return con.execute(f"select fingerprint from {PUBLISH_INFO}").fetchone()[0]


def _swap_symlink(link: Path, target_name: str) -> None:
    """Point `link` at `target_name` atomically (a new link renamed over the old one)."""
    tmp = link.with_name(f".{link.name}.tmp")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target_name)
    os.replace(tmp, link)


def parquet_fingerprint(parquet_dir: Path) -> str | None:
    """The fingerprint of the marts the Parquet link points at (written beside them when published)."""
    marker = parquet_dir / FINGERPRINT_FILE
    return marker.read_text().strip() if marker.is_file() else None


def remove_stale_staging(settings: Settings) -> None:
    """Remove what a publish that died part-way left: staged serving files and Parquet folders that
    were never swapped in (never the folder the Parquet link points at)."""
    current = settings.parquet_dir.resolve() if settings.parquet_dir.is_symlink() else None
    for path in settings.home.glob(".serving-*"):
        path.unlink(missing_ok=True)
    for path in settings.home.glob(".parquet-*"):
        if path.resolve() != current:
            shutil.rmtree(path, ignore_errors=True)


def build_marts_fingerprint(settings: Settings) -> tuple[str, dict[str, int]]:
    with duckdb.connect() as con:
        con.execute(f"attach '{settings.build_db}' as build (read_only)")
        return marts_fingerprint(con, "build.marts")


def stage_marts(settings: Settings, run_id: str, fingerprint: str, stamp: str) -> tuple[Path, Path]:
    """Write the marts to a new serving file and a new Parquet folder, both flushed to disk, under
    names no reader looks at; returns them."""
    staged_db = settings.home / f".serving-{stamp}.duckdb"
    parquet_version = settings.home / f".parquet-{stamp}"
    with duckdb.connect(str(staged_db)) as con:
        con.execute(f"attach '{settings.build_db}' as build (read_only)")
        for mart in MARTS:
            con.execute(f"create table {mart} as select * from build.marts.{mart}")
        con.execute("detach build")
        con.execute(
            f"create table {PUBLISH_INFO} as select ? as run_id, ? as published_at, ? as fingerprint",
            [run_id, datetime.now(UTC).replace(tzinfo=None), fingerprint],
        )
        parquet_version.mkdir()
        for mart in MARTS:
            con.execute(f"copy {mart} to '{parquet_version / f'{mart}.parquet'}' (format parquet)")
        con.execute("checkpoint")
    (parquet_version / FINGERPRINT_FILE).write_text(fingerprint + "\n")
    for path in [staged_db, *parquet_version.iterdir(), parquet_version]:
        _fsync(path)
    return staged_db, parquet_version


def swap_in(settings: Settings, staged_db: Path, parquet_version: Path) -> None:
    """Rename the staged serving file over the published one, then point the Parquet link at the new
    folder. Each is one atomic rename; a crash between them leaves the serving file new and the
    Parquet folder old, each whole, and the next publish completes the pair."""
    previous_parquet = settings.parquet_dir.resolve() if settings.parquet_dir.is_symlink() else None
    os.replace(staged_db, settings.serving_db)
    crash_point("publish-serving-swapped")
    if settings.parquet_dir.exists() and not settings.parquet_dir.is_symlink():
        shutil.rmtree(settings.parquet_dir)  # a folder left by hand; the link replaces it
    _swap_symlink(settings.parquet_dir, parquet_version.name)
    _fsync(settings.home)
    if previous_parquet and previous_parquet != parquet_version.resolve():
        shutil.rmtree(previous_parquet, ignore_errors=True)  # open readers keep their file handles


@stage("publish")
def publish(settings: Settings, run_id: str) -> PublishReport:
    """Copy marts from the build file to a new serving file and Parquet folder, then swap both in.

    When the marts are identical to what is already published in both, nothing is rewritten.
    A publish that fails (a full disk, say) removes what it staged and leaves the published files alone.
    """
    settings.home.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(settings)
    fingerprint, counts = build_marts_fingerprint(settings)
    published = (published_fingerprint(settings.serving_db), parquet_fingerprint(settings.parquet_dir))
    if published == (fingerprint, fingerprint):
        return PublishReport(False, settings.serving_db, settings.parquet_dir, fingerprint, counts)
    try:
        staged_db, parquet_version = stage_marts(
            settings, run_id, fingerprint, datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        )
    except BaseException:
        remove_stale_staging(settings)
        raise
    crash_point("publish-staged")
    swap_in(settings, staged_db, parquet_version)
    return PublishReport(True, settings.serving_db, settings.parquet_dir, fingerprint, counts)
