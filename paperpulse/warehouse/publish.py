"""Publish (write-audit-publish): copy the audited marts into a new serving file and swap it in.

Dashboards open `serving.duckdb` read-only, or the Parquet copies under `parquet/`. Both are
replaced by a rename, never written in place, so a reader sees either the previous run's marts
or this run's, all of them together, and never holds up the pipeline.

The serving file replaced by a publish stays as a spare (`.previous-serving.duckdb`): the next publish
brings it up to date in place, in one transaction, and swaps it in, instead of copying the published file
(1.5 GB at a million papers). When a reader in another process still has the spare open (DuckDB's file
lock says so) or it cannot be brought up to date by changed papers, the publish copies as before.

Only marts that passed the marts gate as they are are published: `paperpulse check` (pipeline.check_marts)
records the fingerprint of the marts it passed (GATE_PASSED in raw.build_state), and publish refuses marts
whose fingerprint, worked out as below, is not that one: a new build or an edit since the check.

Publishing costs what changed, not the warehouse: each mart's rows and content hash (an
order-independent sum of row hashes) are recorded with it. A mart whose hash did not change is
carried over as it is (the new serving file starts as a copy of the published one; Parquet files are
hard-linked). A paper mart (config.PAPER_MARTS) whose hash changes exactly by the papers the pipeline
changed (raw.changed_papers) gets only those papers' rows replaced, and only their months' Parquet
files rewritten. Any other mart, and any mart whose hash says something else changed (a hand edit,
a full rebuild), is copied whole. So the published marts always equal the built ones, hash for hash.
(A paper mart's built hash is itself worked out from the changed papers when only incremental builds ran
since the last publish: dbt rebuilt nothing else in it.)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from paperpulse import search
from paperpulse.errors import PublishRefused
from paperpulse.files import fsync
from paperpulse.hooks import crash_point, stage
from paperpulse.settings import MARTS, PAPER_MARTS, Settings
from paperpulse.warehouse.build import UNPUBLISHED_FULL_BUILD
from paperpulse.warehouse.connection import connect_build, transaction

PUBLISH_INFO = "publish_info"
PUBLISH_INFO_COMMENTS = {
    "run_id": "The run that published these marts.",
    "published_at": "When they were published (UTC).",
    "fingerprint": "Content hash of every mart (publish.marts_fingerprint): equal fingerprints, equal marts.",
    "row_counts": "JSON object: each mart's row count in this publication.",
    "row_hashes": "JSON object: each mart's content hash (the sum of its row hashes), as text.",
}
KEEP, DELTA, REPLACE = "keep", "delta", "replace"  # how a mart is published
CHANGED = "select paper_id from build.raw.changed_papers"
# the spare is one publication older: the papers that publication changed are changed for it too
CHANGED_SINCE_SPARE = f"{CHANGED} union select paper_id from build.raw.published_changes"
SPARE = ".previous-serving.duckdb"
# raw.build_state: the fingerprint of the marts that last passed the marts gate
GATE_PASSED = "marts gate passed"

# (rows, sum of row hashes) per mart
Hashes = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class PublishReport:
    published: bool
    serving_db: Path
    parquet_dir: Path
    fingerprint: str
    row_counts: dict[str, int]
    how: dict[str, str] | None = None  # mart -> keep, delta or replace

    def as_dict(self) -> dict:
        return {**vars(self), "serving_db": str(self.serving_db), "parquet_dir": str(self.parquet_dir)}


def mart_hashes(con: duckdb.DuckDBPyConnection, schema: str, marts: tuple[str, ...] = MARTS) -> Hashes:
    """Rows and content hash of each of `marts` in `schema`."""
    return {mart: mart_hashes_of(con, f"{schema}.{mart}", "") for mart in marts}


def built_hashes(con: duckdb.DuckDBPyConnection, published: Published | None) -> Hashes:
    """Rows and content hash of every built mart; `con` has the build file attached as `build`, the
    serving file as `serving`. After incremental builds only (no full rebuild since the last publish), a
    paper mart differs from the published one only in the changed papers, so its hash is the published
    one with those papers' rows swapped: hashing the whole mart (a million papers' abstracts) is skipped."""
    (full_build,) = con.execute(
        "select count(*) from build.raw.build_state where name = ?", [UNPUBLISHED_FULL_BUILD]
    ).fetchone()
    derived = () if published is None or full_build else [m for m in PAPER_MARTS if m in published.hashes]
    hashes = mart_hashes(con, "build.marts", tuple(m for m in MARTS if m not in derived))
    for mart in derived:
        hashes[mart] = swapped_hashes(con, mart, published.hashes[mart])
    return {mart: hashes[mart] for mart in MARTS}


def swapped_hashes(
    con: duckdb.DuckDBPyConnection,
    mart: str,
    published: tuple[int, int],
    schema: str = "serving",
    changed: str = CHANGED,
) -> tuple[int, int]:
    """The published paper mart's rows and hash with the changed papers' rows replaced by the built ones."""
    where = f"where paper_id in ({changed})"
    old = mart_hashes_of(con, f"{schema}.main.{mart}", where)
    new = mart_hashes_of(con, f"build.marts.{mart}", where)
    return published[0] - old[0] + new[0], published[1] - old[1] + new[1]


def fingerprint_of(hashes: Hashes) -> str:
    digests = [f"{mart}:{rows}:{digest}" for mart, (rows, digest) in hashes.items()]
    return hashlib.sha256("|".join(digests).encode()).hexdigest()[:16]


def marts_fingerprint(con: duckdb.DuckDBPyConnection, schema: str) -> tuple[str, dict[str, int]]:
    """Row counts and an order-independent content hash of every mart in `schema`."""
    hashes = mart_hashes(con, schema)
    return fingerprint_of(hashes), {mart: rows for mart, (rows, _) in hashes.items()}


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _copy_comments(con: duckdb.DuckDBPyConnection, source_schema: str, table: str) -> None:
    """Carry the table's and its columns' comments (dbt's persisted docs) over to the copy:
    `create table as` keeps names and types but drops comments."""
    database, schema = source_schema.split(".")
    where = "database_name = ? and schema_name = ? and table_name = ? and comment is not null"
    for (comment,) in con.execute(
        f"select comment from duckdb_tables() where {where}", [database, schema, table]
    ).fetchall():
        con.execute(f"comment on table {table} is {_sql_literal(comment.strip())}")
    columns = con.execute(
        f"select column_name, comment from duckdb_columns() where {where}", [database, schema, table]
    ).fetchall()
    for column, comment in columns:
        con.execute(f'comment on column {table}."{column}" is {_sql_literal(comment.strip())}')


@dataclass(frozen=True)
class Published:
    fingerprint: str
    hashes: Hashes  # empty for a file published before hashes were recorded
    parquet_matches: bool  # the Parquet folder holds the same version as the serving file


def published_fingerprint(serving_db: Path) -> str | None:
    if not serving_db.exists():
        return None
    with duckdb.connect(str(serving_db), read_only=True) as con:
        return con.execute(f"select fingerprint from {PUBLISH_INFO}").fetchone()[0]


def read_published(settings: Settings) -> Published | None:
    if not settings.serving_db.exists():
        return None
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        info = con.execute(f"select * from {PUBLISH_INFO}").fetchdf().iloc[0]
    fingerprint = info["fingerprint"]
    parquet_matches = parquet_fingerprint(settings.parquet_dir) == fingerprint
    return published_from(info.get("row_counts"), info.get("row_hashes"), fingerprint, parquet_matches)


def published_from(
    row_counts: str | None, row_hashes: str | None, fingerprint: str = "", parquet_matches: bool = False
) -> Published:
    """What a serving file's publish_info says it holds."""
    counts, recorded = json.loads(row_counts or "{}"), json.loads(row_hashes or "{}")
    hashes = {mart: (counts[mart], int(digest)) for mart, digest in recorded.items() if mart in counts}
    return Published(fingerprint, hashes, parquet_matches)


def _swap_symlink(link: Path, target_name: str) -> None:
    """Point `link` at `target_name` atomically (a new link renamed over the old one)."""
    tmp = link.with_name(f".{link.name}.tmp")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target_name)
    os.replace(tmp, link)


def parquet_fingerprint(parquet_dir: Path) -> str | None:
    """The fingerprint of the marts the Parquet link points at (from its publish_info copy)."""
    info = parquet_dir / f"{PUBLISH_INFO}.parquet"
    if not info.is_file():
        return None
    with duckdb.connect() as con:
        return con.execute("select fingerprint from read_parquet(?)", [str(info)]).fetchone()[0]


@contextmanager
def attached(settings: Settings, published: Published | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory connection with the build file attached read-only as `build` and, once something is
    published, the serving file as `serving`: what built_hashes reads."""
    if not settings.build_db.exists():
        raise FileNotFoundError(f"no build file at {settings.build_db}: run `paperpulse run` first")
    with duckdb.connect(config=settings.duckdb_config) as con:
        con.execute("attach ? as build (read_only)", [str(settings.build_db)])
        if published:
            con.execute("attach ? as serving (read_only)", [str(settings.serving_db)])
        yield con


def record_gate_pass(settings: Settings, fingerprint: str) -> None:
    """The marts with this fingerprint passed the marts gate (only the latest pass is kept)."""
    with connect_build(settings) as con:
        con.execute("insert or replace into raw.build_state values (?, ?)", [GATE_PASSED, fingerprint])


def forget_gate_pass(settings: Settings) -> None:
    """The marts gate failed: no marts count as passed until it passes again."""
    with connect_build(settings) as con:
        con.execute("delete from raw.build_state where name = ?", [GATE_PASSED])


def require_gate_pass(con: duckdb.DuckDBPyConnection, settings: Settings, fingerprint: str) -> None:
    """Refuse, saying why and what to run, unless the built marts (`fingerprint`) passed the marts gate."""
    passed = con.execute("select value from build.raw.build_state where name = ?", [GATE_PASSED]).fetchone()
    if passed and passed[0] == fingerprint:
        return
    why = (
        "they have not passed the marts gate"
        if passed is None
        else f"they changed since they passed the marts gate (a build or an edit since; fingerprint "
        f"{fingerprint}, passed {passed[0]})"
    )
    raise PublishRefused(
        f"not publishing the marts in {settings.build_db}: {why}. Run `paperpulse check`, then "
        "`paperpulse publish` (or `paperpulse run`); the published marts stay as they are"
    )


def remove_stale_staging(settings: Settings) -> None:
    """Remove what a publish that died part-way left: staged serving files, and Parquet folders
    staged after the current one and never swapped in (older ones are the previous versions,
    removed by the publish after the next)."""
    for path in settings.home.glob(".serving-*"):
        path.unlink(missing_ok=True)
    current = settings.parquet_dir.resolve().name if settings.parquet_dir.is_symlink() else ""
    for path in settings.home.glob(".parquet-*"):
        if path.name > current:
            shutil.rmtree(path, ignore_errors=True)


def plan(
    con: duckdb.DuckDBPyConnection,
    built: Hashes,
    published: Published | None,
    schema: str = "serving",
    changed: str = CHANGED,
) -> dict[str, str]:
    """How to publish each mart over a serving file; `con` has the build file attached as `build`, the
    serving file as `schema`. A paper mart is published as a delta only when replacing the `changed`
    papers' rows gives exactly the built mart's hash."""
    if published is None:
        return dict.fromkeys(MARTS, REPLACE)
    how = {}
    for mart in MARTS:
        if built[mart] == published.hashes.get(mart):
            how[mart] = KEEP
        elif mart in PAPER_MARTS and mart in published.hashes:
            swapped = swapped_hashes(con, mart, published.hashes[mart], schema, changed)
            how[mart] = DELTA if swapped == built[mart] else REPLACE
        else:
            how[mart] = REPLACE
    return how


def spare_plan(con: duckdb.DuckDBPyConnection, settings: Settings, built: Hashes) -> dict[str, str] | None:
    """How to bring the spare serving file up to date, if every paper mart needs at most its changed
    papers' rows replaced (else copying the published file is cheaper)."""
    spare = settings.home / SPARE
    if not spare.exists():
        return None
    try:
        con.execute("attach ? as spare (read_only)", [str(spare)])
    except duckdb.Error:
        return None  # locked by a writer, or not a DuckDB file: copy instead
    try:
        info = con.execute(f"select row_counts, row_hashes from spare.main.{PUBLISH_INFO}").fetchone()
        how = plan(con, built, published_from(info[0], info[1]), "spare", CHANGED_SINCE_SPARE)
    except duckdb.Error:
        return None
    finally:
        con.execute("detach spare")
    return how if all(how[mart] != REPLACE for mart in PAPER_MARTS) else None


def mart_hashes_of(con: duckdb.DuckDBPyConnection, table: str, where: str) -> tuple[int, int]:
    rows, digest = con.execute(
        f"select count(*), coalesce(sum(hash(t)::hugeint), 0) from {table} t {where}"
    ).fetchone()
    return rows, int(digest)


def open_staged(
    settings: Settings, staged_db: Path, use_spare: bool
) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """The spare serving file moved to `staged_db` and opened (and True), or else a copy of the published
    file (and False)."""
    if use_spare:
        os.replace(settings.home / SPARE, staged_db)
        try:
            return duckdb.connect(str(staged_db), config=settings.duckdb_config), True
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            staged_db.unlink()  # a reader in another process still has it open: it keeps its copy
    shutil.copyfile(settings.serving_db, staged_db)
    return duckdb.connect(str(staged_db), config=settings.duckdb_config), False


def stage_serving(
    settings: Settings, staged_db: Path, how: dict[str, str], spare_how: dict[str, str] | None, info: list
) -> None:
    """The new serving file: the spare or a copy of the published one with the marts that changed replaced
    (whole or their changed papers), or all of them written afresh; in one transaction, so a file left
    half-way holds one version whole."""
    if all(method == REPLACE for method in how.values()):
        con, on_spare = duckdb.connect(str(staged_db), config=settings.duckdb_config), False
    else:
        con, on_spare = open_staged(settings, staged_db, spare_how is not None)
    how, changed = (spare_how, CHANGED_SINCE_SPARE) if on_spare else (how, CHANGED)
    with con:
        con.execute("attach ? as build (read_only)", [str(settings.build_db)])
        with transaction(con):
            for mart, method in how.items():
                if method == DELTA:
                    con.execute(f"delete from {mart} where paper_id in ({changed})")
                    con.execute(
                        f"insert into {mart} select * from build.marts.{mart} where paper_id in ({changed})"
                    )
                elif method == REPLACE:
                    order = f" order by {search.ORDER}" if mart == "search_postings" else ""
                    con.execute(f"create or replace table {mart} as select * from build.marts.{mart}{order}")
                    _copy_comments(con, "build.marts", mart)
            if how["search_postings"] != KEEP:
                search.cluster(con, published_whole=how["search_postings"] == REPLACE)
            search.install(con)  # the search macros, over the marts just staged
            con.execute(
                f"create or replace table {PUBLISH_INFO} as select ? as run_id, ? as published_at, "
                "? as fingerprint, ? as row_counts, ? as row_hashes",
                info,
            )
            con.execute(f"comment on table {PUBLISH_INFO} is 'Which run published the marts in this file.'")
            for column, comment in PUBLISH_INFO_COMMENTS.items():
                con.execute(f"comment on column {PUBLISH_INFO}.{column} is {_sql_literal(comment)}")
        con.execute("detach build")
        con.execute("checkpoint")


def _months(con: duckdb.DuckDBPyConnection, table: str, where: str = "") -> set[str]:
    """The months of first listing (YYYY-MM) of the table's rows: a paper mart's Parquet files."""
    return {
        month
        for (month,) in con.execute(
            f"select distinct strftime(first_listed_date, '%Y-%m') from {table} {where}"
        ).fetchall()
    }


def changed_months(con: duckdb.DuckDBPyConnection, how: dict[str, str]) -> dict[str, set[str]]:
    """For each paper mart published as a delta: the months its changed papers were in or are now in."""
    where = f"where paper_id in ({CHANGED})"
    return {
        mart: _months(con, f"serving.main.{mart}", where) | _months(con, f"build.marts.{mart}", where)
        for mart in PAPER_MARTS
        if how.get(mart) == DELTA
    }


def _write_month(con: duckdb.DuckDBPyConnection, mart: str, month: str, folder: Path) -> None:
    start = f"date '{month}-01'"
    con.execute(
        f"copy (select * from {mart} where first_listed_date >= {start} "
        f"and first_listed_date < {start} + interval 1 month) to ? (format parquet)",
        [str(folder / f"{month}.parquet")],
    )


def parquet_layout_is_current(folder: Path | None) -> bool:
    """A Parquet version this code wrote: paper marts as folders of months, other marts as files."""
    return folder is not None and all(
        (folder / f"{mart}.parquet").is_dir() == (mart in PAPER_MARTS) for mart in MARTS
    )


def stage_parquet(
    staged_db: Path, version: Path, previous: Path | None, how: dict[str, str], rewrite: dict[str, set[str]]
) -> None:
    """The new Parquet folder, from the staged serving file: what did not change hard-linked from the
    previous version, a paper mart's changed months rewritten, everything else written."""
    version.mkdir()
    with duckdb.connect(str(staged_db), read_only=True) as con:
        for mart, method in how.items():
            target = version / f"{mart}.parquet"
            if mart not in PAPER_MARTS:
                if method == KEEP:
                    os.link(previous / f"{mart}.parquet", target)
                else:
                    con.execute(f"copy {mart} to ? (format parquet)", [str(target)])
                continue
            target.mkdir()
            months = _months(con, mart)
            if not months:  # readers of an empty folder would find no files, so: one without rows
                empty = target / "empty.parquet"
                con.execute(f"copy (select * from {mart} limit 0) to ? (format parquet)", [str(empty)])
            for month in sorted(months):
                if method == REPLACE or month in rewrite.get(mart, ()):
                    _write_month(con, mart, month, target)
                else:
                    os.link(previous / f"{mart}.parquet" / f"{month}.parquet", target / f"{month}.parquet")
        con.execute(f"copy {PUBLISH_INFO} to ? (format parquet)", [str(version / f"{PUBLISH_INFO}.parquet")])
    for path in [*version.rglob("*"), version]:
        fsync(path)


def swap_in(settings: Settings, staged_db: Path, parquet_version: Path) -> None:
    """Rename the staged serving file over the published one, then point the Parquet link at the new
    folder. Each is one atomic rename; a crash between them leaves the serving file new and the
    Parquet folder old, each whole, and the next publish completes the pair."""
    previous_parquet = settings.parquet_dir.resolve() if settings.parquet_dir.is_symlink() else None
    if settings.serving_db.exists():  # the file replaced stays as the next publish's spare
        spare_link = settings.home / ".serving-spare-link.duckdb"
        spare_link.unlink(missing_ok=True)
        os.link(settings.serving_db, spare_link)
        os.replace(staged_db, settings.serving_db)
        os.replace(spare_link, settings.home / SPARE)
    else:
        os.replace(staged_db, settings.serving_db)
    crash_point("publish-serving-swapped")
    if settings.parquet_dir.exists() and not settings.parquet_dir.is_symlink():
        shutil.rmtree(settings.parquet_dir)  # a folder left by hand; the link replaces it
    _swap_symlink(settings.parquet_dir, parquet_version.name)
    fsync(settings.home)
    # The previous version stays one more run: a reader that resolved the link just before the swap is
    # still opening its files. Older versions go (open readers keep their file handles).
    keep = {parquet_version.resolve(), previous_parquet}
    for version in settings.home.glob(".parquet-*"):
        if version.is_dir() and version.resolve() not in keep:
            shutil.rmtree(version, ignore_errors=True)


def forget_published_changes(settings: Settings, swapped: bool) -> None:
    """The changes the published marts now include are no longer pending; they are what the spare serving
    file (the version before, if this publish `swapped` files) lacks."""
    with connect_build(settings) as con, transaction(con):
        if swapped:
            con.execute("delete from raw.published_changes")
        con.execute("insert into raw.published_changes select paper_id from raw.changed_papers where built")
        con.execute("delete from raw.changed_papers where built")
        con.execute("delete from raw.build_state where name = ?", [UNPUBLISHED_FULL_BUILD])


@stage("publish")
def publish(settings: Settings, run_id: str) -> PublishReport:
    """Copy marts from the build file to a new serving file and Parquet folder, then swap both in.

    Refuses (PublishRefused) unless the marts gate passed exactly these marts. When they are identical to
    what is already published in both, nothing is rewritten. A publish that fails (a full disk, say)
    removes what it staged and leaves the published files alone.
    """
    settings.home.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(settings)
    published = read_published(settings)
    with attached(settings, published) as con:
        built = built_hashes(con, published)
        fingerprint = fingerprint_of(built)
        require_gate_pass(con, settings, fingerprint)
        unchanged = published and published.fingerprint == fingerprint and published.parquet_matches
        how = {} if unchanged else plan(con, built, published)
        rewrite = changed_months(con, how)
        spare_how = spare_plan(con, settings, built) if how and published else None
    counts = {mart: rows for mart, (rows, _) in built.items()}
    if unchanged:
        forget_published_changes(settings, swapped=False)
        return PublishReport(False, settings.serving_db, settings.parquet_dir, fingerprint, counts)
    previous = settings.parquet_dir.resolve() if settings.parquet_dir.is_symlink() else None
    linkable = published is not None and published.parquet_matches and parquet_layout_is_current(previous)
    parquet_how = how if linkable else dict.fromkeys(MARTS, REPLACE)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    staged_db, parquet_version = (
        settings.home / f".serving-{stamp}.duckdb",
        settings.home / f".parquet-{stamp}",
    )
    hashes = json.dumps({mart: str(digest) for mart, (_, digest) in built.items()})
    info = [run_id, datetime.now(UTC).replace(tzinfo=None), fingerprint, json.dumps(counts), hashes]
    try:
        stage_serving(settings, staged_db, how, spare_how, info)
        stage_parquet(staged_db, parquet_version, previous, parquet_how, rewrite)
        fsync(staged_db)
    except BaseException:
        remove_stale_staging(settings)
        raise
    crash_point("publish-staged")
    swap_in(settings, staged_db, parquet_version)
    forget_published_changes(settings, swapped=True)
    return PublishReport(True, settings.serving_db, settings.parquet_dir, fingerprint, counts, how)
