from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from paperpulse.config import MARTS, Settings

REPO = Path(__file__).resolve().parent.parent
PAPERPULSE = str(Path(sys.executable).with_name("paperpulse"))


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """Settings for an empty warehouse in a temporary home."""
    monkeypatch.setenv("PAPERPULSE_HOME", str(tmp_path / "warehouse"))
    return Settings.from_env()


def run_cli(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the real `paperpulse` entry point against a home folder."""
    env = {**os.environ, "PAPERPULSE_HOME": str(home)}
    completed = subprocess.run([PAPERPULSE, *args], env=env, capture_output=True, text=True, cwd=REPO)
    if check and completed.returncode != 0:
        raise AssertionError(f"paperpulse {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed


def table_counts(db: Path, tables: list[str]) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {table: con.execute(f"select count(*) from {table}").fetchone()[0] for table in tables}


RAW_TABLES = [
    "raw.papers",
    "raw.paper_listings",
    "raw.quarantine",
    "raw.mentions",
    "raw.results",
    "raw.extractions",
]
MART_TABLES = [f"marts.{mart}" for mart in MARTS]


@pytest.fixture(scope="session")
def published_home(tmp_path_factory) -> Path:
    """A warehouse after one full `paperpulse run` on the bundled page (shared, treat as read-only)."""
    home = tmp_path_factory.mktemp("published") / "warehouse"
    run_cli(home, "run")
    return home
