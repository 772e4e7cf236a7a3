"""Extraction throughput and memory: `python -m extract.training.bench` (or `make bench-extract`).

Builds corpora of synthetic abstracts from the bundled trending-papers page, generated as they are
consumed, and times, in one process on one core, a bare spacy.blank("en") tokenizer and the extractor over
the same texts. Two corpora:

- `shuffled`: each abstract a seeded shuffle of sentences drawn from all bundled abstracts. Every word
  recurs, so after the first few thousand abstracts spaCy's tokenizer cache serves nearly every word and
  the bare tokenizer looks faster than it is on new text;
- `realistic`: the same, but every number and half of the name-like words (capitals or digits inside:
  `LLaMA-7B`, `MMLU`) are replaced by fresh ones of the same shape (random digits, random letters of the
  same case), so, as in a real stream, each abstract brings names and numbers neither side has seen. The two
alternate chunk by chunk and each is charged the CPU time of its own chunks (time.process_time), so a
busy machine slows both alike and per-core throughput is what is reported. Each corpus size runs in a
fresh process so its peak memory (max RSS) is its own; equal peaks across sizes show that memory is flat
in corpus size. Both sides free the strings each chunk adds to spaCy's vocabulary (a memory zone for every
chunk after the first), as the extractor does on a stream. Prints figures only.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import string
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import date
from itertools import islice

import spacy

from extract.text import sentence_spans
from paperpulse.ingest.sources import Payload, trending_page
from paperpulse.settings import BUNDLED_PAGE, Settings


def bundled_papers() -> list[dict]:
    settings = Settings(home=BUNDLED_PAGE.parent, trending_year=2024, extract_batch_size=1000)
    records = trending_page.parse(Payload("page.txt", BUNDLED_PAGE.read_bytes()), date(2024, 3, 11), settings)
    return [r for r in records if isinstance(r, dict)]


def synthetic_papers(count: int, seed: int = 13) -> Iterator[dict]:
    """`count` abstracts, each as many sentences as a bundled abstract, drawn from all of them."""
    papers = bundled_papers()
    sentences = [p["abstract"][s:e] for p in papers for s, e in sentence_spans(p["abstract"])]
    lengths = [len(sentence_spans(p["abstract"])) for p in papers]
    rng = random.Random(seed)
    for index in range(count):
        template = papers[index % len(papers)]
        abstract = " ".join(rng.choice(sentences) for _ in range(lengths[index % len(papers)]))
        yield {"id": f"bench-{index}", "title": template["title"], "abstract": abstract}


_NUMBER_WORD = re.compile(r"\d+(?:[.,]\d+)*")
_PUNCT = "()[]{},.;:!?\"'"


def _fresh(word: str, rng: random.Random) -> str:
    """A word of the same shape with new letters and digits: `LLaMA-7B` -> `QWuPE-3K`."""
    out = []
    for c in word:
        if c.isdigit():
            out.append(rng.choice("123456789" if not out or not out[-1].isdigit() else "0123456789"))
        elif c.isupper() and c.isascii():
            out.append(rng.choice(string.ascii_uppercase))
        elif c.islower() and c.isascii():
            out.append(rng.choice(string.ascii_lowercase))
        else:
            out.append(c)
    return "".join(out)


def _is_name_like(core: str) -> bool:
    return any(c.isalpha() for c in core) and (
        any(c.isdigit() for c in core) or sum(c.isupper() for c in core) >= 2
    )


def realistic_papers(count: int, seed: int = 13) -> Iterator[dict]:
    """Like `synthetic_papers`, with every number and half of the name-like words made new."""
    rng = random.Random(seed + 1)
    for paper in synthetic_papers(count, seed):
        words = []
        for word in paper["abstract"].split(" "):
            core = word.strip(_PUNCT)
            if core and (_NUMBER_WORD.fullmatch(core) or (_is_name_like(core) and rng.random() < 0.5)):
                word = word.replace(core, _fresh(core, rng), 1)
            words.append(word)
        yield {**paper, "abstract": " ".join(words)}


CORPORA = {"shuffled": synthetic_papers, "realistic": realistic_papers}


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


CHUNK = 1024  # the extractor's memory-zone size


def measure(count: int, corpus: str = "shuffled", learned: bool = False) -> dict:
    from extract.extractor import load
    from extract.names import NameScorer

    blank = spacy.blank("en")
    loading = time.perf_counter()
    extractor = load(scorer=NameScorer.load()) if learned else load()
    load_seconds = time.perf_counter() - loading
    tokenizer_seconds = extractor_seconds = 0.0
    tokens = mentions = results = 0
    papers = CORPORA[corpus](count)
    first = True
    while chunk := list(islice(papers, CHUNK)):
        started = time.process_time()
        # The same memory treatment as the extractor's: a zone for every chunk after the first.
        with nullcontext() if first else blank.memory_zone():
            tokens += sum(len(doc) for doc in blank.pipe((p["abstract"] for p in chunk), batch_size=256))
        tokenizer_seconds += time.process_time() - started
        first = False
        started = time.process_time()
        for prediction in extractor.extract(chunk):
            mentions += len(prediction["entities"])
            results += len(prediction["results"])
        extractor_seconds += time.process_time() - started
    return {
        "corpus": corpus,
        "papers": count,
        "tokens": tokens,
        "tokenizer_per_second": count / tokenizer_seconds,
        "extractor_per_second": count / extractor_seconds,
        "ratio": tokenizer_seconds / extractor_seconds,
        "load_seconds": load_seconds,
        "mentions": mentions,
        "results": results,
        "peak_rss_mb": max_rss_mb(),
    }


def measure_distinct() -> dict:
    """The bundled abstracts once each, in a fresh process: no cache has seen them."""
    from extract.extractor import load

    papers = [{"id": p["paper_id"], "title": p["title"], "abstract": p["abstract"]} for p in bundled_papers()]
    blank = spacy.blank("en")
    extractor = load()
    started = time.process_time()
    list(blank.pipe(p["abstract"] for p in papers))
    tokenizer_seconds = time.process_time() - started
    started = time.process_time()
    list(extractor.extract(papers))
    extractor_seconds = time.process_time() - started
    return {
        "papers": len(papers),
        "tokenizer_per_second": len(papers) / tokenizer_seconds,
        "extractor_per_second": len(papers) / extractor_seconds,
        "ratio": tokenizer_seconds / extractor_seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000", help="corpus sizes, comma-separated")
    parser.add_argument(
        "--corpora",
        default="shuffled,realistic",
        help=f"which corpora, comma-separated ({', '.join(CORPORA)})",
    )
    parser.add_argument(
        "--learned", action="store_true", help="with the learned name scorer (off by default on abstracts)"
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", default="shuffled", help=argparse.SUPPRESS)
    parser.add_argument("--distinct", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.corpus, args.learned)))
        return 0
    if args.distinct:
        print(json.dumps(measure_distinct()))
        return 0
    scorer = " with the learned name scorer" if args.learned else ""
    print(f"extraction benchmark, one process on one core (CPU time), extractor {_version()}{scorer}")
    header = f"{'corpus':<10}{'abstracts':>10}{'tokenizer/s':>13}{'extractor/s':>13}{'ratio':>8}"
    print(header + f"{'peak MB':>9}{'load s':>8}{'mentions':>10}{'results':>9}")
    runs = [(corpus, int(size)) for corpus in args.corpora.split(",") for size in args.sizes.split(",")]
    for corpus, size in runs:
        child = subprocess.run(
            [sys.executable, "-m", "extract.training.bench", "--child", str(size), "--corpus", corpus]
            + (["--learned"] if args.learned else []),
            capture_output=True,
            text=True,
        )
        if child.returncode != 0:
            print(child.stderr, file=sys.stderr)
            return child.returncode
        f = json.loads(child.stdout)
        print(
            f"{f['corpus']:<10}{f['papers']:>10}{f['tokenizer_per_second']:>13.0f}{f['extractor_per_second']:>13.0f}"
            f"{f['ratio']:>8.2f}{f['peak_rss_mb']:>9.0f}{f['load_seconds']:>8.2f}{f['mentions']:>10}{f['results']:>9}"
        )
    print("ratio = extractor throughput / bare spacy.blank('en') tokenizer throughput over the same texts")
    child = subprocess.run(
        [sys.executable, "-m", "extract.training.bench", "--distinct"], capture_output=True, text=True
    )
    if child.returncode == 0:
        f = json.loads(child.stdout)
        print(
            f"distinct texts (the {f['papers']} bundled abstracts, each once, fresh process): "
            f"tokenizer {f['tokenizer_per_second']:.0f}/s, extractor {f['extractor_per_second']:.0f}/s, "
            f"ratio {f['ratio']:.2f}"
        )
        print(
            "  (the synthetic corpus repeats the bundled sentences, so the tokenizer's cache serves most of"
            " it; on text it has not seen the tokenizer is slower and the ratio higher)"
        )
    return 0


def _version() -> str:
    from extract.extractor import EXTRACTOR_VERSION

    return EXTRACTOR_VERSION


if __name__ == "__main__":
    sys.exit(main())
