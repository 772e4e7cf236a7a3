"""The daily DAG under real Airflow 3: it imports cleanly and `dag.test()` runs it end to end."""

import json
import os
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import REPO

DAG_TEST = """
import json, sys
from datetime import datetime
from airflow.dag_processing.dagbag import DagBag

bag = DagBag(dag_folder=sys.argv[1])
report = {"import_errors": {k: str(v) for k, v in bag.import_errors.items()}, "dag_ids": sorted(bag.dag_ids)}
if sys.argv[2] != "import":
    dag = bag.get_dag(sys.argv[2])
    options = json.loads(sys.argv[3])
    if "logical_date" in options:
        options["logical_date"] = datetime.fromisoformat(options["logical_date"])
    run = dag.test(**options)
    report["state"] = str(run.state)
    report["tasks"] = {f"{ti.task_id}[{ti.map_index}]": str(ti.state) for ti in run.get_task_instances()}
    report["pools"] = {t.task_id: t.pool for t in dag.tasks}
print("REPORT " + json.dumps(report))
"""


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("airflow")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(root / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PAPERPULSE_HOME": str(root / "warehouse"),
    }
    airflow = os.path.join(os.path.dirname(sys.executable), "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    return env


def run_dag_script(env, dag_id: str = "import", **options) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", DAG_TEST, str(REPO / "dags"), dag_id, json.dumps(options)],
        env=env,
        capture_output=True,
        text=True,
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("REPORT ")]
    assert lines, f"no report:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    return json.loads(lines[-1].removeprefix("REPORT "))


BUILD_FILE_TASKS = {"plan_extraction", "load_extractions", "build_marts", "check_marts", "publish"}


def test_dagbag_imports_cleanly(airflow_env):
    report = run_dag_script(airflow_env)
    assert report["import_errors"] == {}
    assert report["dag_ids"] == ["paperpulse_daily", "paperpulse_inbox"]


def test_dag_test_runs_end_to_end_and_publishes(airflow_env):
    report = run_dag_script(airflow_env, "paperpulse_daily")
    assert report["state"] == "success", report
    assert set(report["tasks"].values()) == {"success"}, report["tasks"]
    assert "extract_batch[0]" in report["tasks"]
    pools = report["pools"]
    assert {t for t, pool in pools.items() if pool == "paperpulse_build"} == BUILD_FILE_TASKS | {"ingest"}
    assert pools["land"] == "paperpulse_fetch"
    serving = os.path.join(airflow_env["PAPERPULSE_HOME"], "serving.duckdb")
    with duckdb.connect(serving, read_only=True) as con:
        assert con.execute("select count(*) from dim_papers").fetchall() == [(139,)]
        run_id = con.execute("select run_id from publish_info").fetchall()[0][0]
    assert run_id.startswith("manual__")
