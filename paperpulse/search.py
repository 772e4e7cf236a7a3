"""Full-text search over the published papers: words in -> papers ranked by BM25, offline.

DuckDB's fts extension cannot be installed offline, so the index is a mart: dbt builds `search_postings`
(term, paper, term frequency, paper length; a daily build adds only the changed papers) with the tokenizer
in dbt/macros/search.sql, which dbt also defines as the DuckDB macro `search_terms` in the build file.
Publishing copies `search_terms` into the serving file and installs the table macro `search` below, so any
reader of the serving file (the dashboard, `paperpulse query`, the DuckDB CLI) can call

    select * from search('speech recognition')                        -- the 20 best, rank 1 first
    select * from search('speech recognition', k := 100, with_code := true)

A term's document frequency is counted from the postings the query reads anyway, so it is always exact.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

# BM25's usual constants: term-frequency saturation and length normalisation.
K1, B = 1.2, 0.75
DEFAULT_RESULTS = 20
# the macros publishing copies from the build file (dbt's on-run-start defines them)
COPIED_MACROS = ("search_terms",)

SEARCH_MACRO = f"""
create or replace macro search(query, k := {DEFAULT_RESULTS}, with_code := false) as table
with hits as (
    -- a constant list: DuckDB reads only the row groups whose terms can match (the table is sorted by term)
    select term, search_key, tf, doc_length from search_postings
    where list_contains(search_terms(query), term)
),
corpus as (
    select count(*) as papers, avg(search_length) as average_length from dim_papers
),
idf as (
    select term, ln(1 + (any_value(corpus.papers) - count(*) + 0.5) / (count(*) + 0.5)) as idf
    from hits, corpus
    group by term
),
scores as (
    select
        hits.search_key,
        sum(
            idf.idf * hits.tf * ({K1} + 1)
            / (hits.tf + {K1} * (1 - {B} + {B} * hits.doc_length / corpus.average_length))
        ) as score,
        count(*) as matched_terms
    from hits
    join idf using (term)
    cross join corpus
    group by hits.search_key
),
best as (
    select * from scores
    where not with_code or search_key in (select search_key from dim_papers where has_code)
    order by score desc, search_key
    limit k
)
select
    row_number() over (order by best.score desc, best.search_key) as rank,
    best.score,
    best.matched_terms,
    papers.paper_id,
    papers.title,
    papers.paper_url,
    papers.first_listed_date,
    papers.has_code,
    papers.code_urls
from best
join dim_papers as papers using (search_key)
order by rank
"""

# The serving copy of search_postings is kept sorted by term, so that a query reads few row groups: written
# sorted when published whole; a daily publish appends the changed papers' rows, and once more than
# TAIL_ROWS are appended, they are sorted into a run of their own (the rest copied as it is), or, past
# MAX_RUNS runs, the whole table is sorted again. A query reads a few row groups per run, and the tail.
TAIL_ROWS = 1_000_000
MAX_RUNS = 8
STATE = "search_index_state"  # one row: the rows in sorted runs (the rest were appended since), the runs
ORDER = "term, search_key"


def cluster(
    con: duckdb.DuckDBPyConnection,
    published_whole: bool,
    tail_rows: int = TAIL_ROWS,
    max_runs: int = MAX_RUNS,
) -> str:
    """Keep the staged serving file's search_postings sorted by term (see TAIL_ROWS); `published_whole`: it
    was just written whole, sorted. Says what it did: kept, sorted the tail, or sorted everything."""
    (rows,) = con.execute("select count(*) from search_postings").fetchone()
    state = con.execute(f"select sorted_rows, runs from {STATE}").fetchone() if _has_state(con) else None
    if published_whole:
        done, runs = "published sorted", 1
    else:
        sorted_rows, runs = state or (0, max_runs)  # no state: a file published before, sort it all
        (tail,) = con.execute(f"select count(*) from search_postings where rowid >= {sorted_rows}").fetchone()
        if state and tail <= tail_rows:
            return "kept"
        if runs >= max_runs:
            _rewrite(con, f"select * from search_postings order by {ORDER}")
            done, runs = "sorted everything", 1
        else:
            _rewrite(
                con,
                f"select * from search_postings where rowid < {sorted_rows}",
                f"select * from search_postings where rowid >= {sorted_rows} order by {ORDER}",
            )
            done, runs = "sorted the appended rows", runs + 1
    con.execute(f"create or replace table {STATE} as select ? as sorted_rows, ? as runs", [rows, runs])
    con.execute(
        f"comment on table {STATE} is 'search_postings rows in sorted runs (the rest appended since) and "
        "the runs: paperpulse/search.py'"
    )
    return done


def _has_state(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() "
            "where database_name = current_database() and table_name = ?",
            [STATE],
        ).fetchone()[0]
    )


def _rewrite(con: duckdb.DuckDBPyConnection, *parts: str) -> None:
    """search_postings written anew from `parts` in order (each query's rows in its order), comments kept."""
    comments = con.execute(
        "select column_name, comment from duckdb_columns() where database_name = current_database() "
        "and table_name = 'search_postings' and comment is not null"
    ).fetchall()
    (table_comment,) = con.execute(
        "select comment from duckdb_tables() where database_name = current_database() "
        "and table_name = 'search_postings'"
    ).fetchone()
    first, *rest = parts
    con.execute(f"create table search_postings_rewritten as {first}")
    for part in rest:
        con.execute(f"insert into search_postings_rewritten {part}")
    con.execute("drop table search_postings")
    con.execute("alter table search_postings_rewritten rename to search_postings")
    if table_comment:
        con.execute(f"comment on table search_postings is {_literal(table_comment)}")
    for column, comment in comments:
        con.execute(f'comment on column search_postings."{column}" is {_literal(comment)}')


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def install(con: duckdb.DuckDBPyConnection, build: str = "build") -> None:
    """Define search_terms (copied from the attached build file, where dbt defined it) and `search` in the
    connection's default schema: the staged serving file."""
    for name in COPIED_MACROS:
        row = con.execute(
            "select parameters, macro_definition from duckdb_functions() where database_name = ? "
            "and schema_name = 'main' and function_name = ? and function_type = 'macro'",
            [build, name],
        ).fetchone()
        if row is None:
            raise LookupError(f"the build file has no macro {name}: dbt's on-run-start defines it")
        parameters, definition = row
        con.execute(f"create or replace macro {name}({', '.join(parameters)}) as {definition}")
    con.execute(SEARCH_MACRO)


def search(
    con: duckdb.DuckDBPyConnection, query: str, k: int = DEFAULT_RESULTS, with_code: bool = False
) -> duckdb.DuckDBPyRelation:
    return con.sql(
        "select rank, round(score, 2) as score, title, first_listed_date, has_code, paper_url "
        "from search($query, k := $k, with_code := $with_code)",
        params={"query": query, "k": k, "with_code": with_code},
    )


def connect(serving: Path) -> duckdb.DuckDBPyConnection:
    if not serving.exists():
        raise FileNotFoundError(f"nothing published yet at {serving}: run `paperpulse run` first")
    return duckdb.connect(str(serving), read_only=True)


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser("search", help="papers whose title or abstract has the words, best first")
    command.add_argument("words", help='e.g. "speech recognition"')
    command.add_argument(
        "--limit", type=int, default=DEFAULT_RESULTS, help="papers shown (default: %(default)s)"
    )
    command.add_argument(
        "--with-code", action="store_true", help="only papers with code (dim_papers.has_code)"
    )
    command.set_defaults(func=cmd_search)


def cmd_search(args: argparse.Namespace) -> int:
    from paperpulse.settings import Settings

    with connect(Settings.from_env().serving_db) as con:
        relation = search(con, args.words, args.limit, args.with_code)
        if not relation.fetchall():
            print(f"no paper has {args.words!r}", file=sys.stderr)
            return 0
        relation.show(max_rows=args.limit, max_width=10_000)
    return 0
