"""A full run of the real pipeline (real DuckDB, real dbt, real GX) on the bundled page."""

import json
import os
import re
import signal
import threading
from collections import Counter
from datetime import date

import duckdb
import pytest

from expectations.gate import GateReport
from paperpulse.cli import interrupted
from paperpulse.errors import BuildFailed
from paperpulse.ingest.raw import LoadStats
from paperpulse.pipeline import IngestReport, RunSummary
from paperpulse.settings import MARTS, Settings
from paperpulse.warehouse.build import BuildReport, build
from tests.conftest import MART_TABLES, RAW_TABLES, REPO, copy_home, run_cli, sha256, table_counts


def test_a_run_loads_extracts_builds_gates_and_publishes_every_mart(first_run):
    home, printed = first_run
    assert "139 loaded (139 new, 0 changed, 0 unchanged), 0 quarantined" in printed
    assert "gates:" in printed and "passed" in printed
    assert str(home / "serving.duckdb") in printed
    serving = table_counts(home / "serving.duckdb", list(MARTS))
    assert serving["dim_papers"] == 139
    built = table_counts(home / "build.duckdb", MART_TABLES)
    assert serving == {table.removeprefix("marts."): rows for table, rows in built.items()}
    with duckdb.connect() as con:
        for mart in MARTS:
            parquet = home / "parquet" / f"{mart}.parquet"
            assert con.execute(f"select count(*) from '{parquet}'").fetchall()[0][0] == serving[mart], mart
    # the dbt line: what dbt's own artefacts say, warned tests included (the sources were loaded just now)
    target = home / "dbt" / "target"
    report = BuildReport.from_artifacts(target / "run_results.json", target / "sources.json")
    assert f"  dbt:       {report.describe()}\n" in printed
    results = json.loads((target / "run_results.json").read_text())["results"]
    assert report.tests_warned == sum(r["status"] == "warn" for r in results)
    assert {s.source: s.status for s in report.freshness} == {
        "raw.paper_listings": "pass",
        "raw.papers": "pass",
    }
    assert "stale" not in printed


def test_a_warned_test_is_in_the_run_summary():
    build = BuildReport(
        {"model": Counter(success=30), "test": Counter(**{"pass": 205, "warn": 1})}, warned=("t",)
    )
    ingest = IngestReport(
        "trending_page", date(2024, 3, 11), True, [], LoadStats(new=1), GateReport("raw", 1, 1)
    )
    publish = {"row_counts": {}, "serving_db": "s", "parquet_dir": "p", "published": True}
    stages = {
        "plan_extraction": ["b"],
        "load_extractions": {"papers": 1},
        "build_marts": build.as_dict(),
        "check_marts": {"gate": "marts"},
        "publish": publish,
    }
    summary = RunSummary("r", "run", [ingest], stages)
    assert "\n  dbt:       30 models built, 205 tests passed, 1 warned (t); source freshness not checked" in (
        summary.render()
    )


@pytest.mark.slow
def test_a_stale_source_is_shown_and_fails_nothing(published_home, tmp_path):
    home = copy_home(published_home, tmp_path / "warehouse")
    with duckdb.connect(str(home / "build.duckdb")) as con:
        con.execute("update raw.papers set loaded_at = loaded_at - interval 10 day")
        con.execute("update raw.paper_listings set loaded_at = loaded_at - interval 4 day")
    printed = run_cli(home, "build").stdout
    assert re.search(
        r"^dbt: \d+ models built, \d+ tests passed.*; stale sources: "
        r"raw\.paper_listings last loaded 4\.0 days ago \(warn after 3 days\), "
        r"raw\.papers last loaded 10\.0 days ago \(error after 7 days\)$",
        printed,
        flags=re.M,
    ), printed


@pytest.mark.slow
def test_running_again_changes_nothing_and_says_so(published_home, tmp_path):
    home = copy_home(published_home, tmp_path / "warehouse")  # a run opens the build file for writing
    raw_before = table_counts(home / "build.duckdb", RAW_TABLES + MART_TABLES)
    serving_before = sha256(home / "serving.duckdb")
    printed = run_cli(home, "run").stdout
    assert "0 new, 0 changed, 139 unchanged" in printed
    assert "  dbt:       nothing to build: no raw row changed since the last build\n" in printed
    assert "nothing changed" in printed
    assert table_counts(home / "build.duckdb", RAW_TABLES + MART_TABLES) == raw_before
    assert sha256(home / "serving.duckdb") == serving_before
    with duckdb.connect(str(home / "build.duckdb"), read_only=True) as con:
        duplicates = con.execute("select count(*) - count(distinct paper_id) from raw.papers").fetchall()[0][
            0
        ]
    assert duplicates == 0


@pytest.mark.slow  # three builds
def test_a_run_builds_again_after_a_raw_row_changed_or_a_build_failed(published_home, tmp_path):
    """Without a raw change since the last good build a run's build stage skips dbt; any raw row changed
    (here a listing's metadata, which marks no paper changed), or a build stopped halfway, and it builds."""
    settings = Settings(home=copy_home(published_home, tmp_path / "warehouse"))
    assert build(settings, skip_unchanged=True).skipped
    with duckdb.connect(str(settings.build_db)) as con:
        con.execute(
            "update raw.paper_listings set extra = '{\"edited\": 1}' where listed_date = '2024-03-11'"
        )
    with pytest.raises(BuildFailed, match="did not finish within 1 s"):
        build(settings.replace(dbt_timeout=1), skip_unchanged=True)
    assert not build(settings, skip_unchanged=True).skipped  # the stopped build did not count
    assert build(settings, skip_unchanged=True).skipped


def test_query_answers_from_the_published_marts(published_home):
    printed = run_cli(
        published_home, "query", "select count(*) as papers from dim_papers", "--format", "csv"
    ).stdout
    assert printed.splitlines() == ["papers", "139"]
    table = run_cli(published_home, "query", "select count(*) from leaderboards").stdout
    assert "count_star()" in table


def test_query_errors_are_one_clear_line(published_home, tmp_path):
    failed = run_cli(published_home, "query", "select * from no_such_mart", check=False)
    assert failed.returncode == 1
    assert failed.stderr.startswith("paperpulse query:") and "no_such_mart" in failed.stderr
    assert "Traceback" not in failed.stderr
    empty = run_cli(tmp_path / "empty", "query", "select 1", check=False)
    assert empty.returncode == 1 and "nothing published yet" in empty.stderr


def test_every_readme_example_query_runs_on_the_published_marts(published_home):
    # The examples' outputs come from `make run`'s warehouse (six months of listings); on the bundled page's
    # one day some find no rows (no GSM8K board), but every one is valid SQL over the published marts.
    readme = (REPO / "README.md").read_text()
    questions = readme.split("### Questions the marts answer", 1)[1].split("### The dashboard contract", 1)[0]
    queries = re.findall(r"```sql\n(.*?)```", questions, flags=re.S)
    assert len(queries) >= 10
    with duckdb.connect(str(published_home / "serving.duckdb"), read_only=True) as con:
        found = [bool(con.execute(sql).fetchall()) for sql in queries]
    assert sum(found) >= len(queries) - 3


@pytest.mark.slow
def test_docs_builds_the_dbt_docs_site_and_the_gates_data_docs(published_home, tmp_path):
    home = copy_home(published_home, tmp_path / "warehouse")
    printed = run_cli(home, "docs").stdout
    site = home / "dbt" / "docs" / "static_index.html"
    assert str(site) in printed
    page = site.read_text()
    for name in ("trending_topics", "whats_new", "paperpulse_dashboard", "paperpulse_daily_digest"):
        assert name in page, name
    data_docs = home / "gx" / "data_docs" / "index.html"
    assert str(data_docs) in printed
    index = data_docs.read_text()  # every suite, and the run's gates
    gates = ("raw_batch", "extraction_mentions", "marts_fct_mentions", "raw batch trending_page 2024-03-11")
    for name in gates:
        assert name in index, name
    assert (home / "gx" / "data_docs" / "expectations" / "marts_trend_marts.html").exists()


def test_ctrl_c_inside_a_duckdb_query_counts_as_an_interrupt():
    con = duckdb.connect()
    # Ctrl-C as in a terminal: earlier tests in this process leave SIGINT ignored (Airflow's DagBag import)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    blocked = signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    timer = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        con.execute("select sum(hash(range)) from range(2000000000)").fetchall()
    except BaseException as error:  # DuckDB's client raises RuntimeError("Query interrupted") here
        caught = error
    else:
        caught = None
    finally:
        timer.join()
        signal.signal(signal.SIGINT, previous)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    assert caught is not None and interrupted(caught)
    assert not interrupted(RuntimeError("something else"))
