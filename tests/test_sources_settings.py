"""Source settings come from PAPERPULSE_ environment variables, with defaults for the real feeds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from paperpulse.settings import BUNDLED_LISTINGS, REPO_ROOT, Settings


def test_defaults_point_at_the_real_feeds(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("PAPERPULSE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PAPERPULSE_HOME", str(tmp_path))
    settings = Settings.from_env()
    assert settings.hf_api_url == "https://huggingface.co/api"
    assert settings.arxiv_api_url == "https://export.arxiv.org/api"
    assert settings.arxiv_categories == ("cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML")
    assert settings.arxiv_min_interval == 3.0
    assert (settings.hf_page_size, settings.arxiv_page_size) == (100, 500)
    assert settings.hf_refresh_days == (1, 7)
    assert (settings.http_timeout, settings.http_retries) == (30.0, 5)
    assert (settings.http_backoff_base, settings.http_backoff_cap) == (1.0, 60.0)
    assert settings.inbox_dir == tmp_path / "inbox"
    assert settings.inbox_processed_dir == tmp_path / "inbox" / "processed"
    assert settings.inbox_rejected_dir == tmp_path / "inbox" / "rejected"
    assert settings.listings_dir == BUNDLED_LISTINGS == REPO_ROOT / "data" / "listings"


def test_every_source_setting_can_be_changed(monkeypatch, tmp_path):
    changes = {
        "PAPERPULSE_HF_API_URL": "http://mirror.local/hf/",
        "PAPERPULSE_HF_PAGE_SIZE": "50",
        "PAPERPULSE_HF_REFRESH_DAYS": "2, 3",
        "PAPERPULSE_ARXIV_API_URL": "http://mirror.local/arxiv",
        "PAPERPULSE_ARXIV_CATEGORIES": " cs.CL, cs.IR ,,",
        "PAPERPULSE_ARXIV_PAGE_SIZE": "100",
        "PAPERPULSE_ARXIV_MIN_INTERVAL": "0.5",
        "PAPERPULSE_HTTP_TIMEOUT": "10",
        "PAPERPULSE_HTTP_RETRIES": "2",
        "PAPERPULSE_HTTP_BACKOFF_BASE": "0.5",
        "PAPERPULSE_HTTP_BACKOFF_CAP": "8",
        "PAPERPULSE_INBOX_DIR": str(tmp_path / "drop"),
        "PAPERPULSE_LISTINGS_DIR": str(tmp_path / "listings"),
    }
    for name, value in changes.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    assert settings.hf_api_url == "http://mirror.local/hf"
    assert settings.hf_page_size == 50
    assert settings.hf_refresh_days == (2, 3)
    assert settings.arxiv_api_url == "http://mirror.local/arxiv"
    assert settings.arxiv_categories == ("cs.CL", "cs.IR")
    assert (settings.arxiv_page_size, settings.arxiv_min_interval) == (100, 0.5)
    assert (settings.http_timeout, settings.http_retries) == (10.0, 2)
    assert (settings.http_backoff_base, settings.http_backoff_cap) == (0.5, 8.0)
    assert settings.inbox_dir == tmp_path / "drop"
    assert settings.listings_dir == tmp_path / "listings"


def test_settings_built_by_hand_need_only_the_original_fields():
    settings = Settings(home=Path("/srv/pp"), trending_year=2024, extract_batch_size=10)
    assert settings.inbox_dir == Path("/srv/pp/inbox")
    assert settings.arxiv_min_interval == 3.0


def test_hf_refreshes_can_be_turned_off_and_ages_must_be_whole_days(monkeypatch, tmp_path):
    monkeypatch.setenv("PAPERPULSE_HOME", str(tmp_path))
    monkeypatch.setenv("PAPERPULSE_HF_REFRESH_DAYS", "")
    assert Settings.from_env().hf_refresh_days == ()
    monkeypatch.setenv("PAPERPULSE_HF_REFRESH_DAYS", "0,7")
    with pytest.raises(ValueError, match="whole days of at least 1"):
        Settings.from_env()


def test_a_bad_value_names_its_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("PAPERPULSE_HOME", str(tmp_path))
    monkeypatch.setenv("PAPERPULSE_HTTP_RETRIES", "five")
    monkeypatch.setenv("PAPERPULSE_EXTRACT_BATCH_SIZE", "0")
    with pytest.raises(ValueError) as error:
        Settings.from_env()
    assert "PAPERPULSE_HTTP_RETRIES='five'" in str(error.value)
    assert "PAPERPULSE_EXTRACT_BATCH_SIZE='0'" in str(error.value)
