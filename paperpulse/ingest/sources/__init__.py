"""Sources: where papers come from. Each source module fills in one `Source` (at its end, as `SOURCE`);
the pipeline knows sources only through it, never by name.

- `fetch(day, settings) -> Iterator[Payload]`: what the source returned for one day, landed unchanged;
- `parse(payload, day, settings) -> Iterator[dict | Rejected]`: normalised paper records (paper_id,
  arxiv_id, title, abstract, source, listed_date, extra) or rejections for quarantine;
- `default_day(settings)`: the interval a run covers when none is given, the latest settled day;
- `first_day(settings)`, for a source that holds a fixed stretch of history (a folder of listing files):
  the first day it lists; it lists nothing outside first_day..default_day, and a backfill starts there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paperpulse.settings import Settings

# The sources in the order of the text a paper keeps when several list it, best first. arXiv is the
# paper's own record (its API, then listing files of its daily lists); HF copies arXiv's text (equal once
# unwrapped); an inbox line is whatever its author dropped; the trending page rewrites. The synthetic source
# is for benchmarks.
NAMES = ("arxiv", "listings", "hf_daily", "inbox", "trending_page", "synthetic")


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


def _no_refetches(settings: Settings) -> tuple[int, ...]:
    return ()


def _no_pause(settings: Settings) -> float:
    return 0.0


@dataclass(frozen=True)
class Source:
    """What the pipeline needs of a source."""

    name: str
    default_day: Callable[[Settings], date]
    fetch: Callable[[date, Settings], Iterator[Payload]]
    parse: Callable[[Payload, date, Settings], Iterator[dict | Rejected]]
    # A listing day is complete this many days after it (0: at once); a later day is not fetched yet.
    settle_days: int = 0
    # The source lists one fixed day whatever the run's interval (the bundled page).
    fixed_day: bool = False
    # False: not organised by day; its files land one by one as they are taken (the inbox), so a day
    # cannot be backfilled and the files are settled (moved away) once loaded.
    by_day: bool = True
    # Ages in days of the earlier days the run of a day asks again (HF, whose upvotes grow).
    refetch_ages: Callable[[Settings], tuple[int, ...]] = _no_refetches
    # Its listings count upvotes, kept as snapshots (raw.hf_upvote_snapshots).
    counts_upvotes: bool = False
    # Seconds a fetching process must wait after its last request before another may fetch (arXiv's
    # pacing, which a process in another Airflow task knows nothing of).
    pause_after_fetch: Callable[[Settings], float] = _no_pause
    # The first day of a fixed stretch of history (a folder of files): days before it, or after
    # default_day, are refused rather than landed empty; a backfill starts there by default.
    first_day: Callable[[Settings], date] | None = None


@cache
def registry() -> dict[str, Source]:
    from paperpulse.ingest.sources import arxiv, hf_daily, inbox, listings, synthetic, trending_page

    modules = (arxiv, listings, hf_daily, inbox, trending_page, synthetic)
    found = {module.SOURCE.name: module.SOURCE for module in modules}
    assert tuple(found) == NAMES, "NAMES lists every source, in text precedence order"
    return found


def get(name: str) -> Source:
    try:
        return registry()[name]
    except KeyError:
        raise ValueError(f"unknown source {name!r}; choose one of: {', '.join(NAMES)}") from None
