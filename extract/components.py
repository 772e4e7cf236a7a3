"""The project's spaCy components. Each adds candidate mentions (or results) to the Doc:

- `paperpulse_lexicon`: PhraseMatchers (on LOWER, and on ORTH for names that are also common words) over
  every alias of the lexicons, and token-shape rules that grow a known model name by its version, size and
  variant (`LLaMA-7B`, `Qwen2.5-72B-Instruct`, `Pythia 410M`), or find unknown sized names (`Foo-13B`).
- `paperpulse_definitions`: acronym definitions ("Natural Questions (NQ)") linking both forms, the paper's
  own named method ("we propose X", the title's "X: ..."), and dataset/metric context patterns.
- `paperpulse_names`: a small learned model (`names.py`) that scores name-like candidates no rule claimed
  and adds those it accepts as `learned` mentions.
- `paperpulse_resolve`: adds context rules (`contexts.py`), settles overlapping candidates, extends metrics
  by their qualifiers and datasets by their splits, and sets `doc._.mentions`.
- `paperpulse_crf` (TDMSci's conventions only): a CRF (`crf.py`) re-tags the dataset mentions.
- `paperpulse_results`: numeric results tied to a metric or dataset, set on `doc._.results`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from extract import contexts, definitions, names, results, shapes
from extract.lexicon import Entry, alias_variants, read_lexicons
from extract.mentions import FIRM_SOURCES, Mention, resolve_overlaps
from extract.text import find_any

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
for _name, _key in (("mentions", MENTIONS), ("results", RESULTS), ("own_methods", OWN_METHODS)):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, getter=lambda doc, key=_key: doc.user_data.get(key))

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
    def __init__(self, nlp: Language, entries: list[Entry]):
        # One matcher on LOWER for every alias; names that are also common words ("OPT", "CLIP", "Pile") must
        # then match one of their spellings exactly.
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
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
        # Patterns are tokenized by a twin tokenizer: spaCy caches only the first 10,000 chunks a tokenizer
        # sees, and the pipeline's own cache is worth more kept for abstracts than for aliases.
        pattern_tokenizer = spacy.blank("en", vocab=nlp.vocab).tokenizer
        self.cue_kinds: dict[int, str] = {}
        for kind, words in CUE_WORDS.items():
            key = f"cue:{kind}"
            self.cue_kinds[nlp.vocab.strings.add(key)] = kind
            self.matcher.add(key, list(pattern_tokenizer.pipe(words)))
        for entry in entries:
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

    def __call__(self, doc: Doc) -> Doc:
        text = text_of(doc)
        found = candidates(doc)
        cues: dict[str, list[int]] = {kind: [] for kind in CUE_WORDS}
        doc.user_data[CUES] = cues
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


@Language.factory("paperpulse_lexicon", default_config={"held_out_ids": []})
def make_lexicon_matcher(nlp: Language, name: str, held_out_ids: list[str]) -> LexiconMatcher:
    return LexiconMatcher(nlp, read_lexicons(held_out_ids=held_out_ids))


@Language.factory("paperpulse_definitions", default_config={"held_out_ids": [], "conventions": "guidelines"})
def make_definition_linker(nlp: Language, name: str, held_out_ids: list[str], conventions: str):
    expansions = definitions.expansion_words(read_lexicons(held_out_ids=held_out_ids))
    abstracts = conventions == "guidelines"

    def link_definitions(doc: Doc) -> Doc:
        found = candidates(doc)
        own = definitions.find(
            text_of(doc), doc.user_data.get(TITLE, ""), found, cues_of(doc), expansions, abstracts
        )
        doc.user_data[OWN_METHODS] = own
        return doc

    return link_definitions


class NameFinder:
    """Adds the learned scorer's mentions (`names.py`) to the candidates; `scorer` None turns it off."""

    def __init__(self, scorer: names.NameScorer | None):
        self.scorer = scorer

    def __call__(self, doc: Doc) -> Doc:
        if self.scorer is not None:
            found = candidates(doc)
            found += self.scorer.predict(text_of(doc), doc.user_data.get(TITLE, ""), found)
        return doc


@Language.factory("paperpulse_names", default_config={"weights": "default"})
def make_name_finder(nlp: Language, name: str, weights: str) -> NameFinder:
    """`weights`: "default" (the file shipped in the repository), a path, or "" for none."""
    if not weights:
        return NameFinder(None)
    return NameFinder(names.NameScorer.load(names.WEIGHTS_FILE if weights == "default" else weights))


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
    if conventions not in ("guidelines", "tdmsci"):
        raise ValueError(f"unknown span conventions {conventions!r}")
    return Resolver(conventions)


class Resolver:
    """Settles the candidates into mentions. Under TDMSci's conventions, `span_filter` (a
    `names.NameScorer` with filter weights) may then drop the dataset and metric mentions TDMSci would not
    tag ("Wikipedia articles", "the RTE task")."""

    def __init__(self, conventions: str):
        self.conventions = conventions
        self.span_filter: names.NameScorer | None = None

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


@Language.factory("paperpulse_crf", default_config={"model": "default", "held_out_ids": []})
def make_crf_tagger(nlp: Language, name: str, model: str, held_out_ids: list[str]):
    """TDMSci's conventions only: the CRF (`crf.py`) re-tags the dataset mentions. `model`:
    "default" (the file shipped in the repository) or a path. crfsuite is imported here, not before."""
    from extract import crf

    tagger = crf.CrfTagger(
        read_lexicons(held_out_ids=held_out_ids), crf.MODEL_FILE if model == "default" else model
    )

    def tag(doc: Doc) -> Doc:
        doc.user_data[MENTIONS] = tagger.tag(text_of(doc), doc, doc.user_data[MENTIONS], candidates(doc))
        return doc

    return tag


@Language.factory("paperpulse_results")
def make_results_extractor(nlp: Language, name: str):
    def extract_results(doc: Doc) -> Doc:
        digit_runs = doc.user_data.get(DIGIT_RUNS)
        mentions = doc.user_data.get(MENTIONS) or []
        own = doc.user_data.get(OWN_METHODS) or []
        doc.user_data[RESULTS] = results.find(text_of(doc), mentions, own, digit_runs)
        return doc

    return extract_results
