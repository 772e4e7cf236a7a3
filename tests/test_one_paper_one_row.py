"""One paper, one row: the same paper from the trending page, HF, arXiv and the inbox merges into the
row keyed by its arXiv id, and its text settles on the best source whatever the loading order."""

from __future__ import annotations

import itertools
import json

import duckdb
import pytest

from paperpulse.ingest import raw
from paperpulse.ingest.records import content_hash, paper_id_for
from paperpulse.warehouse.connection import ensure_schema

TITLE = "Dynamic Sparse No Training: Training-Free Fine-tuning for Sparse LLMs"
ARXIV_ID = "2310.08915"
# The same abstract as each source words it: arXiv's own, HF's copy, the trending page's rewrite.
ABSTRACTS = {
    "arxiv": "The ever-increasing large language models (LLMs) sadly drop a daunting obstacle on the way "
    "to on-device deployment. We propose DSnoT, a training-free fine-tuning approach.",
    "hf_daily": "The ever-increasing large language models (LLMs) sadly drop a daunting obstacle on the way "
    "to on-device deployment. We propose DSnoT, a training-free fine-tuning approach. ",
    "trending_page": "Large language models are hard to deploy on devices. DSnoT is a training-free "
    "fine-tuning approach for sparse LLMs that needs no retraining at all.",
}


def record(source: str, title: str = TITLE, arxiv_id: str | None = ARXIV_ID, day: str = "2024-03-11"):
    if source == "trending_page":
        arxiv_id = None
    return {
        "paper_id": paper_id_for(title, arxiv_id),
        "arxiv_id": arxiv_id,
        "title": title,
        "abstract": ABSTRACTS.get(source, ABSTRACTS["arxiv"]),
        "source": source,
        "listed_date": day,
        "extra": {"from": source},
    }


def load(con, source: str, *items: dict) -> raw.LoadStats:
    return raw.load_batch(con, raw.prepare_batch(source, "2024-03-11", [("f", i) for i in items]))


@pytest.fixture
def con():
    con = duckdb.connect()
    ensure_schema(con)
    return con


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_a_title_keyed_row_is_re_keyed_with_its_listings_when_its_arxiv_paper_arrives(con):
    trending = record(
        "trending_page", title="Dynamic sparse no-training: training-free fine-tuning for sparse LLMs"
    )
    load(con, "trending_page", trending)
    old_id = trending["paper_id"]
    con.execute(
        "insert into raw.mentions values (?, 'model', 'DSnoT', 'DSnoT', null, null, 0, 5, 'v')", [old_id]
    )
    con.execute("insert into raw.extractions values (?, 'h', 'v', 1, 0, now()::timestamp)", [old_id])

    stats = load(con, "hf_daily", record("hf_daily", day="2024-03-12"))

    assert (stats.new, stats.relinked) == (1, 1)
    assert rows(
        con, "select paper_id, arxiv_id, first_source, first_listed_date::varchar from raw.papers"
    ) == [(ARXIV_ID, ARXIV_ID, "trending_page", "2024-03-11")]
    assert rows(con, "select abstract from raw.papers") == [(ABSTRACTS["hf_daily"].strip(),)]
    assert rows(con, "select paper_id, source, extra->>'$.from' from raw.paper_listings order by source") == [
        (ARXIV_ID, "hf_daily", "hf_daily"),
        (ARXIV_ID, "trending_page", "trending_page"),
    ]
    # What was extracted from the trending page's wording goes; the paper is extracted from its new text.
    assert rows(con, "select count(*) from raw.mentions") == [(0,)]
    assert rows(con, "select count(*) from raw.extractions") == [(0,)]


def test_a_title_keyed_record_arriving_after_its_arxiv_paper_joins_it(con):
    load(con, "arxiv", record("arxiv"))
    stats = load(con, "trending_page", record("trending_page"))
    assert (stats.new, stats.changed, stats.unchanged, stats.relinked) == (0, 0, 1, 0)
    assert rows(con, "select paper_id, abstract from raw.papers") == [(ARXIV_ID, ABSTRACTS["arxiv"])]
    assert rows(con, "select paper_id, source from raw.paper_listings order by source") == [
        (ARXIV_ID, "arxiv"),
        (ARXIV_ID, "trending_page"),
    ]


@pytest.mark.parametrize("order", list(itertools.permutations(["trending_page", "hf_daily", "arxiv"])))
def test_the_text_settles_on_the_best_source_whatever_the_order_and_stays(con, order):
    for source in order:
        load(con, source, record(source))
    best = content_hash(TITLE, ABSTRACTS["arxiv"])
    assert rows(con, "select paper_id, content_hash from raw.papers") == [(ARXIV_ID, best)]
    for source in [*order, *reversed(order)]:  # loading again, in any order, changes nothing
        stats = load(con, source, record(source))
        assert (stats.new, stats.changed, stats.relinked) == (0, 0, 0)
    assert rows(con, "select content_hash from raw.papers") == [(best,)]
    assert rows(con, "select count(*) from raw.paper_listings") == [(3,)]


def test_a_newer_text_from_the_same_source_still_replaces_it(con):
    load(con, "arxiv", record("arxiv"))
    revised = record("arxiv") | {"abstract": ABSTRACTS["arxiv"] + " Code is available."}
    assert load(con, "arxiv", revised).changed == 1
    assert rows(con, "select abstract from raw.papers") == [(revised["abstract"],)]


def test_a_source_listing_a_paper_again_later_keeps_the_later_text_whatever_the_loading_order(con):
    # The real listings hold 188 papers listed again on a later day, some with a revised abstract; a
    # backfill run again reloads the earlier day after the later one, and must change nothing.
    revised = record("arxiv", day="2024-03-12") | {"abstract": ABSTRACTS["arxiv"] + " Code is available."}
    first = record("arxiv", day="2024-03-11")
    for batch in ([first], [revised]):
        load(con, "arxiv", *batch)
    for batch in ([first], [revised], [first]):  # the backfill again, and the first day once more
        assert load(con, "arxiv", *batch).changed == 0
    assert rows(con, "select abstract from raw.papers") == [(revised["abstract"],)]

    later_first = duckdb.connect()
    ensure_schema(later_first)
    load(later_first, "arxiv", revised)
    assert load(later_first, "arxiv", first).changed == 0  # an older day loaded later does not win
    assert rows(later_first, "select abstract from raw.papers") == [(revised["abstract"],)]


def test_a_title_shared_by_two_arxiv_papers_links_to_neither(con):
    load(con, "arxiv", record("arxiv"), record("arxiv", arxiv_id="2401.00001"))
    stats = load(con, "trending_page", record("trending_page"))
    assert (stats.new, stats.relinked) == (1, 0)
    assert sorted(rows(con, "select paper_id from raw.papers")) == [
        ("2310.08915",),
        ("2401.00001",),
        (record("trending_page")["paper_id"],),
    ]


def test_one_inbox_file_with_the_paper_with_and_without_its_id_is_one_row(con):
    with_id, without_id = record("inbox"), record("inbox", arxiv_id=None)
    stats = load(con, "inbox", without_id, with_id)
    assert stats.new == 1
    assert rows(con, "select paper_id, arxiv_id from raw.papers") == [(ARXIV_ID, ARXIV_ID)]
    assert rows(con, "select paper_id, extra from raw.paper_listings") == [
        (ARXIV_ID, json.dumps({"from": "inbox"}))
    ]
