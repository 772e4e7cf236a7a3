"""The TDMSci reader and its fixed learning/held-out split."""

from __future__ import annotations

from extract import tdmsci


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
