"""The gates' Great Expectations project: the committed files are what expectations/define.py writes, the
package stands alone, a run writes nothing into the repo, old results are pruned, and the SQL that
searches the marts for failing rows finds every row GX fails."""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import great_expectations as gx
import pandas as pd
import pytest

from expectations import define, gate, marts
from paperpulse.pipeline import gate_raw_batch
from tests.conftest import REPO, copy_home, run_cli
from tests.test_gates import GOOD_PAPER

EXPECTATIONS_DIR = REPO / "expectations"


def test_the_committed_project_is_what_its_definitions_write():
    assert define.committed() == define.generate(), "run `python -m expectations.define`"


def test_the_expectations_package_imports_neither_paperpulse_nor_extract():
    probe = (
        "import sys, expectations.gate, expectations.define, expectations.marts, expectations.errors; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'paperpulse', 'extract'}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if "__pycache__" not in p.parts
    }


@pytest.fixture
def read_only_expectations():
    """expectations/ mounted read-only over itself while the test runs (as root, which writes through
    permissions); elsewhere it stays writable and only the snapshot comparison checks it."""
    done = subprocess.run(
        ["mount", "--bind", "-o", "ro", str(EXPECTATIONS_DIR), str(EXPECTATIONS_DIR)],
        capture_output=True,
        text=True,
    )
    try:
        yield done.returncode == 0
    finally:
        if done.returncode == 0:
            subprocess.run(["umount", "-l", str(EXPECTATIONS_DIR)], check=True)


@pytest.mark.slow
def test_a_run_writes_nothing_into_the_repo_and_keeps_results_and_data_docs_in_the_home(
    published_home, tmp_path, monkeypatch, read_only_expectations
):
    monkeypatch.setenv("PAPERPULSE_SYNTHETIC_PAPERS_PER_DAY", "3")
    home = copy_home(published_home, tmp_path / "warehouse")
    before = snapshot(EXPECTATIONS_DIR)
    if read_only_expectations:
        with pytest.raises(OSError):
            (EXPECTATIONS_DIR / "gx" / "probe").write_text("")
    printed = run_cli(home, "run", "--source", "synthetic", "--date", "2024-03-13").stdout
    assert "gates:     3 passed (raw batch synthetic 2024-03-13, extraction of 1 batches, marts)" in printed
    assert snapshot(EXPECTATIONS_DIR) == before
    results = home / "gx" / "validations"
    for suite in ("raw_batch", "extraction_mentions", "extraction_results", "marts_fct_mentions"):
        assert list(results.glob(f"{suite}/*/*/*.json")), suite
    index = (home / "gx" / "data_docs" / "index.html").read_text()
    assert "raw batch synthetic 2024-03-13" in index and "marts_trend_marts" in index


def test_each_checkpoint_keeps_its_last_runs_only(settings, monkeypatch):
    monkeypatch.setattr(gate, "KEEP_RUNS", 3)
    for day in range(5):
        gate_raw_batch(settings, f"raw batch day {day}", pd.DataFrame([GOOD_PAPER]))
    kept = sorted(
        p.parent.parent.name for p in (settings.gx_dir / "validations" / "raw_batch").glob("*/*/*.json")
    )
    assert kept == ["raw batch day 2", "raw batch day 3", "raw batch day 4"]
    pages = settings.gx_dir / "data_docs" / "validations" / "raw_batch"
    assert sorted(p.name for p in pages.iterdir()) == kept
    index = (settings.gx_dir / "data_docs" / "index.html").read_text()
    assert "raw batch day 1" not in index and "raw batch day 4" in index


# values that trip each kind of expectation, by column type
POOLS = {
    "VARCHAR": [None, "model", "dataset", "absolute", "improvement", "higher", "lower", "other"],
    "BIGINT": [None, -1, 0, 1, 2],
    "INTEGER": [None, -1, 0, 1, 2],
    "DOUBLE": [None, float("nan"), float("inf"), float("-inf"), -1.0, 0.0, 0.5, 1.0, 2.0],
    "DATE": [None, date(2024, 3, 10), date(2024, 3, 11)],
    "BOOLEAN": [None, True, False],
}


def _failed_rows(result: dict) -> set[int]:
    """The index (_row) of every row GX found unexpected: listed, or, for column pairs, in the query GX
    gives instead ("df.filter(items=[...], axis=0)")."""
    if result.get("unexpected_index_list") is not None:
        return {row["_row"] for row in result["unexpected_index_list"]}
    query = result["unexpected_index_query"]
    return set(ast.literal_eval(query[query.index("[") : query.rindex("]") + 1]))


def _columns(expectation) -> list[str]:
    kwargs = expectation.configuration.kwargs
    return [kwargs["column"]] if "column" in kwargs else [kwargs["column_A"], kwargs["column_B"]]


@pytest.mark.parametrize(
    "frame, expectation",
    [(frame, expectation) for frame in marts.FRAMES for expectation in frame.expectations],
    ids=lambda value: getattr(value, "name", None) or value.expectation_type,
)
def test_the_sql_search_finds_every_row_gx_fails(published_home, frame, expectation):
    with duckdb.connect(str(published_home / "build.duckdb"), read_only=True) as built:
        types = {
            row[0]: row[1] for row in built.execute(f"describe {marts._scoped(frame.sql, False)}").fetchall()
        }
    columns = _columns(expectation)
    pools = [POOLS[types[column]] for column in columns]
    rows = [values for values in itertools.product(*pools) for _ in range(2)]  # twice: uniqueness
    con = duckdb.connect()
    con.execute(f"create table t ({', '.join(f'{c} {types[c]}' for c in columns)})")
    con.executemany(f"insert into t values ({', '.join('?' for _ in columns)})", rows)
    domain = "select rowid as _row, * from t"
    floats = {c for c in columns if types[c] == "DOUBLE"}
    where = marts.violation(expectation, {}, domain, floats)
    flagged = {row for (row,) in con.execute(f"select _row from ({domain}) where {where}").fetchall()}

    data = marts.fetch(con, domain).set_index("_row")
    batch = (
        gx.get_context(mode="ephemeral")
        .data_sources.add_pandas("t")
        .add_dataframe_asset("t")
        .add_batch_definition_whole_dataframe("t")
        .get_batch(batch_parameters={"dataframe": data})
    )
    result = batch.validate(expectation.copy(), result_format={"result_format": "COMPLETE"})
    failed = _failed_rows(result.result)
    assert failed, "the pool trips every expectation"
    assert failed <= flagged, f"GX fails rows the SQL misses: {sorted(failed - flagged)[:5]}"
    assert len(flagged) < len(rows), "the SQL does not flag everything"
