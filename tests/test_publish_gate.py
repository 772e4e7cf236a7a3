"""Publish publishes only marts that passed the marts gate as they are, on the command line as in a run;
and after an incremental build the gate still finds a bad value written into any row of the marts.

Real DuckDB files, real dbt builds and real `paperpulse` runs."""

from pathlib import Path

import duckdb
import pytest

from tests.conftest import copy_home, run_cli, sha256

pytestmark = pytest.mark.slow  # builds, checks and publishes again and again


@pytest.fixture(scope="module")
def incremental_home(first_run, tmp_path_factory) -> Path:
    """The bundled page's warehouse after one more build, an incremental one that changed no paper (what a
    day without news leaves: the old gate then looked at none of the paper marts' rows), checked and
    published."""
    home = copy_home(first_run[0], tmp_path_factory.mktemp("incremental") / "warehouse")
    run_cli(home, "build")
    run_cli(home, "check")
    run_cli(home, "publish")
    with duckdb.connect(str(home / "build.duckdb"), read_only=True) as con:
        state = dict(con.execute("select name, value from raw.build_state").fetchall())
    assert state["tested"] == "changed papers"
    return home


def served(home: Path) -> tuple[str, Path]:
    return sha256(home / "serving.duckdb"), (home / "parquet").resolve()


def edit(home: Path, *statements: str) -> None:
    """Change the built marts by hand, as someone with the build file open might."""
    with duckdb.connect(str(home / "build.duckdb")) as con:
        for statement in statements:
            con.execute(statement)


def test_a_mart_edited_after_the_build_fails_the_check_and_is_not_published(incremental_home, tmp_path):
    home = copy_home(incremental_home, tmp_path / "warehouse")
    before = served(home)
    edit(home, "update marts.leaderboards set direction = 'sideways' where rank = 1")

    checked = run_cli(home, "check", check=False)
    assert checked.returncode == 1 and "gate 'marts' failed" in checked.stderr

    published = run_cli(home, "publish", check=False)
    assert published.returncode == 1, published.stdout
    assert published.stderr.splitlines()[-1].startswith("paperpulse publish: not publishing the marts")
    assert "have not passed the marts gate" in published.stderr and "paperpulse check" in published.stderr
    assert "Traceback" not in published.stderr
    assert served(home) == before
    # the check named the expectation and the row
    assert "marts_leaderboards: expect_column_values_to_be_in_set(direction)" in checked.stderr
    assert "'sideways'" in checked.stderr


def test_marts_changed_after_a_passing_check_are_not_published_until_checked_again(
    incremental_home, tmp_path
):
    home = copy_home(incremental_home, tmp_path / "warehouse")
    before = served(home)
    run_cli(home, "check")
    # an edit no expectation objects to: still, these are not the marts that passed
    edit(home, "update marts.leaderboards set claim_count = claim_count + 1 where rank = 1")

    published = run_cli(home, "publish", check=False)
    assert published.returncode == 1, published.stdout
    assert "changed since they passed the marts gate" in published.stderr
    assert "Run `paperpulse check`" in published.stderr
    assert served(home) == before

    run_cli(home, "check")  # these marts pass: now they publish
    assert "published" in run_cli(home, "publish").stdout
    claims = "select sum(claim_count) from leaderboards where rank = 1"
    with duckdb.connect(str(home / "build.duckdb"), read_only=True) as con:
        built = con.execute(claims.replace("from leaderboards", "from marts.leaderboards")).fetchone()
    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        assert con.execute(claims).fetchone() == built


def test_a_new_build_is_not_published_until_it_passes_the_gate(incremental_home, tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERPULSE_SYNTHETIC_PAPERS_PER_DAY", "4")
    home = copy_home(incremental_home, tmp_path / "warehouse")
    before = served(home)
    run_cli(home, "ingest", "--source", "synthetic", "--date", "2024-03-12")
    run_cli(home, "extract-papers")
    run_cli(home, "build")

    published = run_cli(home, "publish", check=False)
    assert published.returncode == 1 and "changed since they passed" in published.stderr
    assert served(home) == before

    run_cli(home, "check")
    run_cli(home, "publish")
    synthetic = "select count(*) from dim_papers where list_contains(sources, 'synthetic')"
    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        assert con.execute(synthetic).fetchone()[0] > 0  # the new build is served


def test_after_an_incremental_build_a_bad_value_in_an_unchanged_paper_fails_the_gate(
    incremental_home, tmp_path
):
    home = copy_home(incremental_home, tmp_path / "warehouse")
    with duckdb.connect(str(home / "build.duckdb"), read_only=True) as con:
        (mention,) = con.execute("select min(mention_id) from marts.fct_mentions").fetchone()
        (result,) = con.execute("select min(result_id) from marts.fct_benchmark_results").fetchone()
        assert con.execute("select count(*) from raw.changed_papers").fetchone() == (0,)
    edit(
        home,
        f"update marts.fct_mentions set entity_type = 'person' where mention_id = '{mention}'",
        f"update marts.fct_benchmark_results set value = 'inf' where result_id = '{result}'",
    )

    checked = run_cli(home, "check", check=False)
    failures = checked.stderr
    assert checked.returncode == 1
    assert "marts_fct_mentions: expect_column_values_to_be_in_set(entity_type): 1 unexpected" in failures
    assert f"e.g. ['person'] at mention_id ['{mention}']" in failures
    assert "marts_fct_benchmark_results: expect_column_values_to_be_between(value): 1 unexpected" in failures
    assert f"at result_id ['{result}']" in failures
    assert run_cli(home, "publish", check=False).returncode == 1
