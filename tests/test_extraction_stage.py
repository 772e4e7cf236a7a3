"""The extraction stage extracts only what is new or changed, or everything after an extractor change,
and a plan interrupted part-way resumes without redoing finished batches."""

from pathlib import Path

import duckdb
import pytest

from extract.extractor import EXTRACTOR_VERSION
from paperpulse import extraction as batches
from paperpulse import pipeline
from paperpulse.ingest import raw
from paperpulse.stages import AFTER_INGEST
from paperpulse.warehouse.connection import connect_build
from tests.test_raw_loading import ABSTRACT, record


@pytest.fixture
def warehouse(settings, monkeypatch):
    monkeypatch.setenv("PAPERPULSE_EXTRACT_BATCH_SIZE", "2")
    # batches in this process: what is planned is the point here (a resumed plan runs on worker processes
    # below, and whole runs on them in tests/test_crash_safety.py)
    monkeypatch.setenv("PAPERPULSE_EXTRACT_WORKERS", "1")
    settings = type(settings).from_env()
    with connect_build(settings) as con:
        load = raw.prepare_batch(
            "trending_page", "2024-03-11", [("p", record(f"Paper {i}")) for i in range(5)]
        )
        raw.load_batch(con, load)
    return settings


def planned(settings, version=None) -> int:
    with duckdb.connect(str(settings.build_db)) as con:
        return batches.plan(con, settings, version).papers


def test_only_new_or_changed_papers_are_extracted_again(warehouse):
    first = pipeline.extract(warehouse)
    assert (first["batches"], first["papers"]) == (3, 5)
    assert pipeline.extract(warehouse)["papers"] == 0
    with duckdb.connect(str(warehouse.build_db)) as con:
        changed = raw.prepare_batch(
            "trending_page", "2024-03-11", [("p", record("Paper 1", abstract=ABSTRACT + " A change."))]
        )
        raw.load_batch(con, changed)
    assert pipeline.extract(warehouse)["papers"] == 1


def test_a_new_extractor_version_re_extracts_every_paper(warehouse):
    pipeline.extract(warehouse)
    assert planned(warehouse, EXTRACTOR_VERSION) == 0
    assert planned(warehouse, EXTRACTOR_VERSION + "-next") == 5


def test_an_interrupted_plan_resumes_and_skips_finished_batches(warehouse, monkeypatch):
    monkeypatch.setenv("PAPERPULSE_EXTRACT_WORKERS", "2")  # the rest on two worker processes, as a run does
    warehouse = type(warehouse).from_env()
    plan = pipeline.plan_extraction(warehouse)
    first = batches.run_batch(Path(plan[0]))  # then the process "dies"
    assert not first.skipped
    again = pipeline.plan_extraction(warehouse)
    assert again == plan
    extract_batch = next(stage for stage in AFTER_INGEST if stage.mapped)
    reports = pipeline.run_mapped(extract_batch, warehouse, "run", again)
    assert [r["skipped"] for r in reports] == [True, False, False]
    loaded = pipeline.load_extractions(warehouse, "run", again)
    assert loaded["papers"] == 5
    assert not Path(plan[0]).parent.exists()
    with duckdb.connect(str(warehouse.build_db)) as con:
        assert con.execute("select count(*), count(distinct paper_id) from raw.extractions").fetchall() == [
            (5, 5)
        ]


def test_loading_an_unfinished_plan_refuses_and_changes_nothing(warehouse):
    plan = pipeline.plan_extraction(warehouse)
    batches.run_batch(Path(plan[0]))
    with pytest.raises(RuntimeError, match=r"2 extraction batches .* are not done"):
        pipeline.load_extractions(warehouse, "run", plan)
    with duckdb.connect(str(warehouse.build_db)) as con:
        assert con.execute("select count(*) from raw.extractions").fetchall() == [(0,)]


def test_a_fraction_is_stored_as_its_quotient():
    _, results = batches.predictions_to_frames(
        [
            {
                "id": "p",
                "entities": [],
                "results": [
                    {
                        "value": "8/644",
                        "unit": "",
                        "kind": "absolute",
                        "metric": "pass@64",
                        "dataset": "PutnamBench",
                        "model": None,
                        "evidence": "It solves PutnamBench (8/644, pass@64).",
                        "condition": None,
                        "role": "proposed",
                        "confidence": None,
                        "leaderboard": False,
                    }
                ],
            }
        ],
        "v",
    )
    assert results["value_text"].tolist() == ["8/644"]
    assert results["value"].tolist() == [8 / 644]
