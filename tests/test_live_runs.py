"""`paperpulse run` and `paperpulse backfill` on the live sources, end to end: the real command, the
real local fault server in place of the internet, a real DuckDB file, dbt, the gates and publishing."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.conftest import MART_TABLES, PAPERPULSE, RAW_TABLES, REPO, copy_home, run_cli, sha256, table_counts
from tests.fault_server import FaultServer, Reply
from tests.live_feeds import Paper, arxiv_days, hf_days, hf_item, live_env

pytestmark = pytest.mark.slow  # whole runs and backfills, one after another

DSNOT = "Dynamic Sparse No Training: Training-Free Fine-tuning for Sparse LLMs"  # on the bundled page
DSNOT_ABSTRACT = (
    "The ever-increasing large language models (LLMs) sadly drop a daunting obstacle on the way towards "
    "their on-device deployment. We introduce DSnoT, a training-free fine-tuning approach that slightly "
    "updates sparse LLMs; LLaMA-7B reaches a perplexity of 5.68 on WikiText-2."
)
ABSTRACT = (
    "We fine-tune Llama 2 7B on GSM8K and MMLU and reach 61.2% accuracy, 4.1 points above the baseline."
)
HF = {
    "2024-03-12": [
        hf_item(Paper("2310.08915", DSNOT, DSNOT_ABSTRACT, upvotes=40)),
        hf_item(Paper("2403.00001", "Reasoning with small models", ABSTRACT, upvotes=7)),
        hf_item(Paper("2403.00002", "Scaling retrieval for agents", ABSTRACT, upvotes=3)),
        {"paper": {"id": "2403.00003", "title": "No summary here"}, "title": "No summary here"},
    ]
}
ARXIV = {
    "2024-03-11": [
        Paper("2310.08915", DSNOT, DSNOT_ABSTRACT),
        Paper("2403.00004", "An arXiv-only paper on benchmarks", ABSTRACT),
    ]
}
TABLES = [*RAW_TABLES, "raw.hf_upvote_snapshots", "raw.source_watermarks", *MART_TABLES]


def paperpulse(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """The command line with `env` added to the environment (in this process: tests/conftest.py run_cli)."""
    with pytest.MonkeyPatch.context() as patched:
        for name, value in env.items():
            patched.setenv(name, value)
        return run_cli(Path(env["PAPERPULSE_HOME"]), *args, check=check)


def serving(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def landing_tree(home: Path) -> dict[str, str]:
    root = home / "landing"
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@dataclass
class Live:
    home: Path
    server: FaultServer
    env: dict[str, str]
    hf_printed: str
    arxiv_printed: str


@pytest.fixture(scope="module")
def live(first_run, tmp_path_factory):
    """The bundled page's warehouse, then an HF day and an arXiv day run through the command line."""
    home = copy_home(first_run[0], tmp_path_factory.mktemp("live") / "warehouse")
    with FaultServer() as server:
        server.route("/daily_papers", hf_days(lambda day: HF.get(day, [])))
        server.route("/query", arxiv_days(lambda day: ARXIV.get(day, [])))
        env = live_env(home, server.url)
        hf = paperpulse(env, "run", "--source", "hf_daily", "--date", "2024-03-12")
        arxiv = paperpulse(env, "run", "--source", "arxiv", "--date", "2024-03-11")
        yield Live(home, server, env, hf.stdout, arxiv.stdout)


def test_an_hf_run_loads_the_good_records_quarantines_the_bad_one_and_publishes(live):
    assert "paperpulse run" in live.hf_printed and "hf_daily 2024-03-12" in live.hf_printed
    assert "3 loaded (3 new, 0 changed, 0 unchanged), 1 quarantined" in live.hf_printed
    assert "141 in the warehouse; 1 merged by title into a paper with an arXiv id" in live.hf_printed
    assert "upvotes:   3 snapshots added" in live.hf_printed
    assert "published:" in live.hf_printed and "left as they were" not in live.hf_printed
    with duckdb.connect(str(live.home / "build.duckdb"), read_only=True) as con:
        assert con.execute("select reason from raw.quarantine").fetchall() == [
            ("p0000.json: item 3: missing field paper.summary",)
        ]
        latest = con.execute(
            "select paper_id, upvotes from staging.stg_raw__hf_upvote_snapshots where is_latest order by 1"
        ).fetchall()
    assert latest == [("2310.08915", 40), ("2403.00001", 7), ("2403.00002", 3)]
    assert serving(live.home, "select upvotes from dim_papers where paper_id = '2403.00001'") == [(7,)]


def test_an_arxiv_run_publishes_and_the_same_paper_from_three_sources_is_one_row(live):
    # HF's copy of the abstract is arXiv's once unwrapped: the paper is unchanged.
    assert (
        "2 loaded (1 new, 0 changed, 1 unchanged), 0 quarantined; 142 in the warehouse" in live.arxiv_printed
    )
    assert serving(live.home, "select count(*) from dim_papers") == [(142,)]
    merged = serving(
        live.home,
        "select paper_id, arxiv_id, sources, first_source, first_listed_date::varchar, abstract "
        f"from dim_papers where lower(title) = lower('{DSNOT}')",
    )
    assert merged == [
        (
            "2310.08915",
            "2310.08915",
            ["arxiv", "hf_daily", "trending_page"],
            "trending_page",
            "2024-03-11",
            DSNOT_ABSTRACT,
        )
    ]
    # The paper was extracted again from the text it now has (the model and dataset of its new wording).
    assert serving(
        live.home,
        "select count(*) from fct_mentions "
        "where paper_id = '2310.08915' and surface in ('WikiText-2', 'LLaMA-7B')",
    ) == [(2,)]


def test_re_running_an_interval_asks_nothing_and_changes_nothing(live):
    requests = len(live.server.requests)
    tree, tables = landing_tree(live.home), table_counts(live.home / "build.duckdb", TABLES)
    published = sha256(live.home / "serving.duckdb")
    printed = paperpulse(live.env, "run", "--source", "arxiv", "--date", "2024-03-11").stdout
    assert "0 new, 0 changed, 2 unchanged" in printed and "nothing changed" in printed
    assert len(live.server.requests) == requests
    assert landing_tree(live.home) == tree
    assert table_counts(live.home / "build.duckdb", TABLES) == tables
    assert sha256(live.home / "serving.duckdb") == published


def test_a_source_down_fails_clearly_after_bounded_retries_and_leaves_the_published_marts(live, tmp_path):
    home = copy_home(live.home, tmp_path / "warehouse")
    published, parquet = sha256(home / "serving.duckdb"), os.readlink(home / "parquet")
    with FaultServer() as down:
        down.script("/daily_papers", Reply(503, b"Service Unavailable"))
        failed = paperpulse(
            live_env(home, down.url), "run", "--source", "hf_daily", "--date", "2024-03-13", check=False
        )
        assert len(down.requests) == 4
    assert failed.returncode == 1
    *retries, error = failed.stderr.strip().splitlines()
    assert len(retries) == 3 and all("HTTP 503 Service Unavailable; retrying in" in r for r in retries)
    assert error == (
        f"paperpulse run: GET {down.url}/daily_papers?date=2024-03-13&limit=100&p=0 failed after 4 attempts: "
        "HTTP 503 Service Unavailable"
    )
    assert sha256(home / "serving.duckdb") == published and os.readlink(home / "parquet") == parquet
    assert not (home / "landing" / "hf_daily" / "2024-03-13").exists()


def ctrl_c_as_in_a_terminal() -> None:
    """In the child: SIGINT delivered, with its default action, which Python turns into KeyboardInterrupt.
    Earlier tests in this process leave SIGINT ignored (Airflow's DagBag import in test_airflow.py does),
    and an ignored or blocked signal is inherited across exec."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def test_an_interrupted_backfill_resumes_fetching_each_day_once(tmp_path):
    days = [f"2024-10-0{n}" for n in range(1, 6)]
    listed = {day: [hf_item(Paper(f"2410.{n}000{i}", f"Paper {i} of {day}", ABSTRACT)) for i in (1, 2)]
              for n, day in enumerate(days, start=1)}  # fmt: skip
    slow, down = {"2024-10-02"}, set()

    def faults(request):
        if request.query["date"] in down:
            return Reply(500, b"oops")
        if request.query["date"] in slow:
            time.sleep(3)  # long enough to be interrupted while fetching this day
        return None

    home = tmp_path / "warehouse"
    landed = home / "landing" / "hf_daily"
    backfill = [PAPERPULSE, "backfill", "--source", "hf_daily", "--since", days[0], "--until", days[-1]]
    with FaultServer() as server:
        server.route("/daily_papers", hf_days(lambda day: listed[day], faults))
        env = live_env(home, server.url)

        # 1. Ctrl-C while the second day is being fetched.
        running = subprocess.Popen(
            backfill,
            env={**os.environ, **env},
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=ctrl_c_as_in_a_terminal,
        )
        deadline = time.monotonic() + 120
        while not (landed / days[0]).exists() and running.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        running.send_signal(signal.SIGINT)
        _, stderr = running.communicate(timeout=60)
        assert running.returncode == 130, stderr
        assert stderr.splitlines()[-1].startswith(
            "paperpulse backfill: interrupted; the days loaded so far stay"
        )
        assert sorted(p.name for p in landed.iterdir()) == ["2024-10-01"]
        first = len(server.requests)

        # 2. The third day's source is down.
        slow.clear()
        down.add("2024-10-03")
        failed = paperpulse(env, *backfill[1:], check=False)
        assert failed.returncode == 1
        assert failed.stderr.splitlines()[-1].startswith(
            "paperpulse backfill: backfill stopped at 2024-10-03, 2 of 5 days loaded and nothing published; "
            "run the same command again to resume"
        )
        assert not (home / "serving.duckdb").exists()
        assert sorted(p.name for p in landed.iterdir()) == ["2024-10-01", "2024-10-02"]
        second = len(server.requests)

        # 3. Resumed: only the days that never landed are asked for.
        down.clear()
        resumed = paperpulse(env, *backfill[1:])
        asked = [r.query["date"] for r in server.requests]
    assert set(asked[:first]) <= {"2024-10-01", "2024-10-02"} and asked.count("2024-10-01") == 1
    assert asked[first:second] == ["2024-10-02"] + ["2024-10-03"] * 4
    assert asked[second:] == ["2024-10-03", "2024-10-04", "2024-10-05"]
    assert "hf_daily 2024-10-01..2024-10-05 (5 days: 3 fetched, 2 already landed)" in resumed.stdout
    assert "10 loaded (6 new, 0 changed, 4 unchanged)" in resumed.stdout
    assert sorted(p.name for p in landed.iterdir()) == days
    assert serving(home, "select count(*) from dim_papers") == [(10,)]


def test_the_inbox_run_takes_ready_files_and_publishes_them(tmp_path):
    home = tmp_path / "warehouse"
    inbox = home / "inbox"
    inbox.mkdir(parents=True)
    line = json.dumps({"title": "A paper dropped in the inbox", "abstract": ABSTRACT}) + "\n"
    (inbox / ".still-writing.jsonl.tmp").write_text(line)
    os.utime(inbox / ".still-writing.jsonl.tmp", (time.time() - 7200, time.time() - 7200))  # forgotten
    draft = json.dumps({"title": "A paper dropped in the inbox", "abstract": "A draft. " + ABSTRACT}) + "\n"
    (inbox / "papers.jsonl").write_text(draft + line)  # the same paper twice: the last line wins
    (inbox / "broken.jsonl").write_text("not json\n")
    printed = paperpulse(
        {"PAPERPULSE_HOME": str(home)}, "run", "--source", "inbox", "--date", "2024-03-12"
    ).stdout
    assert "inbox 2024-03-12" in printed
    assert (
        "1 loaded (1 new, 0 changed, 0 unchanged), 2 quarantined (1 replaced by a later record of the same "
        "paper)" in printed
    )
    assert "inbox:     2 files: 1 processed, 1 rejected" in printed
    assert (
        "  warning:   1 inbox file(s) named as unfinished for over 1 h (rename each to its final *.jsonl "
        "name once written): .still-writing.jsonl.tmp\n" in printed
    )
    assert serving(home, "select title, sources, first_listed_date::varchar from dim_papers") == [
        ("A paper dropped in the inbox", ["inbox"], "2024-03-12")
    ]
    assert sorted(p.name for p in inbox.iterdir()) == [".still-writing.jsonl.tmp", "processed", "rejected"]
    assert (
        (inbox / "rejected" / "broken.jsonl.reason.txt")
        .read_text()
        .startswith("broken.jsonl line 1: not JSON")
    )
