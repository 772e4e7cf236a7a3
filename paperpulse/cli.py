"""`paperpulse`: run the whole pipeline, or any one stage, without Airflow."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date

import duckdb

from extract import cli as extract_cli
from paperpulse import bench, query, search, search_bench
from paperpulse.errors import BuildFailed, DigestNotSent, GateFailed, SourceFailed, WarehouseBusy
from paperpulse.ingest import sources
from paperpulse.settings import Settings

# Stage modules import Great Expectations, dbt helpers and spaCy: seconds of start-up that
# `paperpulse query` should not pay, so commands import them when they run.

EXPECTED_ERRORS = (
    GateFailed,
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


def cmd_run(args: argparse.Namespace) -> int:
    from paperpulse import pipeline

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
        summary = pipeline.backfill(Settings.from_env(), args.source, args.since, args.until)
    except (KeyboardInterrupt, RuntimeError) as error:
        if not interrupted(error):
            raise
        print(
            "paperpulse backfill: interrupted; the days loaded so far stay, nothing was published. "
            "Run the same command again to resume (landed days are not fetched again).",
            file=sys.stderr,
        )
        return 130
    print(summary.render())
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
    )
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
    print(f"gate '{report['gate']}': {report['expectations']} expectations passed")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from paperpulse import pipeline
    from paperpulse.warehouse import publish as publisher

    report = publisher.publish(Settings.from_env(), pipeline.new_run_id())
    state = "published" if report.published else "unchanged, left as it was"
    print(f"{report.serving_db}: {state}")
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
    from paperpulse.warehouse.build import docs

    print(f"dbt docs: open {docs(Settings.from_env())} in a browser (one self-contained file)")
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
    backfill.add_argument("--since", type=_day, required=True, help="the first day (YYYY-MM-DD)")
    backfill.add_argument(
        "--until", type=_day, help="the last day (YYYY-MM-DD); default: the source's latest settled day"
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
    commands.add_parser("check", help="the marts gate (Great Expectations)").set_defaults(func=cmd_check)
    commands.add_parser("publish", help="swap the audited marts into the serving file").set_defaults(
        func=cmd_publish
    )

    digest = commands.add_parser(
        "digest", help="write the digest of the published marts' day (and email it when SMTP is set)"
    )
    digest.add_argument("--send", action="store_true", help="email it even if it is unchanged")
    digest.set_defaults(func=cmd_digest)
    commands.add_parser("docs", help="build the dbt docs site (offline, one HTML file)").set_defaults(
        func=cmd_docs
    )

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
    logging.basicConfig(
        level=os.environ.get("PAPERPULSE_LOG_LEVEL", "WARNING" if sys.stderr.isatty() else "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
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
