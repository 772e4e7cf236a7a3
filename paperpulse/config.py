"""Settings: environment variables with a PAPERPULSE_ prefix, sensible defaults, one home folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_PAGE = REPO_ROOT / "data" / "trending_papers_page.txt"
DBT_PROJECT_DIR = REPO_ROOT / "dbt"

# Marts copied to the serving file, in the order they are published (the dashboard contract).
MARTS = (
    "dim_papers",
    "dim_models",
    "dim_datasets",
    "dim_metrics",
    "fct_mentions",
    "fct_benchmark_results",
    "leaderboards",
    "paper_topics",
    "topic_trends",
)


@dataclass(frozen=True)
class Settings:
    home: Path
    trending_year: int
    extract_batch_size: int

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            home=Path(env.get("PAPERPULSE_HOME", "warehouse")).resolve(),
            # The bundled page shows "Mar 11" without a year; this says which year it is.
            trending_year=int(env.get("PAPERPULSE_TRENDING_YEAR", "2024")),
            extract_batch_size=int(env.get("PAPERPULSE_EXTRACT_BATCH_SIZE", "2000")),
        )

    @property
    def build_db(self) -> Path:
        """The DuckDB file only the pipeline writes: raw tables and everything dbt builds."""
        return self.home / "build.duckdb"

    @property
    def serving_db(self) -> Path:
        """The published marts, swapped in atomically; dashboards open it read-only."""
        return self.home / "serving.duckdb"

    @property
    def parquet_dir(self) -> Path:
        return self.home / "parquet"

    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def staging_dir(self) -> Path:
        """Scratch space for extraction batches (Parquet) before they load into the build file."""
        return self.home / "staging"
