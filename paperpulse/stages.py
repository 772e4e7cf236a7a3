"""The stages after ingestion, in the order a run takes them: one list that `paperpulse run` runs in turn
and the Airflow DAGs turn into tasks. Light to import (the DAG files are parsed often): each stage names
its function, imported when it first runs.

Each stage function is `(settings, run_id, what the stage before returned) -> a JSON-able value`
(Airflow hands it on as an XCom). A mapped stage runs once per item of what the stage before returned
(mapped tasks in Airflow, worker processes on the command line); the stage after it gets the same items,
once every one is done.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class Stage:
    name: str  # the Airflow task id; also what logs name
    function: str  # "module:function"
    writes_build: bool = True  # opens the build file, which has one writer: Airflow's one-slot build pool
    mapped: bool = False  # once per item of what the stage before returned
    timeout: timedelta = timedelta(hours=1)  # Airflow's execution_timeout: a hang never holds the pool

    def run(self, settings, run_id: str, upstream: Any = None) -> Any:
        return call(self.function, settings, run_id, upstream)


def call(function: str, *args) -> Any:
    module, name = function.split(":")
    return getattr(importlib.import_module(module), name)(*args)


AFTER_INGEST = (
    Stage("plan_extraction", "paperpulse.pipeline:plan_extraction", timeout=timedelta(minutes=30)),
    Stage(
        "extract_batch",
        "paperpulse.pipeline:extract_batch",
        writes_build=False,
        mapped=True,
        timeout=timedelta(minutes=30),
    ),
    Stage("load_extractions", "paperpulse.pipeline:load_extractions", timeout=timedelta(minutes=30)),
    Stage("build_marts", "paperpulse.pipeline:build_marts", timeout=timedelta(hours=2)),
    Stage("check_marts", "paperpulse.pipeline:check_marts", timeout=timedelta(minutes=30)),
    Stage("publish", "paperpulse.pipeline:publish", timeout=timedelta(hours=1)),
)
