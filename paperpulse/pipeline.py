"""The stages of one run, each a function the CLI and the Airflow DAG both call:

ingest -> extract (plan, batches, load) -> build -> check_marts -> publish
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from expectations import suites
from expectations.gate import GateReport, check
from extract import batches, landing, raw, sources
from paperpulse import digest as digests
from paperpulse import publish as publisher
from paperpulse.config import Settings
from paperpulse.hooks import stage
from paperpulse.warehouse import CHANGED_PAPERS, BuildReport, build, build_state, connect_build


@dataclass
class IngestReport:
    source: str
    day: date
    fetched: bool
    landed_files: list[Path]
    load: raw.LoadStats
    gate: GateReport


@dataclass
class ExtractReport:
    planned: int
    batches: int
    load: batches.LoadReport | None = None


@dataclass
class RunSummary:
    run_id: str
    ingest: IngestReport
    extract: ExtractReport
    build: BuildReport
    gates: list[str] = field(default_factory=list)  # the gates this run passed
    publish: publisher.PublishReport | None = None
    totals: dict[str, int] = field(default_factory=dict)
    digest: digests.DigestReport | None = None

    @property
    def changed_anything(self) -> bool:
        return self.ingest.load.new + self.ingest.load.changed + self.extract.planned > 0 or bool(
            self.publish and self.publish.published
        )

    def render(self) -> str:
        load, publish = self.ingest.load, self.publish
        marts = ", ".join(f"{name} {rows}" for name, rows in publish.row_counts.items())
        lines = [
            f"paperpulse run {self.run_id}: {self.ingest.source} {self.ingest.day}",
            f"  papers:    {load.loaded} loaded ({load.new} new, {load.changed} changed, "
            f"{load.unchanged} unchanged), {load.quarantined} quarantined; "
            f"{self.totals.get('papers', 0)} in the warehouse",
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
            lines.append("  nothing changed: this interval was already loaded, extracted and published")
        return "\n".join(lines)


def interval_day(settings: Settings, source: str, scheduled_day: date) -> date:
    """The day a scheduled run covers: its data interval, except for a source that lists one
    fixed day (the bundled page), whose run always covers that day."""
    module = sources.get(source)
    return module.default_day(settings) if getattr(module, "FIXED_DAY", False) else scheduled_day


@stage("ingest")
def ingest(settings: Settings, source: str, day: date) -> IngestReport:
    """Land the source's interval (fetching only if it never landed), parse, check, upsert."""
    module = sources.get(source)
    files, fetched = landing.land(settings, source, day)
    parsed = (
        (path.name, item)
        for path in files
        for item in module.parse(landing.read_payload(path), day, settings)
    )
    batch = raw.prepare_batch(source, day.isoformat(), parsed)
    gate = check(f"raw batch {source} {day}", batch.papers, suites.raw_batch())
    with connect_build(settings) as con:
        stats = raw.load_batch(con, batch)
    return IngestReport(source, day, fetched, files, stats, gate)


@stage("extract-plan")
def plan_extraction(settings: Settings) -> batches.Plan:
    with connect_build(settings) as con:
        return batches.plan(con, settings)


@stage("extract-batches")
def extract_batches(plan: batches.Plan, workers: int = 1) -> list[batches.BatchReport]:
    """Run the plan's batches, in `workers` processes (settings.extract_workers in a run)."""

    def progress(items):
        return tqdm(
            items, total=len(plan.batches), desc="extracting", unit="batch", disable=not sys.stderr.isatty()
        )

    return batches.run_batches(plan.batches, workers, progress)


@stage("extract-load")
def load_extractions(settings: Settings, plan: batches.Plan) -> batches.LoadReport | None:
    if not plan.batches:
        return None
    with connect_build(settings) as con:
        return batches.load(con, plan.folder)


def extract(settings: Settings) -> ExtractReport:
    plan = plan_extraction(settings)
    extract_batches(plan, settings.extract_workers)
    return ExtractReport(plan.papers, len(plan.batches), load_extractions(settings, plan))


@stage("check")
def check_marts(settings: Settings) -> GateReport:
    """The marts suite, on violation counts computed in SQL over the build file (over the changed
    papers' rows when the last build was incremental)."""
    with connect_build(settings, read_only=True) as con:
        changed_only = build_state(con).get("tested") == CHANGED_PAPERS
        checks = suites.mart_violations(changed_only)
        counts = {name: con.execute(sql).fetchone()[0] for name, sql in checks.items()}
    return check("marts", pd.DataFrame([counts]), suites.marts())


def warehouse_totals(settings: Settings) -> dict[str, int]:
    with connect_build(settings, read_only=True) as con:
        return {
            table: con.execute(f"select count(*) from raw.{table}").fetchone()[0]
            for table in ("papers", "mentions", "results", "quarantine")
        }


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def run(settings: Settings, source: str = "trending_page", day: date | None = None) -> RunSummary:
    """One full run over one interval; a failed stage raises and leaves the published marts alone."""
    run_id = new_run_id()
    day = day or sources.get(source).default_day(settings)
    ingested = ingest(settings, source, day)
    extracted = extract(settings)
    built = build(settings)
    marts_gate = check_marts(settings)
    published = publisher.publish(settings, run_id)
    gates = [
        ingested.gate.gate,
        *([f"extraction of {extracted.batches} batches"] if extracted.batches else []),
    ]
    summary = RunSummary(run_id, ingested, extracted, built, [*gates, marts_gate.gate], published)
    summary.totals = warehouse_totals(settings)
    summary.digest = digests.deliver(settings)
    return summary
