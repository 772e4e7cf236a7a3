"""Growth (issue 16 item 7): a quarantine that stores a payload once, cut to a bound."""

from datetime import date

import duckdb

from paperpulse import pipeline
from paperpulse.ingest import raw
from paperpulse.ingest.records import QUARANTINE_PAYLOAD_CHARS
from paperpulse.ingest.sources import Rejected
from paperpulse.settings import Settings
from paperpulse.warehouse.connection import connect_build, ensure_schema

D1, D2 = date(2024, 5, 1), date(2024, 5, 2)


def rows(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        return con.execute(sql).fetchall()


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
