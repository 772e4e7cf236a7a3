"""The bundled trending-papers page: the offline default source.

The page is chrome ("new", "Subscribe", ...), a listing day without a year ("Mar 11"),
then alternating title and abstract paragraphs separated by blank lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime

from paperpulse.ingest.records import paper_id_for
from paperpulse.ingest.sources import Payload, Rejected, Source
from paperpulse.settings import BUNDLED_PAGE, Settings

NAME = "trending_page"
_DAY_LINE = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}$")


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def listed_day(text: str, year: int) -> date:
    for paragraph in _paragraphs(text):
        if _DAY_LINE.match(paragraph):
            return datetime.strptime(f"{paragraph} {year}", "%b %d %Y").date()
    raise ValueError("the trending page has no listing day line such as 'Mar 11'")


def default_day(settings: Settings) -> date:
    return listed_day(BUNDLED_PAGE.read_text(encoding="utf-8"), settings.trending_year)


def fetch(day: date, settings: Settings) -> Iterator[Payload]:
    """The bundled page lists one day; other days have nothing."""
    body = BUNDLED_PAGE.read_bytes()
    if listed_day(body.decode("utf-8"), settings.trending_year) == day:
        yield Payload("page.txt", body)


def parse(payload: Payload, day: date, settings: Settings) -> Iterator[dict | Rejected]:
    text = payload.body.decode("utf-8")
    paragraphs = _paragraphs(text)
    day_lines = [i for i, p in enumerate(paragraphs) if _DAY_LINE.match(p)]
    if not day_lines:
        yield Rejected("no listing day line such as 'Mar 11' on the page", text[:2000])
        return
    day = listed_day(text, settings.trending_year)
    body = paragraphs[day_lines[0] + 1 :]
    if len(body) % 2:
        yield Rejected("a title without an abstract at the end of the page", body[-1])
        body = body[:-1]
    for title, abstract in zip(body[0::2], body[1::2], strict=True):
        yield {
            "paper_id": paper_id_for(title),
            "arxiv_id": None,
            "title": title,
            "abstract": abstract,
            "source": NAME,
            "listed_date": day.isoformat(),
            "extra": {},
        }


SOURCE = Source(NAME, default_day, fetch, parse, fixed_day=True)
