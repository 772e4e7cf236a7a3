"""The compose deployment's topology without containers: PostgreSQL (metadata and Celery results) and
Redis (broker) from Debian's packages, Airflow's api-server, scheduler, dag-processor and triggerer,
and two Celery workers that report different hostnames, as two machines would. The daily DAG,
triggered through the REST API, runs to success with its extraction batches spread over both."""

import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from celery import Celery

from paperpulse import pipeline
from paperpulse.ingest import sources
from tests.services import (
    DAG_ID,
    Airflow,
    Services,
    airflow_env,
    free_port,
    start_postgres,
    start_redis,
    wait_until,
)

# one Airflow deployment at a time on a worker (tests/conftest.py: xdist groups)
pytestmark = pytest.mark.xdist_group("airflow")

RUN_ID = "celery_test"
WORKERS = ("worker-a", "worker-b")
BATCH_SIZE = 20  # the bundled page's 139 papers make 7 extraction batches


@pytest.fixture
def celery_airflow(tmp_path):
    with Services(tmp_path / "logs") as services:
        metadata_db = start_postgres(services)
        broker = start_redis(services, tmp_path / "redis")
        env = airflow_env(
            tmp_path / "airflow",
            tmp_path / "warehouse",
            AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_db,
            AIRFLOW__CELERY__BROKER_URL=broker,
            AIRFLOW__CELERY__RESULT_BACKEND="db+" + metadata_db,
            # one task at a time per worker, none reserved ahead: batches go to whichever worker is free
            AIRFLOW__CELERY__WORKER_CONCURRENCY="1",
            AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER="1",
            PAPERPULSE_EXTRACT_BATCH_SIZE=str(BATCH_SIZE),
        )
        airflow = Airflow(services, env)
        airflow.initialize()
        airflow.start_core()
        for worker in WORKERS:
            airflow.start(
                *("celery", "worker", "--celery-hostname", f"{worker}@%h", "--without-mingle"),
                name=worker,
                AIRFLOW__CORE__HOSTNAME_CALLABLE="tests.services.worker_hostname",
                PAPERPULSE_WORKER_HOSTNAME=worker,
                AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
            )
        airflow.wait_healthy()
        wait_for_workers(airflow, broker)
        yield airflow


def wait_for_workers(airflow: Airflow, broker: str) -> None:
    app = Celery(broker=broker)

    def all_answer() -> bool:
        airflow.check_running()
        answered = {name.split("@")[0] for reply in app.control.ping(timeout=2) for name in reply}
        return answered >= set(WORKERS)

    wait_until(all_answer, 180, "celery workers answering a ping", interval=1)


@pytest.mark.slow
def test_two_celery_workers_share_the_extraction_batches(celery_airflow, tmp_path):
    airflow = celery_airflow
    airflow.wait_for_dag()
    airflow.api("PATCH", f"dags/{DAG_ID}", json={"is_paused": False})
    airflow.api("POST", f"dags/{DAG_ID}/dagRuns", json={"dag_run_id": RUN_ID, "logical_date": None})

    state = airflow.wait_for_run(RUN_ID)

    diagnostics = airflow.diagnostics(RUN_ID)
    print(diagnostics.split("-----")[0])  # task -> worker table, shown with -s or on failure
    assert state == "success", diagnostics
    tasks = airflow.task_instances(RUN_ID)
    assert {ti["state"] for ti in tasks} == {"success"}, diagnostics
    assert {ti["hostname"] for ti in tasks} <= set(WORKERS), diagnostics
    batches = [ti for ti in tasks if ti["task_id"] == "extract_batch"]
    assert len(batches) == 7, diagnostics
    per_worker = Counter(ti["hostname"] for ti in batches)
    assert set(per_worker) == set(WORKERS), f"batches per worker: {dict(per_worker)}\n{diagnostics}"
    papers = [
        airflow.api(
            "GET",
            f"dags/{DAG_ID}/dagRuns/{RUN_ID}/taskInstances/extract_batch/xcomEntries/return_value",
            params={"map_index": ti["map_index"]},
        )["value"]["papers"]
        for ti in batches
    ]
    assert sum(papers) == 139 and max(papers) <= BATCH_SIZE, papers
    with duckdb.connect(str(tmp_path / "warehouse" / "serving.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from dim_papers").fetchone()[0] == 139
        assert con.execute("select run_id from publish_info").fetchone()[0] == RUN_ID


HOLD_WRITE_LOCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(300)
"""


def test_an_extraction_batch_never_opens_the_build_file(settings):
    """What lets workers extract side by side: a batch runs while another process holds the
    DuckDB build file's write lock (as a pool task may), reading and writing only Parquet."""
    settings = settings.replace(extract_batch_size=BATCH_SIZE)
    pipeline.ingest(settings, "trending_page", sources.get("trending_page").default_day(settings))
    plan = pipeline.plan_extraction(settings)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITE_LOCK, str(settings.build_db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(settings.build_db), read_only=True)

        report = pipeline.extract_batch(settings, "run", plan[0])
    finally:
        holder.kill()
        holder.wait()
    assert report["papers"] == BATCH_SIZE and not report["skipped"]
    assert sorted(p.name.split(".")[1] for p in Path(plan[0]).parent.glob("batch-00000.*.parquet")) == [
        "done",
        "input",
        "mentions",
        "results",
    ]
