"""The build file: one writer (DuckDB's file lock), its raw tables' schema, and transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb

from paperpulse.errors import WarehouseBusy
from paperpulse.ingest.records import QUARANTINE_PAYLOAD_CHARS
from paperpulse.settings import Settings

SCHEMA_FILE = Path(__file__).with_name("schema.sql")
BULK_CHECKPOINT_WAL = "2GB"


@cache
def schema_sql() -> str:
    return SCHEMA_FILE.read_text(encoding="utf-8")


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw tables that do not exist yet (schema.sql is idempotent), and bring an older build
    file's up to date."""
    con.execute(schema_sql())
    _move_quarantine_payloads(con)


def _move_quarantine_payloads(con: duckdb.DuckDBPyConnection) -> None:
    """A build file from before raw.quarantine_payloads holds each payload in its raw.quarantine row: move
    them there, once each."""
    old = con.execute(  # fetched whole: a result left unfinished blocks the caller's next relation
        "select 1 from duckdb_columns() where database_name = current_database() "
        "and schema_name = 'raw' and table_name = 'quarantine' and column_name = 'payload'"
    ).fetchall()
    if not old:
        return
    with transaction(con):
        con.execute("alter table raw.quarantine add column payload_sha256 varchar")
        con.execute("update raw.quarantine set payload_sha256 = sha256(payload)")
        con.execute(
            f"""
            insert into raw.quarantine_payloads
            select payload_sha256, left(any_value(payload), {QUARANTINE_PAYLOAD_CHARS}),
                   octet_length(encode(any_value(payload)))
            from raw.quarantine group by payload_sha256
            on conflict do nothing
            """
        )
        con.execute("alter table raw.quarantine drop column payload")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Everything inside commits together or not at all (rolled back on any exception, Ctrl-C included)."""
    con.begin()
    try:
        yield con
    except BaseException:
        con.rollback()
        raise
    con.commit()


@contextmanager
def connect_build(
    settings: Settings, read_only: bool = False, bulk: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the build file; a write connection makes sure the raw tables exist. A `bulk` connection
    (many commits in a row) checkpoints only when its write-ahead log reaches BULK_CHECKPOINT_WAL and on
    closing; its commits are durable in the log meanwhile."""
    if read_only and not settings.build_db.exists():
        raise FileNotFoundError(f"no build file at {settings.build_db}: run `paperpulse ingest` first")
    settings.home.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(settings.build_db), read_only=read_only, config=settings.duckdb_config)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise WarehouseBusy(
                f"the build file {settings.build_db} is in use by another run: {error}"
            ) from error
        raise
    try:
        if not read_only:
            ensure_schema(con)
        if bulk:
            con.execute(f"set checkpoint_threshold = '{BULK_CHECKPOINT_WAL}'")
        yield con
    finally:
        con.close()
