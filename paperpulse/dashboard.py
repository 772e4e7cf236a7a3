"""The paperpulse dashboard (Streamlit): `make dashboard`, or
`streamlit run paperpulse/dashboard.py` with PAPERPULSE_HOME pointing at a warehouse.

The home page: search, what is new, trending topics, rising models and datasets, and the boards (task ->
board picker, the ranking with its evidence, the state of the art over time). A page per model, dataset, task
and paper, addressed by query parameters (`?model=GPT-4o`, `?dataset=GSM8K`, `?task=...`, `?paper=<id>`);
every name links to its page.

Each page load reads everything it shows through one read-only connection to the published serving
file and closes it before drawing, so the page is one run's marts, never holds the file between
reruns, never blocks a run, and shows a newer run on the next rerun.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import altair as alt
import duckdb
import pandas as pd
import streamlit as st

from paperpulse.settings import Settings
from paperpulse.text import plain as plain_text

# Marts this dashboard reads; the dbt exposure `paperpulse_dashboard` lists the same (a test checks).
MARTS_READ = (
    "trending_topics",
    "topic_trends",
    "emerging_phrases",
    "rising_entities",
    "entity_weekly_mentions",
    "model_dataset_pairs",
    "boards",
    "leaderboards",
    "leaderboard_improvements",
    "sota_progression",
    "whats_new",
    "dim_papers",
    "dim_models",
    "dim_datasets",
    "dim_tasks",
    "fct_mentions",
    "fct_benchmark_results",
    "search_postings",  # through the serving file's `search` macro
)

TOPICS_SHOWN = 15
TOPICS_OVER_TIME = 6
ENTITIES_SHOWN = 15
ENTITIES_OVER_TIME = 8
PAIRS_SHOWN = 40
IMPROVEMENTS_SHOWN = 200  # when the chosen board has none: the first of every board's
BOARDS_SHOWN = 300  # the biggest boards (of the chosen task) to choose from
ROWS_SHOWN = 50  # rows of a linked table
PAPERS_SHOWN = 100  # papers on an entity page, newest first
CO_MENTIONED_SHOWN = 30
SEARCH_RESULTS = 20
TREND_DAYS = 7  # less history than this: over-time charts say so instead of drawing a dot or two
ALL_TASKS = "All tasks"
ENTITY_KINDS = ("model", "dataset", "task")  # the entity types with a page (and `paper`)


@dataclass
class Snapshot:
    run_id: str
    published_at: object
    as_of_day: object
    history: tuple  # (first listed day, last listed day, listed days) over every paper
    frames: dict[str, pd.DataFrame]
    tasks: list[str]  # tasks with a board, most boards first
    task: str  # the chosen task, or ALL_TASKS
    boards: list[str]  # board names of the chosen task, most models first
    board: str | None  # the chosen board: frames["leaderboards"] and frames["sota_progression"] are its
    query: str  # the search box's words; frames["search"] is their ranked papers

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]

    @property
    def thin(self) -> bool:
        """Too little history for a trend: fewer than a week of listed days."""
        return self.history[2] < TREND_DAYS


# What the page shows, and no more: over a million papers the marts hold hundreds of thousands of rows
# (weeks of every entity, every board), so each query keeps what is drawn. $board_id, $dataset and $metric
# are the chosen leaderboard's; $with_code keeps papers with code only.
QUERIES = {
    "trending_topics": "select * from trending_topics order by rank, topic_label",
    "topic_trends": f"""
        select * from topic_trends
        where topic_id in (
            select topic_id from trending_topics order by rank, topic_label limit {TOPICS_OVER_TIME}
        )""",
    "emerging_phrases": "select * exclude (recent_paper_ids) from emerging_phrases order by rank, phrase",
    "rising_entities": "select * from rising_entities where recent_papers > 0 order by rank, entity",
    "entity_weekly_mentions": f"""
        select * from entity_weekly_mentions
        where entity in (
            select entity from rising_entities
            where recent_papers > 0 and entity_type in ('model', 'dataset')
            order by rank, entity limit {ENTITIES_OVER_TIME}
        )""",
    "model_dataset_pairs": f"""
        select * from model_dataset_pairs order by paper_count desc, claim_count desc, model, dataset
        limit {PAIRS_SHOWN}""",
    "leaderboards": "select * from leaderboards where board_id = $board_id order by rank, model",
    "sota_progression": "select * from sota_progression where board_id = $board_id order by step",
    "leaderboard_improvements": f"""
        with beside as (
            select * from leaderboard_improvements where dataset = $dataset and metric = $metric
        )
        select * from beside
        union all
        (select * from leaderboard_improvements where not exists (select 1 from beside)
         order by dataset, metric, value desc limit {IMPROVEMENTS_SHOWN})
        order by dataset, metric, value desc""",
    # claims that name a model first: those are the ones a reader can place
    "whats_new": """
        select new.*, coalesce(papers.has_code, false) as has_code, papers.paper_url
        from whats_new as new left join dim_papers as papers using (paper_id)
        where not $with_code or new.item_type <> 'paper' or papers.has_code
        order by new.item_type, new.name like '(no model)%', new.name""",
}
HISTORY = (
    "select min(first_listed_date), max(first_listed_date), count(distinct first_listed_date) from dim_papers"
)
# tasks with a board, most boards first
TASKS = "select task from boards where task is not null group by task order by count(*) desc, task"
# the boards to choose from: the ones ranking most models first, then by name
BOARDS = f"""
    select board, board_id, task, dataset, metric, model_count from boards
    where $task is null or task = $task
    order by model_count desc, board limit {BOARDS_SHOWN}"""
SEARCH = """
    select found.*, papers.topics
    from search($query, k := $k, with_code := $with_code) as found join dim_papers as papers using (paper_id)
    order by found.rank"""


def _run(con: duckdb.DuckDBPyConnection, sql: str, values: dict) -> pd.DataFrame:
    """`sql` with the named parameters it uses (DuckDB refuses ones it does not)."""
    return con.execute(sql, {k: v for k, v in values.items() if f"${k}" in sql}).df()


def load_snapshot(
    serving_db: Path,
    board: str | None = None,
    task: str | None = None,
    query: str = "",
    with_code: bool = False,
) -> Snapshot:
    """Everything the home page shows, read through one read-only connection that is closed on return.
    `task` narrows the boards to choose from (default: every task's); `board` is the leaderboard chosen
    (default: the one ranking most models); `query` the words searched; `with_code`: papers with code only."""
    with duckdb.connect(str(serving_db), read_only=True) as con:
        run_id, published_at = con.execute("select run_id, published_at from publish_info").fetchone()
        history = con.execute(HISTORY).fetchone()
        tasks = [row[0] for row in con.execute(TASKS).fetchall()]
        task = task if task in tasks else ALL_TASKS
        boards_frame = _run(con, BOARDS, {"task": None if task == ALL_TASKS else task})
        boards = {row.board: row for row in boards_frame.itertuples()}
        names = list(boards)
        board = board if board in boards else (names[0] if names else None)
        key = boards.get(board)
        values = {
            "board_id": key.board_id if key else None,
            "dataset": key.dataset if key else None,
            "metric": key.metric if key else None,
            "with_code": with_code,
        }
        frames = {name: _run(con, sql, values) for name, sql in QUERIES.items()}
        frames["boards"] = boards_frame
        query = query.strip()
        frames["search"] = (
            _run(con, SEARCH, {"query": query, "k": SEARCH_RESULTS, "with_code": with_code})
            if query
            else pd.DataFrame()
        )
    as_of = frames["trending_topics"]["as_of_day"].max() if len(frames["trending_topics"]) else None
    return Snapshot(run_id, published_at, as_of, history, frames, tasks, task, names, board, query)


# One page per model, dataset or task ($name) and per paper ($paper_id).
ENTITY_QUERIES = {
    "papers": f"""
        select paper_id, title, first_listed_date, paper_url, has_code, code_urls, topics from dim_papers
        where paper_id in (select paper_id from fct_mentions where entity_type = $kind and canonical = $name)
          and (not $with_code or has_code)
        order by first_listed_date desc, paper_id limit {PAPERS_SHOWN}""",
    "paper_count": """
        select count(distinct paper_id) as papers from fct_mentions
        where entity_type = $kind and canonical = $name""",
    "weekly": """
        select * from entity_weekly_mentions where entity_type = $kind and entity = $name
        order by week_start""",
    "co_mentioned": f"""
        with its_papers as (
            select distinct paper_id from fct_mentions where entity_type = $kind and canonical = $name
        )
        select entity_type, canonical as entity, count(distinct paper_id) as papers
        from fct_mentions join its_papers using (paper_id)
        where entity_type in {ENTITY_KINDS} and not (entity_type = $kind and canonical = $name)
        group by all order by papers desc, entity_type, entity limit {CO_MENTIONED_SHOWN}""",
    # its results on every board: a model's own rows; a dataset's or a task's boards, every model
    "results": """
        select * from leaderboards
        where (model = $name and $kind = 'model') or (dataset = $name and $kind = 'dataset')
           or (task = $name and $kind = 'task')
        order by board, rank, model""",
    "boards": """
        select * from boards
        where (dataset = $name and $kind = 'dataset') or (task = $name and $kind = 'task')
           or (board_id in (select board_id from leaderboards where model = $name) and $kind = 'model')
        order by model_count desc, board""",
    "sota": """
        select * from sota_progression
        where (model = $name and $kind = 'model') or (dataset = $name and $kind = 'dataset')
           or (task = $name and $kind = 'task')
        order by board, step""",
}
DIMENSION = {"model": "dim_models", "dataset": "dim_datasets", "task": "dim_tasks"}
PAPER_QUERIES = {
    "paper": "select * from dim_papers where paper_id = $name",
    "entities": f"""
        select entity_type, canonical as entity, count(*) as mentions from fct_mentions
        where paper_id = $name and entity_type in {ENTITY_KINDS}
        group by all order by entity_type, mentions desc, entity""",
    "claims": """
        select * from fct_benchmark_results where paper_id = $name order by result_index""",
    "results": "select * from leaderboards where paper_id = $name order by board, rank",
    "sota": "select * from sota_progression where paper_id = $name order by board, step",
}


@dataclass
class EntityPage:
    kind: str  # model, dataset, task or paper
    name: str  # the entity's canonical name, or the paper's id
    history: tuple
    frames: dict[str, pd.DataFrame]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]


def load_entity(serving_db: Path, kind: str, name: str, with_code: bool = False) -> EntityPage:
    """What a model's, dataset's, task's or paper's page shows, through one read-only connection."""
    with duckdb.connect(str(serving_db), read_only=True) as con:
        history = con.execute(HISTORY).fetchone()
        values = {"kind": kind, "name": name, "with_code": with_code}
        if kind == "paper":
            frames = {key: _run(con, sql, values) for key, sql in PAPER_QUERIES.items()}
        else:
            frames = {key: _run(con, sql, values) for key, sql in ENTITY_QUERIES.items()}
            column = kind
            frames["about"] = _run(con, f"select * from {DIMENSION[kind]} where {column} = $name", values)
    return EntityPage(kind, name, history, frames)


# Links and linked tables. Streamlit's markdown opens links in a new tab unless the anchor says otherwise, so
# links to the dashboard's own pages are anchors with target="_self".
def href(kind: str, name: str) -> str:
    """The page's address; the papers-with-code filter goes along (`&code=1`)."""
    code = "&code=1" if st.session_state.get("with_code") else ""
    return f"?{kind}={quote(str(name), safe='')}{code}"


def link(kind: str, name: object, text: object | None = None) -> str:
    if name is None or pd.isna(name):
        return ""
    shown = html.escape(plain_text(str(name if text is None else text)))
    return f'<a href="{href(kind, name)}" target="_self">{shown}</a>'


def out_link(url: object, text: str) -> str:
    if not isinstance(url, str) or not url:
        return ""
    return f'<a href="{html.escape(url)}" target="_blank" rel="noopener">{html.escape(text)}</a>'


def plain(value: object) -> str:
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return ""
    if isinstance(value, list | tuple):
        return html.escape(", ".join(map(str, value)))
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    return html.escape(plain_text(str(value)))


def linked_table(rows: list[dict[str, str]], test_id: str) -> None:
    """Rows of cells already in HTML (escape with `plain`, or `link`), as one table."""
    if not rows:
        return
    head = "".join(f"<th>{html.escape(column)}</th>" for column in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row.values()) + "</tr>" for row in rows)
    st.markdown(
        f'<table data-testid="{test_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>',
        unsafe_allow_html=True,
    )


def code_cell(urls: object, has_code: bool, paper_url: object) -> str:
    """Its code links; or the paper's page, when its abstract says the code is at a link the listing hid."""
    urls = [] if urls is None else list(urls)
    if urls:
        return " ".join(out_link(url, "code") for url in urls[:2])
    return out_link(paper_url, "code (on arXiv)") if has_code else ""


def paper_rows(papers: pd.DataFrame) -> list[dict[str, str]]:
    """Papers as table rows: the title links to the paper's page, then arXiv and code links."""
    return [
        {
            "paper": link("paper", row.paper_id, row.title),
            "listed": plain(row.first_listed_date),
            "topics": plain(list(row.topics) if row.topics is not None else None),
            "arXiv": out_link(row.paper_url, "arXiv"),
            "code": code_cell(row.code_urls, row.has_code, row.paper_url),
        }
        for row in papers.head(ROWS_SHOWN).itertuples()
    ]


def result_rows(results: pd.DataFrame, board_column: bool = True) -> list[dict[str, str]]:
    """Leaderboard rows with their evidence; names link to their pages."""
    rows = []
    for row in results.head(ROWS_SHOWN).itertuples():
        cells = {"board": plain(row.board), "dataset": link("dataset", row.dataset)} if board_column else {}
        cells |= {
            "rank": plain(row.rank),
            "model": link("model", row.model),
            "value": plain(f"{row.value_text}{row.unit_as_written or ''}"),
            "task": link("task", row.task),
            "evidence": plain(row.evidence),
            "paper": link("paper", row.paper_id, row.paper_title),
        }
        rows.append(cells)
    return rows


def chart(spec: alt.Chart) -> None:
    st.altair_chart(spec, width="stretch")


def thin_history(history: tuple) -> str:
    first, last, days = history
    span = f"{first:%Y-%m-%d}" if days == 1 else f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
    return (
        f"Trends need a week of history: this warehouse has {days} listed day{'s' * (days != 1)} ({span}). "
        "Backfill more days (`make run` builds six months) to see them."
    )


def sota_chart(steps: pd.DataFrame, title: str) -> None:
    """Papers with Code's best-known plot: the board's best value over time, a step at each new best."""
    direction = steps["direction"].iloc[0]
    chart(
        alt.Chart(steps, title=title)
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=alt.X("first_listed_date:T", title="first listed"),
            y=alt.Y(
                "value:Q",
                title=f"best {steps['metric'].iloc[0]} {steps['unit'].iloc[0]} ({direction} is better)",
                scale=alt.Scale(zero=False),
            ),
            tooltip=["step", "first_listed_date", "model", "value_text", "gain", "paper_title", "evidence"],
        )
    )


def search(snapshot: Snapshot) -> None:
    if not snapshot.query:
        return
    found = snapshot["search"]
    if found.empty:
        st.info(f"No paper has the words {snapshot.query!r}.")
        return
    st.caption(
        f"{len(found)} papers for {snapshot.query!r}, best match first (BM25 over titles and abstracts)"
    )
    rows = [{"rank": plain(rank)} | row for rank, row in zip(found["rank"], paper_rows(found), strict=True)]
    linked_table(rows, "search-results")


def trending_topics(snapshot: Snapshot) -> None:
    st.header("Trending topics")
    st.caption(
        "Papers in the last 7 days up to the latest listed day against the 28 days before. "
        "Growth = (recent + 1) / (baseline / 4 + 1): above 1 is rising."
    )
    topics = snapshot["trending_topics"].head(TOPICS_SHOWN)
    left, right = st.columns(2)
    with left:
        chart(
            alt.Chart(topics, title="Growth, fastest first")
            .mark_bar()
            .encode(
                x=alt.X("growth:Q", title="growth"),
                y=alt.Y("topic_label:N", sort=None, title=None),
                color=alt.Color("trend:N", title="trend"),
                tooltip=["topic_label", "recent_papers", "baseline_papers", "growth", "trend"],
            )
        )
    with right:
        if snapshot.thin:
            st.subheader("Share of papers over time")
            st.info(thin_history(snapshot.history))
        else:
            period = st.radio("Share per", ["week", "day"], horizontal=True, key="period")
            top = snapshot["trending_topics"].head(TOPICS_OVER_TIME)["topic_id"]
            trends = snapshot["topic_trends"]
            trends = trends[(trends["period"] == period) & trends["topic_id"].isin(top)]
            chart(
                alt.Chart(trends, title=f"Share of papers per {period}, top {TOPICS_OVER_TIME} topics")
                .mark_line(point=True)
                .encode(
                    x=alt.X("period_start:T", title=period),
                    y=alt.Y("share:Q", title="share of papers", axis=alt.Axis(format="%")),
                    color=alt.Color("topic_label:N", title="topic"),
                    tooltip=["topic_label", "period_start", "paper_count", "papers_in_period", "share"],
                )
            )

    st.subheader("Emerging phrases (not in the taxonomy yet)")
    phrases = snapshot["emerging_phrases"].head(TOPICS_SHOWN)
    if phrases.empty:
        st.info("No phrase is emerging in the last 7 days.")
    else:
        chart(
            alt.Chart(phrases, title="Papers in the last 7 days")
            .mark_bar()
            .encode(
                x=alt.X("recent_papers:Q", title="papers"),
                y=alt.Y("phrase:N", sort=None, title=None),
                tooltip=["phrase", "recent_papers", "baseline_papers", "growth"],
            )
        )


def rising_entities(snapshot: Snapshot) -> None:
    st.header("Rising models, datasets and tasks")
    rising = snapshot["rising_entities"]
    for column, kind in zip(st.columns(3), ENTITY_KINDS, strict=True):
        with column:
            top = rising[rising["entity_type"] == kind].head(ENTITIES_SHOWN)
            chart(
                alt.Chart(top, title=f"{kind.capitalize()}s: papers in the last 7 days")
                .mark_bar()
                .encode(
                    x=alt.X("recent_papers:Q", title="papers"),
                    y=alt.Y("entity:N", sort=None, title=None),
                    color=alt.Color("growth:Q", scale=alt.Scale(scheme="oranges")),
                    tooltip=["entity", "recent_papers", "baseline_papers", "recent_mentions", "growth"],
                )
            )
            st.markdown(
                " · ".join(link(kind, name) for name in top["entity"]) or "none yet",
                unsafe_allow_html=True,
            )

    if snapshot.thin:
        st.subheader("Mentions per week")
        st.info(thin_history(snapshot.history))
    else:
        top_names = rising[rising["entity_type"].isin(["model", "dataset"])].head(8)["entity"]
        weekly = snapshot["entity_weekly_mentions"]
        weekly = weekly[weekly["entity"].isin(top_names)]
        chart(
            alt.Chart(weekly, title="Mentions per week of the top rising models and datasets")
            .mark_line(point=True)
            .encode(
                x=alt.X("week_start:T", title="week"),
                y=alt.Y("mentions:Q"),
                color=alt.Color("entity:N"),
                tooltip=["entity", "entity_type", "week_start", "papers", "mentions"],
            )
        )

    pairs = snapshot["model_dataset_pairs"].head(PAIRS_SHOWN)
    chart(
        alt.Chart(pairs, title="Used together: papers naming both a model and a dataset")
        .mark_rect()
        .encode(
            x=alt.X("dataset:N", title=None),
            y=alt.Y("model:N", title=None),
            color=alt.Color("paper_count:Q", title="papers", scale=alt.Scale(scheme="blues")),
            tooltip=["model", "dataset", "paper_count", "claim_count"],
        )
    )


def leaderboards(snapshot: Snapshot) -> None:
    st.header("Leaderboards and the state of the art")
    board = snapshot["leaderboards"]
    improvements = snapshot["leaderboard_improvements"]
    # the page was read for the task and board chosen last (main passes them), so choosing one reruns it;
    # the widgets' values are set to what was read (a board of another task falls back to the first)
    st.session_state["task"] = snapshot.task
    st.session_state["board"] = snapshot.board
    pick_task, pick_board = st.columns([1, 2])
    pick_task.selectbox("Task", [ALL_TASKS, *snapshot.tasks], key="task")
    if board.empty:
        st.info("No ranked board yet: no absolute score names a model, a dataset and a known metric.")
        return
    choice = pick_board.selectbox(
        "Board: dataset · metric · setting (most models first)", snapshot.boards, key="board"
    )
    if snapshot.task != ALL_TASKS:
        st.markdown(f"All boards of the task {link('task', snapshot.task)}", unsafe_allow_html=True)
    direction = board["direction"].iloc[0]
    left, right = st.columns([3, 2])
    with left:
        st.caption(
            f"Best score per model, in the metric's unit; {direction} is better; evidence: the sentence read."
        )
        chart(
            alt.Chart(board, title=choice)
            .mark_bar()
            .encode(
                x=alt.X(
                    "value:Q",
                    title=f"{board['metric'].iloc[0]} {board['unit'].iloc[0]} ({direction} is better)",
                ),
                y=alt.Y("model:N", sort=list(board["model"]), title=None),
                tooltip=["rank", "model", "value_text", "paper_title", "evidence"],
            )
        )
        linked_table(result_rows(board, board_column=False), "leaderboard")
    with right:
        st.subheader("State of the art over time")
        steps = snapshot["sota_progression"]
        if len(steps) < 2:
            st.info(
                "One step so far: the state of the art moves when a later paper beats the first result "
                f"({steps['model'].iloc[0] if len(steps) else 'none'}); "
                "boards with more history draw a step chart."
            )
        else:
            sota_chart(steps, f"Best known {board['metric'].iloc[0]} on {board['dataset'].iloc[0]}")
        dataset, metric = board["dataset"].iloc[0], board["metric"].iloc[0]
        beside = improvements[(improvements["dataset"] == dataset) & (improvements["metric"] == metric)]
        st.subheader("Improvement claims")
        st.caption("Gains over a baseline are listed here, never ranked on the board.")
        shown = beside if not beside.empty else improvements
        if beside.empty:
            st.caption(
                f"None on this board; improvement claims on every board (the first {IMPROVEMENTS_SHOWN}):"
            )
        st.dataframe(
            shown[
                ["model", "value_text", "unit", "evidence", "dataset", "metric", "condition", "paper_title"]
            ],
            hide_index=True,
        )


def whats_new(snapshot: Snapshot) -> None:
    st.header(f"New on {snapshot.as_of_day:%Y-%m-%d}")
    new = snapshot["whats_new"]
    counts = new["item_type"].value_counts()
    for column, (kind, label) in zip(
        st.columns(4),
        [
            ("paper", "new papers"),
            ("claim", "new claims"),
            ("model", "first-seen models"),
            ("dataset", "first-seen datasets"),
        ],
        strict=True,
    ):
        column.metric(label, int(counts.get(kind, 0)))
    claims, papers, entities = st.tabs(["Claims", "Papers", "Models and datasets"])
    with claims:
        st.dataframe(
            new[new["item_type"] == "claim"][["name", "detail", "paper_title"]].rename(
                columns={"name": "claim", "detail": "evidence", "paper_title": "paper"}
            ),
            hide_index=True,
        )
    with papers:
        shown = new[new["item_type"] == "paper"]
        linked_table(
            [
                {
                    "paper": link("paper", row.paper_id, row.name),
                    "topics": plain(row.detail),
                    "arXiv": out_link(row.paper_url, "arXiv"),
                    "code": code_cell(None, row.has_code, row.paper_url),
                }
                for row in shown.head(ROWS_SHOWN).itertuples()
            ],
            "new-papers",
        )
        if len(shown) > ROWS_SHOWN:
            st.caption(f"The first {ROWS_SHOWN} of {len(shown)}.")
    with entities:
        linked_table(
            [
                {
                    "type": plain(row.item_type),
                    "name": link(row.item_type, row.name),
                    "seen": plain(row.detail),
                    "paper": link("paper", row.paper_id, row.paper_title),
                }
                for row in new[new["item_type"].isin(["model", "dataset"])].head(ROWS_SHOWN).itertuples()
            ],
            "new-entities",
        )


def entity_page(page: EntityPage) -> None:
    kind, name = page.kind, page.name
    about = page["about"]
    st.header(f"{kind.capitalize()}: {name}")
    if about.empty and page["paper_count"]["papers"].iloc[0] == 0:
        st.info(f"No paper names the {kind} {name!r}.")
        return
    if not about.empty:
        facts = about.iloc[0]
        aliases = facts.get("aliases")
        st.caption(
            f"{int(facts['paper_count'])} papers, {int(facts['mention_count'])} mentions"
            + (
                f" · also written {', '.join(list(aliases)[:8])}"
                if aliases is not None and len(aliases)
                else ""
            )
            + (
                f" · family {facts['family']}"
                if kind == "model" and isinstance(facts.get("family"), str)
                else ""
            )
        )
    results, boards, sota = page["results"], page["boards"], page["sota"]
    st.subheader("Results on every board")
    if results.empty:
        st.info(f"No board ranks a result {'of' if kind == 'model' else 'on'} this {kind} yet.")
    else:
        if kind != "model":
            linked_table(
                [
                    {
                        "board": plain(row.board),
                        "task": link("task", row.task),
                        "dataset": link("dataset", row.dataset),
                        "models": plain(row.model_count),
                        "leader": link("model", row.leader),
                        "best": plain(row.best_value_text),
                        "paper": link("paper", row.leader_paper_id, row.leader_paper_title),
                    }
                    for row in boards.head(ROWS_SHOWN).itertuples()
                ],
                "boards",
            )
        linked_table(result_rows(results), "results")
    if len(sota) and sota.groupby("board_id").size().max() > 1:
        st.subheader("State of the art over time")
        biggest = sota.groupby("board")["step"].max().sort_values(ascending=False).index[0]
        sota_chart(sota[sota["board"] == biggest], f"{biggest}: best known value")
    elif len(sota):
        st.caption(f"Set the state of the art on {sota['board'].nunique()} board(s) (their first step).")

    left, right = st.columns(2)
    with left:
        st.subheader("Mentions per week")
        weekly = page["weekly"]
        if page.history[2] < TREND_DAYS:
            st.info(thin_history(page.history))
        elif len(weekly) < 2:  # one dot is no trend
            weeks = [f"{week:%Y-%m-%d}" for week in weekly["week_start"]]
            st.info(
                f"Named in one week so far (the week of {weeks[0]}): a trend needs more."
                if weeks
                else "No mentions."
            )
        else:
            chart(
                alt.Chart(weekly, title=f"Mentions of {name} per week")
                .mark_line(point=True)
                .encode(
                    x=alt.X("week_start:T", title="week"),
                    y=alt.Y("mentions:Q"),
                    tooltip=["week_start", "papers", "mentions"],
                )
            )
    with right:
        st.subheader("Named with it")
        linked_table(
            [
                {
                    "type": plain(row.entity_type),
                    "name": link(row.entity_type, row.entity),
                    "papers": plain(row.papers),
                }
                for row in page["co_mentioned"].itertuples()
            ],
            "co-mentioned",
        )
    st.subheader(f"Papers ({int(page['paper_count']['papers'].iloc[0])}, newest first)")
    linked_table(paper_rows(page["papers"]), "papers")


def paper_page(page: EntityPage) -> None:
    paper = page["paper"]
    if paper.empty:
        st.info(f"No paper {page.name!r} in the published marts.")
        return
    row = paper.iloc[0]
    st.header(plain_text(row["title"]), anchor=False)
    links = [
        out_link(row["paper_url"], "arXiv"),
        code_cell(row["code_urls"], row["has_code"], row["paper_url"]),
    ]
    st.markdown(
        f"First listed {row['first_listed_date']:%Y-%m-%d} · topics: {plain(list(row['topics']))} · "
        + " · ".join(part for part in links if part),
        unsafe_allow_html=True,
    )
    st.html(f"<p>{plain(row['abstract'])}</p>")  # as text: no markdown, no math
    entities = page["entities"]
    st.subheader("Models, datasets and tasks named")
    for kind in ENTITY_KINDS:
        names = entities[entities["entity_type"] == kind]["entity"]
        if len(names):
            st.markdown(f"**{kind}s**: " + " · ".join(link(kind, n) for n in names), unsafe_allow_html=True)
    if entities.empty:
        st.caption("None.")
    st.subheader("Its results on the boards")
    if page["results"].empty:
        st.caption("None of its claims stands on a board.")
    else:
        linked_table(result_rows(page["results"]), "results")
    if len(page["sota"]):
        st.caption(f"It set the state of the art on: {', '.join(page['sota']['board'].unique())}")
    claims = page["claims"]
    if len(claims):
        st.subheader("Every numeric claim it makes")
        st.dataframe(
            claims[
                [
                    "kind",
                    "model",
                    "dataset",
                    "metric",
                    "value_text",
                    "unit",
                    "setting",
                    "not_ranked_because",
                    "evidence",
                ]
            ],
            hide_index=True,
        )


def main() -> None:
    st.set_page_config(page_title="paperpulse", layout="wide")
    serving = Settings.from_env().serving_db
    params = st.query_params
    if "q" in params and "q" not in st.session_state:
        st.session_state["q"] = params["q"]
    if params.get("code") == "1" and "with_code" not in st.session_state:
        st.session_state["with_code"] = True
    home = "?code=1" if st.session_state.get("with_code") else "?"
    st.markdown(f'<h1><a href="{home}" target="_self">paperpulse</a></h1>', unsafe_allow_html=True)
    if not serving.exists():
        st.info(f"Nothing published yet at {serving}: run `make run` (or `paperpulse run`) first.")
        return
    with_code = st.session_state.get("with_code", False)
    kind = next((k for k in (*ENTITY_KINDS, "paper") if k in params), None)
    if kind:
        page = load_entity(serving, kind, params[kind], with_code)
        if kind != "paper":
            st.checkbox("Papers with code only", key="with_code")
        (paper_page if kind == "paper" else entity_page)(page)
        return
    snapshot = load_snapshot(
        serving,
        st.session_state.get("board"),
        st.session_state.get("task"),
        st.session_state.get("q", ""),
        with_code,
    )
    if snapshot.as_of_day is None:
        st.info("The published marts list no papers yet.")
        return
    st.caption(
        f"Research trends as of {snapshot.as_of_day:%Y-%m-%d} (the latest listed day) · "
        f"run {snapshot.run_id}, "
        f"published {snapshot.published_at:%Y-%m-%d %H:%M} UTC · reload the page for newer runs"
    )
    words, code = st.columns([4, 1])
    words.text_input(
        "Search papers (words in the title or abstract)", key="q", placeholder="speech recognition"
    )
    code.checkbox("Papers with code only", key="with_code")
    search(snapshot)
    whats_new(snapshot)
    trending_topics(snapshot)
    rising_entities(snapshot)
    leaderboards(snapshot)


if __name__ == "__main__":
    main()
