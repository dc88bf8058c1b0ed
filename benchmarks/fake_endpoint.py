"""The batch benchmark's fake OpenAI-compatible endpoint: as little CPU per request as possible.

Why a second fake: the benchmark measures verisum, and on a 2-core machine every millisecond
the fake server spends is a millisecond verisum cannot have. `tests.fake_batch_api` (a
thread per connection, ``http.server``'s header parsing, a JSON parse and a schema fit per
request) costs 1.2-1.4 ms of CPU per document; this one 0.1-0.5 ms. It is still a real
HTTP/1.1 server on 127.0.0.1 (keep-alive, ``Content-Length`` bodies) that answers every
``POST …/chat/completions`` after a fixed delay with the same recorded answers as
`tests.fake_batch_api` (`tests.fake_batch_api.completion`: a valid summary of the sample
transcript fitted to the schema the request carries).

What makes it cheap: one asyncio protocol per connection, no threads; the request is framed by
its ``Content-Length`` without parsing its headers further; the answer's bytes (headers and
body) are built once per distinct (model, tools, response format) and reused, so a request
costs a ``bytes.find``, a dict lookup and a ``call_later``. The answer never depends on the
messages (the recorded summary is the same for every document), exactly as in the slower fake.

Run: ``python benchmarks/fake_endpoint.py --delay 0.2`` prints ``PORT <n>`` and serves until
killed (`serving` does that from Python: the benchmarks and the tests run it so). ``GET /stats``
returns ``{"chat_requests": n, "max_in_flight": n, "first_request": t, "last_answer": t}`` (the
most requests it held at once, and ``time.monotonic()`` of the first request and the last
answer, since the last ``GET /reset``: a run's start-up and tail).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_batch_api import completion  # the recorded answers

_MODEL = re.compile(rb'"model"\s*:\s*"([^"]*)"')
_END = b"\r\n\r\n"


class _Counters:
    def __init__(self) -> None:
        self.chat_requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.first_request: float | None = None
        self.last_answer: float | None = None


def _response(status: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}"
    return head.encode("ascii") + _END + body


def _answer_key(body: bytes) -> bytes:
    """What the answer depends on: the model, the tools (names and schemas) and whether the
    request asked for a JSON-schema ``response_format`` instead of a tool call."""
    model = _MODEL.search(body)
    at = body.find(b'"tools"')
    return b"|".join(
        (
            model.group(1) if model else b"",
            b"rf" if b'"response_format"' in body else b"",
            body[at:] if at >= 0 else b"",
        )
    )


_ANSWERS: dict[bytes, bytes] = {}  # _answer_key -> the whole HTTP response


class _Endpoint(asyncio.Protocol):
    def __init__(self, counters: _Counters, delay: float) -> None:
        self.counters = counters
        self.delay = delay
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(_END)
            if end < 0:
                return
            head = self.buffer[:end]
            length = 0
            lower = head.lower()
            at = lower.find(b"\r\ncontent-length:")
            if at >= 0:
                stop = lower.find(b"\r\n", at + 2)
                length = int(lower[at + 17 : stop if stop >= 0 else None])
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            body = self.buffer[end + 4 : total]
            self.buffer = self.buffer[total:]
            self._handle(head[: head.find(b"\r\n")], body)

    def _handle(self, request_line: bytes, body: bytes) -> None:
        method, _, rest = request_line.partition(b" ")
        path = rest.split(b" ", 1)[0].split(b"?", 1)[0]
        loop = asyncio.get_running_loop()
        if method == b"POST" and path.endswith(b"/chat/completions"):
            key = _answer_key(body)
            payload = _ANSWERS.get(key)
            if payload is None:
                answer = json.dumps(completion(json.loads(body)), ensure_ascii=False).encode()
                payload = _ANSWERS[key] = _response("200 OK", answer)
            counters = self.counters
            counters.chat_requests += 1
            if counters.first_request is None:
                counters.first_request = time.monotonic()
            counters.in_flight += 1
            counters.max_in_flight = max(counters.max_in_flight, counters.in_flight)
            loop.call_later(self.delay, self._send_answer, payload)
        elif method == b"GET" and path == b"/stats":
            stats = {
                "chat_requests": self.counters.chat_requests,
                "max_in_flight": self.counters.max_in_flight,
                "first_request": self.counters.first_request,
                "last_answer": self.counters.last_answer,
            }
            self._write(_response("200 OK", json.dumps(stats).encode()))
        elif method == b"GET" and path == b"/reset":
            self.counters.first_request = self.counters.last_answer = None
            self.counters.max_in_flight = self.counters.in_flight
            self._write(_response("200 OK", b"{}"))
        else:
            error = {"error": {"message": f"no route {path.decode()}", "type": "test"}}
            self._write(_response("404 Not Found", json.dumps(error).encode()))

    def _send_answer(self, payload: bytes) -> None:
        self.counters.in_flight -= 1
        self._write(payload)
        self.counters.last_answer = time.monotonic()

    def _write(self, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(payload)


async def serve(delay: float, port: int = 0) -> None:
    """Serve until cancelled; prints ``PORT <n>`` once listening."""
    counters = _Counters()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Endpoint(counters, delay), "127.0.0.1", port, backlog=512
    )
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


@contextlib.contextmanager
def serving(delay: float) -> Iterator[tuple[str, int]]:
    """This server in a child process, answering after ``delay`` seconds: yields its base URL
    (``http://127.0.0.1:<port>/v1``) and its pid (whose CPU the batch benchmark reads); stops
    it on exit."""
    server = subprocess.Popen(
        [sys.executable, __file__, "--delay", str(delay)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        yield f"http://127.0.0.1:{port}/v1", server.pid
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.delay, args.port))


if __name__ == "__main__":
    main()
