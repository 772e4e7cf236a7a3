"""Training the TDMSci-conventions CRF (`extract/crf.py`): `python -m extract.training.train_crf`.

The CRF is stacked on the rule pipeline, whose output on TDMSci's learning part would be too good to
learn from: the `provenance=tdmsci-train` lexicon entries were mined from it, and the learned name scorer
and span filter were trained on it. So the rule features of each training sentence come from a pipeline
that has not seen it: the lexicons without the `tdmsci-train` entries, and a name scorer and span filter
retrained (`train_names.train`) on the other folds of the sentences (k-fold). At run time the CRF reads
the shipped pipeline's output, whose learned parts have not seen the sentences it tags either.

Design choices were made on the dev quarter of the learning part (`train_names.dev_split`): trained on the
other three quarters (3-fold rule features), scored on the dev quarter with rule features from a pipeline
trained on those three quarters, lexicons without `tdmsci-train`. The shipped model is then trained on
the whole learning part (4-fold rule features) and scored on the held-out part through the shipped
pipeline, next to the rules alone. Choices, figures and the two looks at the held-out part:
extract/README.md ("The TDMSci CRF").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pycrfsuite

from extract import crf
from extract.lexicon import TDMSCI_TRAIN
from extract.training import tdmsci, train_names

C1, C2 = 0.1, 0.05
MAX_ITERATIONS = 75


def rule_pipeline(sentences: list[tdmsci.Sentence], crf_models: tuple = (None,)):
    """The TDMSci-conventions pipeline with the lexicons less `tdmsci-train` and a name scorer and span
    filter trained on `sentences`; one for each of `crf_models` (None: no CRF on top)."""
    from extract.extractor import build_pipeline

    scorer = train_names.train([TDMSCI_TRAIN], sentences=sentences)
    return [build_pipeline([TDMSCI_TRAIN], "tdmsci", scorer=scorer, crf=model) for model in crf_models]


def tokens(nlp, sentences: list[tdmsci.Sentence]) -> list[list[crf.Token]]:
    from extract import components

    out = []
    for doc in train_names._docs(nlp, [(s.text, "") for s in sentences]):
        mentions = doc.user_data[components.MENTIONS]
        out.append(crf.tokens_of(doc, mentions, components.candidates(doc)))
    return out


def out_of_fold_tokens(sentences: list[tdmsci.Sentence], folds: int) -> list[list[crf.Token]]:
    """Each sentence's tokens marked by a rule pipeline trained without its fold (sentence index mod k)."""
    out: list = [None] * len(sentences)
    for fold in range(folds):
        rest = [s for i, s in enumerate(sentences) if i % folds != fold]
        indices = [i for i in range(len(sentences)) if i % folds == fold]
        for i, marked in zip(
            indices, tokens(rule_pipeline(rest)[0], [sentences[i] for i in indices]), strict=True
        ):
            out[i] = marked
    return out


def fit(
    marked: list[list[crf.Token]],
    sentences: list[tdmsci.Sentence],
    path: Path,
    c1: float = C1,
    c2: float = C2,
) -> None:
    trainer = pycrfsuite.Trainer(verbose=False)
    for toks, sentence in zip(marked, sentences, strict=True):
        trainer.append(crf.features(toks), crf.bio(toks, sentence.spans))
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": MAX_ITERATIONS})
    trainer.train(str(path))


def report(name: str, counts: dict) -> str:
    return "  ".join(
        f"{name} {t.upper()} P {c.precision:.3f} R {c.recall:.3f} F1 {c.f1:.3f}" for t, c in counts.items()
    )


def main(argv: list[str] | None = None) -> int:
    from extract.extractor import Extractor, build_pipeline

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=crf.MODEL_FILE)
    parser.add_argument("--dev-only", action="store_true", help="score the dev quarter, train nothing more")
    args = parser.parse_args(argv)
    began = time.process_time()
    learning, held_out = tdmsci.split(tdmsci.read_sentences())
    train, dev = train_names.dev_split(learning)
    with tempfile.TemporaryDirectory() as folder:
        dev_model = Path(folder) / "dev.crfsuite"
        fit(out_of_fold_tokens(train, 3), train, dev_model)
        rules, stacked = rule_pipeline(train, (None, dev_model))
        print(report("dev, rules", tdmsci.score(Extractor(rules), dev)))
        print(report("dev, CRF", tdmsci.score(Extractor(stacked), dev)))
    if args.dev_only:
        return 0
    fit(out_of_fold_tokens(learning, 4), learning, args.output)
    for name, model in (("rules", None), ("CRF", args.output)):
        shipped = Extractor(build_pipeline(conventions="tdmsci", crf=model))
        print(report(f"held-out, {name}", tdmsci.score(shipped, held_out)))
    print(
        f"{args.output} ({args.output.stat().st_size / 1024:.0f} KB), {time.process_time() - began:.0f} s CPU"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
