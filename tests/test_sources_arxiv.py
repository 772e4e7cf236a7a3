"""The arXiv source: both feed formats, ids, paging, pacing, throttling and the Error entry."""

from __future__ import annotations

import itertools
import re
from datetime import date
from pathlib import Path

import pytest

from paperpulse.ingest.http import FetchError
from paperpulse.ingest.sources import Payload, Rejected, arxiv
from tests.fault_server import Reply, settings_for

FIXTURES = Path(__file__).parent / "fixtures"
NEW_FORMAT = (FIXTURES / "arxiv_api_new_format_2025-11.xml").read_bytes()
OLD_FORMAT = (FIXTURES / "arxiv_api_old_format_2025-08.xml").read_bytes()
DAY = date(2024, 10, 25)
OFFLINE = settings_for(Path("unused"))

# What the API answers a malformed query with (HTTP 200), as its manual shows.
ERROR_FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">ArXiv Query: search_query=&amp;id_list=1234.1234v1</title>
  <id>http://arxiv.org/api/Ug3/fmxWF2hBsn+bVOCBvBd8n0I</id>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:totalResults>
  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.1234v1</id>
    <title>Error</title>
    <summary>incorrect id format for 1234.1234v1</summary>
    <updated>2007-10-12T00:00:00-04:00</updated>
    <author><name>arXiv api core</name></author>
  </entry>
</feed>
"""


def feed(ids: list[str], start: int, total: int) -> bytes:
    """A page in the current format: the fixture's entry repeated with other ids."""
    text = NEW_FORMAT.decode()
    head, rest = text.split("  <entry>", 1)
    entry, tail = rest.split("</entry>\n", 1)
    head = re.sub(r"totalResults>\d+<", f"totalResults>{total}<", head)
    head = re.sub(r"startIndex>\d+<", f"startIndex>{start}<", head)
    entries = "".join(f"  <entry>{entry.replace('1606.02159', i)}</entry>\n" for i in ids)
    return (head + entries + tail).encode()


IDS = ["2410.00001", "2410.00002", "2410.00003", "2410.00004", "2410.00005"]


def paged(request) -> Reply:
    start, size = int(request.query["start"]), int(request.query["max_results"])
    return Reply(200, feed(IDS[start : start + size], start, len(IDS)))


@pytest.fixture
def settings(tmp_path, server):
    return settings_for(tmp_path, server.url, arxiv_page_size=2)


def run(settings) -> tuple[list[Payload], list]:
    payloads = list(arxiv.fetch(DAY, settings))
    return payloads, [item for p in payloads for item in arxiv.parse(p, DAY, settings)]


def test_current_format_parses():
    (record,) = arxiv.parse(Payload("p0000.xml", NEW_FORMAT), DAY, OFFLINE)
    assert record["paper_id"] == record["arxiv_id"] == "1606.02159"
    assert (
        record["title"] == "Avoiding common pitfalls and misconceptions in extractions of the proton radius"
    )
    assert record["abstract"].startswith("In a series of recent publications, different authors")
    assert record["source"] == "arxiv"
    assert record["listed_date"] == "2024-10-25"
    extra = record["extra"]
    assert extra["version"] == "v1"
    assert extra["published"] == "2016-06-07T18:32:01Z"
    assert extra["authors"] == ["Jan C. Bernauer", "Michael O. Distler"]
    assert extra["categories"] == ["nucl-th", "hep-ph", "nucl-ex"]
    assert extra["primary_category"] == "nucl-th"
    assert extra["comment"].startswith("Preliminary version")


def test_older_format_parses_with_old_style_id_and_unwrapped_summary():
    (record,) = arxiv.parse(Payload("p0000.xml", OLD_FORMAT), DAY, OFFLINE)
    assert record["paper_id"] == record["arxiv_id"] == "astro-ph/9904306"
    assert record["extra"]["version"] == "v1"
    assert record["title"] == "Improved scenario of baryogenesis"
    assert record["abstract"] == (
        "It is assumed that, in the primordial plasma, at the temperatures above the mass of electron, "
        "fermions are in the neutral state being the superposition of particle and antiparticle. There "
        "exists neutral proton-electron symmetry. Proton-electron equilibrium is defined by the "
        "proton-electron mass difference. At the temperature equal to the mass of electron, pairs of "
        "neutral electrons annihilate into photons, and pairs of neutral protons and electrons survive as "
        "protons and electrons."
    )
    assert record["extra"]["categories"] == ["astro-ph"]
    assert record["extra"]["authors"] == ["D. L. Khokhlov"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://arxiv.org/abs/1606.02159v1", ("1606.02159", "v1")),
        ("https://arxiv.org/abs/2410.17243v12", ("2410.17243", "v12")),
        ("2410.17243", ("2410.17243", None)),
        ("arXiv:0704.0001", ("0704.0001", None)),
        ("http://arxiv.org/abs/astro-ph/9904306v1", ("astro-ph/9904306", "v1")),
        ("hep-th/9901001", ("hep-th/9901001", None)),
        ("math.AG/0601001v2", ("math.AG/0601001", "v2")),
    ],
)
def test_ids_lose_their_version_for_the_key(raw, expected):
    assert arxiv.split_id(raw) == expected


@pytest.mark.parametrize("raw", ["", "1234", "2410.17243v", "http://example.org/abs/2410.17243", "a/b"])
def test_non_ids_are_refused(raw):
    with pytest.raises(ValueError, match="is not an arXiv id"):
        arxiv.split_id(raw)


def test_query_asks_for_the_categories_on_the_day_in_submission_order(settings):
    params = arxiv.query_params(DAY, settings, start=4)
    assert params == {
        "search_query": "(cat:cs.LG OR cat:cs.CL OR cat:cs.CV OR cat:cs.AI OR cat:stat.ML) "
        "AND submittedDate:[202410250000 TO 202410252359]",
        "start": 4,
        "max_results": 2,
        "sortBy": "submittedDate",
        "sortOrder": "ascending",
    }


def test_fetch_pages_with_start_until_total_results(server, settings):
    server.route("/query", paged)
    payloads, records = run(settings)
    assert [p.name for p in payloads] == ["p0000.xml", "p0001.xml", "p0002.xml"]
    hits = server.hits("/query")
    assert [(r.query["start"], r.query["max_results"]) for r in hits] == [("0", "2"), ("2", "2"), ("4", "2")]
    assert hits[0].query["search_query"] == arxiv.query_params(DAY, settings, 0)["search_query"]
    assert [r["arxiv_id"] for r in records] == IDS


def test_fetch_keeps_the_minimum_interval_between_requests(server, settings):
    server.route("/query", paged)
    run(settings.replace(arxiv_min_interval=0.2))
    hits = server.hits("/query")
    assert len(hits) == 3
    assert all(b.at - a.at >= 0.15 for a, b in itertools.pairwise(hits))  # 0.2 s less arrival jitter


def test_a_day_without_submissions_is_one_empty_page(server, settings):
    server.script("/query", Reply(200, feed([], 0, 0)))
    payloads, records = run(settings)
    assert len(payloads) == 1
    assert records == []
    assert len(server.hits("/query")) == 1


@pytest.mark.parametrize("status", [200, 503])
def test_rate_exceeded_is_retried_as_throttling(server, settings, status):
    throttled = Reply(status, b"Rate exceeded.", headers={"Content-Type": "text/plain"})
    server.script("/query", throttled, throttled, Reply(200, feed(IDS[:1], 0, 1)))
    payloads, records = run(settings)
    assert len(server.hits("/query")) == 3
    assert [p.body for p in payloads] == [feed(IDS[:1], 0, 1)]  # the throttling text never lands
    assert [r["arxiv_id"] for r in records] == IDS[:1]


def test_throttling_that_never_ends_fails_clearly(server, settings):
    server.script("/query", Reply(200, b"Rate exceeded."))
    with pytest.raises(FetchError, match=r"failed after 4 attempts: arXiv is throttling \(Rate exceeded.\)"):
        run(settings)


def test_an_empty_page_before_the_end_is_retried(server, settings):
    def flaky(request) -> Reply:
        if request.query["start"] == "2" and not any(r.query["start"] == "2" for r in server.requests[:-1]):
            return Reply(200, feed([], 2, len(IDS)))
        return paged(request)

    server.route("/query", flaky)
    _, records = run(settings)
    assert [r.query["start"] for r in server.hits("/query")] == ["0", "2", "2", "4"]
    assert [r["arxiv_id"] for r in records] == IDS


def test_error_entry_fails_fetch_clearly_without_retrying(server, settings):
    server.script("/query", Reply(200, ERROR_FEED))
    with pytest.raises(
        arxiv.ArxivQueryError,
        match=r"rejected the query '\(cat:cs\.LG OR .*2359\]' \(start=0\): incorrect id format for 1234",
    ):
        run(settings)
    assert len(server.hits("/query")) == 1


def test_error_entry_replayed_from_landing_is_rejected():
    (item,) = arxiv.parse(Payload("p0000.xml", ERROR_FEED), DAY, OFFLINE)
    assert isinstance(item, Rejected)
    assert (
        item.reason == "p0000.xml: the arXiv API answered with an error: incorrect id format for 1234.1234v1"
    )
    assert item.payload == ERROR_FEED.decode()


def test_an_html_page_instead_of_a_feed_lands_and_is_rejected_whole(server, settings):
    html = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1><hr></body></html>"
    server.script("/query", Reply(200, html, headers={"Content-Type": "text/html"}))
    payloads, items = run(settings)
    assert [p.body for p in payloads] == [html]
    (item,) = items
    assert isinstance(item, Rejected)
    assert item.reason.startswith("p0000.xml: not XML (")
    assert item.payload == html.decode()


def test_a_bad_entry_is_rejected_and_the_others_load():
    parts = feed(IDS[:3], 0, 3).split(b"<entry>")
    parts[2] = parts[2].replace(b"<id>http://arxiv.org/abs/2410.00002v1</id>", b"<id>garbage</id>")
    parts[3] = re.sub(rb"<summary>.*</summary>", b"", parts[3], flags=re.DOTALL)
    items = list(arxiv.parse(Payload("p0000.xml", b"<entry>".join(parts)), DAY, OFFLINE))
    assert [i["arxiv_id"] for i in items if isinstance(i, dict)] == ["2410.00001"]
    reasons = [i.reason for i in items if isinstance(i, Rejected)]
    assert reasons == [
        "p0000.xml: entry 1: 'garbage' is not an arXiv id",
        "p0000.xml: entry 2: missing <summary>",
    ]
    assert "<ns0:id>garbage</ns0:id>" in items[1].payload
