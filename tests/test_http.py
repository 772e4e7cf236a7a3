"""The HTTP client against a real local server that misbehaves: attempts, waits and final errors."""

from __future__ import annotations

import email.utils
import itertools
import socket
import time

import pytest

from paperpulse.ingest import http
from paperpulse.ingest.http import FetchError
from tests.fault_server import Reply, settings_for

OK = Reply(200, b'{"ok": true}')


@pytest.fixture
def settings(tmp_path, server):
    return settings_for(tmp_path, server.url)


def fetch(server, settings, **kwargs) -> bytes:
    return http.get(f"{server.url}/x", {"date": "2024-10-25"}, settings, **kwargs)


def gaps(requests) -> list[float]:
    return [b.at - a.at for a, b in itertools.pairwise(requests)]


def test_success_is_one_request_with_the_params(server, settings):
    server.script("/x", OK)
    assert fetch(server, settings) == b'{"ok": true}'
    assert [r.query for r in server.hits("/x")] == [{"date": "2024-10-25"}]


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 429])
def test_retryable_statuses_are_retried_until_success(server, settings, status):
    server.script("/x", Reply(status, b"busy"), Reply(status, b"busy"), OK)
    assert fetch(server, settings) == OK.body
    assert len(server.hits("/x")) == 3


def test_a_source_that_stays_down_fails_after_bounded_attempts_naming_url_and_cause(server, settings):
    server.script("/x", Reply(503, b"down"))
    with pytest.raises(FetchError) as failure:
        fetch(server, settings)
    assert len(server.hits("/x")) == 4  # 1 + http_retries
    assert failure.value.attempts == 4
    assert failure.value.status == 503
    assert str(failure.value) == (
        f"GET {server.url}/x?date=2024-10-25 failed after 4 attempts: HTTP 503 Service Unavailable"
    )


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_client_errors_are_not_retried(server, settings, status):
    server.script("/x", Reply(status, b"no"), OK)
    with pytest.raises(FetchError, match=rf"after 1 attempt: HTTP {status} .*b'no'") as failure:
        fetch(server, settings)
    assert failure.value.status == status
    assert len(server.hits("/x")) == 1


def test_429_without_retry_after_backs_off_briefly(server, settings):
    server.script("/x", Reply(429), OK)
    assert fetch(server, settings) == OK.body
    (gap,) = gaps(server.hits("/x"))
    assert gap < 0.3  # full jitter under base 0.01 s: well under the 1 s of the next test


def test_429_retry_after_seconds_is_honoured(server, settings):
    server.script("/x", Reply(429, headers={"Retry-After": "1"}), OK)
    assert fetch(server, settings) == OK.body
    (gap,) = gaps(server.hits("/x"))
    assert gap >= 0.95


def test_503_retry_after_http_date_is_honoured(server, settings):
    # HTTP dates have whole seconds: 1.6 s from now is a wait of 0.6 to 1.6 s.
    when = email.utils.formatdate(time.time() + 1.6, usegmt=True)
    server.script("/x", Reply(503, headers={"Retry-After": when}), OK)
    assert fetch(server, settings) == OK.body
    (gap,) = gaps(server.hits("/x"))
    assert gap >= 0.5


def test_retry_after_longer_than_the_cap_fails_at_once(server, settings):
    server.script("/x", Reply(429, headers={"Retry-After": "3600"}), OK)
    with pytest.raises(FetchError, match=r"after 1 attempt: HTTP 429 .*asks to wait 3600 s, longer than"):
        fetch(server, settings)
    assert len(server.hits("/x")) == 1


def test_slow_response_times_out_and_is_retried(server, settings):
    server.script("/x", Reply(200, b"late", delay=0.6), OK)
    assert fetch(server, settings.replace(http_timeout=0.2)) == OK.body
    assert len(server.hits("/x")) == 2


def test_always_slow_fails_with_a_timeout(server, settings):
    server.script("/x", Reply(200, b"late", delay=0.6))
    with pytest.raises(FetchError, match=r"after 2 attempts: timed out \(ReadTimeout"):
        fetch(server, settings.replace(http_timeout=0.2, http_retries=1))
    assert len(server.hits("/x")) == 2


def test_a_body_dripping_past_the_timeout_is_cut_off_and_retried(server, settings):
    # Each 8-byte piece comes well within the read timeout; the whole would take 1.25 s.
    server.script("/x", Reply(200, b"x" * 200, drip=0.05), OK)
    started = time.monotonic()
    assert fetch(server, settings.replace(http_timeout=0.3)) == OK.body
    assert len(server.hits("/x")) == 2
    assert time.monotonic() - started < 1.0


def test_connection_reset_before_or_during_the_body_is_retried(server, settings):
    server.script("/x", Reply(reset=True), Reply(200, b"0123456789" * 10, truncate=30, reset=True), OK)
    assert fetch(server, settings) == OK.body
    assert len(server.hits("/x")) == 3


def test_always_reset_fails_naming_the_reset(server, settings):
    server.script("/x", Reply(reset=True))
    with pytest.raises(FetchError, match=r"after 4 attempts: connection failed \(ReadError: .*reset by peer"):
        fetch(server, settings)


def test_truncated_body_is_retried(server, settings):
    body = b'[{"paper": 1}, {"paper": 2}]'
    server.script("/x", Reply(200, body, truncate=10), Reply(200, body))
    assert fetch(server, settings) == body
    assert len(server.hits("/x")) == 2


def test_always_truncated_fails_naming_the_mismatch(server, settings):
    server.script("/x", Reply(200, b"0123456789" * 10, truncate=40))
    with pytest.raises(FetchError, match=r"after 4 attempts: incomplete response \(RemoteProtocolError"):
        fetch(server, settings)


def test_nothing_listening_fails_after_bounded_attempts(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(FetchError, match=r"after 4 attempts: connection failed \(ConnectError"):
        http.get(f"{url}/x", None, settings_for(tmp_path, url))


def test_connect_timeout_is_retried_then_fails(tmp_path):
    # A listener that never accepts, its queue already full: new connections hang in the handshake.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        fillers = [socket.socket() for _ in range(3)]
        for f in fillers:
            f.setblocking(False)
            f.connect_ex(listener.getsockname())
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        settings = settings_for(tmp_path, url, http_timeout=0.2, http_retries=1)
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"after 2 attempts: timed out \(ConnectTimeout"):
            http.get(f"{url}/x", None, settings)
        assert 0.4 <= time.monotonic() - started < 2
        for f in fillers:
            f.close()


def test_retry_body_retries_a_throttling_page_served_as_200(server, settings):
    server.script("/x", Reply(200, b"Rate exceeded."), OK)

    def throttled(body: bytes) -> str | None:
        return "throttled" if body.strip() == b"Rate exceeded." else None

    assert fetch(server, settings, retry_body=throttled) == OK.body
    assert len(server.hits("/x")) == 2


def test_min_interval_spaces_every_request_to_a_host_including_retries(server, settings):
    server.script("/x", Reply(500), OK)
    fetch(server, settings, min_interval=0.2)
    fetch(server, settings, min_interval=0.2)
    hits = server.hits("/x")
    assert len(hits) == 3
    # Arrival times carry some scheduling jitter on a busy machine; unpaced, the gaps would be ~0.01 s.
    assert all(gap >= 0.15 for gap in gaps(hits))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("7", 7.0),
        ("-3", 0.0),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_retry_after_seconds(value, expected):
    assert http.retry_after_seconds(value) == expected


def test_backoff_is_full_jitter_under_the_cap(tmp_path):
    settings = settings_for(tmp_path, http_backoff_base=1.0, http_backoff_cap=5.0)
    waits = [http.backoff(retry, settings) for retry in range(6) for _ in range(50)]
    assert all(0 <= w <= 5.0 for w in waits)
    assert max(http.backoff(0, settings) for _ in range(50)) <= 1.0
    assert len(set(waits)) > 250  # random, not a fixed schedule
