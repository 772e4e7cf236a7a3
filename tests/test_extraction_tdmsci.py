"""The TDMSci reader, its fixed learning/held-out split, and the CRF that runs under its conventions only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from extract.training import tdmsci


@pytest.fixture(scope="module")
def tdmsci_extractors():
    from extract.extractor import load

    return load(conventions="tdmsci"), load(conventions="tdmsci", crf=None)


def test_sentences_rebuild_their_text_and_spans():
    sentences = tdmsci.read_sentences()
    assert len(sentences) == 1523
    labels = {entity_type for s in sentences for entity_type, _, _ in s.spans}
    assert labels == {"dataset", "metric"}
    for sentence in sentences:
        for _, start, end in sentence.spans:
            surface = sentence.text[start:end]
            assert surface == surface.strip() and surface


def test_split_is_fixed_and_disjoint():
    learning, held_out = tdmsci.split(tdmsci.read_sentences())
    again_learning, again_held_out = tdmsci.split(tdmsci.read_sentences())
    assert (len(learning), len(held_out)) == (1218, 302)
    assert held_out == again_held_out and learning == again_learning
    assert not {s.text for s in held_out} & {s.text for s in learning}


def test_metric_heads_follow_tdmsci_conventions():
    from extract.extractor import load

    extractor = load(conventions="tdmsci")
    sentence = tdmsci.Sentence(
        "We report word error rate (WER) on the Europarl corpus and BLEU scores.", frozenset()
    )
    counts = tdmsci.score(extractor, [sentence])
    assert counts["metric"].fp == 2 and counts["dataset"].fp == 1  # no gold spans: all predictions are FP
    prediction = next(extractor.extract([{"id": 0, "title": "", "abstract": sentence.text}]))
    spans = {(e["type"], e["surface"]) for e in prediction["entities"]}
    assert spans == {("metric", "word error rate (WER)"), ("dataset", "Europarl corpus"), ("metric", "BLEU")}


def test_the_shipped_crf_is_small_and_knows_datasets_and_metrics():
    import pycrfsuite

    from extract import crf

    assert crf.MODEL_FILE.is_file() and crf.MODEL_FILE.stat().st_size < 2 * 1024 * 1024
    tagger = pycrfsuite.Tagger()
    tagger.open(str(crf.MODEL_FILE))
    assert set(tagger.labels()) == {"O", "B-dataset", "I-dataset", "B-metric", "I-metric"}


def test_bio_labels_and_spans_round_trip():
    from extract import crf

    text = "Results on the ACE RDC 2005 corpora and BLEU ."
    tokens, start = [], 0
    for word in text.split():
        start = text.index(word, start)
        tokens.append(crf.Token(start, start + len(word), word))
        start += len(word)
    gold = {("dataset", 15, 35), ("metric", 40, 44)}
    labels = crf.bio(tokens, gold)
    assert labels == ["O", "O", "O", "B-dataset", "I-dataset", "I-dataset", "I-dataset", "O", "B-metric", "O"]
    assert set(crf.spans(tokens, labels)) == gold
    assert crf.spans(tokens, ["O", "I-metric", "I-dataset", *["O"] * 7]) == [
        ("metric", 8, 10),
        ("dataset", 11, 14),
    ]


@pytest.mark.parametrize(
    ("abstract", "crf_datasets", "rules_datasets"),
    [
        (
            "The best model achieves an accuracy of 0.80 on the Quillora dispute corpus.",
            {("Quillora dispute corpus", "Quillora dispute corpus")},
            set(),
        ),
        (
            "The best model achieves an F1 score of 0.78 on the Zorbatank review corpus.",
            {("Zorbatank review corpus", "Zorbatank")},
            {("Zorbatank", "Zorbatank")},
        ),
        (
            "Results on the ACE RDC 2009 Chinese and English corpora show gains in accuracy.",
            {("ACE RDC 2009 Chinese and English corpora", "ACE")},  # canonical: the lexicon's match inside
            set(),
        ),
    ],
)
def test_tdmsci_conventions_take_datasets_from_the_crf(
    tdmsci_extractors, abstract, crf_datasets, rules_datasets
):
    with_crf, rules_only = tdmsci_extractors
    paper = {"id": 0, "title": "", "abstract": abstract}
    crf_prediction = next(with_crf.extract([paper]))
    rules_prediction = next(rules_only.extract([paper]))
    for prediction, expected in ((crf_prediction, crf_datasets), (rules_prediction, rules_datasets)):
        datasets = [e for e in prediction["entities"] if e["type"] == "dataset"]
        assert {(e["surface"], e["canonical"]) for e in datasets} == expected
        assert all(abstract[e["start"] : e["end"]] == e["surface"] for e in datasets)
    # metrics stay the rules'
    metrics = [
        [e for e in p["entities"] if e["type"] == "metric"] for p in (crf_prediction, rules_prediction)
    ]
    assert metrics[0] == metrics[1] and metrics[0]


def test_only_tdmsci_conventions_run_the_crf():
    from extract.extractor import build_pipeline

    assert "paperpulse_crf" in build_pipeline(conventions="tdmsci").pipe_names
    assert "paperpulse_crf" not in build_pipeline(conventions="tdmsci", crf=None).pipe_names
    assert "paperpulse_crf" not in build_pipeline().pipe_names
    assert "paperpulse_crf" not in build_pipeline(crf="default").pipe_names  # guidelines: never
    # The guidelines' pipeline does not even import crfsuite (a fresh interpreter: this one has); the
    # component is registered (extract.crf is imported) but disabled, so never initialized.
    code = (
        "import sys; from extract.extractor import load; extractor = load(); "
        "list(extractor.extract([{'id': 1, 'title': '', 'abstract': 'We report BLEU on WMT14.'}])); "
        "assert 'pycrfsuite' not in sys.modules; "
        "assert extractor.nlp.get_pipe('paperpulse_crf').tagger is None"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)
