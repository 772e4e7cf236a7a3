"""The synthetic source: deterministic, realistic enough to exercise every path raw loading has."""

from __future__ import annotations

import json
from datetime import date

from paperpulse.ingest import raw
from paperpulse.ingest.records import MIN_ABSTRACT_CHARS
from paperpulse.ingest.sources import Rejected, get, synthetic
from paperpulse.ingest.sources.arxiv import split_id
from paperpulse.settings import Settings


def settings(tmp_path, **changes) -> Settings:
    base = Settings(home=tmp_path, trending_year=2024, extract_batch_size=100, synthetic_papers_per_day=50)
    return base.replace(**changes)


def landed(day: date, s: Settings) -> bytes:
    (payload,) = synthetic.fetch(day, s)
    return payload.body


def test_a_day_is_the_same_bytes_for_the_same_seed_and_differs_for_another(tmp_path):
    day = date(2023, 5, 17)
    assert get("synthetic") is synthetic.SOURCE
    assert landed(day, settings(tmp_path)) == landed(day, settings(tmp_path))
    assert landed(day, settings(tmp_path)) != landed(day, settings(tmp_path, synthetic_seed=14))
    assert landed(day, settings(tmp_path)) != landed(date(2023, 5, 18), settings(tmp_path))


def test_a_day_lists_new_papers_revisions_from_earlier_that_month_and_one_bad_line(tmp_path):
    s = settings(tmp_path, synthetic_papers_per_day=1000)
    day = date(2023, 5, 17)
    lines = [json.loads(line) for line in landed(day, s).decode().splitlines()]
    ids = [split_id(line["arxiv_id"]) for line in lines]
    new = [arxiv_id for arxiv_id, version in ids if version == "v1"]
    revised = [arxiv_id for arxiv_id, version in ids if version == "v2"]
    assert len(new) == len(set(new)) == 1000
    assert new[0] == "2305.16001" and new[-1] == "2305.17000"  # numbered within the month
    assert len(revised) == synthetic.REVISIONS_PER_THOUSAND
    assert all("2305.00001" <= arxiv_id < "2305.16001" for arxiv_id in revised)
    assert all(line["listed_date"] == "2023-05-17" for line in lines if "listed_date" in line)
    assert len(lines) == 1000 + len(revised) + synthetic.BAD_LINES_PER_DAY
    assert all(len(line["abstract"]) >= MIN_ABSTRACT_CHARS for line in lines[:1000])
    first_of_month = [json.loads(line) for line in landed(date(2023, 5, 1), s).decode().splitlines()]
    assert len(first_of_month) == 1000 + synthetic.BAD_LINES_PER_DAY  # nothing earlier to revise


def test_a_revision_is_the_earlier_paper_one_sentence_longer(tmp_path):
    s = settings(tmp_path)
    first, second = (
        synthetic.paper(date(2023, 5, 3), 7, s),
        synthetic.paper(date(2023, 5, 3), 7, s, version=2),
    )
    assert first["title"] == second["title"]
    assert second["abstract"].startswith(first["abstract"]) and len(second["abstract"]) > len(
        first["abstract"]
    )


def test_names_and_numbers_are_substituted_from_the_lexicons(tmp_path):
    corpus = synthetic.corpus()
    slots = [part for template in corpus.sentences for part in template if not isinstance(part, str)]
    named = {part for template in corpus.sentences for part in template if part in corpus.names}
    assert named == {"model", "dataset", "metric"}
    assert slots  # numbers
    abstracts = {synthetic.paper(date(2023, 5, 3), n, settings(tmp_path))["abstract"] for n in range(50)}
    assert len(abstracts) == 50


def test_parsed_lines_load_with_the_bad_one_quarantined(tmp_path):
    s = settings(tmp_path)
    day = date(2023, 5, 2)
    (payload,) = synthetic.fetch(day, s)
    items = list(synthetic.parse(payload, day, s))
    rejected = [item for item in items if isinstance(item, Rejected)]
    papers = [item for item in items if not isinstance(item, Rejected)]
    assert len(rejected) == synthetic.BAD_LINES_PER_DAY
    assert {p["source"] for p in papers} == {"synthetic"}
    batch = raw.prepare_batch("synthetic", day.isoformat(), [(payload.name, item) for item in items])
    assert len(batch.papers) == 50 + 1 and len(batch.quarantine) == 1  # 50 new, 1 revised
