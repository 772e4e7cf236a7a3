"""Command-line subcommands for extraction (`paperpulse extract`, `paperpulse eval`)."""

from __future__ import annotations

import argparse


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register the extraction subcommands on the `paperpulse` parser."""
