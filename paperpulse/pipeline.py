"""The stages of one run, each a function the CLI and the Airflow DAG both call:

ingest -> extract (plan, batches, load) -> build -> check_marts -> publish
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
from tqdm import tqdm

from expectations import marts
from expectations.gate import GateReport, run_checkpoint
from paperpulse import digest as digests
from paperpulse import extraction as batches
from paperpulse.errors import GateFailed, SourceFailed
from paperpulse.hooks import stage
from paperpulse.ingest import landing, raw, sources
from paperpulse.ingest.records import MAX_ABSTRACT_CHARS, MIN_ABSTRACT_CHARS
from paperpulse.ingest.sources import Payload, Rejected, hf_daily, inbox
from paperpulse.settings import Settings
from paperpulse.warehouse import publish as publisher
from paperpulse.warehouse.build import CHANGED_PAPERS, BuildReport, build, build_state
from paperpulse.warehouse.connection import connect_build

# the raw suite's $PARAMETERs: the abstract bounds raw loading enforces (paperpulse/ingest/records.py)
ABSTRACT_BOUNDS = {"min_abstract_chars": MIN_ABSTRACT_CHARS, "max_abstract_chars": MAX_ABSTRACT_CHARS}


def keyed(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """`frame` indexed by `column`, so that a failed expectation names the rows it found."""
    return frame.set_axis(pd.Index(frame[column].astype(str), name=column), axis=0)


def gate_raw_batch(settings: Settings, label: str, papers: pd.DataFrame) -> GateReport:
    """The raw_batch checkpoint on one interval's papers, before they are loaded."""
    frames = {"raw_batch": keyed(papers, "paper_id")}
    return run_checkpoint("raw_batch", frames, settings.gx_dir, label, ABSTRACT_BOUNDS)


@dataclass
class IngestReport:
    source: str
    day: date
    fetched: bool
    landed_files: list[Path]
    load: raw.LoadStats
    gate: GateReport
    settled: list[Path] = field(default_factory=list)  # inbox files moved to processed/ or rejected/


@dataclass
class ExtractReport:
    planned: int
    batches: int
    load: batches.LoadReport | None = None


@dataclass
class RunSummary:
    run_id: str
    command: str  # run or backfill
    ingests: list[IngestReport]
    extract: ExtractReport
    build: BuildReport
    gates: list[str] = field(default_factory=list)  # the gates this run passed
    publish: publisher.PublishReport | None = None
    totals: dict[str, int] = field(default_factory=dict)
    digest: digests.DigestReport | None = None

    def _sum(self, stat: str) -> int:
        return sum(getattr(i.load, stat) for i in self.ingests)

    @property
    def changed_anything(self) -> bool:
        loaded = sum(self._sum(stat) for stat in ("new", "changed", "relinked", "snapshots"))
        return loaded + self.extract.planned > 0 or bool(self.publish and self.publish.published)

    def _interval(self) -> str:
        first, last = self.ingests[0], self.ingests[-1]
        if len(self.ingests) == 1:
            return f"{first.source} {first.day}"
        fetched = sum(i.fetched for i in self.ingests)
        return (
            f"{first.source} {first.day}..{last.day} ({len(self.ingests)} days: {fetched} fetched, "
            f"{len(self.ingests) - fetched} already landed)"
        )

    def render(self) -> str:
        publish = self.publish
        marts = ", ".join(f"{name} {rows}" for name, rows in publish.row_counts.items())
        relinked = self._sum("relinked")
        lines = [
            f"paperpulse {self.command} {self.run_id}: {self._interval()}",
            f"  papers:    {self._sum('loaded')} loaded ({self._sum('new')} new, {self._sum('changed')} "
            f"changed, {self._sum('unchanged')} unchanged), {self._sum('quarantined')} quarantined; "
            f"{self.totals.get('papers', 0)} in the warehouse"
            + (f"; {relinked} merged by title into a paper with an arXiv id" if relinked else ""),
        ]
        if any(i.source == "hf_daily" for i in self.ingests):
            lines.append(
                f"  upvotes:   {self._sum('snapshots')} snapshots added; "
                f"{self.totals.get('hf_upvote_snapshots', 0)} in the warehouse"
            )
        settled = [path for i in self.ingests for path in i.settled]
        if any(i.source == "inbox" for i in self.ingests):
            rejected = sum(path.parent.name == "rejected" for path in settled)
            lines.append(
                f"  inbox:     {len(settled)} files: {len(settled) - rejected} processed, {rejected} rejected"
            )
        lines += [
            f"  extracted: {self.extract.planned} papers -> {self.totals.get('mentions', 0)} mentions, "
            f"{self.totals.get('results', 0)} results in the warehouse",
            f"  dbt:       {self.build.models_built} models built, {self.build.tests_passed} tests passed",
            f"  gates:     {len(self.gates)} passed ({', '.join(self.gates)})",
            f"  marts:     {marts}",
            f"  published: {publish.serving_db} and {publish.parquet_dir}/<mart>.parquet"
            + ("" if publish.published else " (unchanged, left as they were)"),
        ]
        if self.digest:
            emailed = f", emailed to {', '.join(self.digest.emailed_to)}" if self.digest.emailed_to else ""
            lines.append(f"  digest:    {self.digest.markdown_path} and .html{emailed}")
        if not self.changed_anything:
            what = "interval was" if len(self.ingests) == 1 else "intervals were"
            lines.append(f"  nothing changed: this {what} already loaded, extracted and published")
        return "\n".join(lines)


def covered_day(settings: Settings, source: str, interval_end: date) -> date:
    """The day a scheduled run covers: the one that settled as its data interval ended (for HF the
    interval's own day, for arXiv three days before it), or the one day a fixed-day source lists."""
    module = sources.get(source)
    if getattr(module, "FIXED_DAY", False):
        return module.default_day(settings)
    return interval_end - timedelta(days=module.SETTLE_DAYS)


def land(settings: Settings, source: str, day: date, refresh: bool = True) -> tuple[list[Path], bool]:
    """Land the source's day unless it already landed (returns its files and whether this call fetched).
    With refresh, HF is also asked again for the days `hf_refresh_days` before `day` that already
    landed (their upvotes grow), once per run day: a run repeated does not ask again."""
    if source == inbox.NAME:
        return [], False  # the inbox lands each file by itself as it ingests it
    files, fetched = landing.land(settings, source, day)
    if refresh and source == hf_daily.NAME:
        for age in settings.hf_refresh_days:
            listed = day - timedelta(days=age)
            if landing.is_landed(settings, source, listed):
                landing.land(settings, source, listed, landing.refetch_dir(settings, source, listed, day))
    return files, fetched


def _parse_folder(module, folder: Path, day: date, settings: Settings, prefix: str = "") -> list[tuple]:
    """(landed file name, parsed item) for every payload landed in `folder`."""
    return [
        (prefix + path.name, item)
        for path in landing.landed_files(folder)
        for item in module.parse(landing.read_payload(path), day, settings)
    ]


@stage("ingest")
def ingest(
    settings: Settings,
    source: str,
    day: date,
    refresh: bool = True,
    con: duckdb.DuckDBPyConnection | None = None,
) -> IngestReport:
    """Land the source's interval (fetching only if it never landed), parse, check, upsert (over `con`
    when given: a backfill's one connection).

    For HF the day's upvotes, and those of the days this run asked again, become snapshots. A refetch
    adds only snapshots (and quarantines what of it cannot be read): a day's papers are its first landing."""
    if source == inbox.NAME:
        return ingest_inbox(settings, day)
    module = sources.get(source)
    files, fetched = land(settings, source, day, refresh)
    folder = landing.interval_dir(settings, source, day)
    parsed = _parse_folder(module, folder, day, settings)
    observed = [(landing.landed_at(folder), f"{folder.name}/{name}", item) for name, item in parsed]
    for refetch in landing.refetches_by(settings, source, day):
        listed = date.fromisoformat(refetch.parent.name)
        again = _parse_folder(module, refetch, listed, settings, f"{refetch.parent.name}/{refetch.name}/")
        parsed += [(name, item) for name, item in again if isinstance(item, Rejected)]
        observed += [(landing.landed_at(refetch), name, item) for name, item in again]
    batch = raw.prepare_batch(source, day.isoformat(), parsed)
    if source == hf_daily.NAME:
        batch.snapshots = raw.upvote_snapshots(observed)
    batch.landed_at, batch.landed_files = landing.landed_at(folder), len(files)
    gate = gate_raw_batch(settings, f"raw batch {source} {day}", batch.papers)
    with connect_build(settings) if con is None else contextlib.nullcontext(con) as loading:
        stats = raw.load_batch(loading, batch)
    return IngestReport(source, day, fetched, files, stats, gate)


def ingest_inbox(settings: Settings, day: date) -> IngestReport:
    """Land each file ready in the inbox by itself, load them as one micro-batch, and only then move
    each to processed/ or rejected/. A crash before the move leaves the file in the inbox: the next
    micro-batch loads it again, a harmless upsert."""
    taken = []
    for path in inbox.ready_files(settings):
        try:
            landed = landing.land_inbox_file(settings, path, day)
        except FileNotFoundError:
            continue  # taken by another run meanwhile
        items = list(inbox.parse(Payload(path.name, landed.read_bytes()), day, settings))
        taken.append((path, landed, items))
    batch = raw.prepare_batch(
        inbox.NAME, day.isoformat(), ((landed.name, item) for _, landed, items in taken for item in items)
    )
    if taken:
        batch.landed_at = datetime.now(UTC).replace(tzinfo=None)
        batch.landed_files = len(landing.landed_files(landing.interval_dir(settings, inbox.NAME, day)))
    gate = gate_raw_batch(settings, f"raw batch {inbox.NAME} {day}", batch.papers)
    with connect_build(settings) as con:
        stats = raw.load_batch(con, batch)
    settled = []
    for path, _, items in taken:
        with contextlib.suppress(FileNotFoundError):  # settled by another run meanwhile
            settled.append(inbox.settle(path, items, settings))
    landed = [landed for _, landed, _ in taken]
    return IngestReport(inbox.NAME, day, bool(taken), landed, stats, gate, settled)


@stage("extract-plan")
def plan_extraction(settings: Settings) -> batches.Plan:
    with connect_build(settings) as con:
        return batches.plan(con, settings)


@stage("extract-batches")
def extract_batches(
    plan: batches.Plan, workers: int = 1, gx_dir: Path | None = None
) -> list[batches.BatchReport]:
    """Run the plan's batches, in `workers` processes (settings.extract_workers in a run); their gate's
    results go under `gx_dir` (default: the environment's home)."""

    def progress(items):
        return tqdm(
            items, total=len(plan.batches), desc="extracting", unit="batch", disable=not sys.stderr.isatty()
        )

    return batches.run_batches(plan.batches, workers, progress, gx_dir)


@stage("extract-load")
def load_extractions(settings: Settings, plan: batches.Plan) -> batches.LoadReport | None:
    if not plan.batches:
        return None
    with connect_build(settings) as con:
        return batches.load(con, plan.folder)


def extract(settings: Settings) -> ExtractReport:
    plan = plan_extraction(settings)
    extract_batches(plan, settings.extract_workers, settings.gx_dir)
    return ExtractReport(plan.papers, len(plan.batches), load_extractions(settings, plan))


@stage("check")
def check_marts(settings: Settings) -> GateReport:
    """The marts checkpoint, on mart rows read through read-only connections (expectations/marts.py: the
    changed papers' rows after an incremental build, and any row anywhere that fails a value check).

    A pass is recorded with the fingerprint of exactly the marts it checked (publish's, derived from the
    changed papers after incremental builds); publish refuses marts whose fingerprint has no pass."""
    published = publisher.read_published(settings)
    with publisher.attached(settings, published) as con:
        con.execute("use build")
        changed_only = build_state(con).get("tested") == CHANGED_PAPERS
        fingerprint = publisher.fingerprint_of(publisher.built_hashes(con, published))
        frames = marts.read_frames(con, changed_only, ABSTRACT_BOUNDS)
    try:
        report = run_checkpoint("marts", frames, settings.gx_dir, "marts", ABSTRACT_BOUNDS)
    except GateFailed:
        publisher.forget_gate_pass(settings)
        raise
    publisher.record_gate_pass(settings, fingerprint)
    return report


def warehouse_totals(settings: Settings) -> dict[str, int]:
    with connect_build(settings, read_only=True) as con:
        return {
            table: con.execute(f"select count(*) from raw.{table}").fetchone()[0]
            for table in ("papers", "mentions", "results", "quarantine", "hf_upvote_snapshots")
        }


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def finish(settings: Settings, run_id: str, command: str, ingests: list[IngestReport]) -> RunSummary:
    """Everything after ingestion, once: extract what is new, build, gate and publish the marts."""
    extracted = extract(settings)
    built = build(settings)
    marts_gate = check_marts(settings)
    published = publisher.publish(settings, run_id)
    gates = [
        ingests[0].gate.gate if len(ingests) == 1 else f"{len(ingests)} raw batches",
        *([f"extraction of {extracted.batches} batches"] if extracted.batches else []),
        marts_gate.gate,
    ]
    summary = RunSummary(run_id, command, ingests, extracted, built, gates, published)
    summary.totals = warehouse_totals(settings)
    summary.digest = digests.deliver(settings)
    return summary


def run(settings: Settings, source: str = "trending_page", day: date | None = None) -> RunSummary:
    """One full run over one interval; a failed stage raises and leaves the published marts alone."""
    run_id = new_run_id()
    day = day or sources.get(source).default_day(settings)
    return finish(settings, run_id, "run", [ingest(settings, source, day)])


def backfill(settings: Settings, source: str, since: date, until: date | None = None) -> RunSummary:
    """Ingest each day from `since` to `until` (default: the latest settled day) in turn, then extract,
    build, gate and publish once.

    A day is the unit of progress: once landed and loaded it stays, so an interrupted backfill run
    again fetches only the days that never landed. The stages after ingestion cost the same for one
    day or a hundred and read whatever raw holds, so they run once, at the end."""
    module = sources.get(source)
    if getattr(module, "FIXED_DAY", False) or source == inbox.NAME:
        raise ValueError(f"{source} is not listed by day; backfill a daily source (hf_daily, arxiv)")
    until = until or module.default_day(settings)
    if since > until:
        raise ValueError(f"--since {since} is after --until {until}")
    landing.check_settled(module, until, settings)
    days = [since + timedelta(days=n) for n in range((until - since).days + 1)]
    run_id = new_run_id()
    ingests: list[IngestReport] = []
    progress = tqdm(days, desc=f"backfill {source}", unit="day", disable=not sys.stderr.isatty())
    # One connection for all days: each day still commits on its own, but the build file checkpoints
    # once, not after every day (a checkpoint rewrites the tables' key indexes whole: a backfill of
    # a thousand days into a growing warehouse spent most of its time there).
    with connect_build(settings, bulk=True) as con:
        for day in progress:
            progress.set_postfix_str(day.isoformat())
            try:
                ingests.append(ingest(settings, source, day, refresh=False, con=con))
            except SourceFailed as error:
                raise SourceFailed(
                    f"backfill stopped at {day}, {len(ingests)} of {len(days)} days loaded and nothing "
                    f"published; run the same command again to resume (landed days are not fetched again): "
                    f"{error}"
                ) from error
    return finish(settings, run_id, "backfill", ingests)
