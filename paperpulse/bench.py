"""`paperpulse bench`: the pipeline at scale, on synthetic papers; prints figures, asserts nothing.
`paperpulse bench --listings DIR`: the same backfill and daily increment on real listing files (below).

1. backfill: N papers (N / per-day days of the synthetic source) end to end into an empty warehouse,
   wall time and peak memory (this process and all its children) per stage;
2. daily increment: one more day into that warehouse, beside the same day into an empty warehouse
   and beside a full rebuild of the marts on the big warehouse;
3. reads: latency of dashboard queries on the published marts, idle and while a daily run publishes,
   from reader processes of their own.

On real listings (`--listings DIR`, a folder of the listings source, e.g. ../shared's 93,000): a backfill
of every listing day but the last two, then those two days as daily runs on top of it (the first after a
backfill copies the serving file; the ratio is the next one's), beside the last day into an empty warehouse.

Everything lives in a scratch home (deleted at the end unless --keep).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from paperpulse.progress import GIB, Meter

SOURCE = "synthetic"
FIRST_DAY = date(2022, 1, 1)

# Stages in the order a run goes through them ("land" is the benchmark's own: it lands the corpus
# before the backfill loads it, to time generation and loading apart).
STAGES = ("land", "ingest", "extract-plan", "extract-batches", "extract-load", "build", "check", "publish")
TARGETS = {"backfill_seconds": 15 * 60, "backfill_peak_gib": 4, "daily_seconds": 60, "read_p95_ms": 100}


def add_command(subparsers: argparse._SubParsersAction) -> None:
    bench = subparsers.add_parser("bench", help="benchmarks at scale on synthetic papers (prints figures)")
    bench.add_argument("--papers", type=int, default=1_000_000, help="backfill size (default: %(default)s)")
    bench.add_argument("--per-day", type=int, default=1000, help="papers per day (default: %(default)s)")
    bench.add_argument("--reads-idle", type=float, default=10.0, help="seconds of reads before the run")
    bench.add_argument("--readers", type=int, default=2, help="reader processes (default: %(default)s)")
    bench.add_argument("--home", type=Path, help="scratch folder (default: a new one under $TMPDIR)")
    bench.add_argument("--keep", action="store_true", help="keep the scratch folder")
    bench.add_argument(
        "--listings",
        type=Path,
        metavar="DIR",
        help="real listing files instead of synthetic papers (a folder of YYYY-MM.jsonl[.gz]; "
        "skipped with a message when absent)",
    )
    bench.set_defaults(func=run_bench)


@dataclass
class Figures:
    title: str
    seconds: float
    peak: int
    stages: dict[str, tuple[float, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, title: str, meter: Meter) -> Figures:
        stages = {name: (meter.seconds[name], meter.peak[name]) for name in STAGES if name in meter.seconds}
        return cls(title, meter.total_seconds, meter.overall_peak, stages)


# Extraction batches of the benchmark's warehouses: a 1,000,000-paper backfill is 100 batches (each checked
# by the extraction gate, whose fixed cost a smaller batch pays more often); a day is one batch either way.
EXTRACT_BATCH_SIZE = 10_000


def bench_settings(home: Path, per_day: int):
    from paperpulse.settings import Settings

    return Settings.from_env(
        home=home, synthetic_papers_per_day=per_day, extract_batch_size=EXTRACT_BATCH_SIZE
    )


def days_from(first: date, count: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(count)]


def backfill(settings, days: list[date]) -> Figures:
    from paperpulse import pipeline
    from paperpulse.ingest import landing

    with Meter(progress=sys.stdout) as meter:
        with meter.stage("land"):
            for day in days:
                landing.land(settings, SOURCE, day)
        pipeline.backfill(settings, SOURCE, days[0], days[-1])
    return Figures.of("backfill", meter)


def daily_run(settings, day: date, title: str, source: str = SOURCE) -> Figures:
    from paperpulse import pipeline

    with Meter() as meter:
        pipeline.run(settings, source, day)
    return Figures.of(title, meter)


def full_rebuild(settings) -> Figures:
    """The marts built from scratch (`dbt build --full-refresh`), as a build without incremental models."""
    from paperpulse.errors import BuildFailed
    from paperpulse.warehouse.build import dbt

    with Meter() as meter, meter.stage("build"):
        completed = dbt(settings, "build", "--full-refresh")
    if completed.returncode != 0:
        raise BuildFailed(f"dbt build --full-refresh failed:\n{completed.stdout[-3000:]}")
    return Figures.of("full rebuild of the marts", meter)


# -- reads ---------------------------------------------------------------------------------------------


def _reader(serving_db: str, stop, results) -> None:
    """Read as the dashboard does (paperpulse/dashboard.py): open the serving file read-only, list the
    leaderboards, run each query of the page for the biggest board, close; again until told to stop.
    Sends back (started at, query, seconds) for each, and the errors seen."""
    import duckdb

    from paperpulse import dashboard

    samples, errors = [], []
    while not stop.is_set():
        try:
            started = time.time()
            con = duckdb.connect(serving_db, read_only=True)
            samples.append((started, "connect", time.time() - started))
            started = time.time()
            dataset, metric, unit = con.execute(dashboard.BOARDS).fetchone()
            samples.append((started, "boards", time.time() - started))
            chosen = {"dataset": dataset, "metric": metric, "unit": unit}
            for name, sql in dashboard.QUERIES.items():
                started = time.time()
                con.execute(sql, {k: v for k, v in chosen.items() if f"${k}" in sql}).df()
                samples.append((started, name, time.time() - started))
            con.close()
        except Exception as error:  # a reader must never fail: count it, keep reading
            errors.append(f"{type(error).__name__}: {error}")
    results.put((samples, errors))


@dataclass
class Reads:
    samples: list[tuple[float, str, float]]
    errors: list[str]
    run_window: tuple[float, float]
    publish_window: tuple[float, float]

    def phase(self, started: float) -> str:
        if self.publish_window[0] <= started <= self.publish_window[1]:
            return "publishing"
        if self.run_window[0] <= started <= self.run_window[1]:
            return "run, other stages"
        return "idle"


def reads_during_run(settings, day: date, readers: int, idle_seconds: float) -> tuple[Reads, Figures]:
    """Readers query the published marts while a daily run goes and publishes."""
    import multiprocessing

    from paperpulse import hooks, pipeline

    context = multiprocessing.get_context("spawn")
    stop, results = context.Event(), context.Queue()
    processes = [
        context.Process(target=_reader, args=(str(settings.serving_db), stop, results))
        for _ in range(readers)
    ]
    for process in processes:
        process.start()
    time.sleep(idle_seconds)
    publish_window = [0.0, 0.0]

    def watch_publish(event: str, name: str) -> None:
        if name == "publish":
            publish_window[0 if event == "start" else 1] = time.time()

    hooks.observers.append(watch_publish)
    try:
        run_started = time.time()
        with Meter() as meter:
            pipeline.run(settings, SOURCE, day)
        run_ended = time.time()
    finally:
        hooks.observers.remove(watch_publish)
        time.sleep(1.0)
        stop.set()
    collected = [results.get() for _ in processes]
    for process in processes:
        process.join()
    reads = Reads(
        samples=[sample for samples, _ in collected for sample in samples],
        errors=[error for _, errors in collected for error in errors],
        run_window=(run_started, run_ended),
        publish_window=(publish_window[0], publish_window[1]),
    )
    return reads, Figures.of("daily run under reads", meter)


# -- printing ------------------------------------------------------------------------------------------


def _mb(size: int) -> str:
    return f"{size / 2**20:,.0f} MB"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def stage_table(figures: list[Figures]) -> list[str]:
    """Stages as rows, one pair of columns (seconds, peak memory) per run."""
    names = [name for name in STAGES if any(name in f.stages for f in figures)]
    lines = ["  " + "stage".ljust(18) + "".join(f.title[:24].rjust(26) for f in figures)]
    for name in [*names, "other", "total"]:
        cells = []
        for f in figures:
            if name == "total":
                seconds, peak = f.seconds, f.peak
            elif name == "other":  # between stages: summaries, the digest, process start-up
                seconds, peak = f.seconds - sum(s for s, _ in f.stages.values()), None
            else:
                seconds, peak = f.stages.get(name, (None, None))
            memory = _mb(peak) if peak is not None else ""
            cells.append("-".rjust(26) if seconds is None else f"{seconds:9.1f} s {memory:>12}".rjust(26))
        lines.append("  " + name.ljust(18) + "".join(cells))
    return lines


def machine_load() -> str:
    import psutil

    one, five, _ = os.getloadavg()
    return (
        f"{os.cpu_count()} cores, {psutil.virtual_memory().total / GIB:.0f} GiB; "
        f"load average {one:.1f} (1 min), {five:.1f} (5 min)"
    )


def print_backfill(figures: Figures, papers: int, days: int) -> None:
    print(f"\nbackfill: {papers:,} papers over {days} days, empty warehouse to published marts")
    print("\n".join(stage_table([figures])))
    minutes = figures.seconds / 60
    print(
        f"  => {minutes:.1f} min (target < {TARGETS['backfill_seconds'] / 60:.0f} min), "
        f"peak {figures.peak / GIB:.2f} GiB (target < {TARGETS['backfill_peak_gib']} GiB), "
        f"{papers / figures.seconds:,.0f} papers/s"
    )


def print_daily(
    first: Figures, big: Figures, empty: Figures, rebuild: Figures, papers: int, warehouse: int
) -> None:
    print(f"\ndaily increment: {papers:,} new papers, end to end")
    print(
        f"  into the {warehouse:,}-paper warehouse, the first day after the backfill and the next one (a "
        "publish from then on brings the serving file it replaced last time up to date, the first copies "
        "the published one), beside the first day into an empty warehouse"
    )
    print("\n".join(stage_table([first, big, empty])))
    print(
        f"  => {big.seconds:.1f} s (target < {TARGETS['daily_seconds']} s), "
        f"{big.seconds / empty.seconds:.2f}x the empty-warehouse run (target < 2x); "
        f"the first day after the backfill {first.seconds:.1f} s, {first.seconds / empty.seconds:.2f}x"
    )
    built, rebuilt = big.stages.get("build", (0.0, 0))[0], rebuild.seconds
    print(
        f"  dbt build of the increment: {built:.1f} s; full rebuild of the marts on the big warehouse "
        f"(dbt build --full-refresh): {rebuilt:.1f} s, peak {_mb(rebuild.peak)}"
    )


def print_reads(reads: Reads, readers: int) -> None:
    phases = ("idle", "run, other stages", "publishing")
    print(f"\nreads: {readers} reader processes, each: connect read-only, the dashboard's queries, close")
    print("  " + "query".ljust(24) + "".join(f"{p} p50 / p95 (n)".rjust(34) for p in phases))
    by = defaultdict(list)
    for started, name, seconds in reads.samples:
        by[(name, reads.phase(started))].append(seconds * 1000)
    worst = 0.0
    from paperpulse.dashboard import QUERIES

    for name in ["connect", "boards", *QUERIES]:
        cells = []
        for phase in phases:
            values = by.get((name, phase))
            if not values:
                cells.append("-".rjust(34))
                continue
            p50, p95 = _percentile(values, 0.5), _percentile(values, 0.95)
            if phase == "publishing":
                worst = max(worst, p95)
            cells.append(f"{p50:.1f} / {p95:.1f} ms ({len(values)})".rjust(34))
        print("  " + name.ljust(24) + "".join(cells))
    publishing = reads.publish_window[1] - reads.publish_window[0]
    print(
        f"  => worst p95 while publishing: {worst:.1f} ms (target < {TARGETS['read_p95_ms']} ms); "
        f"publish took {publishing:.1f} s; reader errors: {len(reads.errors)}"
        + (f" (first: {reads.errors[0].splitlines()[0]})" if reads.errors else "")
    )


# -- the command ---------------------------------------------------------------------------------------


def warehouse_papers(settings) -> int:
    import duckdb

    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        return con.execute("select count(*) from raw.papers").fetchone()[0]


def listings_bench(args: argparse.Namespace) -> int:
    """The backfill and the daily increment on real listing files (see the module's docstring)."""
    from paperpulse import pipeline
    from paperpulse.ingest.sources import listings
    from paperpulse.settings import Settings

    folder = args.listings.resolve()
    if not folder.is_dir():
        print(f"paperpulse bench --listings: skipped, no listings folder at {folder}")
        return 0
    root = args.home or Path(tempfile.mkdtemp(prefix="paperpulse-bench-listings-"))
    big = Settings.from_env(home=root / "big", listings_dir=folder)
    empty = Settings.from_env(home=root / "empty", listings_dir=folder)
    days = listings.listed_days(big)
    first, until, (before_last, last) = days[0], days[-3], days[-2:]
    print(f"paperpulse bench --listings {folder} in {root}")
    print(f"machine: {machine_load()}")
    print(
        f"extraction: {big.extract_workers} worker processes, batches of {big.extract_batch_size:,} papers; "
        f"{len(days)} listing days {first}..{last}"
    )
    try:
        with Meter(progress=sys.stdout) as meter:
            summary = pipeline.backfill(big, listings.NAME, first, before_last - timedelta(days=1))
        filled = Figures.of("backfill", meter)
        loaded = sum(report.load.loaded + report.load.quarantined for report in summary.ingests)
        warehouse = summary.totals["papers"]
        print(
            f"\nbackfill: {loaded:,} listings ({warehouse:,} papers) of {days.index(until) + 1} listing "
            f"days, {first}..{until}, empty warehouse to published marts"
        )
        print("\n".join(stage_table([filled])))
        print(
            f"  => {filled.seconds / 60:.1f} min, peak {filled.peak / GIB:.2f} GiB, "
            f"{loaded / filled.seconds:,.0f} listings/s"
        )
        after = daily_run(big, before_last, f"big: {before_last}", listings.NAME)
        into_big = daily_run(big, last, f"big: {last}", listings.NAME)
        into_empty = daily_run(empty, last, f"empty: {last}", listings.NAME)
        papers = warehouse_papers(empty)
        print(
            f"\ndaily increment: the last two listing days as daily runs into the {warehouse:,}-paper "
            f"warehouse (the first after the backfill copies the serving file), beside {last} "
            f"({papers:,} papers) into an empty warehouse"
        )
        print("\n".join(stage_table([after, into_big, into_empty])))
        print(
            f"  => {into_big.seconds:.1f} s, {into_big.seconds / into_empty.seconds:.2f}x the "
            f"empty-warehouse run (target < 2x); the first day after the backfill {after.seconds:.1f} s, "
            f"{after.seconds / into_empty.seconds:.2f}x"
        )
        print(f"\nmachine after: {machine_load()}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


def run_bench(args: argparse.Namespace) -> int:
    if args.listings:
        return listings_bench(args)
    if args.papers % args.per_day:
        raise ValueError(f"--papers {args.papers} is not a whole number of days of {args.per_day}")
    root = args.home or Path(tempfile.mkdtemp(prefix="paperpulse-bench-"))
    big = bench_settings(root / "big", args.per_day)
    empty = bench_settings(root / "empty", args.per_day)
    days = days_from(FIRST_DAY, args.papers // args.per_day)
    first_day, increment_day, reads_day = (days[-1] + timedelta(days=n) for n in (1, 2, 3))
    print(f"paperpulse bench in {root}")
    print(f"machine: {machine_load()}")
    print(
        f"extraction: {big.extract_workers} worker processes, batches of {big.extract_batch_size:,} papers; "
        f"synthetic source, seed {big.synthetic_seed}, {args.per_day:,} papers a day from {FIRST_DAY}"
    )
    try:
        filled = backfill(big, days)
        print_backfill(filled, args.papers, len(days))
        papers_before = warehouse_papers(big)
        first = daily_run(big, first_day, "big: first day")
        into_big = daily_run(big, increment_day, "big: next day")
        into_empty = daily_run(empty, first_day, "into an empty warehouse")
        rebuild = full_rebuild(big)
        print_daily(first, into_big, into_empty, rebuild, args.per_day, papers_before)
        reads, _ = reads_during_run(big, reads_day, args.readers, args.reads_idle)
        print_reads(reads, args.readers)
        print(f"\nmachine after: {machine_load()}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0
