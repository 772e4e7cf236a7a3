"""Training the learned name scorer (`extract/names.py`): `python -m extract.training.train_names`.

Training data, never the seed gold's labels:
- TDMSci's learning part (80% of its training split, `extract.training.tdmsci.split`): a candidate that is a
  DATASET or METRIC span (or one without the head noun TDMSci writes after a dataset, "Europarl corpus")
  has that class; a candidate that overlaps no such span is `none` or `model` (TDMSci does not tag
  models: a partial label, trained on the probability of either); a candidate a lexicon names as a model
  is `model`.
- Silver labels on the bundled abstracts: what the rule pipeline (lexicons, shapes, definitions,
  context rules) finds there, `none` for the other candidates (with a lower weight, as some of them are
  names the rules miss). The candidates' own words are never features, only their shape, affixes and
  context, so what is learned from listed names carries over to unlisted ones.

The bundled abstracts are the seed gold's abstracts, so `exclude_ids` leaves papers out of the silver
data (and their seed lexicon entries out of the rules), for cross-validation. The thresholds per class
are fixed (THRESHOLDS): the seed gold's labels are never trained on.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from scipy import optimize, sparse

from extract import names
from extract.training import tdmsci

CLASS_INDEX = {c: i for i, c in enumerate(names.CLASSES)}
DEV_FRACTION = 0.25
DEV_SEED = 29
L2 = 1.0
SILVER_NONE_WEIGHT = 1.0
MIN_FEATURE_COUNT = 2
# Chosen by cross-validation on seed gold folds 0-3 (fold models trained without the scored fold) and on
# a dev part of TDMSci's learning part, over 0.5-0.95; fold 4 was kept out of every choice, as a blind check.
THRESHOLDS = {"model": 0.9, "dataset": 0.55, "metric": 0.6}
# The TDMSci span filter drops a mention whose class probability is under this (chosen on the dev part).
FILTER_THRESHOLD = 0.3
FILTER_L2 = 1.0
CONTEXT_MARGIN = 1.0

# Head nouns TDMSci writes after a dataset's name ("Europarl corpus", "WMT09 English-Hungarian data set").
_DATASET_HEAD = re.compile(
    r"\s+(?:test |training |evaluation |development |dev )?(?:corpus|corpora|dataset|datasets|data set|"
    r"data sets|data|test set|test sets|treebank|collection|shared task)$",
    re.I,
)


def dev_split(learning: list[tdmsci.Sentence]) -> tuple[list[tdmsci.Sentence], list[tdmsci.Sentence]]:
    """(train, dev) parts of TDMSci's learning part, fixed by DEV_SEED."""
    order = list(range(len(learning)))
    random.Random(DEV_SEED).shuffle(order)
    dev_indices = set(order[: round(len(order) * DEV_FRACTION)])
    return (
        [s for i, s in enumerate(learning) if i not in dev_indices],
        [s for i, s in enumerate(learning) if i in dev_indices],
    )


def _rule_pipeline(exclude_ids: Iterable[str], upto_definitions: bool, conventions: str = "guidelines"):
    from extract.extractor import build_pipeline

    nlp = build_pipeline(exclude_ids, conventions, scorer=None, crf=None)
    if upto_definitions:
        nlp.select_pipes(enable=["paperpulse_lexicon", "paperpulse_definitions"])
    return nlp


def _docs(nlp, texts: list[tuple[str, str]]):
    """The pipeline's Docs for (text, title) pairs."""
    from extract import components

    def docs():
        for text, title in texts:
            doc = nlp.make_doc(text)
            doc.user_data[components.TEXT] = text
            doc.user_data[components.TITLE] = title
            yield doc

    yield from nlp.pipe(docs(), batch_size=256)


def _found_before_names(nlp, texts: list[tuple[str, str]]):
    """For each (text, title), the candidate mentions the lexicon and definition components found."""
    from extract import components

    for doc in _docs(nlp, texts):
        yield list(components.candidates(doc))


class Examples:
    def __init__(self) -> None:
        self.features: list[list[str]] = []
        self.allowed: list[tuple[int, ...]] = []
        self.weights: list[float] = []

    def add(self, features: list[str], allowed: tuple[str, ...], weight: float = 1.0) -> None:
        self.features.append(features)
        self.allowed.append(tuple(CLASS_INDEX[c] for c in allowed))
        self.weights.append(weight)


def tdmsci_examples(sentences: list[tdmsci.Sentence], exclude_ids: Iterable[str], into: Examples) -> None:
    nlp = _rule_pipeline(exclude_ids, upto_definitions=True)
    found_all = _found_before_names(nlp, [(s.text, "") for s in sentences])
    for sentence, found in zip(sentences, found_all, strict=True):
        text = sentence.text
        gold = {}
        for entity_type, start, end in sentence.spans:
            gold[(start, end)] = entity_type
            surface = text[start:end]
            stripped = _DATASET_HEAD.sub("", surface) if entity_type == "dataset" else surface
            if stripped.lower().startswith("the "):
                stripped = stripped[4:]
            if stripped and stripped != surface:
                offset = surface.find(stripped)
                gold[(start + offset, start + offset + len(stripped))] = entity_type
        models = {(m.start, m.end) for m in found if m.type == "model"}
        for cand in names.candidates(text, "", found, skip_known=False):
            key = (cand.start, cand.end)
            if key in gold:
                into.add(cand.features, (gold[key],))
            elif any(s < cand.end and cand.start < e for s, e in gold):
                continue
            elif key in models:
                into.add(cand.features, ("model",))
            else:
                into.add(cand.features, ("none", "model"))


def silver_examples(papers: list[dict], exclude_ids: Iterable[str], into: Examples) -> None:
    from extract.extractor import Extractor

    papers = [p for p in papers if p["id"] not in set(exclude_ids)]
    rules = Extractor(_rule_pipeline(exclude_ids, upto_definitions=False))
    before = _rule_pipeline(exclude_ids, upto_definitions=True)
    found_all = _found_before_names(before, [(p["abstract"], p["title"]) for p in papers])
    for paper, found, prediction in zip(papers, found_all, rules.extract(papers), strict=True):
        text = paper["abstract"]
        silver = {(e["start"], e["end"]): e["type"] for e in prediction["entities"]}
        for cand in names.candidates(text, paper["title"], found, skip_known=False):
            key = (cand.start, cand.end)
            if key in silver:
                into.add(cand.features, (silver[key],))
            elif any(s < cand.end and cand.start < e for s, e in silver):
                continue
            else:
                into.add(cand.features, ("none",), SILVER_NONE_WEIGHT)


def fit(examples: Examples, l2: float = L2) -> dict[str, list[float]]:
    """Multinomial logistic regression with partial labels: maximise, for each example, the log of the
    probability of its allowed classes (one class, or `none` or `model`), with an L2 penalty."""
    counts: dict[str, int] = {}
    for feats in examples.features:
        for f in set(feats):
            counts[f] = counts.get(f, 0) + 1
    vocab = sorted(f for f, c in counts.items() if c >= MIN_FEATURE_COUNT or f == "bias")
    index = {f: i for i, f in enumerate(vocab)}
    rows, cols = [], []
    for r, feats in enumerate(examples.features):
        for c in {index[f] for f in feats if f in index}:
            rows.append(r)
            cols.append(c)
    n, d, k = len(examples.features), len(vocab), len(names.CLASSES)
    x = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, d))
    mask = np.zeros((n, k))
    for r, allowed in enumerate(examples.allowed):
        mask[r, list(allowed)] = 1.0
    sample_weight = np.asarray(examples.weights)
    bias = index["bias"]

    def loss_and_grad(flat: np.ndarray) -> tuple[float, np.ndarray]:
        w = flat.reshape(d, k)
        scores = x @ w
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        p /= p.sum(axis=1, keepdims=True)
        allowed_p = (p * mask).sum(axis=1)
        loss = -(sample_weight * np.log(allowed_p + 1e-12)).sum()
        q = p * mask / (allowed_p[:, None] + 1e-12)
        grad = x.T @ ((p - q) * sample_weight[:, None])
        penalty = w.copy()
        penalty[bias] = 0.0
        loss += 0.5 * l2 * (penalty**2).sum()
        grad += l2 * penalty
        return loss, np.asarray(grad).ravel()

    result = optimize.minimize(
        loss_and_grad, np.zeros(d * k), jac=True, method="L-BFGS-B", options={"maxiter": 500}
    )
    w = result.x.reshape(d, k)
    w = w[:, 1:] - w[:, :1]  # only differences to `none` matter: `none` scores zero
    return {f: [float(v) for v in w[i]] for i, f in enumerate(vocab) if np.abs(w[i]).max() > 1e-3}


def train_weights(
    exclude_ids: Iterable[str] = (), tdmsci_sentences: list[tdmsci.Sentence] | None = None
) -> dict[str, list[float]]:
    exclude_ids = sorted(exclude_ids)
    if tdmsci_sentences is None:
        tdmsci_sentences, _ = tdmsci.split(tdmsci.read_sentences())
    examples = Examples()
    tdmsci_examples(tdmsci_sentences, exclude_ids, examples)
    silver_examples(bundled_papers(), exclude_ids, examples)
    return fit(examples)


def bundled_papers() -> list[dict]:
    """The bundled abstracts under their seed gold ids (so exclusions apply): the seed gold's papers are the
    bundled trending page's, in the same order, so their texts are read from the gold file (never its labels).
    """
    from extract.training.evaluate import SEED_GOLD as DEFAULT_GOLD
    from extract.training.evaluate import read_jsonl

    return [{"id": r["id"], "title": r["title"], "abstract": r["abstract"]} for r in read_jsonl(DEFAULT_GOLD)]


def filter_examples(
    sentences: list[tdmsci.Sentence], scorer: names.NameScorer, exclude_ids: Iterable[str], into: Examples
) -> None:
    """For the TDMSci span filter: each final dataset or metric mention of the pipeline (with `scorer`, under
    TDMSci's conventions) is kept if it is exactly a gold span, else dropped."""
    from extract import components
    from extract.extractor import build_pipeline

    nlp = build_pipeline(exclude_ids, "tdmsci", scorer=scorer, crf=None)  # what the CRF reads
    for sentence, doc in zip(sentences, _docs(nlp, [(s.text, "") for s in sentences]), strict=True):
        mentions = doc.user_data[components.MENTIONS]
        neighbours = names._Neighbours(mentions)
        for m in mentions:
            if m.type in ("dataset", "metric"):
                keep = (m.type, m.start, m.end) in sentence.spans
                into.add(
                    names.filter_features(sentence.text, m, neighbours), (m.type,) if keep else ("none",)
                )


def train_filter(
    scorer: names.NameScorer, exclude_ids: Iterable[str] = (), sentences: list[tdmsci.Sentence] | None = None
) -> dict[str, list[float]]:
    if sentences is None:
        sentences, _ = tdmsci.split(tdmsci.read_sentences())
    examples = Examples()
    filter_examples(sentences, scorer, sorted(exclude_ids), examples)
    return fit(examples, l2=FILTER_L2)


def context_bound(
    scorer: names.NameScorer, exclude_ids: Iterable[str], sentences: list[tdmsci.Sentence]
) -> list[float]:
    """Per class, the most the context features add to a candidate's score over the training texts, plus
    CONTEXT_MARGIN: `NameScorer.predict` skips a candidate whose surface score cannot pass even so."""
    exclude_ids = sorted(exclude_ids)
    papers = [p for p in bundled_papers() if p["id"] not in set(exclude_ids)]
    texts = [(s.text, "") for s in sentences] + [(p["abstract"], p["title"]) for p in papers]
    nlp = _rule_pipeline(exclude_ids, upto_definitions=True)
    bound = [0.0, 0.0, 0.0]
    for (text, title), found in zip(texts, _found_before_names(nlp, texts), strict=True):
        neighbours = names._Neighbours(found)
        for start, end, _ in names._spans(text, found, True):
            context = names.context_features(text, title, start, end, text[start:end], neighbours)
            if context is not None:
                bound = [max(b, s) for b, s in zip(bound, scorer.scores(context), strict=True)]
    return [b + CONTEXT_MARGIN for b in bound]


def train(
    exclude_ids: Iterable[str] = (), with_filter: bool = True, sentences: list[tdmsci.Sentence] | None = None
) -> names.NameScorer:
    """Weights from TDMSci's learning part (or `sentences` of it) and the silver data (less
    `exclude_ids`), with the fixed thresholds; and, unless `with_filter` is False, the TDMSci span filter
    trained after them."""
    if sentences is None:
        sentences, _ = tdmsci.split(tdmsci.read_sentences())
    scorer = names.NameScorer(train_weights(exclude_ids, sentences), dict(THRESHOLDS))
    scorer.context_bound = tuple(context_bound(scorer, exclude_ids, sentences))
    if with_filter:
        scorer.filter_weights = {f: tuple(w) for f, w in train_filter(scorer, exclude_ids, sentences).items()}
        scorer.filter_threshold = FILTER_THRESHOLD
    return scorer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=names.WEIGHTS_FILE)
    args = parser.parse_args(argv)
    scorer = train()
    scorer.to_json(
        args.output,
        {"trained_on": "TDMSci learning part (80%) + silver labels of the bundled abstracts"},
    )
    print(f"{len(scorer.weights)} features, thresholds {scorer.thresholds} -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
