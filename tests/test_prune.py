"""Growth (issue 16 item 7): `paperpulse prune --keep-days N` and a quarantine that stores a payload once,
cut to a bound."""

from datetime import UTC, date, datetime, timedelta

import duckdb

from paperpulse import pipeline, retention
from paperpulse.ingest import landing, raw
from paperpulse.ingest.records import QUARANTINE_PAYLOAD_CHARS
from paperpulse.ingest.sources import Rejected
from paperpulse.settings import Settings
from paperpulse.warehouse.connection import connect_build, ensure_schema
from tests.conftest import copy_home, run_cli

D1, D2 = date(2024, 5, 1), date(2024, 5, 2)
LATER = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=100)  # "now" for prune: 100 days on
RUN_TIME = retention.GX_RUN_TIME


def rows(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        return con.execute(sql).fetchall()


def gx_run(settings: Settings, suite: str, run_name: str, when: datetime) -> None:
    for root in (settings.gx_dir, settings.gx_dir / "data_docs"):
        folder = root / "validations" / suite / run_name / when.strftime(RUN_TIME)
        folder.mkdir(parents=True)
        (folder / "result.json").write_text("{}")


def test_prune_removes_what_is_older_than_the_retention_and_keeps_what_is_still_needed(tmp_path):
    settings = Settings(home=tmp_path / "warehouse", synthetic_papers_per_day=3)
    pipeline.ingest(settings, "synthetic", D1)  # landed and loaded
    pipeline.land(settings, "synthetic", D2)  # landed, never loaded: a failed run
    settings.inbox_dir.mkdir()
    (settings.inbox_dir / "drop.jsonl").write_text("not json\n")
    pipeline.ingest(settings, "inbox", D2)  # lands the file, then rejects it
    digests = settings.home / "digests"
    digests.mkdir()
    for day in ("2024-05-01", "2024-05-02"):
        for suffix in (".md", ".html"):
            (digests / f"{day}{suffix}").write_text("digest")
    now = datetime.now(UTC).replace(tzinfo=None)
    for suite in ("marts_whats_new", "marts_leaderboards"):
        for days in (3, 2, 1):
            gx_run(settings, suite, "a run", now - timedelta(days=days))
    (settings.home / "forgotten" / now.strftime("%Y%m%dT%H%M%SZ")).mkdir(parents=True)
    quarantined = rows(settings, "select count(*) from raw.quarantine")[0][0]
    assert quarantined == 2  # synthetic's bad line and the rejected inbox file

    kept = retention.prune(settings, 200, now=LATER)  # everything is younger than 200 days
    assert sum(kept.removed.values()) == 0 and kept.freed == 0

    report = retention.prune(settings, 90, now=LATER)

    # landing: the loaded day keeps its marker (still landed, never fetched again), the other keeps its files
    d1, d2 = (landing.interval_dir(settings, "synthetic", day) for day in (D1, D2))
    assert sorted(p.name for p in d1.iterdir()) == ["_COMPLETE", "_PRUNED"]
    assert landing.is_landed(settings, "synthetic", D1)
    assert landing.pruned_files(d1) == ["2024-05-01.jsonl"]
    assert sorted(p.name for p in d2.iterdir()) == ["2024-05-02.jsonl", "_COMPLETE"]
    assert list((settings.landing_dir / "inbox").iterdir()) == []
    assert list(settings.inbox_rejected_dir.iterdir()) == []
    assert sorted(p.name for p in digests.iterdir()) == ["2024-05-02.html", "2024-05-02.md"]
    for root in (settings.gx_dir / "validations", settings.gx_dir / "data_docs" / "validations"):
        for suite in ("marts_whats_new", "marts_leaderboards"):
            assert [p.name for p in (root / suite / "a run").iterdir()] == [
                (now - timedelta(days=1)).strftime(RUN_TIME)
            ]
    assert list((settings.home / "forgotten").iterdir()) == []
    assert rows(settings, "select count(*) from raw.quarantine") == [(0,)]
    assert rows(settings, "select count(*) from raw.quarantine_payloads") == [(0,)]
    assert dict(report.removed) == {
        "landed files": 1,
        "landed folders": 1,
        "inbox landed files": 1,
        "inbox files": 2,  # the rejected file and its reason
        "digests": 2,
        "gate runs": 5,  # 2 of each suite above, and the raw batch gate's older run of the two ingests
        "forgotten": 1,
        "quarantine rows": 2,
        "quarantine payloads": 2,
    }
    assert "the files of 1 landed days" in report.render()

    # the pruned day runs again without fetching, loading nothing new, and its watermark is unchanged
    watermark = rows(settings, "select * from raw.source_watermarks where source = 'synthetic'")
    again = pipeline.ingest(settings, "synthetic", D1)
    assert not again.fetched and again.load.loaded == 0
    assert rows(settings, "select * from raw.source_watermarks where source = 'synthetic'") == watermark


def test_a_payload_quarantined_three_times_is_stored_once_and_cut_to_a_bound(tmp_path):
    """The issue's 50 MB bad line stored three times: here an 8 MB one, in three inbox files."""
    settings = Settings(home=tmp_path / "warehouse")
    line = "{" + "x" * 8_000_000 + "\n"
    settings.inbox_dir.mkdir(parents=True)
    for name in ("one", "two", "three"):
        (settings.inbox_dir / f"{name}.jsonl").write_text(line)
        pipeline.ingest(settings, "inbox", D1)
    assert rows(settings, "select count(*), count(distinct payload_sha256) from raw.quarantine") == [(3, 1)]
    ((payload, size),) = rows(settings, "select payload, payload_bytes from raw.quarantine_payloads")
    assert len(payload) == QUARANTINE_PAYLOAD_CHARS and payload == line[:-1][:QUARANTINE_PAYLOAD_CHARS]
    assert size == len(line) - 1
    assert settings.build_db.stat().st_size < 8_000_000


def test_quarantine_rows_of_one_batch_share_their_payload():
    con = duckdb.connect()
    ensure_schema(con)
    same = "the same bad payload"
    items = [("a.txt", Rejected("reason one", same)), ("b.txt", Rejected("reason two", same))]
    raw.load_batch(con, raw.prepare_batch("inbox", "2024-05-01", items))
    assert con.execute("select count(*) from raw.quarantine").fetchone() == (2,)
    assert con.execute("select payload, payload_bytes from raw.quarantine_payloads").fetchall() == [
        (same, 20)
    ]


def test_a_build_file_from_before_the_payload_table_moves_its_payloads_there_once(tmp_path):
    settings = Settings(home=tmp_path / "warehouse")
    settings.home.mkdir()
    with duckdb.connect(str(settings.build_db)) as con:
        con.execute("create schema raw")
        con.execute(
            "create table raw.quarantine (quarantine_id varchar primary key, source varchar not null, "
            "interval_day date, landed_file varchar, reason varchar not null, payload varchar not null, "
            "quarantined_at timestamp not null)"
        )
        big = "y" * (QUARANTINE_PAYLOAD_CHARS + 10)
        for key, payload in (("a", big), ("b", big), ("c", "small")):
            con.execute(
                "insert into raw.quarantine values (?, 'inbox', null, 'f', 'bad', ?, now())", [key, payload]
            )
    with connect_build(settings):
        pass
    assert rows(settings, "select quarantine_id from raw.quarantine order by 1") == [("a",), ("b",), ("c",)]
    assert rows(
        settings, "select length(payload), payload_bytes from raw.quarantine_payloads order by 2"
    ) == [
        (5, 5),
        (QUARANTINE_PAYLOAD_CHARS, QUARANTINE_PAYLOAD_CHARS + 10),
    ]
    assert "payload" not in [
        c
        for (c,) in rows(settings, "select column_name from duckdb_columns() where table_name = 'quarantine'")
    ]


def test_the_prune_command_says_what_it_removed(published_home, tmp_path):
    home = copy_home(published_home, tmp_path / "warehouse")
    completed = run_cli(home, "prune", "--keep-days", "30")
    assert completed.stdout.splitlines()[0].startswith("paperpulse prune: removed what is older than 30 days")
    assert (home / "landing" / "trending_page" / "2024-03-11" / "page.txt").exists()  # landed today
    default = run_cli(home, "prune", env={"PAPERPULSE_KEEP_DAYS": "7"})
    assert default.stdout.startswith("paperpulse prune: removed what is older than 7 days")
    refused = run_cli(home, "prune", "--keep-days", "0", check=False)
    assert refused.returncode == 2 and "not a whole number of days of at least 1" in refused.stderr
