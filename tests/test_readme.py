"""The README cannot lie (issue 16, item 9): its example outputs are what the CLI prints on the bundled-page
warehouse, its Python snippets run, and every command in its ```sh blocks at least parses."""

import json
import os
import subprocess
import sys

import duckdb
import pytest

from paperpulse.cli import build_parser
from scripts import readme_examples
from tests.conftest import PAPERPULSE, REPO, run_cli

README = REPO / "README.md"
SCRIPT = REPO / "scripts" / "readme_examples.py"
# Commands the README shows that this test does not run, and why.
NOT_CHECKED = {
    "cp": "coreutils",
    "mv": "coreutils",
    "export": "a shell builtin",
    "docker": "no Docker here; tests/test_compose.py checks docker-compose.yml",
}


def readme_blocks() -> list[readme_examples.Block]:
    return readme_examples.blocks(README.read_text().split("\n"))


def sh_commands() -> list[list[str]]:
    return [
        command
        for block in readme_blocks()
        if block.info == "sh"
        for command in readme_examples.shell_commands(block.body)
    ]


@pytest.mark.slow
def test_every_example_output_is_what_the_cli_prints_after_make_run(real_history, tmp_path):
    home, printed = real_history  # and the summary `make run` ends with
    summary = tmp_path / "summary.txt"
    summary.write_text(printed)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check", "--home", str(home), "--summary", str(summary)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 0, (
        "README.md's example outputs differ from what `paperpulse query` prints (regenerate them with "
        f"`make readme`):\n{done.stdout}{done.stderr}"
    )
    found = readme_examples.examples(README.read_text().split("\n"))
    assert len(found) >= 12 and all(example.argv[0] == "query" for example in found)
    assert any("--format" in example.argv for example in found)


def test_the_generator_rewrites_outputs_and_reports_differences(first_run, tmp_path):
    home, _ = first_run
    readme = tmp_path / "README.md"
    readme.write_text(
        "Intro.\n\n```sql\nselect count(*) as papers from dim_papers\n```\n\n```\nstale\n```\n\n"
        "```sh\n.venv/bin/paperpulse query \"select 'a' as x\" --format csv   # a comment\n```\n"
        "```\nold\n```\n"
        "\n```sql\nselect 1\n```\n\nNo output block follows that one.\n\n```\nnot an example\n```\n"
        "\n```\npaperpulse backfill 20260101T000000Z: old\n  took:      4.1 min, quiet\n```\n"
    )
    summary = tmp_path / "summary.txt"
    summary.write_text(
        f"paperpulse backfill 20991231T000000Z: listings\n  marts:     {', '.join(['dim_papers 139'] * 12)}\n"
        f"  published: {home}/serving.duckdb\n  took:      0.9 min, busy\n"
    )
    check = [
        sys.executable,
        str(SCRIPT),
        "--home",
        str(home),
        "--readme",
        str(readme),
        "--summary",
        str(summary),
    ]
    stale = subprocess.run([*check, "--check"], capture_output=True, text=True, cwd=REPO)
    assert stale.returncode == 1 and "-stale" in stale.stdout and "+│    139 │" in stale.stdout
    assert "-old" in stale.stdout and "+x" in stale.stdout and "+a" in stale.stdout
    assert subprocess.run([*check, "--write"], capture_output=True, text=True, cwd=REPO).returncode == 0
    rewritten = readme.read_text()
    assert "│ papers │" in rewritten and "│    139 │" in rewritten
    assert "```\nx\na\n```" in rewritten
    assert "```\nnot an example\n```" in rewritten
    six = ", ".join(["dim_papers 139"] * 6)
    assert rewritten.endswith(  # the run id and timing as written, the home hidden, the long line wrapped
        f"```\npaperpulse backfill 20260101T000000Z: listings\n  marts:     {six},\n             {six}\n"
        "  published: /path/to/warehouse/serving.duckdb\n  took:      4.1 min, quiet\n```\n"
    )
    assert subprocess.run([*check, "--check"], capture_output=True, text=True, cwd=REPO).returncode == 0


@pytest.mark.slow
def test_python_snippets_run_against_the_warehouse(real_history):
    home, _ = real_history
    snippets = [block.body for block in readme_blocks() if block.info == "python"]
    assert snippets
    for code in snippets:  # the README's paths are relative to the folder holding warehouse/
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=home.parent)
        assert done.returncode == 0, f"{code}\n{done.stderr}"


def test_every_sh_command_in_the_readme_parses(first_run, tmp_path):
    home, _ = first_run
    by_program: dict[str, list[tuple[list[str], list[str]]]] = {}
    for command in sh_commands():
        name, arguments = readme_examples.program(command)
        assignments = command[: len(command) - len(arguments) - 1]
        by_program.setdefault(name, []).append((assignments, arguments))
    unknown = set(by_program) - {"paperpulse", "make", "duckdb", "airflow"} - set(NOT_CHECKED)
    assert not unknown, f"README commands this test does not know how to check: {unknown}"

    subcommands = set()
    for _, arguments in by_program["paperpulse"]:
        try:
            build_parser().parse_args(arguments)
        except SystemExit:
            raise AssertionError(f"paperpulse {' '.join(arguments)}: does not parse") from None
        subcommands.add(arguments[0])
        if arguments[0] == "query":
            run_cli(home, *arguments)
    for subcommand in sorted(subcommands):
        helped = subprocess.run([PAPERPULSE, subcommand, "--help"], capture_output=True, text=True)
        assert helped.returncode == 0, helped.stderr

    for assignments, arguments in by_program["make"]:
        env = {**os.environ, **dict(word.split("=", 1) for word in assignments)}
        dry = subprocess.run(["make", "-n", *arguments], capture_output=True, text=True, cwd=REPO, env=env)
        assert dry.returncode == 0, f"make {' '.join(arguments)}: {dry.stderr}"

    for _, arguments in by_program.get("duckdb", []):
        assert arguments[0] == "-readonly" and arguments[2] == "-c", arguments
        with duckdb.connect(str(home.parent / arguments[1]), read_only=True) as con:
            assert con.execute(arguments[3]).fetchall(), arguments[3]

    airflow = [arguments for _, arguments in by_program.get("airflow", [])]
    parse = (
        "import json, sys\nfrom airflow.cli import cli_parser\nparser = cli_parser.get_parser()\n"
        "for arguments in json.loads(sys.argv[1]):\n    parser.parse_args(arguments)\n"
    )
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    parsed = subprocess.run(
        [sys.executable, "-c", parse, json.dumps(airflow)], capture_output=True, text=True, env=env
    )
    assert parsed.returncode == 0, parsed.stderr[-3000:]


def test_shell_commands_are_split_like_a_shell_would():
    script = (
        "make run     # creates .venv/\n"
        "PORT=8600 make dashboard\n"
        'cp a "$X/.b c" && mv d e; .venv/bin/paperpulse query "select \'x; y\' -- z" \\\n  --format csv\n'
    )
    assert readme_examples.shell_commands(script) == [
        ["make", "run"],
        ["PORT=8600", "make", "dashboard"],
        ["cp", "a", "$X/.b c"],
        ["mv", "d", "e"],
        [".venv/bin/paperpulse", "query", "select 'x; y' -- z", "--format", "csv"],
    ]
    assert readme_examples.program(["PORT=8600", "make", "dashboard"]) == ("make", ["dashboard"])
