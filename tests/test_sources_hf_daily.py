"""The Hugging Face daily-papers source: parsing the real sample, paging, weekends, bad pages."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from paperpulse.ingest import landing
from paperpulse.ingest.http import FetchError
from paperpulse.ingest.sources import Payload, Rejected, hf_daily
from tests.fault_server import Reply, settings_for

FIXTURE = (Path(__file__).parent / "fixtures" / "hf_daily_papers_2items.raw.json").read_bytes()
ITEMS = json.loads(FIXTURE)
DAY = date(2024, 10, 25)
OFFLINE = settings_for(Path("unused"))


def item(arxiv_id: str, **paper_fields) -> dict:
    """The sample's first item as another paper."""
    clone = copy.deepcopy(ITEMS[0])
    clone["paper"].update(id=arxiv_id, **paper_fields)
    clone["title"] = f"Paper {arxiv_id}"
    return clone


def page(*items: dict) -> Reply:
    return Reply(200, json.dumps(list(items)).encode(), headers={"Content-Type": "application/json"})


def parse_all(payloads: list[Payload]) -> list:
    return [x for p in payloads for x in hf_daily.parse(p, DAY, OFFLINE)]


@pytest.fixture
def settings(tmp_path, server):
    return settings_for(tmp_path, server.url, hf_page_size=2)


def test_the_real_sample_parses_with_clean_title_and_unwrapped_summary():
    first, second = hf_daily.parse(Payload("p0000.json", FIXTURE), DAY, OFFLINE)
    assert first["paper_id"] == first["arxiv_id"] == "2410.17243"
    # The item-level title, not paper.title with its hard wrap ("Scaling for\n  Contrastive Loss").
    assert (
        first["title"] == "Breaking the Memory Barrier: Near Infinite Batch Size Scaling for Contrastive Loss"
    )
    assert first["abstract"].startswith(
        "Contrastive loss is a powerful approach for representation learning, where larger"
    )
    assert "\n" not in first["abstract"] and "  " not in first["abstract"]
    assert first["abstract"].endswith("The code will be made publicly available.")
    assert first["source"] == "hf_daily"
    assert first["listed_date"] == "2024-10-25"
    assert first["extra"] == {
        "upvotes": 64,
        "github_repo": None,
        "github_stars": None,
        "ai_keywords": None,
        "ai_summary": None,
        "authors": [
            "Zesen Cheng",
            "Hang Zhang",
            "Kehan Li",
            "Sicong Leng",
            "Zhiqiang Hu",
            "Fei Wu",
            "Deli Zhao",
            "Xin Li",
            "Lidong Bing",
        ],
        "published": "2024-10-22T17:59:30.000Z",
        "listed_at": "2024-10-25T00:57:09.392Z",
        "num_comments": 3,
        "version": None,
    }
    assert second["arxiv_id"] == "2410.16251"
    assert second["extra"]["upvotes"] == 41


def test_optional_fields_are_kept_when_present():
    newer = item(
        "2510.00001", githubRepo="https://github.com/org/repo", githubStars=12, ai_keywords=["LoRA", "MMLU"]
    )
    (record,) = hf_daily.parse(Payload("p0000.json", json.dumps([newer]).encode()), DAY, OFFLINE)
    assert record["extra"]["github_repo"] == "https://github.com/org/repo"
    assert record["extra"]["github_stars"] == 12
    assert record["extra"]["ai_keywords"] == ["LoRA", "MMLU"]


def test_fetch_pages_until_a_short_page(server, settings):
    server.route(
        "/daily_papers",
        lambda r: [
            Reply(200, FIXTURE),
            page(item("2410.00003"), item("2410.00004")),
            page(item("2410.00005")),
        ][int(r.query["p"])],
    )
    payloads = list(hf_daily.fetch(DAY, settings))
    assert [p.name for p in payloads] == ["p0000.json", "p0001.json", "p0002.json"]
    assert payloads[0].body == FIXTURE  # landed byte-exact
    assert [r.query for r in server.hits("/daily_papers")] == [
        {"date": "2024-10-25", "limit": "2", "p": str(n)} for n in range(3)
    ]
    records = parse_all(payloads)
    assert [r["arxiv_id"] for r in records] == [
        "2410.17243",
        "2410.16251",
        "2410.00003",
        "2410.00004",
        "2410.00005",
    ]


def test_a_last_full_page_is_followed_by_an_empty_one(server, settings):
    server.route("/daily_papers", lambda r: Reply(200, FIXTURE) if r.query["p"] == "0" else page())
    payloads = list(hf_daily.fetch(DAY, settings))
    assert [p.body for p in payloads] == [FIXTURE, b"[]"]
    assert len(parse_all(payloads)) == 2


def test_a_weekend_is_one_empty_page_and_no_records(server, settings):
    server.script("/daily_papers", page())
    payloads = list(hf_daily.fetch(date(2024, 10, 26), settings))
    assert [(p.name, p.body) for p in payloads] == [("p0000.json", b"[]")]
    assert parse_all(payloads) == []
    assert len(server.hits("/daily_papers")) == 1


def test_a_server_ignoring_the_page_parameter_does_not_loop_forever(server, settings):
    server.script("/daily_papers", Reply(200, FIXTURE))
    payloads = list(hf_daily.fetch(DAY, settings))
    assert [p.body for p in payloads] == [FIXTURE]
    assert len(server.hits("/daily_papers")) == 2


def test_a_throttled_page_mid_way_is_retried_and_nothing_is_lost(server, settings):
    def answer(request):
        if (
            request.query["p"] == "1"
            and len([r for r in server.hits("/daily_papers") if r.query["p"] == "1"]) == 1
        ):
            return Reply(429, b"slow down", headers={"Retry-After": "0"})
        return [Reply(200, FIXTURE), page(item("2410.00003"))][int(request.query["p"])]

    server.route("/daily_papers", answer)
    records = parse_all(list(hf_daily.fetch(DAY, settings)))
    assert [r.query["p"] for r in server.hits("/daily_papers")] == ["0", "1", "1"]
    assert len(records) == 3


def test_an_html_error_page_instead_of_json_lands_and_is_one_rejection(server, settings):
    html = b"<!DOCTYPE html>\n<html><head><title>502</title></head><body>Bad gateway</body></html>"
    server.script("/daily_papers", Reply(200, html, headers={"Content-Type": "text/html"}))
    payloads = list(hf_daily.fetch(DAY, settings))
    assert [p.body for p in payloads] == [html]
    (rejected,) = parse_all(payloads)
    assert isinstance(rejected, Rejected)
    assert rejected.reason.startswith("p0000.json: not JSON (Expecting value: line 1 column 1")
    assert rejected.payload == html.decode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'[{"paper": {"id": "2410.17243", "summ', "p0000.json: not JSON (Unterminated string"),
        (b'{"error": "Invalid date"}', "p0000.json: expected a JSON list of papers, got dict"),
        (b"\xff\xfe[]", "p0000.json: not JSON ("),
    ],
)
def test_an_unparsable_page_is_one_rejection_with_its_text(body, reason):
    (rejected,) = hf_daily.parse(Payload("p0000.json", body), DAY, OFFLINE)
    assert rejected.reason.startswith(reason)
    assert rejected.payload == body.decode("utf-8", errors="replace")


def test_an_item_missing_a_field_is_rejected_and_the_others_load():
    no_summary = item("2410.00002")
    del no_summary["paper"]["summary"]
    bad_id = item("not-an-id")
    no_item_title = item("2410.00004")
    del no_item_title["title"]
    body = json.dumps([item("2410.00001"), no_summary, bad_id, no_item_title, "junk"]).encode()
    items = list(hf_daily.parse(Payload("p0003.json", body), DAY, OFFLINE))
    records = [i for i in items if isinstance(i, dict)]
    assert [r["arxiv_id"] for r in records] == ["2410.00001", "2410.00004"]
    # Without the clean title, paper.title is used with its hard wrap undone.
    assert (
        records[1]["title"]
        == "Breaking the Memory Barrier: Near Infinite Batch Size Scaling for Contrastive Loss"
    )
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert [r.reason for r in rejected] == [
        "p0003.json: item 1: missing field paper.summary",
        "p0003.json: item 2: 'not-an-id' is not an arXiv id",
        "p0003.json: item 4: an item is a JSON object, not str",
    ]
    assert json.loads(rejected[0].payload) == no_summary


def test_a_source_that_is_down_fails_the_landing_clearly_and_a_later_run_fetches(server, settings):
    server.script("/daily_papers", Reply(500, b"oops"))
    with pytest.raises(
        FetchError, match=r"daily_papers\?date=2024-10-25&limit=2&p=0 failed after 4 attempts"
    ):
        landing.land(settings, "hf_daily", DAY)
    assert not landing.is_landed(settings, "hf_daily", DAY)
    assert len(server.hits("/daily_papers")) == 4

    server.script("/daily_papers", page(item("2410.00001")))
    files, fetched = landing.land(settings, "hf_daily", DAY)
    assert fetched and [f.name for f in files] == ["p0000.json"]
    assert landing.land(settings, "hf_daily", DAY)[1] is False  # landed: never fetched again
    assert len(server.hits("/daily_papers")) == 5


def test_a_page_size_above_the_api_cap_is_capped_so_no_page_looks_short(server, tmp_path):
    full = page(*[item(f"2410.{n:05d}") for n in range(100)])
    server.route("/daily_papers", lambda r: full if r.query["p"] == "0" else page(item("2410.00100")))
    payloads = list(hf_daily.fetch(DAY, settings_for(tmp_path, server.url, hf_page_size=500)))
    assert [r.query["limit"] for r in server.hits("/daily_papers")] == ["100", "100"]
    assert len(parse_all(payloads)) == 101
