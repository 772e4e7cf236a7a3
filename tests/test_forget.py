"""`paperpulse forget`: a paper, a source's day or a landed file taken back out of raw and, at the next build
and publish, out of the marts, leaving a warehouse equal to one that never saw it (issue 16 item 3)."""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from paperpulse import forget, pipeline
from paperpulse.ingest import landing, raw, records
from paperpulse.settings import MARTS, Settings
from tests.conftest import RAW_TABLES, copy_home, run_cli, table_counts, table_digests

D1, D2 = date(2024, 5, 1), date(2024, 5, 2)
ABSTRACT = (
    "We fine-tune Llama 2 7B on GSM8K and MMLU and reach 61.2% accuracy, 4.1 points above the baseline."
)
COMPARED = [
    "raw.papers",
    "raw.paper_listings",
    "raw.quarantine",
    "raw.quarantine_payloads",
    "raw.source_watermarks",
    "raw.mentions",
    "raw.extractions",
]


def synthetic(home: Path) -> Settings:
    return Settings(home=home, synthetic_papers_per_day=5, extract_workers=1)


def rows(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def fake_extraction(settings: Settings) -> None:
    """A mention and an extraction row for every paper, as extraction would write them."""
    with duckdb.connect(str(settings.build_db)) as con:
        con.execute(
            "insert into raw.mentions select paper_id, 'model', 'BERT', 'BERT', null, null, 0, 4, 'v' "
            "from raw.papers"
        )
        con.execute(
            "insert into raw.extractions select paper_id, content_hash, 'v', 1, 0, timestamp '2024-01-01' "
            "from raw.papers"
        )


def test_forgetting_a_day_leaves_raw_as_if_it_had_never_been_loaded(tmp_path):
    """Day 2 lists new papers and a new version of a day-1 paper: forgetting day 2 deletes its new papers
    (with their mentions), gives the day-1 paper back its day-1 text (read again from day 1's landing; its
    mentions go until it is extracted again), removes day 2's quarantine rows, watermark and landing."""
    settings, reference = synthetic(tmp_path / "warehouse"), synthetic(tmp_path / "reference")
    for day in (D1, D2):
        pipeline.ingest(settings, "synthetic", day)
    pipeline.ingest(reference, "synthetic", D1)
    fake_extraction(settings)
    fake_extraction(reference)
    ((revised,),) = rows(settings, "select paper_id from raw.paper_listings group by 1 having count(*) = 2")

    report = forget.forget_day(settings, "synthetic", D2)

    assert (report.listings, report.papers, report.kept, report.restored) == (6, 5, 1, 1)
    assert (report.mentions, report.quarantined, report.watermarks) == (5, 1, 1)
    ((moved, to),) = report.moved
    assert moved == landing.interval_dir(settings, "synthetic", D2)
    assert to.relative_to(settings.home).parts[::2] == ("forgotten", "landing", D2.isoformat())
    assert (to / "_COMPLETE").is_file()
    assert not landing.is_landed(settings, "synthetic", D2)  # a run of day 2 would fetch it again
    # the revised paper has day 1's text again and nothing extracted from day 2's
    assert rows(settings, "select paper_id from raw.mentions where paper_id = ?", [revised]) == []
    mine, theirs = table_digests(settings.build_db, COMPARED), table_digests(reference.build_db, COMPARED)
    assert {t: mine[t] for t in COMPARED if t not in ("raw.mentions", "raw.extractions")} == {
        t: theirs[t] for t in COMPARED if t not in ("raw.mentions", "raw.extractions")
    }
    assert mine["raw.mentions"][0] == theirs["raw.mentions"][0] - 1  # the revised paper's, to extract again
    touched = rows(settings, "select count(*) from raw.changed_papers where not built")
    assert touched == [(len(rows(reference, "select * from raw.papers")) + 5,)]
    assert "5 deleted (5 mentions, 0 results), 1 kept" in report.render()


def test_a_forgotten_paper_stays_out_when_a_landed_file_listing_it_is_loaded_again(tmp_path):
    settings = synthetic(tmp_path / "warehouse")
    pipeline.ingest(settings, "synthetic", D1)
    fake_extraction(settings)
    paper_id, title = rows(settings, "select paper_id, title from raw.papers order by 1 limit 1")[0]

    report = forget.forget_paper(settings, paper_id)

    assert (report.listings, report.papers, report.mentions, report.kept) == (1, 1, 1, 0)
    for table in ("papers", "paper_listings", "mentions", "extractions"):
        assert rows(settings, f"select * from raw.{table} where paper_id = ?", [paper_id]) == [], table
    assert rows(settings, "select built from raw.changed_papers where paper_id = ?", [paper_id]) == [(False,)]
    # the day again (its landing lists the paper), and the inbox with its title and no id: both refused
    again = pipeline.ingest(settings, "synthetic", D1)
    settings.inbox_dir.mkdir(parents=True)
    (settings.inbox_dir / "again.jsonl").write_text(json.dumps({"title": title, "abstract": ABSTRACT}) + "\n")
    dropped = pipeline.ingest(settings, "inbox", D2)
    assert (again.load.new, again.load.quarantined, dropped.load.new, dropped.load.quarantined) == (
        0,
        2,
        0,
        1,
    )
    assert (
        rows(settings, "select paper_id from raw.papers where paper_id = ? or title = ?", [paper_id, title])
        == []
    )
    assert rows(settings, "select count(*) from raw.quarantine where reason = ?", [raw.FORGOTTEN]) == [(2,)]
    with pytest.raises(ValueError, match=f"paper {paper_id} was already forgotten"):
        forget.forget_paper(settings, paper_id)
    with pytest.raises(ValueError, match=r"no paper 2405\.99999 in"):
        forget.forget_paper(settings, "2405.99999")


def test_forgetting_a_landed_file_keeps_what_another_file_of_its_day_also_listed(tmp_path):
    settings = synthetic(tmp_path / "warehouse")
    settings.inbox_dir.mkdir(parents=True)

    def line(title: str) -> str:
        return json.dumps({"title": title, "abstract": ABSTRACT}) + "\n"

    (settings.inbox_dir / "one.jsonl").write_text(line("Only in one") + line("In both") + "not json\n")
    (settings.inbox_dir / "two.jsonl").write_text(line("In both") + line("Only in two") + "not json either\n")
    ingested = pipeline.ingest(settings, "inbox", D1)
    one = next(path for path in ingested.landed_files if path.name.startswith("one-"))

    report = forget.forget_landed(settings, one)

    assert (report.listings, report.papers, report.kept, report.quarantined) == (1, 1, 0, 1)
    assert sorted(title for (title,) in rows(settings, "select title from raw.papers")) == [
        "In both",
        "Only in two",
    ]
    assert [(q,) for (q,) in rows(settings, "select landed_file from raw.quarantine")] == [
        (next(p.name for p in ingested.landed_files if p.name.startswith("two-")),)
    ]
    assert not one.exists() and report.moved[0][1].is_file()
    with pytest.raises(ValueError, match="is not a landed file"):
        forget.forget_landed(settings, settings.inbox_dir / "processed" / "two.jsonl")


@pytest.mark.slow
def test_a_poisoned_day_forgotten_then_built_and_published_gives_the_marts_of_a_warehouse_that_never_saw_it(
    first_run, tmp_path, monkeypatch
):
    """An inbox day loaded before such days were refused (here: the date checks switched off), with new
    papers, a bad line and a new text for a paper of the bundled page, published: then forgotten, extracted,
    built, checked and published through the command line. Marts (rows and content) and raw tables equal
    those of the warehouse that never saw it."""
    never, home = first_run[0], copy_home(first_run[0], tmp_path / "warehouse")
    settings = Settings(home=home)
    poisoned = datetime.now(UTC).date() + timedelta(days=40)
    page_title = rows(Settings(home=never), "select title from raw.papers order by paper_id limit 1")[0][0]
    settings.inbox_dir.mkdir(parents=True)
    lines = [
        {"title": "Poisoned paper one", "abstract": ABSTRACT},
        {"title": "Poisoned paper two", "abstract": ABSTRACT.replace("Llama 2 7B", "Mistral-7B")},
        {"title": page_title, "abstract": ABSTRACT},  # a better source's text for a paper of the page
        {"title": "Too short", "abstract": "Short."},
    ]
    (settings.inbox_dir / "poison.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    with monkeypatch.context() as patch:  # the code before the fix: no day was refused
        patch.setattr(records, "day_problem", lambda day: None)
        patch.setattr(landing, "day_problem", lambda day: None)
        pipeline.ingest(settings, "inbox", poisoned)
    run_cli(home, "run")
    serving = [f"main.{mart}" for mart in MARTS]
    assert table_counts(home / "serving.duckdb", ["topic_trends"])["topic_trends"] > 68

    out = run_cli(home, "forget", "--source", "inbox", "--date", poisoned.isoformat()).stdout
    assert out.splitlines()[:5] == [
        f"paperpulse forget: inbox {poisoned}",
        "  listings:   3 removed (0 upvote snapshots)",
        "  papers:     2 deleted (8 mentions, 4 results), 1 kept (listed elsewhere)",
        "  text:       restored for 1 (read back from landing; to extract again)",
        "  quarantine: 1 rows removed; watermarks: 1 removed",
    ]
    for command in ("extract-papers", "build", "check", "publish"):
        run_cli(home, command)

    assert table_digests(home / "serving.duckdb", serving) == table_digests(never / "serving.duckdb", serving)
    assert table_digests(home / "build.duckdb", RAW_TABLES) == table_digests(
        never / "build.duckdb", RAW_TABLES
    )
    assert not (home / "landing" / "inbox" / poisoned.isoformat()).exists()
