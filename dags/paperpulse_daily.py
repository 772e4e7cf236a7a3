"""paperpulse daily: one run per data interval, each task calling the same stage function as the CLI.

Every task that opens the DuckDB build file runs in the one-slot pool `paperpulse_build`
(DuckDB allows one writer); extraction batches only read and write Parquet, so they fan out.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import Asset, Param, dag, get_current_context, task

BUILD_POOL = "paperpulse_build"
LANDED_PAPERS = Asset("paperpulse_landed_papers")
EXTRACTED_ENTITIES = Asset("paperpulse_extracted_entities")
PUBLISHED_MARTS = Asset("paperpulse_published_marts")


def _settings():
    from paperpulse.config import Settings

    return Settings.from_env()


@dag(
    dag_id="paperpulse_daily",
    schedule="@daily",
    start_date=datetime(2024, 3, 11),
    catchup=False,
    max_active_runs=1,
    params={"source": Param(os.environ.get("PAPERPULSE_SOURCE", "trending_page"), type="string")},
    tags=["paperpulse"],
    doc_md=__doc__,
)
def paperpulse_daily():
    @task(pool=BUILD_POOL, outlets=[LANDED_PAPERS])
    def ingest(params=None, data_interval_start=None, dag_run=None) -> dict:
        from paperpulse import pipeline

        source = params["source"]
        # A run triggered without a logical date (Airflow 3's default for manual runs) has no data
        # interval: it covers the day a scheduled run starting then would, the day before.
        scheduled_day = (data_interval_start or dag_run.run_after - timedelta(days=1)).date()
        day = pipeline.interval_day(_settings(), source, scheduled_day)
        report = pipeline.ingest(_settings(), source, day)
        return {"source": source, "day": day.isoformat(), **vars(report.load)}

    @task(pool=BUILD_POOL)
    def plan_extraction(_ingested: dict) -> list[str]:
        from paperpulse import pipeline

        return [str(path) for path in pipeline.plan_extraction(_settings()).batches]

    @task
    def extract_batch(input_file: str) -> dict:
        from pathlib import Path

        from extract import batches

        return vars(batches.run_batch(Path(input_file)))

    # none_failed: with nothing to extract the mapped task has no instances and counts as skipped
    @task(pool=BUILD_POOL, outlets=[EXTRACTED_ENTITIES], trigger_rule="none_failed")
    def load_extractions(batch_files: list[str], _extracted) -> dict:
        from pathlib import Path

        from extract import batches
        from paperpulse.warehouse import connect_build

        if not batch_files:
            return {"papers": 0, "mentions": 0, "results": 0}
        with connect_build(_settings()) as con:
            return vars(batches.load(con, Path(batch_files[0]).parent))

    @task(pool=BUILD_POOL)
    def build_marts(_loaded: dict) -> dict:
        from paperpulse.warehouse import build

        report = build(_settings())
        return {"models_built": report.models_built, "tests_passed": report.tests_passed}

    @task(pool=BUILD_POOL)
    def check_marts(_built: dict) -> dict:
        from paperpulse import pipeline

        return vars(pipeline.check_marts(_settings()))

    @task(pool=BUILD_POOL, outlets=[PUBLISHED_MARTS])
    def publish(_checked: dict) -> dict:
        from paperpulse import publish as publisher

        run_id = get_current_context()["run_id"]
        report = publisher.publish(_settings(), run_id)
        return {"published": report.published, "serving_db": str(report.serving_db), **report.row_counts}

    # reads only the published serving file, so it needs no slot in the build pool
    @task
    def send_digest(_published: dict) -> dict:
        from paperpulse import digest

        report = digest.deliver(_settings())
        return {"day": str(report.day), "emailed_to": list(report.emailed_to)} if report else {}

    batch_files = plan_extraction(ingest())
    loaded = load_extractions(batch_files, extract_batch.expand(input_file=batch_files))
    send_digest(publish(check_marts(build_marts(loaded))))


paperpulse_daily()
