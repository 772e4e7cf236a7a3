"""Publishing swaps whole files: readers are never blocked and never block a run."""

import duckdb

from paperpulse.config import Settings
from paperpulse.publish import publish
from tests.conftest import copy_home, run_cli


def test_a_reader_holding_the_serving_file_open_neither_blocks_nor_is_blocked(
    published_home, tmp_path, monkeypatch
):
    home = copy_home(published_home, tmp_path / "warehouse")
    monkeypatch.setenv("PAPERPULSE_HOME", str(home))
    reader = duckdb.connect(str(home / "serving.duckdb"), read_only=True)
    papers_before = reader.execute("select count(*) from dim_papers").fetchall()[0][0]
    with duckdb.connect(str(home / "build.duckdb")) as con:  # the next run's marts differ
        con.execute(
            "delete from marts.dim_papers where paper_id in (select paper_id from marts.dim_papers limit 5)"
        )

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
