"""`paperpulse query`: one query over the published marts, read-only, and nothing else (issue 16, item 1)."""

import json
from pathlib import Path

import duckdb
import pytest

from paperpulse import query
from tests.conftest import copy_home, run_cli, sha256

REFUSED = "paperpulse query: only one statement, a query over the published marts: "

QUERIES = [
    "select count(*) from leaderboards",
    "with t as (select 1 as x) select * from t",
    "values (1, 'a')",
    "from leaderboards select count(*)",
    "describe leaderboards",
    "show tables",
    "summarize leaderboards",
    "explain select * from leaderboards",
    "explain analyze select count(*) from leaderboards",
    "explain (format json) select 1",
    "select 1; ",
    "-- a comment\nselect 1",
]
NOT_QUERIES = [
    "attach 'other.duckdb' as other",
    "detach other",
    "copy leaderboards to 'leaderboards.csv'",
    "export database 'dump'",
    "install fts",
    "load json",
    "set threads = 1",
    "set lock_configuration = false",
    "reset enable_external_access",
    "pragma enable_profiling",
    "call pragma_table_info('leaderboards')",
    "checkpoint",
    "create temp table t as select 1",
    "update leaderboards set x = 2",
    "with t as (select 1) insert into leaderboards select * from t",
    "begin",
    "use memory",
    "explain analyze copy (select 1) to 'out.csv'",
    "explain analyze create temp table t as select 1",
    "select 1; select 2",
    "select 1; attach 'other.duckdb'",
    "",
    " ; -- nothing",
]


@pytest.fixture
def serving(tmp_path) -> Path:
    path = tmp_path / "serving.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table leaderboards as select 1 as x")
    return path


@pytest.mark.parametrize("sql", QUERIES)
def test_one_query_passes_the_check(serving, sql):
    with query.connect(serving) as con:
        query.check(con, sql)
        assert query.run(con, sql).fetchall()


@pytest.mark.parametrize("sql", NOT_QUERIES)
def test_anything_but_one_query_is_refused_before_it_runs(serving, sql):
    with query.connect(serving) as con, pytest.raises(query.QueryRefused, match=query.RULE):
        query.check(con, sql)


def test_the_connection_reaches_no_other_file_and_cannot_be_unlocked(serving, tmp_path):
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    with query.connect(serving) as con:
        for sql in (
            f"attach '{other}' as other",
            f"copy (select 1) to '{tmp_path / 'out.csv'}'",
            "select * from read_text('/etc/passwd')",
            f"select * from read_blob('{other}')",
            "set enable_external_access = true",
            "set lock_configuration = false",
        ):
            with pytest.raises((duckdb.PermissionException, duckdb.InvalidInputException)):
                con.execute(sql)
    assert not (tmp_path / "out.csv").exists()


def attacks(home: Path, outside: Path) -> list[str]:
    """The issue's attacks, each as one `paperpulse query` argument."""
    return [
        f"attach '{home / 'build.duckdb'}' as b (read_write); update b.marts.leaderboards set value = 0",
        f"attach '{home / 'build.duckdb'}' as b (read_write)",
        f"copy (select * from leaderboards) to '{outside / 'copied.csv'}'",
        f"copy leaderboards to '{home / 'leaderboards.csv'}'",
        "select * from read_text('/etc/passwd')",
        f"select * from read_blob('{home / 'build.duckdb'}')",
        f"export database '{outside / 'exported'}'",
        f"explain analyze copy (select 1) to '{outside / 'explained.csv'}'",
        "select count(*) from leaderboards; select count(*) from dim_papers",
        "set enable_external_access = true",
        "pragma enable_profiling",
        "install fts",
        "load json",
    ]


def every_file(home: Path) -> dict[str, str]:
    return {str(path.relative_to(home)): sha256(path) for path in sorted(home.rglob("*")) if path.is_file()}


def test_each_attack_through_the_cli_is_refused_and_changes_nothing(published_home, tmp_path):
    home = copy_home(published_home, tmp_path / "warehouse")
    outside = tmp_path / "outside"
    outside.mkdir()
    before = every_file(home)
    for sql in attacks(home, outside):
        done = run_cli(home, "query", sql, check=False)
        assert done.returncode == 1, (sql, done.stdout)
        assert done.stderr.startswith(REFUSED), (sql, done.stderr)
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
        assert "root:" not in done.stdout and not done.stdout, done.stdout
    assert every_file(home) == before
    assert list(outside.iterdir()) == []


def test_readme_queries_and_column_comments_still_answer(published_home):
    rows = run_cli(published_home, "query", "select count(*) as papers from dim_papers", "--format", "csv")
    assert rows.stdout.splitlines() == ["papers", "139"]
    comments = run_cli(
        published_home,
        "query",
        "select column_name, comment from duckdb_columns() where table_name = 'trending_topics'",
        "--format",
        "json",
    )
    described = {row["column_name"]: row["comment"] for row in json.loads(comments.stdout)}
    assert described["topic_label"] == "The topic's label."
    table = run_cli(published_home, "query", "describe leaderboards").stdout
    assert "column_name" in table and "evidence" in table
    summary = run_cli(published_home, "query", "summarize leaderboards", "--format", "csv").stdout
    assert summary.startswith("column_name,column_type,min,max")
