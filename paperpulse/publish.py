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
from paperpulse.hooks import stage

PUBLISH_INFO = "publish_info"


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


@stage("publish")
def publish(settings: Settings, run_id: str) -> PublishReport:
    """Copy marts from the build file to a new serving file and Parquet folder, then swap both in.

    When the marts are identical to what is already published, nothing is rewritten.
    """
    settings.home.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    staged_db = settings.home / f".serving-{stamp}.duckdb"
    parquet_version = settings.home / f".parquet-{stamp}"
    with duckdb.connect(str(staged_db)) as con:
        con.execute(f"attach '{settings.build_db}' as build (read_only)")
        fingerprint, counts = marts_fingerprint(con, "build.marts")
        if fingerprint == published_fingerprint(settings.serving_db):
            con.close()
            staged_db.unlink(missing_ok=True)
            return PublishReport(False, settings.serving_db, settings.parquet_dir, fingerprint, counts)
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
    _fsync(staged_db)

    previous_parquet = settings.parquet_dir.resolve() if settings.parquet_dir.is_symlink() else None
    os.replace(staged_db, settings.serving_db)
    if settings.parquet_dir.exists() and not settings.parquet_dir.is_symlink():
        shutil.rmtree(settings.parquet_dir)  # a folder left by hand; the link replaces it
    _swap_symlink(settings.parquet_dir, parquet_version.name)
    _fsync(settings.home)
    if previous_parquet and previous_parquet != parquet_version.resolve():
        shutil.rmtree(previous_parquet, ignore_errors=True)  # open readers keep their file handles
    return PublishReport(True, settings.serving_db, settings.parquet_dir, fingerprint, counts)
