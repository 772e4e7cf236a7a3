"""The dbt project, for real: raw tables in a temporary build file, one `dbt build`, then the marts.

The papers below cover what the marts must get right: a lower-is-better and a higher-is-better
metric, improvement claims that must not be ranked, a metric of unknown direction, result surfaces
that canonicalise through the paper's mentions and through a lexicon alias, a paper in several
topics and a paper in none, and days without papers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from paperpulse.ingest.records import content_hash, title_key
from paperpulse.warehouse.build import BuildReport, SourceFreshness
from paperpulse.warehouse.connection import ensure_schema
from tests.conftest import built_from_raw

DBT_DIR = Path(__file__).resolve().parent.parent / "dbt"
DBT = Path(sys.executable).with_name("dbt")

# paper_id, arxiv_id, first listed date, title, abstract
PAPERS = [
    (
        "2310.08915",
        "2310.08915",
        date(2024, 3, 11),
        "Dynamic Sparse No Training: Training-Free Fine-tuning for Sparse LLMs",
        "We introduce Dynamic Sparse No Training (DSnoT), a training-free fine-tuning approach for sparse "
        "LLMs. DSnoT outperforms Wanda by 26.79 perplexity at 70% sparsity with LLaMA-7B. On WikiText-2, "
        "pruned LLaMA-7B reaches a perplexity of 5.68 and Wanda 7.26.",
    ),
    (
        "2402.11111",
        "2402.11111",
        date(2024, 3, 12),
        "Pruning Large Language Models in One Shot",
        "We prune Llama 7B in one shot with Zorblax. On WikiText-2 the pruned Llama 7B reaches 5.47 PPL, "
        "while Zorblax alone reaches 6.10 PPL.",
    ),
    (
        "t-0123456789abcdef",
        None,
        date(2024, 3, 12),
        "Cross-video Identity Correlating for Person Re-identification Pre-training",
        "We pre-train CION on person images for person re-identification. CION with ResNet50-IBN achieves "
        "93.3% Zeta index on Market1501.",
    ),
    (
        "2212.09744",
        "2212.09744",
        date(2024, 3, 18),
        "DSI++: Updating Transformer Memory with New Documents",
        "We introduce DSI++, a continual learning challenge for differentiable search indices. On MS MARCO, "
        "DSI++ reaches 70.2% Hits@10 against 65.0% for DSI on MS-MARCO, and improves the average Hits@10 "
        "by +21.1% over competitive baselines for NQ.",
    ),
    (
        "t-fedcba9876543210",
        None,
        date(2024, 3, 18),
        "A Note on Nothing in Particular",
        "We write down a few plain remarks about nothing in particular and stop there, with no claims.",
    ),
]

# paper_id -> (type, surface, canonical, family, size); every occurrence of the surface is a mention.
# "PPL" and "MS-MARCO" are deliberately not mentioned: results must resolve them through the lexicon.
MENTIONS = {
    "2310.08915": [
        ("model", "DSnoT", "DSnoT", None, None),
        ("model", "Wanda", "Wanda", "wanda", None),
        ("model", "LLaMA-7B", "LLaMA-7B", "llama", "7B"),
        ("metric", "perplexity", "perplexity", None, None),
        ("dataset", "WikiText-2", "WikiText-2", None, None),
    ],
    "2402.11111": [
        ("model", "Llama 7B", "LLaMA-7B", "llama", "7B"),
        ("model", "Zorblax", "Zorblax", None, None),
        ("dataset", "WikiText-2", "WikiText-2", None, None),
    ],
    "t-0123456789abcdef": [
        ("model", "CION", "CION", None, None),
        ("model", "ResNet50-IBN", "ResNet50-IBN", "resnet", None),
        ("metric", "Zeta index", "Zeta index", None, None),
        ("dataset", "Market1501", "Market1501", None, None),
        ("task", "person re-identification", "person re-identification", None, None),
    ],
    "2212.09744": [
        ("model", "DSI++", "DSI++", None, None),
        ("model", "DSI", "DSI", None, None),
        ("dataset", "MS MARCO", "MS MARCO", None, None),
        ("dataset", "NQ", "Natural Questions", None, None),
        ("metric", "Hits@10", "Hits@10", None, None),
        ("task", "continual learning", "continual learning", None, None),
    ],
}

# paper_id, result_index, model, dataset, metric (surfaces as written), value, unit, kind, condition
RESULTS = [
    ("2310.08915", 0, "DSnoT", None, "perplexity", 26.79, "", "improvement", "at 70% sparsity"),
    ("2310.08915", 1, "LLaMA-7B", "WikiText-2", "perplexity", 5.68, "", "absolute", None),
    ("2310.08915", 2, "Wanda", "WikiText-2", "perplexity", 7.26, "", "absolute", None),
    ("2402.11111", 0, "Llama 7B", "WikiText-2", "PPL", 5.47, "", "absolute", None),
    ("2402.11111", 1, "Zorblax", "WikiText-2", "PPL", 6.10, "", "absolute", None),
    ("t-0123456789abcdef", 0, "CION", "Market1501", "Zeta index", 93.3, "%", "absolute", None),
    ("2212.09744", 0, "DSI++", "MS MARCO", "Hits@10", 70.2, "%", "absolute", None),
    ("2212.09744", 1, "DSI", "MS-MARCO", "Hits@10", 65.0, "%", "absolute", None),
    ("2212.09744", 2, "DSI++", "NQ", "Hits@10", 21.1, "%", "improvement", None),
]

EXTRACTOR_VERSION = "test"


def _mention_rows() -> list[tuple]:
    abstracts = {paper_id: abstract for paper_id, _, _, _, abstract in PAPERS}
    rows = []
    for paper_id, mentions in MENTIONS.items():
        for entity_type, surface, canonical, family, size in mentions:
            pattern = rf"(?<![\w+]){re.escape(surface)}(?![\w+])"
            spans = [m.span() for m in re.finditer(pattern, abstracts[paper_id])]
            assert spans, f"{surface!r} is not in the abstract of {paper_id}"
            for start, end in spans:
                rows.append(
                    (paper_id, entity_type, surface, canonical, family, size, start, end, EXTRACTOR_VERSION)
                )
    return rows


def _evidence(paper_id: str, value: float) -> str:
    abstract = next(a for pid, _, _, _, a in PAPERS if pid == paper_id)
    return next(s for s in re.split(r"(?<=\.)\s", abstract) if f"{value:g}" in s)


def write_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    ensure_schema(con)
    now = datetime(2024, 3, 18, 6, 0)
    con.executemany(
        "insert into raw.papers values (?, ?, ?, ?, ?, ?, 'trending_page', ?, ?, ?)",
        [
            (pid, arxiv, title, abstract, title_key(title), content_hash(title, abstract), day, now, now)
            for pid, arxiv, day, title, abstract in PAPERS
        ],
    )
    con.executemany(
        "insert into raw.paper_listings values (?, 'trending_page', ?, '{}', ?)",
        [(pid, day, now) for pid, _, day, _, _ in PAPERS],
    )
    con.executemany("insert into raw.mentions values (?, ?, ?, ?, ?, ?, ?, ?, ?)", _mention_rows())
    con.executemany(
        "insert into raw.results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, ?)",
        [
            (pid, idx, model, dataset, metric, value, f"{value:g}", unit, kind, condition,
             _evidence(pid, value), EXTRACTOR_VERSION, "proposed" if model else "other",
             kind == "absolute" and None not in (model, dataset, metric))
            for pid, idx, model, dataset, metric, value, unit, kind, condition in RESULTS
        ],
    )  # fmt: skip


def dbt_env(tmp: Path, build_db: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PAPERPULSE_BUILD_DB": str(build_db),
        "DO_NOT_TRACK": "1",
        "DBT_PROFILES_DIR": str(DBT_DIR),
        "DBT_TARGET_PATH": str(tmp / "target"),
        "DBT_LOG_PATH": str(tmp / "logs"),
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    yield from built_from_raw(tmp_path_factory.mktemp("dbt"), write_raw_tables, unit_tests=True)


@pytest.fixture(scope="module")
def marts(built) -> duckdb.DuckDBPyConnection:
    return built[1]


def rows(con: duckdb.DuckDBPyConnection, sql: str, *params) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def aliases(con: duckdb.DuckDBPyConnection, dim: str, name: str) -> set[str]:
    key = dim.removeprefix("dim_").removesuffix("s")
    return set(con.execute(f"select aliases from marts.{dim} where {key} = ?", [name]).fetchone()[0])


def test_models_land_in_their_schemas(marts):
    found = dict(
        rows(
            marts,
            "select table_schema || '.' || table_name, table_type from information_schema.tables "
            "where table_schema in ('lexicon', 'staging', 'intermediate', 'marts')",
        )
    )
    for mart in (
        "dim_papers", "dim_models", "dim_datasets", "dim_metrics", "dim_tasks", "fct_mentions",
        "fct_benchmark_results", "leaderboards", "paper_topics", "topic_trends",
    ):  # fmt: skip
        assert found[f"marts.{mart}"] == "BASE TABLE"
    for view in ("stg_raw__papers", "stg_raw__paper_listings", "stg_raw__mentions", "stg_raw__results"):
        assert found[f"staging.{view}"] == "VIEW"
    assert found["lexicon.metrics"] == "BASE TABLE"
    assert found["lexicon.tasks"] == "BASE TABLE"
    assert found["lexicon.topic_taxonomy"] == "BASE TABLE"


def test_lower_is_better_board_ranks_ascending(marts):
    board = rows(
        marts,
        "select rank, model, value, paper_id, claim_count, direction from marts.leaderboards "
        "where dataset = 'WikiText-2' and metric = 'perplexity' order by rank",
    )
    assert board == [
        (1, "LLaMA-7B", 5.47, "2402.11111", 2, "lower"),
        (2, "Zorblax", 6.10, "2402.11111", 1, "lower"),
        (3, "Wanda", 7.26, "2310.08915", 1, "lower"),
    ]


def test_higher_is_better_board_ranks_descending(marts):
    board = rows(
        marts,
        "select rank, model, value, unit, direction, evidence from marts.leaderboards "
        "where dataset = 'MS MARCO' and metric = 'Hits@10' order by rank",
    )
    assert [r[:5] for r in board] == [(1, "DSI++", 70.2, "%", "higher"), (2, "DSI", 65.0, "%", "higher")]
    assert all("Hits@10" in r[5] for r in board)


def test_improvements_and_unknown_directions_are_never_ranked(marts):
    ranked = {r[0] for r in rows(marts, "select result_id from marts.leaderboards")}
    claims = rows(marts, "select result_id, kind from marts.fct_benchmark_results")
    improvements = {result_id for result_id, kind in claims if kind == "improvement"}
    assert improvements == {"2310.08915#0", "2212.09744#2"}
    assert not ranked & improvements
    assert rows(marts, "select count(*) from marts.leaderboards where metric = 'Zeta index'") == [(0,)]
    assert rows(marts, "select direction from marts.fct_benchmark_results where metric = 'Zeta index'") == [
        (None,)
    ]


def test_result_surfaces_canonicalise_through_mentions_and_lexicon(marts):
    resolved = {
        r[0]: r[1:]
        for r in rows(
            marts,
            "select result_id, model, model_resolved_by, dataset, dataset_resolved_by, metric, "
            "metric_resolved_by from marts.fct_benchmark_results",
        )
    }
    # "Llama 7B" is what the paper's mention says LLaMA-7B is; "PPL" only the lexicon knows.
    assert resolved["2402.11111#0"] == (
        "LLaMA-7B", "mention", "WikiText-2", "mention", "perplexity", "lexicon",
    )  # fmt: skip
    assert resolved["2212.09744#1"][2:4] == ("MS MARCO", "lexicon")
    assert resolved["2212.09744#2"][2:4] == ("Natural Questions", "mention")
    assert resolved["t-0123456789abcdef#0"][4:] == ("Zeta index", "mention")


def test_dimensions_carry_aliases_family_size_and_direction(marts):
    model = rows(
        marts,
        "select family, size, aliases, paper_count, mention_count, result_count, "
        "first_seen_date from marts.dim_models where model = 'LLaMA-7B'",
    )
    family, size, model_aliases, papers, mentions, results, first_seen = model[0]
    assert (family, size) == ("llama", "7B")  # sized models come from the shape rule, not the lexicon
    assert {"LLaMA-7B", "Llama 7B"} <= set(model_aliases)  # lexicon aliases plus the surfaces seen
    assert (papers, mentions, results, first_seen) == (2, 4, 2, date(2024, 3, 11))
    assert rows(marts, "select in_lexicon, family from marts.dim_models where model = 'Zorblax'") == [
        (False, None)
    ]

    metrics = dict(rows(marts, "select metric, direction from marts.dim_metrics"))
    assert metrics["perplexity"] == "lower"
    assert metrics["Hits@10"] == "higher"
    assert metrics["Zeta index"] is None
    assert "PPL" in aliases(marts, "dim_metrics", "perplexity")
    assert {"MS MARCO", "MS-MARCO"} <= aliases(marts, "dim_datasets", "MS MARCO")
    assert "NQ" in aliases(marts, "dim_datasets", "Natural Questions")


def test_tasks_flow_to_their_dimension_and_the_entity_marts(marts):
    task = rows(
        marts,
        "select in_lexicon, aliases, paper_count, mention_count, first_seen_date, last_seen_date "
        "from marts.dim_tasks where task = 'person re-identification'",
    )
    in_lexicon, task_aliases, papers, mentions, first_seen, last_seen = task[0]
    assert (in_lexicon, papers, mentions, first_seen, last_seen) == (
        True,
        1,
        1,
        date(2024, 3, 12),
        date(2024, 3, 12),
    )
    assert {"person re-identification", "ReID", "re-ID"} <= set(task_aliases)  # the lexicon's aliases
    # every lexicon task has a row, named or not; the tdmsci-train row's aliases join its general row's
    assert rows(
        marts, "select paper_count, first_seen_date from marts.dim_tasks where task = 'text-to-SQL'"
    ) == [(0, None)]
    assert {"image description generation", "image captioning"} <= aliases(
        marts, "dim_tasks", "image captioning"
    )
    assert rows(marts, "select count(*) from marts.dim_tasks") == rows(
        marts, "select count(distinct canonical) from lexicon.tasks"
    )
    weekly = rows(
        marts,
        "select entity, week_start, papers from marts.entity_weekly_mentions where entity_type = 'task' "
        "order by entity",
    )
    assert weekly == [
        ("continual learning", date(2024, 3, 18), 1),
        ("person re-identification", date(2024, 3, 11), 1),
    ]
    rising = rows(
        marts, "select entity, recent_papers, rank from marts.rising_entities where entity_type = 'task'"
    )
    assert sorted(rising) == [("continual learning", 1, 1), ("person re-identification", 1, 1)]
    assert rows(marts, "select count(*) from marts.fct_mentions where entity_type = 'task'") == [(2,)]


def test_mentions_fact(marts):
    assert rows(marts, "select count(*) from marts.fct_mentions") == [(len(_mention_rows()),)]
    assert rows(
        marts,
        "select count(*) from marts.fct_mentions m join marts.dim_papers p using (paper_id) "
        "where substr(p.abstract, m.start_char + 1, m.end_char - m.start_char) <> m.surface",
    ) == [(0,)]


def test_papers_match_several_topics_or_none(marts):
    topics = dict(rows(marts, "select paper_id, topics from marts.dim_papers"))
    assert {"llm", "compression", "fine_tuning"} <= set(topics["2310.08915"])
    assert {"reid", "pretraining"} <= set(topics["t-0123456789abcdef"])
    assert "continual" in topics["2212.09744"]
    assert topics["t-fedcba9876543210"] == []
    (keywords,) = rows(
        marts,
        "select matched_keywords from marts.paper_topics where paper_id = '2310.08915' and topic_id = 'llm'",
    )[0]
    assert "llm" in keywords  # "LLMs": case-insensitive, plural allowed


def test_topic_trends_per_day_and_week(marts):
    def trend(period, start, topic):
        return rows(
            marts,
            "select paper_count, papers_in_period, share from marts.topic_trends "
            "where period = ? and period_start = ? and topic_id = ?",
            period, start, topic,
        )[0]  # fmt: skip

    assert trend("day", date(2024, 3, 11), "compression") == (1, 1, 1.0)
    assert trend("day", date(2024, 3, 12), "compression") == (1, 2, 0.5)
    assert trend("day", date(2024, 3, 12), "reid") == (1, 2, 0.5)
    assert trend("week", date(2024, 3, 11), "compression") == (2, 3, 2 / 3)
    assert trend("week", date(2024, 3, 18), "continual") == (1, 2, 0.5)
    assert trend("day", date(2024, 3, 14), "llm") == (0, 0, None)  # a day without papers

    topics = rows(marts, "select count(*) from lexicon.topic_taxonomy")[0][0]
    # dense: every topic on every day from 2024-03-11 to 2024-03-18 and in both weeks
    assert rows(marts, "select period, count(*) from marts.topic_trends group by all order by 1") == [
        ("day", 8 * topics),
        ("week", 2 * topics),
    ]


def manifest(built) -> dict:
    return json.loads((built[0] / "target" / "manifest.json").read_text())


def test_no_intermediate_model_reads_a_mart(built):
    """staging -> intermediate -> marts: every ref() of an intermediate model (its SQL, its hooks) is a
    staging or intermediate model or a seed."""
    nodes = manifest(built)["nodes"]
    schema_of = {node["name"]: node["config"].get("schema") for node in nodes.values()}
    intermediate = [
        n for n in nodes.values() if n["resource_type"] == "model" and n["config"]["schema"] == "intermediate"
    ]
    assert len(intermediate) >= 8
    for node in intermediate:
        refs = {nodes[uid]["name"] for uid in node["depends_on"]["nodes"] if uid in nodes}
        hooks = " ".join(hook["sql"] for hook in node["config"]["pre-hook"])
        refs |= set(re.findall(r"ref\('(\w+)'\)", node["raw_code"] + hooks))
        assert {ref for ref in refs if schema_of.get(ref) == "marts"} == set(), node["name"]


def test_materialisations_are_set_per_folder(built):
    """dbt_project.yml says how models are materialised, by folder: a model's file says nothing of it, and
    every model in a paper_keyed/ folder is incremental, deletes the changed papers first and has its data
    tests limited to the rows the pipeline's incremental builds changed."""
    nodes = manifest(built)["nodes"]
    models = {uid: n for uid, n in nodes.items() if n["resource_type"] == "model"}
    paper_keyed = {uid for uid, n in models.items() if "/paper_keyed/" in n["original_file_path"]}
    assert {models[uid]["name"] for uid in paper_keyed} >= {"int_entity_papers", "dim_papers", "fct_mentions"}
    for uid, node in models.items():
        assert not re.search(r"materialized|incremental_strategy|on_schema_change", node["raw_code"]), uid
        if uid in paper_keyed:
            assert node["config"]["materialized"] == "incremental", uid
            assert "delete_changed_papers()" in node["config"]["pre-hook"][0]["sql"], uid
    tests = [
        n for n in nodes.values() if n["resource_type"] == "test" and n.get("attached_node") in paper_keyed
    ]
    assert len(tests) >= 30
    assert all(n["config"]["where"] and "true" in n["config"]["where"] for n in tests)
    assert models["model.paperpulse.topic_trends"]["config"]["materialized"] == "table"
    assert models["model.paperpulse.int_lexicon_aliases_unioned"]["config"]["materialized"] == "view"


def test_mart_columns_that_must_have_a_value_refuse_null(built, tmp_path):
    """Contracts carry the marts' not_null constraints (no not_null data test on a mart): the build file's
    tables enforce them as rows are written, the way an incremental build appends."""
    nodes = manifest(built)["nodes"]
    marts = {
        uid for uid, n in nodes.items() if n["resource_type"] == "model" and n["config"]["schema"] == "marts"
    }
    declared = {
        (nodes[uid]["name"], column["name"])
        for uid in marts
        for column in nodes[uid]["columns"].values()
        if any(constraint["type"] == "not_null" for constraint in column["constraints"])
    }
    tested = [
        n["name"] for n in nodes.values() if n["resource_type"] == "test" and n.get("attached_node") in marts
    ]
    assert not [name for name in tested if name.startswith("not_null_")]
    build_db = tmp_path / "build.duckdb"
    shutil.copy(built[0] / "build.duckdb", build_db)  # the fixture holds the file open
    with duckdb.connect(str(build_db)) as con:
        enforced = set(
            con.execute(
                "select table_name, unnest(constraint_column_names) from duckdb_constraints() "
                "where schema_name = 'marts' and constraint_type = 'NOT NULL'"
            ).fetchall()
        )
        assert len(declared) >= 100 and enforced == declared
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL constraint failed"):
            con.execute(
                "insert into marts.fct_mentions select * replace (null as surface) from marts.fct_mentions"
            )


def test_every_unit_test_passes(built):
    """The pipeline's builds leave the unit tests out (paperpulse/warehouse/build.py); this build ran them."""
    unit_tests = {uid for uid in manifest(built)["unit_tests"]}
    results = json.loads((built[0] / "target" / "run_results.json").read_text())["results"]
    ran = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    assert len(unit_tests) >= 15
    assert ran == dict.fromkeys(unit_tests, "pass")


def test_exposures_name_the_code_that_reads_the_marts(built):
    exposures = manifest(built)["exposures"]
    assert {e["name"] for e in exposures.values()} == {"paperpulse_dashboard", "paperpulse_daily_digest"}
    for exposure in exposures.values():
        code = exposure["config"]["meta"]["code"]
        assert (DBT_DIR.parent / code).is_file(), code
        assert code in exposure["description"]
    assert exposures["exposure.paperpulse.paperpulse_dashboard"]["url"] == "http://localhost:8501"


def test_stale_sources_show_in_the_build_report(built, tmp_path):
    """The raw rows above were loaded on 2024-03-18: long past error_after (7 days). `dbt source freshness`
    says so (and exits 1); the report shows it and raises nothing."""
    shutil.copy(built[0] / "build.duckdb", tmp_path / "build.duckdb")  # the fixture holds the file open
    shutil.copy(built[0] / "target" / "run_results.json", tmp_path / "run_results.json")
    proc = subprocess.run(
        [str(DBT), "source", "freshness"],
        cwd=DBT_DIR,
        env=dbt_env(tmp_path, tmp_path / "build.duckdb"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 1, proc.stdout[-3000:]
    report = BuildReport.from_artifacts(tmp_path / "run_results.json", tmp_path / "target" / "sources.json")
    stale = {source.source: source for source in report.stale_sources}
    assert set(stale) == {"raw.papers", "raw.paper_listings"}
    assert stale["raw.papers"].status == "error" and stale["raw.papers"].age_seconds > 7 * 86400
    assert re.search(
        r"; stale sources: raw\.paper_listings last loaded \d+\.\d days ago \(error after 7 days\), "
        r"raw\.papers last loaded \d+\.\d days ago \(error after 7 days\)$",
        report.describe(),
    ), report.describe()


def test_a_warn_severity_test_shows_in_the_build_report(tmp_path):
    """A data test of severity warn that finds rows does not fail the build: it is counted and named."""
    project = tmp_path / "project"
    shutil.copytree(DBT_DIR, project / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    shutil.copytree(DBT_DIR.parent / "extract" / "lexicons", project / "extract" / "lexicons")
    (project / "dbt" / "tests" / "assert_nothing_here.sql").write_text(
        "{{ config(severity='warn') }}\nselect 1 as found\n"
    )
    proc = subprocess.run(
        [str(DBT), "build", "--select", "assert_nothing_here"],
        cwd=project / "dbt",
        env=dbt_env(tmp_path, tmp_path / "build.duckdb"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    report = BuildReport.from_artifacts(tmp_path / "target" / "run_results.json")
    assert (report.tests_passed, report.tests_warned, report.warned) == (0, 1, ("assert_nothing_here",))
    assert report.describe().startswith("0 models built, 0 tests passed, 1 warned (assert_nothing_here)")


def test_the_build_report_line():
    statuses = {
        "model": Counter(success=30),
        "test": Counter(**{"pass": 200, "warn": 12}),
        "unit_test": Counter(**{"pass": 5}),
    }
    warned = tuple(f"t{n:02}" for n in range(12))
    fresh = SourceFreshness("raw.papers", "pass", 60.0, "3 days", "7 days")
    stale = SourceFreshness("raw.paper_listings", "warn", 4.5 * 86400, "3 days", "7 days")
    report = BuildReport(statuses, warned=warned, freshness=(fresh, stale))
    assert report.describe() == (
        "30 models built, 205 tests passed, "
        "12 warned (t00, t01, t02, t03, t04, t05, t06, t07, t08, t09 and 2 more); "
        "stale sources: raw.paper_listings last loaded 4.5 days ago (warn after 3 days)"
    )
    assert BuildReport(statuses, freshness=(fresh,)).describe() == "30 models built, 205 tests passed"
    assert BuildReport(statuses).describe().endswith("; source freshness not checked (see dbt's log)")
