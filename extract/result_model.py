"""The learned result model: the rules (`results.py`) propose, small log-linear models decide.

For every number of a sentence that could be a result (`results.numbers_in`):

1. `result`: is it a result at all (a score, an error, a speed, a gain), or a size, a count, a setting?
2. `kind`: absolute, or an improvement (a gain, a reduction, "within", "by", a ratio against another system)?
3. one choice per slot, `metric`, `dataset` and `model`: among the mentions of the sentence (and of the
   sentence before, which a claim may continue), longer or shorter phrases around them ("average success
   rate" for "success rate"), the paper's own method, or nothing;
4. `role`: proposed (the paper's method), baseline (a named existing system compared with or evaluated),
   or other (humans, chance, unattributed).

Each is a logistic model over sparse features of the number and candidate in context (the words around
them, distances, the text between them, what the rules chose, what kind of mention it is), trained on the
listings gold's training part and the seed gold (`extract/training/train_results.py`); the weights ship in
`weights/results.json`. A calibration model then turns the choices' probabilities into `confidence`, the
probability that the whole claim is right, and `leaderboard` says whether it can be ranked: an absolute
value of a proposed or baseline model with a dataset and a metric, at a confidence the development part
showed precise enough (`leaderboard_threshold`).
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from extract import results as rules
from extract.mentions import ByStart, Mention
from extract.text import sentence_spans

WEIGHTS_FILE = Path(__file__).parent / "weights" / "results.json"
SLOTS = ("metric", "dataset", "model")
ROLES = ("proposed", "baseline", "other")
KINDS = ("absolute", "improvement")

_WORD = re.compile(r"[A-Za-z][\w\-@.]*[\w@]|[A-Za-z]|\d[\d.,]*%?|[()\[\]:;=,/]")
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "on",
        "in",
        "for",
        "to",
        "from",
        "by",
        "with",
        "and",
        "or",
        "as",
        "at",
        "is",
        "are",
        "was",
        "were",
        "be",
        "its",
        "their",
        "our",
        "this",
        "that",
        "these",
        "than",
        "over",
        "while",
        "which",
        "we",
        "it",
    ]
)
# Words that head a measure ("success rate", "token consumption"): phrases ending in one are metric options.
METRIC_HEADS = frozenset(
    [
        "accuracy",
        "accuracies",
        "rate",
        "rates",
        "score",
        "scores",
        "error",
        "errors",
        "ratio",
        "ratios",
        "time",
        "times",
        "latency",
        "latencies",
        "cost",
        "costs",
        "speed",
        "speedup",
        "throughput",
        "coverage",
        "usage",
        "consumption",
        "success",
        "precision",
        "recall",
        "f1",
        "f1-score",
        "auc",
        "auroc",
        "correlation",
        "agreement",
        "reduction",
        "perplexity",
        "loss",
        "distance",
        "similarity",
        "fidelity",
        "quality",
        "efficiency",
        "utilization",
        "robustness",
        "sensitivity",
        "specificity",
        "overhead",
        "memory",
        "footprint",
        "gap",
        "win",
    ]
)
_COMPARISON_CUES = (
    "than",
    "over",
    "surpass",
    "outperform",
    "exceed",
    "beat",
    "compared",
    "vs",
    "versus",
    "baseline",
    "against",
    "relative",
    "unlike",
    "prior",
    "previous",
    "existing",
    "from",
)
_DISTANCES = (0, 3, 10, 25, 50, 100, 200)
# Words between a number and a name that say how they relate ("from X% (Claude) to", "X vs. Y", "than").
_VIA = frozenset(
    [
        "from",
        "to",
        "vs",
        "vs.",
        "versus",
        "than",
        "over",
        "by",
        "of",
        "on",
        "in",
        "at",
        "for",
        "with",
        "achieves",
        "achieving",
        "reaches",
        "reaching",
        "scores",
        "obtains",
        "attains",
        "surpassing",
        "outperforming",
        "compared",
        "respectively",
        "while",
        "whereas",
    ]
)
# "from X% (Claude) to Y%": X is the value before (a baseline's), Y the one after (the paper's).
_FROM_BEFORE = re.compile(r"\bfrom\s*(?:about\s+|around\s+)?$")
_TO_AFTER = re.compile(r"\s*\\?%?\s*(?:\([^()]{0,40}\)\s*)?(?:to|→|->)\s*[\d.]")
_FROM_NUMBER_TO = re.compile(r"\bfrom\s+[\d.,]+\s*\\?%?\s*(?:\([^()]{0,40}\)\s*)?(?:to|→|->)\s*$")
_SHAPE = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "A" * 26 + "a" * 26 + "0" * 10
)
_PAREN_NEXT = re.compile(r"\s*\\?%?\s*\($")
_NUMBER_GLUE = re.compile(r"\d[\d.,]*")


def _bucket(value: float, edges=_DISTANCES) -> str:
    return str(next((edge for edge in edges if value <= edge), "more"))


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _shape(text: str) -> str:
    return _NUMBER_GLUE.sub("0", " ".join(_words(text)))[:24]


def from_to(c: Context) -> str:
    """Where the number stands in "from X to Y": "x", "y" or "" (not in one)."""
    text, n = c.text, c.number
    before = text[max(c.sentence[0], n.start - len(n.sign) - 60) : n.start - len(n.sign)]
    if _FROM_BEFORE.search(before[-14:]) and _TO_AFTER.match(text, n.end):
        return "x"
    if _FROM_NUMBER_TO.search(before):
        return "y"
    return ""


def word_shape(surface: str) -> str:
    """ "MRI" -> "AAA", "GPT-4o" -> "AAA-0a": runs of one character class kept at most twice."""
    shaped = surface.translate(_SHAPE)
    return re.sub(r"(.)\1{2,}", r"\1\1", shaped)[:8]


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


def softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


@dataclass(slots=True)
class Option:
    """A candidate for a slot: a surface (None: nothing) and where it stands."""

    surface: str | None
    start: int = -1
    end: int = -1
    kind: str = "none"  # what proposed it: a mention's source, extended, head, own, paper
    features: list[str] = field(default_factory=list)
    canonical: str | None = None  # the mention's canonical name (a board's key), else the surface


@dataclass(slots=True)
class Context:
    """One candidate number of an abstract, with what surrounds it."""

    text: str
    title: str
    number: rules.Number
    sentence: tuple[int, int]
    previous: tuple[int, int] | None
    mentions: list[Mention]  # of the whole abstract
    own: list[str]
    rule: dict | None  # what the rules made of this number, if they kept it
    numbers: list[rules.Number]  # every candidate number of the sentence
    index: MentionIndex  # of the abstract's mentions, shared by its numbers


class MentionIndex:
    """What the numbers of an abstract read of its mentions, built once for all of them (scanning every
    mention for every number made a long abstract's numbers quadratic)."""

    def __init__(self, text: str, mentions: list[Mention]):
        self.text = text
        self.by_start = ByStart(mentions)
        self.surfaces = {slot: {m.surface.lower() for m in mentions if m.type == slot} for slot in SLOTS}
        self._in_sentence: dict[tuple[int, int], list[Mention]] = {}
        self._groups: dict[str, list[tuple[list[int], list[int]]]] = {}
        self._counts: dict[str, int] = {}

    def in_sentence(self, sentence: tuple[int, int]) -> list[Mention]:
        """The mentions starting in the sentence, in order."""
        if sentence not in self._in_sentence:
            self._in_sentence[sentence] = self.by_start.starting_in(*sentence)
        return self._in_sentence[sentence]

    def count(self, surface: str) -> int:
        """How often the surface is written in the abstract."""
        if surface not in self._counts:
            self._counts[surface] = self.text.count(surface)
        return self._counts[surface]

    def outside(self, slot: str, sentence: tuple[int, int]) -> list[Mention]:
        """The slot's mentions outside the sentence, nearest to its middle first (ties in the mentions'
        order), less those that cannot add an option to `slot_options`: a later mention of a group."""
        start, end = sentence
        middle = (start + end) / 2
        # Within 60 characters of the sentence's start, a metric's left extensions stop at it: taken singly.
        far = max(end, start + 60)
        mentions = self.by_start.mentions
        found = [i for i in self.by_start.indices_in(end, far) if mentions[i].type == slot]
        for starts, indices in self._grouped(slot):
            before = bisect_left(starts, start)
            if before:
                found.append(indices[before - 1])
            after = bisect_left(starts, far)
            if after < len(starts):
                found.append(indices[after])
        found.sort(key=lambda i: (abs(mentions[i].start - middle), i))
        return [mentions[i] for i in found]

    def _grouped(self, slot: str) -> list[tuple[list[int], list[int]]]:
        """The slot's mentions grouped by what they can add to its options from outside a number's sentence:
        the options their surface gives, and for a metric its left extensions, which read up to 60
        characters before it. Each group's starts ascending, with the index of the first mention there."""
        if slot not in self._groups:
            text, mentions = self.text, self.by_start.mentions
            groups: dict[object, tuple[list[int], list[int]]] = {}
            for i in self.by_start.order:
                m = mentions[i]
                if m.type != slot:
                    continue
                key = (m.surface, text[max(0, m.start - 60) : m.end]) if slot == "metric" else m.surface
                starts, indices = groups.setdefault(key, ([], []))
                if not starts or starts[-1] != m.start:
                    starts.append(m.start)
                    indices.append(i)
            self._groups[slot] = list(groups.values())
        return self._groups[slot]


def contexts(
    text: str, title: str, mentions: list[Mention], own: list[str], digit_runs=None
) -> list[Context]:
    """Every number of the abstract that is not part of a name, with its sentence and the rules' result."""
    covered = bytearray(len(text) + 1)
    for m in mentions:
        covered[m.start : m.end] = b"\x01" * (m.end - m.start)
    numbers = [
        n
        for n in rules.numbers_in(text, digit_runs)
        if 1 not in covered[n.start : n.end] and not (not n.unit and rules.YEAR.fullmatch(n.value))
    ]
    if not numbers:
        return []
    found_by_rules, number_spans = rules.find(text, mentions, own, digit_runs)
    by_start = {start: r for r, (start, _) in zip(found_by_rules, number_spans, strict=True)}
    spans = sentence_spans(text)
    starts = [s for s, _ in spans]
    index = MentionIndex(text, mentions)
    found = []
    by_sentence: dict[int, list[rules.Number]] = {}
    for n in numbers:
        by_sentence.setdefault(max(bisect_right(starts, n.start) - 1, 0), []).append(n)
    for i, sentence_numbers in by_sentence.items():
        sentence = spans[i]
        previous = spans[i - 1] if i else None
        for n in sentence_numbers:
            rule = by_start.get(n.start)
            found.append(
                Context(text, title, n, sentence, previous, mentions, own, rule, sentence_numbers, index)
            )
    return found


# ---- features -----------------------------------------------------------------------------------------


def number_features(c: Context) -> list[str]:
    text, n = c.text, c.number
    s_start, s_end = c.sentence
    before = _words(text[max(s_start, n.start - 60) : n.start - len(n.sign)])[-4:]
    after = _words(text[n.end : min(s_end, n.end + 50)])[:4]
    value = n.value
    f = [
        f"unit={n.unit}",
        f"sign={n.sign}",
        f"decimal={'.' in value}",
        f"fraction={'/' in value}",
        f"digits={len(value.split('.')[0])}",
        f"rule={'kept' if c.rule else 'dropped'}",
        f"candidate={rules.is_candidate(text, n)}",
    ]
    try:
        magnitude = float(value.split("/")[0])
        f.append(f"size={_bucket(magnitude, (1, 10, 100, 1000))}")
    except ValueError:
        pass
    f += [f"w-{i + 1}={w}" for i, w in enumerate(reversed(before))]
    f += [f"w+{i + 1}={w}" for i, w in enumerate(after)]
    f += [f"bw={w}" for w in before] + [f"aw={w}" for w in after]
    if before:
        f.append(f"w-1&unit={before[-1]}&{n.unit}")
    if after:
        f.append(f"w+1&unit={after[0]}&{n.unit}")
    f.append(f"paren={text[n.start - len(n.sign) - 1 : n.start - len(n.sign)] == '('}")
    inside = c.index.in_sentence(c.sentence)
    types = {m.type for m in inside}
    f += [f"has_{t}" for t in sorted(types)]
    for m in inside:
        if m.type in ("metric", "dataset"):
            distance = n.start - m.end if m.end <= n.start else m.start - n.end
            if 0 <= distance <= 40:
                f.append(f"near_{m.type}")
    f.append(f"numbers_in_sentence={_bucket(len(c.numbers), (1, 2, 4))}")
    f.append(f"from_to={from_to(c)}")
    if c.rule:
        f.append(f"rule_kind={c.rule['kind']}")
    return f


def kind_features(c: Context) -> list[str]:
    text, n = c.text, c.number
    s_start, s_end = c.sentence
    before = _words(text[max(s_start, n.start - 80) : n.start - len(n.sign)])[-6:]
    after = _words(text[n.end : min(s_end, n.end + 60)])[:5]
    f = [f"unit={n.unit}", f"sign={n.sign}", f"rule_kind={c.rule['kind'] if c.rule else 'none'}"]
    f += [f"k-{i + 1}={w}" for i, w in enumerate(reversed(before[-3:]))]
    f += [f"k+{i + 1}={w}" for i, w in enumerate(after[:3])]
    f += [f"kb={w}" for w in before] + [f"ka={w}" for w in after]
    return f


def _between_features(
    prefix: str, text: str, start: int, end: int, numbers: list, n: rules.Number
) -> list[str]:
    gap = text[start:end]
    f = [f"{prefix}gap={_bucket(len(gap))}"]
    if len(gap) <= 16:
        f.append(f"{prefix}glue={_shape(gap)}")
    others = sum(1 for o in numbers if o is not n and start <= o.start < end)
    f.append(f"{prefix}numbers_between={min(others, 2)}")
    if ";" in gap or ". " in gap:
        f.append(f"{prefix}clause_break")
    if len(gap) <= 80:
        f += [f"{prefix}via={w}" for w in sorted(set(_words(gap)) & _VIA)]
        if prefix == "a:" and _PAREN_NEXT.match(gap):
            f.append("a:in_paren_after_number")
    return f


def _mention_option_features(
    c: Context, slot: str, start: int, end: int, surface: str, kind: str
) -> list[str]:
    text, n = c.text, c.number
    direction = "before" if end <= n.start else "after"
    f = [f"src={kind}", f"dir={direction}", f"src&dir={kind}&{direction}"]
    if direction == "before":
        f += _between_features("b:", text, end, n.start - len(n.sign), c.numbers, n)
    else:
        f += _between_features("a:", text, n.end, start, c.numbers, n)
    if start < c.sentence[0]:
        f.append("previous_sentence" if c.previous and start >= c.previous[0] else "earlier")
    elif end > c.sentence[1]:
        f.append("later")
    words = surface.lower().split()
    f += [
        f"len={min(len(words), 4)}",
        f"first={words[0]}",
        f"last={words[-1]}",
        f"shape={word_shape(surface)}",
    ]
    position = from_to(c)
    if position:
        f.append(f"from_to={position}&{direction}")
    left = _words(text[max(0, start - 25) : start])[-2:]
    right = _words(text[end : end + 25])[:2]
    f += [f"l1={left[-1]}" if left else "l1=", f"r1={right[0]}" if right else "r1="]
    if slot == "model":
        cues = [w for w in _words(text[max(c.sentence[0], start - 40) : start])[-4:]]
        f += [f"cue={w}" for w in cues if w.startswith(_COMPARISON_CUES)]
        if text[end : end + 2] in (" (", "(") and text.find(")", end) > n.start > end:
            f.append("number_in_paren_after")
        if surface in c.own:
            f.append("own")
    if c.rule and (c.rule.get(slot) or "").lower() == surface.lower():
        f.append("rule_choice")
    if surface.lower() in c.title.lower():
        f.append("in_title")
    count = c.index.count(surface)
    f.append(f"count={min(count, 3)}")
    return f


def _add(options: dict[str, Option], option: Option) -> None:
    key = option.surface.lower() if option.surface else ""
    held = options.get(key)
    if held is None:
        options[key] = option


def slot_options(c: Context, slot: str) -> list[Option]:
    """Nothing, and every surface the slot could take; each with its features."""
    text, n = c.text, c.number
    options: dict[str, Option] = {}
    none_features = [f"none&unit={n.unit}", f"none&rule={'yes' if c.rule and c.rule.get(slot) else 'no'}"]
    in_sentence = [m for m in c.index.in_sentence(c.sentence) if m.type == slot]
    none_features.append(f"none&mentions={min(len(in_sentence), 2)}")
    _add(options, Option(None, features=["none", *none_features]))
    for m in _nearest_first(c, slot):
        kind = m.source if c.sentence[0] <= m.start < c.sentence[1] else "elsewhere"
        _add(options, Option(m.surface, m.start, m.end, kind, canonical=m.canonical))
        if slot == "metric":
            for start in _left_extensions(text, m.start, c.sentence[0]):
                _add(options, Option(text[start : m.end], start, m.end, "extended"))
        if slot == "dataset":
            base = _split_base(m.surface)
            if base:
                _add(options, Option(base, m.start, m.start + len(base), "base", canonical=m.canonical))
    if slot == "metric":
        for start, end in _head_phrases(text, c.sentence, n):
            _add(options, Option(text[start:end], start, end, "head"))
    if slot == "model":
        for own in c.own:
            _add(options, Option(own, kind="own"))
    if slot == "dataset" and not c.index.surfaces["dataset"] and c.rule and c.rule.get("dataset"):
        _add(options, Option(c.rule["dataset"], kind="paper"))
    listed = list(options.values())
    _rank_features(c, slot, listed)
    _respectively_features(c, listed)
    for option in listed:
        if option.surface is None:
            continue
        if option.start < 0:
            option.features = [f"src={option.kind}", *(["own"] if option.kind == "own" else [])]
            if c.rule and (c.rule.get(slot) or "").lower() == option.surface.lower():
                option.features.append("rule_choice")
        else:
            option.features = [
                *_mention_option_features(c, slot, option.start, option.end, option.surface, option.kind),
                *option.features,
            ]
    return listed


def _respectively_features(c: Context, options: list[Option]) -> None:
    """ "A and B reach 81.2 and 77.5 on X and Y, respectively": the number's place in its list against each
    option's place among the sentence's options of its slot, when the two lists are as long."""
    sentence = c.text[c.sentence[0] : c.sentence[1]]
    if "respectively" not in sentence:
        return
    run = next((r for r in rules.runs(c.text, c.numbers) if c.number in r), [c.number])
    inside = sorted(
        (o for o in options if o.surface and c.sentence[0] <= o.start < c.sentence[1]), key=lambda o: o.start
    )
    if len(run) < 2 or len(inside) != len(run):
        return
    place = run.index(c.number)
    for index, option in enumerate(inside):
        option.features.append("respectively=" + ("same" if index == place else "other"))


def _rank_features(c: Context, slot: str, options: list[Option]) -> None:
    """How near each option stands to the number among the slot's options of the sentence, per side; and
    for names from elsewhere in the abstract, whether they are its only one of the type."""
    n = c.number
    inside = [o for o in options if o.surface and c.sentence[0] <= o.start < c.sentence[1]]
    for side in ("before", "after"):
        placed = [o for o in inside if (o.end <= n.start) == (side == "before")]
        placed.sort(key=lambda o: n.start - o.end if side == "before" else o.start - n.end)
        for rank, option in enumerate(placed):
            option.features = [f"rank={min(rank, 2)}&{side}"]
    if inside:
        first = min(inside, key=lambda o: o.start)
        first.features.append("first_in_sentence")
    kinds = c.index.surfaces[slot]
    for option in options:
        if option.surface and not (c.sentence[0] <= option.start < c.sentence[1]):
            option.features = [f"outside&names={min(len(kinds), 3)}"]


def _nearest_first(c: Context, slot: str) -> list[Mention]:
    """The abstract's mentions of the slot's type, those of the number's sentence first, then the nearest
    (of those that can add an option)."""
    return [m for m in c.index.in_sentence(c.sentence) if m.type == slot] + c.index.outside(slot, c.sentence)


_EXTENSION_WORD = re.compile(r"([A-Za-z][\w\-]*)\s+$")


def _left_extensions(text: str, start: int, limit: int) -> list[int]:
    """Starts of the phrase grown by one and by two words to the left ("average" + "success rate")."""
    found = []
    position = start
    for _ in range(2):
        match = _EXTENSION_WORD.search(text, max(limit, position - 30), position)
        if not match or match.group(1).lower() in _STOP:
            break
        position = match.start(1)
        found.append(position)
    return found


_HEAD = re.compile(r"[A-Za-z][\w\-]*")


def _head_phrases(text: str, sentence: tuple[int, int], n: rules.Number) -> list[tuple[int, int]]:
    """Phrases of one to three words ending in a measure's head word, within 60 characters of the number."""
    low, high = max(sentence[0], n.start - 80), min(sentence[1], n.end + 60)
    words = [(m.start(), m.end(), m.group().lower()) for m in _HEAD.finditer(text, low, high)]
    found = []
    for i, (_, end, word) in enumerate(words):
        if word not in METRIC_HEADS:
            continue
        for length in (1, 2, 3):
            j = i - length + 1
            if j < 0 or any(w in _STOP for _, _, w in words[j:i]):
                break
            if text[words[j][0] : end].count(" ") != length - 1:
                break
            found.append((words[j][0], end))
    return found


_SPLIT_WORDS = re.compile(
    r"[ -](?:test|dev|val|validation|train|test-clean|test-other|dev-clean|dev-other|test-dev|test-std|"
    r"minival|val2017|test2017|clean|other|hard|easy)$",
    re.I,
)


def _split_base(surface: str) -> str | None:
    base = _SPLIT_WORDS.sub("", surface)
    return base if base != surface and len(base) > 1 else None


_VS_BEFORE = re.compile(r"(?:vs\.?|versus|compared to|against)\s*$")
_VS_AFTER = re.compile(r"\s*\\?%?\s*(?:vs\.?|versus)\s")


def role_features(c: Context, model: Option, kind: str) -> list[str]:
    text, n = c.text, c.number
    s_start = c.sentence[0]
    before = text[max(s_start, n.start - 12) : n.start]
    f = [
        f"kind={kind}",
        f"model_src={model.kind}",
        f"model_own={bool(model.surface and model.surface in c.own)}",
        f"from_before={' from ' in before or before.endswith('from ')}",
        f"to_before={before.rstrip().endswith(' to')}",
        f"paren={text[n.start - len(n.sign) - 1 : n.start - len(n.sign)] == '('}",
        f"vs_before={bool(_VS_BEFORE.search(before))}",
        f"from_to={from_to(c)}",
        f"from_to&own={from_to(c)}&{bool(model.surface and model.surface in c.own)}",
        f"vs_after={bool(_VS_AFTER.match(text, n.end))}",
    ]
    f += [f"m:{x}" for x in model.features if x.startswith(("cue=", "number_in_paren", "dir=", "own"))]
    sentence = text[s_start : c.sentence[1]].lower()
    f += [f"says={w}" for w in ("our", "we ", "human", "baseline", "random", "oracle") if w in sentence]
    words = _words(text[max(s_start, n.start - 50) : n.start])[-4:]
    f += [f"rw={w}" for w in words]
    return f


def is_rankable(kind: str, role: str, slots: dict[str, Option], own: list[str]) -> bool:
    """Whether a claim can stand on a leaderboard: an absolute value of a proposed or baseline model, its
    dataset and metric named in the evidence sentence, the model there too or the paper's own method."""
    if kind != "absolute" or role == "other" or not all(o.surface for o in slots.values()):
        return False
    in_sentence = all(slots[s].kind not in ("elsewhere", "paper") for s in ("dataset", "metric"))
    return in_sentence and (slots["model"].kind != "elsewhere" or slots["model"].surface in own)


def sentence_shape(c: Context) -> list[str]:
    """How crowded and comparative the number's sentence is: what makes a claim easy or hard to read."""
    inside = c.index.in_sentence(c.sentence)
    f = [f"n_{t}={min(len({m.surface for m in inside if m.type == t}), 3)}" for t in SLOTS]
    f.append(f"n_numbers={min(len(c.numbers), 4)}")
    sentence = c.text[c.sentence[0] : c.sentence[1]].lower()
    f += [
        f"cue_{w.strip()}"
        for w in (" respectively", " vs", " versus", " than ", " from ", " compared")
        if w in sentence
    ]
    return f


def calibration_features(
    p: dict[str, float], kind: str, role: str, slots: dict[str, Option], own: list[str], shape: list[str] = ()
) -> list[str]:
    """What the calibration model reads: the choices' probabilities (binned) and the claim's shape."""
    f = [f"kind={kind}", f"role={role}", f"rankable={is_rankable(kind, role, slots, own)}"]
    f += shape
    for name, prob in p.items():
        f.append(f"p_{name}={_bucket(prob, (0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99))}")
    agree = 0
    for slot, option in slots.items():
        where = "none" if option.surface is None else option.kind
        f.append(f"{slot}={where}")
        f.append(f"{slot}={where}&role={role}")
        if "rule_choice" in option.features:  # the rules chose the same
            f.append(f"agree_{slot}")
            agree += 1
    f.append(f"agree={agree}")
    f.append(f"p_min={_bucket(min(p.values()), (0.3, 0.5, 0.7, 0.8, 0.9, 0.95))}")
    f.append(f"p_all={_bucket(math.prod(p.values()), (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9))}")
    f += [f"{x}&role={role}" for x in shape]
    for slot, prefix in (("model", "m:"), ("dataset", "d:"), ("metric", "t:")):
        f += [prefix + x for x in slots[slot].features if x.startswith(_TELLING)]
        f += [f"{prefix}{x}&role={role}" for x in slots[slot].features if x.startswith(_TELLING)]
    return f


# What of a chosen option's features tells the calibration whether the claim reads right.
_TELLING = (
    "via=",
    "a:via=",
    "b:via=",
    "a:in_paren",
    "number_in_paren",
    "from_to=",
    "own",
    "src=",
    "respectively=",
    "rank=",
    "dir=",
    "previous_sentence",
    "earlier",
    "later",
    "shape=",
)


# ---- the model ----------------------------------------------------------------------------------------


def _dot_classes(weights: dict, features: list[str], classes: int) -> list[float]:
    scores = [0.0] * classes
    for f in ("bias", *features):
        row = weights.get(f)
        if row:
            for k, w in enumerate(row, start=1):
                scores[k] += w
    return scores


class ResultModel:
    def __init__(self, weights: dict):
        self.weights = weights
        self.thresholds = weights.get("thresholds", {"result": 0.5, "leaderboard": 0.5})

    @classmethod
    def load(cls, path: Path | str = WEIGHTS_FILE) -> ResultModel:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def p_result(self, c: Context) -> float:
        return sigmoid(_dot_classes(self.weights["result"], number_features(c), 2)[1])

    def p_kinds(self, c: Context) -> list[float]:
        return softmax(_dot_classes(self.weights["kind"], kind_features(c), 2))

    def choose(self, c: Context, slot: str, exclude: list[str] = ()) -> tuple[Option, float]:
        options = [o for o in slot_options(c, slot) if o.surface not in exclude]
        weights = self.weights[slot]
        probs = softmax([sum(weights.get(f, 0.0) for f in o.features) for o in options])
        best = max(range(len(options)), key=probs.__getitem__)
        return options[best], probs[best]

    def p_roles(self, c: Context, model: Option, kind: str) -> list[float]:
        return softmax(_dot_classes(self.weights["role"], role_features(c, model, kind), 3))

    def predict(self, c: Context, with_features: bool = False) -> dict | None:
        """The result `c`'s number is, or None; `with_features` adds what the calibration read."""
        p_result = self.p_result(c)
        if p_result < self.thresholds["result"]:
            return None
        p_kinds = self.p_kinds(c)
        kind = KINDS[p_kinds.index(max(p_kinds))]
        chosen = {slot: self.choose(c, slot) for slot in SLOTS}
        if _bound_elsewhere(c, chosen["metric"][0]):
            chosen["metric"] = self.choose(c, "metric", exclude=[chosen["metric"][0].surface])
        slots = {slot: option for slot, (option, _) in chosen.items()}
        p_roles = self.p_roles(c, slots["model"], kind)
        role = ROLES[p_roles.index(max(p_roles))]
        if role != "proposed" and slots["model"].surface in c.own:  # a baseline's number is not the paper's
            option, p = self.choose(c, "model", exclude=c.own)
            chosen["model"], slots["model"] = (option, p), option
        probs = {"result": p_result, "kind": max(p_kinds), "role": max(p_roles)}
        probs |= {slot: p for slot, (_, p) in chosen.items()}
        calibration = calibration_features(probs, kind, role, slots, c.own, sentence_shape(c))
        confidence = sigmoid(_dot_classes(self.weights["calibration"], calibration, 2)[1])
        rankable = is_rankable(kind, role, slots, c.own)
        n = c.number
        return ({"calibration": calibration} if with_features else {}) | {
            "value": n.value,
            "unit": n.unit,
            "kind": kind,
            "metric": slots["metric"].surface,
            "dataset": slots["dataset"].surface,
            "model": slots["model"].surface,
            "evidence": c.text[c.sentence[0] : c.sentence[1]],
            "condition": (c.rule or {}).get("condition"),
            "role": role,
            "confidence": round(confidence, 3),
            "leaderboard": rankable and confidence >= self.thresholds["leaderboard"],
        }

    def find(
        self, text: str, title: str, mentions: list[Mention], own: list[str], digit_runs=None
    ) -> tuple[list[dict], list[tuple[int, int]]]:
        """The results of an abstract, and the (start, end) of each one's number (as `results.find`)."""
        found, spans, previous = [], [], None
        for c in contexts(text, title, mentions, own, digit_runs):
            result = self.predict(c)
            if not result:
                previous = None
                continue
            if previous and rules._RANGE_GLUE.fullmatch(text, previous[0].end, c.number.start):
                _share_slots(previous[1], result)
            found.append(result)
            spans.append((c.number.start, c.number.end))
            previous = (c.number, result)
        return found, spans


# A metric followed right away by numbers of its own: "a faster inference speed (77 ms vs. 168 ms)".
_OWN_NUMBERS_NEXT = re.compile(r"\s*(?:\(|:|=|of)?\s*$")


def _bound_elsewhere(c: Context, metric: Option) -> bool:
    """Whether the metric chosen for the number stands after it, not right after it, and is followed right
    away by another number of the sentence: that number's metric, not this one's."""
    n = c.number
    if metric.surface is None or metric.start < n.end or not c.text[n.end : metric.start].strip():
        return False
    following = [m for m in c.numbers if m.start >= metric.end]
    return bool(following) and bool(_OWN_NUMBERS_NEXT.fullmatch(c.text[metric.end : following[0].start]))


def _share_slots(first: dict, second: dict) -> None:
    """The two ends of a range ("40-90% error reduction") are one claim's bounds: what one names, both do."""
    for slot in ("metric", "dataset", "model"):
        first[slot] = first[slot] or second[slot]
        second[slot] = second[slot] or first[slot]
