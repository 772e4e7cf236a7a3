from datetime import date

from paperpulse.ingest.sources import Rejected, trending_page
from paperpulse.settings import Settings

CHROME = {
    "new",
    "Get trending papers in your email inbox!",
    "Subscribe",
    "byAK and the research community",
    "Mar 11",
}


def parse_bundled(settings):
    day = trending_page.default_day(settings)
    (payload,) = trending_page.fetch(day, settings)
    return list(trending_page.parse(payload, day, settings))


def test_parses_all_139_papers_and_no_page_chrome(settings):
    papers = parse_bundled(settings)
    assert len(papers) == 139
    assert not [p for p in papers if isinstance(p, Rejected)]
    assert (
        papers[0]["title"] == "Continual Pre-Training of Large Language Models: How to (re)warm your model?"
    )
    assert papers[-1]["title"] == "Pretraining Language Models with Human Preferences"
    titles = {p["title"] for p in papers}
    assert not titles & CHROME
    assert all(len(p["abstract"]) > 200 for p in papers)
    assert len({p["paper_id"] for p in papers}) == 139
    assert {p["source"] for p in papers} == {"trending_page"}


def test_listing_day_comes_from_the_page_and_the_year_setting(settings, monkeypatch):
    assert {p["listed_date"] for p in parse_bundled(settings)} == {"2024-03-11"}
    monkeypatch.setenv("PAPERPULSE_TRENDING_YEAR", "2025")
    assert trending_page.default_day(Settings.from_env()) == date(2025, 3, 11)


def test_paper_ids_are_stable_hashes_of_the_normalised_title(settings):
    first = parse_bundled(settings)[0]
    assert first["paper_id"] == trending_page.paper_id_for(
        "continual pre training of large language models how to re warm your model"
    )
    assert first["paper_id"].startswith("t-")


def test_other_days_have_nothing(settings):
    assert list(trending_page.fetch(date(2024, 3, 12), settings)) == []


def test_a_page_without_a_day_line_is_rejected_not_guessed(settings):
    payload = trending_page.Payload("page.txt", b"Some title\n\nSome abstract " * 3)
    items = list(trending_page.parse(payload, date(2024, 3, 11), settings))
    assert len(items) == 1 and isinstance(items[0], Rejected)
    assert "day line" in items[0].reason
