"""A scripted OpenAI-compatible server on 127.0.0.1 for fault tests.

Each request to ``/v1/chat/completions`` takes the next `Reply` from the script and is recorded,
so a test states exactly what the endpoint does and then asserts how many requests arrived.
A request past the end of the script gets HTTP 418 (never retried), which keeps runs bounded.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """What the fake endpoint does with one request."""

    status: int = 200
    arguments: str | None = None  # tool-call arguments (JSON text) for a 200
    body: bytes | None = None  # raw body instead of a completion
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    prompt_tokens: int = 100
    completion_tokens: int = 20


def tool_call(arguments: dict[str, Any] | str, **kw: Any) -> Reply:
    """A 200 whose single tool call carries ``arguments``."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return Reply(arguments=text, **kw)


def error(status: int, message: str = "error", code: str | None = None, **kw: Any) -> Reply:
    """An OpenAI-style error body with ``status``."""
    body = {"error": {"message": message, "type": "test", "code": code}}
    return Reply(status=status, body=json.dumps(body).encode(), **kw)


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class FakeOpenAI:
    """Run with ``with FakeOpenAI([...]) as fake: ...``; ``fake.base_url`` ends in ``/v1``."""

    def __init__(self, script: list[Reply]) -> None:
        self.script: deque[Reply] = deque(script)
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return self.script.popleft() if self.script else error(418, "script exhausted")

    def _done(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                reply = fake._next(Request(self.path, dict(self.headers), body))
                try:
                    if reply.delay:
                        time.sleep(reply.delay)
                    payload = reply.body if reply.body is not None else _completion(body, reply)
                    self.send_response(reply.status)
                    self.send_header("content-type", reply.content_type)
                    self.send_header("content-length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and hung up, as the test wanted
                finally:
                    fake._done()

        return Handler


def _completion(request: dict[str, Any], reply: Reply) -> bytes:
    tools = request.get("tools") or [{"function": {"name": "unknown"}}]
    name = tools[0]["function"]["name"]
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if request.get("response_format"):  # JSON_SCHEMA mode answers in content
        message["content"] = reply.arguments
    else:
        message["tool_calls"] = [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": name, "arguments": reply.arguments},
            }
        ]
    completion = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", "fake"),
        "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        },
    }
    return json.dumps(completion, ensure_ascii=False).encode()
