"""paperpulse's two DAGs; every task calls the same stage function as the CLI.

- `paperpulse_daily`: one run per day-long data interval, for the source named by the `source` param
  (default: PAPERPULSE_SOURCE, else the bundled page). A live source covers the day that settled as
  the interval ended: for Hugging Face the interval's own day, for arXiv three days before it (arXiv
  shows a day's submissions only once announced). `land` fetches in the one-slot pool `paperpulse_fetch`,
  so one process at a time talks to the sources (arXiv allows one request per 3 s from anyone), and is
  retried by Airflow a few minutes later when a source stays down or asks for a long wait.
- `paperpulse_inbox`: runs continuously; a sensor in reschedule mode (no worker slot held while it
  waits) waits for files dropped into the inbox, then that micro-batch goes through the same stages.

Every task that opens the DuckDB build file runs in the one-slot pool `paperpulse_build`
(DuckDB allows one writer); extraction batches only read and write Parquet, so they fan out.
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime, timedelta

from airflow.sdk import Asset, CronDataIntervalTimetable, Param, dag, get_current_context, task

from paperpulse.ingest.sources import NAMES as SOURCES

BUILD_POOL = "paperpulse_build"
FETCH_POOL = "paperpulse_fetch"
LANDED_PAPERS = Asset("paperpulse_landed_papers")
EXTRACTED_ENTITIES = Asset("paperpulse_extracted_entities")
PUBLISHED_MARTS = Asset("paperpulse_published_marts")


def _settings():
    from paperpulse.settings import Settings

    return Settings.from_env()


def extract_build_publish(ingested):
    """The stages after ingestion, shared by both DAGs; returns the publish task's output."""

    @task(pool=BUILD_POOL)
    def plan_extraction(_ingested: dict) -> list[str]:
        from paperpulse import pipeline

        return [str(path) for path in pipeline.plan_extraction(_settings()).batches]

    @task
    def extract_batch(input_file: str) -> dict:
        from pathlib import Path

        from paperpulse import extraction as batches

        return vars(batches.run_batch(Path(input_file)))

    # With nothing to extract the mapped task has no instances and counts as skipped; when ingestion
    # itself was skipped (an inbox run that found no file) everything after it is skipped too.
    @task(pool=BUILD_POOL, outlets=[EXTRACTED_ENTITIES], trigger_rule="none_failed_min_one_success")
    def load_extractions(batch_files: list[str], _extracted) -> dict:
        from pathlib import Path

        from paperpulse import extraction as batches
        from paperpulse.warehouse.connection import connect_build

        if not batch_files:
            return {"papers": 0, "mentions": 0, "results": 0}
        with connect_build(_settings()) as con:
            return vars(batches.load(con, Path(batch_files[0]).parent))

    @task(pool=BUILD_POOL)
    def build_marts(_loaded: dict) -> dict:
        from paperpulse.warehouse.build import build

        report = build(_settings())
        return {"models_built": report.models_built, "tests_passed": report.tests_passed}

    @task(pool=BUILD_POOL)
    def check_marts(_built: dict) -> dict:
        from paperpulse import pipeline

        return vars(pipeline.check_marts(_settings()))

    @task(pool=BUILD_POOL, outlets=[PUBLISHED_MARTS])
    def publish(_checked: dict) -> dict:
        from paperpulse.warehouse import publish as publisher

        run_id = get_current_context()["run_id"]
        report = publisher.publish(_settings(), run_id)
        return {"published": report.published, "serving_db": str(report.serving_db), **report.row_counts}

    batch_files = plan_extraction(ingested)
    loaded = load_extractions(batch_files, extract_batch.expand(input_file=batch_files))
    return publish(check_marts(build_marts(loaded)))


def _ingested(report) -> dict:
    return {"source": report.source, "day": report.day.isoformat(), **vars(report.load)}


@dag(
    dag_id="paperpulse_daily",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=datetime(2024, 3, 11),
    catchup=False,
    max_active_runs=1,
    params={"source": Param(os.environ.get("PAPERPULSE_SOURCE", "trending_page"), enum=list(SOURCES))},
    tags=["paperpulse"],
    doc_md=__doc__,
)
def paperpulse_daily():
    @task(pool=FETCH_POOL, retries=2, retry_delay=timedelta(minutes=5))
    def land(params=None, data_interval_end=None, dag_run=None) -> dict:
        from paperpulse import pipeline

        settings, source = _settings(), params["source"]
        # A run triggered without a logical date (Airflow 3's default for manual runs) has no data
        # interval: it covers what a scheduled run starting then would.
        interval_end = data_interval_end or dag_run.run_after
        day = pipeline.covered_day(settings, source, interval_end.date())
        files, fetched = pipeline.land(settings, source, day)
        if fetched and source == "arxiv":
            # Hand the pool slot on only once the pacing interval after this task's last request has
            # passed: the next task to fetch runs in another process, whose pacer knows nothing of ours.
            time.sleep(settings.arxiv_min_interval)
        return {"source": source, "day": day.isoformat(), "files": len(files), "fetched": fetched}

    @task(pool=BUILD_POOL, outlets=[LANDED_PAPERS])
    def ingest(landed: dict) -> dict:
        from paperpulse import pipeline

        day = date.fromisoformat(landed["day"])
        return _ingested(pipeline.ingest(_settings(), landed["source"], day))

    # reads only the published serving file, so it needs no slot in the build pool
    @task
    def send_digest(_published: dict) -> dict:
        from paperpulse import digest

        report = digest.deliver(_settings())
        return {"day": str(report.day), "emailed_to": list(report.emailed_to)} if report else {}

    send_digest(extract_build_publish(ingest(land())))


@dag(
    dag_id="paperpulse_inbox",
    schedule="@continuous",
    start_date=datetime(2024, 3, 11),
    catchup=False,
    max_active_runs=1,
    tags=["paperpulse"],
    doc_md=__doc__,
)
def paperpulse_inbox():
    # An hour without a file ends the run as skipped, and @continuous starts the next one.
    @task.sensor(mode="reschedule", poke_interval=30, timeout=3600, soft_fail=True)
    def wait_for_files() -> bool:
        from paperpulse.ingest.sources import inbox

        return bool(inbox.ready_files(_settings()))

    @task(pool=BUILD_POOL, outlets=[LANDED_PAPERS])
    def ingest_inbox() -> dict:
        from paperpulse import pipeline
        from paperpulse.ingest.sources import inbox

        settings = _settings()
        return _ingested(pipeline.ingest(settings, inbox.NAME, inbox.default_day(settings)))

    ingested = ingest_inbox()
    wait_for_files() >> ingested
    extract_build_publish(ingested)


paperpulse_daily()
paperpulse_inbox()
