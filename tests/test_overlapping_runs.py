"""Overlapping runs: a command that writes the warehouse holds its lock file from start to end, so a
second one is refused before it touches anything; the lock dies with its process (kill -9 leaves nothing
to clear)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from paperpulse import lock
from paperpulse.errors import WarehouseBusy
from paperpulse.settings import Settings
from tests.conftest import PAPERPULSE, REPO, lock_holder, release_lock, run_cli

BUSY = r"another run \(pid {pid}, started \d\d:\d\d, {command}\) holds the warehouse "


def take(settings: Settings, command: str) -> None:
    with lock.hold(settings, command):
        pass


def test_a_second_holder_is_refused_with_who_holds_it_and_shared_holders_coexist(tmp_path):
    settings = Settings(home=tmp_path / "warehouse")
    other = lock_holder(settings.home)
    try:
        with pytest.raises(WarehouseBusy, match=BUSY.format(pid=other.pid, command="a test holder")):
            take(settings, "paperpulse run")
    finally:
        release_lock(other)
    take(settings, "paperpulse run")  # free again
    batch = lock_holder(settings.home, shared=True)
    try:
        # batches share it, and keep the others out
        with lock.hold(settings, "another batch", shared=True), pytest.raises(WarehouseBusy, match="batch"):
            take(settings, "paperpulse build")
    finally:
        release_lock(batch)


def test_an_airflow_task_waits_for_the_lock_instead(tmp_path):
    settings = Settings(home=tmp_path / "warehouse")
    other = lock_holder(settings.home)
    started = time.monotonic()
    subprocess.Popen(["sh", "-c", f"sleep 2; kill {other.pid}"])
    with lock.hold(settings, "Airflow task", wait=True):
        assert time.monotonic() - started > 1.5
    other.wait(timeout=30)


def test_query_and_digest_do_not_take_the_lock(tmp_path):
    home = tmp_path / "warehouse"
    other = lock_holder(home)
    try:
        for command in (["query", "select 1"], ["digest"]):
            refused = run_cli(home, *command, check=False)
            assert "holds the warehouse" not in refused.stderr, command
            assert "nothing published yet" in refused.stderr or refused.returncode == 0, refused.stderr
    finally:
        release_lock(other)


def start_run(home: Path, day: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "PAPERPULSE_HOME": str(home),
        "PAPERPULSE_SYNTHETIC_PAPERS_PER_DAY": "1500",
        "PAPERPULSE_EXTRACT_BATCH_SIZE": "250",
        "PAPERPULSE_EXTRACT_WORKERS": "1",
    }
    env.pop("PAPERPULSE_CRASH_AT", None)
    return subprocess.Popen(
        [PAPERPULSE, "run", "--source", "synthetic", "--date", day],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: killed with its workers and dbt, not pytest
    )


def wait_for(condition, process: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.slow
def test_a_run_started_while_another_extracts_is_refused_and_a_killed_run_holds_nothing(tmp_path):
    home = tmp_path / "warehouse"
    first = start_run(home, "2022-01-03")
    try:
        wait_for(lambda: any((home / "staging" / "extract").glob("plan-*")), first)  # extracting

        second = start_run(home, "2022-01-04")
        out, err = second.communicate(timeout=300)
        assert second.returncode == 1, out + err
        assert re.fullmatch(
            "paperpulse run: " + BUSY.format(pid=first.pid, command="paperpulse run") + f"{home}; "
            "try again when it has finished\n",
            err,
        ), err
        assert not (home / "landing" / "synthetic" / "2022-01-04").exists()  # it touched nothing
        assert first.poll() is None  # the first is still at work

        os.killpg(first.pid, signal.SIGKILL)  # kill -9, mid-run
        first.wait(timeout=60)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)

    third = start_run(home, "2022-01-04")  # nothing to clear: the lock died with the first
    out, err = third.communicate(timeout=900)
    assert third.returncode == 0, out + err
    new, total = map(int, re.search(r"\((\d+) new, .* (\d+) in the warehouse", out).groups())
    assert new >= 1500 and total >= new + 1500  # the first's day was loaded before it was killed
