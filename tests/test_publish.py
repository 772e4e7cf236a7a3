"""Publishing swaps whole files: readers are never blocked and never block a run."""

import subprocess
import sys

import duckdb
import pytest

from paperpulse.settings import MARTS, Settings
from paperpulse.warehouse.build import UNPUBLISHED_FULL_BUILD
from paperpulse.warehouse.publish import SPARE, mart_hashes, publish
from tests.conftest import SYNTHETIC_PAPERS_PER_DAY, copy_home, pass_marts_gate, run_cli

# with tests/test_incremental_marts.py, which shares the synthetic_days warehouse: one worker builds it
pytestmark = pytest.mark.xdist_group("synthetic_days")


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
    pass_marts_gate(Settings.from_env())

    report = publish(Settings.from_env(), run_id="second-run")  # completes while the reader is open

    assert report.published
    assert reader.execute("select count(*) from dim_papers").fetchall()[0][0] == papers_before
    # A new reader is another process (in this one DuckDB would hand back the open instance).
    fresh = run_cli(
        home,
        "query",
        "select run_id, (select count(*) from dim_papers) from publish_info",
        "--format",
        "csv",
        in_process=False,
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
        pass_marts_gate(Settings.from_env())
        assert publish(Settings.from_env(), run_id=f"run-{n}").published
        versions.append((home / "parquet").resolve())
    assert not versions[0].exists()  # two publications ago: gone
    assert versions[1].exists() and versions[2].exists()  # the previous one and the current one
    rows = duckdb.sql(f"select run_id from '{home / 'parquet' / 'publish_info.parquet'}'").fetchall()
    assert rows == [("run-1",)]


@pytest.mark.slow
def test_a_publish_brings_the_previous_serving_file_up_to_date_in_place(
    synthetic_days, tmp_path, monkeypatch
):
    """The file a publish replaces is the next one's starting point (no copy of the published file),
    unless a reader in another process still has it open: then that reader keeps it, untouched."""
    built, after = synthetic_days  # three synthetic days, one run each
    inodes = [run["serving_inode"] for run in after]
    assert inodes[2] == inodes[0] != inodes[1]  # the third publish brought the first file up to date
    assert (built / SPARE).stat().st_ino == inodes[1]
    assert served_equals_built(built)

    monkeypatch.setenv("PAPERPULSE_SYNTHETIC_PAPERS_PER_DAY", SYNTHETIC_PAPERS_PER_DAY)
    home = copy_home(built, tmp_path / "warehouse")
    inodes = [(home / name).stat().st_ino for name in ("serving.duckdb", SPARE)]  # the copy's own files
    reader = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(home / SPARE)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    papers_seen = reader.stdout.readline()
    run_cli(home, "run", "--source", "synthetic", "--date", "2024-03-03")
    assert (home / "serving.duckdb").stat().st_ino not in inodes  # a copy: the spare was held open
    assert reader.communicate("")[0] == papers_seen  # the reader's file was left alone
    assert served_equals_built(home)


# a reader that counts papers, holds its connection until its stdin closes, then counts again
HOLD_OPEN = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("select count(*) from dim_papers").fetchone()[0], flush=True)
sys.stdin.read()
print(con.execute("select count(*) from dim_papers").fetchone()[0])
"""


def served_equals_built(home) -> bool:
    with duckdb.connect() as con:
        con.execute(f"attach '{home / 'build.duckdb'}' as build (read_only)")
        con.execute(f"attach '{home / 'serving.duckdb'}' as serving (read_only)")
        return mart_hashes(con, "build.marts") == mart_hashes(con, "serving.main")
