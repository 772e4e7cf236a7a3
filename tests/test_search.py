"""Search: words in title or abstract -> papers ranked by BM25, offline, over the search_postings mart.

On the published bundled page (the session's first run): the `paperpulse search` command, the `search` macro
any reader of the serving file can call, the index against its tokenizer, a daily run that indexes only its
changed papers, and `paperpulse bench-search`, on the published marts and on listing files.
"""

from __future__ import annotations

import gzip
import json

import duckdb
import pytest

from paperpulse import search
from paperpulse.search import K1
from tests.conftest import copy_home, run_cli

SQUEEZEFORMER = "Squeezeformer: An Efficient Transformer for Automatic Speech Recognition"


def serving(home, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_the_search_command_ranks_papers_by_their_words(published_home):
    printed = run_cli(published_home, "search", "speech recognition", "--limit", "3").stdout
    assert SQUEEZEFORMER in printed
    assert "│     1 │" in printed and "│     3 │" in printed and "│     4 │" not in printed

    with_code = run_cli(published_home, "search", "sparse LLMs pruning", "--with-code").stdout
    assert "Dynamic Sparse No Training" in with_code  # github.com/zyxxmu/DSnoT
    assert "false" not in with_code.split("has_code", 1)[1]

    nothing = run_cli(published_home, "search", "zorblaxian quasiquokka")
    assert nothing.returncode == 0 and "no paper has 'zorblaxian quasiquokka'" in nothing.stderr


def test_search_is_a_macro_of_the_serving_file(published_home):
    """The dashboard (or `paperpulse query`, with no access to any other file) calls it in SQL."""
    rows = run_cli(
        published_home,
        "query",
        "select rank, title, has_code from search('Speech Recognition!', k := 4) order by rank",
        "--format",
        "csv",
    ).stdout.splitlines()
    assert rows[0] == "rank,title,has_code" and len(rows) == 5
    assert [row.split(",")[0] for row in rows[1:]] == ["1", "2", "3", "4"]
    assert any(SQUEEZEFORMER in row for row in rows[1:3])

    ranked = serving(
        published_home, "select rank, score, matched_terms from search('linear attention transformer')"
    )
    assert [rank for rank, _, _ in ranked] == list(range(1, 21))  # 20 by default
    assert [score for _, score, _ in ranked] == sorted((score for _, score, _ in ranked), reverse=True)
    assert ranked[0][2] == 3  # the best has every word
    with_code = serving(
        published_home, "select bool_and(has_code), count(*) from search('model', with_code := true)"
    )
    assert with_code == [(True, 20)]


def test_every_paper_is_found_by_its_title_and_indexed_as_queries_are_cut(published_home):
    """The serving file's search_terms (copied from the build file, where dbt defines it) cuts a query as
    the index cut each paper: a paper's terms are exactly those of its title and abstract, each counted with
    the title's weight, and searching a paper's title finds it first."""
    assert serving(
        published_home,
        """
        select count(*) from dim_papers p
        where list_sort(list_distinct(search_terms(p.title) || search_terms(p.abstract)))
            is distinct from (select list_sort(list(term)) from search_postings where paper_id = p.paper_id)
            or p.search_length <> 3 * len(search_terms(p.title)) + len(search_terms(p.abstract))
            or p.search_length <> (select sum(tf) from search_postings where paper_id = p.paper_id)
        """,
    ) == [(0,)]
    assert serving(
        published_home,
        "select count(*) from dim_papers p "
        "where (select paper_id from search(p.title, k := 1)) is distinct from p.paper_id",
    ) == [(0,)]
    assert serving(
        published_home,
        r"select search_terms('The \textbf{Models} of 93.3\% GPT-4 studies, its approaches, classes')",
    ) == [(["model", "93", "3", "gpt", "4", "study", "approach", "class"],)]


def test_bm25_scores_by_hand(published_home):
    """One term: idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / average length))."""
    (papers, average), *_ = serving(published_home, "select count(*), avg(search_length) from dim_papers")
    postings = serving(
        published_home, "select paper_id, tf, doc_length from search_postings where term = 'speech'"
    )
    idf = __import__("math").log(1 + (papers - len(postings) + 0.5) / (len(postings) + 0.5))
    expected = {
        paper_id: idf * tf * (K1 + 1) / (tf + K1 * (1 - 0.75 + 0.75 * length / average))
        for paper_id, tf, length in postings
    }
    found = dict(serving(published_home, "select paper_id, score from search('speeches', k := 1000)"))
    assert found.keys() == expected.keys()
    assert all(abs(found[paper] - expected[paper]) < 1e-9 for paper in expected)


@pytest.mark.slow
def test_a_daily_run_indexes_only_its_changed_papers(published_home, tmp_path):
    home = copy_home(published_home, tmp_path / "warehouse")
    inbox = home / "inbox"
    inbox.mkdir()
    paper = {
        "title": "Zorblaxian Attention for Quasiquokka Retrieval",
        "abstract": "We introduce zorblaxian attention, a new mechanism, and evaluate it on retrieval tasks "
        "with quasiquokka queries over a large corpus of documents and several baselines.",
        "arxiv_id": "2403.99999",
        "listed_date": "2024-03-12",
    }
    (inbox / "new.jsonl").write_text(json.dumps(paper) + "\n")
    sql = "select paper_id, term, tf, doc_length from search_postings where paper_id <> '2403.99999'"
    before = set(serving(home, sql))

    run_cli(home, "run", "--source", "inbox", "--date", "2024-03-12")

    assert set(serving(home, sql)) == before
    assert serving(home, "select paper_id, rank from search('zorblaxian')") == [("2403.99999", 1)]
    # the day's rows were appended to the sorted run (few: no need to sort them yet)
    [(rows,)] = serving(home, "select count(*) from search_postings")
    [(sorted_rows, runs)] = serving(home, f"select sorted_rows, runs from {search.STATE}")
    assert rows > sorted_rows and runs == 1
    manifest = json.loads((home / "dbt" / "target" / "manifest.json").read_text())
    assert "changed_papers" in manifest["nodes"]["model.paperpulse.search_postings"]["compiled_code"]


def test_bench_search_prints_the_latency_figures(published_home):
    printed = run_cli(published_home, "bench-search", "--queries", "30").stdout
    assert "search: 30 queries" in printed and "over 139 papers" in printed
    assert " p95 " in printed and "target: p95 < 200 ms" in printed


@pytest.mark.slow
def test_bench_search_builds_a_warehouse_of_listing_files(published_home, tmp_path):
    """--listings: every day but the last into a scratch warehouse, build and publish, then the last day."""
    with duckdb.connect(str(published_home / "serving.duckdb"), read_only=True) as con:
        papers = con.execute("select title, abstract from dim_papers order by paper_id limit 12").fetchall()
    folder = tmp_path / "listings"
    folder.mkdir()
    with gzip.open(folder / "2025-01.jsonl.gz", "wt") as listings:
        for n, (title, abstract) in enumerate(papers):
            day = f"2025-01-0{1 + n // 6}"
            line = {"listed_date": day, "arxiv_id": f"2501.{n:05d}", "title": title, "abstract": abstract}
            listings.write(json.dumps(line) + "\n")
    printed = run_cli(
        published_home,
        "bench-search",
        "--listings",
        str(folder),
        "--home",
        str(tmp_path / "b"),
        "--queries",
        "10",
    ).stdout
    assert "12 listings on 2 days" in printed
    assert "history: 6 papers loaded" in printed and "one more day (2025-01-02, 6 papers)" in printed
    assert "search: 10 queries" in printed and "over 12 papers" in printed


def postings_in_file_order(con) -> list[str]:
    return [term for (term,) in con.execute("select term from search_postings order by rowid").fetchall()]


def test_the_serving_index_stays_sorted_by_term_in_a_few_runs(tmp_path):
    """Appended rows are sorted into a run of their own once they pass tail_rows; past max_runs everything is
    sorted again; the rows never change, nor the comments."""
    words = ["delta", "alpha", "echo", "charlie", "bravo"]

    def append(con, n: int, start: int) -> None:
        con.execute(
            "insert into search_postings "
            "select ?[1 + (i % 5)::int], hash(i), 1, 10, 'p' || i, date '2025-01-01' from range(?, ?) t(i)",
            [words, start, start + n],
        )

    with duckdb.connect(str(tmp_path / "serving.duckdb")) as con:
        con.execute(
            "create table search_postings (term varchar, search_key ubigint, tf integer, doc_length integer, "
            "paper_id varchar, first_listed_date date)"
        )
        con.execute("comment on column search_postings.term is 'A word.'")
        append(con, 20, 0)
        everything = sorted(postings_in_file_order(con))

        assert search.cluster(con, published_whole=False, tail_rows=10, max_runs=3) == "sorted everything"
        assert postings_in_file_order(con) == everything
        append(con, 10, 20)
        assert search.cluster(con, published_whole=False, tail_rows=10, max_runs=3) == "kept"
        append(con, 5, 30)
        assert (
            search.cluster(con, published_whole=False, tail_rows=10, max_runs=3) == "sorted the appended rows"
        )
        appended = sorted(postings_in_file_order(con)[20:])
        assert postings_in_file_order(con) == everything + appended
        assert con.execute(f"select * from {search.STATE}").fetchall() == [(35, 2)]
        append(con, 11, 35)
        assert (
            search.cluster(con, published_whole=False, tail_rows=10, max_runs=3) == "sorted the appended rows"
        )
        append(con, 1, 46)
        assert search.cluster(con, published_whole=False, tail_rows=10, max_runs=3) == "kept"
        append(con, 10, 47)
        assert search.cluster(con, published_whole=False, tail_rows=10, max_runs=3) == "sorted everything"
        assert postings_in_file_order(con) == sorted(postings_in_file_order(con))
        assert con.execute(f"select * from {search.STATE}").fetchall() == [(57, 1)]
        assert con.execute("select count(distinct paper_id) from search_postings").fetchone() == (57,)
        assert con.execute(
            "select comment from duckdb_columns() "
            "where table_name = 'search_postings' and column_name = 'term'"
        ).fetchone() == ("A word.",)
