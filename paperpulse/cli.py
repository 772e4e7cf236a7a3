"""`paperpulse`: run any stage, or the whole run, without Airflow."""

from __future__ import annotations

import argparse
import sys

from extract import cli as extract_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paperpulse", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    extract_cli.add_commands(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
