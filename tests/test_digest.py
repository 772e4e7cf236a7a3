"""The daily digest: written after every run from the published marts, and emailed (text and HTML)
through a real SMTP server that the test starts."""

from __future__ import annotations

import email
import html
import re
import socket
import time
from email import policy

import duckdb
import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from paperpulse import digest
from paperpulse.errors import DigestNotSent
from paperpulse.settings import Settings, SmtpSettings
from paperpulse.text import plain
from tests.conftest import REPO, copy_home, run_cli

DAY = "2024-03-11"


def exposure_marts(name: str) -> set[str]:
    spec = yaml.safe_load((REPO / "dbt" / "models" / "marts" / "_marts.yml").read_text())
    (exposure,) = [e for e in spec["exposures"] if e["name"] == name]
    return {re.fullmatch(r"ref\('(\w+)'\)", ref).group(1) for ref in exposure["depends_on"]}


def only_marts(serving, marts: set[str], destination):
    """A copy of the serving file holding only `marts` (and publish_info)."""
    with duckdb.connect(str(destination)) as con:
        con.execute(f"attach '{serving}' as serving (read_only)")
        for table in (*marts, "publish_info"):
            con.execute(f"create table {table} as select * from serving.{table}")
    return destination


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailDrop:
    """aiosmtpd handler: keeps every message it is given, and who logged in."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"pp",
            b"s3cret",
        )
        if ok:
            self.logins.append(auth_data.login)
        return AuthResult(success=ok)


@pytest.fixture
def smtp_server():
    drop = MailDrop()
    controller = Controller(
        drop, hostname="127.0.0.1", port=free_port(), authenticator=drop.authenticate, auth_require_tls=False
    )
    controller.start()
    yield controller, drop
    controller.stop()


@pytest.fixture
def home(published_home, tmp_path, monkeypatch):
    home = copy_home(published_home, tmp_path / "warehouse")
    monkeypatch.setenv("PAPERPULSE_HOME", str(home))
    return home


def smtp_env(monkeypatch, port: int, allow_plaintext: bool = True) -> None:
    """A relay on localhost without TLS (the test server's), the password allowed in clear."""
    for key, value in {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "USER": "pp",
        "PASSWORD": "s3cret",
        "FROM": "paperpulse@example.org",
        "TO": "ana@example.org, bo@example.org",
        "STARTTLS": "false",
        "ALLOW_PLAINTEXT": str(allow_plaintext).lower(),
    }.items():
        monkeypatch.setenv(f"PAPERPULSE_SMTP_{key}", value)


def test_a_run_writes_the_digest_of_its_day(first_run):
    home, printed = first_run
    markdown = (home / "digests" / f"{DAY}.md").read_text()
    page = (home / "digests" / f"{DAY}.html").read_text()
    assert f"digest:    {home / 'digests' / f'{DAY}.md'}" in printed
    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        top_topic = con.execute(
            "select topic_label from trending_topics order by rank, topic_label"
        ).fetchone()[0]
        claims = con.execute("select count(*) from whats_new where item_type = 'claim'").fetchone()[0]
        phrase = con.execute("select phrase from emerging_phrases order by rank, phrase").fetchone()[0]
        boards = con.execute("select count(*) from boards").fetchone()[0]
    assert markdown.startswith(f"# paperpulse digest, {DAY}\n\n139 new papers, {claims} new benchmark claims")
    # no source of the bundled page counts upvotes, so the top papers come under the rising topics
    assert "## Top papers (by topic)" in markdown and f"### {top_topic}" in markdown
    assert f"| {top_topic} | " in markdown and f"- {phrase}: " in markdown
    # one day of papers: every board opens today, none is raised
    assert (
        f"## New state of the art\n\n- none today\n\n{boards} boards opened today (their first results): "
        in markdown
    )
    assert "## New benchmark claims" in markdown and markdown.count("\n  > ") == digest.CLAIMS_SHOWN
    assert "<h2>New benchmark claims</h2>" in page and "<blockquote>" in page
    assert top_topic.replace("&", "&amp;") in page
    first_claim, evidence, *_ = digest.compose(home / "serving.duckdb").claims[0]
    assert not first_claim.startswith("(no model)")  # claims a reader can place come first
    assert html.escape(evidence) in page and f"  > {digest.markdown_text(evidence)}" in markdown


def test_the_digest_is_emailed_as_text_and_html_and_not_again_when_unchanged(home, smtp_server, monkeypatch):
    controller, drop = smtp_server
    smtp_env(monkeypatch, controller.port)
    for written in (home / "digests").iterdir():
        written.unlink()  # as if this run were the first of the day

    report = digest.deliver(Settings.from_env())

    assert report.emailed_to == ("ana@example.org", "bo@example.org")
    assert drop.logins == [b"pp"]
    assert drop.envelopes == [("paperpulse@example.org", ["ana@example.org", "bo@example.org"])]
    (mail,) = drop.messages
    assert mail["Subject"].startswith(f"paperpulse digest {DAY}: 139 new papers, ")
    assert mail["To"] == "ana@example.org, bo@example.org"
    assert mail.get_content_type() == "multipart/alternative"
    text, html = (part.get_content().replace("\r\n", "\n") for part in mail.iter_parts())
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert text == report.markdown_path.read_text()
    assert html == report.html_path.read_text()
    assert "## Rising topics" in text and "<h2>Rising topics</h2>" in html

    again = digest.deliver(Settings.from_env())  # the next run of the same day changed nothing
    time.sleep(0.2)
    assert not again.changed and again.emailed_to == ()
    assert len(drop.messages) == 1


def test_top_papers_go_by_upvotes_when_a_source_counts_them(home, tmp_path):
    with duckdb.connect(str(home / "serving.duckdb")) as con:
        con.execute(
            "update dim_papers set upvotes = 100 - row_number from "
            "(select paper_id, row_number() over (order by paper_id) as row_number from dim_papers limit 12) "
            "as voted where dim_papers.paper_id = voted.paper_id"
        )
        expected = [
            t
            for (t,) in con.execute(
                "select title from dim_papers order by upvotes desc nulls last, title"
            ).fetchall()
        ]
    composed = digest.compose(home / "serving.duckdb")
    assert composed.top_papers_by == "upvotes"
    (_, papers), *_ = composed.top_papers
    assert [p.title for p in papers] == expected[: digest.TOP_PAPERS]
    assert papers[0].note == "99 upvotes"
    assert "## Top papers (by upvotes)" in digest.render_markdown(composed)


def test_a_mail_server_that_does_not_answer_is_a_clear_error_and_the_digest_is_still_written(
    home, monkeypatch
):
    smtp_env(monkeypatch, free_port())  # nothing listens there
    for written in (home / "digests").iterdir():
        written.unlink()
    with pytest.raises(DigestNotSent, match=rf"digest for {DAY} could not be sent through 127.0.0.1:\d+"):
        digest.deliver(Settings.from_env())
    assert (home / "digests" / f"{DAY}.md").exists() and (home / "digests" / f"{DAY}.html").exists()


def test_smtp_settings_from_the_environment(monkeypatch):
    for key in ("HOST", "PORT", "USER", "PASSWORD", "FROM", "TO", "STARTTLS", "ALLOW_PLAINTEXT"):
        monkeypatch.delenv(f"PAPERPULSE_SMTP_{key}", raising=False)
    assert Settings.from_env().smtp is None  # no host: write only
    monkeypatch.setenv("PAPERPULSE_SMTP_HOST", "mail.example.org")
    with pytest.raises(ValueError, match="PAPERPULSE_SMTP_TO"):
        Settings.from_env().smtp  # noqa: B018
    monkeypatch.setenv("PAPERPULSE_SMTP_TO", "a@example.org, b@example.org")
    monkeypatch.setenv("PAPERPULSE_SMTP_USER", "me@example.org")
    assert Settings.from_env().smtp == SmtpSettings(
        host="mail.example.org", port=587, sender="me@example.org",
        recipients=("a@example.org", "b@example.org"), user="me@example.org", password=None, starttls=True,
    )  # fmt: skip
    monkeypatch.setenv("PAPERPULSE_SMTP_PASSWORD", "s3cret")
    settings = Settings.from_env()
    assert settings.smtp.password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings) and "s3cret" not in repr(settings.smtp)  # never in a log
    monkeypatch.setenv("PAPERPULSE_SMTP_PORT", "mail")
    with pytest.raises(ValueError, match="PAPERPULSE_SMTP_PORT='mail'"):
        Settings.from_env()


def test_a_password_is_never_sent_in_clear_unless_allowed(home, smtp_server, monkeypatch):
    controller, drop = smtp_server
    smtp_env(monkeypatch, controller.port, allow_plaintext=False)  # STARTTLS off, a password
    for written in (home / "digests").iterdir():
        written.unlink()
    refused = run_cli(home, "digest", "--send", check=False)
    assert refused.returncode == 1
    assert refused.stderr == (
        f"paperpulse digest: the digest for {DAY} was not sent: with PAPERPULSE_SMTP_STARTTLS=false the "
        f"password would cross the network to 127.0.0.1:{controller.port} in clear. Turn STARTTLS on, or set "
        "PAPERPULSE_SMTP_ALLOW_PLAINTEXT=true for a relay on localhost or a trusted network\n"
    )
    assert drop.logins == [] and drop.messages == []  # it never even connected
    assert (home / "digests" / f"{DAY}.md").exists()  # written all the same

    monkeypatch.setenv("PAPERPULSE_SMTP_ALLOW_PLAINTEXT", "true")
    assert digest.deliver(Settings.from_env(), force_send=True).emailed_to
    assert drop.logins == [b"pp"]

    monkeypatch.delenv("PAPERPULSE_SMTP_PASSWORD")  # nothing secret to send: no need to allow it
    monkeypatch.delenv("PAPERPULSE_SMTP_ALLOW_PLAINTEXT")
    assert not Settings.from_env().smtp.password_in_clear


def test_the_digest_reads_only_the_marts_its_exposure_lists(published_home, tmp_path):
    marts = exposure_marts("paperpulse_daily_digest")
    subset = only_marts(published_home / "serving.duckdb", marts, tmp_path / "subset.duckdb")
    assert digest.compose(subset) == digest.compose(published_home / "serving.duckdb")


def top_paper_lines(markdown: str) -> dict[str, list[str]]:
    """The Markdown digest's top papers: heading -> its paper lines."""
    section = markdown.split("## Top papers", 1)[1].split("\n## ", 1)[0]
    groups: dict[str, list[str]] = {}
    heading = ""
    for line in section.splitlines():
        if line.startswith("### "):
            heading = line[4:]
        elif line.startswith("- "):
            groups.setdefault(heading, []).append(line)
    return groups


def test_a_paper_is_listed_only_under_a_topic_it_matches(first_run):
    """Squeezeformer, a speech model, once appeared under Large language models: its abstract says
    "without external language models" once. Now one passing use is no match, and each paper goes under the
    shown topic it matches most strongly."""
    home, _ = first_run
    composed = digest.compose(home / "serving.duckdb")
    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        matched = set(
            con.execute(
                "select pt.topic_label, p.title from paper_topics pt join dim_papers p using (paper_id)"
            ).fetchall()
        )
        squeezeformer = {
            label
            for (label,) in con.execute(
                "select topic_label from paper_topics join dim_papers using (paper_id) "
                "where title like 'Squeezeformer:%'"
            ).fetchall()
        }
    listed = [(heading, paper.title) for heading, papers in composed.top_papers for paper in papers]
    assert len(listed) >= 10
    assert all((heading, title) in matched for heading, title in listed)
    assert "Large language models" not in squeezeformer
    assert squeezeformer == {"Speech & audio", "Architectures & sequence models"}
    groups = top_paper_lines(digest.render_markdown(composed))
    assert not any("Squeezeformer" in line for line in groups.get("Large language models", []))


def test_every_paper_in_the_digest_is_a_link(first_run):
    home, _ = first_run
    markdown = (home / "digests" / f"{DAY}.md").read_text()
    page = (home / "digests" / f"{DAY}.html").read_text()
    papers = [line for lines in top_paper_lines(markdown).values() for line in lines]
    claims = [line for line in markdown.splitlines() if line.startswith("- **")]
    assert papers and claims
    # the bundled page gives no arXiv ids: a paper links to arXiv's search for its title
    link = re.compile(r"\]\(https://arxiv\.org/(abs/\S+|search/\?searchtype=title&query=\S+)\)")
    assert all(link.search(line) for line in papers + claims), [
        line for line in papers if not link.search(line)
    ]
    items = re.findall(r"<li>(.*?)</li>", page.split("<h2>Rising topics</h2>")[0], re.S)
    items += re.findall(r"<li><b>.*?</li>", page.split("<h2>New benchmark claims</h2>")[1], re.S)
    assert items and all('<a href="https://arxiv.org/' in item for item in items)


LATEX = [r"\%", "Table~1", r"$\times$", r"\textbf", r"\emph", "$"]


def test_the_digest_shows_no_latex(home):
    """Titles, claims and evidence as arXiv has them, LaTeX and all, are shown as plain text."""
    with duckdb.connect(str(home / "serving.duckdb")) as con:
        con.execute(
            r"update dim_papers set title = title || ': 93.3\% in Table~1, 3$\times$ faster, \textbf{bold}'"
        )
        con.execute(r"""update whats_new set detail = detail || ' (93.3\% on Table~1, 3$\times$ \textbf{x})',
            name = name || ' \emph{93.3\%}', paper_title = paper_title || ' \textbf{b}'""")
    composed = digest.compose(home / "serving.duckdb")
    texts = [digest.render_markdown(composed), digest.render_html(composed)]
    for text in texts:
        assert not [leftover for leftover in LATEX if leftover in text]
        assert "93.3% in Table 1, 3× faster, bold" in text
        assert "93.3% on Table 1, 3× x" in text


def test_latex_leftovers_become_plain_text():
    assert plain(r"achieves 93.3\% top-1 on ImageNet~\cite{deng}") == "achieves 93.3% top-1 on ImageNet"
    assert plain(r"a 3$\times$ speedup with $\alpha \leq 0.5$") == "a 3× speedup with α ≤ 0.5"
    assert plain(r"\textbf{Code: \href{this https URL}{\texttt{\textcolor{cyan}{here}}}}") == "Code: here"
    assert plain(r"see Fig.~2 and \emph{et~al.} --- ``quoted''") == "see Fig. 2 and et al. — “quoted”"
    assert plain(r"$O(n^{2})$ and TP\_rate \& more") == "O(n^2) and TP_rate & more"
    assert plain("no markup here: 93.3% ~10x") == "no markup here: 93.3% ~10x"
