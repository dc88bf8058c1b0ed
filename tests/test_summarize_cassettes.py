"""The pipeline against the real embedded model, replayed from recorded cassettes.

Replay (``--record-mode=none``, the default of ``make test``) needs neither the model nor the
network. Re-record with ``pytest tests/test_summarize_cassettes.py --record-mode=rewrite`` where
``verisum[local]`` is installed (a few minutes on a CPU). Token counting uses the fixed
estimate in both modes, so the requests built while recording are the ones replayed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pydantic import BaseModel
from vcr.request import Request

from toolkit.llm import LLMClient, UsageMeter, estimate_tokens
from toolkit.local_model import assemble_bundled_model, llama_cpp_available
from toolkit.pipeline import summarize
from toolkit.segment import segment
from toolkit.settings import LOCAL_DEFAULT_MODEL, Settings, default_cache_dir
from toolkit.summary import ItemStatus
from toolkit.usage import Usage

T = TypeVar("T", bound=BaseModel)
REPLAY_URL = "http://127.0.0.1:8080/v1"
SAMPLE = (Path(__file__).parent.parent / "examples" / "kuaishou-2024q1-call.txt").read_text(
    encoding="utf-8"
)
# The first question and answer of the sample: revenue 166.5亿, which the small model tends to
# write as "166.5 billion" (it is 16.65 billion).
FIRST_ANSWER = SAMPLE[: segment(SAMPLE)[1].span[1]]


class FixedTokenizer:
    """The real client, but counting tokens with the fixed estimate (no tokenize requests)."""

    def __init__(self, client: LLMClient) -> None:
        self.client = client
        self.model_name = client.model_name

    @property
    def endpoint(self) -> str:
        return self.client.endpoint

    @property
    def usage(self) -> Usage:
        return self.client.usage

    def structured(self, response_model: type[T], messages: list[dict[str, str]], **kw: Any) -> T:
        return self.client.structured(response_model, messages, **kw)

    async def astructured(
        self, response_model: type[T], messages: list[dict[str, str]], **kw: Any
    ) -> T:
        return await self.client.astructured(response_model, messages, **kw)

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def track(self) -> contextlib.AbstractContextManager[UsageMeter]:
        return self.client.track()

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def vcr_cassette_dir() -> str:
    return str(Path(__file__).parent / "cassettes" / "summarize")


def _skip_health_checks(request: Request) -> Request | None:
    return None if request.method == "GET" and request.path.endswith("/models") else request


@pytest.fixture(scope="module")
def vcr_config(vcr_config: dict[str, Any]) -> dict[str, Any]:
    return {**vcr_config, "before_record_request": _skip_health_checks}


@pytest.fixture
def llm(
    record_mode: str, tmp_path: Path, request: pytest.FixtureRequest, vcr_cassette_dir: str
) -> Iterator[FixedTokenizer]:
    common = {"model": LOCAL_DEFAULT_MODEL, "cache_dir": tmp_path, "max_attempts": 1}
    cassette = Path(vcr_cassette_dir) / f"{request.node.name}.yaml"
    if record_mode == "none" and not cassette.is_file():
        pytest.skip(f"{cassette.name} is not recorded yet (--record-mode=rewrite with the model)")
    if record_mode == "none":
        settings = Settings(backend="openai", openai_base_url=REPLAY_URL, **common)
    else:
        if not llama_cpp_available():
            pytest.skip("recording needs verisum[local] (llama-cpp-python and the model parts)")
        model = assemble_bundled_model(default_cache_dir())
        settings = Settings(backend="local", local_model=model, **common)
    with LLMClient(settings, use_cache=False) as client:
        yield FixedTokenizer(client)


@pytest.mark.vcr
def test_the_models_wrong_scale_is_repaired_with_the_verifiers_reason(
    llm: FixedTokenizer,
) -> None:
    report = summarize(
        FIRST_ANSWER,
        doc_id="first-answer",
        llm=llm,
        max_bullets=4,
        max_claims=2,
        context_window=8192,
    )
    sent = [entry for repair in report.repairs for entry in repair.entries]
    scale_slips = [e for e in sent if any("power of ten" in p for p in e.problems)]
    assert scale_slips, "the recorded first answer has a 10x slip (166.5亿 as 166.5 billion)"
    assert any(e.fixed for e in scale_slips)
    assert report.draft.contradicted > 0
    assert report.final.contradicted == 0
    assert report.final.precision == 1.0
    assert report.prompts[0] == "summarize@3"


@pytest.mark.vcr
def test_grounded_numbers_are_rendered_from_the_source(llm: FixedTokenizer) -> None:
    report = summarize(
        FIRST_ANSWER,
        doc_id="first-answer",
        llm=llm,
        numbers="grounded",
        max_bullets=4,
        max_claims=2,
        context_window=8192,
    )
    kept = [report.headline, *report.bullets, *report.claims]
    assert all("{q" not in item.zh + item.en for item in kept)
    assert any("16.65 billion" in item.en for item in kept)
    assert all(i.status is not ItemStatus.FLAGGED for i in [*report.bullets, *report.claims])
