"""Training the task CRF (`extract/task_crf.py`): `python -m extract.training.train_task_crf`.

TDMSci's learning part (80% of its training split, `tdmsci.split`) and its dev quarter
(`train_names.dev_split`). Every choice (features, c1/c2, the post-filter and its length cap, lexicon entries,
the variant) was made on the dev quarter with a model trained on the other three quarters; the shipped model
is then trained on the whole learning part with the same settings and written to
`weights/tdmsci_task_crf.crfsuite`. The held-out part is scored by `paperpulse eval-tdmsci`, through the
pipeline, not here.

Lexicon features without leakage: the `provenance=tdmsci-train` entries of `lexicons/tasks.csv` were written
after reading gold TASK spans of the learning part, so on their own sentences they would look more reliable
than they are. Such an entry is used for a sentence only when some *other* sentences support it (one of its
aliases is inside a gold TASK string there): for a training sentence, the other folds (k-fold, sentence index
mod 4); for a dev sentence, the train three quarters. At run time (the held-out part, new text) every entry is
used: all of them are supported by the learning part.

The features come from the pipeline's own tokens and lexicon matches (the `paperpulse_lexicon` component),
settled as the component settles them, so the model sees at training what it sees at run time.
Deterministic (no randomness besides the fixed split seeds; crfsuite's L-BFGS is deterministic).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pycrfsuite

from extract import task_crf, tasks
from extract.lexicon import TDMSCI_TRAIN, Entry, alias_variants, read_lexicons
from extract.training import tdmsci, train_names
from extract.training.evaluate import Counts, score_entities

C1, C2 = 0.1, 0.05  # chosen on the dev quarter (a 5x4 grid)
MAX_ITERATIONS = 150
FOLDS = 4


def supported(entry: Entry, sentences: list[tdmsci.Sentence]) -> bool:
    """Whether one of the entry's aliases is (word-bounded) inside a gold TASK string of `sentences`."""
    variants = {v.lower() for a in entry.aliases for v in alias_variants(a, "task")}
    for sentence in sentences:
        for gold in sentence.task_strings():
            padded = f" {gold} "
            for v in variants:
                i = padded.find(v)
                while i > 0:
                    if not padded[i - 1].isalnum() and not padded[i + len(v)].isalnum():
                        return True
                    i = padded.find(v, i + 1)
    return False


class Lexicon:
    """The task entries a sentence may use: the general ones, and the `tdmsci-train` ones that given
    sentences support."""

    def __init__(self, entries: list[Entry]):
        self.general = [e for e in entries if e.provenance != TDMSCI_TRAIN]
        self.mined = [e for e in entries if e.provenance == TDMSCI_TRAIN]
        self._cache: dict = {}

    def supported_by(self, sentences: list[tdmsci.Sentence] | None, mined: bool = True):
        """(entries used, heads, modifiers); `sentences=None`: every entry; `mined=False`: the general
        entries only."""
        chosen = (
            () if not mined else tuple(e for e in self.mined if sentences is None or supported(e, sentences))
        )
        if chosen not in self._cache:
            entries = self.general + list(chosen)
            self._cache[chosen] = (frozenset(entries), *tasks.heads_and_modifiers(entries))
        return self._cache[chosen]


class Seq:
    """A sentence's CRF sequence under a lexicon: features, gold labels, the lexicon's own spans."""

    def __init__(self, doc, sentence: tdmsci.Sentence, lexicon: tuple):
        used, heads, modifiers = lexicon
        matches = [m for m in doc.user_data.get(tasks.MATCHES) or [] if m[2] in used]
        self.doc = doc
        self.settled = tasks.settle(doc, matches, take_acronyms=True)
        self.idx, self.features = task_crf.sequence(doc, self.settled, heads, modifiers)
        offsets = [(doc[i].idx, doc[i].idx + len(doc[i])) for i in self.idx]
        self.labels = task_crf.bio(offsets, sorted(sentence.tasks))
        self.lexicon_spans = [(doc[s].idx, doc[e - 1].idx + len(doc[e - 1])) for s, e, _ in self.settled]


def matched_docs(sentences: list[tdmsci.Sentence]) -> list:
    """Each sentence's Doc after the pipeline's lexicon matcher (which finds the task aliases)."""
    from extract import components
    from extract.extractor import build_pipeline

    nlp = build_pipeline(conventions="tdmsci", scorer=None, crf=None, task_crf=None)
    matcher = nlp.get_pipe("paperpulse_lexicon")
    docs = []
    for sentence in sentences:
        doc = nlp.make_doc(sentence.text)
        doc.user_data[components.TEXT] = sentence.text
        docs.append(matcher(doc))
    return docs


def training_seqs(sentences: list[tdmsci.Sentence], docs: list, lexicon: Lexicon) -> list[Seq]:
    """Sequences whose lexicon features use only the mined entries the other folds support."""
    seqs: list = [None] * len(sentences)
    for fold in range(FOLDS):
        others = [s for i, s in enumerate(sentences) if i % FOLDS != fold]
        used = lexicon.supported_by(others)
        for i, (sentence, doc) in enumerate(zip(sentences, docs, strict=True)):
            if i % FOLDS == fold:
                seqs[i] = Seq(doc, sentence, used)
    return seqs


def fit(seqs: list[Seq], path: Path, c1: float = C1, c2: float = C2) -> None:
    trainer = pycrfsuite.Trainer(verbose=False)
    for seq in seqs:
        trainer.append(seq.features, seq.labels)
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": MAX_ITERATIONS})
    trainer.train(str(path))


def predict(model: Path, seqs: list[Seq]) -> list[list[tuple[int, int]]]:
    tagger = pycrfsuite.Tagger()
    tagger.open(str(model))
    return [
        task_crf.tagged_spans(seq.doc, seq.idx, tagger.tag(seq.features), seq.settled) if seq.idx else []
        for seq in seqs
    ]


def score(sentences: list[tdmsci.Sentence], predictions: list[list[tuple[int, int]]]) -> Counts:
    """Our rule: per sentence, the sets of case-folded TASK strings."""
    total = Counts()
    for sentence, spans in zip(sentences, predictions, strict=True):
        total.add(score_entities([sentence.text[s:e] for s, e in spans], sentence.task_strings(), ()))
    return total


def report(name: str, c: Counts) -> str:
    return f"{name:<34} P {c.precision:.3f} R {c.recall:.3f} F1 {c.f1:.3f} (tp {c.tp} fp {c.fp} fn {c.fn})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=task_crf.MODEL_FILE)
    parser.add_argument("--dev-only", action="store_true", help="score the dev quarter, train nothing more")
    args = parser.parse_args(argv)
    began = time.process_time()
    learning, _ = tdmsci.split(tdmsci.read_sentences())
    train, dev = train_names.dev_split(learning)
    lexicon = Lexicon(read_lexicons(types=("task",)))
    docs = dict(zip((s.text for s in learning), matched_docs(learning), strict=True))
    train_docs, dev_docs = [docs[s.text] for s in train], [docs[s.text] for s in dev]
    dev_seqs = [Seq(doc, s, lexicon.supported_by(train)) for doc, s in zip(dev_docs, dev, strict=True)]
    general = [
        Seq(doc, s, lexicon.supported_by(None, mined=False)) for doc, s in zip(dev_docs, dev, strict=True)
    ]
    with tempfile.TemporaryDirectory() as folder:
        dev_model = Path(folder) / "dev.crfsuite"
        fit(training_seqs(train, train_docs, lexicon), dev_model)
        print(report("dev, lexicon (general entries)", score(dev, [seq.lexicon_spans for seq in general])))
        print(report("dev, lexicon", score(dev, [seq.lexicon_spans for seq in dev_seqs])))
        print(report("dev, CRF + post-filter", score(dev, predict(dev_model, dev_seqs))))
    if not args.dev_only:
        fit(training_seqs(learning, [docs[s.text] for s in learning], lexicon), args.output)
        size = args.output.stat().st_size / 1024
        print(f"{args.output} ({size:.0f} KB), {time.process_time() - began:.0f} s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
