"""The arXiv API: the papers submitted on one day in the configured categories (Atom, paged).

GET {base}/query?search_query=(cat:cs.LG OR ...) AND submittedDate:[YYYYMMDD0000 TO YYYYMMDD2359]
&start=N&max_results=M&sortBy=submittedDate&sortOrder=ascending, one page per landed file, at most one
request per `arxiv_min_interval` seconds (the API terms ask for 3 s).

Quirks handled: two feed formats (since about November 2025 summaries come unwrapped and links bare;
before, summaries are hard-wrapped with a leading indent); throttling answers with the plain text
`Rate exceeded.` (retried like a 429); a malformed query answers HTTP 200 with one entry titled
`Error` (a clear ArxivQueryError from fetch, a Rejected from parse); a page can come back empty
before the end of the results (retried).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from paperpulse.errors import SourceFailed
from paperpulse.ingest import http
from paperpulse.ingest.records import paper_id_for
from paperpulse.ingest.sources import Payload, Rejected, Source
from paperpulse.settings import Settings

NAME = "arxiv"
# Submissions are visible in the API only once announced: a weekday's by the next evening
# (US Eastern), Friday's after the weekend, later around holidays. Four days back is settled.
SETTLE_DAYS = 4

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"

# New-style ids (0704.0001, 2410.17243) and old-style ones (hep-th/9901001, math.AG/0601001).
_ID = re.compile(r"(?P<id>\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?P<version>v\d+)?")
_ID_PREFIX = re.compile(r"^(?:https?://(?:export\.)?arxiv\.org/(?:abs|pdf)/|arxiv:)", re.IGNORECASE)


class ArxivQueryError(SourceFailed):
    """The API answered a query with its `Error` entry: the query itself is wrong; retrying won't help."""


def split_id(raw: str) -> tuple[str, str | None]:
    """'http://arxiv.org/abs/1606.02159v1' -> ('1606.02159', 'v1'); the key drops the version."""
    match = _ID.fullmatch(_ID_PREFIX.sub("", raw.strip()))
    if not match:
        raise ValueError(f"{raw!r} is not an arXiv id")
    return match["id"], match["version"]


def unwrap(text: str) -> str:
    """Undo arXiv's hard wraps (and their indents): every run of whitespace becomes one space."""
    return " ".join(text.split())


def default_day(settings: Settings) -> date:
    return datetime.now(UTC).date() - timedelta(days=SETTLE_DAYS)


def query_params(day: date, settings: Settings, start: int) -> dict[str, str | int]:
    categories = " OR ".join(f"cat:{c}" for c in settings.arxiv_categories)
    d = day.strftime("%Y%m%d")
    return {
        "search_query": f"({categories}) AND submittedDate:[{d}0000 TO {d}2359]",
        "start": start,
        "max_results": settings.arxiv_page_size,
        "sortBy": "submittedDate",
        "sortOrder": "ascending",
    }


def _feed(body: bytes) -> ET.Element:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        raise ValueError(f"not XML ({e})") from None
    if root.tag != f"{ATOM}feed":
        raise ValueError(f"not an Atom feed (root element {root.tag})")
    return root


def _count(feed: ET.Element, name: str) -> int | None:
    text = feed.findtext(f"{OPENSEARCH}{name}")
    return int(text) if text and text.strip().isdigit() else None


def _is_error(entry: ET.Element) -> bool:
    entry_id = entry.findtext(f"{ATOM}id") or ""
    return "/api/errors" in entry_id or (
        entry.findtext(f"{ATOM}title") == "Error" and "/abs/" not in entry_id
    )


def _retry_reason(body: bytes) -> str | None:
    if body.strip().startswith(b"Rate exceeded"):
        return "arXiv is throttling (Rate exceeded.)"
    try:
        feed = _feed(body)
    except ValueError:
        return None  # landed as it is; parse quarantines it
    start, total = _count(feed, "startIndex"), _count(feed, "totalResults")
    if not feed.findall(f"{ATOM}entry") and start is not None and total is not None and start < total:
        return f"an empty page at start={start} of {total} results"
    return None


def fetch(day: date, settings: Settings) -> Iterator[Payload]:
    url = f"{settings.arxiv_api_url}/query"
    start, page = 0, 0
    while True:
        params = query_params(day, settings, start)
        body = http.get(
            url, params, settings, min_interval=settings.arxiv_min_interval, retry_body=_retry_reason
        )
        name = f"p{page:04d}.xml"
        try:
            feed = _feed(body)
        except ValueError:
            yield Payload(name, body)  # parse quarantines it; paging cannot go on without a feed
            return
        entries = feed.findall(f"{ATOM}entry")
        for entry in entries:
            if _is_error(entry):
                summary = unwrap(entry.findtext(f"{ATOM}summary") or "")
                query = f"{params['search_query']!r} (start={start})"
                raise ArxivQueryError(f"the arXiv API rejected the query {query}: {summary}")
        yield Payload(name, body)
        start, page = start + len(entries), page + 1
        if not entries or start >= (_count(feed, "totalResults") or 0):
            return


def _required(entry: ET.Element, tag: str) -> str:
    text = entry.findtext(f"{ATOM}{tag}")
    if not text or not text.strip():
        raise ValueError(f"missing <{tag}>")
    return text


def _optional(entry: ET.Element, tag: str) -> str | None:
    text = entry.findtext(tag)
    return unwrap(text) if text else None


def record(entry: ET.Element, day: date) -> dict:
    arxiv_id, version = split_id(_required(entry, "id"))
    title = unwrap(_required(entry, "title"))
    primary = entry.find(f"{ARXIV}primary_category")
    return {
        "paper_id": paper_id_for(title, arxiv_id),
        "arxiv_id": arxiv_id,
        "title": title,
        "abstract": unwrap(_required(entry, "summary")),
        "source": NAME,
        "listed_date": day.isoformat(),
        "extra": {
            "version": version,
            "published": _optional(entry, f"{ATOM}published"),
            "updated": _optional(entry, f"{ATOM}updated"),
            "authors": [unwrap(a.findtext(f"{ATOM}name") or "") for a in entry.findall(f"{ATOM}author")],
            "categories": [c.get("term") for c in entry.findall(f"{ATOM}category")],
            "primary_category": primary.get("term") if primary is not None else None,
            "comment": _optional(entry, f"{ARXIV}comment"),
            "journal_ref": _optional(entry, f"{ARXIV}journal_ref"),
            "doi": _optional(entry, f"{ARXIV}doi"),
        },
    }


def parse(payload: Payload, day: date, settings: Settings) -> Iterator[dict | Rejected]:
    text = payload.body.decode("utf-8", errors="replace")
    try:
        feed = _feed(payload.body)
    except ValueError as e:
        yield Rejected(f"{payload.name}: {e}", text)
        return
    for number, entry in enumerate(feed.findall(f"{ATOM}entry")):
        if _is_error(entry):
            summary = unwrap(entry.findtext(f"{ATOM}summary") or "")
            yield Rejected(f"{payload.name}: the arXiv API answered with an error: {summary}", text)
            continue
        try:
            yield record(entry, day)
        except ValueError as e:
            yield Rejected(f"{payload.name}: entry {number}: {e}", ET.tostring(entry, encoding="unicode"))


def pause_after_fetch(settings: Settings) -> float:
    return settings.arxiv_min_interval


SOURCE = Source(NAME, default_day, fetch, parse, settle_days=SETTLE_DAYS, pause_after_fetch=pause_after_fetch)
