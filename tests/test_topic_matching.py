"""Topic matching word by word gives exactly what one regular expression per paper and keyword gives."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb

from paperpulse.ingest import raw
from paperpulse.ingest.sources import synthetic
from paperpulse.settings import Settings
from paperpulse.warehouse.connection import ensure_schema

DBT_DIR = Path(__file__).resolve().parent.parent / "dbt"
DBT = Path(sys.executable).with_name("dbt")

# One paper each, so that one spelling matching cannot hide another that should not (or should).
TRICKY = [
    "LLMs",
    "LLMes",
    "fine-tuning",
    "Fine  tuning",
    "fine--tuning",
    "fine - tuning",
    "fine\ntuning",
    "fine\t-\r\ntuning",
    "A language, model",
    "a large-language-models study",
    "the large language model's",
    "llm_based",
    "llm2",
    "(LLM)",
    "LLM.",
    "café llm",
    "naïve-llm",
    "über-LLM",
    "In-context learning",
    "chain-of-thought",
    "chain of thoughts",
    "chain-of-thoughtes",
    "GPT-4",
    "GPTs",
    "instruction tuning",
    "pre_training",
    "pre train",
    "scaling laws",
    "data mixtures.",
    "Sparse LLM",
    "sparse-llms",
    "sparse llmes",
    "quantisation",
    "quantization-aware",
]

# The definition the model must agree with: each taxonomy keyword as a regular expression, counted in the
# title and in the abstract; a paper is in a topic when a keyword is in the title or the topic's keywords
# occur twice (a keyword written two ways, "state-space model" and "state space model", is one).
REFERENCE = r"""
with papers as (
    select paper_id, {title} as title, {abstract} as abstract from raw.papers
),
keywords as (
    select topic_id, trim(unnest(string_split(keywords, '|'))) as keyword from lexicon.topic_taxonomy
),
patterns as (
    select topic_id, keyword, '\b' || regexp_escape({keyword}) || '(s|es)?\b' as pattern
    from keywords where keyword <> ''
),
counted as (
    select
        paper_id, topic_id, keyword, pattern,
        len(regexp_extract_all(papers.title, pattern)) as in_title,
        len(regexp_extract_all(papers.abstract, pattern)) as in_abstract
    from papers join patterns
        on regexp_matches(papers.title, patterns.pattern) or regexp_matches(papers.abstract, patterns.pattern)
),
occurrences as (
    select paper_id, topic_id, pattern, max(in_title) as in_title, max(in_abstract) as in_abstract
    from counted group by all
),
members as (
    select paper_id, topic_id from occurrences group by all
    having sum(in_title) > 0 or sum(in_title + in_abstract) >= 2
)
select paper_id, topic_id, list_sort(list(distinct keyword)) as matched_keywords
from counted semi join members using (paper_id, topic_id)
group by all order by all
"""


def normalised(expression: str) -> str:
    return rf"trim(regexp_replace(lower({expression}), '[\s\-]+', ' ', 'g'))"


def test_word_by_word_matching_equals_the_regular_expressions(tmp_path):
    settings = Settings(home=tmp_path, trending_year=2024, extract_batch_size=100)
    day = date(2024, 3, 11)
    lines = [synthetic.paper(day, index, settings) | {"listed_date": day.isoformat()} for index in range(300)]
    records = [synthetic.inbox.record(line, day) for line in lines]
    # as written, whitespace and all (sources unwrap abstracts; the marts must not rely on it)
    suffix = " is what we study here, at length and in detail."
    records += [
        # a title of its own: a title-keyed row with an arXiv paper's title would merge into that paper
        # twice: a topic named once in passing in the abstract is no match
        records[0]
        | {"paper_id": f"tricky-{n}", "arxiv_id": None, "title": f"Tricky {n}"}
        | {"abstract": f"{text}{suffix} {text}"}
        for n, text in enumerate(TRICKY)
    ]
    build_db = tmp_path / "build.duckdb"
    with duckdb.connect(str(build_db)) as con:
        ensure_schema(con)
        raw.load_batch(con, raw.prepare_batch("synthetic", day.isoformat(), [("x", r) for r in records]))
    env = {
        **os.environ,
        "PAPERPULSE_BUILD_DB": str(build_db),
        "DO_NOT_TRACK": "1",
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    command = [
        str(DBT),
        "build",
        "--select",
        "+int_papers_matched_to_topics",
        "--indirect-selection",
        "cautious",
        "--profiles-dir",
        str(DBT_DIR),
    ]
    built = subprocess.run(command, cwd=DBT_DIR, env=env, capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-4000:]

    with duckdb.connect(str(build_db), read_only=True) as con:
        model = con.execute(
            "select paper_id, topic_id, matched_keywords from intermediate.int_papers_matched_to_topics "
            "order by all"
        ).fetchall()
        reference = con.execute(
            REFERENCE.format(
                title=normalised("title"), abstract=normalised("abstract"), keyword=normalised("keyword")
            )
        ).fetchall()
    assert len(reference) > 300
    assert {paper_id for paper_id, _, _ in model} >= {f"tricky-{n}" for n in (0, 1, 2, 6, 7)}  # LLM, tuning
    assert model == reference
