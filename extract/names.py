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
`python -m extract.train_names`), loaded from disk; nothing is downloaded. Scoring is plain Python: a
dictionary look-up per feature and an exponential per candidate, so it costs microseconds an abstract.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from extract import definitions
from extract.mentions import Mention

WEIGHTS_FILE = Path(__file__).parent / "weights" / "names.json"
CLASSES = ("none", "model", "dataset", "metric")

# A name-like word: capitalised, lower-case with an inner capital or digit (`nDCG`, `wav2vec`), or digits
# glued to letters (`3DMatch`); inner hyphens, dots, slashes, plus signs and apostrophes stay inside.
_NAME_WORD = re.compile(r"(?<![\w\-+./@'])(?:[A-Z]|[a-z]+[A-Z0-9]|\d+[A-Za-z])(?:[\w+]|[\-./'&](?=\w))*\+*")
# What may join two name-like words of one run ("Penn Treebank", "SemEval 2013", "Reuters RCV1").
_YEAR_OR_VERSION = re.compile(r" (?:\d{1,4}(?:\.\d+)?)(?![\w%]|\.\d)")
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


def shape(word: str) -> str:
    """`LLaMA-7B` -> `XxX-dX`: character classes with repeats collapsed."""
    return _REPEATS.sub(r"\1", word.translate(_SHAPE_MAP))[:10]


def runs(text: str) -> list[list[tuple[int, int]]]:
    """Runs of adjacent name-like words, each a list of (start, end) word spans, at most _MAX_RUN long."""
    found: list[list[tuple[int, int]]] = []
    run: list[tuple[int, int]] = []
    for match in _NAME_WORD.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in ".'/-&":
            end -= 1
        if run and text[run[-1][1] : start] == " " and len(run) < _MAX_RUN:
            run.append((start, end))
            continue
        if run and len(run) < _MAX_RUN:
            number = _YEAR_OR_VERSION.match(text, run[-1][1])
            if number:
                run.append((number.start() + 1, number.end()))
                if number.end() + 1 == start and text[number.end()] == " " and len(run) < _MAX_RUN:
                    run.append((start, end))
                    continue
        if run:
            found.append(run)
        run = [(start, end)]
    if run:
        number = _YEAR_OR_VERSION.match(text, run[-1][1])
        if number and len(run) < _MAX_RUN:
            run.append((number.start() + 1, number.end()))
        found.append(run)
    return found


class Candidate:
    __slots__ = ("end", "features", "start")

    def __init__(self, start: int, end: int, features: list[str]):
        self.start = start
        self.end = end
        self.features = features


def candidates(text: str, title: str, known: list[Mention], skip_known: bool = True) -> list[Candidate]:
    """Candidate spans and their features. `known` are the mentions other rules found; with `skip_known`
    (at run time) candidates that overlap one are not proposed, as those rules settle them."""
    if not text:
        return []
    taken = bytearray(len(text) + 1)
    for m in known:
        taken[m.start : m.end] = b"\x01" * (m.end - m.start)
    ordered = sorted(known, key=lambda m: m.start)
    out: list[Candidate] = []
    for run in runs(text):
        words = [text[s:e] for s, e in run]
        if words[-1].endswith(("'s", "’s")):
            run[-1] = (run[-1][0], run[-1][1] - 2)  # "Salesforce's XGen": the owner, not the name
            words[-1] = words[-1][:-2]
        n = len(words)
        choices = {(0, n)}
        if n > 1:
            choices |= {(1, n), (0, n - 1)}
            choices |= {(i, i + 1) for i in range(n)}
        for i, j in sorted(choices):
            start, end = run[i][0], run[j - 1][1]
            if skip_known and 1 in taken[start:end]:
                continue
            span_words = words[i:j]
            if j - i == 1:
                word = span_words[0]
                if word.lower() in _NOT_NAMES or not any(c.isalpha() for c in word):
                    continue
                if len(word) < 2 or _NOT_A_NAME.search(word):
                    continue
            elif span_words[0].lower() in _NOT_NAMES or span_words[-1].lower() in _NOT_NAMES:
                continue  # "The LLMs": the rest of the run is a candidate of its own
            features = _features(text, title, start, end, span_words, ordered, taken)
            if skip_known and ("defined_lower" in features or "defined_task_head" in features):
                continue  # the definition rules judged it a description's or a task's acronym
            out.append(Candidate(start, end, features))
    return out


def _context(text: str, start: int, end: int) -> tuple[list[str], list[str]]:
    left = _CONTEXT_WORD.findall(text, max(0, start - 30), start)[-2:]
    right = _CONTEXT_WORD.findall(text, end, end + 30)[:2]
    return [w.lower() for w in left], [w.lower() for w in right]


def _features(
    text: str,
    title: str,
    start: int,
    end: int,
    words: list[str],
    known: list[Mention],
    taken: bytearray,
) -> list[str]:
    surface = text[start:end]
    first, last = words[0], words[-1]
    n = len(words)
    left, right = _context(text, start, end)
    l1 = left[-1] if left else "<s>"
    l2 = left[-2] if len(left) > 1 else "<s>"
    r1 = right[0] if right else "</s>"
    r2 = right[1] if len(right) > 1 else "</s>"
    last_lower = last.lower()
    feats = [
        "bias",
        "shape=" + shape(surface),
        "fshape=" + shape(first),
        "lshape=" + shape(last),
        f"nw={n}",
        "lsuf3=" + last_lower[-3:],
        "lsuf4=" + last_lower[-4:],
        "fpre3=" + first[:3].lower(),
        "l1=" + l1,
        "l2=" + l2,
        "r1=" + r1,
        "r2=" + r2,
        "l2l1=" + l2 + "_" + l1,
        "r1r2=" + r1 + "_" + r2,
        "l1r1=" + l1 + "_" + r1,
    ]
    if n > 1:
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
    before = text[max(0, start - 2) : start]
    if start == 0 or before in (". ", "? ", "! ") or before.endswith("\n"):
        feats.append("sentence_start")
    if before.endswith("("):
        feats.append("in_parens" + ("_closed" if text[end : end + 1] == ")" else ""))
    if text.startswith(" (", end) and text[end + 2 : end + 3].isupper():
        feats.append("defined_after")
    feats += _definition_features(text, surface)
    if title and surface in title:
        feats.append("in_title")
    if text.count(surface) > 1:
        feats.append("repeated")
    # The known names nearest on each side, and whether the candidate is listed with them.
    left_known = right_known = None
    for m in known:
        if m.end <= start:
            left_known = m
        elif m.start >= end:
            right_known = m
            break
    if left_known is not None and start - left_known.end < 60:
        glue = text[left_known.end : start]
        feats.append("lk=" + left_known.type)
        if glue in (", ", " and ", ", and ", " or ", "/", " vs. ", " and the "):
            feats.append("lk_list=" + left_known.type)
    if right_known is not None and right_known.start - end < 60:
        glue = text[end : right_known.start]
        feats.append("rk=" + right_known.type)
        if glue in (", ", " and ", ", and ", " or ", "/", " vs. "):
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
    """The linear model: feature -> weights per class, and a probability threshold per class."""

    def __init__(self, weights: dict[str, list[float]], thresholds: dict[str, float]):
        self.weights = weights
        self.thresholds = thresholds

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> NameScorer:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["weights"], data["thresholds"])

    def to_json(self, path: Path, meta: dict | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"classes": CLASSES, "thresholds": self.thresholds, "meta": meta or {}, "weights": {}}
        payload["weights"] = {f: [round(x, 4) for x in w] for f, w in sorted(self.weights.items())}
        path.write_text(json.dumps(payload, separators=(",", ":")) + "\n", encoding="utf-8")

    def probabilities(self, features: list[str]) -> list[float]:
        s0 = s1 = s2 = s3 = 0.0
        weights = self.weights
        for f in features:
            w = weights.get(f)
            if w is not None:
                s0 += w[0]
                s1 += w[1]
                s2 += w[2]
                s3 += w[3]
        top = max(s0, s1, s2, s3)
        e = [math.exp(s0 - top), math.exp(s1 - top), math.exp(s2 - top), math.exp(s3 - top)]
        total = e[0] + e[1] + e[2] + e[3]
        return [x / total for x in e]

    def predict(self, text: str, title: str, known: list[Mention]) -> list[Mention]:
        """New mentions for the candidates the model accepts, best first where they overlap."""
        scored = []
        for cand in candidates(text, title, known):
            probs = self.probabilities(cand.features)
            best = max(range(1, 4), key=probs.__getitem__)
            if probs[best] >= self.thresholds[CLASSES[best]] and probs[best] > probs[0]:
                scored.append((probs[best], cand.end - cand.start, cand, CLASSES[best]))
        if not scored:
            return []
        scored.sort(key=lambda x: (-x[0], -x[1], x[2].start))
        taken = bytearray(len(text) + 1)
        found = []
        for _, _, cand, entity_type in scored:
            if 1 in taken[cand.start : cand.end]:
                continue
            taken[cand.start : cand.end] = b"\x01" * (cand.end - cand.start)
            surface = text[cand.start : cand.end]
            found.append(Mention(entity_type, cand.start, cand.end, surface, surface, "learned"))
        return found
