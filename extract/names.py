"""A small learned component for names the lexicons do not list: rule-proposed candidates scored by a
linear model.

Candidates are runs of name-like words (capitalised, CamelCase, acronyms, letters with digits, a year or
version number after them: "Penn Treebank", "SemEval 2013", "wav2vec", "MultiWOZ") that no lexicon,
shape or definition rule has already claimed. Each is described by hand-crafted features (its shape,
affixes, the words around it, the types of the known names next to it, whether it is defined, repeated
or in the title) and scored by a multinomial logistic regression over four classes: none, model,
dataset, metric. A candidate whose best class beats `none` with a probability over that class's
threshold becomes a mention of source `learned`, the least trusted of all.

The weights are a small JSON file in the repository (`weights/names.json`, written by
`python -m extract.training.train_names`), loaded from disk; nothing is downloaded. Scoring is plain Python: a
dictionary look-up per feature and an exponential per candidate, so it costs microseconds an abstract.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_left
from pathlib import Path

from spacy.lang.en.stop_words import STOP_WORDS

from extract import definitions
from extract.mentions import Mention

WEIGHTS_FILE = Path(__file__).parent / "weights" / "names.json"
CLASSES = ("none", "model", "dataset", "metric")

# A name-like word: capitalised, lower-case with an inner capital or digit (`nDCG`, `wav2vec`), or digits
# glued to letters (`3DMatch`); inner hyphens, dots, slashes, plus signs and apostrophes stay inside.
_WORD = r"(?:[A-Z]|[a-z]+[A-Z0-9]|\d+[A-Za-z])(?:[\w+]|[\-./'&’](?=\w))*\+*"
# Where such words are found: from a capital, so the engine skips lower-case text and numbers in C; a word
# whose capital comes after lower-case letters (`nDCG`, `mBERT`) is taken back to its start. (Words with
# no capital, `wav2vec`, are left to the lexicons: looking for them costs as much as all the rest.)
_CHUNK = re.compile(r"[A-Z][\w+\-./'&’]*")
_TRAILING = ".-/'&’"
_LOWER_BACK = re.compile(r"[a-z]*")
_NOT_BEFORE_A_WORD = frozenset("-+./@'’_")
# A year or version number after a name's word belongs to the run ("SemEval 2013", "MultiWOZ 2.1").
_NUMBER_AFTER = re.compile(r" \d{1,4}(?:\.\d+)?(?![\w%]|\.\d)")
_CONTEXT_WORD = re.compile(r"[A-Za-z0-9][\w\-]*|[^\w\s]")
_MAX_RUN = 4
# Adjectives made from a name ("LLM-generated", "mrDPO-trained") and LaTeX left in the text.
_NOT_A_NAME = re.compile(r"-[a-z]+(?:ed|ing|based|like|free|aware|specific|style)$|arrow|mathrm|textbf")
_NOT_NAMES = frozenset(definitions.NOT_NAMES | definitions.GENERIC_ACRONYMS)
_SHAPE_MAP = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "X" * 26 + "x" * 26 + "d" * 10,
)
_REPEATS = re.compile(r"(.)\1+")
_LIST_GLUE = frozenset((", ", " and ", ", and ", " or ", "/", " vs. ", " and the "))
# Surface scores are kept (surfaces recur); the cache is cleared past this size so memory stays flat.
_CACHE_LIMIT = 20_000


def shape(word: str) -> str:
    """`LLaMA-7B` -> `XxX-dX`: character classes with repeats collapsed."""
    return _REPEATS.sub(r"\1", word.translate(_SHAPE_MAP))[:10]


def runs(text: str) -> list[list[tuple[int, int]]]:
    """Runs of name-like words one space apart, each a list of (start, end) word spans, at most _MAX_RUN
    long ("Penn Treebank WSJ", "SemEval 2013")."""
    found = []
    run: list[tuple[int, int]] = []
    for match in _CHUNK.finditer(text):
        start, end = match.span()
        if text[end - 1] in _TRAILING:
            end = start + len(match.group().rstrip(_TRAILING))
        if start:
            before = text[start - 1]
            if before.isalnum() or before in _NOT_BEFORE_A_WORD:
                if not before.islower():
                    continue  # inside a word: "pre-Trained", "x86"
                start -= _LOWER_BACK.match(text[max(0, start - 30) : start][::-1]).end()
                if start and (text[start - 1].isalnum() or text[start - 1] in _NOT_BEFORE_A_WORD):
                    continue
        if run:
            if len(run) < _MAX_RUN and text[run[-1][1] : start] == " ":
                run.append((start, end))
                continue
            number = _NUMBER_AFTER.match(text, run[-1][1]) if len(run) < _MAX_RUN else None
            if number:
                run.append((number.start() + 1, number.end()))
                if number.end() + 1 == start and text[number.end()] == " " and len(run) < _MAX_RUN:
                    run.append((start, end))
                    continue
            found.append(run)
        run = [(start, end)]
    if run:
        number = _NUMBER_AFTER.match(text, run[-1][1]) if len(run) < _MAX_RUN else None
        if number:
            run.append((number.start() + 1, number.end()))
        found.append(run)
    return found


class Candidate:
    __slots__ = ("end", "features", "start", "surface")

    def __init__(self, start: int, end: int, surface: str, features: list[str]):
        self.start = start
        self.end = end
        self.surface = surface
        self.features = features


def _spans(text: str, known: list[Mention], skip_known: bool):
    """(start, end, words) of the candidate spans of each run: the whole run, the run without its first or
    last word, and each word alone; without those overlapping `known` when `skip_known`."""
    taken = bytearray(len(text) + 1)
    if skip_known:
        for m in known:
            taken[m.start : m.end] = b"\x01" * (m.end - m.start)
    for run in runs(text):
        if len(run) == 1:
            start, end = run[0]
            if taken[start] or taken[end - 1] or end - start < 2:
                continue
            word = text[start:end]
            if word[1:].islower() and word.isalpha() and (start < 2 or text[start - 2] in ".?!\n"):
                continue  # a capitalised word that starts a sentence: "Inspired", "Models"
            if word.endswith(("'s", "’s")):
                word = word[:-2]
                end -= 2
            if len(word) < 2 or word.lower() in _NOT_NAMES or _NOT_A_NAME.search(word):
                continue
            yield start, end, [word]
            continue
        words = [text[s:e] for s, e in run]
        if words[-1].endswith(("'s", "’s")):
            run[-1] = (run[-1][0], run[-1][1] - 2)  # "Salesforce's XGen": the owner, not the name
            words[-1] = words[-1][:-2]
        for i, j in _CHOICES[len(run)]:
            start, end = run[i][0], run[j - 1][1]
            if skip_known and 1 in taken[start:end]:
                continue
            if j - i == 1:
                word = words[i]
                if len(word) < 2 or word.lower() in _NOT_NAMES or _NOT_A_NAME.search(word):
                    continue
                if word[1:].islower() and word.isalpha() and (start < 2 or text[start - 2] in ".?!\n"):
                    continue
            elif words[i].lower() in STOP_WORDS or words[j - 1].lower() in _NOT_NAMES:
                continue  # "The LLMs": the rest of the run is a candidate of its own
            yield start, end, words[i:j]


# Sub-spans of a run of n words: all of it, without its first or last word, and its first and last word.
_CHOICES = {n: tuple(sorted({(0, n), (1, n), (0, n - 1), (0, 1), (n - 1, n)})) for n in range(2, 5)}


def candidates(text: str, title: str, known: list[Mention], skip_known: bool = True) -> list[Candidate]:
    """Candidate spans and their features (for training; `NameScorer.predict` scores the same features
    without building them all). `known` are the mentions other rules found; with `skip_known` (at run
    time) candidates that overlap one are not proposed, as those rules settle them."""
    if not text:
        return []
    neighbours = _Neighbours(known)
    out = []
    for start, end, words in _spans(text, known, skip_known):
        surface = text[start:end]
        context = context_features(text, title, start, end, surface, neighbours)
        if context is None:
            continue
        out.append(Candidate(start, end, surface, surface_features(words, surface) + context))
    return out


def surface_features(words: list[str], surface: str) -> list[str]:
    """What the candidate looks like: shape, affixes, first and last word of a longer name."""
    first, last = words[0], words[-1]
    last_lower = last.lower()
    feats = [
        "bias",
        "shape=" + shape(surface),
        "fshape=" + shape(first),
        "lshape=" + shape(last),
        f"nw={len(words)}",
        "lsuf3=" + last_lower[-3:],
        "lsuf4=" + last_lower[-4:],
        "fpre3=" + first[:3].lower(),
    ]
    if len(words) > 1:
        feats.append("last=" + last_lower)
        feats.append("first=" + first.lower())
    if surface.isupper():
        feats.append("allcaps")
        feats.append(f"capslen={min(len(surface), 6)}")
    if definitions._is_camel(surface):
        feats.append("camel")
    if any(c.isdigit() for c in surface):
        feats.append("digit")
    if "-" in surface:
        feats.append("hyphen")
    if surface[-1:] == "s" and surface[:-1].isupper():
        feats.append("plural_acronym")
    return feats


class _Neighbours:
    """The known mentions in text order, to find the nearest one on each side of a candidate."""

    def __init__(self, known: list[Mention]):
        self.ordered = sorted(known, key=lambda m: m.start)
        self.starts = [m.start for m in self.ordered]

    def around(self, start: int, end: int) -> tuple[Mention | None, Mention | None]:
        index = bisect_left(self.starts, end)
        right = self.ordered[index] if index < len(self.ordered) else None
        left = None
        for m in reversed(self.ordered[max(0, index - 4) : index]):
            if m.end <= start:
                left = m
                break
        return left, right


def context_features(
    text: str, title: str, start: int, end: int, surface: str, neighbours: _Neighbours
) -> list[str] | None:
    """What surrounds the candidate: the words on each side, its place in the sentence, whether it is
    defined, repeated or in the title, and the types of the known names next to it. None for the acronym
    of a description or a task, which the definition rules have already judged."""
    left = _CONTEXT_WORD.findall(text, max(0, start - 30), start)[-2:]
    right = _CONTEXT_WORD.findall(text, end, end + 30)[:2]
    l1 = left[-1].lower() if left else "<s>"
    l2 = left[-2].lower() if len(left) > 1 else "<s>"
    r1 = right[0].lower() if right else "</s>"
    r2 = right[1].lower() if len(right) > 1 else "</s>"
    feats = [
        "l1=" + l1,
        "l2=" + l2,
        "r1=" + r1,
        "r2=" + r2,
        "l1r1=" + l1 + "_" + r1,
    ]
    before = text[max(0, start - 2) : start]
    if start == 0 or before in (". ", "? ", "! ") or before.endswith("\n"):
        feats.append("sentence_start")
    if before.endswith("("):
        feats.append("in_parens" + ("_closed" if text[end : end + 1] == ")" else ""))
    if text.startswith(" (", end) and text[end + 2 : end + 3].isupper():
        feats.append("defined_after")
    if "(" + surface + ")" in text:
        defined = _definition_features(text, surface)
        if "defined_lower" in defined or "defined_task_head" in defined:
            return None
        feats += defined
    if title and surface in title:
        feats.append("in_title")
    if text.count(surface) > 1:
        feats.append("repeated")
    left_known, right_known = neighbours.around(start, end)
    if left_known is not None and start - left_known.end < 60:
        feats.append("lk=" + left_known.type)
        if text[left_known.end : start] in _LIST_GLUE:
            feats.append("lk_list=" + left_known.type)
    if right_known is not None and right_known.start - end < 60:
        feats.append("rk=" + right_known.type)
        if text[end : right_known.start] in _LIST_GLUE:
            feats.append("rk_list=" + right_known.type)
    return feats


def _definition_features(text: str, surface: str) -> list[str]:
    """What the abstract's definition of an acronym says: "Multi-Task Learning (MTL)" names a field (its long
    form ends in a task word), "label noise (LN)" a lower-case description, "Foo Bar (FB)" a name."""
    position = text.find("(" + surface + ")")
    if position == -1 or not surface[:1].isupper():
        return []
    long_form = definitions.long_form_for(surface, text[max(0, position - 80) : position])
    if long_form is None:
        return ["defined_no_long"]
    feats = ["defined_cap" if definitions._is_capitalised_name(long_form) else "defined_lower"]
    head = long_form.split()[-1].lower()
    if head in definitions._TASK_HEADS:
        feats.append("defined_task_head")
    feats.append("defined_head=" + head)
    return feats


class NameScorer:
    """The linear model: feature -> weights of the model, dataset and metric classes (`none` scores 0), and
    a probability threshold per class."""

    def __init__(
        self,
        weights: dict[str, list[float]],
        thresholds: dict[str, float],
        filter_weights: dict[str, list[float]] | None = None,
        filter_threshold: float = 0.5,
        context_bound: list[float] | None = None,
    ):
        self.weights = {f: tuple(w) for f, w in weights.items()}
        self.thresholds = thresholds
        # The most the context features added to a class's score on the training texts, plus a margin: a
        # candidate whose surface score stays under every threshold even with that is not looked at further.
        self.context_bound = tuple(context_bound) if context_bound else None
        # The TDMSci span filter: the same kind of model, over the final dataset and metric mentions.
        self.filter_weights = {f: tuple(w) for f, w in (filter_weights or {}).items()}
        self.filter_threshold = filter_threshold
        # sigmoid(score) bounds a class's probability from above: under these logits it cannot pass.
        self._floors = tuple(math.log(thresholds[c] / (1 - thresholds[c])) for c in CLASSES[1:])
        self._surface_scores: dict[str, tuple[float, float, float]] = {}

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> NameScorer:
        data = json.loads(path.read_text(encoding="utf-8"))
        tdmsci = data.get("tdmsci_filter") or {}
        return cls(
            data["weights"],
            data["thresholds"],
            tdmsci.get("weights"),
            tdmsci.get("threshold", 0.5),
            data.get("context_bound"),
        )

    def to_json(self, path: Path, meta: dict | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"classes": CLASSES[1:], "thresholds": self.thresholds, "meta": meta or {}}
        if self.context_bound:
            payload["context_bound"] = [round(b, 4) for b in self.context_bound]
        payload["weights"] = _rounded(self.weights)
        if self.filter_weights:
            payload["tdmsci_filter"] = {
                "threshold": self.filter_threshold,
                "weights": _rounded(self.filter_weights),
            }
        path.write_text(json.dumps(payload, separators=(",", ":")) + "\n", encoding="utf-8")

    def scores(self, features: list[str]) -> list[float]:
        s1 = s2 = s3 = 0.0
        weights = self.weights
        for f in features:
            w = weights.get(f)
            if w is not None:
                s1 += w[0]
                s2 += w[1]
                s3 += w[2]
        return [s1, s2, s3]

    def probabilities(self, features: list[str]) -> list[float]:
        """P(none), P(model), P(dataset), P(metric)."""
        return _softmax(self.scores(features))

    def filter(self, text: str, mentions: list[Mention]) -> list[Mention]:
        """The mentions the TDMSci span filter keeps (models and untyped ones always)."""
        neighbours = _Neighbours(mentions)
        kept = []
        for mention in mentions:
            if mention.type in ("dataset", "metric"):
                s1, s2, s3 = 0.0, 0.0, 0.0
                for f in filter_features(text, mention, neighbours):
                    w = self.filter_weights.get(f)
                    if w is not None:
                        s1 += w[0]
                        s2 += w[1]
                        s3 += w[2]
                probs = _softmax([s1, s2, s3])
                if probs[CLASSES.index(mention.type)] < self.filter_threshold:
                    continue
            kept.append(mention)
        return kept

    def _surface_score(self, words: list[str], surface: str) -> tuple[float, float, float]:
        score = self._surface_scores.get(surface)
        if score is None:
            if len(self._surface_scores) > _CACHE_LIMIT:
                self._surface_scores.clear()
            score = self._surface_scores[surface] = tuple(self.scores(surface_features(words, surface)))
        return score

    def predict(self, text: str, title: str, known: list[Mention]) -> list[Mention]:
        """New mentions for the candidates the model accepts, the likeliest first where they overlap."""
        if not text:
            return []
        neighbours = None
        floors = self._floors
        b1, b2, b3 = self.context_bound or (1e9, 1e9, 1e9)
        weights = self.weights
        scored = []
        for start, end, words in _spans(text, known, True):
            surface = text[start:end]
            s1, s2, s3 = self._surface_score(words, surface)
            if s1 + b1 < floors[0] and s2 + b2 < floors[1] and s3 + b3 < floors[2]:
                continue
            if neighbours is None:
                neighbours = _Neighbours(known)
            context = context_features(text, title, start, end, surface, neighbours)
            if context is None:
                continue
            for f in context:
                w = weights.get(f)
                if w is not None:
                    s1 += w[0]
                    s2 += w[1]
                    s3 += w[2]
            if s1 < floors[0] and s2 < floors[1] and s3 < floors[2]:
                continue
            probs = _softmax([s1, s2, s3])
            best = max((1, 2, 3), key=probs.__getitem__)
            if probs[best] >= self.thresholds[CLASSES[best]] and probs[best] > probs[0]:
                scored.append((probs[best], end - start, start, end, CLASSES[best]))
        if not scored:
            return []
        scored.sort(key=lambda x: (-x[0], -x[1], x[2]))
        taken = bytearray(len(text) + 1)
        found = []
        for _, _, start, end, entity_type in scored:
            if 1 in taken[start:end]:
                continue
            taken[start:end] = b"\x01" * (end - start)
            surface = text[start:end]
            found.append(Mention(entity_type, start, end, surface, surface, "learned"))
        found.sort(key=lambda m: m.start)
        return found


def _rounded(weights: dict) -> dict:
    return {f: [round(x, 4) for x in w] for f, w in sorted(weights.items())}


def filter_features(text: str, mention: Mention, neighbours: _Neighbours) -> list[str]:
    """Features of a final mention for the TDMSci span filter: its words, context, type, rule and surface."""
    surface = mention.surface
    words = surface.split() or [surface]
    context = context_features(text, "", mention.start, mention.end, surface, neighbours)
    return [
        *surface_features(words, surface),
        *(context if context is not None else ["described"]),
        "type=" + mention.type,
        "src=" + mention.source,
        "type_src=" + mention.type + "_" + mention.source,
        "lex=" + surface.lower(),
    ]


def _softmax(scores: list[float]) -> list[float]:
    """Class probabilities from the three scores, with `none` at 0."""
    top = max(0.0, *scores)
    e = [math.exp(-top)] + [math.exp(s - top) for s in scores]
    total = sum(e)
    return [x / total for x in e]
