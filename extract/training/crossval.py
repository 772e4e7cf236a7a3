"""K-fold cross-validation on the seed gold.

What was taken from the gold is marked in the lexicons (`provenance` = `seed:<ids>`). For each fold, the
extractor is rebuilt without the entries that came only from that fold's papers, its learned name scorer
(`extract/names.py`) is retrained without that fold's abstracts in its silver data (they are the bundled
abstracts), and it is scored on them; the folds' counts add up to one micro-averaged figure over all papers.
By default it scores the rules alone, as the pipeline runs on abstracts; `learned=True` adds the scorer.
"""

from __future__ import annotations

from pathlib import Path

from extract.extractor import load
from extract.training.evaluate import Scores, format_scores, read_jsonl, score


def folds_of(rows: list[dict], folds: int) -> list[list[dict]]:
    """Fixed folds: the i-th paper of the file goes to fold i mod k."""
    return [[row for index, row in enumerate(rows) if index % folds == fold] for fold in range(folds)]


def cross_validate(gold_path: Path, folds: int = 5, learned: bool = False) -> tuple[Scores, list[Scores]]:
    from extract.training.train_names import train

    rows = read_jsonl(gold_path)
    total, per_fold = Scores(), []
    for fold_rows in folds_of(rows, folds):
        held_out = [row["id"] for row in fold_rows]
        extractor = load(
            held_out_ids=held_out, scorer=train(held_out, with_filter=False) if learned else None
        )
        fold_scores = score(extractor.extract(fold_rows), fold_rows)
        per_fold.append(fold_scores)
        total.add(fold_scores)
    return total, per_fold


def format_report(report: tuple[Scores, list[Scores]]) -> str:
    total, per_fold = report
    parts = [format_scores(total, f"{len(per_fold)}-fold cross-validated, micro-averaged over all papers")]
    for index, fold_scores in enumerate(per_fold):
        f1s = "  ".join(f"{key} {c.f1:.3f}" for key, c in fold_scores.by_type.items())
        parts.append(f"fold {index}: {f1s}")
    return "\n".join(parts)
