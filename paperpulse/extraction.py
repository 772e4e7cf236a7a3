"""The extraction stage in three steps, so that batches can run anywhere and in parallel:

1. `plan`: list the papers that need extraction (new, changed, or extracted by another
   extractor version) and write them as input batches (Parquet) under staging/;
2. `run_batch`: extract one batch, gate its output, write mentions/results as Parquet;
   it never opens the DuckDB build file, so workers never contend for its lock;
3. `load`: replace those papers' mentions and results in the build file in one transaction.

A plan's folder is named after what it covers, so a run that died part-way resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from expectations.gate import run_checkpoint
from extract import extractor as extractor_module
from paperpulse.files import atomic_path
from paperpulse.hooks import crash_point
from paperpulse.ingest import raw
from paperpulse.settings import Settings
from paperpulse.warehouse.connection import transaction

INPUT, MENTIONS, RESULTS, DONE = "input", "mentions", "results", "done"

MENTIONS_SCHEMA = pa.schema(
    [
        ("paper_id", pa.string()),
        ("type", pa.string()),
        ("surface", pa.string()),
        ("canonical", pa.string()),
        ("family", pa.string()),
        ("size", pa.string()),
        ("start_char", pa.int64()),
        ("end_char", pa.int64()),
        ("extractor_version", pa.string()),
    ]
)
RESULTS_SCHEMA = pa.schema(
    [
        ("paper_id", pa.string()),
        ("result_index", pa.int64()),
        ("model", pa.string()),
        ("dataset", pa.string()),
        ("metric", pa.string()),
        ("value", pa.float64()),
        ("value_text", pa.string()),
        ("unit", pa.string()),
        ("kind", pa.string()),
        ("condition", pa.string()),
        ("evidence", pa.string()),
        ("extractor_version", pa.string()),
        ("role", pa.string()),
        ("confidence", pa.float64()),
        ("leaderboard", pa.bool_()),
    ]
)


@dataclass(frozen=True)
class Plan:
    folder: Path
    batches: list[Path]  # input files
    papers: int


@dataclass(frozen=True)
class BatchReport:
    papers: int
    mentions: int
    results: int
    skipped: bool  # output already there from an earlier, interrupted run


@dataclass(frozen=True)
class LoadReport:
    papers: int
    mentions: int
    results: int


def _batch_file(input_file: Path, kind: str) -> Path:
    return input_file.with_name(input_file.name.replace(f".{INPUT}.", f".{kind}."))


def _write_table(table: pa.Table, path: Path) -> None:
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def _write_parquet(frame: pd.DataFrame, path: Path, schema: pa.Schema | None = None) -> None:
    _write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), path)


def plan(con: duckdb.DuckDBPyConnection, settings: Settings, version: str | None = None) -> Plan:
    """Write the papers that need extraction as input batches; returns the plan (maybe empty)."""
    version = version or extractor_module.EXTRACTOR_VERSION
    pending = con.sql(
        """
        with pending as (  -- found on the keys first: the texts are read for the pending papers only
            select p.paper_id
            from raw.papers p left join raw.extractions e using (paper_id)
            where e.paper_id is null or e.content_hash <> p.content_hash or e.extractor_version <> $version
        )
        select paper_id, title, abstract, content_hash
        from raw.papers semi join pending using (paper_id)
        order by paper_id
        """,
        params={"version": version},
    )
    # the same papers, extractor and batch size: the same plan (and the same batch files)
    digest = hashlib.sha1(f"{version}|{settings.extract_batch_size}".encode())
    root = settings.staging_dir / "extract"
    for stale in root.glob(".planning-*"):  # planning that died part-way
        shutil.rmtree(stale, ignore_errors=True)
    scratch = root / f".planning-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
    scratch.mkdir(parents=True)
    batches, papers = [], 0
    try:
        reader = pending.to_arrow_reader(settings.extract_batch_size)
        for index, table in enumerate(_rebatch(reader, settings.extract_batch_size)):
            keys = zip(table["paper_id"].to_pylist(), table["content_hash"].to_pylist(), strict=True)
            digest.update("".join(f"{paper_id}:{content};" for paper_id, content in keys).encode())
            path = scratch / f"batch-{index:05d}.{INPUT}.parquet"
            _write_table(table, path)
            batches.append(path.name)
            papers += table.num_rows
        folder = root / f"plan-{digest.hexdigest()[:12]}"
        if papers and not folder.exists():  # an existing folder is the same plan, maybe partly done
            scratch.rename(folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    # Any other plan is stale: a run died after loading it, or before finishing one that this plan
    # now covers. Planning runs in the single build task, so none of their batches is still running.
    for stale in root.glob("plan-*"):
        if stale != folder:
            shutil.rmtree(stale, ignore_errors=True)
    return Plan(folder=folder, batches=[folder / name for name in batches], papers=papers)


def _rebatch(reader: pa.RecordBatchReader, size: int) -> Iterator[pa.Table]:
    """Record batches of exactly `size` rows (DuckDB's reader may hand out smaller ones)."""
    pending: list[pa.RecordBatch] = []
    rows = 0
    for batch in reader:
        pending.append(batch)
        rows += batch.num_rows
        while rows >= size:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, size)
            rest = table.slice(size)
            pending, rows = rest.to_batches(), rest.num_rows
    if rows:
        yield pa.Table.from_batches(pending)


def _to_number(text: str) -> float | None:
    """The value as a number: "1,024" is 1024 and a fraction "8/644" is one value, 8 / 644."""
    numerator, _, denominator = str(text).replace(",", "").partition("/")
    try:
        return float(numerator) / float(denominator) if denominator else float(numerator)
    except (ValueError, ZeroDivisionError):
        return None


def predictions_to_frames(predictions: list[dict], version: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    mentions, results = [], []
    for prediction in predictions:
        paper_id = prediction["id"]
        for entity in prediction["entities"]:
            mentions.append(
                {
                    "paper_id": paper_id,
                    "type": entity["type"],
                    "surface": entity["surface"],
                    "canonical": entity["canonical"],
                    "family": entity.get("family"),
                    "size": entity.get("size"),
                    "start_char": entity["start"],
                    "end_char": entity["end"],
                    "extractor_version": version,
                }
            )
        for index, result in enumerate(prediction["results"]):
            results.append(
                {
                    "paper_id": paper_id,
                    "result_index": index,
                    "model": result.get("model"),
                    "dataset": result.get("dataset"),
                    "metric": result.get("metric"),
                    "value": _to_number(result["value"]),
                    "value_text": str(result["value"]),
                    "unit": result.get("unit") or "",
                    "kind": result.get("kind"),
                    "condition": result.get("condition"),
                    "evidence": result.get("evidence") or "",
                    "extractor_version": version,
                    "role": result.get("role"),
                    "confidence": result.get("confidence"),
                    "leaderboard": result.get("leaderboard"),
                }
            )
    return (
        pa.Table.from_pylist(mentions, schema=MENTIONS_SCHEMA).to_pandas(),
        pa.Table.from_pylist(results, schema=RESULTS_SCHEMA).to_pandas(),
    )


def gate_batch(
    mentions: pd.DataFrame,
    results: pd.DataFrame,
    abstracts: dict[str, str],
    gx_dir: Path | None = None,
    label: str = "extraction",
) -> None:
    """The extraction checkpoint: offsets inside the abstract and slicing to the surface, known types,
    numeric result values. Results go under `gx_dir` (default: the environment's home). Raises GateFailed."""
    audited = mentions.assign(
        abstract_length=[len(abstracts[p]) for p in mentions["paper_id"]],
        surface_at_offsets=[
            abstracts[p][s:e] == surface
            for p, s, e, surface in zip(
                mentions["paper_id"],
                mentions["start_char"],
                mentions["end_char"],
                mentions["surface"],
                strict=True,
            )
        ],
    )
    frames = {
        "extraction_mentions": audited.set_axis(pd.Index(audited["paper_id"], name="paper_id"), axis=0),
        "extraction_results": results.set_axis(pd.Index(results["paper_id"], name="paper_id"), axis=0),
    }
    run_checkpoint("extraction", frames, gx_dir or Settings.from_env().gx_dir, label)


@cache
def loaded_extractor() -> extractor_module.Extractor:
    """The extractor, loaded once per process (a worker process runs many batches)."""
    return extractor_module.load()


def run_batch(input_file: Path, extractor=None, gx_dir: Path | None = None) -> BatchReport:
    """Extract one input batch to Parquet; a batch already done is left as it is. Its gate's results go
    under `gx_dir` (default: the environment's home)."""
    done_file = _batch_file(input_file, DONE)
    if done_file.exists():
        done = pq.read_table(done_file).to_pandas()
        return BatchReport(len(done), int(done["mention_count"].sum()), int(done["result_count"].sum()), True)
    extractor = extractor or loaded_extractor()
    papers = pq.read_table(input_file).to_pandas()
    abstracts = dict(zip(papers["paper_id"], papers["abstract"], strict=True))
    predictions = list(
        extractor.extract(
            {"id": p, "title": t, "abstract": a}
            for p, t, a in zip(papers["paper_id"], papers["title"], papers["abstract"], strict=True)
        )
    )
    mentions, results = predictions_to_frames(predictions, extractor.version)
    gate_batch(
        mentions,
        results,
        abstracts,
        gx_dir,
        f"extraction {input_file.parent.name} {input_file.name.split('.')[0]}",
    )
    done = pd.DataFrame(
        {
            "paper_id": papers["paper_id"],
            "content_hash": papers["content_hash"],
            "extractor_version": extractor.version,
            "mention_count": [len(p["entities"]) for p in predictions],
            "result_count": [len(p["results"]) for p in predictions],
        }
    )
    _write_parquet(mentions, _batch_file(input_file, MENTIONS), MENTIONS_SCHEMA)
    _write_parquet(results, _batch_file(input_file, RESULTS), RESULTS_SCHEMA)
    crash_point("extract-batch-written")
    _write_parquet(done, done_file)  # last: its presence means the batch is complete
    return BatchReport(len(papers), len(mentions), len(results), False)


def load(con: duckdb.DuckDBPyConnection, plan_folder: Path) -> LoadReport:
    """Swap the extracted papers' mentions and results into the build file, then drop the plan."""
    inputs = sorted(plan_folder.glob(f"*.{INPUT}.parquet"))
    missing = [p.name for p in inputs if not _batch_file(p, DONE).exists()]
    if missing:
        raise RuntimeError(
            f"{len(missing)} extraction batches of {plan_folder.name} are not done: {missing[:5]}"
        )
    pattern = str(plan_folder / "batch-*.{}.parquet")
    with transaction(con):
        con.execute("create temp table extracted as select * from read_parquet(?)", [pattern.format(DONE)])
        con.execute("delete from raw.mentions where paper_id in (select paper_id from extracted)")
        con.execute("delete from raw.results where paper_id in (select paper_id from extracted)")
        mentions = con.execute(
            "insert into raw.mentions by name select * from read_parquet(?)", [pattern.format(MENTIONS)]
        ).fetchone()[0]
        results = con.execute(
            "insert into raw.results by name select * from read_parquet(?)", [pattern.format(RESULTS)]
        ).fetchone()[0]
        papers = con.execute(
            """
            insert or replace into raw.extractions
            select paper_id, content_hash, extractor_version, mention_count, result_count, now()::timestamp
            from extracted
            """
        ).fetchone()[0]
        raw.mark_changed(con, "select paper_id from extracted", datetime.now(UTC).replace(tzinfo=None))
        con.execute("drop table extracted")
        crash_point("extract-load-uncommitted")
    crash_point("extract-load-committed")
    shutil.rmtree(plan_folder)
    return LoadReport(papers=papers, mentions=mentions, results=results)
