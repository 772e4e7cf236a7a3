"""`paperpulse forget`: take a paper, a source's day or a landed file back out of the warehouse.

In one transaction of the build file, what it loaded goes:
- its listings (a paper: all of its own) and their upvote snapshots;
- each paper no other listing keeps, with its mentions, results and extraction row;
- each paper another listing keeps stays, with its first listing day, first source and load time as those
  listings say. When the forgotten listing gave it its text (no better source lists it), it gets back the text
  of its best other listing, read again from that listing's landed files, and its mentions and results go
  until it is extracted again (when those files were pruned, it keeps the text it has);
- a day's quarantine rows and watermark; a landed file's quarantine rows and the snapshots read from it;
- a paper is recorded in raw.forgotten_papers, so that no later load brings it back.
Every paper touched is marked in raw.changed_papers: the next build and publish take it out of the marts.
Then the day's landed folder (or the landed file) moves to <home>/forgotten/<time>/, which prune removes
after the retention period: a forgotten day is no longer landed, and a run of that day fetches it again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from paperpulse.files import fsync
from paperpulse.ingest import landing, raw, sources
from paperpulse.ingest.records import invalid_reason, title_key
from paperpulse.settings import Settings
from paperpulse.warehouse.connection import connect_build, transaction

LISTING_KEY = ["paper_id", "source", "listed_date"]
TOUCHED = "select paper_id from forget_listings union select paper_id from forget_papers"


@dataclass
class Forgotten:
    """What a forget removed."""

    what: str
    listings: int = 0
    papers: int = 0  # deleted, with their mentions and results
    mentions: int = 0
    results: int = 0
    kept: int = 0  # listed elsewhere: they stay
    restored: int = 0  # of those, back to another listing's text (to extract again)
    unrestored: int = 0  # of those, keeping the forgotten listing's text: the other's landed files are gone
    snapshots: int = 0
    quarantined: int = 0
    watermarks: int = 0
    moved: list[tuple[Path, Path]] = field(default_factory=list)

    def render(self) -> str:
        lines = [
            f"paperpulse forget: {self.what}",
            f"  listings:   {self.listings} removed ({self.snapshots} upvote snapshots)",
            f"  papers:     {self.papers} deleted ({self.mentions} mentions, {self.results} results), "
            f"{self.kept} kept (listed elsewhere)",
        ]
        if self.restored or self.unrestored:
            lines.append(
                f"  text:       restored for {self.restored} (read back from landing; to extract again)"
                + (f"; {self.unrestored} keep theirs (landed files pruned)" if self.unrestored else "")
            )
        lines.append(f"  quarantine: {self.quarantined} rows removed; watermarks: {self.watermarks} removed")
        lines += [f"  moved:      {source} -> {target}" for source, target in self.moved]
        lines.append(
            "  next:       `paperpulse run` (or extract-papers, build, check, publish) takes it out of the "
            "published marts"
        )
        return "\n".join(lines)


# ---- what a landed file loaded --------------------------------------------------------------------------


def _records(settings: Settings, source: str, day: date, files: list[Path]) -> list[dict]:
    """The paper records in landed files that raw loading may have loaded: valid ones, whatever their day
    (one dated in the future loaded before such days were refused)."""
    found = sources.get(source)
    return [
        item
        for path in files
        for item in found.parse(landing.read_payload(path), day, settings)
        if isinstance(item, dict) and not invalid_reason(item)
    ]


def _listings_of(con: duckdb.DuckDBPyConnection, records: list[dict]) -> pd.DataFrame:
    """The raw listings the records made: by paper id, or, for a title-keyed record, by the title of the
    paper its listing went to (raw loading may have merged it into the paper with its arXiv id)."""
    frame = pd.DataFrame(
        [
            {
                "paper_id": r["paper_id"],
                "arxiv_id": r.get("arxiv_id"),
                "title_key": title_key(r["title"]),
                "source": r["source"],
                "listed_date": r["listed_date"],
            }
            for r in records
        ],
        columns=["paper_id", "arxiv_id", "title_key", "source", "listed_date"],
    )
    con.register("forget_records", frame)
    try:
        return con.execute(
            """
            select distinct l.paper_id, l.source, l.listed_date
            from raw.paper_listings l
            join forget_records f on l.source = f.source and l.listed_date = cast(f.listed_date as date)
            left join raw.papers p on p.paper_id = l.paper_id
            where l.paper_id = f.paper_id or (f.arxiv_id is null and p.title_key = f.title_key)
            """
        ).df()
    finally:
        con.unregister("forget_records")


# ---- texts to give back ----------------------------------------------------------------------------------


def _to_restore(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Papers that stay whose text the forgotten listings may have given (their source ranks at least as
    high as the best of the other listings), with their best other listing: the last loaded of the best
    source, whose text raw loading kept."""
    return con.execute(
        f"""
        with forgotten as (
            select paper_id, min({raw._rank("source")}) as rank from forget_listings group by paper_id
        ),
        others as (
            select l.paper_id, l.source, l.listed_date, {raw._rank("l.source")} as source_rank
            from raw.paper_listings l
            anti join forget_listings f using (paper_id, source, listed_date)
            where l.paper_id in (select paper_id from forgotten)
              and l.paper_id not in (select paper_id from forget_papers)
            qualify row_number() over (partition by l.paper_id order by source_rank, l.loaded_at desc) = 1
        )
        select o.paper_id, p.title_key, o.source, o.listed_date
        from others o join forgotten f using (paper_id) join raw.papers p using (paper_id)
        where o.source_rank >= f.rank
        """
    ).df()


def _landed_folders(settings: Settings, source: str, day: date) -> list[tuple[Path, date]]:
    """Where a listing of `source` on `day` was landed: its day's folder, or for a source not organised by
    day (the inbox) every landed day, oldest first (the last one read wins, as the last one loaded did)."""
    if sources.get(source).by_day:
        return [(landing.interval_dir(settings, source, day), day)]
    folders = []
    for folder in sorted((settings.landing_dir / source).glob("????-??-??")):
        try:
            folders.append((folder, date.fromisoformat(folder.name)))
        except ValueError:
            continue
    return folders


def _texts(settings: Settings, wanted: pd.DataFrame) -> pd.DataFrame:
    """The text each wanted paper has in the landed files of its listing (source, listed_date), normalised
    as raw loading does; papers whose files are gone are left out."""
    rows = {}
    for (source, listed), group in wanted.groupby(["source", "listed_date"]):
        day = pd.Timestamp(listed).date()
        by_id, by_title = {}, {}
        for folder, folder_day in _landed_folders(settings, source, day):
            parsed = [
                (path.name, item)
                for path in landing.landed_files(folder)
                for item in sources.get(source).parse(landing.read_payload(path), folder_day, settings)
            ]
            papers = raw.prepare_batch(source, folder_day.isoformat(), parsed).papers
            for paper in papers[papers["listed_date"] == day.isoformat()].to_dict("records"):
                by_id[paper["paper_id"]] = paper
                if paper["arxiv_id"] is None:
                    by_title[paper["title_key"]] = paper
        for paper_id, key in zip(group["paper_id"], group["title_key"], strict=True):
            found = by_id.get(paper_id) or by_title.get(key)
            if found:
                rows[paper_id] = {**found, "paper_id": paper_id}
    columns = ["paper_id", "title", "abstract", "title_key", "content_hash"]
    return pd.DataFrame([{c: row[c] for c in columns} for row in rows.values()], columns=columns)


# ---- removing ------------------------------------------------------------------------------------------


def _remove(
    settings: Settings,
    con: duckdb.DuckDBPyConnection,
    report: Forgotten,
    listings: pd.DataFrame,
    papers: list[str] = (),
    quarantine: tuple[str, list] = ("false", []),
    snapshots: tuple[str, list] = ("false", []),
    watermark: tuple[str, date] | None = None,
) -> None:
    """Remove `listings` and `papers` (and the quarantine and snapshot rows matching those `where`s with
    their parameters, and a watermark) in one transaction, leaving what stays consistent."""
    now = datetime.now(UTC).replace(tzinfo=None)
    con.execute(
        "create or replace temp table forget_listings (paper_id varchar, source varchar, listed_date date)"
    )
    if len(listings):
        con.register("forget_frame", listings[LISTING_KEY])
        con.execute(
            "insert into forget_listings select paper_id, source, cast(listed_date as date) from forget_frame"
        )
        con.unregister("forget_frame")
    con.execute(
        "create or replace temp table forget_papers as select unnest(?::varchar[]) as paper_id",
        [list(papers)],
    )
    restore = _to_restore(con)
    texts = _texts(settings, restore)
    con.register("forget_texts", texts)
    counting = ("mentions", "results")
    upvoted = [name for name, found in sources.registry().items() if found.counts_upvotes]
    try:
        with transaction(con):
            con.execute(
                "insert into raw.forgotten_papers select paper_id, title_key, ? from raw.papers "
                "where paper_id in (select paper_id from forget_papers) on conflict do nothing",
                [now],
            )
            con.execute(f"create or replace temp table forget_touched as {TOUCHED}")
            report.listings = con.execute(
                """
                delete from raw.paper_listings
                where (paper_id, source, listed_date) in (
                    select paper_id, source, listed_date from forget_listings
                ) or paper_id in (select paper_id from forget_papers)
                """
            ).fetchone()[0]
            report.snapshots = con.execute(
                f"""
                delete from raw.hf_upvote_snapshots
                where (paper_id, listed_date) in (
                    select paper_id, listed_date from forget_listings
                    where list_contains(?::varchar[], source)
                ) or paper_id in (select paper_id from forget_papers) or ({snapshots[0]})
                """,
                [upvoted, *snapshots[1]],
            ).fetchone()[0]
            con.execute(
                """
                create or replace temp table forget_gone as
                select paper_id from raw.papers
                where paper_id in (select paper_id from forget_touched)
                  and paper_id not in (select paper_id from raw.paper_listings
                                       where paper_id in (select paper_id from forget_touched))
                """
            )
            report.papers = con.execute("select count(*) from forget_gone").fetchone()[0]
            report.mentions, report.results = (
                con.execute(
                    f"select count(*) from raw.{table} where paper_id in (select paper_id from forget_gone)"
                ).fetchone()[0]
                for table in counting
            )
            for table in ("mentions", "results", "extractions", "hf_upvote_snapshots", "papers"):
                con.execute(f"delete from raw.{table} where paper_id in (select paper_id from forget_gone)")
            report.kept = con.execute(
                "select count(*) from raw.papers where paper_id in (select paper_id from forget_touched)"
            ).fetchone()[0]
            # what stays is as its other listings say: first listing day, and first source and load time (of
            # the listing loaded first)
            con.execute(
                """
                update raw.papers p set
                    first_listed_date = l.first_listed_date, first_source = l.first_source,
                    loaded_at = l.loaded_at, updated_at = $now
                from (
                    select paper_id, min(listed_date) as first_listed_date,
                           arg_min(source, loaded_at) as first_source, min(loaded_at) as loaded_at
                    from raw.paper_listings
                    where paper_id in (select paper_id from forget_touched)
                    group by paper_id
                ) l
                where p.paper_id = l.paper_id
                  and (p.first_listed_date <> l.first_listed_date or p.first_source <> l.first_source
                       or p.loaded_at <> l.loaded_at)
                """,
                {"now": now},
            )
            report.restored = con.execute(
                """
                update raw.papers p set title = t.title, abstract = t.abstract, title_key = t.title_key,
                    content_hash = t.content_hash, updated_at = $now
                from forget_texts t
                where p.paper_id = t.paper_id and p.content_hash <> t.content_hash
                """,
                {"now": now},
            ).fetchone()[0]
            report.unrestored = len(restore) - len(texts)
            for table in ("mentions", "results", "extractions"):  # extracted from the forgotten text
                con.execute(
                    f"delete from raw.{table} where paper_id in (select paper_id from forget_texts) "
                    "and paper_id not in (select p.paper_id from raw.papers p join raw.extractions e "
                    "using (paper_id, content_hash))"
                )
            report.quarantined = con.execute(
                f"delete from raw.quarantine where {quarantine[0]}", quarantine[1]
            ).fetchone()[0]
            con.execute(
                "delete from raw.quarantine_payloads "
                "where payload_sha256 not in (select payload_sha256 from raw.quarantine)"
            )
            if watermark:
                report.watermarks = con.execute(
                    "delete from raw.source_watermarks where source = ? and interval_day = ?", list(watermark)
                ).fetchone()[0]
            raw.mark_changed(con, "select paper_id from forget_touched", now)
    finally:
        con.unregister("forget_texts")


def _move_aside(settings: Settings, report: Forgotten, path: Path, stamp: str) -> None:
    """Move a landed file or folder to <home>/forgotten/<stamp>/, under its path in the home."""
    target = settings.home / "forgotten" / stamp / path.relative_to(settings.home)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    fsync(path.parent)
    report.moved.append((path, target))


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def forget_paper(settings: Settings, paper_id: str) -> Forgotten:
    report = Forgotten(f"paper {paper_id}")
    with connect_build(settings) as con:
        known = con.execute("select count(*) from raw.papers where paper_id = ?", [paper_id]).fetchone()[0]
        if not known:
            forgotten = con.execute(
                "select count(*) from raw.forgotten_papers where paper_id = ?", [paper_id]
            ).fetchone()[0]
            raise ValueError(
                f"paper {paper_id} was already forgotten"
                if forgotten
                else f"no paper {paper_id} in {settings.build_db}"
            )
        listings = pd.DataFrame(columns=LISTING_KEY)
        _remove(settings, con, report, listings, [paper_id])
    return report


def forget_day(settings: Settings, source: str, day: date) -> Forgotten:
    """A source's day: the listings the source made on that day or from that day's landed files, its
    quarantine rows and watermark; its landed folder moves aside."""
    sources.get(source)
    report = Forgotten(f"{source} {day}")
    folder = landing.interval_dir(settings, source, day)
    with connect_build(settings) as con:
        records = _records(settings, source, day, landing.landed_files(folder))
        listed = con.execute(
            "select paper_id, source, listed_date from raw.paper_listings "
            "where source = ? and listed_date = ?",
            [source, day],
        ).df()
        listings = pd.concat([listed, _listings_of(con, records)]).drop_duplicates(LISTING_KEY)
        _remove(
            settings,
            con,
            report,
            listings,
            quarantine=("source = ? and interval_day = ?", [source, day]),
            watermark=(source, day),
        )
    if folder.exists():
        _move_aside(settings, report, folder, _stamp())
    return report


def forget_landed(settings: Settings, path: Path) -> Forgotten:
    """One landed file: the listings it made that no other file of its day's folder makes too, the
    quarantine rows and upvote snapshots read from it; the file moves aside."""
    path = path.resolve()
    try:
        parts = path.relative_to(settings.landing_dir).parts
        source, day = parts[0], date.fromisoformat(parts[1])
        sources.get(source)
    except (ValueError, IndexError):
        raise ValueError(
            f"{path} is not a landed file: one under {settings.landing_dir}/<source>/<YYYY-MM-DD>/"
        ) from None
    if not path.is_file():
        raise ValueError(f"no landed file {path}")
    report = Forgotten(f"landed file {path}")
    refetch = len(parts) == 4  # <source>/<day>/refetch-<run day>/<file>: it only added snapshots
    name = "/".join(parts[1:])  # as raw loading names a refetched file (and its snapshots a landed one)
    with connect_build(settings) as con:
        listings = pd.DataFrame(columns=LISTING_KEY)
        if not refetch:
            others = [p for p in landing.landed_files(path.parent) if p != path]
            mine = _listings_of(con, _records(settings, source, day, [path]))
            theirs = _listings_of(con, _records(settings, source, day, others))
            listings = mine.merge(theirs, how="left", on=LISTING_KEY, indicator=True)
            listings = listings[listings["_merge"] == "left_only"][LISTING_KEY]
        quarantine = (
            ("source = ? and landed_file = ?", [source, name])
            if refetch
            else ("source = ? and interval_day = ? and landed_file = ?", [source, day, path.name])
        )
        _remove(settings, con, report, listings, quarantine=quarantine, snapshots=("landed_file = ?", [name]))
    _move_aside(settings, report, path, _stamp())
    return report
