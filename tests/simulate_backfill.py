"""Measure `paperpulse backfill` over simulated Hugging Face days served by the local fault server.

    python -m tests.simulate_backfill --days 30 --papers 75      (or: make bench-backfill)

Each day lists `papers` to `papers * 1.3` generated papers (abstracts naming models, datasets, metrics
and scores from the lexicons, so extraction has work to do); weekends are empty, as on HF; with
--fault-rate, that share of requests meets a network fault first (503, 429, a reset, a truncated body,
a timeout) and is retried. Prints the
wall time of the backfill, of a second backfill over the same days (which must fetch nothing), the
requests served and the row counts of the warehouse and the published marts.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import duckdb

from paperpulse.settings import MARTS, REPO_ROOT
from tests.fault_server import FaultServer, Reply
from tests.live_feeds import Paper, hf_days, hf_item, live_env

LEXICONS = REPO_ROOT / "extract" / "lexicons"


def _names(file: str) -> list[str]:
    with open(LEXICONS / file, newline="") as f:
        return [row["canonical"] for row in csv.DictReader(f)]


def simulated_days(first: date, days: int, papers: int, seed: int = 7) -> dict[str, list[dict]]:
    rng = random.Random(seed)
    models, datasets, metrics = _names("models.csv"), _names("datasets.csv"), _names("metrics.csv")
    listed: dict[str, list[dict]] = {}
    for n in range(days):
        day = first + timedelta(days=n)
        count = 0 if day.weekday() >= 5 else rng.randint(papers, int(papers * 1.3))
        items = []
        for i in range(count):
            model, baseline = rng.sample(models, 2)
            dataset, metric = rng.choice(datasets), rng.choice(metrics)
            score, gain = round(rng.uniform(40, 95), 1), round(rng.uniform(0.5, 6), 1)
            abstract = (
                f"We present a method for {rng.choice(['reasoning', 'retrieval', 'vision', 'speech'])} "
                f"built on {model}. On {dataset}, it reaches {score}% {metric}, improving over {baseline} "
                f"by {gain} points. We release code and models."
            )
            title = f"Study {i} of {day}: {model} on {dataset}"
            arxiv_id = f"{day:%y%m}.{n:02d}{i:03d}"
            items.append(hf_item(Paper(arxiv_id, title, abstract, upvotes=rng.randint(0, 200))))
        listed[day.isoformat()] = items
    return listed


FAULTS = [
    Reply(503, b"busy"),
    Reply(429, b"slow down", headers={"Retry-After": "0"}),
    Reply(429, b"slow down"),
    Reply(reset=True),
    Reply(200, b"[" + b" " * 64 + b"]", truncate=10),
    Reply(200, b"[]", delay=3.0),  # past the 2 s timeout
]


def faulty(rate: float, seed: int = 11):
    """Answer a share `rate` of requests with one of FAULTS (the client retries them)."""
    rng = random.Random(seed)
    return lambda request: rng.choice(FAULTS) if rng.random() < rate else None


def backfill(env: dict[str, str], since: date, until: date) -> tuple[float, str]:
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "paperpulse.cli", "backfill", "--source", "hf_daily",
         "--since", since.isoformat(), "--until", until.isoformat()],
        env={**os.environ, **env}, capture_output=True, text=True, cwd=REPO_ROOT,
    )  # fmt: skip
    if completed.returncode != 0:
        raise SystemExit(f"backfill failed:\n{completed.stdout}\n{completed.stderr}")
    return time.monotonic() - started, completed.stdout


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--papers", type=int, default=75, help="fewest papers a weekday lists")
    parser.add_argument("--since", type=date.fromisoformat, default=date(2024, 9, 1))
    parser.add_argument(
        "--fault-rate", type=float, default=0.0, help="share of requests answered with a random fault"
    )
    parser.add_argument("--keep", action="store_true", help="keep the warehouse and print where it is")
    args = parser.parse_args()

    listed = simulated_days(args.since, args.days, args.papers)
    until = args.since + timedelta(days=args.days - 1)
    home = Path(tempfile.mkdtemp(prefix="paperpulse-backfill-")) / "warehouse"
    with FaultServer() as server:
        server.route("/daily_papers", hf_days(lambda day: listed.get(day, []), faulty(args.fault_rate)))
        env = live_env(home, server.url)
        first, printed = backfill(env, args.since, until)
        requests = len(server.requests)
        again, printed_again = backfill(env, args.since, until)
        assert len(server.requests) == requests, "the second backfill fetched again"
    per_day = Counter(r.query["date"] for r in server.requests)

    print(printed)
    papers = sum(map(len, listed.values()))
    print(f"simulated: {args.days} days {args.since}..{until}, {papers} papers listed")
    print(f"backfill:  {first:.1f} s wall, {requests} requests ({max(per_day.values())} at most for a day)")
    print(f"again:     {again:.1f} s wall, 0 requests; " + printed_again.splitlines()[1].strip())
    with duckdb.connect(str(home / "build.duckdb"), read_only=True) as con:
        for table in ("papers", "paper_listings", "hf_upvote_snapshots", "mentions", "results", "quarantine"):
            print(f"  raw.{table}: {con.execute(f'select count(*) from raw.{table}').fetchone()[0]}")
    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        for mart in MARTS:
            print(f"  {mart}: {con.execute(f'select count(*) from {mart}').fetchone()[0]}")
    if args.keep:
        print(f"warehouse: {home}")
    else:
        shutil.rmtree(home.parent)


if __name__ == "__main__":
    main()
