"""Running the extractor over JSONL files: streamed line by line, so memory stays flat."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from tqdm import tqdm

from extract.extractor import Extractor

# spaCy refuses texts over a million characters; no abstract comes near.
MAX_ABSTRACT_CHARS = 1_000_000


@dataclass
class RunSummary:
    papers: int = 0
    bad_lines: int = 0


def paper_or_error(line: str) -> tuple[dict | None, str | None]:
    """The paper on a JSONL line, or why the line cannot be one."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        return None, f"not valid JSON ({error.msg} at column {error.colno})"
    if not isinstance(record, dict):
        return None, "not a JSON object"
    if record.get("id") in (None, ""):
        return None, 'missing "id"'
    if not isinstance(record.get("abstract"), str):
        return None, 'missing "abstract" or not a string'
    if len(record["abstract"]) > MAX_ABSTRACT_CHARS:
        return None, f"abstract longer than {MAX_ABSTRACT_CHARS:,} characters"
    title = record.get("title")
    if title is not None and not isinstance(title, str):
        return None, '"title" is not a string'
    return {"id": record["id"], "title": title or "", "abstract": record["abstract"]}, None


def read_papers(lines: IO[str], summary: RunSummary, errors: IO[str]) -> Iterator[dict]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        paper, error = paper_or_error(line)
        if error:
            summary.bad_lines += 1
            print(f"line {number}: {error}; skipped", file=errors)
            continue
        yield paper


def extract_stream(
    extractor: Extractor, lines: IO[str], output: IO[str], errors: IO[str] | None = None
) -> RunSummary:
    """Each paper of `lines` extracted onto `output`; a bad line is named on `errors` (stderr as it is at the
    call, not at import: the command line may run in a process whose stderr is replaced)."""
    errors = errors or sys.stderr
    summary = RunSummary()
    progress = tqdm(unit=" papers", disable=not errors.isatty(), file=errors)
    for prediction in extractor.extract(read_papers(lines, summary, errors)):
        output.write(json.dumps(prediction, ensure_ascii=False) + "\n")
        summary.papers += 1
        progress.update()
    progress.close()
    return summary
