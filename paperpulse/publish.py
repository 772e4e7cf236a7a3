"""Publish (write-audit-publish): copy the audited marts into a new serving file and swap it in.

Dashboards open `serving.duckdb` read-only, or the Parquet copies under `parquet/`. Both are
replaced by a rename, never written in place, so a reader sees either the previous run's marts
or this run's, all of them together, and never holds up the pipeline.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from paperpulse.config import MARTS, Settings

PUBLISH_INFO = "publish_info"
PUBLISH_INFO_COMMENTS = {
    "run_id": "The run that published these marts.",
    "published_at": "When they were published (UTC).",
    "fingerprint": "Content hash of every mart (publish.marts_fingerprint): equal fingerprints, equal marts.",
    "row_counts": "JSON object: each mart's row count in this publication.",
}


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


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _copy_comments(con: duckdb.DuckDBPyConnection, source_schema: str, table: str) -> None:
    """Carry the table's and its columns' comments (dbt's persisted docs) over to the copy:
    `create table as` keeps names and types but drops comments."""
    database, schema = source_schema.split(".")
    where = "database_name = ? and schema_name = ? and table_name = ? and comment is not null"
    for (comment,) in con.execute(
        f"select comment from duckdb_tables() where {where}", [database, schema, table]
    ).fetchall():
        con.execute(f"comment on table {table} is {_sql_literal(comment.strip())}")
    columns = con.execute(
        f"select column_name, comment from duckdb_columns() where {where}", [database, schema, table]
    ).fetchall()
    for column, comment in columns:
        con.execute(f'comment on column {table}."{column}" is {_sql_literal(comment.strip())}')


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
            _copy_comments(con, "build.marts", mart)
        con.execute("detach build")
        con.execute(
            f"create table {PUBLISH_INFO} as select ? as run_id, ? as published_at, ? as fingerprint, "
            "? as row_counts",
            [run_id, datetime.now(UTC).replace(tzinfo=None), fingerprint, json.dumps(counts)],
        )
        con.execute(f"comment on table {PUBLISH_INFO} is 'Which run published the marts in this file.'")
        for column, comment in PUBLISH_INFO_COMMENTS.items():
            con.execute(f"comment on column {PUBLISH_INFO}.{column} is {_sql_literal(comment)}")
        parquet_version.mkdir()
        for table in (*MARTS, PUBLISH_INFO):
            con.execute(f"copy {table} to '{parquet_version / f'{table}.parquet'}' (format parquet)")
        con.execute("checkpoint")
    _fsync(staged_db)

    previous_parquet = settings.parquet_dir.resolve() if settings.parquet_dir.is_symlink() else None
    os.replace(staged_db, settings.serving_db)
    if settings.parquet_dir.exists() and not settings.parquet_dir.is_symlink():
        shutil.rmtree(settings.parquet_dir)  # a folder left by hand; the link replaces it
    _swap_symlink(settings.parquet_dir, parquet_version.name)
    _fsync(settings.home)
    # The previous version stays one more run: a reader that resolved the link just before the swap is
    # still opening its files. Older versions go (open readers keep their file handles).
    keep = {parquet_version.resolve(), previous_parquet}
    for version in settings.home.glob(".parquet-*"):
        if version.is_dir() and version.resolve() not in keep:
            shutil.rmtree(version, ignore_errors=True)
    return PublishReport(True, settings.serving_db, settings.parquet_dir, fingerprint, counts)
