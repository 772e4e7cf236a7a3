"""The stages of a run: `ingest`, then those of `paperpulse.stages.AFTER_INGEST`, which the command line
runs in turn and the Airflow DAGs turn into tasks (dags/paperpulse_daily.py), so the chain is spelled once:

ingest -> plan_extraction -> extract_batch (one per batch) -> load_extractions -> build_marts
       -> check_marts -> publish                  (then the digest: `paperpulse run`, or the digest DAG)
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from expectations import marts
from expectations.gate import GateReport, run_checkpoint
from paperpulse import digest as digests
from paperpulse import extraction
from paperpulse.errors import GateFailed, SourceFailed
from paperpulse.hooks import stage
from paperpulse.ingest import landing, raw, sources
from paperpulse.ingest.records import MAX_ABSTRACT_CHARS, MIN_ABSTRACT_CHARS
from paperpulse.ingest.sources import Payload, Rejected, Source
from paperpulse.ingest.sources import inbox as inbox_files
from paperpulse.progress import progress
from paperpulse.settings import Settings
from paperpulse.stages import AFTER_INGEST, Stage, call
from paperpulse.warehouse import publish as publisher
from paperpulse.warehouse.build import CHANGED_PAPERS, build, build_state
from paperpulse.warehouse.connection import connect_build

log = logging.getLogger(__name__)
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
    settled: list[Path] = field(
        default_factory=list
    )  # files moved out of the inbox, to processed/ or rejected/
    warnings: list[str] = field(default_factory=list)  # shown in the run summary, and logged


# ---- ingestion ----------------------------------------------------------------------------------------


def covered_day(settings: Settings, source: str, interval_end: date) -> date:
    """The day a scheduled run covers: the one that settled as its data interval ended (for HF the
    interval's own day, for arXiv three days before it), or the one day a fixed-day source lists."""
    found = sources.get(source)
    if found.fixed_day:
        return found.default_day(settings)
    return interval_end - timedelta(days=found.settle_days)


def land(settings: Settings, source: str, day: date, refresh: bool = True) -> tuple[list[Path], bool]:
    """Land the source's day unless it already landed (returns its files and whether this call fetched).
    With refresh, the days the source asks again (HF: `hf_refresh_days` before `day`, whose upvotes grow)
    are landed again once per run day, when they landed before: a run repeated does not ask again."""
    found = sources.get(source)
    landing.check_day(found, day, settings)  # every run passes here: the DAG's land task, ingest, backfill
    if not found.by_day:
        return [], False  # its files land one by one as they are taken (ingest_files)
    files, fetched = landing.land(settings, source, day)
    if refresh:
        for age in found.refetch_ages(settings):
            listed = day - timedelta(days=age)
            if landing.is_landed(settings, source, listed):
                landing.land(settings, source, listed, landing.refetch_dir(settings, source, listed, day))
    return files, fetched


def _parse_folder(
    found: Source, folder: Path, day: date, settings: Settings, prefix: str = ""
) -> list[tuple]:
    """(landed file name, parsed item) for every payload landed in `folder`."""
    return [
        (prefix + path.name, item)
        for path in landing.landed_files(folder)
        for item in found.parse(landing.read_payload(path), day, settings)
    ]


def _check_and_load(settings: Settings, batch: raw.Batch, con: duckdb.DuckDBPyConnection | None):
    gate = gate_raw_batch(settings, f"raw batch {batch.source} {batch.day}", batch.papers)
    with connect_build(settings) if con is None else contextlib.nullcontext(con) as loading:
        return gate, raw.load_batch(loading, batch)


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

    Upvotes of the day's listings, and of the days this run asked again, become snapshots. A refetch
    adds only snapshots (and quarantines what of it cannot be read): a day's papers are its first landing."""
    found = sources.get(source)
    if not found.by_day:
        land(settings, source, day, refresh)  # refuses a day no run may cover
        return ingest_files(settings, found, day)
    batch, files, fetched = prepare_day(settings, found, day, refresh)
    gate, stats = _check_and_load(settings, batch, con)
    return IngestReport(source, day, fetched, files, stats, gate)


def prepare_day(
    settings: Settings, found: Source, day: date, refresh: bool
) -> tuple[raw.Batch, list[Path], bool]:
    """Land the day (fetching only if it never landed) and parse it into a batch for raw loading; with the
    day's files and whether this call fetched them."""
    files, fetched = land(settings, found.name, day, refresh)
    folder = landing.interval_dir(settings, found.name, day)
    parsed = _parse_folder(found, folder, day, settings)
    observed = [(landing.landed_at(folder), f"{folder.name}/{name}", item) for name, item in parsed]
    for refetch in landing.refetches_by(settings, found.name, day):
        listed = date.fromisoformat(refetch.parent.name)
        again = _parse_folder(found, refetch, listed, settings, f"{refetch.parent.name}/{refetch.name}/")
        parsed += [(name, item) for name, item in again if isinstance(item, Rejected)]
        observed += [(landing.landed_at(refetch), name, item) for name, item in again]
    batch = raw.prepare_batch(found.name, day.isoformat(), parsed)
    if found.counts_upvotes:
        batch.snapshots = raw.upvote_snapshots(observed)
    # a pruned day's files count too: its watermark stays as loaded
    batch.landed_at = landing.landed_at(folder)
    batch.landed_files = len(files) + len(landing.pruned_files(folder))
    return batch, files, fetched


def ingest_files(settings: Settings, found: Source, day: date) -> IngestReport:
    """A source not organised by day (the inbox): land each file ready now by itself, load them as one
    micro-batch, and only then move each to processed/ or rejected/. A crash before the move leaves the
    file in the inbox: the next micro-batch loads it again, a harmless upsert. A file that cannot be
    read as itself (a link, not a regular file, unreadable) is rejected alone; the others load."""
    taken = []
    for path in inbox_files.ready_files(settings):
        try:
            body = inbox_files.read(path).body
        except FileNotFoundError:
            continue  # taken by another run meanwhile
        except inbox_files.CannotLand as error:
            log.warning("inbox: %s: %s; rejected", path.name, error)
            taken.append((path, None, [Rejected(f"{path.name}: {error}", "")]))
            continue
        landed = landing.land_inbox_file(settings, path.name, body, day)
        taken.append((path, landed, list(found.parse(Payload(path.name, body), day, settings))))
    warnings = []
    overdue = inbox_files.overdue_files(settings)
    if overdue:
        warnings.append(
            f"{len(overdue)} inbox file(s) named as unfinished for over {_duration(settings.inbox_grace)} "
            f"(rename each to its final *.jsonl name once written): {', '.join(overdue)}"
        )
    for warning in warnings:
        log.warning(warning)
    batch = raw.prepare_batch(
        found.name,
        day.isoformat(),
        # what cannot land is quarantined under the name it had in the inbox
        (((landed or path).name, item) for path, landed, items in taken for item in items),
    )
    if taken:
        batch.landed_at = datetime.now(UTC).replace(tzinfo=None)
        batch.landed_files = len(landing.landed_files(landing.interval_dir(settings, found.name, day)))
    gate, stats = _check_and_load(settings, batch, None)
    settled = []
    for path, _, items in taken:
        with contextlib.suppress(FileNotFoundError):  # settled by another run meanwhile
            settled.append(inbox_files.settle(path, items, settings))
    landed = [landed for _, landed, _ in taken if landed]
    return IngestReport(found.name, day, bool(taken), landed, stats, gate, settled, warnings)


def _duration(seconds: float) -> str:
    """3600 -> "1 h", 90 -> "1.5 min", 20 -> "20 s"."""
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


# ---- the stages after ingestion -----------------------------------------------------------------------


@stage("extract-plan")
def plan_extraction(settings: Settings, run_id: str = "", _ingested: Any = None) -> list[str]:
    """Write the papers that need extracting (new, changed, or extracted by another extractor version) as
    input batches; returns their files (none when nothing needs extracting)."""
    with connect_build(settings) as con:
        plan = extraction.plan(con, settings)
    log.info("extraction plan: %d papers in %d batches", plan.papers, len(plan.batches))
    return [str(path) for path in plan.batches]


def extract_batch(settings: Settings, run_id: str, batch_file: str) -> dict:
    """One input batch to Parquet (never the build file, so batches run side by side)."""
    return vars(extraction.run_batch(Path(batch_file), gx_dir=settings.gx_dir))


@stage("extract-load")
def load_extractions(settings: Settings, run_id: str, batch_files: list[str]) -> dict:
    """Swap every batch's mentions and results into the build file, in one transaction."""
    if not batch_files:
        return vars(extraction.LoadReport(papers=0, mentions=0, results=0))
    with connect_build(settings) as con:
        return vars(extraction.load(con, Path(batch_files[0]).parent))


def build_marts(settings: Settings, run_id: str, _loaded: Any = None) -> dict:
    return build(settings, skip_unchanged=True).as_dict()


@stage("check")
def check_marts(settings: Settings, run_id: str = "", _built: Any = None) -> dict:
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
    return vars(report)


def publish(settings: Settings, run_id: str, _checked: Any = None) -> dict:
    return publisher.publish(settings, run_id).as_dict()


def _in_process(function: str, settings: Settings, run_id: str, item: Any) -> Any:
    return call(function, settings, run_id, item)


@stage("extract-batches")
def run_mapped(step: Stage, settings: Settings, run_id: str, items: list) -> list:
    """A mapped stage over `items`: in this process, or in `settings.extract_workers` processes (spawned,
    not forked: the parent may hold DuckDB and other threads a fork would copy mid-flight). A failed item
    raises here after the items already done are kept."""
    if settings.extract_workers <= 1 or len(items) <= 1:
        return [step.run(settings, run_id, item) for item in progress(items, step.name, unit="batch")]
    with ProcessPoolExecutor(
        max_workers=min(settings.extract_workers, len(items)), mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        done = pool.map(
            _in_process, [step.function] * len(items), [settings] * len(items), [run_id] * len(items), items
        )
        return list(progress(done, step.name, total=len(items), unit="batch"))


def run_stages(settings: Settings, run_id: str, upstream: Any = None) -> dict[str, Any]:
    """The stages after ingestion, in turn; returns what each returned."""
    outputs: dict[str, Any] = {}
    for step in AFTER_INGEST:
        if step.mapped:
            outputs[step.name] = run_mapped(step, settings, run_id, upstream)  # the next gets the same items
        else:
            upstream = outputs[step.name] = step.run(settings, run_id, upstream)
    return outputs


def extract(settings: Settings, run_id: str = "") -> dict:
    """Plan, extract the batches and load them, as a run does (`paperpulse extract-papers`): how many
    batches, and what the load changed (papers, mentions, results)."""
    stages = {step.name: step for step in AFTER_INGEST}
    batch_files = plan_extraction(settings, run_id)
    run_mapped(stages["extract_batch"], settings, run_id, batch_files)
    return {"batches": len(batch_files), **load_extractions(settings, run_id, batch_files)}


# ---- whole runs ---------------------------------------------------------------------------------------


@dataclass
class RunSummary:
    run_id: str
    command: str  # run or backfill
    ingests: list[IngestReport]
    stages: dict[str, Any]  # what each stage after ingestion returned
    totals: dict[str, int] = field(default_factory=dict)
    digest: digests.DigestReport | None = None

    def _sum(self, stat: str) -> int:
        return sum(getattr(i.load, stat) for i in self.ingests)

    @property
    def batches(self) -> int:
        return len(self.stages["plan_extraction"])

    @property
    def changed_anything(self) -> bool:
        loaded = sum(self._sum(stat) for stat in ("new", "changed", "relinked", "snapshots"))
        return loaded + self.stages["load_extractions"]["papers"] > 0 or self.stages["publish"]["published"]

    @property
    def gates(self) -> list[str]:
        raw_gates = (
            self.ingests[0].gate.gate if len(self.ingests) == 1 else f"{len(self.ingests)} raw batches"
        )
        extraction_gate = [f"extraction of {self.batches} batches"] if self.batches else []
        return [raw_gates, *extraction_gate, self.stages["check_marts"]["gate"]]

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
        published, built = self.stages["publish"], self.stages["build_marts"]
        marts = ", ".join(f"{name} {rows}" for name, rows in published["row_counts"].items())
        relinked, superseded = self._sum("relinked"), self._sum("superseded")
        lines = [
            f"paperpulse {self.command} {self.run_id}: {self._interval()}",
            f"  papers:    {self._sum('loaded')} loaded ({self._sum('new')} new, {self._sum('changed')} "
            f"changed, {self._sum('unchanged')} unchanged), {self._sum('quarantined')} quarantined"
            + (f" ({superseded} replaced by a later record of the same paper)" if superseded else "")
            + f"; {self.totals.get('papers', 0)} in the warehouse"
            + (f"; {relinked} merged by title into a paper with an arXiv id" if relinked else ""),
        ]
        if any(sources.get(i.source).counts_upvotes for i in self.ingests):
            lines.append(
                f"  upvotes:   {self._sum('snapshots')} snapshots added; "
                f"{self.totals.get('hf_upvote_snapshots', 0)} in the warehouse"
            )
        if any(not sources.get(i.source).by_day for i in self.ingests):
            settled = [path for i in self.ingests for path in i.settled]
            rejected = sum(path.parent.name == "rejected" for path in settled)
            lines.append(
                f"  inbox:     {len(settled)} files: {len(settled) - rejected} processed, {rejected} rejected"
            )
        lines += [f"  warning:   {warning}" for i in self.ingests for warning in i.warnings]
        lines += [
            f"  extracted: {self.stages['load_extractions']['papers']} papers -> "
            f"{self.totals.get('mentions', 0)} mentions, {self.totals.get('results', 0)} results "
            "in the warehouse",
            f"  dbt:       {built['describe']}",
            f"  gates:     {len(self.gates)} passed ({', '.join(self.gates)})",
            f"  marts:     {marts}",
            f"  published: {published['serving_db']} and {published['parquet_dir']}/<mart>.parquet"
            + ("" if published["published"] else " (unchanged, left as they were)"),
        ]
        if self.digest:
            emailed = f", emailed to {', '.join(self.digest.emailed_to)}" if self.digest.emailed_to else ""
            lines.append(f"  digest:    {self.digest.markdown_path} and .html{emailed}")
        if not self.changed_anything:
            what = "this interval was" if len(self.ingests) == 1 else "these intervals were"
            lines.append(f"  nothing changed: {what} already loaded, extracted and published")
        return "\n".join(lines)


def warehouse_totals(settings: Settings) -> dict[str, int]:
    with connect_build(settings, read_only=True) as con:
        return {
            table: con.execute(f"select count(*) from raw.{table}").fetchone()[0]
            for table in ("papers", "mentions", "results", "quarantine", "hf_upvote_snapshots")
        }


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def finish(settings: Settings, run_id: str, command: str, ingests: list[IngestReport]) -> RunSummary:
    """Everything after ingestion, once: the stages, then the digest of the published marts."""
    summary = RunSummary(run_id, command, ingests, run_stages(settings, run_id))
    summary.totals = warehouse_totals(settings)
    summary.digest = digests.deliver(settings)
    return summary


def run(settings: Settings, source: str = "trending_page", day: date | None = None) -> RunSummary:
    """One full run over one interval; a failed stage raises and leaves the published marts alone."""
    run_id = new_run_id()
    day = day or sources.get(source).default_day(settings)
    return finish(settings, run_id, "run", [ingest(settings, source, day)])


# A backfill gates this many days' papers at once (the raw gate costs about the same for one day or a
# month), then loads them day by day: a day is still the unit of progress.
BACKFILL_GATE_DAYS = 30


@stage("ingest")
def _ingest_days(
    settings: Settings, found: Source, days: list[date], con: duckdb.DuckDBPyConnection, into: list
) -> None:
    """Land and parse each day, gate their papers together, then load each day in its own transaction,
    appending its report to `into`. A day that cannot be fetched stops it after the days before it load."""
    prepared, failure = [], None
    for day in days:
        try:
            prepared.append((day, *prepare_day(settings, found, day, refresh=False)))
        except SourceFailed as error:
            failure = (day, error)
            break
    if prepared:
        papers = pd.concat([batch.papers for _, batch, _, _ in prepared], ignore_index=True)
        # one day's papers are unique by key; several days may list a paper again: the gate sees each once
        papers = papers.drop_duplicates("paper_id", keep="last")
        first, last = prepared[0][0], prepared[-1][0]
        gate = gate_raw_batch(
            settings, f"raw batch {found.name} {first}" + (f"..{last}" if last != first else ""), papers
        )
        for day, batch, files, fetched in prepared:
            into.append(IngestReport(found.name, day, fetched, files, raw.load_batch(con, batch), gate))
    if failure:
        day, error = failure
        error.day = day  # where the backfill stopped
        raise error


def backfill(
    settings: Settings, source: str, since: date | None = None, until: date | None = None
) -> RunSummary:
    """Ingest each day from `since` (default: the first day of a source holding a stretch of history, the
    listings) to `until` (default: the latest settled day) in turn, then run the stages after ingestion once.

    A day is the unit of progress: once landed and loaded it stays, so an interrupted backfill run
    again fetches only the days that never landed. The stages after ingestion cost the same for one
    day or a hundred and read whatever raw holds, so they run once, at the end."""
    found = sources.get(source)
    if found.fixed_day or not found.by_day:
        raise ValueError(
            f"{source} is not listed by day; backfill a daily source (listings, hf_daily, arxiv)"
        )
    if since is None:
        if found.first_day is None:
            raise ValueError(f"{source} has no first day: give --since")
        since = found.first_day(settings)
    until = until or found.default_day(settings)
    if since > until:
        raise ValueError(f"--since {since} is after --until {until}")
    for day in (since, until):
        landing.check_day(found, day, settings)
    days = [since + timedelta(days=n) for n in range((until - since).days + 1)]
    run_id = new_run_id()
    ingests: list[IngestReport] = []
    # One connection for all days: each day still commits on its own, but the build file checkpoints
    # once, not after every day (a checkpoint rewrites the tables' key indexes whole: a backfill of
    # a thousand days into a growing warehouse spent most of its time there).
    with connect_build(settings, bulk=True) as con:
        chunk: list[date] = []
        for day in progress(days, f"backfill {source}", unit="day"):
            chunk.append(day)
            if len(chunk) < BACKFILL_GATE_DAYS and day != days[-1]:
                continue
            try:
                _ingest_days(settings, found, chunk, con, ingests)
            except SourceFailed as error:
                raise SourceFailed(
                    f"backfill stopped at {error.day}, {len(ingests)} of {len(days)} days loaded and nothing "
                    f"published; run the same command again to resume (landed days are not fetched again): "
                    f"{error}"
                ) from error
            chunk = []
    return finish(settings, run_id, "backfill", ingests)
