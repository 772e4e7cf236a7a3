"""Plain-text helpers shared by the components: sentence spans and fast literal search.

Scanning a whole abstract with a regex costs Python's engine about 10 ns a character; `str.find` skips
ahead in C. So the components find literal cues first (". ", "we ", " on ") and run patterns only there.
"""

from __future__ import annotations

import re

# A sentence ends at . ! or ? followed by space and a capital, digit, quote or bracket, except after
# abbreviations that abstracts use mid-sentence.
_RARE_STOPS = ("? ", "! ", '." ', ".) ")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+(?=[A-Z0-9\"'(\[])")
_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "al",
        "etc",
        "vs",
        "cf",
        "Fig",
        "Figs",
        "Eq",
        "Eqs",
        "Sec",
        "Tab",
        "approx",
        "resp",
        "w.r.t",
        "a.k.a",
        "No",
        "Dr",
        "Mr",
        "Ms",
        "St",
    ]
)


def _is_abbreviation(before: str) -> bool:
    """Whether the word before a period is an abbreviation ("e.g.", "et al.") or an initial ("J.")."""
    word = before.rsplit(None, 1)[-1] if before.strip() else ""
    word = word.lstrip("([\"'")
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isupper())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences of `text`."""
    stops = find_all(text, ". ")
    if "? " in text or "! " in text or '." ' in text or ".) " in text:
        stops = sorted(stops + find_any(text, _RARE_STOPS))
    spans = []
    start = 0
    for stop in stops:
        if stop < start:
            continue
        if text[stop + 1 : stop + 2] == " ":
            following = text[stop + 2 : stop + 3]
            if not (following.isupper() or following.isdigit() or following in "\"'([") or not following:
                continue
            end = stop + 2
        else:
            match = _SENTENCE_END.match(text, stop)
            if match is None:
                continue
            end = match.end()
        if text[stop] == "." and _is_abbreviation(text[max(0, stop - 8) : stop]):
            continue
        spans.append((start, stop + 1))
        start = end
    if start < len(text):
        spans.append((start, len(text.rstrip())))
    return [(s, e) for s, e in spans if e > s]


def find_all(text: str, literal: str) -> list[int]:
    """Every start of `literal` in `text`: str.find skips ahead in C, far faster than a regex scan."""
    starts = []
    start = text.find(literal)
    while start != -1:
        starts.append(start)
        start = text.find(literal, start + 1)
    return starts


def find_any(text: str, literals: tuple[str, ...]) -> list[int]:
    """Every start of any of `literals`, in text order."""
    starts = [start for literal in literals if literal in text for start in find_all(text, literal)]
    starts.sort()
    return starts
