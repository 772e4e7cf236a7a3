"""The lexicon files keep the column contract that the extractor and dbt's seeds rely on."""

from __future__ import annotations

import csv

import pytest

from extract.lexicon import DIRECTIONS, LEXICON_DIR, LEXICON_FILES, read_lexicons

LEADING_COLUMNS = {
    "models.csv": ["canonical", "family", "aliases"],
    "datasets.csv": ["canonical", "aliases"],
    "metrics.csv": ["canonical", "direction", "aliases"],
    "tasks.csv": ["canonical", "aliases", "case_sensitive", "provenance"],
}


@pytest.mark.parametrize("file_name", LEXICON_FILES.values())
def test_columns_and_unique_canonical_names(file_name):
    with open(LEXICON_DIR / file_name, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    assert header[: len(LEADING_COLUMNS[file_name])] == LEADING_COLUMNS[file_name]
    assert all(len(row) == len(header) for row in rows)
    # A task may have a second row for the aliases of another provenance (tasks.csv: tdmsci-train).
    keys = [(row[0], row[-1]) if file_name == "tasks.csv" else row[0] for row in rows]
    assert len(keys) == len(set(keys))
    canonicals = [row[0] for row in rows]
    assert all(name.strip() == name and name for name in canonicals)


def test_every_canonical_metric_has_a_direction():
    metrics = [e for e in read_lexicons() if e.type == "metric"]
    assert len(metrics) > 100
    assert all(entry.direction in DIRECTIONS for entry in metrics), [
        e.canonical for e in metrics if e.direction not in DIRECTIONS
    ]


def test_lexicons_are_broad():
    entries = read_lexicons()
    assert sum(e.type == "model" for e in entries) > 400
    assert sum(e.type == "dataset" for e in entries) > 400
    assert sum(e.type == "task" for e in entries) > 500


def test_task_aliases_are_unambiguous_and_provenance_is_known():
    tasks = read_lexicons(types=("task",))
    meaning: dict[str, set[str]] = {}
    for entry in tasks:
        for alias in entry.aliases:
            meaning.setdefault(alias.lower(), set()).add(entry.canonical)
    assert {alias: names for alias, names in meaning.items() if len(names) > 1} == {}
    assert {e.provenance for e in tasks} == {"general", "tdmsci-train"}
    # the tdmsci-train entries go when held out (TDMSci's dev quarter)
    assert not any(e.provenance == "tdmsci-train" for e in read_lexicons(held_out_ids=["tdmsci-train"]))


def test_cross_validation_drops_entries_taken_from_held_out_gold_papers():
    everything = read_lexicons()
    from_gold = [e for e in everything if e.seed_ids()]
    assert from_gold, "the lexicons mark what was taken from the seed gold"
    entry = from_gold[0]
    held_out = read_lexicons(held_out_ids=entry.seed_ids())
    assert entry not in held_out
    assert len(held_out) < len(everything)
