"""Mentions: typed character spans of the abstract, and how overlapping candidates are resolved."""

from __future__ import annotations

from dataclasses import dataclass

# Which rule proposed a mention; on equal length, the more trusted source wins an overlap.
SOURCE_RANK = {"lexicon": 4, "shape": 3, "definition": 3, "context": 2, "coined": 1, "learned": 0}
# Sources whose candidates a longer, vaguer context candidate may not swallow ("MS-COCO" in "MS-COCO T2I").
FIRM_SOURCES = ("lexicon", "shape")


@dataclass(slots=True)
class Mention:
    type: str  # model | dataset | metric
    start: int
    end: int
    surface: str
    canonical: str
    source: str
    family: str | None = None
    size: str | None = None

    @property
    def length(self) -> int:
        return self.end - self.start


def resolve_overlaps(candidates: list[Mention]) -> list[Mention]:
    """Keep the longest of overlapping candidates (then the most trusted), in text order."""
    if not candidates:
        return []
    ranked = sorted(candidates, key=lambda m: (-m.length, -SOURCE_RANK[m.source], m.start))
    kept: list[Mention] = []
    taken = bytearray(max(m.end for m in candidates))
    for mention in ranked:
        if 1 in taken[mention.start : mention.end]:
            continue
        kept.append(mention)
        taken[mention.start : mention.end] = b"\x01" * mention.length
    kept.sort(key=lambda m: m.start)
    return kept
