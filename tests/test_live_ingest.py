"""Ingestion from the live sources into a real DuckDB file, against the real local fault server:
upvote snapshots, watermarks, re-runs, malformed payloads, network faults, half-landed days, days not
settled yet, and the inbox's land-load-settle order."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import time
from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest

from paperpulse import pipeline
from paperpulse.errors import SourceFailed
from paperpulse.ingest import landing
from paperpulse.ingest.sources import inbox
from tests.fault_server import Reply, settings_for
from tests.live_feeds import Paper, arxiv_days, arxiv_feed, hf_days, hf_item, json_reply

DAY = date(2024, 10, 25)
ABSTRACT = "We fine-tune Llama 2 7B on GSM8K and reach 61.2% accuracy, 4.1 points above the baseline. "
PAPERS = [
    Paper(f"2410.0000{n}", f"Paper number {n} on reasoning", ABSTRACT * 2, upvotes=n) for n in (1, 2, 3)
]
RAW = ["papers", "paper_listings", "quarantine", "hf_upvote_snapshots", "source_watermarks"]


@pytest.fixture
def settings(tmp_path, server):
    return settings_for(tmp_path / "warehouse", server.url, hf_page_size=2, hf_refresh_days=(1,))


def counts(settings) -> dict[str, int]:
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        return {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in RAW}


def query(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        return con.execute(sql).fetchall()


def landing_tree(settings) -> dict[str, str]:
    root = settings.landing_dir
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def serve_hf(server, listings=lambda day: [hf_item(p) for p in PAPERS], faults=None):
    server.route("/daily_papers", hf_days(listings, faults))


def test_an_hf_day_lands_loads_and_records_its_watermark_and_upvotes(server, settings):
    serve_hf(server)
    report = pipeline.ingest(settings, "hf_daily", DAY)
    assert report.fetched and (report.load.new, report.load.snapshots) == (3, 3)
    assert [p.name for p in report.landed_files] == ["p0000.json", "p0001.json"]
    assert query(settings, "select paper_id, title from raw.papers order by 1") == [
        (p.arxiv_id, p.title) for p in PAPERS
    ]
    assert query(
        settings, "select paper_id, upvotes, landed_file from raw.hf_upvote_snapshots order by 1"
    ) == [
        ("2410.00001", 1, "2024-10-25/p0000.json"),
        ("2410.00002", 2, "2024-10-25/p0000.json"),
        ("2410.00003", 3, "2024-10-25/p0001.json"),
    ]
    (watermark,) = query(
        settings, "select source, interval_day::varchar, landed_files from raw.source_watermarks"
    )
    assert watermark == ("hf_daily", "2024-10-25", 2)


def test_upvote_snapshots_grow_when_a_later_run_asks_for_the_day_again(server, settings):
    asked = {}

    def listings(day):  # every time HF is asked for a day, its papers have 10 more upvotes
        asked[day] = asked.get(day, 0) + 1
        return [hf_item(dataclasses.replace(p, upvotes=p.upvotes + 10 * asked[day])) for p in PAPERS[:1]]

    serve_hf(server, listings)
    pipeline.ingest(settings, "hf_daily", DAY)
    next_day = pipeline.ingest(settings, "hf_daily", DAY + timedelta(days=1))  # asks for DAY again
    assert next_day.load.snapshots == 2  # the next day's listing and DAY's refetch

    snapshots = query(
        settings,
        "select listed_date::varchar, upvotes, landed_file from raw.hf_upvote_snapshots "
        "where listed_date = '2024-10-25' order by observed_at",
    )
    assert snapshots == [
        ("2024-10-25", 11, "2024-10-25/p0000.json"),
        ("2024-10-25", 21, "2024-10-25/refetch-2024-10-26/p0000.json"),
    ]
    # The listing keeps what the day's first landing said; the snapshots hold the history.
    assert query(
        settings, "select extra->>'$.upvotes' from raw.paper_listings where listed_date = '2024-10-25'"
    ) == [("11",)]
    requests, before = len(server.requests), counts(settings)
    again = pipeline.ingest(settings, "hf_daily", DAY + timedelta(days=1))
    assert (len(server.requests), counts(settings), again.load.snapshots) == (requests, before, 0)


def test_a_backfill_day_does_not_ask_for_earlier_days_again(server, settings):
    serve_hf(server)
    pipeline.ingest(settings, "hf_daily", DAY)
    pipeline.ingest(settings, "hf_daily", DAY + timedelta(days=1), refresh=False)
    assert [r.query["date"] for r in server.requests] == ["2024-10-25"] * 2 + ["2024-10-26"] * 2


def test_re_running_an_interval_asks_nothing_and_changes_nothing(server, settings):
    serve_hf(server)
    pipeline.ingest(settings, "hf_daily", DAY)
    requests, tables, tree = len(server.requests), counts(settings), landing_tree(settings)
    watermark = query(settings, "select * from raw.source_watermarks")
    again = pipeline.ingest(settings, "hf_daily", DAY)
    assert not again.fetched
    assert (again.load.new, again.load.changed, again.load.unchanged, again.load.snapshots) == (0, 0, 3, 0)
    assert len(server.requests) == requests
    assert counts(settings) == tables
    assert landing_tree(settings) == tree
    assert query(settings, "select * from raw.source_watermarks") == watermark


HTML = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"


def no_summary(paper: Paper) -> dict:
    item = hf_item(paper)
    del item["paper"]["summary"]
    return item


@pytest.mark.parametrize(
    ("second_page", "reason"),
    [
        (Reply(200, HTML, headers={"Content-Type": "text/html"}), "p0001.json: not JSON (Expecting value"),
        (Reply(200, b'[{"paper": {"id": "2410.00009", "summ'), "p0001.json: not JSON (Unterminated string"),
        (json_reply({"error": "Invalid date"}), "p0001.json: expected a JSON list of papers, got dict"),
        (json_reply([no_summary(PAPERS[2])]), "p0001.json: item 0: missing field paper.summary"),
    ],
    ids=["html-error-page", "truncated-json", "json-error-object", "missing-field"],
)
def test_a_malformed_hf_payload_is_quarantined_and_the_good_records_load(
    server, settings, second_page, reason
):
    serve_hf(server, faults=lambda request: second_page if request.query["p"] == "1" else None)
    report = pipeline.ingest(settings, "hf_daily", DAY)
    assert (report.load.new, report.load.quarantined) == (2, 1)
    ((landed_file, why),) = query(settings, "select landed_file, reason from raw.quarantine")
    assert landed_file == "p0001.json" and why.startswith(reason)


def test_malformed_arxiv_entries_and_pages_are_quarantined_and_the_good_records_load(server, settings):
    bad_entry = arxiv_feed(PAPERS[:2], 0, 2).replace(b"<summary>", b"<nosummary>", 1)
    bad_entry = bad_entry.replace(b"</summary>", b"</nosummary>", 1)
    server.script("/query", Reply(200, bad_entry))
    report = pipeline.ingest(settings, "arxiv", DAY)
    assert (report.load.new, report.load.quarantined) == (1, 1)
    assert query(settings, "select reason from raw.quarantine") == [
        ("p0000.xml: entry 0: missing <summary>",)
    ]

    server.script("/query", Reply(200, b"<feed><entry>unclosed"))
    report = pipeline.ingest(settings, "arxiv", DAY + timedelta(days=1))
    assert (report.load.new, report.load.quarantined) == (0, 1)


def test_the_arxiv_error_entry_fails_the_interval_clearly_and_lands_nothing(server, settings):
    error_feed = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/api/errors#bad_query</id>'
        b"<title>Error</title><summary>malformed query</summary></entry></feed>"
    )
    server.script("/query", Reply(200, error_feed))
    with pytest.raises(SourceFailed, match=r"the arXiv API rejected the query .*: malformed query"):
        pipeline.ingest(settings, "arxiv", DAY)
    assert not landing.interval_dir(settings, "arxiv", DAY).exists()
    assert len(server.requests) == 1  # a wrong query is not retried


FAULTS = {
    "timeout": Reply(200, b"[]", delay=1.0),
    "connection-reset": Reply(reset=True),
    "reset-mid-body": Reply(200, b"[" + b" " * 64 + b"]", truncate=8, reset=True),
    "429-without-retry-after": Reply(429, b"slow down"),
    "429-with-retry-after": Reply(429, b"slow down", headers={"Retry-After": "0"}),
    "500": Reply(500, b"oops"),
    "503": Reply(503, b"busy"),
    "slow-transfer": Reply(200, b"[" + b" " * 200 + b"]", drip=0.05),
    "truncated-body": Reply(200, b"[" + b" " * 64 + b"]", truncate=10),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_passing_network_fault_is_retried_and_the_day_loads(server, settings, fault):
    def first_attempt_fails(request):
        return FAULTS[fault] if request.number == 0 else None

    serve_hf(server, faults=first_attempt_fails)
    report = pipeline.ingest(settings, "hf_daily", DAY)
    assert report.load.new == 3
    assert [r.query["p"] for r in server.requests] == ["0", "0", "1"]


@pytest.mark.parametrize("fault", FAULTS)
def test_a_source_down_fails_clearly_after_bounded_attempts_and_lands_nothing(server, settings, fault):
    serve_hf(server, faults=lambda request: FAULTS[fault])
    with pytest.raises(
        SourceFailed, match=r"daily_papers\?date=2024-10-25&limit=2&p=0 failed after 4 attempts"
    ):
        pipeline.ingest(settings, "hf_daily", DAY)
    assert len(server.requests) == 4
    assert not landing.interval_dir(settings, "hf_daily", DAY).exists()
    assert not settings.build_db.exists()  # nothing was loaded, not even an empty batch


def test_a_day_that_fails_part_way_never_leaves_a_half_landed_day(server, settings):
    down = True
    serve_hf(server, faults=lambda r: Reply(500, b"oops") if down and r.query["p"] == "1" else None)
    with pytest.raises(SourceFailed):
        pipeline.ingest(settings, "hf_daily", DAY)
    folder = landing.interval_dir(settings, "hf_daily", DAY)
    assert not folder.exists() and not landing.is_landed(settings, "hf_daily", DAY)
    assert not folder.with_name("2024-10-25.partial").exists()  # page 0 went with the failed attempt

    down = False
    report = pipeline.ingest(settings, "hf_daily", DAY)
    assert report.load.new == 3
    assert sorted(p.name for p in folder.iterdir()) == ["_COMPLETE", "p0000.json", "p0001.json"]
    assert not folder.with_name("2024-10-25.partial").exists()
    assert [r.query["p"] for r in server.requests].count("0") == 2  # page 0 again: the day restarts


def test_a_day_not_settled_yet_is_refused_without_asking(server, settings):
    today = datetime.now(UTC).date()
    with pytest.raises(ValueError, match=f"hf_daily {today} has not settled yet"):
        pipeline.ingest(settings, "hf_daily", today)
    with pytest.raises(ValueError, match=r"the latest settled day is " + str(today - timedelta(days=4))):
        pipeline.ingest(settings, "arxiv", today - timedelta(days=2))
    assert server.requests == []


def test_a_scheduled_run_covers_the_day_that_settled_as_its_interval_ended(settings):
    end = date(2024, 10, 26)
    assert pipeline.covered_day(settings, "hf_daily", end) == date(2024, 10, 25)
    assert pipeline.covered_day(settings, "arxiv", end) == date(2024, 10, 22)
    assert pipeline.covered_day(settings, "trending_page", end) == date(2024, 3, 11)


def test_arxiv_days_land_one_by_one(server, settings):
    server.route("/query", arxiv_days(lambda day: PAPERS if day == "2024-10-25" else []))
    settings = settings.replace(arxiv_page_size=2)
    assert pipeline.ingest(settings, "arxiv", DAY).load.new == 3
    assert pipeline.ingest(settings, "arxiv", DAY + timedelta(days=1)).load.new == 0
    assert [r.query["start"] for r in server.requests] == ["0", "2", "0"]
    assert query(settings, "select distinct source, listed_date::varchar from raw.paper_listings") == [
        ("arxiv", "2024-10-25")
    ]


# The inbox: files land one by one, load, and only then move out of the inbox.

LINE = '{"title": "An inbox paper", "abstract": "%s", "arxiv_id": "2410.00001v2"}\n' % (ABSTRACT * 2)


def drop(settings, name: str, text: str):
    settings.inbox_dir.mkdir(parents=True, exist_ok=True)
    (settings.inbox_dir / name).write_text(text)
    return settings.inbox_dir / name


def test_the_inbox_takes_ready_files_lands_loads_and_settles_them(settings):
    drop(settings, "half-written.jsonl.tmp", '{"title": "half')
    drop(settings, "good.jsonl", LINE + "{oops\n")
    drop(settings, "bad.jsonl", '{"title": "no abstract"}\n')
    report = pipeline.ingest(settings, "inbox", DAY)

    assert (report.load.new, report.load.quarantined) == (1, 2)
    assert sorted(p.name for p in settings.inbox_dir.iterdir() if p.is_file()) == ["half-written.jsonl.tmp"]
    assert sorted(p.name for p in settings.inbox_processed_dir.iterdir()) == [
        "good.jsonl",
        "good.jsonl.reason.txt",
    ]
    assert (settings.inbox_rejected_dir / "bad.jsonl.reason.txt").read_text() == (
        "bad.jsonl line 1: missing field abstract\n"
    )
    digest = hashlib.sha256((LINE + "{oops\n").encode()).hexdigest()[:12]
    landed = sorted(p.name for p in landing.interval_dir(settings, "inbox", DAY).iterdir())
    assert f"good-{digest}.jsonl" in landed and len(landed) == 2
    assert query(settings, "select paper_id, source, listed_date::varchar from raw.paper_listings") == [
        ("2410.00001", "inbox", "2024-10-25")
    ]
    assert query(settings, "select landed_file, reason from raw.quarantine order by 2") == [
        (next(n for n in landed if n.startswith("bad-")), "bad.jsonl line 1: missing field abstract"),
        (f"good-{digest}.jsonl", "good.jsonl line 2: not JSON (Expecting property name enclosed in double "
         "quotes: line 1 column 2 (char 1))"),
    ]  # fmt: skip
    assert pipeline.ingest(settings, "inbox", DAY).load.loaded == 0  # nothing left to take


def test_a_crash_after_loading_leaves_the_file_and_loading_it_again_is_harmless(settings, monkeypatch):
    drop(settings, "drop.jsonl", LINE)

    def crash(*args):
        raise RuntimeError("killed before settling")

    monkeypatch.setattr(inbox, "settle", crash)
    with pytest.raises(RuntimeError, match="killed"):
        pipeline.ingest(settings, "inbox", DAY)
    assert (settings.inbox_dir / "drop.jsonl").exists()
    assert counts(settings)["papers"] == 1  # loaded and committed before the crash

    monkeypatch.undo()
    report = pipeline.ingest(settings, "inbox", DAY)
    assert (report.load.new, report.load.unchanged) == (0, 1)
    assert [p.name for p in settings.inbox_processed_dir.iterdir()] == ["drop.jsonl"]
    assert len(list(landing.interval_dir(settings, "inbox", DAY).iterdir())) == 1  # landed once


def inbox_line(title: str, abstract: str = ABSTRACT * 2, **fields) -> str:
    return json.dumps({"title": title, "abstract": abstract, **fields}) + "\n"


def test_a_link_in_the_inbox_is_rejected_alone_and_never_followed(settings, tmp_path):
    secret = tmp_path / "secret.jsonl"  # a file the link points at: valid lines, never to be read
    secret.write_text(inbox_line("A paper only reachable through a link"))
    drop(settings, "good.jsonl", LINE)
    (settings.inbox_dir / "passwd.jsonl").symlink_to(secret)
    report = pipeline.ingest(settings, "inbox", DAY)

    assert (report.load.new, report.load.quarantined) == (1, 1)
    assert query(settings, "select title from raw.papers") == [("An inbox paper",)]
    assert query(
        settings,
        "select landed_file, reason, payload "
        "from raw.quarantine join raw.quarantine_payloads using (payload_sha256)",
    ) == [("passwd.jsonl", f"passwd.jsonl: a symbolic link (to {secret}), never followed", "")]
    rejected = settings.inbox_rejected_dir / "passwd.jsonl"
    assert rejected.is_symlink() and secret.read_text() == inbox_line("A paper only reachable through a link")
    assert rejected.with_name("passwd.jsonl.reason.txt").read_text() == (
        f"passwd.jsonl: a symbolic link (to {secret}), never followed\n"
    )
    landed = landing.interval_dir(settings, "inbox", DAY)
    assert [p.name for p in landed.iterdir()] == [
        f"good-{hashlib.sha256(LINE.encode()).hexdigest()[:12]}.jsonl"
    ]


def test_a_file_that_cannot_land_is_rejected_alone_and_a_long_name_lands(settings):
    long_name = "n" * 240 + ".jsonl"  # 246 characters: with its hash, more than a file name may hold
    drop(settings, long_name, inbox_line("A paper with a long file name"))
    os.mkfifo(settings.inbox_dir / "pipe.jsonl")  # cannot be read as a file (nor block the run)
    drop(settings, "good.jsonl", LINE)
    report = pipeline.ingest(settings, "inbox", DAY)

    assert (report.load.new, report.load.quarantined) == (2, 1)
    assert sorted(query(settings, "select title from raw.papers")) == [
        ("A paper with a long file name",),
        ("An inbox paper",),
    ]
    assert query(settings, "select reason from raw.quarantine") == [("pipe.jsonl: not a regular file",)]
    assert settings.inbox_rejected_dir.joinpath("pipe.jsonl.reason.txt").read_text() == (
        "pipe.jsonl: not a regular file\n"
    )
    processed = sorted(p.name for p in settings.inbox_processed_dir.iterdir())
    assert processed[0] == "good.jsonl" and processed[1].startswith("n" * 200)
    assert [p.name for p in settings.inbox_dir.iterdir() if not p.is_dir()] == []
    landed = [p.name for p in landing.interval_dir(settings, "inbox", DAY).iterdir()]
    assert all(len(name) <= 255 - len("..tmp") for name in landed) and len(landed) == 2
    assert pipeline.ingest(settings, "inbox", DAY).load.loaded == 0  # nothing left behind to fail again


def test_a_file_named_as_unfinished_past_the_grace_is_reported(settings, caplog):
    drop(settings, ".forgotten.jsonl", LINE)
    hours_ago = time.time() - 2 * 3600
    os.utime(settings.inbox_dir / ".forgotten.jsonl", (hours_ago, hours_ago))
    drop(settings, "writing.jsonl.tmp", LINE)  # just started: not yet worth a word
    with caplog.at_level(logging.WARNING):
        report = pipeline.ingest(settings, "inbox", DAY)
    expected = (
        "1 inbox file(s) named as unfinished for over 1 h (rename each to its final *.jsonl name once "
        "written): .forgotten.jsonl"
    )
    assert report.warnings == [expected]
    assert expected in caplog.messages
    assert (settings.inbox_dir / ".forgotten.jsonl").exists()  # it still waits for its rename


def test_a_paper_three_times_in_a_batch_keeps_the_last_and_says_so(settings):
    def version(n: int, **fields) -> str:
        return inbox_line("Versions", f"Version {n} of the abstract. " * 4, **fields)

    drop(settings, "a.jsonl", version(1, arxiv_id="2410.00009") + version(2, arxiv_id="2410.00009"))
    os.utime(settings.inbox_dir / "a.jsonl", (1_000_000_000, 1_000_000_000))  # the older file
    drop(settings, "b.jsonl", version(3, arxiv_id="2410.00009") + version(3, id="2410.00009"))  # equal
    report = pipeline.ingest(settings, "inbox", DAY)

    assert (report.load.new, report.load.quarantined, report.load.superseded) == (1, 2, 2)
    assert query(settings, "select abstract from raw.papers") == [
        (("Version 3 of the abstract. " * 4).strip(),)
    ]
    a, b = sorted(p.name for p in landing.interval_dir(settings, "inbox", DAY).iterdir())
    kept = "with another title, abstract or listing; the later one was kept"
    assert query(settings, "select landed_file, reason from raw.quarantine order by reason") == [
        (a, f"{a} line 1: paper 2410.00009 again at line 2 {kept}"),
        (a, f"{a} line 2: paper 2410.00009 again at {b} line 1 {kept}"),
    ]
    (payload,) = query(
        settings,
        "select payload from raw.quarantine join raw.quarantine_payloads using (payload_sha256) "
        "where reason like '%line 1:%'",
    )[0]
    assert json.loads(payload)["abstract"].startswith("Version 1 of the abstract.")
