"""Incremental marts equal a full rebuild, row for row, and publishing copies only what changed.

Four synthetic days go through the real pipeline, one run each (the first builds everything, the
others only the changed papers: new ones, revised ones, and one removed by hand the way raw loading
removes a paper it merges into another). Then a copy of the warehouse is rebuilt with
`dbt build --full-refresh`: every model, and the published marts, must be the same.
The first three days are the session's `synthetic_days` warehouse (tests/conftest.py), which
tests/test_publish.py shares; both run in one pytest-xdist group so that one worker builds it.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from paperpulse.settings import MARTS, PAPER_MARTS, Settings
from paperpulse.warehouse.build import dbt
from tests.conftest import SYNTHETIC_DAYS, SYNTHETIC_PAPERS_PER_DAY, copy_home, run_cli, table_digests

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("synthetic_days")]

DAYS = [*SYNTHETIC_DAYS, "2024-03-03"]
INCREMENTAL = [
    "intermediate.int_papers_matched_to_topics",
    "intermediate.int_results_canonicalised",
    "intermediate.int_entity_papers",
    "intermediate.int_entities_aggregated",
    "intermediate.int_paper_code_links",
    *(f"marts.{mart}" for mart in PAPER_MARTS),
]


def run_day(home, day: str) -> str:
    return run_cli(home, "run", "--source", "synthetic", "--date", day).stdout


def compiled(home, model: str) -> str:
    manifest = json.loads((home / "dbt" / "target" / "manifest.json").read_text())
    return manifest["nodes"][f"model.paperpulse.{model}"]["compiled_code"]


def remove_paper(home) -> str:
    """Delete one paper from every raw table and record the change, as merging a paper does."""
    with duckdb.connect(str(home / "build.duckdb")) as con:
        (paper_id,) = con.execute("select min(paper_id) from raw.papers").fetchone()
        for table in ("paper_listings", "mentions", "results", "extractions", "papers"):
            con.execute(f"delete from raw.{table} where paper_id = ?", [paper_id])
        con.execute("insert or replace into raw.changed_papers values (?, now(), false)", [paper_id])
    return paper_id


def test_incremental_runs_equal_a_full_rebuild_row_for_row(synthetic_days, tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERPULSE_SYNTHETIC_PAPERS_PER_DAY", SYNTHETIC_PAPERS_PER_DAY)
    home = copy_home(synthetic_days[0], tmp_path / "incremental")  # DAYS[:3], one run each
    removed = remove_paper(home)
    printed = run_day(home, DAYS[3])
    assert "changed_papers" in compiled(home, "fct_mentions")  # the last build was incremental

    rebuilt = copy_home(home, tmp_path / "full")
    settings = Settings.from_env().replace(home=rebuilt)
    completed = dbt(settings, "build", "--full-refresh")
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert "changed_papers" not in compiled(rebuilt, "fct_mentions")

    models = INCREMENTAL + [f"marts.{mart}" for mart in MARTS if mart not in PAPER_MARTS]
    incremental = table_digests(home / "build.duckdb", models, timestamps=True)
    assert incremental == table_digests(rebuilt / "build.duckdb", models, timestamps=True)
    served = table_digests(home / "serving.duckdb", [f"main.{mart}" for mart in MARTS], timestamps=True)
    assert list(served.values()) == [incremental[f"marts.{mart}"] for mart in MARTS]
    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from dim_papers where paper_id = ?", [removed]).fetchone() == (0,)
    with duckdb.connect(str(home / "build.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.changed_papers").fetchone() == (0,)  # all published
        # the replaced rows the aggregates recomputed from went with the build that used them
        assert con.execute("select count(*) from intermediate.int_entity_papers_replaced").fetchone() == (0,)
    assert "40 new" in printed


def test_a_day_publishes_its_papers_and_links_the_rest(synthetic_days):
    home, after = synthetic_days  # the first run lists February's last day, the second March's first
    second = Path(after[1]["parquet"])  # the Parquet version the second run published
    for mart in PAPER_MARTS:
        months = sorted(p.name for p in (second / f"{mart}.parquet").iterdir())
        assert months == ["2024-02.parquet", "2024-03.parquet"], mart
        february = f"{mart}.parquet/2024-02.parquet"  # the first version is gone by now: its inode, kept
        assert after[0]["months"][february] == (second / february).stat().st_ino  # untouched: hard-linked
    with duckdb.connect() as con:
        rows = con.execute(f"select count(*) from '{home / 'parquet' / 'dim_papers.parquet'}'").fetchone()
    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        assert rows == con.execute("select count(*) from dim_papers").fetchone() and rows[0] > 80
