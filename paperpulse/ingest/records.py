"""Normalised paper records: the one shape every source produces, and their keys."""

from __future__ import annotations

import hashlib
import re
import unicodedata

MIN_ABSTRACT_CHARS = 50
MAX_ABSTRACT_CHARS = 20_000
MAX_TITLE_CHARS = 500

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
    if not record.get("listed_date"):
        return "missing listed_date"
    return None
