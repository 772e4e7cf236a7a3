"""`paperpulse bench-search`: how fast `search` answers, and what its index costs to build; prints figures.

Without --listings it times 200 varied queries on the published marts of PAPERPULSE_HOME. With --listings
DIR (files of arXiv listings, one JSON line per listing: listed_date, arxiv_id, title, abstract, as in
../shared/data/arxiv_listings) it first builds a warehouse of them in a scratch folder: every listing day but
the last loaded into raw.papers as the inbox source loads a line (no extraction: search reads titles and
abstracts only), `dbt build` and publish, then the last day the same way, as a daily run would add it; and
reports the search index's share of each build (dbt's timing of search_postings) before timing the queries.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

from paperpulse import search
from paperpulse.settings import Settings

QUERIES = 200
TARGET_P95_MS = 200
WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]{2,}")


def varied_queries(con, count: int = QUERIES, seed: int = 15) -> list[str]:
    """Queries like a reader's, from the warehouse's own titles: one to four title words, rare and common
    alike; the first eight words of a title; and in one query of ten, words no paper has."""
    rng = random.Random(seed)
    titles = [t for (t,) in con.execute("select title from dim_papers order by paper_id").fetchall()]
    if not titles:
        raise ValueError("no papers published: nothing to search")
    queries: list[str] = []
    while len(queries) < count:
        words = WORD.findall(rng.choice(titles))
        kind = len(queries) % 10
        if kind == 9:
            queries.append(f"zqx{rng.randrange(10**6)} nonexistent")
        elif kind == 0 and words:
            queries.append(" ".join(words[:8]))
        elif words:
            queries.append(" ".join(rng.sample(words, min(len(words), 1 + kind % 4))))
    return queries


def time_queries(serving: Path, count: int = QUERIES) -> dict:
    """`search` latency over `count` varied queries on one read-only connection, after one warm-up query."""
    with search.connect(serving) as con:
        papers, postings = con.execute(
            "select (select count(*) from dim_papers), (select count(*) from search_postings)"
        ).fetchone()
        queries = varied_queries(con, count)
        search.search(con, "warm up").fetchall()
        timings, answered = [], 0
        for query in queries:
            started = time.perf_counter()
            answered += bool(search.search(con, query).fetchall())
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "papers": papers,
        "postings": postings,
        "queries": len(queries),
        "answered": answered,
        "p50_ms": statistics.median(timings),
        "p95_ms": timings[round(0.95 * len(timings)) - 1],
        "max_ms": timings[-1],
    }


def read_listings(folder: Path) -> dict[date, list[dict]]:
    """Every listing line of the folder's *.jsonl(.gz) files, by listed day."""
    days: dict[date, list[dict]] = defaultdict(list)
    files = sorted([*folder.glob("*.jsonl.gz"), *folder.glob("*.jsonl")])
    if not files:
        raise FileNotFoundError(f"no *.jsonl or *.jsonl.gz listing files in {folder}")
    for path in files:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    listing = json.loads(line)
                    days[date.fromisoformat(listing["listed_date"])].append(listing)
    return dict(sorted(days.items()))


def load_days(settings: Settings, days: dict[date, list[dict]]) -> int:
    """Each day's listings into raw tables as the inbox source loads its lines, a transaction a day."""
    from paperpulse.ingest import raw
    from paperpulse.ingest.sources import inbox
    from paperpulse.warehouse.connection import connect_build

    loaded = 0
    with connect_build(settings, bulk=True) as con:
        for day, listings in days.items():
            parsed = [("listings", inbox.record(listing, day)) for listing in listings]
            loaded += raw.load_batch(con, raw.prepare_batch(inbox.NAME, day.isoformat(), parsed)).loaded
    return loaded


def build_and_publish(settings: Settings) -> tuple[float, float]:
    """`dbt build`, the marts gate and publish; the build's wall time and dbt's time for the search_postings
    model."""
    from paperpulse.pipeline import check_marts, new_run_id
    from paperpulse.warehouse.build import build
    from paperpulse.warehouse.publish import publish

    started = time.perf_counter()
    build(settings)
    seconds = time.perf_counter() - started
    results = json.loads((settings.home / "dbt" / "target" / "run_results.json").read_text())["results"]
    (index_seconds,) = [r["execution_time"] for r in results if r["unique_id"].endswith(".search_postings")]
    run_id = new_run_id()
    check_marts(settings, run_id)
    publish(settings, run_id)
    return seconds, index_seconds


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if args.listings is None:
        print(describe(time_queries(settings.serving_db, args.queries)))
        return 0
    home = args.home or Path(tempfile.mkdtemp(prefix="paperpulse-bench-search-"))
    settings = settings.replace(home=home.resolve())
    try:
        days = read_listings(args.listings)
        *history, last = days
        print(f"{sum(map(len, days.values())):,} listings on {len(days)} days from {args.listings} -> {home}")
        papers = load_days(settings, {day: days[day] for day in history})
        build_seconds, index_seconds = build_and_publish(settings)
        print(
            f"history: {papers:,} papers loaded into raw.papers (no extraction); "
            f"dbt build {build_seconds:.0f} s, of which search_postings {index_seconds:.1f} s"
        )
        papers = load_days(settings, {last: days[last]})
        build_seconds, index_seconds = build_and_publish(settings)
        print(
            f"one more day ({last}, {papers:,} papers): dbt build {build_seconds:.0f} s, "
            f"of which search_postings {index_seconds:.2f} s"
        )
        print(describe(time_queries(settings.serving_db, args.queries)))
    finally:
        if not args.keep and args.home is None:
            shutil.rmtree(home, ignore_errors=True)
    return 0


def describe(figures: dict) -> str:
    return (
        f"search: {figures['queries']} queries ({figures['answered']} with results) over "
        f"{figures['papers']:,} papers ({figures['postings']:,} postings): p50 {figures['p50_ms']:.1f} ms, "
        f"p95 {figures['p95_ms']:.1f} ms, max {figures['max_ms']:.1f} ms (target: p95 < {TARGET_P95_MS} ms)"
    )


def add_command(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser(
        "bench-search", help="search latency over varied queries (p50/p95), optionally on listing files"
    )
    command.add_argument("--queries", type=int, default=QUERIES, help="queries timed (default: %(default)s)")
    command.add_argument(
        "--listings", type=Path, help="build a scratch warehouse of these listing files first (a folder)"
    )
    command.add_argument("--home", type=Path, help="the scratch folder (default: a new one under $TMPDIR)")
    command.add_argument("--keep", action="store_true", help="keep the scratch folder")
    command.set_defaults(func=run)
