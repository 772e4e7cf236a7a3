"""Publishing swaps whole files: readers are never blocked and never block a run."""

import duckdb

from paperpulse.config import MARTS, Settings
from paperpulse.publish import publish
from paperpulse.warehouse import UNPUBLISHED_FULL_BUILD
from tests.conftest import copy_home, run_cli


def test_a_reader_holding_the_serving_file_open_neither_blocks_nor_is_blocked(
    published_home, tmp_path, monkeypatch
):
    home = copy_home(published_home, tmp_path / "warehouse")
    monkeypatch.setenv("PAPERPULSE_HOME", str(home))
    reader = duckdb.connect(str(home / "serving.duckdb"), read_only=True)
    papers_before = reader.execute("select count(*) from dim_papers").fetchall()[0][0]
    with duckdb.connect(str(home / "build.duckdb")) as con:  # a full rebuild's marts differ in any paper
        con.execute(
            "delete from marts.dim_papers where paper_id in (select paper_id from marts.dim_papers limit 5)"
        )
        con.execute("insert into raw.build_state values (?, 'yes')", [UNPUBLISHED_FULL_BUILD])

    report = publish(Settings.from_env(), run_id="second-run")  # completes while the reader is open

    assert report.published
    assert reader.execute("select count(*) from dim_papers").fetchall()[0][0] == papers_before
    # A new reader is another process (in this one DuckDB would hand back the open instance).
    fresh = run_cli(
        home, "query", "select run_id, (select count(*) from dim_papers) from publish_info", "--format", "csv"
    )
    assert fresh.stdout.splitlines()[1] == f"second-run,{papers_before - 5}"
    parquet_rows = duckdb.sql(f"select count(*) from '{home / 'parquet' / 'dim_papers.parquet'}'").fetchall()
    assert parquet_rows == [(papers_before - 5,)]
    reader.close()
    leftovers = [p.name for p in home.iterdir() if p.name.startswith(".serving")]
    assert leftovers == []
    with duckdb.connect(str(home / "build.duckdb"), read_only=True) as con:  # the rebuild is published
        assert con.execute(
            "select count(*) from raw.build_state where name = ?", [UNPUBLISHED_FULL_BUILD]
        ).fetchone() == (0,)


def test_the_serving_file_keeps_every_mart_and_column_description(published_home):
    query = """
        select table_name, column_name, comment from duckdb_columns()
        where schema_name = ? and table_name in (select unnest(?))"""
    with duckdb.connect(str(published_home / "build.duckdb"), read_only=True) as con:
        built = {
            (t, c): comment.strip() for t, c, comment in con.execute(query, ["marts", list(MARTS)]).fetchall()
        }
        built_tables = dict(
            con.execute(
                "select table_name, comment from duckdb_tables() where schema_name = 'marts'"
            ).fetchall()
        )
    with duckdb.connect(str(published_home / "serving.duckdb"), read_only=True) as con:
        served = {(t, c): comment for t, c, comment in con.execute(query, ["main", list(MARTS)]).fetchall()}
        served_tables = dict(
            con.execute(
                "select table_name, comment from duckdb_tables() where schema_name = 'main'"
            ).fetchall()
        )
        info = con.execute(
            "select comment from duckdb_columns() where table_name = 'publish_info'"
        ).fetchall()
    assert all(built.values()) and served == built  # dbt persisted a description for every column
    for mart in MARTS:
        assert served_tables[mart] == built_tables[mart].strip()
    assert all(comment for (comment,) in info)


def test_the_previous_parquet_version_stays_one_more_run(published_home, tmp_path, monkeypatch):
    home = copy_home(published_home, tmp_path / "warehouse")
    monkeypatch.setenv("PAPERPULSE_HOME", str(home))
    versions = [(home / "parquet").resolve()]
    for n in range(2):  # two more publications, each with different marts
        with duckdb.connect(str(home / "build.duckdb")) as con:  # as if a paper left: changed, no rows
            (paper_id,) = con.execute("select min(paper_id) from marts.dim_papers").fetchone()
            con.execute("delete from marts.dim_papers where paper_id = ?", [paper_id])
            con.execute("insert or replace into raw.changed_papers values (?, now(), true)", [paper_id])
        assert publish(Settings.from_env(), run_id=f"run-{n}").published
        versions.append((home / "parquet").resolve())
    assert not versions[0].exists()  # two publications ago: gone
    assert versions[1].exists() and versions[2].exists()  # the previous one and the current one
    rows = duckdb.sql(f"select run_id from '{home / 'parquet' / 'publish_info.parquet'}'").fetchall()
    assert rows == [("run-1",)]
