"""The listings source: real arXiv listing lines from a folder of month files (gzipped or plain), fetched
byte-exact per day, parsed into records keyed by arXiv id; days without lines land empty, bad lines go to
quarantine, days outside the folder are refused; and a backfill over it, end to end."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from paperpulse import pipeline
from paperpulse.ingest import landing, raw
from paperpulse.ingest.sources import NAMES, Payload, Rejected, get, listings
from paperpulse.warehouse.connection import ensure_schema
from tests.conftest import REPO, run_cli
from tests.fault_server import settings_for

FIXTURES = Path(__file__).parent / "fixtures" / "listings"  # real lines: 2026-04 gzipped, 2026-05 plain


def fixture_lines() -> list[bytes]:
    gz = gzip.decompress((FIXTURES / "2026-04.jsonl.gz").read_bytes())
    plain = (FIXTURES / "2026-05.jsonl").read_bytes()
    return gz.splitlines(keepends=True) + plain.splitlines(keepends=True)


def lines_of(day: str) -> bytes:
    return b"".join(line for line in fixture_lines() if json.loads(line)["listed_date"] == day)


@pytest.fixture
def settings(tmp_path):
    return settings_for(tmp_path / "warehouse", listings_dir=FIXTURES)


def copy_with(tmp_path: Path, name: str, body: bytes) -> Path:
    """The fixture folder with one month file replaced."""
    folder = tmp_path / "listings"
    shutil.copytree(FIXTURES, folder)
    (folder / name).write_bytes(body)
    return folder


def test_fetch_returns_each_days_lines_byte_exact_from_gzipped_and_plain_files(settings):
    assert get("listings") is listings.SOURCE
    for day in ("2026-04-29", "2026-04-30", "2026-05-01", "2026-05-04"):
        (payload,) = listings.fetch(date.fromisoformat(day), settings)
        assert payload == Payload("listings.jsonl", lines_of(day))
        assert payload.body.count(b"\n") >= 2
    assert b"".join(
        next(listings.fetch(d, settings)).body for d in listings.listed_days(settings)
    ) == b"".join(fixture_lines())


def test_a_day_without_lines_lands_empty_and_days_outside_the_folder_are_refused(settings):
    assert list(listings.fetch(date(2026, 5, 2), settings)) == []  # a Saturday
    assert (listings.first_day(settings), listings.default_day(settings)) == (
        date(2026, 4, 29),
        date(2026, 5, 4),
    )

    files, fetched = landing.land(settings, "listings", date(2026, 5, 2))
    assert (files, fetched) == ([], True) and landing.is_landed(settings, "listings", date(2026, 5, 2))

    for outside in (date(2026, 4, 28), date(2026, 5, 5)):
        with pytest.raises(ValueError, match=f"listings holds the days 2026-04-29 to 2026-05-04; {outside}"):
            landing.land(settings, "listings", outside)
        assert not landing.interval_dir(settings, "listings", outside).exists()


def test_a_month_file_is_read_once_while_its_days_are_fetched(tmp_path):
    # Every fetch checks the folder's first and last days: with a third month between them, those
    # checks must not push the month being fetched out of the cache (each day read three files again).
    march = lines_of("2026-04-29").replace(b'"listed_date": "2026-04-29"', b'"listed_date": "2026-03-31"')
    settings = settings_for(tmp_path / "warehouse", listings_dir=copy_with(tmp_path, "2026-03.jsonl", march))
    listings._month.cache_clear()
    for day in (date(2026, 4, 29), date(2026, 4, 30), date(2026, 5, 1)):
        landing.check_settled(listings.SOURCE, day, settings)
        assert next(listings.fetch(day, settings)).body == lines_of(day.isoformat())
    assert listings._month.cache_info().misses == 3  # March, May (the bounds), April


def test_lines_become_records_keyed_by_arxiv_id_with_authors_and_lists_in_extra(settings):
    day = date(2026, 5, 1)
    (payload,) = listings.fetch(day, settings)
    records = list(listings.parse(payload, day, settings))
    first = json.loads(lines_of("2026-05-01").splitlines()[0])
    assert len(records) == 3 and all(isinstance(r, dict) for r in records)
    assert records[0] == {
        "paper_id": first["arxiv_id"],
        "arxiv_id": first["arxiv_id"],
        "title": first["title"],
        "abstract": first["abstract"],
        "source": "listings",
        "listed_date": "2026-05-01",
        "extra": {"authors": first["authors"], "lists": first["lists"]},
    }


def test_text_precedence_puts_the_listings_next_to_arxiv():
    assert NAMES[:3] == ("arxiv", "listings", "hf_daily")


def test_malformed_lines_stay_with_their_day_and_are_quarantined_with_their_line_number(tmp_path):
    good = (FIXTURES / "2026-05.jsonl").read_bytes().splitlines(keepends=True)
    body = b"".join(
        [
            b'{"listed_date": "2026-05-01", "title": "Trunc\n',  # cut short, before any good line
            good[0],
            b"not json at all\n",
            json.dumps({"listed_date": "2026-05-01", "title": "No id", "abstract": "x" * 80}).encode()
            + b"\n",
            *good[1:3],
            json.dumps({"listed_date": "2026-06-01", "arxiv_id": "2606.00001"}).encode() + b"\n",  # June
            *good[3:],
        ]
    )
    settings = settings_for(tmp_path / "warehouse", listings_dir=copy_with(tmp_path, "2026-05.jsonl", body))
    day = date(2026, 5, 1)
    (payload,) = listings.fetch(day, settings)
    parsed = list(listings.parse(payload, day, settings))
    reasons = [item.reason for item in parsed if isinstance(item, Rejected)]
    assert [r.split(":")[0] for r in reasons] == [
        "listings.jsonl line 1",
        "listings.jsonl line 3",
        "listings.jsonl line 4",
        "listings.jsonl line 7",
    ]
    assert "not JSON" in reasons[0] and reasons[2].endswith("missing arxiv_id")
    assert "listed_date '2026-06-01' is not the day it was landed under (2026-05-01)" in reasons[3]

    report = pipeline.ingest(settings, "listings", day)
    assert (report.load.new, report.load.quarantined) == (3, 4)
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        assert con.execute("select count(*) from raw.quarantine where source = 'listings'").fetchone() == (4,)
    (other,) = listings.fetch(date(2026, 5, 4), settings)
    assert all(isinstance(item, dict) for item in listings.parse(other, date(2026, 5, 4), settings))


def test_the_same_paper_from_the_listings_inbox_and_arxiv_is_one_row_with_the_best_text(settings):
    day = date(2026, 5, 1)
    (payload,) = listings.fetch(day, settings)
    listed = next(listings.parse(payload, day, settings))
    con = duckdb.connect()
    ensure_schema(con)

    def load(source: str, **changes) -> raw.LoadStats:
        item = listed | {"source": source, "listed_date": "2026-05-02"} | changes
        return raw.load_batch(con, raw.prepare_batch(source, "2026-05-02", [("f", item)]))

    assert load("inbox", abstract=listed["abstract"] + " Inbox words.").new == 1
    assert raw.load_batch(con, raw.prepare_batch("listings", "2026-05-01", [("f", listed)])).changed == 1
    assert load("hf_daily", abstract=listed["abstract"] + " HF words.").changed == 0  # ranks below
    assert load("arxiv", abstract=listed["abstract"] + " v2.").changed == 1  # ranks above
    assert con.execute("select paper_id, abstract from raw.papers").fetchall() == [
        (listed["arxiv_id"], listed["abstract"] + " v2.")
    ]
    assert con.execute("select source from raw.paper_listings order by source").fetchall() == [
        ("arxiv",),
        ("hf_daily",),
        ("inbox",),
        ("listings",),
    ]


@pytest.mark.slow
def test_a_backfill_over_the_folder_is_the_daily_path_and_prints_its_time_and_memory(tmp_path, monkeypatch):
    home = tmp_path / "warehouse"
    monkeypatch.setenv("PAPERPULSE_LISTINGS_DIR", str(FIXTURES))
    first = run_cli(home, "backfill", "--source", "listings").stdout
    assert "listings 2026-04-29..2026-05-04 (6 days: 6 fetched, 0 already landed)" in first
    assert "9 loaded (9 new, 0 changed, 0 unchanged), 0 quarantined; 9 in the warehouse" in first
    assert "  took:      " in first and "peak memory" in first
    with duckdb.connect(str(home / "build.duckdb"), read_only=True) as con:
        watermarks = con.execute(
            "select interval_day::varchar, landed_files from raw.source_watermarks order by 1"
        ).fetchall()
        days = con.execute("select count(distinct first_listed_date) from raw.papers").fetchone()
    assert watermarks == [
        ("2026-04-29", 1),
        ("2026-04-30", 1),
        ("2026-05-01", 1),
        ("2026-05-02", 0),
        ("2026-05-03", 0),
        ("2026-05-04", 1),
    ]
    assert days == (4,)
    assert (home / "landing" / "listings" / "2026-05-01" / "listings.jsonl").read_bytes() == lines_of(
        "2026-05-01"
    )
    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        assert con.execute("select count(*), max(last_listed_date)::varchar from dim_papers").fetchone() == (
            9,
            "2026-05-04",
        )

    again = run_cli(home, "backfill", "--source", "listings").stdout
    assert "(6 days: 0 fetched, 6 already landed)" in again
    assert "nothing changed: these intervals were already loaded, extracted and published" in again

    refused = run_cli(home, "backfill", "--source", "listings", "--since", "2026-01-01", check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1] == (
        "paperpulse backfill: listings holds the days 2026-04-29 to 2026-05-04; 2026-01-01 is outside them"
    )


def test_make_run_is_the_command_the_readme_gives_first():
    import subprocess

    made = subprocess.run(
        ["make", "-n", "--no-print-directory", "run"], cwd=REPO, capture_output=True, text=True, check=True
    )
    command = made.stdout.strip().splitlines()[-1].removeprefix(".venv/bin/")
    assert command == "paperpulse backfill --source listings"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert quick_start.index("make run") < quick_start.index("make test")
    assert f"`{command}`" in quick_start
