"""The gate runner: run one of the committed checkpoints (expectations/gx/) on named DataFrames and raise,
naming every failed expectation with examples, when it does not pass.

GX has no DuckDB datasource, so gates validate DataFrames (read through read-only DuckDB connections for
the marts, expectations/marts.py). The context is the committed project, opened with its validation
results and Data Docs under `gx_home` ($PAPERPULSE_HOME/gx): this module writes nothing into the repo.
Each run keeps its results (the last KEEP_RUNS runs of each checkpoint) and updates the Data Docs
(the checkpoint's UpdateDataDocsAction).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx
import pandas as pd
from great_expectations.core.run_identifier import RunIdentifier

from expectations import extensions  # noqa: F401  (registers the datasource, action and views with GX)
from expectations.define import GX_DIR, HOME_VARIABLE, KEEP_RUNS
from expectations.errors import GateFailed

EXAMPLES = 20  # GX's SUMMARY result format keeps 20 unexpected values


@dataclass(frozen=True)
class GateReport:
    gate: str
    rows: int
    expectations: int


@cache
def context(gx_home: Path):
    """The committed project, its results and Data Docs under `gx_home` (one context per home)."""
    return gx.get_context(
        mode="file", project_root_dir=str(GX_DIR.parent), runtime_environment={HOME_VARIABLE: str(gx_home)}
    )


@contextmanager
def _locked(gx_home: Path) -> Iterator[None]:
    """One checkpoint run at a time per home: extraction batches run side by side in several processes, and
    their results, Data Docs updates and pruning must not interleave."""
    with open(gx_home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _suites(checkpoint) -> list[str]:
    return [definition.suite.name for definition in checkpoint.validation_definitions]


def prune(gx_home: Path, checkpoint, keep: int) -> int:
    """Remove all but the `keep` newest runs of `checkpoint` from the validation results and their Data Docs
    pages (validations/<suite>/<run name>/<run time>/...); returns how many runs went."""
    runs: set[tuple[str, str]] = set()
    for suite in _suites(checkpoint):
        folder = gx_home / "validations" / suite
        runs |= {(run.name, run.parent.name) for run in folder.glob("*/*") if run.is_dir()}
    old = sorted(runs, reverse=True)[keep:]
    for run_time, run_name in old:
        for suite in _suites(checkpoint):
            for root in (gx_home / "validations", gx_home / "data_docs" / "validations"):
                shutil.rmtree(root / suite / run_name / run_time, ignore_errors=True)
                with suppress(OSError):
                    (root / suite / run_name).rmdir()  # once empty
    return len(old)


def _run_name(label: str) -> str:
    return label.replace(os.sep, "-")


def _raised(result) -> str | None:
    """What went wrong when GX could not evaluate the expectation (it then fails)."""
    info = result.exception_info or {}
    found = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    messages = [i.get("exception_message") for i in found if i.get("raised_exception")]
    return "; ".join(dict.fromkeys(str(m) for m in messages)) or None


def _plain(value):
    """Numpy scalars as Python values, so that messages read [1.5, nan], not [np.float64(1.5), ...]."""
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    return value.item() if hasattr(value, "item") and not isinstance(value, str) else value


def _describe(result, frame: pd.DataFrame | None) -> str:
    config = result.expectation_config
    target = config.kwargs.get("column") or ", ".join(
        str(config.kwargs[k]) for k in ("column_A", "column_B", "column_list") if k in config.kwargs
    )
    raised = _raised(result)
    if raised:
        return f"{config.type}({target}): could not be evaluated: {raised}"
    details = result.result or {}
    found = _plain(details.get("partial_unexpected_list") or details.get("observed_value"))
    count = details.get("unexpected_count")
    counted = f"{count} unexpected, " if count is not None else ""
    where = ""
    index = frame.index.name if frame is not None else None
    rows = details.get("partial_unexpected_index_list") or []
    if index and rows and all(isinstance(row, dict) and index in row for row in rows):
        where = f" at {index} {_plain([row[index] for row in rows][:EXAMPLES])!r}"
    why = f" ({config.description})" if config.description else ""
    return f"{config.type}({target}): {counted}e.g. {found!r}{where}{why}"


def run_checkpoint(
    name: str,
    frames: Mapping[str, pd.DataFrame],
    gx_home: Path,
    label: str,
    parameters: dict | None = None,
) -> GateReport:
    """Run checkpoint `name` on `frames` (its validation definitions' assets by name), with `parameters` for
    the suites' $PARAMETER values; record the results and update the Data Docs under `gx_home`.
    Raises GateFailed listing every failed expectation, prefixed by its frame when there are several."""
    gx_home.mkdir(parents=True, exist_ok=True)
    checkpoint = context(gx_home).checkpoints.get(name)
    run_id = RunIdentifier(run_name=_run_name(label), run_time=datetime.now(UTC))
    with _locked(gx_home):
        prune(gx_home, checkpoint, KEEP_RUNS - 1)
        result = checkpoint.run(
            batch_parameters={"dataframe": dict(frames)},
            expectation_parameters=parameters or {},
            run_id=run_id,
        )
    outcomes = [
        (suite_result.asset_name or suite_result.suite_name, outcome)
        for suite_result in result.run_results.values()
        for outcome in suite_result.results
    ]
    failed = [(asset, outcome) for asset, outcome in outcomes if not outcome.success]
    if failed:
        several = len(result.run_results) > 1
        lines = "\n".join(
            f"  - {asset + ': ' if several else ''}{_describe(outcome, frames.get(asset))}"
            for asset, outcome in failed
        )
        raise GateFailed(f"gate '{label}' failed {len(failed)} of {len(outcomes)} expectations:\n{lines}")
    return GateReport(
        gate=label, rows=sum(len(frame) for frame in frames.values()), expectations=len(outcomes)
    )


def data_docs(gx_home: Path) -> Path:
    """Build the Data Docs site whole (every suite, every kept result); returns its index page."""
    gx_home.mkdir(parents=True, exist_ok=True)
    with _locked(gx_home):
        context(gx_home).build_data_docs()
    return gx_home / "data_docs" / "index.html"
