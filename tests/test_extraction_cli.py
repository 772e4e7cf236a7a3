"""`paperpulse extract` and `paperpulse eval` through the real command-line entry point."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_cli

DSNOT = (
    "We introduce Dynamic Sparse No Training (DSnoT), a training-free approach. For instance, DSnoT is "
    "able to outperform the state-of-the-art Wanda by 26.79 perplexity at 70% sparsity with LLaMA-7B."
)


def paperpulse(*args: str) -> subprocess.CompletedProcess:
    """The command line's main(), in this process (tests/conftest.py run_cli): exit status, stdout, stderr."""
    return run_cli(None, *args, check=False)


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def read_predictions(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_malformed_lines_are_reported_by_number_and_the_rest_is_extracted(tmp_path):
    papers = write_lines(
        tmp_path / "papers.jsonl",
        [
            json.dumps({"id": "a", "title": "T", "abstract": DSNOT}),
            "{not json",
            json.dumps(["a", "list"]),
            json.dumps({"title": "no id", "abstract": "x"}),
            json.dumps({"id": "b", "title": "T", "abstract": None}),
            json.dumps({"id": "huge", "title": "T", "abstract": "x " * 600_000}),
            json.dumps({"id": "c", "title": "T", "abstract": "BERT on GLUE.", "extra": 1}),
        ],
    )
    out = tmp_path / "predictions.jsonl"
    completed = paperpulse("extract", "--input", str(papers), "--output", str(out))
    assert completed.returncode != 0
    for line_number in (2, 3, 4, 5, 6):
        assert f"line {line_number}:" in completed.stderr
    assert "line 1:" not in completed.stderr and "line 7:" not in completed.stderr
    predictions = read_predictions(out)
    assert [p["id"] for p in predictions] == ["a", "c"]
    assert "LLaMA-7B" in predictions[0]["models"]
    assert predictions[1]["models"] == ["BERT"] and predictions[1]["datasets"] == ["GLUE"]


@pytest.mark.slow
def test_empty_unicode_and_very_long_abstracts(tmp_path):
    long_abstract = " ".join([DSNOT] * 2000)  # ~250,000 characters
    unicode_abstract = (
        "Wir evaluieren BERT auf GLUE – 84,6 % Genauigkeit; 模型 ViT-B/16 erreicht 81.2% top-1 accuracy. 🚀"
    )
    papers = write_lines(
        tmp_path / "papers.jsonl",
        [
            json.dumps({"id": "empty", "title": "Nothing", "abstract": ""}),
            json.dumps(
                {"id": "unicode", "title": "Ünïcode", "abstract": unicode_abstract}, ensure_ascii=False
            ),
            json.dumps({"id": "long", "title": "Long", "abstract": long_abstract}),
        ],
    )
    out = tmp_path / "predictions.jsonl"
    completed = paperpulse("extract", "--input", str(papers), "--output", str(out))
    assert completed.returncode == 0, completed.stderr
    empty, unicode, long = read_predictions(out)
    assert empty == {
        "id": "empty",
        "models": [],
        "datasets": [],
        "metrics": [],
        "tasks": [],
        "results": [],
        "entities": [],
    }
    assert {"BERT", "ViT-B/16"} <= set(unicode["models"])
    for entity in unicode["entities"]:
        assert unicode_abstract[entity["start"] : entity["end"]] == entity["surface"]
    assert long["models"] == ["Dynamic Sparse No Training", "DSnoT", "Wanda", "LLaMA-7B"]
    assert len(long["results"]) == 2000
    assert long["entities"][-1]["end"] <= len(long_abstract)


def test_eval_prints_scores_per_type_and_for_both_result_rules(tmp_path):
    gold = write_lines(
        tmp_path / "gold.jsonl",
        [
            json.dumps(
                {
                    "id": "a",
                    "title": "T",
                    "abstract": DSNOT,
                    "models": ["Dynamic Sparse No Training", "DSnoT", "Wanda", "LLaMA-7B"],
                    "datasets": [],
                    "metrics": ["perplexity"],
                    "results": [
                        {
                            "value": "26.79",
                            "unit": "",
                            "kind": "improvement",
                            "metric": "perplexity",
                            "dataset": None,
                            "model": "DSnoT",
                        }
                    ],
                    "optional": [],
                }
            )
        ],
    )
    completed = paperpulse("eval", "--gold", str(gold))
    assert completed.returncode == 0, completed.stderr
    rows = {
        line.split()[0]: line.split()[1:4] for line in completed.stdout.splitlines() if line[:1].isalpha()
    }
    assert rows["model"] == ["1.000", "1.000", "1.000"]
    assert rows["metric"] == ["1.000", "1.000", "1.000"]
    assert rows["results_loose"][1] == "1.000" and rows["results_strict"][1] == "1.000"

    predictions = write_lines(tmp_path / "p.jsonl", [json.dumps({"id": "a", "models": ["DSnoT", "BERT"]})])
    completed = paperpulse("eval", "--gold", str(gold), "--predictions", str(predictions))
    rows = {
        line.split()[0]: line.split()[1:4] for line in completed.stdout.splitlines() if line[:1].isalpha()
    }
    assert rows["model"] == ["0.500", "0.250", "0.333"]
    assert rows["results_loose"] == ["0.000", "0.000", "0.000"]


@pytest.mark.parametrize("missing", ["--input", "--output"])
def test_extract_requires_input_and_output(tmp_path, missing):
    args = {"--input": str(tmp_path / "in.jsonl"), "--output": str(tmp_path / "out.jsonl")}
    args.pop(missing)
    completed = paperpulse("extract", *[x for pair in args.items() for x in pair])
    assert completed.returncode != 0 and missing in completed.stderr
