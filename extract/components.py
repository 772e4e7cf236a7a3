"""The project's spaCy components. Each adds candidate mentions (or results) to the Doc:

- `paperpulse_lexicon`: PhraseMatchers (on LOWER, and on ORTH for names that are also common words) over
  every alias of the lexicons, and token-shape rules that grow a known model name by its version, size and
  variant (`LLaMA-7B`, `Qwen2.5-72B-Instruct`, `Pythia 410M`), or find unknown sized names (`Foo-13B`).
- `paperpulse_definitions`: acronym definitions ("Natural Questions (NQ)") linking both forms, the paper's
  own named method ("we propose X", the title's "X: ..."), and dataset/metric context patterns.
- `paperpulse_resolve`: adds context rules (`contexts.py`), settles overlapping candidates, extends metrics
  by their qualifiers and datasets by their splits, and sets `doc._.mentions`.
- `paperpulse_results`: numeric results tied to a metric or dataset, set on `doc._.results`.
"""

from __future__ import annotations

import re

from spacy.attrs import IDX, LENGTH
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from extract import contexts, definitions, results, shapes
from extract.lexicon import Entry, alias_variants, read_lexicons
from extract.mentions import Mention, resolve_overlaps

CANDIDATES = "paperpulse_candidates"
DIGIT_TOKENS = "paperpulse_digit_tokens"
TITLE = "paperpulse_title"
TEXT = "paperpulse_text"

for _name in ("mentions", "results", "own_methods"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)

_CHUNK_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./+")


_LEADING_LETTERS = re.compile(r"[A-Za-z]*")


def _leading_letters(text: str) -> str:
    return _LEADING_LETTERS.match(text).group().lower()


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


def _is_shaped(text: str) -> bool:
    """Letters with digits, hyphens, slashes or underscores (`LLaMA3`, `GPT-3.5`, `8B`, `V1/V2`), or a lone
    hyphen or slash, which the tokenizer splits off between letters (`Conformer - CTC`)."""
    if text in ("-", "/"):
        return True
    return any(c.isalpha() for c in text) and any(c.isdigit() or c in "-/_" for c in text)


def candidates(doc: Doc) -> list[Mention]:
    return doc.user_data.setdefault(CANDIDATES, [])


def text_of(doc: Doc) -> str:
    """The Doc's text, built once: `doc.text` joins every token again on each call."""
    text = doc.user_data.get(TEXT)
    if text is None:
        text = doc.user_data[TEXT] = doc.text
    return text


class LexiconMatcher:
    def __init__(self, nlp: Language, entries: list[Entry]):
        # Lexeme flags, computed once per word type in C: the token-shape rules and the results component
        # look only at the few tokens that carry them instead of scanning the whole text.
        self.digit_flag = nlp.vocab.add_flag(_has_digit)
        self.shape_flag = nlp.vocab.add_flag(_is_shaped)
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
        for entry in entries:
            key = f"{entry.type}:{entry.canonical}"
            key_id = nlp.vocab.strings.add(key)
            self.entries[key_id] = entry
            variants = sorted(set().union(*(alias_variants(alias, entry.type) for alias in entry.aliases)))
            self.matcher.add(key, list(nlp.tokenizer.pipe(variants)))
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
        for match_id, start, end in self.matcher(doc):
            entry = self.entries[match_id]
            start_char = doc[start].idx
            end_char = doc[end - 1].idx + len(doc[end - 1])
            spellings = self.exact_spellings.get(match_id)
            surface = text[start_char:end_char]
            if spellings is not None and surface not in spellings and surface.lower() not in spellings:
                continue
            if match_id in self.never_lowercase and surface.islower() and " " not in surface:
                continue
            if entry.type == "model":
                found.append(self.model_mention(text, start_char, end_char, entry, ""))
            else:
                found.append(
                    Mention(
                        entry.type,
                        start_char,
                        end_char,
                        text[start_char:end_char],
                        entry.canonical,
                        "lexicon",
                    )
                )
        anchors = doc.to_array([self.digit_flag, self.shape_flag, IDX, LENGTH])
        doc.user_data[DIGIT_TOKENS] = anchors[anchors[:, 0] == 1][:, 2:].tolist()
        chunk_starts = set()
        for start in anchors[anchors[:, 1] == 1][:, 2].tolist():
            while start and text[start - 1] in _CHUNK_CHARACTERS:
                start -= 1
            chunk_starts.add(start)
        for start in sorted(chunk_starts):
            match = shapes.CHUNK.match(text, start)
            if match is None:
                continue
            chunk = match.group()
            if _leading_letters(chunk) in self.model_heads or chunk[0].isupper():
                mention = self.shaped_model(text, start, chunk)
                if mention:
                    found.append(mention)
        return doc

    def lookup_model(self, name: str) -> Entry | None:
        return self.model_aliases_exact.get(name) or self.model_aliases_lower.get(name.lower())

    def model_mention(self, text: str, start: int, end: int, entry: Entry, glued_tail: str) -> Mention:
        tail = glued_tail + shapes.TAIL.match(text, end).group()
        end += len(tail) - len(glued_tail)
        surface = text[start:end]
        return Mention(
            "model",
            start,
            end,
            surface,
            shapes.canonical_with_tail(entry.canonical, tail),
            "lexicon" if not tail else "shape",
            family=entry.family,
            size=shapes.size_of(surface),
        )

    def shaped_model(self, text: str, start: int, chunk: str) -> Mention | None:
        for point in shapes.split_points(chunk):
            entry = self.lookup_model(chunk[:point])
            if entry is None:
                continue
            rest = chunk[point:]
            tail_pattern = shapes.CHUNK_TAIL if rest[0] in "-_/" else shapes.GLUED_CHUNK_TAIL
            tail = tail_pattern.match(rest).group()
            if not tail or rest[len(tail) : len(tail) + 1].isalnum():
                return None
            return self.model_mention(text, start, start + point + len(tail), entry, tail)
        sized = shapes.UNKNOWN_SIZED.fullmatch(chunk)
        if sized and len(sized["name"]) > 1 and sized["name"].lower() not in definitions.NOT_NAMES:
            end = start + len(chunk)
            return Mention(
                "model",
                start,
                end,
                chunk,
                shapes.canonical_with_tail(sized["name"], chunk[len(sized["name"]) :]),
                "shape",
                family=sized["name"].lower(),
                size=sized["size"].upper(),
            )
        return None


@Language.factory("paperpulse_lexicon", default_config={"held_out_ids": []})
def make_lexicon_matcher(nlp: Language, name: str, held_out_ids: list[str]) -> LexiconMatcher:
    return LexiconMatcher(nlp, read_lexicons(held_out_ids=held_out_ids))


@Language.factory("paperpulse_definitions")
def make_definition_linker(nlp: Language, name: str):
    def link_definitions(doc: Doc) -> Doc:
        found = candidates(doc)
        own = definitions.find(text_of(doc), doc.user_data.get(TITLE, ""), found)
        doc._.own_methods = own
        return doc

    return link_definitions


@Language.factory("paperpulse_resolve", default_config={"conventions": "guidelines"})
def make_resolver(nlp: Language, name: str, conventions: str):
    """`conventions`: "guidelines" (GUIDELINES.md spans) or "tdmsci" (TDMSci's: bare metric heads, dataset
    names with the "corpus"/"dataset" written after them)."""
    if conventions not in ("guidelines", "tdmsci"):
        raise ValueError(f"unknown span conventions {conventions!r}")

    def resolve(doc: Doc) -> Doc:
        text = text_of(doc)
        not_names = definitions.NOT_NAMES | definitions.GENERIC_ACRONYMS
        found = candidates(doc) + contexts.metric_shapes(text) + contexts.dataset_contexts(text)
        found += contexts.datasets_after_on(text, not_names)
        mentions = resolve_overlaps(definitions.filter_candidates(text, found))
        listed = contexts.coordinated(text, mentions, not_names)
        if listed:
            mentions = resolve_overlaps(mentions + listed)
        if conventions == "tdmsci":
            doc._.mentions = contexts.tdmsci_spans(text, mentions)
        else:
            doc._.mentions = contexts.extend_datasets(text, contexts.qualify_metrics(text, mentions))
        return doc

    return resolve


@Language.factory("paperpulse_results")
def make_results_extractor(nlp: Language, name: str):
    def extract_results(doc: Doc) -> Doc:
        digit_tokens = doc.user_data.get(DIGIT_TOKENS, [])
        doc._.results = results.find(text_of(doc), doc._.mentions, doc._.own_methods or [], digit_tokens)
        return doc

    return extract_results
