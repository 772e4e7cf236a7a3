"""A real HTTP server on 127.0.0.1 that misbehaves on purpose, for testing the sources' client.

Each path is routed to a function of the request that returns a Reply; `script` routes a path to
a list of replies played in order (the last one repeats). Every request is recorded with its
query and arrival time, so tests assert how many attempts were made and how far apart.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from paperpulse.settings import Settings


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line: a slow server
    drip: float = 0.0  # seconds between 8-byte pieces of the body: a slow transfer
    truncate: int | None = None  # send only this many body bytes, then close: Content-Length mismatch
    reset: bool = False  # abort the connection (TCP RST) instead of answering, or after `truncate` bytes


@dataclass
class Request:
    path: str
    query: dict[str, str]
    at: float  # time.monotonic() on arrival
    number: int  # 0 for the first request to this path


class FaultServer:
    def __init__(self) -> None:
        self.routes: dict[str, Callable[[Request], Reply]] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True)

    def route(self, path: str, answer: Callable[[Request], Reply]) -> None:
        self.routes[path] = answer

    def script(self, path: str, *replies: Reply) -> None:
        self.route(path, lambda request: replies[min(request.number, len(replies) - 1)])

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def _record(self, path: str, query: dict[str, str]) -> Request:
        with self._lock:
            request = Request(path, query, time.monotonic(), len(self.hits(path)))
            self.requests.append(request)
            return request

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler_for(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            request = server._record(parts.path, dict(parse_qsl(parts.query)))
            answer = server.routes.get(parts.path)
            reply = answer(request) if answer else Reply(404, b"no such route")
            # The client may give up first (a timeout test): nothing to report then.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._send(reply)

        def _send(self, reply: Reply) -> None:
            if reply.reset and reply.truncate is None:
                self._reset()
                return
            time.sleep(reply.delay)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            if reply.truncate is not None:
                self.send_header("Connection", "close")
            self.end_headers()
            body = reply.body if reply.truncate is None else reply.body[: reply.truncate]
            if reply.drip:
                for i in range(0, len(body), 8):
                    self.wfile.write(body[i : i + 8])
                    self.wfile.flush()
                    time.sleep(reply.drip)
            else:
                self.wfile.write(body)
            if reply.reset:
                self._reset()
            elif reply.truncate is not None:
                self.close_connection = True

        def _reset(self) -> None:
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN. Closed here, not by
            # the server's shutdown(SHUT_WR) after the handler, which would send a FIN first.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True

        def log_message(self, format: str, *args) -> None:
            pass

    return Handler


def settings_for(home, url: str = "http://127.0.0.1:9", **changes) -> Settings:
    """Settings pointed at a fault server, with a short timeout and tiny backoff so tests stay fast."""
    fast = {
        "hf_api_url": url,
        "arxiv_api_url": url,
        "arxiv_min_interval": 0.0,
        "http_timeout": 0.5,
        "http_retries": 3,
        "http_backoff_base": 0.01,
        "http_backoff_cap": 2.0,
    }
    return Settings(home=home, trending_year=2024, extract_batch_size=100, **(fast | changes))
