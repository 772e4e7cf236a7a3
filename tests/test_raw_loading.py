import duckdb

from paperpulse.ingest import raw
from paperpulse.ingest.records import paper_id_for
from paperpulse.ingest.sources import Rejected
from paperpulse.warehouse.connection import ensure_schema

ABSTRACT = "We propose a method that improves accuracy on ImageNet by a wide margin. " * 3


def record(title: str, abstract: str = ABSTRACT, day: str = "2024-03-11") -> dict:
    return {
        "paper_id": paper_id_for(title),
        "arxiv_id": None,
        "title": title,
        "abstract": abstract,
        "source": "trending_page",
        "listed_date": day,
        "extra": {},
    }


def load(con, items):
    batch = raw.prepare_batch("trending_page", "2024-03-11", [("page.txt", item) for item in items])
    return raw.load_batch(con, batch)


def connect():
    con = duckdb.connect()
    ensure_schema(con)
    return con


def test_bad_records_go_to_quarantine_with_a_reason_and_the_rest_loads():
    con = connect()
    items = [
        record("A good paper"),
        record("Empty abstract", abstract="   "),
        record("Short abstract", abstract="Too short."),
        record("", abstract=ABSTRACT),
        {**record("Not text"), "abstract": 42},
        record("Huge abstract", abstract="x" * 30_000),
        Rejected("a title without an abstract at the end of the page", "Orphan title"),
    ]
    stats = load(con, items)
    assert (stats.new, stats.quarantined) == (1, 6)
    reasons = dict(
        con.execute(
            "select reason, payload from raw.quarantine join raw.quarantine_payloads using (payload_sha256)"
        ).fetchall()
    )
    assert set(reasons) == {
        "empty abstract",
        "abstract shorter than 50 characters",
        "missing title",
        "abstract is not text",
        "abstract longer than 20000 characters",
        "a title without an abstract at the end of the page",
    }
    assert '"title": "Empty abstract"' in reasons["empty abstract"]
    assert con.execute("select title from raw.papers").fetchall() == [("A good paper",)]


def test_reloading_the_same_batch_changes_nothing():
    con = connect()
    items = [record("A"), record("B"), record("Bad", abstract="")]
    first = load(con, items)
    second = load(con, items)
    assert (first.new, first.quarantined) == (2, 1)
    assert (second.new, second.changed, second.unchanged) == (0, 0, 2)
    counts = con.execute(
        "select (select count(*) from raw.papers), (select count(*) from raw.quarantine),"
        " (select count(*) from raw.paper_listings)"
    ).fetchone()
    assert counts == (2, 1, 2)


def test_a_changed_abstract_updates_the_row_and_its_hash():
    con = connect()
    load(con, [record("A")])
    before = con.execute(
        "select content_hash, first_source, loaded_at, updated_at from raw.papers"
    ).fetchall()
    stats = load(con, [record("A", abstract=ABSTRACT + " Now with more results.")])
    assert (stats.new, stats.changed) == (0, 1)
    after = con.execute(
        "select content_hash, first_source, loaded_at, updated_at, abstract from raw.papers"
    ).fetchall()
    assert len(after) == 1  # the row with the new text replaces the old one
    assert after[0][0] != before[0][0] and after[0][4].endswith("more results.")
    assert after[0][1:3] == before[0][1:3] and after[0][3] > before[0][3]  # first seen kept, updated now


def test_the_same_paper_twice_in_one_batch_is_one_row():
    con = connect()
    stats = load(con, [record("A"), record("A")])
    assert stats.new == 1
    assert con.execute("select count(*) from raw.papers").fetchone()[0] == 1


def test_a_build_file_from_before_roles_gains_role_confidence_and_leaderboard(tmp_path):
    """raw.results as it was before role, confidence and leaderboard: opening it for writing adds them,
    keeps its rows (the new columns null until re-extracted), and reopening changes nothing."""
    path = str(tmp_path / "build.duckdb")
    with duckdb.connect(path) as con:
        con.execute(
            """create schema raw;
            create table raw.results (
                paper_id varchar not null, result_index integer not null, model varchar, dataset varchar,
                metric varchar, value double not null, value_text varchar not null, unit varchar not null,
                kind varchar not null, condition varchar, evidence varchar not null,
                extractor_version varchar not null);
            insert into raw.results
                values ('p', 0, 'M', 'D', 'F1', 90.1, '90.1', '%', 'absolute', null, 'e', 'v0')"""
        )
    for _ in range(2):
        with duckdb.connect(path) as con:
            ensure_schema(con)
            columns = [row[0] for row in con.execute("describe raw.results").fetchall()]
            assert columns[-3:] == ["role", "confidence", "leaderboard"]
            assert con.execute("select value, role, confidence, leaderboard from raw.results").fetchall() == [
                (90.1, None, None, None)
            ]
