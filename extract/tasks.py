"""Task mentions ("machine translation", "NER", "text-to-SQL"): how the lexicon's task aliases match, and how
the matches settle into mentions.

The lexicon matcher (`components.LexiconMatcher`) finds task aliases in its one PhraseMatcher pass and keeps
them apart from the other names, as (first token, end token, entry) in `doc.user_data[MATCHES]`; the
`paperpulse_tasks` component (`components.TaskFinder`) settles them (`settle`) and adds them to the mentions,
and under TDMSci's conventions the task CRF (`task_crf.py`) may replace them.

- Aliases written in capitals ("NER", "MT", "G2P") and the one-word aliases of `case_sensitive=yes` entries
  ("SLAM") match only as written; the rest match case-insensitively (`exact_only`).
- A match directly followed by "-word" or by a word such as "based", "augmented" or "pairs" only modifies what
  follows ("retrieval-augmented generation", "classification-based", "QA pairs") and is skipped.
- Overlapping matches settle to the longest.
- Under TDMSci's conventions a match takes in the bracketed acronym after it ("information extraction
  (IE)"), as TDMSci marks it; the guidelines list the two apart.
"""

from __future__ import annotations

import re

from extract.lexicon import Entry, alias_variants

MATCHES = "paperpulse_task_matches"  # doc.user_data: the lexicon's raw task matches


def exact_only(alias: str, entry: Entry) -> bool:
    """Acronyms ("NER", "MT", "G2P") and the one-word aliases of case-sensitive entries match as written."""
    letters = [c for c in alias if c.isalpha()]
    acronym = (
        bool(letters) and not any(c.islower() for c in letters) and " " not in alias and "-" not in alias
    )
    return acronym or (entry.case_sensitive and " " not in alias)


def spellings(entry: Entry) -> tuple[list[str], list[str]]:
    """(variants matched case-insensitively, variants matched only as written) of a task entry's aliases."""
    lower, exact = set(), set()
    for alias in entry.aliases:
        (exact if exact_only(alias, entry) else lower).update(alias_variants(alias, "task"))
    return sorted(lower), sorted(exact)


def canonical_names(entries: list[Entry]) -> dict[str, str]:
    """Lower-cased alias variant -> canonical name (the first entry's, should two share a variant)."""
    names: dict[str, str] = {}
    for entry in entries:
        if entry.type == "task":
            for alias in entry.aliases:
                for variant in alias_variants(alias, "task"):
                    names.setdefault(variant.lower(), entry.canonical)
    return names


def heads_and_modifiers(entries: list[Entry]) -> tuple[frozenset[str], frozenset[str]]:
    """The last words of multi-word task aliases ("translation", "recognition") and their other words
    ("machine", "named", "entity"): features of the task CRF."""
    heads, modifiers = set(), set()
    for entry in entries:
        if entry.type != "task":
            continue
        for alias in entry.aliases:
            words = [w for w in re.split(r"[\s-]+", alias.lower()) if w]
            if len(words) > 1 and not exact_only(alias, entry):
                heads.add(words[-1])
                modifiers.update(words[:-1])
    return frozenset(heads), frozenset(modifiers)


def settle(doc, matches: list[tuple[int, int, Entry]], take_acronyms: bool) -> list[tuple[int, int, Entry]]:
    """The longest non-overlapping matches that modify nothing, in text order; with `take_acronyms`, a match
    followed by a bracketed acronym takes it in ("information extraction (IE)")."""
    found = sorted((m for m in matches if not _modifier(doc, m[1])), key=lambda m: (m[0] - m[1], m[0]))
    taken: set[int] = set()
    out = []
    for start, end, entry in found:
        if not taken.intersection(range(start, end)):
            out.append((start, end, entry))
            taken.update(range(start, end))
    out.sort(key=lambda m: m[0])
    if not take_acronyms:
        return out
    extended: list[tuple[int, int, Entry]] = []
    for start, end, entry in out:
        if extended and start < extended[-1][1]:
            continue  # the acronym of the previous match
        extended.append((start, _acronym_end(doc, end), entry))
    return extended


_MODIFIED = frozenset(
    ("augmented", "based", "enhanced", "aware", "guided", "driven", "oriented", "specific", "free", "pairs")
)


def _modifier(doc, end: int) -> bool:
    """Whether a match ending before token `end` only modifies what follows: "retrieval-augmented",
    "classification-based", "translation-invariant", "retrieval augmented generation"."""
    if end < len(doc) and doc[end].lower_ in _MODIFIED:
        return True
    return (
        end + 1 < len(doc)
        and doc[end].text == "-"
        and not doc[end - 1].whitespace_
        and not doc[end].whitespace_
        and doc[end + 1].text.isalpha()
    )


def _acronym_end(doc, end: int) -> int:
    """The end of "( IE )" right after token `end - 1`, else `end`."""
    if end + 2 < len(doc) and doc[end].text == "(" and doc[end + 2].text == ")":
        word = doc[end + 1].text
        if 1 < len(word) <= 10 and any(c.isupper() for c in word) and not word.isdigit():
            return end + 3
    return end
