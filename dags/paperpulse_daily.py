"""paperpulse's DAGs. Their tasks are the pipeline's own stages (paperpulse/pipeline.py: `ingest`, then
the list `AFTER_INGEST`), the same functions the command line runs.

- `paperpulse_daily`: one run per day-long data interval, for the source named by the `source` param
  (default: PAPERPULSE_SOURCE, else the bundled page). A live source covers the day that settled as
  the interval ended: for Hugging Face the interval's own day, for arXiv three days before it (arXiv
  shows a day's submissions only once announced). `land` fetches in the one-slot pool `paperpulse_fetch`,
  so one process at a time talks to the sources (arXiv allows one request per 3 s from anyone), and is
  retried by Airflow a few minutes later when a source stays down or asks for a long wait. Its last task,
  `prune`, removes what is older than PAPERPULSE_KEEP_DAYS (`paperpulse prune`).
- `paperpulse_inbox`: runs continuously; a sensor in reschedule mode (no worker slot held while it
  waits) waits for files dropped into the inbox, then that micro-batch goes through the same stages.
- `paperpulse_digest`: started by the Asset `paperpulse_published_marts` when a daily run publishes
  (an inbox micro-batch publishes without asking for a digest); writes the day's digest and mails it.

Every task that opens the DuckDB build file runs in the one-slot pool `paperpulse_build`
(DuckDB allows one writer); extraction batches only read and write Parquet, so they fan out. Every task
has an execution timeout, so a hang never holds the build pool forever. Each task that writes the
warehouse also holds its lock file (paperpulse/lock.py) while it runs, waiting for a `paperpulse` command
that holds it; extraction batches share it with one another.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from airflow.sdk import Asset, CronDataIntervalTimetable, Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException

from paperpulse.ingest.sources import NAMES as SOURCES
from paperpulse.stages import AFTER_INGEST

BUILD_POOL = "paperpulse_build"
FETCH_POOL = "paperpulse_fetch"
LANDED_PAPERS = Asset("paperpulse_landed_papers")
EXTRACTED_ENTITIES = Asset("paperpulse_extracted_entities")
PUBLISHED_MARTS = Asset("paperpulse_published_marts")
# What each stage's task publishes when it succeeds.
OUTLETS = {"load_extractions": [EXTRACTED_ENTITIES], "publish": [PUBLISHED_MARTS]}
DEFAULT_ARGS = {
    # A stage that failed on a passing fault (a lock held a moment too long, a full disk freed) is tried
    # again once; a gate that failed fails again, and says why, in the log of both tries.
    "retries": 1,
    "retry_delay": timedelta(minutes=2),
    "execution_timeout": timedelta(hours=1),
}


def _settings():
    from paperpulse.settings import Settings

    return Settings.from_env()


@contextmanager
def _holding_warehouse(settings, shared: bool = False):
    """The warehouse lock for this task, waiting while a `paperpulse` command holds it."""
    from paperpulse import lock

    context = get_current_context()
    ti = context["ti"]
    map_index = getattr(ti, "map_index", None)
    index = f"[{map_index}]" if isinstance(map_index, int) and map_index >= 0 else ""
    name = f"Airflow task {ti.dag_id}.{ti.task_id}{index} of {context['run_id']}"
    with lock.hold(settings, name, wait=True, shared=shared):
        yield


def _stage_task(stage, digest: bool):
    """A task running `stage` (the stage before's output in, its output out)."""

    def run(upstream=None):
        context = get_current_context()
        settings = _settings()
        with _holding_warehouse(settings, shared=not stage.writes_build):
            output = stage.run(settings, context["run_id"], upstream)
        if stage.name == "publish":
            context["outlet_events"][PUBLISHED_MARTS].extra = {
                "digest": digest,
                "published": output["published"],
            }
        return output

    return task(
        run,
        task_id=stage.name,
        pool=BUILD_POOL if stage.writes_build else "default_pool",
        outlets=OUTLETS.get(stage.name, []),
        execution_timeout=stage.timeout,
        # With nothing to extract the mapped task has no instances and counts as skipped; when ingestion
        # itself was skipped (an inbox run that found no file) everything after it is skipped too.
        trigger_rule="none_failed_min_one_success" if stage.name == "load_extractions" else "all_success",
    )


def after_ingest(ingested, digest: bool):
    """The stages after ingestion, chained as the command line runs them; returns the last task's output."""
    upstream, mapped_over = ingested, None
    for stage in AFTER_INGEST:
        make = _stage_task(stage, digest)
        if stage.mapped:
            mapped_over = upstream
            upstream = make.expand(upstream=mapped_over)
        elif mapped_over is not None:  # the stage after a mapped one gets the same items, once all are done
            done, upstream = upstream, make(mapped_over)
            done >> upstream
            mapped_over = None
        else:
            upstream = make(upstream)
    return upstream


def _ingested(report) -> dict:
    return {"source": report.source, "day": report.day.isoformat(), **vars(report.load)}


@dag(
    dag_id="paperpulse_daily",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=datetime(2024, 3, 11),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={"source": Param(os.environ.get("PAPERPULSE_SOURCE", "trending_page"), enum=list(SOURCES))},
    tags=["paperpulse"],
    doc_md=__doc__,
)
def paperpulse_daily():
    @task(pool=FETCH_POOL, retries=2, retry_delay=timedelta(minutes=5), execution_timeout=timedelta(hours=2))
    def land(params=None, data_interval_end=None, dag_run=None) -> dict:
        from paperpulse import pipeline
        from paperpulse.ingest import sources

        settings, source = _settings(), params["source"]
        # A run triggered without a logical date (Airflow 3's default for manual runs) has no data
        # interval: it covers what a scheduled run starting then would.
        interval_end = data_interval_end or dag_run.run_after
        day = pipeline.covered_day(settings, source, interval_end.date())
        with _holding_warehouse(settings):
            files, fetched = pipeline.land(settings, source, day)
        if fetched:
            # Hand the pool slot on only once the source's pacing interval after this task's last request
            # has passed: the next task to fetch runs in another process, whose pacer knows nothing of ours.
            time.sleep(sources.get(source).pause_after_fetch(settings))
        return {"source": source, "day": day.isoformat(), "files": len(files), "fetched": fetched}

    @task(pool=BUILD_POOL, outlets=[LANDED_PAPERS], execution_timeout=timedelta(hours=1))
    def ingest(landed: dict) -> dict:
        from paperpulse import pipeline

        settings, day = _settings(), date.fromisoformat(landed["day"])
        with _holding_warehouse(settings):
            return _ingested(pipeline.ingest(settings, landed["source"], day))

    # Retention: landed files, inbox files, digests, gate results and quarantine rows older than
    # PAPERPULSE_KEEP_DAYS go (paperpulse/retention.py), once the day's marts are published.
    @task(pool=BUILD_POOL, execution_timeout=timedelta(minutes=30))
    def prune(_published=None) -> dict:
        from paperpulse import retention

        settings = _settings()
        return dict(retention.prune(settings, settings.keep_days).removed)

    prune(after_ingest(ingest(land()), digest=True))


@dag(
    dag_id="paperpulse_inbox",
    schedule="@continuous",
    start_date=datetime(2024, 3, 11),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["paperpulse"],
    doc_md=__doc__,
)
def paperpulse_inbox():
    # An hour without a file ends the run as skipped, and @continuous starts the next one.
    @task.sensor(mode="reschedule", poke_interval=30, timeout=3600, soft_fail=True, retries=0)
    def wait_for_files() -> bool:
        import logging

        from paperpulse.ingest.sources import inbox

        settings = _settings()
        overdue = inbox.overdue_files(settings)
        if overdue:  # files that wait for a rename that may never come
            logging.getLogger(__name__).warning(
                "inbox: named as unfinished for over %d s: %s", settings.inbox_grace, ", ".join(overdue)
            )
        return bool(inbox.ready_files(settings))

    @task(pool=BUILD_POOL, outlets=[LANDED_PAPERS], execution_timeout=timedelta(hours=1))
    def ingest_inbox() -> dict:
        from paperpulse import pipeline
        from paperpulse.ingest.sources import inbox

        settings = _settings()
        with _holding_warehouse(settings):
            return _ingested(pipeline.ingest(settings, inbox.NAME, inbox.default_day(settings)))

    ingested = ingest_inbox()
    wait_for_files() >> ingested
    after_ingest(ingested, digest=False)


@dag(
    dag_id="paperpulse_digest",
    schedule=[PUBLISHED_MARTS],
    start_date=datetime(2024, 3, 11),
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["paperpulse"],
    doc_md=__doc__,
)
def paperpulse_digest():
    # reads only the published serving file, so it needs no slot in the build pool
    @task(execution_timeout=timedelta(minutes=15))
    def send_digest(triggering_asset_events=None) -> dict:
        from paperpulse import digest

        events = list((triggering_asset_events or {}).get(PUBLISHED_MARTS, []))
        if events and not any(event.extra.get("digest") for event in events):
            raise AirflowSkipException("published by an inbox micro-batch: no digest for it")
        report = digest.deliver(_settings())
        return {"day": str(report.day), "emailed_to": list(report.emailed_to)} if report else {}

    send_digest()


paperpulse_daily()
paperpulse_inbox()
paperpulse_digest()
