"""The extractor's spaCy pipeline as a spaCy project assembles it: from extract/config.cfg with overrides,
its output in span groups, its version derived from the config, data and code, and cheap imports."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from spacy.util import load_config, load_model_from_config

from extract import components
from extract import extractor as extractor_module
from extract.extractor import (
    CONFIG_FILE,
    EXTRACTOR_VERSION,
    Extractor,
    build_pipeline,
    load,
    pipeline_config,
    pipeline_overrides,
    version_of,
)

REPO = Path(__file__).resolve().parent.parent
ABSTRACT = (
    "We prune LLaMA-7B with Wanda and report 26.79 perplexity on WikiText-2. "
    "It reaches 93.3/74.3 mAP on ImageNet-A. and 3x speed-ups."
)


@pytest.fixture(scope="module")
def extractor():
    return load()


def test_the_plain_spacy_way_builds_the_same_pipeline(extractor):
    """load_config, load_model_from_config (spaCy filling its defaults) and initialize, nothing else: the same
    pipeline and predictions."""
    nlp = load_model_from_config(load_config(CONFIG_FILE), auto_fill=True)
    nlp.initialize()
    assert (
        nlp.pipe_names
        == extractor.nlp.pipe_names
        == [
            "paperpulse_lexicon",
            "paperpulse_definitions",
            "paperpulse_resolve",
            "paperpulse_results",
            "paperpulse_tasks",
            "paperpulse_spans",
        ]
    )
    assert nlp.disabled == ["paperpulse_names", "paperpulse_crf", "paperpulse_task_crf"]
    papers = [{"id": 1, "title": "", "abstract": ABSTRACT}]
    assert list(Extractor(nlp).extract(papers)) == list(extractor.extract(papers))


def test_variants_are_config_overrides():
    assert pipeline_overrides() == {}
    assert pipeline_overrides(conventions="tdmsci") == {
        "paperpulse.conventions": "tdmsci",
        "nlp.disabled": [],
    }
    assert pipeline_overrides(["seed-002", "seed-001"]) == {
        "paperpulse.held_out_ids": ["seed-001", "seed-002"]
    }
    # the shipped weights saw every seed abstract: none with held-out ids; the CRF only under TDMSci's
    assert pipeline_overrides(["seed-001"], "tdmsci")["nlp.disabled"] == ["paperpulse_names"]
    assert pipeline_overrides(scorer="w.json") == {
        "paths.names_weights": "w.json",
        "nlp.disabled": ["paperpulse_crf", "paperpulse_task_crf"],
    }
    assert pipeline_overrides(conventions="tdmsci", crf=None)["nlp.disabled"] == ["paperpulse_crf"]
    assert pipeline_overrides(conventions="tdmsci", task_crf=None)["nlp.disabled"] == ["paperpulse_task_crf"]
    assert (
        pipeline_overrides(conventions="tdmsci", task_crf="t.crfsuite")["paths.task_crf_model"]
        == "t.crfsuite"
    )
    assert pipeline_overrides(crf="m.crfsuite", task_crf="t.crfsuite") == {}  # the guidelines: never
    config = pipeline_config(pipeline_overrides(["seed-001"], "tdmsci")).interpolate()
    assert config["components"]["paperpulse_resolve"]["conventions"] == "tdmsci"
    assert config["initialize"]["components"]["paperpulse_lexicon"]["held_out_ids"] == ["seed-001"]
    nlp = build_pipeline(["seed-001"], "tdmsci")
    assert nlp.get_pipe("paperpulse_resolve").conventions == "tdmsci"
    assert nlp.config["paperpulse"]["held_out_ids"] == ["seed-001"]


def test_mentions_and_results_are_span_groups(extractor):
    nlp = extractor.nlp
    doc = nlp.make_doc(ABSTRACT)
    for _, component in nlp.pipeline:
        doc = component(doc)
    prediction = next(extractor.extract([{"id": 1, "title": "", "abstract": ABSTRACT}]))
    mentions = doc.spans["mentions"]
    assert [(s.text, s.label_, s.kb_id_) for s in mentions] == [
        (e["surface"], e["type"], e["canonical"]) for e in prediction["entities"]
    ]
    assert [(s.start_char, s.end_char) for s in mentions] == [
        (e["start"], e["end"]) for e in prediction["entities"]
    ]
    assert ("ImageNet-A", "dataset") in {(s.text, s.label_) for s in mentions}  # a token "A." split for it
    assert all(s._.mention.surface == s.text for s in mentions)
    results = doc.spans["results"]
    assert [s._.result for s in results] == prediction["results"]
    assert [s.text for s in results] == ["26.79", "93.3", "74.3", "3x"]  # "93.3/74.3" was one token
    assert all(s.label_ == s._.result["kind"] for s in results)


def test_span_groups_carry_exactly_the_predictions_on_every_bundled_abstract(extractor):
    """What `prediction` reads (doc._.mentions, doc._.results) is what the span groups hold, span for span,
    and every span covers exactly its characters (tokens split where a name or number ends inside one)."""
    from extract.training.train_names import bundled_papers

    nlp, split = extractor.nlp, 0
    for paper in bundled_papers():
        doc = nlp.make_doc(paper["abstract"])
        doc.user_data[components.TEXT] = paper["abstract"]
        doc.user_data[components.TITLE] = paper["title"]
        tokens = len(doc)
        for _, component in nlp.pipeline:
            doc = component(doc)
        split += len(doc) > tokens
        assert doc.text == paper["abstract"]
        mentions = doc.spans["mentions"]
        assert [s._.mention for s in mentions] == doc._.mentions
        for span in mentions:
            m = span._.mention
            assert (span.start_char, span.end_char, span.text) == (m.start, m.end, m.surface)
            assert (span.label_, span.kb_id_) == (m.type, m.canonical)
        results = doc.spans["results"]
        assert [s._.result for s in results] == doc._.results
        assert all(s.text.replace(",", "").lstrip("+").startswith(s._.result["value"]) for s in results)
    assert split > 10  # some did need a split


def test_extractor_version_is_the_shipped_configs():
    assert EXTRACTOR_VERSION == version_of(pipeline_config()) == build_pipeline().meta["version"]
    assert EXTRACTOR_VERSION.startswith(extractor_module.RULES_VERSION + "+")
    assert version_of(pipeline_config(pipeline_overrides(["seed-001"]))) != EXTRACTOR_VERSION
    assert version_of(pipeline_config(pipeline_overrides(conventions="tdmsci"))) != EXTRACTOR_VERSION


def _touch(path: Path, extra: bytes) -> None:
    path.write_bytes(path.read_bytes() + extra)


@pytest.mark.parametrize(
    ("changed", "extra", "default_changes", "tdmsci_changes"),
    [
        ("results.py", b"\n# a rule changed\n", True, True),  # a component's rules
        ("shapes.py", b"\n# a rule changed\n", True, True),  # imported by a component
        ("extractor.py", b"\n# the output changed\n", True, True),  # turns Docs into predictions
        ("lexicons/models.csv", b"Foo-Net,Foo-Net,,,,general\n", True, True),
        ("weights/names.json", b" ", False, True),  # the learned scorer: TDMSci's conventions only
        ("weights/tdmsci_crf.crfsuite", b"\0", False, True),  # the CRF: likewise
        ("crf.py", b"\n# the CRF changed\n", False, True),
        ("lexicons/tasks.csv", b"foo parsing,foo parsing,no,general\n", True, True),
        ("tasks.py", b"\n# a task rule changed\n", True, True),
        ("weights/tdmsci_task_crf.crfsuite", b"\0", False, True),  # the task CRF: TDMSci's conventions only
        ("task_crf.py", b"\n# the task CRF changed\n", False, True),
        ("lexicons/README.md", b"\nmore words\n", False, False),  # documentation
        ("training/bench.py", b"\n# not the pipeline\n", False, False),
    ],
)
def test_changing_a_rule_lexicon_or_weight_changes_the_version(
    tmp_path, changed, extra, default_changes, tdmsci_changes
):
    root = tmp_path / "extract"
    shutil.copytree(extractor_module.EXTRACT_DIR, root, ignore=shutil.ignore_patterns("__pycache__"))
    default, tdmsci = pipeline_config(), pipeline_config(pipeline_overrides(conventions="tdmsci"))
    before = version_of(default, root), version_of(tdmsci, root)
    assert before == (version_of(default), version_of(tdmsci))
    _touch(root / changed, extra)
    after = version_of(default, root), version_of(tdmsci, root)
    assert (after[0] != before[0], after[1] != before[1]) == (default_changes, tdmsci_changes)


def _modules_after(code: str) -> set[str]:
    listing = subprocess.run(
        [sys.executable, "-c", f"{code}; import sys; print(' '.join(sys.modules))"],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    ).stdout
    return {name.split(".")[0] for name in listing.split()}


def test_extract_imports_no_ingestion_or_warehouse_code():
    loaded = _modules_after("import extract, extract.training.bench")
    assert not loaded & {"paperpulse", "expectations", "spacy"}
    assert not _modules_after("import extract.extractor") & {"paperpulse", "expectations"}


def test_importing_the_extractor_builds_no_pipeline():
    code = (
        "import spacy.language; built = []; init = spacy.language.Language.__init__; "
        "spacy.language.Language.__init__ = lambda self, *a, **k: built.append(1) or init(self, *a, **k); "
        "import extract.extractor; assert not built, built"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
