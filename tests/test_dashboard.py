"""The dashboard, as a person sees it: `streamlit run` on a published warehouse, opened in Debian's
headless Chromium (driven by Playwright with the system browser; nothing is downloaded). The page
loads without errors, every chart draws, a screenshot is kept, and a new run shows on reload."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import pytest
from playwright.sync_api import sync_playwright

from paperpulse import dashboard
from paperpulse.pipeline import check_marts
from paperpulse.settings import Settings
from paperpulse.warehouse.publish import publish
from tests.conftest import REPO, copy_home
from tests.test_digest import exposure_marts, only_marts

CHROMIUM = "/usr/bin/chromium"
# Chromium on a closed network: no background fetches, no first-run work, a fresh profile (Playwright's)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "test-artifacts"
# charts on the page: topic growth, topic share over time, emerging phrases, rising models, rising
# datasets, weekly mentions, model x dataset pairs, the selected leaderboard
CHARTS = 8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(published_home, tmp_path):
    """`streamlit run paperpulse/dashboard.py` (as `make dashboard` does) on a copy of a published home."""
    home = copy_home(published_home, tmp_path / "warehouse")
    port = free_port()
    log = tmp_path / "streamlit.log"
    env = {**os.environ, "PAPERPULSE_HOME": str(home)}
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", "paperpulse/dashboard.py",
                "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
                "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
                "--client.toolbarMode", "viewer",
            ],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=2).text == "ok":
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        yield url, home, log
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_for_charts(page) -> None:
    """Every chart drawn: a Vega-Lite embed with its SVG or canvas, and the page done running."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
    page.wait_for_function(
        f"""() => document.querySelectorAll('.vega-embed svg, .vega-embed canvas').length >= {CHARTS}
                 && !document.querySelector('[data-testid="stStatusWidget"]')""",
        timeout=90_000,
    )


@pytest.mark.slow
def test_the_dashboard_loads_draws_every_chart_and_picks_up_a_new_run(served):
    url, home, log = served
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # tall enough for the whole page: Streamlit scrolls inside its own container
        page = browser.new_page(viewport={"width": 1400, "height": 4400})
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
        page.goto(url)
        wait_for_charts(page)

        charts = page.locator('[data-testid="stVegaLiteChart"]')
        assert charts.count() == CHARTS
        for i in range(CHARTS):  # each chart has drawn marks, not an empty frame
            assert (
                charts.nth(i)
                .locator("svg .mark-rect path, svg .mark-line path, svg .mark-symbol path, canvas")
                .count()
                > 0
            ), i
        assert page.locator('[data-testid="stException"]').count() == 0
        body = page.inner_text("body")
        assert "New on 2024-03-11" in body and "Trending topics" in body and "Improvement claims" in body
        assert page.locator('[data-testid="stMetricValue"]').first.inner_text() == "139"
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

        # a new run publishes while the page is open; a reload shows it (the page holds no connection)
        with duckdb.connect(str(home / "build.duckdb")) as con:  # the next run's marts differ
            con.execute("delete from marts.whats_new where item_type = 'claim'")
        settings = Settings(home=home, trending_year=2024, extract_batch_size=2000)
        check_marts(settings)  # publish publishes only marts that passed the gate as they are
        assert publish(settings, "the-next-run").published
        page.reload()
        wait_for_charts(page)
        assert "run the-next-run" in page.inner_text("body")
        assert page.locator('[data-testid="stMetricValue"]').nth(1).inner_text() == "0"  # new claims
        browser.close()

    assert problems == []
    server_log = log.read_text()
    assert "Traceback" not in server_log and "Error" not in server_log, server_log


def test_the_dashboard_reads_only_the_marts_its_exposure_lists(published_home, tmp_path):
    assert set(dashboard.MARTS_READ) == exposure_marts("paperpulse_dashboard")
    subset = only_marts(published_home / "serving.duckdb", set(dashboard.MARTS_READ), tmp_path / "s.duckdb")
    snapshot = dashboard.load_snapshot(subset)
    assert snapshot.frames.keys() == set(dashboard.MARTS_READ)
    assert str(snapshot.as_of_day)[:10] == "2024-03-11"


def test_the_screenshot_is_a_test_artifact_that_git_ignores():
    ignored = subprocess.run(["git", "check-ignore", "-q", "test-artifacts/dashboard.png"], cwd=REPO)
    assert ignored.returncode == 0
    assert Path(CHROMIUM).exists(), "Debian's chromium package is needed (.ci/run installs it)"
