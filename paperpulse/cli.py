"""`paperpulse`: run the whole pipeline, or any one stage, without Airflow."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb

from extract import cli as extract_cli
from paperpulse import bench, lock, query, search, search_bench
from paperpulse.errors import (
    BuildFailed,
    DigestNotSent,
    GateFailed,
    PublishRefused,
    SourceFailed,
    WarehouseBusy,
)
from paperpulse.ingest import sources
from paperpulse.settings import Settings

# Stage modules import Great Expectations, dbt helpers and spaCy: seconds of start-up that
# `paperpulse query` should not pay, so commands import them when they run.

# Commands that write the warehouse hold its lock from start to end (paperpulse/lock.py): a second one
# started meanwhile is refused before it touches anything. `query` and `digest` read the serving file only.
HOLDS_WAREHOUSE = {
    "run",
    "backfill",
    "ingest",
    "extract-papers",
    "build",
    "check",
    "publish",
    "docs",
    "forget",
    "prune",
}

EXPECTED_ERRORS = (
    GateFailed,
    PublishRefused,
    BuildFailed,
    WarehouseBusy,
    SourceFailed,
    DigestNotSent,
    FileNotFoundError,
    ValueError,
    duckdb.Error,
)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a whole number of days of at least 1: {text!r}")
    return value


def _source_arg(parser: argparse.ArgumentParser, default: str | None = "trending_page") -> None:
    parser.add_argument(
        "--source",
        choices=sources.NAMES,
        default=default,
        required=default is None,
        help="where papers come from" + (" (default: %(default)s)" if default else ""),
    )


def _source_args(parser: argparse.ArgumentParser) -> None:
    _source_arg(parser)
    parser.add_argument(
        "--date",
        type=_day,
        help="the interval (a day, YYYY-MM-DD); default: the source's latest settled day "
        "(yesterday for hf_daily, four days ago for arxiv, today for inbox)",
    )


@contextmanager
def measured() -> Iterator[None]:
    """Time a whole run and sample its peak memory (this process, its extraction workers and dbt), print
    both after its summary, and on a terminal each stage as it starts (with the bars of the long ones)."""
    from paperpulse.progress import GIB, Meter

    with Meter(interval=0.2, progress=sys.stderr if sys.stderr.isatty() else None) as meter:
        yield
    print(
        f"  took:      {meter.total_seconds / 60:.1f} min, peak memory {meter.overall_peak / GIB:.2f} GiB "
        "(this process, its extraction workers and dbt)"
    )


def cmd_run(args: argparse.Namespace) -> int:
    from paperpulse import pipeline

    with measured():
        summary = pipeline.run(Settings.from_env(), args.source, args.date)
        print(summary.render())
    return 0


def interrupted(error: BaseException) -> bool:
    """Ctrl-C: Python raises KeyboardInterrupt, but DuckDB's client raises RuntimeError("Query interrupted")
    when the signal lands inside a query."""
    return isinstance(error, KeyboardInterrupt) or (
        isinstance(error, RuntimeError) and "Query interrupted" in str(error)
    )


def cmd_backfill(args: argparse.Namespace) -> int:
    from paperpulse import pipeline

    try:
        with measured():
            summary = pipeline.backfill(Settings.from_env(), args.source, args.since, args.until)
            print(summary.render())
    except (KeyboardInterrupt, RuntimeError) as error:
        if not interrupted(error):
            raise
        print(
            "paperpulse backfill: interrupted; the days loaded so far stay, nothing was published. "
            "Run the same command again to resume (landed days are not fetched again).",
            file=sys.stderr,
        )
        return 130
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from paperpulse import pipeline

    settings = Settings.from_env()
    day = args.date or sources.get(args.source).default_day(settings)
    report = pipeline.ingest(settings, args.source, day)
    load = report.load
    print(
        f"{args.source} {day}: {'fetched' if report.fetched else 'already landed'}; {load.new} new, "
        f"{load.changed} changed, {load.unchanged} unchanged, {load.quarantined} quarantined"
        + (f" ({load.superseded} replaced by a later record of the same paper)" if load.superseded else "")
    )
    for warning in report.warnings:
        print(f"warning: {warning}")
    return 0


def cmd_extract_papers(args: argparse.Namespace) -> int:
    from paperpulse import pipeline

    loaded = pipeline.extract(Settings.from_env(), pipeline.new_run_id())
    print(
        f"{loaded['papers']} papers extracted in {loaded['batches']} batches; loaded {loaded['mentions']} "
        f"mentions and {loaded['results']} results"
    )
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from paperpulse.warehouse.build import build

    report = build(Settings.from_env())
    print(f"dbt: {report.describe()}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from paperpulse import pipeline

    report = pipeline.check_marts(Settings.from_env())
    print(
        f"gate '{report['gate']}': {report['expectations']} expectations passed on {report['rows']} rows; "
        "`paperpulse publish` may publish these marts"
    )
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from paperpulse import pipeline
    from paperpulse.warehouse import publish as publisher

    report = publisher.publish(Settings.from_env(), pipeline.new_run_id())
    state = "published" if report.published else "unchanged, left as it was"
    print(f"{report.serving_db}: {state}")
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    from paperpulse import forget

    settings = Settings.from_env()
    if args.paper:
        report = forget.forget_paper(settings, args.paper)
    elif args.landed:
        report = forget.forget_landed(settings, Path(args.landed))
    elif args.source and args.date:
        report = forget.forget_day(settings, args.source, args.date)
    else:
        raise ValueError("say what to forget: --paper ID, --source S --date D, or --landed PATH")
    print(report.render())
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    from paperpulse import retention

    settings = Settings.from_env()
    print(retention.prune(settings, args.keep_days or settings.keep_days).render())
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    from paperpulse import digest

    report = digest.deliver(Settings.from_env(), force_send=args.send)
    if report is None:
        print("no digest: the published marts list no papers")
        return 0
    emailed = f"; emailed to {', '.join(report.emailed_to)}" if report.emailed_to else ""
    print(f"digest for {report.day}: {report.markdown_path} and {report.html_path.name}{emailed}")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from expectations.gate import data_docs
    from paperpulse.warehouse.build import docs

    settings = Settings.from_env()
    print(f"dbt docs: open {docs(settings)} in a browser (one self-contained file)")
    print(
        f"Great Expectations Data Docs: open {data_docs(settings.gx_dir)} (the gates' suites and recent runs)"
    )
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    serving = Settings.from_env().serving_db
    if not serving.exists():
        raise FileNotFoundError(f"nothing published yet at {serving}: run `paperpulse run` first")
    with query.connect(serving) as con:
        relation = query.run(con, args.sql)
        if args.format == "csv":
            relation.to_df().to_csv(sys.stdout, index=False)
        elif args.format == "json":
            print(relation.to_df().to_json(orient="records", date_format="iso"))
        else:
            relation.show(max_rows=args.max_rows, max_width=10_000)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paperpulse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    run = commands.add_parser("run", help="one full run: ingest, extract, gates, dbt build, publish")
    _source_args(run)
    run.set_defaults(func=cmd_run)

    backfill = commands.add_parser(
        "backfill", help="ingest each day of a range in turn (resumable), then build and publish once"
    )
    _source_arg(backfill, default=None)
    backfill.add_argument(
        "--since", type=_day, help="the first day (YYYY-MM-DD); default for listings: its folder's first day"
    )
    backfill.add_argument(
        "--until",
        type=_day,
        help="the last day (YYYY-MM-DD); default: the source's latest settled day (listings: its last day)",
    )
    backfill.set_defaults(func=cmd_backfill)

    ingest = commands.add_parser("ingest", help="land a source's interval and load it into raw tables")
    _source_args(ingest)
    ingest.set_defaults(func=cmd_ingest)

    commands.add_parser(
        "extract-papers", help="extract mentions and results of new or changed papers in the warehouse"
    ).set_defaults(func=cmd_extract_papers)
    commands.add_parser("build", help="dbt build: staging, intermediate and marts, with tests").set_defaults(
        func=cmd_build
    )
    commands.add_parser(
        "check", help="the marts gate (Great Expectations); a pass lets `publish` publish these marts"
    ).set_defaults(func=cmd_check)
    commands.add_parser(
        "publish", help="swap the marts into the serving file (only marts that passed `check` as they are)"
    ).set_defaults(func=cmd_publish)

    forget = commands.add_parser(
        "forget",
        help="remove a paper, a source's day or a landed file from raw (and, at the next build and publish, "
        "from the marts)",
    )
    what = forget.add_mutually_exclusive_group(required=True)
    what.add_argument("--paper", metavar="ID", help="a paper (it stays out: a later load quarantines it)")
    what.add_argument("--landed", metavar="PATH", help="a landed file (under $PAPERPULSE_HOME/landing/)")
    what.add_argument("--source", choices=sources.NAMES, help="a source's day (with --date)")
    forget.add_argument("--date", type=_day, help="the day of --source (YYYY-MM-DD)")
    forget.set_defaults(func=cmd_forget)

    prune = commands.add_parser(
        "prune",
        help="delete landed files, inbox files, digests, gate results and quarantine rows older than N days",
    )
    prune.add_argument(
        "--keep-days",
        type=_positive,
        help="keep what is younger than this many days (default: PAPERPULSE_KEEP_DAYS, else 90)",
    )
    prune.set_defaults(func=cmd_prune)

    digest = commands.add_parser(
        "digest", help="write the digest of the published marts' day (and email it when SMTP is set)"
    )
    digest.add_argument("--send", action="store_true", help="email it even if it is unchanged")
    digest.set_defaults(func=cmd_digest)
    commands.add_parser(
        "docs", help="build the dbt docs site (offline, one HTML file) and the gates' Data Docs"
    ).set_defaults(func=cmd_docs)

    query_command = commands.add_parser(
        "query", help="one query over the published marts (read-only, no other file)"
    )
    query_command.add_argument("sql", help='e.g. "select * from leaderboards limit 10"')
    query_command.add_argument("--format", choices=["table", "csv", "json"], default="table")
    query_command.add_argument("--max-rows", type=int, default=100, help="rows shown in table format")
    query_command.set_defaults(func=cmd_query)

    search.add_commands(commands)
    search_bench.add_command(commands)
    extract_cli.add_commands(commands)
    bench.add_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # paperpulse's own progress and stage times: on a terminal the bars show progress, elsewhere (cron,
    # logs) a line every half minute and a line per stage; other libraries only warn.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    default = "WARNING" if sys.stderr.isatty() else "INFO"
    logging.getLogger("paperpulse").setLevel(os.environ.get("PAPERPULSE_LOG_LEVEL", default).upper())
    try:
        with (
            lock.hold(Settings.from_env(), f"paperpulse {args.command}")
            if args.command in HOLDS_WAREHOUSE
            else contextlib.nullcontext()
        ):
            return args.func(args) or 0
    except EXPECTED_ERRORS as error:
        print(f"paperpulse {args.command}: {error}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, RuntimeError) as error:
        if not interrupted(error):
            raise
        print(f"paperpulse {args.command}: interrupted", file=sys.stderr)
        return 130
    except OSError as error:  # a full disk, a read-only warehouse folder: nothing was published
        where = f": {error.filename}" if error.filename else ""
        print(f"paperpulse {args.command}: {error.strerror or error}{where}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
