"""`paperpulse bench`: its settings, and the real-listings benchmark skipping clearly without its folder."""

from __future__ import annotations

from paperpulse import bench
from tests.conftest import run_cli


def test_bench_settings_are_the_environments_with_the_benchmarks_home_and_corpus(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERPULSE_EXTRACT_WORKERS", "3")
    settings = bench.bench_settings(tmp_path / "big", 250)
    assert (settings.home, settings.inbox_dir) == (tmp_path / "big", tmp_path / "big" / "inbox")
    assert (settings.synthetic_papers_per_day, settings.extract_batch_size) == (250, bench.EXTRACT_BATCH_SIZE)
    assert settings.extract_workers == 3


def test_the_listings_benchmark_says_it_skipped_when_its_folder_is_absent(tmp_path):
    missing = tmp_path / "no-listings"
    completed = run_cli(tmp_path / "warehouse", "bench", "--listings", str(missing))
    assert (
        completed.stdout.strip() == f"paperpulse bench --listings: skipped, no listings folder at {missing}"
    )
    assert not (tmp_path / "warehouse").exists()
