"""The daily digest: the day's top papers, rising topics and phrases, new state-of-the-art claims and new
benchmark claims with their evidence, written as Markdown and HTML after each successful run and emailed
when SMTP settings are given.

It reads the published serving file (read-only, closed when done), so it shows what dashboards show.
The day is the marts' "today": the latest listed day in the warehouse. Every paper is a link (its arXiv page,
else arXiv's search for its title: dim_papers.paper_url) and every text is shown without LaTeX markup
(paperpulse/text.py).
"""

from __future__ import annotations

import html
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import duckdb

from paperpulse.errors import DigestNotSent
from paperpulse.files import atomic_write
from paperpulse.settings import Settings, SmtpSettings
from paperpulse.text import plain

TOP_PAPERS = 10
TOPICS_SHOWN = 5
PAPERS_PER_TOPIC = 3
PHRASES_SHOWN = 5
CLAIMS_SHOWN = 15
SOTA_SHOWN = 15


@dataclass(frozen=True)
class Paper:
    title: str
    url: str
    note: str  # upvotes or topics


@dataclass(frozen=True)
class SotaClaim:
    """A claim that raised a board's best known value on the digest's day (sota_progression)."""

    board: str
    model: str
    value: str  # as written, with its unit
    previous: str  # the best it raised: "model value (listed date)"
    evidence: str
    title: str
    url: str | None


@dataclass(frozen=True)
class Digest:
    day: date
    counts: dict[str, int]  # today's papers, claims, models and datasets
    top_papers_by: str  # "upvotes" or "topic"
    top_papers: list[tuple[str, list[Paper]]]  # (heading, papers): one group, or one per topic
    rising_topics: list[tuple[str, int, int, float, str]]  # label, recent, baseline, growth, trend
    emerging_phrases: list[tuple[str, int, int]]  # phrase, recent, baseline
    claims: list[tuple[str, str, str, str]]  # claim, evidence, paper title, paper url
    state_of_the_art: list[SotaClaim]  # the day's raises of a board's best known value
    # boards opened that day: how many, and the first SOTA_SHOWN as (board, model, value)
    new_boards: tuple[int, list[tuple[str, str, str]]]

    @property
    def subject(self) -> str:
        c = self.counts
        return (
            f"paperpulse digest {self.day}: {c['paper']} new papers, {c['claim']} benchmark claims, "
            f"{c['model']} new models"
        )


@dataclass(frozen=True)
class DigestReport:
    day: date
    markdown_path: Path
    html_path: Path
    changed: bool  # False when the same digest was already written for the day
    emailed_to: tuple[str, ...] = ()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, *params) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def compose(serving_db: Path) -> Digest | None:
    """The digest of the marts' latest day, or None when nothing has been listed yet."""
    if not serving_db.exists():
        raise FileNotFoundError(f"nothing published yet at {serving_db}: run `paperpulse run` first")
    with duckdb.connect(str(serving_db), read_only=True) as con:
        found = _rows(con, "select max(as_of_day) from trending_topics")[0][0]
        if found is None:
            return None
        counts = dict(_rows(con, "select item_type, count(*) from whats_new group by all"))
        counts = {kind: counts.get(kind, 0) for kind in ("paper", "claim", "model", "dataset")}
        by_upvotes = _rows(
            con,
            """
            select title, paper_url, upvotes from dim_papers
            where first_listed_date = ? and upvotes is not null
            order by upvotes desc, title limit ?""",
            found,
            TOP_PAPERS,
        )
        if by_upvotes:
            top_by = "upvotes"
            top = [("", [Paper(plain(t), url, f"{votes} upvotes") for t, url, votes in by_upvotes])]
        else:
            top_by = "topic"
            top = _top_papers_by_topic(con, found)
        rising = [
            (plain(label), *counts)
            for label, *counts in _rows(
                con,
                """
                select topic_label, recent_papers, baseline_papers, growth, trend from trending_topics
                where recent_papers > 0 order by rank, topic_label limit ?""",
                TOPICS_SHOWN,
            )
        ]
        phrases = [
            (plain(phrase), *counts)
            for phrase, *counts in _rows(
                con,
                """
                select phrase, recent_papers, baseline_papers from emerging_phrases
                order by rank, phrase limit ?""",
                PHRASES_SHOWN,
            )
        ]
        # claims naming a model, a dataset and a metric first: those are the ones a reader can place
        claims = _rows(
            con,
            """
            select n.name, n.detail, n.paper_title, p.paper_url
            from whats_new n
            join fct_benchmark_results r on n.item_id = r.result_id
            join dim_papers p on p.paper_id = n.paper_id
            where n.item_type = 'claim'
            order by (r.model is null)::int + (r.dataset is null)::int + (r.metric is null)::int,
                r.kind, n.paper_title, n.item_id
            limit ?""",
            CLAIMS_SHOWN,
        )
        state_of_the_art = [
            SotaClaim(board, model, value, _previous_best(*previous), plain(evidence), plain(title), url)
            for board, model, value, *previous, evidence, title, url in _rows(
                con,
                """
                select s.board, s.model, s.value_text || s.unit_as_written,
                    s.previous_model, s.previous_value, s.unit, s.previous_listed_date,
                    s.evidence, s.paper_title, p.paper_url
                from sota_progression s join dim_papers p using (paper_id)
                where s.first_listed_date = ? and s.step > 1
                order by s.board, s.result_id
                limit ?""",
                found,
                SOTA_SHOWN,
            )
        ]
        claims = [
            (plain(claim), plain(evidence), plain(title), url) for claim, evidence, title, url in claims
        ]
        opened = _rows(
            con,
            """
            select board, model, value_text || unit_as_written, count(*) over () from sota_progression
            where first_listed_date = ? and step = 1
            order by board limit ?""",
            found,
            SOTA_SHOWN,
        )
        new_boards = (opened[0][3] if opened else 0, [row[:3] for row in opened])
    return Digest(found, counts, top_by, top, rising, phrases, claims, state_of_the_art, new_boards)


def _previous_best(model: str, value: float, unit: str, listed: date) -> str:
    """The best known value a claim raised, in its board's unit: "BERT 81.5% (2024-03-01)"."""
    unit = unit if unit in ("", "%") else f" {unit}"
    return f"{model} {value:g}{unit} ({listed})"


def _new_boards_line(digest: Digest) -> str:
    count, first = digest.new_boards
    shown = "; ".join(f"{board}: {model} {value}" for board, model, value in first)
    more = f"; and {count - len(first)} more" if count > len(first) else ""
    return f"{count} board{'s' * (count != 1)} opened today (their first results): {shown}{more}."


def _top_papers_by_topic(con: duckdb.DuckDBPyConnection, day: date) -> list[tuple[str, list[Paper]]]:
    """Without upvotes: today's papers under each of the fastest-growing topics, the ones with the most
    extracted claims and mentions first. A paper is listed once, under the shown topic it matches most
    strongly (a keyword in its title first, then the most keyword occurrences), and only under a topic it
    matches (paper_topics)."""
    rows = _rows(
        con,
        """
        with topics as (
            select topic_id, topic_label, rank from trending_topics
            where recent_papers > 0 order by rank, topic_label limit ?
        ),
        -- each paper once, under the shown topic it matches most strongly
        placed as (
            select t.topic_id, t.topic_label, t.rank, p.title, p.paper_url, p.result_count, p.mention_count
            from topics t
            join paper_topics pt using (topic_id)
            join dim_papers p on p.paper_id = pt.paper_id and p.first_listed_date = ?
            qualify row_number() over (
                partition by p.paper_id
                order by pt.matched_in_title desc, pt.keyword_hits desc, t.rank, t.topic_label
            ) = 1
        ),
        papers as (
            select *, row_number() over (
                partition by topic_id order by result_count desc, mention_count desc, title
            ) as nth
            from placed
        )
        select topic_label, title, paper_url, result_count from papers where nth <= ?
        order by rank, topic_label, nth""",
        TOPICS_SHOWN,
        day,
        PAPERS_PER_TOPIC,
    )
    groups: dict[str, list[Paper]] = {}
    for label, title, url, results in rows:
        note = f"{results} benchmark claim{'s' * (results != 1)}" if results else ""
        groups.setdefault(plain(label), []).append(Paper(plain(title), url, note))
    return list(groups.items())


def markdown_text(text: str) -> str:
    """Text that Markdown shows as written."""
    return re.sub(r"([`*_\[\]<>#|])", r"\\\1", text)


def _md_link(title: str, url: str) -> str:
    return f"[{markdown_text(title)}]({url})"


def render_markdown(digest: Digest) -> str:
    c = digest.counts
    lines = [
        f"# paperpulse digest, {digest.day}",
        "",
        f"{c['paper']} new papers, {c['claim']} new benchmark claims, {c['model']} models and "
        f"{c['dataset']} datasets named for the first time.",
        "",
        f"## Top papers (by {digest.top_papers_by})",
        "",
    ]
    for heading, papers in digest.top_papers:
        if heading:
            lines += [f"### {markdown_text(heading)}", ""]
        lines += [f"- {_md_link(p.title, p.url)}" + (f" ({p.note})" if p.note else "") for p in papers]
        lines.append("")
    lines += [
        "## Rising topics",
        "",
        "| topic | papers, last 7 days | papers, 28 days before | growth | trend |",
    ]
    lines.append("|---|---:|---:|---:|---|")
    lines += [
        f"| {markdown_text(label)} | {r} | {b} | {g:.1f} | {t} |"
        for label, r, b, g, t in digest.rising_topics
    ]
    lines += ["", "## Emerging phrases (not in the taxonomy yet)", ""]
    lines += [
        f"- {markdown_text(phrase)}: {r} papers (28 days before: {b})"
        for phrase, r, b in digest.emerging_phrases
    ]
    if not digest.emerging_phrases:
        lines.append("- none today")
    lines += ["", "## New state of the art", ""]
    for sota in digest.state_of_the_art:
        lines += [
            f"- **{markdown_text(sota.model)} {markdown_text(sota.value)}** on {markdown_text(sota.board)} "
            f"(was {markdown_text(sota.previous)}), {_md_link(sota.title, sota.url)}",
            f"  > {markdown_text(sota.evidence)}",
        ]
    if not digest.state_of_the_art:
        lines.append("- none today")
    if digest.new_boards[0]:
        lines += ["", markdown_text(_new_boards_line(digest))]
    lines += ["", "## New benchmark claims", ""]
    for claim, evidence, title, url in digest.claims:
        lines += [f"- **{markdown_text(claim)}**, {_md_link(title, url)}", f"  > {markdown_text(evidence)}"]
    if not digest.claims:
        lines.append("- none today")
    return "\n".join(lines).rstrip() + "\n"


def _html_link(title: str, url: str) -> str:
    return f'<a href="{html.escape(url)}">{html.escape(title)}</a>'


def render_html(digest: Digest) -> str:
    e = html.escape
    c = digest.counts
    parts = [
        "<!doctype html>",
        '<html><head><meta charset="utf-8">',
        f"<title>paperpulse digest, {digest.day}</title></head>",
        '<body style="font-family: sans-serif; max-width: 48em; margin: auto; line-height: 1.4">',
        f"<h1>paperpulse digest, {digest.day}</h1>",
        f"<p>{c['paper']} new papers, {c['claim']} new benchmark claims, {c['model']} models and "
        f"{c['dataset']} datasets named for the first time.</p>",
        f"<h2>Top papers (by {e(digest.top_papers_by)})</h2>",
    ]
    for heading, papers in digest.top_papers:
        if heading:
            parts.append(f"<h3>{e(heading)}</h3>")
        items = "".join(
            f"<li>{_html_link(p.title, p.url)}" + (f" ({e(p.note)})" if p.note else "") + "</li>"
            for p in papers
        )
        parts.append(f"<ul>{items}</ul>")
    parts.append("<h2>Rising topics</h2>")
    parts.append(
        '<table border="1" cellpadding="4" style="border-collapse: collapse"><tr><th>topic</th>'
        "<th>papers, last 7 days</th><th>papers, 28 days before</th><th>growth</th><th>trend</th></tr>"
        + "".join(
            f"<tr><td>{e(label)}</td><td>{r}</td><td>{b}</td><td>{g:.1f}</td><td>{e(t)}</td></tr>"
            for label, r, b, g, t in digest.rising_topics
        )
        + "</table>"
    )
    parts.append("<h2>Emerging phrases (not in the taxonomy yet)</h2>")
    phrases = "".join(
        f"<li>{e(phrase)}: {r} papers (28 days before: {b})</li>" for phrase, r, b in digest.emerging_phrases
    )
    parts.append(f"<ul>{phrases or '<li>none today</li>'}</ul>")
    parts.append("<h2>New state of the art</h2>")
    sota = "".join(
        f"<li><b>{e(c.model)} {e(c.value)}</b> on {e(c.board)} "
        f"(was {e(c.previous)}), {_html_link(c.title, c.url)}"
        f"<blockquote>{e(c.evidence)}</blockquote></li>"
        for c in digest.state_of_the_art
    )
    parts.append(f"<ul>{sota or '<li>none today</li>'}</ul>")
    if digest.new_boards[0]:
        parts.append(f"<p>{e(_new_boards_line(digest))}</p>")
    parts.append("<h2>New benchmark claims</h2>")
    claims = "".join(
        f"<li><b>{e(claim)}</b>, {_html_link(title, url)}<blockquote>{e(evidence)}</blockquote></li>"
        for claim, evidence, title, url in digest.claims
    )
    parts.append(f"<ul>{claims or '<li>none today</li>'}</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def message(digest: Digest, smtp: SmtpSettings) -> EmailMessage:
    """A multipart/alternative mail: the Markdown as the text part, the HTML beside it."""
    mail = EmailMessage()
    mail["Subject"] = digest.subject
    mail["From"] = smtp.sender
    mail["To"] = ", ".join(smtp.recipients)
    mail.set_content(render_markdown(digest))
    mail.add_alternative(render_html(digest), subtype="html")
    return mail


def send(digest: Digest, smtp: SmtpSettings, timeout: float = 30.0) -> None:
    if smtp.password_in_clear and not smtp.allow_plaintext:
        raise DigestNotSent(
            f"the digest for {digest.day} was not sent: with PAPERPULSE_SMTP_STARTTLS=false the password "
            f"would cross the network to {smtp.host}:{smtp.port} in clear. Turn STARTTLS on, or set "
            "PAPERPULSE_SMTP_ALLOW_PLAINTEXT=true for a relay on localhost or a trusted network"
        )
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as server:
            if smtp.starttls:
                server.starttls(context=ssl.create_default_context())
            if smtp.user:
                server.login(smtp.user, smtp.password.get_secret_value() if smtp.password else "")
            server.send_message(message(digest, smtp))
    except (OSError, smtplib.SMTPException) as error:
        raise DigestNotSent(
            f"the digest for {digest.day} could not be sent through {smtp.host}:{smtp.port}: {error}"
        ) from error


def _write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    atomic_write(path, text)
    return True


def deliver(
    settings: Settings, smtp: SmtpSettings | None = None, force_send: bool = False
) -> DigestReport | None:
    """Write the digest of the published marts' day; email it when SMTP settings are given (from
    `settings.smtp` unless passed) and it is new or changed since last written, or when force_send."""
    smtp = smtp or settings.smtp
    digest = compose(settings.serving_db)
    if digest is None:
        return None
    folder = settings.home / "digests"
    folder.mkdir(parents=True, exist_ok=True)
    markdown_path, html_path = folder / f"{digest.day}.md", folder / f"{digest.day}.html"
    changed = _write_if_changed(markdown_path, render_markdown(digest))
    changed = _write_if_changed(html_path, render_html(digest)) or changed
    if smtp and (changed or force_send):
        send(digest, smtp)
        return DigestReport(digest.day, markdown_path, html_path, changed, smtp.recipients)
    return DigestReport(digest.day, markdown_path, html_path, changed)
