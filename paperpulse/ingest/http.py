"""One HTTP GET with bounded retries, the only way sources reach the network.

Retried: timeouts (connecting, or the whole response taking longer than the timeout), connection
errors and resets, truncated bodies (fewer bytes than Content-Length), HTTP 408, 429 and 5xx, and
bodies a source calls throttling (`retry_body`). Waits use exponential backoff with full jitter, or
the server's Retry-After when it names one. Any other 4xx fails at once. When every attempt
failed, FetchError names the URL, the attempts and the last cause.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import httpx

from paperpulse.errors import SourceFailed
from paperpulse.settings import Settings

log = logging.getLogger(__name__)

USER_AGENT = "paperpulse (open ML-research tracking pipeline)"
RETRY_STATUSES = frozenset({408, 429})


class FetchError(SourceFailed):
    """A request that did not succeed: after all its attempts, or at once for a client error."""

    def __init__(self, url: str, attempts: int, cause: str, status: int | None = None):
        self.url, self.attempts, self.cause, self.status = url, attempts, cause, status
        plural = "" if attempts == 1 else "s"
        super().__init__(f"GET {url} failed after {attempts} attempt{plural}: {cause}")


class _Failed(Exception):
    """An attempt that failed; `retry` says whether trying again may help."""

    def __init__(self, cause: str, retry: bool = True, retry_after: float | None = None, status=None):
        super().__init__(cause)
        self.cause, self.retry, self.retry_after, self.status = cause, retry, retry_after, status


class Pacer:
    """Keeps requests to one host at least `interval` seconds apart, across threads.

    Each caller reserves the next free slot under the lock and sleeps outside it, so concurrent
    callers queue up instead of all firing when the interval ends.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}

    def wait(self, host: str, interval: float) -> None:
        if interval <= 0:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next.get(host, 0.0))
            self._next[host] = start + interval
        time.sleep(start - now)


PACER = Pacer()


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff(retry: int, settings: Settings) -> float:
    """Full jitter: a uniform wait up to min(cap, base * 2**retry), retry counting from 0."""
    return random.uniform(0, min(settings.http_backoff_cap, settings.http_backoff_base * 2**retry))


def _attempt(client: httpx.Client, url: str, params: Mapping | None, settings: Settings, retry_body) -> bytes:
    deadline = time.monotonic() + settings.http_timeout
    try:
        with client.stream("GET", url, params=params) as response:
            chunks = []
            # httpx's timeout bounds each read; this bounds a server that drips bytes slowly.
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise _Failed(f"response not complete within {settings.http_timeout:g} s")
    except httpx.TimeoutException as e:
        raise _Failed(f"timed out ({type(e).__name__}: {e})") from e
    except (httpx.RemoteProtocolError, httpx.DecodingError) as e:
        # Includes a body shorter than its Content-Length, and a connection closed before the reply.
        raise _Failed(f"incomplete response ({type(e).__name__}: {e})") from e
    except (httpx.UnsupportedProtocol, httpx.TooManyRedirects) as e:
        raise _Failed(f"{type(e).__name__}: {e}", retry=False) from e
    except httpx.TransportError as e:
        raise _Failed(f"connection failed ({type(e).__name__}: {e})") from e

    status = response.status_code
    body = b"".join(chunks)
    header = response.headers.get("Retry-After")
    retry_after = retry_after_seconds(header)
    said = f"HTTP {status} {response.reason_phrase}" + (f" (Retry-After: {header})" if header else "")
    if status in RETRY_STATUSES or status >= 500:
        raise _Failed(said, retry_after=retry_after, status=status)
    if not 200 <= status < 300:
        raise _Failed(f"{said}: {body[:200]!r}", retry=False, status=status)
    if retry_body is not None and (reason := retry_body(body)):
        raise _Failed(reason, retry_after=retry_after, status=status)
    return body


def get(
    url: str,
    params: Mapping | None,
    settings: Settings,
    *,
    min_interval: float = 0.0,
    retry_body: Callable[[bytes], str | None] | None = None,
) -> bytes:
    """GET url?params and return the body of the first successful attempt.

    min_interval: seconds to keep between any two requests to this host (every attempt counts).
    retry_body: given a 2xx body, returns why it should be retried (a throttling page), or None.
    """
    host = urlsplit(url).netloc
    shown = str(httpx.URL(url, params=params))  # what error messages name
    attempts = settings.http_retries + 1
    timeout = httpx.Timeout(settings.http_timeout)
    with httpx.Client(timeout=timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT}) as client:
        for attempt in range(1, attempts + 1):
            PACER.wait(host, min_interval)
            try:
                return _attempt(client, url, params, settings, retry_body)
            except _Failed as e:
                failure = e
            if not failure.retry:
                raise FetchError(shown, attempt, failure.cause, failure.status)
            if attempt == attempts:
                break
            if failure.retry_after is None:
                wait = backoff(attempt - 1, settings)
            elif failure.retry_after <= settings.http_backoff_cap:
                wait = failure.retry_after
            else:
                # Retrying sooner than the server asked only earns more refusals.
                cause = (
                    f"{failure.cause}; the server asks to wait {failure.retry_after:.0f} s, "
                    f"longer than PAPERPULSE_HTTP_BACKOFF_CAP ({settings.http_backoff_cap:g} s)"
                )
                raise FetchError(shown, attempt, cause, failure.status)
            log.warning(
                "GET %s attempt %d/%d: %s; retrying in %.2f s", shown, attempt, attempts, failure.cause, wait
            )
            time.sleep(wait)
    raise FetchError(shown, attempts, failure.cause, failure.status)
