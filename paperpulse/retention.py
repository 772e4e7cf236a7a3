"""Retention (`paperpulse prune --keep-days N`, and the daily DAG's `prune` task after publish): what grows
with every run goes once it is N days old.

- landing/: a landed day (or a day asked again) that raw has loaded loses its payload files but keeps its
  `_COMPLETE` marker, with a `_PRUNED` file beside it naming what went: it still counts as landed, so it is
  never fetched again, and running that day again loads nothing new (its papers are in raw already). A day
  landed but never loaded (a run that failed after landing) keeps its files whatever its age. Inbox files
  land one by one (landing/inbox/<day>/): they go.
- inbox/processed/ and inbox/rejected/ files, with their reason files;
- digests/: all but the latest day's (which keeps a re-run from mailing it again);
- gx/: validation results and their Data Docs pages, all but each suite's newest (the Data Docs index lists
  the removed runs until the next gate updates it);
- forgotten/: what `paperpulse forget` moved aside;
- raw.quarantine rows, and the payloads (raw.quarantine_payloads) no row refers to any more.

Age: a landed folder's from the time in its marker, a gate result's from its run time, a quarantine row's
from when it was quarantined, any other file's from its last change.
"""

from __future__ import annotations

import fcntl
import shutil
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from paperpulse.files import atomic_write
from paperpulse.ingest import landing
from paperpulse.settings import Settings
from paperpulse.warehouse.connection import connect_build, transaction

GX_RUN_TIME = "%Y%m%dT%H%M%S.%fZ"  # a validation result's run time folder (expectations/gate.py)
FORGOTTEN_STAMP = "%Y%m%dT%H%M%SZ"  # paperpulse/forget.py


@dataclass
class Pruned:
    keep_days: int
    cutoff: datetime
    removed: Counter = field(default_factory=Counter)  # what -> how many
    freed: int = 0  # bytes of files removed

    def render(self) -> str:
        r = self.removed
        lines = [
            f"paperpulse prune: removed what is older than {self.keep_days} days "
            f"(before {self.cutoff:%Y-%m-%d %H:%M} UTC)",
            f"  landing:    the files of {r['landed folders']} landed days (their _COMPLETE markers stay: "
            f"never fetched again), {r['inbox landed files']} landed inbox files",
            f"  inbox:      {r['inbox files']} processed or rejected files",
            f"  digests:    {r['digests']} files",
            f"  gx:         {r['gate runs']} validation results",
            f"  forgotten:  {r['forgotten']} folders",
            f"  quarantine: {r['quarantine rows']} rows, {r['quarantine payloads']} payloads",
            f"  freed:      {self.freed / 1e6:.1f} MB of files",
        ]
        return "\n".join(lines)


def _age(path: Path) -> datetime:
    """When a file last changed (moving it in counts: its mtime may be older), UTC, naive."""
    stat = path.stat()
    return datetime.fromtimestamp(max(stat.st_mtime, stat.st_ctime), UTC).replace(tzinfo=None)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _remove(path: Path, report: Pruned, what: str) -> None:
    report.freed += _size(path)
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()
    report.removed[what] += 1


def _prune_landed_folder(folder: Path, report: Pruned) -> None:
    """Remove a landed folder's payload files, first naming them in its _PRUNED file (with those removed
    before), so that a crash half-way leaves a folder that the next prune finishes."""
    files = landing.landed_files(folder)
    if not files:
        return
    names = sorted({*landing.pruned_files(folder), *(path.name for path in files)})
    atomic_write(folder / landing.PRUNED, "\n".join([datetime.now(UTC).isoformat(), *names, ""]))
    for path in files:
        _remove(path, report, "landed files")
    report.removed["landed folders"] += 1


def _prune_landing(settings: Settings, cutoff: datetime, loaded: dict, report: Pruned) -> None:
    """`loaded`: (source, day) -> when raw last recorded loading it (raw.source_watermarks)."""
    for source_dir in sorted(p for p in settings.landing_dir.glob("*") if p.is_dir()):
        for day_dir in sorted(p for p in source_dir.iterdir() if p.is_dir()):
            if day_dir.name.endswith(landing.PARTIAL):
                continue  # a fetch in progress, or one its next attempt removes
            if not landing.is_complete(day_dir):  # inbox files, landed one by one
                for path in landing.landed_files(day_dir):
                    if _age(path) < cutoff:
                        _remove(path, report, "inbox landed files")
                if not any(day_dir.iterdir()):
                    day_dir.rmdir()
                continue
            # a day's first landing is loaded by the run of that day; a day asked again, by the run of the
            # day that asked (refetch-<run day>)
            folders = [(day_dir, day_dir.name)] + [
                (refetch, refetch.name.removeprefix(landing.REFETCH))
                for refetch in sorted(day_dir.glob(f"{landing.REFETCH}*"))
                if landing.is_complete(refetch)
            ]
            for folder, loaded_by in folders:
                landed = landing.landed_at(folder)
                load = loaded.get((source_dir.name, loaded_by))
                if landed < cutoff and load is not None and load >= landed:
                    _prune_landed_folder(folder, report)


def _prune_files(folder: Path, cutoff: datetime, report: Pruned, what: str, keep: set[Path] = frozenset()):
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if path.is_file() and path not in keep and _age(path) < cutoff:
            _remove(path, report, what)


def _prune_digests(settings: Settings, cutoff: datetime, report: Pruned) -> None:
    folder = settings.home / "digests"
    days = sorted(path.stem for path in folder.glob("*.md")) if folder.is_dir() else []
    latest = {folder / f"{days[-1]}.md", folder / f"{days[-1]}.html"} if days else set()
    _prune_files(folder, cutoff, report, "digests", latest)


def _run_time(folder: Path) -> datetime | None:
    try:
        return datetime.strptime(folder.name, GX_RUN_TIME)
    except ValueError:
        return None


def _prune_gx(gx_home: Path, cutoff: datetime, report: Pruned) -> None:
    """Validation results (validations/<suite>/<run name>/<run time>/) and their Data Docs pages, but each
    suite's newest run. Under the gate runner's lock (expectations/gate.py), without importing GX."""
    validations = gx_home / "validations"
    if not validations.is_dir():
        return
    with open(gx_home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for suite in sorted(p for p in validations.iterdir() if p.is_dir()):
            runs = sorted(
                (time, run)
                for run in suite.glob("*/*")
                if run.is_dir() and (time := _run_time(run)) is not None
            )
            for time, run in runs[:-1]:
                if time >= cutoff:
                    break
                relative = run.relative_to(gx_home)
                for root in (gx_home, gx_home / "data_docs"):
                    if (root / relative).exists():
                        report.freed += _size(root / relative)
                        shutil.rmtree(root / relative)
                    parent = (root / relative).parent
                    if parent.is_dir() and not any(parent.iterdir()):
                        parent.rmdir()
                report.removed["gate runs"] += 1


def _prune_forgotten(settings: Settings, cutoff: datetime, report: Pruned) -> None:
    folder = settings.home / "forgotten"
    for stamp in sorted(folder.iterdir()) if folder.is_dir() else []:
        try:
            when = datetime.strptime(stamp.name, FORGOTTEN_STAMP)
        except ValueError:
            continue
        if when < cutoff:
            _remove(stamp, report, "forgotten")


def prune(settings: Settings, keep_days: int, now: datetime | None = None) -> Pruned:
    """Remove what is older than `keep_days` days before `now` (UTC, naive; default: now), as the module's
    docstring says; returns what went."""
    if keep_days < 1:
        raise ValueError(f"keep at least 1 day, not {keep_days}")
    cutoff = (now or datetime.now(UTC).replace(tzinfo=None)) - timedelta(days=keep_days)
    report = Pruned(keep_days, cutoff)
    loaded = {}
    if settings.build_db.exists():
        with connect_build(settings) as con, transaction(con):
            loaded = {
                (source, day.isoformat()): loaded_at
                for source, day, loaded_at in con.execute(
                    "select source, interval_day, loaded_at from raw.source_watermarks"
                ).fetchall()
            }
            (report.removed["quarantine rows"],) = con.execute(
                "delete from raw.quarantine where quarantined_at < ?", [cutoff]
            ).fetchone()
            (report.removed["quarantine payloads"],) = con.execute(
                "delete from raw.quarantine_payloads "
                "where payload_sha256 not in (select payload_sha256 from raw.quarantine)"
            ).fetchone()
    if settings.landing_dir.is_dir():
        _prune_landing(settings, cutoff, loaded, report)
    for folder in (settings.inbox_processed_dir, settings.inbox_rejected_dir):
        _prune_files(folder, cutoff, report, "inbox files")
    _prune_digests(settings, cutoff, report)
    _prune_gx(settings.gx_dir, cutoff, report)
    _prune_forgotten(settings, cutoff, report)
    return report
