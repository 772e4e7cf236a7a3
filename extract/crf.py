"""A linear-chain CRF over tokens, stacked on the rules: TDMSci's conventions only (`conventions="tdmsci"`).

It tags the DATASET and METRIC spans of a sentence (BIO) from each token's own features (word, shape,
affixes, capitalisation, digits, hyphen, the words two either side) and from what the rule pipeline said
about it: the BIO tag of the rules' final dataset, metric or model mention over it (and its neighbours')
and that mention's source, and whether a dataset or metric lexicon alias matches over it. Its DATASET spans
replace the rules' dataset mentions (`CrfTagger`, run by the `paperpulse_crf` component registered here,
which the pipeline enables under TDMSci's conventions only). Its METRIC spans are not used: on the dev
quarter they were no better than the rules' (2 right spans gained, 2 lost), and on the held-out part worse
(extract/README.md).

Trained on TDMSci's learning part (Hou et al., EACL 2021, Apache-2.0; `data/tdmsci/`) by
`python -m extract.training.train_crf`; the model is `weights/tdmsci_crf.crfsuite` (python-crfsuite), loaded
from disk by the component's `initialize`, so only when the component runs; crfsuite is imported then too:
nothing on the guidelines' path imports it.
"""

from __future__ import annotations

from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from extract.components import MENTIONS, candidates, data_path, text_of
from extract.lexicon import Entry, alias_variants, read_lexicons
from extract.mentions import Mention
from extract.names import shape

MODEL_FILE = Path(__file__).parent / "weights" / "tdmsci_crf.crfsuite"
TAGGED = ("dataset", "metric")  # the labels it is trained on
REPLACED = "dataset"  # the type whose rule mentions its spans replace


class Token:
    __slots__ = ("end", "lexicon", "lower", "rule", "start", "word")

    def __init__(self, start: int, end: int, word: str):
        self.start, self.end, self.word, self.lower = start, end, word, word.lower()
        self.rule = "O"  # BIO tag of the rules' final mention over the token ("B-dataset"), with its source
        self.lexicon = ""  # "dataset"/"metric" when a lexicon alias of that type matches over the token


def tokens_of(doc, mentions: list[Mention], candidates: list[Mention]) -> list[Token]:
    """The Doc's non-space tokens, marked with the rules' mentions and the lexicon's matches."""
    tokens = [Token(t.idx, t.idx + len(t), t.text) for t in doc if not t.is_space]
    by_start = {t.start: i for i, t in enumerate(tokens)}
    for m in mentions:
        for i, token in enumerate(_covered(tokens, by_start, m)):
            token.rule = f"{'I' if i else 'B'}-{m.type}|{m.source}"
    for m in candidates:
        if m.source == "lexicon" and m.type in TAGGED:
            for token in _covered(tokens, by_start, m):
                token.lexicon = m.type
    return tokens


def _covered(tokens: list[Token], by_start: dict[int, int], m: Mention) -> list[Token]:
    i = by_start.get(m.start)
    if i is None:  # a mention starting inside a token ("-BLEU"): the token it starts in
        i = next((k for k, t in enumerate(tokens) if t.start <= m.start < t.end), len(tokens))
    out = []
    while i < len(tokens) and tokens[i].start < m.end:
        out.append(tokens[i])
        i += 1
    return out


def features(tokens: list[Token]) -> list[list[str]]:
    out = []
    for i, t in enumerate(tokens):
        w = t.word
        rule = t.rule.split("|")[0]
        f = [
            "bias",
            "w=" + t.lower,
            "shape=" + shape(w),
            "p3=" + t.lower[:3],
            "s3=" + t.lower[-3:],
            "s4=" + t.lower[-4:],
            "rule=" + rule,
            "rule_src=" + t.rule,
            "lex=" + t.lexicon,
        ]
        if w[:1].isupper():
            f.append("title")
        if w.isupper():
            f.append("upper")
        if any(c.isdigit() for c in w):
            f.append("digit")
        if "-" in w:
            f.append("hyphen")
        for offset in (-2, -1, 1, 2):
            j = i + offset
            other = tokens[j] if 0 <= j < len(tokens) else None
            f.append(f"w{offset}=" + (other.lower if other else "<s>"))
            if abs(offset) == 1:
                f.append(f"shape{offset}=" + (shape(other.word) if other else "<s>"))
                f.append(f"rule{offset}=" + (other.rule.split("|")[0] if other else "<s>"))
                f.append(f"lex{offset}=" + (other.lexicon if other else "<s>"))
        f.append(f"w|rule={t.lower}|{rule}")
        out.append(f)
    return out


def bio(tokens: list[Token], spans) -> list[str]:
    """Gold labels of `tokens` for (type, start, end) spans; a span that does not start at a token is
    taken from the token it starts in."""
    labels = ["O"] * len(tokens)
    for entity_type, start, end in sorted(spans, key=lambda s: s[1]):
        inside = [i for i, t in enumerate(tokens) if t.start < end and start < t.end]
        for k, i in enumerate(inside):
            labels[i] = f"{'I' if k else 'B'}-{entity_type}"
    return labels


def spans(tokens: list[Token], labels: list[str]) -> list[tuple[str, int, int]]:
    """(type, start, end) of the labelled spans; an I- after another type starts a span."""
    out: list[list] = []
    previous = "O"
    for token, label in zip(tokens, labels, strict=True):
        if label == "O":
            previous = label
            continue
        entity_type = label[2:]
        if label.startswith("I-") and previous[2:] == entity_type:
            out[-1][2] = token.end
        else:
            out.append([entity_type, token.start, token.end])
        previous = label
    return [tuple(s) for s in out]


class CrfTagger:
    """Replaces a Doc's dataset mentions by the CRF's DATASET spans (and drops other mentions they overlap);
    a span's canonical name is the lexicon's for its surface, else that of the rules' dataset mention (or
    else the lexicon's dataset match) inside it, else the surface."""

    def __init__(self, entries: list[Entry], model: Path = MODEL_FILE):
        import pycrfsuite

        self.tagger = pycrfsuite.Tagger()
        self.tagger.open(str(model))
        self.canonical = {}
        for entry in entries:
            if entry.type == REPLACED:
                for alias in entry.aliases:
                    for variant in alias_variants(alias, entry.type):
                        self.canonical.setdefault(variant.lower(), entry.canonical)

    def tag(self, text: str, doc, mentions: list[Mention], candidates: list[Mention]) -> list[Mention]:
        tokens = tokens_of(doc, mentions, candidates)
        if not tokens:
            return mentions
        found = [(s, e) for t, s, e in spans(tokens, self.tagger.tag(features(tokens))) if t == REPLACED]
        kept = [
            m for m in mentions if m.type != REPLACED and not any(s < m.end and m.start < e for s, e in found)
        ]
        for start, end in found:
            inside = _inside(mentions, start, end) or [
                m for m in _inside(candidates, start, end) if m.source == "lexicon"
            ]
            if inside and (inside[0].start, inside[0].end) == (start, end):
                kept.append(inside[0])  # the rule mention itself
                continue
            surface = text[start:end]
            canonical = self.canonical.get(surface.lower()) or (inside[0].canonical if inside else surface)
            kept.append(Mention(REPLACED, start, end, surface, canonical, "learned"))
        kept.sort(key=lambda m: m.start)
        return kept


def _inside(mentions: list[Mention], start: int, end: int) -> list[Mention]:
    return [m for m in mentions if m.type == REPLACED and start <= m.start and m.end <= end]


class CrfComponent:
    """The `paperpulse_crf` component: `initialize` opens the model (`model`) and reads the lexicons'
    dataset names (`lexicons`, less the entries of `held_out_ids`)."""

    def __init__(self) -> None:
        self.tagger: CrfTagger | None = None

    def initialize(
        self, get_examples=None, *, nlp: Language, model: str, lexicons: str, held_out_ids: list[str]
    ) -> None:
        self.tagger = CrfTagger(read_lexicons(data_path(lexicons), held_out_ids), data_path(model))

    def __call__(self, doc: Doc) -> Doc:
        doc.user_data[MENTIONS] = self.tagger.tag(text_of(doc), doc, doc.user_data[MENTIONS], candidates(doc))
        return doc


@Language.factory("paperpulse_crf")
def make_crf_tagger(nlp: Language, name: str) -> CrfComponent:
    """TDMSci's conventions only: the CRF re-tags the dataset mentions."""
    return CrfComponent()
