"""Raw tables in the build file: papers upserted on paper_id with a content hash, listings per
source and day, a quarantine for every record that cannot load, and the extraction output."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pandas as pd

from extract.records import content_hash, invalid_reason, title_key
from extract.sources import Rejected
from paperpulse.hooks import crash_point

SCHEMA = """
create schema if not exists raw;
create table if not exists raw.papers (
    paper_id varchar primary key,
    arxiv_id varchar,
    title varchar not null,
    abstract varchar not null,
    title_key varchar not null,
    content_hash varchar not null,
    first_source varchar not null,
    first_listed_date date not null,
    loaded_at timestamp not null,
    updated_at timestamp not null
);
create table if not exists raw.paper_listings (
    paper_id varchar not null,
    source varchar not null,
    listed_date date not null,
    extra json,
    loaded_at timestamp not null,
    primary key (paper_id, source, listed_date)
);
create table if not exists raw.quarantine (
    quarantine_id varchar primary key,
    source varchar not null,
    interval_day date,
    landed_file varchar,
    reason varchar not null,
    payload varchar not null,
    quarantined_at timestamp not null
);
create table if not exists raw.mentions (
    paper_id varchar not null,
    type varchar not null,
    surface varchar not null,
    canonical varchar not null,
    family varchar,
    size varchar,
    start_char integer not null,
    end_char integer not null,
    extractor_version varchar not null
);
create table if not exists raw.results (
    paper_id varchar not null,
    result_index integer not null,
    model varchar,
    dataset varchar,
    metric varchar,
    value double not null,
    value_text varchar not null,
    unit varchar not null,
    kind varchar not null,
    condition varchar,
    evidence varchar not null,
    extractor_version varchar not null
);
-- Papers changed since the marts were last published, written in the transaction that changes the
-- paper: dbt's incremental models rebuild them, `built` says a build since included the change, and
-- publish removes the built ones once their marts are published.
create table if not exists raw.changed_papers (
    paper_id varchar primary key,
    changed_at timestamp not null,
    built boolean not null
);
-- What the marts were last built from: the dbt project's fingerprint, and the lineage (a new one at each
-- full rebuild) that says whether the published marts differ from the built ones only in changed papers.
create table if not exists raw.build_state (
    name varchar primary key,
    value varchar not null
);
create table if not exists raw.extractions (
    paper_id varchar primary key,
    content_hash varchar not null,
    extractor_version varchar not null,
    mention_count integer not null,
    result_count integer not null,
    extracted_at timestamp not null
);
"""

PAPER_COLUMNS = [
    "paper_id",
    "arxiv_id",
    "title",
    "abstract",
    "title_key",
    "content_hash",
    "source",
    "listed_date",
]


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SCHEMA)


def mark_changed(con: duckdb.DuckDBPyConnection, paper_ids: str, now: datetime) -> None:
    """Record the papers `paper_ids` (a query) as changed, inside the caller's transaction."""
    con.execute(
        f"""
        insert into raw.changed_papers select paper_id, $now, false from ({paper_ids})
        on conflict (paper_id) do update set changed_at = excluded.changed_at, built = false
        """,
        {"now": now},
    )


@dataclass
class Batch:
    """One landed interval, checked record by record: papers to upsert and rows to quarantine."""

    source: str
    day: str
    papers: pd.DataFrame
    listings: pd.DataFrame
    quarantine: pd.DataFrame


@dataclass
class LoadStats:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    quarantined: int = 0

    @property
    def loaded(self) -> int:
        return self.new + self.changed + self.unchanged


def _quarantine_row(source: str, day: str, landed_file: str, reason: str, payload: str) -> dict:
    key = hashlib.sha1(f"{source}|{day}|{landed_file}|{reason}|{payload}".encode()).hexdigest()
    return {
        "quarantine_id": key,
        "source": source,
        "interval_day": day,
        "landed_file": landed_file,
        "reason": reason,
        "payload": payload,
    }


def prepare_batch(source: str, day: str, parsed: Iterable[tuple[str, dict | Rejected]]) -> Batch:
    """Split (landed file, parsed item) pairs into good papers and quarantined rows."""
    papers: dict[str, dict] = {}
    listings: dict[tuple, dict] = {}
    quarantine: list[dict] = []
    for landed_file, item in parsed:
        if isinstance(item, Rejected):
            quarantine.append(_quarantine_row(source, day, landed_file, item.reason, item.payload))
            continue
        reason = invalid_reason(item)
        if reason:
            payload = json.dumps(item, ensure_ascii=False, default=str)
            quarantine.append(_quarantine_row(source, day, landed_file, reason, payload))
            continue
        title, abstract = item["title"].strip(), item["abstract"].strip()
        papers[item["paper_id"]] = {
            "paper_id": item["paper_id"],
            "arxiv_id": item.get("arxiv_id"),
            "title": title,
            "abstract": abstract,
            "title_key": title_key(title),
            "content_hash": content_hash(title, abstract),
            "source": item["source"],
            "listed_date": item["listed_date"],
        }
        listings[(item["paper_id"], item["source"], item["listed_date"])] = {
            "paper_id": item["paper_id"],
            "source": item["source"],
            "listed_date": item["listed_date"],
            "extra": json.dumps(item.get("extra") or {}, ensure_ascii=False, sort_keys=True),
        }
    return Batch(
        source=source,
        day=day,
        papers=pd.DataFrame(list(papers.values()), columns=PAPER_COLUMNS),
        listings=pd.DataFrame(
            list(listings.values()), columns=["paper_id", "source", "listed_date", "extra"]
        ),
        quarantine=pd.DataFrame(
            quarantine,
            columns=["quarantine_id", "source", "interval_day", "landed_file", "reason", "payload"],
        ),
    )


def load_batch(con: duckdb.DuckDBPyConnection, batch: Batch) -> LoadStats:
    """Upsert a checked batch in one transaction; re-loading the same batch changes nothing."""
    now = datetime.now(UTC).replace(tzinfo=None)
    con.register("incoming_papers", batch.papers)
    con.register("incoming_listings", batch.listings)
    con.register("incoming_quarantine", batch.quarantine)
    try:
        con.begin()
        new, changed = con.execute(
            """
            select count(*) filter (where p.paper_id is null),
                   count(*) filter (where p.content_hash <> i.content_hash)
            from incoming_papers i left join raw.papers p using (paper_id)
            """
        ).fetchall()[0]
        con.execute(
            """
            insert into raw.papers
            select paper_id, arxiv_id, title, abstract, title_key, content_hash,
                   source, cast(listed_date as date), $now, $now
            from incoming_papers
            on conflict (paper_id) do update set
                arxiv_id = coalesce(excluded.arxiv_id, raw.papers.arxiv_id),
                title = excluded.title,
                abstract = excluded.abstract,
                title_key = excluded.title_key,
                content_hash = excluded.content_hash,
                first_listed_date = least(raw.papers.first_listed_date, excluded.first_listed_date),
                updated_at = excluded.updated_at
            where raw.papers.content_hash <> excluded.content_hash
               or raw.papers.first_listed_date > excluded.first_listed_date
            """,
            {"now": now},
        )
        con.execute(
            """
            insert into raw.paper_listings
            select paper_id, source, cast(listed_date as date), cast(extra as json), $now
            from incoming_listings
            on conflict (paper_id, source, listed_date) do update set extra = excluded.extra
            where cast(raw.paper_listings.extra as varchar) <> cast(excluded.extra as varchar)
            """,
            {"now": now},
        )
        con.execute(
            """
            insert into raw.quarantine
            select quarantine_id, source, cast(interval_day as date), landed_file, reason, payload, $now
            from incoming_quarantine
            on conflict do nothing
            """,
            {"now": now},
        )
        mark_changed(con, "select paper_id from incoming_papers", now)
        crash_point("ingest-uncommitted")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        for name in ("incoming_papers", "incoming_listings", "incoming_quarantine"):
            con.unregister(name)
    total = len(batch.papers)
    return LoadStats(
        new=new, changed=changed, unchanged=total - new - changed, quarantined=len(batch.quarantine)
    )
