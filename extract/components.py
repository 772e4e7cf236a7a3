"""The project's spaCy components, assembled by `extract/config.cfg` (see `extractor.py`). Each adds candidate
mentions (or results) to the Doc; data (lexicons, weights) is loaded in a component's `initialize`, from the
paths of the config's `[initialize.components]` blocks, relative to extract/:

- `paperpulse_lexicon`: PhraseMatchers (on LOWER, and on ORTH for names that are also common words) over
  every alias of the lexicons (task aliases kept apart for `paperpulse_tasks`), and token-shape rules that
  grow a known model name by its version, size and variant (`LLaMA-7B`, `Qwen2.5-72B-Instruct`, `Pythia
  410M`), or find unknown sized names (`Foo-13B`).
- `paperpulse_definitions`: acronym definitions ("Natural Questions (NQ)") linking both forms, the paper's
  own named method ("we propose X", the title's "X: ..."), and dataset/metric context patterns.
- `paperpulse_names`: a small learned model (`names.py`) that scores name-like candidates no rule claimed
  and adds those it accepts as `learned` mentions.
- `paperpulse_resolve`: adds context rules (`contexts.py`), settles overlapping candidates, extends metrics
  by their qualifiers and datasets by their splits, and sets `doc._.mentions`.
- `paperpulse_crf` (TDMSci's conventions only; registered in `crf.py`): a CRF re-tags the dataset mentions.
- `paperpulse_results`: numeric results tied to a metric or dataset, set on `doc._.results`.
- `paperpulse_tasks`: task mentions from the lexicon's task matches (`tasks.py`), added to the mentions.
- `paperpulse_task_crf` (TDMSci's conventions only; registered in `task_crf.py`): a CRF re-tags the tasks.
- `paperpulse_spans`: the pipeline's output as spaCy span groups: `doc.spans["mentions"]` (label = type,
  kb_id = canonical name, `span._.mention` the Mention) and `doc.spans["results"]` (each result's number
  as written with its unit, "26.79%", label = its kind, `span._.result` the result dict).

Between components, mentions travel in `doc.user_data` (cheaper than span groups on the hot path); only the
last component writes the span groups.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple

from spacy.attrs import LOWER
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import registry

from extract import contexts, definitions, names, result_model, results, shapes, tasks
from extract.lexicon import NAME_TYPES, Entry, alias_variants, read_lexicons
from extract.mentions import FIRM_SOURCES, Mention, resolve_overlaps
from extract.text import find_any

EXTRACT_DIR = Path(__file__).resolve().parent
CANDIDATES = "paperpulse_candidates"
CUES = "paperpulse_cues"
# Words the rules start from. The lexicon's PhraseMatcher finds them in the same pass as the names, so no
# component scans the text for them again: kind -> words (matched on LOWER).
CUE_WORDS = {
    "we": ("we",),
    "naming": (
        "called",
        "named",
        "dubbed",
        "termed",
        "coined",
        "namely",
        "denoted",
        "denoting",
        "refer",
        "referred",
    ),
    "method_noun": ("method", "methods", "model", "models", "framework", "algorithm", "approach"),
    "dataset_head": ("benchmark", "benchmarks", "dataset", "datasets", "corpus"),
    "on": ("on",),
}
DIGIT_RUNS = "paperpulse_digit_runs"
TITLE = "paperpulse_title"
TEXT = "paperpulse_text"

# What the components hand on, kept in doc.user_data (cheaper than doc._ on the hot path) and also
# readable as doc._.mentions, doc._.results and doc._.own_methods.
MENTIONS, RESULTS, OWN_METHODS = "paperpulse_mentions", "paperpulse_results", "paperpulse_own_methods"
RESULT_SPANS = "paperpulse_result_spans"  # (start, end) of each result's number, in the order of RESULTS
for _name, _key in (("mentions", MENTIONS), ("results", RESULTS), ("own_methods", OWN_METHODS)):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, getter=lambda doc, key=_key: doc.user_data.get(key))
# What a span of the output span groups stands for (`paperpulse_spans`).
for _name in ("mention", "result"):
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=None)


def data_path(value: str | Path) -> Path:
    """A data path of the config: relative paths are relative to extract/."""
    path = Path(value)
    return path if path.is_absolute() else EXTRACT_DIR / path


@registry.callbacks("paperpulse.lower_only_lexemes.v1")
def make_lower_only_lexemes():
    """`[nlp.after_creation]`: the components read only each token's offset, length and LOWER (the phrase
    matcher's attribute), so a new word's lexeme gets no other attribute: spaCy computes some twenty of
    them, in Python, for every word it has not seen, about a quarter of the tokenizer's time on new text."""

    def lower_only_lexemes(nlp: Language) -> Language:
        nlp.vocab.lex_attr_getters = {LOWER: nlp.vocab.lex_attr_getters[LOWER]}
        return nlp

    return lower_only_lexemes


_CHUNK_RUN = re.compile(r"[A-Za-z0-9\-_./+]*")


_LEADING_LETTERS = re.compile(r"[A-Za-z]*")


def _leading_letters(text: str) -> str:
    return _LEADING_LETTERS.match(text).group().lower()


def candidates(doc: Doc) -> list[Mention]:
    return doc.user_data.setdefault(CANDIDATES, [])


def cues_of(doc: Doc) -> dict[str, list[int]]:
    return doc.user_data.get(CUES) or {kind: [] for kind in CUE_WORDS}


def text_of(doc: Doc) -> str:
    """The Doc's text, built once: `doc.text` joins every token again on each call."""
    text = doc.user_data.get(TEXT)
    if text is None:
        text = doc.user_data[TEXT] = doc.text
    return text


class LexiconMatcher:
    """The lexicons' names and the rules' cue words in one PhraseMatcher pass, and the token-shape rules.
    The lexicons are loaded by `initialize` (`lexicons`: their folder; `held_out_ids`: seed gold papers whose
    own entries are left out, for cross-validation)."""

    def __init__(self, nlp: Language):
        self.vocab = nlp.vocab
        self._clear()

    def initialize(self, get_examples=None, *, nlp: Language, lexicons: str, held_out_ids: list[str]):
        self._clear()
        self._add(nlp, read_lexicons(data_path(lexicons), held_out_ids))

    def _clear(self) -> None:
        # One matcher on LOWER for every alias; names that are also common words ("OPT", "CLIP", "Pile") must
        # then match one of their spellings exactly.
        self.matcher = PhraseMatcher(self.vocab, attr="LOWER")
        self.exact_spellings: dict[int, frozenset[str]] = {}
        # Names never written in lower case ("ReaL", "BERT"): a lower-case word is another word ("real").
        self.never_lowercase: set[int] = set()
        self.entries: dict[int, Entry] = {}
        # Model aliases for the token-shape rules, which see glued forms the tokenizer keeps whole.
        self.model_aliases_lower: dict[str, Entry] = {}
        self.model_aliases_exact: dict[str, Entry] = {}
        # The leading letters of every model alias (`llama` of `LLaMA-2`): a chunk whose leading letters are
        # not among them cannot start with a known name.
        self.model_heads: set[str] = set()
        self._chunks: dict[str, _ChunkName | None] = {}
        self._named: dict[tuple[str, str, str], tuple[str, str | None]] = {}
        self.cue_kinds: dict[int, str] = {}
        # Task aliases (`tasks.py`): key -> None when matched case-insensitively, else the spellings to match.
        self.task_keys: dict[int, frozenset[str] | None] = {}

    def _add(self, nlp: Language, entries: list[Entry]) -> None:
        # Patterns are tokenized by the pipeline's tokenizer with its cache closed: spaCy caches only the
        # first 10,000 chunks a tokenizer sees, and that cache is worth more kept for abstracts than aliases.
        pattern_tokenizer = nlp.tokenizer
        cache_size = pattern_tokenizer.max_cache_size
        pattern_tokenizer.max_cache_size = 0
        try:
            self._add_patterns(nlp, entries, pattern_tokenizer)
        finally:
            pattern_tokenizer.max_cache_size = cache_size

    def _add_patterns(self, nlp: Language, entries: list[Entry], pattern_tokenizer) -> None:
        for kind, words in CUE_WORDS.items():
            key = f"cue:{kind}"
            self.cue_kinds[nlp.vocab.strings.add(key)] = kind
            self.matcher.add(key, list(pattern_tokenizer.pipe(words)))
        for entry in entries:
            if entry.type == "task":
                self._add_task(nlp, entry, pattern_tokenizer)
                continue
            key = f"{entry.type}:{entry.canonical}"
            key_id = nlp.vocab.strings.add(key)
            self.entries[key_id] = entry
            variants = sorted(set().union(*(alias_variants(alias, entry.type) for alias in entry.aliases)))
            self.matcher.add(key, list(pattern_tokenizer.pipe(variants)))
            if not any(alias.islower() for alias in entry.aliases):
                self.never_lowercase.add(key_id)
            if entry.case_sensitive:
                # A lower-case phrase ("mean average precision") may also be written capitalised.
                lowered = {v.lower() for v in variants if " " in v and v.islower()}
                self.exact_spellings[key_id] = frozenset(variants) | lowered
            if entry.type == "model":
                for variant in variants:
                    self.model_heads.add(_leading_letters(variant))
                    if entry.case_sensitive:
                        self.model_aliases_exact.setdefault(variant, entry)
                    else:
                        self.model_aliases_lower.setdefault(variant.lower(), entry)

    def _add_task(self, nlp: Language, entry: Entry, pattern_tokenizer) -> None:
        """A task's aliases under two keys: those matched case-insensitively, and those matched only as
        written ("NER": not "ner"). A task may have a row per provenance (tasks.csv), hence its keys."""
        lower, exact = tasks.spellings(entry)
        row = f"{entry.canonical}|{entry.provenance}"
        for key, variants, spelled in (
            (f"task:{row}", lower, None),
            (f"task=:{row}", exact, frozenset(exact)),
        ):
            if variants:
                key_id = nlp.vocab.strings.add(key)
                self.entries[key_id] = entry
                self.task_keys[key_id] = spelled
                self.matcher.add(key, list(pattern_tokenizer.pipe(variants)))

    def __call__(self, doc: Doc) -> Doc:
        text = text_of(doc)
        found = candidates(doc)
        cues: dict[str, list[int]] = {kind: [] for kind in CUE_WORDS}
        doc.user_data[CUES] = cues
        task_matches: list[tuple[int, int, Entry]] = []
        doc.user_data[tasks.MATCHES] = task_matches
        task_keys = self.task_keys
        for match_id, start, end in self.matcher(doc):
            kind = self.cue_kinds.get(match_id)
            if kind is not None:
                cues[kind].append(doc[start].idx)
                continue
            entry = self.entries[match_id]
            first = doc[start]
            start_char = first.idx
            last = first if end == start + 1 else doc[end - 1]
            end_char = last.idx + len(last)
            if match_id in task_keys:  # settled apart, by the tasks component
                spelled = task_keys[match_id]
                if spelled is None or text[start_char:end_char] in spelled:
                    task_matches.append((start, end, entry))
                continue
            surface = text[start_char:end_char]
            spellings = self.exact_spellings.get(match_id)
            if spellings is not None and surface not in spellings and surface.lower() not in spellings:
                continue
            if match_id in self.never_lowercase and surface.islower():
                continue  # "real" is no ReaL, "low-rank adaptation" a description, not LoRA's name
            if entry.type == "model":
                found.append(self.model_mention(text, start_char, end_char, entry, ""))
            else:
                found.append(Mention(entry.type, start_char, end_char, surface, entry.canonical, "lexicon"))
        digit_runs = [(run.start(), run.end()) for run in results.DIGIT_RUN.finditer(text)]
        doc.user_data[DIGIT_RUNS] = [start for start, _ in digit_runs]
        for start in _chunk_starts(text, digit_runs):
            chunk = shapes.CHUNK.match(text, start)
            name = self.chunk_name(chunk.group()) if chunk else None
            if name is None:
                continue
            if name.entry is not None:
                found.append(self.model_mention(text, start, start + name.end, name.entry, name.tail))
            else:
                end = start + name.end
                found.append(
                    Mention(
                        "model", start, end, text[start:end], name.canonical, "shape", name.family, name.size
                    )
                )
        return doc

    def lookup_model(self, name: str) -> Entry | None:
        return self.model_aliases_exact.get(name) or self.model_aliases_lower.get(name.lower())

    def model_mention(self, text: str, start: int, end: int, entry: Entry, glued_tail: str) -> Mention:
        tail = glued_tail + shapes.TAIL.match(text, end).group()
        end += len(tail) - len(glued_tail)
        prefix = (
            _HYPHEN_PREFIX.search(text, max(0, start - 20), start) if text[start - 1 : start] == "-" else None
        )
        if prefix and prefix.group(1).lower() not in _NOT_NAME_PREFIXES:
            start = prefix.start(1)  # "Hedgehog-Llama2 7B", "video-SALMONN 2": a variant named after its base
            tail = "prefix:" + tail
        surface = text[start:end]
        key = (entry.canonical, tail, surface)
        named = self._named.get(key)
        if named is None:
            if tail.startswith("prefix:"):
                named = (surface, shapes.size_of(surface))
            else:
                named = (shapes.canonical_with_tail(entry.canonical, tail), shapes.size_of(surface))
            self._named[key] = named
        return Mention(
            "model", start, end, surface, named[0], "shape" if tail else "lexicon", entry.family, named[1]
        )

    def chunk_name(self, chunk: str) -> _ChunkName | None:
        """What model name a word-like chunk starts with, if any; chunks recur, so answers are kept."""
        if chunk in self._chunks:
            return self._chunks[chunk]
        if len(self._chunks) > _CACHE_LIMIT:
            self._chunks.clear()
            self._named.clear()
        name = None
        if _leading_letters(chunk) in self.model_heads or chunk[0].isupper():
            name = self._chunk_name(chunk)
        self._chunks[chunk] = name
        return name

    def _chunk_name(self, chunk: str) -> _ChunkName | None:
        for point in shapes.split_points(chunk):
            entry = self.lookup_model(chunk[:point])
            if entry is None:
                continue
            rest = chunk[point:]
            tail_pattern = shapes.CHUNK_TAIL if rest[0] in "-_/" else shapes.GLUED_CHUNK_TAIL
            tail_match = tail_pattern.match(rest)
            tail = tail_match.group() if tail_match else ""
            if not tail or rest[len(tail) : len(tail) + 1].isalnum():
                return None
            return _ChunkName(point + len(tail), entry, tail)
        sized = shapes.UNKNOWN_SIZED.fullmatch(chunk)
        if sized and len(sized["name"]) > 1 and sized["name"].lower() not in definitions.NOT_NAMES:
            canonical = shapes.canonical_with_tail(sized["name"], chunk[len(sized["name"]) :])
            return _ChunkName(len(chunk), None, "", canonical, sized["name"].lower(), sized["size"].upper())
        return None


class _ChunkName(NamedTuple):
    end: int  # of the name within the chunk
    entry: Entry | None  # the lexicon entry it extends, or None for an unknown sized name (`Foo-13B`)
    tail: str
    canonical: str | None = None
    family: str | None = None
    size: str | None = None


# The shape caches are cleared past this many entries, so memory stays flat on endless streams.
_CACHE_LIMIT = 50_000


def _chunk_starts(text: str, digit_runs: list[tuple[int, int]]) -> list[int]:
    """Starts of the word-like chunks that hold a shape anchor, in order: a hyphen, slash or underscore
    inside a word (`GPT-3.5`, `V1/V2`), or digits next to a letter (`LLaMA3`, `7B`)."""
    anchors = [
        start
        for start, end in digit_runs
        if text[start - 1 : start].isalpha() or text[end : end + 1].isalpha()
    ]
    for joint in find_any(text, _JOINTS):
        if text[joint - 1 : joint].isalnum() and text[joint + 1 : joint + 2].isalnum():
            anchors.append(joint)
    anchors.sort()
    starts = []
    previous_end = -1
    for anchor in anchors:
        if anchor < previous_end:
            continue  # inside the chunk just seen
        # The chunk around the anchor: run the chunk pattern backwards over the reversed window before it.
        window = text[max(0, anchor - 40) : anchor][::-1]
        start = anchor - _CHUNK_RUN.match(window).end()
        starts.append(start)
        previous_end = anchor + _CHUNK_RUN.match(text, anchor).end() - anchor
    return starts


_JOINTS = ("-", "/", "_")
_HYPHEN_PREFIX = re.compile(r"(?<![\w\-])([A-Za-z][a-z]+|[A-Z][A-Za-z]+)-$")
# Prefixes that make a compound, not a variant's name: "pre-BERT", "non-LLaMA".
_NOT_NAME_PREFIXES = frozenset(
    ("pre", "post", "non", "anti", "multi", "semi", "sub", "self", "cross", "co", "re", "un", "de", "in")
)


@Language.factory("paperpulse_lexicon")
def make_lexicon_matcher(nlp: Language, name: str) -> LexiconMatcher:
    return LexiconMatcher(nlp)


_CONVENTIONS = ("guidelines", "tdmsci")


def _check_conventions(conventions: str) -> None:
    if conventions not in _CONVENTIONS:
        raise ValueError(f"unknown span conventions {conventions!r}")


class DefinitionLinker:
    """Acronym definitions, the paper's own method and coinages (`definitions.py`); the lexicons' spelled-out
    names, which tell a definition of a known name from a new one, are loaded by `initialize`."""

    def __init__(self, conventions: str):
        _check_conventions(conventions)
        self.abstracts = conventions == "guidelines"
        self.expansions: dict[str, frozenset[str]] = {}

    def initialize(self, get_examples=None, *, nlp: Language, lexicons: str, held_out_ids: list[str]):
        self.expansions = definitions.expansion_words(
            read_lexicons(data_path(lexicons), held_out_ids, NAME_TYPES)
        )

    def __call__(self, doc: Doc) -> Doc:
        found = candidates(doc)
        own = definitions.find(
            text_of(doc), doc.user_data.get(TITLE, ""), found, cues_of(doc), self.expansions, self.abstracts
        )
        doc.user_data[OWN_METHODS] = own
        return doc


@Language.factory("paperpulse_definitions", default_config={"conventions": "guidelines"})
def make_definition_linker(nlp: Language, name: str, conventions: str) -> DefinitionLinker:
    return DefinitionLinker(conventions)


class NameFinder:
    """Adds the learned scorer's mentions (`names.py`) to the candidates. `initialize` loads the weights
    (`weights`: a path, or null to keep the scorer set on the component, if any, e.g. one just trained)."""

    def __init__(self) -> None:
        self.scorer: names.NameScorer | None = None

    def initialize(self, get_examples=None, *, nlp: Language, weights: str | None = None):
        if weights:
            self.scorer = names.NameScorer.load(data_path(weights))

    def __call__(self, doc: Doc) -> Doc:
        if self.scorer is not None:
            found = candidates(doc)
            found += self.scorer.predict(text_of(doc), doc.user_data.get(TITLE, ""), found)
        return doc


@Language.factory("paperpulse_names")
def make_name_finder(nlp: Language, name: str) -> NameFinder:
    return NameFinder()


_NOT_NAMES = frozenset(definitions.NOT_NAMES | definitions.GENERIC_ACRONYMS)


def _firm_first(found: list[Mention]) -> list[Mention]:
    """Drop context candidates that overlap a lexicon or shape candidate."""
    firm = [m for m in found if m.source in FIRM_SOURCES]
    if not firm or all(m.source != "context" for m in found):
        return found
    taken = bytearray(max(m.end for m in found) + 1)
    for m in firm:
        taken[m.start : m.end] = b"\x01" * (m.end - m.start)
    return [m for m in found if m.source != "context" or 1 not in taken[m.start : m.end]]


@Language.factory("paperpulse_resolve", default_config={"conventions": "guidelines"})
def make_resolver(nlp: Language, name: str, conventions: str):
    """`conventions`: "guidelines" (GUIDELINES.md spans) or "tdmsci" (TDMSci's: bare metric heads, dataset
    names with the "corpus"/"dataset" written after them)."""
    return Resolver(conventions)


class Resolver:
    """Settles the candidates into mentions. Under TDMSci's conventions, `span_filter` (a
    `names.NameScorer` with filter weights) may then drop the dataset and metric mentions TDMSci would not
    tag ("Wikipedia articles", "the RTE task"): `initialize` takes it from the pipeline's running name
    finder when its scorer has filter weights."""

    def __init__(self, conventions: str):
        _check_conventions(conventions)
        self.conventions = conventions
        self.span_filter: names.NameScorer | None = None

    def initialize(self, get_examples=None, *, nlp: Language):
        scorers = [pipe.scorer for _, pipe in nlp.pipeline if isinstance(pipe, NameFinder)]
        scorer = scorers[0] if scorers else None
        with_filter = self.conventions == "tdmsci" and scorer is not None and scorer.filter_weights
        self.span_filter = scorer if with_filter else None

    def __call__(self, doc: Doc) -> Doc:
        conventions = self.conventions
        text = text_of(doc)
        not_names = _NOT_NAMES
        cues = cues_of(doc)
        found = (
            candidates(doc)
            + contexts.metric_shapes(text)
            + contexts.dataset_contexts(text, cues["dataset_head"], not_names)
        )
        found += contexts.datasets_after_on(text, not_names, cues["on"])
        mentions = resolve_overlaps(_firm_first(definitions.filter_candidates(text, found)))
        listed = contexts.coordinated(text, mentions, not_names)
        if listed:
            mentions = resolve_overlaps(mentions + listed)
        if conventions == "tdmsci":
            mentions = contexts.tdmsci_spans(text, mentions)
            if self.span_filter is not None:
                mentions = self.span_filter.filter(text, mentions)
            doc.user_data[MENTIONS] = mentions
        else:
            mentions = contexts.resolve_senses(text, contexts.qualify_metrics(text, mentions))
            doc.user_data[MENTIONS] = contexts.extend_datasets(text, mentions)
        return doc


class TaskFinder:
    """Task mentions: the lexicon's task matches settled (`tasks.settle`) and added to the mentions (which
    the results component has used by then: a claim names no task). Under the guidelines' conventions a task
    grows to its most specific phrase over the words the lexicon's task aliases modify with (`modifiers`,
    read by `initialize`), an acronym defined for it names it wherever written, and a task inside another
    name is no task ("MS MARCO Passage Ranking" is a dataset); under TDMSci's a task takes in its bracketed
    acronym and stands beside the other types, as TDMSci's labels do."""

    def __init__(self, conventions: str):
        _check_conventions(conventions)
        self.tdmsci = conventions == "tdmsci"
        self.modifiers: frozenset[str] = frozenset()

    def initialize(self, get_examples=None, *, nlp: Language, lexicons: str, held_out_ids: list[str]):
        entries = read_lexicons(data_path(lexicons), held_out_ids, ("task",))
        self.modifiers = tasks.heads_and_modifiers(entries)[1]

    def __call__(self, doc: Doc) -> Doc:
        settled = tasks.settle(doc, doc.user_data.get(tasks.MATCHES) or [], self.tdmsci)
        if not settled:
            return doc
        text = text_of(doc)
        found = []
        for start, end, entry in settled:
            start_char, last = doc[start].idx, doc[end - 1]
            end_char = last.idx + len(last)
            canonical = entry.canonical
            if not self.tdmsci:
                grown = tasks.grow_left(text, start_char, self.modifiers)
                if grown < start_char:  # a more specific task of its own ("audio deepfake detection")
                    start_char, canonical = grown, text[grown:end_char]
            found.append(
                Mention("task", start_char, end_char, text[start_char:end_char], canonical, "lexicon")
            )
        if not self.tdmsci:
            found = resolve_overlaps(found + _acronym_mentions(text, tasks.defined_acronyms(doc, settled)))
        mentions = doc.user_data.get(MENTIONS) or []
        if mentions and not self.tdmsci:
            found = [t for t in found if not any(m.start < t.end and t.start < m.end for m in mentions)]
        doc.user_data[MENTIONS] = sorted(mentions + found, key=_start)
        return doc


def _acronym_mentions(text: str, acronyms: dict[str, Entry]) -> list[Mention]:
    """Every whole-word occurrence of each acronym, as a mention of its task."""
    found = []
    for acronym, entry in acronyms.items():
        start = text.find(acronym)
        while start >= 0:
            end = start + len(acronym)
            if not text[start - 1 : start].isalnum() and not text[end : end + 1].isalnum():
                found.append(Mention("task", start, end, acronym, entry.canonical, "definition"))
            start = text.find(acronym, end)
    return found


def _start(mention: Mention) -> int:
    return mention.start


@Language.factory("paperpulse_tasks", default_config={"conventions": "guidelines"})
def make_task_finder(nlp: Language, name: str, conventions: str) -> TaskFinder:
    return TaskFinder(conventions)


class ResultFinder:
    """Numeric results: the learned result model (`result_model.py`) over the rules' candidates when its
    weights are given, else the rules alone (`results.py`)."""

    def __init__(self) -> None:
        self.model: result_model.ResultModel | None = None

    def initialize(self, get_examples=None, *, nlp: Language, weights: str | None = None):
        self.model = result_model.ResultModel.load(data_path(weights)) if weights else None

    def __call__(self, doc: Doc) -> Doc:
        digit_runs = doc.user_data.get(DIGIT_RUNS)
        mentions = doc.user_data.get(MENTIONS) or []
        own = doc.user_data.get(OWN_METHODS) or []
        if self.model is None:
            found, value_spans = results.find(text_of(doc), mentions, own, digit_runs)
            for result in found:  # the rules know no roles or confidence: every complete claim is rankable
                result["role"] = (
                    "proposed" if result["model"] in own else "baseline" if result["model"] else "other"
                )
                result["confidence"] = None
                result["leaderboard"] = result["kind"] == "absolute" and all(
                    result[slot] for slot in ("model", "dataset", "metric")
                )
        else:
            found, value_spans = self.model.find(
                text_of(doc), doc.user_data.get(TITLE, ""), mentions, own, digit_runs
            )
        doc.user_data[RESULTS] = found
        doc.user_data[RESULT_SPANS] = value_spans
        return doc


@Language.factory("paperpulse_results")
def make_results_extractor(nlp: Language, name: str) -> ResultFinder:
    return ResultFinder()


class SpanWriter:
    """Writes the final mentions and results as span groups: `doc.spans[mentions_key]` (label = type, kb_id =
    canonical name, `span._.mention` the Mention, in text order) and `doc.spans[results_key]` (each result's
    number as written with its unit, "26.79%", label = its kind, `span._.result` the result dict, in the
    order of `doc._.results`).

    The rules find names and numbers on characters, not tokens, so a span may begin or end inside a token
    ("ImageNet-A" in "ImageNet-A.", "93.3" in "93.3/74.3"); that token is split there first (in about one
    abstract in twenty), so every span covers exactly its characters."""

    def __init__(self, mentions_key: str, results_key: str):
        self.mentions_key = mentions_key
        self.results_key = results_key

    def __call__(self, doc: Doc) -> Doc:
        mentions = doc.user_data.get(MENTIONS) or ()
        found = doc.user_data.get(RESULTS) or ()
        value_spans = doc.user_data.get(RESULT_SPANS) or ()
        mention_spans, result_spans = _spans(doc, mentions, found, value_spans, "strict")
        if None in mention_spans or None in result_spans:
            _split_tokens(doc, [(m.start, m.end) for m in mentions] + list(value_spans))
            # "expand" only for what no split can align: a span starting in a token's trailing whitespace
            mention_spans, result_spans = _spans(doc, mentions, found, value_spans, "expand")
        # What `span._.mention = mention` stores, without building an Underscore object per span (spaCy keeps
        # a span's extension values in doc.user_data under this key; tests read them back through `span._`).
        user_data = doc.user_data
        for span, mention in zip(mention_spans, mentions, strict=True):
            user_data["._.", "mention", span.start_char, span.end_char] = mention
        for span, result in zip(result_spans, found, strict=True):
            user_data["._.", "result", span.start_char, span.end_char] = result
        doc.spans[self.mentions_key] = mention_spans
        doc.spans[self.results_key] = result_spans
        return doc


def _spans(doc: Doc, mentions, found, value_spans, alignment: str) -> tuple[list, list]:
    char_span = doc.char_span
    return (
        [char_span(m.start, m.end, m.type, kb_id=m.canonical, alignment_mode=alignment) for m in mentions],
        [
            char_span(start, end, result["kind"], alignment_mode=alignment)
            for (start, end), result in zip(value_spans, found, strict=True)
        ],
    )


def _split_tokens(doc: Doc, bounds: list[tuple[int, int]]) -> None:
    """Split every token that one of the (start, end) character spans begins or ends inside."""
    cuts: dict[int, set[int]] = {}
    for start, end in bounds:
        covering = doc.char_span(start, end, alignment_mode="expand")
        if covering is None or (covering.start_char, covering.end_char) == (start, end):
            continue
        first, last = doc[covering.start], doc[covering.end - 1]
        if first.idx < start:
            cuts.setdefault(first.i, set()).add(start - first.idx)
        if last.idx < end < last.idx + len(last):
            cuts.setdefault(last.i, set()).add(end - last.idx)
    with doc.retokenize() as retokenizer:
        for i, offsets in cuts.items():
            token = doc[i]
            points = [0, *sorted(offsets), len(token)]
            orths = [token.text[a:b] for a, b in pairwise(points)]
            retokenizer.split(token, orths, heads=[(token, k) for k in range(len(orths))])


@Language.factory(
    "paperpulse_spans",
    default_config={"mentions_key": "mentions", "results_key": "results"},
    retokenizes=True,
)
def make_span_writer(nlp: Language, name: str, mentions_key: str, results_key: str) -> SpanWriter:
    return SpanWriter(mentions_key, results_key)
