"""The extraction interface: a pure function from (id, title, abstract) to mentions and results.

`Extractor.extract(papers)` takes an iterable of {"id", "title", "abstract"} dicts and yields,
in the same order, one prediction per paper:

    {"id": ...,
     "models": [surface, ...], "datasets": [...], "metrics": [...],     # distinct surfaces as written
     "results": [{"value": "26.79", "unit": "%"|"x"|""|..., "kind": "absolute"|"improvement",
                  "metric": surface|None, "dataset": surface|None, "model": surface|None,
                  "evidence": sentence, "condition": str|None}],
     "entities": [{"type": "model"|"dataset"|"metric", "surface", "canonical",
                   "start", "end"}]}                                 # offsets into the abstract

It is a stub until the spaCy pipeline lands: it finds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

EXTRACTOR_VERSION = "0.0.0-stub"


class Extractor:
    version = EXTRACTOR_VERSION

    def extract(self, papers: Iterable[dict]) -> Iterator[dict]:
        for paper in papers:
            yield {
                "id": paper["id"],
                "models": [],
                "datasets": [],
                "metrics": [],
                "results": [],
                "entities": [],
            }


def load() -> Extractor:
    return Extractor()
