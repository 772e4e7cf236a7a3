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
    "trending_topics",
    "emerging_phrases",
    "entity_weekly_mentions",
    "rising_entities",
    "model_dataset_pairs",
    "leaderboard_improvements",
    "whats_new",
)
# Marts with a row set per paper, built incrementally by paper in dbt (macros/incremental.sql): publish
# replaces only the changed papers' rows in them, and splits their Parquet copy into a file per month
# of first listing, so that a day's papers rewrite one month, not the whole mart.
PAPER_MARTS = ("dim_papers", "fct_mentions", "fct_benchmark_results", "paper_topics")


@dataclass(frozen=True)
class Settings:
    home: Path
    trending_year: int
    extract_batch_size: int
    # Live sources. The class defaults are the env defaults, so code that builds Settings by hand
    # (tests) only names what it changes.
    hf_api_url: str = "https://huggingface.co/api"
    hf_page_size: int = 100  # the API caps `limit` at 100
    # Upvotes grow after a listing: the run for day D asks HF again for the days D-1, D-7 (ages in days),
    # landing each answer beside the day's first one, so every listing gets snapshots at several ages.
    hf_refresh_days: tuple[int, ...] = (1, 7)
    arxiv_api_url: str = "https://export.arxiv.org/api"
    arxiv_categories: tuple[str, ...] = ("cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML")
    arxiv_page_size: int = 500
    arxiv_min_interval: float = 3.0  # seconds between requests, per the arXiv API terms of use
    # HTTP: the whole response (connect to last byte) must arrive within http_timeout seconds;
    # failed attempts are retried http_retries times, waiting a random time up to
    # min(cap, base * 2**retry), or what Retry-After asks when that is at most the cap.
    http_timeout: float = 30.0
    http_retries: int = 5
    http_backoff_base: float = 1.0
    http_backoff_cap: float = 60.0
    # JSONL files dropped here are ingested; they move to processed/ or rejected/ inside it.
    # None means <home>/inbox.
    inbox_dir: Path | None = None
    # Processes extracting batches in parallel (each loads the extractor once); 1 runs them in-process.
    extract_workers: int = min(os.cpu_count() or 1, 4)
    # The synthetic source (benchmarks, crash tests): papers per day, deterministic from the seed.
    synthetic_seed: int = 13
    synthetic_papers_per_day: int = 1000
    # What DuckDB may hold in memory in each pipeline connection and in dbt's; past it, it spills to disk.
    duckdb_memory_limit: str = "2GB"

    def __post_init__(self) -> None:
        if any(age < 1 for age in self.hf_refresh_days):
            raise ValueError(f"HF refresh ages are whole days of at least 1, not {self.hf_refresh_days}")
        if self.inbox_dir is None:
            object.__setattr__(self, "inbox_dir", self.home / "inbox")

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        categories = [c.strip() for c in env.get("PAPERPULSE_ARXIV_CATEGORIES", "").split(",") if c.strip()]
        inbox = env.get("PAPERPULSE_INBOX_DIR")
        refresh = env.get("PAPERPULSE_HF_REFRESH_DAYS")  # set but empty: no refreshes
        return cls(
            home=Path(env.get("PAPERPULSE_HOME", "warehouse")).resolve(),
            # The bundled page shows "Mar 11" without a year; this says which year it is.
            trending_year=int(env.get("PAPERPULSE_TRENDING_YEAR", "2024")),
            extract_batch_size=int(env.get("PAPERPULSE_EXTRACT_BATCH_SIZE", "2000")),
            hf_api_url=env.get("PAPERPULSE_HF_API_URL", cls.hf_api_url).rstrip("/"),
            hf_page_size=int(env.get("PAPERPULSE_HF_PAGE_SIZE", cls.hf_page_size)),
            hf_refresh_days=cls.hf_refresh_days
            if refresh is None
            else tuple(int(age) for age in refresh.split(",") if age.strip()),
            arxiv_api_url=env.get("PAPERPULSE_ARXIV_API_URL", cls.arxiv_api_url).rstrip("/"),
            arxiv_categories=tuple(categories) or cls.arxiv_categories,
            arxiv_page_size=int(env.get("PAPERPULSE_ARXIV_PAGE_SIZE", cls.arxiv_page_size)),
            arxiv_min_interval=float(env.get("PAPERPULSE_ARXIV_MIN_INTERVAL", cls.arxiv_min_interval)),
            http_timeout=float(env.get("PAPERPULSE_HTTP_TIMEOUT", cls.http_timeout)),
            http_retries=int(env.get("PAPERPULSE_HTTP_RETRIES", cls.http_retries)),
            http_backoff_base=float(env.get("PAPERPULSE_HTTP_BACKOFF_BASE", cls.http_backoff_base)),
            http_backoff_cap=float(env.get("PAPERPULSE_HTTP_BACKOFF_CAP", cls.http_backoff_cap)),
            inbox_dir=Path(inbox).resolve() if inbox else None,
            extract_workers=int(env.get("PAPERPULSE_EXTRACT_WORKERS", cls.extract_workers)),
            synthetic_seed=int(env.get("PAPERPULSE_SYNTHETIC_SEED", cls.synthetic_seed)),
            synthetic_papers_per_day=int(
                env.get("PAPERPULSE_SYNTHETIC_PAPERS_PER_DAY", cls.synthetic_papers_per_day)
            ),
            duckdb_memory_limit=env.get("PAPERPULSE_DUCKDB_MEMORY_LIMIT", cls.duckdb_memory_limit),
        )

    @property
    def duckdb_config(self) -> dict[str, str]:
        """The configuration of every DuckDB connection the pipeline writes through."""
        return {"memory_limit": self.duckdb_memory_limit}

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
    def inbox_processed_dir(self) -> Path:
        return self.inbox_dir / "processed"

    @property
    def inbox_rejected_dir(self) -> Path:
        return self.inbox_dir / "rejected"

    @property
    def staging_dir(self) -> Path:
        """Scratch space for extraction batches (Parquet) before they load into the build file."""
        return self.home / "staging"
