"""Raw tables in the build file: papers upserted on paper_id with a content hash, listings per
source and day, a quarantine for every record that cannot load, the extraction output, Hugging Face
upvote snapshots and a watermark per source and day loaded.

One paper, one row: a paper's key is its arXiv id when a source gives one, else `t-<title hash>`.
A title-keyed record whose normalised title is that of exactly one paper with an arXiv id is that
paper; a title-keyed row already loaded is re-keyed (with its listings) when such a paper arrives."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pandas as pd

from paperpulse.hooks import crash_point
from paperpulse.ingest.records import (
    QUARANTINE_PAYLOAD_CHARS,
    content_hash,
    invalid_reason,
    listing_day_reason,
    title_key,
)
from paperpulse.ingest.sources import NAMES, Rejected
from paperpulse.warehouse.connection import transaction

# Whose title and abstract a paper keeps when several sources list it: sources.NAMES, best first. A source
# never replaces the text of a better one, so loading the sources in any order, again and again, settles on
# one text and one content hash. A paper's text is thus always that of the best source among its listings.
TEXT_PRECEDENCE = list(NAMES)

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
    snapshots: pd.DataFrame | None = None  # upvotes observed (hf_daily), see upvote_snapshots
    landed_at: datetime | None = None  # when the interval landed: recorded in raw.source_watermarks
    landed_files: int = 0
    superseded: int = 0  # records replaced by a later one of the same paper in the batch (quarantined)


@dataclass
class LoadStats:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    quarantined: int = 0
    relinked: int = 0  # title-keyed rows merged into the paper with their arXiv id
    snapshots: int = 0  # upvote snapshots added
    superseded: int = 0  # of the quarantined: records replaced by a later one of the same paper

    @property
    def loaded(self) -> int:
        return self.new + self.changed + self.unchanged


QUARANTINE_COLUMNS = [
    "quarantine_id",
    "source",
    "interval_day",
    "landed_file",
    "reason",
    "payload_sha256",
    "payload",
    "payload_bytes",
]


def _quarantine_row(source: str, day: str, landed_file: str, reason: str, payload: str) -> dict:
    """A quarantine row, with its payload's hash and size, and the payload cut to QUARANTINE_PAYLOAD_CHARS
    (stored once per hash in raw.quarantine_payloads)."""
    key = hashlib.sha1(f"{source}|{day}|{landed_file}|{reason}|{payload}".encode()).hexdigest()
    encoded = payload.encode()
    return {
        "quarantine_id": key,
        "source": source,
        "interval_day": day,
        "landed_file": landed_file,
        "reason": reason,
        "payload_sha256": hashlib.sha256(encoded).hexdigest(),
        "payload": payload[:QUARANTINE_PAYLOAD_CHARS],
        "payload_bytes": len(encoded),
    }


def _where(landed_file: str, item: dict) -> str:
    return f"{landed_file} line {item['line']}" if item.get("line") else landed_file


def _superseded_reason(earlier: tuple[str, dict], later: tuple[str, dict]) -> str:
    (earlier_file, earlier_item), (later_file, later_item) = earlier, later
    again = (
        f"line {later_item['line']}"
        if later_file == earlier_file and later_item.get("line")
        else _where(later_file, later_item)
    )
    return (
        f"{_where(earlier_file, earlier_item)}: paper {earlier_item['paper_id']} again at {again} with "
        "another title, abstract or listing; the later one was kept"
    )


def _same_record(a: dict, b: dict) -> bool:
    """The same paper text, and the same listing when on the same day."""
    same_text = (a["title"].strip(), a["abstract"].strip()) == (b["title"].strip(), b["abstract"].strip())
    return same_text and (
        a["listed_date"] != b["listed_date"] or (a.get("extra") or {}) == (b.get("extra") or {})
    )


def prepare_batch(source: str, day: str, parsed: Iterable[tuple[str, dict | Rejected]]) -> Batch:
    """Split (landed file, parsed item) pairs into good papers and quarantined rows. A paper twice in the
    batch with another text (or another listing of the same day) keeps the later record: each earlier one
    is quarantined, saying so."""
    papers: dict[str, dict] = {}
    listings: dict[tuple, dict] = {}
    quarantine: list[dict] = []
    kept: dict[str, tuple[str, dict]] = {}  # paper_id -> (landed file, record) of its latest record
    superseded = 0
    for landed_file, item in parsed:
        if isinstance(item, Rejected):
            quarantine.append(_quarantine_row(source, day, landed_file, item.reason, item.payload))
            continue
        reason = invalid_reason(item) or listing_day_reason(item)
        if reason:
            payload = json.dumps(item, ensure_ascii=False, default=str)
            quarantine.append(_quarantine_row(source, day, landed_file, reason, payload))
            continue
        earlier = kept.get(item["paper_id"])
        if earlier and not _same_record(earlier[1], item):
            reason = _superseded_reason(earlier, (landed_file, item))
            payload = json.dumps(earlier[1], ensure_ascii=False, default=str)
            quarantine.append(_quarantine_row(source, day, earlier[0], reason, payload))
            superseded += 1
        kept[item["paper_id"]] = (landed_file, item)
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
        quarantine=pd.DataFrame(quarantine, columns=QUARANTINE_COLUMNS),
        superseded=superseded,
    )


SNAPSHOT_COLUMNS = [
    "paper_id",
    "listed_date",
    "observed_at",
    "upvotes",
    "num_comments",
    "github_stars",
    "landed_file",
]


def upvote_snapshots(observations: Iterable[tuple[datetime, str, dict | Rejected]]) -> pd.DataFrame:
    """(observed at, landed file, parsed item) -> one row per paper whose listing says its upvotes."""
    rows = {}
    for observed_at, landed_file, item in observations:
        if isinstance(item, Rejected) or invalid_reason(item) or listing_day_reason(item):
            continue
        extra = item.get("extra") or {}
        if not isinstance(extra.get("upvotes"), int):
            continue
        key = (item["paper_id"], item["listed_date"], observed_at)
        rows[key] = {
            "paper_id": item["paper_id"],
            "listed_date": item["listed_date"],
            "observed_at": observed_at,
            "upvotes": extra["upvotes"],
            "num_comments": extra.get("num_comments"),
            "github_stars": extra.get("github_stars"),
            "landed_file": landed_file,
        }
    return pd.DataFrame(list(rows.values()), columns=SNAPSHOT_COLUMNS)


def _link_titles(con: duckdb.DuckDBPyConnection, papers: pd.DataFrame, listings: pd.DataFrame):
    """Key each title-keyed record by the arXiv id of the one paper (loaded or incoming) with its
    normalised title; a title shared by several arXiv papers stays title-keyed."""
    titled = papers[papers["arxiv_id"].isna()]
    if titled.empty:
        return papers, listings
    keys = sorted(set(titled["title_key"]))
    known = con.execute(
        "select title_key, arxiv_id from raw.papers where arxiv_id is not null and title_key in ?",
        [keys],
    ).fetchall()
    incoming = papers[papers["arxiv_id"].notna() & papers["title_key"].isin(keys)]
    ids_by_title: dict[str, set[str]] = defaultdict(set)
    for key, arxiv_id in [*known, *zip(incoming["title_key"], incoming["arxiv_id"], strict=True)]:
        ids_by_title[key].add(arxiv_id)
    linked = {
        paper_id: next(iter(ids_by_title[key]))
        for paper_id, key in zip(titled["paper_id"], titled["title_key"], strict=True)
        if len(ids_by_title.get(key, ())) == 1
    }
    if not linked:
        return papers, listings
    papers = papers.assign(
        arxiv_id=papers["arxiv_id"].where(~papers["paper_id"].isin(linked), papers["paper_id"].map(linked)),
        paper_id=papers["paper_id"].replace(linked),
    )
    # The same paper twice in the batch (one line with its id, one without): keep the one with the id.
    papers = papers.sort_values("arxiv_id", na_position="last", kind="stable").drop_duplicates("paper_id")
    listings = listings.assign(paper_id=listings["paper_id"].replace(linked)).drop_duplicates(
        ["paper_id", "source", "listed_date"]
    )
    return papers, listings


FORGOTTEN = "forgotten with `paperpulse forget --paper`"


def _without_forgotten(con: duckdb.DuckDBPyConnection, batch: Batch, papers, listings, snapshots):
    """Papers taken out with `paperpulse forget --paper` stay out (raw.forgotten_papers): a record with such
    a paper's id, or title-keyed with its title, goes to quarantine instead."""
    forgotten = con.execute("select paper_id, title_key from raw.forgotten_papers").fetchall()
    if not forgotten:
        return papers, listings, snapshots, batch.quarantine
    ids, keys = {paper_id for paper_id, _ in forgotten}, {key for _, key in forgotten if key}
    refused = papers["paper_id"].isin(ids) | (papers["arxiv_id"].isna() & papers["title_key"].isin(keys))
    if not refused.any():
        return papers, listings, snapshots, batch.quarantine
    rows = [
        _quarantine_row(batch.source, batch.day, "", FORGOTTEN, json.dumps(record, default=str))
        for record in papers[refused].to_dict("records")
    ]
    out = set(papers.loc[refused, "paper_id"])
    return (
        papers[~refused],
        listings[~listings["paper_id"].isin(out)],
        snapshots[~snapshots["paper_id"].isin(out)],
        pd.DataFrame([*batch.quarantine.to_dict("records"), *rows], columns=QUARANTINE_COLUMNS),
    )


def _rank(column: str) -> str:
    """SQL for a source's place in TEXT_PRECEDENCE (1 is best; unknown sources come last)."""
    return f"coalesce(list_position({TEXT_PRECEDENCE!r}, {column}), 1000)"


def load_batch(con: duckdb.DuckDBPyConnection, batch: Batch) -> LoadStats:
    """Upsert a checked batch in one transaction; re-loading the same batch changes nothing."""
    now = datetime.now(UTC).replace(tzinfo=None)
    snapshots = batch.snapshots if batch.snapshots is not None else pd.DataFrame(columns=SNAPSHOT_COLUMNS)
    registered = ("incoming_papers", "incoming_listings", "incoming_quarantine", "incoming_snapshots")
    try:
        with transaction(con):
            papers, listings = _link_titles(con, batch.papers, batch.listings)
            papers, listings, snapshots, quarantine = _without_forgotten(
                con, batch, papers, listings, snapshots
            )
            con.register("incoming_papers", papers)
            con.register("incoming_listings", listings)
            con.register("incoming_quarantine", quarantine)
            con.register("incoming_snapshots", snapshots)
            # Incoming text replaces a paper's text when it differs and its source ranks higher than the
            # best source that listed the paper so far (whose text the paper has), or is that source listing
            # it on its latest day or later (arXiv's v2; re-loading an older day, as a re-run backfill
            # does, leaves the newer day's text in place).
            con.execute(
                f"""
                create or replace temp table incoming_text as
                select i.paper_id, p.paper_id is null as is_new,
                       p.content_hash <> i.content_hash and (
                           {_rank("i.source")} < coalesce(best.rank, 1000)
                           or ({_rank("i.source")} = best.rank and cast(i.listed_date as date) >= best.latest)
                       ) as replaces_text
                from incoming_papers i
                left join raw.papers p using (paper_id)
                left join (
                    select paper_id, rank, max(listed_date) as latest
                    from (
                        select paper_id, listed_date, {_rank("source")} as rank,
                               min({_rank("source")}) over (partition by paper_id) as best_rank
                        from raw.paper_listings
                        where paper_id in (select paper_id from incoming_papers)
                    )
                    where rank = best_rank
                    group by paper_id, rank
                ) best using (paper_id)
                """
            )
            new, changed = con.execute(
                "select count(*) filter (where is_new), count(*) filter (where replaces_text) "
                "from incoming_text"
            ).fetchone()
            con.execute(
                """
                insert into raw.papers
                select paper_id, arxiv_id, title, abstract, title_key, content_hash,
                       source, cast(listed_date as date), $now, $now
                from incoming_papers join incoming_text using (paper_id)
                where is_new
                """,
                {"now": now},
            )
            # A replaced text is written as a new row, not updated in place: an update makes the next
            # checkpoint recompress the abstracts of every row group it touched (3 s at a million papers).
            con.execute(
                """
                create or replace temp table replaced_text as
                select p.* replace (i.title as title, i.abstract as abstract, i.title_key as title_key,
                                    i.content_hash as content_hash, $now as updated_at)
                from raw.papers p join incoming_papers i using (paper_id)
                join incoming_text t using (paper_id)
                where t.replaces_text
                """,
                {"now": now},
            )
            con.execute("delete from raw.papers where paper_id in (select paper_id from replaced_text)")
            con.execute("insert into raw.papers select * from replaced_text")
            con.execute(
                """
                update raw.papers p set
                    arxiv_id = coalesce(p.arxiv_id, i.arxiv_id),
                    first_listed_date = least(p.first_listed_date, cast(i.listed_date as date)),
                    updated_at = $now
                from incoming_papers i
                where p.paper_id = i.paper_id
                  and (p.first_listed_date > cast(i.listed_date as date)
                       or (p.arxiv_id is null and i.arxiv_id is not null))
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
            relinked = _relink_title_keyed_rows(con, now)
            con.execute(
                """
                insert into raw.quarantine_payloads
                select payload_sha256, any_value(payload), any_value(payload_bytes)
                from incoming_quarantine group by payload_sha256
                on conflict do nothing
                """
            )
            con.execute(
                """
                insert into raw.quarantine
                    (quarantine_id, source, interval_day, landed_file, reason, payload_sha256, quarantined_at)
                select quarantine_id, source, cast(interval_day as date), landed_file, reason, payload_sha256,
                       $now
                from incoming_quarantine
                on conflict do nothing
                """,
                {"now": now},
            )
            added_snapshots = con.execute(
                """
                insert into raw.hf_upvote_snapshots
                select paper_id, cast(listed_date as date), cast(observed_at as timestamp), upvotes,
                       num_comments, github_stars, landed_file
                from incoming_snapshots
                on conflict do nothing
                """
            ).fetchone()[0]
            if batch.landed_at is not None:
                _record_watermark(con, batch, now)
            con.execute("drop table incoming_text")
            con.execute("drop table replaced_text")
            snapshot_papers = "select cast(paper_id as varchar) from incoming_snapshots"
            mark_changed(con, f"select paper_id from incoming_papers union {snapshot_papers}", now)
            crash_point("ingest-uncommitted")
    finally:
        for name in registered:
            con.unregister(name)
    total = len(papers)
    return LoadStats(
        new=new,
        changed=changed,
        unchanged=total - new - changed,
        quarantined=len(quarantine),
        relinked=relinked,
        snapshots=added_snapshots,
        superseded=batch.superseded,
    )


def _relink_title_keyed_rows(con: duckdb.DuckDBPyConnection, now: datetime) -> int:
    """Merge title-keyed rows into the one paper with an arXiv id and the same normalised title,
    for the titles of this batch. Listings move over; the arXiv-keyed row keeps its text (it ranks
    higher), so the title-keyed row's mentions and results go with it."""
    con.execute(
        """
        create or replace temp table relinked as
        select t.paper_id as old_id, a.paper_id as new_id, t.first_source, t.first_listed_date, t.loaded_at
        from raw.papers t
        join (
            select title_key, any_value(paper_id) as paper_id
            from raw.papers
            where arxiv_id is not null and title_key in (select title_key from incoming_papers)
            group by title_key
            having count(*) = 1
        ) a using (title_key)
        where t.arxiv_id is null
        """
    )
    count = con.execute("select count(*) from relinked").fetchone()[0]
    if count:
        con.execute(
            """
            insert into raw.paper_listings
            select r.new_id, l.source, l.listed_date, l.extra, l.loaded_at
            from raw.paper_listings l join relinked r on l.paper_id = r.old_id
            on conflict do nothing
            """
        )
        con.execute(
            """
            update raw.papers p set
                first_source = if(r.loaded_at < p.loaded_at, r.first_source, p.first_source),
                first_listed_date = least(p.first_listed_date, r.first_listed_date),
                loaded_at = least(p.loaded_at, r.loaded_at),
                updated_at = $now
            from relinked r
            where p.paper_id = r.new_id
            """,
            {"now": now},
        )
        mark_changed(con, "select old_id as paper_id from relinked union select new_id from relinked", now)
        for table in ("paper_listings", "mentions", "results", "extractions", "papers"):
            con.execute(f"delete from raw.{table} where paper_id in (select old_id from relinked)")
    con.execute("drop table relinked")
    return count


def _record_watermark(con: duckdb.DuckDBPyConnection, batch: Batch, now: datetime) -> None:
    con.execute(
        """
        insert into raw.source_watermarks values ($source, cast($day as date), $landed_at, $files, $now)
        on conflict (source, interval_day) do update set
            landed_at = excluded.landed_at,
            landed_files = excluded.landed_files,
            loaded_at = excluded.loaded_at
        where raw.source_watermarks.landed_at <> excluded.landed_at
           or raw.source_watermarks.landed_files <> excluded.landed_files
        """,
        {
            "source": batch.source,
            "day": batch.day,
            "landed_at": batch.landed_at,
            "files": batch.landed_files,
            "now": now,
        },
    )
