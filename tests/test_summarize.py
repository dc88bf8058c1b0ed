"""The summarization pipeline end to end with `FakeLLM`: prompts, repair, drop/keep, modes."""

import asyncio
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from toolkit.drafts import (
    ChunkNotes,
    DraftBullet,
    DraftClaim,
    DraftSummary,
    RepairedItem,
    RepairedItems,
    TranslatedItem,
    TranslatedItems,
)
from toolkit.errors import InputError, LLMOutputInvalid, LLMOutputTruncated
from toolkit.pipeline import PartialOutputInvalid, asummarize, partial_of, summarize
from toolkit.summary import EvidenceMethod, ItemStatus
from toolkit.summary_format import to_markdown
from toolkit.testing import FakeLLM, Responder

SAMPLE = (Path(__file__).parent.parent / "examples" / "kuaishou-2024q1-call.txt").read_text(
    encoding="utf-8"
)
REVENUE_ZH = "第一季度线上营销服务收入达到166.5亿。"
WRONG_EN = "Q1 online marketing services revenue reached 166.5 billion."
RIGHT_EN = "Q1 online marketing services revenue reached 16.65 billion."
# Not a power-of-ten slip (which verisum rewrites itself): only the model can fix this one.
WRONG_VALUE_EN = "Q1 online marketing services revenue reached 15.5 billion."
# The same wrong value on both sides: no side to translate from, so the repair prompt's job.
WRONG_VALUE_ZH = "第一季度线上营销服务收入达到155亿。"
USERS = DraftBullet(
    part=1,
    zh="日均支付用户数同比增长近九倍。",
    en="Daily paying users grew nearly ninefold year on year.",
)
BUYBACK = DraftClaim(
    zh="公司累计回购股份约6071万股。",
    en="Kuaishou repurchased about 60.71 million shares.",
    evidence="回购股份约6071万股,约占总股本的1.7%",
)


def draft(*bullets: DraftBullet, claims: tuple[DraftClaim, ...] = (BUYBACK,)) -> Responder:
    """The model's answer to a summary request, as whichever `DraftSummary` shape it asked for
    (the one-call request sends a schema with one bullet per part)."""
    summary = DraftSummary(
        headline_zh="快手一季度日均支付用户数同比增长近九倍。",
        headline_en="Kuaishou's daily paying users grew nearly ninefold year on year in Q1.",
        bullets=list(bullets),
        claims=list(claims),
    )

    def respond(model: type[BaseModel], messages: list[dict[str, str]]) -> BaseModel:
        assert issubclass(model, DraftSummary)
        return model.model_validate(summary.model_dump())

    return respond


def test_a_power_of_ten_slip_is_rewritten_by_verisum_without_asking_the_model() -> None:
    llm = FakeLLM([draft(DraftBullet(part=1, zh=REVENUE_ZH, en=WRONG_EN), USERS)])
    report = summarize(SAMPLE, doc_id="kuaishou", llm=llm)

    assert [c.prompt for c in llm.calls] == ["summarize@3"]  # no repair call
    assert report.bullets[0].en == RIGHT_EN
    assert report.bullets[0].status is ItemStatus.SUPPORTED
    assert report.bullets[0].repaired == 1
    assert report.draft.contradicted >= 1 and report.final.precision == 1.0
    (rescale,) = report.repairs
    assert (rescale.round, rescale.prompt) == (0, "rescale")
    (entry,) = rescale.entries
    assert "off by a power of ten" in entry.problems[0]
    assert entry.after == {"zh": REVENUE_ZH, "en": RIGHT_EN} and entry.fixed
    assert not report.dropped


def test_a_side_that_fails_is_translated_again_from_the_side_that_verified() -> None:
    llm = FakeLLM(
        [
            draft(DraftBullet(part=1, zh=REVENUE_ZH, en=WRONG_VALUE_EN), USERS),
            TranslatedItems(items=[TranslatedItem(id="b1", text=RIGHT_EN)]),
        ]
    )
    report = summarize(SAMPLE, doc_id="kuaishou", llm=llm)

    assert [c.prompt for c in llm.calls] == ["summarize@3", "translate@2"]
    request = llm.calls[1].messages
    assert "from Simplified Chinese into English" in request[0]["content"]
    assert f"id: b1\ntext: {REVENUE_ZH}" in request[1]["content"]
    assert report.bullets[0].en == RIGHT_EN and report.bullets[0].zh == REVENUE_ZH
    assert report.bullets[0].status is ItemStatus.SUPPORTED
    (translated,) = report.repairs
    assert (translated.round, translated.prompt) == (0, "translate@2")
    assert translated.entries[0].fixed and not report.dropped


def test_a_wrong_value_on_both_sides_is_sent_back_with_the_verifiers_reason() -> None:
    llm = FakeLLM(
        [
            draft(DraftBullet(part=1, zh=WRONG_VALUE_ZH, en=WRONG_VALUE_EN), USERS),
            RepairedItems(items=[RepairedItem(id="b1", zh=REVENUE_ZH, en=RIGHT_EN)]),
        ]
    )
    report = summarize(SAMPLE, doc_id="kuaishou", llm=llm)

    assert [c.prompt for c in llm.calls] == ["summarize@3", "repair@2"]
    repair_request = llm.calls[1].messages[1]["content"]
    assert "id: b1" in repair_request
    assert "166.5亿 = 16.65 billion" in repair_request  # the verifier's own explanation
    assert "(different value)" in repair_request
    assert report.bullets[0].en == RIGHT_EN
    assert report.bullets[0].status is ItemStatus.SUPPORTED
    assert report.bullets[0].repaired == 1
    assert report.draft.contradicted >= 1
    assert report.final.precision == 1.0
    (round_one,) = report.repairs
    assert round_one.round == 1 and round_one.prompt == "repair@2"
    assert round_one.entries[0].before["en"] == WRONG_VALUE_EN
    assert round_one.entries[0].after == {"zh": REVENUE_ZH, "en": RIGHT_EN}
    assert round_one.entries[0].fixed
    assert not report.dropped


def test_an_item_still_contradicted_after_the_last_round_is_dropped() -> None:
    still_wrong = "Online marketing revenue was 15.5 billion in Q1."
    first = RepairedItems(items=[RepairedItem(id="b1", zh=WRONG_VALUE_ZH, en=still_wrong)])
    llm = FakeLLM(
        [draft(DraftBullet(part=1, zh=WRONG_VALUE_ZH, en=WRONG_VALUE_EN), USERS), first, first]
    )
    report = summarize(SAMPLE, llm=llm, repair_rounds=3)

    assert [b.en for b in report.bullets] == [USERS.en]
    assert [d.item.en for d in report.dropped] == [still_wrong]
    assert report.dropped[0].kind == "bullet"
    # Round 2 changed nothing, so a third round (the same request again) was not sent.
    assert len(report.repairs) == 2 and llm.pending == 0
    assert report.repaired.contradicted >= 1
    assert report.final.contradicted == 0


def test_keep_unsupported_keeps_the_item_flagged_with_its_problems() -> None:
    llm = FakeLLM([draft(DraftBullet(part=1, zh=REVENUE_ZH, en=WRONG_EN), USERS)])
    report = summarize(SAMPLE, llm=llm, repair_rounds=0, keep_unsupported=True)

    flagged = report.bullets[0]
    assert flagged.status is ItemStatus.FLAGGED
    assert any("off by a power of ten" in p for p in flagged.problems)
    assert report.final.precision is not None and report.final.precision < 1.0
    assert not report.dropped and not report.repairs


def test_sides_with_different_numbers_are_repaired_like_a_failed_verification() -> None:
    mismatch = DraftBullet(
        part=1,
        zh="第一季度线上营销服务收入达到166.5亿，同比增长27.4%。",
        en="Online marketing services revenue grew 27.4% year on year.",
    )
    both = "Online marketing services revenue reached 16.65 billion, up 27.4% year on year."
    llm = FakeLLM(
        [
            draft(mismatch),
            RepairedItems(items=[RepairedItem(id="b1", zh=mismatch.zh, en=both)]),
        ]
    )
    report = summarize(SAMPLE, llm=llm)

    first = report.repairs[0].entries[0]
    assert first.problems == [
        "zh and en state different numbers: zh has 166.5亿 that en lacks, "
        "en has nothing that zh lacks"
    ]
    assert report.bullets[0].consistency.consistent
    assert report.bullets[0].en == both


def test_claims_get_their_evidence_located_in_the_original_text() -> None:
    llm = FakeLLM([draft(USERS)])
    report = summarize(SAMPLE, llm=llm)

    (claim,) = report.claims
    assert claim.evidence.method is EvidenceMethod.EXACT
    assert claim.evidence.span is not None
    start, end = claim.evidence.span
    assert SAMPLE[start:end] == BUYBACK.evidence


def test_a_claim_quoting_no_sentence_of_the_call_keeps_the_sentence_of_its_numbers() -> None:
    paraphrase = BUYBACK.model_copy(update={"evidence": "The company repurchased shares (part 3)."})
    report = summarize(SAMPLE, llm=FakeLLM([draft(USERS, claims=(paraphrase,))]))

    (claim,) = report.claims
    assert claim.evidence.method is EvidenceMethod.NUMBERS
    assert claim.evidence.as_quoted == paraphrase.evidence
    assert claim.evidence.span is not None
    assert "回购股份约6071万股" in SAMPLE[slice(*claim.evidence.span)]
    assert "the model quoted “The company repurchased shares (part 3).”" in to_markdown(report)


def test_the_prompt_shows_the_answers_in_numbered_parts_and_asks_a_bullet_for_each() -> None:
    llm = FakeLLM([draft(USERS)])
    summarize(SAMPLE, llm=llm, max_bullets=9)

    system, user = (m["content"] for m in llm.calls[0].messages)
    parts = [line for line in user.splitlines() if re.match(r"\[\d+\] ", line)]
    # Answers are cut into about max_bullets parts; the model is asked for one bullet per part.
    assert 6 <= len(parts) <= 9
    assert f"{len(parts)} bullets, one for each part, in order" in system
    assert "divide 亿 by 10" in system
    assert parts[0].startswith("[1] A:第一季度线上营销服务收入")
    # Questions are left out (the model copied them as facts); answers are all there.
    assert "本地生活业务最近的进展" not in user
    assert re.search(r"\n\[\d\] A:经过一年半的发展", user)
    assert "<quantities>" not in user


def test_grounded_mode_renders_tags_in_each_language() -> None:
    def answer(model: type[BaseModel], messages: list[dict[str, str]]) -> BaseModel:
        user = messages[1]["content"]
        tag = next(
            line.split(":")[0] for line in user.splitlines() if line.endswith("| en 16.65 billion")
        )
        assert f"166.5亿⟦{tag}⟧" in user
        return draft(
            DraftBullet(
                part=1,
                zh=f"第一季度线上营销服务收入达到{{{tag}}}。",
                en=f"Q1 online marketing services revenue reached {{{tag}}}.",
            ),
            claims=(),
        )(model, messages)

    llm = FakeLLM([answer])
    report = summarize(SAMPLE, llm=llm, numbers="grounded")

    assert report.numbers == "grounded"
    assert report.bullets[0].zh == "第一季度线上营销服务收入达到166.5亿。"
    assert report.bullets[0].en == "Q1 online marketing services revenue reached 16.65 billion."
    assert report.bullets[0].status is ItemStatus.SUPPORTED
    assert "grounded_example@2" in report.prompts


def test_an_unknown_tag_in_grounded_mode_is_a_problem_for_repair() -> None:
    bad = DraftBullet(part=1, zh="收入达到{q999}。", en="Revenue reached {q999}.")
    llm = FakeLLM([draft(bad, claims=()), RepairedItems(items=[])])
    report = summarize(SAMPLE, llm=llm, numbers="grounded", repair_rounds=1)

    assert report.repairs[0].entries[0].problems[:2] == [
        "zh: {q999} is not a tag in <quantities>",
        "en: {q999} is not a tag in <quantities>",
    ]
    assert report.dropped[0].item.zh == "收入达到{q999}。"


def test_a_long_document_is_chunked_mapped_and_reduced_not_truncated() -> None:
    def answer(model: type[BaseModel], messages: list[dict[str, str]]) -> BaseModel:
        if model is ChunkNotes:
            return ChunkNotes(claims=[BUYBACK])
        assert "[1] zh: 公司累计回购股份约6071万股。" in messages[1]["content"]
        return draft(USERS)(model, messages)

    long_text = "\n".join([SAMPLE] * 6)
    llm = FakeLLM([answer] * 40)
    report = summarize(long_text, llm=llm, context_window=6000)

    chunks = report.chunks
    assert chunks >= len(long_text) // 3000  # the document is far over one 6000-token window
    assert [c.prompt for c in llm.calls] == ["summarize_map@2"] * chunks + ["summarize_reduce@3"]
    maps = [c.messages[1]["content"] for c in llm.calls[:chunks]]
    assert all(f'part="{i + 1} of {chunks}"' in m for i, m in enumerate(maps))
    # Every character of the document went to some map call: nothing was cut off.
    assert sum(len(m) for m in maps) >= len(long_text)
    assert "第一季度线上营销服务收入达到了166.5亿" in maps[0]
    assert "我们也将在未来继续给大家带来更多的进展分享" in maps[-1]
    assert report.claims[0].en == BUYBACK.en
    assert {"chunk", "map", "reduce"} <= set(report.timings)


def test_a_model_that_never_answers_validly_keeps_the_notes_already_made() -> None:
    long_text = "\n".join([SAMPLE] * 6)
    llm = FakeLLM([ChunkNotes(claims=[BUYBACK])] + [LLMOutputInvalid("did not fit")] * 30)
    with pytest.raises(PartialOutputInvalid) as caught:
        summarize(long_text, llm=llm, context_window=6000)
    assert isinstance(caught.value, LLMOutputInvalid)
    partial = partial_of(caught.value)
    assert partial is not None
    assert partial.stage == "map"
    assert partial.notes == [BUYBACK]
    assert partial.failed_chunks[0] == 1
    assert "1 notes kept" in str(caught.value)


def test_a_failed_one_call_summary_says_so_clearly() -> None:
    llm = FakeLLM([LLMOutputInvalid("model local: the answer did not fit DraftSummary")])
    with pytest.raises(LLMOutputInvalid, match="summarize failed: model local"):
        summarize(SAMPLE, doc_id="kuaishou", llm=llm)


def test_an_answer_cut_off_at_max_tokens_keeps_what_was_complete_before_the_cut() -> None:
    whole = DraftSummary(
        headline_zh="快手一季度日均支付用户数同比增长近九倍。",
        headline_en="Kuaishou's daily paying users grew nearly ninefold year on year in Q1.",
        bullets=[USERS, DraftBullet(part=2, zh=REVENUE_ZH, en=RIGHT_EN)],
        claims=[],
    ).model_dump_json()
    cut = whole[: whole.index("Q1 online")]  # the model ran out of tokens in bullet 2's en
    llm = FakeLLM([LLMOutputTruncated("cut off at max_tokens=3000", partial=cut)])
    report = summarize(SAMPLE, doc_id="kuaishou", llm=llm)
    assert [b.en for b in report.bullets] == [USERS.en]
    assert report.claims == []
    assert any("ran out of tokens" in w and "1 bullets, 0 claims" in w for w in report.warnings)
    assert llm.pending == 0  # no second ask: at temperature 0 it would run out again


def test_an_answer_cut_off_before_its_headline_was_complete_is_a_clear_failure() -> None:
    cut = '{"headline_zh": "快手一季度日均支付用户数'
    llm = FakeLLM([LLMOutputTruncated("cut off at max_tokens=3000", partial=cut)])
    with pytest.raises(LLMOutputInvalid, match="summarize failed: cut off at max_tokens"):
        summarize(SAMPLE, doc_id="kuaishou", llm=llm)


@pytest.mark.parametrize(
    ("text", "message"), [("", "empty"), (" \n", "empty"), ("a\x00b", "binary")]
)
def test_empty_or_binary_text_is_an_input_error_naming_the_document(
    text: str, message: str
) -> None:
    with pytest.raises(InputError, match=f"^notes.txt: .*{message}"):
        summarize(text, doc_id="notes.txt", llm=FakeLLM())


def test_the_async_api_gives_the_same_report() -> None:
    answers = [draft(DraftBullet(part=1, zh=REVENUE_ZH, en=RIGHT_EN), USERS)]
    sync = summarize(SAMPLE, doc_id="k", llm=FakeLLM(answers))
    concurrent = asyncio.run(asummarize(SAMPLE, doc_id="k", llm=FakeLLM(answers)))
    assert concurrent.model_dump(exclude={"timings"}) == sync.model_dump(exclude={"timings"})


def test_the_report_records_hash_model_prompts_usage_and_timings() -> None:
    report = summarize(SAMPLE, doc_id="kuaishou", llm=FakeLLM([draft(USERS)]))
    assert report.doc_id == "kuaishou"
    assert len(report.sha256) == 64
    assert report.model == "fake"
    assert report.prompts[0] == "summarize@3" and "units@2" in report.prompts
    assert report.usage.calls == 1 and report.usage.prompt_tokens > 0
    assert {"prepare", "summarize", "verify", "total"} <= set(report.timings)


def test_a_headline_still_wrong_after_repair_is_replaced_by_the_first_kept_bullet() -> None:
    def wrong_headline(model: type[BaseModel], messages: list[dict[str, str]]) -> BaseModel:
        answer = draft(USERS)(model, messages)
        update = {"headline_zh": WRONG_VALUE_ZH, "headline_en": WRONG_VALUE_EN}
        return answer.model_copy(update=update)

    unchanged = RepairedItems(
        items=[RepairedItem(id="headline", zh=WRONG_VALUE_ZH, en=WRONG_VALUE_EN)]
    )
    report = summarize(SAMPLE, llm=FakeLLM([wrong_headline, unchanged]))

    assert report.headline.en == USERS.en
    assert report.headline.status is ItemStatus.SUPPORTED
    assert report.dropped[0].kind == "headline" and report.dropped[0].item.en == WRONG_VALUE_EN
    assert report.final.contradicted == 0


def test_with_no_bullet_kept_the_first_kept_claim_replaces_a_wrong_headline() -> None:
    # A long call's map -> reduce answer can hold no bullet the verifier lets through.
    def claims_only(model: type[BaseModel], messages: list[dict[str, str]]) -> BaseModel:
        wrong = DraftBullet(part=1, zh=WRONG_VALUE_ZH, en=WRONG_VALUE_EN)
        answer = draft(wrong)(model, messages)
        update = {"headline_zh": WRONG_VALUE_ZH, "headline_en": WRONG_VALUE_EN}
        return answer.model_copy(update=update)

    unchanged = RepairedItems(
        items=[
            RepairedItem(id=id_, zh=WRONG_VALUE_ZH, en=WRONG_VALUE_EN) for id_ in ("headline", "b1")
        ]
    )
    report = summarize(SAMPLE, llm=FakeLLM([claims_only, unchanged]))

    assert report.bullets == []
    assert report.headline.en == BUYBACK.en
    assert report.headline.status is ItemStatus.SUPPORTED
    assert report.dropped[0].kind == "headline"
    assert report.final.contradicted == report.final.unverifiable == 0


def test_with_nothing_kept_a_wrong_headline_stays_marked_and_the_report_says_so() -> None:
    def nothing_right(model: type[BaseModel], messages: list[dict[str, str]]) -> BaseModel:
        wrong = DraftBullet(part=1, zh=WRONG_VALUE_ZH, en=WRONG_VALUE_EN)
        answer = draft(wrong, claims=())(model, messages)
        return answer.model_copy(
            update={"headline_zh": WRONG_VALUE_ZH, "headline_en": WRONG_VALUE_EN}
        )

    unchanged = RepairedItems(
        items=[
            RepairedItem(id=id_, zh=WRONG_VALUE_ZH, en=WRONG_VALUE_EN) for id_ in ("headline", "b1")
        ]
    )
    report = summarize(SAMPLE, llm=FakeLLM([nothing_right, unchanged]))

    assert report.bullets == report.claims == []
    assert report.headline.status is ItemStatus.FLAGGED
    assert any("headline did not verify" in warning for warning in report.warnings)


def test_the_cost_line_says_which_calls_the_model_answered_and_which_the_cache_did() -> None:
    from toolkit.summary_format import cost_line
    from toolkit.usage import Usage

    report = summarize(SAMPLE, doc_id="kuaishou", llm=FakeLLM([draft(USERS)]))
    live_and_cached = report.model_copy(
        update={"usage": Usage(calls=1, cached_calls=1, prompt_tokens=1583, completion_tokens=299)}
    )
    line = cost_line(live_and_cached)
    assert "1 model call + 1 answered from the cache" in line
    assert "1583 + 299 tokens (model calls only)" in line
    assert "2 model calls," in cost_line(report.model_copy(update={"usage": Usage(calls=2)}))


ENGLISH_CALL = (
    "Operator: Welcome to the fourth quarter call.\n"
    "CFO: Revenue was $2.1 billion, up 12% year over year. We bought back 3 million shares.\n"
)


def english_draft(model: type[BaseModel], messages: list[dict[str, str]]) -> BaseModel:
    """What the 1.5B model does with an English call: English in the zh fields too."""
    copied = "Revenue was $2.1 billion, up 12% year over year."
    summary = DraftSummary(
        headline_zh=copied,
        headline_en=copied,
        bullets=[DraftBullet(part=1, zh=copied, en=copied)],
        claims=[],
    )
    return model.model_validate(summary.model_dump())


def test_zh_sides_written_in_english_are_translated_then_checked_like_any_answer() -> None:
    translated = TranslatedItems(
        items=[
            TranslatedItem(id="headline", text="营收21亿美元，同比增长12%。"),
            # a 10x slip in the translation: verisum's rescale fixes it in the same round 0
            TranslatedItem(id="b1", text="营收2.1亿美元，同比增长12%。"),
        ]
    )
    llm = FakeLLM([english_draft, translated])
    report = summarize(ENGLISH_CALL, doc_id="en-call", llm=llm)

    assert [c.prompt for c in llm.calls] == ["summarize@3", "translate@2"]
    request = llm.calls[1].messages
    assert "from English into Simplified Chinese" in request[0]["content"]
    assert "id: b1\ntext: Revenue was $2.1 billion" in request[1]["content"]
    assert report.headline.zh == "营收21亿美元，同比增长12%。"
    assert report.bullets[0].zh == "营收21亿美元，同比增长12%。"  # 2.1亿 rescaled to 21亿
    assert [(r.round, r.prompt) for r in report.repairs] == [(0, "translate@2"), (0, "rescale")]
    assert report.final.precision == 1.0 and not report.dropped


def test_a_failed_translation_leaves_the_items_to_repair_and_dropping() -> None:
    llm = FakeLLM([english_draft, LLMOutputInvalid("no valid answer"), RepairedItems(items=[])])
    report = summarize(ENGLISH_CALL, doc_id="en-call", llm=llm)

    assert [c.prompt for c in llm.calls] == ["summarize@3", "translate@2", "repair@2"]
    assert report.repairs[0].error is not None and "no valid answer" in report.repairs[0].error
    assert any("translating zh sides failed" in w for w in report.warnings)
    assert [d.item.id for d in report.dropped] == ["b1"] and not report.bullets
    # a headline cannot be left out; with no bullet to replace it, it stays, marked
    assert report.headline.status is ItemStatus.FLAGGED


def test_the_source_is_prepared_for_checking_only_after_the_drafts_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # In a batch every millisecond of CPU before a request delays it; nothing before the draft's
    # request needs the source's numbers, so they are extracted after its answer.
    from toolkit import pipeline

    events: list[str] = []

    class RecordingChecker(pipeline.ItemChecker):
        def __init__(self, *args: object, **kwargs: object) -> None:
            events.append("source prepared")
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def answer(model: type[BaseModel], messages: list[dict[str, str]]) -> BaseModel:
        events.append(f"asked for {model.__name__}")
        return draft(DraftBullet(part=1, zh=REVENUE_ZH, en=RIGHT_EN), USERS)(model, messages)

    monkeypatch.setattr(pipeline, "ItemChecker", RecordingChecker)
    report = summarize(SAMPLE, doc_id="k", llm=FakeLLM([answer]))
    assert events == ["asked for DraftSummary", "source prepared"]
    assert report.final.supported == report.final.quantities > 0
