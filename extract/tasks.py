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
- Under the guidelines' conventions a match grows leftwards over up to three words that modify tasks in the
  lexicon's own aliases ("medical", "multilingual", "audio": words before the head of a multi-word alias),
  so that the most specific phrase is the mention ("multilingual text generation", "audio deepfake
  detection"; `grow_left`), as GUIDELINES.md asks.
- Under TDMSci's conventions a match takes in the bracketed acronym after it ("information extraction
  (IE)"), as TDMSci marks it; the guidelines list the two apart, and the acronym names the task wherever
  the abstract writes it (`defined_acronyms`: "machine unlearning (MU) ... existing MU methods").
"""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS

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
    ("machine", "named", "entity"): features of the task CRF; a task grows over the latter (`grow_left`)."""
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


def defined_acronyms(doc, settled: list[tuple[int, int, Entry]]) -> dict[str, Entry]:
    """Acronyms the abstract defines for a matched task, "human activity recognition (HAR)": the bracketed
    word right after the match, whose first letter begins one of the task's words."""
    found: dict[str, Entry] = {}
    for start, end, entry in settled:
        if _acronym_end(doc, end) == end:
            continue
        word = doc[end + 1].text
        initials = {w[0].lower() for w in re.split(r"[\s-]+", doc[start:end].text) if w}
        if word[0].lower() in initials:
            found.setdefault(word, entry)
    return found


# Words that never start a task phrase though the lexicon's aliases use some of them ("robust ... tracking").
_NOT_MODIFIERS = frozenset(STOP_WORDS) | frozenset({
    "novel", "new", "efficient", "effective", "accurate", "robust", "improved", "better", "existing",
    "traditional", "conventional", "standard", "various", "downstream", "general", "challenging",
    "complex", "proposed", "recent", "popular", "common", "typical", "modern", "current", "previous",
    "prior", "different", "diverse", "multiple", "several", "key", "important", "critical", "real-world",
    "large-scale", "state-of-the-art", "end-to-end", "high-quality", "fine-grained", "scalable", "simple",
    "strong", "reliable", "fast", "faster", "precise",
})  # fmt: skip
_WORD_BEFORE = re.compile(r"([A-Za-z0-9][A-Za-z0-9'\-]*[A-Za-z0-9]|[A-Za-z0-9])(\s+)$")
GROWN_WORDS = 3


def grow_left(text: str, start: int, modifiers: frozenset[str]) -> int:
    """The start of the task phrase ending where a match starts at `start`: up to three words before it that
    modify tasks in the lexicon's aliases ("multilingual" text generation), none a stop or generic word."""
    for _ in range(GROWN_WORDS):
        word = _WORD_BEFORE.search(text, max(0, start - 60), start)
        if word is None or word[1].lower() not in modifiers or word[1].lower() in _NOT_MODIFIERS:
            break
        start = word.start()
    return start
