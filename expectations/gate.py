"""Run a Great Expectations suite on a DataFrame and raise, naming what failed, when it does not pass.

GX 1.x has no DuckDB datasource, so gates validate DataFrames read through read-only DuckDB
connections: row-level suites on the bounded new batch, and aggregate checks computed in SQL
for whole marts, so memory stays small whatever the warehouse size.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig

from paperpulse.errors import GateFailed


@dataclass(frozen=True)
class GateReport:
    gate: str
    rows: int
    expectations: int


@cache
def _batch_definition():
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    asset = context.data_sources.add_pandas("paperpulse").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


def _describe(result) -> str:
    config = result.expectation_config
    target = config.kwargs.get("column") or ", ".join(
        str(config.kwargs[k]) for k in ("column_A", "column_B", "column_list") if k in config.kwargs
    )
    details = result.result or {}
    found = details.get("partial_unexpected_list") or details.get("observed_value")
    count = details.get("unexpected_count")
    counted = f"{count} unexpected, " if count is not None else ""
    return f"{config.type}({target}): {counted}e.g. {found!r}"


def check(gate: str, frame: pd.DataFrame, suite: gx.ExpectationSuite) -> GateReport:
    """Validate `frame` against `suite`; raise GateFailed listing every failed expectation."""
    result = _batch_definition().get_batch(batch_parameters={"dataframe": frame}).validate(suite)
    if not result.success:
        failed = [r for r in result.results if not r.success]
        lines = "\n".join(f"  - {_describe(r)}" for r in failed)
        raise GateFailed(
            f"gate '{gate}' failed {len(failed)} of {len(result.results)} expectations:\n{lines}"
        )
    return GateReport(gate=gate, rows=len(frame), expectations=len(result.results))
