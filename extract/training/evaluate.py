"""Scoring predictions against gold annotations, as the Scoring section of eval/GUIDELINES.md says.

Entities: per abstract and type, predicted and gold strings compared as sets after case-folding and
whitespace normalisation; a prediction matching an optional string is ignored; micro-averaged P/R/F1.
Results: one-to-one matches per abstract; loose = equal value and an equal metric or an equal dataset,
strict = equal value, metric and dataset (a missing metric or dataset equals only a missing one).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ENTITY_KEYS = {"model": "models", "dataset": "datasets", "metric": "metrics"}
RESULT_RULES = ("results_loose", "results_strict")


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Scores:
    by_type: dict[str, Counts] = field(
        default_factory=lambda: {k: Counts() for k in (*ENTITY_KEYS, *RESULT_RULES)}
    )
    papers: int = 0

    def add(self, other: Scores) -> None:
        for key, counts in other.by_type.items():
            self.by_type[key].add(counts)
        self.papers += other.papers

    def as_dict(self) -> dict:
        return {
            key: {
                "precision": c.precision,
                "recall": c.recall,
                "f1": c.f1,
                "tp": c.tp,
                "fp": c.fp,
                "fn": c.fn,
            }
            for key, c in self.by_type.items()
        }


def normalise(text: str | None) -> str | None:
    if text is None:
        return None
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


def _value(value) -> str:
    text = str(value).strip().replace(",", "")
    try:
        return repr(float(text))
    except ValueError:
        return text


def score_entities(predicted: Iterable[str], gold: Iterable[str], optional: Iterable[str]) -> Counts:
    gold_set = {normalise(g) for g in gold}
    optional_set = {normalise(o) for o in optional}
    predicted_set = {normalise(p) for p in predicted}
    counted = {p for p in predicted_set if p in gold_set or p not in optional_set}
    return Counts(tp=len(counted & gold_set), fp=len(counted - gold_set), fn=len(gold_set - counted))


def results_match(predicted: dict, gold: dict, strict: bool) -> bool:
    if _value(predicted.get("value")) != _value(gold.get("value")):
        return False
    same_metric = normalise(predicted.get("metric")) == normalise(gold.get("metric"))
    same_dataset = normalise(predicted.get("dataset")) == normalise(gold.get("dataset"))
    return same_metric and same_dataset if strict else same_metric or same_dataset


def score_results(predicted: list[dict], gold: list[dict], strict: bool) -> Counts:
    unmatched = list(predicted)
    matched = 0
    for gold_result in gold:
        for candidate in unmatched:
            if results_match(candidate, gold_result, strict):
                unmatched.remove(candidate)
                matched += 1
                break
    return Counts(tp=matched, fp=len(predicted) - matched, fn=len(gold) - matched)


def score_paper(prediction: dict, gold: dict) -> Scores:
    scores = Scores(papers=1)
    optional = gold.get("optional", [])
    for entity_type, key in ENTITY_KEYS.items():
        scores.by_type[entity_type] = score_entities(prediction.get(key, []), gold.get(key, []), optional)
    predicted_results = prediction.get("results", [])
    gold_results = gold.get("results", [])
    scores.by_type["results_loose"] = score_results(predicted_results, gold_results, strict=False)
    scores.by_type["results_strict"] = score_results(predicted_results, gold_results, strict=True)
    return scores


def score(predictions: Iterable[dict], gold_rows: Iterable[dict]) -> Scores:
    """Micro-averaged scores; a gold paper without a prediction counts as predicting nothing."""
    by_id = {p["id"]: p for p in predictions}
    total = Scores()
    for gold in gold_rows:
        total.add(score_paper(by_id.get(gold["id"], {}), gold))
    return total


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def format_scores(scores: Scores, title: str = "") -> str:
    lines = [title] if title else []
    lines.append(f"{'type':<16}{'precision':>10}{'recall':>10}{'f1':>8}{'tp':>6}{'fp':>6}{'fn':>6}")
    for key, c in scores.by_type.items():
        lines.append(f"{key:<16}{c.precision:>10.3f}{c.recall:>10.3f}{c.f1:>8.3f}{c.tp:>6}{c.fp:>6}{c.fn:>6}")
    lines.append(f"papers: {scores.papers}")
    return "\n".join(lines)
