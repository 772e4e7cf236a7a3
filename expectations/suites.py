"""The expectation suites: the raw batch, the extraction output, and the marts."""

from __future__ import annotations

import re

import great_expectations as gx
import great_expectations.expectations as gxe

from paperpulse.ingest.records import MAX_ABSTRACT_CHARS, MIN_ABSTRACT_CHARS

MENTION_TYPES = ["model", "dataset", "metric"]
RESULT_KINDS = ["absolute", "improvement"]


def _suite(name: str, *expectations) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name=name, expectations=list(expectations))


def raw_batch() -> gx.ExpectationSuite:
    """One interval's papers, after record-level checks sent bad records to quarantine."""
    return _suite(
        "raw_batch",
        gxe.ExpectColumnValuesToNotBeNull(column="paper_id"),
        gxe.ExpectColumnValuesToBeUnique(column="paper_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="title"),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="abstract", min_value=MIN_ABSTRACT_CHARS, max_value=MAX_ABSTRACT_CHARS
        ),
        gxe.ExpectColumnValueLengthsToEqual(column="content_hash", value=64),
        gxe.ExpectColumnValuesToNotBeNull(column="listed_date"),
        gxe.ExpectColumnValuesToNotBeNull(column="source"),
    )


def mentions_batch() -> gx.ExpectationSuite:
    """Mentions of one extraction batch, with the abstract's length and whether the offsets
    slice the abstract to the surface."""
    return _suite(
        "mentions_batch",
        gxe.ExpectColumnValuesToBeInSet(column="type", value_set=MENTION_TYPES),
        gxe.ExpectColumnValuesToNotBeNull(column="canonical"),
        gxe.ExpectColumnValuesToBeBetween(column="start_char", min_value=0),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="end_char", column_B="start_char"),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="abstract_length", column_B="end_char", or_equal=True
        ),
        gxe.ExpectColumnValuesToBeInSet(column="surface_at_offsets", value_set=[True]),
    )


def results_batch() -> gx.ExpectationSuite:
    return _suite(
        "results_batch",
        gxe.ExpectColumnValuesToNotBeNull(column="value"),
        gxe.ExpectColumnValuesToBeInSet(column="kind", value_set=RESULT_KINDS),
        gxe.ExpectColumnValuesToNotBeNull(column="kind"),
        gxe.ExpectColumnValuesToNotBeNull(column="evidence"),
    )


# Mart checks run as SQL over the build file: each query counts violations, so the gate reads
# one small row whatever the size of the marts. Every count must be zero. `{changed}` limits a check of
# rows keyed by paper to the papers an incremental build rebuilt (every other row passed when it was
# built): `and <column> in (the changed papers)`, or nothing after a full build (mart_violations).
MART_VIOLATIONS = {
    "dim_papers_duplicate_or_null_keys": """
        select count(*) - count(distinct paper_id) from marts.dim_papers where true {changed:paper_id}""",
    "dim_papers_missing_raw_papers": """
        select count(*) from raw.papers p anti join marts.dim_papers d using (paper_id)
        where true {changed:p.paper_id}""",
    "fct_mentions_unknown_types": """
        select count(*) from marts.fct_mentions
        where entity_type not in ('model', 'dataset', 'metric') {changed:paper_id}""",
    "fct_mentions_outside_abstract": """
        select count(*) from marts.fct_mentions m join raw.papers p using (paper_id)
        where (m.start_char < 0 or m.end_char > length(p.abstract) or m.end_char <= m.start_char)
            {changed:m.paper_id} {changed:p.paper_id}""",  # both sides, or every abstract is read
    "fct_benchmark_results_non_numeric": """
        select count(*) from marts.fct_benchmark_results
        where (value is null or not isfinite(value)) {changed:paper_id}""",
    "leaderboards_without_direction": """
        select count(*) from marts.leaderboards
        where direction is null or direction not in ('higher', 'lower')""",
    "leaderboards_improvements_ranked": """
        select count(*) from marts.leaderboards join marts.fct_benchmark_results r using (result_id)
        where r.kind <> 'absolute'""",
    "leaderboards_bad_ranks": "select count(*) from marts.leaderboards where rank is null or rank < 1",
    "topic_trends_share_out_of_range": "select count(*) from marts.topic_trends where share < 0 or share > 1",
    "trending_topics_missing_topics": """
        select count(*) from lexicon.topic_taxonomy anti join marts.trending_topics using (topic_id)
        where exists (from marts.dim_papers)""",  # no paper yet: no "today", no rows
    # every "today" is the latest listed day, so the marts a dashboard shows side by side agree
    "trend_marts_not_as_of_the_latest_listed_day": """
        with latest as (select max(last_listed_date) as day from marts.dim_papers)
        select count(*) from (
            select as_of_day from marts.trending_topics union all
            select as_of_day from marts.rising_entities union all
            select as_of_day from marts.emerging_phrases union all
            select as_of_day from marts.whats_new
        ) marts, latest where marts.as_of_day is distinct from latest.day""",
    "trend_marts_bad_ranks_or_growth": """
        select count(*) from (
            select rank, growth from marts.trending_topics union all
            select rank, growth from marts.rising_entities union all
            select rank, growth from marts.emerging_phrases
        ) where rank is null or rank < 1 or growth is null or growth <= 0""",
    "whats_new_papers_not_first_listed_today": """
        select count(*) from marts.whats_new n join marts.dim_papers p on n.item_id = p.paper_id
        where n.item_type = 'paper' and p.first_listed_date <> n.as_of_day""",
    "leaderboard_improvements_not_improvements": """
        select count(*) from marts.leaderboard_improvements
        join marts.fct_benchmark_results r using (result_id) where r.kind <> 'improvement'""",
    "model_dataset_pairs_without_papers": """
        select count(*) from marts.model_dataset_pairs where paper_count < 1""",
}


def mart_violations(changed_only: bool) -> dict[str, str]:
    """The checks' SQL, limited to the changed papers' rows or over every row."""

    def limit(match: re.Match) -> str:
        return f"and {match[1]} in (select paper_id from raw.changed_papers)" if changed_only else ""

    return {name: re.sub(r"\{changed:([\w.]+)\}", limit, sql) for name, sql in MART_VIOLATIONS.items()}


def marts() -> gx.ExpectationSuite:
    return _suite(
        "marts",
        *(
            gxe.ExpectColumnValuesToBeBetween(column=name, min_value=0, max_value=0)
            for name in MART_VIOLATIONS
        ),
    )
