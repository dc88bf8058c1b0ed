"""Structured calls replayed from cassettes recorded against the real embedded model.

Replay (the default, ``--record-mode=none``) needs neither the network nor the model: the client
points at a fixed URL and vcrpy answers from ``tests/cassettes/llm/<test>.yaml``, matching on
method, path and body. To re-record, run with ``--record-mode=rewrite`` where ``verisum[local]``
is installed: the client then starts the embedded llama.cpp server itself (see README).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.request import Request

from toolkit.errors import LLMUnavailable
from toolkit.llm import LLMClient
from toolkit.local_model import assemble_bundled_model, llama_cpp_available
from toolkit.settings import LOCAL_DEFAULT_MODEL, Settings, default_cache_dir

REPLAY_URL = "http://127.0.0.1:8080/v1"
SENTENCE = "快手2024年第一季度总营收为人民币294亿元，同比增长16.6%；经调整净利润为44亿元。"


class Revenue(BaseModel):
    company: str = Field(description="公司名称")
    revenue: str = Field(description="总营收，保留原文的数字和单位")
    growth: str = Field(description="同比增长率，保留原文写法")


class Figure(BaseModel):
    metric: str = Field(description="指标名称，用原文")
    value: str = Field(description="数值和单位，用原文")


class Figures(BaseModel):
    figures: list[Figure] = Field(description="句子中的每一个财务指标")


def extract(text: str, what: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "你从财报电话会文本中抽取信息，只用原文中的词和数字。"},
        {"role": "user", "content": f"{what}\n\n<document>\n{text}\n</document>"},
    ]


@pytest.fixture
def vcr_cassette_dir() -> str:
    return str(Path(__file__).parent / "cassettes" / "llm")


def _skip_health_checks(request: Request) -> Request | None:
    """Leave the embedded server's start-up polling (GET /v1/models) out of the cassettes."""
    return None if request.method == "GET" and request.path.endswith("/models") else request


@pytest.fixture(scope="module")
def vcr_config(vcr_config: dict[str, Any]) -> dict[str, Any]:
    return {**vcr_config, "before_record_request": _skip_health_checks}


@pytest.fixture
def llm(record_mode: str, tmp_path: Path) -> Iterator[LLMClient]:
    """Replay: an openai-backend client on a fixed URL. Record: the real embedded model."""
    common = {"model": LOCAL_DEFAULT_MODEL, "cache_dir": tmp_path, "max_attempts": 1}
    if record_mode == "none":
        settings = Settings(backend="openai", openai_base_url=REPLAY_URL, **common)
    else:
        if not llama_cpp_available():
            pytest.skip("recording needs verisum[local] (llama-cpp-python and the model parts)")
        model = assemble_bundled_model(default_cache_dir())
        settings = Settings(backend="local", local_model=model, **common)
    with LLMClient(settings, use_cache=False) as client:
        yield client


@pytest.mark.vcr
def test_extracts_revenue_and_growth_from_a_chinese_sentence(llm: LLMClient) -> None:
    answer = llm.structured(
        Revenue, extract(SENTENCE, "抽取公司、总营收和同比增长率。"), prompt="cassette-revenue@1"
    )
    assert answer == Revenue(company="快手", revenue="人民币294亿元", growth="16.6%")
    assert llm.usage.calls == 1
    assert llm.usage.prompt_tokens > 0
    assert llm.usage.completion_tokens > 0


@pytest.mark.vcr
def test_extracts_every_figure_of_a_sentence_as_a_list(llm: LLMClient) -> None:
    answer = llm.structured(
        Figures,
        extract(SENTENCE, "列出句子中的每一个财务指标及其数值。"),
        prompt="cassette-figures@1",
    )
    values = [figure.value for figure in answer.figures]
    assert "人民币294亿元" in values or "294亿元" in values
    assert any("44亿元" in value for value in values)


@pytest.mark.vcr
def test_async_call_replays_too(llm: LLMClient) -> None:
    async def ask() -> Revenue:
        return await llm.astructured(
            Revenue,
            extract(SENTENCE, "抽取公司、总营收和同比增长率。"),
            prompt="cassette-revenue@1",
        )

    assert asyncio.run(ask()).company == "快手"


@pytest.mark.vcr
def test_a_request_missing_from_the_cassette_fails(llm: LLMClient, record_mode: str) -> None:
    if record_mode != "none":
        pytest.skip("only meaningful when replaying")
    with pytest.raises(LLMUnavailable) as caught:
        llm.structured(
            Revenue, extract("不在录音里的句子。", "抽取。"), prompt="cassette-missing@1"
        )
    chain: list[BaseException] = []
    cause: BaseException | None = caught.value
    while cause is not None:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    assert any(isinstance(c, CannotOverwriteExistingCassetteException) for c in chain)
