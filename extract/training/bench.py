"""Extraction throughput and memory on real abstracts: `python -m extract.training.bench [PATH]` (or
`make bench-extract`).

Reads JSON Lines of papers ({"id" or "arxiv_id", "title", "abstract"}; gzipped when the name ends in .gz),
by default a month of the real arXiv listings (`../shared/data/arxiv_listings/2025-02.jsonl.gz` beside the
repository; skipped with a message when absent), keeps each distinct abstract once, and runs over them, each
in a fresh process, a bare `spacy.blank("en")` tokenizer and the extractor. A side's figure is its whole
process: the CPU time from the interpreter's start to its exit (imports, loading the pipeline and reading
the file included), so abstracts/s is per core and a busy machine slows both sides alike; peak memory is
the process's max RSS. Both sides free the strings each chunk of 1,024 abstracts adds to spaCy's
vocabulary (a memory zone for every chunk after the first), as the extractor does on a stream. Distinct
texts mean that neither side's caches are served by repeats, as on a real daily stream.

Imports neither spaCy nor the extractor itself: the two sides run in child processes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import nullcontext
from itertools import islice
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_LISTINGS = REPO.parent / "shared" / "data" / "arxiv_listings" / "2025-02.jsonl.gz"
CHUNK = 1024  # the extractor's memory-zone size
SIDES = ("tokenizer", "extractor")


def read_papers(path: Path, limit: int | None = None) -> Iterator[dict]:
    """The papers of a JSON Lines file (gzipped or not), each distinct abstract once, as the extractor
    takes them: {"id", "title", "abstract"}."""
    seen: set[str] = set()
    opener = gzip.open if path.name.endswith(".gz") else open
    count = 0
    with opener(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if limit is not None and count >= limit:
                return
            if not line.strip():
                continue
            record = json.loads(line)
            abstract = record.get("abstract")
            if not isinstance(abstract, str) or not abstract or abstract in seen:
                continue
            seen.add(abstract)
            count += 1
            paper_id = record.get("id") or record.get("arxiv_id") or f"line-{count}"
            yield {"id": paper_id, "title": record.get("title") or "", "abstract": abstract}


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def run_side(side: str, path: Path, limit: int | None, learned: bool) -> dict:
    """One side over the papers, in this (fresh) process."""
    import spacy

    papers = read_papers(path, limit)
    count = tokens = mentions = results = 0
    version = None
    if side == "tokenizer":
        nlp = spacy.blank("en")
        started = time.process_time()
        first = True
        while chunk := [p["abstract"] for p in islice(papers, CHUNK)]:
            # The same memory treatment as the extractor's: a zone for every chunk after the first.
            with nlp.memory_zone() if not first else nullcontext():
                tokens += sum(len(doc) for doc in nlp.pipe(chunk, batch_size=256))
            count += len(chunk)
            first = False
    else:
        from extract.extractor import load

        if learned:
            from extract.names import NameScorer

            extractor = load(scorer=NameScorer.load())
        else:
            extractor = load()
        version = extractor.version
        started = time.process_time()
        for prediction in extractor.extract(papers):
            count += 1
            mentions += len(prediction["entities"])
            results += len(prediction["results"])
    return {
        "side": side,
        "papers": count,
        "tokens": tokens,
        "mentions": mentions,
        "results": results,
        "startup_seconds": started,  # CPU time of the process before the first abstract
        "peak_rss_mb": max_rss_mb(),
        "version": version,
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(side: str, path: Path, limit: int | None, learned: bool) -> dict:
    """Run one side in a fresh process; its whole CPU time (start-up included) from the parent's view."""
    command = [sys.executable, "-m", "extract.training.bench", str(path), "--side", side]
    command += ["--limit", str(limit)] if limit is not None else []
    command += ["--learned"] if learned else []
    before = _children_cpu()
    child = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    cpu = _children_cpu() - before
    if child.returncode != 0:
        raise RuntimeError(f"the {side} side failed:\n{child.stderr}")
    figures = json.loads(child.stdout)
    figures["cpu_seconds"] = cpu
    figures["per_second"] = figures["papers"] / cpu
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "path", nargs="?", type=Path, default=DEFAULT_LISTINGS, help="JSON Lines of papers (.jsonl[.gz])"
    )
    parser.add_argument("--limit", type=int, help="at most this many distinct abstracts")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each side, alternating")
    parser.add_argument(
        "--learned", action="store_true", help="with the learned name scorer (off by default on abstracts)"
    )
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.path.is_file():
        print(
            f"extraction benchmark skipped: no listings at {args.path} "
            "(pass a JSON Lines file of papers with an abstract each)",
            file=sys.stderr,
        )
        return 0
    if args.side:
        print(json.dumps(run_side(args.side, args.path, args.limit, args.learned)))
        return 0
    runs: dict[str, list[dict]] = {side: [] for side in SIDES}
    for _ in range(args.repeats):
        for side in SIDES:
            runs[side].append(measure(side, args.path, args.limit, args.learned))
    papers = runs["extractor"][0]["papers"]
    scorer = ", with the learned name scorer" if args.learned else ""
    print(
        f"extraction benchmark: {papers:,} distinct abstracts of {args.path.name}, each side a fresh process "
        f"on one core (CPU time, start-up included); extractor {runs['extractor'][0]['version']}{scorer}"
    )
    print(
        f"{'side':<10}{'run':>4}{'abstracts/s':>13}{'CPU s':>8}{'start-up s':>12}{'peak MB':>9}"
        f"{'mentions':>10}{'results':>9}"
    )
    for side in SIDES:
        for index, f in enumerate(runs[side], start=1):
            counts = f"{f['mentions']:>10}{f['results']:>9}" if side == "extractor" else ""
            print(
                f"{side:<10}{index:>4}{f['per_second']:>13.0f}{f['cpu_seconds']:>8.2f}"
                f"{f['startup_seconds']:>12.2f}{f['peak_rss_mb']:>9.0f}{counts}"
            )
    tokenizer = statistics.median(f["per_second"] for f in runs["tokenizer"])
    extractor = statistics.median(f["per_second"] for f in runs["extractor"])
    print(
        f"median abstracts/s: tokenizer {tokenizer:.0f}, extractor {extractor:.0f}; "
        f"ratio (extractor / bare tokenizer) {extractor / tokenizer:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
