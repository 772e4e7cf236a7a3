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
from functools import cache
from pathlib import Path

SEED_GOLD = Path(__file__).resolve().parents[2] / "eval" / "seed_gold.jsonl"
ENTITY_KEYS = {"model": "models", "dataset": "datasets", "metric": "metrics", "task": "tasks"}
RESULT_RULES = ("results_loose", "results_strict", "leaderboard")
SLOTS = ("model", "dataset", "metric")
RANKED_ROLES = ("proposed", "baseline")


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


@cache
def _aliases() -> dict[tuple[str, str], str]:
    """(type, case-folded alias) -> canonical name, from the lexicons."""
    from extract.lexicon import alias_variants, read_lexicons

    return {
        (entry.type, variant.casefold()): entry.canonical
        for entry in read_lexicons()
        for alias in entry.aliases
        for variant in alias_variants(alias, entry.type)
    }


def same_name(
    entity_type: str, predicted: str | None, gold: str | None, known: dict[str, str] | None = None
) -> bool:
    """Equal case-folded, or one name after the extractor's alias resolution: the lexicons' aliases
    ("top-1 acc", "top-1 accuracy"), and `known` (case-folded surface -> canonical name of the mentions the
    extractor found in the abstract: "Semantic Textual Similarity Benchmark (STS-B)")."""
    p, g = normalise(predicted), normalise(gold)
    if p == g:
        return True
    if p is None or g is None:
        return False
    aliases, known = _aliases(), known or {}

    def canonical(name: str) -> str | None:
        return aliases.get((entity_type, name)) or known.get(name)

    return canonical(p) is not None and canonical(p) == canonical(g)


def is_leaderboard_row(result: dict, predicted: bool) -> bool:
    """A predicted row the extractor marks rankable (or, without the mark, an absolute value with all
    three names); a gold row: an absolute value of a proposed or baseline model with all three names."""
    if predicted and "leaderboard" in result:
        return bool(result["leaderboard"])
    complete = result.get("kind") == "absolute" and all(result.get(slot) for slot in SLOTS)
    return complete and (predicted or (result.get("role") or "proposed") in RANKED_ROLES)


def score_leaderboard(predicted: list[dict], gold: list[dict], entities: list[dict] = ()) -> Counts:
    known = {normalise(e["surface"]): e["canonical"] for e in entities}
    rows = [r for r in predicted if is_leaderboard_row(r, True)]
    unmatched = [g for g in gold if is_leaderboard_row(g, False)]
    matched = 0
    for row in rows:
        for candidate in unmatched:
            if _value(row.get("value")) == _value(candidate.get("value")) and all(
                same_name(slot, row.get(slot), candidate.get(slot), known) for slot in SLOTS
            ):
                unmatched.remove(candidate)
                matched += 1
                break
    return Counts(tp=matched, fp=len(rows) - matched, fn=len(unmatched))


def score_paper(prediction: dict, gold: dict) -> Scores:
    scores = Scores(papers=1)
    optional = gold.get("optional", [])
    for entity_type, key in ENTITY_KEYS.items():
        scores.by_type[entity_type] = score_entities(prediction.get(key, []), gold.get(key, []), optional)
    predicted_results = prediction.get("results", [])
    gold_results = gold.get("results", [])
    scores.by_type["results_loose"] = score_results(predicted_results, gold_results, strict=False)
    scores.by_type["results_strict"] = score_results(predicted_results, gold_results, strict=True)
    scores.by_type["leaderboard"] = score_leaderboard(
        predicted_results, gold_results, prediction.get("entities", [])
    )
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
