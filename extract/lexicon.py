"""The lexicons: CSV files of models, datasets, metrics and tasks, with aliases (see lexicons/README.md)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

LEXICON_DIR = Path(__file__).parent / "lexicons"
LEXICON_FILES = {
    "model": "models.csv",
    "dataset": "datasets.csv",
    "metric": "metrics.csv",
    "task": "tasks.csv",
}
ENTITY_TYPES = tuple(LEXICON_FILES)
# The types a result names and the name rules (definitions, contexts, the learned scorer) work on; tasks have
# their own rules (tasks.py).
NAME_TYPES = ("model", "dataset", "metric")
DIRECTIONS = {"higher", "lower"}
# Pass this among `held_out_ids` to leave out the entries mined from TDMSci's learning part.
TDMSCI_TRAIN = "tdmsci-train"


@dataclass(frozen=True)
class Entry:
    type: str  # model | dataset | metric | task
    canonical: str
    aliases: tuple[str, ...]
    family: str | None = None  # models only
    direction: str | None = None  # metrics only
    case_sensitive: bool = False
    provenance: str = "general"  # "general", or "seed:<id>+<id>" when taken from the seed gold

    def seed_ids(self) -> frozenset[str]:
        if self.provenance == "tdmsci-train":
            return frozenset((TDMSCI_TRAIN,))  # held out as a whole, to score a dev part of TDMSci fairly
        if not self.provenance.startswith("seed:"):
            return frozenset()
        return frozenset(self.provenance.removeprefix("seed:").split("+"))


def read_lexicon(entity_type: str, folder: Path = LEXICON_DIR) -> list[Entry]:
    entries = []
    with open(folder / LEXICON_FILES[entity_type], newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            aliases = [a.strip() for a in row["aliases"].split("|") if a.strip()]
            canonical = row["canonical"].strip()
            if canonical not in aliases:
                aliases.insert(0, canonical)
            entries.append(
                Entry(
                    type=entity_type,
                    canonical=canonical,
                    aliases=tuple(aliases),
                    family=(row.get("family") or "").strip() or None,
                    direction=(row.get("direction") or "").strip() or None,
                    case_sensitive=(row.get("case_sensitive") or "").strip().lower() == "yes",
                    provenance=(row.get("provenance") or "general").strip(),
                )
            )
    return entries


def read_lexicons(
    folder: Path = LEXICON_DIR, held_out_ids: Iterable[str] = (), types: Iterable[str] = ENTITY_TYPES
) -> list[Entry]:
    """All entries of `types`, less those that came only from the seed gold papers in `held_out_ids`.

    An entry taken from gold papers that are all held out would leak the answer into a
    cross-validation fold, so it is left out there.
    """
    held_out = frozenset(held_out_ids)
    entries = [entry for entity_type in types for entry in read_lexicon(entity_type, folder)]
    return [e for e in entries if not (e.seed_ids() and e.seed_ids() <= held_out)]


def alias_variants(alias: str, entity_type: str) -> set[str]:
    """The alias as written plus spelling variants: separators as space, hyphen or nothing; metric plurals.

    `MS MARCO` also matches `MS-MARCO` and `MSMARCO`; `word error rate` also `word-error-rate`. A task's
    words are joined only after a short first word ("re-ranking" also `reranking`; "image classification"
    never `imageclassification`).
    """
    variants = {alias}
    words = alias.replace("-", " ").split()
    if len(words) > 1 and all(w.isalnum() for w in words):
        variants |= {" ".join(words), "-".join(words)}
        if entity_type == "task":
            if len(words) == 2 and len(words[0]) <= 3 and len("".join(words)) > 5:
                variants.add("".join(words))
        elif len("".join(words)) > 4:
            variants.add("".join(words))
    if entity_type == "metric":
        variants |= {v + "s" for v in variants if v[-1].isalpha() and v[-1] not in "sS" and len(v) > 3}
    return variants
