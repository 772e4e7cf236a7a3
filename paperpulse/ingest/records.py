"""Normalised paper records: the one shape every source produces, and their keys."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta

MIN_ABSTRACT_CHARS = 50
MAX_ABSTRACT_CHARS = 20_000
MAX_TITLE_CHARS = 500
# A quarantined payload is kept up to this many characters (its full size beside it): one bad 50 MB line
# must not cost 50 MB of warehouse.
QUARANTINE_PAYLOAD_CHARS = 65_536
# No paper is listed before arXiv opened (August 1991), nor after tomorrow (UTC): a listing day outside these
# bounds is a typo or an attack, and one such day makes every trend mart span it ("today" in the year 2999).
EARLIEST_DAY = date(1991, 1, 1)

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_title(title: str) -> str:
    """Case-, accent-, punctuation- and whitespace-insensitive form of a title."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return _NON_ALNUM.sub(" ", folded).strip()


def title_key(title: str) -> str:
    return hashlib.sha1(normalise_title(title).encode()).hexdigest()[:16]


def paper_id_for(title: str, arxiv_id: str | None = None) -> str:
    """A paper's key: its arXiv id when known, else a stable hash of its normalised title."""
    return arxiv_id if arxiv_id else f"t-{title_key(title)}"


def content_hash(title: str, abstract: str) -> str:
    """What extraction depends on; a change re-extracts the paper."""
    return hashlib.sha256(f"{title}\n{abstract}".encode()).hexdigest()


def latest_day() -> date:
    """The latest day a paper may be listed on: tomorrow (UTC), so that no time zone is early."""
    return datetime.now(UTC).date() + timedelta(days=1)


def day_problem(day: date) -> str | None:
    """Why no paper can be listed on `day` ("after tomorrow ..."), or None when it is plausible."""
    if day > latest_day():
        return "after tomorrow (UTC): nothing is listed on it yet"
    if day < EARLIEST_DAY:
        return f"before {EARLIEST_DAY}, before arXiv"
    return None


def invalid_reason(record: dict) -> str | None:
    """Why a record cannot be loaded, or None when it is fine."""
    title, abstract = record.get("title"), record.get("abstract")
    if not isinstance(title, str) or not title.strip():
        return "missing title"
    if not isinstance(abstract, str):
        return "abstract is not text" if abstract is not None else "missing abstract"
    if len(title) > MAX_TITLE_CHARS:
        return f"title longer than {MAX_TITLE_CHARS} characters"
    stripped = abstract.strip()
    if not stripped:
        return "empty abstract"
    if len(stripped) < MIN_ABSTRACT_CHARS:
        return f"abstract shorter than {MIN_ABSTRACT_CHARS} characters"
    if len(stripped) > MAX_ABSTRACT_CHARS:
        return f"abstract longer than {MAX_ABSTRACT_CHARS} characters"
    if not record.get("paper_id"):
        return "missing paper_id"
    listed = record.get("listed_date")
    if not listed:
        return "missing listed_date"
    try:
        day = date.fromisoformat(listed)
    except (TypeError, ValueError):
        day = None
    if day is None or day.isoformat() != listed:
        return f"listed_date {listed!r} is not a YYYY-MM-DD date"
    return None


def listing_day_reason(record: dict) -> str | None:
    """Why a valid record's listing day is not plausible (after tomorrow, before arXiv), or None.
    Raw loading checks every record of every source with it (paperpulse/ingest/raw.py prepare_batch); it is
    apart from invalid_reason so that what such a record loaded can still be found (paperpulse forget)."""
    problem = day_problem(date.fromisoformat(record["listed_date"]))
    return f"listed_date {record['listed_date']} is {problem}" if problem else None
