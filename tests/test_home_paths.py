"""Where the warehouse lives: a home whose path holds a quote and spaces, and an empty home, work end to
end through the real command (every path reaches SQL as a bound parameter, never spliced into it)."""

from __future__ import annotations

import json

import duckdb
import pytest

from tests.conftest import run_cli

ABSTRACT = (
    "We fine-tune Llama 2 7B on GSM8K and MMLU and reach 61.2% accuracy, 4.1 points above the baseline."
)


def serving(home, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def drop(home, name: str, title: str, day: str) -> None:
    inbox = home / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    line = {"title": title, "abstract": ABSTRACT, "listed_date": day}
    (inbox / name).write_text(json.dumps(line) + "\n", encoding="utf-8")


@pytest.mark.slow
def test_an_inbox_run_on_an_empty_home_publishes_empty_marts(tmp_path):
    home = tmp_path / "warehouse"
    printed = run_cli(home, "run", "--source", "inbox").stdout
    assert "0 loaded (0 new, 0 changed, 0 unchanged), 0 quarantined; 0 in the warehouse" in printed
    assert "stale sources" not in printed  # an empty raw table is not a stale one
    assert serving(home, "select count(*) from trending_topics") == [(0,)]
    assert serving(home, "select count(*) from dim_papers") == [(0,)]


@pytest.mark.slow
def test_a_home_with_a_quote_and_spaces_works_end_to_end(tmp_path):
    home = tmp_path / "Ana's warehouse" / "it's here"
    # three publishes: the first writes new files, the second copies the published serving file, the
    # third brings the spare (the file the second replaced) up to date: every path a publish attaches
    for n, day in enumerate(["2024-03-11", "2024-03-12", "2024-03-13"], start=1):
        drop(home, f"drop {n}.jsonl", f"A paper in a quoted home, number {n}", day)
        printed = run_cli(home, "run", "--source", "inbox", "--date", day).stdout
        assert f"1 loaded (1 new, 0 changed, 0 unchanged), 0 quarantined; {n} in the warehouse" in printed
        assert serving(home, "select count(*), max(first_listed_date)::varchar from dim_papers") == [(n, day)]
    assert (home / ".previous-serving.duckdb").exists()
    with duckdb.connect() as con:
        parquet = con.execute(
            "select count(*) from read_parquet(?)",
            [str(home / "parquet" / "dim_papers.parquet" / "*.parquet")],
        ).fetchone()
    assert parquet == (3,)
    assert run_cli(home, "check").returncode == 0
    assert json.loads(
        run_cli(home, "query", "select count(*) as papers from dim_papers", "--format", "json").stdout
    ) == [{"papers": 3}]
