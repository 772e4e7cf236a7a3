"""The dashboard, as a person sees it: `streamlit run` on a published warehouse, opened in Debian's
headless Chromium (driven by Playwright with the system browser; nothing is downloaded). The page
loads without errors, every chart draws, a screenshot is kept, and a new run shows on reload."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import httpx
import pytest
from playwright.sync_api import sync_playwright

from paperpulse import dashboard, search
from paperpulse.pipeline import check_marts
from paperpulse.settings import Settings
from paperpulse.text import plain as plain_text
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
# charts on the home page: topic growth, topic share over time, emerging phrases, rising models, datasets and
# tasks, weekly mentions, model x dataset pairs, the chosen leaderboard, its state of the art over time
CHARTS = 10
# with one listed day the share over time and the weekly mentions say why they are not drawn, and the chosen
# board's state of the art has one step, so no step chart
CHARTS_ONE_DAY = 7
THIN = "Trends need a week of history"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(home: Path, log: Path) -> Iterator[str]:
    """`streamlit run paperpulse/dashboard.py` (as `make dashboard` does) on `home`; yields its URL."""
    port = free_port()
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
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}_stcore/health", timeout=2).text == "ok":
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
    server_log = log.read_text()
    assert "Traceback" not in server_log and "Error" not in server_log, server_log


@pytest.fixture
def served(published_home, tmp_path):
    """The dashboard on a copy of the one-day warehouse (the bundled page), which the test changes."""
    home = copy_home(published_home, tmp_path / "warehouse")
    with serve(home, tmp_path / "streamlit.log") as url:
        yield url, home


@contextmanager
def chromium() -> Iterator[tuple[object, list[str]]]:
    """A page in Debian's headless Chromium, and the errors it reported (page errors, console errors)."""
    problems: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # tall enough for the whole page: Streamlit scrolls inside its own container
        page = browser.new_page(viewport={"width": 1400, "height": 4400})
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
        yield page, problems
        browser.close()


def settle(page, selector: str) -> None:
    """The page has drawn `selector` and is done running, with no exception shown."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
    page.wait_for_selector(selector, timeout=90_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000
    )
    assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")


def wait_for_charts(page, charts: int) -> None:
    """Every chart drawn: a Vega-Lite embed with its SVG or canvas, and the page done running."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
    page.wait_for_function(
        f"""() => document.querySelectorAll('.vega-embed svg, .vega-embed canvas').length >= {charts}
                 && !document.querySelector('[data-testid="stStatusWidget"]')""",
        timeout=90_000,
    )
    drawn = page.locator('[data-testid="stVegaLiteChart"]')
    assert drawn.count() == charts
    for i in range(charts):  # each chart has drawn marks, not an empty frame
        marks = "svg .mark-rect path, svg .mark-line path, svg .mark-symbol path, canvas"
        assert drawn.nth(i).locator(marks).count() > 0, i
    assert page.locator('[data-testid="stException"]').count() == 0


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def follow(page, links, heading: str) -> str:
    """Click the first of `links` (a name linking to its page); the page it opens, in the same tab."""
    target, before = links.first, page.url
    name = target.inner_text()
    target.click()
    page.wait_for_url(lambda url: url != before, timeout=30_000)
    settle(page, f"h2:has-text({json.dumps(heading.format(name=name))})")
    return name


@pytest.mark.slow
def test_the_dashboard_on_one_day_says_trends_need_a_week_and_picks_up_a_new_run(served):
    url, home = served
    with chromium() as (page, problems):
        page.goto(url)
        wait_for_charts(page, CHARTS_ONE_DAY)
        body = page.inner_text("body")
        assert "New on 2024-03-11" in body and "Trending topics" in body and "Improvement claims" in body
        # no single dots: the over-time charts say why they are not drawn, the state of the art has one step
        assert body.count(THIN) == 2 and "1 listed day (2024-03-11)" in body
        assert "One step so far" in body
        assert page.locator('[data-testid="stMetricValue"]').first.inner_text() == "139"
        shot(page, "dashboard")

        # a name on the board goes to its page, which says the same about its weekly mentions
        model = follow(
            page, page.locator('table[data-testid="leaderboard"] a[href^="?model="]'), "Model: {name}"
        )
        settle(page, 'table[data-testid="papers"]')
        assert THIN in page.inner_text("body")
        shot(page, "dashboard-one-day-model")

        # a new run publishes while the page is open; a reload shows it (the page holds no connection)
        page.goto(url)
        wait_for_charts(page, CHARTS_ONE_DAY)
        with duckdb.connect(str(home / "build.duckdb")) as con:  # the next run's marts differ
            con.execute("delete from marts.whats_new where item_type = 'claim'")
        settings = Settings(home=home, trending_year=2024, extract_batch_size=2000)
        check_marts(settings)  # publish publishes only marts that passed the gate as they are
        assert publish(settings, "the-next-run").published
        page.reload()
        wait_for_charts(page, CHARTS_ONE_DAY)
        assert "run the-next-run" in page.inner_text("body")
        assert page.locator('[data-testid="stMetricValue"]').nth(1).inner_text() == "0"  # new claims
    assert problems == []
    assert model


@pytest.mark.slow
def test_the_dashboard_on_real_history_boards_state_of_the_art_pages_and_search(real_history, tmp_path):
    home, _ = real_history  # the dashboard only reads it
    serving = home / "serving.duckdb"
    with duckdb.connect(str(serving), read_only=True) as con:
        board, models, steps = con.execute(
            "select board, model_count, (select count(*) from sota_progression as s"
            " where s.board_id = b.board_id)"
            " from boards as b order by model_count desc, board limit 1"
        ).fetchone()
        task, task_boards = con.execute(
            "select task, list(board) from boards where task is not null and task <> "
            "(select task from boards order by model_count desc, board limit 1) "
            "group by task order by count(*) desc, task limit 1"
        ).fetchone()
        words = "speech recognition"
        ranked = [t for (t,) in con.execute("select title from search(?) order by rank", [words]).fetchall()]
        with_code = [
            t
            for (t,) in con.execute(
                "select title from search(?, with_code := true) order by rank", [words]
            ).fetchall()
        ]
        (named,) = con.execute(  # the first paper with code found that names a model, dataset or task
            "select min(rank) from search(?, with_code := true) as found where exists (select 1"
            " from fct_mentions as m where m.paper_id = found.paper_id"
            " and m.entity_type in ('model', 'dataset', 'task'))",
            [words],
        ).fetchone()
    assert models >= 3 and steps >= 2 and len(ranked) == 20 and with_code and set(with_code) != set(ranked)

    with serve(home, tmp_path / "streamlit.log") as url, chromium() as (page, problems):
        page.goto(url)
        wait_for_charts(page, CHARTS)
        body = page.inner_text("body")
        assert THIN not in body and "State of the art over time" in body
        # the default board is the one with the most models, drawn with its state of the art step chart
        task_box = page.get_by_role("combobox", name="Task", exact=True)
        board_box = page.get_by_role("combobox", name=re.compile("^Board"))
        assert board_box.input_value() == board
        assert page.locator('table[data-testid="leaderboard"] tbody tr').count() == models
        step_chart = page.locator('[data-testid="stVegaLiteChart"]').filter(has_text="Best known")
        assert step_chart.locator("svg .mark-line path").count() == 1
        assert step_chart.locator("svg .mark-symbol path").count() == steps
        shot(page, "dashboard-real-history")

        # the task picker narrows the boards to that task's
        task_box.click()
        page.get_by_role("option", name=task, exact=True).click()
        page.wait_for_selector(f"text=All boards of the task {task}", timeout=60_000)
        settle(page, 'table[data-testid="leaderboard"]')
        assert task_box.input_value() == task and board_box.input_value() in task_boards
        board_box.click()
        assert sorted(page.get_by_role("option").all_inner_texts()) == sorted(task_boards)
        page.keyboard.press("Escape")

        # search: the ranked papers of the search macro, then with code only
        page.get_by_label("Search papers").fill(words)
        page.get_by_label("Search papers").press("Enter")
        settle(page, 'table[data-testid="search-results"]')
        results = page.locator('table[data-testid="search-results"] tbody tr')
        assert results.locator("td:nth-child(1)").all_inner_texts() == [str(i) for i in range(1, 21)]
        assert results.locator("td:nth-child(2)").all_inner_texts() == [plain_text(t) for t in ranked]
        shot(page, "dashboard-search")
        page.get_by_text("Papers with code only").click()
        titles = [plain_text(t) for t in with_code]  # the page reruns with them
        page.wait_for_function(
            """titles => JSON.stringify(Array.from(document.querySelectorAll(
                   'table[data-testid="search-results"] tbody td:nth-child(2)'), td => td.innerText)) ==
                 JSON.stringify(titles)""",
            arg=titles,
            timeout=60_000,
        )
        settle(page, 'table[data-testid="search-results"]')
        assert results.locator("td:nth-child(2)").all_inner_texts() == titles
        codes = results.locator("td:nth-child(6)")
        assert all(text.startswith("code") for text in codes.all_inner_texts())  # each links its code
        # the filter goes along to the pages a name opens: a paper found, then a name it mentions
        found = results.nth(named - 1).locator('a[href^="?paper="]')
        follow(page, found, "{name}")
        assert "code=1" in page.url
        follow(page, page.locator('a[href*="?model="], a[href*="?dataset="], a[href*="?task="]'), ": {name}")
        settle(page, 'table[data-testid="papers"]')
        assert "code=1" in page.url and page.get_by_label("Papers with code only").is_checked()
        codes = page.locator('table[data-testid="papers"] tbody td:nth-child(5)').all_inner_texts()
        assert codes and all(text.startswith("code") for text in codes)

        # every name goes to its page: the board's leader, a dataset and a task named with it, a paper
        page.goto(url)
        wait_for_charts(page, CHARTS)
        model = follow(
            page, page.locator('table[data-testid="leaderboard"] a[href^="?model="]'), "Model: {name}"
        )
        settle(page, 'table[data-testid="papers"]')
        assert page.locator('table[data-testid="results"] tbody tr').count() >= 1
        with duckdb.connect(str(serving), read_only=True) as con:
            (weeks,) = con.execute(
                "select count(*) from entity_weekly_mentions where entity_type = 'model' and entity = ?",
                [model],
            ).fetchone()
        weekly = page.locator('[data-testid="stVegaLiteChart"]').filter(
            has_text=f"Mentions of {model} per week"
        )
        # its weekly mentions: a line over the weeks, or, named in one week only, no single dot
        assert weekly.count() == (weeks > 1)
        assert ("Named in one week so far" in page.inner_text("body")) == (weeks == 1)
        shot(page, "dashboard-model")
        dataset = follow(
            page, page.locator('table[data-testid="results"] a[href^="?dataset="]'), "Dataset: {name}"
        )
        settle(page, 'table[data-testid="papers"]')
        assert page.locator('table[data-testid="boards"] tbody tr').count() >= 1
        shot(page, "dashboard-dataset")
        follow(page, page.locator('table[data-testid="boards"] a[href^="?task="]'), "Task: {name}")
        settle(page, 'table[data-testid="papers"]')
        assert page.locator('table[data-testid="boards"] tbody tr').count() >= 1
        shot(page, "dashboard-task")
        title = follow(page, page.locator('table[data-testid="papers"] a[href^="?paper="]'), "{name}")
        assert (
            page.locator('a:has-text("arXiv")').first.get_attribute("href").startswith("https://arxiv.org/")
        )
        assert "Models, datasets and tasks named" in page.inner_text("body")
        shot(page, "dashboard-paper")
    assert problems == []
    assert model and dataset and title


def test_the_dashboard_reads_only_the_marts_its_exposure_lists(published_home, tmp_path):
    assert set(dashboard.MARTS_READ) == exposure_marts("paperpulse_dashboard")
    serving = published_home / "serving.duckdb"
    subset = only_marts(serving, set(dashboard.MARTS_READ), tmp_path / "s.duckdb")
    with duckdb.connect(str(subset)) as con:  # the serving file's search macros, over the subset's marts
        con.execute(f"attach '{serving}' as serving (read_only)")
        search.install(con, "serving")
    snapshot = dashboard.load_snapshot(subset, query="speech recognition", with_code=True)
    assert str(snapshot.as_of_day)[:10] == "2024-03-11"
    assert len(snapshot["search"]) and snapshot["search"]["has_code"].all()
    for kind, name in [
        ("model", snapshot["leaderboards"]["model"].iloc[0]),
        ("dataset", snapshot["leaderboards"]["dataset"].iloc[0]),
        ("task", snapshot.tasks[0]),
        ("paper", snapshot["search"]["paper_id"].iloc[0]),
    ]:
        page = dashboard.load_entity(subset, kind, name)
        assert len(page["results" if kind != "paper" else "paper"]) > 0, (kind, name)
        if kind != "paper":  # papers with code only: the same list, less the papers without
            papers = page["papers"]
            with_code = dashboard.load_entity(subset, kind, name, with_code=True)["papers"]
            assert list(with_code["paper_id"]) == list(papers[papers["has_code"]]["paper_id"])


def test_the_boards_to_choose_are_the_chosen_tasks_most_models_first(published_home):
    serving = published_home / "serving.duckdb"
    everything = dashboard.load_snapshot(serving)
    assert everything.task == dashboard.ALL_TASKS and everything.thin  # one listed day
    with duckdb.connect(str(serving), read_only=True) as con:
        (most,) = con.execute("select max(model_count) from boards").fetchone()
        task, boards = con.execute(
            "select task, list(board order by model_count desc, board) from boards where task is not null "
            "group by task order by count(*) desc, task limit 1"
        ).fetchone()
    assert everything["boards"]["model_count"].iloc[0] == most and everything.board == everything.boards[0]
    assert len(everything["leaderboards"]) == most  # the default board is one with the most models
    one_task = dashboard.load_snapshot(serving, board=everything.board, task=task)
    assert one_task.task == task and one_task.boards == boards
    assert one_task.board == (everything.board if everything.board in boards else boards[0])
    assert set(one_task["leaderboards"]["task"]) == {task}
    assert set(one_task["sota_progression"]["board"]) == {one_task.board}


def test_the_screenshot_is_a_test_artifact_that_git_ignores():
    ignored = subprocess.run(["git", "check-ignore", "-q", "test-artifacts/dashboard.png"], cwd=REPO)
    assert ignored.returncode == 0
    assert Path(CHROMIUM).exists(), "Debian's chromium package is needed (.ci/run installs it)"
