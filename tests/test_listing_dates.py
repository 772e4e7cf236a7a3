"""Issue 16 item 3: a listing day after tomorrow (UTC) or before arXiv poisons every trend mart ("today" in
the year 2999). Every record of every source is checked where raw loading checks it; no run covers such
a day."""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from paperpulse import pipeline
from paperpulse.ingest import landing, raw, sources
from paperpulse.ingest.sources import Payload, Rejected, hf_daily, synthetic, trending_page
from paperpulse.settings import Settings
from tests.conftest import copy_home, run_cli, table_counts

FIXTURES = Path(__file__).parent / "fixtures"
ABSTRACT = (
    "We fine-tune Llama 2 7B on GSM8K and MMLU and reach 61.2% accuracy, 4.1 points above the baseline."
)
TODAY = datetime.now(UTC).date()
FUTURE, PAST = date(2999, 1, 1), date(1990, 12, 31)


def loaded(source: str, day: date, items: list) -> raw.Batch:
    return raw.prepare_batch(source, day.isoformat(), [("landed", item) for item in items])


def parsed(source: str, payload: Payload, day: date, settings: Settings) -> list:
    return [
        item for item in sources.get(source).parse(payload, day, settings) if not isinstance(item, Rejected)
    ]


@pytest.fixture
def offline(tmp_path) -> Settings:
    return Settings(home=tmp_path / "warehouse")


def test_every_source_s_records_listed_after_tomorrow_or_before_arxiv_are_quarantined_with_a_reason(offline):
    """What each source makes of a day it should never have been asked: raw loading quarantines it all."""
    days = {FUTURE: "after tomorrow (UTC)", PAST: "before 1991-01-01"}
    for day, why in days.items():
        hf = (FIXTURES / "hf_daily_papers_2items.raw.json").read_bytes()
        atom = (FIXTURES / "arxiv_api_new_format_2025-11.xml").read_bytes()
        (synthetic_payload,) = synthetic.fetch(day, offline)
        line = json.dumps({"title": "A dropped paper", "abstract": ABSTRACT, "listed_date": day.isoformat()})
        page = trending_page.BUNDLED_PAGE.read_bytes()
        cases = {
            "hf_daily": parsed("hf_daily", Payload("p0000.json", hf), day, offline),
            "arxiv": parsed("arxiv", Payload("p0000.xml", atom), day, offline),
            "synthetic": parsed("synthetic", synthetic_payload, day, offline),
            "inbox": parsed("inbox", Payload("drop.jsonl", line.encode()), TODAY, offline),
            "trending_page": parsed(
                "trending_page", Payload("page.txt", page), day, offline.replace(trending_year=day.year)
            ),
        }
        for source, items in cases.items():
            assert items, source
            batch = loaded(source, day, items)
            assert batch.papers.empty and batch.listings.empty, source
            assert len(batch.quarantine) == len(items), source
            reasons = set(batch.quarantine["reason"])
            assert all(reason.startswith("listed_date ") and why in reason for reason in reasons), reasons


def test_tomorrow_is_still_a_listing_day_and_a_malformed_date_is_quarantined():
    def record(listed: str) -> dict:
        title = f"A paper listed {listed}"
        return {
            "paper_id": title,
            "title": title,
            "abstract": ABSTRACT,
            "source": "inbox",
            "listed_date": listed,
        }

    tomorrow, after = (TODAY + timedelta(days=n) for n in (1, 2))
    batch = loaded(
        "inbox", TODAY, [record(tomorrow.isoformat()), record(after.isoformat()), record("20240311")]
    )
    assert list(batch.listings["listed_date"]) == [tomorrow.isoformat()]
    assert list(batch.quarantine["reason"]) == [
        f"listed_date {after} is after tomorrow (UTC): nothing is listed on it yet",
        "listed_date '20240311' is not a YYYY-MM-DD date",
    ]


def test_upvotes_of_a_listing_that_cannot_load_are_not_kept():
    (item,) = hf_daily.parse(Payload("p.json", json.dumps([_hf_item()]).encode()), FUTURE, Settings())
    assert raw.upvote_snapshots([(datetime(2024, 1, 1), "p.json", item)]).empty


def _hf_item() -> dict:
    paper = {"id": "2410.00001", "title": "T", "summary": ABSTRACT, "upvotes": 3}
    return {"paper": paper, "title": "Reasoning with small models"}


@pytest.mark.parametrize("source", sources.NAMES)
@pytest.mark.parametrize("day", [FUTURE, TODAY + timedelta(days=2), PAST])
def test_no_source_lands_or_loads_a_day_after_tomorrow_or_before_arxiv(offline, source, day):
    """The one check every run passes (the DAG's land task, `ingest`, `run`): refused before landing."""
    for step in (pipeline.land, pipeline.ingest):
        with pytest.raises(ValueError, match=f"{source} {day} is (after tomorrow|before 1991-01-01)"):
            step(offline, source, day)
    assert not offline.landing_dir.exists() and not offline.build_db.exists()


def test_a_backfill_reaching_past_tomorrow_is_refused_before_anything_lands(offline):
    with pytest.raises(ValueError, match="synthetic 2099-01-01 is after tomorrow"):
        pipeline.backfill(offline, "synthetic", TODAY - timedelta(days=2), date(2099, 1, 1))
    with pytest.raises(ValueError, match="synthetic 1990-01-01 is before 1991-01-01"):
        pipeline.backfill(offline, "synthetic", date(1990, 1, 1), date(1991, 1, 2))
    assert not offline.landing_dir.exists()


def test_the_dag_s_covered_day_is_refused_in_its_land_task(offline):
    """A fixed-day source whose day is in the future (PAPERPULSE_TRENDING_YEAR=2999): the covered day the
    DAG's land task gets is refused there, as on the command line."""
    settings = offline.replace(trending_year=2999)
    day = pipeline.covered_day(settings, "trending_page", TODAY)
    assert day == date(2999, 3, 11)
    with pytest.raises(ValueError, match="trending_page 2999-03-11 is after tomorrow"):
        pipeline.land(settings, "trending_page", day)
    assert not landing.interval_dir(settings, "trending_page", day).exists()


@pytest.mark.slow
def test_the_issue_s_attacks_leave_the_marts_as_they_were_and_quarantine_with_a_reason(first_run, tmp_path):
    """The three attacks of the issue, through the command line, on a published warehouse: the trend marts
    keep their size, and what was refused is in quarantine with its reason."""
    home = copy_home(first_run[0], tmp_path / "warehouse")
    before = table_counts(home / "serving.duckdb", ["topic_trends", "dim_papers"])
    assert before["topic_trends"] == 68

    # a line dated 2999 (and one before arXiv) dropped in the inbox
    (home / "inbox").mkdir()
    lines = [
        {"title": "A paper from the year 2999", "abstract": ABSTRACT, "listed_date": "2999-01-01"},
        {"title": "A paper from before arXiv", "abstract": ABSTRACT, "listed_date": "1900-01-01"},
    ]
    (home / "inbox" / "poison.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = run_cli(home, "run", "--source", "inbox").stdout
    assert "0 loaded (0 new, 0 changed, 0 unchanged), 2 quarantined" in out

    # a run of the inbox for a day in 2099
    refused = run_cli(home, "run", "--source", "inbox", "--date", "2099-01-01", check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1] == (
        "paperpulse run: inbox 2099-01-01 is after tomorrow (UTC): nothing is listed on it yet; "
        "a run covers a day from 1991-01-01 to tomorrow (UTC)"
    )

    # the bundled page said to be from 2999: refused as a day; read again from its landing, quarantined
    env = {"PAPERPULSE_TRENDING_YEAR": "2999"}
    refused = run_cli(home, "run", check=False, env=env)
    assert refused.returncode == 1 and "trending_page 2999-03-11 is after tomorrow" in refused.stderr
    out = run_cli(home, "run", "--date", "2024-03-11", env=env).stdout
    assert "0 loaded (0 new, 0 changed, 0 unchanged), 139 quarantined" in out

    assert not (home / "landing" / "inbox" / "2099-01-01").exists()
    assert not (home / "landing" / "trending_page" / "2999-03-11").exists()
    assert table_counts(home / "serving.duckdb", ["topic_trends", "dim_papers"]) == before
    with duckdb.connect(str(home / "build.duckdb"), read_only=True) as con:
        assert con.execute(
            "select max(first_listed_date), min(first_listed_date) from raw.papers"
        ).fetchone() == (
            date(2024, 3, 11),
            date(2024, 3, 11),
        )
        reasons = dict(
            con.execute(
                "select reason, count(*) from raw.quarantine where reason like 'listed_date%' group by all"
            ).fetchall()
        )
    assert reasons == {
        "listed_date 2999-01-01 is after tomorrow (UTC): nothing is listed on it yet": 1,
        "listed_date 1900-01-01 is before 1991-01-01, before arXiv": 1,
        "listed_date 2999-03-11 is after tomorrow (UTC): nothing is listed on it yet": 139,
    }
