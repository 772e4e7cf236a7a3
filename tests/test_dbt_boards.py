"""Boards you can trust, for real: hand-made raw tables (what the extractor writes: mentions, with tasks, and
results with role, confidence and leaderboard), one `dbt build`, then the boards, the state of the art over
time, the digest's section on it and the marts gate.

What the papers below pin:
- only leaderboard-grade absolute claims stand on a board, and only when the metric is named as itself, the
  value's unit converts to the metric's, the evidence names the dataset and the setting is not ambiguous;
  every other claim stays in fct_benchmark_results with the reason;
- boards are keyed task -> dataset -> metric (the abstract's task, else the dataset's usual task) and by a
  setting that changes the meaning (LibriSpeech test-clean and test-other, zero-shot);
- one metric, one unit: Market-1501 mAP written with "%", without, and as a fraction of one is one board;
  "Top1-acc" and "top-1 acc" are one metric; "8/644" is one value; seconds become ms;
- sota_progression steps only on strict raises, in listing order, by the metric's direction.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import duckdb
import pytest

from expectations import marts as mart_checks
from expectations.gate import run_checkpoint
from paperpulse import digest
from paperpulse.errors import GateFailed
from paperpulse.ingest.records import content_hash, title_key
from paperpulse.pipeline import ABSTRACT_BOUNDS
from paperpulse.settings import MARTS
from paperpulse.warehouse.connection import ensure_schema
from tests.conftest import built_from_raw

# paper_id -> (first listed date, sentences); the abstract is the sentences joined by spaces
PAPERS = {
    "cion": (date(2025, 1, 10), [
        "We pre-train CION for person re-identification.",
        "CION reaches 93.3% mAP on Market1501.",
    ]),
    "pose": (date(2025, 1, 12), [
        "We study person re-identification without training.",
        "Pose2ID reaches an mAP of 52.81 on Market-1501.",
    ]),
    "reidx": (date(2025, 1, 14), [
        "ReIDX reaches an mAP of 0.853 on Market-1501.",
    ]),
    "rmt": (date(2025, 1, 10), [
        "RMT is a vision backbone.",
        "RMT achieves 84.1% Top1-acc on ImageNet-1k.",
    ]),
    "vitz": (date(2025, 1, 15), [
        "We study image classification with ViT-Z.",
        "ViT-Z reaches a top-1 acc of 85.0% on ImageNet-1K and 99.1% on CIFAR-10.",
        "Its top-1 acc on ImageNet-1K rises by 1.2%.",
    ]),
    "viteq": (date(2025, 1, 20), [
        "For image classification, ViT-E reaches 85.0% top-1 acc on ImageNet-1K.",
    ]),
    "vitq": (date(2025, 1, 21), [
        "ViT-Q reaches 86.0% top-1 acc on ImageNet-1K.",
        "ViT-Q has a latency of 1.2 s on ImageNet-1K and an inference time of 35% on ImageNet-1K.",
    ]),
    "multi": (date(2025, 1, 11), [
        "We tackle image retrieval and image classification with CLIP-R.",
        "For image retrieval, CLIP-R reaches 70.5% Recall@1 on ImageNet-1K.",
    ]),
    "prover": (date(2025, 1, 16), [
        "Prover-X solves PutnamBench problems (8/644, pass@1).",
    ]),
    "asr": (date(2025, 1, 13), [
        "We study speech recognition with Squeezeformer.",
        "Squeezeformer reaches 6.0% WER on LibriSpeech test-other.",
        "On LibriSpeech, Squeezeformer reaches 2.5% WER.",
        "Conformer reaches 2.1% and 4.3% WER on LibriSpeech test-clean and test-other.",
    ]),
    "asr2": (date(2025, 1, 21), [
        "Zipformer reaches 5.5% WER on LibriSpeech test-other.",
    ]),
    "math": (date(2025, 1, 17), [
        "MathLM reaches 55.1% accuracy on MathVerse, surpassing GPT-4o (50.2%) on MathVerse.",
        "MathLM reaches 61.0% zero-shot accuracy on MathVerse.",
    ]),
    "salun": (date(2025, 1, 18), [
        "SalUn unlearns classes of CIFAR-10.",
        "SalUn achieves nearly 100% unlearning accuracy.",
        "SalUn reaches 94.0% accuracy in our tests.",
        "SalUn reaches 91.0% accuracy on CIFAR-10, while a probe reaches 12.0% accuracy on CIFAR-10.",
    ]),
}  # fmt: skip

# paper_id -> (type, surface[, canonical]): the canonical name is the surface unless given; every
# occurrence of the surface is a mention
REID, IC = "person re-identification", "image classification"
MENTIONS = {
    "cion": [("model", "CION"), ("dataset", "Market1501", "Market-1501"), ("task", REID)],
    "pose": [("model", "Pose2ID"), ("dataset", "Market-1501"), ("task", REID)],
    "reidx": [("model", "ReIDX"), ("dataset", "Market-1501")],
    "rmt": [("model", "RMT"), ("dataset", "ImageNet-1k", "ImageNet-1K")],
    "vitz": [("model", "ViT-Z"), ("dataset", "ImageNet-1K"), ("dataset", "CIFAR-10"), ("task", IC)],
    "viteq": [("model", "ViT-E"), ("dataset", "ImageNet-1K"), ("task", IC)],
    "vitq": [("model", "ViT-Q"), ("dataset", "ImageNet-1K")],
    "multi": [("model", "CLIP-R"), ("dataset", "ImageNet-1K"), ("task", "image retrieval"), ("task", IC)],
    "prover": [("model", "Prover-X"), ("dataset", "PutnamBench")],
    "asr": [
        ("model", "Squeezeformer"), ("model", "Conformer"), ("dataset", "LibriSpeech"),
        ("task", "speech recognition"),
    ],
    "asr2": [("model", "Zipformer"), ("dataset", "LibriSpeech")],
    "math": [("model", "MathLM"), ("model", "GPT-4o"), ("dataset", "MathVerse")],
    # the extractor keeps a qualified metric's head as its canonical name
    "salun": [("model", "SalUn"), ("dataset", "CIFAR-10"), ("metric", "unlearning accuracy", "accuracy")],
}  # fmt: skip

# paper_id, sentence index, model, dataset, metric (as written), value as written, unit, kind, role,
# leaderboard, condition
RESULTS = [
    ("cion", 1, "CION", "Market1501", "mAP", "93.3", "%", "absolute", "proposed", True, None),
    ("pose", 1, "Pose2ID", "Market-1501", "mAP", "52.81", "", "absolute", "proposed", True, None),
    ("reidx", 0, "ReIDX", "Market-1501", "mAP", "0.853", "", "absolute", "proposed", True, None),
    ("rmt", 1, "RMT", "ImageNet-1k", "Top1-acc", "84.1", "%", "absolute", "proposed", True, None),
    ("vitz", 1, "ViT-Z", "ImageNet-1K", "top-1 acc", "85.0", "%", "absolute", "proposed", True, None),
    ("vitz", 1, "ViT-Z", "CIFAR-10", "top-1 acc", "99.1", "%", "absolute", "proposed", True, None),
    ("vitz", 2, "ViT-Z", "ImageNet-1K", "top-1 acc", "1.2", "%", "improvement", "proposed", False, None),
    ("viteq", 0, "ViT-E", "ImageNet-1K", "top-1 acc", "85.0", "%", "absolute", "proposed", True, None),
    ("vitq", 0, "ViT-Q", "ImageNet-1K", "top-1 acc", "86.0", "%", "absolute", "proposed", True, None),
    ("vitq", 1, "ViT-Q", "ImageNet-1K", "latency", "1.2", "s", "absolute", "proposed", True, None),
    ("vitq", 1, "ViT-Q", "ImageNet-1K", "inference time", "35", "%", "absolute", "proposed", True, None),
    ("multi", 1, "CLIP-R", "ImageNet-1K", "Recall@1", "70.5", "%", "absolute", "proposed", True, None),
    ("prover", 0, "Prover-X", "PutnamBench", "pass@1", "8/644", "", "absolute", "proposed", True, None),
    ("asr", 1, "Squeezeformer", "LibriSpeech", "WER", "6.0", "%", "absolute", "proposed", True, None),
    ("asr", 2, "Squeezeformer", "LibriSpeech", "WER", "2.5", "%", "absolute", "proposed", True,
     "on test-clean"),
    ("asr", 3, "Conformer", "LibriSpeech", "WER", "2.1", "%", "absolute", "baseline", True, None),
    ("asr2", 0, "Zipformer", "LibriSpeech", "WER", "5.5", "%", "absolute", "proposed", True, None),
    ("math", 0, "MathLM", "MathVerse", "accuracy", "55.1", "%", "absolute", "proposed", True, None),
    ("math", 0, "GPT-4o", "MathVerse", "accuracy", "50.2", "%", "absolute", "baseline", True, None),
    ("math", 1, "MathLM", "MathVerse", "zero-shot accuracy", "61.0", "%", "absolute", "proposed", True, None),
    ("salun", 1, "SalUn", "CIFAR-10", "unlearning accuracy", "100", "%", "absolute", "proposed", True, None),
    ("salun", 2, "SalUn", "CIFAR-10", "accuracy", "94.0", "%", "absolute", "proposed", True, None),
    ("salun", 3, "SalUn", "CIFAR-10", "accuracy", "91.0", "%", "absolute", "proposed", True, None),
    ("salun", 3, None, "CIFAR-10", "accuracy", "12.0", "%", "absolute", "other", False, None),
]  # fmt: skip

LAST_DAY = max(day for day, _ in PAPERS.values())


def abstract(paper_id: str) -> str:
    return " ".join(PAPERS[paper_id][1])


def write_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    ensure_schema(con)
    now = datetime(2025, 1, 21, 6, 0)
    con.executemany(
        "insert into raw.papers values (?, ?, ?, ?, ?, ?, 'test', ?, ?, ?)",
        [
            (pid, None, f"Paper {pid}", abstract(pid), title_key(f"Paper {pid}"),
             content_hash(f"Paper {pid}", abstract(pid)), day, now, now)
            for pid, (day, _) in PAPERS.items()
        ],
    )  # fmt: skip
    con.executemany(
        "insert into raw.paper_listings values (?, 'test', ?, '{}', ?)",
        [(pid, day, now) for pid, (day, _) in PAPERS.items()],
    )
    mentions = []
    for pid, found in MENTIONS.items():
        for entity_type, surface, *canonical in found:
            canonical = canonical[0] if canonical else surface
            spans = [
                m.span() for m in re.finditer(rf"(?<![\w-]){re.escape(surface)}(?![\w-])", abstract(pid))
            ]
            assert spans, (pid, surface)
            mentions += [(pid, entity_type, surface, canonical, None, None, s, e, "test") for s, e in spans]
    con.executemany("insert into raw.mentions values (?, ?, ?, ?, ?, ?, ?, ?, ?)", mentions)
    rows, index = [], {}
    for pid, sentence, model, dataset, metric, value, unit, kind, role, leaderboard, condition in RESULTS:
        evidence = PAPERS[pid][1][sentence]
        assert value in evidence, (pid, value)
        numerator, _, denominator = value.partition("/")
        number = float(numerator) / float(denominator) if denominator else float(value)
        index[pid] = index.get(pid, -1) + 1
        rows.append(
            (pid, index[pid], model, dataset, metric, number, value, unit, kind, condition, evidence, "test",
             role, 0.9 if leaderboard else 0.2, leaderboard)
        )  # fmt: skip
    con.executemany("insert into raw.results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    yield from built_from_raw(tmp_path_factory.mktemp("boards"), write_raw_tables)


@pytest.fixture(scope="module")
def marts(built) -> duckdb.DuckDBPyConnection:
    return built[1]


def rows(con: duckdb.DuckDBPyConnection, sql: str, *params) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def claim(con, paper_id: str, value_text: str) -> dict:
    cursor = con.execute(
        "select * from marts.fct_benchmark_results where paper_id = ? and value_text = ?",
        [paper_id, value_text],
    )
    names = [d[0] for d in cursor.description]
    (row,) = cursor.fetchall()
    return dict(zip(names, row, strict=True))


def board(con, dataset: str, metric: str, setting: str | None = None) -> list[tuple]:
    return rows(
        con,
        "select rank, model, value, role from marts.leaderboards "
        "where dataset = ? and metric = ? and setting is not distinct from ? order by rank, model",
        dataset, metric, setting,
    )  # fmt: skip


def test_claims_carry_role_confidence_and_leaderboard(marts):
    gpt = claim(marts, "math", "50.2")
    assert (gpt["model"], gpt["role"], gpt["confidence"], gpt["leaderboard"]) == (
        "GPT-4o",
        "baseline",
        0.9,
        True,
    )
    probe = claim(marts, "salun", "12.0")
    assert (probe["role"], probe["leaderboard"], probe["not_ranked_because"]) == (
        "other", False, "not_leaderboard_grade",
    )  # fmt: skip


def test_one_metric_one_unit_one_board(marts):
    # "93.3%", "52.81" and "0.853" of Market-1501 mAP: one board in %, the fraction of one as a percentage
    assert board(marts, "Market-1501", "mAP") == [
        (1, "CION", 93.3, "proposed"),
        (2, "ReIDX", 85.3, "proposed"),
        (3, "Pose2ID", 52.81, "proposed"),
    ]
    assert rows(marts, "select distinct unit from marts.leaderboards where metric = 'mAP'") == [("%",)]
    # "Top1-acc" and "top-1 acc" are the lexicon's one top-1 accuracy
    assert {claim(marts, "rmt", "84.1")["metric"], claim(marts, "vitz", "85.0")["metric"]} == {
        "top-1 accuracy"
    }
    prover = claim(marts, "prover", "8/644")
    assert prover["value"] == pytest.approx(8 / 644)
    assert (prover["metric_unit"], prover["normalized_value"]) == ("%", pytest.approx(800 / 644, abs=1e-9))
    latency = claim(marts, "vitq", "1.2")
    assert (latency["metric_unit"], latency["normalized_value"]) == ("ms", 1200.0)


def test_only_claims_a_reader_can_check_stand_on_a_board(marts):
    reasons = {
        (pid, value): claim(marts, pid, value)["not_ranked_because"]
        for pid, value in [
            ("vitz", "1.2"), ("salun", "12.0"), ("salun", "100"), ("vitq", "35"), ("salun", "94.0"),
            ("asr", "2.1"), ("salun", "91.0"), ("math", "50.2"),
        ]
    }  # fmt: skip
    assert reasons == {
        ("vitz", "1.2"): "improvement",
        ("salun", "12.0"): "not_leaderboard_grade",
        ("salun", "100"): "qualified_metric",  # "unlearning accuracy" is not accuracy
        ("vitq", "35"): "unit_mismatch",  # a "%" for inference time, a metric in ms
        ("salun", "94.0"): "dataset_not_in_evidence",  # "in our tests": not on CIFAR-10 for a reader
        ("asr", "2.1"): "ambiguous_setting",  # test-clean or test-other?
        ("salun", "91.0"): None,
        ("math", "50.2"): None,  # a baseline's number is a result too
    }
    ranked = {r[0] for r in rows(marts, "select result_id from marts.leaderboards")}
    off = {
        r[0]
        for r in rows(
            marts, "select result_id from marts.fct_benchmark_results where not_ranked_because is not null"
        )
    }
    assert ranked and not ranked & off
    assert rows(marts, "select count(*) from marts.leaderboard_improvements where model = 'ViT-Z'") == [(1,)]


def test_boards_are_keyed_task_dataset_metric_and_setting(marts):
    tasks = {
        model: (task, source)
        for model, task, source in rows(
            marts, "select model, task, task_source from marts.leaderboards where dataset = 'ImageNet-1K'"
        )
    }
    assert tasks == {
        "ViT-Z": ("image classification", "paper"),
        "ViT-E": ("image classification", "paper"),
        # RMT's abstract names no task: ImageNet-1K's usual one (3 papers name it with ImageNet-1K)
        "RMT": ("image classification", "dataset"),
        "ViT-Q": ("image classification", "dataset"),
        # two tasks named: the one in the evidence sentence
        "CLIP-R": ("image retrieval", "paper"),
    }
    # a dataset no paper names with a task: no task
    assert rows(marts, "select distinct task from marts.leaderboards where dataset = 'PutnamBench'") == [
        (None,)
    ]
    # LibriSpeech test-other (read from the evidence) and test-clean (the condition) are two boards
    assert board(marts, "LibriSpeech", "WER", "test-other") == [
        (1, "Zipformer", 5.5, "proposed"),
        (2, "Squeezeformer", 6.0, "proposed"),
    ]
    assert board(marts, "LibriSpeech", "WER", "test-clean") == [(1, "Squeezeformer", 2.5, "proposed")]
    # "zero-shot accuracy" is accuracy in the zero-shot setting, not the plain accuracy board
    assert board(marts, "MathVerse", "accuracy") == [
        (1, "MathLM", 55.1, "proposed"),
        (2, "GPT-4o", 50.2, "baseline"),
    ]
    assert board(marts, "MathVerse", "accuracy", "zero-shot") == [(1, "MathLM", 61.0, "proposed")]
    assert rows(marts, "select board from marts.boards where dataset = 'LibriSpeech' order by board") == [
        ("LibriSpeech · WER · test-clean",),
        ("LibriSpeech · WER · test-other",),
    ]


def test_all_boards_of_a_task(marts):
    boards = rows(
        marts,
        "select dataset, metric, model_count, claim_count, leader, best_value, leader_listed_date "
        "from marts.boards where task = 'image classification' order by dataset, metric",
    )
    assert boards == [
        ("CIFAR-10", "accuracy", 1, 1, "SalUn", 91.0, date(2025, 1, 18)),
        ("CIFAR-10", "top-1 accuracy", 1, 1, "ViT-Z", 99.1, date(2025, 1, 15)),
        ("ImageNet-1K", "latency", 1, 1, "ViT-Q", 1200.0, date(2025, 1, 21)),
        ("ImageNet-1K", "top-1 accuracy", 4, 4, "ViT-Q", 86.0, date(2025, 1, 21)),
    ]
    assert rows(marts, "select count(*) from marts.boards") == [
        (rows(marts, "select count(distinct board_id) from marts.leaderboards")[0][0],)
    ]


def test_state_of_the_art_rises_only_on_strict_raises(marts):
    imagenet = rows(
        marts,
        "select step, first_listed_date, model, value, previous_value, previous_model "
        "from marts.sota_progression where dataset = 'ImageNet-1K' and metric = 'top-1 accuracy' "
        "order by step",
    )
    # ViT-E's 85.0 on 2025-01-20 equals ViT-Z's: no raise
    assert imagenet == [
        (1, date(2025, 1, 10), "RMT", 84.1, None, None),
        (2, date(2025, 1, 15), "ViT-Z", 85.0, 84.1, "RMT"),
        (3, date(2025, 1, 21), "ViT-Q", 86.0, 85.0, "ViT-Z"),
    ]
    # lower is better: WER falls
    assert rows(
        marts,
        "select step, model, value from marts.sota_progression where setting = 'test-other' order by step",
    ) == [(1, "Squeezeformer", 6.0), (2, "Zipformer", 5.5)]
    # no other board rose: Market-1501 mAP's later claims (52.81, 85.3) stay below CION's 93.3
    assert rows(marts, "select count(*) from marts.sota_progression") == [
        (rows(marts, "select count(*) from marts.boards")[0][0] + 3,)
    ]


def test_the_digest_names_the_days_new_state_of_the_art(built, tmp_path):
    serving = tmp_path / "serving.duckdb"
    with duckdb.connect(str(serving)) as con:
        con.execute(f"attach '{built[0] / 'build.duckdb'}' as build (read_only)")
        for mart in MARTS:
            con.execute(f"create table {mart} as select * from build.marts.{mart}")
    found = digest.compose(serving)
    assert found.day == LAST_DAY
    assert [(c.board, c.model, c.value, c.previous) for c in found.state_of_the_art] == [
        ("ImageNet-1K · top-1 accuracy", "ViT-Q", "86.0%", "ViT-Z 85% (2025-01-15)"),
        (
            "LibriSpeech · WER · test-other",
            "Zipformer",
            "5.5%",
            "Squeezeformer 6% (2025-01-13)",
        ),
    ]
    assert found.new_boards == (1, [("ImageNet-1K · latency", "ViT-Q", "1.2s")])
    markdown = digest.render_markdown(found)
    section = markdown.split("## New state of the art\n\n", 1)[1].split("\n## ", 1)[0]
    first, evidence = section.split("\n", 2)[:2]
    assert first.startswith(
        "- **ViT-Q 86.0%** on ImageNet-1K · top-1 accuracy (was ViT-Z 85% (2025-01-15)), "
        "[Paper vitq](https://arxiv.org/search/"  # a synthetic paper has no arXiv id: arXiv's search for it
    )
    assert evidence == "  > ViT-Q reaches 86.0% top-1 acc on ImageNet-1K."
    assert section.endswith(
        "\n\n1 board opened today (their first results): ImageNet-1K · latency: ViT-Q 1.2s.\n"
    )
    assert "<h2>New state of the art</h2>" in digest.render_html(found)


def test_the_marts_gate_checks_the_boards(built, tmp_path):
    copy = tmp_path / "build.duckdb"
    copy.write_bytes((built[0] / "build.duckdb").read_bytes())

    def gate() -> str:
        with duckdb.connect(str(copy), read_only=True) as con:
            frames = mart_checks.read_frames(con, False, ABSTRACT_BOUNDS)
        try:
            run_checkpoint("marts", frames, tmp_path / "gx", "marts", ABSTRACT_BOUNDS)
        except GateFailed as failure:
            return str(failure)
        return ""

    assert "marts_leaderboards" not in gate() and "marts_sota_progression" not in gate()
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "update marts.leaderboards set result_id = (select result_id from marts.fct_benchmark_results "
            "where not_ranked_because = 'unit_mismatch') where model = 'RMT'"
        )
        con.execute("update marts.sota_progression set value = previous_value where step = 2")
    failed = gate()
    assert "marts_leaderboards: expect_column_values_to_be_in_set(rankable)" in failed
    assert "marts_sota_progression: expect_column_values_to_be_in_set(raises)" in failed


def test_the_bundled_pages_boards_read_right(published_home):
    """The bundled page through the whole pipeline (the shipped extractor, its learned result model on): every
    board row reads right against its evidence, the claims the issue found wrong or split are off the boards
    or on one board, and every claim that may stand on a board does."""
    with duckdb.connect(str(published_home / "serving.duckdb"), read_only=True) as con:
        assert rows(con, "select board, task, model, value, unit from leaderboards order by board, rank") == [
            ("CUHK-PEDES · Rank-1", "text-to-image person re-identification", "UniPT", 68.5, "%"),
            ("ICFG-PEDES · Rank-1", "text-to-image person re-identification", "UniPT", 60.09, "%"),
            # "RMT achieves 84.1% Top1-acc on ImageNet-1k": Top1-acc is top-1 accuracy; the abstract names
            # several tasks and its evidence none, so the board has no task rather than a guess
            ("ImageNet-1K · top-1 accuracy", None, "RMT", 84.1, "%"),
            ("MSMT17 · mAP", None, "CION", 74.3, "%"),
            ("Market-1501 · Rank-1", "person re-identification", "Pose2ID", 78.92, "%"),
            # Market-1501 mAP with "%" (CION) and without (Pose2ID's "52.81") is one board
            ("Market-1501 · mAP", "person re-identification", "CION", 93.3, "%"),
            ("Market-1501 · mAP", "person re-identification", "Pose2ID", 52.81, "%"),
        ]
        off_boards = rows(
            con,
            "select model, metric_surface, value, kind, not_ranked_because is not null "
            "from fct_benchmark_results where model = 'SalUn' and metric_surface = 'unlearning accuracy' "
            "or evidence like '%within 0.4 PPL%'",
        )
        assert sorted(off_boards) == [
            ("H3", "PPL", 0.4, "improvement", True),  # "comes within 0.4 PPL of Transformers"
            ("SalUn", "unlearning accuracy", 100.0, "absolute", True),  # "nearly 100% unlearning accuracy"
        ]
        assert rows(
            con,
            "select count(*) from fct_benchmark_results r where not_ranked_because is null and not exists ("
            "select 1 from leaderboards l "
            "where l.model = r.model and l.dataset = r.dataset and l.metric = r.metric)",
        ) == [(0,)]
