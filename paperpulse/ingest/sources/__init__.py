"""Sources: each a module with

- `NAME`, the source's name in landing paths and raw tables;
- `default_day(settings) -> date`, the interval a run covers when none is given: the latest settled
  day, today minus `SETTLE_DAYS` (a day listed later than that is still filling up and is not fetched),
  or the one day a `FIXED_DAY` source lists;
- `fetch(day, settings) -> Iterator[Payload]`, what the source returned for one day, landed unchanged;
- `parse(payload, day, settings) -> Iterator[dict | Rejected]`, normalised paper records
  (paper_id, arxiv_id, title, abstract, source, listed_date, extra) or rejections for quarantine.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

NAMES = ("trending_page", "hf_daily", "arxiv", "inbox", "synthetic")


@dataclass(frozen=True)
class Payload:
    """What a source returned for one request, byte-exact, and the file name it lands under."""

    name: str
    body: bytes


@dataclass(frozen=True)
class Rejected:
    """A part of a payload that is not a usable paper record; it goes to raw.quarantine."""

    reason: str
    payload: str


def get(name: str) -> ModuleType:
    from paperpulse.ingest.sources import arxiv, hf_daily, inbox, synthetic, trending_page

    sources = {module.NAME: module for module in (trending_page, hf_daily, arxiv, inbox, synthetic)}
    try:
        return sources[name]
    except KeyError:
        raise ValueError(f"unknown source {name!r}; choose one of: {', '.join(sorted(sources))}") from None
