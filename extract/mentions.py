"""Mentions: typed character spans of the abstract, and how overlapping candidates are resolved."""

from __future__ import annotations

from bisect import bisect_left
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


class ByStart:
    """Mentions indexed by start, to take those of a stretch of text without a scan of them all."""

    def __init__(self, mentions: list[Mention]):
        self.mentions = mentions
        self.order = sorted(range(len(mentions)), key=lambda i: mentions[i].start)  # stable: ties by index
        self._starts = [mentions[i].start for i in self.order]

    def indices_in(self, start: int, end: int) -> list[int]:
        """The indices of the mentions starting in [start, end), ascending."""
        return sorted(self.order[bisect_left(self._starts, start) : bisect_left(self._starts, end)])

    def starting_in(self, start: int, end: int) -> list[Mention]:
        """The mentions starting in [start, end), in the list's order."""
        return [self.mentions[i] for i in self.indices_in(start, end)]
