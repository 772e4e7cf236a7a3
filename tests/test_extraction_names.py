"""The learned name scorer (extract/names.py): shipped in the repository, finds unlisted names in context,
deterministic, and kept out of cross-validation folds it has seen."""

from __future__ import annotations

import pytest

from extract import components, names
from extract.extractor import build_pipeline, load
from extract.training import train_names


@pytest.fixture(scope="module")
def extractor():
    return load(scorer=names.NameScorer.load())


@pytest.fixture(scope="module")
def rules_only():
    return load()  # abstracts (the guidelines' conventions) run without the scorer


def extract_one(extractor, abstract: str, title: str = "") -> dict:
    return next(extractor.extract([{"id": "p", "title": title, "abstract": abstract}]))


def test_weights_load_from_the_repository():
    assert names.WEIGHTS_FILE.is_file()
    assert names.WEIGHTS_FILE.stat().st_size < 5 * 1024 * 1024
    scorer = names.NameScorer.load()
    assert len(scorer.weights) > 1000 and scorer.filter_weights
    assert set(scorer.thresholds) == {"model", "dataset", "metric"}
    assert build_pipeline(conventions="tdmsci").get_pipe("paperpulse_names").scorer is not None
    assert build_pipeline().get_pipe("paperpulse_names").scorer is None


def test_finds_an_unlisted_dataset_in_context(extractor, rules_only):
    abstract = "We train the tagger on Zorbatank and report accuracy."
    assert "Zorbatank" not in extract_one(rules_only, abstract)["datasets"]
    prediction = extract_one(extractor, abstract)
    assert prediction["datasets"] == ["Zorbatank"]
    assert prediction["metrics"] == ["accuracy"]
    (entity,) = [e for e in prediction["entities"] if e["type"] == "dataset"]
    assert abstract[entity["start"] : entity["end"]] == "Zorbatank"


def test_does_not_take_sentence_words_or_class_acronyms_for_names(extractor):
    prediction = extract_one(
        extractor,
        "Consequently, Large Language Models (LLMs) are hard to align. Motivated by this, we study "
        "multi-task learning (MTL) for NLP and report accuracy.",
    )
    assert prediction["models"] == [] and prediction["datasets"] == []


def test_predictions_are_deterministic(extractor):
    papers = [
        {
            "id": str(i),
            "title": "",
            "abstract": f"We evaluate Quillora-{i} on Zorbatank and on the ABCD corpus.",
        }
        for i in range(20)
    ]
    assert list(extractor.extract(papers)) == list(load(scorer=names.NameScorer.load()).extract(papers))


def test_fast_scoring_matches_the_features_it_was_trained_on():
    """`predict` sums cached surface scores and context weights; the training path builds every feature."""
    scorer = names.NameScorer.load()
    text = (
        "We fine-tune Vexorin on the Zorbatank Treebank and Quillora 2.0, and compare with BERT. "
        "Results on PTB WSJ show gains in F1 (the Foo Bar Corpus)."
    )
    fast = {(m.start, m.end, m.type) for m in scorer.predict(text, "", [])}
    reference = set()
    for candidate in names.candidates(text, "", []):
        probs = scorer.probabilities(candidate.features)
        best = max((1, 2, 3), key=probs.__getitem__)
        if probs[best] >= scorer.thresholds[names.CLASSES[best]]:
            reference.add((candidate.start, candidate.end, names.CLASSES[best]))
    assert fast <= reference  # the same, less overlaps settled to the likeliest
    assert {(s, e) for s, e, _ in reference} & {(s, e) for s, e, _ in fast} == {(s, e) for s, e, _ in fast}


def test_runs_of_name_words():
    text = "On the Penn Treebank WSJ corpus, SemEval 2013 and nDCG, the Salesforce's XGen model."
    spans = [[text[s:e] for s, e in run] for run in names.runs(text)]
    assert ["Penn", "Treebank", "WSJ"] in spans
    assert ["SemEval", "2013"] in spans
    assert ["nDCG"] in spans


def test_fit_is_deterministic():
    examples = train_names.Examples()
    for i in range(30):
        examples.add(["bias", f"w={i % 3}", "shape=Xx"], ("dataset",) if i % 3 == 0 else ("none", "model"))
    assert train_names.fit(examples) == train_names.fit(examples)


def test_cross_validation_folds_get_no_shipped_weights():
    """The shipped weights saw every bundled (seed) abstract's silver labels: a fold-held-out pipeline
    has no learned scorer unless one trained without the fold is passed."""
    assert build_pipeline(held_out_ids=["seed-001"]).get_pipe("paperpulse_names").scorer is None


def test_the_span_filter_runs_only_under_tdmsci_conventions():
    assert build_pipeline().get_pipe("paperpulse_resolve").span_filter is None
    assert build_pipeline(conventions="tdmsci").get_pipe("paperpulse_resolve").span_filter is not None


def test_surface_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(names, "_CACHE_LIMIT", 10)
    scorer = names.NameScorer.load()
    for i in range(50):
        scorer.predict(f"We test Quillora{chr(65 + i % 26)}x{i} on data.", "", [])
    assert len(scorer._surface_scores) <= 11


def test_learned_mentions_reach_the_doc(extractor):
    nlp = extractor.nlp
    text = "We train the tagger on Zorbatank and report accuracy."
    doc = nlp.make_doc(text)
    doc.user_data[components.TEXT] = text
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    assert [(m.surface, m.source) for m in doc._.mentions if m.type == "dataset"] == [
        ("Zorbatank", "learned")
    ]
