"""Training the learned result model (`extract/result_model.py`): `python -m extract.training.train_results`.

Trained on the listings gold's training part (`eval/listings/train.jsonl`, 230 real abstracts) and the
seed gold (`eval/seed_gold.jsonl`, 139); every choice (features, regularisation, the two thresholds) is
made on the development part (`eval/listings/dev.jsonl`, 100); the test part is never read here.

- Each gold result is matched to a number of its abstract: the same value, preferring a number whose
  sentence names the result's metric or dataset. A number matched is a result (else not), of the gold's
  kind; each slot's gold surface is the option of that surface (or nothing), when the options hold it.
- The calibration model is fitted on out-of-fold predictions (five folds of the training abstracts, each
  predicted by models trained on the other four), labelled right when value, kind, role, model, dataset
  and metric all equal a gold result's.
- `result` threshold: the best results F1 (loose rule) on dev; `leaderboard` threshold: the lowest
  confidence at which dev's leaderboard rows are at least LEADERBOARD_PRECISION precise.

Prints the development figures; writes `extract/weights/results.json`.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from extract import result_model as rm
from extract.result_model import KINDS, ROLES, SLOTS, ResultModel
from extract.training import logistic
from extract.training.evaluate import (
    format_scores,
    is_leaderboard_row,
    normalise,
    read_jsonl,
    same_name,
    score,
)

REPO = Path(__file__).resolve().parents[2]
TRAIN = (REPO / "eval" / "listings" / "train.jsonl", REPO / "eval" / "seed_gold.jsonl")
DEV = REPO / "eval" / "listings" / "dev.jsonl"
# Leaderboard rows the model proposed on other abstracts of the training months, judged right or wrong
# against their evidence (eval/listings/README.md): more labels for the calibration where it matters.
JUDGED = REPO / "eval" / "listings" / "judged_train.jsonl"
L2 = {
    "result": 1.0,
    "kind": 1.0,
    "metric": 1.0,
    "dataset": 1.0,
    "model": 1.0,
    "role": 1.0,
    "calibration": 3.0,
}
FOLDS = 5
LEADERBOARD_PRECISION = 0.92


def value_key(value: str) -> str:
    text = str(value).replace(",", "").strip()
    if "/" in text:
        return text
    try:
        return repr(float(text))
    except ValueError:
        return text


@dataclass
class Examples:
    result: list = field(default_factory=list)
    kind: list = field(default_factory=list)
    slots: dict = field(default_factory=lambda: {s: ([], []) for s in SLOTS})
    role: list = field(default_factory=list)
    unreachable: dict = field(default_factory=lambda: dict.fromkeys(SLOTS, 0))


def documents(rows: list[dict]) -> list[list[rm.Context]]:
    """The candidate numbers of each row's abstract, from the rule pipeline's mentions."""
    from extract import components
    from extract.extractor import build_pipeline

    nlp = build_pipeline()
    found = []
    for row in rows:
        doc = nlp.make_doc(row["abstract"])
        doc.user_data[components.TEXT] = row["abstract"]
        doc.user_data[components.TITLE] = row.get("title") or ""
        for name, proc in nlp.pipeline:
            if name not in ("paperpulse_results", "paperpulse_spans"):  # the numbers are what is learned
                doc = proc(doc)
        found.append(
            rm.contexts(
                row["abstract"],
                row.get("title") or "",
                doc.user_data.get(components.MENTIONS) or [],
                doc.user_data.get(components.OWN_METHODS) or [],
                doc.user_data.get(components.DIGIT_RUNS),
            )
        )
    return found


def align(contexts: list[rm.Context], gold: list[dict]) -> dict[int, dict]:
    """Gold results by index of the context (number) each is matched to."""
    matched: dict[int, dict] = {}
    for result in gold:
        key = value_key(result["value"])
        best, best_rank = None, None
        for i, c in enumerate(contexts):
            if i in matched or value_key(c.number.value) != key:
                continue
            sentence = c.text[c.sentence[0] : c.sentence[1]].lower()
            named = sum(bool(result.get(s)) and result[s].lower() in sentence for s in ("metric", "dataset"))
            rank = (-named, i)
            if best_rank is None or rank < best_rank:
                best, best_rank = i, rank
        if best is not None:
            matched[best] = result
    return matched


def gold_option(options: list[rm.Option], surface: str | None) -> int | None:
    wanted = normalise(surface)
    for index, option in enumerate(options):
        if normalise(option.surface) == wanted:
            return index
    return None


def add_examples(contexts: list[rm.Context], gold: list[dict], into: Examples, complete: bool = True) -> None:
    """Examples from one abstract's gold results; not `complete` (judged rows: some of its numbers only),
    only the matched numbers' slots and roles are learned from."""
    matched = align(contexts, gold)
    for i, c in enumerate(contexts):
        result = matched.get(i)
        if complete:
            into.result.append((rm.number_features(c), int(result is not None)))
        if result is None:
            continue
        if complete:
            into.kind.append((rm.kind_features(c), KINDS.index(result["kind"])))
        model_option = rm.Option(None, features=["none"])
        for slot in SLOTS:
            options = rm.slot_options(c, slot)
            index = gold_option(options, result.get(slot))
            if index is None:
                into.unreachable[slot] += 1
                continue
            into.slots[slot][0].append([o.features for o in options])
            into.slots[slot][1].append(index)
            if slot == "model":
                model_option = options[index]
        role = result.get("role") or "proposed"
        into.role.append((rm.role_features(c, model_option, result["kind"]), ROLES.index(role)))


def fit_parts(examples: Examples) -> dict:
    weights = {
        "result": logistic.fit_classes(*zip(*examples.result, strict=True), classes=2, l2=L2["result"]),
        "kind": logistic.fit_classes(*zip(*examples.kind, strict=True), classes=2, l2=L2["kind"]),
        "role": logistic.fit_classes(*zip(*examples.role, strict=True), classes=3, l2=L2["role"]),
    }
    for slot in SLOTS:
        groups, chosen = examples.slots[slot]
        weights[slot] = logistic.fit_choice(groups, chosen, l2=L2[slot])
    weights["calibration"] = {}
    weights["thresholds"] = {"result": 0.5, "leaderboard": 1.0}
    return weights


def is_right(predicted: dict, gold: list[dict]) -> bool:
    return any(
        value_key(predicted["value"]) == value_key(g["value"])
        and predicted["kind"] == g["kind"]
        and predicted["role"] == (g.get("role") or "proposed")
        and all(normalise(predicted[s]) == normalise(g.get(s)) for s in SLOTS)
        for g in gold
    )


def calibration_examples(model: ResultModel, docs: list[list[rm.Context]], rows: list[dict]) -> list:
    """(calibration features, right) for every result `model` predicts in `docs`."""
    found = []
    for contexts, row in zip(docs, rows, strict=True):
        for c in contexts:
            probe = _probe(model, c)
            if probe is None:
                continue
            predicted, features = probe
            if "rankable=True" in features:  # what `leaderboard` needs: a gold leaderboard row of these names
                known = {normalise(e["surface"]): e["canonical"] for e in entities(contexts)}
                right = any(
                    is_leaderboard_row(g, False)
                    and value_key(g["value"]) == value_key(predicted["value"])
                    and all(same_name(s, predicted[s], g.get(s), known) for s in SLOTS)
                    for g in row["results"]
                )
            else:
                right = is_right(predicted, row["results"])
            found.append((features, int(right)))
    return found


def _probe(model: ResultModel, c: rm.Context) -> tuple[dict, list[str]] | None:
    """What `model` predicts for `c` with the calibration features behind its confidence."""
    predicted = model.predict(c, with_features=True)
    if predicted is None:
        return None
    return predicted, predicted.pop("calibration")


def judged_examples(model: ResultModel) -> list:
    """(calibration features, right) for the rankable rows `model` predicts on the judged abstracts: right
    when the judged row was right and is what it predicts, or the judge's fix is."""
    if not JUDGED.exists():
        return []
    judged: dict[str, list[dict]] = {}
    for row in read_jsonl(JUDGED):
        judged.setdefault(row["id"], []).append(row)
    rows = [
        {"id": key, "title": rows[0]["title"], "abstract": rows[0]["abstract"]}
        for key, rows in judged.items()
    ]
    found = []
    for contexts, row in zip(documents(rows), rows, strict=True):
        known = {normalise(e["surface"]): e["canonical"] for e in entities(contexts)}
        for c in contexts:
            probe = _probe(model, c)
            if probe is None or "rankable=True" not in probe[1]:
                continue
            predicted, features = probe
            verdicts = [
                j for j in judged[row["id"]] if value_key(j["value"]) == value_key(predicted["value"])
            ]
            if not verdicts:
                continue  # a row the judges never saw
            right = False
            for verdict in verdicts:
                wanted = verdict if verdict["right"] else verdict.get("fix")
                if wanted and value_key(wanted.get("value", verdict["value"])) == value_key(
                    predicted["value"]
                ):
                    right = right or all(same_name(s, predicted[s], wanted.get(s), known) for s in SLOTS)
            found.append((features, int(right)))
    return found


def judged_rows() -> list[dict]:
    """The judged abstracts as partial gold: each right row, or the judge's fix of a wrong one."""
    if not JUDGED.exists():
        return []
    by_id: dict[str, dict] = {}
    for j in read_jsonl(JUDGED):
        row = by_id.setdefault(
            j["id"], {"id": j["id"], "title": j["title"], "abstract": j["abstract"], "results": []}
        )
        wanted = j if j["right"] else j.get("fix")
        if wanted and all(wanted.get(s) for s in SLOTS):
            row["results"].append(
                {
                    "value": wanted.get("value", j["value"]),
                    "kind": "absolute",
                    "role": wanted.get("role") or j["role"],
                }
                | {s: wanted[s] for s in SLOTS}
            )
    return list(by_id.values())


def train(rows: list[dict], docs: list[list[rm.Context]]) -> dict:
    examples = Examples()
    for contexts, row in zip(docs, rows, strict=True):
        add_examples(contexts, row["results"], examples)
    partial = judged_rows()
    for contexts, row in zip(documents(partial), partial, strict=True):
        add_examples(contexts, row["results"], examples, complete=False)
    weights = fit_parts(examples)
    calibration = []
    for fold in range(FOLDS):
        held = [i for i in range(len(rows)) if i % FOLDS == fold]
        kept = Examples()
        for i in range(len(rows)):
            if i % FOLDS != fold:
                add_examples(docs[i], rows[i]["results"], kept)
        fold_model = ResultModel(fit_parts(kept))
        calibration += calibration_examples(fold_model, [docs[i] for i in held], [rows[i] for i in held])
    calibration += judged_examples(ResultModel(weights))
    weights["calibration"] = logistic.fit_classes(
        *zip(*calibration, strict=True), classes=2, l2=L2["calibration"]
    )
    weights["unreachable"] = examples.unreachable
    weights["examples"] = {"numbers": len(examples.result), "results": len(examples.kind)}
    return weights


def entities(contexts: list[rm.Context]) -> list[dict]:
    mentions = contexts[0].mentions if contexts else []
    return [{"surface": m.surface, "canonical": m.canonical} for m in mentions]


def predictions(model: ResultModel, docs: list[list[rm.Context]], rows: list[dict]) -> list[dict]:
    found = []
    for contexts, row in zip(docs, rows, strict=True):
        results = [r for c in contexts if (r := model.predict(c))]
        found.append({"id": row["id"], "results": results, "entities": entities(contexts)})
    return found


def choose_thresholds(weights: dict, docs: list[list[rm.Context]], rows: list[dict]) -> dict:
    """The result threshold with the best loose results F1 on `rows`, then the lowest leaderboard
    threshold at which their leaderboard rows are LEADERBOARD_PRECISION precise."""
    best = None
    for threshold in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7):
        weights["thresholds"] = {"result": threshold, "leaderboard": 0.0}
        scores = score(predictions(ResultModel(weights), docs, rows), rows)
        f1 = scores.by_type["results_loose"].f1
        if best is None or f1 > best[0]:
            best = (f1, threshold)
    result_threshold = best[1]
    chosen = 1.0
    for threshold in [t / 100 for t in range(99, 0, -1)]:
        weights["thresholds"] = {"result": result_threshold, "leaderboard": threshold}
        board = score(predictions(ResultModel(weights), docs, rows), rows).by_type["leaderboard"]
        if board.tp + board.fp and board.precision >= LEADERBOARD_PRECISION:
            chosen = threshold
    weights["thresholds"] = {"result": result_threshold, "leaderboard": chosen}
    return weights["thresholds"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=rm.WEIGHTS_FILE)
    args = parser.parse_args(argv)
    rows = [row for path in TRAIN for row in read_jsonl(path)]
    dev = read_jsonl(DEV)
    print(f"reading {len(rows)} training and {len(dev)} development abstracts", file=sys.stderr)
    docs, dev_docs = documents(rows), documents(dev)
    weights = train(rows, docs)
    thresholds = choose_thresholds(weights, dev_docs, dev)
    unreachable = weights["unreachable"]
    print(f"thresholds chosen on dev: {thresholds}; unreachable gold slots in training: {unreachable}")
    print(format_scores(score(predictions(ResultModel(weights), dev_docs, dev), dev), "development part"))
    args.output.write_text(json.dumps(weights, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
