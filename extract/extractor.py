"""The extraction interface: a pure function from (id, title, abstract) to mentions and results.

`Extractor.extract(papers)` takes an iterable of {"id", "title", "abstract"} dicts and yields,
in the same order, one prediction per paper:

    {"id": ...,
     "models": [surface, ...], "datasets": [...], "metrics": [...],     # distinct surfaces as written
     "results": [{"value": "26.79", "unit": "%"|"x"|""|..., "kind": "absolute"|"improvement",
                  "metric": surface|None, "dataset": surface|None, "model": surface|None,
                  "evidence": sentence, "condition": str|None}],
     "entities": [{"type": "model"|"dataset"|"metric", "surface", "canonical",
                   "start", "end", "family", "size"}]}              # offsets into the abstract

The pipeline is spacy.blank("en") plus the components in `extract/components.py`; the rules live in
code and the names in the lexicon CSV files, so `version` is a hand-set number plus a hash of both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import spacy

from extract import components
from extract.lexicon import fingerprint

RULES_VERSION = "1.0"
_PIPELINE_SOURCES = (
    "extractor.py",
    "components.py",
    "contexts.py",
    "definitions.py",
    "lexicon.py",
    "mentions.py",
    "names.py",
    "results.py",
    "shapes.py",
    "text.py",
)
ENTITY_TYPES = ("model", "dataset", "metric")
BATCH_SIZE = 256
PAPER_ID = "paperpulse_id"


def _source_fingerprint() -> str:
    digest = hashlib.sha256()
    for name in _PIPELINE_SOURCES:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()


EXTRACTOR_VERSION = (
    f"{RULES_VERSION}+{hashlib.sha256((fingerprint() + _source_fingerprint()).encode()).hexdigest()[:10]}"
)


DEFAULT_SCORER = "default"


def build_pipeline(
    held_out_ids: Iterable[str] = (), conventions: str = "guidelines", scorer=DEFAULT_SCORER
) -> spacy.language.Language:
    """spacy.blank("en") and the project's components. `held_out_ids` drops lexicon entries taken from those
    seed gold papers (for cross-validation); `conventions="tdmsci"` marks spans as TDMSci does.

    `scorer` is the learned name scorer: the weights shipped in the repository by default, a
    `names.NameScorer`, or None for none. The shipped weights saw the silver labels of every bundled
    (seed gold) abstract, so with `held_out_ids` the default is none: cross-validation passes a scorer
    trained without the held-out papers."""
    held_out_ids = sorted(held_out_ids)
    nlp = spacy.blank("en")
    nlp.add_pipe("paperpulse_lexicon", config={"held_out_ids": held_out_ids})
    nlp.add_pipe("paperpulse_definitions", config={"held_out_ids": held_out_ids})
    if isinstance(scorer, str):
        weights = "" if held_out_ids else scorer
        nlp.add_pipe("paperpulse_names", config={"weights": weights})
    else:
        nlp.add_pipe("paperpulse_names", config={"weights": ""}).scorer = scorer
    resolver = nlp.add_pipe("paperpulse_resolve", config={"conventions": conventions})
    name_scorer = nlp.get_pipe("paperpulse_names").scorer
    if conventions == "tdmsci" and name_scorer is not None and name_scorer.filter_weights:
        resolver.span_filter = name_scorer
    nlp.add_pipe("paperpulse_results")
    return nlp


class Extractor:
    version = EXTRACTOR_VERSION

    def __init__(self, nlp: spacy.language.Language):
        self.nlp = nlp

    def extract(self, papers: Iterable[dict]) -> Iterator[dict]:
        def docs() -> Iterator:
            for paper in papers:
                abstract = paper.get("abstract") or ""
                doc = self.nlp.make_doc(abstract)
                doc.user_data[components.TEXT] = abstract
                doc.user_data[components.TITLE] = paper.get("title") or ""
                doc.user_data[PAPER_ID] = paper["id"]
                yield doc

        for doc in self.nlp.pipe(docs(), batch_size=BATCH_SIZE):
            yield prediction(doc.user_data[PAPER_ID], doc)


def prediction(paper_id, doc) -> dict:
    by_type: dict[str, list[str]] = {entity_type: [] for entity_type in ENTITY_TYPES}
    entities = []
    for mention in doc.user_data.get(components.MENTIONS) or []:
        surfaces = by_type[mention.type]
        if mention.surface not in surfaces:
            surfaces.append(mention.surface)
        entities.append(
            {
                "type": mention.type,
                "surface": mention.surface,
                "canonical": mention.canonical,
                "start": mention.start,
                "end": mention.end,
                "family": mention.family if mention.type == "model" else None,
                "size": mention.size if mention.type == "model" else None,
            }
        )
    return {
        "id": paper_id,
        "models": by_type["model"],
        "datasets": by_type["dataset"],
        "metrics": by_type["metric"],
        "results": doc.user_data.get(components.RESULTS) or [],
        "entities": entities,
    }


def load(
    held_out_ids: Iterable[str] = (), conventions: str = "guidelines", scorer=DEFAULT_SCORER
) -> Extractor:
    return Extractor(build_pipeline(held_out_ids, conventions, scorer))
