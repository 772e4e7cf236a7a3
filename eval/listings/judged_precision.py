"""Leaderboard precision on judged rows: `python -m eval.listings.judged_precision [file ...]`.

Each line of a judged file is one leaderboard row the extractor proposed (`leaderboard` true), judged against
its evidence sentence by a reader under ../GUIDELINES.md (`right`, and `why` when wrong). Prints the share
right with a 95% Wilson interval, and the reasons for wrong rows by kind (the first word of `why`)."""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).parent


def wilson(right: int, total: int, z: float = 1.96) -> tuple[float, float]:
    share = right / total
    centre = (share + z * z / (2 * total)) / (1 + z * z / total)
    spread = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return centre - spread, centre + spread


def main(paths: list[str]) -> None:
    for path in paths or [str(HERE / "judged_heldout.jsonl")]:
        rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]
        right = sum(row["right"] for row in rows)
        low, high = wilson(right, len(rows))
        print(
            f"{path}: {right}/{len(rows)} right, precision {right / len(rows):.3f} (95% {low:.3f}-{high:.3f})"
        )
        reasons = Counter(
            (row.get("why") or "?").split(":")[0].split()[0].split("/")[0].lower()
            for row in rows
            if not row["right"]
        )
        print("  wrong by kind: " + ", ".join(f"{kind} {count}" for kind, count in reasons.most_common()))


if __name__ == "__main__":
    main(sys.argv[1:])
