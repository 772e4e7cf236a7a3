"""Names the lexicons cannot know: acronym definitions, the paper's own method, names in dataset contexts.

- Acronym definitions, "Natural Questions (NQ)": the short form is linked to its long form (Schwartz and
  Hearst's algorithm) and takes the type of whichever form is known; an unknown pair is the paper's own
  method when the sentence proposes it or the title names it. The long form counts only when it is a
  capitalised name ("Dynamic Sparse No Training"), not a lower-case description.
- Proposals, "we present Mesa, a ...", "an algorithm called LintSeq", and the title's "PYRA: ...".
- Every later occurrence of a name found this way is a mention too.
"""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS

from extract.mentions import Mention


def _words(text: str) -> set[str]:
    return set(text.split())


# Capitalised words that start sentences or name things other than models.
NOT_NAMES = set(STOP_WORDS) | _words(
    """
    extensive experiments experimental results code table figure section existing recent recently
    previous specifically finally furthermore moreover however additionally meanwhile instead unlike
    compared despite while based given large small new novel our github pytorch tensorflow jax
    huggingface hugging face youtube openai google meta microsoft deepmind nvidia amazon apple english
    chinese german french japanese korean arabic spanish january february march april june july august
    september october november december ai ml api gpu gpus tpu cpu sota we it i covid-19 covid sars-cov-2
    lidar radar
    a100 a100s h100 h100s h200 b200 v100 v100s p100 a6000 a800 h800 rtx mi250 mi300x 4090 3090 jetson
    """
)

# Acronyms of classes and paradigms, not of named systems.
GENERIC_ACRONYMS = _words(
    """
    llm llms vlm vlms mllm mllms lvlm lvlms lm lms plm plms nlp nlu nlg cv ml ai agi dl rl drl marl irl
    ir qa vqa asr tts ocr mt nmt ner re cnn cnns rnn rnns lstm gru mlp mlps gnn gnns gan gans vae vaes
    ssm ssms moe peft sft rlhf rlaif icl cot rag kd kg kgs dnn dnns vits nas hpo uda da dg ood iid sota
    api gpu gpus tpu cpu flops fl ssl mim mlm clm ntp seq2seq e2e ui gui iot ar vr hci kv pinn pinns
    ode odes pde pdes sde sdes mcmc svd pca em lr sgd bo gp gps hmm crf svm knn rf tl zsl fsl re-id
    reid mot sr vos pos srl nli mrc odqa cqa kbqa kgqa t2i i2i t2v 3d 2d
    """
)

_SHORT_FORM = re.compile(r"[A-Za-z0-9][\w+\-.&/']*[\w+]|[A-Z]")
_DEFINITION_PARENS = re.compile(r"\(([^()]{1,30})\)")
_WORD = re.compile(r"\S+")
_PROPOSAL_CUE = re.compile(
    r"\b(?:we|We|this paper|This paper|this work|This work)\s+(?:first\s+|further\s+|also\s+|then\s+)?"
    r"(?:propose|proposed|present|introduce|develop|design|devise|build|release|contribute|construct|curate|"
    r"create|call|name|dub|term|coin)\w*\b|\b(?:called|named|dubbed|termed|coined|namely|denoted|"
    r"refer(?:red)?\s+to\s+as)\b"
)
_NAME = (
    r"[A-Z][A-Za-z0-9]*(?:[-+.][A-Z0-9][A-Za-z0-9+]*)*\+*"
    r"|[a-z]+[A-Z][A-Za-z0-9]*(?:[-+][A-Z0-9][A-Za-z0-9+]*)*"
)
_NAMED_AFTER = (
    r"\s+(?:(?:a|an|the|our|two|three|novel|new|simple|first|unified|general|effective|efficient|lightweight|"
    r"light-weight|method|methods|framework|model|approach|algorithm|module|technique|strategy)\s+)*"
    rf"(?P<name>{_NAME})(?P<after>\s*[,:(]|\s+(?:which|that|to|for|as|with|and)\b)?"
)
# More names coordinated with the first: "our new methods TREX and BoostIn".
_COORDINATED_NAME = re.compile(rf"(?:,\s*|\s+and\s+|,\s+and\s+)(?P<name>{_NAME})")
# "we propose X", "an algorithm called X"; each starts with a rare character so the engine skips ahead.
# Each anchored where one of its cue words starts (components.CUE_WORDS).
_PROPOSALS = (
    (
        "we",
        re.compile(
            r"[Ww]e\s+(?:first\s+|further\s+|also\s+|then\s+)?(?:propose|present|introduce|develop|"
            r"design|devise|release|contribute|construct|curate|create|build)" + _NAMED_AFTER
        ),
    ),
    (
        "naming",
        re.compile(
            r"(?:called|named|dubbed|termed(?:\s+as)?|coined|namely|denoted(?:\s+as)?|denoting|"
            r"refer(?:red)?\s+to\s+as)" + _NAMED_AFTER
        ),
    ),
)
_DATASET_WORDS = re.compile(
    r"\b(?:dataset|data set|benchmark|corpus|suite|collection|testbed|leaderboard)s?\b", re.I
)
_METRIC_HEADS = {"score", "rate", "error", "accuracy", "distance", "precision", "recall", "ratio", "metric"}
_DATASET_HEADS = {
    "dataset",
    "benchmark",
    "corpus",
    "bench",
    "suite",
    "set",
    "collection",
    "challenge",
    "treebank",
}
# "Integrity Capturing Polyp Segmentation (IC-PolypSeg) network": a system, though its name ends in a task
# (with a short form in mixed case: "Named Entity Recognition (NER) models" stays a task).
_METHOD_NOUN_AFTER = re.compile(r"\s+(?:network|model|framework|method|architecture|algorithm)s?\b")
# Long forms ending so name a task, field or idea, not a system: "Multi-Task Learning (MTL)".
_TASK_HEADS = _words(
    """
    learning processing recognition understanding generation hypothesis theory intelligence vision retrieval
    translation detection segmentation classification answering reasoning modeling modelling analysis
    estimation prediction forecasting tracking identification re-identification captioning summarization
    extraction search planning control coding decomposition
    """
)
_HEAD_NOUNS = _words(
    """
    method methods framework model models approach module network networks algorithm strategy technique
    mechanism system architecture paradigm scheme pipeline loss layer benchmark dataset
    """
)
# "the PROP method", "our DSnoT framework"
# What stands right before one of those nouns; searched in a short window that ends at the noun.
_METHOD_PHRASE = re.compile(rf"(?:the|our|The|Our)\s+(?P<name>{_NAME})$")
_CAMEL_POINT = re.compile(r"[A-Z](?<=[a-z][A-Z])")
_COINED = re.compile(r"[A-Z](?<![\w\-][A-Z])[A-Za-z0-9]*(?:-[A-Z0-9][A-Za-z0-9]*)*(?![\w'])")
# Left over from LaTeX in abstracts ("English\rightarrow German" flattened to "EnglishrightarrowGerman").
_LATEX_LEFTOVER = re.compile(r"arrow|cdot|times|mathrm|textbf")
_DATASET_APPOSITION = re.compile(
    r"\)?,\s+(?:a|an|the)\s+[^.;]{0,60}?"
    r"\b(?:dataset|benchmark|corpus|suite|testbed|test set|evaluation set)s?\b"
)
_TITLE_PREFIX = re.compile(r"^\s*([^:]{2,40}?)\s*:\s")
_FUNCTION_WORDS = {"of", "for", "with", "and", "in", "on", "to", "the", "a", "an", "via", "from", "by", "as"}


_UPPER_OR_DIGIT = re.compile(r"[A-Z0-9]")
_WORD_BACK = re.compile(r"[A-Za-z0-9\-]*")


def _is_coined(name: str) -> bool:
    """A made-up name rather than an English word: inner capitals, digits or symbols (`DSnoT`, `B-PROP`)."""
    if name.lower() in NOT_NAMES:
        return False
    return _UPPER_OR_DIGIT.search(name, 1) is not None or "+" in name


def _is_capitalised_name(phrase: str) -> bool:
    """ "Dynamic Sparse No Training" yes, "multi-fidelity reinforcement learning" no."""
    words = [w for w in re.split(r"[\s]+", phrase) if w]
    if len(words) < 2:
        return False
    content = [w for w in words if w.lower() not in _FUNCTION_WORDS]
    return all(w[0].isupper() or w[0].isdigit() for w in content) and words[0][0].isupper()


def _is_title_name(prefix: str) -> bool:
    """The part before a title's colon names the method: "PYRA", "Grad-CAM", "Mesa", not "Let's Fuse"."""
    words = prefix.split()
    if len(words) <= 3 and any(_is_coined(w) for w in words):
        return True
    return len(words) == 1 and prefix[0].isupper() and prefix.lower() not in NOT_NAMES


def long_form_for(short: str, before: str) -> str | None:
    """Schwartz and Hearst (2003): the shortest text before the brackets that spells the short form."""
    letters = [c.lower() for c in short if c.isalnum()]
    if len(letters) < 2:
        return None
    words = before.split()
    window = " ".join(words[-min(len(letters) + 5, len(letters) * 2) :])
    s_idx = len(short) - 1
    l_idx = len(window) - 1
    while s_idx >= 0:
        c = short[s_idx].lower()
        if not c.isalnum():
            s_idx -= 1
            continue
        while l_idx >= 0 and (
            window[l_idx].lower() != c or (s_idx == 0 and l_idx > 0 and window[l_idx - 1].isalnum())
        ):
            l_idx -= 1
        if l_idx < 0:
            return None
        l_idx -= 1
        s_idx -= 1
    start = window.rfind(" ", 0, l_idx + 1) + 1
    long_form = window[start:].strip(" ,;:\"'")
    if len(long_form) <= len(short) or long_form.lower() == short.lower():
        return None
    return long_form


def expansion_words(entries) -> dict[str, frozenset[str]]:
    """For each lexicon name, the content words of its spelled-out (multi-word) aliases."""
    words: dict[str, frozenset[str]] = {}
    for entry in entries:
        spelled = {
            w
            for alias in entry.aliases
            if " " in alias or "-" in alias
            for w in re.split(r"[\s\-]+", alias.lower())
            if len(w) > 2 and w not in _FUNCTION_WORDS
        }
        if spelled:
            words[entry.canonical] = frozenset(spelled)
    return words


def _same_expansion(long_form: str, expansion_words: frozenset[str] | None) -> bool:
    """Whether a defined long form spells out the lexicon name (shares a content word with its aliases)."""
    if not expansion_words:
        return False
    words = {w for w in re.split(r"[\s\-]+", long_form.lower()) if w not in _FUNCTION_WORDS}
    return bool(words & expansion_words)


def _proposes(sentence: str) -> bool:
    """A proposal cue leads up to the definition at the end of `sentence` (not via "based on X")."""
    cues = list(_PROPOSAL_CUE.finditer(sentence))
    return bool(cues) and _NOT_PROPOSED_BETWEEN.search(sentence, cues[-1].end()) is None


_NOT_PROPOSED_BETWEEN = re.compile(
    r"\b(?:based on|using|via|through|inspired by|with the help of|by means of)\b"
)


def _in_words(text: str, word: str) -> bool:
    """Whether `word` occurs in `text` as a whole word."""
    start = text.find(word)
    while start != -1:
        end = start + len(word)
        if not text[start - 1 : start].isalnum() and not text[end : end + 1].isalnum():
            return True
        start = text.find(word, start + 1)
    return False


def _occurrences(text: str, surface: str) -> list[int]:
    """Where `surface` occurs as a whole word (not inside `surface-based` or `surfaces`)."""
    starts = []
    start = text.find(surface)
    while start != -1:
        end = start + len(surface)
        before = text[start - 1 : start]
        after = text[end : end + 2]
        if not (before.isalnum() or before in ("-", "_")) and not (
            after[:1].isalnum() or after[:1] in ("_", "+") or (after[:1] == "-" and after[1:2].isalnum())
        ):
            starts.append(start)
        start = text.find(surface, end)
    return starts


def _sentence_around(text: str, position: int) -> tuple[int, int]:
    previous_end = text.rfind(". ", 0, position)
    start = previous_end + 2 if previous_end != -1 else 0
    end = text.find(". ", position)
    return start, (end if end != -1 else len(text))


def _names_data(text: str, start: int, end: int) -> bool:
    """Whether the words around a new name make it data: "a dataset named AVinstruct", "a new dataset,
    ChatGPT-RetrievalQA", "Tele-Data, a comprehensive dataset", "X benchmark"."""
    # (lower-case words only: "the DeepMind Control Suite, Dreamer-X reaches" ends a name, not a noun phrase)
    words_before = text[max(0, start - 40) : start].replace(",", " ").replace("(", " ").split()[-2:]
    if words_before and (
        words_before[-1] in _DATA_NOUNS
        or (len(words_before) == 2 and words_before[0] in _DATA_NOUNS and words_before[1] in _NAMING_WORDS)
    ):
        return True
    after = text[end : end + 80]
    return bool(
        _DATASET_WORDS.match(after.strip()) or (after[:1] in ",)" and _DATASET_APPOSITION.match(after))
    )


_DATA_NOUNS = frozenset(("dataset", "datasets", "benchmark", "benchmarks", "corpus", "suite", "testbed"))
_BENCH_NAME = re.compile(r"bench(?![a-z])", re.I)  # "MT-Bench", "BigCodeBench-Lite"
_NAMING_WORDS = frozenset(("named", "called", "dubbed", "termed", "namely"))


def _type_of_new_name(name: str, long_form: str | None, text: str, start: int, end: int) -> str:
    head = (long_form or name).split()[-1].lower() if (long_form or name).split() else ""
    if head in _DATASET_HEADS or _BENCH_NAME.search(name) or _names_data(text, start, end):
        return "dataset"
    if head in _METRIC_HEADS or name.lower().endswith("score"):
        return "metric"
    return "model"


class _Names:
    """Names found in one abstract (surface -> type and canonical) and which are the paper's own methods."""

    def __init__(self) -> None:
        self.types: dict[str, tuple[str, str]] = {}
        self.own: list[str] = []
        self.descriptions: set[str] = set()  # short forms of lower-case descriptions, such as task names
        self.shadowed: set[str] = set()  # lexicon names this paper defines as something else

    def add(self, surface: str, entity_type: str, canonical: str, own: bool) -> None:
        if surface in self.types:
            return
        self.types[surface] = (entity_type, canonical)
        if own and entity_type == "model":
            self.own.append(surface)


def find(
    text: str,
    title: str,
    found: list[Mention],
    cues: dict[str, list[int]],
    expansions: dict[str, frozenset[str]] | None = None,
    abstracts: bool = True,
) -> list[str]:
    """Add definition, proposal, title and coined-name mentions to `found`; return the own method names.

    `cues` are the starts of the cue words the lexicon matcher found (see components.CUE_WORDS);
    `expansions` the words of each lexicon name's spelled-out aliases (`DPO`: direct, preference, ...).
    `abstracts` False (TDMSci's conventions) leaves out two rules written for abstracts, which moved the
    TDMSci CRF's features and its dev figure (.714 to .672) without changing a rule's mention there."""
    names = _Names()
    title_prefix = _TITLE_PREFIX.match(title or "")
    title_name = title_prefix.group(1) if title_prefix and _is_title_name(title_prefix.group(1)) else None
    _add_definitions(text, title or "", found, names, expansions or {}, abstracts)
    _add_proposals(text, names, cues)
    if title_name and title_name.lower() not in GENERIC_ACRONYMS:
        title_rest = title[title_prefix.end() :]
        entity_type = "dataset" if _DATASET_WORDS.search(title_rest) else "model"
        names.add(title_name, entity_type, title_name, True)
        expansion = (
            _title_expansion(title_name, title_rest) if sum(map(str.isupper, title_name)) > 1 else None
        )
        if expansion:
            names.add(expansion, entity_type, title_name, True)
    if names.shadowed:
        found[:] = [m for m in found if m.surface not in names.shadowed or m.source == "definition"]
    for surface, (entity_type, canonical) in names.types.items():
        for start in _occurrences(text, surface):
            found.append(Mention(entity_type, start, start + len(surface), surface, canonical, "definition"))
    _add_coined(text, found, names.descriptions, abstracts)
    return [m for m in names.own if _occurrences(text, m)] or [m for m in names.own if m == title_name]


def _add_definitions(
    text: str,
    title: str,
    found: list[Mention],
    names: _Names,
    expansions: dict[str, frozenset[str]],
    abstracts: bool,
) -> None:
    known_spans: dict[tuple[int, int], Mention] = {}  # the first candidate of each span
    for mention in found:
        known_spans.setdefault((mention.start, mention.end), mention)
    for match in _DEFINITION_PARENS.finditer(text):
        inside = match.group(1)
        short = re.split(r"[,;]\s", inside, maxsplit=1)[0].strip()
        if not _SHORT_FORM.fullmatch(short) or sum(c.isupper() for c in short) < 2:
            continue
        if short.lower() in GENERIC_ACRONYMS or (short.endswith("s") and short[:-1].isupper()):
            continue
        sentence_start, _ = _sentence_around(text, match.start())
        before = text[sentence_start : match.start()]
        sentence = text[sentence_start : match.end()]
        proposes = _in_words(title, short) or _proposes(sentence)
        long_form = _long_form_in(short, before)
        if long_form is None:
            if proposes and _is_coined(short):
                names.add(
                    short, _type_of_new_name(short, None, text, match.start(), match.end()), short, True
                )
            continue
        if before.rfind(long_form) == -1:
            continue
        long_end = match.start() - len(before) + before.rfind(long_form) + len(long_form)
        long_start = _extend_left(text, sentence_start, long_end - len(long_form))
        long_form = text[long_start:long_end]
        short_start = match.start(1) + inside.index(short)
        known_long = known_spans.get((long_start, long_end))
        known = known_long or known_spans.get((short_start, short_start + len(short)))
        is_name = _is_capitalised_name(long_form) or _capitals_spell(short, long_form)
        if (
            known is not None
            and known_long is None
            and not _same_expansion(long_form, expansions.get(known.canonical))
        ):
            # "singular value decomposition (SVD)", "MOdel Surgery (MOS)": this paper's SVD and MOS, not
            # the lexicon's Stable Video Diffusion and mean opinion score.
            names.shadowed.add(short)
            known = None
        if known is not None:
            names.add(short, known.type, known.canonical, False)
            if is_name:
                names.add(long_form, known.type, known.canonical, False)
            continue
        if (
            not proposes
            and not (_METHOD_NOUN_AFTER.match(text, match.end()) and short != short.upper())
            and (long_form.split()[-1].lower() in _TASK_HEADS or short.endswith("s"))
        ):
            is_name = False
        if not (proposes or is_name):
            if (
                abstracts
                and len(short) >= 6
                and _is_camel(short)
                and long_form.split()[-1].lower() not in _TASK_HEADS
            ):
                # "contrastive alignment instructions (AlignInstruct)": a coined name for a described method
                names.add(
                    short, _type_of_new_name(short, None, text, match.start(), match.end()), short, False
                )
            else:
                names.descriptions.add(short)
            continue
        entity_type = _type_of_new_name(short, long_form, text, long_start, match.end())
        names.add(short, entity_type, short, proposes)
        if is_name:
            names.add(long_form, entity_type, short, proposes)


def _long_form_in(short: str, before: str) -> str | None:
    """The long form, trying first without a trailing head noun ("Robust Dual Embedding method (RDE)")."""
    words = before.rstrip().rsplit(" ", 1)
    if len(words) == 2 and words[1].lower() in _HEAD_NOUNS and words[1][0].lower() != short[-1].lower():
        long_form = long_form_for(short, words[0])
        if long_form:
            return long_form
    return long_form_for(short, before)


def _extend_left(text: str, sentence_start: int, long_start: int) -> int:
    """Take in up to two capitalised words just before a long form ("Training-free Eigenspace ...")."""
    for _ in range(2):
        previous = text[sentence_start:long_start]
        stripped = previous.rstrip()
        if len(stripped) != len(previous) - 1:
            break
        word_start = stripped.rfind(" ") + 1
        word = stripped[word_start:]
        if word_start == 0 or not word[:1].isupper() or not word.replace("-", "").isalnum():
            break
        if word.lower() in NOT_NAMES:
            break
        long_start = sentence_start + word_start
    return long_start


def _capitals_spell(short: str, long_form: str) -> bool:
    """The long form's capitals spell the short form's ("Cross-video Identity-cOrrelating pre-traiNing")."""
    capitals = "".join(c for c in long_form if c.isupper())
    return len(capitals) >= 2 and capitals == "".join(c for c in short.upper() if c.isalpha())


def _add_proposals(text: str, names: _Names, cues: dict[str, list[int]]) -> None:
    matches = []
    for kind, pattern in _PROPOSALS:
        for start in cues[kind]:
            match = pattern.match(text, start)
            if match:
                matches.append(match)
    for match in matches:
        name = match.group("name").rstrip(".")
        if name.lower() in NOT_NAMES or name.lower() in GENERIC_ACRONYMS or len(name) < 2:
            continue
        if re.match(r" [A-Z]", text[match.end("name") : match.end("name") + 2]):
            continue  # the first word of a longer name, which a definition may supply
        if not (_is_coined(name) or match.group("after")):
            continue
        following = text[match.end("name") : match.end("name") + 80].split(".")[0]
        is_data = _DATASET_WORDS.search(following) or _names_data(
            text, match.start("name"), match.end("name")
        )
        entity_type = "dataset" if is_data else "model"
        names.add(name, entity_type, name, True)
        more = _COORDINATED_NAME.match(text, match.end("name"))
        if more and _is_coined(more.group("name")):
            names.add(more.group("name"), entity_type, more.group("name"), True)
    for noun_start in cues["method_noun"]:
        start = noun_start - 1
        if start < 1 or text[start] != " ":
            continue
        words = text[max(0, start - 50) : start].rsplit(None, 2)
        if len(words) < 2 or words[-2] not in ("the", "our", "The", "Our") or not _is_coined(words[-1]):
            continue
        match = _METHOD_PHRASE.search(text, max(0, start - 50), start)
        if match:
            name = match.group("name")
            if _is_coined(name) and name.lower() not in GENERIC_ACRONYMS:
                names.add(name, "model", name, False)


def _title_expansion(short: str, title_rest: str) -> str | None:
    """ "TODM: Train Once Deploy Many ..." -> "Train Once Deploy Many"."""
    words = title_rest.split()
    letters = [c for c in short if c.isalnum()]
    if not words or words[0][0].lower() != letters[0].lower():
        return None
    for count in range(2, min(len(words), len(letters) + 3) + 1):
        candidate = " ".join(words[:count])
        if long_form_for(short, candidate) == candidate:
            # One more capitalised word before a function word ends the name too: "Consistency Noise
            # Injection for ...", but not "Train Once Deploy Many Efficient Supernet-Based ...".
            rest = words[count : count + 2]
            if len(rest) == 2 and rest[0][:1].isupper() and rest[1].lower() in _FUNCTION_WORDS:
                return f"{candidate} {rest[0]}"
            return candidate
    return None


def _add_coined(text: str, found: list[Mention], not_names: set[str], abstracts: bool) -> None:
    """CamelCase coinages (`BoostIn`, `DoReMi`, `LintSeq`) name methods or, in a dataset context or grown
    from a known dataset (`ImageNet-R.`, whose "R." the tokenizer keeps whole), data."""
    lexicon_datasets = {m.start for m in found if m.type == "dataset" and m.source == "lexicon"}
    starts = []
    for point in _CAMEL_POINT.finditer(text):
        start = point.start() - _WORD_BACK.match(text[max(0, point.start() - 40) : point.start()][::-1]).end()
        if not starts or starts[-1] != start:
            starts.append(start)
    for start in starts:
        match = _COINED.match(text, start)
        if match is None:
            continue
        name = match.group()
        if name.lower() in NOT_NAMES or name.lower() in GENERIC_ACRONYMS or name in not_names:
            continue
        if not any(_is_camel(part) for part in name.split("-")):
            continue
        if _LATEX_LEFTOVER.search(name) or _in_url(text, match.start(), match.end()):
            continue
        before = text[max(0, match.start() - 8) : match.start()]
        if name.lower().endswith("score"):
            entity_type = "metric"
        elif (
            _names_data(text, match.start(), match.end())
            or before.endswith(("on ", "on the "))
            or _BENCH_NAME.search(name)
            or (abstracts and match.start() in lexicon_datasets)
        ):
            entity_type = "dataset"
        else:
            entity_type = "model"
        found.append(Mention(entity_type, match.start(), match.end(), name, name, "coined"))


def _in_url(text: str, start: int, end: int) -> bool:
    """Whether the whitespace-delimited word around [start, end) is a URL or a path."""
    word_start = text.rfind(" ", 0, start) + 1
    word_end = text.find(" ", end)
    word = text[word_start : word_end if word_end != -1 else len(text)]
    return "/" in word and ("." in word or ":" in word)


def _is_camel(word: str) -> bool:
    """A lower-case letter followed later by a capital: `BoostIn`, `DSnoT`, not `ID` or `Re`."""
    seen_lower = False
    for c in word:
        if c.islower():
            seen_lower = True
        elif c.isupper() and seen_lower:
            return True
    return False


_NOT_A_SYSTEM_AFTER = (" problem", " effect", " issue", " phenomenon", " conjecture")


def filter_candidates(text: str, found: list[Mention]) -> list[Mention]:
    """Drop candidates that are parts of compounds (`precision-oriented`) or name something else
    (`the Janus problem`)."""
    kept = []
    for mention in found:
        if (
            mention.source == "shape"
            and mention.type == "model"
            and _names_data(text, mention.start, mention.end)
        ):
            # "a new dataset, ChatGPT-RetrievalQA": a model's name inside a dataset's
            mention = Mention(
                "dataset", mention.start, mention.end, mention.surface, mention.surface, "shape"
            )
        if mention.type != "dataset" and (
            (text[mention.end : mention.end + 1] == "-" and text[mention.end + 1 : mention.end + 2].islower())
            or text.startswith(_NOT_A_SYSTEM_AFTER, mention.end)
        ):
            continue
        kept.append(mention)
    return kept
