"""The daily DAG under a real Airflow on one machine: api-server, scheduler, dag-processor and
triggerer as separate processes, the LocalExecutor, SQLite metadata (what `airflow standalone`
runs). Triggered through Airflow's CLI, watched through its REST API; no `dag.test()`."""

import duckdb
import pytest

from tests.services import DAG_ID, Airflow, Services, airflow_env, wait_until

# one Airflow deployment at a time on a worker (tests/conftest.py: xdist groups)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("airflow")]


@pytest.fixture
def local_airflow(tmp_path):
    with Services(tmp_path / "logs") as services:
        env = airflow_env(
            tmp_path / "airflow",
            tmp_path / "warehouse",
            AIRFLOW__CORE__EXECUTOR="LocalExecutor",
            AIRFLOW__CORE__PARALLELISM="2",  # LocalExecutor worker processes; the machine has 2 cores
            # The schedule runs: unpausing the daily DAG starts its latest interval's run, and the Asset
            # its publish updates starts the digest DAG.
            AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="True",
        )
        airflow = Airflow(services, env)
        airflow.initialize()
        airflow.start_core()
        airflow.wait_healthy()
        yield airflow


def test_scheduler_runs_the_daily_dag_and_its_asset_starts_the_digest(local_airflow, tmp_path):
    airflow = local_airflow
    assert airflow.api("GET", "pools/paperpulse_build")["slots"] == 1
    airflow.wait_for_dag()
    airflow.wait_for_dag("paperpulse_digest")
    airflow.cli("dags", "unpause", "paperpulse_digest")
    airflow.cli("dags", "unpause", DAG_ID)

    runs = wait_until(lambda: airflow.api("GET", f"dags/{DAG_ID}/dagRuns")["dag_runs"], 240, "a daily run")
    assert runs[0]["run_type"] == "scheduled"
    run_id = runs[0]["dag_run_id"]
    state = airflow.wait_for_run(run_id)

    assert state == "success", airflow.diagnostics(run_id)
    tasks = {f"{ti['task_id']}[{ti['map_index']}]": ti["state"] for ti in airflow.task_instances(run_id)}
    assert "extract_batch[0]" in tasks and "publish[-1]" in tasks, tasks
    assert set(tasks.values()) == {"success"}, tasks
    with duckdb.connect(str(tmp_path / "warehouse" / "serving.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from dim_papers").fetchone()[0] == 139
        assert con.execute("select run_id from publish_info").fetchone()[0] == run_id
    # The publish task's Asset event starts the digest DAG, which writes the day's digest.
    digest_runs = wait_until(
        lambda: airflow.api("GET", "dags/paperpulse_digest/dagRuns")["dag_runs"], 240, "a digest run"
    )
    assert digest_runs[0]["run_type"] == "asset_triggered"
    assert airflow.wait_for_run(digest_runs[0]["dag_run_id"], "paperpulse_digest") == "success"
    assert (tmp_path / "warehouse" / "digests" / "2024-03-11.md").exists()
