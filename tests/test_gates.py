"""Gates stop a bad batch or bad marts, name what failed, and leave the published marts alone."""

import duckdb
import pandas as pd
import pytest

from paperpulse import extraction as batches
from paperpulse.errors import GateFailed
from paperpulse.pipeline import gate_raw_batch
from tests.conftest import copy_home, run_cli, sha256

GOOD_PAPER = {
    "paper_id": "t-1",
    "title": "A paper",
    "abstract": "An abstract that is long enough to pass the basic validity checks of raw.",
    "content_hash": "0" * 64,
    "listed_date": "2024-03-11",
    "source": "trending_page",
}


def test_raw_batch_gate_names_the_failed_expectations(settings):
    batch = pd.DataFrame([GOOD_PAPER, GOOD_PAPER, {**GOOD_PAPER, "paper_id": "t-2", "abstract": "short"}])
    with pytest.raises(GateFailed) as failure:
        gate_raw_batch(settings, "raw batch", batch)
    message = str(failure.value)
    assert "gate 'raw batch' failed 2 of" in message
    assert "expect_column_values_to_be_unique(paper_id)" in message
    assert "expect_column_value_lengths_to_be_between(abstract): 1 unexpected, e.g. ['short']" in message
    assert "at paper_id ['t-2']" in message  # the rows it found, by their key


def test_raw_batch_gate_passes_a_good_batch(settings):
    report = gate_raw_batch(settings, "raw batch", pd.DataFrame([GOOD_PAPER]))
    assert (report.rows, report.expectations) == (1, 7)


def test_extraction_gate_rejects_offsets_that_do_not_slice_to_the_surface(settings):
    abstract = "We prune LLaMA-7B with Wanda."
    prediction = {
        "id": "t-1",
        "results": [],
        "entities": [
            {"type": "model", "surface": "LLaMA-7B", "canonical": "LLaMA-7B", "start": 9, "end": 17},
            {"type": "model", "surface": "Wanda", "canonical": "Wanda", "start": 3, "end": 8},
        ],
    }
    mentions, results = batches.predictions_to_frames([prediction], "test")
    with pytest.raises(GateFailed, match=r"extraction_mentions: .*\(surface_at_offsets\)"):
        batches.gate_batch(mentions, results, {"t-1": abstract}, settings.gx_dir)
    prediction["entities"][1].update(start=23, end=28)
    mentions, results = batches.predictions_to_frames([prediction], "test")
    batches.gate_batch(mentions, results, {"t-1": abstract}, settings.gx_dir)


def test_extraction_gate_takes_task_mentions_and_rejects_unknown_types():
    abstract = "We study text-to-SQL with LLaMA-7B."
    prediction = {
        "id": "t-1",
        "results": [],
        "entities": [
            {"type": "task", "surface": "text-to-SQL", "canonical": "text-to-SQL", "start": 9, "end": 20},
            {"type": "model", "surface": "LLaMA-7B", "canonical": "LLaMA-7B", "start": 26, "end": 34},
        ],
    }
    mentions, results = batches.predictions_to_frames([prediction], "test")
    batches.gate_batch(mentions, results, {"t-1": abstract})
    prediction["entities"][0]["type"] = "problem"
    mentions, results = batches.predictions_to_frames([prediction], "test")
    with pytest.raises(GateFailed, match=r"expect_column_values_to_be_in_set\(type\)"):
        batches.gate_batch(mentions, results, {"t-1": abstract})


RESULT = {
    "value": "8/644",
    "unit": "",
    "kind": "absolute",
    "model": "DeepSeek-Prover",
    "dataset": "PutnamBench",
    "metric": "pass@64",
    "evidence": "DeepSeek-Prover solves PutnamBench (8/644, pass@64).",
    "condition": None,
    "role": "proposed",
    "confidence": 0.91,
    "leaderboard": True,
}


def test_results_carry_role_confidence_and_leaderboard_and_a_fraction_is_one_value(tmp_path):
    prediction = {
        "id": "t-1",
        "entities": [],
        "results": [RESULT, {**RESULT, "value": "1,024", "confidence": None}],
    }
    mentions, results = batches.predictions_to_frames([prediction], "test")
    assert results[["value_text", "role", "leaderboard"]].values.tolist() == [
        ["8/644", "proposed", True],
        ["1,024", "proposed", True],
    ]
    assert results["value"].tolist() == [8 / 644, 1024.0]
    assert results["confidence"].tolist()[0] == 0.91 and pd.isna(results["confidence"].tolist()[1])
    batches.gate_batch(mentions, results, {"t-1": "x" * 100}, tmp_path / "gx")


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        ({"role": "winner"}, "expect_column_values_to_be_in_set(role)"),
        ({"confidence": 1.5}, "expect_column_values_to_be_between(confidence)"),
        ({"leaderboard": None}, "expect_column_values_to_not_be_null(leaderboard)"),
    ],
)
def test_extraction_gate_rejects_bad_roles_confidences_and_flags(change, failed, tmp_path):
    mentions, results = batches.predictions_to_frames(
        [{"id": "t-1", "entities": [], "results": [{**RESULT, **change}]}], "test"
    )
    with pytest.raises(GateFailed) as failure:
        batches.gate_batch(mentions, results, {"t-1": "x" * 100}, tmp_path / "gx")
    assert failed in str(failure.value)


@pytest.mark.slow
def test_bad_marts_fail_the_run_at_the_gate_and_the_serving_file_stays(published_home, tmp_path):
    home = copy_home(published_home, tmp_path / "warehouse")
    serving_before = sha256(home / "serving.duckdb")
    parquet_before = (home / "parquet").resolve()
    with duckdb.connect(str(home / "build.duckdb")) as con:  # a mention pointing past its abstract
        con.execute(
            """insert into raw.mentions
               select paper_id, 'model', 'Ghost', 'Ghost', null, null, 0, length(abstract) + 5, 'test'
               from raw.papers limit 1"""
        )
    failed = run_cli(home, "run", check=False)
    assert failed.returncode == 1
    assert "gate 'marts' failed" in failed.stderr
    assert "marts_mentions_in_abstracts: expect_column_pair_values_a_to_be_greater_than_b(" in failed.stderr
    assert "(abstract_chars, end_char): 1 unexpected" in failed.stderr
    assert sha256(home / "serving.duckdb") == serving_before
    assert (home / "parquet").resolve() == parquet_before
