"""Regenerate, or check, the example outputs in README.md by running each example through the real CLI.

An example is a ```sql block followed by a bare ``` block (run as `paperpulse query "<sql>"`), or a ```sh
block holding one `paperpulse query ...` command (with its --format) followed by a bare ``` block. Only the
bare blocks are rewritten, with what the command printed; commands are never added or changed.

    .venv/bin/python scripts/readme_examples.py --check [--home warehouse]   # diff, exit 1 if any
    .venv/bin/python scripts/readme_examples.py --write [--home warehouse]   # rewrite the outputs

With `--summary FILE` (what `make run`'s backfill printed) the bare block that starts `paperpulse backfill`
is that summary too: the home shown as /path/to/warehouse, the marts line wrapped; its run id and `took:` line
(one machine's timing, which the README's text quotes) are kept as written.

The README's examples come from one `make run` (`make readme` regenerates them and the summary).
"""

from __future__ import annotations

import argparse
import difflib
import itertools
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from paperpulse.files import atomic_write

REPO = Path(__file__).resolve().parent.parent
PAPERPULSE = Path(sys.executable).with_name("paperpulse")
FENCE = re.compile(r"^(?P<indent>\s*)```(?P<info>[\w-]*)\s*$")
SEPARATORS = {"&&", "||", ";", "|", "&"}
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass
class Block:
    info: str  # the fence's language ("" for a bare block)
    indent: str
    start: int  # index of the opening fence line
    end: int  # index of the closing fence line
    body: str


@dataclass
class Example:
    line: int  # 1-based line of the command's block, for messages
    argv: list[str]  # `paperpulse` arguments
    output: Block


def blocks(lines: list[str]) -> list[Block]:
    """The fenced code blocks of a Markdown file, in order."""
    found, opening = [], None
    for index, line in enumerate(lines):
        fence = FENCE.match(line)
        if not fence:
            continue
        if opening is None:
            opening = (index, fence["info"], fence["indent"])
        else:
            start, info, indent = opening
            body = "\n".join(text.removeprefix(indent) for text in lines[start + 1 : index])
            found.append(Block(info, indent, start, index, body))
            opening = None
    return found


def shell_commands(script: str) -> list[list[str]]:
    """Each simple command of a shell snippet, as its words: comments dropped, continuation lines joined,
    split at `&&`, `||`, `;`, `|`, `&`; leading VAR=value assignments kept as words."""
    commands = []
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        command: list[str] = []
        for word in lexer:
            if word in SEPARATORS:
                commands.append(command)
                command = []
            else:
                command.append(word)
        commands.append(command)
    return [command for command in commands if command]


def program(command: list[str]) -> tuple[str, list[str]]:
    """A command's program name (without its folder) and arguments, after any VAR=value prefix."""
    words = list(command)
    while words and ASSIGNMENT.match(words[0]):
        words.pop(0)
    return (Path(words[0]).name, words[1:]) if words else ("", [])


def examples(lines: list[str]) -> list[Example]:
    found = []
    fenced = blocks(lines)
    for block, after in itertools.pairwise(fenced):
        between = lines[block.end + 1 : after.start]
        if after.info or any(text.strip() for text in between):
            continue  # not followed directly by a bare output block
        if block.info == "sql":
            found.append(Example(block.start + 1, ["query", block.body.strip()], after))
        elif block.info in ("sh", "shell", "bash", "console"):
            queries = [
                arguments
                for name, arguments in map(program, shell_commands(block.body))
                if name == "paperpulse" and arguments[:1] == ["query"]
            ]
            if len(queries) > 1:
                raise SystemExit(f"line {block.start + 1}: one `paperpulse query` per example output")
            if queries:
                found.append(Example(block.start + 1, queries[0], after))
    return found


SUMMARY = "paperpulse backfill "
KEPT_AS_WRITTEN = re.compile(r"(?<=^paperpulse backfill )\S+|(?<=^  took: ).*", re.M)


def summary_lines(printed: str, home: Path, written: str) -> list[str]:
    """The backfill's summary as the README shows it, with the run id and timing of the one `written`."""
    kept = iter(KEPT_AS_WRITTEN.findall(written))
    summary = KEPT_AS_WRITTEN.sub(lambda _: next(kept, ""), printed.replace(str(home), "/path/to/warehouse"))
    return [text for line in summary.split("\n") for text in _wrapped_list(line)]


def _wrapped_list(line: str, width: int = 110) -> list[str]:
    """The marts line (`  marts:     dim_papers 139, ...`) wrapped after commas; any other line as it is."""
    if not line.startswith("  marts:"):
        return [line]
    lines = [""]
    for item in line.split(", "):
        if lines[-1] and len(lines[-1]) + len(item) + 2 > width:
            lines[-1] += ","
            lines.append(" " * 13 + item)
        else:
            lines[-1] += (", " if lines[-1] else "") + item
    return lines


def regenerate(readme: str, home: Path, summary: str | None = None) -> tuple[str, list[str]]:
    """The README with every example's output block replaced by what its command prints now (and the
    backfill's block by `summary`), and the failures (an example whose command fails keeps its old output)."""
    lines = readme.split("\n")
    failures = []
    if summary is not None:
        block = next(b for b in blocks(lines) if not b.info and b.body.startswith(SUMMARY))
        lines[block.start + 1 : block.end] = summary_lines(summary.strip("\n"), home, block.body)
    env = {**os.environ, "PAPERPULSE_HOME": str(home)}
    for example in reversed(examples(lines)):  # from the end, so earlier line numbers stay valid
        done = subprocess.run(
            [str(PAPERPULSE), *example.argv], env=env, capture_output=True, text=True, cwd=REPO
        )
        if done.returncode != 0:
            failures.append(
                f"line {example.line}: paperpulse {shlex.join(example.argv)}\n{done.stderr.strip()}"
            )
            continue
        output = example.output
        printed = [output.indent + text if text else text for text in done.stdout.rstrip("\n").split("\n")]
        lines[output.start + 1 : output.end] = printed
    return "\n".join(lines), failures[::-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="print the differences; exit 1 if any")
    mode.add_argument("--write", action="store_true", help="rewrite the output blocks in place")
    parser.add_argument(
        "--home",
        type=Path,
        default=Path(os.environ.get("PAPERPULSE_HOME", "warehouse")),
        help="the warehouse the examples run against (default: $PAPERPULSE_HOME, else ./warehouse)",
    )
    parser.add_argument("--readme", type=Path, default=REPO / "README.md")
    parser.add_argument("--summary", type=Path, help="what the backfill that built --home printed")
    args = parser.parse_args(argv)

    if not (args.home / "serving.duckdb").exists():
        print(f"no published marts in {args.home}: run `make run` first", file=sys.stderr)
        return 1
    readme = args.readme.read_text()
    summary = args.summary.read_text() if args.summary else None
    regenerated, failures = regenerate(readme, args.home.resolve(), summary)
    for failure in failures:
        print(failure, file=sys.stderr)
    if args.write:
        if regenerated != readme:
            atomic_write(args.readme, regenerated)
        found = len(examples(readme.split("\n")))
        print(f"{args.readme}: {found} example outputs rewritten from {args.home}")
        return 1 if failures else 0
    diff = list(
        difflib.unified_diff(
            readme.splitlines(keepends=True),
            regenerated.splitlines(keepends=True),
            f"{args.readme.name} (as written)",
            f"{args.readme.name} (as {args.home} answers)",
        )
    )
    sys.stdout.writelines(diff)
    return 1 if diff or failures else 0


if __name__ == "__main__":
    sys.exit(main())
