"""A sample summarization eval without a model, for ``make report-check`` and the tests.

`scripted_llm` is a `FakeLLM` that answers every summary request with a fixed draft and every
repair request with "no change", so the real pipeline runs (verification, consistency,
evidence location, repair, dropping) on known text. `sample_draft` is a summary of the sample
transcript with one wrong number (16.5 billion for 166.5亿) and one item whose sides disagree,
so the report shows every verdict. ``python -m toolkit.evaluate.sample OUT`` writes the eval of
the sample transcript, plus a document containing ``<script>`` that must render as text.

Example::

    >>> metrics = write_sample(Path("out/report-check"))
    >>> metrics.overall["summarizer"].dropped_rate
    0.125
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from toolkit.drafts import (
    DraftBullet,
    DraftClaim,
    DraftSummary,
    RepairedItems,
    TranslatedItems,
)
from toolkit.evaluate.summarize import SummarizeMetrics, run_summarize_eval
from toolkit.testing import FakeLLM

ROOT = Path(__file__).resolve().parent.parent.parent
SAMPLE = ROOT / "examples" / "kuaishou-2024q1-call.txt"
REFERENCE = ROOT / "evals" / "datasets" / "summarize" / "kuaishou.jsonl"
HOSTILE = (
    "Revenue was $3.2 billion, up 5% <script>alert('x')</script> year on year. "
    'Operating margin reached 12% & "guidance" is $13 billion.'
)


def sample_draft() -> DraftSummary:
    """A plausible summary of the sample transcript with two deliberate faults."""
    return DraftSummary(
        headline_zh="快手一季度线上营销服务收入166.5亿，同比增长27.4%。",
        headline_en="Kuaishou's Q1 online marketing services revenue was RMB16.65 billion, "
        "up 27.4% year on year.",
        bullets=[
            DraftBullet(
                part=1,
                zh="一季度线上营销服务收入达到166.5亿，同比增长27.4%。",
                en="Q1 online marketing services revenue reached 16.5 billion, up 27.4%.",
            ),
            DraftBullet(
                part=2,
                zh="日均动销商家数和商品数环比分别增长19%和38%。",
                en="Daily active merchants and products grew 19% and 38% quarter on quarter.",
            ),
            DraftBullet(
                part=3,
                zh="一季度日均支付用户数同比增长近九倍。",
                en="Daily paying users grew nearly ninefold year on year in Q1.",
            ),
            DraftBullet(
                part=4,
                zh="公司拟在未来三年回购不超过160亿港币。",
                en="The company plans to buy back up to HK$16 billion over three years.",
            ),
            DraftBullet(
                part=5,
                zh="AI小快单日用户峰值超过150万。",
                en="AI Xiaokuai's daily users peaked above 1.5 million.",
            ),
            DraftBullet(
                part=6,
                zh="公司持续加大大模型研发投入。",
                en="The company keeps investing in large-model research.",
            ),
        ],
        claims=[
            DraftClaim(
                evidence="回购股份约6071万股,约占总股本的1.7%",
                zh="公司累计回购股份约6071万股，约占总股本的1.7%。",
                en="Kuaishou repurchased about 60.71 million shares, about 1.7% of its shares.",
            ),
            DraftClaim(
                evidence="分销达人数环比增长32%,日均有效开播主播数环比增长62%",
                zh="分销达人数环比增长32%。",
                en="Distribution creators grew 23% quarter on quarter.",
            ),
        ],
    )


def _no_change(model: type[BaseModel]) -> BaseModel | None:
    """The answer of a model that changes nothing when asked to repair or translate."""
    if issubclass(model, RepairedItems):
        return RepairedItems(items=[])
    if issubclass(model, TranslatedItems):
        return TranslatedItems(items=[])
    return None


def scripted_llm(draft: DraftSummary, *, answers: int = 8) -> FakeLLM:
    """A fake model answering summary requests with ``draft``, repairs and translations with no
    change."""

    def respond(model: type[BaseModel], messages: list[dict[str, str]]) -> BaseModel:
        unchanged = _no_change(model)
        return unchanged if unchanged is not None else model.model_validate(draft.model_dump())

    return FakeLLM([respond] * answers)


def write_sample(out: Path) -> SummarizeMetrics:
    """Evaluate the sample transcript (reference from ``evals/datasets``) and a hostile
    document with `scripted_llm`; write the reports into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    row = json.loads(REFERENCE.read_text(encoding="utf-8").splitlines()[0])
    row.pop("path", None)
    row["text"] = SAMPLE.read_text(encoding="utf-8")
    hostile = {
        "id": "hostile-<b>doc</b>",
        "text": HOSTILE,
        "reference": ["Revenue was $3.2 billion <script>x</script>, up 5%."],
    }
    dataset = out / "sample.jsonl"
    dataset.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in (row, hostile)),
        encoding="utf-8",
    )
    hostile_draft = DraftSummary(
        headline_zh="收入32亿美元<script>alert(1)</script>。",
        headline_en="Revenue was $3.2 billion <script>alert(1)</script>.",
        bullets=[DraftBullet(part=1, zh="营业利润率达到12%。", en="Operating margin was 12%.")],
        claims=[],
    )
    draft = sample_draft()
    llm = FakeLLM()

    def respond(model: type[BaseModel], messages: list[dict[str, str]]) -> BaseModel:
        if (unchanged := _no_change(model)) is not None:
            return unchanged
        text = "\n".join(m.get("content", "") for m in messages)
        chosen = hostile_draft if "Operating margin" in text else draft
        return model.model_validate(chosen.model_dump())

    llm.queue(*([respond] * 16))
    return run_summarize_eval(dataset, out, llm=llm)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out/report-check")
    metrics = write_sample(out)
    print(f"wrote {out / 'report.html'} ({metrics.docs} documents)")


if __name__ == "__main__":
    main()
