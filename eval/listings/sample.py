"""Draw the abstracts of the listings gold from ../shared/data/arxiv_listings (run once; the draw is fixed by
its seed, so running it again gives the same ids).

- Months: every month of the listings except HELD_OUT_MONTHS, which stay unannotated: the leaderboard
  rows of those months are judged against their evidence instead (eval/listings/README.md).
- 400 abstracts drawn at random among those with a percentage or a decimal number (the only ones that can
  hold a result; 31% of all), and 80 drawn at random among all, so entities are also scored on abstracts
  with no number.
- Split once, by the draw's order: test 150, dev 100, train 230.

    python eval/listings/sample.py ../shared/data/arxiv_listings eval/listings/splits.json
"""

from __future__ import annotations

import gzip
import json
import random
import re
import sys
from pathlib import Path

SEED = 20261207
HELD_OUT_MONTHS = ("2025-03", "2025-09", "2026-01")
WITH_NUMBERS, ANY = 400, 80
SPLITS = (("test", 150), ("dev", 100), ("train", 230))
RESULT_LIKE_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?%|(?<![\w.])\d+\.\d+(?![\w.])")


def listings(folder: Path) -> list[dict]:
    rows, seen = [], set()
    for path in sorted(folder.glob("*.jsonl.gz")):
        month = path.name[:7]
        if month in HELD_OUT_MONTHS:
            continue
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                row = json.loads(line)
                if row["arxiv_id"] not in seen:  # a paper listed twice is drawn once
                    seen.add(row["arxiv_id"])
                    rows.append({**row, "month": month})
    return rows


def draw(rows: list[dict]) -> list[dict]:
    rng = random.Random(SEED)
    numbered = [row for row in rows if RESULT_LIKE_NUMBER.search(row["abstract"])]
    picked = rng.sample(numbered, WITH_NUMBERS)
    taken = {row["arxiv_id"] for row in picked}
    picked += rng.sample([row for row in rows if row["arxiv_id"] not in taken], ANY)
    rng.shuffle(picked)
    return picked


def main(folder: str, out: str) -> None:
    picked = draw(listings(Path(folder)))
    splits, start = {}, 0
    for name, size in SPLITS:
        splits[name] = [row["arxiv_id"] for row in picked[start : start + size]]
        start += size
    Path(out).write_text(json.dumps(splits, indent=1) + "\n", encoding="utf-8")
    print(f"{len(picked)} abstracts: " + ", ".join(f"{k} {len(v)}" for k, v in splits.items()))


if __name__ == "__main__":
    main(*sys.argv[1:3])
