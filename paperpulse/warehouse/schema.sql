-- The raw tables of the build file (paperpulse/ingest writes them; dbt/models/staging/_sources.yml
-- declares them). Every statement is idempotent: it runs on every write connection.
create schema if not exists raw;
create table if not exists raw.papers (
    paper_id varchar primary key,
    arxiv_id varchar,
    title varchar not null,
    abstract varchar not null,
    title_key varchar not null,
    content_hash varchar not null,
    first_source varchar not null,
    first_listed_date date not null,
    loaded_at timestamp not null,
    updated_at timestamp not null
);
create table if not exists raw.paper_listings (
    paper_id varchar not null,
    source varchar not null,
    listed_date date not null,
    extra json,
    loaded_at timestamp not null,
    primary key (paper_id, source, listed_date)
);
-- Each record that could not load, with its reason; its payload (what was received) is stored once in
-- raw.quarantine_payloads however often it is quarantined, cut to QUARANTINE_PAYLOAD_CHARS characters
-- (paperpulse/ingest/raw.py) with its full size kept.
create table if not exists raw.quarantine (
    quarantine_id varchar primary key,
    source varchar not null,
    interval_day date,
    landed_file varchar,
    reason varchar not null,
    payload_sha256 varchar not null,
    quarantined_at timestamp not null
);
create table if not exists raw.quarantine_payloads (
    payload_sha256 varchar primary key,
    payload varchar not null,
    payload_bytes bigint not null
);
create table if not exists raw.mentions (
    paper_id varchar not null,
    type varchar not null,
    surface varchar not null,
    canonical varchar not null,
    family varchar,
    size varchar,
    start_char integer not null,
    end_char integer not null,
    extractor_version varchar not null
);
create table if not exists raw.results (
    paper_id varchar not null,
    result_index integer not null,
    model varchar,
    dataset varchar,
    metric varchar,
    value double not null,
    value_text varchar not null,
    unit varchar not null,
    kind varchar not null,
    condition varchar,
    evidence varchar not null,
    extractor_version varchar not null,
    role varchar,  -- proposed | baseline | other
    confidence double,  -- 0..1, null when the extractor gives none (rules only)
    leaderboard boolean  -- whether the claim can be ranked on a board
);
-- Build files from before role, confidence and leaderboard gain them (null until re-extracted; a new
-- extractor version re-extracts every paper on the next run).
alter table raw.results add column if not exists role varchar;
alter table raw.results add column if not exists confidence double;
alter table raw.results add column if not exists leaderboard boolean;
-- Papers changed since the marts were last published, written in the transaction that changes the
-- paper: dbt's incremental models rebuild them, `built` says a build since included the change, and
-- publish removes the built ones once their marts are published.
create table if not exists raw.changed_papers (
    paper_id varchar primary key,
    changed_at timestamp not null,
    built boolean not null
);
-- The papers the last publish changed: the spare serving file (paperpulse/publish.py) is the version
-- before it, so bringing the spare up to date replaces these papers' rows as well as the pending ones.
-- No key: a backfill's million papers go in and out at once, which an index would make slow.
create table if not exists raw.published_changes (
    paper_id varchar not null
);
-- What the marts were last built from: the dbt project's fingerprint, and the lineage (a new one at each
-- full rebuild) that says whether the published marts differ from the built ones only in changed papers.
create table if not exists raw.build_state (
    name varchar primary key,
    value varchar not null
);
create table if not exists raw.extractions (
    paper_id varchar primary key,
    content_hash varchar not null,
    extractor_version varchar not null,
    mention_count integer not null,
    result_count integer not null,
    extracted_at timestamp not null
);
create table if not exists raw.hf_upvote_snapshots (
    paper_id varchar not null,
    listed_date date not null,
    observed_at timestamp not null,
    upvotes integer not null,
    num_comments integer,
    github_stars integer,
    landed_file varchar not null,
    primary key (paper_id, listed_date, observed_at)
);
create table if not exists raw.source_watermarks (
    source varchar not null,
    interval_day date not null,
    landed_at timestamp not null,
    landed_files integer not null,
    loaded_at timestamp not null,
    primary key (source, interval_day)
);
-- Papers taken out with `paperpulse forget --paper`: a later load of a landed file that lists one (by its id,
-- or a title-keyed record with its title) quarantines it instead of bringing it back. Delete its row here
-- to let it load again.
create table if not exists raw.forgotten_papers (
    paper_id varchar primary key,
    title_key varchar,
    forgotten_at timestamp not null
);
