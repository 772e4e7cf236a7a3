"""The marts gate's frames: real mart rows, read from the build file, that the marts suites validate.

Each frame is a query over the build file and the row-level expectations its rows must meet. What the
gate hands Great Expectations stays bounded whatever the warehouse size:

- the rows in scope, at most SAMPLE_ROWS of them: a paper-keyed frame (its query marks where with
  `{changed:<alias>.paper_id}`) covers the changed papers after an incremental build, every paper after a
  full one; any other frame (the small trend marts, leaderboards) is whole;
- plus, for each expectation, up to FLAGGED_ROWS rows that would fail it, found in SQL (`violation`
  turns the expectation itself into the `where` that finds them). A frame that is `swept` is searched
  whole, every row of every mart, so a bad value written anywhere fails the gate even after an
  incremental build; those scans read a few narrow columns, fast at a million papers. A frame that is not
  swept needs an expensive join (every abstract's length) and is searched over the changed papers only,
  as is a uniqueness check (a duplicate key belongs to one paper, so it is among the changed ones).

GX validates the union: the judgement is GX's, the SQL only finds the rows worth showing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import great_expectations.expectations as gxe
import pandas as pd

SAMPLE_ROWS = 50_000  # rows in scope validated per frame, at most
FLAGGED_ROWS = 1_000  # rows found failing one expectation, at most (the error shows 20)

MENTION_TYPES = ["model", "dataset", "metric", "task"]
RESULT_ROLES = ["proposed", "baseline", "other"]
RESULT_KINDS = ["absolute", "improvement"]
DIRECTIONS = ["higher", "lower"]
LARGEST_DOUBLE = 1.7976931348623157e308  # a finite value lies within +-this
LATEST_LISTED_DAY = "(select max(last_listed_date) from marts.dim_papers)"
CHANGED_PAPERS = "select paper_id from raw.changed_papers"


@dataclass(frozen=True)
class Frame:
    name: str  # the GX asset, suite and validation definition: marts_<name>
    description: str
    sql: str  # the rows; `{changed:<alias>.paper_id}` where only the changed papers' rows are in scope
    key: str  # the column naming a row in a failure
    expectations: tuple
    swept: bool = True  # searched whole for rows failing an expectation; False: over the changed papers

    @property
    def asset(self) -> str:
        return f"marts_{self.name}"

    @property
    def paper_keyed(self) -> bool:
        return "{changed:" in self.sql


TREND_MARTS = ("trending_topics", "rising_entities", "emerging_phrases")
TREND_ITEMS = {"trending_topics": "topic_id", "rising_entities": "entity", "emerging_phrases": "phrase_key"}

FRAMES = (
    Frame(
        "dim_papers",
        "Papers of dim_papers (the changed ones after an incremental build).",
        "select d.rowid as _row, d.paper_id from marts.dim_papers d where true {changed:d.paper_id}",
        key="paper_id",
        expectations=(
            gxe.ExpectColumnValuesToNotBeNull(column="paper_id", description="one row per paper"),
            gxe.ExpectColumnValuesToBeUnique(column="paper_id", description="one row per paper"),
        ),
    ),
    Frame(
        "raw_papers_in_dim_papers",
        "Every raw paper, beside the dim_papers row it became.",
        """select p.rowid as _row, p.paper_id, d.paper_id as dim_papers_paper_id
           from raw.papers p left join marts.dim_papers d on d.paper_id = p.paper_id {changed:d.paper_id}
           where true {changed:p.paper_id}""",
        key="paper_id",
        expectations=(
            gxe.ExpectColumnValuesToNotBeNull(
                column="dim_papers_paper_id", description="every raw paper is in dim_papers"
            ),
        ),
    ),
    Frame(
        "fct_mentions",
        "Mentions of fct_mentions.",
        """select m.rowid as _row, m.mention_id, m.paper_id, m.entity_type, m.start_char, m.end_char
           from marts.fct_mentions m where true {changed:m.paper_id}""",
        key="mention_id",
        expectations=(
            gxe.ExpectColumnValuesToBeInSet(
                column="entity_type", value_set=MENTION_TYPES, description="a model, dataset, metric or task"
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="start_char", min_value=0, description="offsets inside the abstract"
            ),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="end_char", column_B="start_char", description="offsets inside the abstract"
            ),
        ),
    ),
    Frame(
        "mentions_in_abstracts",
        "Mentions of the changed papers, beside their abstract's length (reading abstracts is costly).",
        # the changed papers on both sides, or every abstract is read
        """select m.rowid as _row, m.mention_id, m.paper_id, m.end_char, length(p.abstract) as abstract_chars
           from marts.fct_mentions m left join raw.papers p on p.paper_id = m.paper_id {changed:p.paper_id}
           where true {changed:m.paper_id}""",
        key="mention_id",
        swept=False,
        expectations=(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="abstract_chars",
                column_B="end_char",
                or_equal=True,
                description="offsets inside the abstract",
            ),
        ),
    ),
    Frame(
        "fct_benchmark_results",
        "Claims of fct_benchmark_results.",
        """select r.rowid as _row, r.result_id, r.paper_id, r.kind, r.value
           from marts.fct_benchmark_results r where true {changed:r.paper_id}""",
        key="result_id",
        expectations=(
            gxe.ExpectColumnValuesToNotBeNull(column="value", description="a numeric value"),
            gxe.ExpectColumnValuesToBeBetween(
                column="value",
                min_value=-LARGEST_DOUBLE,
                max_value=LARGEST_DOUBLE,
                description="a finite value",
            ),
            gxe.ExpectColumnValuesToBeInSet(column="kind", value_set=RESULT_KINDS),
        ),
    ),
    Frame(
        "leaderboards",
        "leaderboards, each row beside the kind of the claim it ranks.",
        """select l.rowid as _row, l.result_id, l.direction, l.rank, r.kind as result_kind,
                  r.leaderboard and r.not_ranked_because is null as rankable
           from marts.leaderboards l left join marts.fct_benchmark_results r using (result_id)""",
        key="result_id",
        expectations=(
            gxe.ExpectColumnValuesToNotBeNull(column="direction"),
            gxe.ExpectColumnValuesToBeInSet(column="direction", value_set=DIRECTIONS),
            gxe.ExpectColumnValuesToNotBeNull(column="rank"),
            gxe.ExpectColumnValuesToBeBetween(column="rank", min_value=1),
            gxe.ExpectColumnValuesToBeInSet(
                column="result_kind",
                value_set=["absolute"],
                description="leaderboards rank absolute values, never improvements",
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="rankable",
                value_set=[True],
                description="only leaderboard-grade claims that pass every board rule are ranked",
            ),
        ),
    ),
    Frame(
        "sota_progression",
        "sota_progression, each step beside the best value it raised.",
        """select s.rowid as _row, s.result_id,
                  case when s.previous_value is null then true
                       when s.direction = 'higher' then s.value > s.previous_value
                       else s.value < s.previous_value end as raises
           from marts.sota_progression s""",
        key="result_id",
        expectations=(
            gxe.ExpectColumnValuesToBeInSet(
                column="raises", value_set=[True], description="every step raises the best known value"
            ),
        ),
    ),
    Frame(
        "leaderboard_improvements",
        "leaderboard_improvements, each row beside the kind of its claim.",
        """select i.rowid as _row, i.result_id, r.kind as result_kind
           from marts.leaderboard_improvements i left join marts.fct_benchmark_results r using (result_id)""",
        key="result_id",
        expectations=(
            gxe.ExpectColumnValuesToBeInSet(
                column="result_kind", value_set=["improvement"], description="improvement claims only"
            ),
        ),
    ),
    Frame(
        "topic_trends",
        "topic_trends.",
        "select t.rowid as _row, t.topic_id, t.share from marts.topic_trends t",
        key="topic_id",
        expectations=(
            gxe.ExpectColumnValuesToBeBetween(
                column="share", min_value=0, max_value=1, description="a share of the period's papers"
            ),
        ),
    ),
    Frame(
        "trend_marts",
        "trending_topics, rising_entities and emerging_phrases, beside the latest listed day.",
        " union all ".join(
            f"""select '{mart}' as mart, t.rowid as _row, '{mart}: ' || t.{item} as item, t.as_of_day,
                       {LATEST_LISTED_DAY} as latest_listed_day, t.rank, t.growth
                from marts.{mart} t"""
            for mart, item in TREND_ITEMS.items()
        ),
        key="item",
        expectations=(
            gxe.ExpectColumnPairValuesToBeEqual(
                column_A="as_of_day",
                column_B="latest_listed_day",
                ignore_row_if="both_values_are_missing",
                description="as of the latest listed day, so the marts a dashboard shows side by side agree",
            ),
            gxe.ExpectColumnValuesToNotBeNull(column="rank"),
            gxe.ExpectColumnValuesToBeBetween(column="rank", min_value=1),
            gxe.ExpectColumnValuesToNotBeNull(column="growth"),
            gxe.ExpectColumnValuesToBeBetween(
                column="growth", min_value=0, strict_min=True, description="ranked by a positive growth"
            ),
        ),
    ),
    Frame(
        "taxonomy_in_trending_topics",
        "Every topic of the taxonomy, beside its trending_topics row (once there is a paper: a today).",
        """select x.rowid as _row, x.topic_id, t.topic_id as trending_topic_id
           from lexicon.topic_taxonomy x left join marts.trending_topics t using (topic_id)
           where exists (from marts.dim_papers)""",
        key="topic_id",
        expectations=(
            gxe.ExpectColumnValuesToNotBeNull(
                column="trending_topic_id", description="every taxonomy topic is in trending_topics"
            ),
        ),
    ),
    Frame(
        "whats_new",
        "whats_new, beside the latest listed day and, for a paper, the day it was first listed.",
        f"""select n.rowid as _row, n.item_id, n.item_type, n.as_of_day,
                   {LATEST_LISTED_DAY} as latest_listed_day, p.first_listed_date as paper_first_listed_date
            from marts.whats_new n
            left join marts.dim_papers p on n.item_type = 'paper' and p.paper_id = n.item_id""",
        key="item_id",
        expectations=(
            gxe.ExpectColumnPairValuesToBeEqual(
                column_A="as_of_day",
                column_B="latest_listed_day",
                ignore_row_if="both_values_are_missing",
                description="as of the latest listed day",
            ),
            gxe.ExpectColumnPairValuesToBeEqual(
                column_A="as_of_day",
                column_B="paper_first_listed_date",
                ignore_row_if="either_value_is_missing",
                description="a new paper was first listed that day",
            ),
        ),
    ),
    Frame(
        "model_dataset_pairs",
        "model_dataset_pairs.",
        """select p.rowid as _row, p.model || ' / ' || p.dataset as pair, p.paper_count
           from marts.model_dataset_pairs p""",
        key="pair",
        expectations=(
            gxe.ExpectColumnValuesToBeBetween(
                column="paper_count", min_value=1, description="a pair is named together in a paper"
            ),
        ),
    ),
)

# expectations whose failing rows can only be found against the other rows in scope
SET_LEVEL = {"expect_column_values_to_be_unique"}


def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _resolve(value, parameters: dict):
    if isinstance(value, dict) and "$PARAMETER" in value:
        return parameters[value["$PARAMETER"]]
    return value


def _pair(kwargs: dict, holds: str) -> str:
    a, b = f'"{kwargs["column_A"]}"', f'"{kwargs["column_B"]}"'
    ignore = kwargs.get("ignore_row_if") or "both_values_are_missing"
    if ignore == "either_value_is_missing":
        return f"({a} is not null and {b} is not null and not ({holds}))"
    if ignore == "both_values_are_missing":
        return f"(not coalesce({holds}, false) and not ({a} is null and {b} is null))"
    return f"not coalesce({holds}, false)"


def violation(expectation, parameters: dict, domain: str, float_columns: set[str]) -> str:
    """The SQL `where` of the rows of `domain` (a query) that may fail `expectation`: every row GX would find
    unexpected, and maybe a few more (GX, not this, decides). Only the expectation types the marts use."""
    config = expectation.configuration
    kind, kwargs = config.type, {k: _resolve(v, parameters) for k, v in config.kwargs.items()}
    column = f'"{kwargs["column"]}"' if "column" in kwargs else None
    if kind == "expect_column_values_to_not_be_null":
        nan = f" or isnan({column})" if kwargs["column"] in float_columns else ""
        return f"({column} is null{nan})"
    if kind == "expect_column_values_to_be_in_set":
        values = ", ".join(_literal(v) for v in kwargs["value_set"])
        return f"({column} is not null and {column} not in ({values}))"
    if kind == "expect_column_values_to_be_between":
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        below = "<=" if kwargs.get("strict_min") else "<"
        above = ">=" if kwargs.get("strict_max") else ">"
        tests = [f"{column} {below} {_literal(low)}"] if low is not None else []
        tests += [f"{column} {above} {_literal(high)}"] if high is not None else []
        return "(" + " or ".join(tests) + ")"
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        operator = ">=" if kwargs.get("or_equal") else ">"
        return _pair(kwargs, f'"{kwargs["column_A"]}" {operator} "{kwargs["column_B"]}"')
    if kind == "expect_column_pair_values_to_be_equal":
        return _pair(kwargs, f'"{kwargs["column_A"]}" = "{kwargs["column_B"]}"')
    if kind == "expect_column_values_to_be_unique":
        return (
            f"{column} in (select {column} from ({domain}) where {column} is not null "
            f"group by {column} having count(*) > 1)"
        )
    raise ValueError(f"no SQL for {kind}: the marts gate cannot search the marts for its failures")


def _scoped(sql: str, changed_only: bool) -> str:
    def limit(match: re.Match) -> str:
        return f"and {match[1]} in ({CHANGED_PAPERS})" if changed_only else ""

    return re.sub(r"\{changed:([\w.]+)\}", limit, sql)


def frame_sql(frame: Frame, changed_only: bool, parameters: dict, float_columns: set[str]) -> str:
    """The query of the rows GX validates for `frame`: the rows in scope (at most SAMPLE_ROWS) and, for each
    expectation, up to FLAGGED_ROWS rows that may fail it, each row once."""
    in_scope = _scoped(frame.sql, changed_only and frame.paper_keyed)
    everywhere = _scoped(frame.sql, False) if frame.swept else in_scope
    parts = [f"in_scope as (select * from ({in_scope}) limit {SAMPLE_ROWS})"]
    for n, expectation in enumerate(frame.expectations):
        domain = in_scope if expectation.expectation_type in SET_LEVEL else everywhere
        where = violation(expectation, parameters, domain, float_columns)
        parts.append(f"flagged_{n} as (select * from ({domain}) where {where} limit {FLAGGED_ROWS})")
    union = " union ".join(["select * from in_scope", *(f"select * from flagged_{n}" for n in range(n + 1))])
    return f"with {', '.join(parts)} {union}"


def fetch(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """The query's rows as a DataFrame GX can compare: DuckDB hands integer columns with a null as pandas'
    nullable integers, whose NA GX's pandas comparisons cannot take ("boolean value of NA is ambiguous"),
    so those become floats (NaN), and nullable booleans objects."""
    rows = con.execute(sql).df()
    for column, dtype in rows.dtypes.items():
        if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iub":
            has_na = bool(rows[column].isna().any())
            if dtype.kind == "b":
                rows[column] = rows[column].astype(object).where(rows[column].notna(), None)
            else:
                rows[column] = rows[column].astype("float64" if has_na else dtype.numpy_dtype)
    return rows


def read_frame(
    con: duckdb.DuckDBPyConnection, frame: Frame, changed_only: bool, parameters: dict
) -> pd.DataFrame:
    """The frame's rows from the build file (`con` read-only), indexed by its key so failures name rows."""
    types = con.execute(f"describe {_scoped(frame.sql, False)}").fetchall()
    floats = {name for name, kind, *_ in types if kind in ("DOUBLE", "FLOAT")}
    rows = fetch(con, frame_sql(frame, changed_only, parameters, floats)).drop(columns="_row")
    rows.index = pd.Index(rows[frame.key].astype(str), name=frame.key)
    return rows


def read_frames(con: duckdb.DuckDBPyConnection, changed_only: bool, parameters: dict) -> dict:
    return {frame.asset: read_frame(con, frame, changed_only, parameters) for frame in FRAMES}
