"""``--engine openai-batch``: the same pipeline, its model calls answered by the OpenAI Batch API.

The Batch API takes a JSONL file of requests, runs them within 24 h at half price and returns a
JSONL file of answers. The pipeline needs several rounds (draft, then repair; map, then reduce),
so `BatchAPIClient` stands in for the model client: each document runs `asummarize` as usual;
every ``astructured`` call whose answer is not known yet parks on a future. When every document
in flight is parked, the coordinator writes their requests (one line each, ``custom_id`` = the
request's cache key, identical requests sent once) to ``DIR/.batch/round-N-input.jsonl``,
uploads it, creates the batch, polls it every ``poll_interval`` seconds, downloads the output
and error files and verifies them: every request answered exactly once, each answer parsed
into its pydantic model. Answers are appended to ``DIR/.batch/answers.jsonl`` and the parked
calls resume; the documents then run their next round, and so on until all are written.

Resume: run.json keeps each round's batch id and state. A run started again re-drives every
unfinished document from the stored answers (no request is paid twice) and, if a batch was
still running when the process stopped, polls that batch instead of submitting a new one.

Differences from live requests, by design: no validation reask (an answer that does not fit the
schema fails its document, as ``LLMOutputInvalid``); a line the batch failed (429/5xx, expired,
missing) fails its call with ``LLMUnavailable``, which the batch's per-document attempts retry
in the next round. Cost is the price table's at 50 % (the Batch API discount).

Tested only against the fake Batch API in ``tests/fake_batch_api.py`` on 127.0.0.1, not against
OpenAI itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, TypeVar

import instructor
import openai
from instructor.processing.response import handle_response_model, process_response
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError

from toolkit.batch_output import OutputDir, dump_json, write_atomic
from toolkit.cache import cache_key
from toolkit.errors import ConfigError, LLMOutputInvalid, LLMUnavailable
from toolkit.llm import UsageMeter, UsageMeters, estimate_tokens, schema_of
from toolkit.settings import Settings
from toolkit.usage import Usage

if TYPE_CHECKING:
    from toolkit.batch import _Run

T = TypeVar("T", bound=BaseModel)
ENDPOINT: Final = "/v1/chat/completions"
DISCOUNT = Decimal("0.5")
_FINAL = {"completed", "failed", "expired", "cancelled"}
_MODES = {"tools": instructor.Mode.TOOLS, "json_schema": instructor.Mode.JSON_SCHEMA}

_meters = UsageMeters("verisum_batch_meters")


@dataclass
class _Pending:
    """Calls waiting for the answer to one request (identical requests share it)."""

    body: dict[str, Any]
    response_model: type[BaseModel]
    prompt: str
    futures: list[asyncio.Future[dict[str, Any]]] = field(default_factory=list)


class BatchAPIClient:
    """A `StructuredLLM` whose answers come from Batch API rounds (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        out: OutputDir,
        save_state: Callable[[dict[str, Any]], None],
    ) -> None:
        if settings.resolved_backend == "local":
            raise ConfigError(
                "--engine openai-batch needs an OpenAI-compatible Batch API: set OPENAI_API_KEY "
                "(and OPENAI_BASE_URL for another provider)"
            )
        self.settings = settings
        self.model_name = settings.resolved_model
        self.mode = _MODES[settings.mode]
        self.out = out
        self.folder = out.root / ".batch"
        self.folder.mkdir(exist_ok=True)
        self._save = save_state
        self._usage = Usage()
        self.pending: dict[str, _Pending] = {}
        self.waiting = 0
        self.answers = self._load_answers()
        previous = out.read_run() or {}
        state = previous.get("openai_batch")
        self.state: dict[str, Any] = state if isinstance(state, dict) else {"rounds": []}
        self.state.setdefault("rounds", [])
        self.state["tested_against"] = "the fake Batch API of tests/fake_batch_api.py only"
        self._save(self.state)
        key = settings.openai_api_key
        self._client = openai.AsyncOpenAI(
            api_key=key.get_secret_value() if key is not None else "not-needed",
            base_url=settings.endpoint,
            timeout=settings.timeout,
            max_retries=3,
        )

    # ------------------------------------------------------------------ StructuredLLM

    @property
    def endpoint(self) -> str:
        return f"{self.settings.endpoint} (Batch API)"

    @property
    def usage(self) -> Usage:
        return self._usage

    def track(self) -> contextlib.AbstractContextManager[UsageMeter]:
        return _meters.track()

    def structured(
        self,
        response_model: type[T],
        messages: list[dict[str, str]],
        *,
        prompt: str,
        temperature: float = 0.0,
        max_tokens: int | None = None,
    ) -> T:
        raise NotImplementedError("the Batch API engine is asynchronous: use astructured")

    async def astructured(
        self,
        response_model: type[T],
        messages: list[dict[str, str]],
        *,
        prompt: str,
        temperature: float = 0.0,
        max_tokens: int | None = None,
    ) -> T:
        """The answer from a previous round, or park until the round that carries it ends."""
        params = {"temperature": temperature, "max_tokens": max_tokens, "mode": self.mode.value}
        key = cache_key(
            model=self.model_name,
            messages=messages,
            schema=schema_of(response_model),
            params=params,
            prompt=prompt,
        )
        completion = self.answers.get(key)
        fresh = completion is None
        if completion is None:
            completion = await self._park(
                key, response_model, messages, temperature, max_tokens, prompt
            )
        result = self._parse(response_model, completion, prompt)
        self._record(self._usage_of(completion) if fresh else Usage.cached())
        return result

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def close(self) -> None:
        """Nothing to do: the coordinator closes its HTTP client when the run ends."""

    # ------------------------------------------------------------------ parking

    async def _park(
        self,
        key: str,
        response_model: type[BaseModel],
        messages: list[dict[str, str]],
        temperature: float,
        max_tokens: int | None,
        prompt: str,
    ) -> dict[str, Any]:
        entry = self.pending.get(key)
        if entry is None:
            _, kwargs = handle_response_model(response_model, mode=self.mode, messages=messages)
            body = {"model": self.model_name, "temperature": temperature, **kwargs}
            if max_tokens is not None:
                body["max_tokens"] = max_tokens
            entry = self.pending[key] = _Pending(body, response_model, prompt)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        entry.futures.append(future)
        self.waiting += 1
        try:
            return await future
        finally:
            self.waiting -= 1

    # ------------------------------------------------------------------ the coordinator

    async def coordinate(self, run: _Run) -> None:
        """Submit a round whenever every document in flight waits for the model."""
        try:
            while True:
                await self._quiet(run)
                round_state = self._open_round()
                try:
                    if round_state is None:
                        round_state = await self._submit()
                    await self._finish_round(round_state, run.options.poll_interval)
                except (openai.OpenAIError, OSError, ValueError) as exc:
                    # Never leave a document parked: fail this round's calls (the documents'
                    # own attempts and the breaker decide what happens next).
                    message = f"Batch API at {self.settings.endpoint}: {exc}"
                    if round_state is not None:
                        round_state["status"] = f"error: {str(exc)[:200]}"
                        self._update(round_state)
                    run._say(message)
                    self._fail_all(LLMUnavailable(message))
        finally:
            await self._client.close()

    async def _quiet(self, run: _Run) -> None:
        """Return when there are requests and nothing else can make progress without them."""
        stable = 0
        while True:
            await asyncio.sleep(0.01)
            idle = (
                self.pending
                and self.waiting >= len(run.in_flight)
                and (run.producer_done or run.producer_blocked)
            )
            stable = stable + 1 if idle else 0
            if stable >= 3:
                return

    def _open_round(self) -> dict[str, Any] | None:
        """A round submitted by an earlier run whose results were never downloaded."""
        for entry in self.state["rounds"]:
            status = str(entry.get("status", ""))
            if status != "downloaded" and not status.startswith("error") and entry.get("batch_id"):
                return dict(entry)
        return None

    async def _submit(self) -> dict[str, Any]:
        number = len(self.state["rounds"]) + 1
        lines = [
            json.dumps(
                {"custom_id": key, "method": "POST", "url": ENDPOINT, "body": entry.body},
                ensure_ascii=False,
            )
            for key, entry in self.pending.items()
        ]
        data = ("\n".join(lines) + "\n").encode("utf-8")
        name = f"round-{number}-input.jsonl"
        write_atomic(self.folder / name, data)
        uploaded = await self._client.files.create(
            file=(name, data, "application/jsonl"), purpose="batch"
        )
        batch = await self._client.batches.create(
            input_file_id=uploaded.id,
            endpoint=ENDPOINT,
            completion_window="24h",
            metadata={"tool": "verisum", "round": str(number)},
        )
        entry = {
            "round": number,
            "batch_id": batch.id,
            "input_file_id": uploaded.id,
            "requests": len(lines),
            "status": batch.status,
            "submitted": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        self.state["rounds"].append(entry)
        self._save(self.state)
        return dict(entry)

    async def _finish_round(self, entry: dict[str, Any], poll_interval: float) -> None:
        batch_id = str(entry["batch_id"])
        while True:
            batch = await self._client.batches.retrieve(batch_id)
            if batch.status != entry.get("status"):
                entry["status"] = batch.status
                self._update(entry)
            if batch.status in _FINAL:
                break
            await asyncio.sleep(poll_interval)
        answered: dict[str, dict[str, Any]] = {}
        failed: dict[str, str] = {}
        problems: list[str] = []
        for file_id in (batch.output_file_id, batch.error_file_id):
            if file_id:
                content = await self._client.files.content(file_id)
                self._read_results(content.content, answered, failed, problems)
        submitted = self._submitted_keys(int(entry["round"]))
        missing = [key for key in submitted if key not in answered and key not in failed]
        if missing:
            problems.append(f"{len(missing)} requests missing from the results")
        for key in missing:
            failed[key] = f"the batch ended {batch.status} without an answer"
        invalid: dict[str, LLMOutputInvalid] = {}
        with (self.folder / "answers.jsonl").open("ab") as handle:
            for key, completion in answered.items():
                waiting = self.pending.get(key)
                if waiting is not None:  # verify before keeping: a bad answer is not reused
                    try:
                        self._parse(waiting.response_model, completion, waiting.prompt)
                    except LLMOutputInvalid as exc:
                        invalid[key] = exc
                        continue
                if key not in self.answers:
                    self.answers[key] = completion
                    handle.write(dump_json({"key": key, "completion": completion}) + b"\n")
        if invalid:
            problems.append(f"{len(invalid)} answers do not fit their schema")
        entry.update(
            status="downloaded",
            batch_status=batch.status,
            answered=len(answered) - len(invalid),
            failed=len(failed) + len(invalid),
            problems=problems,
        )
        self._update(entry)
        for key, bad in invalid.items():
            for future in self._take(key):
                future.set_exception(bad)
        for key, completion in answered.items():
            for future in self._take(key):
                future.set_result(completion)
        for key, reason in failed.items():
            error = LLMUnavailable(
                f"model {self.model_name} via the Batch API at {self.settings.endpoint}: "
                f"batch {batch_id}: {reason}"
            )
            for future in self._take(key):
                future.set_exception(error)

    def _read_results(
        self,
        raw: bytes,
        answered: dict[str, dict[str, Any]],
        failed: dict[str, str],
        problems: list[str],
    ) -> None:
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                key = str(row["custom_id"])
            except (ValueError, KeyError, TypeError):
                problems.append(f"result line {number} is not a batch result")
                continue
            if key in answered or key in failed:
                problems.append(f"custom_id {key[:12]}… answered twice")
                continue
            response = row.get("response") or {}
            status = response.get("status_code")
            body = response.get("body")
            if status == 200 and isinstance(body, dict):
                answered[key] = body
            else:
                error = row.get("error") or (body or {}).get("error") or {}
                message = error.get("message") if isinstance(error, dict) else str(error)
                failed[key] = f"HTTP {status}: {message}" if status else str(message)

    def _submitted_keys(self, number: int) -> list[str]:
        path = self.folder / f"round-{number}-input.jsonl"
        try:
            return [json.loads(line)["custom_id"] for line in path.open("rb") if line.strip()]
        except (OSError, ValueError, KeyError):
            return list(self.pending)

    def _take(self, key: str) -> list[asyncio.Future[dict[str, Any]]]:
        entry = self.pending.pop(key, None)
        return [f for f in entry.futures if not f.done()] if entry is not None else []

    def _fail_all(self, error: Exception) -> None:
        for key in list(self.pending):
            for future in self._take(key):
                future.set_exception(error)

    def _update(self, entry: dict[str, Any]) -> None:
        for index, stored in enumerate(self.state["rounds"]):
            if stored.get("round") == entry.get("round"):
                self.state["rounds"][index] = dict(entry)
        self._save(self.state)

    # ------------------------------------------------------------------ answers

    def _load_answers(self) -> dict[str, dict[str, Any]]:
        answers: dict[str, dict[str, Any]] = {}
        path = self.folder / "answers.jsonl"
        if path.exists():
            for line in path.open("rb"):
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    row = json.loads(line)
                    answers[str(row["key"])] = dict(row["completion"])
        return answers

    def _parse(self, response_model: type[T], completion: dict[str, Any], prompt: str) -> T:
        try:
            # instructor parses with the schema class it derives from the model.
            prepared, _ = handle_response_model(response_model, mode=self.mode, messages=[])
            parsed = process_response(
                ChatCompletion.model_validate(completion),
                response_model=prepared,
                stream=False,
                mode=self.mode,
            )
        except (ValidationError, ValueError, AssertionError, KeyError, TypeError) as exc:
            raise LLMOutputInvalid(
                f"model {self.model_name} via the Batch API: the answer to {prompt} did not fit "
                f"{response_model.__name__} (no reask in batch mode): {str(exc)[:300]}"
            ) from exc
        if type(parsed) is response_model:
            return parsed
        if not isinstance(parsed, BaseModel):
            raise LLMOutputInvalid(f"the answer to {prompt} is not a {response_model.__name__}")
        return response_model.model_validate(parsed.model_dump())

    def _usage_of(self, completion: dict[str, Any]) -> Usage:
        usage = completion.get("usage") or {}
        full = Usage.of_call(
            self.model_name,
            "openai",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
        )
        return full.model_copy(update={"cost_usd": full.cost_usd * DISCOUNT})

    def _record(self, usage: Usage) -> None:
        self._usage = self._usage + usage
        _meters.add(usage)
