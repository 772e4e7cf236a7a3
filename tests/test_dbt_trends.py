"""The trend, rising, co-occurrence and what-is-new marts, for real: hand-made raw tables spanning six
weeks, one `dbt build`, then the numbers.

"Today" is the latest listed day in the data (2024-04-30), the recent window 2024-04-24..30 and the
baseline 2024-03-27..04-23. Entity names are made up, so nothing depends on what the lexicons list.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime

import duckdb
import pytest

from paperpulse.ingest.records import content_hash, title_key
from paperpulse.warehouse.connection import ensure_schema
from tests.conftest import dbt_build

TODAY = date(2024, 4, 30)

# paper_id, first listed date, title, abstract
PAPERS = [
    ("r1", date(2024, 4, 30), "Quantum origami folding for reinforcement learning",
     "Zorblax with Blipformer on FooBench and GlimmerQA. Zorblax reaches 91.0 Zeta index on FooBench."),
    ("r2", date(2024, 4, 29), "Quantum origami folding at scale",
     "Zorblax improves the Zeta index on FooBench by 2.5% over the prior folding."),
    ("r3", date(2024, 4, 26), "Quantum origami folding, revisited",
     "We revisit Zorblax on BarSet with a plain folding scheme."),
    ("r4", date(2024, 4, 24), "A plain note on folding paper cranes",
     "Cranes are folded from one square sheet, nothing more is claimed here."),
    ("b1", date(2024, 4, 20), "Reinforcement learning with Quuxnet",
     "We train Quuxnet with reinforcement learning on FooBench."),
    ("b2", date(2024, 4, 10), "Reinforcement learning for crane folding",
     "Quuxnet folds cranes with reinforcement learning from a sparse signal."),
    ("b3", date(2024, 4, 1), "Speech recognition for crane names",
     "Quuxnet transcribes speech recordings of crane names."),
    ("b4", date(2024, 3, 27), "Speech recognition of folding instructions",
     "Quuxnet transcribes speech of spoken folding instructions."),
    ("o1", date(2024, 3, 1), "Speech recognition with Oldnet",
     "Oldnet is an old speech recogniser we revisit."),
]  # fmt: skip

# (paper_id, listed date, extra): every paper on its first day, b1 listed again today, r1 with upvotes
LISTINGS = [(pid, day, {"upvotes": 42} if pid == "r1" else {}) for pid, day, _, _ in PAPERS] + [
    ("b1", TODAY, {})
]

# paper_id -> (type, surface); the canonical name is the surface
MENTIONS = {
    "r1": [("model", "Zorblax"), ("model", "Blipformer"), ("dataset", "FooBench"), ("dataset", "GlimmerQA")],
    "r2": [("model", "Zorblax"), ("dataset", "FooBench")],
    "r3": [("model", "Zorblax"), ("dataset", "BarSet")],
    "b1": [("model", "Quuxnet"), ("dataset", "FooBench")],
    "b2": [("model", "Quuxnet")],
    "b3": [("model", "Quuxnet")],
    "b4": [("model", "Quuxnet")],
    "o1": [("model", "Oldnet")],
}

# paper_id, result_index, model, dataset, metric, value, unit, kind
RESULTS = [
    ("r1", 0, "Zorblax", "FooBench", "Zeta index", 91.0, "", "absolute"),
    ("r2", 0, "Zorblax", "FooBench", "Zeta index", 2.5, "%", "improvement"),
]


def _write_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    ensure_schema(con)
    now = datetime(2024, 4, 30, 6, 0)
    abstracts = {pid: abstract for pid, _, _, abstract in PAPERS}
    con.executemany(
        "insert into raw.papers values (?, null, ?, ?, ?, ?, 'test', ?, ?, ?)",
        [
            (pid, title, abstract, title_key(title), content_hash(title, abstract), day, now, now)
            for pid, day, title, abstract in PAPERS
        ],
    )
    con.executemany(
        "insert into raw.paper_listings values (?, 'test', ?, ?, ?)",
        [(pid, day, json.dumps(extra), now) for pid, day, extra in LISTINGS],
    )
    mentions = [
        (pid, kind, surface, surface, None, None, m.start(), m.end(), "test")
        for pid, found in MENTIONS.items()
        for kind, surface in found
        for m in re.finditer(re.escape(surface), abstracts[pid])
    ]
    con.executemany("insert into raw.mentions values (?, ?, ?, ?, ?, ?, ?, ?, ?)", mentions)
    con.executemany(
        "insert into raw.results values (?, ?, ?, ?, ?, ?, ?, ?, ?, null, ?, 'test', 'proposed', null, ?)",
        [
            (
                pid,
                idx,
                model,
                dataset,
                metric,
                value,
                f"{value:g}",
                unit,
                kind,
                abstracts[pid],
                kind == "absolute",
            )
            for pid, idx, model, dataset, metric, value, unit, kind in RESULTS
        ],
    )


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("dbt_trends")
    build_db = tmp / "build.duckdb"
    with duckdb.connect(str(build_db)) as con:
        _write_raw_tables(con)
    dbt_build(build_db, tmp)
    con = duckdb.connect(str(build_db), read_only=True)
    yield con
    con.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str, *params) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def test_every_trend_mart_is_as_of_the_latest_listed_day(marts):
    for mart in ("trending_topics", "rising_entities", "emerging_phrases", "whats_new"):
        assert rows(marts, f"select distinct as_of_day from marts.{mart}") == [(TODAY,)], mart


def test_trending_topics_compare_the_last_7_days_with_the_28_before(marts):
    trend = {
        r[0]: r[1:]
        for r in rows(
            marts,
            "select topic_id, recent_papers, baseline_papers, growth, trend, recent_share, baseline_share "
            "from marts.trending_topics",
        )
    }
    # reinforcement learning: r1 now, b1 and b2 before: (1 + 1) / (2 / 4 + 1)
    assert trend["rl"] == (1, 2, pytest.approx(4 / 3), "rising", 1 / 4, 2 / 4)
    # speech: b3 and b4 in the baseline, o1 before it counts nowhere
    assert trend["speech"] == (0, 2, pytest.approx(2 / 3), "falling", 0.0, 2 / 4)
    ranked = rows(marts, "select topic_id, rank from marts.trending_topics order by rank, topic_id")
    ranks = dict(ranked)
    assert ranks["rl"] < ranks["speech"]
    assert len(ranked) == rows(marts, "select count(*) from lexicon.topic_taxonomy")[0][0]
    # every topic is ranked by growth: no topic with lower growth ranks above a higher one
    growth_by_rank = [g for (g,) in rows(marts, "select growth from marts.trending_topics order by rank")]
    assert growth_by_rank == sorted(growth_by_rank, reverse=True)


def test_rising_entities_rank_within_their_type(marts):
    rising = {
        r[0]: r[1:]
        for r in rows(
            marts,
            "select entity, entity_type, recent_papers, baseline_papers, recent_mentions, growth, rank "
            "from marts.rising_entities",
        )
    }
    assert rising["Zorblax"] == ("model", 3, 0, 4, 4.0, 1)  # r1 names it twice
    assert rising["Blipformer"] == ("model", 1, 0, 1, 2.0, 2)
    assert rising["Quuxnet"] == ("model", 0, 4, 0, 0.5, 3)
    assert rising["FooBench"] == ("dataset", 2, 1, 3, pytest.approx(3 / 1.25), 1)
    assert rising["BarSet"][-1] == rising["GlimmerQA"][-1] == 2  # equal growth, equal rank
    assert "Oldnet" not in rising  # named only before both windows


def test_entity_mentions_per_week(marts):
    weeks = rows(
        marts,
        "select entity, week_start, papers, mentions from marts.entity_weekly_mentions "
        "where entity in ('Zorblax', 'Quuxnet') order by entity, week_start",
    )
    assert weeks == [
        ("Quuxnet", date(2024, 3, 25), 1, 1),
        ("Quuxnet", date(2024, 4, 1), 1, 1),
        ("Quuxnet", date(2024, 4, 8), 1, 1),
        ("Quuxnet", date(2024, 4, 15), 1, 1),
        ("Zorblax", date(2024, 4, 22), 1, 1),
        ("Zorblax", date(2024, 4, 29), 2, 3),
    ]


def test_models_and_datasets_used_together(marts):
    pairs = rows(
        marts,
        "select model, dataset, paper_count, claim_count, first_seen_date, last_seen_date "
        "from marts.model_dataset_pairs order by model, dataset",
    )
    assert pairs == [
        ("Blipformer", "FooBench", 1, 0, TODAY, TODAY),
        ("Blipformer", "GlimmerQA", 1, 0, TODAY, TODAY),
        ("Quuxnet", "FooBench", 1, 0, date(2024, 4, 20), date(2024, 4, 20)),
        ("Zorblax", "BarSet", 1, 0, date(2024, 4, 26), date(2024, 4, 26)),
        ("Zorblax", "FooBench", 2, 2, date(2024, 4, 29), TODAY),
        ("Zorblax", "GlimmerQA", 1, 0, TODAY, TODAY),
    ]


def test_improvements_are_listed_beside_the_leaderboards(marts):
    assert rows(
        marts,
        "select result_id, model, dataset, value, unit, on_leaderboard, evidence "
        "from marts.leaderboard_improvements",
    ) == [("r2#0", "Zorblax", "FooBench", 2.5, "%", False, PAPERS[1][3])]
    assert rows(marts, "select count(*) from marts.leaderboards where result_id = 'r2#0'") == [(0,)]


def test_whats_new_today(marts):
    new = rows(marts, "select item_type, item_id, paper_id, detail from marts.whats_new order by 1, 2")
    assert [r[:3] for r in new] == [
        ("claim", "r1#0", "r1"),
        ("dataset", "GlimmerQA", "r1"),
        ("model", "Blipformer", "r1"),
        ("paper", "r1", "r1"),
    ]  # b1 is listed again today but is not new; Zorblax and FooBench were seen before
    assert new[0][3] == PAPERS[0][3]  # a claim's evidence
    (claim,) = rows(marts, "select name from marts.whats_new where item_type = 'claim'")[0]
    assert claim == "Zorblax on FooBench · Zeta index 91 (absolute)"


def test_emerging_phrases_jump_and_the_taxonomy_does_not_cover_them(marts):
    phrases = rows(
        marts,
        "select phrase, recent_papers, baseline_papers, growth, rank, recent_paper_ids "
        "from marts.emerging_phrases order by rank",
    )
    assert phrases[0] == ("quantum origami folding", 3, 0, 4.0, 1, ["r1", "r2", "r3"])
    # nested in the longer phrase with as many papers; covered by the taxonomy ("reinforcement learning")
    listed = {phrase for phrase, *_ in phrases}
    assert not {"quantum origami", "origami folding"} & listed
    assert not [p for p in listed if "reinforcement" in p]


def test_upvotes_come_from_the_listings(marts):
    assert dict(
        rows(marts, "select paper_id, upvotes from marts.dim_papers where paper_id in ('r1', 'r2')")
    ) == {
        "r1": 42,
        "r2": None,
    }
