"""The DAGs under real Airflow 3: they import cleanly and `dag.test()` runs them end to end, the daily
one for a given date against the local fault server in place of Hugging Face."""

import json
import os
import subprocess
import sys
import threading
import time

import duckdb
import pytest

from tests.conftest import REPO, lock_holder, release_lock
from tests.fault_server import FaultServer
from tests.live_feeds import Paper, hf_days, hf_item, live_env

ABSTRACT = (
    "We fine-tune Llama 2 7B on GSM8K and MMLU and reach 61.2% accuracy, 4.1 points above the baseline."
)

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
    report["interval"] = [run.data_interval_start.isoformat(), run.data_interval_end.isoformat()]
print("REPORT " + json.dumps(report))
"""


# Airflow's dag.test() runs whole pipeline runs; one Airflow at a time on a worker (tests/conftest.py)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("airflow")]


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
    assert report["dag_ids"] == ["paperpulse_daily", "paperpulse_digest", "paperpulse_inbox"]


def test_dag_test_runs_end_to_end_and_publishes(airflow_env):
    report = run_dag_script(airflow_env, "paperpulse_daily")
    assert report["state"] == "success", report
    assert set(report["tasks"].values()) == {"success"}, report["tasks"]
    assert "extract_batch[0]" in report["tasks"]
    pools = report["pools"]
    assert {t for t, pool in pools.items() if pool == "paperpulse_build"} == BUILD_FILE_TASKS | {
        "ingest",
        "prune",
    }
    assert "prune[-1]" in report["tasks"]  # after publish: retention (paperpulse/retention.py)
    assert pools["land"] == "paperpulse_fetch"
    serving = os.path.join(airflow_env["PAPERPULSE_HOME"], "serving.duckdb")
    with duckdb.connect(serving, read_only=True) as con:
        assert con.execute("select count(*) from dim_papers").fetchall() == [(139,)]
        run_id = con.execute("select run_id from publish_info").fetchall()[0][0]
    assert run_id.startswith("manual__")
    # the digest is its own DAG, which the published marts' Asset starts (a manual run sends it too)
    assert "send_digest[-1]" not in report["tasks"]
    digest = run_dag_script(airflow_env, "paperpulse_digest")
    assert digest["tasks"] == {"send_digest[-1]": "success"}, digest
    assert os.path.exists(os.path.join(airflow_env["PAPERPULSE_HOME"], "digests", "2024-03-11.md"))


HF_LISTING = [
    hf_item(Paper("2410.00001", "Reasoning with small models", ABSTRACT, upvotes=5)),
    hf_item(Paper("2410.00002", "Scaling retrieval for agents", ABSTRACT, upvotes=2)),
]


def test_dag_test_runs_the_daily_dag_for_a_date_against_the_live_source(airflow_env, tmp_path):
    home = tmp_path / "warehouse"
    with FaultServer() as server:
        server.route("/daily_papers", hf_days(lambda day: HF_LISTING if day == "2024-10-25" else []))
        env = {**airflow_env, **live_env(home, server.url)}
        report = run_dag_script(
            env, "paperpulse_daily", logical_date="2024-10-26T00:00:00+00:00", run_conf={"source": "hf_daily"}
        )
        asked = [r.query["date"] for r in server.requests]
    assert report["state"] == "success", report
    assert set(report["tasks"].values()) == {"success"}, report["tasks"]
    # A manual run's data interval is the day before its logical date; the run covers that day and
    # asks for it once.
    assert report["interval"] == ["2024-10-25T00:00:00+00:00", "2024-10-26T00:00:00+00:00"]
    assert asked == ["2024-10-25"]
    assert (home / "landing" / "hf_daily" / "2024-10-25" / "_COMPLETE").exists()
    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        assert con.execute("select paper_id from dim_papers order by 1").fetchall() == [
            ("2410.00001",),
            ("2410.00002",),
        ]
        assert con.execute("select run_id from publish_info").fetchall()[0][0].startswith("manual__")


def test_dag_test_runs_the_inbox_dag_on_the_files_dropped_in_the_inbox(airflow_env, tmp_path):
    home = tmp_path / "warehouse"
    inbox = home / "inbox"
    inbox.mkdir(parents=True)
    line = json.dumps({"title": "A paper dropped in the inbox", "abstract": ABSTRACT}) + "\n"
    (inbox / "half-written.jsonl.tmp").write_text(line)
    (inbox / "papers.jsonl").write_text(line)
    (inbox / "broken.jsonl").write_text("not json\n")
    report = run_dag_script({**airflow_env, "PAPERPULSE_HOME": str(home)}, "paperpulse_inbox")
    assert report["state"] == "success", report
    assert set(report["tasks"].values()) == {"success"}, report["tasks"]
    assert report["pools"]["ingest_inbox"] == "paperpulse_build"
    assert sorted(p.name for p in inbox.iterdir()) == ["half-written.jsonl.tmp", "processed", "rejected"]
    assert (inbox / "rejected" / "broken.jsonl.reason.txt").exists()
    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        assert con.execute("select title, sources from dim_papers").fetchall() == [
            ("A paper dropped in the inbox", ["inbox"])
        ]


def test_dag_tasks_wait_while_a_command_holds_the_warehouse(airflow_env, tmp_path):
    home = tmp_path / "warehouse"
    (home / "inbox").mkdir(parents=True)
    (home / "inbox" / "papers.jsonl").write_text(json.dumps({"title": "Waited", "abstract": ABSTRACT}) + "\n")
    holder = lock_holder(home)  # as `paperpulse run` would
    released = []
    timer = threading.Timer(5, lambda: (released.append(time.time()), release_lock(holder)))
    timer.start()
    try:
        report = run_dag_script({**airflow_env, "PAPERPULSE_HOME": str(home)}, "paperpulse_inbox")
    finally:
        timer.join()
    assert report["state"] == "success", report
    settled = (home / "inbox" / "processed" / "papers.jsonl").stat().st_ctime
    assert settled > released[0]  # ingest_inbox waited for the lock, then ran
