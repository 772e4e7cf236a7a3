"""Code links: repositories and project pages in abstracts (or given by a source) in dim_papers.code_urls,
has_code, and "papers with code" as a filter on every mart that lists papers."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from paperpulse.ingest import raw
from paperpulse.ingest.sources import inbox
from paperpulse.settings import MARTS
from paperpulse.warehouse.connection import ensure_schema
from tests.conftest import dbt_build, run_cli

DAY = date(2025, 3, 11)
FILLER = " We evaluate the method on several benchmarks and compare it with strong baselines in detail."


def test_the_bundled_page_links_its_repositories_and_project_pages(published_home):
    with duckdb.connect(str(published_home / "serving.duckdb"), read_only=True) as con:
        links = dict(con.execute("select title, code_urls from dim_papers where has_code").fetchall())
        without = con.execute(
            "select count(*) from dim_papers where not has_code and code_urls = []"
        ).fetchone()
    assert links["Dynamic Sparse No Training: Training-Free Fine-tuning for Sparse LLMs"] == [
        "https://github.com/zyxxmu/DSnoT"
    ]
    # "Project page is available at https://zyf0619sjtu.github.io/dream-lip."
    assert ["https://zyf0619sjtu.github.io/dream-lip"] in links.values()
    # "at https://github.com/ramprs/grad-cam/, along with a demo on CloudCV"
    assert ["https://github.com/ramprs/grad-cam", "https://gradcam.cloudcv.org"] in links.values()
    assert len(links) == 39 and without == (139 - 39,)
    assert all(
        url.startswith("https://") and not url.endswith((".", "/", ".git"))
        for u in links.values()
        for url in u
    )


@pytest.mark.slow
def test_code_links_from_arxiv_listings_and_a_source(tmp_path):
    """arXiv's listings hide every link ("this https URL"): a sentence that says it is the code still makes
    has_code; Hugging Face gives the repository in extra.github_repo; a promise of code is not code."""
    lines = {
        "2503.00001": "Our code is available at this https URL." + FILLER,
        "2503.00002": "Code will be released upon acceptance." + FILLER,
        "2503.00003": "See the project page (this https URL) for videos." + FILLER,
        "2503.00004": r"Code: \url{github.com/some-org/some\_repo}." + FILLER,
    }
    items = [
        inbox.record({"arxiv_id": key, "title": f"Paper {key}", "abstract": text}, DAY)
        for key, text in lines.items()
    ]
    hf = inbox.record(
        {"arxiv_id": "2503.00005", "title": "A paper from HF", "abstract": "No link." + FILLER}, DAY
    )
    items.append(
        hf | {"source": "hf_daily", "extra": {"github_repo": "https://github.com/org/repo", "upvotes": 3}}
    )
    build_db = tmp_path / "build.duckdb"
    with duckdb.connect(str(build_db)) as con:
        ensure_schema(con)
        raw.load_batch(con, raw.prepare_batch("inbox", DAY.isoformat(), [("x", item) for item in items]))
    dbt_build(build_db, tmp_path)
    with duckdb.connect(str(build_db), read_only=True) as con:
        rows = con.execute(
            "select paper_id, code_urls, has_code, paper_url from marts.dim_papers order by 1"
        ).fetchall()
    assert rows == [
        ("2503.00001", [], True, "https://arxiv.org/abs/2503.00001"),
        ("2503.00002", [], False, "https://arxiv.org/abs/2503.00002"),
        ("2503.00003", [], False, "https://arxiv.org/abs/2503.00003"),
        ("2503.00004", ["https://github.com/some-org/some_repo"], True, "https://arxiv.org/abs/2503.00004"),
        ("2503.00005", ["https://github.com/org/repo"], True, "https://arxiv.org/abs/2503.00005"),
    ]


def test_papers_with_code_is_a_filter_on_every_mart_that_lists_papers(published_home):
    """Every mart with papers has paper_id, so `paper_id in (select paper_id from dim_papers where has_code)`
    keeps the papers with code in any of them (README, "Papers with code"); search has with_code."""
    with duckdb.connect(str(published_home / "serving.duckdb"), read_only=True) as con:
        listing_papers = [
            table
            for (table,) in con.execute(
                "select table_name from duckdb_columns() where column_name = 'paper_id' order by 1"
            ).fetchall()
        ]
    assert set(listing_papers) <= set(MARTS)
    assert {"dim_papers", "fct_benchmark_results", "leaderboards", "whats_new", "paper_topics"} <= set(
        listing_papers
    )
    with_code = "paper_id in (select paper_id from dim_papers where has_code)"
    sql = " union all ".join(
        f"select '{mart}' as mart, count(*) filter ({with_code}) as with_code, count(*) as rows from {mart}"
        for mart in listing_papers
    )
    printed = run_cli(published_home, "query", sql + " order by mart", "--format", "csv").stdout.splitlines()
    counts = {mart: (int(code), int(rows)) for mart, code, rows in (line.split(",") for line in printed[1:])}
    assert counts["dim_papers"] == (39, 139)
    assert all(0 < code < rows for code, rows in counts.values())
