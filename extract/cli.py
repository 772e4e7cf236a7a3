"""Command-line subcommands for extraction (`paperpulse extract`, `paperpulse eval`, `paperpulse eval-cv`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from extract.training.evaluate import SEED_GOLD as DEFAULT_GOLD


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register the extraction subcommands on the `paperpulse` parser."""
    extract = subparsers.add_parser(
        "extract", help="extract mentions and results from a JSONL file of papers"
    )
    extract.add_argument("--input", required=True, type=Path, help='JSONL lines {"id", "title", "abstract"}')
    extract.add_argument("--output", required=True, type=Path, help="JSONL predictions, one line per paper")
    extract.set_defaults(func=run_extract)

    evaluate = subparsers.add_parser("eval", help="score predictions against gold annotations")
    evaluate.add_argument("--gold", type=Path, default=DEFAULT_GOLD, help="gold JSONL (GUIDELINES.md format)")
    evaluate.add_argument(
        "--predictions",
        type=Path,
        help="predictions JSONL; without it the extractor runs on the gold abstracts",
    )
    evaluate.set_defaults(func=run_eval)

    crossval = subparsers.add_parser(
        "eval-cv",
        help="5-fold cross-validated scores on the seed gold (lexicon entries from a fold held out)",
    )
    crossval.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    crossval.add_argument("--folds", type=int, default=5)
    crossval.add_argument(
        "--learned", action="store_true", help="with the learned name scorer, retrained for each fold"
    )
    crossval.set_defaults(func=run_crossval)

    tdmsci = subparsers.add_parser(
        "eval-tdmsci", help="exact-span DATASET/METRIC scores on the held-out 20%% of TDMSci's training split"
    )
    tdmsci.set_defaults(func=run_tdmsci)


def run_extract(args: argparse.Namespace) -> int:
    from extract.extractor import load
    from extract.jsonl import extract_stream

    extractor = load()
    with open(args.input, encoding="utf-8") as lines, open(args.output, "w", encoding="utf-8") as output:
        summary = extract_stream(extractor, lines, output)
    print(
        f"{summary.papers} papers extracted to {args.output} (extractor {extractor.version}); "
        f"{summary.bad_lines} malformed lines skipped",
        file=sys.stderr,
    )
    return 1 if summary.bad_lines else 0


def run_eval(args: argparse.Namespace) -> int:
    from extract.training.evaluate import format_scores, read_jsonl, score

    gold = read_jsonl(args.gold)
    if args.predictions:
        predictions = read_jsonl(args.predictions)
        source = str(args.predictions)
    else:
        from extract.extractor import load

        extractor = load()
        predictions = list(extractor.extract(gold))
        source = f"extractor {extractor.version}"
    print(format_scores(score(predictions, gold), f"{source} against {args.gold}"))
    return 0


def run_crossval(args: argparse.Namespace) -> int:
    from extract.training.crossval import cross_validate, format_report

    print(format_report(cross_validate(args.gold, args.folds, learned=args.learned)))
    return 0


def run_tdmsci(args: argparse.Namespace) -> int:
    from extract.training import tdmsci

    return tdmsci.main([])
