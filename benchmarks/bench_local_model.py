"""Measure the embedded model on this machine: start-up, prompt and generation speed, memory.

Run: ``.venv/bin/python benchmarks/bench_local_model.py`` (needs ``verisum[local]``; exits 0
with a note when it is missing). Figures go to the README's "Embedded local model" section.

* first start: join the 22 parts (into a fresh temp cache dir) + load; then a warm start.
* prompt tokens/s: the sample transcript (~3000 Chinese characters) as the prompt, 1 output
  token, a unique prefix so llama.cpp's prefix cache cannot help.
* generation tokens/s: a streamed answer, tokens after the first divided by the time they took.
* peak memory: the server's peak RSS (VmHWM) at the end.
* structured call: extract a small pydantic model from one Chinese sentence (cache off).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import openai
from pydantic import BaseModel

from toolkit.llm import LLMClient
from toolkit.local_model import LocalServer, llama_cpp_available
from toolkit.settings import default_cache_dir, load_settings

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "kuaishou-2024q1-call.txt"


class Revenue(BaseModel):
    company: str
    revenue: str
    growth: str


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    if not llama_cpp_available():
        print("skipped: llama-cpp-python is not installed (pip install 'verisum[local]')")
        return 0
    transcript = SAMPLE.read_text(encoding="utf-8")

    with tempfile.TemporaryDirectory() as fresh:
        settings = load_settings(backend="local", cache_dir=Path(fresh))
        started = time.monotonic()
        with LocalServer(settings):
            cold = time.monotonic() - started
    settings = load_settings(backend="local", cache_dir=default_cache_dir())
    LocalServer(settings).start().stop()  # make sure the user cache holds the joined model
    started = time.monotonic()
    server = LocalServer(settings).start()
    warm = time.monotonic() - started
    print(f"first start (join 22 parts + load): {cold:.1f} s; warm start: {warm:.1f} s")

    try:
        client = openai.OpenAI(base_url=server.base_url, api_key="local", max_retries=0)
        rates = []
        for _ in range(2):
            content = f"[{uuid.uuid4()}]\n{transcript}\n\n用一句话概括。"
            t0 = time.monotonic()
            done = client.chat.completions.create(
                model=server.model_alias,
                messages=[{"role": "user", "content": content}],
                max_tokens=1,
            )
            elapsed = time.monotonic() - t0
            assert done.usage is not None
            rates.append(done.usage.prompt_tokens / elapsed)
            print(f"prompt: {done.usage.prompt_tokens} tokens in {elapsed:.1f} s")
        print(f"prompt processing: {statistics.median(rates):.0f} tokens/s")

        first = last = 0.0
        pieces = 0
        t0 = time.monotonic()
        stream = client.chat.completions.create(
            model=server.model_alias,
            messages=[
                {
                    "role": "user",
                    "content": "Explain in English what a quarterly earnings "
                    "call is, in about 200 words.",
                }
            ],
            max_tokens=256,
            temperature=0.0,
            stream=True,
        )
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                pieces += 1
                last = time.monotonic() - t0
                first = first or last
        print(
            f"generation: {(pieces - 1) / (last - first):.1f} tokens/s "
            f"({pieces} tokens, first after {first:.2f} s)"
        )

        with LLMClient(settings, use_cache=False) as llm:
            llm._server = server  # reuse the running server for the latency figure
            latencies = []
            for city in ("快手", "美团", "京东"):
                sentence = f"{city}2024年第一季度总营收为人民币294亿元，同比增长16.6%。"
                messages = [{"role": "user", "content": f"抽取公司、营收和增长率：{sentence}"}]
                t0 = time.monotonic()
                llm.structured(Revenue, messages, prompt="bench-revenue@1")
                latencies.append(time.monotonic() - t0)
            usage = llm.usage
            llm._server = None
        print(
            "structured call (one sentence): "
            + ", ".join(f"{s:.1f} s" for s in latencies)
            + f"; {usage.prompt_tokens / 3:.0f} prompt + {usage.completion_tokens / 3:.0f} "
            "completion tokens each"
        )
        assert server.pid is not None
        print(f"server peak RSS: {peak_rss_mib(server.pid):.0f} MiB")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
