"""Settings: environment variables with a PAPERPULSE_ prefix, typed (pydantic-settings), with sensible
defaults and everything under one home folder. A bad value stops the command naming its variable."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_PAGE = REPO_ROOT / "data" / "trending_papers_page.txt"
BUNDLED_LISTINGS = REPO_ROOT / "data" / "listings"
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
ENV_PREFIX = "PAPERPULSE_"

# Marts copied to the serving file, in the order they are published (the dashboard contract).
MARTS = (
    "dim_papers",
    "dim_models",
    "dim_datasets",
    "dim_metrics",
    "dim_tasks",
    "fct_mentions",
    "fct_benchmark_results",
    "leaderboards",
    "boards",
    "sota_progression",
    "paper_topics",
    "topic_trends",
    "trending_topics",
    "emerging_phrases",
    "entity_weekly_mentions",
    "rising_entities",
    "model_dataset_pairs",
    "leaderboard_improvements",
    "whats_new",
    "search_postings",
)
# Marts with a row set per paper, built incrementally by paper in dbt (macros/incremental.sql): publish
# replaces only the changed papers' rows in them, and splits their Parquet copy into a file per month
# of first listing, so that a day's papers rewrite one month, not the whole mart.
PAPER_MARTS = ("dim_papers", "fct_mentions", "fct_benchmark_results", "paper_topics", "search_postings")

CommaSeparated = Annotated[tuple[str, ...], NoDecode]
CommaSeparatedDays = Annotated[tuple[int, ...], NoDecode]


@dataclass(frozen=True)
class SmtpSettings:
    """Where the digest is mailed (Settings.smtp)."""

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    user: str | None = None
    password: SecretStr | None = None  # shown as ********** in any repr or log
    starttls: bool = True
    allow_plaintext: bool = False  # a password may cross the connection unencrypted (STARTTLS off)

    @property
    def password_in_clear(self) -> bool:
        """Logging in would send the password unencrypted."""
        return bool(self.user and self.password and self.password.get_secret_value()) and not self.starttls


class Settings(BaseSettings):
    """Every field is read from PAPERPULSE_<FIELD> (upper case); keyword arguments win over the
    environment, so code that builds Settings by hand (tests) only names what it changes."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    home: Path = Path("warehouse")
    # The bundled page shows "Mar 11" without a year; this says which year it is.
    trending_year: int = 2024
    extract_batch_size: int = Field(2000, ge=1)
    # Live sources.
    hf_api_url: str = "https://huggingface.co/api"
    hf_page_size: int = Field(100, ge=1)  # the API serves at most 100: more is asked as 100
    # Upvotes grow after a listing: the run for day D asks HF again for the days D-1, D-7 (ages in days),
    # landing each answer beside the day's first one, so every listing gets snapshots at several ages.
    hf_refresh_days: CommaSeparatedDays = (1, 7)
    arxiv_api_url: str = "https://export.arxiv.org/api"
    arxiv_categories: CommaSeparated = ("cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML")
    arxiv_page_size: int = Field(500, ge=1)
    arxiv_min_interval: float = Field(3.0, ge=0)  # seconds between requests, per the arXiv API terms
    # HTTP: the whole response (connect to last byte) must arrive within http_timeout seconds;
    # failed attempts are retried http_retries times, waiting a random time up to
    # min(cap, base * 2**retry), or what Retry-After asks when that is at most the cap.
    http_timeout: float = Field(30.0, gt=0)
    http_retries: int = Field(5, ge=0)
    http_backoff_base: float = Field(1.0, ge=0)
    http_backoff_cap: float = Field(60.0, ge=0)
    # A folder of arXiv listing files, one YYYY-MM.jsonl[.gz] per month (the `listings` source).
    listings_dir: Path = BUNDLED_LISTINGS
    # JSONL files dropped here are ingested; they move to processed/ or rejected/ inside it.
    # None means <home>/inbox.
    inbox_dir: Path | None = None
    # Seconds a file may wait in the inbox under an unfinished name (".x", "x.tmp", "x.part") before each
    # run reports it: the rename that would make it ready may never come.
    inbox_grace: float = Field(3600.0, ge=0)
    # Processes extracting batches in parallel (each loads the extractor once); 1 runs them in-process.
    extract_workers: int = Field(min(os.cpu_count() or 1, 4), ge=1)
    # The synthetic source (benchmarks, crash tests): papers per day, deterministic from the seed.
    synthetic_seed: int = 13
    synthetic_papers_per_day: int = Field(1000, ge=1)
    # What DuckDB may hold in memory in each pipeline connection and in dbt's; past it, it spills to disk.
    duckdb_memory_limit: str = "2GB"
    # Retention (`paperpulse prune`, run by the daily DAG after publish): landed files, inbox files, digests,
    # gate results and quarantine rows older than this many days go.
    keep_days: int = Field(90, ge=1)
    # Longest a dbt build may take before it is stopped (a hang must not hold the build pool forever).
    dbt_timeout: float = Field(3600.0, gt=0)
    # Mail for the digest: unset host, the digest is only written (see `smtp`).
    smtp_host: str = ""
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = ""  # default: the user
    smtp_to: CommaSeparated = ()
    smtp_starttls: bool = True
    # With STARTTLS off, a password would cross the network in clear: refused unless this says so
    # (a relay on localhost or a trusted network).
    smtp_allow_plaintext: bool = False

    @field_validator("arxiv_categories", "hf_refresh_days", "smtp_to", mode="before")
    @classmethod
    def _comma_separated(cls, value):
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("hf_api_url", "arxiv_api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("hf_refresh_days")
    @classmethod
    def _whole_days(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(age < 1 for age in value):
            raise ValueError(f"HF refresh ages are whole days of at least 1, not {value}")
        return value

    @field_validator("arxiv_categories")
    @classmethod
    def _some_categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return value or cls.model_fields["arxiv_categories"].default

    @model_validator(mode="after")
    def _resolve_paths(self) -> Settings:
        object.__setattr__(self, "home", self.home.resolve())
        object.__setattr__(self, "listings_dir", self.listings_dir.resolve())
        inbox = self.inbox_dir.resolve() if self.inbox_dir else self.home / "inbox"
        object.__setattr__(self, "inbox_dir", inbox)
        return self

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Settings from the environment; ValueError naming each bad variable and what is wrong."""
        try:
            return cls(**overrides)
        except ValidationError as error:
            problems = "; ".join(
                f"{ENV_PREFIX}{str(e['loc'][0]).upper()}={e.get('input')!r}: {e['msg']}"
                for e in error.errors()
            )
            raise ValueError(f"bad setting: {problems}") from None

    def replace(self, **changes) -> Settings:
        return self.model_copy(update=changes)

    @property
    def smtp(self) -> SmtpSettings | None:
        """Where to mail the digest; None without a host. ValueError when a host is set without
        recipients or a sender."""
        if not self.smtp_host.strip():
            return None
        sender = self.smtp_from or self.smtp_user
        if not self.smtp_to or not sender:
            raise ValueError(
                "PAPERPULSE_SMTP_HOST is set, so the digest is emailed: set PAPERPULSE_SMTP_TO "
                "(comma-separated addresses) and PAPERPULSE_SMTP_FROM (or PAPERPULSE_SMTP_USER)"
            )
        return SmtpSettings(
            host=self.smtp_host.strip(),
            port=self.smtp_port,
            sender=sender,
            recipients=self.smtp_to,
            user=self.smtp_user or None,
            password=self.smtp_password if self.smtp_password.get_secret_value() else None,
            starttls=self.smtp_starttls,
            allow_plaintext=self.smtp_allow_plaintext,
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
    def gx_dir(self) -> Path:
        """The gates' Great Expectations validation results and Data Docs (the suites are in the repo)."""
        return self.home / "gx"

    @property
    def staging_dir(self) -> Path:
        """Scratch space for extraction batches (Parquet) before they load into the build file."""
        return self.home / "staging"
