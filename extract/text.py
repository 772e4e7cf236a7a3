"""Plain-text helpers shared by the components: sentence spans."""

from __future__ import annotations

import re

# A sentence ends at . ! or ? followed by space and a capital, digit, quote or bracket, except after
# abbreviations that abstracts use mid-sentence.
# (Patterns here start with a rare character class rather than a lookbehind: Python's regex engine then
# skips ahead quickly instead of trying every position.)
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+(?=[A-Z0-9\"'(\[])")
_NO_BREAK_AFTER = re.compile(
    r"(?:\b(?:e\.g|i\.e|et al|etc|vs|cf|Fig|Figs|Eq|Eqs|Sec|Tab|approx|resp|w\.r\.t|a\.k\.a|No|Dr|Mr|Ms|St)\."
    r"|\b[A-Z]\.)$"
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences of `text`."""
    spans = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if _NO_BREAK_AFTER.search(text, max(0, match.start() - 12), match.start() + 1):
            continue
        spans.append((start, match.start() + 1))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text.rstrip())))
    return [(s, e) for s, e in spans if e > s]
