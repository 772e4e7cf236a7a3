"""A fixed set of tricky sentences and what the extractor must make of them."""

from __future__ import annotations

import pytest

from extract.extractor import load


@pytest.fixture(scope="module")
def extractor():
    return load()


def extract(extractor, abstract: str, title: str = "") -> dict:
    return next(extractor.extract([{"id": "t", "title": title, "abstract": abstract}]))


def surfaces(prediction: dict, entity_type: str) -> set[str]:
    return {e["surface"] for e in prediction["entities"] if e["type"] == entity_type}


def results(prediction: dict) -> set[tuple]:
    return {(r["value"], r["unit"], r["metric"], r["dataset"]) for r in prediction["results"]}


# (abstract, title, expected models, datasets, metrics) -- "expected" sets must be included exactly.
ENTITY_CASES = [
    pytest.param(
        "We evaluate on Natural Questions (NQ) and report Hits@10 on NQ.",
        "",
        set(),
        {"Natural Questions", "NQ"},
        {"Hits@10"},
        id="acronym-definition-links-both-forms",
    ),
    pytest.param(
        "We compare GPT-3.5-turbo, Llama-2-7b-chat, Qwen2.5-72B-Instruct and Pythia 410M.",
        "",
        {"GPT-3.5-turbo", "Llama-2-7b-chat", "Qwen2.5-72B-Instruct", "Pythia 410M"},
        set(),
        set(),
        id="model-shapes-with-versions-sizes-variants",
    ),
    pytest.param(
        "To this end, we introduce Dynamic Sparse No Training (DSnoT), a training-free approach.",
        "",
        {"Dynamic Sparse No Training", "DSnoT"},
        set(),
        set(),
        id="own-method-with-capitalised-long-form",
    ),
    pytest.param(
        "We propose a multi-fidelity reinforcement learning method (MFRL) for planning.",
        "",
        {"MFRL"},
        set(),
        set(),
        id="own-method-with-descriptive-long-form",
    ),
    pytest.param(
        "We develop a synthetic data generation algorithm called LintSeq.",
        "",
        {"LintSeq"},
        set(),
        set(),
        id="called-x",
    ),
    pytest.param(
        "PYRA first utilizes parallel yielding adaptive weights.",
        "PYRA: Parallel Yielding Re-Activation for Efficient Task Adaptation",
        {"PYRA"},
        set(),
        set(),
        id="title-prefix-names-the-method",
    ),
    pytest.param(
        "We release a new dataset and construct CoSApien, a human-authored benchmark with real use cases.",
        "",
        set(),
        {"CoSApien"},
        set(),
        id="coined-name-typed-as-benchmark",
    ),
    pytest.param(
        "ResNet-50 attains the top-1 classification accuracy of 78.9% on ImageNet.",
        "",
        {"ResNet-50"},
        {"ImageNet"},
        {"top-1 classification accuracy"},
        id="qualified-metric-keeps-its-qualifier",
    ),
    pytest.param(
        "Our Squeezeformer reaches 6.0% WER on LibriSpeech test-other.",
        "",
        set(),
        {"LibriSpeech test-other"},
        {"WER"},
        id="dataset-split-kept",
    ),
    pytest.param(
        "Claude Opus 4 and GPT-5 mini trail Phi-4-reasoning on GPQA Diamond, ahead of Grok 3.",
        "",
        {"Claude Opus 4", "GPT-5 mini", "Phi-4-reasoning", "Grok 3"},
        {"GPQA Diamond"},
        set(),
        id="spaced-versions-before-and-or-a-full-stop",
    ),
    pytest.param(
        "The detector raises its F1-score to 80.1 and its F-score by 2 points.",
        "",
        set(),
        set(),
        {"F1-score", "F-score"},
        id="hyphenated-metric-before-a-function-word",
    ),
    pytest.param(
        "The Zorb Tumor Segmentation Challenge (ZTS) is a platform. We present Zorb++, a new annotated test "
        "set, and report a relative word error rate reduction (WERR) of 6.1%.",
        "",
        set(),
        {"Zorb Tumor Segmentation Challenge", "ZTS", "Zorb++"},
        {"relative word error rate reduction", "WERR"},
        id="challenges-and-test-sets-are-data",
    ),
]


@pytest.mark.parametrize(("abstract", "title", "models", "datasets", "metrics"), ENTITY_CASES)
def test_tricky_entities(extractor, abstract, title, models, datasets, metrics):
    prediction = extract(extractor, abstract, title)
    assert models <= surfaces(prediction, "model")
    assert datasets <= surfaces(prediction, "dataset")
    assert metrics <= surfaces(prediction, "metric")


# Text that must yield no entity of the given type.
NOTHING_CASES = [
    pytest.param("Users may opt for a palm reader or clip the bloom.", "model", id="common-words-no-models"),
    pytest.param(
        "Large language models (LLMs) and vision transformers are widely used.", "model", id="classes"
    ),
    pytest.param(
        "We use mixed precision and low-precision activations.", "metric", id="precision-in-compounds"
    ),
    pytest.param("It is helpful to recall the solution to this problem.", "metric", id="recall-as-verb"),
    pytest.param(
        "We rely on singular value decomposition (SVD) of the weights.", "model", id="svd-is-not-a-model"
    ),
    pytest.param("The code is at https://github.com/HazyResearch/FooBar for all.", "model", id="urls"),
    pytest.param("This mitigates the multi-face Janus problem in text-to-3D.", "model", id="x-problem"),
    pytest.param(
        "Multiple approaches win on tabular benchmarks (88 datasets) when tuned on 10hours / 100hours "
        "subsets.",
        "dataset",
        id="amounts-are-not-datasets",
    ),
    pytest.param("Unlike approaches for speed up, we speed up decoding.", "metric", id="speed-up-as-a-verb"),
    pytest.param(
        "It trains on A100 and runs on V100 or on H100 GPUs.", "dataset", id="gpus-are-not-datasets"
    ),
    pytest.param("It uses no camera images or LiDAR.", "model", id="sensors-are-not-models"),
    pytest.param("Our forecaster lowers MAE by 12% on ETTh1.", "model", id="mae-is-an-error-elsewhere"),
]


# (abstract, type, exactly the surfaces of that type)
EXACT_CASES = [
    pytest.param(
        "We propose a zero-shot TTS model, which we refer to as Intelli-Z.",
        "model",
        {"Intelli-Z"},
        id="referred-to-as",
    ),
    pytest.param(
        "Our Integrity Capturing Polyp Segmentation (IC-PolypSeg) network is fast. We also train Named "
        "Entity Recognition (NER) models.",
        "model",
        {"Integrity Capturing Polyp Segmentation", "IC-PolypSeg"},
        id="system-named-like-a-task-before-network",
    ),
    pytest.param(
        "We present HumanEval Pro, MBPP Pro, and BigCodeBench-Lite Pro.",
        "dataset",
        {"HumanEval Pro", "MBPP Pro", "BigCodeBench-Lite Pro"},
        id="spaced-dataset-variants",
    ),
    pytest.param(
        "We present HumanEval Pro, MBPP Pro, and BigCodeBench-Lite Pro.",
        "model",
        set(),
        id="bench-names-are-data",
    ),
    pytest.param(
        "On LibriSpeech test-clean/test-other it obtains a WER of 2.0/3.9.",
        "dataset",
        {"LibriSpeech test-clean", "test-other"},
        id="listed-splits",
    ),
    pytest.param("It yields a 2.1x speed up.", "metric", {"speed up"}, id="speed-up-after-an-amount"),
    pytest.param(
        "It reaches 40.1% with Claude 4 Sonnet and 20.4% with OpenAI o3.",
        "model",
        {"Claude 4 Sonnet", "OpenAI o3"},
        id="spaced-model-variants-and-vendor-names",
    ),
    pytest.param(
        "It gains on VideoMME-long, Split ImageNet-R and ImageNet-A.",
        "dataset",
        {"VideoMME-long", "Split ImageNet-R", "ImageNet-A"},
        id="dataset-variants-lower-case-spaced-and-before-a-full-stop",
    ),
    pytest.param(
        "This article introduces contrastive alignment instructions (AlignInstruct) for translation.",
        "model",
        {"AlignInstruct"},
        id="coined-short-form-of-a-described-method",
    ),
    pytest.param(
        "We study masked image modeling and get +2.89 over the MAE with ViT-B.",
        "model",
        {"MAE", "ViT-B"},
        id="mae-is-the-masked-autoencoder-where-masking-is-the-topic",
    ),
    pytest.param(
        "We achieved a 2.5% F1-score improvement on S2Looking.",
        "metric",
        {"F1-score"},
        id="hyphenated-metric-before-improvement",
    ),
]


@pytest.mark.parametrize(("abstract", "entity_type", "expected"), EXACT_CASES)
def test_tricky_exact(extractor, abstract, entity_type, expected):
    assert surfaces(extract(extractor, abstract), entity_type) == expected


def test_listed_splits_keep_their_dataset_canonical_name(extractor):
    prediction = extract(extractor, "On LibriSpeech test-clean/test-other it obtains a WER of 2.0/3.9.")
    assert {e["canonical"] for e in prediction["entities"] if e["type"] == "dataset"} == {"LibriSpeech"}
    assert results(prediction) == {
        ("2.0", "", "WER", "LibriSpeech test-clean"),
        ("3.9", "", "WER", "test-other"),
    }


@pytest.mark.parametrize(("abstract", "entity_type"), NOTHING_CASES)
def test_tricky_nothing(extractor, abstract, entity_type):
    assert surfaces(extract(extractor, abstract), entity_type) == set()


RESULT_CASES = [
    pytest.param(
        "CION achieves higher mAP of 93.3% and 74.3% on Market1501 and MSMT17.",
        {("93.3", "%", "mAP", "Market1501"), ("74.3", "%", "mAP", "MSMT17")},
        id="lists-pair-in-order",
    ),
    pytest.param(
        "Our method yields a 4% improvement in MRR and a 9% improvement in P@1.",
        {("4", "%", "MRR", None), ("9", "%", "P@1", None)},
        id="improvement-in-metric",
    ),
    pytest.param(
        "It reaches mAP/Rank-1 of 52.81/78.92 on Market1501.",
        {("52.81", "", "mAP", "Market1501"), ("78.92", "", "Rank-1", "Market1501")},
        id="slash-pairs",
    ),
    pytest.param(
        "We see improvements in calibration (40-90% error reduction).",
        {("40", "%", "error", None), ("90", "%", "error", None)},  # both ends name what one names
        id="range-gives-two-results",
    ),
    pytest.param(
        "It requires 6 times fewer model updates.",
        {("6", "x", None, None)},
        id="savings-are-results",
    ),
    pytest.param(
        "On CNN/DailyMail and XSum, CoDe improves ROUGE-L by 0.8 and 1.2 points.",
        {("0.8", "", "ROUGE-L", "CNN/DailyMail"), ("1.2", "points", "ROUGE-L", "XSum")},
        id="numbers-pair-with-a-list-before",
    ),
    pytest.param(
        "The model improves MMLU by 3.4 points, GSM8K by 9.1 points. Its AUROC rises from 0.812 to 0.874.",
        {
            ("3.4", "points", None, "MMLU"),
            ("9.1", "points", None, "GSM8K"),
            ("0.812", "", "AUROC", None),
            ("0.874", "", "AUROC", None),
        },
        id="x-by-n-and-from-to",
    ),
    pytest.param(
        "It achieves 50.0% on AIME24, 89.2% on MATH-500 and 77.1% on AMC.",
        {("50.0", "%", None, "AIME24"), ("89.2", "%", None, "MATH-500"), ("77.1", "%", None, "AMC")},
        id="each-number-takes-the-dataset-after-it",
    ),
    pytest.param(
        "RL boosts distilled models (+14.6% / +17.2% on AIME 2025), and code models (+6.8% / +5.8% on "
        "LiveCodeBench).",
        {
            ("14.6", "%", None, "AIME 2025"),
            ("17.2", "%", None, "AIME 2025"),
            ("6.8", "%", None, "LiveCodeBench"),
            ("5.8", "%", None, "LiveCodeBench"),
        },
        id="signed-numbers-listed-with-slashes",
    ),
    pytest.param(
        "It gets 82.6% on GSM8K and 40.6% on MATH, surpassing open models by 14.2% and 20.8%, respectively.",
        {
            ("82.6", "%", None, "GSM8K"),
            ("40.6", "%", None, "MATH"),
            ("14.2", "%", None, "GSM8K"),
            ("20.8", "%", None, "MATH"),
        },
        id="respectively-pairs-gains-with-the-datasets-listed-before",
    ),
    pytest.param(
        "It improves accuracy by 2-5% on ImageNet.",
        {("2", "%", "accuracy", "ImageNet"), ("5", "%", "accuracy", "ImageNet")},
        id="range-ends-share-metric",
    ),
    pytest.param(
        "It attains a pass@1 of 68.2% on HumanEval and 61.5% on MBPP.",
        {("68.2", "%", "pass@1", "HumanEval"), ("61.5", "%", "pass@1", "MBPP")},
        id="one-metric-for-numbers-each-on-its-dataset",
    ),
    pytest.param(
        "It cuts the mean absolute error (MAE) by 12.3% and root mean squared error (RMSE) by 9.8% on ETTh1.",
        {("12.3", "%", "MAE", "ETTh1"), ("9.8", "%", "RMSE", "ETTh1")},
        id="metric-defined-in-brackets-before-by",
    ),
    pytest.param(
        "It improves accuracy from 0.688 to 0.744 and ROC AUC from 0.786 to 0.832 on Wild-Time.",
        {
            ("0.688", "", "accuracy", "Wild-Time"),
            ("0.744", "", "accuracy", "Wild-Time"),
            ("0.786", "", "ROC AUC", "Wild-Time"),
            ("0.832", "", "ROC AUC", "Wild-Time"),
        },
        id="a-metric-bound-to-the-next-number-is-not-this-ones",
    ),
    pytest.param(
        "Our tracker achieves 63.4 HOTA and 78.1 MOTA on MOT17, and 55.2 HOTA on DanceTrack.",
        {("63.4", "", "HOTA", "MOT17"), ("78.1", "", "MOTA", "MOT17"), ("55.2", "", "HOTA", "DanceTrack")},
        id="numbers-with-their-metrics-listed-before-the-dataset",
    ),
    pytest.param(
        "It gets a BLEU score of 34.2 on WMT'14 English-German and 41.8 on English-French.",
        {("34.2", "", "BLEU score", "WMT'14"), ("41.8", "", "BLEU score", "WMT'14")},
        id="the-next-number-of-a-list-keeps-the-metric",
    ),
    pytest.param(
        "It narrows the gap (68.1 vs. 68.9) with a faster inference speed (77 ms vs. 168 ms).",
        {
            ("68.1", "", None, None),
            ("68.9", "", None, None),
            ("77", "ms", "inference speed", None),
            ("168", "ms", "inference speed", None),
        },
        id="a-metric-bound-to-its-own-numbers-is-not-the-sentences-only-metric",
    ),
]


@pytest.mark.parametrize(("abstract", "expected"), RESULT_CASES)
def test_tricky_results(extractor, abstract, expected):
    assert results(extract(extractor, abstract)) == expected


@pytest.mark.parametrize(
    "abstract",
    [
        "We train a 7B model on 300B tokens for 3 epochs in 2023.",
        "Results are in Table 2 and Section 4.1.",
        "Only 8% training samples and 70% sparsity are used, pruning 2:4 with 4-bit weights.",
        "We modify a mere 2.2% of the model's parameters in under one second.",
    ],
    ids=["sizes-counts-years", "references", "set-up-percentages", "parameter-fractions"],
)
def test_numbers_that_are_not_results(extractor, abstract):
    assert extract(extractor, abstract)["results"] == []


def test_every_number_of_a_listed_gain_is_an_improvement(extractor):
    prediction = extract(extractor, "It is 0.9% and 2.5% mIoU better than SeaFormer and SegNeXt.")
    assert {(r["value"], r["kind"], r["metric"]) for r in prediction["results"]} == {
        ("0.9", "improvement", "mIoU"),
        ("2.5", "improvement", "mIoU"),
    }


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        ("It shows gains of 2.1 and 3.4 BLEU on WMT14.", {("2.1", "improvement"), ("3.4", "improvement")}),
        (
            "Its gains range from 5.4% to 13.4% over the best baseline on ImageNet.",
            {("5.4", "improvement"), ("13.4", "improvement")},
        ),
        (
            "Accuracy on ImageNet improves from 70.1% and 65.2% to 80.3% and 75.0%.",
            {("70.1", "absolute"), ("65.2", "absolute"), ("80.3", "absolute"), ("75.0", "absolute")},
        ),
    ],
    ids=["later-numbers-share-the-words-before-the-first", "range-shares-its-kind", "from-and-to-are-values"],
)
def test_kind_of_listed_numbers(extractor, abstract, expected):
    assert {(r["value"], r["kind"]) for r in extract(extractor, abstract)["results"]} == expected


def test_kind_and_condition(extractor):
    prediction = extract(
        extractor, "DSnoT outperforms Wanda by 26.79 perplexity at 70% sparsity with LLaMA-7B."
    )
    (result,) = prediction["results"]
    assert (result["value"], result["kind"], result["metric"]) == ("26.79", "improvement", "perplexity")
    assert result["condition"] == "at 70% sparsity"
