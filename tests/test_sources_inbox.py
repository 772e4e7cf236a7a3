"""The inbox source: which files are ready, parsing JSON Lines with line numbers, settling files."""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import date
from pathlib import Path

import pytest

from paperpulse.ingest.sources import Payload, Rejected, get, inbox
from tests.fault_server import settings_for

DAY = date(2025, 3, 11)
OFFLINE = settings_for(Path("unused"))
SNAPSHOT_LINE = (Path(__file__).parent / "fixtures" / "arxiv_kaggle_oai_snapshot_line.jsonl").read_bytes()
ABSTRACT = "We study how retrieval-augmented language models fare on MMLU and GSM8K benchmarks. " * 2


def line(**fields) -> str:
    return json.dumps({"title": "A paper", "abstract": ABSTRACT} | fields)


@pytest.fixture
def settings(tmp_path):
    settings = settings_for(tmp_path, inbox_dir=tmp_path / "inbox")
    settings.inbox_dir.mkdir()
    return settings


def drop(settings, name: str, text: str, mtime: int | None = None) -> Path:
    path = settings.inbox_dir / name
    path.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def parse(name: str, body: bytes | str) -> list:
    body = body.encode() if isinstance(body, str) else body
    return list(inbox.parse(Payload(name, body), DAY, OFFLINE))


def test_only_fully_written_files_are_ready_oldest_first(settings):
    drop(settings, "late.jsonl", line(), mtime=2_000_000_000)
    drop(settings, "early.jsonl", line(), mtime=1_000_000_000)
    drop(settings, "notes.txt", "hello", mtime=1_500_000_000)
    for unfinished in (".hidden.jsonl", "writing.jsonl.tmp", "download.jsonl.part"):
        drop(settings, unfinished, '{"title": "half')
    (settings.inbox_dir / "processed").mkdir()
    assert [p.name for p in inbox.ready_files(settings)] == ["early.jsonl", "notes.txt", "late.jsonl"]


def test_write_then_rename_makes_a_file_ready(settings):
    tmp = drop(settings, ".batch.jsonl.tmp", line())
    assert inbox.ready_files(settings) == []
    tmp.rename(settings.inbox_dir / "batch.jsonl")
    assert [p.name for p in inbox.ready_files(settings)] == ["batch.jsonl"]


def test_a_missing_inbox_has_nothing_ready(tmp_path):
    assert inbox.ready_files(settings_for(tmp_path)) == []


def test_fetch_returns_each_ready_file_byte_exact_and_the_registry_knows_the_inbox(settings):
    drop(settings, "a.jsonl", line() + "\n")
    drop(settings, "b.jsonl.part", line())
    assert get("inbox") is inbox.SOURCE
    assert list(inbox.fetch(DAY, settings)) == [Payload("a.jsonl", (line() + "\n").encode())]


def test_lines_become_records_keyed_by_arxiv_id_or_title():
    body = "\n".join(
        [
            line(title="Versioned", arxiv_id="2410.17243v2", listed_date="2025-03-01", venue="ACL"),
            "",
            line(title="By  id\n  field", id="hep-th/9901001"),
            line(title="No id at all"),
        ]
    )
    first, second, third = parse("drop.jsonl", body)
    assert first == {
        "paper_id": "2410.17243",
        "arxiv_id": "2410.17243",
        "title": "Versioned",
        "abstract": ABSTRACT.strip(),
        "source": "inbox",
        "listed_date": "2025-03-01",
        "extra": {"venue": "ACL", "version": "v2"},
        "line": 1,
    }
    assert (second["arxiv_id"], second["title"], second["listed_date"]) == (
        "hep-th/9901001",
        "By id field",
        "2025-03-11",
    )
    assert second["extra"] == {} and (second["line"], third["line"]) == (3, 4)
    assert third["arxiv_id"] is None and third["paper_id"].startswith("t-")


def test_a_line_of_the_arxiv_metadata_snapshot_is_a_valid_line():
    (record,) = parse("snapshot.jsonl", SNAPSHOT_LINE)
    assert record["arxiv_id"] == "0704.0001"
    assert (
        record["title"]
        == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert record["abstract"].startswith(
        "A fully differential calculation in perturbative quantum chromodynamics is presented"
    )
    assert record["extra"]["categories"] == "hep-ph"
    assert record["extra"]["versions"][1]["version"] == "v2"


def test_bad_lines_are_rejected_with_their_line_number_and_the_rest_load():
    lines = [
        line(title="Good"),
        '{"title": "Broken", "abstract": ',
        json.dumps({"title": "No abstract"}),
        line(abstract="Too short."),
        line(listed_date="11/03/2025"),
        line(arxiv_id="arXiv 2410"),
        "[1, 2]",
        line(title=42),
    ]
    items = parse("mixed.jsonl", "\n".join(lines) + "\n")
    assert [i["title"] for i in items if isinstance(i, dict)] == ["Good"]
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert [r.reason for r in rejected] == [
        "mixed.jsonl line 2: not JSON (Expecting value: line 1 column 33 (char 32))",
        "mixed.jsonl line 3: missing field abstract",
        "mixed.jsonl line 4: abstract shorter than 50 characters",
        "mixed.jsonl line 5: listed_date '11/03/2025' is not a YYYY-MM-DD date",
        "mixed.jsonl line 6: 'arXiv 2410' is not an arXiv id",
        "mixed.jsonl line 7: a line is a JSON object, not list",
        "mixed.jsonl line 8: field title is not text",
    ]
    assert [r.payload for r in rejected] == lines[1:]


def test_a_line_separator_inside_a_string_does_not_split_the_line():
    (record,) = parse("u2028.jsonl", line(title="Two\u2028parts") + "\r\n")
    assert record["title"] == "Two parts"


def test_a_file_that_is_not_json_lines_is_one_rejection():
    (rejected,) = parse("papers.json", b"[]")
    assert rejected.reason == "papers.json: not a .jsonl file"


def test_a_bad_byte_costs_only_its_line():
    good = [line(title=f"Good {n}").encode() for n in (1, 2)]
    items = parse("latin1.jsonl", b"\n".join([good[0], b'{"title": "Caf\xe9"}', good[1]]) + b"\n")
    assert [(i["title"], i["line"]) for i in items if isinstance(i, dict)] == [("Good 1", 1), ("Good 2", 3)]
    (rejected,) = [i for i in items if isinstance(i, Rejected)]
    assert rejected.reason.startswith(
        "latin1.jsonl line 2: not UTF-8 text ('utf-8' codec can't decode byte 0xe9"
    )
    assert rejected.payload == '{"title": "Caf\ufffd"}'


def test_a_byte_order_mark_is_tolerated():
    (record,) = parse("bom.jsonl", b"\xef\xbb\xbf" + line().encode())
    assert record["title"] == "A paper"


def settle(settings, path: Path) -> Path:
    return inbox.settle(path, list(inbox.parse(inbox.read(path), DAY, settings)), settings)


def test_a_good_file_moves_to_processed(settings):
    moved = settle(settings, drop(settings, "good.jsonl", line() + "\n"))
    assert moved == settings.inbox_processed_dir / "good.jsonl"
    assert moved.read_text() == line() + "\n"
    assert not (settings.inbox_dir / "good.jsonl").exists()
    assert not moved.with_name("good.jsonl.reason.txt").exists()


def test_a_partly_bad_file_is_processed_with_the_reasons_beside_it(settings):
    moved = settle(settings, drop(settings, "partly.jsonl", line() + "\n{oops\n"))
    assert moved == settings.inbox_processed_dir / "partly.jsonl"
    reason = moved.with_name("partly.jsonl.reason.txt").read_text()
    assert reason.startswith("partly.jsonl line 2: not JSON (")


def test_a_file_without_any_good_line_moves_to_rejected_with_a_reason_file(settings):
    moved = settle(settings, drop(settings, "bad.jsonl", '{"title": "x"}\n[]\n'))
    assert moved == settings.inbox_rejected_dir / "bad.jsonl"
    assert moved.with_name("bad.jsonl.reason.txt").read_text() == (
        "bad.jsonl line 1: missing field abstract\nbad.jsonl line 2: a line is a JSON object, not list\n"
    )


def test_an_empty_file_is_rejected(settings):
    moved = settle(settings, drop(settings, "empty.jsonl", "\n"))
    assert moved.with_name("empty.jsonl.reason.txt").read_text() == "empty.jsonl: no papers in the file\n"


def test_a_name_dropped_twice_keeps_both_files(settings):
    first = settle(settings, drop(settings, "daily.jsonl", line(title="First") + "\n"))
    second = settle(settings, drop(settings, "daily.jsonl", line(title="Second") + "\n"))
    assert (first.name, second.name) == ("daily.jsonl", "daily.1.jsonl")
    assert "Second" in second.read_text()


def test_a_micro_batch_empties_the_inbox_and_leaves_unfinished_files(settings):
    drop(settings, "a.jsonl", line(title="A") + "\n")
    drop(settings, "b.jsonl", "nonsense\n")
    drop(settings, "c.jsonl.part", line(title="C"))
    loaded = []
    for path in inbox.ready_files(settings):
        items = list(inbox.parse(inbox.read(path), DAY, settings))
        loaded += [i["title"] for i in items if isinstance(i, dict)]
        inbox.settle(path, items, settings)
    assert loaded == ["A"]
    assert sorted(p.name for p in settings.inbox_dir.iterdir() if p.is_file()) == ["c.jsonl.part"]
    assert sorted(p.name for p in settings.inbox_processed_dir.iterdir()) == ["a.jsonl"]
    assert sorted(p.name for p in settings.inbox_rejected_dir.iterdir()) == ["b.jsonl", "b.jsonl.reason.txt"]


def test_a_file_named_as_unfinished_is_reported_once_past_the_grace(settings):
    old = time.time() - 2 * 3600
    drop(settings, ".forgotten.jsonl", line(), mtime=int(old))
    drop(settings, "stuck.jsonl.part", line(), mtime=int(old))
    drop(settings, ".just-started.jsonl.tmp", line())
    drop(settings, "ready.jsonl", line(), mtime=int(old))
    assert inbox.overdue_files(settings) == [".forgotten.jsonl", "stuck.jsonl.part"]
    assert inbox.overdue_files(settings.replace(inbox_grace=3 * 3600)) == []


def test_links_and_other_non_files_are_taken_to_be_rejected_and_never_read(settings, tmp_path):
    outside = tmp_path / "outside.jsonl"
    outside.write_text(line(title="Never read through a link") + "\n")
    (settings.inbox_dir / "link.jsonl").symlink_to(outside)
    (settings.inbox_dir / "dangling.jsonl").symlink_to(tmp_path / "nowhere")
    os.mkfifo(settings.inbox_dir / "pipe.jsonl")
    (settings.inbox_dir / "folder.jsonl").mkdir()
    drop(settings, "good.jsonl", line())
    taken = sorted(p.name for p in inbox.ready_files(settings))
    assert taken == ["dangling.jsonl", "good.jsonl", "link.jsonl", "pipe.jsonl"]
    with pytest.raises(inbox.CannotLand, match=rf"^a symbolic link \(to {outside}\), never followed$"):
        inbox.read(settings.inbox_dir / "link.jsonl")
    with pytest.raises(inbox.CannotLand, match="never followed"):
        inbox.read(settings.inbox_dir / "dangling.jsonl")
    with pytest.raises(inbox.CannotLand, match=r"^not a regular file$"):  # and it does not block
        inbox.read(settings.inbox_dir / "pipe.jsonl")
    assert [p.name for p in inbox.fetch(DAY, settings)] == ["good.jsonl"]


def test_a_file_that_may_not_be_read_cannot_land(tmp_path):
    folder = Path(tempfile.mkdtemp())  # world-traversable, unlike tmp_path, for the unprivileged child
    try:
        folder.chmod(0o755)
        secret = folder / "secret.jsonl"
        secret.write_text(line())
        secret.chmod(0o000)
        if os.geteuid() != 0:
            with pytest.raises(inbox.CannotLand, match=r"^cannot be read: Permission denied$"):
                inbox.read(secret)
            return
        # root reads through permissions: read it as nobody, in a child process
        child = os.fork()
        if child == 0:
            os.setgid(65534)
            os.setuid(65534)
            try:
                inbox.read(secret)
                os._exit(1)
            except inbox.CannotLand as error:
                os._exit(0 if str(error) == "cannot be read: Permission denied" else 2)
            except BaseException:
                os._exit(3)
        assert os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) == 0
    finally:
        secret.unlink()
        folder.rmdir()
