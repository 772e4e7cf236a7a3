"""Synthetic papers: a realistic corpus of any size for benchmarks and crash tests, offline.

A day's papers are a pure function of (seed, day): each abstract recombines sentences of the bundled
abstracts, with every model, dataset and metric name the lexicons know swapped for another entry of
the same type and every number redrawn with the same shape; titles are bundled titles treated alike.
Ids are arXiv-like (YYMM.NNNNN, numbered within the month). Each day also carries revisions (a new
version, one sentence longer) of a few papers listed earlier in the same month, and a bad line that
raw loading quarantines, so the upsert and quarantine paths run as they do on real feeds.

A day lands as one JSON Lines file in the inbox's line format, generated paper by paper: the corpus
is never held in memory. Settings: PAPERPULSE_SYNTHETIC_SEED and PAPERPULSE_SYNTHETIC_PAPERS_PER_DAY.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache

from extract.lexicon import NAME_TYPES, read_lexicons
from extract.text import sentence_spans
from paperpulse.ingest.sources import Payload, Rejected, Source, inbox
from paperpulse.settings import BUNDLED_PAGE, Settings

NAME = "synthetic"

REVISIONS_PER_THOUSAND = 10  # new versions of papers listed earlier in the month
BAD_LINES_PER_DAY = 1  # an abstract too short to load: it goes to quarantine
CATEGORIES = ("cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML")

_NUMBER = re.compile(r"(?<![\w.])(\d+)(?:\.(\d+))?(?![\w])")

# A template is a tuple of parts: literal text, or a slot ("model", "dataset", "metric", or
# (integer digits, decimals) for a number).
Template = tuple


@dataclass(frozen=True)
class Corpus:
    sentences: tuple[Template, ...]
    titles: tuple[Template, ...]
    abstract_lengths: tuple[int, ...]  # sentences per bundled abstract
    names: dict[str, tuple[str, ...]]  # entity type -> surfaces to substitute


def default_day(settings: Settings) -> date:
    return datetime.now(UTC).date()


def _numbers(text: str) -> list:
    parts, position = [], 0
    for match in _NUMBER.finditer(text):
        parts += [text[position : match.start()], (len(match[1]), len(match[2] or ""))]
        position = match.end()
    return [*parts, text[position:]]


def _template(text: str, names: re.Pattern, types: dict[str, str]) -> Template:
    parts, position = [], 0
    for match in names.finditer(text):
        parts += [*_numbers(text[position : match.start()]), types[match[0].lower()]]
        position = match.end()
    return tuple(part for part in [*parts, *_numbers(text[position:])] if part != "")


@cache
def corpus() -> Corpus:
    """Templates from the bundled page and names from the lexicons (built once per process)."""
    from paperpulse.ingest.sources import trending_page

    settings = Settings(home=BUNDLED_PAGE.parent, trending_year=2024, extract_batch_size=1)
    page = Payload("page.txt", BUNDLED_PAGE.read_bytes())
    papers = [p for p in trending_page.parse(page, date(2024, 3, 11), settings) if isinstance(p, dict)]
    entries = [e for e in read_lexicons(types=NAME_TYPES) if not e.case_sensitive or e.canonical.isupper()]
    types = {alias.lower(): e.type for e in entries for alias in e.aliases if len(alias) > 2}
    aliases = sorted(types, key=len, reverse=True)
    names = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, aliases)) + r")(?!\w)", re.IGNORECASE)
    sentences, lengths = [], []
    for paper in papers:
        spans = sentence_spans(paper["abstract"])
        sentences += [_template(paper["abstract"][s:e], names, types) for s, e in spans]
        lengths.append(len(spans))
    return Corpus(
        sentences=tuple(sentences),
        titles=tuple(_template(p["title"], names, types) for p in papers),
        abstract_lengths=tuple(lengths),
        names={
            kind: tuple(sorted({a for e in entries if e.type == kind for a in e.aliases}))
            for kind in NAME_TYPES
        },
    )


def _fill(template: Template, rng: random.Random, names: dict[str, tuple[str, ...]]) -> str:
    out = []
    for part in template:
        if isinstance(part, str) and part in names:
            out.append(rng.choice(names[part]))
        elif isinstance(part, tuple):
            digits, decimals = part
            value = rng.uniform(0 if digits == 1 else 10 ** (digits - 1), 10**digits)
            out.append(f"{value:.{decimals}f}" if decimals else str(int(value)))
        else:
            out.append(part)
    return "".join(out)


def arxiv_id(day: date, index: int, settings: Settings) -> str:
    """The index-th paper of the day, numbered within the month as arXiv does."""
    return f"{day:%y%m}.{(day.day - 1) * settings.synthetic_papers_per_day + index + 1:05d}"


def paper(day: date, index: int, settings: Settings, version: int = 1) -> dict:
    """The index-th new paper of `day`, as a line of the inbox format; later versions add a sentence."""
    rng = random.Random(f"{settings.synthetic_seed}:{day.isoformat()}:{index}")
    source = corpus()
    sentences = rng.choice(source.abstract_lengths) + version - 1
    return {
        "arxiv_id": f"{arxiv_id(day, index, settings)}v{version}",
        "title": _fill(rng.choice(source.titles), rng, source.names),
        "abstract": " ".join(
            _fill(rng.choice(source.sentences), rng, source.names) for _ in range(sentences)
        ),
        "categories": rng.choice(CATEGORIES),
    }


def lines(day: date, settings: Settings) -> Iterator[dict]:
    """A day's listing: its new papers, revisions of a few listed earlier in the month, one bad line."""
    per_day = settings.synthetic_papers_per_day
    rng = random.Random(f"{settings.synthetic_seed}:{day.isoformat()}:listing")
    for index in range(per_day):
        yield {**paper(day, index, settings), "listed_date": day.isoformat()}
    revisions = -(-per_day * REVISIONS_PER_THOUSAND // 1000) if day.day > 1 else 0  # rounded up
    for _ in range(revisions):
        earlier = day.replace(day=rng.randrange(1, day.day))
        revised = paper(earlier, rng.randrange(per_day), settings, version=2)
        yield {**revised, "listed_date": day.isoformat()}
    for index in range(BAD_LINES_PER_DAY):
        yield {"arxiv_id": f"{day:%y%m}.9{index:04d}", "title": "Withdrawn", "abstract": "Withdrawn."}


def fetch(day: date, settings: Settings) -> Iterator[Payload]:
    body = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines(day, settings))
    yield Payload(f"{day.isoformat()}.jsonl", body.encode())


def parse(payload: Payload, day: date, settings: Settings) -> Iterator[dict | Rejected]:
    """The inbox's line format, under this source's name."""
    for item in inbox.parse(payload, day, settings):
        yield item if isinstance(item, Rejected) else {**item, "source": NAME}


SOURCE = Source(NAME, default_day, fetch, parse)
