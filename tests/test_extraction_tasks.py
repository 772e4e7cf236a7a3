"""Tasks, the fourth entity type: the lexicon's matches on abstracts (GUIDELINES.md's conventions), TDMSci's
conventions with the task CRF, and how both are scored."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from extract.training import tdmsci
from extract.training.evaluate import Counts, score

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def extractors():
    from extract.extractor import load

    return {
        "guidelines": load(),
        "tdmsci": load(conventions="tdmsci"),
        "tdmsci, lexicon only": load(conventions="tdmsci", task_crf=None),
    }


def tasks_of(extractor, abstract: str) -> list[tuple[str, str]]:
    prediction = next(extractor.extract([{"id": "p", "title": "", "abstract": abstract}]))
    found = [e for e in prediction["entities"] if e["type"] == "task"]
    assert all(abstract[e["start"] : e["end"]] == e["surface"] for e in found)
    assert prediction["tasks"] == list(dict.fromkeys(e["surface"] for e in found))
    return [(e["surface"], e["canonical"]) for e in found]


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        (  # an acronym matches as written only; a defined one is listed apart, with the long form's name
            "We study named entity recognition (NER) and text-to-SQL; NER is hard, ner is a typo.",
            [
                ("named entity recognition", "named entity recognition"),
                ("NER", "named entity recognition"),
                ("text-to-SQL", "text-to-SQL"),
                ("NER", "named entity recognition"),
            ],
        ),
        (  # an acronym the abstract defines for a task names it wherever it is written
            "Machine unlearning (MU) removes data. Existing MU methods are slow.",
            [
                ("Machine unlearning", "machine unlearning"),
                ("MU", "machine unlearning"),
                ("MU", "machine unlearning"),
            ],
        ),
        (  # a task word that modifies what follows is no task; a task inside a dataset's name neither
            "Retrieval-augmented generation, classification-based filters: MS MARCO Passage Ranking.",
            [],
        ),
        (  # the most specific phrase: grown over the words the lexicon's task aliases modify with
            "We improve multilingual text generation and robust image classification.",
            [
                ("multilingual text generation", "multilingual text generation"),
                ("image classification", "image classification"),
            ],
        ),
    ],
)
def test_tasks_on_abstracts(extractors, abstract, expected):
    assert tasks_of(extractors["guidelines"], abstract) == expected


def test_tasks_leave_the_other_types_alone(extractors):
    abstract = "Our model reaches 91.2% accuracy on ImageNet for image classification, beating ResNet-50."
    prediction = next(extractors["guidelines"].extract([{"id": "p", "title": "", "abstract": abstract}]))
    assert prediction["tasks"] == ["image classification"]
    assert prediction["datasets"] == ["ImageNet"] and prediction["metrics"] == ["accuracy"]
    assert [(r["value"], r["dataset"], r["metric"]) for r in prediction["results"]] == [
        ("91.2", "ImageNet", "accuracy")
    ]


@pytest.mark.parametrize(
    ("sentence", "crf", "lexicon"),
    [
        (  # TDMSci takes the bracketed acronym in
            "Our system improves named entity recognition (NER) on news text.",
            [("named entity recognition (NER)", "named entity recognition")],
            [("named entity recognition (NER)", "named entity recognition")],
        ),
        (  # the CRF keeps the head word TDMSci writes; the canonical name is the lexicon's
            "We are given a text classification task in a target language.",
            [("text classification task", "text classification")],
            [("text classification", "text classification")],
        ),
        (  # and finds tasks the lexicon does not list
            "Results reveal the complexity of inter-language correspondence modeling.",
            [("inter-language correspondence modeling", "inter-language correspondence modeling")],
            [],
        ),
    ],
)
def test_tdmsci_conventions_take_tasks_from_the_crf(extractors, sentence, crf, lexicon):
    assert tasks_of(extractors["tdmsci"], sentence) == crf
    assert tasks_of(extractors["tdmsci, lexicon only"], sentence) == lexicon


def test_only_tdmsci_conventions_run_the_task_crf():
    from extract.extractor import build_pipeline

    assert "paperpulse_task_crf" in build_pipeline(conventions="tdmsci").pipe_names
    assert "paperpulse_task_crf" not in build_pipeline(conventions="tdmsci", task_crf=None).pipe_names
    assert "paperpulse_task_crf" not in build_pipeline(task_crf="default").pipe_names  # guidelines: never
    assert "paperpulse_tasks" in build_pipeline().pipe_names
    # The abstracts' pipeline does not open the model nor import crfsuite (a fresh interpreter).
    code = (
        "import sys; from extract.extractor import load; extractor = load(); "
        "list(extractor.extract([{'id': 1, 'title': '', 'abstract': 'We study machine translation.'}])); "
        "assert 'pycrfsuite' not in sys.modules; "
        "assert extractor.nlp.get_pipe('paperpulse_task_crf').crf is None"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_the_shipped_task_crf_is_small_and_tags_tasks():
    import pycrfsuite

    from extract import task_crf

    assert task_crf.MODEL_FILE.stat().st_size < 2 * 1024 * 1024
    tagger = pycrfsuite.Tagger()
    tagger.open(str(task_crf.MODEL_FILE))
    assert set(tagger.labels()) == {"O", "B-TASK", "I-TASK"}


def test_post_filter_trims_splits_and_drops():
    from extract.task_crf import post_filter

    text = "We study the information extraction (IE) task. By contrast, the task of parsing."
    start = text.index("the information")
    spans = post_filter(text, [(start, text.index(" task.")), (text.index("the task"), len(text) - 1)])
    assert [text[s:e] for s, e in spans] == ["information extraction (IE)", "task of parsing"]
    assert post_filter("the task", [(0, 8)]) == []  # a generic head word alone


def test_tdmsci_sentences_keep_their_task_spans():
    sentences = tdmsci.read_sentences()
    with_tasks = [s for s in sentences if s.tasks]
    assert len(with_tasks) > 500
    assert {t for s in sentences for t, _, _ in s.spans} == {"dataset", "metric"}  # tasks apart
    for sentence in with_tasks:
        for start, end in sentence.tasks:
            assert sentence.text[start:end] == sentence.text[start:end].strip() != ""


def test_tdmsci_scores_tasks_on_strings_per_sentence():
    class Fixed:
        def extract(self, papers):
            for paper in papers:
                start = paper["abstract"].index("Machine  Translation")
                entity = {
                    "type": "task",
                    "surface": "Machine  Translation",
                    "start": start,
                    "end": start + 20,
                }
                yield {"tasks": ["Machine  Translation", "parsing"], "entities": [entity]}

    text = "We test machine translation and Machine  Translation here."
    gold = tdmsci.Sentence(text, frozenset(), frozenset({(8, 27), (32, 52)}))
    counts = tdmsci.score(Fixed(), [gold])
    # one string, case-folded and spaces normalised, matched once; "parsing" is wrong
    assert (counts["task"].tp, counts["task"].fp, counts["task"].fn) == (1, 1, 0)
    report = tdmsci.format_report({"dataset": Counts(), "metric": Counts(), "task": counts["task"]}, 1)
    task_line = next(line for line in report.splitlines() if line.startswith("task"))
    assert task_line.split()[1:5] == ["0.500", "1.000", "0.667", "0.595"]
    assert "strings per sentence" in task_line


def test_eval_scores_a_task_row():
    gold = [{"id": "a", "models": [], "tasks": ["Image Classification", "ASR"], "optional": ["segmentation"]}]
    predictions = [{"id": "a", "tasks": ["image  classification", "segmentation", "parsing"]}]
    task = score(predictions, gold).by_type["task"]
    assert (task.tp, task.fp, task.fn) == (1, 1, 1)
