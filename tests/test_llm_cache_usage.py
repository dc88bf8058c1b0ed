"""The response cache and usage accounting of `LLMClient`, against the scripted fake server."""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel

from tests.fake_openai import FakeOpenAI, tool_call
from toolkit.cache import ResponseCache, cache_key
from toolkit.errors import ConfigError
from toolkit.llm import LLMClient, estimate_tokens
from toolkit.settings import Settings
from toolkit.usage import Usage, price_for

MESSAGES = [{"role": "user", "content": "海外收入多少？"}]


class Answer(BaseModel):
    value: str


def settings(fake: FakeOpenAI, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "openai_api_key": "sk-test-0123456789",
        "openai_base_url": fake.base_url,
        "model": "gpt-4o-mini",
        "cache_dir": tmp_path,
        "max_attempts": 1,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


def test_a_repeated_call_is_served_from_the_cache_at_no_cost(tmp_path: Path) -> None:
    answer = tool_call({"value": "12.1亿元"}, prompt_tokens=1000, completion_tokens=500)
    with FakeOpenAI([answer]) as fake:
        with LLMClient(settings(fake, tmp_path)) as llm:
            first = llm.structured(Answer, MESSAGES, prompt="overseas@1")
            second = llm.structured(Answer, MESSAGES, prompt="overseas@1")
            assert first == second == Answer(value="12.1亿元")
            assert len(fake.requests) == 1
            assert llm.usage == Usage(
                calls=1,
                cached_calls=1,
                requests=1,
                prompt_tokens=1000,
                completion_tokens=500,
                cost_usd=Decimal("0.00045"),  # gpt-4o-mini: $0.15 in, $0.60 out per 1M
            )
        with LLMClient(settings(fake, tmp_path)) as rerun:  # a new run, same cache dir
            assert rerun.structured(Answer, MESSAGES, prompt="overseas@1") == first
            assert rerun.usage == Usage(cached_calls=1)
        assert len(fake.requests) == 1


def test_the_prompt_version_model_and_parameters_are_part_of_the_key(tmp_path: Path) -> None:
    with FakeOpenAI([tool_call({"value": str(n)}) for n in range(4)]) as fake:
        with LLMClient(settings(fake, tmp_path)) as llm:
            llm.structured(Answer, MESSAGES, prompt="overseas@1")
            llm.structured(Answer, MESSAGES, prompt="overseas@2")
            llm.structured(Answer, MESSAGES, prompt="overseas@2", temperature=0.7)
        with LLMClient(settings(fake, tmp_path, model="gpt-4.1-mini")) as other_model:
            other_model.structured(Answer, MESSAGES, prompt="overseas@1")
        assert len(fake.requests) == 4


def test_no_cache_bypasses_reading_and_writing(tmp_path: Path) -> None:
    script = [tool_call({"value": "a"}), tool_call({"value": "b"})]
    with FakeOpenAI(script) as fake, LLMClient(settings(fake, tmp_path, no_cache=True)) as llm:
        assert llm.structured(Answer, MESSAGES, prompt="overseas@1").value == "a"
        assert llm.structured(Answer, MESSAGES, prompt="overseas@1").value == "b"
        assert llm.usage.cached_calls == 0
    assert not (tmp_path / "llm-cache.sqlite3").exists()


def test_use_cache_false_bypasses_the_cache(tmp_path: Path) -> None:
    with FakeOpenAI([tool_call({"value": "a"}), tool_call({"value": "b"})]) as fake:
        with LLMClient(settings(fake, tmp_path), use_cache=False) as llm:
            llm.structured(Answer, MESSAGES, prompt="overseas@1")
            llm.structured(Answer, MESSAGES, prompt="overseas@1")
        assert len(fake.requests) == 2


def test_track_meters_one_document_among_concurrent_ones(tmp_path: Path) -> None:
    script = [tool_call({"value": str(n)}, prompt_tokens=10 * (n + 1)) for n in range(3)]
    with FakeOpenAI(script) as fake:
        llm = LLMClient(settings(fake, tmp_path, concurrency=1), use_cache=False)

        async def document(question: str) -> Usage:
            with llm.track() as meter:
                await llm.astructured(Answer, [{"role": "user", "content": question}], prompt="q@1")
            return meter.usage

        async def run() -> list[Usage]:
            return await asyncio.gather(document("甲"), document("乙"), document("丙"))

        with llm:
            per_document = asyncio.run(run())
        assert [u.calls for u in per_document] == [1, 1, 1]
        assert sorted(u.prompt_tokens for u in per_document) == [10, 20, 30]
        assert llm.usage.prompt_tokens == 60


def test_snapshot_difference_is_the_usage_of_one_document(tmp_path: Path) -> None:
    script = [tool_call({"value": "a"}), tool_call({"value": "b"}, prompt_tokens=7)]
    with FakeOpenAI(script) as fake, LLMClient(settings(fake, tmp_path)) as llm:
        llm.structured(Answer, MESSAGES, prompt="doc1@1")
        before = llm.usage
        llm.structured(Answer, MESSAGES, prompt="doc2@1")
        assert (llm.usage - before).prompt_tokens == 7


def test_prompt_must_be_id_at_version(tmp_path: Path) -> None:
    with FakeOpenAI([]) as fake, LLMClient(settings(fake, tmp_path)) as llm:
        with pytest.raises(ValueError, match="id@version"):
            llm.structured(Answer, MESSAGES, prompt="summarize")
        assert fake.requests == []


def test_prices_match_exact_names_then_the_longest_prefix() -> None:
    assert price_for("gpt-4o-mini-2024-07-18", "openai") == price_for("gpt-4o-mini", "openai")
    assert price_for("gpt-4o-2024-08-06", "openai") == price_for("gpt-4o", "openai")
    assert price_for("deepseek-chat", "openai") is not None
    assert price_for("my-finetune", "openai") is None
    assert price_for("anything", "local") is not None
    unpriced = Usage.of_call("my-finetune", "openai", prompt_tokens=5, completion_tokens=5)
    assert (unpriced.cost_usd, unpriced.unpriced_calls) == (Decimal(0), 1)
    assert "1 unpriced" in unpriced.describe()


def test_cache_key_ignores_dict_order_but_not_content() -> None:
    common = {"model": "m", "schema": {"a": 1, "b": 2}, "prompt": "p@1"}
    one = cache_key(messages=[{"role": "user", "content": "x"}], params={"t": 0, "n": 1}, **common)
    same = cache_key(messages=[{"content": "x", "role": "user"}], params={"n": 1, "t": 0}, **common)
    other = cache_key(
        messages=[{"role": "user", "content": "y"}], params={"t": 0, "n": 1}, **common
    )
    assert one == same != other


def test_an_unwritable_cache_dir_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    with pytest.raises(ConfigError, match="VERISUM_CACHE_DIR"):
        ResponseCache(blocker / "cache")


def open_at_once(folder: Path, connections: int) -> list[ConfigError]:
    """Open one cache folder from ``connections`` threads released at the same moment."""
    start = threading.Barrier(connections)
    errors: list[ConfigError] = []

    def open_cache() -> None:
        start.wait()
        try:
            ResponseCache(folder).close()
        except ConfigError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_cache) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_connections_opening_a_fresh_cache_at_once_all_succeed(tmp_path: Path) -> None:
    """A batch's worker processes open one new cache file at the same moment; setting up WAL
    mode then failed with "database is locked" in about 3 races of 100 (1 document in ~5,000
    of the batch benchmark). Threads race as processes do: sqlite releases the GIL."""
    for trial in range(300):
        errors = open_at_once(tmp_path / str(trial), connections=4)
        assert errors == [], f"race {trial}: {errors[0]}"


def test_hosted_token_estimate_errs_high_on_chinese() -> None:
    assert estimate_tokens("营收294亿元") == 5  # 4 CJK characters + "294"
    assert estimate_tokens("") == 0
    assert estimate_tokens("revenue grew") == 4
    assert estimate_tokens("ＲＭＢ１６６.５亿，“增长”") == 12  # 11 full-width/wide + 3 others
    assert estimate_tokens("café") == 2  # accented Latin is not wide


def test_local_token_counts_are_cached_so_a_cached_rerun_starts_no_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def tokenize(self: LLMClient, text: str) -> int:  # stands in for the server's tokenizer
        asked.append(text)
        return len(text)

    monkeypatch.setattr(LLMClient, "_tokenize", tokenize)
    local = Settings(backend="local", cache_dir=tmp_path)
    with LLMClient(local) as llm:
        assert [llm.count_tokens("快手一季度"), llm.count_tokens("快手一季度")] == [5, 5]
    with LLMClient(local) as rerun:
        assert rerun.count_tokens("快手一季度") == 5
        assert rerun._server is None
    assert asked == ["快手一季度"]
    with LLMClient(local, use_cache=False) as uncached:
        assert uncached.count_tokens("快手一季度") == 5
    assert asked == ["快手一季度", "快手一季度"]
