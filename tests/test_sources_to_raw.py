"""The live sources through the existing landing and raw tables, in a real DuckDB file.

Not the pipeline's integration (raw loading is built elsewhere): a check that what the sources
return lands, parses and loads as the raw layer expects, and that one paper from two sources is
one row with the same content hash.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import duckdb

from paperpulse.ingest import landing, raw
from paperpulse.ingest.sources import get
from paperpulse.warehouse.connection import ensure_schema
from tests.fault_server import FaultServer, Reply, settings_for

FIXTURES = Path(__file__).parent / "fixtures"
HF_PAGE = (FIXTURES / "hf_daily_papers_2items.raw.json").read_bytes()
ARXIV_FEED = re.sub(
    rb"totalResults>\d+<", b"totalResults>1<", (FIXTURES / "arxiv_api_new_format_2025-11.xml").read_bytes()
)
DAY = date(2024, 10, 25)


def the_arxiv_paper_as_hf_lists_it() -> dict:
    """The arXiv fixture's paper in an HF item, its summary hard-wrapped the way HF serves them."""
    title = "Avoiding common pitfalls and misconceptions in extractions of the proton radius"
    summary = (
        "In a series of recent publications, different authors produce a wide range of\n"
        "electron radii when reanalyzing electron proton scattering data. In the light of\n"
        "the proton radius puzzle, this is a most unfortunate situation. However, we find\n"
        "flaws in most analyses that result in radii around 0.84 fm. In this paper, we\n"
        "explain our reasoning and try to illustrate the most common pitfalls."
    )
    return {"paper": {"id": "1606.02159", "title": title, "summary": summary, "upvotes": 3}, "title": title}


def load(settings, source: str) -> raw.LoadStats:
    files, _ = landing.land(settings, source, DAY)
    module = get(source)
    parsed = [(f.name, item) for f in files for item in module.parse(landing.read_payload(f), DAY, settings)]
    with duckdb.connect(str(settings.build_db)) as con:
        ensure_schema(con)
        return raw.load_batch(con, raw.prepare_batch(source, DAY.isoformat(), parsed))


def test_hf_and_arxiv_land_and_load_into_one_row_per_paper(tmp_path):
    broken = {"paper": {"id": "2410.99999", "title": "No summary"}, "title": "No summary"}
    hf_pages = [HF_PAGE, json.dumps([the_arxiv_paper_as_hf_lists_it(), broken]).encode(), b"[]"]
    with FaultServer() as server:
        server.route("/daily_papers", lambda r: Reply(200, hf_pages[int(r.query["p"])]))
        server.script("/query", Reply(200, ARXIV_FEED))
        settings = settings_for(tmp_path, server.url, hf_page_size=2)
        settings.home.mkdir(exist_ok=True)

        hf = load(settings, "hf_daily")
        arxiv = load(settings, "arxiv")
        again = load(settings, "hf_daily")  # landed: read from landing, not fetched

    assert (hf.new, hf.quarantined) == (3, 1)
    assert (arxiv.new, arxiv.changed, arxiv.unchanged) == (
        0,
        0,
        1,
    )  # same title and abstract after unwrapping
    assert (again.new, again.changed, again.unchanged) == (0, 0, 3)
    assert len(server.hits("/daily_papers")) == 3
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        assert con.sql("select paper_id from raw.papers order by 1").fetchall() == [
            ("1606.02159",),
            ("2410.16251",),
            ("2410.17243",),
        ]
        listings = con.sql(
            "select source, extra->>'$.upvotes', extra->>'$.version' from raw.paper_listings "
            "where paper_id = '1606.02159' order by source"
        ).fetchall()
        assert listings == [("arxiv", None, "v1"), ("hf_daily", "3", None)]
        assert con.sql("select landed_file, reason from raw.quarantine").fetchall() == [
            ("p0001.json", "p0001.json: item 1: missing field paper.summary")
        ]
