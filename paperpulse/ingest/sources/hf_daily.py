"""Hugging Face daily papers: the papers listed on one day, with their upvotes (a JSON API, paged).

GET {base}/daily_papers?date=YYYY-MM-DD&limit=N&p=PAGE, pages until one comes back short; a day
without a listing (weekends) is `[]`. Each item is {"paper": {...}, "title", "publishedAt", ...}:
the item-level title is clean while paper.title and paper.summary keep arXiv's hard wraps;
paper.publishedAt is the arXiv date and the item-level publishedAt the listing time. upvotes,
githubRepo, githubStars, ai_keywords and ai_summary are optional (older listings lack them).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from paperpulse.ingest import http
from paperpulse.ingest.records import paper_id_for
from paperpulse.ingest.sources import Payload, Rejected, Source
from paperpulse.ingest.sources.arxiv import split_id, unwrap
from paperpulse.settings import Settings

NAME = "hf_daily"
MAX_LIMIT = 100
# A day's listing fills up during that day; it is complete once the day is over.
SETTLE_DAYS = 1


def default_day(settings: Settings) -> date:
    return datetime.now(UTC).date() - timedelta(days=SETTLE_DAYS)


def _items(body: bytes) -> list:
    """The page's items; ValueError when the page is not a JSON list."""
    try:
        items = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"not JSON ({e})") from None
    if not isinstance(items, list):
        raise ValueError(f"expected a JSON list of papers, got {type(items).__name__}")
    return items


def fetch(day: date, settings: Settings) -> Iterator[Payload]:
    url = f"{settings.hf_api_url}/daily_papers"
    # Asking for more than the API serves would make every page look short: the last one.
    limit = min(settings.hf_page_size, MAX_LIMIT)
    previous = None
    for page in itertools.count():
        params = {"date": day.isoformat(), "limit": limit, "p": page}
        body = http.get(url, params, settings)
        if body == previous:
            return  # a server that ignores `p` serves the same full page forever
        yield Payload(f"p{page:04d}.json", body)
        try:
            items = _items(body)
        except ValueError:
            return  # landed as it is, parse quarantines it; paging cannot go on
        if len(items) < limit:
            return
        previous = body


def _field(item: dict, path: str) -> str:
    value = item
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"missing field {path}")
    return value


def record(item: dict, day: date) -> dict:
    """One item as a paper record; ValueError when it lacks what a paper needs."""
    if not isinstance(item, dict):
        raise ValueError(f"an item is a JSON object, not {type(item).__name__}")
    paper = item.get("paper") or {}
    arxiv_id, version = split_id(_field(item, "paper.id"))
    try:
        title = unwrap(_field(item, "title"))
    except ValueError:
        title = unwrap(_field(item, "paper.title"))
    return {
        "paper_id": paper_id_for(title, arxiv_id),
        "arxiv_id": arxiv_id,
        "title": title,
        "abstract": unwrap(_field(item, "paper.summary")),
        "source": NAME,
        "listed_date": day.isoformat(),
        "extra": {
            "upvotes": paper.get("upvotes"),
            "github_repo": paper.get("githubRepo"),
            "github_stars": paper.get("githubStars"),
            "ai_keywords": paper.get("ai_keywords"),
            "ai_summary": paper.get("ai_summary"),
            "authors": [a.get("name") for a in paper.get("authors") or [] if isinstance(a, dict)],
            "published": paper.get("publishedAt"),
            "listed_at": item.get("publishedAt"),
            "num_comments": item.get("numComments"),
            "version": version,
        },
    }


def parse(payload: Payload, day: date, settings: Settings) -> Iterator[dict | Rejected]:
    try:
        items = _items(payload.body)
    except ValueError as e:
        yield Rejected(f"{payload.name}: {e}", payload.body.decode("utf-8", errors="replace"))
        return
    for number, item in enumerate(items):
        try:
            yield record(item, day)
        except ValueError as e:
            yield Rejected(f"{payload.name}: item {number}: {e}", json.dumps(item, ensure_ascii=False))


def refetch_ages(settings: Settings) -> tuple[int, ...]:
    return settings.hf_refresh_days


SOURCE = Source(
    NAME, default_day, fetch, parse, settle_days=SETTLE_DAYS, refetch_ages=refetch_ages, counts_upvotes=True
)
