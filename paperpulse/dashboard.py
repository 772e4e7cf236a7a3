"""The paperpulse dashboard (Streamlit): `make dashboard`, or
`streamlit run paperpulse/dashboard.py` with PAPERPULSE_HOME pointing at a warehouse.

Each page load reads every mart it shows through one read-only connection to the published serving
file and closes it before drawing, so the page is one run's marts, never holds the file between
reruns, never blocks a run, and shows a newer run on the next rerun.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import altair as alt
import duckdb
import pandas as pd
import streamlit as st

from paperpulse.settings import Settings

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
    "whats_new",
)

TOPICS_SHOWN = 15
TOPICS_OVER_TIME = 6
ENTITIES_SHOWN = 15
ENTITIES_OVER_TIME = 8
PAIRS_SHOWN = 40
IMPROVEMENTS_SHOWN = 200  # when the chosen board has none: the first of every board's
BOARDS_SHOWN = 300  # the biggest leaderboards to choose from


@dataclass
class Snapshot:
    run_id: str
    published_at: object
    as_of_day: object
    frames: dict[str, pd.DataFrame]
    boards: list[str]  # board names, most models first; frames["leaderboards"] holds the chosen one
    board: str | None

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]


# What the page shows, and no more: over a million papers the marts hold hundreds of thousands of rows
# (weeks of every entity, every board), so each query keeps what is drawn. $board_id, $dataset and $metric
# are the chosen leaderboard's.
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
    "whats_new": "select * from whats_new order by item_type, name like '(no model)%', name",
}
# the boards to choose from: the ones ranking most models first, then by name
BOARDS = f"""
    select board, board_id, dataset, metric, model_count from boards
    order by model_count desc, board limit {BOARDS_SHOWN}"""


def load_snapshot(serving_db: Path, board: str | None = None) -> Snapshot:
    """Every mart the page shows, read through one read-only connection that is closed on return.
    `board` is the leaderboard chosen (default: the one ranking most models)."""
    with duckdb.connect(str(serving_db), read_only=True) as con:
        run_id, published_at = con.execute("select run_id, published_at from publish_info").fetchone()
        boards_frame = con.execute(BOARDS).df()
        boards = {row.board: row for row in boards_frame.itertuples()}
        names = list(boards)
        board = board if board in boards else (names[0] if names else None)
        key = boards.get(board)
        chosen = {
            "board_id": key.board_id if key else None,
            "dataset": key.dataset if key else None,
            "metric": key.metric if key else None,
        }
        frames = {
            name: con.execute(sql, {k: v for k, v in chosen.items() if f"${k}" in sql}).df()
            for name, sql in QUERIES.items()
        }
        frames["boards"] = boards_frame
    as_of = frames["trending_topics"]["as_of_day"].max() if len(frames["trending_topics"]) else None
    return Snapshot(run_id, published_at, as_of, frames, names, board)


def chart(spec: alt.Chart) -> None:
    st.altair_chart(spec, width="stretch")


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
    st.header("Rising models and datasets")
    rising = snapshot["rising_entities"]
    columns = st.columns(2)
    for column, kind in zip(columns, ("model", "dataset"), strict=True):
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
    st.header("Leaderboards")
    board = snapshot["leaderboards"]
    improvements = snapshot["leaderboard_improvements"]
    if board.empty:
        st.info("No ranked board yet: no absolute score names a model, a dataset and a known metric.")
        return
    # the page was read for the board chosen last (main passes it), so choosing one reruns the page
    choice = st.selectbox(
        "Board (most models first)", snapshot.boards, index=snapshot.boards.index(snapshot.board), key="board"
    )
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
        st.dataframe(
            board[["rank", "model", "value", "evidence", "condition", "claim_count", "paper_title"]],
            hide_index=True,
        )
    with right:
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
        st.dataframe(
            new[new["item_type"] == "paper"][["name", "detail", "arxiv_url"]].rename(
                columns={"name": "title", "detail": "topics"}
            ),
            hide_index=True,
            column_config={"arxiv_url": st.column_config.LinkColumn("arXiv")},
        )
    with entities:
        st.dataframe(
            new[new["item_type"].isin(["model", "dataset"])][["item_type", "name", "detail", "paper_title"]],
            hide_index=True,
        )


def main() -> None:
    st.set_page_config(page_title="paperpulse", layout="wide")
    serving = Settings.from_env().serving_db
    st.title("paperpulse")
    if not serving.exists():
        st.info(f"Nothing published yet at {serving}: run `make run` (or `paperpulse run`) first.")
        return
    snapshot = load_snapshot(serving, st.session_state.get("board"))
    if snapshot.as_of_day is None:
        st.info("The published marts list no papers yet.")
        return
    st.caption(
        f"Research trends as of {snapshot.as_of_day:%Y-%m-%d} (the latest listed day) · "
        f"run {snapshot.run_id}, "
        f"published {snapshot.published_at:%Y-%m-%d %H:%M} UTC · reload the page for newer runs"
    )
    whats_new(snapshot)
    trending_topics(snapshot)
    rising_entities(snapshot)
    leaderboards(snapshot)


if __name__ == "__main__":
    main()
