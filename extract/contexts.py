"""Context rules around and beyond the lexicons.

- Qualified metrics keep their qualifier ("top-1 classification accuracy", "validation perplexity",
  "re-ID accuracy", "Binary F1"), as GUIDELINES.md asks; a metric inside a compound ("low-precision",
  "at inference time") is no metric.
- Metric shapes: `pass@50`, `Hits@3`, `nDCG@20`.
- Datasets keep a named split ("LibriSpeech test-other") and a continual-learning variant prefix
  ("Split-CIFAR100"); a name-like word right before "benchmark", "dataset" or "corpus" is a dataset.
"""

from __future__ import annotations

import re

from extract import names
from extract.mentions import Mention, resolve_overlaps


def _words(text: str) -> set[str]:
    return set(text.split())


# Words that qualify a metric and belong to its name; "average", "overall" and "mean" are left out, as
# the guidelines keep "Hits@10" in "average Hits@10".
QUALIFIERS = _words(
    """
    validation val test testing train training final held-out dev top-1 top-5 top1 top5 rank-1 rank-5
    classification retrieval detection segmentation recognition generation captioning unlearning attack
    adversarial robust clean binary macro micro weighted balanced zero-shot few-shot one-shot linear-probe
    linear probing fine-tuning question answer answering qa reconstruction translation re-id reid
    identification verification localization grounding tracking forgetting transfer downstream in-domain
    out-of-domain ood id top-k exact token span entity relation word character sentence computation
    computational inference decoding end-to-end
    """
)
_QUALIFIABLE_TYPES = ("metric",)
_PREVIOUS_WORD = re.compile(r"([A-Za-z0-9][\w\-]*)\s$")
# "low-precision", "mixed precision", "pre-training loss", "at inference time": not metrics.
_COMPOUND_BEFORE = re.compile(
    r"(?:[A-Za-z]-|\b(?:low|high|mixed|half|full|single|double|numerical|floating|arbitrary|at|during|to)\s)$",
    re.I,
)
# Metrics spelled like a verb phrase count only after an amount.
_VERB_LIKE = frozenset(("speed up", "speeds up"))
_AMOUNT_BEFORE = re.compile(r"(?:\d|\d\s?[x×]|times)\s*$")
_METRIC_SHAPE = re.compile(r"(?<![\w@])([A-Za-z][A-Za-z\-]*@(?:\d+|[kKnN]))(?![\w@])")
_SPLITS = (
    r"(?:test-clean|test-other|dev-clean|dev-other|test-dev|test-std|test-challenge|val2017|test2017|"
    r"minival|val-other|test-easy|test-hard)\b"
)
_SPLIT_TAIL = re.compile(r"[ -]" + _SPLITS, re.I)
_SPLIT_AT_END = re.compile(r"[ -]" + _SPLITS + "$", re.I)
# Further splits listed after the first: "LibriSpeech test-clean/test-other".
_MORE_SPLITS = re.compile(r"(?:/|,\s|,?\s(?:and|or)\s)(" + _SPLITS + ")", re.I)
# A variant glued to a known dataset: "LUPerson-T", "ImageNet-LT".
_VARIANT_SUFFIX = re.compile(
    r"-(?:[A-Z0-9][A-Za-z0-9]*|long|short|medium|hard|easy|lite|mini|full)(?![\w\-])"
)
# A variant set off by a space: "HumanEval Pro", "SWE-bench Verified", "BigCodeBench-Lite Pro".
_SPACED_VARIANT = re.compile(r" (?:Pro|Plus|Lite|Verified|Hard)(?![\w\-])")
_VERSION_TAIL = re.compile(r" v\d+(?:\.\d+)*(?![\w.])")  # "LVIS v1.0"
_VARIANT_PREFIX = re.compile(
    r"(?:\d+-)?(?:(?:Split|Permuted|Rotated|Seq|Sequential|Class-incremental|S)-"
    r"|(?:Split|Permuted|Rotated) )$"
)
_NAME_BEFORE_HEAD = re.compile(
    r"((?:[A-Z][\w\-.'+]*|[\w\-]*\d[\w\-.]*)(?:\s(?:[A-Z][\w\-.'+]*|\d[\w.]*)){0,3})$"
)
_NOT_DATASET_NAMES = {"The", "This", "These", "Our", "A", "An", "We", "New", "Large", "Public", "Existing"}


def qualify_metrics(text: str, mentions: list[Mention]) -> list[Mention]:
    """Drop metrics inside compounds and extend the rest over their qualifiers."""
    kept = []
    previous_end = 0
    for mention in mentions:
        if mention.type in _QUALIFIABLE_TYPES:
            before = text[max(0, mention.start - 12) : mention.start]
            if _COMPOUND_BEFORE.search(before) or _is_adjective_variant(text, mention):
                continue
            if mention.surface.lower() in _VERB_LIKE and not _AMOUNT_BEFORE.search(before):
                continue  # "approaches for speed up", not "a 2x speed up"
            start = mention.start
            previous = kept[-1] if kept else None
            if (
                previous is not None
                and previous.type == "metric"
                and previous.surface.lower() in QUALIFIERS
                and text[previous.end : mention.start] == " "
            ):
                kept.pop()  # "Rank-1 accuracy": a metric that qualifies the next one is part of its name
                start = previous.start
                previous_end = kept[-1].end if kept else 0
            for _ in range(3):
                word = _PREVIOUS_WORD.search(text, max(previous_end, start - 30), start)
                if not word or word.group(1).lower() not in QUALIFIERS:
                    break
                start = word.start(1)
            if start != mention.start:
                # The qualified metric keeps its head's canonical name (and so its direction).
                mention = Mention(
                    mention.type, start, mention.end, text[start : mention.end], mention.canonical, "context"
                )
        kept.append(mention)
        previous_end = mention.end
    return kept


def _is_adjective_variant(text: str, mention: Mention) -> bool:
    """A spaced metric written with hyphens before a noun: "inference-time scaling" (not "F1-score to")."""
    hyphened = mention.surface.count("-") > mention.canonical.count("-")
    return hyphened and _NOUN_AFTER.match(text, mention.end) is not None


# A lower-case word that may be the noun a hyphenated compound qualifies: not a function word.
_NOUN_AFTER = re.compile(
    r" (?!(?:to|of|by|on|in|at|for|from|with|over|across|than|as|and|or|is|are|was|were|which|that|while"
    r"|when|compared|respectively|improvements?|gains?|increases?|drops?|boosts?|reductions?|decreases?)\b)[a-z]"
)


_DATASET_HEAD_AFTER = re.compile(
    r"(?:\s(?:test|evaluation|training|development|dev|meeting))?"
    r"\s(?:corpus|corpora|dataset|datasets|data set|data sets|data|sets?|treebank|lexicon|thesaurus|"
    r"collection|shared task)\b",
    re.I,
)


# TDMSci keeps a metric's qualifier only when it says how the metric is computed ("labeled recall").
_TDMSCI_QUALIFIERS = _words(
    """
    labeled unlabeled micro-averaged macro-averaged micro macro unigram bigram word-level character-level
    sentence-level document-level token-level relational dependency label
    """
)
_DATASET_VERSION_AFTER = re.compile(r"(?: \([A-Z][\w\-]*\))? \d+(?:\.\d+)?\b(?!%)")
_DEFINED_AFTER = re.compile(r" \([A-Z][\w\-]*\)")
_SCORE_AFTER_ACRONYM = re.compile(r"(?:BLEU|ROUGE[\w\-]*|METEOR|TER|NIST) scores?$", re.I)


_NOT_RUN_HEADS = (
    "The ",
    "On ",
    "In ",
    "For ",
    "We ",
    "Our ",
    "This ",
    "Table ",
    "Figure ",
    "Using ",
    "From ",
)


def tdmsci_spans(text: str, mentions: list[Mention]) -> list[Mention]:
    """TDMSci's span conventions: "Europarl corpus" (the head written after a dataset), "word error rate
    (WER)" (a defined acronym inside the span), "BLEU" (without "score"), bare metric heads."""
    marked = []
    name_runs = None
    for mention in mentions:
        start, end = mention.start, mention.end
        if mention.type == "dataset":
            if name_runs is None:
                name_runs = [(run[0][0], run[-1][1]) for run in names.runs(text) if len(run) > 1]
            for run_start, run_end in name_runs:
                # the whole run of capitalised words it stands in: "AFP Gigaword English", "PTB WSJ"
                if (
                    run_start <= start
                    and end <= run_end
                    and not text[run_start:start].startswith(_NOT_RUN_HEADS)
                ):
                    start, end = run_start, run_end
                    break
            version = _DATASET_VERSION_AFTER.match(text, end)
            end = version.end() if version else end
            head = _DATASET_HEAD_AFTER.match(text, end)
            end = head.end() if head else end
        if mention.type == "metric":
            if _SCORE_AFTER_ACRONYM.search(mention.surface):
                end = start + mention.surface.rindex(" ")
            word = _PREVIOUS_WORD.search(text, max(0, start - 30), start)
            if word and word.group(1).lower() in _TDMSCI_QUALIFIERS:
                start = word.start(1)
        defined = _DEFINED_AFTER.match(text, end)
        if defined and mention.type in ("dataset", "metric"):
            end = defined.end()
        if (start, end) != (mention.start, mention.end):
            mention = Mention(mention.type, start, end, text[start:end], mention.canonical, mention.source)
        marked.append(mention)
    return resolve_overlaps(marked)


def metric_shapes(text: str) -> list[Mention]:
    if "@" not in text:
        return []
    return [
        Mention("metric", m.start(1), m.end(1), m.group(1), m.group(1), "shape")
        for m in _METRIC_SHAPE.finditer(text)
    ]


# Acronyms with two senses, and the word that, anywhere in the abstract, picks the other sense than the
# lexicon's: acronym -> (type, canonical, cue, counter-cue).
_SENSE_CUES = {"MAE": ("model", "MAE", "masked", "absolute")}


def resolve_senses(text: str, mentions: list[Mention]) -> list[Mention]:
    """ "outperforming the MAE" in an abstract on masked image modeling: the masked autoencoder, not the
    mean absolute error."""
    lowered = None
    resolved = []
    for mention in mentions:
        sense = _SENSE_CUES.get(mention.surface)
        if sense is not None:
            lowered = lowered or text.lower()
            entity_type, canonical, cue, counter_cue = sense
            if cue in lowered and counter_cue not in lowered:
                mention = Mention(
                    entity_type, mention.start, mention.end, mention.surface, canonical, "context"
                )
        resolved.append(mention)
    return resolved


def extend_datasets(text: str, mentions: list[Mention]) -> list[Mention]:
    """Grow dataset mentions by a named split or variant after them or a variant prefix before them."""
    grown = []
    for mention in mentions:
        if mention.type == "dataset":
            start, end = mention.start, mention.end
            split = (
                _SPLIT_TAIL.match(text, end)
                or _VARIANT_SUFFIX.match(text, end)
                or _VERSION_TAIL.match(text, end)
            )
            if split:
                end = split.end()
            variant = _SPACED_VARIANT.match(text, end)
            if variant:
                end = variant.end()
            more = _MORE_SPLITS.match(text, end) if _SPLIT_AT_END.search(text, start, end) else None
            while more:  # a split keeps the canonical name of its dataset, as one grown from it does
                base = _SPLIT_AT_END.sub("", mention.canonical)
                grown.append(Mention("dataset", more.start(1), more.end(), more[1], base, mention.source))
                more = _MORE_SPLITS.match(text, more.end())
            prefix = _VARIANT_PREFIX.search(text, max(0, start - 20), start)
            if prefix:
                start = prefix.start()
            if (start, end) != (mention.start, mention.end):
                mention = Mention("dataset", start, end, text[start:end], mention.canonical, mention.source)
        grown.append(mention)
    return sorted(grown, key=lambda m: m.start)


def dataset_contexts(text: str, heads: list[int], not_names: frozenset[str] = frozenset()) -> list[Mention]:
    """Name-like words right before "benchmark", "dataset" or "corpus" (whose starts are `heads`): "the
    NTUML2021 benchmark"."""
    found = []
    for head_start in (head - 1 for head in heads if text[head - 1 : head] == " "):
        words = text[max(0, head_start - 60) : head_start].split(" ")[1:][-4:]
        while words and not _is_name_word(words[0]):
            words.pop(0)
        if any(not _is_name_word(word) for word in words):
            words = words[[i for i, w in enumerate(words) if not _is_name_word(w)][-1] + 1 :]
        while words and words[0] in _NOT_DATASET_NAMES:
            words.pop(0)
        if not words or not any(c.isupper() or c.isdigit() for c in words[-1]):
            continue
        if all(word.lower() in _LANGUAGE_WORDS for word in words):
            continue  # "an English corpus"
        if words[-1].lower() in not_names or _SIZE_ONLY.fullmatch(words[-1]):
            continue  # "VLMs benchmark", "1M dataset"
        surface = " ".join(words)
        found.append(Mention("dataset", head_start - len(surface), head_start, surface, surface, "context"))
    return found


_DIGIT = re.compile(r"\d")


def _is_name_word(word: str) -> bool:
    """A capitalised word or one with digits, as names are written: "NTUML2021", "Long", "Arena"."""
    return (
        bool(word)
        and (word[0].isupper() or _DIGIT.search(word) is not None)
        and word[-1].isalnum()
        and word[0] != "("
        and not _AMOUNT.fullmatch(word)
    )


# A number with a lower-case unit is an amount, not a name: "10hours", "100k".
_AMOUNT = re.compile(r"\d+(?:\.\d+)?[a-z]+")


# A name-like phrase: capitalised words with inner capitals or digits ("CUHK-PEDES", "MSMT17", "Foo Bar-2").
_NAME_CHARS = r"(?:[\w+]|[-.](?=\w)|'(?=\d))*"
_NAME_LIKE = (
    rf"(?:[A-Z]{_NAME_CHARS}|[a-z]+[A-Z]{_NAME_CHARS}|\d+(?![a-z]+(?![\w\-]))[A-Za-z]{_NAME_CHARS})"
    rf"(?:\s[A-Z0-9]{_NAME_CHARS}){{0,2}}"
)
_LIST_AFTER = re.compile(rf"(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+|/)(?P<name>{_NAME_LIKE})")
_LIST_BEFORE = re.compile(rf"(?P<name>{_NAME_LIKE})(?:,\s*|\s+(?:and|or)\s+|/)$")
_NAME_AT = re.compile(rf"(?:the\s+)?(?P<name>{_NAME_LIKE})")
# Words before "on X" that make X what the work builds on, not what it is evaluated on.
_NOT_DATASET_BEFORE_ON = _words(
    """
    based built top rely relies relying depend depends depending focus focuses focusing work works working
    run runs running deployed implemented conditioned improve improves improving outperform outperforms
    draw draws drawing build builds building comment comments report reports insight insights perspective
    perspectives light emphasis impact effect effects attack attacks operate operates
    """
)


_SIZE_ONLY = re.compile(r"\d+(?:\.\d+)?[KMBT]?")
_ADJECTIVE_END = re.compile(r"-[a-z]+(?:ed|ing|based|like|free|aware|specific|style)$")


def _looks_like_a_name(name: str, not_names: set[str], after: str = "") -> bool:
    words = name.split()
    if not words or "/" in name or after.startswith(("'s", "’s")):
        return False  # "AI2's OLMo": AI2 owns the model
    if all(part.lower() in _LANGUAGE_WORDS for part in name.replace("-", " ").split()):
        return False  # "Chinese-to-English", "English-German": a language pair
    if name.lower() in not_names or words[0].lower() in not_names or words[-1].lower() in not_names:
        return False  # "405B LLMs", "VLMs"
    if _SIZE_ONLY.fullmatch(name) or _ADJECTIVE_END.search(name):
        return False  # "1M", "LLM-generated"
    if len(words) == 1 and name.endswith("s") and name[:-1].isupper():
        return False  # a plural acronym: LLMs
    if len(words) == 1 and name.isupper():
        return len(name) > 2  # "NQ" alone could be anything; "MSMT" less so
    return any(any(c.isupper() or c.isdigit() for c in word[1:]) for word in words)


_LANGUAGE_WORDS = _words(
    """
    english chinese german french spanish italian portuguese russian japanese korean arabic hindi bengali
    urdu persian farsi turkish dutch swedish danish norwegian finnish polish czech romanian hungarian greek
    hebrew thai vietnamese indonesian malay swahili tamil telugu ukrainian catalan basque estonian latvian
    lithuanian slovak slovenian croatian serbian bulgarian icelandic irish welsh tagalog amharic yoruba
    zulu xhosa nepali sinhala burmese khmer lao mongolian kazakh uzbek pashto kurdish multilingual
    cross-lingual bilingual monolingual to and
    """
)


def coordinated(text: str, mentions: list[Mention], not_names: set[str]) -> list[Mention]:
    """Unknown names listed with a known model or dataset share its type: "BERT, ConvKNRM and DRMM"."""
    found = []
    taken = {(m.start, m.end) for m in mentions}
    # A name the paper uses as one type elsewhere is not listed as another ("Suite, Dreamer-X reaches").
    typed = {m.surface: m.type for m in mentions}
    not_names = not_names | {surface for surface in typed}
    for mention in mentions:
        if mention.type not in ("model", "dataset") or mention.source == "coined":
            continue
        position = mention.end
        for _ in range(6):
            item = _LIST_AFTER.match(text, position)
            if not item:
                break
            name = _trim_name(item.group("name"))
            start = item.start("name")
            after = text[start + len(name) : start + len(name) + 2]
            if not _looks_like_a_name(name, not_names, after) or _in_url(text, start):
                break
            if (start, start + len(name)) not in taken:
                found.append(Mention(mention.type, start, start + len(name), name, name, "context"))
            position = start + len(name)
        item = (
            _LIST_BEFORE.search(text, max(0, mention.start - 40), mention.start)
            if _listed_before(text, mention.start)
            else None
        )
        if item:
            name = _trim_name(item.group("name"))
            start = item.start("name")
            if (
                _looks_like_a_name(name, not_names)
                and (start, start + len(name)) not in taken
                and not _in_url(text, start)
            ):
                found.append(Mention(mention.type, start, start + len(name), name, name, "context"))
    return found


def datasets_after_on(text: str, not_names: set[str], ons: list[int]) -> list[Mention]:
    """ "... experiments on CUHK-PEDES": a name-like phrase after "on" (whose starts are `ons`) is what the
    work is evaluated on."""
    found = []
    for on in ons:
        match = _NAME_AT.match(text, on + 3) if text[on + 2 : on + 3] == " " else None
        if not match:
            continue
        name = _trim_name(match.group("name"))
        if not _looks_like_a_name(name, not_names):
            continue
        previous = text[max(0, match.start() - 24) : match.start()].split()[-2:-1]
        if previous and previous[0].lower() in _NOT_DATASET_BEFORE_ON:
            continue
        start = match.start("name")
        found.append(Mention("dataset", start, start + len(name), name, name, "context"))
    return found


def _listed_before(text: str, position: int) -> bool:
    """A cheap test for "X, " / "X and " / "X/" right before `position`."""
    before = text[max(0, position - 5) : position]
    return before.endswith((", ", " and ", " or ", "/", ","))


def _in_url(text: str, position: int) -> bool:
    word_start = text.rfind(" ", 0, position) + 1
    return "/" in text[word_start:position] or "://" in text[word_start : position + 8]


_TRAILING_HEAD = re.compile(r"\s(?:Benchmark|Dataset|Corpus|Suite|Challenge|Leaderboard)s?$")


def _trim_name(name: str) -> str:
    """Without trailing punctuation or a capitalised head noun ("RAFT Benchmark" -> "RAFT")."""
    return _TRAILING_HEAD.sub("", name.rstrip(".,;:'"))
