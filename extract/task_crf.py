"""A linear-chain CRF for task mentions, stacked on the task lexicon: TDMSci's conventions only.

It tags the tokens of a sentence BIO for TASK from each token's own features (word, shape, prefixes and
suffixes, capitalisation, digits, hyphen, the words two either side) and the task lexicon's (the BIO tag and
length of the lexicon's settled match over it and its neighbours'; whether a word is the head or another word
of a multi-word alias); a post-filter (`post_filter`) then cleans its spans. Its spans replace the lexicon's
task mentions (`paperpulse_task_crf`, registered here, which the pipeline enables under TDMSci's conventions
only, as it does the dataset CRF of `crf.py`).

Trained on TDMSci's learning part (Hou et al., EACL 2021, Apache-2.0; `data/tdmsci/`) by
`python -m extract.training.train_task_crf`; the model is `weights/tdmsci_task_crf.crfsuite`
(python-crfsuite), opened by the component's `initialize`, so crfsuite is imported only when the component
runs.
"""

from __future__ import annotations

import re
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from extract import tasks
from extract.components import MENTIONS, data_path, text_of
from extract.lexicon import Entry, read_lexicons
from extract.mentions import Mention

MODEL_FILE = Path(__file__).parent / "weights" / "tdmsci_task_crf.crfsuite"
LABEL = "TASK"


def lexicon_tags(doc, settled: list[tuple[int, int, Entry]]) -> list[str]:
    """Each token's tag in the lexicon's settled matches: B/I and the match's length in words (at most 3),
    or O."""
    tags = ["O"] * len(doc)
    for start, end, _ in settled:
        n = min(end - start, 3)
        tags[start] = f"B{n}"
        for i in range(start + 1, end):
            tags[i] = f"I{n}"
    return tags


def words_of(doc) -> list[int]:
    """Indices of the Doc's non-space tokens: the CRF's sequence."""
    return [t.i for t in doc if not t.text.isspace()]


_SHAPE = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "x" * 26 + "X" * 26 + "d" * 10,
)
_REPEATS = re.compile(r"(.)\1+")


def shape(word: str) -> str:
    """`LLaMA-7B` -> `XxX-dX`: character classes with repeats collapsed."""
    return _REPEATS.sub(r"\1", word.translate(_SHAPE))[:10]


def features(
    words: list[str],
    lex: list[str],
    heads: frozenset[str] = frozenset(),
    modifiers: frozenset[str] = frozenset(),
) -> list[list[str]]:
    """CRF features of each token: its own, its neighbours' (two either side), the lexicon's."""
    lowers = [w.lower() for w in words]
    n = len(words)
    kind = ["h" if w in heads else "m" if w in modifiers else "-" for w in lowers]
    out = []
    for i, w in enumerate(words):
        lw = lowers[i]
        f = [
            "bias",
            "w=" + lw,
            "shape=" + shape(w),
            "p2=" + lw[:2],
            "p3=" + lw[:3],
            "s2=" + lw[-2:],
            "s3=" + lw[-3:],
            "s4=" + lw[-4:],
            "lex=" + lex[i][:1],
            "lexn=" + lex[i],
        ]
        if w[:1].isupper():
            f.append("title")
        if w.isupper() and len(w) > 1:
            f.append("upper")
        if any(c.isdigit() for c in w):
            f.append("digit")
        if "-" in w:
            f.append("hyphen")
        if not any(c.isalnum() for c in w):
            f.append("punct")
        if i == 0:
            f.append("first")
        for offset in (-2, -1, 1, 2):
            j = i + offset
            inside = 0 <= j < n
            f.append(f"w{offset}=" + (lowers[j] if inside else "<s>"))
            f.append(f"lex{offset}=" + (lex[j][:1] if inside else "<s>"))
            if abs(offset) == 1:
                f.append(f"shape{offset}=" + (shape(words[j]) if inside else "<s>"))
                f.append(f"s3{offset}=" + (lowers[j][-3:] if inside else "<s>"))
        f.append("w-1|w=" + (lowers[i - 1] if i else "<s>") + "|" + lw)
        f.append("w|w+1=" + lw + "|" + (lowers[i + 1] if i + 1 < n else "<s>"))
        f.append("lex|w=" + lex[i][:1] + "|" + lw)
        if heads:
            f.append("lk=" + kind[i])
            f.append("lk-1=" + (kind[i - 1] if i else "<s>"))
            f.append("lk+1=" + (kind[i + 1] if i + 1 < n else "<s>"))
            f.append("lk+2=" + (kind[i + 2] if i + 2 < n else "<s>"))
            f.append("lk|lk+1=" + kind[i] + (kind[i + 1] if i + 1 < n else "<s>"))
        out.append(f)
    return out


def bio(offsets: list[tuple[int, int]], spans: list[tuple[int, int]]) -> list[str]:
    """Gold labels of tokens at `offsets` for (start, end) spans."""
    labels = ["O"] * len(offsets)
    for start, end in spans:
        inside = [k for k, (s, e) in enumerate(offsets) if s < end and start < e]
        for n, k in enumerate(inside):
            labels[k] = f"I-{LABEL}" if n else f"B-{LABEL}"
    return labels


def label_runs(labels: list[str]) -> list[tuple[int, int]]:
    """(first, end) positions of B/I runs; a stray I starts a span."""
    out: list[list[int]] = []
    previous = "O"
    for i, label in enumerate(labels):
        if label == "O":
            previous = label
            continue
        if label.startswith("I") and previous != "O":
            out[-1][1] = i + 1
        else:
            out.append([i, i + 1])
        previous = label
    return [(a, b) for a, b in out]


# The post-filter ---------------------------------------------------------------------------------------

_EDGE_WORDS = frozenset({
    "the", "a", "an", "this", "these", "that", "those", "our", "its", "their", "such", "of", "for", "and",
    "or", "in", "on", "to", "with", "by", "as", "both", "other", "various", "different", "several",
})  # fmt: skip
_NOT_ALONE = frozenset({
    "task", "tasks", "problem", "problems", "system", "systems", "model", "models", "method", "methods",
    "approach", "approaches", "it", "they", "we", "this", "data", "work", "performance",
})  # fmt: skip
MAX_WORDS = 4  # a longer CRF span is replaced by the lexicon matches inside it (chosen on the dev quarter)
_SENTENCE_END = re.compile(r"(?<=[.?!;])\s+(?=\S)")
_WORD = re.compile(r"\S+")


def _edge_junk(word: str, span_text: str, last: bool) -> bool:
    if word.lower() in _EDGE_WORDS:
        return True
    if any(c.isalnum() for c in word):
        return False
    return not (last and word == ")" and "(" in span_text)  # keep the ")" of "information extraction (IE)"


def post_filter(
    text: str,
    spans: list[tuple[int, int]],
    lexicon_spans: list[tuple[int, int]] = (),
    max_words: int | None = MAX_WORDS,
) -> list[tuple[int, int]]:
    """Cleans CRF spans: splits them at a sentence end; trims determiners, prepositions and punctuation-only
    words off their edges (keeping a closing bracket whose opening one is inside); drops spans left empty,
    spans that are only a generic head word ("task", "system") and spans without a letter; replaces a span
    of more than `max_words` words by the lexicon matches inside it."""
    pieces = []
    for start, end in spans:
        cut = start
        for m in _SENTENCE_END.finditer(text, start, end):
            pieces.append((cut, m.start()))
            cut = m.end()
        pieces.append((cut, end))
    out = []
    for start, end in pieces:
        span_text = text[start:end]
        words = list(_WORD.finditer(span_text))
        while words and _edge_junk(words[0].group(), span_text, False):
            words.pop(0)
        while words and _edge_junk(words[-1].group(), span_text, True):
            words.pop()
        if not words:
            continue
        s, e = start + words[0].start(), start + words[-1].end()
        surface = text[s:e]
        if surface.count("(") != surface.count(")"):
            s, e = _balance(text, s, e)
            surface = text[s:e]
        if not surface or surface.lower() in _NOT_ALONE or not any(c.isalpha() for c in surface):
            continue
        if max_words is not None and len(surface.split()) > max_words:
            out.extend((a, b) for a, b in lexicon_spans if s <= a and b <= e)
            continue
        out.append((s, e))
    return out


def _balance(text: str, s: int, e: int) -> tuple[int, int]:
    """Cuts an unbalanced bracket and what follows it ("information extraction (IE" -> "information
    extraction"; "IE) task" -> "task")."""
    surface = text[s:e]
    if surface.count("(") > surface.count(")"):
        cut = surface.rfind("(")
        return s, s + len(surface[:cut].rstrip())
    cut = surface.find(")") + 1
    rest = surface[cut:]
    return s + cut + (len(rest) - len(rest.lstrip())), e


_CANONICAL_TRIM = re.compile(r"(\s*\([^()]*\))?(\s+(task|tasks|problem|problems))?$", re.IGNORECASE)


# The tagger and its component --------------------------------------------------------------------------


def sequence(
    doc, settled, heads: frozenset[str], modifiers: frozenset[str]
) -> tuple[list[int], list[list[str]]]:
    """The indices of the tokens the CRF tags (the non-space ones), and their features, given the lexicon's
    settled task matches (`tasks.settle`, acronyms taken in) and its heads and modifiers."""
    idx = words_of(doc)
    lex = lexicon_tags(doc, settled)
    return idx, features([doc[i].text for i in idx], [lex[i] for i in idx], heads, modifiers)


def tagged_spans(doc, idx: list[int], labels: list[str], settled, max_words: int | None = MAX_WORDS):
    """The (start, end) characters of the CRF's labelled runs, post-filtered."""
    found = []
    for a, b in label_runs(labels):
        last = doc[idx[b - 1]]
        found.append((doc[idx[a]].idx, last.idx + len(last)))
    lexicon_spans = [(doc[s].idx, doc[e - 1].idx + len(doc[e - 1])) for s, e, _ in settled]
    return post_filter(text_of(doc), found, lexicon_spans, max_words)


class TaskCrf:
    """The CRF over a Doc's tokens with the lexicon's task matches as features, and the post-filter."""

    def __init__(self, entries: list[Entry], model: Path = MODEL_FILE):
        import pycrfsuite

        self.tagger = pycrfsuite.Tagger()
        self.tagger.open(str(model))
        self.names = tasks.canonical_names(entries)
        self.heads, self.modifiers = tasks.heads_and_modifiers(entries)

    def spans(self, doc) -> list[tuple[int, int]]:
        settled = tasks.settle(doc, doc.user_data.get(tasks.MATCHES) or [], take_acronyms=True)
        idx, feats = sequence(doc, settled, self.heads, self.modifiers)
        return tagged_spans(doc, idx, self.tagger.tag(feats), settled) if idx else []

    def canonical(self, surface: str) -> str:
        """The lexicon's canonical name of a surface ("NER", "information extraction (IE)", "the NER task"),
        else the surface with its spaces normalised."""
        key = re.sub(r"\s+", " ", surface).strip()
        for candidate in (key, _CANONICAL_TRIM.sub("", key)):
            found = self.names.get(candidate.lower())
            if found:
                return found
        return key


class TaskCrfComponent:
    """The `paperpulse_task_crf` component: replaces the Doc's task mentions by the CRF's spans. `initialize`
    opens the model (`model`) and reads the task lexicon (`lexicons`, less the entries of `held_out_ids`)."""

    def __init__(self) -> None:
        self.crf: TaskCrf | None = None

    def initialize(
        self, get_examples=None, *, nlp: Language, model: str, lexicons: str, held_out_ids: list[str]
    ) -> None:
        self.crf = TaskCrf(read_lexicons(data_path(lexicons), held_out_ids, ("task",)), data_path(model))

    def __call__(self, doc: Doc) -> Doc:
        text = text_of(doc)
        found = [
            Mention("task", s, e, text[s:e], self.crf.canonical(text[s:e]), "learned")
            for s, e in self.crf.spans(doc)
        ]
        mentions = [m for m in doc.user_data.get(MENTIONS) or [] if m.type != "task"]
        doc.user_data[MENTIONS] = sorted(mentions + found, key=lambda m: m.start)
        return doc


@Language.factory("paperpulse_task_crf")
def make_task_crf(nlp: Language, name: str) -> TaskCrfComponent:
    """TDMSci's conventions only: the CRF re-tags the task mentions."""
    return TaskCrfComponent()
