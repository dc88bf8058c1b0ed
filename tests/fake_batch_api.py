"""A fake OpenAI-compatible endpoint on 127.0.0.1 for batch tests and the batch benchmark.

Unlike `tests.fake_openai.FakeOpenAI` (a script of replies in order), this server answers *by
request*: a chat completion gets the canned answer for the tool it was asked to call (a valid
summary of the sample transcript for ``DraftSummary``), after ``delay`` seconds, unless a
``fault`` says otherwise (always 429, always 500, 429 for the first n requests...). It also
implements the part of the Batch API verisum uses (``/v1/files``, ``/v1/batches``), processing a
batch's lines with the same answers.

In-process: ``with FakeBatchAPI(delay=0.2) as api: ... api.base_url``.
As a process (the benchmark, so its CPU is not counted as verisum's):
``python tests/fake_batch_api.py --delay 0.2`` prints ``PORT <n>`` and serves until killed;
``GET /stats`` returns the counters.
"""

from __future__ import annotations

import argparse
import email.parser
import email.policy
import itertools
import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import BaseModel

# A summary of examples/kuaishou-2024q1-call.txt whose every number verifies (no repair call).
DRAFT: dict[str, Any] = {
    "headline_zh": "快手一季度日均支付用户数同比增长近九倍。",
    "headline_en": "Kuaishou's daily paying users grew nearly ninefold year on year in Q1.",
    "bullets": [
        {
            "zh": "第一季度线上营销服务收入达到166.5亿。",
            "en": "Q1 online marketing services revenue reached 16.65 billion.",
        },
        {"zh": "公司业务稳步发展。", "en": "The business grew steadily."},
    ],
    "claims": [
        {
            "zh": "公司累计回购股份约6071万股。",
            "en": "Kuaishou repurchased about 60.71 million shares.",
            "evidence": "回购股份约6071万股,约占总股本的1.7%",
        }
    ],
}
ANSWERS: dict[str, dict[str, Any]] = {
    "DraftSummary": DRAFT,
    "ChunkNotes": {"claims": DRAFT["claims"]},
    "RepairedItems": {"items": []},
}

# fault(request_number, body) -> (status, headers) to fail this request, or None to answer it.
Fault = Callable[[int, dict[str, Any]], tuple[int, dict[str, str]] | None]


def always(status: int, retry_after: float | None = None) -> Fault:
    """Every request fails with ``status`` (429 with an optional Retry-After)."""
    headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
    return lambda n, body: (status, headers)


def first(count: int, status: int = 429, retry_after: float | None = 0.05) -> Fault:
    """The first ``count`` requests fail with ``status``, the rest are answered."""
    headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
    return lambda n, body: (status, headers) if n <= count else None


def when_text(marker: str, status: int = 500) -> Fault:
    """Requests whose messages contain ``marker`` fail with ``status`` (one bad document)."""

    def fault(n: int, body: dict[str, Any]) -> tuple[int, dict[str, str]] | None:
        text = json.dumps(body.get("messages", []), ensure_ascii=False)
        return (status, {}) if marker in text else None

    return fault


@dataclass
class _Batch:
    id: str
    input_file_id: str
    endpoint: str
    created_at: int
    polls: int = 0
    status: str = "validating"
    output_file_id: str | None = None
    error_file_id: str | None = None
    counts: dict[str, int] = field(
        default_factory=lambda: {"total": 0, "completed": 0, "failed": 0}
    )


class FakeBatchAPI:
    """See the module docstring. Counters: ``chat_requests``, ``max_in_flight``, ``batches``."""

    def __init__(
        self,
        *,
        delay: float = 0.0,
        fault: Fault | None = None,
        polls_to_complete: int = 2,
        fail_custom_ids: set[str] | None = None,
        port: int = 0,
    ) -> None:
        self.delay = delay
        self.fault = fault
        self.polls_to_complete = polls_to_complete
        self.fail_custom_ids = fail_custom_ids or set()
        self.chat_requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, _Batch] = {}
        self.batch_lines = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._server.request_queue_size = 256
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> FakeBatchAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "chat_requests": self.chat_requests,
                "max_in_flight": self.max_in_flight,
                "batches": len(self.batches),
                "batch_lines": self.batch_lines,
            }

    # ------------------------------------------------------------------ chat completions

    def answer(self, body: dict[str, Any], number: int) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for one chat request (also used for batch lines)."""
        if self.fault is not None:
            failed = self.fault(number, body)
            if failed is not None:
                status, headers = failed
                error = {"error": {"message": f"fake {status}", "type": "test", "code": None}}
                return status, headers, json.dumps(error).encode()
        return 200, {}, json.dumps(completion(body), ensure_ascii=False).encode()

    def _chat(self, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.chat_requests += 1
            number = self.chat_requests
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                time.sleep(self.delay)
            return self.answer(body, number)
        finally:
            with self._lock:
                self.in_flight -= 1

    # ------------------------------------------------------------------ files and batches

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids)}"

    def _upload(self, content_type: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"content-type: {content_type}\r\n\r\n".encode() + raw
        )
        data, purpose, filename = b"", "", "upload"
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            if name == "file":
                data = payload
                filename = str(part.get_filename() or filename)
            elif name == "purpose":
                purpose = payload.decode()
        with self._lock:
            file_id = self._new_id("file")
            self.files[file_id] = data
        return 200, _file_object(file_id, data, filename, purpose)

    def _create_batch(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        input_id = str(body.get("input_file_id"))
        if input_id not in self.files:
            return 404, {"error": {"message": f"no file {input_id}", "type": "test"}}
        with self._lock:
            batch = _Batch(self._new_id("batch"), input_id, str(body.get("endpoint")), 0)
            self.batches[batch.id] = batch
        return 200, _batch_object(batch)

    def _retrieve_batch(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        batch = self.batches.get(batch_id)
        if batch is None:
            return 404, {"error": {"message": f"no batch {batch_id}", "type": "test"}}
        with self._lock:
            batch.polls += 1
            if batch.status == "validating":
                batch.status = "in_progress"
            elif batch.status == "in_progress" and batch.polls >= self.polls_to_complete:
                self._run_batch(batch)
        return 200, _batch_object(batch)

    def _run_batch(self, batch: _Batch) -> None:
        outputs: list[bytes] = []
        errors: list[bytes] = []
        for line in self.files[batch.input_file_id].splitlines():
            if not line.strip():
                continue
            request = json.loads(line)
            custom_id = request["custom_id"]
            self.batch_lines += 1
            batch.counts["total"] += 1
            if custom_id in self.fail_custom_ids:
                row = {
                    "id": f"req-{custom_id[:8]}",
                    "custom_id": custom_id,
                    "response": None,
                    "error": {"code": "server_error", "message": "fake line failure"},
                }
                errors.append(json.dumps(row).encode())
                batch.counts["failed"] += 1
                continue
            status, _, body = self.answer(request["body"], self.batch_lines)
            row = {
                "id": f"req-{custom_id[:8]}",
                "custom_id": custom_id,
                "response": {"status_code": status, "request_id": "r", "body": json.loads(body)},
                "error": None,
            }
            outputs.append(json.dumps(row, ensure_ascii=False).encode())
            batch.counts["completed" if status == 200 else "failed"] += 1
        batch.output_file_id = self._new_id("file")
        self.files[batch.output_file_id] = b"\n".join(outputs) + b"\n"
        if errors:
            batch.error_file_id = self._new_id("file")
            self.files[batch.error_file_id] = b"\n".join(errors) + b"\n"
        batch.status = "completed"

    # ------------------------------------------------------------------ HTTP

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(
                self,
                status: int,
                payload: bytes,
                headers: dict[str, str] | None = None,
                content_type: str = "application/json",
            ) -> None:
                try:
                    self.send_response(status)
                    self.send_header("content-type", content_type)
                    self.send_header("content-length", str(len(payload)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _json(self, status: int, data: dict[str, Any]) -> None:
                self._send(status, json.dumps(data).encode())

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/stats":
                    self._json(200, api.stats())
                elif path.startswith("/v1/batches/"):
                    self._json(*api._retrieve_batch(path.rsplit("/", 1)[1]))
                elif path.startswith("/v1/files/") and path.endswith("/content"):
                    file_id = path.split("/")[3]
                    if file_id in api.files:
                        self._send(200, api.files[file_id], content_type="application/jsonl")
                    else:
                        self._json(404, {"error": {"message": "no such file", "type": "test"}})
                else:
                    self._json(404, {"error": {"message": f"no route {path}", "type": "test"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                raw = self.rfile.read(length)
                path = self.path.split("?", 1)[0]
                if path.endswith("/chat/completions"):
                    status, headers, payload = api._chat(json.loads(raw or b"{}"))
                    self._send(status, payload, headers)
                elif path == "/v1/files":
                    self._json(*api._upload(self.headers.get("content-type", ""), raw))
                elif path == "/v1/batches":
                    self._json(*api._create_batch(json.loads(raw or b"{}")))
                else:
                    self._json(404, {"error": {"message": f"no route {path}", "type": "test"}})

        return Handler


def fit(value: Any, schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """``value`` completed to fit ``schema``: required fields the canned answer lacks get a
    plain value of their type, ``const`` fields their constant, arrays the length the schema
    asks for (repeating the last canned item). So the fake keeps answering validly when the
    pipeline's schemas change (a bullet's ``part`` number, one bullet per part...)."""
    if "$ref" in schema:
        schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if "const" in schema:
        return schema["const"]
    if "anyOf" in schema:
        if value is None:
            return None
        schema = next((s for s in schema["anyOf"] if s.get("type") != "null"), {})
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        data = dict(value) if isinstance(value, dict) else {}
        for key, sub in schema.get("properties", {}).items():
            if key in data:
                data[key] = fit(data[key], sub, defs)
            elif key in schema.get("required", []):
                data[key] = fit(None, sub, defs)
        return data
    if kind == "array":
        given = list(value) if isinstance(value, list) else []
        shapes: list[dict[str, Any]] = list(schema.get("prefixItems", []))
        length = max(len(given), int(schema.get("minItems", 0)), len(shapes))
        length = min(length, int(schema.get("maxItems", length)))
        items = []
        for index in range(length):
            shape = shapes[index] if index < len(shapes) else schema.get("items", {})
            source = given[index] if index < len(given) else (given[-1] if given else None)
            items.append(fit(source, shape, defs))
        return items
    if value is not None:
        if kind == "string" and isinstance(value, str) and "maxLength" in schema:
            return value[: int(schema["maxLength"])]
        return value
    return {"integer": 1, "number": 1, "boolean": False, "string": "-"}.get(str(kind))


_FITTED: dict[type[BaseModel], Any] = {}


def canned(model: type[BaseModel], messages: list[dict[str, str]]) -> BaseModel:
    """This fake's answer for ``model``, as a `toolkit.testing.FakeLLM` responder (the messages
    do not matter, as for the server). Fitted once per class: a schema does not change, and the
    benchmarks count the pipeline's CPU, not the fake's."""
    if model not in _FITTED:
        schema = model.model_json_schema()
        _FITTED[model] = fit(ANSWERS[model.__name__], schema, schema.get("$defs", {}))
    return model.model_validate(_FITTED[model])


def completion(request: dict[str, Any]) -> dict[str, Any]:
    """A chat completion calling the requested tool with its canned answer."""
    tools = request.get("tools") or [{"function": {"name": "DraftSummary"}}]
    name = tools[0]["function"]["name"]
    schema = tools[0]["function"].get("parameters") or {}
    answer = fit(ANSWERS.get(name, {}), schema, schema.get("$defs", {}))
    arguments = json.dumps(answer, ensure_ascii=False)
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if request.get("response_format"):
        message["content"] = arguments
    else:
        message["tool_calls"] = [
            {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}
        ]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", "fake"),
        "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200},
    }


def _file_object(file_id: str, data: bytes, filename: str, purpose: str) -> dict[str, Any]:
    return {
        "id": file_id,
        "object": "file",
        "bytes": len(data),
        "created_at": 0,
        "filename": filename,
        "purpose": purpose or "batch",
        "status": "processed",
    }


def _batch_object(batch: _Batch) -> dict[str, Any]:
    return {
        "id": batch.id,
        "object": "batch",
        "endpoint": batch.endpoint,
        "input_file_id": batch.input_file_id,
        "completion_window": "24h",
        "status": batch.status,
        "created_at": batch.created_at,
        "output_file_id": batch.output_file_id,
        "error_file_id": batch.error_file_id,
        "request_counts": dict(batch.counts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    api = FakeBatchAPI(delay=args.delay, port=args.port)
    with api:
        print(f"PORT {api.port}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    sys.exit(main())
