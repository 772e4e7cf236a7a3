"""`paperpulse query`: one read-only query over the published marts, and nothing else.

The serving file is opened read-only with `enable_external_access = false` and the configuration locked,
so no statement can reach another file (ATTACH, COPY ... TO, read_text, INSTALL/LOAD, EXPORT DATABASE)
or turn that off again. On top of that DuckDB's own parser must find exactly one statement, a query:
SELECT, WITH, VALUES, FROM, DESCRIBE, SHOW and SUMMARIZE all parse as SELECT; EXPLAIN [ANALYZE] of one.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

RULE = "only one statement, a query over the published marts"


class QueryRefused(ValueError):
    """The SQL is not one query over the published marts; nothing ran."""

    def __init__(self, why: str):
        super().__init__(f"{RULE}: {why}")


def connect(serving: Path) -> duckdb.DuckDBPyConnection:
    """The serving file, read-only, with no access to any other file, and settings nobody can change."""
    con = duckdb.connect(str(serving), read_only=True, config={"enable_external_access": False})
    con.execute("set lock_configuration = true")
    return con


def _shown(sql: str) -> str:
    text = " ".join(sql.split()).rstrip(";")
    return text if len(text) <= 60 else text[:57] + "..."


def _explained(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.Statement:
    """The statement an EXPLAIN [ANALYZE] [(options)] wraps: the first suffix, from a token on, that
    DuckDB's parser reads as one statement."""
    for start, _ in duckdb.tokenize(sql)[1:]:
        try:
            inner = con.extract_statements(sql[start:])
        except duckdb.ParserException:
            continue
        if len(inner) == 1:
            return inner[0]
    raise QueryRefused(f"cannot tell what {_shown(sql)!r} explains")


def check(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Raise QueryRefused unless `sql` is exactly one query (or an EXPLAIN of one)."""
    statements = con.extract_statements(sql)
    if len(statements) != 1:
        raise QueryRefused(f"got {len(statements)} statements" if statements else "got no statement")
    statement = statements[0]
    if statement.type == duckdb.StatementType.EXPLAIN:
        statement = _explained(con, statement.query)
    if statement.type != duckdb.StatementType.SELECT:
        raise QueryRefused(f"{_shown(statement.query)!r} is not a query (a {statement.type.name} statement)")


def run(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.DuckDBPyRelation:
    """Check `sql`, then run it; a file it tries to reach is refused like a statement that is no query."""
    check(con, sql)
    try:
        return con.sql(sql)
    except duckdb.PermissionException as error:
        raise QueryRefused(str(error).splitlines()[0]) from None
