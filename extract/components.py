"""The project's spaCy components. Each adds candidate mentions (or results) to the Doc:

- `paperpulse_lexicon`: PhraseMatchers (on LOWER, and on ORTH for names that are also common words) over
  every alias of the lexicons, and token-shape rules that grow a known model name by its version, size and
  variant (`LLaMA-7B`, `Qwen2.5-72B-Instruct`, `Pythia 410M`), or find unknown sized names (`Foo-13B`).
- `paperpulse_definitions`: acronym definitions ("Natural Questions (NQ)") linking both forms, the paper's
  own named method ("we propose X", the title's "X: ..."), and dataset/metric context patterns.
- `paperpulse_resolve`: settles overlapping candidates and sets `doc._.mentions`.
- `paperpulse_results`: numeric results tied to a metric or dataset, set on `doc._.results`.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from extract import definitions, results, shapes
from extract.lexicon import Entry, alias_variants, read_lexicons
from extract.mentions import Mention, resolve_overlaps

CANDIDATES = "paperpulse_candidates"
TITLE = "paperpulse_title"

for _name in ("mentions", "results", "own_methods"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)

_HAS_SHAPE = re.compile(r"[\d\-/_]")


def candidates(doc: Doc) -> list[Mention]:
    return doc.user_data.setdefault(CANDIDATES, [])


class LexiconMatcher:
    def __init__(self, nlp: Language, entries: list[Entry]):
        self.case_insensitive = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.case_sensitive = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.entries: dict[int, Entry] = {}
        # Model aliases for the token-shape rules, which see glued forms the tokenizer keeps whole.
        self.model_aliases_lower: dict[str, Entry] = {}
        self.model_aliases_exact: dict[str, Entry] = {}
        for entry in entries:
            key = f"{entry.type}:{entry.canonical}"
            self.entries[nlp.vocab.strings.add(key)] = entry
            variants = sorted(set().union(*(alias_variants(alias, entry.type) for alias in entry.aliases)))
            matcher = self.case_sensitive if entry.case_sensitive else self.case_insensitive
            matcher.add(key, list(nlp.tokenizer.pipe(variants)))
            if entry.type == "model":
                for variant in variants:
                    if entry.case_sensitive:
                        self.model_aliases_exact.setdefault(variant, entry)
                    else:
                        self.model_aliases_lower.setdefault(variant.lower(), entry)

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        found = candidates(doc)
        for match_id, start, end in self.case_insensitive(doc) + self.case_sensitive(doc):
            entry = self.entries[match_id]
            start_char = doc[start].idx
            end_char = doc[end - 1].idx + len(doc[end - 1])
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
        for match in shapes.CHUNK.finditer(text):
            chunk = match.group()
            if _HAS_SHAPE.search(chunk):
                mention = self.shaped_model(text, match.start(), chunk)
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
            tail_pattern = shapes.TAIL if rest[0] in "-_/" else shapes.GLUED_TAIL
            if tail_pattern.fullmatch(rest):
                end = start + len(chunk)
                return self.model_mention(text, start, end, entry, rest) if rest else None
            return None
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
        own = definitions.find(doc.text, doc.user_data.get(TITLE, ""), found)
        doc._.own_methods = own
        return doc

    return link_definitions


@Language.factory("paperpulse_resolve")
def make_resolver(nlp: Language, name: str):
    def resolve(doc: Doc) -> Doc:
        doc._.mentions = resolve_overlaps(definitions.filter_candidates(doc.text, candidates(doc)))
        return doc

    return resolve


@Language.factory("paperpulse_results")
def make_results_extractor(nlp: Language, name: str):
    def extract_results(doc: Doc) -> Doc:
        doc._.results = results.find(doc.text, doc._.mentions, doc._.own_methods or [])
        return doc

    return extract_results
