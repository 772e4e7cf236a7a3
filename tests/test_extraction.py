"""The extractor on real abstracts and on tricky sentences (real spaCy pipeline, no mocks)."""

from __future__ import annotations

from datetime import date

import pytest

from extract.extractor import load
from paperpulse.ingest.sources import Payload, trending_page
from paperpulse.settings import BUNDLED_PAGE, Settings


@pytest.fixture(scope="module")
def extractor():
    return load()


@pytest.fixture(scope="module")
def bundled_papers() -> list[dict]:
    settings = Settings(home=BUNDLED_PAGE.parent, trending_year=2024, extract_batch_size=100)
    records = trending_page.parse(Payload("page.txt", BUNDLED_PAGE.read_bytes()), date(2024, 3, 11), settings)
    return [{"id": r["paper_id"], "title": r["title"], "abstract": r["abstract"]} for r in records]


def extract_one(extractor, abstract: str, title: str = "") -> dict:
    return next(extractor.extract([{"id": "p", "title": title, "abstract": abstract}]))


def test_dsnot_abstract(extractor, bundled_papers):
    paper = bundled_papers[2]
    assert paper["title"].startswith("Dynamic Sparse No Training")
    prediction = next(extractor.extract([paper]))
    assert {"LLaMA-7B", "Wanda", "DSnoT"} <= set(prediction["models"])
    assert "perplexity" in prediction["metrics"]
    result = next(r for r in prediction["results"] if r["value"] == "26.79")
    assert result["metric"] == "perplexity"
    assert result["kind"] == "improvement"
    assert result["condition"] == "at 70% sparsity"
    assert "26.79" in result["evidence"]


def test_a_paper_without_entities_yields_nothing(extractor):
    prediction = extract_one(
        extractor,
        "We study how people read long documents and argue that attention is limited. "
        "Our survey of the literature suggests three open questions for future work.",
        title="Reading as a social practice",
    )
    assert prediction == {
        "id": "p",
        "models": [],
        "datasets": [],
        "metrics": [],
        "tasks": [],
        "results": [],
        "entities": [],
    }


def test_offsets_slice_to_the_surface_on_every_bundled_paper(extractor, bundled_papers):
    predictions = list(extractor.extract(bundled_papers))
    assert [p["id"] for p in predictions] == [p["id"] for p in bundled_papers]
    entity_count = 0
    for paper, prediction in zip(bundled_papers, predictions, strict=True):
        for entity in prediction["entities"]:
            assert paper["abstract"][entity["start"] : entity["end"]] == entity["surface"]
            entity_count += 1
        for key, entity_type in (
            ("models", "model"),
            ("datasets", "dataset"),
            ("metrics", "metric"),
            ("tasks", "task"),
        ):
            assert set(prediction[key]) == {
                e["surface"] for e in prediction["entities"] if e["type"] == entity_type
            }
    assert entity_count > 500


@pytest.mark.parametrize("surface", ["LLaMA-7B", "Llama 7B", "llama-7b", "LLaMA 7B", "Llama-7b"])
def test_llama_7b_spellings_share_one_canonical(extractor, surface):
    prediction = extract_one(extractor, f"We prune {surface} and report perplexity.")
    (entity,) = [e for e in prediction["entities"] if e["type"] == "model"]
    assert entity["surface"] == surface
    assert (entity["canonical"], entity["family"], entity["size"]) == ("LLaMA-7B", "llama", "7B")


@pytest.mark.parametrize("surface", ["MS MARCO", "MS-MARCO", "MSMARCO", "MS Marco"])
def test_ms_marco_spellings_share_one_canonical(extractor, surface):
    prediction = extract_one(extractor, f"We evaluate passage ranking on {surface} and report MRR@10.")
    (entity,) = [e for e in prediction["entities"] if e["type"] == "dataset"]
    assert (entity["surface"], entity["canonical"]) == (surface, "MS MARCO")


def test_other_entity_types_have_no_family_or_size(extractor):
    prediction = extract_one(extractor, "ResNet-50 reaches 76.1% top-1 accuracy on ImageNet.")
    for entity in prediction["entities"]:
        if entity["type"] != "model":
            assert entity["family"] is None and entity["size"] is None


def test_common_words_are_not_names(extractor):
    prediction = extract_one(
        extractor,
        "Users may opt for a palm reader or clip the bloom of a falcon; the pile of glue is in the arc.",
    )
    assert prediction["models"] == [] and prediction["datasets"] == []


def test_odd_shapes_never_break_extraction(extractor):
    """Every model alias glued to odd tails, in one abstract: no exception, offsets still slice."""
    from extract.lexicon import read_lexicons

    aliases = sorted({a for e in read_lexicons() if e.type == "model" for a in e.aliases})
    tails = ["4Rec", "-7B-chat", "2x", ".5", "-v0.1/v2", "_3B", "-XL-", "/16", "++", "-2-4x faster", " 1.5"]
    abstract = " ".join(f"{alias}{tails[i % len(tails)]} ({i})." for i, alias in enumerate(aliases))
    prediction = extract_one(extractor, abstract)
    assert len(prediction["entities"]) > len(aliases) // 2
    for entity in prediction["entities"]:
        assert abstract[entity["start"] : entity["end"]] == entity["surface"]


def test_random_text_never_breaks_extraction(extractor):
    """Seeded random strings of letters, digits, punctuation and unicode: every paper gets a prediction."""
    import random

    rng = random.Random(7)
    alphabet = "aAbBxXyYzZ019 .,;:-_/()[]%+@'\"\\×–é模\n\t"
    words = [
        "LLaMA",
        "GPT",
        "on",
        "we",
        "propose",
        "called",
        "(NQ)",
        "ResNet-50",
        "93.3%",
        "by",
        "2x",
        "model",
    ]
    papers = []
    for index in range(300):
        pieces = [
            rng.choice(words)
            if rng.random() < 0.3
            else "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
            for _ in range(rng.randint(0, 60))
        ]
        papers.append(
            {
                "id": index,
                "title": "".join(rng.choice(alphabet) for _ in range(10)),
                "abstract": " ".join(pieces),
            }
        )
    predictions = list(extractor.extract(papers))
    assert [p["id"] for p in predictions] == list(range(300))
    for paper, prediction in zip(papers, predictions, strict=True):
        for entity in prediction["entities"]:
            assert paper["abstract"][entity["start"] : entity["end"]] == entity["surface"]
