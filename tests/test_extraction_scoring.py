"""The scoring rules of GUIDELINES.md, on hand-made predictions."""

from __future__ import annotations

from extract.training.evaluate import score, score_entities, score_results


def result(value, metric=None, dataset=None, **rest):
    return {"value": value, "unit": "", "kind": "absolute", "metric": metric, "dataset": dataset, **rest}


def test_entities_compare_case_folded_sets_and_ignore_optional_predictions():
    counts = score_entities(
        predicted=["BERT", "bert", "GPT-3  (175B)", "Transformers", "LLaMA"],
        gold=["BERT", "gpt-3 (175b)", "Mamba"],
        optional=["transformers"],
    )
    assert (counts.tp, counts.fp, counts.fn) == (2, 1, 1)


def test_results_loose_needs_value_and_metric_or_dataset_strict_needs_all():
    gold = [result("78.9", "top-1 accuracy", "ImageNet"), result("80.2", "top-1 accuracy", "ImageNet")]
    predicted = [
        result("78.9", "Top-1 Accuracy", None),
        result("80.20", None, "imagenet"),
        result("3", "FID"),
    ]
    loose = score_results(predicted, gold, strict=False)
    strict = score_results(predicted, gold, strict=True)
    assert (loose.tp, loose.fp, loose.fn) == (2, 1, 0)
    assert (strict.tp, strict.fp, strict.fn) == (0, 3, 2)


def test_a_result_is_matched_at_most_once():
    gold = [result("12", None, None)]
    counts = score_results([result("12"), result("12")], gold, strict=True)
    assert (counts.tp, counts.fp, counts.fn) == (1, 1, 0)


def test_scores_are_micro_averaged_and_missing_predictions_count_as_empty():
    gold = [
        {"id": "a", "models": ["A", "B"], "datasets": [], "metrics": [], "results": [], "optional": []},
        {"id": "b", "models": ["C"], "datasets": [], "metrics": [], "results": [], "optional": []},
    ]
    scores = score([{"id": "a", "models": ["A", "X"]}], gold)
    model = scores.by_type["model"]
    assert (model.tp, model.fp, model.fn) == (1, 1, 2)
    assert round(model.precision, 3) == 0.5 and round(model.recall, 3) == 0.333
    assert scores.papers == 2
