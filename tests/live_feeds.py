"""What the fault server answers in place of the live sources: HF daily-papers pages and arXiv Atom
feeds built on the real samples in tests/fixtures, for any papers and days a test lists."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from tests.fault_server import Reply, Request

FIXTURES = Path(__file__).parent / "fixtures"
HF_SAMPLE = json.loads((FIXTURES / "hf_daily_papers_2items.raw.json").read_bytes())
ARXIV_SAMPLE = (FIXTURES / "arxiv_api_new_format_2025-11.xml").read_text()
_SUBMITTED = re.compile(r"submittedDate:\[(\d{4})(\d{2})(\d{2})0000 TO")


@dataclass
class Paper:
    arxiv_id: str
    title: str
    abstract: str
    upvotes: int = 0


def hf_item(paper: Paper) -> dict:
    """The sample's first item as another paper; HF hard-wraps paper.title and paper.summary."""
    item = copy.deepcopy(HF_SAMPLE[0])
    item["paper"].update(
        id=paper.arxiv_id,
        title=_wrap(paper.title),
        summary=_wrap(paper.abstract),
        upvotes=paper.upvotes,
    )
    item["title"] = paper.title
    return item


def _wrap(text: str, width: int = 70) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line])


def json_reply(body: object) -> Reply:
    return Reply(200, json.dumps(body).encode(), headers={"Content-Type": "application/json"})


def hf_days(listings: Callable[[str], list], faults: Callable[[Request], Reply | None] | None = None):
    """A /daily_papers route serving `listings(day)` (HF items, or anything JSON) paged like the API;
    `faults(request)` may answer instead."""

    def answer(request: Request) -> Reply:
        if faults and (fault := faults(request)):
            return fault
        items = listings(request.query["date"])
        limit, page = int(request.query["limit"]), int(request.query["p"])
        return json_reply(items[page * limit : (page + 1) * limit])

    return answer


def arxiv_entry(paper: Paper) -> str:
    entry = "  <entry>" + ARXIV_SAMPLE.split("  <entry>", 1)[1].split("</entry>", 1)[0] + "</entry>\n"
    entry = entry.replace("1606.02159", paper.arxiv_id)
    entry = re.sub(r"<title>.*?</title>", f"<title>{escape(paper.title)}</title>", entry)
    summary = f"<summary>{escape(paper.abstract)}</summary>"
    return re.sub(r"<summary>.*?</summary>", summary, entry, flags=re.S)


def arxiv_feed(papers: list[Paper], start: int, total: int) -> bytes:
    head = ARXIV_SAMPLE.split("  <entry>", 1)[0]
    head = re.sub(r"totalResults>\d+<", f"totalResults>{total}<", head)
    head = re.sub(r"startIndex>\d+<", f"startIndex>{start}<", head)
    return (head + "".join(arxiv_entry(p) for p in papers) + "</feed>\n").encode()


def arxiv_days(listings: Callable[[str], list[Paper]]):
    """A /query route serving the papers `listings(day)` submitted on the queried day, paged by start."""

    def answer(request: Request) -> Reply:
        year, month, day = _SUBMITTED.search(request.query["search_query"]).groups()
        papers = listings(f"{year}-{month}-{day}")
        start, size = int(request.query["start"]), int(request.query["max_results"])
        return Reply(200, arxiv_feed(papers[start : start + size], start, len(papers)))

    return answer


def live_env(home: Path, url: str, **extra: str) -> dict[str, str]:
    """Environment pointing the `paperpulse` command at the fault server, with tiny waits."""
    return {
        "PAPERPULSE_HOME": str(home),
        "PAPERPULSE_HF_API_URL": url,
        "PAPERPULSE_ARXIV_API_URL": url,
        "PAPERPULSE_ARXIV_MIN_INTERVAL": "0",
        "PAPERPULSE_HTTP_TIMEOUT": "2",
        "PAPERPULSE_HTTP_RETRIES": "3",
        "PAPERPULSE_HTTP_BACKOFF_BASE": "0.01",
        "PAPERPULSE_HTTP_BACKOFF_CAP": "1",
        **extra,
    }
