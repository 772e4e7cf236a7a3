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
code, the names in the lexicon CSV files and the learned name scorer's weights in `weights/names.json`,
so `version` is a hand-set number plus a hash of all three.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from itertools import islice
from pathlib import Path

import spacy
from spacy.attrs import LOWER

from extract import components
from extract.lexicon import fingerprint

RULES_VERSION = "1.1"
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
ZONE_SIZE = 1024  # papers per memory zone
PAPER_ID = "paperpulse_id"


def _source_fingerprint() -> str:
    """The pipeline's code and the learned weights it loads. Not the TDMSci CRF (`crf.py` and its model):
    it runs under TDMSci's conventions only, never on the abstracts the version keys."""
    digest = hashlib.sha256()
    for name in (*_PIPELINE_SOURCES, "weights/names.json"):
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()


EXTRACTOR_VERSION = (
    f"{RULES_VERSION}+{hashlib.sha256((fingerprint() + _source_fingerprint()).encode()).hexdigest()[:10]}"
)


# The learned name scorer by default only under TDMSci's conventions: on abstracts (the guidelines'
# conventions) it added nothing measurable in cross-validation and cost a quarter of the speed
# (extract/README.md), on TDMSci sentences it adds .04 DATASET F1.
DEFAULT_SCORER = "default"


def build_pipeline(
    held_out_ids: Iterable[str] = (), conventions: str = "guidelines", scorer=DEFAULT_SCORER, crf="default"
) -> spacy.language.Language:
    """spacy.blank("en") and the project's components. `held_out_ids` drops lexicon entries taken from those
    seed gold papers (for cross-validation); `conventions="tdmsci"` marks spans as TDMSci does.

    `scorer` is the learned name scorer: a `names.NameScorer`, None for none, or by default the weights
    shipped in the repository under TDMSci's conventions and none under the guidelines'. The shipped
    weights saw the silver labels of every bundled (seed gold) abstract, so with `held_out_ids` the
    default is none: cross-validation passes a scorer trained without the held-out papers.

    `crf`, under TDMSci's conventions only: the CRF that re-tags dataset mentions (`crf.py`),
    "default" for the model shipped in the repository, a path, or None for none."""
    held_out_ids = sorted(held_out_ids)
    if scorer == DEFAULT_SCORER and conventions == "guidelines":
        scorer = None
    nlp = spacy.blank("en")
    # The components read only each token's offset, length and LOWER (the phrase matcher's attribute), so
    # a new word's lexeme gets no other attribute: spaCy computes some twenty of them, in Python, for every
    # word it has not seen, about a quarter of the tokenizer's time on new text.
    nlp.vocab.lex_attr_getters = {LOWER: nlp.vocab.lex_attr_getters[LOWER]}
    nlp.add_pipe("paperpulse_lexicon", config={"held_out_ids": held_out_ids})
    nlp.add_pipe("paperpulse_definitions", config={"held_out_ids": held_out_ids, "conventions": conventions})
    if isinstance(scorer, str):
        weights = "" if held_out_ids else scorer
        nlp.add_pipe("paperpulse_names", config={"weights": weights})
    else:
        nlp.add_pipe("paperpulse_names", config={"weights": ""}).scorer = scorer
    resolver = nlp.add_pipe("paperpulse_resolve", config={"conventions": conventions})
    name_scorer = nlp.get_pipe("paperpulse_names").scorer
    if conventions == "tdmsci" and name_scorer is not None and name_scorer.filter_weights:
        resolver.span_filter = name_scorer
    if conventions == "tdmsci" and crf is not None:
        nlp.add_pipe("paperpulse_crf", config={"model": str(crf), "held_out_ids": held_out_ids})
    nlp.add_pipe("paperpulse_results")
    return nlp


class Extractor:
    """Runs the pipeline over papers. Every batch after the first runs in a spaCy memory zone, so the
    strings that new names and numbers add to the vocabulary are freed after it: memory stays flat on an
    endless stream (the first batch, outside any zone, leaves the common words in the vocabulary, so the
    tokenizer's cache keeps serving them)."""

    version = EXTRACTOR_VERSION

    def __init__(self, nlp: spacy.language.Language):
        self.nlp = nlp
        self._warm = False
        self._in_zone = False

    def extract(self, papers: Iterable[dict]) -> Iterator[dict]:
        def docs(batch: list[dict]) -> Iterator:
            for paper in batch:
                abstract = paper.get("abstract") or ""
                doc = self.nlp.make_doc(abstract)
                doc.user_data[components.TEXT] = abstract
                doc.user_data[components.TITLE] = paper.get("title") or ""
                doc.user_data[PAPER_ID] = paper["id"]
                yield doc

        papers = iter(papers)
        while batch := list(islice(papers, ZONE_SIZE)):
            zoned = self._warm and not self._in_zone  # zones do not nest: an inner extract() runs without
            with self.nlp.memory_zone() if zoned else nullcontext():
                self._in_zone = self._in_zone or zoned
                try:
                    # A batch is tokenized before the components run, not one paper at a time between
                    # them: the tokenizer's tables stay in the CPU cache (about 7% faster).
                    for start in range(0, len(batch), BATCH_SIZE):
                        for doc in self.nlp.pipe(list(docs(batch[start : start + BATCH_SIZE]))):
                            yield prediction(doc.user_data[PAPER_ID], doc)
                finally:
                    if zoned:
                        self._in_zone = False
            self._warm = True


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
    held_out_ids: Iterable[str] = (), conventions: str = "guidelines", scorer=DEFAULT_SCORER, crf="default"
) -> Extractor:
    return Extractor(build_pipeline(held_out_ids, conventions, scorer, crf))
